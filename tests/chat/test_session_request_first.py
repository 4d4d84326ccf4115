"""Enter → request on the wire: the session starts the request before the screen is told about
the prompt and the answer, so mounting their views (the slow part of a first send) overlaps the
request instead of preceding it (issue 16)."""

from __future__ import annotations

import asyncio

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import AnswerFailed, AnswerStarted, ChatSession, UserSaved
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import Finish, TextDelta
from tests.chat.fakes import Opener, ScriptedDriver, config, connection

HANG_GUARD = 10.0


def _session(store: HistoryStore, opener: Opener) -> ChatSession:
    cfg = config(connection("fake"))
    first = cfg.connections[0]
    conversation = store.create_conversation(
        connection_slug=first.slug, model=first.effective_default_model
    )
    return ChatSession(store, conversation, driver_opener=opener, config=cfg, idle_save=False)


async def test_the_request_is_under_way_while_the_screen_handles_the_first_events() -> None:
    store = HistoryStore.open()
    asked = asyncio.Event()
    driver = ScriptedDriver(
        [TextDelta("Hello"), Finish("stop")], on_stream=lambda _request: asked.set()
    )
    session = _session(store, Opener(driver))
    seen: list[type] = []
    async for event in session.send("Hi"):
        seen.append(type(event))
        if isinstance(event, (UserSaved, AnswerStarted)):
            # A screen awaiting its mount here: the request goes out meanwhile. Before this
            # change it was sent only after the screen asked for the next event (a hang here).
            await asyncio.wait_for(asked.wait(), HANG_GUARD)
            # The prompt is on disk before any of it.
            stored = store.load_conversation(session.conversation.id)[1]
            assert stored[0].role == "user" and stored[0].text == "Hi"
    assert seen[:2] == [UserSaved, AnswerStarted]
    assert session.messages[-1].text == "Hello"


async def test_a_request_that_cannot_be_built_still_tells_the_prompt_first() -> None:
    store = HistoryStore.open()
    refused = ProviderError(ErrorKind.AUTHENTICATION, "No key for this connection.", hint="Add it.")
    session = _session(store, Opener(refused))
    events = [event async for event in session.send("Hi")]
    assert [type(event) for event in events] == [UserSaved, AnswerStarted, AnswerFailed]
    assert events[0].message.text == "Hi"  # the prompt is kept, and shown
