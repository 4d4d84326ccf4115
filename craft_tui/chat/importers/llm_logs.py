"""Simon Willison's `llm` log database (`logs.db`, `llm logs path` prints where it is).

Each row of `responses` is one exchange: `prompt` (with its `system` prompt), the model's
`response`, the `model`, `datetime_utc` and, in newer versions, `input_tokens` /
`output_tokens`. Rows sharing a `conversation_id` are one conversation (named in
`conversations`), oldest first; a row without one is a conversation of its own. Each row becomes
a prompt and its answer, attributed to the connection `llm` and the row's model, with its time
and token counts.

The file is opened read-only (SQLite `mode=ro`) and only the columns it has are read; a file
that is not SQLite, or lacks the `responses` table, is an `ImportProblem`. Ids come from llm's,
so importing the same database again skips what is there already.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from craft_tui.chat.conversation import Conversation, StoredMessage, derive_title
from craft_tui.chat.importers import Imported, ImportProblem, checked, derived_id, utc

CONNECTION = "llm"
SQLITE_MAGIC = b"SQLite format 3\x00"
_WANTED = (
    "id",
    "model",
    "prompt",
    "system",
    "response",
    "conversation_id",
    "datetime_utc",
    "input_tokens",
    "output_tokens",
)


def looks_like(head: bytes) -> bool:
    """Whether a file starting with these bytes is an SQLite database."""
    return head.startswith(SQLITE_MAGIC)


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})")}


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return utc(datetime.fromisoformat(value))
    except (ValueError, OverflowError):
        return None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def read(file: Path) -> list[Imported]:
    """Every conversation in the database, checked; the file is never written."""
    try:
        db = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise ImportProblem(f"{file} could not be opened as an llm database: {error}.") from None
    try:
        return _read(db, file)
    except sqlite3.DatabaseError as error:
        raise ImportProblem(f"{file} is not a readable llm database: {error}.") from None
    finally:
        db.close()


def _read(db: sqlite3.Connection, file: Path) -> list[Imported]:
    have = _columns(db, "responses")
    if not {"prompt", "response"} <= have:
        raise ImportProblem(f"{file} has no 'responses' table of prompts and responses.")
    columns = [name for name in _WANTED if name in have]
    select = ", ".join(columns)
    rows = [dict(zip(columns, row, strict=True)) for row in db.execute(
        f"SELECT {select} FROM responses ORDER BY {'datetime_utc, ' if 'datetime_utc' in have else ''}rowid"
    )]  # fmt: skip
    names: dict[str, tuple[str, str]] = {}
    if {"id", "name"} <= _columns(db, "conversations"):
        model = "model" if "model" in _columns(db, "conversations") else "''"
        for cid, name, conv_model in db.execute(f"SELECT id, name, {model} FROM conversations"):
            names[_str(cid)] = (_str(name), _str(conv_model))
    grouped: dict[str, list[dict[str, object]]] = {}
    for number, row in enumerate(rows):
        key = _str(row.get("conversation_id")) or f"response\0{_str(row.get('id')) or number}"
        grouped.setdefault(key, []).append(row)
    return [
        _conversation(key, group, names.get(key, ("", "")), file) for key, group in grouped.items()
    ]


def _conversation(
    key: str, rows: list[dict[str, object]], named: tuple[str, str], file: Path
) -> Imported:
    conversation_id = derived_id("llm", key)
    epoch = datetime.fromtimestamp(0, UTC)
    messages: list[StoredMessage] = []
    parent: str | None = None
    for number, row in enumerate(rows):
        when = _time(row.get("datetime_utc")) or (messages[-1].created_at if messages else epoch)
        model = _str(row.get("model")) or None
        row_key = _str(row.get("id")) or str(number)
        prompt = StoredMessage(
            id=derived_id("llm", f"{key}\0{row_key}\0prompt"),
            conversation_id=conversation_id,
            parent_id=parent,
            role="user",
            text=_str(row.get("prompt")),
            created_at=when,
            updated_at=when,
        )
        answer = StoredMessage(
            id=derived_id("llm", f"{key}\0{row_key}\0response"),
            conversation_id=conversation_id,
            parent_id=prompt.id,
            role="assistant",
            text=_str(row.get("response")),
            connection_slug=CONNECTION,
            model=model,
            input_tokens=_count(row.get("input_tokens")),
            output_tokens=_count(row.get("output_tokens")),
            finish_reason="stop",
            created_at=when,
            updated_at=when,
        )
        messages += [prompt, answer]
        parent = answer.id
    name, _model = named
    first = rows[0]
    system = _str(first.get("system")) or None
    start = messages[0].created_at or epoch
    conversation = Conversation(
        id=conversation_id,
        title=name or derive_title(messages[0].text),
        system_prompt=system,
        created_at=start,
        updated_at=messages[-1].created_at or start,
        connection_slug=None,  # the next prompt goes to the user's default connection
        model=None,
        active_leaf_id=parent,
    )
    return checked(Imported(conversation, messages), file, f"conversation {name or key!r}")
