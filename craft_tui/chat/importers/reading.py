"""Which importer a file is for, found from its content, the file read by it, and stored.

Detection looks at the content, never the name: an SQLite file is an `llm` database, JSON with
`"format": "craft-tui/1"` is ours, a JSON list of conversations with a `mapping` is ChatGPT's.
`craft-tui import` and the app's import screen (ui/screens/import_history.py) both go through
`read_any` and `store_read`, so they detect alike, skip alike and say alike (`describe`).
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from craft_tui.chat.importers import (
    SOURCE_NAMES,
    Imported,
    ImportProblem,
    ImportSummary,
    Source,
    read_limited,
    store_all,
)

if TYPE_CHECKING:
    from craft_tui.chat.history import HistoryStore


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What `import_file` added: from which kind of file, and the counts."""

    file: Path
    source: Source
    summary: ImportSummary

    def describe(self, *, with_file: bool = True) -> str:
        """'Imported 2 conversations (7 messages) from FILE (ChatGPT).' (the file not disarmed:
        the caller shows it as text)."""
        s = self.summary
        where = f"{self.file} ({SOURCE_NAMES[self.source]})" if with_file else None
        return describe(s.conversations, s.messages, s.skipped, SOURCE_NAMES[self.source], where)


def store_read(store: HistoryStore, source: Source, items: list[Imported]) -> ImportSummary:
    """Store what `read_any` read. Other clients' ids are derived from theirs, so what is there
    already was imported before and is skipped; our own JSON imported again is added as a copy
    (new ids), as a restored backup should be."""
    return store_all(store, items, skip_existing=source != "craft")


def import_file(store: HistoryStore, file: Path, source: Source | None = None) -> ImportResult:
    """Read `file` whole (ImportProblem when it cannot be used: nothing is stored then), then
    store its conversations. Blocking (file and SQLite): call it off the UI loop."""
    found, items = read_any(file, source)
    return ImportResult(file, found, store_read(store, found, items))


def describe(
    conversations: int, messages: int, skipped: int, source: str, where: str | None = None
) -> str:
    """'Imported 12 conversations (340 messages) from ChatGPT.' (and what was there already);
    `where` replaces the source's name after "from" (the app names the file and the kind)."""
    line = (
        f"Imported {conversations} conversation{'' if conversations == 1 else 's'} "
        f"({messages} message{'' if messages == 1 else 's'}) from {where or source}."
    )
    if skipped:
        line += (
            f" {skipped} {'was' if skipped == 1 else 'were'} imported before and left as they are."
        )
    return line


def read_any(file: Path, source: Source | None = None) -> tuple[Source, list[Imported]]:
    """The conversations in `file` and the client they came from (`source`, else detected)."""
    from craft_tui.chat import export
    from craft_tui.chat.importers import chatgpt, llm_logs

    if source == "llm" or (source is None and _is_sqlite(file)):
        return "llm", llm_logs.read(file)
    raw = read_limited(file)
    if llm_logs.looks_like(raw[:16]):
        raise ImportProblem(
            f"{file} is an SQLite database, not a {SOURCE_NAMES[source or 'craft']} JSON file."
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportProblem(f"{file} is not UTF-8 text.") from None
    except (json.JSONDecodeError, RecursionError) as error:
        detail = (
            f" (line {error.lineno}, column {error.colno})"
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise ImportProblem(f"{file} is not valid JSON{detail}.") from None
    try:  # a lone surrogate (`"\\ud800"`) is valid JSON but no text SQLite can store
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ImportProblem(
            f"{file} holds text that is not valid Unicode (a lone surrogate)."
        ) from None
    except RecursionError:
        raise ImportProblem(f"{file} is nested too deeply.") from None
    if source is None:
        if export.is_document(data):
            source = "craft"
        elif chatgpt.looks_like(data):
            source = "chatgpt"
        else:
            raise ImportProblem(
                f"{file} is neither a craft-tui export, a ChatGPT conversations.json nor an "
                "llm logs.db."
            )
    if source == "craft":
        return source, export.read_document(data, file)
    return source, chatgpt.read(data, file)


def _is_sqlite(file: Path) -> bool:
    try:
        if not stat.S_ISREG(file.stat().st_mode):
            return False  # a folder, a pipe (opening one would wait for a writer): read_limited
        with file.open("rb") as handle:
            return handle.read(16).startswith(b"SQLite format 3\x00")
    except OSError:
        return False  # read_limited says why
