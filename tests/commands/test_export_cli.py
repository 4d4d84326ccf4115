"""`craft-tui export` and `craft-tui import` as a shell user meets them: the document on stdout or
in a new 0600 file (never over one without --force), the kind of file found from its content,
one line saying what was imported, a sentence and its fix for every bad file, and outside text
(titles, paths) never reaching the terminal as a control sequence."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from craft_tui.chat.history import HistoryStore
from tests.chat.test_importers import chatgpt_export, llm_logs
from tests.commands.test_cli_input_errors import assert_sentence_and_fix, run

HOSTILE_TITLE = "\x1b]0;owned\x07 \x1b[2J [b]x[/b]\u202e"


@pytest.fixture
def store() -> HistoryStore:
    return HistoryStore.open()  # in the test's own CRAFT_TUI_HOME (tests/conftest.py)


def talk(store: HistoryStore, title: str = "Ice talk") -> str:
    made = store.create_conversation(title=title, connection_slug="or", model="m1")
    q = store.add_message(made.id, parent_id=None, role="user", text="How do glaciers move?")
    a = store.add_message(
        made.id, parent_id=q.id, role="assistant", connection_slug="or", model="m1"
    )
    store.finish_message(a.id, finish_reason="stop", text="They creep.", output_tokens=3)
    return made.id


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_export_markdown_to_stdout_and_json_to_a_private_file(
    capsys, monkeypatch, store, tmp_path
) -> None:
    conv_id = talk(store)
    code, out, err = run(capsys, monkeypatch, "export", "--last", "--format", "md")
    assert (code, err) == (0, "")
    assert out.startswith("# Ice talk\n") and "## Assistant · or · m1 · " in out
    assert "They creep." in out
    target = tmp_path / "talk.json"
    code, out, err = run(
        capsys, monkeypatch, "export", conv_id[:6], "--format", "json", "-o", str(target)
    )
    assert code == 0 and out == ""
    assert err.strip() == f"Exported 'Ice talk' (2 messages) to {target}."
    assert mode(target) == 0o600
    document = json.loads(target.read_text())
    assert document["format"] == "craft-tui/1"
    assert document["conversations"][0]["messages"][1]["usage"]["output_tokens"] == 3


def test_export_never_overwrites_without_force(capsys, monkeypatch, store, tmp_path) -> None:
    talk(store)
    target = tmp_path / "notes.md"
    target.write_text("mine")
    os.chmod(target, 0o644)
    code, out, err = run(capsys, monkeypatch, "export", "--last", "-o", str(target))
    assert code == 1 and out == ""
    assert_sentence_and_fix(err, "exists already")
    assert target.read_text() == "mine"
    code, _, err = run(capsys, monkeypatch, "export", "--last", "-o", str(target), "--force")
    assert code == 0, err
    assert target.read_text().startswith("# Ice talk") and mode(target) == 0o600
    link = tmp_path / "link.md"
    link.symlink_to(tmp_path / "elsewhere.md")
    code, _, err = run(capsys, monkeypatch, "export", "--last", "-o", str(link))
    assert code == 1 and not (tmp_path / "elsewhere.md").exists()  # a symlink is not followed


def test_export_errors_are_a_sentence_and_a_fix(capsys, monkeypatch, store, tmp_path) -> None:
    code, _, err = run(capsys, monkeypatch, "export", "--last")
    assert code == 1
    assert_sentence_and_fix(err, "no conversation to export")
    talk(store)
    code, _, err = run(capsys, monkeypatch, "export", "zzzzzz")
    assert code == 1
    assert_sentence_and_fix(err, "No conversation 'zzzzzz'")
    code, _, err = run(capsys, monkeypatch, "export", "--last", "-o", str(tmp_path / "no" / "x.md"))
    assert code == 1
    assert_sentence_and_fix(err, "does not exist")


def test_import_detects_each_kind_and_says_what_it_added(
    capsys, monkeypatch, store, tmp_path
) -> None:
    conv_id = talk(store)
    mine = tmp_path / "mine.json"
    run(capsys, monkeypatch, "export", conv_id, "--format", "json", "-o", str(mine))
    chatgpt = tmp_path / "conversations.json"
    chatgpt.write_text(json.dumps(chatgpt_export()))
    logs = llm_logs(tmp_path / "logs.db")
    expected = {
        mine: "Imported 1 conversation (2 messages) from craft-tui.",
        chatgpt: "Imported 1 conversation (5 messages) from ChatGPT.",
        logs: "Imported 2 conversations (6 messages) from llm.",
    }
    for file, line in expected.items():
        code, out, err = run(capsys, monkeypatch, "import", str(file))
        assert (code, out.strip(), err) == (0, line, "")
    code, out, _ = run(capsys, monkeypatch, "import", str(chatgpt), "--from", "chatgpt")
    assert out.strip() == (
        "Imported 0 conversations (0 messages) from ChatGPT. "
        "1 was imported before and left as they are."
    )
    assert len(store.list_conversations()) == 5  # ours twice (a copy), ChatGPT once, llm twice


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{broken", "is not valid JSON"),
        (b'{"format": "craft-tui/1", "conversations": [{"id": 5}]}', "'id' is not a string"),
        (b"\xff\xfe\x00binary", "is not UTF-8"),
    ],
)
def test_a_bad_file_is_a_sentence_and_a_fix_and_adds_nothing(
    capsys, monkeypatch, store, tmp_path, content: bytes, words: str
) -> None:
    file = tmp_path / "in.json"
    file.write_bytes(content)
    code, out, err = run(capsys, monkeypatch, "import", str(file))
    assert code == 1 and out == ""
    assert_sentence_and_fix(err, words, str(file))
    assert store.list_conversations(include_empty=True) == []
    code, _, err = run(capsys, monkeypatch, "import", str(tmp_path / "missing.json"))
    assert code == 1
    assert_sentence_and_fix(err, "is not a file")


def test_outside_text_is_shown_disarmed(capsys, monkeypatch, store, tmp_path) -> None:
    talk(store, HOSTILE_TITLE)
    target = tmp_path / "t\x1b[31m.md"
    code, out, err = run(capsys, monkeypatch, "export", "--last", "-o", str(target))
    assert code == 0
    assert "\x1b" not in err and "\x07" not in err and "\u202e" not in err
    assert "␛]0;owned␇" in err and "[b]x[/b]" in err
    assert target.read_text().startswith("# \x1b]0;owned\x07")  # the file holds what was written
    code, out, _ = run(capsys, monkeypatch, "export", "--last")
    assert "\x1b" not in out and "␛[2J" in out
    code, out, _ = run(capsys, monkeypatch, "export", "--last", "--format", "json")
    assert "\x1b" not in out and json.loads(out)["conversations"][0]["title"] == HOSTILE_TITLE
    bad = tmp_path / "bad\x1b[2J.json"
    bad.write_text(
        '{"format": "craft-tui/1", "conversations": [{"id": "c", "created_at": "\x1b]0;x\x07"}]}'
    )
    code, _, err = run(capsys, monkeypatch, "import", str(bad))
    assert code == 1 and "\x1b" not in err and "bad␛[2J.json" in err
