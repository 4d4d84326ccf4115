"""OpenAI Responses framing: every stream, split at every byte offset (and byte by byte), parses to
the same answer — text, reasoning summary, tool calls, usage and finish — like the other two
protocols' streams in test_sse_framing.py. Also the shapes other Responses servers send: no
`event:` lines, text only in `.done` events, a call without its `output_item.added`, a
`[DONE]` after the end, an answer only in `response.completed`, summaries in several parts."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from craft_tui.providers import openai_responses
from craft_tui.providers.content import ToolCallPart
from craft_tui.providers.error_mapping import ErrorContext
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver
from craft_tui.providers.sse import iter_events
from craft_tui.providers.types import (
    Finish,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallReady,
    ToolCallStarted,
    Usage,
)
from tests.providers.conftest import KEY, ask, collect, connection_for
from tests.servers import FakeLLMServer, FakeToolCall, FakeUsage

REPLY = "Héllo wörld 👋 — ünïcode"
THINKING = "thïnk 🤔"
CALLS = (
    FakeToolCall("clock", '{"tz":"Asia/Tōkyō"}', id="call_a"),
    FakeToolCall("ping", "", id="call_b"),
)
USAGE = FakeUsage(input_tokens=100, output_tokens=20, cached_tokens=64, reasoning_tokens=7)

Summary = tuple[str, str, list[StreamEvent], list[Usage], Finish]


async def _parts(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def _parse(chunks: list[bytes]) -> list[StreamEvent]:
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=_parts(chunks)
    )
    ctx = ErrorContext(protocol="openai-responses", base_url="http://127.0.0.1:1")  # type: ignore[arg-type]
    parser = openai_responses._StreamParser(ctx)
    events: list[StreamEvent] = []
    async for event in iter_events(response):
        events.extend(parser.feed(event))
        if parser.done:
            break
    events.append(parser.finish())
    return events


def _summary(events: list[StreamEvent]) -> Summary:
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    calls = [e for e in events if isinstance(e, ToolCallStarted | ToolCallReady)]
    usage = [e for e in events if isinstance(e, Usage)]
    finish = events[-1]
    assert isinstance(finish, Finish)
    return text, reasoning, calls, usage, finish


def _recorded(**switches: object) -> bytes:
    switches = {"reply": REPLY, "reasoning": THINKING, **switches}
    with FakeLLMServer(protocol="openai-responses", **switches) as server:
        return httpx.post(server.root_url + "/v1/responses", json={"stream": True}).content


async def _assert_every_split(raw: bytes, expected: Summary) -> None:
    assert _summary(await _parse([raw])) == expected
    for offset in range(len(raw) + 1):
        assert _summary(await _parse([raw[:offset], raw[offset:]])) == expected, offset
    byte_by_byte = [raw[i : i + 1] for i in range(len(raw))]
    assert _summary(await _parse(byte_by_byte)) == expected


EXPECTED_CALLS: list[StreamEvent] = [
    ToolCallStarted(0, "call_a", "clock"),
    ToolCallReady(0, ToolCallPart("call_a", "clock", '{"tz":"Asia/Tōkyō"}')),
    ToolCallStarted(1, "call_b", "ping"),
    ToolCallReady(1, ToolCallPart("call_b", "ping", "{}")),
]


@pytest.mark.parametrize("crlf", [False, True])
async def test_recorded_text_and_reasoning_survive_every_split(crlf: bool) -> None:
    raw = _recorded(crlf=crlf, keepalive=True, chunk_size=5, usage=USAGE)
    usage = Usage(input_tokens=100, output_tokens=20, cached_tokens=64, reasoning_tokens=7)
    await _assert_every_split(raw, (REPLY, THINKING, [], [usage], Finish("stop", "completed")))


async def test_recorded_tool_calls_split_at_every_byte_arrive_whole() -> None:
    """Arguments one character per event (a multi-byte character among them), a call without
    arguments, and the stream cut at every byte: the same two calls, in order."""
    raw = _recorded(reply="", reasoning="", tool_calls=CALLS, tool_chunk=1, chunk_size=5)
    usage = Usage(input_tokens=12, output_tokens=0, cached_tokens=0, reasoning_tokens=0)
    await _assert_every_split(
        raw, ("", "", EXPECTED_CALLS, [usage], Finish("tool_use", "completed"))
    )


HANDMADE = (
    # No `event:` lines (the type is in the data), CRLF and a lone CR, comments, a multi-line
    # data field, two summary parts, text only in a `.done` event, a call whose `added` never
    # came and whose name arrives with its end, and a `[DONE]` after the end.
    b": keep-alive\r\n\r\n"
    b'data: {"type":"response.created","response":{"id":"r","status":"in_progress"}}\n\n'
    b'data: {"type":"response.reasoning_summary_text.delta","item_id":"rs","output_index":0,'
    b'"summary_index":0,"delta":"th\xc3\xafnk"}\r\r'
    b'data: {"type":"response.reasoning_summary_text.delta","item_id":"rs","output_index":0,\n'
    b'data: "summary_index":1,"delta":"again"}\n\n'
    b'data: {"type":"response.reasoning_summary_text.done","item_id":"rs","output_index":0,'
    b'"summary_index":1,"text":"again"}\n\n'
    b'data: {"type":"response.output_text.done","item_id":"m","output_index":1,'
    b'"content_index":0,"text":"H\xc3\xa9llo \xf0\x9f\x91\x8b"}\n\n'
    b'data: {"type":"response.function_call_arguments.delta","item_id":"fc","output_index":2,'
    b'"delta":"{\\"n\\":"}\n\n'
    b'data: {"type":"response.function_call_arguments.delta","item_id":"fc","output_index":2,'
    b'"delta":"1}"}\n\n'
    b'data: {"type":"response.output_item.done","output_index":2,"item":{"id":"fc",'
    b'"type":"function_call","call_id":"call_z","name":"count","arguments":"{\\"n\\":1}"}}\n\n'
    b'data: {"type":"response.some_future_event","x":1}\n\n'
    b'data: {"type":"response.completed","response":{"id":"r","status":"completed",'
    b'"usage":{"input_tokens":5,"output_tokens":3}}}\n\n'
    b"data: [DONE]\n\n"
)


async def test_handmade_stream_of_other_servers_survives_every_split() -> None:
    calls: list[StreamEvent] = [
        ToolCallStarted(0, "call_z", "count"),
        ToolCallReady(0, ToolCallPart("call_z", "count", '{"n":1}')),
    ]
    expected: Summary = (
        "Héllo 👋",
        "thïnk\n\nagain",
        calls,
        [Usage(input_tokens=5, output_tokens=3)],
        Finish("tool_use", "completed"),
    )
    await _assert_every_split(HANDMADE, expected)


async def test_an_answer_only_in_response_completed_is_read_from_its_output() -> None:
    raw = (
        b'event: response.completed\ndata: {"type":"response.completed","response":{'
        b'"status":"completed","output":['
        b'{"type":"reasoning","summary":[{"type":"summary_text","text":"a"},'
        b'{"type":"summary_text","text":"b"}]},'
        b'{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hi"}]},'
        b'{"type":"function_call","call_id":"c1","name":"clock","arguments":"{}"}],'
        b'"usage":{"input_tokens":2,"output_tokens":1}}}\n\n'
    )
    text, reasoning, calls, _, finish = _summary(await _parse([raw]))
    assert (text, reasoning, finish) == ("Hi", "a\n\nb", Finish("tool_use", "completed"))
    assert calls[-1] == ToolCallReady(0, ToolCallPart("c1", "clock", "{}"))


async def test_a_refusal_is_shown_and_finishes_as_content_filter() -> None:
    raw = (
        b'data: {"type":"response.refusal.delta","item_id":"m","content_index":0,'
        b'"delta":"I can\'t help with that."}\n\n'
        b'data: {"type":"response.refusal.done","item_id":"m","content_index":0,'
        b'"refusal":"I can\'t help with that."}\n\n'
        b'data: {"type":"response.completed","response":{"status":"completed"}}\n\n'
    )
    text, _, _, _, finish = _summary(await _parse([raw]))
    assert text == "I can't help with that."
    assert finish == Finish("content_filter", "refusal")


async def test_a_stream_that_ends_without_its_completed_event_is_cut() -> None:
    raw = (
        b'data: {"type":"response.output_text.delta","item_id":"m","content_index":0,'
        b'"delta":"half"}\n\n'
    )
    with pytest.raises(ProviderError) as caught:
        await _parse([raw])
    assert caught.value.kind is ErrorKind.STREAM_CUT
    assert "never said the answer was complete" in caught.value.message


async def test_a_failed_response_without_an_error_object_still_fails() -> None:
    raw = b'data: {"type":"response.failed","response":{"status":"failed","error":null}}\n\n'
    with pytest.raises(ProviderError) as caught:
        await _parse([raw])
    assert caught.value.kind is ErrorKind.STREAM_CUT
    assert caught.value.message == "The provider ended the answer with an error."


async def test_tool_calls_written_in_tiny_pieces_over_a_real_socket() -> None:
    with FakeLLMServer(
        protocol="openai-responses",
        reply=REPLY,
        reasoning=THINKING,
        tool_calls=CALLS,
        tool_chunk=2,
        split_bytes=3,
        crlf=True,
    ) as server:
        driver = make_driver(
            connection_for(server, protocol="openai-responses", base_url=server.base_url), KEY
        )
        events = await collect(driver, ask())
        await driver.aclose()
    text, reasoning, calls, _, finish = _summary(events)
    assert (text, reasoning, calls) == (REPLY, THINKING, EXPECTED_CALLS)
    assert finish == Finish("tool_use", "completed")


@pytest.mark.parametrize(
    ("raw", "kind", "status"),
    [
        (
            b'event: error\ndata: {"type":"error","code":"invalid_image_format",'
            b'"message":"The image format is not supported.","param":null}\n\n',
            ErrorKind.INVALID_REQUEST,
            400,
        ),
        (
            b'data: {"type":"error","error":{"type":"insufficient_quota",'
            b'"code":"insufficient_quota","message":"You exceeded your current quota."}}\n\n',
            ErrorKind.BILLING,
            429,
        ),
        (
            b'data: {"type":"response.failed","response":{"status":"failed","error":'
            b'{"code":"rate_limit_exceeded","message":"Rate limit reached."}}}\n\n',
            ErrorKind.RATE_LIMITED,
            429,
        ),
    ],
    ids=["input-code", "nested-error", "failed-rate-limit"],
)
async def test_error_codes_of_the_stream_get_their_kind(
    raw: bytes, kind: ErrorKind, status: int
) -> None:
    """A stream's 200 says nothing of the failure; the event's code says what the status
    would have been, and the error is phrased from that."""
    with pytest.raises(ProviderError) as caught:
        await _parse([raw])
    assert (caught.value.kind, caught.value.status) == (kind, status)
    assert caught.value.message.startswith("The answer stopped with an error from the server")
