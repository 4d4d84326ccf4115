"""Neutral messages as OpenAI Responses `input` items, for a stateless request.

The Responses API can keep a conversation on the server (`previous_response_id`, `store: true`);
craft-tui does not use that: the history is ours, a conversation may switch model or connection
between answers, and a branch is a different conversation. So every request carries the whole
conversation as input items, and `store: false` asks the server to keep nothing.

- user: only text → `{"type": "message", "role": "user", "content": "…"}` (the plain-string form
  every Responses server takes); with attachments → a list of content parts: text as
  `input_text`, an image as `input_image` with a `data:` URL (`detail: "auto"`, which the API
  requires to be named), a PDF as `input_file` (`filename` + `file_data` data URL), a text file as
  an `input_text` holding its name and content (as in the other protocols, so the model sees the
  same thing wherever the conversation goes); any other file is refused before anything is sent;
- assistant: its text as a message with a plain-string `content`; reasoning is never sent back (a
  stateless request could only replay it as encrypted content we do not ask for, and summaries
  are for the reader); each tool call as its own `function_call` item (`call_id`, `name`,
  `arguments` exactly as the model wrote them), in the order of the parts. The server's own item
  ids (`fc_…`, `msg_…`) are never sent: with `store: false` there is nothing on the server they
  could refer to, and OpenAI refuses ids it did not store;
- tool: one `function_call_output` item per result (`call_id`, `output`). The protocol has no
  error flag: a failed call's text says what went wrong.
"""

from __future__ import annotations

from typing import Any

from craft_tui.providers.content import (
    AttachmentPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    data_url,
    file_as_text,
    unsendable,
)
from craft_tui.providers.types import ChatMessage

PROTOCOL = "OpenAI Responses"


def _attachment(part: AttachmentPart) -> dict[str, Any]:
    kind = part.kind
    if kind == "image":
        return {"type": "input_image", "image_url": data_url(part), "detail": "auto"}
    if kind == "pdf":
        return {
            "type": "input_file",
            "filename": part.name or "document.pdf",
            "file_data": data_url(part),
        }
    if kind == "text":
        return {"type": "input_text", "text": file_as_text(part)}
    raise unsendable(part, PROTOCOL)


def _user(message: ChatMessage) -> dict[str, Any]:
    if not any(isinstance(p, AttachmentPart) for p in message.parts):
        return {"type": "message", "role": "user", "content": message.text}
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            content.append({"type": "input_text", "text": part.text})
        elif isinstance(part, AttachmentPart):
            content.append(_attachment(part))
    return {"type": "message", "role": "user", "content": content}


def _assistant(message: ChatMessage) -> list[dict[str, Any]]:
    """The answer's items in the order of its parts: its text (adjacent pieces joined into one
    message) and its tool calls, as they came."""
    items: list[dict[str, Any]] = []
    text: list[str] = []

    def flush() -> None:
        joined = "".join(text)
        if joined:
            items.append({"type": "message", "role": "assistant", "content": joined})
        text.clear()

    for part in message.parts:
        if isinstance(part, TextPart):
            text.append(part.text)
        elif isinstance(part, ToolCallPart):
            flush()
            items.append(
                {
                    "type": "function_call",
                    "call_id": part.id,
                    "name": part.name,
                    "arguments": part.arguments,
                }
            )
    flush()
    return items


def wire_input(messages: tuple[ChatMessage, ...]) -> list[dict[str, Any]]:
    """The `input` array for these turns (the system prompt goes in `instructions`, the
    driver's to add)."""
    wire: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "user":
            wire.append(_user(message))
        elif message.role == "assistant":
            wire.extend(_assistant(message))
        else:
            wire.extend(
                {"type": "function_call_output", "call_id": part.call_id, "output": part.text}
                for part in message.parts
                if isinstance(part, ToolResultPart)
            )
    return wire
