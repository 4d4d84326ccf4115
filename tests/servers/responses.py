"""The fake server's OpenAI Responses endpoint (`POST /v1/responses`): the events OpenAI streams, in
the order it streams them, with the same `Behaviour` switches as the other two endpoints.

A streamed answer is `response.created`, `response.in_progress`, then one output item after
another — a `reasoning` item (its summary as `response.reasoning_summary_text.delta`), a `message`
item (`response.output_text.delta`), a `function_call` item per `Behaviour.tool_calls`
(`response.function_call_arguments.delta` fragments of `tool_chunk` characters, then `.done`) —
each framed by `response.output_item.added` / `.done` (and content parts by
`response.content_part.added` / `.done`), and last `response.completed` with the whole Response and
its usage, or `response.incomplete` when `finish_reason` says the answer was cut. Every event has
an `event:` line and a `sequence_number`; there is no `[DONE]`.

Switches honoured: reply, reasoning, chunk_size, first_token_delay, delay, stall_after, cut_after,
malformed_after, midstream_error (a key of `MIDSTREAM`: a Responses `error` event or a
`response.failed`), error (HTTP errors, as for the others), finish_reason (`length` /
`max_output_tokens` / `content_filter`: `response.incomplete`), usage, keepalive, crlf,
split_bytes, json_response (one Response object), echo (the last user input item's text),
tool_calls / tool_chunk / tool_style (`whole`: each call's arguments only in its
`output_item.added`, no fragments), error_if_tools, reject_fields, tools_until_results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.servers.bodies import ERRORS
from tests.servers.tool_calls import FakeToolCall, openai_id, pieces

if TYPE_CHECKING:
    from tests.servers.fake import Behaviour, RecordedRequest, _Handler

RESPONSE_ID = "resp_fake"

# Errors a Responses stream reports after it began: (SSE event name, payload).
MIDSTREAM: dict[str, tuple[str, dict[str, Any]]] = {
    # An `error` event: code, message and param at the top (OpenAI's ResponseErrorEvent).
    "responses_overloaded": (
        "error",
        {
            "type": "error",
            "code": "server_error",
            "message": "The model is overloaded. Please try again later.",
            "param": None,
        },
    ),
    "responses_rate_limited": (
        "error",
        {
            "type": "error",
            "code": "rate_limit_exceeded",
            "message": "Rate limit reached for gpt-5 on tokens per min (TPM).",
            "param": None,
        },
    ),
    # A `response.failed`: the failed Response, its `error` naming code and message.
    "responses_failed": (
        "response.failed",
        {
            "type": "response.failed",
            "response": {
                "id": RESPONSE_ID,
                "object": "response",
                "status": "failed",
                "error": {
                    "code": "server_error",
                    "message": "The server had an error while processing your request.",
                },
                "incomplete_details": None,
                "output": [],
                "usage": None,
            },
        },
    ),
    "responses_failed_context": (
        "response.failed",
        {
            "type": "response.failed",
            "response": {
                "id": RESPONSE_ID,
                "object": "response",
                "status": "failed",
                "error": {
                    "code": "context_length_exceeded",
                    "message": "Your input exceeds the context window of this model.",
                },
                "output": [],
            },
        },
    ),
}
_INCOMPLETE = {
    "length": "max_output_tokens",
    "max_output_tokens": "max_output_tokens",
    "content_filter": "content_filter",
}


def ends_with_tool_results(body: Any) -> bool:
    """The request's last input item is a `function_call_output`."""
    items = body.get("input") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items or not isinstance(items[-1], dict):
        return False
    return items[-1].get("type") == "function_call_output"


def echoed(body: Any) -> str:
    """The text of the last user message among the input items (`echo`)."""
    items = body.get("input") if isinstance(body, dict) else None
    if isinstance(items, str):
        return items
    for item in reversed(items if isinstance(items, list) else []):
        if isinstance(item, dict) and item.get("role") == "user":
            content = item.get("content")
            if isinstance(content, list):
                return "".join(
                    str(part.get("text", "")) for part in content if isinstance(part, dict)
                )
            return str(content)
    return ""


def usage_of(behaviour: Behaviour, pieces_sent: int) -> dict[str, Any] | None:
    """`usage` as OpenAI reports it: details always present (zero when there is nothing)."""
    usage = behaviour.usage
    if usage is None:
        return None
    output = usage.output_tokens if usage.output_tokens is not None else pieces_sent
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens or 0},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens or 0},
        "total_tokens": usage.input_tokens + output,
    }


def _call_item(call: FakeToolCall, n: int, *, arguments: str, status: str) -> dict[str, Any]:
    return {
        "id": f"fc_{n}",
        "type": "function_call",
        "status": status,
        "arguments": arguments,
        "call_id": openai_id(call, n),
        "name": call.name,
    }


class _Writer:
    """One answer's events, numbered, written through the handler (which applies crlf,
    split_bytes and notices a client that hangs up)."""

    def __init__(self, handler: _Handler, behaviour: Behaviour, body: dict[str, Any]) -> None:
        self.handler = handler
        self.behaviour = behaviour
        self.body = body
        self.sequence = 0
        self.output: list[dict[str, Any]] = []

    def event(self, kind: str, **fields: Any) -> None:
        payload = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        self.handler._event(self.behaviour, payload, kind)

    def response(self, status: str, usage: dict[str, Any] | None = None) -> dict[str, Any]:
        incomplete = None
        if status == "incomplete":
            reason = _INCOMPLETE.get(self.behaviour.finish_reason or "", "max_output_tokens")
            incomplete = {"reason": reason}
        return {
            "id": RESPONSE_ID,
            "object": "response",
            "created_at": 1_700_000_000,
            "status": status,
            "error": None,
            "incomplete_details": incomplete,
            "model": self.body.get("model", "fake-small"),
            "output": list(self.output),
            "store": self.body.get("store", True),
            "usage": usage,
        }


def _status(behaviour: Behaviour) -> str:
    return "incomplete" if (behaviour.finish_reason or "") in _INCOMPLETE else "completed"


def answer(handler: _Handler, request: RecordedRequest, behaviour: Behaviour) -> None:
    """Answer one `POST /v1/responses` as `behaviour` says."""
    from tests.servers.fake import _split_text

    error = handler._error_for(behaviour)
    body: dict[str, Any] = request.json if isinstance(request.json, dict) else {}
    if behaviour.error_if_tools and "tools" in body:
        error = ERRORS[behaviour.error_if_tools]
    if error is not None:
        handler._send_error(behaviour, error)
        return
    if handler._rejected_field(request, behaviour):
        return
    text = echoed(body) if behaviour.echo else behaviour.reply
    text_pieces = _split_text(text, behaviour.chunk_size)
    reasoning = _split_text(behaviour.reasoning, behaviour.chunk_size)
    writer = _Writer(handler, behaviour, body)
    status = _status(behaviour)
    usage = usage_of(behaviour, len(text_pieces))
    if behaviour.json_response or body.get("stream") is not True:
        _whole(writer, text, status, usage)
        return
    handler._start_stream()
    if behaviour.keepalive:
        handler._write(behaviour, ": keep-alive\n\n")
    writer.event("response.created", response=writer.response("in_progress"))
    writer.event("response.in_progress", response=writer.response("in_progress"))
    handler._sleep(behaviour.first_token_delay)
    if reasoning:
        _reasoning_item(writer, reasoning)
    if (text_pieces or not behaviour.tool_calls) and not _message_item(writer, text_pieces):
        return  # cut, or ended by an error
    for n, call in enumerate(behaviour.tool_calls):
        _call(writer, call, n)
    kind = "response.completed" if status == "completed" else "response.incomplete"
    writer.event(kind, response=writer.response(status, usage))
    handler._end_stream()


def _whole(writer: _Writer, text: str, status: str, usage: dict[str, Any] | None) -> None:
    behaviour = writer.behaviour
    if behaviour.reasoning:
        writer.output.append(
            {
                "id": "rs_0",
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": behaviour.reasoning}],
            }
        )
    if text or not behaviour.tool_calls:
        writer.output.append(_message(text))
    for n, call in enumerate(behaviour.tool_calls):
        writer.output.append(_call_item(call, n, arguments=call.arguments, status="completed"))
    writer.handler._send_json(200, writer.response(status, usage))


def _message(text: str, status: str = "completed") -> dict[str, Any]:
    return {
        "id": "msg_0",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def _reasoning_item(writer: _Writer, reasoning: list[str]) -> None:
    index = len(writer.output)
    item = {"id": "rs_0", "type": "reasoning", "summary": []}
    writer.event("response.output_item.added", output_index=index, item=item)
    part = {"type": "summary_text", "text": ""}
    where = {"item_id": "rs_0", "output_index": index, "summary_index": 0}
    writer.event("response.reasoning_summary_part.added", **where, part=part)
    for piece in reasoning:
        writer.event("response.reasoning_summary_text.delta", **where, delta=piece)
        writer.handler._sleep(writer.behaviour.delay)
    whole = "".join(reasoning)
    writer.event("response.reasoning_summary_text.done", **where, text=whole)
    done_part = {"type": "summary_text", "text": whole}
    writer.event("response.reasoning_summary_part.done", **where, part=done_part)
    done = {**item, "summary": [done_part]}
    writer.output.append(done)
    writer.event("response.output_item.done", output_index=index, item=done)


def _message_item(writer: _Writer, text_pieces: list[str]) -> bool:
    """The message item with the text deltas and the configured faults; False when the stream
    ended early (cut, error)."""
    handler, behaviour = writer.handler, writer.behaviour
    index = len(writer.output)
    writer.event(
        "response.output_item.added",
        output_index=index,
        item={**_message("", "in_progress"), "content": []},
    )
    where = {"item_id": "msg_0", "output_index": index, "content_index": 0}
    empty = {"type": "output_text", "text": "", "annotations": []}
    writer.event("response.content_part.added", **where, part=empty)
    for sent in range(len(text_pieces) + 1):
        if behaviour.cut_after == sent:
            handler._cut()
            return False
        if behaviour.stall_after == sent:
            handler._sleep(behaviour.stall_seconds)
        if behaviour.malformed_after == sent:
            handler._write(
                behaviour, 'event: response.output_text.delta\ndata: {"type": "response.outp\n\n'
            )
        if behaviour.midstream_error is not None and behaviour.midstream_error_after == sent:
            name, payload = MIDSTREAM[behaviour.midstream_error]
            writer.event(name, **{k: v for k, v in payload.items() if k != "type"})
            handler._end_stream()
            return False
        if sent == len(text_pieces):
            break
        writer.event("response.output_text.delta", **where, delta=text_pieces[sent], logprobs=[])
        if behaviour.keepalive and sent % 3 == 2:
            handler._write(behaviour, ": keep-alive\n\n")
        handler._sleep(behaviour.delay)
    text = "".join(text_pieces)
    writer.event("response.output_text.done", **where, text=text, logprobs=[])
    part = {"type": "output_text", "text": text, "annotations": []}
    writer.event("response.content_part.done", **where, part=part)
    item = _message(text)
    writer.output.append(item)
    writer.event("response.output_item.done", output_index=index, item=item)
    return True


def _call(writer: _Writer, call: FakeToolCall, n: int) -> None:
    behaviour = writer.behaviour
    index = len(writer.output)
    whole = behaviour.tool_style == "whole"
    added = _call_item(call, n, arguments=call.arguments if whole else "", status="in_progress")
    writer.event("response.output_item.added", output_index=index, item=added)
    where = {"item_id": added["id"], "output_index": index}
    if not whole:
        for fragment in pieces(call.arguments, behaviour.tool_chunk):
            writer.event("response.function_call_arguments.delta", **where, delta=fragment)
            writer.handler._sleep(behaviour.delay)
    writer.event("response.function_call_arguments.done", **where, arguments=call.arguments)
    done = _call_item(call, n, arguments=call.arguments, status="completed")
    writer.output.append(done)
    writer.event("response.output_item.done", output_index=index, item=done)
