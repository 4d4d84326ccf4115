"""OpenAI Chat Completions driver: `POST {base}/chat/completions` with `stream: true`, parsed into
neutral events. Speaks to OpenAI, OpenRouter, Vercel AI Gateway, Groq, Ollama, LM Studio, vLLM,
llama.cpp, LiteLLM and the rest of the OpenAI-compatible family.

Wire quirks handled: role-only first delta, `reasoning` / `reasoning_content` deltas, keep-alive
comments, a usage chunk with `choices: []` or `choices: [{"delta": {}}]`, an `error` object in the
middle of the stream (OpenRouter), and servers that ignore `stream: true` and answer one JSON document.

Tool calls (`choices[0].delta.tool_calls[]`): OpenAI sends `index`, `id` and `function.name` in a
call's first delta and the arguments in fragments after it. Also read: a whole call in one delta
(Ollama), deltas without `index` (Ollama: each delta that names a call is a new call, one that does
not continues the last), several calls under one `index` told apart by their ids (LiteLLM in front
of Ollama), arguments as a JSON object instead of a string, the old `function_call` delta, and an
answer that ends with `finish_reason: "stop"` although it holds calls (Ollama, Gemini, gpt-4o at
times): an answer with calls always finishes as `tool_use` (`raw_reason` keeps the server's word).
Mistral models get the 9-character tool call ids they insist on (`mistral_id`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from craft_tui.providers.error_mapping import (
    ErrorContext,
    error_from_stream_payload,
    malformed_event_error,
    provider_ended_with_error,
    stream_cut_error,
)
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.http import HttpDriver
from craft_tui.providers.limits import AnswerLimit
from craft_tui.providers.openai_content import wire_messages, with_cache_breakpoints
from craft_tui.providers.prompt_cache import openrouter_caches
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

if TYPE_CHECKING:
    from craft_tui.config.schema import Connection

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "eos": "stop",
    "end_turn": "stop",
    "length": "length",
    "max_tokens": "length",
    "content_filter": "content_filter",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
}


# Mistral's API (and Mistral chat templates on vLLM or llama.cpp, and OpenRouter routing to Mistral)
# refuses a tool call id that is not 9 letters or digits: "Tool call id was call_0 but must be
# a-z, A-Z, 0-9, with a length of 9." Ids made by another server (after a model switch) or by us
# are mapped for these models.
_MISTRAL_ID = re.compile(r"[A-Za-z0-9]{9}")
_MISTRAL_MODELS = re.compile(
    r"mistral|mixtral|ministral|devstral|magistral|codestral|pixtral", re.I
)
_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def mistral_id(call_id: str) -> str:
    """`call_id` as 9 letters and digits: kept when it already is, else derived from its hash
    (the same id maps the same way in every request, so a call and its result still pair)."""
    if _MISTRAL_ID.fullmatch(call_id):
        return call_id
    number = int.from_bytes(hashlib.sha256(call_id.encode("utf-8")).digest()[:8], "big")
    digits = []
    for _ in range(9):
        number, rest = divmod(number, len(_ALPHANUMERIC))
        digits.append(_ALPHANUMERIC[rest])
    return "".join(digits)


def _with_mistral_ids(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.get("role") == "tool":
            message = {**message, "tool_call_id": mistral_id(message["tool_call_id"])}
        elif message.get("tool_calls"):
            calls = [{**call, "id": mistral_id(call["id"])} for call in message["tool_calls"]]
            message = {**message, "tool_calls": calls}
        out.append(message)
    return out


# Fields only some OpenAI-compatible servers accept; longest first so `reasoning_effort` wins.
_OPTIONAL_FIELDS = (
    "max_completion_tokens",
    "reasoning_effort",
    "stream_options",
    "reasoning",
    "usage",
)


def routing_fields(connection: Connection) -> dict[str, Any]:
    """The connection's provider-routing preferences in its gateway's documented shape:
    OpenRouter's `provider` object, Vercel AI Gateway's `providerOptions.gateway`; nothing for
    other servers (schema.Connection refuses routing for them) or when none are set."""
    routing = connection.routing
    if routing is None:
        return {}
    preferences = routing.model_dump(exclude_none=True)
    service = connection.routing_service
    if not preferences or service is None:
        return {}
    if service == "openrouter":
        return {"provider": preferences}
    return {"providerOptions": {"gateway": preferences}}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_usage(raw: dict[str, Any]) -> Usage:
    """OpenAI usage, with cached and reasoning token details and OpenRouter's `cost` in USD.

    Cache reads are `prompt_tokens_details.cached_tokens`; cache writes (OpenRouter, for models
    that bill them) `prompt_tokens_details.cache_write_tokens`; `prompt_tokens` counts both."""
    prompt_details = raw.get("prompt_tokens_details")
    completion_details = raw.get("completion_tokens_details")
    cost = raw.get("cost")
    details = prompt_details if isinstance(prompt_details, dict) else {}
    return Usage(
        input_tokens=_int(raw.get("prompt_tokens")),
        output_tokens=_int(raw.get("completion_tokens")),
        cached_tokens=_int(details.get("cached_tokens")),
        cache_write_tokens=_int(details.get("cache_write_tokens")),
        reasoning_tokens=_int(completion_details.get("reasoning_tokens"))
        if isinstance(completion_details, dict)
        else None,
        cost_usd=float(cost)
        if isinstance(cost, int | float) and not isinstance(cost, bool)
        else None,
    )


# `ModelInfo.extra` keys of a listed model's cache prices, USD per million tokens as text
# (OpenRouter's `pricing.input_cache_read` / `input_cache_write`); read by `chat/cost.py`.
CACHE_READ_PRICE = "cache_read_price"
CACHE_WRITE_PRICE = "cache_write_price"


def listed_cache_prices(extra: Mapping[str, str]) -> tuple[float | None, float | None]:
    """The cache-read and cache-write prices (USD per million) a model list gave a model, as
    `model_info_from_item` kept them in its `extra`; None where it gave none."""
    prices: list[float | None] = []
    for key in (CACHE_READ_PRICE, CACHE_WRITE_PRICE):
        try:
            value = float(extra[key])
        except (KeyError, TypeError, ValueError):
            value = None
        prices.append(value if value is not None and 0 <= value < float("inf") else None)
    return prices[0], prices[1]


def _price_per_million(value: Any) -> float | None:
    """OpenRouter prices are USD per token as strings; -1 means "varies" (its auto router)."""
    try:
        per_token = float(value)
    except (TypeError, ValueError):
        return None
    if per_token < 0:
        return None
    return round(per_token * 1_000_000, 6)


def model_info_from_item(item: dict[str, Any]) -> ModelInfo | None:
    """One model-list entry in any known shape (OpenAI, OpenRouter, Anthropic, vLLM, llama.cpp)."""
    model_id = item.get("id") or item.get("model") or item.get("name")
    if not isinstance(model_id, str) or not model_id.strip():
        return None
    meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
    top = item.get("top_provider") if isinstance(item.get("top_provider"), dict) else {}
    context = next(
        (
            value
            for value in (
                _int(item.get("context_length")),
                _int(item.get("context_window")),
                _int(item.get("max_model_len")),
                _int(item.get("max_context_length")),
                _int(meta.get("n_ctx_train")) if meta else None,
                _int(top.get("context_length")) if top else None,
            )
            if value
        ),
        None,
    )
    pricing = item.get("pricing") if isinstance(item.get("pricing"), dict) else {}
    name = item.get("display_name") or item.get("name")
    extra = {
        key: str(item[key]) for key in ("owned_by", "created_at") if isinstance(item.get(key), str)
    }
    supported = item.get("supported_parameters")  # OpenRouter: what the model's endpoints take
    if isinstance(supported, list):
        extra["tools"] = "yes" if "tools" in supported else "no"
    architecture = item.get("architecture")  # OpenRouter: what the model takes in
    modalities = architecture.get("input_modalities") if isinstance(architecture, dict) else None
    if isinstance(modalities, list):
        extra["vision"] = "yes" if "image" in modalities else "no"
    for key, field in (
        ("input_cache_read", CACHE_READ_PRICE),
        ("input_cache_write", CACHE_WRITE_PRICE),
    ):
        cache_price = _price_per_million(pricing.get(key)) if pricing else None
        if cache_price is not None:  # OpenRouter: what its providers bill cache reads and writes
            extra[field] = repr(cache_price)
    return ModelInfo(
        id=model_id.strip(),
        name=name if isinstance(name, str) and name != model_id else None,
        context_window=context,
        input_price=_price_per_million(pricing.get("prompt")) if pricing else None,
        output_price=_price_per_million(pricing.get("completion")) if pricing else None,
        extra=extra,
    )


def parse_model_list(payload: Any) -> list[ModelInfo]:
    """The `data` array, plus ids found only in an Ollama/llama.cpp-style `models` array beside it."""
    if isinstance(payload, list):
        payload = {"data": payload}
    if not isinstance(payload, dict) or not (
        isinstance(payload.get("data"), list) or isinstance(payload.get("models"), list)
    ):
        raise ProviderError(
            ErrorKind.MALFORMED,
            "The server's model list has neither a `data` nor a `models` array.",
            "Check that the base URL and protocol of this connection are right.",
        )
    models: list[ModelInfo] = []
    seen: set[str] = set()
    for key in ("data", "models"):
        for item in payload.get(key) or []:
            info = model_info_from_item(item) if isinstance(item, dict) else None
            if info is not None and info.id not in seen:
                seen.add(info.id)
                models.append(info)
    return models


def _text(value: Any) -> str:
    """A string field of a tool-call delta; an object (some proxies send parsed arguments) as its
    JSON text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


class _StreamParser:
    """Turns Chat Completions chunks into neutral events, remembering how the answer ended."""

    def __init__(self, ctx: ErrorContext, limit: AnswerLimit | None = None) -> None:
        self.ctx = ctx
        self.done = False
        self.arrived = False  # set by the streaming loop once text or reasoning was handed over
        self.finish_reason: str | None = None
        self.tools = ToolCalls(limit)
        self._by_index: dict[int, ToolCall] = {}  # the call each wire `index` continues

    def feed(self, event: Event) -> list[StreamEvent]:
        data = event.data
        if len(data) < 64 and data.strip() == "[DONE]":  # no copy of a multi-megabyte event
            self.done = True
            return self.tools.finish()
        try:
            chunk = json.loads(data)
        except ValueError:
            raise malformed_event_error(self.ctx, data, arrived=self.arrived) from None
        if not isinstance(chunk, dict):
            raise malformed_event_error(self.ctx, data, arrived=self.arrived)
        if chunk.get("error") or event.event == "error":
            raise error_from_stream_payload(chunk, self.ctx)
        out: list[StreamEvent] = []
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or choice.get("message") or {}
            if isinstance(delta, dict):
                reasoning = delta.get("reasoning") or delta.get("reasoning_content")
                if isinstance(reasoning, str) and reasoning:
                    out.append(ReasoningDelta(reasoning))
                content = delta.get("content")
                if isinstance(content, str) and content:
                    out.append(TextDelta(content))
                calls = delta.get("tool_calls")
                if isinstance(calls, list):
                    for piece in calls:
                        if isinstance(piece, dict):
                            out.extend(self._tool_piece(piece))
                elif isinstance(delta.get("function_call"), dict):  # the pre-tools API
                    out.extend(self._tool_piece({"index": 0, "function": delta["function_call"]}))
            reason = choice.get("finish_reason")
            if isinstance(reason, str):
                self.finish_reason = reason
                if reason and reason != "error":  # a failed answer hands over no call
                    out.extend(self.tools.finish())  # no call grows after the answer ended
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            out.append(parse_usage(usage))
        return out

    def _tool_piece(self, piece: dict[str, Any]) -> list[StreamEvent]:
        """One entry of `delta.tool_calls`: a new call, or more of one already begun."""
        raw_function = piece.get("function")
        function: dict[str, Any] = raw_function if isinstance(raw_function, dict) else {}
        call_id = _text(piece.get("id"))
        name = _text(function.get("name"))
        arguments = _text(function.get("arguments"))
        index = piece.get("index")
        if isinstance(index, int) and not isinstance(index, bool):
            call = self._by_index.get(index)
            if call is None or call.closed or (call_id and call.id and call_id != call.id):
                call, events = self.tools.begin(call_id, name)
                self._by_index[index] = call
                return events + self.tools.update(call, arguments=arguments)
        else:
            call = self.tools.last
            if call is None or call.closed or ((call_id or name) and call_id != call.id):
                call, events = self.tools.begin(call_id, name)
                return events + self.tools.update(call, arguments=arguments)
        return self.tools.update(call, call_id=call_id, name=name, arguments=arguments)

    def finish(self) -> Finish:
        if self.finish_reason == "error":
            raise provider_ended_with_error(self.ctx, arrived=self.arrived)
        if self.finish_reason is None and not self.done:
            raise stream_cut_error(
                self.ctx, "it never said the answer was complete", arrived=self.arrived
            )
        reason = self.finish_reason or "stop"
        if self.tools:
            return Finish("tool_use", reason)
        return Finish(_FINISH.get(reason, "other"), reason)


def wire_tools(tools: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    """The `tools` array: one `function` entry per offered tool (an empty description is left
    out: it is optional, and says nothing)."""
    wire: list[dict[str, Any]] = []
    for tool in tools:
        function: dict[str, Any] = {"name": tool.name}
        if tool.description:
            function["description"] = tool.description
        function["parameters"] = tool_schema(tool)
        wire.append({"type": "function", "function": function})
    return wire


class OpenAIChat(HttpDriver):
    """The OpenAI Chat Completions protocol bound to one connection."""

    def _host(self) -> str:
        return httpx.URL(self.connection.base_url).host

    def _relaxed_body(
        self, error: ProviderError, body: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """Drop an optional field the server refused by name (Mistral: `stream_options`)."""
        if error.status not in {400, 422} or not error.server_reason:
            return None
        reason = error.server_reason
        for name in _OPTIONAL_FIELDS:
            if name in body and name in reason:
                relaxed = {key: value for key, value in body.items() if key != name}
                if name == "max_completion_tokens":
                    relaxed["max_tokens"] = body[name]
                return relaxed
        return None

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for one streamed answer."""
        messages: list[dict[str, Any]] = []
        system = request.system if request.system is not None else self.connection.system_prompt
        if system:
            messages.append({"role": "system", "content": system})
        messages.extend(wire_messages(request.messages))  # parts → wire: openai_content.py
        host = self._host()
        if host.endswith("mistral.ai") or _MISTRAL_MODELS.search(request.model):
            messages = _with_mistral_ids(messages)
        body: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        entry = self.connection.model(request.model)
        max_tokens = request.max_tokens or (entry.max_tokens if entry else None)
        if max_tokens:
            # api.openai.com's reasoning models refuse `max_tokens`; everyone else knows only it.
            key = "max_completion_tokens" if host == "api.openai.com" else "max_tokens"
            body[key] = max_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if host.endswith("openrouter.ai"):
            body["usage"] = {"include": True}  # OpenRouter's usage accounting: cost in USD
        if request.reasoning_effort:
            if host.endswith("openrouter.ai"):
                body["reasoning"] = {"effort": request.reasoning_effort}
            else:
                body["reasoning_effort"] = request.reasoning_effort
        if request.tools:  # never an empty list: many servers refuse `tools: []`
            body["tools"] = wire_tools(request.tools)
        body.update(routing_fields(self.connection))
        if openrouter_caches(self.connection, request.model):  # OpenRouter's anthropic/ models
            body = with_cache_breakpoints(body, request.model)
        return body

    def _new_parser(self, ctx: ErrorContext, limit: AnswerLimit | None = None) -> _StreamParser:
        return _StreamParser(ctx, limit)

    def _events_from_answer(self, payload: dict[str, Any], ctx: ErrorContext) -> list[StreamEvent]:
        """A complete chat.completion document, read through the chunk parser."""
        parser = _StreamParser(ctx)
        events = parser.feed(Event("message", json.dumps(payload)))
        parser.done = True
        return [*events, *parser.tools.finish(), parser.finish()]

    async def list_models(self) -> list[ModelInfo]:
        """GET {base}/models: ids, and context length and prices where the server lists them."""
        payload = await self._get_json(self.wire.urls.models_url(self.connection.base_url))
        return parse_model_list(payload)
