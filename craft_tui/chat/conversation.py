"""The provider-neutral conversation: plain dataclasses and the tree walks over them.

A conversation's messages form a tree through `parent_id`: editing a user message and sending it
again, or regenerating an answer, adds a *sibling* instead of overwriting, so nothing is ever lost.
`Conversation.active_leaf_id` names the message the user is looking at; the *active path* is the
walk from that leaf up to the root, reversed (oldest first). That path is what the screen shows
and what the request builder sends.

Nothing here knows SQLite, HTTP or Textual; `history.py` stores these, `session.py` grows them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from craft_tui.providers.content import Parts, plain_parts, settled
from craft_tui.providers.content import Role as Role  # "user", "assistant", "tool"

if TYPE_CHECKING:
    from craft_tui.config.generation import GenerationParams

TITLE_MAX = 60


def utc_now() -> datetime:
    """Timestamps are aware UTC datetimes; the UI converts them for display."""
    return datetime.now(UTC)


@dataclass(slots=True)
class Conversation:
    """One conversation. `connection_slug` + `model` are where the *next* request goes;
    `pinned` ones are listed first in the history."""

    id: str
    title: str
    system_prompt: str | None
    created_at: datetime
    updated_at: datetime
    connection_slug: str | None = None
    model: str | None = None
    active_leaf_id: str | None = None
    pinned: bool = False
    # Its own temperature / max tokens / reasoning effort (None: the settings decide).
    generation: GenerationParams | None = None


@dataclass(slots=True)
class StoredMessage:
    """One user prompt, assistant answer or tool result, with what it cost and how it ended.

    The content is `parts` (providers/content.py): text, reasoning, attachments, tool calls,
    tool results, in order. `text` and `reasoning` are their concatenations, kept so the UI,
    exports and search read a message as before; `StoredMessage(..., text="hi")` still makes a
    one-text-part message (see `settled` for the rule when both are given).

    `finish_reason` is None while an answer streams (or when the app died mid-answer): the text
    holds whatever was saved last. 'cancelled' marks an answer the user stopped, 'error' one that
    failed (`error_kind` / `error_message` say why); partial text is kept in both cases.
    """

    id: str
    conversation_id: str
    parent_id: str | None
    role: Role
    text: str = ""
    reasoning: str = ""
    connection_slug: str | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None
    ttft_s: float | None = None
    tokens_per_s: float | None = None
    finish_reason: str | None = None
    error_kind: str | None = None
    error_message: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    parts: Parts = ()
    # Input tokens the answer wrote to the prompt cache (`Usage.cache_write_tokens`; history v6).
    cache_write_tokens: int | None = None

    def __post_init__(self) -> None:
        if not self.parts:  # plain content (every message read from its two columns): fast
            self.parts = plain_parts(self.text, self.reasoning)
        else:
            self.parts, self.text, self.reasoning = settled(self.parts, self.text, self.reasoning)

    @property
    def streaming(self) -> bool:
        """An assistant answer that has not ended (yet, or ever: the app was killed)."""
        return self.role == "assistant" and self.finish_reason is None

    @property
    def failed(self) -> bool:
        return self.error_kind is not None


def derive_title(text: str, limit: int = TITLE_MAX) -> str:
    """A title from the first prompt: its first non-blank line, whitespace squeezed, cut at a word."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def index_by_id(messages: Iterable[StoredMessage]) -> dict[str, StoredMessage]:
    return {m.id: m for m in messages}


def path_to(messages: Iterable[StoredMessage], leaf_id: str | None) -> list[StoredMessage]:
    """The active path: root … leaf (empty when `leaf_id` is None or unknown)."""
    by_id = index_by_id(messages)
    path: list[StoredMessage] = []
    seen: set[str] = set()
    current = by_id.get(leaf_id) if leaf_id is not None else None
    while current is not None and current.id not in seen:  # `seen` guards a corrupt cycle
        seen.add(current.id)
        path.append(current)
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    path.reverse()
    return path


def children_of(messages: Iterable[StoredMessage], parent_id: str | None) -> list[StoredMessage]:
    """Direct children of `parent_id` (None: the roots), oldest first (input order is kept)."""
    return [m for m in messages if m.parent_id == parent_id]


def siblings(messages: Sequence[StoredMessage], message_id: str) -> list[StoredMessage]:
    """All versions at this point of the tree (the message itself included), oldest first."""
    by_id = index_by_id(messages)
    message = by_id.get(message_id)
    if message is None:
        return []
    return children_of(messages, message.parent_id)


def versions(messages: Iterable[StoredMessage]) -> dict[str, tuple[int, int]]:
    """'Version 2 of 3' for every message that has siblings (edits, regenerations), by id.

    The one rule for what a message's versions are (its siblings, oldest first): the session's
    `siblings` and the chat screen's labels both come from here. A message without siblings is
    left out (it is version 1 of 1).
    """
    children: dict[str | None, list[str]] = {}
    for message in messages:
        children.setdefault(message.parent_id, []).append(message.id)
    return {
        message_id: (which + 1, len(ids))
        for ids in children.values()
        if len(ids) > 1
        for which, message_id in enumerate(ids)
    }


def latest_leaf(messages: Sequence[StoredMessage], start_id: str | None) -> str | None:
    """Follow the newest child from `start_id` down to a leaf (None start: from the newest root).

    Used to pick what to show after a branch switch or a delete. Input must be oldest first.
    """
    children: dict[str | None, list[StoredMessage]] = {}
    for m in messages:
        children.setdefault(m.parent_id, []).append(m)
    current = start_id
    if current is None:
        roots = children.get(None, [])
        if not roots:
            return None
        current = roots[-1].id
    seen: set[str] = set()
    while children.get(current) and current not in seen:
        seen.add(current)
        current = children[current][-1].id
    return current


def generation_to_json(params: GenerationParams | None) -> str | None:
    """The history's text for a conversation's generation parameters; None when it sets none."""
    if params is None or params.empty:
        return None
    values = {
        "temperature": params.temperature,
        "max_tokens": params.max_tokens,
        "reasoning_effort": params.reasoning_effort,
    }
    return json.dumps({key: value for key, value in values.items() if value is not None})


def generation_from_json(text: object) -> GenerationParams | None:
    """Read back what `generation_to_json` wrote. A value that is not what it should be (a hand
    edit, a newer app) is dropped, never an error: the settings decide for it instead."""
    # Imported here: config.generation needs the config schema (pydantic), which the first
    # frame must not wait for (tests/test_startup.py); a conversation without values never asks.
    from craft_tui.config.generation import EFFORTS, GenerationParams

    if not isinstance(text, str):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    temperature = data.get("temperature")
    max_tokens = data.get("max_tokens")
    effort = data.get("reasoning_effort")
    params = GenerationParams(
        temperature=float(temperature)
        if isinstance(temperature, (int, float)) and not isinstance(temperature, bool)
        else None,
        max_tokens=max_tokens
        if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens > 0
        else None,
        reasoning_effort=effort if effort in EFFORTS else None,
    )
    return None if params.empty else params
