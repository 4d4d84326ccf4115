"""The answer cap in the drivers' stream: an endless or enormous answer is stopped at
`ChatRequest.max_answer_bytes`, what fits is yielded, the response is closed, and the error names
the setting that raises the cap. Real drivers against the loopback fake server, plus an in-process
transport for streams no real server would send (a line that never ends)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from craft_tui.config.schema import Connection
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver
from craft_tui.providers.limits import MIB, AnswerLimit, utf8_head, utf8_size
from craft_tui.providers.openai_chat import OpenAIChat
from craft_tui.providers.types import ReasoningDelta, StreamEvent, TextDelta
from tests.providers.conftest import KEY, ask, connection_for, reasoning_of, text_of
from tests.servers import FakeLLMServer


async def _until_error(driver: Any, request: Any) -> tuple[list[StreamEvent], ProviderError]:
    events: list[StreamEvent] = []
    with pytest.raises(ProviderError) as caught:
        async for event in driver.stream(request):
            events.append(event)
    return events, caught.value


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_an_answer_past_the_cap_is_cut_there_and_the_response_closed(
    fake_server: Any, protocol: str
) -> None:
    reply = "".join(f"{i:05d} " for i in range(1000))  # 6,000 characters, every one different
    # The server would go on after 20 deltas only once the client left: it must leave at the cap.
    server: FakeLLMServer = fake_server(
        protocol=protocol, reply=reply, chunk_size=100, stall_after=20, stall_seconds=60
    )
    driver = make_driver(connection_for(server, timeouts={"read": 60}), KEY)
    events, error = await _until_error(driver, ask(max_answer_bytes=1050))
    await driver.aclose()
    assert text_of(events) == reply[:1050]  # ten whole deltas and the head of the eleventh
    assert error.kind is ErrorKind.ANSWER_TOO_LONG
    assert "passed the 0.001 MB limit and was stopped" in error.message
    assert "what arrived up to the limit is kept" in error.message
    assert "settings.max_answer_mb" in error.hint
    assert not error.retryable
    assert await asyncio.to_thread(server.wait_for_disconnect, 10)


async def test_reasoning_counts_toward_the_cap(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(reasoning="r" * 600, reply="t" * 600, chunk_size=100)
    driver = make_driver(connection_for(fake_openai), KEY)
    events, error = await _until_error(driver, ask(max_answer_bytes=1000))
    await driver.aclose()
    assert reasoning_of(events) == "r" * 600
    assert text_of(events) == "t" * 400
    assert error.kind is ErrorKind.ANSWER_TOO_LONG


async def test_an_answer_within_the_cap_is_untouched(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(reply="x" * 1000, chunk_size=100)
    driver = make_driver(connection_for(fake_openai), KEY)
    events = [e async for e in driver.stream(ask(max_answer_bytes=1000))]
    await driver.aclose()
    assert text_of(events) == "x" * 1000


async def test_a_server_that_ignores_stream_true_is_capped_too(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(reply="y" * 5000, json_response=True)
    driver = make_driver(connection_for(fake_openai), KEY)
    events, error = await _until_error(driver, ask(max_answer_bytes=1000))
    await driver.aclose()
    assert text_of(events) == "y" * 1000
    assert error.kind is ErrorKind.ANSWER_TOO_LONG


def test_the_cut_never_splits_a_character() -> None:
    limit = AnswerLimit(10)
    kept = limit.admit(TextDelta("ab€€€€"))  # 2 + 4 × 3 bytes: the third euro sign does not fit
    assert kept == TextDelta("ab€€")
    assert limit.reached
    assert utf8_size("ab€€") == 8
    assert utf8_head("😀😀", 5) == "😀"
    assert AnswerLimit(None).admit(ReasoningDelta("z" * 10_000)) == ReasoningDelta("z" * 10_000)


class _Endless:
    """A response body whose first line does not end: `data: xxxxx…` in 64 KiB reads."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'data: {"choices":[{"index":0,"delta":{"content":"'
        while self.sent < 16 * MIB:  # "endless": ends only so that a failing test cannot hang
            self.sent += 65536
            yield b"x" * 65536
            await asyncio.sleep(0)


async def test_a_line_that_never_ends_is_stopped_without_filling_memory() -> None:
    body = _Endless()

    responses: list[httpx.Response] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
        responses.append(response)
        return response

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    connection = Connection(
        slug="mock", name="Mock", protocol="openai", base_url="http://127.0.0.1:9/v1"
    )
    driver = OpenAIChat(connection, KEY, client=client)
    cap = MIB // 4
    events, error = await _until_error(driver, ask(max_answer_bytes=cap))
    await driver.aclose()
    assert events == []
    assert error.kind is ErrorKind.ANSWER_TOO_LONG
    limit = AnswerLimit(cap).max_line_bytes
    assert limit is not None
    assert body.sent <= limit + 2 * 65536  # read up to the bound of one line, not on and on
    assert responses[0].is_closed


async def test_one_enormous_event_within_the_cap_arrives_whole(fake_openai: FakeLLMServer) -> None:
    text = "word " * 400_000  # 2 MB in one event
    fake_openai.configure(reply=text, chunk_size=len(text))
    driver = make_driver(connection_for(fake_openai), KEY)
    events = [e async for e in driver.stream(ask(max_answer_bytes=4 * MIB))]
    await driver.aclose()
    assert [e for e in events if isinstance(e, TextDelta)] == [TextDelta(text)]


def test_the_line_bound_leaves_room_for_json_escapes() -> None:
    limit = AnswerLimit(1000)
    assert limit.max_line_bytes is not None
    escaped = json.dumps({"choices": [{"delta": {"content": "\u0001" * 600}}]})
    assert len(escaped) < limit.max_line_bytes
