"""Stopping an answer (Esc in the app, Ctrl+C in the CLI) closes the HTTP response at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from craft_tui.providers.factory import make_driver
from craft_tui.providers.types import TextDelta
from tests.providers.conftest import KEY, ask, connection_for
from tests.servers import FakeLLMServer


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_cancelling_the_consumer_closes_the_response(fake_server: Any, protocol: str) -> None:
    server: FakeLLMServer = fake_server(
        protocol=protocol, reply="first second third", stall_after=1, stall_seconds=60
    )
    driver = make_driver(connection_for(server, timeouts={"read": 60}), KEY)
    first_text = asyncio.Event()
    received: list[str] = []

    async def consume() -> None:
        async for event in driver.stream(ask()):
            if isinstance(event, TextDelta):
                received.append(event.text)
                first_text.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_text.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert received == ["first "]
    assert await asyncio.to_thread(server.wait_for_disconnect, 10)
    await driver.aclose()


async def test_closing_the_iterator_early_closes_the_response(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(reply="a b c d", stall_after=2, stall_seconds=60)
    driver = make_driver(connection_for(fake_openai), KEY)
    stream = driver.stream(ask())
    async for event in stream:
        if isinstance(event, TextDelta):
            break
    await stream.aclose()  # type: ignore[attr-defined]
    assert await asyncio.to_thread(fake_openai.wait_for_disconnect, 10)
    await driver.aclose()
