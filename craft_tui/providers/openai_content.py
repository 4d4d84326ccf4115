"""Neutral messages as OpenAI Chat Completions `messages` entries.

- user: only text → `content` is a string (what every OpenAI-compatible server takes); with
  attachments → an array of content parts: text as `text`, an image as `image_url` with a
  `data:` URL, a PDF as `file` (`filename` + `file_data` data URL: Chat Completions takes no
  other file type), a text file as a `text` part holding its name and content; any other file is
  refused with a clear error before anything is sent;
- assistant: the text as `content`; reasoning is never sent back (OpenAI-compatible reasoning
  carries no signature, and servers neither need nor accept it as content); tool calls as
  `tool_calls` (`{id, type: "function", function: {name, arguments}}`, the arguments as the
  model wrote them), with `content: null` when the answer had no text;
- tool: one `{"role": "tool", "tool_call_id", "content"}` message per result, as the API wants
  one per call. The protocol has no error flag: a failed call's text says what went wrong.

Consecutive messages of one role are sent as they are: Chat Completions accepts them.

Prompt caching (`with_cache_breakpoints`, for OpenRouter's Anthropic models; the rule in
prompt_cache.py): OpenRouter takes Anthropic's `cache_control` on content parts and passes it
on. A marked message (the system prompt, a prompt, a tool result) has its content sent as parts,
the last one marked. Tools get no mark (a function has no documented place for one); they are
rendered before the system prompt, so its mark, or the first message's, caches them too.
"""

from __future__ import annotations

import json
from typing import Any

from craft_tui.providers.content import (
    AttachmentPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    data_url,
    file_as_text,
    text_of,
    unsendable,
)
from craft_tui.providers.prompt_cache import PromptShape, mark, place
from craft_tui.providers.types import ChatMessage

PROTOCOL = "OpenAI Chat Completions"


def _attachment(part: AttachmentPart) -> dict[str, Any]:
    kind = part.kind
    if kind == "image":
        return {"type": "image_url", "image_url": {"url": data_url(part)}}
    if kind == "pdf":
        return {
            "type": "file",
            "file": {"filename": part.name or "document.pdf", "file_data": data_url(part)},
        }
    if kind == "text":
        return {"type": "text", "text": file_as_text(part)}
    raise unsendable(part, PROTOCOL)


def _user(message: ChatMessage) -> dict[str, Any]:
    if not any(isinstance(p, AttachmentPart) for p in message.parts):
        return {"role": "user", "content": message.text}
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        elif isinstance(part, AttachmentPart):
            content.append(_attachment(part))
    return {"role": "user", "content": content}


def _assistant(message: ChatMessage) -> dict[str, Any]:
    calls = [p for p in message.parts if isinstance(p, ToolCallPart)]
    text = text_of(message.parts)
    wire: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        wire["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in calls
        ]
    return wire


def wire_messages(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """The `messages` array for these turns (the system prompt is the driver's to add)."""
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "user":
            wire.append(_user(message))
        elif message.role == "assistant":
            wire.append(_assistant(message))
        else:
            wire.extend(
                {"role": "tool", "tool_call_id": part.call_id, "content": part.text}
                for part in message.parts
                if isinstance(part, ToolResultPart)
            )
    return wire


def _parts_of(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content.strip() else []
    return [p for p in content if isinstance(p, dict)] if isinstance(content, list) else []


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False))


def with_cache_breakpoints(body: dict[str, Any], model_id: str) -> dict[str, Any]:
    """`body` (a Chat Completions request to OpenRouter) with prompt-cache marks where
    prompt_cache.place puts them; the same body when none fits."""
    messages: list[dict[str, Any]] = list(body.get("messages") or [])
    system = bool(messages) and messages[0].get("role") == "system"
    turns = messages[1:] if system else messages
    tools = body.get("tools")
    shape = PromptShape(
        tools=_size(tools) if tools else None,
        system=_size(messages[0].get("content"))
        if system and _parts_of(messages[0].get("content"))
        else None,
        messages=tuple(_size(m.get("content")) for m in turns),
        roles=tuple(str(m.get("role")) for m in turns),
        markable=tuple(bool(_parts_of(m.get("content"))) for m in turns),
        mark_tools=False,
    )
    where = place(shape, model_id)
    if not where.count:
        return body
    offset = int(system)
    chosen = [index + offset for index in where.messages] + ([0] if where.system else [])
    for index in chosen:
        parts = _parts_of(messages[index].get("content"))
        messages[index] = {**messages[index], "content": [*parts[:-1], mark(parts[-1])]}
    return {**body, "messages": messages}
