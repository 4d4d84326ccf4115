"""`craft-tui history [--search Q] [--json] [--limit N]` and `craft-tui history show ID`: what a
shell user reads (newest first, snippets with the words, the branch the app shows), what a script
parses (JSON that round-trips the stored text), outside text never acting on the terminal, and
every mistake a sentence with its fix."""

from __future__ import annotations

import io
import json
import sqlite3
import sys

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.cli import main
from tests.commands.test_cli_input_errors import assert_sentence_and_fix, run

HOSTILE = "see \x1b]0;owned\x07 the \x1b[2J glacier"


@pytest.fixture
def store() -> HistoryStore:
    return HistoryStore.open()  # in the test's own CRAFT_TUI_HOME (tests/conftest.py)


def conversation(store: HistoryStore, title: str, *texts: str) -> tuple[str, list[str]]:
    """A conversation of alternating prompts and answers; returns its id and message ids."""
    made = store.create_conversation(title=title, connection_slug="or", model="m1")
    parent = None
    ids = []
    for index, text in enumerate(texts):
        role = "user" if index % 2 == 0 else "assistant"
        parent = store.add_message(made.id, parent_id=parent, role=role, text=text).id
        ids.append(parent)
    return made.id, ids


def test_the_list_is_newest_first_with_message_counts(capsys, monkeypatch, store) -> None:
    old, _ = conversation(store, "Old talk", "hello", "hi")
    new, _ = conversation(store, "New talk", "one", "two", "three")
    code, out, err = run(capsys, monkeypatch, "history")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "UPDATED", "MSGS", "TOKENS", "COST", "TITLE"]
    assert lines[1].startswith(new) and lines[1].endswith("3       0     —  New talk")
    assert lines[2].startswith(old) and lines[2].endswith("2       0     —  Old talk")
    code, out, _ = run(capsys, monkeypatch, "history", "--limit", "1", "--json")
    [row] = json.loads(out)
    assert (row["id"], row["title"], row["messages"], row["model"]) == (new, "New talk", 3, "m1")


def test_search_prints_each_hit_under_its_conversation(capsys, monkeypatch, store) -> None:
    first, first_ids = conversation(store, "Ice", "How do glaciers move?", "Glaciers creep.")
    conversation(store, "Other", "nothing to see")
    code, out, err = run(capsys, monkeypatch, "history", "--search", "glacier")
    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"{first}  Ice",
        f"  answer: Glaciers creep.  [{first_ids[1][:8]}]",
        f"  you: How do glaciers move?  [{first_ids[0][:8]}]",
    ]
    code, out, _ = run(capsys, monkeypatch, "history", "--search", "glacier", "--json")
    hits = json.loads(out)
    assert [h["message_id"] for h in hits] == first_ids[::-1]
    assert [h["snippet"][s:e] for h in hits for s, e in h["matches"]] == ["Glaciers", "glaciers"]
    code, out, err = run(capsys, monkeypatch, "history", "--search", "volcano")
    assert (code, out) == (0, "") and "No message holds 'volcano'." in err


def test_outside_text_never_reaches_the_terminal_as_a_sequence(capsys, monkeypatch, store) -> None:
    hostile, _ = conversation(store, "\x1b]0;title\x07 [b]x[/b]", HOSTILE)
    for argv in (["history"], ["history", "-s", "glacier"], ["history", "show", hostile]):
        code, out, err = run(capsys, monkeypatch, *argv)
        assert code == 0, err
        assert "\x1b" not in out and "\x07" not in out
        assert "␛]0;" in out and "[b]x[/b]" in out
    code, out, _ = run(capsys, monkeypatch, "history", "-s", "glacier", "--json")
    assert "\x1b" not in out
    [hit] = json.loads(out)
    assert hit["snippet"] == HOSTILE  # the stored text, exactly
    code, out, _ = run(capsys, monkeypatch, "history", "show", hostile, "--json")
    assert json.loads(out)["branch"][0]["text"] == HOSTILE


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_words_are_bold_and_nothing_else_is_a_code(monkeypatch, store) -> None:
    conversation(store, "t", HOSTILE)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(["history", "--search", "glacier"]) == 0
    line = terminal.getvalue().splitlines()[1]
    assert line.startswith("  you: see ␛]0;owned␇ the ␛[2J \x1b[1mglacier\x1b[0m  [")
    assert line.count("\x1b") == 2  # our bold and reset, nothing from the message


def test_a_typed_query_is_data(capsys, monkeypatch, store) -> None:
    conversation(store, "t", "cats OR dogs (maybe)")
    for query in ['"', "(", "AND", "*", "-", "NEAR(", "x:y"]:
        code, out, err = run(capsys, monkeypatch, "history", "--search", query, "--json")
        assert code == 0 and json.loads(out) == [], (query, err)
    code, out, _ = run(capsys, monkeypatch, "history", "--search", '"(maybe OR', "--json")
    assert len(json.loads(out)) == 1


def test_show_prints_the_branch_the_app_shows(capsys, monkeypatch, store) -> None:
    made, (question, first) = conversation(store, "Branches", "Which one?", "The first answer")
    second = store.add_message(
        made, parent_id=question, role="assistant", text="The second answer", model="m2"
    )
    code, out, err = run(capsys, monkeypatch, "history", "show", made[:6])
    assert code == 0, err
    assert out.startswith(f"Branches\n{made}  updated ")
    assert "Which one?" in out and "The second answer" in out
    assert "The first answer" not in out  # another branch
    assert "── answer (m2), unfinished ──" in out
    code, out, _ = run(capsys, monkeypatch, "history", "show", made, "--json")
    data = json.loads(out)
    assert [m["id"] for m in data["branch"]] == [question, second.id]
    assert data["messages"] == 3 and first not in out


def test_mistakes_are_a_sentence_and_a_fix(capsys, monkeypatch, store) -> None:
    one, _ = conversation(store, "a", "x")
    code, out, err = run(capsys, monkeypatch, "history", "show", "0000ffff")
    assert code == 1 and out == ""
    assert_sentence_and_fix(err, "No conversation '0000ffff'")
    code, _, err = run(capsys, monkeypatch, "history", "show", one[:2])
    assert code == 1
    assert_sentence_and_fix(err, "too short")
    # two ids sharing a start
    for suffix in ("1", "2"):
        store._db.execute(
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, '', '', '')",
            ("abcd" + suffix,),
        )
    code, _, err = run(capsys, monkeypatch, "history", "show", "abcd")
    assert code == 1
    assert_sentence_and_fix(err, "More than one conversation starts with 'abcd'")
    with pytest.raises(SystemExit) as usage:
        main(["history", "--limit", "0"])
    assert usage.value.code == 2


def test_a_history_from_a_newer_craft_tui_is_a_sentence_and_a_fix(
    capsys, monkeypatch, store
) -> None:
    path = store.path
    store.close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    code, out, err = run(capsys, monkeypatch, "history")
    assert code == 1 and out == ""
    assert_sentence_and_fix(err, "newer craft-tui")
