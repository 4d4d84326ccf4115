"""Tool calls streamed by both protocols, over real sockets to the loopback fakes (issue 18).

What the chat core relies on: a `ToolCallStarted` per call as soon as its name is known, a
`ToolCallReady` per call with the arguments exactly as the model wrote them, in the calls' order
and before the `Finish`, whose reason is `tool_use` (the server's own word kept). Every wire
shape real servers use is sent by the fakes: fragments, whole calls, no `index`, one `index` for
several calls, arguments cut at every byte, invalid JSON, unknown names, text before the calls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from craft_tui.providers.anthropic_messages import AnthropicMessages
from craft_tui.providers.content import ToolCallPart
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.http import HttpDriver
from craft_tui.providers.openai_chat import OpenAIChat
from craft_tui.providers.sse import Event
from craft_tui.providers.types import (
    Finish,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCallReady,
    ToolCallStarted,
)
from tests.providers.conftest import KEY, ask, collect, connection_for, text_of
from tests.servers import FakeLLMServer, FakeToolCall
from tests.servers.fixtures import ServerFactory

WEATHER = FakeToolCall("weather", '{"city": "Oslo", "unit": "celsius"}', id="call_w")
CLOCK = FakeToolCall("clock", "{}", id="call_c")
SEARCH = FakeToolCall("search", '{"q": "smørbrød ☕", "limit": 3}', id="call_s")
THREE = (WEATHER, CLOCK, SEARCH)


def driver_for(server: FakeLLMServer) -> HttpDriver:
    connection = connection_for(server)
    if server.protocol == "openai":
        return OpenAIChat(connection, KEY)
    return AnthropicMessages(connection, KEY)


async def answer(server: FakeLLMServer, **fields: Any) -> list[StreamEvent]:
    driver = driver_for(server)
    try:
        return await collect(driver, ask(**fields))
    finally:
        await driver.aclose()


def ready(events: list[StreamEvent]) -> list[ToolCallPart]:
    return [e.call for e in events if isinstance(e, ToolCallReady)]


def assert_call_order(events: list[StreamEvent], count: int) -> None:
    """Started before Ready for each call, Ready in index order, everything before the Finish."""
    started = [i for i, e in enumerate(events) if isinstance(e, ToolCallStarted)]
    done = [i for i, e in enumerate(events) if isinstance(e, ToolCallReady)]
    assert len(started) == len(done) == count
    assert [events[i].index for i in started] == list(range(count))  # type: ignore[union-attr]
    assert [events[i].index for i in done] == list(range(count))  # type: ignore[union-attr]
    for s, d in zip(started, done, strict=True):
        assert s < d
    assert isinstance(events[-1], Finish)
    assert max(done) < len(events) - 1


def expected(calls: tuple[FakeToolCall, ...]) -> list[ToolCallPart]:
    return [ToolCallPart(c.id or "", c.name, c.arguments) for c in calls]


@pytest.fixture(params=["openai", "anthropic"])
def server(request: pytest.FixtureRequest, fake_server: ServerFactory) -> FakeLLMServer:
    return fake_server(protocol=request.param, reply="")


async def test_one_call_with_arguments_cut_at_every_byte(server: FakeLLMServer) -> None:
    server.configure(tool_calls=(WEATHER,), tool_chunk=1)
    events = await answer(server)
    assert ready(events) == expected((WEATHER,))
    assert_call_order(events, 1)
    assert [e for e in events if isinstance(e, ToolCallStarted)] == [
        ToolCallStarted(0, "call_w", "weather")
    ]
    raw = "tool_calls" if server.protocol == "openai" else "tool_use"
    assert events[-1] == Finish("tool_use", raw)
    assert text_of(events) == ""


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_started_comes_with_the_first_piece_and_ready_only_at_the_end(protocol: str) -> None:
    """The UI can say "calling weather…" while the arguments still stream."""
    with FakeLLMServer(protocol=protocol) as server:  # only for a connection; no request
        driver = driver_for(server)
    parser = driver._new_parser(driver._context("fake-small"))
    if protocol == "openai":
        first = {"index": 0, "id": "call_w", "type": "function"}
        events = [
            {"tool_calls": [{**first, "function": {"name": "weather", "arguments": ""}}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]},
            {"tool_calls": [{"index": 0, "function": {"arguments": '"Oslo"}'}}]},
        ]
        wire = [
            Event("message", json.dumps({"choices": [{"index": 0, "delta": delta}]}))
            for delta in events
        ]
        end = [
            Event(
                "message",
                json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
            ),
            Event("message", "[DONE]"),
        ]
    else:
        block = {"type": "tool_use", "id": "call_w", "name": "weather", "input": {}}
        wire = [
            Event(
                "content_block_start",
                json.dumps({"type": "content_block_start", "index": 0, "content_block": block}),
            ),
            Event(
                "content_block_delta",
                json.dumps(
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "input_json_delta", "partial_json": '{"city": '},
                    }
                ),
            ),
            Event(
                "content_block_delta",
                json.dumps(
                    {
                        "type": "content_block_delta",
                        "index": 0,
                        "delta": {"type": "input_json_delta", "partial_json": '"Oslo"}'},
                    }
                ),
            ),
        ]
        end = [
            Event("content_block_stop", json.dumps({"type": "content_block_stop", "index": 0})),
            Event(
                "message_delta",
                json.dumps({"type": "message_delta", "delta": {"stop_reason": "tool_use"}}),
            ),
            Event("message_stop", json.dumps({"type": "message_stop"})),
        ]
    assert parser.feed(wire[0]) == [ToolCallStarted(0, "call_w", "weather")]
    assert parser.feed(wire[1]) == [] and parser.feed(wire[2]) == []
    tail = [event for item in end for event in parser.feed(item)]
    assert tail == [ToolCallReady(0, ToolCallPart("call_w", "weather", '{"city": "Oslo"}'))]
    assert parser.finish() == Finish(
        "tool_use", "tool_calls" if protocol == "openai" else "tool_use"
    )


async def test_several_calls_in_order_with_non_ascii_arguments(server: FakeLLMServer) -> None:
    server.configure(tool_calls=THREE, tool_chunk=1)
    events = await answer(server)
    assert ready(events) == expected(THREE)
    assert json.loads(ready(events)[2].arguments) == {"q": "smørbrød ☕", "limit": 3}
    assert_call_order(events, 3)


async def test_text_and_reasoning_before_the_calls_keep_working(server: FakeLLMServer) -> None:
    server.configure(
        reply="Let me check the weather and the time.",
        reasoning="Two tools are needed.",
        tool_calls=(WEATHER, CLOCK),
        tool_chunk=4,
    )
    events = await answer(server)
    assert text_of(events) == "Let me check the weather and the time."
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == (
        "Two tools are needed."
    )
    first_call = next(i for i, e in enumerate(events) if isinstance(e, ToolCallStarted))
    assert all(not isinstance(e, TextDelta) for e in events[first_call:])
    assert ready(events) == expected((WEATHER, CLOCK))
    assert_call_order(events, 2)


async def test_invalid_json_and_unknown_names_are_passed_on_as_written(
    server: FakeLLMServer,
) -> None:
    broken = FakeToolCall("weather", '{"city": "Oslo", "unit":', id="call_b")
    unknown = FakeToolCall("launch_rockets", '{"count": 3}', id="call_u")
    server.configure(tool_calls=(broken, unknown), tool_chunk=3)
    events = await answer(server)
    assert ready(events) == expected((broken, unknown))
    assert_call_order(events, 2)


async def test_a_call_without_arguments_gets_an_empty_object(server: FakeLLMServer) -> None:
    server.configure(tool_calls=(FakeToolCall("clock", "", id="call_e"),))
    events = await answer(server)
    assert ready(events) == [ToolCallPart("call_e", "clock", "{}")]


async def test_whole_answer_documents_carry_calls_too(server: FakeLLMServer) -> None:
    server.configure(reply="Checking.", tool_calls=(WEATHER, CLOCK), json_response=True)
    events = await answer(server)
    assert text_of(events) == "Checking."
    calls = ready(events)
    assert [(c.id, c.name) for c in calls] == [("call_w", "weather"), ("call_c", "clock")]
    assert [json.loads(c.arguments) for c in calls] == [json.loads(WEATHER.arguments), {}]
    assert_call_order(events, 2)
    assert isinstance(events[-1], Finish) and events[-1].reason == "tool_use"


@pytest.mark.parametrize(
    ("style", "raw"),
    [
        ("openai", "tool_calls"),
        ("whole", "tool_calls"),
        ("ollama", "stop"),
        ("same_index", "tool_calls"),
    ],
)
async def test_openai_wire_shapes_of_real_servers(
    fake_server: ServerFactory, style: str, raw: str
) -> None:
    """OpenAI's fragments, a whole call per delta, Ollama's index-less calls ending in "stop",
    and several calls under one index (LiteLLM before Ollama) all give the same calls."""
    server = fake_server(protocol="openai", reply="", tool_calls=THREE, tool_style=style)
    events = await answer(server)
    assert ready(events) == expected(THREE)
    assert_call_order(events, 3)
    assert events[-1] == Finish("tool_use", raw)


async def test_openai_calls_without_ids_get_their_own(fake_server: ServerFactory) -> None:
    calls = (FakeToolCall("clock", "{}"), FakeToolCall("weather", '{"city": "Rome"}'))
    server = fake_server(protocol="openai", reply="", tool_calls=calls)
    events = await answer(server)
    assert [c.id for c in ready(events)] == ["call_0", "call_1"]  # the fake's own ids
    assert [c.name for c in ready(events)] == ["clock", "weather"]


async def test_anthropic_input_given_whole_in_the_block_start(fake_server: ServerFactory) -> None:
    """Some gateways put the parsed input in `content_block_start` and send no fragments."""
    server = fake_server(protocol="anthropic", reply="", tool_calls=THREE, tool_style="whole")
    events = await answer(server)
    calls = ready(events)
    assert [c.name for c in calls] == ["weather", "clock", "search"]
    assert [json.loads(c.arguments) for c in calls] == [json.loads(c.arguments) for c in THREE]
    assert_call_order(events, 3)


async def test_anthropic_calls_ending_as_end_turn_still_finish_as_tool_use(
    fake_server: ServerFactory,
) -> None:
    server = fake_server(
        protocol="anthropic", reply="", tool_calls=(CLOCK,), finish_reason="end_turn"
    )
    events = await answer(server)
    assert events[-1] == Finish("tool_use", "end_turn")


async def test_tool_arguments_count_against_the_answer_cap(server: FakeLLMServer) -> None:
    """Arguments that never end stop at settings.max_answer_mb like text does: the stream is
    closed mid-call and no half call is handed over."""
    huge = FakeToolCall("write_file", json.dumps({"text": "x" * 200_000}), id="call_h")
    server.configure(reply="Writing it.", tool_calls=(huge,), tool_chunk=500, delay=0.005)
    with pytest.raises(ProviderError) as raised:
        events = []
        driver = driver_for(server)
        try:
            async for event in driver.stream(ask(max_answer_bytes=10_000)):
                events.append(event)
        finally:
            await driver.aclose()
    assert raised.value.kind is ErrorKind.ANSWER_TOO_LONG
    assert text_of(events) == "Writing it."
    assert ready(events) == []
    assert server.wait_for_disconnect(10)  # the response was closed, not read to its end


async def test_the_cap_counts_text_and_arguments_together(server: FakeLLMServer) -> None:
    call = FakeToolCall("note", json.dumps({"text": "y" * 600}), id="call_n")
    server.configure(reply="z" * 500, chunk_size=100, tool_calls=(call,), tool_chunk=50)
    events = await answer(server, max_answer_bytes=2_000)  # 500 + ~614 fit
    assert ready(events) == expected((call,))
    with pytest.raises(ProviderError) as raised:
        await answer(server, max_answer_bytes=1_000)  # text fits, text + arguments do not
    assert raised.value.kind is ErrorKind.ANSWER_TOO_LONG


async def test_the_cap_counts_arguments_of_a_whole_answer(server: FakeLLMServer) -> None:
    call = FakeToolCall("note", json.dumps({"text": "y" * 3_000}), id="call_n")
    server.configure(reply="ok", tool_calls=(call,), json_response=True)
    with pytest.raises(ProviderError) as raised:
        await answer(server, max_answer_bytes=1_000)
    assert raised.value.kind is ErrorKind.ANSWER_TOO_LONG


def openai_events(*deltas: dict[str, Any], finish: str = "tool_calls") -> list[Event]:
    chunks = [{"choices": [{"index": 0, "delta": delta}]} for delta in deltas]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    return [Event("message", json.dumps(chunk)) for chunk in chunks]


def parse_openai(wire: list[Event]) -> list[StreamEvent]:
    with FakeLLMServer() as server:  # only for a connection; no request
        driver = OpenAIChat(connection_for(server), KEY)
    parser = driver._new_parser(driver._context("fake-small"))
    events = [event for item in wire for event in parser.feed(item)]
    return [*events, parser.finish()]


def test_openai_rarer_shapes_arguments_as_object_old_function_call_and_no_index() -> None:
    # A proxy that hands arguments over parsed (LiteLLM before a fix), whole in one delta.
    as_object = parse_openai(
        openai_events(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "c1",
                        "function": {"name": "weather", "arguments": {"city": "Åre"}},
                    }
                ]
            }
        )
    )
    assert ready(as_object) == [ToolCallPart("c1", "weather", '{"city": "Åre"}')]
    # The pre-tools `function_call` delta: a name, then argument fragments, no id.
    old = parse_openai(
        openai_events(
            {"function_call": {"name": "clock", "arguments": ""}},
            {"function_call": {"arguments": '{"tz": '}},
            {"function_call": {"arguments": '"UTC"}'}},
            finish="function_call",
        )
    )
    assert ready(old) == [ToolCallPart("call_0", "clock", '{"tz": "UTC"}')]
    assert old[-1] == Finish("tool_use", "function_call")
    # No `index`: a delta naming a call begins one, a delta that names none continues the last.
    no_index = parse_openai(
        openai_events(
            {"tool_calls": [{"id": "a", "function": {"name": "clock", "arguments": "{"}}]},
            {"tool_calls": [{"function": {"arguments": "}"}}]},
            {"tool_calls": [{"id": "b", "function": {"name": "weather", "arguments": "{}"}}]},
            finish="stop",
        )
    )
    assert ready(no_index) == [ToolCallPart("a", "clock", "{}"), ToolCallPart("b", "weather", "{}")]
    assert no_index[-1] == Finish("tool_use", "stop")


def test_a_call_whose_name_never_came_is_still_reported() -> None:
    """The chat core answers it ("unknown tool"), so every call the model made gets a result."""
    events = parse_openai(
        openai_events({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]})
    )
    assert [e for e in events if isinstance(e, ToolCallStarted)] == [
        ToolCallStarted(0, "call_0", "")
    ]
    assert ready(events) == [ToolCallPart("call_0", "", "{}")]


def test_plain_answers_still_finish_as_before() -> None:
    events = parse_openai(openai_events({"content": "Hi"}, finish="stop"))
    assert events == [TextDelta("Hi"), Finish("stop", "stop")]


def test_anthropic_text_between_calls_stays_in_place() -> None:
    """Text, a call, more text, another call: the text streams as it comes, each call is ready
    at its block's end, in order."""
    with FakeLLMServer(protocol="anthropic") as server:  # only for a connection; no request
        driver = AnthropicMessages(connection_for(server), KEY)
    parser = driver._new_parser(driver._context("fake-small"))

    def event(kind: str, **fields: Any) -> Event:
        return Event(kind, json.dumps({"type": kind, **fields}))

    def tool(call_id: str, name: str) -> dict[str, Any]:
        return {"type": "tool_use", "id": call_id, "name": name, "input": {}}

    def fragment(index: int, text: str) -> Event:
        delta = {"type": "input_json_delta", "partial_json": text}
        return event("content_block_delta", index=index, delta=delta)

    def words(index: int, text: str) -> Event:
        return event("content_block_delta", index=index, delta={"type": "text_delta", "text": text})

    wire = [
        event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        words(0, "First the clock."),
        event("content_block_stop", index=0),
        event("content_block_start", index=1, content_block=tool("t1", "clock")),
        fragment(1, ""),
        event("content_block_stop", index=1),
        event("content_block_start", index=2, content_block={"type": "text", "text": ""}),
        words(2, " Then the weather."),
        event("content_block_stop", index=2),
        event("content_block_start", index=3, content_block=tool("t2", "weather")),
        fragment(3, '{"city"'),
        fragment(3, ': "Oslo"}'),
        event("content_block_stop", index=3),
        event("message_delta", delta={"stop_reason": "tool_use"}, usage={"output_tokens": 9}),
        event("message_stop"),
    ]
    events = [e for item in wire for e in parser.feed(item)]
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "TextDelta",
        "ToolCallStarted",
        "ToolCallReady",
        "TextDelta",
        "ToolCallStarted",
        "ToolCallReady",
        "Usage",
    ]
    assert text_of(events) == "First the clock. Then the weather."
    assert ready(events) == [
        ToolCallPart("t1", "clock", "{}"),
        ToolCallPart("t2", "weather", '{"city": "Oslo"}'),
    ]
    assert parser.finish() == Finish("tool_use", "tool_use")


def test_an_answer_that_ends_in_error_hands_over_no_call() -> None:
    with FakeLLMServer() as server:  # only for a connection; no request
        driver = OpenAIChat(connection_for(server), KEY)
    parser = driver._new_parser(driver._context("fake-small"))
    wire = openai_events(
        {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "rm", "arguments": "{}"}}]},
        finish="error",
    )
    events = [event for item in wire for event in parser.feed(item)]
    assert ready(events) == []
    with pytest.raises(ProviderError) as raised:
        parser.finish()
    assert raised.value.kind is ErrorKind.STREAM_CUT
