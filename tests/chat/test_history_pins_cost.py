"""Pinned and renamed conversations, and what each cost (issue 17).

A v3 history (written by the v3 code: tests/chat/fixtures/make_history_v3.py) upgrades to v4
with every conversation as it was and nothing pinned; pins list first and survive an export and
import; a rename is kept, and an empty one gives back the title from the first prompt. The
store sums every answer's tokens and cost per conversation (every branch) and per day and
connection; an answer without a stored cost is local or unknown by the connection, as the
status line says, and `format_total` writes the sum."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from craft_tui.chat import history as history_module
from craft_tui.chat.export import read_document, to_json
from craft_tui.chat.history import ConversationFigures, HistoryStore, NotFoundError
from craft_tui.chat.migrations import SCHEMA_VERSION
from craft_tui.chat.usage import cost_total, format_tokens, local_check
from craft_tui.config.schema import Config, Connection

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "history_v3.json").read_text())


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@pytest.fixture
def upgraded(tmp_path: Path) -> HistoryStore:
    path = tmp_path / "history.db"
    shutil.copyfile(FIXTURES / "history_v3.db", path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 3  # made by the v3 code
    raw.close()
    return HistoryStore.open(path)


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore.open(tmp_path / "history.db")


# ---------------------------------------------------------------- v3 -> v4


def test_a_v3_history_upgrades_with_every_conversation_as_it_was(upgraded: HistoryStore) -> None:
    assert upgraded._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    listed = upgraded.list_conversations(limit=100, include_empty=True)
    assert [c.id for c in listed] == [c["conversation"]["id"] for c in EXPECTED["conversations"]]
    assert any(m["parts"] and m["role"] == "tool" for c in EXPECTED["conversations"]
               for m in c["messages"])  # fmt: skip
    for conv, expected in zip(listed, EXPECTED["conversations"], strict=True):
        got = {k: _plain(v) for k, v in asdict(conv).items()}
        assert got.pop("pinned") is False
        assert got.pop("generation") is None  # v5: none of its own
        assert got == expected["conversation"]
        messages = upgraded.all_messages(conv.id)
        got_messages = [{k: _plain(v) for k, v in asdict(m).items()} for m in messages]
        assert all(m.pop("cache_write_tokens") is None for m in got_messages)  # v6: none known
        assert json.loads(json.dumps(got_messages)) == expected["messages"]  # parts and all
        assert [m.id for m in upgraded.load_conversation(conv.id)[1]] == expected["active_path"]
    assert upgraded.last_conversation_id() == EXPECTED["last_conversation_id"]
    for query, ids in EXPECTED["searches"].items():
        assert [c.id for c in upgraded.list_conversations(query=query)] == ids, query
    assert upgraded.search("Rayleigh").hits  # the full-text index came through
    db = upgraded._db
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {
        "conversations_pinned",
        "messages_answer_figures",
        "messages_answers_created",
        "conversations_updated_at",
    } <= indexes


def test_the_upgraded_history_pins_and_renames(upgraded: HistoryStore) -> None:
    oldest = upgraded.list_conversations(limit=100)[-1]
    upgraded.set_pinned(oldest.id, True)
    listed = upgraded.list_conversations(limit=100, pinned_first=True)
    assert listed[0].id == oldest.id and listed[0].pinned
    assert [c.id for c in listed[1:]] == [
        c.id for c in upgraded.list_conversations(limit=100) if c.id != oldest.id
    ]
    assert upgraded.get_conversation(oldest.id).updated_at == oldest.updated_at  # not "touched"
    assert upgraded.rename(oldest.id, "Mine") == "Mine"
    assert upgraded.rename(oldest.id, "   ") == "Why is the sky blue?"


# ---------------------------------------------------------------- rename and pin


def test_an_empty_rename_gives_back_the_first_prompts_title(store: HistoryStore) -> None:
    conv = store.create_conversation()
    assert store.rename(conv.id, "") == ""  # no prompt yet: untitled, named by the first one
    first = store.add_message(conv.id, parent_id=None, role="user", text="\n\n  Sort a   list\nx")
    store.add_message(conv.id, parent_id=first.id, role="assistant", text="sorted()")
    store.add_message(conv.id, parent_id=None, role="user", text="An edited first prompt")
    assert store.get_conversation(conv.id).title == "Sort a list"
    assert (
        store.rename(conv.id, " My\ttitle \x1b[31m\n") == "My title \x1b[31m"
    )  # one line, as typed
    assert store.get_conversation(conv.id).title == "My title \x1b[31m"
    assert store.rename(conv.id, " \n ") == "Sort a list"  # the oldest prompt's, as at first
    assert store.get_conversation(conv.id).title == "Sort a list"
    with pytest.raises(NotFoundError):
        store.rename("no-such-id", "x")
    with pytest.raises(NotFoundError):
        store.set_pinned("no-such-id", True)


def test_pinned_conversations_list_first_then_newest_first(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = []
    for minute in range(4):
        moment = datetime(2026, 12, 1, 9, minute, tzinfo=UTC)
        monkeypatch.setattr(history_module, "utc_now", lambda moment=moment: moment)
        conv = store.create_conversation()
        store.add_message(conv.id, parent_id=None, role="user", text=f"c{minute}")
        ids.append(conv.id)
    store.set_pinned(ids[0], True)
    store.set_pinned(ids[2], True)
    order = [c.id for c in store.list_conversations(pinned_first=True)]
    assert order == [ids[2], ids[0], ids[3], ids[1]]
    assert [c.id for c in store.list_conversations()] == ids[::-1]  # the plain order is unchanged
    assert [c.id for c in store.list_conversations(title="c", pinned_first=True)] == order
    store.set_pinned(ids[2], False)
    assert [c.id for c in store.list_conversations(pinned_first=True)] == [
        ids[0], ids[3], ids[2], ids[1]
    ]  # fmt: skip


def test_a_pin_survives_export_and_import(store: HistoryStore, tmp_path: Path) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, parent_id=None, role="user", text="keep me on top")
    store.set_pinned(conv.id, True)
    document = json.loads(to_json(store, [conv.id]))
    assert document["conversations"][0]["pinned"] is True
    other = HistoryStore.open(tmp_path / "other.db")
    [imported] = read_document(document, tmp_path / "x.json")
    stored = other.import_conversation(imported.conversation, imported.messages)
    assert stored is not None and other.get_conversation(stored.id).pinned
    del document["conversations"][0]["pinned"]  # a file from before pins
    [older] = read_document(document, tmp_path / "x.json")
    assert older.conversation.pinned is False


# ---------------------------------------------------------------- figures


def _answer(store: HistoryStore, conv: str, parent: str, slug: str, **figures: Any) -> str:
    reason = figures.pop("finish_reason", "stop")
    answer = store.add_message(conv, parent_id=parent, role="assistant", connection_slug=slug)
    store.finish_message(answer.id, finish_reason=reason, **figures)
    return answer.id


def test_figures_sum_every_answer_of_every_branch(store: HistoryStore) -> None:
    conv = store.create_conversation()
    q = store.add_message(conv.id, parent_id=None, role="user", text="q").id
    _answer(store, conv.id, q, "paid", input_tokens=1000, output_tokens=200, cost_usd=0.01)
    _answer(store, conv.id, q, "paid", input_tokens=1100, output_tokens=300, cost_usd=0.02)
    _answer(store, conv.id, q, "paid", finish_reason="error", error_kind="network")  # free
    _answer(store, conv.id, q, "paid", finish_reason="cancelled")  # charged, never reported
    _answer(store, conv.id, q, "box", input_tokens=50, output_tokens=5)  # no price: local/unknown
    empty = store.create_conversation()
    figures = store.conversation_figures([conv.id, empty.id, "no-such-id"])
    assert set(figures) == {conv.id}
    got = figures[conv.id]
    assert (got.messages, got.answers, got.input_tokens, got.output_tokens) == (6, 5, 2150, 505)
    assert got.cost_usd == pytest.approx(0.03) and got.priced == 2 and got.tokens == 2655
    assert dict(got.unpriced) == {"paid": 1, "box": 1}

    def config(box_url: str) -> Config:
        return Config(
            connections=[
                Connection(slug="paid", name="Paid", protocol="openai",
                           base_url="https://api.example.com/v1"),
                Connection(slug="box", name="Box", protocol="openai", base_url=box_url),
            ]
        )  # fmt: skip

    local = local_check(config("http://127.0.0.1:11434/v1"))
    remote = local_check(config("https://box.example.com/v1"))
    assert str(cost_total(got.cost_usd, got.priced, got.unpriced, local)) == "≥$0.03"
    only_box = ConversationFigures(answers=1, unpriced=(("box", 1),))
    assert str(cost_total(0.0, 0, only_box.unpriced, local)) == "local"
    assert str(cost_total(0.0, 0, only_box.unpriced, remote)) == "—"
    assert str(cost_total(0.0, 0, only_box.unpriced, local_check(None))) == "—"
    assert str(cost_total(0.0, 0, (("gone", 1),), local)) == "—"  # removed connection: unknown
    assert str(cost_total(0.0, 0, (), local)) == "—"  # nothing answered yet


def test_ten_thousand_conversations_get_their_figures_in_one_grouped_read(
    store: HistoryStore,
) -> None:
    ts = "2026-01-01T00:00:00.000000+00:00"
    with store._write() as db:
        db.executemany(
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?,?,?,?)",
            [(f"c{i:05d}", "t", ts, ts) for i in range(10_000)],
        )
        db.executemany(
            "INSERT INTO messages (id, conversation_id, role, text, input_tokens, output_tokens, "
            "cost_usd, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [
                (f"m{i}-{k}", f"c{i:05d}", "assistant", "a", 10, k, 0.001, ts, ts)
                for i in range(10_000)
                for k in range(3)
            ],
        )
    figures = store.conversation_figures(f"c{i:05d}" for i in range(10_000))
    assert len(figures) == 10_000
    assert figures["c04242"] == ConversationFigures(
        messages=3, answers=3, input_tokens=30, output_tokens=3,
        cost_usd=pytest.approx(0.003), priced=3,
    )  # fmt: skip


def test_the_figures_read_indexes_only(store: HistoryStore) -> None:
    """The usage columns come after the text in a message row: the sums must not read rows
    (a long answer's text is on overflow pages), only the answers' covering indexes."""
    statements: list[str] = []
    with store._search() as reader:
        reader.set_trace_callback(statements.append)  # each statement, its values filled in
    store.conversation_figures(["a", "b"])
    store.usage(since=None)
    store.usage(since=datetime(2026, 1, 1, tzinfo=UTC))
    assert len(statements) == 4
    for sql in statements:
        plan = [str(row[3]) for row in store._db.execute(f"EXPLAIN QUERY PLAN {sql}")]
        reads = [step for step in plan if "messages" in step]
        assert reads and all("COVERING INDEX" in step for step in reads), plan


def test_usage_per_local_day_and_connection(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = date.today()
    days = [today - timedelta(days=n) for n in (0, 0, 1, 9)]
    conv = store.create_conversation()
    q = store.add_message(conv.id, parent_id=None, role="user", text="q").id
    for n, day in enumerate(days):
        moment = datetime.combine(day, time(12, 0)).astimezone().astimezone(UTC)
        monkeypatch.setattr(history_module, "utc_now", lambda moment=moment: moment)
        slug = "a" if n % 2 == 0 else "b"
        _answer(store, conv.id, q, slug, input_tokens=100, output_tokens=10 * (n + 1),
                cost_usd=0.5 if slug == "a" else None)  # fmt: skip
    rows = store.usage()
    assert [(r.day, r.connection_slug, r.answers) for r in rows] == [
        (days[3].isoformat(), "b", 1),
        (days[2].isoformat(), "a", 1),
        (today.isoformat(), "a", 1),
        (today.isoformat(), "b", 1),
    ]
    since = datetime.combine(today - timedelta(days=1), time()).astimezone()
    recent = store.usage(since=since)
    assert len(recent) == 3 and sum(r.output_tokens for r in recent) == 10 + 20 + 30
    assert [(r.priced, r.unpriced) for r in recent] == [(1, 0), (1, 0), (0, 1)]
    assert sum(r.cost_usd for r in recent) == pytest.approx(1.0)


def test_token_counts_fit_a_narrow_column() -> None:
    assert [format_tokens(n) for n in (0, 999, 1000, 12_345, 999_999, 4_500_000)] == [
        "0", "999", "1k", "12.3k", "1000k", "4.5M"
    ]  # fmt: skip


# ---------------------------------------------------------------- v5: generation values


def test_a_conversations_generation_values_are_kept_with_it(tmp_path) -> None:
    from craft_tui.chat.session import ChatSession
    from craft_tui.config.generation import GenerationParams
    from tests.chat.fakes import Opener, config

    path = tmp_path / "history.db"
    store = HistoryStore.open(path)
    conversation = store.create_conversation(title="Warm")
    session = ChatSession(store, conversation, driver_opener=Opener(), config=config())
    values = GenerationParams(temperature=0.3, max_tokens=900, reasoning_effort="high")
    session.set_generation(values)
    store.close()
    again = HistoryStore.open(path)  # another start of the app
    reopened = again.get_conversation(conversation.id)
    assert reopened.generation == values
    session = ChatSession(again, reopened, driver_opener=Opener(), config=config())
    assert session.generation == values  # the next request uses them
    session.set_generation(GenerationParams())  # back to the defaults
    assert again.get_conversation(conversation.id).generation is None
    # A hand-edited or newer value is dropped, never an error.
    again._db.execute(
        "UPDATE conversations SET generation = ? WHERE id = ?",
        ('{"temperature": "hot", "max_tokens": 5, "reasoning_effort": "max"}', conversation.id),
    )
    assert again.get_conversation(conversation.id).generation == GenerationParams(max_tokens=5)
