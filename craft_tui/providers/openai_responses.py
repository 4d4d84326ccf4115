"""OpenAI Responses driver: `POST {base}/responses` with `stream: true`, parsed into neutral events.
Speaks to OpenAI itself (the API its reasoning models are built for) and to the servers that copy
it: vLLM, Ollama, LM Studio, LiteLLM, OpenRouter and Vercel AI Gateway.

Stateless: `store: false`, and every request carries the whole conversation as input items
(responses_content.py), never a `previous_response_id`: the history is ours, and a conversation
may change model, connection or branch between two answers.

The stream is typed events, each named in its `type` (and usually its SSE `event:` line too); there
is no `[DONE]` (one is accepted all the same). Read here:

- `response.output_text.delta` → TextDelta; `response.refusal.delta` too (the model's own words),
  and an answer that refused finishes as `content_filter`;
- `response.reasoning_summary_text.delta` (OpenAI's reasoning summaries) and
  `response.reasoning_text.delta` (the raw reasoning open models served by vLLM or Ollama stream)
  → ReasoningDelta; the parts of a summary are separated by a blank line, as OpenAI shows them;
- the `.done` events of text and summaries, used only when no delta of that part came (some
  servers send only them);
- function calls: `response.output_item.added` with an item of type `function_call` (its `call_id`
  and `name`) → ToolCallStarted; `response.function_call_arguments.delta` fragments, or the whole
  arguments of `.done` / `response.output_item.done` when no fragment came; ToolCallReady when the
  item is done (the call's id is its `call_id`, which the result must name);
- `response.completed` / `response.incomplete` end the answer, with `usage` (`input_tokens` counts
  the cached ones; `output_tokens` the reasoning ones); `incomplete_details.reason` is
  `max_output_tokens` (→ `length`) or `content_filter`;
- `response.failed` (the response's `error`) and `error` events go through the same error mapping
  as every other protocol's errors.

A server that ignores `stream: true` answers one Response object; its `output` items are read the
same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from craft_tui.providers.error_mapping import (
    ErrorContext,
    error_from_stream_payload,
    malformed_event_error,
    provider_ended_with_error,
    stream_cut_error,
)
from craft_tui.providers.errors import ProviderError
from craft_tui.providers.http import HttpDriver
from craft_tui.providers.limits import AnswerLimit
from craft_tui.providers.openai_chat import parse_model_list
from craft_tui.providers.responses_content import wire_input
from craft_tui.providers.sse import Event
from craft_tui.providers.tool_calls import ToolCall, ToolCalls, tool_schema
from craft_tui.providers.types import (
    ChatRequest,
    Finish,
    FinishReason,
    ModelInfo,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolSpec,
    Usage,
)

# OpenAI refuses `max_output_tokens` below 16 ("integer below minimum value"); a smaller cap
# (the connection test asks for 1 token and stops at the first anyway) is raised to it.
MIN_OUTPUT_TOKENS = 16
_INCOMPLETE: dict[str, FinishReason] = {
    "max_output_tokens": "length",
    "max_tokens": "length",
    "content_filter": "content_filter",
}
_PART_SEAM = "\n\n"  # between two parts of a reasoning summary


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_usage(raw: Mapping[str, Any]) -> Usage:
    """Responses usage: input (cached ones included) and output (reasoning ones included) tokens,
    and a gateway's own `cost` in USD where it reports one (OpenRouter)."""
    input_details = raw.get("input_tokens_details")
    output_details = raw.get("output_tokens_details")
    cost = raw.get("cost")
    return Usage(
        input_tokens=_int(raw.get("input_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        cached_tokens=_int(input_details.get("cached_tokens"))
        if isinstance(input_details, dict)
        else None,
        reasoning_tokens=_int(output_details.get("reasoning_tokens"))
        if isinstance(output_details, dict)
        else None,
        cost_usd=float(cost)
        if isinstance(cost, int | float) and not isinstance(cost, bool)
        else None,
    )


def _arguments(value: Any) -> str:
    """A call's arguments as JSON text (a server that sends them parsed gets them re-encoded)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _joined(parts: Any, kind: str) -> str:
    """The texts of the `kind` parts of a list (an item's `content` or `summary`), in order."""
    if not isinstance(parts, list):
        return ""
    texts = [
        str(part.get("text") or part.get("refusal") or "")
        for part in parts
        if isinstance(part, dict) and part.get("type") == kind
    ]
    return _PART_SEAM.join(text for text in texts if text)


def failure(response: Any, ctx: ErrorContext, *, arrived: bool = False) -> ProviderError:
    """A failed Response (`response.failed`, or `status: "failed"`): its `error` through the
    error mapping; without one, the plain "ended with an error"."""
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and (error.get("message") or error.get("code")):
        return error_from_stream_payload(response, ctx)
    return provider_ended_with_error(ctx, arrived=arrived)


class _Output:
    """What the output items of a whole Response hold, as events (a non-streamed answer, or a
    stream that carried nothing but its `response.completed`)."""

    def __init__(self, tools: ToolCalls) -> None:
        self.tools = tools
        self.refused = False

    def events(self, output: Any) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for item in output if isinstance(output, list) else []:
            if not isinstance(item, dict):
                continue
            kind = item.get("type")
            if kind == "reasoning":
                text = _joined(item.get("summary"), "summary_text") or _joined(
                    item.get("content"), "reasoning_text"
                )
                if text:
                    events.append(ReasoningDelta(text))
            elif kind == "message":
                text = _joined(item.get("content"), "output_text")
                refusal = _joined(item.get("content"), "refusal")
                if text:
                    events.append(TextDelta(text))
                if refusal:
                    self.refused = True
                    events.append(TextDelta(refusal))
            elif kind == "function_call":
                call, started = self.tools.begin(_str(item.get("call_id")), _str(item.get("name")))
                events.extend(started)
                events.extend(self.tools.update(call, arguments=_arguments(item.get("arguments"))))
                events.extend(self.tools.close(call))
        return events


def _finish(response: Mapping[str, Any], tools: ToolCalls, refused: bool) -> Finish:
    """How an answer ended, in our words, from its final Response object."""
    status = _str(response.get("status")) or "completed"
    reason = status
    ours: FinishReason = "stop" if status == "completed" else "other"
    if status == "incomplete":
        details = response.get("incomplete_details")
        reason = _str(details.get("reason")) if isinstance(details, dict) else ""
        reason = reason or "incomplete"
        ours = _INCOMPLETE.get(reason, "other")
    if tools and ours == "stop":
        return Finish("tool_use", reason)
    if refused and ours == "stop":
        return Finish("content_filter", "refusal")
    return Finish(ours, reason)


class _StreamParser:
    """Turns Responses stream events into neutral events, remembering how the answer ended."""

    def __init__(self, ctx: ErrorContext, limit: AnswerLimit | None = None) -> None:
        self.ctx = ctx
        self.done = False
        self.arrived = False  # set by the streaming loop once text or reasoning was handed over
        self.tools = ToolCalls(limit)
        self.refused = False
        self.response: dict[str, Any] | None = None  # the final Response (completed/incomplete)
        self._anything = False  # any text, reasoning or call came as its own event
        self._delta_parts: set[tuple[str, Any, Any]] = set()  # parts that streamed deltas
        self._reasoning_part: tuple[Any, Any] | None = None  # the summary part last streamed
        self._calls: dict[str, ToolCall] = {}  # open function_call items by item id
        self._by_output: dict[Any, ToolCall] = {}  # …and by output_index

    def feed(self, event: Event) -> list[StreamEvent]:
        data = event.data
        if len(data) < 64 and data.strip() == "[DONE]":  # not OpenAI's, but some servers add it
            self.done = True
            return self.tools.finish()
        try:
            chunk = json.loads(data)
        except ValueError:
            raise malformed_event_error(self.ctx, data, arrived=self.arrived) from None
        if not isinstance(chunk, dict):
            raise malformed_event_error(self.ctx, data, arrived=self.arrived)
        kind = chunk.get("type") or event.event
        if kind in {"error", "response.error"} or event.event == "error":
            raise error_from_stream_payload(chunk, self.ctx)
        if kind == "response.failed":
            raise failure(chunk.get("response"), self.ctx, arrived=self.arrived)
        if kind == "response.output_text.delta":
            return self._text(chunk, "text")
        if kind == "response.refusal.delta":
            self.refused = True
            return self._text(chunk, "refusal")
        if kind in {"response.output_text.done", "response.refusal.done"}:
            field = "text" if kind == "response.output_text.done" else "refusal"
            return self._text_done(chunk, field)
        if kind in {"response.reasoning_summary_text.delta", "response.reasoning_text.delta"}:
            return self._reasoning(chunk, _str(chunk.get("delta")))
        if kind in {"response.reasoning_summary_text.done", "response.reasoning_text.done"}:
            key = self._reasoning_key(chunk)
            if ("reasoning", *key) in self._delta_parts:
                return []
            return self._reasoning(chunk, _str(chunk.get("text")), done=True)
        if kind == "response.output_item.added":
            return self._item_added(chunk)
        if kind == "response.function_call_arguments.delta":
            call = self._call_for(chunk)
            return self.tools.update(call, arguments=_arguments(chunk.get("delta")))
        if kind == "response.function_call_arguments.done":
            call = self._call_for(chunk)
            if not call.fragments:
                return self.tools.update(call, arguments=_arguments(chunk.get("arguments")))
            return []
        if kind == "response.output_item.done":
            return self._item_done(chunk)
        if kind in {"response.completed", "response.incomplete"}:
            return self._completed(chunk.get("response"))
        return []  # response.created, in_progress, content_part.*, annotations, future events

    # -- text and reasoning ----------------------------------------------------------------------

    def _text(self, chunk: dict[str, Any], field: str) -> list[StreamEvent]:
        delta = _str(chunk.get("delta"))
        if not delta:
            return []
        self._anything = True
        self._delta_parts.add((field, chunk.get("item_id"), chunk.get("content_index")))
        return [TextDelta(delta)]

    def _text_done(self, chunk: dict[str, Any], field: str) -> list[StreamEvent]:
        if (field, chunk.get("item_id"), chunk.get("content_index")) in self._delta_parts:
            return []
        text = _str(chunk.get(field))
        if not text:
            return []
        self._anything = True
        return [TextDelta(text)]

    @staticmethod
    def _reasoning_key(chunk: dict[str, Any]) -> tuple[Any, Any]:
        return chunk.get("item_id"), chunk.get("summary_index", chunk.get("content_index"))

    def _reasoning(
        self, chunk: dict[str, Any], text: str, *, done: bool = False
    ) -> list[StreamEvent]:
        if not text:
            return []
        key = self._reasoning_key(chunk)
        if not done:
            self._delta_parts.add(("reasoning", *key))
        if self._reasoning_part is not None and self._reasoning_part != key:
            text = _PART_SEAM + text  # a new part of the summary (or a new reasoning item)
        self._reasoning_part = key
        self._anything = True
        return [ReasoningDelta(text)]

    # -- function calls --------------------------------------------------------------------------

    def _item_added(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        item = chunk.get("item")
        if not isinstance(item, dict) or item.get("type") != "function_call":
            return []
        self._anything = True
        call, events = self.tools.begin(_str(item.get("call_id")), _str(item.get("name")))
        self._remember(call, item.get("id"), chunk.get("output_index"))
        given = _arguments(item.get("arguments"))
        if given:  # a server that puts the whole call in its first event
            events += self.tools.update(call, arguments=given)
        return events

    def _remember(self, call: ToolCall, item_id: Any, output_index: Any) -> None:
        if isinstance(item_id, str) and item_id:
            self._calls[item_id] = call
        if output_index is not None:
            self._by_output[output_index] = call

    def _call_for(self, chunk: dict[str, Any]) -> ToolCall:
        """The call an arguments event continues: by its item id, else its output index; a call
        whose `output_item.added` never came is begun here (its name may come with its end)."""
        item_id = chunk.get("item_id")
        call = self._calls.get(item_id) if isinstance(item_id, str) else None
        if call is None:
            call = self._by_output.get(chunk.get("output_index"))
        if call is None or call.closed:
            call, _ = self.tools.begin()
            self._remember(call, item_id, chunk.get("output_index"))
        return call

    def _item_done(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        item = chunk.get("item")
        if not isinstance(item, dict) or item.get("type") != "function_call":
            return []
        known = item.get("id") in self._calls or chunk.get("output_index") in self._by_output
        if not known:
            self._anything = True
            call, events = self.tools.begin(_str(item.get("call_id")), _str(item.get("name")))
        else:
            call = self._call_for({"item_id": item.get("id"), **chunk})
            events = self.tools.update(
                call, call_id=_str(item.get("call_id")), name=_str(item.get("name"))
            )
        if not call.fragments:
            events += self.tools.update(call, arguments=_arguments(item.get("arguments")))
        self._calls.pop(_str(item.get("id")), None)
        self._by_output.pop(chunk.get("output_index"), None)
        return events + self.tools.close(call)

    # -- the end ---------------------------------------------------------------------------------

    def _completed(self, response: Any) -> list[StreamEvent]:
        self.done = True
        self.response = response if isinstance(response, dict) else {}
        events: list[StreamEvent] = []
        if not self._anything:  # nothing streamed on its own: the output is the answer
            output = _Output(self.tools)
            events.extend(output.events(self.response.get("output")))
            self.refused = self.refused or output.refused
        events.extend(self.tools.finish())
        usage = self.response.get("usage")
        if isinstance(usage, dict):
            events.append(parse_usage(usage))
        return events

    def finish(self) -> Finish:
        if not self.done:
            raise stream_cut_error(
                self.ctx, "it never said the answer was complete", arrived=self.arrived
            )
        if self.response is None:  # ended by a `[DONE]` alone
            return Finish("tool_use" if self.tools else "stop", None)
        return _finish(self.response, self.tools, self.refused)


def wire_tools(tools: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    """The `tools` array: one `function` entry per offered tool, flat (not nested under
    `function` as in Chat Completions). `strict: false`, because the Responses API defaults to
    strict schemas, which refuse most MCP tools' schemas (every property required, no extra
    ones)."""
    wire: list[dict[str, Any]] = []
    for tool in tools:
        entry: dict[str, Any] = {"type": "function", "name": tool.name}
        if tool.description:
            entry["description"] = tool.description
        entry["parameters"] = tool_schema(tool)
        entry["strict"] = False
        wire.append(entry)
    return wire


class OpenAIResponses(HttpDriver):
    """The OpenAI Responses protocol bound to one connection."""

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for one streamed, stateless answer."""
        body: dict[str, Any] = {
            "model": request.model,
            "input": wire_input(request.messages),  # parts → items: responses_content.py
            "stream": True,
            "store": False,
        }
        system = request.system if request.system is not None else self.connection.system_prompt
        if system:
            body["instructions"] = system
        entry = self.connection.model(request.model)
        max_tokens = request.max_tokens or (entry.max_tokens if entry else None)
        if max_tokens:
            body["max_output_tokens"] = max(MIN_OUTPUT_TOKENS, max_tokens)
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.reasoning_effort:
            # `summary: "auto"` asks for the reasoning summaries the screen shows as thinking.
            body["reasoning"] = {"effort": request.reasoning_effort, "summary": "auto"}
        if request.tools:  # never an empty list
            body["tools"] = wire_tools(request.tools)
        return body

    def _relaxed_body(
        self, error: ProviderError, body: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """Drop what we add on our own when a server refuses it by name: reasoning summaries
        (OpenAI wants a verified organisation for them), `store` (a strict copy of the API)."""
        if error.status not in {400, 422} or not error.server_reason:
            return None
        reason = error.server_reason.lower()
        reasoning = body.get("reasoning")
        if "summar" in reason and isinstance(reasoning, dict) and "summary" in reasoning:
            kept = {key: value for key, value in reasoning.items() if key != "summary"}
            return {**body, "reasoning": kept}
        if "store" in reason and "store" in body:
            return {key: value for key, value in body.items() if key != "store"}
        return None

    def _new_parser(self, ctx: ErrorContext, limit: AnswerLimit | None = None) -> _StreamParser:
        return _StreamParser(ctx, limit)

    def _events_from_answer(self, payload: dict[str, Any], ctx: ErrorContext) -> list[StreamEvent]:
        """A complete Response object (a server that ignored `stream: true`)."""
        if payload.get("status") == "failed":
            raise failure(payload, ctx)
        tools = ToolCalls()
        output = _Output(tools)
        events = output.events(payload.get("output"))
        events.extend(tools.finish())
        usage = payload.get("usage")
        if isinstance(usage, dict):
            events.append(parse_usage(usage))
        events.append(_finish(payload, tools, output.refused))
        return events

    async def list_models(self) -> list[ModelInfo]:
        """GET {base}/models, as for Chat Completions (OpenAI and its copies list them there)."""
        payload = await self._get_json(self.wire.urls.models_url(self.connection.base_url))
        return parse_model_list(payload)
