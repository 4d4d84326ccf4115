"""Tool calls the fake servers answer with, in each wire shape real servers use.

`Behaviour.tool_calls` holds `FakeToolCall`s; `Behaviour.tool_style` says how an OpenAI-style
stream carries them and `Behaviour.tool_chunk` how finely the arguments are cut (1: one SSE event
per character, which for ASCII arguments is one per byte):

- "openai": the first delta of a call has `index`, `id`, `type` and `function.name` with empty
  arguments, then one delta per argument piece (what api.openai.com sends);
- "whole": each call whole in one delta, with its `index` (Mistral, Groq, vLLM at times);
- "ollama": every call whole in one delta, no `index`, and `finish_reason: "stop"` (Ollama);
- "same_index": like "openai" but every call under `index` 0, told apart only by its id (LiteLLM
  in front of Ollama).

An Anthropic stream sends each call as a `tool_use` block: `content_block_start` (id, name,
`input: {}`), an empty `input_json_delta`, the argument pieces, `content_block_stop`; with
`tool_style="whole"` the parsed input sits in the block's start and no fragment follows (some
gateways). Arguments are sent exactly as given, so invalid JSON reaches the client as such.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

ToolStyle = Literal["openai", "whole", "ollama", "same_index"]


@dataclass(frozen=True)
class FakeToolCall:
    """One call the fake model makes; `arguments` is the JSON text it writes (valid or not)."""

    name: str
    arguments: str = "{}"
    id: str | None = None  # default: call_<n> (OpenAI) / toolu_<n> (Anthropic)


def pieces(arguments: str, chunk: int) -> list[str]:
    """The argument fragments: `chunk` characters each, or the whole text (0)."""
    if not arguments:
        return []
    if chunk <= 0:
        return [arguments]
    return [arguments[i : i + chunk] for i in range(0, len(arguments), chunk)]


def openai_id(call: FakeToolCall, index: int) -> str:
    return call.id or f"call_{index}"


def anthropic_id(call: FakeToolCall, index: int) -> str:
    return call.id or f"toolu_{index}"


def openai_deltas(calls: tuple[FakeToolCall, ...], style: ToolStyle, chunk: int) -> list[Any]:
    """The `delta.tool_calls` lists of an OpenAI stream, one per chunk to send."""
    if style == "ollama":
        return [
            [
                {
                    "id": openai_id(call, n),
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for n, call in enumerate(calls)
            ]
        ]
    deltas: list[Any] = []
    for n, call in enumerate(calls):
        index = 0 if style == "same_index" else n
        head = {"index": index, "id": openai_id(call, n), "type": "function"}
        if style == "whole":
            deltas.append([{**head, "function": {"name": call.name, "arguments": call.arguments}}])
            continue
        deltas.append([{**head, "function": {"name": call.name, "arguments": ""}}])
        deltas.extend(
            [{"index": index, "function": {"arguments": piece}}]
            for piece in pieces(call.arguments, chunk)
        )
    return deltas


def openai_message_calls(calls: tuple[FakeToolCall, ...]) -> list[dict[str, Any]]:
    """`message.tool_calls` of a whole (non-streamed) answer."""
    return [
        {
            "id": openai_id(call, n),
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments},
        }
        for n, call in enumerate(calls)
    ]


def parsed_input(arguments: str) -> Any:
    """The input object of a whole tool_use block (invalid JSON: its text, as a string field)."""
    try:
        return json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return {"_raw": arguments}


def anthropic_block(call: FakeToolCall, n: int, *, whole: bool) -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": anthropic_id(call, n),
        "name": call.name,
        "input": parsed_input(call.arguments) if whole else {},
    }
