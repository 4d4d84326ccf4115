"""The OpenAI Responses driver against the loopback fake: what it sends (the whole conversation as
input items, stateless, every generation setting and tool in its Responses shape, attachments as
input_image / input_file / input_text) and what the user gets back (text, reasoning summaries,
tool calls, usage, how the answer ended) — the same promises the two other drivers keep."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from craft_tui.config.schema import Connection
from craft_tui.providers.check import check_connection
from craft_tui.providers.content import (
    AttachmentPart,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from craft_tui.providers.discovery import discover_models
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver
from craft_tui.providers.openai_responses import OpenAIResponses
from craft_tui.providers.types import (
    ChatMessage,
    ChatRequest,
    Finish,
    ToolCallReady,
    ToolCallStarted,
    ToolSpec,
    Usage,
)
from tests.providers.conftest import KEY, ask, collect, connection_for, reasoning_of, text_of
from tests.servers import ErrorResponse, FakeLLMServer, FakeToolCall, FakeUsage
from tests.servers.fixtures import ServerFactory

PROTOCOL = "openai-responses"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 fake"
CLOCK = ToolSpec(
    "clock",
    "The time now in a time zone",
    {"type": "object", "properties": {"tz": {"type": "string"}}},
)


def responses_connection(server: FakeLLMServer, **fields: Any) -> Connection:
    """A connection speaking Responses to `server`'s /v1 base."""
    fields.setdefault("base_url", server.openai_base_url)
    return connection_for(server, protocol=PROTOCOL, **fields)


@pytest.fixture
def fake_responses(fake_server: ServerFactory) -> FakeLLMServer:
    return fake_server(protocol=PROTOCOL)


async def _answer(
    server: FakeLLMServer, request: ChatRequest | None = None, **fields: Any
) -> list[Any]:
    driver = make_driver(responses_connection(server, **fields), KEY)
    try:
        return await collect(driver, request or ask())
    finally:
        await driver.aclose()


def test_the_registry_builds_the_responses_driver(fake_responses: FakeLLMServer) -> None:
    driver = make_driver(responses_connection(fake_responses), KEY)
    assert isinstance(driver, OpenAIResponses)


async def test_text_reasoning_summary_and_usage_stream_in(fake_responses: FakeLLMServer) -> None:
    fake_responses.configure(
        reply="Paris is the capital.",
        reasoning="The user asks about France.",
        usage=FakeUsage(
            input_tokens=1200, output_tokens=40, cached_tokens=1024, reasoning_tokens=28
        ),
    )
    events = await _answer(fake_responses)
    assert text_of(events) == "Paris is the capital."
    assert reasoning_of(events) == "The user asks about France."
    assert (
        Usage(input_tokens=1200, output_tokens=40, cached_tokens=1024, reasoning_tokens=28)
        in events
    )
    assert events[-1] == Finish("stop", "completed")
    request = fake_responses.chat_requests[-1]
    assert request.path == "/v1/responses"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["accept"] == "text/event-stream"


async def test_the_request_is_stateless_and_carries_the_whole_conversation(
    fake_responses: FakeLLMServer,
) -> None:
    """Every setting in its Responses form, the conversation as input items (the earlier answer's
    text, its call and the call's result), reasoning never sent back, no server item ids."""
    conversation = (
        ChatMessage("user", "What time is it in Tokyo?"),
        ChatMessage(
            "assistant",
            parts=(
                ReasoningPart("They want the time."),
                TextPart("Let me look."),
                ToolCallPart("call_7", "clock", '{"tz": "Asia/Tokyo"}'),
            ),
        ),
        ChatMessage("tool", parts=(ToolResultPart("call_7", "21:04", name="clock"),)),
    )
    request = ChatRequest(
        model="fake-small",
        messages=conversation,
        system="Be brief.",
        max_tokens=500,
        temperature=0.3,
        reasoning_effort="high",
        tools=(CLOCK,),
    )
    await _answer(fake_responses, request)
    assert fake_responses.chat_requests[-1].json == {
        "model": "fake-small",
        "input": [
            {"type": "message", "role": "user", "content": "What time is it in Tokyo?"},
            {"type": "message", "role": "assistant", "content": "Let me look."},
            {
                "type": "function_call",
                "call_id": "call_7",
                "name": "clock",
                "arguments": '{"tz": "Asia/Tokyo"}',
            },
            {"type": "function_call_output", "call_id": "call_7", "output": "21:04"},
        ],
        "stream": True,
        "store": False,
        "instructions": "Be brief.",
        "max_output_tokens": 500,
        "temperature": 0.3,
        "reasoning": {"effort": "high", "summary": "auto"},
        "tools": [
            {
                "type": "function",
                "name": "clock",
                "description": "The time now in a time zone",
                "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}},
                "strict": False,
            }
        ],
    }


async def test_a_plain_request_sends_nothing_unasked(fake_responses: FakeLLMServer) -> None:
    await _answer(fake_responses, ask("Hi"))
    assert fake_responses.chat_requests[-1].json == {
        "model": "fake-small",
        "input": [{"type": "message", "role": "user", "content": "Hi"}],
        "stream": True,
        "store": False,
    }


async def test_the_connection_s_system_prompt_and_a_model_s_max_tokens_are_used(
    fake_responses: FakeLLMServer,
) -> None:
    await _answer(
        fake_responses,
        system_prompt="You are terse.",
        models=[{"id": "fake-small", "max_tokens": 2048}],
    )
    body = fake_responses.chat_requests[-1].json
    assert body["instructions"] == "You are terse."
    assert body["max_output_tokens"] == 2048


async def test_a_cap_below_the_api_minimum_is_raised_to_it(fake_responses: FakeLLMServer) -> None:
    await _answer(fake_responses, ask(max_tokens=1))
    assert fake_responses.chat_requests[-1].json["max_output_tokens"] == 16


async def test_attachments_go_as_input_image_input_file_and_input_text(
    fake_responses: FakeLLMServer,
) -> None:
    image = AttachmentPart.from_bytes(PNG, "image/png", "cat.png")
    pdf = AttachmentPart.from_bytes(PDF, "application/pdf", "report.pdf")
    notes = AttachmentPart.from_bytes("ünï\n".encode(), "text/plain", "notes.txt")
    prompt = ChatMessage("user", parts=(TextPart("Look:"), image, pdf, notes))
    await _answer(fake_responses, ChatRequest(model="fake-small", messages=(prompt,)))
    assert fake_responses.chat_requests[-1].json["input"] == [
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Look:"},
                {
                    "type": "input_image",
                    "image_url": "data:image/png;base64," + base64.b64encode(PNG).decode(),
                    "detail": "auto",
                },
                {
                    "type": "input_file",
                    "filename": "report.pdf",
                    "file_data": "data:application/pdf;base64," + base64.b64encode(PDF).decode(),
                },
                {"type": "input_text", "text": '<file name="notes.txt">\nünï\n\n</file>'},
            ],
        }
    ]


async def test_a_file_the_protocol_cannot_carry_is_refused_before_sending(
    fake_responses: FakeLLMServer,
) -> None:
    archive = AttachmentPart.from_bytes(b"PK\x03\x04", "application/zip", "code.zip")
    prompt = ChatMessage("user", parts=(TextPart("Unpack"), archive))
    with pytest.raises(ProviderError) as caught:
        await _answer(fake_responses, ChatRequest(model="fake-small", messages=(prompt,)))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert "code.zip (application/zip) cannot be sent over the OpenAI Responses protocol" in (
        caught.value.message
    )
    assert fake_responses.chat_requests == []


async def test_tool_calls_arrive_whole_in_order_before_the_finish(
    fake_responses: FakeLLMServer,
) -> None:
    fake_responses.configure(
        reply="Checking both.",
        tool_calls=(
            FakeToolCall("clock", '{"tz": "Europe/Paris"}', id="call_a"),
            FakeToolCall("weather", '{"city": "Paris", "unit": "°C"}', id="call_b"),
        ),
        tool_chunk=1,
    )
    events = await _answer(fake_responses, ask(tools=(CLOCK,)))
    calls = [e for e in events if isinstance(e, ToolCallStarted | ToolCallReady)]
    assert calls == [
        ToolCallStarted(0, "call_a", "clock"),
        ToolCallReady(0, ToolCallPart("call_a", "clock", '{"tz": "Europe/Paris"}')),
        ToolCallStarted(1, "call_b", "weather"),
        ToolCallReady(1, ToolCallPart("call_b", "weather", '{"city": "Paris", "unit": "°C"}')),
    ]
    assert text_of(events) == "Checking both."
    assert events[-1] == Finish("tool_use", "completed")


async def test_a_call_whose_arguments_come_whole_in_its_first_event(
    fake_responses: FakeLLMServer,
) -> None:
    fake_responses.configure(
        reply="", tool_calls=(FakeToolCall("clock", "{}"),), tool_style="whole"
    )
    events = await _answer(fake_responses)
    assert [e for e in events if isinstance(e, ToolCallReady)] == [
        ToolCallReady(0, ToolCallPart("call_0", "clock", "{}"))
    ]


async def test_a_tool_round_trip_sends_the_result_back_and_gets_the_answer(
    fake_responses: FakeLLMServer,
) -> None:
    fake_responses.configure(
        reply="It is 21:04 in Tokyo.",
        tool_calls=(FakeToolCall("clock", '{"tz": "Asia/Tokyo"}', id="call_t"),),
        tools_until_results=True,
    )
    driver = make_driver(responses_connection(fake_responses), KEY)
    first = await collect(driver, ask("Time in Tokyo?", tools=(CLOCK,)))
    (ready,) = [e for e in first if isinstance(e, ToolCallReady)]
    follow_up = ChatRequest(
        model="fake-small",
        messages=(
            ChatMessage("user", "Time in Tokyo?"),
            ChatMessage("assistant", parts=(TextPart(text_of(first)), ready.call)),
            ChatMessage("tool", parts=(ToolResultPart(ready.call.id, "21:04"),)),
        ),
        tools=(CLOCK,),
    )
    second = await collect(driver, follow_up)
    await driver.aclose()
    assert text_of(second) == "It is 21:04 in Tokyo."
    assert second[-1] == Finish("stop", "completed")
    items = fake_responses.chat_requests[-1].json["input"]
    assert items[-2:] == [
        {
            "type": "function_call",
            "call_id": "call_t",
            "name": "clock",
            "arguments": '{"tz": "Asia/Tokyo"}',
        },
        {"type": "function_call_output", "call_id": "call_t", "output": "21:04"},
    ]


@pytest.mark.parametrize(
    ("switch", "finish"),
    [
        ("length", Finish("length", "max_output_tokens")),
        ("content_filter", Finish("content_filter", "content_filter")),
    ],
)
async def test_an_incomplete_answer_keeps_its_text_and_says_why(
    fake_responses: FakeLLMServer, switch: str, finish: Finish
) -> None:
    fake_responses.configure(reply="The first half", finish_reason=switch)
    events = await _answer(fake_responses)
    assert text_of(events) == "The first half"
    assert events[-1] == finish


async def test_a_server_that_ignores_stream_true_is_read_whole(
    fake_responses: FakeLLMServer,
) -> None:
    fake_responses.configure(
        reply="Whole answer.",
        reasoning="Thinking it over.",
        json_response=True,
        tool_calls=(FakeToolCall("clock", '{"tz": "UTC"}'),),
        usage=FakeUsage(input_tokens=30, output_tokens=9, cached_tokens=0, reasoning_tokens=4),
    )
    events = await _answer(fake_responses)
    assert text_of(events) == "Whole answer."
    assert reasoning_of(events) == "Thinking it over."
    assert ToolCallReady(0, ToolCallPart("call_0", "clock", '{"tz": "UTC"}')) in events
    assert Usage(input_tokens=30, output_tokens=9, cached_tokens=0, reasoning_tokens=4) in events
    assert events[-1] == Finish("tool_use", "completed")


async def test_refused_reasoning_summaries_are_asked_for_again_without_them(
    fake_responses: FakeLLMServer,
) -> None:
    """OpenAI refuses `reasoning.summary` for an organisation that is not verified; the answer
    still comes, without summaries."""
    refusal = {
        "error": {
            "message": "Your organization must be verified to generate reasoning summaries. "
            "Please go to: https://platform.openai.com/settings/organization/general and click "
            "on Verify Organization.",
            "type": "invalid_request_error",
            "param": "reasoning.summary",
            "code": "unsupported_value",
        }
    }
    fake_responses.queue(error=ErrorResponse(400, json.dumps(refusal).encode()))
    events = await _answer(fake_responses, ask(reasoning_effort="medium"))
    assert text_of(events) == "Hello from the fake server."
    first, second = fake_responses.chat_requests
    assert first.json["reasoning"] == {"effort": "medium", "summary": "auto"}
    assert second.json["reasoning"] == {"effort": "medium"}


async def test_other_refusals_are_not_retried(fake_responses: FakeLLMServer) -> None:
    fake_responses.configure(error="openai_400_invalid")
    with pytest.raises(ProviderError) as caught:
        await _answer(fake_responses, ask(reasoning_effort="low"))
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert len(fake_responses.chat_requests) == 1


async def test_models_are_listed_and_the_connection_check_passes(
    fake_responses: FakeLLMServer,
) -> None:
    connection = responses_connection(fake_responses)
    found = await discover_models(connection, KEY)
    assert [model.id for model in found.models] == ["fake-small", "fake-large"]
    assert found.source == "models"
    steps = [step async for step in check_connection(connection, KEY)]
    assert [(step.name, step.ok, step.skipped) for step in steps] == [
        ("models", True, False),
        ("answer", True, False),
    ]
    assert steps[1].detail.startswith(
        f"fake-small answered at {fake_responses.openai_base_url}/responses"
    )
    assert fake_responses.chat_requests[-1].json["max_output_tokens"] == 16


async def test_a_server_without_the_responses_api_gets_the_protocol_hint(
    fake_server: ServerFactory,
) -> None:
    """A 404 at /v1/responses on a base that is right: the fix names protocol "openai"."""
    server = fake_server(protocol=PROTOCOL, error="plain_404")
    with pytest.raises(ProviderError) as caught:
        await _answer(server)
    assert caught.value.kind is ErrorKind.ENDPOINT_NOT_FOUND
    assert f"Nothing answers at {server.openai_base_url}/responses" in caught.value.message
    assert 'protocol "openai"' in caught.value.hint


async def test_a_redirect_suggests_the_base_of_the_responses_endpoint(
    fake_server: ServerFactory,
) -> None:
    server = fake_server(protocol=PROTOCOL, redirect_to="https://api.example.com")
    with pytest.raises(ProviderError) as caught:
        await _answer(server)
    assert caught.value.kind is ErrorKind.ENDPOINT_NOT_FOUND
    assert caught.value.suggested_base_url == "https://api.example.com/v1"
