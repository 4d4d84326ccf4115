"""Imports from the clients people come from, on small files built here: a ChatGPT
`conversations.json` with an edited prompt and a regenerated answer (its branches and the branch
last looked at survive), and an `llm` logs.db (conversations in order, with model, time and
tokens). Importing the same file twice adds nothing; a hostile file adds nothing either."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from craft_tui.chat.conversation import children_of
from craft_tui.chat.history import HistoryStore
from craft_tui.chat.importers import ImportProblem, store_all
from craft_tui.chat.importers.reading import read_any

T0 = 1_700_000_000.0


def node(
    node_id: str, parent: str | None, children: list[str], role: str | None = None,
    text: str = "", when: float = T0, model: str | None = None, recipient: str = "all",
    **content: object,
) -> dict[str, object]:  # fmt: skip
    message = None
    if role is not None:
        message = {
            "id": node_id,
            "author": {"role": role},
            "create_time": when,
            "content": content or {"content_type": "text", "parts": [text]},
            "metadata": {"model_slug": model} if model else {},
            "recipient": recipient,
        }
    return {"id": node_id, "message": message, "parent": parent, "children": children}


def chatgpt_export() -> list[dict[str, object]]:
    """One conversation: root → hidden system → prompt → two answers (regenerated), the second
    answered again; the user last looked at the first answer. And one with nothing to import."""
    nodes = [
        node("root", None, ["sys"]),
        node("sys", "root", ["u1"], "system", ""),
        node("u1", "sys", ["a1", "a2"], "user", "Name a glacier.", T0 + 1),
        node("a1", "u1", [], "assistant", "Aletsch.", T0 + 2, model="gpt-4o"),
        node("a2", "u1", ["u2"], "assistant", "Perito Moreno.", T0 + 3, model="gpt-4o"),
        node("u2", "a2", ["th"], "user", "Where is it?", T0 + 4),
        node(
            "th",
            "u2",
            ["tc"],
            "assistant",
            when=T0 + 4.5,
            model="o3",
            content_type="thoughts",
            thoughts=[{"summary": "s", "content": "Think of Patagonia."}],
        ),
        node("tc", "th", ["to"], "assistant", "search('Moreno')", T0 + 4.6, "o3", "browser"),
        node("to", "tc", ["a3"], "tool", "Santa Cruz, Argentina", T0 + 4.7),
        node("a3", "to", [], "assistant", "Argentina.", T0 + 5, model="o3"),
    ]
    return [
        {
            "title": "Glaciers",
            "create_time": T0,
            "update_time": T0 + 5,
            "conversation_id": "abc-123",
            "current_node": "a1",
            "mapping": {n["id"]: n for n in nodes},
        },
        {"title": "Empty", "create_time": T0, "mapping": {"r": node("r", None, [])}},
    ]


def test_chatgpt_branches_current_node_and_attribution_survive(tmp_path: Path) -> None:
    file = tmp_path / "conversations.json"
    file.write_text(json.dumps(chatgpt_export()))
    source, items = read_any(file)
    assert source == "chatgpt" and len(items) == 1
    store = HistoryStore.open(tmp_path / "h.db")
    summary = store_all(store, items, skip_existing=True)
    assert (summary.conversations, summary.messages) == (1, 5)
    [conversation] = store.list_conversations()
    assert conversation.title == "Glaciers"
    everything = store.all_messages(conversation.id)
    [prompt] = children_of(everything, None)  # the hidden system node is not a message
    answers = children_of(everything, prompt.id)
    assert [a.text for a in answers] == ["Aletsch.", "Perito Moreno."]  # both branches
    assert [(a.connection_slug, a.model) for a in answers] == [("chatgpt", "gpt-4o")] * 2
    assert answers[0].created_at == datetime.fromtimestamp(T0 + 2, UTC)
    _, shown = store.load_conversation(conversation.id)
    assert [m.text for m in shown] == ["Name a glacier.", "Aletsch."]  # current_node
    [follow_up] = children_of(everything, answers[1].id)
    assert follow_up.text == "Where is it?"
    [last] = children_of(everything, follow_up.id)  # thinking, tool call and output folded away
    assert (last.text, last.reasoning, last.model) == ("Argentina.", "Think of Patagonia.", "o3")

    again = store_all(store, read_any(file)[1], skip_existing=True)
    assert (again.conversations, again.skipped) == (0, 1)
    assert len(store.list_conversations()) == 1


def llm_logs(path: Path) -> Path:
    """A logs.db as llm writes it (the columns this importer reads, and some it does not)."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE conversations (id TEXT PRIMARY KEY, name TEXT, model TEXT);
        CREATE TABLE responses (
            id TEXT PRIMARY KEY, model TEXT, prompt TEXT, system TEXT, prompt_json TEXT,
            options_json TEXT, response TEXT, response_json TEXT, conversation_id TEXT,
            duration_ms INTEGER, datetime_utc TEXT, input_tokens INTEGER, output_tokens INTEGER,
            token_details TEXT
        );
        INSERT INTO conversations VALUES ('c1', 'Rust help', 'gpt-4o-mini');
        INSERT INTO responses (id, model, prompt, system, response, conversation_id, datetime_utc,
            input_tokens, output_tokens) VALUES
          ('r2', 'gpt-4o-mini', 'And a Vec?', NULL, 'A growable array.', 'c1',
           '2024-05-01T10:01:00.000000', 40, 9),
          ('r1', 'gpt-4o-mini', 'What is a Box?', 'Answer briefly.', 'A heap pointer.', 'c1',
           '2024-05-01T10:00:00.000000', 12, 5),
          ('r3', 'claude-3-haiku', 'hi', NULL, 'hello', NULL, '2024-05-02T08:00:00', NULL, NULL);
        """
    )
    db.commit()
    db.close()
    return path


def test_llm_logs_become_conversations_in_order_with_model_time_and_tokens(
    tmp_path: Path,
) -> None:
    file = llm_logs(tmp_path / "logs.db")
    before = file.read_bytes()
    source, items = read_any(file)
    assert source == "llm"
    store = HistoryStore.open(tmp_path / "h.db")
    summary = store_all(store, items, skip_existing=True)
    assert (summary.conversations, summary.messages) == (2, 6)
    assert file.read_bytes() == before  # opened read-only
    by_title = {c.title: c for c in store.list_conversations()}
    assert set(by_title) == {"Rust help", "hi"}
    rust, path = store.load_conversation(by_title["Rust help"].id)
    assert [(m.role, m.text) for m in path] == [
        ("user", "What is a Box?"),
        ("assistant", "A heap pointer."),
        ("user", "And a Vec?"),
        ("assistant", "A growable array."),
    ]
    assert rust.system_prompt == "Answer briefly."
    answer = path[1]
    assert (answer.connection_slug, answer.model) == ("llm", "gpt-4o-mini")
    assert (answer.input_tokens, answer.output_tokens) == (12, 5)
    assert answer.created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert store.load_conversation(by_title["hi"].id)[1][1].model == "claude-3-haiku"
    assert store_all(store, read_any(file)[1], skip_existing=True).skipped == 2


def test_an_old_llm_database_without_token_columns_still_imports(tmp_path: Path) -> None:
    file = tmp_path / "logs.db"
    db = sqlite3.connect(file)
    db.execute("CREATE TABLE responses (id TEXT, model TEXT, prompt TEXT, response TEXT)")
    db.execute("INSERT INTO responses VALUES ('r', 'm', 'q', 'a')")
    db.commit()
    db.close()
    [item] = read_any(file)[1]
    assert [m.text for m in item.messages] == ["q", "a"]
    assert item.messages[1].input_tokens is None


@pytest.mark.parametrize(
    ("content", "source", "words"),
    [
        (b"{not json", None, "is not valid JSON (line 1, column 2)"),
        (b"\xff\xfe\x00garbage", None, "is not UTF-8 text"),
        (b'{"some": "thing"}', None, "is neither a craft-tui export"),
        (b'[{"mapping": {}}, 3]', None, "conversation 2 has no 'mapping'"),
        (b'{"x": 1}', "chatgpt", "a ChatGPT export is a list of conversations"),
        (b"[]", "llm", "is not a readable llm database"),
        (b'[{"mapping": {"n": {"message": {"author": {"role": "user"}, "create_time": "noon",'
         b' "content": {"parts": ["hi"]}}}}}]', None, "node 'n', 'create_time' is not a time"),
        (b"[" * 100_000 + b"]" * 100_000, None, "is not valid JSON"),
        (b'{"format": "craft-tui/1", "conversations": [{"id": "\\ud800"}]}', None, "lone surrogate"),
    ],
)  # fmt: skip
def test_a_hostile_file_is_a_problem_and_adds_nothing(
    tmp_path: Path, content: bytes, source: str | None, words: str
) -> None:
    file = tmp_path / "in.json"
    file.write_bytes(content)
    with pytest.raises(ImportProblem) as caught:
        read_any(file, source)  # type: ignore[arg-type]
    assert str(caught.value).startswith(str(file)) and words in str(caught.value)


def test_an_sqlite_file_that_is_not_llm_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "other.db"
    db = sqlite3.connect(file)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    with pytest.raises(ImportProblem, match="has no 'responses' table"):
        read_any(file)
    with pytest.raises(ImportProblem, match="is not a file"):
        read_any(tmp_path, "craft")
