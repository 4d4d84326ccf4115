"""The chat core asks for the configured cap on every answer, and an answer stopped there is kept
and saved like any partial one: real driver, loopback fake server, real SQLite history."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import OFF_LOOP_SAVE_CHARS, AnswerFailed, ChatSession, TextChunk
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


async def test_a_long_fast_answer_is_not_rewritten_every_two_kilobytes(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each save rewrites the whole answer: saving every 2 KB made a 4 MB answer cost 27 ms per
    2 KB. The bytes written stay a small multiple of the answer (linear, not quadratic)."""
    written: list[int] = []
    original = HistoryStore.update_message_text

    def counting(
        self: HistoryStore, message_id: str, text: str, reasoning: str | None = None
    ) -> None:
        written.append(len(text))
        original(self, message_id, text, reasoning)

    monkeypatch.setattr(HistoryStore, "update_message_text", counting)
    driver = ScriptedDriver([TextDelta("x" * 1000) for _ in range(1000)])  # 1 MB, no time passing
    session = _session(store, Opener(driver), config(connection("fake")))
    await collect(session.send("Go"))
    assert stored_text(store, session) == "x" * 1_000_000
    assert written  # the saves went through the counted method
    assert sum(written) <= 10 * 1_000_000
    assert len(written) <= 60


def stored_text(store: HistoryStore, session: ChatSession) -> str:
    return str(store.load_conversation(session.conversation.id)[1][-1].text)


async def test_saving_a_very_long_answer_does_not_hold_up_the_event_loop(
    store: HistoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save of a long answer holds the event loop for milliseconds (63 ms at 1 MB with the
    full-text index): past OFF_LOOP_SAVE_CHARS the saves run in a thread, in order, and the stored
    answer is complete."""
    saves: list[tuple[str, bool, int]] = []
    update, finish = HistoryStore.update_message_text, HistoryStore.finish_message

    def counting_update(
        self: HistoryStore, message_id: str, text: str, reasoning: str | None = None
    ) -> None:
        saves.append(("partial", threading.current_thread() is threading.main_thread(), len(text)))
        update(self, message_id, text, reasoning)

    def counting_finish(self: HistoryStore, message_id: str, **fields: Any) -> Any:
        saves.append(("final", threading.current_thread() is threading.main_thread(), 0))
        return finish(self, message_id, **fields)

    monkeypatch.setattr(HistoryStore, "update_message_text", counting_update)
    monkeypatch.setattr(HistoryStore, "finish_message", counting_finish)
    threshold = OFF_LOOP_SAVE_CHARS
    piece = threshold // 10
    driver = ScriptedDriver([TextDelta("y" * piece) for _ in range(15)])  # 1.5x the threshold
    session = _session(store, Opener(driver), config(connection("fake")))
    await collect(session.send("Go"))
    assert stored_text(store, session) == "y" * (15 * piece)
    assert saves[-1][:2] == ("final", False)  # in a thread
    partial = [(on_main, size) for kind, on_main, size in saves if kind == "partial"]
    assert any(size >= threshold for _, size in partial)
    assert any(size < threshold for _, size in partial)
    assert [size for _, size in partial] == sorted(size for _, size in partial)  # in order
    assert all(not on_main for on_main, size in partial if size >= threshold)
    assert all(on_main for on_main, size in partial if size < threshold)  # short: on the loop


class _Flood:
    """A driver whose events are all there at once (a fast server, a full socket buffer): its
    stream never suspends by itself."""

    def __init__(self, count: int) -> None:
        self.count = count

    async def stream(self, request: Any) -> Any:
        for _ in range(self.count):
            yield TextDelta("tok ")

    async def list_models(self) -> list[Any]:
        return []

    async def aclose(self) -> None:
        pass


async def test_a_flood_of_events_gives_the_event_loop_turns(store: HistoryStore) -> None:
    """Esc waited behind the events a fast server had already delivered: the session's loop ran
    them all without a real suspension. Other tasks (the key, the screen) now get turns."""
    turns = 0
    done = False

    async def other_task() -> None:
        nonlocal turns
        while not done:
            turns += 1
            await asyncio.sleep(0)

    session = _session(store, Opener(_Flood(20_000)), config(connection("fake")))
    other = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    started = turns
    await collect(session.send("Go"))
    during = turns - started
    done = True
    await other
    assert during >= 20_000 // 128 // 2
