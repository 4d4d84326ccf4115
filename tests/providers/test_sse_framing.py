"""SSE framing: every recorded stream, split at every byte offset (and byte by byte), parses to the
same answer. Covers CRLF and lone CR, comments, multi-line `data:`, `event:`/`id:`/`retry:` fields,
no space after the colon, and UTF-8 characters split across reads."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from craft_tui.providers import anthropic_messages, openai_chat
from craft_tui.providers.error_mapping import ErrorContext
from craft_tui.providers.sse import iter_events
from craft_tui.providers.types import Finish, ReasoningDelta, StreamEvent, TextDelta
from tests.servers import FakeLLMServer

REPLY = "Héllo wörld 👋 — ünïcode"
THINKING = "thïnk 🤔"

HANDMADE_OPENAI = (
    b": OPENROUTER PROCESSING\r\n\r\n"
    b'data: {"choices":[{"index":0,\r\ndata: "delta":{"role":"assistant"}}]}\r\n\r\n'
    b'id: 1\nevent: message\ndata:{"choices":[{"index":0,"delta":{"reasoning":"th\xc3\xaf"}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"reasoning":"nk'
    b' \xf0\x9f\xa4\x94"}}]}\r\rretry: 100\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":"H\xc3\xa9llo w\xc3\xb6rld "}}]}\n\n'
    b": keep-alive\n\n"
    b'data: {"choices":[{"index":0,"delta":{"content":"\xf0\x9f\x91\x8b \xe2\x80\x94 \xc3\xbcn\xc3\xafcode"}}]}\r\n\r\n'
    b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


async def _parts(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def _parse(protocol: str, chunks: list[bytes]) -> list[StreamEvent]:
    response = httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=_parts(chunks)
    )
    ctx = ErrorContext(protocol=protocol, base_url="http://127.0.0.1:1")  # type: ignore[arg-type]
    module = openai_chat if protocol == "openai" else anthropic_messages
    parser = module._StreamParser(ctx)
    events: list[StreamEvent] = []
    async for event in iter_events(response):
        events.extend(parser.feed(event))
        if parser.done:
            break
    events.append(parser.finish())
    return events


def _summary(events: list[StreamEvent]) -> tuple[str, str, Finish]:
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    finish = events[-1]
    assert isinstance(finish, Finish)
    return text, reasoning, finish


def _recorded(protocol: str, **switches: object) -> bytes:
    with FakeLLMServer(protocol=protocol, reply=REPLY, reasoning=THINKING, **switches) as server:
        url = server.root_url + ("/v1/chat/completions" if protocol == "openai" else "/v1/messages")
        return httpx.post(url, json={"stream": True}).content


async def _assert_every_split(protocol: str, raw: bytes) -> None:
    expected = _summary(await _parse(protocol, [raw]))
    assert expected[0] == REPLY
    assert expected[1] == THINKING
    for offset in range(len(raw) + 1):
        assert _summary(await _parse(protocol, [raw[:offset], raw[offset:]])) == expected, offset
    byte_by_byte = [raw[i : i + 1] for i in range(len(raw))]
    assert _summary(await _parse(protocol, byte_by_byte)) == expected


async def test_handmade_openai_stream_survives_every_split() -> None:
    await _assert_every_split("openai", HANDMADE_OPENAI)


@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_recorded_stream_survives_every_split(protocol: str, crlf: bool) -> None:
    raw = _recorded(protocol, crlf=crlf, keepalive=True, chunk_size=5)
    await _assert_every_split(protocol, raw)


async def test_multi_line_data_is_joined_with_newlines() -> None:
    raw = b'data: {"choices": [{"index": 0,\ndata: "delta": {"content": "x"}}]}\n\ndata: [DONE]\n\n'
    events = await _parse("openai", [raw])
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("x")]


async def test_events_without_data_are_ignored() -> None:
    raw = (
        b"event: ping\n\n"
        b"data:\n\n"
        b"id: 7\n\n"
        b'event: message_start\ndata: {"type": "message_start", "message": {"usage": {}}}\n\n'
        b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": '
        b'{"type": "text_delta", "text": "ok"}}\n\n'
        b"event: ping\ndata: \n\n"
        b'event: message_stop\ndata: {"type": "message_stop"}\n\n'
    )
    events = await _parse("anthropic", [raw])
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta("ok")]
    assert isinstance(events[-1], Finish)


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_stream_written_in_tiny_pieces_over_a_real_socket(protocol: str) -> None:
    from craft_tui.providers.factory import make_driver
    from tests.providers.conftest import KEY, ask, collect, connection_for

    with FakeLLMServer(
        protocol=protocol, reply=REPLY, reasoning=THINKING, split_bytes=3, crlf=True
    ) as server:
        driver = make_driver(connection_for(server), KEY)
        events = await collect(driver, ask())
        await driver.aclose()
    assert _summary(events)[:2] == (REPLY, THINKING)
