"""Upgrading a history written by the v1 code (text-only messages) to content parts keeps every
conversation exactly: the same conversations, messages, branches, versions, errors, reasoning,
costs and speeds, the same active path, order and search results — and the upgraded file takes
what v1 could not (tool results, part rows) while its trees still cascade on delete."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.migrations import SCHEMA_VERSION
from craft_tui.providers.content import ReasoningPart, TextPart, ToolResultPart, plain_parts

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED: dict[str, Any] = json.loads((FIXTURES / "history_v1.json").read_text())


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


@pytest.fixture
def upgraded(tmp_path: Path) -> HistoryStore:
    path = tmp_path / "history.db"
    shutil.copyfile(FIXTURES / "history_v1.db", path)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 1  # made by the v1 code
    raw.close()
    return HistoryStore.open(path)


def test_the_saved_file_is_a_v1_database_with_every_case_in_it() -> None:
    messages = [m for c in EXPECTED["conversations"] for m in c["messages"]]
    assert {m["finish_reason"] for m in messages} >= {"stop", "error", "cancelled", "length", None}
    assert any(m["reasoning"] for m in messages) and any(m["cost_usd"] for m in messages)
    parents = [m["parent_id"] for m in messages]
    assert any(parents.count(p) > 1 for p in parents if p)  # branches and versions
    assert any(not c["messages"] for c in EXPECTED["conversations"])  # an empty conversation


def test_every_conversation_reads_back_identical_after_the_upgrade(
    upgraded: HistoryStore,
) -> None:
    assert upgraded._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    listed = upgraded.list_conversations(limit=100, include_empty=True)
    assert [c.id for c in listed] == [c["conversation"]["id"] for c in EXPECTED["conversations"]]
    for conv, expected in zip(listed, EXPECTED["conversations"], strict=True):
        got = {k: _plain(v) for k, v in asdict(conv).items()}
        assert got.pop("pinned") is False  # v4: nothing is pinned by the upgrade
        assert got.pop("generation") is None  # v5: no conversation sets its own values
        assert got == expected["conversation"]
        messages = upgraded.all_messages(conv.id)
        assert len(messages) == len(expected["messages"])
        for message, want in zip(messages, expected["messages"], strict=True):
            got = {key: _plain(getattr(message, key)) for key in want}
            assert got == want
            assert message.parts == plain_parts(want["text"], want["reasoning"])
        _conv, path = upgraded.load_conversation(conv.id)
        assert [m.id for m in path] == expected["active_path"]
    assert upgraded.last_conversation_id() == EXPECTED["last_conversation_id"]
    for query, ids in EXPECTED["searches"].items():
        assert [c.id for c in upgraded.list_conversations(query=query)] == ids, query


def test_the_upgraded_file_is_sound_and_keeps_its_indexes(upgraded: HistoryStore) -> None:
    db = upgraded._db
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"messages_conversation", "messages_parent", "conversations_updated_at"} <= indexes
    references = {row[2] for row in db.execute("PRAGMA foreign_key_list(messages)")}
    assert references == {"messages", "conversations"}  # the rebuilt table points at itself


def test_an_upgraded_conversation_grows_with_parts_and_still_cascades(
    upgraded: HistoryStore,
) -> None:
    sky = next(c for c in EXPECTED["conversations"] if c["conversation"]["title"].startswith("Why"))
    conv_id = sky["conversation"]["id"]
    leaf = sky["active_path"][-1]
    tool = upgraded.add_message(
        conv_id, parent_id=leaf, role="tool", parts=(ToolResultPart("call_1", "42"),)
    )
    signed = (ReasoningPart("ok", signature="sig"), TextPart("Done."))
    answer = upgraded.add_message(conv_id, parent_id=tool.id, role="assistant", parts=signed)
    assert upgraded.get_message(answer.id).parts == signed
    assert upgraded.get_message(tool.id).parts == (ToolResultPart("call_1", "42"),)

    first_prompt = sky["messages"][0]["id"]
    upgraded.delete_message(first_prompt)  # the whole tree hangs under it
    assert upgraded.all_messages(conv_id) == []
    assert upgraded._db.execute("SELECT count(*) FROM message_parts").fetchone()[0] == 0


def test_the_saved_fixture_itself_is_never_modified() -> None:
    raw = sqlite3.connect(f"file:{FIXTURES / 'history_v1.db'}?mode=ro", uri=True)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 1
    raw.close()
