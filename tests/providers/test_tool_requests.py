"""What goes over the wire when tools are offered, and the follow-up request that carries the
calls and their results back (issue 18). Each test reads the exact JSON the loopback fake
received: a request that offers no tools has no `tools` key at all (servers refuse `[]`)."""

from __future__ import annotations

from typing import Any

import pytest

from craft_tui.providers.anthropic_messages import AnthropicMessages
from craft_tui.providers.content import ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from craft_tui.providers.http import HttpDriver
from craft_tui.providers.openai_chat import OpenAIChat
from craft_tui.providers.types import (
    ChatMessage,
    ChatRequest,
    ReasoningSignature,
    StreamEvent,
    ToolCallReady,
    ToolSpec,
)
from tests.providers.conftest import KEY, ask, collect, connection_for, reasoning_of, text_of
from tests.servers import FakeLLMServer, FakeToolCall
from tests.servers.fixtures import ServerFactory

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]}},
    "required": ["city"],
}
TOOLS = (
    ToolSpec("weather", "The weather in a city now.", WEATHER_SCHEMA, read_only=True, source="wx"),
    ToolSpec("clock", "", {}),  # no description, no parameters
)
PROMPT = "What is the weather in Oslo, and the time?"
CALLS = (
    FakeToolCall("weather", '{"city": "Oslo", "unit": "celsius"}', id="call_w"),
    FakeToolCall("clock", "{}", id="call_c"),
    FakeToolCall("weather", '{"city": ', id="call_x"),  # invalid JSON, answered with an error
)


def driver_for(server: FakeLLMServer) -> HttpDriver:
    connection = connection_for(server)
    if server.protocol == "openai":
        return OpenAIChat(connection, KEY)
    return AnthropicMessages(connection, KEY)


async def send(server: FakeLLMServer, request: ChatRequest) -> list[StreamEvent]:
    driver = driver_for(server)
    try:
        return await collect(driver, request)
    finally:
        await driver.aclose()


def last_body(server: FakeLLMServer) -> dict[str, Any]:
    body = server.chat_requests[-1].json
    assert isinstance(body, dict)
    return body


async def test_openai_offers_tools_as_functions(fake_openai: FakeLLMServer) -> None:
    await send(fake_openai, ask(tools=TOOLS))
    assert last_body(fake_openai)["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "weather",
                "description": "The weather in a city now.",
                "parameters": WEATHER_SCHEMA,
            },
        },
        {
            "type": "function",
            "function": {"name": "clock", "parameters": {"type": "object", "properties": {}}},
        },
    ]


async def test_anthropic_offers_tools_with_input_schemas(fake_anthropic: FakeLLMServer) -> None:
    await send(fake_anthropic, ask(tools=TOOLS))
    assert last_body(fake_anthropic)["tools"] == [
        {
            "name": "weather",
            "description": "The weather in a city now.",
            "input_schema": WEATHER_SCHEMA,
        },
        {"name": "clock", "input_schema": {"type": "object", "properties": {}}},
    ]


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_no_tools_means_no_tools_key(fake_server: ServerFactory, protocol: str) -> None:
    server = fake_server(protocol=protocol)
    await send(server, ask())
    body = last_body(server)
    assert "tools" not in body and "tool_choice" not in body
    assert not any("tool" in key for key in body)


async def test_openai_follow_up_carries_calls_and_results(fake_openai: FakeLLMServer) -> None:
    """The whole round: an answer with text and three calls, then the request with the calls
    and one result per call (an error result included) — exactly the JSON Chat Completions takes."""
    fake_openai.queue(reply="Let me check.", tool_calls=CALLS, tool_chunk=2)
    first = await send(fake_openai, ask(PROMPT, tools=TOOLS))
    calls = [e.call for e in first if isinstance(e, ToolCallReady)]
    assert [c.arguments for c in calls] == [c.arguments for c in CALLS]
    assistant = ChatMessage("assistant", parts=(TextPart(text_of(first)), *calls))
    results = ChatMessage(
        "tool",
        parts=(
            ToolResultPart("call_w", "4 °C, rain", name="weather"),
            ToolResultPart("call_c", "12:00", name="clock"),
            ToolResultPart("call_x", "The arguments are not valid JSON.", True, "weather"),
        ),
    )
    follow_up = ChatRequest(
        "fake-small", (ChatMessage("user", PROMPT), assistant, results), tools=TOOLS
    )
    events = await send(fake_openai, follow_up)
    assert text_of(events) == "Hello from the fake server."
    body = last_body(fake_openai)
    assert body["messages"] == [
        {"role": "user", "content": PROMPT},
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [
                {
                    "id": "call_w",
                    "type": "function",
                    "function": {
                        "name": "weather",
                        "arguments": '{"city": "Oslo", "unit": "celsius"}',
                    },
                },
                {
                    "id": "call_c",
                    "type": "function",
                    "function": {"name": "clock", "arguments": "{}"},
                },
                {
                    "id": "call_x",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": '},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_w", "content": "4 °C, rain"},
        {"role": "tool", "tool_call_id": "call_c", "content": "12:00"},
        {"role": "tool", "tool_call_id": "call_x", "content": "The arguments are not valid JSON."},
    ]
    assert body["tools"] == last_body_tools(fake_openai, 0)


def last_body_tools(server: FakeLLMServer, index: int) -> Any:
    return server.chat_requests[index].json["tools"]


async def test_openai_calls_without_text_send_null_content(fake_openai: FakeLLMServer) -> None:
    fake_openai.queue(reply="", tool_calls=CALLS[1:2])
    first = await send(fake_openai, ask(PROMPT, tools=TOOLS))
    calls = [e.call for e in first if isinstance(e, ToolCallReady)]
    follow_up = ChatRequest(
        "fake-small",
        (
            ChatMessage("user", PROMPT),
            ChatMessage("assistant", parts=tuple(calls)),
            ChatMessage("tool", parts=(ToolResultPart("call_c", "12:00"),)),
        ),
        tools=TOOLS,
    )
    await send(fake_openai, follow_up)
    assert last_body(fake_openai)["messages"][1] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_c", "type": "function", "function": {"name": "clock", "arguments": "{}"}}
        ],
    }


async def test_anthropic_follow_up_carries_signed_thinking_calls_and_results(
    fake_anthropic: FakeLLMServer,
) -> None:
    """With thinking on, the API refuses a tool-use turn whose signed thinking block is missing:
    the follow-up sends it back first, then the text and tool_use blocks, then one user turn of
    tool_result blocks (the error one flagged)."""
    fake_anthropic.queue(
        reply="Let me check.", reasoning="Two tools.", tool_calls=CALLS, tool_chunk=1
    )
    first = await send(fake_anthropic, ask(PROMPT, tools=TOOLS))
    signature = next(e.signature for e in first if isinstance(e, ReasoningSignature))
    calls = [e.call for e in first if isinstance(e, ToolCallReady)]
    assistant = ChatMessage(
        "assistant",
        parts=(
            ReasoningPart(reasoning_of(first), signature=signature),
            TextPart(text_of(first)),
            *calls,
        ),
    )
    results = ChatMessage(
        "tool",
        parts=(
            ToolResultPart("call_w", "4 °C, rain", name="weather"),
            ToolResultPart("call_c", "12:00", name="clock"),
            ToolResultPart("call_x", "The arguments are not valid JSON.", True, "weather"),
        ),
    )
    follow_up = ChatRequest(
        "fake-small", (ChatMessage("user", PROMPT), assistant, results), tools=TOOLS
    )
    await send(fake_anthropic, follow_up)
    body = last_body(fake_anthropic)
    assert body["messages"] == [
        {"role": "user", "content": PROMPT},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Two tools.", "signature": "EqQBCgIYAhIM"},
                {"type": "text", "text": "Let me check."},
                {
                    "type": "tool_use",
                    "id": "call_w",
                    "name": "weather",
                    "input": {"city": "Oslo", "unit": "celsius"},
                },
                {"type": "tool_use", "id": "call_c", "name": "clock", "input": {}},
                {"type": "tool_use", "id": "call_x", "name": "weather", "input": {}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_w", "content": "4 °C, rain"},
                {"type": "tool_result", "tool_use_id": "call_c", "content": "12:00"},
                {
                    "type": "tool_result",
                    "tool_use_id": "call_x",
                    "content": "The arguments are not valid JSON.",
                    "is_error": True,
                },
            ],
        },
    ]
    assert body["tools"] == last_body_tools(fake_anthropic, 0)


async def test_anthropic_gets_ids_it_accepts_after_a_model_switch(
    fake_anthropic: FakeLLMServer,
) -> None:
    """A call made by another server (Kimi writes `functions.NAME:N`) goes to Anthropic with an
    id of the characters it takes, the same in the call and in its result."""
    call = ToolCallPart("functions.weather:0", "weather", '{"city": "Oslo"}')
    request = ChatRequest(
        "fake-small",
        (
            ChatMessage("user", PROMPT),
            ChatMessage("assistant", parts=(call,)),
            ChatMessage("tool", parts=(ToolResultPart("functions.weather:0", "4 °C"),)),
        ),
        tools=TOOLS,
    )
    await send(fake_anthropic, request)
    messages = last_body(fake_anthropic)["messages"]
    assert messages[1]["content"][0]["id"] == "functions_weather_0"
    assert messages[2]["content"][0]["tool_use_id"] == "functions_weather_0"


@pytest.mark.parametrize("model", ["mistralai/mistral-small-3.2", "devstral-small:24b"])
async def test_mistral_models_get_nine_character_ids(
    fake_openai: FakeLLMServer, model: str
) -> None:
    """Mistral refuses "call_0" or "toolu_01…" ("must be a-z, A-Z, 0-9, with a length of 9"):
    each id is mapped to 9 letters and digits, the same in the call and its result, and the
    same in every request; an id that already fits is kept."""
    calls = (
        ToolCallPart("toolu_01A09q90qw90lq917835lq9", "weather", '{"city": "Oslo"}'),
        ToolCallPart("aB3xK9mP2", "clock", "{}"),
    )
    request = ChatRequest(
        model,
        (
            ChatMessage("user", PROMPT),
            ChatMessage("assistant", parts=calls),
            ChatMessage(
                "tool",
                parts=(
                    ToolResultPart("toolu_01A09q90qw90lq917835lq9", "4 °C"),
                    ToolResultPart("aB3xK9mP2", "12:00"),
                ),
            ),
        ),
        tools=TOOLS,
    )
    await send(fake_openai, request)
    await send(fake_openai, request)
    sent = [r.json["messages"] for r in fake_openai.chat_requests]
    assert sent[0] == sent[1]
    ids = [call["id"] for call in sent[0][1]["tool_calls"]]
    assert [m["tool_call_id"] for m in sent[0][2:]] == ids
    assert ids[1] == "aB3xK9mP2"
    assert len(ids[0]) == 9 and ids[0].isalnum() and ids[0].isascii()
