"""Neutral messages as Anthropic Messages `messages` entries.

- Roles alternate: the API has only "user" and "assistant" and refuses two turns of one role in
  a row, so a tool turn goes as a user turn of `tool_result` blocks, and consecutive turns of
  one role are joined into one (their blocks in order; a text meeting a text at the seam is
  joined by a blank line, as the chat core joins two prompts). Tool results open their turn,
  as the API requires, because they follow the answer that asked for them.
- A turn that is one text block is sent as a plain string; empty and whitespace-only text
  blocks are left out (the API refuses them), and so is a turn left with nothing.
- A thinking block with a signature goes back exactly as received (`thinking` + `signature`),
  a redacted one as `redacted_thinking` with its `data`: with extended thinking on, the API
  refuses a tool-use turn without them. Unsigned reasoning (another protocol's, or a stream
  cut before the signature) is never sent: the API cannot verify it.
- Attachments: an image as an `image` block (base64 + media type), a PDF as a `document` block
  (base64, titled with its name), a text file as a text block holding its name and content; any
  other file is refused with a clear error before anything is sent.
- Tool calls as `tool_use` blocks whose `input` is the arguments parsed as a JSON object (the
  API needs one; arguments that are not a JSON object go as `{}`, the model wrote them and
  the result will say the call could not run); results as `tool_result` with `is_error` set for
  a failed call. The API takes ids of `[A-Za-z0-9_-]` only; an id another server made (Kimi's
  `functions.get_weather:0`, after a model switch) has every other character replaced by `_`,
  the same way in the call and its result, so the pair still matches.
- Prompt caching (`with_cache_breakpoints`, the rule in prompt_cache.py): a mark goes on the
  system prompt (then sent as one text block), on the last tool, and on the last block of a
  marked turn that is not a thinking block (the API refuses a mark there); a turn sent as a
  plain string becomes one text block to carry it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from craft_tui.providers.content import (
    TURN_JOIN,
    AttachmentPart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    base64_of,
    file_as_text,
    unsendable,
)
from craft_tui.providers.prompt_cache import PromptShape, mark, place
from craft_tui.providers.types import ChatMessage

PROTOCOL = "Anthropic Messages"
_ID_REFUSED = re.compile(r"[^A-Za-z0-9_-]")


def _tool_id(call_id: str) -> str:
    return _ID_REFUSED.sub("_", call_id) or "call"


def _text(text: str) -> dict[str, Any] | None:
    return {"type": "text", "text": text} if text.strip() else None


def _attachment(part: AttachmentPart) -> dict[str, Any] | None:
    kind = part.kind
    if kind == "image":
        source = {"type": "base64", "media_type": part.media_type, "data": base64_of(part)}
        return {"type": "image", "source": source}
    if kind == "pdf":
        source = {"type": "base64", "media_type": part.media_type, "data": base64_of(part)}
        block: dict[str, Any] = {"type": "document", "source": source}
        if part.name:
            block["title"] = part.name
        return block
    if kind == "text":
        return _text(file_as_text(part))
    raise unsendable(part, PROTOCOL)


def _input(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _block(part: Part, role: str) -> dict[str, Any] | None:
    if isinstance(part, TextPart):
        return _text(part.text)
    if isinstance(part, ReasoningPart):
        if role != "assistant":
            return None
        if part.encrypted is not None:
            return {"type": "redacted_thinking", "data": part.encrypted}
        if part.signature is not None:
            return {"type": "thinking", "thinking": part.text, "signature": part.signature}
        return None
    if isinstance(part, AttachmentPart):
        return _attachment(part) if role == "user" else None
    if isinstance(part, ToolCallPart):
        if role != "assistant":
            return None
        return {
            "type": "tool_use",
            "id": _tool_id(part.id),
            "name": part.name,
            "input": _input(part.arguments),
        }
    if isinstance(part, ToolResultPart) and role == "tool":
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": _tool_id(part.call_id)}
        if part.text:
            result["content"] = part.text
        if part.is_error:
            result["is_error"] = True
        return result
    return None


def _joined(first: list[dict[str, Any]], second: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if first and second and first[-1]["type"] == "text" and second[0]["type"] == "text":
        seam = {"type": "text", "text": first[-1]["text"] + TURN_JOIN + second[0]["text"]}
        return [*first[:-1], seam, *second[1:]]
    return [*first, *second]


def wire_messages(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """The `messages` array for these turns, alternating (the system prompt goes on top)."""
    turns: list[tuple[str, list[dict[str, Any]]]] = []
    for message in messages:
        blocks = [b for b in (_block(p, message.role) for p in message.parts) if b is not None]
        if not blocks:
            continue
        role = "assistant" if message.role == "assistant" else "user"
        if turns and turns[-1][0] == role:
            turns[-1] = (role, _joined(turns[-1][1], blocks))
        else:
            turns.append((role, blocks))
    return [
        {
            "role": role,
            "content": blocks[0]["text"]
            if len(blocks) == 1 and blocks[0]["type"] == "text"
            else blocks,
        }
        for role, blocks in turns
    ]


_UNMARKABLE = frozenset({"thinking", "redacted_thinking"})


def _blocks_of(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _markable(content: Any) -> bool:
    return any(b.get("type") not in _UNMARKABLE for b in _blocks_of(content))


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False))


def _marked_turn(message: dict[str, Any]) -> dict[str, Any]:
    blocks = _blocks_of(message.get("content"))
    last = max(i for i, b in enumerate(blocks) if b.get("type") not in _UNMARKABLE)
    blocks[last] = mark(blocks[last])
    return {**message, "content": blocks}


def with_cache_breakpoints(body: dict[str, Any], model_id: str) -> dict[str, Any]:
    """`body` (a Messages request) with prompt-cache marks where prompt_cache.place puts them;
    the same body when none fits (a short conversation: under the model's minimum)."""
    messages: list[dict[str, Any]] = list(body.get("messages") or [])
    tools: list[dict[str, Any]] = list(body.get("tools") or [])
    system = body.get("system")
    shape = PromptShape(
        tools=_size(tools) if tools else None,
        system=_size(system) if system else None,
        messages=tuple(_size(m.get("content")) for m in messages),
        roles=tuple(str(m.get("role")) for m in messages),
        markable=tuple(_markable(m.get("content")) for m in messages),
    )
    where = place(shape, model_id)
    if not where.count:
        return body
    marked = dict(body)
    if where.tools:
        marked["tools"] = [*tools[:-1], mark(tools[-1])]
    if where.system:
        blocks = _blocks_of(system)
        marked["system"] = [*blocks[:-1], mark(blocks[-1])]
    for index in where.messages:
        messages[index] = _marked_turn(messages[index])
    marked["messages"] = messages
    return marked
