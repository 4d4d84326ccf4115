"""Which importer a file is for, found from its content, and the file read by it.

Detection looks at the content, never the name: an SQLite file is an `llm` database, JSON with
`"format": "craft-tui/1"` is ours, a JSON list of conversations with a `mapping` is ChatGPT's.
"""

from __future__ import annotations

import json
from pathlib import Path

from craft_tui.chat.importers import (
    SOURCE_NAMES,
    Imported,
    ImportProblem,
    Source,
    read_limited,
)


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
        with file.open("rb") as handle:
            return handle.read(16).startswith(b"SQLite format 3\x00")
    except OSError:
        return False  # read_limited says why
