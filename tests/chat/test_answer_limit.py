"""The chat core asks for the configured cap on every answer, and an answer stopped there is kept
and saved like any partial one: real driver, loopback fake server, real SQLite history."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import AnswerFailed, ChatSession, TextChunk
from craft_tui.config.schema import DEFAULT_MAX_ANSWER_MB, Config, Settings
from craft_tui.providers.errors import ErrorKind
from craft_tui.providers.factory import make_driver
from craft_tui.providers.types import TextDelta
from tests.chat.fakes import Opener, ScriptedDriver, collect, config, connection
from tests.servers import FakeLLMServer


@pytest.fixture
def store() -> HistoryStore:
    return HistoryStore.open()


def _session(store: HistoryStore, opener: Any, cfg: Config) -> ChatSession:
    conversation = store.create_conversation(connection_slug=cfg.connections[0].slug, model="small")
    return ChatSession(store, conversation, driver_opener=opener, config=cfg, idle_save=False)


async def test_every_request_carries_the_cap_from_settings(store: HistoryStore) -> None:
    driver = ScriptedDriver([TextDelta("hi")])
    cfg = config(connection("fake"))
    cfg.settings = Settings(max_answer_mb=0.5)
    await collect(_session(store, Opener(driver), cfg).send("Hi"))
    assert driver.requests[0].max_answer_bytes == 512 * 1024


async def test_the_default_cap_is_four_megabytes(store: HistoryStore) -> None:
    driver = ScriptedDriver([TextDelta("hi")])
    await collect(_session(store, Opener(driver), config(connection("fake"))).send("Hi"))
    assert DEFAULT_MAX_ANSWER_MB == 4.0
    assert driver.requests[0].max_answer_bytes == 4 * 1024 * 1024


async def test_an_answer_stopped_at_the_cap_is_saved_with_the_reason(store: HistoryStore) -> None:
    reply = "".join(f"{i:04d} " for i in range(2000))  # 10,000 characters
    with FakeLLMServer(reply=reply, chunk_size=50, stall_after=100, stall_seconds=60) as server:
        fake = connection("fake", base_url=server.base_url, models=[{"id": "small"}])
        cfg = config(fake)
        cfg.settings = Settings(max_answer_mb=2000 / 1024 / 1024)  # 2,000 bytes
        session = _session(store, lambda c: make_driver(c, None), cfg)
        events = await collect(session.send("Go on forever"))
        assert await asyncio.to_thread(server.wait_for_disconnect, 10)
    shown = "".join(e.text for e in events if isinstance(e, TextChunk))
    assert shown == reply[:2000]
    failed = events[-1]
    assert isinstance(failed, AnswerFailed)
    assert failed.error.kind is ErrorKind.ANSWER_TOO_LONG
    stored = store.load_conversation(session.conversation.id)[1][-1]
    assert stored.text == reply[:2000]
    assert stored.finish_reason == "error"
    assert stored.error_kind == "answer_too_long"
    assert "limit and was stopped" in (stored.error_message or "")
