"""Anthropic Messages driver: `POST {base}/v1/messages` with `stream: true`, parsed into neutral
events. Speaks to Anthropic itself and to Anthropic-compatible gateways (OpenRouter, Vercel AI
Gateway, LiteLLM, Ollama 0.14+, llama.cpp's server, company proxies).

Translation: the system prompt goes in the top-level `system` field; the turns are translated by
anthropic_content.py (same-role turns joined, tool results as user turns, signed thinking blocks
sent back unchanged). Thinking signatures and redacted thinking blocks are passed on as events so
the chat core can keep them with the answer.

Tool calls: a `tool_use` content block (`content_block_start` with its id and name, the input as
`input_json_delta.partial_json` fragments, `content_block_stop`) becomes `ToolCallStarted` at its
start and `ToolCallReady` at its stop; empty input is `{}`. A gateway that puts the whole input in
the block's start and sends no fragments is read too. Offered tools go as `tools: [{name,
description, input_schema}]`, never as an empty list.

Prompt caching: with the connection's `prompt_cache` on (the default), the body carries
`cache_control` breakpoints where providers/prompt_cache.py puts them; usage reports cache reads
(`cache_read_input_tokens`) and writes (`cache_creation_input_tokens`), both on top of
`input_tokens`.
"""

from __future__ import annotations

import json
from typing import Any

from craft_tui.providers.anthropic_content import wire_messages, with_cache_breakpoints
from craft_tui.providers.error_mapping import (
    ErrorContext,
    error_from_stream_payload,
    malformed_event_error,
    stream_cut_error,
)
from craft_tui.providers.http import HttpDriver
from craft_tui.providers.limits import AnswerLimit
from craft_tui.providers.openai_chat import model_info_from_item, parse_model_list
from craft_tui.providers.sse import Event
from craft_tui.providers.tool_calls import ToolCall, ToolCalls, tool_schema
from craft_tui.providers.types import (
    ChatRequest,
    Finish,
    FinishReason,
    ModelInfo,
    ReasoningDelta,
    ReasoningSignature,
    RedactedReasoning,
    StreamEvent,
    TextDelta,
    ToolSpec,
    Usage,
)

ANTHROPIC_VERSION = "2023-06-01"
_PAGE_LIMIT = 100
_MAX_PAGES = 50
_STOP: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_use",
    "refusal": "content_filter",
}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _thinking_events(block: dict[str, Any]) -> list[StreamEvent]:
    """A thinking or redacted_thinking block as it starts (streamed) or stands (whole answer)."""
    if block.get("type") == "redacted_thinking":
        data = block.get("data")
        return [RedactedReasoning(data)] if isinstance(data, str) and data else []
    events: list[StreamEvent] = []
    if block.get("thinking"):
        events.append(ReasoningDelta(str(block["thinking"])))
    signature = block.get("signature")
    if isinstance(signature, str) and signature:
        events.append(ReasoningSignature(signature))
    return events


def _given_input(block: dict[str, Any]) -> str:
    """A tool_use block's `input` as JSON text; "" for the empty object a streamed start carries."""
    value = block.get("input")
    if value is None or value == {}:
        return ""
    return json.dumps(value, ensure_ascii=False)


def wire_tools(tools: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    """The `tools` array: name, description (left out when empty) and the arguments' JSON Schema
    of each tool."""
    wire: list[dict[str, Any]] = []
    for tool in tools:
        entry: dict[str, Any] = {"name": tool.name}
        if tool.description:
            entry["description"] = tool.description
        entry["input_schema"] = tool_schema(tool)
        wire.append(entry)
    return wire


class _StreamParser:
    """Turns Messages stream events into neutral events, remembering how the answer ended."""

    def __init__(self, ctx: ErrorContext, limit: AnswerLimit | None = None) -> None:
        self.ctx = ctx
        self.done = False
        self.arrived = False  # set by the streaming loop once text or reasoning was handed over
        self.stop_reason: str | None = None
        self.tools = ToolCalls(limit)
        self._blocks: dict[Any, ToolCall] = {}  # open tool_use blocks by their `index`
        self._given: dict[int, str] = {}  # input a block's start carried whole, by call index

    def feed(self, event: Event) -> list[StreamEvent]:
        try:
            data = json.loads(event.data)
        except ValueError:
            raise malformed_event_error(self.ctx, event.data, arrived=self.arrived) from None
        if not isinstance(data, dict):
            raise malformed_event_error(self.ctx, event.data, arrived=self.arrived)
        kind = data.get("type") or event.event
        if kind == "error" or event.event == "error" or isinstance(data.get("error"), dict):
            raise error_from_stream_payload(data, self.ctx)
        if kind == "message_start":
            message = data.get("message")
            usage = message.get("usage") if isinstance(message, dict) else None
            if isinstance(usage, dict):
                return [
                    Usage(
                        input_tokens=_int(usage.get("input_tokens")),
                        cached_tokens=_int(usage.get("cache_read_input_tokens")),
                        cache_write_tokens=_int(usage.get("cache_creation_input_tokens")),
                    )
                ]
        elif kind == "content_block_start":
            block = data.get("content_block")
            if isinstance(block, dict):
                if block.get("type") == "text" and block.get("text"):
                    return [TextDelta(str(block["text"]))]
                if block.get("type") in {"thinking", "redacted_thinking"}:
                    return _thinking_events(block)
                if block.get("type") == "tool_use":
                    call, events = self.tools.begin(
                        str(block.get("id") or ""), str(block.get("name") or "")
                    )
                    self._blocks[data.get("index")] = call
                    given = _given_input(block)
                    if given:
                        self._given[call.index] = given
                    return events
        elif kind == "content_block_delta":
            delta = data.get("delta")
            if isinstance(delta, dict) and delta.get("type") == "input_json_delta":
                open_call = self._blocks.get(data.get("index"))
                fragment = delta.get("partial_json")
                if open_call is None or not isinstance(fragment, str):
                    return []
                self._given.pop(open_call.index, None)  # the fragments are the whole input
                return self.tools.update(open_call, arguments=fragment)
            if isinstance(delta, dict):
                if delta.get("type") == "text_delta" and delta.get("text"):
                    return [TextDelta(str(delta["text"]))]
                if delta.get("type") == "thinking_delta" and delta.get("thinking"):
                    return [ReasoningDelta(str(delta["thinking"]))]
                signature = delta.get("signature")
                if delta.get("type") == "signature_delta" and isinstance(signature, str):
                    return [ReasoningSignature(signature)] if signature else []
        elif kind == "content_block_stop":
            stopped = self._blocks.pop(data.get("index"), None)
            if stopped is not None:
                return self._close(stopped)
        elif kind == "message_delta":
            delta = data.get("delta")
            if isinstance(delta, dict) and isinstance(delta.get("stop_reason"), str):
                self.stop_reason = delta["stop_reason"]
            events = self._finish_calls()  # a block left open ends with the message
            usage = data.get("usage")
            if isinstance(usage, dict):
                events.append(
                    Usage(
                        input_tokens=_int(usage.get("input_tokens")) or None,
                        output_tokens=_int(usage.get("output_tokens")),
                        cached_tokens=_int(usage.get("cache_read_input_tokens")) or None,
                        cache_write_tokens=_int(usage.get("cache_creation_input_tokens")) or None,
                    )
                )
            return events
        elif kind == "message_stop":
            self.done = True
            return self._finish_calls()
        return []  # ping, unknown future events

    def _close(self, call: ToolCall) -> list[StreamEvent]:
        given = self._given.pop(call.index, "")
        events = self.tools.update(call, arguments=given) if given else []
        return events + self.tools.close(call)

    def _finish_calls(self) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for call in list(self._blocks.values()):
            given = self._given.pop(call.index, "")
            if given:
                events.extend(self.tools.update(call, arguments=given))
        self._blocks.clear()
        return events + self.tools.finish()

    def finish(self) -> Finish:
        if not self.done and self.stop_reason is None:
            raise stream_cut_error(
                self.ctx, "it never said the answer was complete", arrived=self.arrived
            )
        reason = self.stop_reason or "end_turn"
        if self.tools:
            return Finish("tool_use", reason)
        return Finish(_STOP.get(reason, "other"), reason)


class AnthropicMessages(HttpDriver):
    """The Anthropic Messages protocol bound to one connection."""

    def _auth_headers(self) -> dict[str, str]:
        """The key (as the registry entry says) after the API version every request must name."""
        headers: dict[str, str] = {}
        if not any(name.lower() == "anthropic-version" for name in self.connection.headers):
            headers["anthropic-version"] = ANTHROPIC_VERSION  # a gateway may need its own
        return {**headers, **super()._auth_headers()}

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for one streamed answer."""
        entry = self.connection.model(request.model)
        max_tokens = (
            request.max_tokens
            or (entry.max_tokens if entry else None)
            or self.connection.max_tokens
        )
        body: dict[str, Any] = {
            "model": request.model,
            "max_tokens": max_tokens,
            "messages": wire_messages(request.messages),
            "stream": True,
        }
        system = request.system if request.system is not None else self.connection.system_prompt
        if system:
            body["system"] = system
        if request.reasoning_budget:
            budget = max(1024, request.reasoning_budget)  # the API's minimum
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
            if max_tokens <= budget:
                body["max_tokens"] = budget + self.connection.max_tokens
        elif request.temperature is not None:
            body["temperature"] = request.temperature  # not allowed together with thinking
        if request.tools:  # never an empty list
            body["tools"] = wire_tools(request.tools)
        if self.connection.prompt_cache:
            body = with_cache_breakpoints(body, request.model)  # prompt_cache.py's rule
        return body

    def _new_parser(self, ctx: ErrorContext, limit: AnswerLimit | None = None) -> _StreamParser:
        return _StreamParser(ctx, limit)

    def _events_from_answer(self, payload: dict[str, Any], ctx: ErrorContext) -> list[StreamEvent]:
        """A complete Messages document: its content blocks, usage and stop reason."""
        events: list[StreamEvent] = []
        tools = ToolCalls()
        for block in payload.get("content") or []:
            if isinstance(block, dict) and block.get("type") in {"thinking", "redacted_thinking"}:
                events.extend(_thinking_events(block))
            elif isinstance(block, dict) and block.get("type") == "text" and block.get("text"):
                events.append(TextDelta(str(block["text"])))
            elif isinstance(block, dict) and block.get("type") == "tool_use":
                call, started = tools.begin(
                    str(block.get("id") or ""), str(block.get("name") or "")
                )
                events.extend(started)
                events.extend(tools.update(call, arguments=_given_input(block)))
                events.extend(tools.close(call))
        usage = payload.get("usage")
        if isinstance(usage, dict):
            events.append(
                Usage(
                    input_tokens=_int(usage.get("input_tokens")),
                    output_tokens=_int(usage.get("output_tokens")),
                    cached_tokens=_int(usage.get("cache_read_input_tokens")),
                    cache_write_tokens=_int(usage.get("cache_creation_input_tokens")),
                )
            )
        reason = payload.get("stop_reason") if isinstance(payload.get("stop_reason"), str) else None
        raw = reason or "end_turn"
        events.append(Finish("tool_use", raw) if tools else Finish(_STOP.get(raw, "other"), raw))
        return events

    async def list_models(self) -> list[ModelInfo]:
        """GET {base}/v1/models, following `has_more` / `last_id` through every page."""
        url = self.wire.urls.models_url(self.connection.base_url)
        models: list[ModelInfo] = []
        seen: set[str] = set()
        after: str | None = None
        for _ in range(_MAX_PAGES):
            params = {"limit": str(_PAGE_LIMIT)}
            if after:
                params["after_id"] = after
            payload = await self._get_json(url, params)
            if not isinstance(payload, dict) or "has_more" not in payload:
                return parse_model_list(payload)  # an OpenAI-shaped list from a gateway
            for item in payload.get("data") or []:
                info = model_info_from_item(item) if isinstance(item, dict) else None
                if info is not None and info.id not in seen:
                    seen.add(info.id)
                    models.append(info)
            last = payload.get("last_id")
            if not payload.get("has_more") or not isinstance(last, str) or last == after:
                break
            after = last
        return models
