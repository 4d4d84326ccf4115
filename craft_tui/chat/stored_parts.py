"""How a message's parts are laid out in `history.db`, and read back.

The text and the reasoning of a message live where they always did, in `messages.text` and
`messages.reasoning`, as the concatenations of its text and reasoning parts: search and the
history list stay one `LIKE` over one column, and the partial save of a streaming answer stays
one small `UPDATE`. A message that is nothing more than that (at most one unsigned reasoning
part, then at most one text part: every message written before parts existed, and every plain
answer) has no other rows.

Any other message also has one `message_parts` row per part, in order (`seq`):

- text / reasoning: `text_len` characters, taken in turn from `messages.text` /
  `messages.reasoning` (so no text is stored twice); a reasoning part's signature or encrypted
  data goes in `meta`;
- attachment: `attachment_id` (the SHA-256 of the bytes, which are stored once in
  `attachments`), its media type and name in `meta`, and for an image the pixels that were
  sent (`width`, `height`: the transcript shows them on reopen without reading the bytes; a
  row written before they were kept has none, and older readers ignore them);
- tool_call: `body` is the arguments as the model wrote them, `meta` holds id and name;
- tool_result: `body` is the result text, `meta` holds the call id, the tool name, is_error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from craft_tui.providers.content import (
    AttachmentPart,
    Part,
    Parts,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

# (seq, kind, text_len, body, meta, attachment_id)
PartRow = tuple[int, str, int, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class LoadedRow:
    """One `message_parts` row as read, with its attachment's size (NULL for other kinds)."""

    kind: str
    text_len: int
    body: str | None
    meta: str | None
    attachment_id: str | None
    size: int | None


def _meta(**fields: Any) -> str | None:
    kept = {key: value for key, value in fields.items() if value is not None}
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":")) if kept else None


def rows_for(parts: Sequence[Part]) -> list[PartRow]:
    """The rows that describe `parts` (for a message that is not plain, see `is_plain`)."""
    rows: list[PartRow] = []
    for seq, part in enumerate(parts):
        match part:
            case TextPart(text=text):
                rows.append((seq, "text", len(text), None, None, None))
            case ReasoningPart(text=text, signature=signature, encrypted=encrypted):
                meta = _meta(signature=signature, encrypted=encrypted)
                rows.append((seq, "reasoning", len(text), None, meta, None))
            case AttachmentPart():
                from craft_tui.chat.attachments import sent_dimensions  # only with attachments

                shape = sent_dimensions(part)
                meta = _meta(
                    media_type=part.media_type,
                    name=part.name,
                    width=shape[0] if shape else None,
                    height=shape[1] if shape else None,
                )
                rows.append((seq, "attachment", 0, None, meta, part.id))
            case ToolCallPart(id=call_id, name=name, arguments=arguments):
                rows.append((seq, "tool_call", 0, arguments, _meta(id=call_id, name=name), None))
            case ToolResultPart(call_id=call_id, text=text, is_error=is_error, name=name):
                meta = _meta(call_id=call_id, name=name, is_error=is_error or None)
                rows.append((seq, "tool_result", 0, text, meta, None))
    return rows


def _dimensions(meta: dict[str, Any]) -> tuple[int, int] | None:
    """An image part's stored pixels, when its row has them (a hand-edited row may not)."""
    width, height = meta.get("width"), meta.get("height")
    if type(width) is int and type(height) is int and width > 0 and height > 0:
        return width, height
    return None


def attachments_in(parts: Iterable[Part]) -> list[AttachmentPart]:
    """The attachments whose bytes come with the parts (a new prompt's), to store once each."""
    return [p for p in parts if isinstance(p, AttachmentPart) and p.data is not None]


def parts_from(rows: Sequence[LoadedRow], text: str, reasoning: str) -> Parts:
    """The parts a message's rows describe, their text cut from the message's two columns.

    Should the spans not add up to a column (a file edited by hand), what is left over becomes a
    last text or reasoning part: no stored text is ever dropped.
    """
    parts: list[Part] = []
    text_at = reasoning_at = 0
    for row in rows:
        meta: dict[str, Any] = json.loads(row.meta) if row.meta else {}
        if row.kind == "text":
            parts.append(TextPart(text[text_at : text_at + row.text_len]))
            text_at += row.text_len
        elif row.kind == "reasoning":
            piece = reasoning[reasoning_at : reasoning_at + row.text_len]
            reasoning_at += row.text_len
            parts.append(ReasoningPart(piece, meta.get("signature"), meta.get("encrypted")))
        elif row.kind == "attachment" and row.attachment_id is not None:
            shape = _dimensions(meta)
            if shape is not None:
                from craft_tui.chat.attachments import remember_dimensions  # (not at start-up)

                remember_dimensions(row.attachment_id, shape)
            parts.append(
                AttachmentPart(
                    row.attachment_id,
                    str(meta.get("media_type", "application/octet-stream")),
                    row.size or 0,
                    meta.get("name"),
                )
            )
        elif row.kind == "tool_call":
            parts.append(
                ToolCallPart(str(meta.get("id", "")), str(meta.get("name", "")), row.body or "")
            )
        elif row.kind == "tool_result":
            parts.append(
                ToolResultPart(
                    str(meta.get("call_id", "")),
                    row.body or "",
                    bool(meta.get("is_error", False)),
                    meta.get("name"),
                )
            )
    if reasoning_at < len(reasoning):
        parts.append(ReasoningPart(reasoning[reasoning_at:]))
    if text_at < len(text):
        parts.append(TextPart(text[text_at:]))
    return tuple(parts)
