"""`import_file`, what `craft-tui import` and the app's import screen both run: the kind found
from the content, other clients' conversations skipped when imported before, ours added again as
a copy; a path that is no regular file is refused in one sentence before anything is opened."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.importers import ImportProblem
from craft_tui.chat.importers.reading import import_file
from tests.chat.test_importers import chatgpt_export


def test_the_shared_import_detects_skips_and_describes(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.db")
    export = tmp_path / "conversations.json"
    export.write_text(json.dumps(chatgpt_export()))
    first = import_file(store, export)
    assert first.source == "chatgpt"
    assert first.describe() == f"Imported 1 conversation (5 messages) from {export} (ChatGPT)."
    assert first.describe(with_file=False) == "Imported 1 conversation (5 messages) from ChatGPT."
    again = import_file(store, export)
    assert (again.summary.conversations, again.summary.skipped) == (0, 1)
    assert len(store.list_conversations()) == 1


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    store = HistoryStore.open(tmp_path / "h.db")
    with pytest.raises(ImportProblem, match=r"is not a file \(a pipe, a device or a socket\)"):
        import_file(store, pipe)  # opening a pipe to sniff it would block until a writer came
    with pytest.raises(ImportProblem, match="is not a file: it is a folder"):
        import_file(store, tmp_path)
    assert store.list_conversations(include_empty=True) == []
