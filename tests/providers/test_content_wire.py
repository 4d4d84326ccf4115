"""Every part type on the wire, as the loopback fake servers receive it, for both protocols:
attachments (image, PDF, text file; anything else refused before sending), signed and redacted
thinking (sent back unchanged to Anthropic, never to OpenAI), tool calls and results, and the
role rules (Anthropic alternates, OpenAI takes consecutive and tool messages as they are)."""

from __future__ import annotations

import base64
import json

import pytest

from craft_tui.providers.anthropic_messages import AnthropicMessages
from craft_tui.providers.content import (
    AttachmentPart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.openai_chat import OpenAIChat
from craft_tui.providers.sse import Event
from craft_tui.providers.types import (
    ChatMessage,
    ChatRequest,
    ReasoningDelta,
    ReasoningSignature,
    RedactedReasoning,
    TextDelta,
)
from tests.providers.conftest import KEY, ask, collect, connection_for
from tests.servers import FakeLLMServer
from tests.servers.fixtures import ServerFactory

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 fake"
NOTES = "# Notes\nünïcödé and a \x1b[31mred\x1b[0m escape\n".encode()
IMAGE = AttachmentPart.from_bytes(PNG, "image/png", "cat.png")
DOC = AttachmentPart.from_bytes(PDF, "application/pdf", "report.pdf")
TEXT_FILE = AttachmentPart.from_bytes(NOTES, "text/markdown", 'notes "v2".md')
B64_PNG = base64.b64encode(PNG).decode()
B64_PDF = base64.b64encode(PDF).decode()
NOTES_AS_TEXT = '<file name="notes \\"v2\\".md">\n' + NOTES.decode() + "\n</file>"


def turns(*messages: ChatMessage) -> ChatRequest:
    return ChatRequest(model="fake-small", messages=messages)


def user(*parts: Part) -> ChatMessage:
    return ChatMessage("user", parts=parts)


def assistant(*parts: Part) -> ChatMessage:
    return ChatMessage("assistant", parts=parts)


def tool(*parts: Part) -> ChatMessage:
    return ChatMessage("tool", parts=parts)


TOOL_ROUND = (
    user(TextPart("What time is it, and the weather?")),
    assistant(
        ReasoningPart("Two tools.", signature="sig-abc=="),
        TextPart("Checking."),
        ToolCallPart("call_1", "clock", "{}"),
        ToolCallPart("call_2", "weather", '{"city": "Oslo"}'),
    ),
    tool(
        ToolResultPart("call_1", "12:00"),
        ToolResultPart("call_2", "weather service down", is_error=True),
    ),
)


async def sent_openai(server: FakeLLMServer, request: ChatRequest) -> list[dict[str, object]]:
    driver = OpenAIChat(connection_for(server), KEY)
    await collect(driver, request)
    await driver.aclose()
    messages: list[dict[str, object]] = server.chat_requests[-1].json["messages"]
    return messages


async def sent_anthropic(server: FakeLLMServer, request: ChatRequest) -> list[dict[str, object]]:
    driver = AnthropicMessages(connection_for(server), KEY)
    await collect(driver, request)
    await driver.aclose()
    messages: list[dict[str, object]] = server.chat_requests[-1].json["messages"]
    return messages


# ---------------------------------------------------------------------- OpenAI Chat Completions


async def test_openai_attachments_are_content_parts(fake_openai: FakeLLMServer) -> None:
    request = turns(user(TextPart("Look:"), IMAGE, DOC, TextPart("and"), TEXT_FILE))
    assert await sent_openai(fake_openai, request) == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look:"},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{B64_PNG}"}},
                {
                    "type": "file",
                    "file": {
                        "filename": "report.pdf",
                        "file_data": f"data:application/pdf;base64,{B64_PDF}",
                    },
                },
                {"type": "text", "text": "and"},
                {"type": "text", "text": NOTES_AS_TEXT},
            ],
        }
    ]


async def test_openai_tool_calls_results_and_no_reasoning(fake_openai: FakeLLMServer) -> None:
    only_calls = assistant(ToolCallPart("call_3", "clock", "{not json"))
    request = turns(
        *TOOL_ROUND,
        assistant(ReasoningPart("unsigned thoughts"), TextPart("It is noon.")),
        assistant(TextPart("Anything else?")),
        user(TextPart("Again")),
        only_calls,
        tool(ToolResultPart("call_3", "")),
    )
    assert await sent_openai(fake_openai, request) == [
        {"role": "user", "content": "What time is it, and the weather?"},
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "clock", "arguments": "{}"},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "12:00"},
        {"role": "tool", "tool_call_id": "call_2", "content": "weather service down"},
        {"role": "assistant", "content": "It is noon."},
        {"role": "assistant", "content": "Anything else?"},  # consecutive answers stay apart
        {"role": "user", "content": "Again"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_3",
                    "type": "function",
                    "function": {"name": "clock", "arguments": "{not json"},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_3", "content": ""},
    ]
    assert "sig-abc" not in json.dumps(fake_openai.chat_requests[-1].json)


# ---------------------------------------------------------------------- Anthropic Messages


async def test_anthropic_attachments_are_blocks(fake_anthropic: FakeLLMServer) -> None:
    request = turns(user(TextPart("Look:"), IMAGE, DOC, TEXT_FILE))
    assert await sent_anthropic(fake_anthropic, request) == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look:"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": B64_PNG},
                },
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": B64_PDF},
                    "title": "report.pdf",
                },
                {"type": "text", "text": NOTES_AS_TEXT},
            ],
        }
    ]


async def test_anthropic_thinking_tools_and_alternation(fake_anthropic: FakeLLMServer) -> None:
    request = turns(
        *TOOL_ROUND,
        user(TextPart("Use Celsius.")),  # joins the tool results' turn, after them
        assistant(
            ReasoningPart("unsigned: not sent"),
            ReasoningPart("", encrypted="redacted-bytes"),
            TextPart("Noon, "),
        ),
        assistant(TextPart("and 4 °C."), ToolCallPart("call_9", "log", "[1, 2]")),
        tool(ToolResultPart("call_9", "")),
    )
    assert await sent_anthropic(fake_anthropic, request) == [
        {"role": "user", "content": "What time is it, and the weather?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Two tools.", "signature": "sig-abc=="},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "call_1", "name": "clock", "input": {}},
                {"type": "tool_use", "id": "call_2", "name": "weather", "input": {"city": "Oslo"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "12:00"},
                {
                    "type": "tool_result",
                    "tool_use_id": "call_2",
                    "content": "weather service down",
                    "is_error": True,
                },
                {"type": "text", "text": "Use Celsius."},
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "redacted_thinking", "data": "redacted-bytes"},
                {"type": "text", "text": "Noon, \n\nand 4 °C."},
                {"type": "tool_use", "id": "call_9", "name": "log", "input": {}},
            ],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_9"}]},
    ]


async def test_anthropic_stream_passes_on_the_thinking_signature(
    fake_anthropic: FakeLLMServer,
) -> None:
    fake_anthropic.configure(reply="Paris.", reasoning="The capital of France.")
    driver = AnthropicMessages(connection_for(fake_anthropic), KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    kinds = [
        type(e) for e in events if isinstance(e, ReasoningDelta | ReasoningSignature | TextDelta)
    ]
    first_text = kinds.index(TextDelta)
    assert ReasoningSignature in kinds[:first_text]  # closes the thinking block, before the text
    assert [e for e in events if isinstance(e, ReasoningSignature)] == [
        ReasoningSignature("EqQBCgIYAhIM")
    ]


def test_anthropic_parser_reads_redacted_and_signed_blocks_streamed_or_whole(
    fake_anthropic: FakeLLMServer,
) -> None:
    driver = AnthropicMessages(connection_for(fake_anthropic), KEY)
    parser = driver._new_parser(driver._context("fake-small"))
    start = {"type": "content_block_start", "index": 0}
    redacted = {**start, "content_block": {"type": "redacted_thinking", "data": "enc=="}}
    assert parser.feed(Event("content_block_start", json.dumps(redacted))) == [
        RedactedReasoning("enc==")
    ]
    empty_signature = {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "signature_delta", "signature": ""},
    }
    assert parser.feed(Event("content_block_delta", json.dumps(empty_signature))) == []
    whole = {
        "content": [
            {"type": "thinking", "thinking": "Hmm.", "signature": "sig=="},
            {"type": "redacted_thinking", "data": "enc=="},
            {"type": "text", "text": "Yes."},
        ],
        "stop_reason": "end_turn",
    }
    events = driver._events_from_answer(whole, driver._context("fake-small"))
    assert events[:4] == [
        ReasoningDelta("Hmm."),
        ReasoningSignature("sig=="),
        RedactedReasoning("enc=="),
        TextDelta("Yes."),
    ]


# ---------------------------------------------------------------------- refused before sending


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_a_file_no_protocol_takes_is_refused_before_anything_is_sent(
    fake_server: ServerFactory, protocol: str
) -> None:
    server = fake_server(protocol=protocol)
    archive = AttachmentPart.from_bytes(b"PK\x03\x04", "application/zip", "code.zip")
    connection = connection_for(server, protocol)
    driver = (OpenAIChat if protocol == "openai" else AnthropicMessages)(connection, KEY)
    with pytest.raises(ProviderError) as caught:
        await collect(driver, turns(user(TextPart("unzip this"), archive)))
    await driver.aclose()
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert "code.zip" in caught.value.message and "application/zip" in caught.value.message
    assert server.chat_requests == []
