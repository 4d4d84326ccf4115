"""Conversations read from a file, checked, then stored: what every importer hands over.

An importer (our own JSON in `chat/export.py`, `chatgpt.py`, `llm_logs.py`) turns a file into
`Imported` values and raises `ImportProblem` for anything it cannot use. Nothing is written
until the whole file has been read: a file that fails half way adds nothing.

Why one shape: the checks that keep a foreign file from corrupting the history (every parent
present and listed before its children, no cycle, bounded titles, attachment bytes that match
their SHA-256) are made once, in `checked`, whatever the file's format was.
"""

from __future__ import annotations

import hashlib
import re
import stat
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from craft_tui.providers.content import AttachmentPart

if TYPE_CHECKING:
    from craft_tui.chat.conversation import Conversation, StoredMessage
    from craft_tui.chat.history import HistoryStore

Source = Literal["craft", "chatgpt", "llm"]
SOURCE_NAMES: dict[Source, str] = {"craft": "craft-tui", "chatgpt": "ChatGPT", "llm": "llm"}

TITLE_CAP = 300
"""Characters kept of an imported title (a row of the history list; a 1 MB title is cut)."""
MAX_FILE_BYTES = 1 << 30
"""A file larger than this is refused before it is read (1 GiB)."""


_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
"""The ids kept as they are (ours are 32 hex digits); any other gets a new one."""


def new_id() -> str:
    return uuid.uuid4().hex


class ImportProblem(Exception):
    """The file cannot be imported; the message names the file and what is wrong with it."""


@dataclass(slots=True)
class Imported:
    """One conversation from a file: every message, parents before children, with the bytes of
    its attachments (by SHA-256)."""

    conversation: Conversation
    messages: list[StoredMessage]
    attachments: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ImportSummary:
    conversations: int
    messages: int
    skipped: int  # already imported (importers whose ids come from the source)


def utc(value: datetime) -> datetime:
    """Aware UTC (a naive time from a file is taken as UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_epoch(value: object, file: Path, where: str) -> datetime | None:
    """A Unix time (seconds) from a file, or None when absent; a bad one is a problem."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ImportProblem(f"{file}: {where} is not a time in seconds.")
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise ImportProblem(f"{file}: {where} is not a time that can be shown ({value}).") from None


def capped_title(title: str) -> str:
    """One line, at most TITLE_CAP characters."""
    line = " ".join(title.split())
    return line if len(line) <= TITLE_CAP else line[: TITLE_CAP - 1] + "…"


def checked(item: Imported, file: Path, where: str) -> Imported:
    """`item` with its messages in an order the store takes (each parent before its children),
    or an ImportProblem when a parent is missing, the parents form a cycle, an id repeats, or an
    attachment's bytes are missing or do not match it."""
    renamed = {m.id: new_id() for m in item.messages if not _ID.fullmatch(m.id)}
    if renamed:  # an id no listing could show or a user type: a new one, references follow
        item = replace(
            item,
            messages=[
                replace(
                    m,
                    id=renamed.get(m.id, m.id),
                    parent_id=None
                    if m.parent_id is None
                    else renamed.get(m.parent_id, m.parent_id),
                )
                for m in item.messages
            ],
        )
        leaf = item.conversation.active_leaf_id
        item.conversation.active_leaf_id = renamed.get(leaf, leaf) if leaf is not None else None
    if not _ID.fullmatch(item.conversation.id):
        item = replace(item, conversation=replace(item.conversation, id=new_id()))
    by_id: dict[str, StoredMessage] = {}
    for message in item.messages:
        if message.id in by_id:
            raise ImportProblem(f"{file}: {where}: message id {message.id!r} appears twice.")
        by_id[message.id] = message
    for message in item.messages:
        if message.parent_id is not None and message.parent_id not in by_id:
            raise ImportProblem(
                f"{file}: {where}: message {message.id!r} answers {message.parent_id!r}, "
                "which is not in the file."
            )
        for part in message.parts:
            if isinstance(part, AttachmentPart):
                data = item.attachments.get(part.id)
                if data is None or hashlib.sha256(data).hexdigest() != part.id:
                    raise ImportProblem(
                        f"{file}: {where}: the bytes of attachment {part.id[:12]!r} are missing "
                        "or do not match it."
                    )
    ordered: list[StoredMessage] = []
    placed: set[str] = set()
    for message in item.messages:  # parents first, else the input order
        chain: list[StoredMessage] = []
        in_chain: set[str] = set()
        current: StoredMessage | None = message
        while current is not None and current.id not in placed:
            if current.id in in_chain:
                raise ImportProblem(f"{file}: {where}: the messages' parents form a loop.")
            chain.append(current)
            in_chain.add(current.id)
            current = by_id[current.parent_id] if current.parent_id is not None else None
        for link in reversed(chain):
            placed.add(link.id)
            ordered.append(link)
    conversation = replace(item.conversation, title=capped_title(item.conversation.title))
    if conversation.active_leaf_id not in by_id:
        conversation.active_leaf_id = ordered[-1].id if ordered else None
    return Imported(conversation, ordered, item.attachments)


def store_all(
    store: HistoryStore, items: Sequence[Imported], *, skip_existing: bool = False
) -> ImportSummary:
    """Store every conversation (each in one transaction); see `HistoryStore.import_conversation`."""
    conversations = messages = skipped = 0
    for item in items:
        stored = store.import_conversation(
            item.conversation,
            item.messages,
            attachments=item.attachments,
            skip_existing=skip_existing,
        )
        if stored is None:
            skipped += 1
            continue
        conversations += 1
        messages += len(item.messages)
    return ImportSummary(conversations, messages, skipped)


def derived_id(source: str, source_id: str) -> str:
    """A stable id for a conversation or message of another client: importing the same file
    again finds it taken and skips it instead of adding it twice."""
    return hashlib.sha256(f"{source}\0{source_id}".encode()).hexdigest()[:32]


def read_limited(file: Path) -> bytes:
    """The file's bytes, refusing one that is not a regular file or is too large."""
    try:
        info = file.stat()
    except FileNotFoundError:
        raise ImportProblem(f"{file} is not a file: there is nothing at that path.") from None
    except OSError as error:
        raise ImportProblem(f"{file} could not be read: {error.strerror or error}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImportProblem(f"{file} is not a file: it is a folder.")
    if not stat.S_ISREG(info.st_mode):
        raise ImportProblem(f"{file} is not a file (a pipe, a device or a socket).")
    if info.st_size > MAX_FILE_BYTES:
        raise ImportProblem(f"{file} is larger than {MAX_FILE_BYTES >> 20} MB.")
    try:
        return file.read_bytes()
    except OSError as error:
        raise ImportProblem(f"{file} could not be read: {error.strerror or error}.") from None
