"""`craft-tui history rename|pin|unpin ID`, the tokens and cost of each listed conversation, and
`craft-tui history --stats [--days N] [--json]`: what a shell user reads and a script parses."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from craft_tui.chat import history as history_module
from craft_tui.chat.export import message_json
from craft_tui.chat.history import HistoryStore
from craft_tui.config import paths
from tests.commands.test_cli_input_errors import assert_sentence_and_fix, run


@pytest.fixture
def store() -> HistoryStore:
    return HistoryStore.open()  # in the test's own CRAFT_TUI_HOME (tests/conftest.py)


@pytest.fixture
def config() -> None:
    """A paid connection and a local one (a server on this machine answers for free)."""
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[[connections]]\nslug = "paid"\nname = "Paid"\nprotocol = "openai"\n'
        'base_url = "https://api.example.com/v1"\n\n'
        '[[connections]]\nslug = "box"\nname = "Box"\nprotocol = "openai"\n'
        'base_url = "http://127.0.0.1:11434/v1"\n'
    )


def talk(store: HistoryStore, prompt: str, *answers: tuple[str, dict[str, Any]]) -> str:
    """A prompt and its answers (each a version: every branch counts), by connection slug."""
    conv = store.create_conversation()
    question = store.add_message(conv.id, parent_id=None, role="user", text=prompt)
    for slug, figures in answers:
        answer = store.add_message(
            conv.id, parent_id=question.id, role="assistant", text="ok", connection_slug=slug
        )
        store.finish_message(answer.id, finish_reason="stop", **figures)
    return conv.id


def rows(out: str) -> list[list[str]]:
    return [line.split("  ") for line in out.splitlines()]


def test_each_row_shows_its_tokens_and_cost(capsys, monkeypatch, store, config) -> None:
    paid = talk(store, "Paid", ("paid", {"input_tokens": 1200, "output_tokens": 300,
                                         "cost_usd": 0.0123}),
                ("paid", {"input_tokens": 10, "output_tokens": 5, "cost_usd": 0.0001}))  # fmt: skip
    local = talk(store, "Local", ("box", {"input_tokens": 40, "output_tokens": 2}))
    mixed = talk(store, "Mixed", ("paid", {"input_tokens": 5, "output_tokens": 5,
                                           "cost_usd": 0.5}),
                 ("gone", {"input_tokens": 1, "output_tokens": 1}))  # fmt: skip
    code, out, err = run(capsys, monkeypatch, "history")
    assert code == 0 and err == ""
    by_title = {line.split()[-1]: line.split() for line in out.splitlines()[1:]}
    assert by_title["Paid"][4:6] == ["1.5k", "$0.0124"]
    assert by_title["Local"][4:6] == ["42", "local"]  # free, as the status line says
    assert by_title["Mixed"][4:6] == ["12", "≥$0.50"]  # an answer with no known price
    code, out, _ = run(capsys, monkeypatch, "history", "--json")
    listed = {row["id"]: row for row in json.loads(out)}
    want = {
        "answers": 2, "input_tokens": 1210, "output_tokens": 305, "cost_usd": 0.0124,
        "cost": "$0.0124", "pinned": False, "messages": 3,
    }  # fmt: skip
    assert {key: listed[paid][key] for key in want} == want
    assert (listed[local]["cost_usd"], listed[local]["cost"]) == (None, "local")
    assert (listed[local]["answers_local"], listed[mixed]["answers_unpriced"]) == (1, 1)


def test_show_prints_the_conversations_total_and_each_answers_figures(
    capsys, monkeypatch, store, config
) -> None:
    paid = talk(store, "Paid", ("paid", {"input_tokens": 1200, "output_tokens": 300,
                                         "cost_usd": 0.0123}),
                ("paid", {"input_tokens": 10, "output_tokens": 5, "cost_usd": 0.0001}))  # fmt: skip
    code, out, err = run(capsys, monkeypatch, "history", "show", paid)
    assert code == 0 and err == ""
    # Both versions were paid for: the total counts every branch, as the list does.
    assert "2 answers · 1.5k tokens · $0.0124 (all branches)" in out.splitlines()[2]
    # The branch shown is the newest version: its own figures in its heading.
    heading = next(line for line in out.splitlines() if line.startswith("── answer"))
    assert "· 10 in, 5 out, $0.0001" in heading, heading
    local = talk(store, "Local", ("box", {"input_tokens": 40, "output_tokens": 2}))
    code, out, _ = run(capsys, monkeypatch, "history", "show", local)
    assert "1 answer · 42 tokens · local (all branches)" in out
    heading = next(line for line in out.splitlines() if line.startswith("── answer"))
    assert "· 40 in, 2 out" in heading and "$" not in heading, heading


def test_without_a_config_unpriced_answers_are_unknown(capsys, monkeypatch, store) -> None:
    talk(store, "Local", ("box", {"input_tokens": 40, "output_tokens": 2}))
    code, out, _ = run(capsys, monkeypatch, "history")
    assert code == 0 and out.splitlines()[1].split()[4:6] == ["42", "—"]


def test_rename_pin_and_unpin(capsys, monkeypatch, store) -> None:
    first = talk(store, "First prompt here")
    second = talk(store, "Second")
    code, out, err = run(capsys, monkeypatch, "history", "rename", first[:6], "My \x1b[31m title")
    assert code == 0, err
    assert out == f"Renamed {first[:8]} to “My ␛[31m title”.\n"
    assert store.get_conversation(first).title == "My \x1b[31m title"  # stored as typed
    code, out, _ = run(capsys, monkeypatch, "history", "pin", first)
    assert out == f"Pinned {first[:8]} “My ␛[31m title”: it is listed first.\n"
    code, out, _ = run(capsys, monkeypatch, "history")
    lines = out.splitlines()
    assert lines[1].startswith(first) and lines[1].endswith("★ My ␛[31m title")
    assert lines[2].startswith(second) and lines[2].endswith("  Second")
    code, out, _ = run(capsys, monkeypatch, "history", "--json")
    assert [(r["id"], r["pinned"]) for r in json.loads(out)] == [(first, True), (second, False)]
    code, out, _ = run(capsys, monkeypatch, "history", "unpin", first)
    assert code == 0 and out == f"Unpinned {first[:8]} “My ␛[31m title”.\n"
    code, out, _ = run(capsys, monkeypatch, "history")
    assert out.splitlines()[1].startswith(second) and "★" not in out
    code, out, _ = run(capsys, monkeypatch, "history", "rename", first, "")
    assert out == f"{first[:8]} has its first prompt's title again: “First prompt here”.\n"
    code, out, err = run(capsys, monkeypatch, "history", "pin", "0000ffff")
    assert code == 1 and out == ""
    assert_sentence_and_fix(err, "No conversation '0000ffff'")


def test_show_json_messages_are_the_export_files(capsys, monkeypatch, store) -> None:
    conv = talk(store, "q", ("paid", {"input_tokens": 3, "output_tokens": 4, "cost_usd": 0.01}))
    _code, out, _ = run(capsys, monkeypatch, "history", "show", conv, "--json")
    data = json.loads(out)
    _conversation, branch = store.load_conversation(conv)
    assert data["branch"] == [json.loads(json.dumps(message_json(m))) for m in branch]
    answer = data["branch"][1]
    assert answer["connection_slug"] == "paid" and "connection" not in answer
    assert answer["usage"]["output_tokens"] == 4 and answer["cost_usd"] == 0.01


def _at(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    moment = datetime.combine(day, time(12, 0)).astimezone().astimezone(UTC)
    monkeypatch.setattr(history_module, "utc_now", lambda: moment)


def test_stats_per_day_and_connection(capsys, monkeypatch, store, config) -> None:
    today = date.today()
    _at(monkeypatch, today - timedelta(days=40))
    talk(store, "long ago", ("paid", {"input_tokens": 9999, "cost_usd": 9.0}))
    _at(monkeypatch, today - timedelta(days=1))
    talk(store, "yesterday", ("paid", {"input_tokens": 1000, "output_tokens": 100,
                                       "cost_usd": 0.25}))  # fmt: skip
    _at(monkeypatch, today)
    talk(store, "today", ("paid", {"input_tokens": 2000, "output_tokens": 200, "cost_usd": 0.5}),
         ("box", {"input_tokens": 300, "output_tokens": 30}))  # fmt: skip
    code, out, err = run(capsys, monkeypatch, "history", "--stats")
    assert code == 0 and err == ""
    since = (today - timedelta(days=29)).isoformat()
    yesterday = (today - timedelta(days=1)).isoformat()
    assert out.splitlines() == [
        f"Answers in the last 30 days (since {since}), local days; cost as stored when each "
        "answer ended.",
        "",
        "DAY         ANSWERS  INPUT  OUTPUT   COST",
        f"{yesterday}        1  1,000     100  $0.25",
        f"{today.isoformat()}        2  2,300     230  $0.50",
        "total             3  3,300     330  $0.75",
        "",
        "CONNECTION  ANSWERS  INPUT  OUTPUT   COST",
        "box               1    300      30  local",
        "paid              2  3,000     300  $0.75",
        "total             3  3,300     330  $0.75",
    ]
    code, out, _ = run(capsys, monkeypatch, "history", "--stats", "--days", "1", "--json")
    data = json.loads(out)
    assert (data["since"], data["days"]) == (today.isoformat(), 1)
    assert data["by_day"] == [
        {"day": today.isoformat(), "answers": 2, "input_tokens": 2300, "output_tokens": 230,
         "cost_usd": 0.5, "cost": "$0.50", "answers_local": 1, "answers_unpriced": 0},
    ]  # fmt: skip
    assert [c["connection"] for c in data["by_connection"]] == ["box", "paid"]
    assert data["total"]["answers"] == 2
    code, out, err = run(capsys, monkeypatch, "history", "--stats", "--days", "1")
    assert out.startswith("Answers today, local days;") and err == ""
    code, out, _ = run(capsys, monkeypatch, "history", "--stats", "--days", "365")
    assert "$9.75" in out


def test_stats_of_an_empty_history_is_one_clear_line(capsys, monkeypatch, store) -> None:
    code, out, err = run(capsys, monkeypatch, "history", "--stats", "--days", "7")
    since = (date.today() - timedelta(days=6)).isoformat()
    assert (code, out) == (0, "") and err == f"No answers in the last 7 days (since {since}).\n"
    code, out, _ = run(capsys, monkeypatch, "history", "--stats", "--json")
    assert json.loads(out)["by_day"] == [] and json.loads(out)["total"]["answers"] == 0


def test_days_without_stats_is_a_sentence_and_a_fix(capsys, monkeypatch, store) -> None:
    code, out, err = run(capsys, monkeypatch, "history", "--days", "3")
    assert code == 1 and out == ""
    assert_sentence_and_fix(err, "--days goes with --stats")
    code, out, err = run(capsys, monkeypatch, "history", "--stats", "--search", "x")
    assert code == 1
    assert_sentence_and_fix(err, "--stats sums the whole history")
