"""Esc landing while a partial save of a long answer runs in its thread: what is stored as
"cancelled" is exactly the text the screen was handed, never text it did not get to draw."""

from __future__ import annotations

import asyncio
import threading

import pytest

from craft_tui.chat import session as session_module
from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import ChatSession, TextChunk
from craft_tui.providers.types import Finish, TextDelta
from tests.chat.fakes import Gate, Opener, ScriptedDriver, config, connection

HANG_GUARD = 10.0


async def test_a_cancel_during_an_off_loop_save_stores_only_what_was_handed_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = HistoryStore.open()
    cfg = config(connection("fake"))
    first = cfg.connections[0]
    conversation = store.create_conversation(
        connection_slug=first.slug, model=first.effective_default_model
    )
    # One big delta makes the answer long enough for a threaded save, and due at once.
    big = "word " * (session_module.OFF_LOOP_SAVE_CHARS // 5 + 10)
    gate = Gate()
    driver = ScriptedDriver([TextDelta(big), gate, TextDelta("never"), Finish("stop")])
    session = ChatSession(
        store, conversation, driver_opener=Opener(driver), config=cfg, idle_save=False,
        save_chars=1,
    )  # fmt: skip

    saving = threading.Event()
    release = threading.Event()
    update = store.update_message_parts

    def slow_update(*args: object, **kwargs: object) -> None:
        saving.set()
        release.wait(HANG_GUARD)
        update(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "update_message_parts", slow_update)
    handed: list[str] = []

    async def consume() -> None:
        async for event in session.send("Go"):
            if isinstance(event, TextChunk):
                handed.append(event.text)

    task = asyncio.create_task(consume())
    assert await asyncio.to_thread(saving.wait, HANG_GUARD)  # the save's thread is running
    task.cancel()  # Esc while the session awaits that save
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    gate.release.set()
    stored = store.load_conversation(conversation.id)[1][-1]
    assert stored.finish_reason == "cancelled"
    assert stored.text == "".join(handed) == big
