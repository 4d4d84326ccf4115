"""Conversation content as typed parts: one vocabulary for the chat core, the history and the drivers.

A message is a tuple of parts, in the order they arrived (an answer) or were written (a prompt):

- `TextPart` — what the user wrote or the model answered, exactly as received;
- `ReasoningPart` — the model's visible thinking. Anthropic signs each thinking block
  (`signature`) or hands back an encrypted one (`encrypted`, a `redacted_thinking` block); such a
  block must go back to the server unchanged, so it is kept whole. Unsigned reasoning (every
  OpenAI-compatible server) is for the reader only and is never sent back;
- `AttachmentPart` — an image or a file attached to a prompt, addressed by the SHA-256 of its
  bytes (the history stores each distinct file once);
- `ToolCallPart` — a tool the assistant asked to run, with its arguments as the JSON text the
  model wrote (kept as written, even when it is not valid JSON);
- `ToolResultPart` — what running one call gave back (a message of role "tool").

Why one vocabulary: the history stores these, the request builder sends them and each driver
translates them to its wire format, so a part type added here is a part type everywhere, and
`text_of()` (what `message.text` is) has one definition for the UI, exports and search.

Why an attachment carries its bytes only on request (`data`): a conversation is read whole for
every branch switch; loading every image with it would make a conversation with pictures slow
to browse. The history fills `data` in when a request is built (`HistoryStore.attachment_data`).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from craft_tui.providers.errors import ErrorKind, ProviderError

Role = Literal["user", "assistant", "tool"]

# What each protocol takes as an image block; anything else is sent as a file or refused.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
PDF_TYPE = "application/pdf"
# Files whose bytes are text: sent as a text part with the file's name (both protocols take any
# text; neither takes these as file blocks: OpenAI Chat Completions accepts only PDF files).
_TEXT_APPLICATION_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/javascript",
        "application/x-sh",
        "application/sql",
        "application/x-ndjson",
    }
)

AttachmentKind = Literal["image", "pdf", "text", "other"]


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningPart:
    """Visible thinking; `signature` / `encrypted` make it a block the server wants back as is."""

    text: str
    signature: str | None = None  # Anthropic thinking block's signature
    encrypted: str | None = None  # Anthropic redacted_thinking `data` (no readable text)

    @property
    def replayable(self) -> bool:
        """Sent back to the server that made it (an unsigned block is the reader's only)."""
        return self.signature is not None or self.encrypted is not None


@dataclass(frozen=True, slots=True)
class AttachmentPart:
    """A file attached to a prompt. `id` is the SHA-256 (hex) of its bytes.

    `data` is not part of the identity (two parts with the same id are the same file) and never
    shown in a repr (a log line must not hold a megabyte of base64).
    """

    id: str
    media_type: str
    size: int
    name: str | None = None
    data: bytes | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_bytes(cls, data: bytes, media_type: str, name: str | None = None) -> AttachmentPart:
        return cls(hashlib.sha256(data).hexdigest(), media_type.lower(), len(data), name, data)

    @property
    def kind(self) -> AttachmentKind:
        media = self.media_type.split(";", 1)[0].strip()
        if media in IMAGE_TYPES:
            return "image"
        if media == PDF_TYPE:
            return "pdf"
        if media.startswith("text/") or media in _TEXT_APPLICATION_TYPES or media.endswith("+json"):
            return "text"
        return "other"

    def loaded(self) -> bytes:
        """The bytes, which the request builder loads before a driver sees the part."""
        if self.data is None:
            raise ValueError(f"The bytes of attachment {self.name or self.id} were not loaded.")
        return self.data


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    """One tool call of an answer; `arguments` is the model's JSON text, exactly as it wrote it."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class ToolResultPart:
    """The result of the call `call_id`; `is_error` marks a failed or denied call."""

    call_id: str
    text: str
    is_error: bool = False
    name: str | None = None


Part = TextPart | ReasoningPart | AttachmentPart | ToolCallPart | ToolResultPart
Parts = tuple[Part, ...]

# The seam between two prompts joined into one turn (a failed answer left them side by side).
TURN_JOIN = "\n\n"


def text_of(parts: Iterable[Part]) -> str:
    """The text parts, concatenated: what `message.text` is everywhere (UI, exports, search)."""
    return "".join([p.text for p in parts if isinstance(p, TextPart)])


def reasoning_of(parts: Iterable[Part]) -> str:
    """The reasoning parts' readable text, concatenated (what the reasoning block shows)."""
    return "".join([p.text for p in parts if isinstance(p, ReasoningPart)])


def plain_parts(text: str, reasoning: str = "") -> Parts:
    """The parts of a message that is only reasoning (first) and text: every message before
    content parts existed, and every answer of an OpenAI-compatible server."""
    if reasoning:
        return (ReasoningPart(reasoning), TextPart(text)) if text else (ReasoningPart(reasoning),)
    return (TextPart(text),) if text else ()


def is_plain(parts: Sequence[Part]) -> bool:
    """True when `parts` is what `plain_parts` makes of its own text and reasoning.

    Such content is fully described by two strings; the history stores it as just that.
    """
    if len(parts) > 2:
        return False
    return tuple(parts) == plain_parts(text_of(parts), reasoning_of(parts))


def settled(parts: Sequence[Part], text: str, reasoning: str) -> tuple[Parts, str, str]:
    """The one rule behind `ChatMessage` and `StoredMessage` content: the parts are the content,
    `text` and `reasoning` their concatenations.

    Given only text and reasoning (how every message was made before parts existed), the parts
    are made from them. Given parts and a text or reasoning that differs from theirs (what
    `dataclasses.replace(message, text=...)` does), that text or reasoning replaces theirs.
    """
    if not parts:
        return plain_parts(text, reasoning), text, reasoning
    parts = tuple(parts)
    current_text, current_reasoning = text_of(parts), reasoning_of(parts)
    if text and text != current_text:
        parts, current_text = with_text(parts, text), text
    if reasoning and reasoning != current_reasoning:
        parts, current_reasoning = with_reasoning(parts, reasoning), reasoning
    return parts, current_text, current_reasoning


def with_text(parts: Sequence[Part], text: str) -> Parts:
    """`parts` with its text replaced by `text` (one text part, where the first one was)."""
    return _replaced(parts, TextPart, TextPart(text) if text else None, at_end=True)


def with_reasoning(parts: Sequence[Part], reasoning: str) -> Parts:
    """`parts` with its reasoning replaced by `reasoning` (one unsigned part, where the first
    one was, else first). A signature covers its block's exact text, so none survives an edit."""
    return _replaced(
        parts, ReasoningPart, ReasoningPart(reasoning) if reasoning else None, at_end=False
    )


def _replaced(
    parts: Sequence[Part],
    kind: type[TextPart] | type[ReasoningPart],
    new: Part | None,
    *,
    at_end: bool,
) -> Parts:
    out: list[Part] = []
    placed = new is None
    for part in parts:
        if isinstance(part, kind):
            if not placed and new is not None:
                out.append(new)
                placed = True
            continue
        out.append(part)
    if not placed and new is not None:
        if at_end:
            out.append(new)
        else:
            out.insert(0, new)
    return tuple(out)


def joined_turns(first: Sequence[Part], second: Sequence[Part]) -> Parts:
    """Two prompts as one turn: the parts in order, the texts at the seam joined by a blank line."""
    if first and second and isinstance(first[-1], TextPart) and isinstance(second[0], TextPart):
        seam = TextPart(first[-1].text + TURN_JOIN + second[0].text)
        return (*first[:-1], seam, *second[1:])
    return (*first, *second)


def base64_of(part: AttachmentPart) -> str:
    return base64.b64encode(part.loaded()).decode("ascii")


def data_url(part: AttachmentPart) -> str:
    """`data:<type>;base64,<bytes>`: how OpenAI-compatible servers take images and PDF files."""
    return f"data:{part.media_type};base64,{base64_of(part)}"


def file_as_text(part: AttachmentPart) -> str:
    """A text file as the text part both protocols get: its name, then its content.

    Invalid UTF-8 is replaced (U+FFFD), never a reason to refuse the file.
    """
    name = json.dumps(part.name or "attachment", ensure_ascii=False)
    content = part.loaded().decode("utf-8", errors="replace")
    return f"<file name={name}>\n{content}\n</file>"


def unsendable(part: AttachmentPart, protocol: str) -> ProviderError:
    """The error for a file a protocol has no block for (a zip, a Word file, …)."""
    return ProviderError(
        ErrorKind.INVALID_REQUEST,
        f"{part.name or 'This attachment'} ({part.media_type}) cannot be sent over the "
        f"{protocol} protocol: it takes images, PDF files and text files.",
        "Remove the attachment, or attach it as an image, a PDF or a text file.",
    )


def tool_call_ids(parts: Iterable[Part]) -> list[str]:
    return [p.id for p in parts if isinstance(p, ToolCallPart)]


def without_data(parts: Iterable[Part]) -> Parts:
    """The parts with attachment bytes dropped (what a loaded message holds)."""
    return tuple(replace(p, data=None) if isinstance(p, AttachmentPart) else p for p in parts)
