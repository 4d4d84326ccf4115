"""ChatSession with a scripted in-process driver: the order of work (prompt saved before any
network), throttled partial saves, Esc and errors keeping the partial, the figures recorded,
branches on regenerate and edit, and switching model for the next request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import (
    AnswerFailed,
    AnswerFinished,
    AnswerStarted,
    ChatSession,
    ReasoningChunk,
    TextChunk,
    UsageUpdate,
    UserSaved,
)
from craft_tui.config.schema import Connection
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import (
    ChatRequest,
    Finish,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    Usage,
)
from tests.chat.fakes import Clock, Gate, Opener, ScriptedDriver, Tick, collect, config, connection
from tests.waiting import until

HANG_GUARD = 10.0


@pytest.fixture
def store() -> HistoryStore:
    return HistoryStore.open()


def make_session(
    store: HistoryStore, opener: Opener, clock: Any = None, **kwargs: Any
) -> ChatSession:
    cfg = kwargs.pop("cfg", None) or config(connection("fake"), connection("other"))
    kwargs.setdefault("idle_save", False)  # these tests drive time with the fake clock
    conversation = store.create_conversation(connection_slug="fake", model="small")
    return ChatSession(
        store, conversation, driver_opener=opener, config=cfg, clock=clock or Clock(), **kwargs
    )


def stored_answer(store: HistoryStore, session: ChatSession) -> Any:
    return store.load_conversation(session.conversation.id)[1][-1]


def reply(*words: str) -> list[Any]:
    return [*(TextDelta(w) for w in words), Finish("stop")]


async def test_the_prompt_is_saved_before_the_driver_is_opened_or_called(
    store: HistoryStore,
) -> None:
    seen: list[list[str]] = []

    def look(_connection: Any = None) -> None:
        other = HistoryStore.open(store.path)  # what a crash right now would leave on disk
        seen.append([m.text for m in other.all_messages(session.conversation.id)])
        other.close()

    driver = ScriptedDriver(reply("Hello"), on_stream=lambda _r: look())

    def opener(conn: Connection) -> Any:
        look()
        return driver

    session = ChatSession(
        store,
        store.create_conversation(connection_slug="fake", model="small"),
        driver_opener=opener,
        config=config(),
    )
    events = await collect(session.send("Hi there"))
    assert seen == [["Hi there", ""], ["Hi there", ""]]
    assert [type(e) for e in events] == [UserSaved, AnswerStarted, TextChunk, AnswerFinished]
    assert events[0].message.text == "Hi there"
    assert events[-1].message.text == "Hello"
    assert events[-1].message.finish_reason == "stop"
    assert [m.text for m in session.messages] == ["Hi there", "Hello"]
    assert session.conversation.title == "Hi there"
    assert driver.requests[0].messages[-1].text == "Hi there"


async def test_partial_answer_is_saved_every_half_second_or_two_kilobytes(
    store: HistoryStore,
) -> None:
    clock = Clock()
    gates = [Gate(), Gate(), Gate()]
    script = [
        TextDelta("a" * 100),
        Tick(0.3),
        TextDelta("b"),
        gates[0],  # 0.3 s and 101 chars: not yet saved
        Tick(0.3),
        TextDelta("c"),
        gates[1],  # 0.6 s since the start: saved
        TextDelta("x" * 2100),
        gates[2],  # 2 KB more, no time passed: saved
        Tick(0.1),
        TextDelta("tail"),
        Finish("stop"),
    ]
    session = make_session(store, Opener(ScriptedDriver(script, clock)), clock)
    task = asyncio.create_task(collect(session.send("Go")))

    async def on_disk_at(gate: Gate) -> str:
        await asyncio.wait_for(gate.reached.wait(), HANG_GUARD)
        text = str(stored_answer(store, session).text)
        gate.release.set()
        return text

    assert await on_disk_at(gates[0]) == ""
    assert await on_disk_at(gates[1]) == "a" * 100 + "bc"
    assert await on_disk_at(gates[2]) == "a" * 100 + "bc" + "x" * 2100
    await asyncio.wait_for(task, HANG_GUARD)
    assert stored_answer(store, session).text == "a" * 100 + "bc" + "x" * 2100 + "tail"


async def test_text_left_unsaved_when_the_stream_pauses_is_saved_during_the_pause(
    store: HistoryStore,
) -> None:
    pause = Gate()
    driver = ScriptedDriver([TextDelta("before the pause"), pause, TextDelta("!"), Finish("stop")])
    session = make_session(
        store, Opener(driver), time.monotonic, idle_save=True, save_interval=0.05
    )
    task = asyncio.create_task(collect(session.send("Go")))
    await asyncio.wait_for(pause.reached.wait(), HANG_GUARD)
    await until(
        lambda: stored_answer(store, session).text == "before the pause",
        "the paused partial being saved",
        HANG_GUARD,
    )
    pause.release.set()
    await asyncio.wait_for(task, HANG_GUARD)
    assert stored_answer(store, session).text == "before the pause!"


async def test_no_write_per_chunk(store: HistoryStore) -> None:
    clock = Clock()
    script = [TextDelta("w ") for _ in range(500)] + [Finish("stop")]
    session = make_session(store, Opener(ScriptedDriver(script, clock)), clock)
    writes: list[str] = []
    original = store.update_message_text

    def counting(message_id: str, text: str, reasoning: str | None = None) -> None:
        writes.append(text)
        original(message_id, text, reasoning)

    store.update_message_text = counting  # type: ignore[method-assign]
    await collect(session.send("Go"))
    assert len(writes) == 0  # 1,000 chars and no time passed: only the final save
    assert stored_answer(store, session).text == "w " * 500


async def test_a_fast_stream_is_handed_over_in_batches_in_order(store: HistoryStore) -> None:
    """A server faster than the screen: the consumer gets everything that arrived since it last
    took as one chunk (not one event per delta), in order, with usage where it came."""
    script: list[Any] = [ReasoningDelta("think ") for _ in range(300)]
    script += [TextDelta(f"w{i} ") for i in range(3000)]
    script += [Usage(input_tokens=3, output_tokens=3000), TextDelta("end"), Finish("stop")]

    class Burst(ScriptedDriver):
        """A full socket buffer: every read returns at once, no suspension between events."""

        async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
            for step in self.script:
                yield step

    session = make_session(store, Opener(Burst(script)))
    events = await collect(session.send("Go"))
    chunks = [e for e in events if isinstance(e, TextChunk | ReasoningChunk | UsageUpdate)]
    assert len(chunks) < 100  # 3,301 deltas
    reasoning = "".join(e.text for e in chunks if isinstance(e, ReasoningChunk))
    text = "".join(e.text for e in chunks if isinstance(e, TextChunk))
    assert reasoning == "think " * 300
    assert text == "".join(f"w{i} " for i in range(3000)) + "end"
    kinds = [type(e) for e in chunks]
    assert kinds.index(ReasoningChunk) < kinds.index(TextChunk) < kinds.index(UsageUpdate)
    assert isinstance(chunks[-1], TextChunk) and chunks[-1].text.endswith("end")
    assert stored_answer(store, session).text == text


async def test_cancel_keeps_the_partial_marked_cancelled_and_propagates(
    store: HistoryStore,
) -> None:
    gate = Gate()
    driver = ScriptedDriver([TextDelta("one "), TextDelta("two"), gate, TextDelta("three")])
    session = make_session(store, Opener(driver))
    received: list[Any] = []

    async def consume() -> None:
        async for event in session.send("Count"):
            received.append(event)

    task = asyncio.create_task(consume())
    await asyncio.wait_for(gate.reached.wait(), HANG_GUARD)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, HANG_GUARD)
    answer = stored_answer(store, session)
    assert (answer.text, answer.finish_reason, answer.error_kind) == ("one two", "cancelled", None)
    assert driver.closed == 1
    assert session.messages[-1].finish_reason == "cancelled"
    assert not any(isinstance(e, AnswerFinished | AnswerFailed) for e in received)


async def test_a_consumer_that_stops_iterating_still_saves_the_partial(
    store: HistoryStore,
) -> None:
    driver = ScriptedDriver([TextDelta("first"), TextDelta(" second"), Finish("stop")])
    session = make_session(store, Opener(driver))
    events = session.send("Go")
    async for event in events:
        if isinstance(event, TextChunk):
            break
    await events.aclose()  # type: ignore[attr-defined]
    answer = stored_answer(store, session)
    assert (answer.text, answer.finish_reason) == ("first", "cancelled")
    assert driver.closed == 1


async def test_provider_error_keeps_the_partial_and_records_the_error(
    store: HistoryStore,
) -> None:
    error = ProviderError(ErrorKind.STREAM_CUT, "The answer was cut off.", "Retry.")
    session = make_session(store, Opener(ScriptedDriver([TextDelta("alpha "), error])))
    events = await collect(session.send("Hello"))
    failed = events[-1]
    assert isinstance(failed, AnswerFailed)
    assert failed.error is error
    assert (failed.message.text, failed.message.finish_reason) == ("alpha ", "error")
    stored = stored_answer(store, session)
    assert (stored.text, stored.error_kind, stored.error_message) == (
        "alpha ",
        "stream_cut",
        "The answer was cut off.",
    )


async def test_a_driver_that_cannot_open_fails_inline_after_saving_the_prompt(
    store: HistoryStore,
) -> None:
    missing = ProviderError(ErrorKind.MISSING_KEY, "No API key for Fake.", "Add one.")
    session = make_session(store, Opener(missing))
    events = await collect(session.send("Hello"))
    assert [type(e) for e in events] == [UserSaved, AnswerStarted, AnswerFailed]
    assert events[-1].error.kind == ErrorKind.MISSING_KEY
    _conv, path = store.load_conversation(session.conversation.id)
    assert [(m.text, m.error_kind) for m in path] == [("Hello", None), ("", "missing_key")]


async def test_no_connection_at_all_fails_with_a_clear_message(store: HistoryStore) -> None:
    from craft_tui.config.schema import Config

    session = make_session(store, Opener(), cfg=Config())
    session.conversation.connection_slug = None
    events = await collect(session.send("Hello"))
    assert isinstance(events[-1], AnswerFailed)
    assert "no connection" in events[-1].error.message
    assert store.load_conversation(session.conversation.id)[1][0].text == "Hello"


async def test_an_unexpected_driver_bug_keeps_the_partial_and_propagates(
    store: HistoryStore,
) -> None:
    class Broken(ScriptedDriver):
        async def stream(self, request: ChatRequest) -> Any:
            yield TextDelta("so far")
            raise RuntimeError("bug")

    session = make_session(store, Opener(Broken()))
    with pytest.raises(RuntimeError):
        await collect(session.send("Hello"))
    stored = stored_answer(store, session)
    assert (stored.text, stored.finish_reason, stored.error_kind) == ("so far", "error", "unknown")


async def test_usage_cost_ttft_and_tokens_per_second_are_recorded(store: HistoryStore) -> None:
    clock = Clock(100.0)
    script = [
        Tick(0.5),
        ReasoningDelta("think"),
        Usage(input_tokens=10),
        Tick(1.0),
        TextDelta("Hello"),
        Tick(1.0),
        TextDelta(" world"),
        Usage(output_tokens=20, cached_tokens=4, reasoning_tokens=3),
        Finish("length", "max_tokens"),
    ]
    costs: list[tuple[str, str, Usage]] = []

    def cost(conn: Connection, model: str, usage: Usage) -> float:
        costs.append((conn.slug, model, usage))
        return 0.0125

    session = make_session(store, Opener(ScriptedDriver(script, clock)), clock, cost_fn=cost)
    events = await collect(session.send("Hi"))
    assert [e.text for e in events if isinstance(e, ReasoningChunk)] == ["think"]
    updates = [e.usage for e in events if isinstance(e, UsageUpdate)]
    assert updates[-1] == Usage(10, 20, 4, 3)
    final = stored_answer(store, session)
    assert final.finish_reason == "length"
    assert (final.input_tokens, final.output_tokens) == (10, 20)
    assert (final.cached_tokens, final.reasoning_tokens) == (4, 3)
    assert final.cost_usd == 0.0125
    assert costs == [("fake", "small", Usage(10, 20, 4, 3))]
    assert final.ttft_s == pytest.approx(0.5)
    assert final.tokens_per_s == pytest.approx(20 / 2.0)
    assert (final.connection_slug, final.model) == ("fake", "small")
    assert final.reasoning == "think"
    assert events[-1].message == final


async def test_tokens_per_second_is_estimated_when_the_server_reports_none(
    store: HistoryStore,
) -> None:
    clock = Clock()
    script = [TextDelta("x" * 40), Tick(2.0), TextDelta("y" * 40), Finish("stop")]
    session = make_session(store, Opener(ScriptedDriver(script, clock)), clock)
    await collect(session.send("Hi"))
    final = stored_answer(store, session)
    assert final.output_tokens is None
    assert final.cost_usd is None
    assert final.tokens_per_s == pytest.approx((80 / 4) / 2.0)


async def test_an_answer_that_arrived_all_at_once_gets_no_tokens_per_second(
    store: HistoryStore,
) -> None:
    """A whole answer in one chunk has no speed: 1,000 tokens over the moments until its end
    would be an absurd figure."""
    clock = Clock()
    script = [TextDelta("x" * 4000), Tick(0.3), Finish("stop")]
    session = make_session(store, Opener(ScriptedDriver(script, clock)), clock)
    await collect(session.send("Hi"))
    final = stored_answer(store, session)
    assert final.ttft_s is not None
    assert final.tokens_per_s is None


async def test_server_reported_cost_is_kept_without_a_cost_function(store: HistoryStore) -> None:
    script = [TextDelta("ok"), Usage(input_tokens=1, output_tokens=1, cost_usd=0.5), Finish("stop")]
    session = make_session(store, Opener(ScriptedDriver(script)))
    await collect(session.send("Hi"))
    assert stored_answer(store, session).cost_usd == 0.5


async def test_a_failing_cost_function_does_not_lose_the_answer(store: HistoryStore) -> None:
    def broken(*_args: Any) -> float:
        raise ZeroDivisionError

    script = [TextDelta("kept"), Usage(input_tokens=1, output_tokens=1), Finish("stop")]
    session = make_session(store, Opener(ScriptedDriver(script)), cost_fn=broken)
    events = await collect(session.send("Hi"))
    assert isinstance(events[-1], AnswerFinished)
    assert stored_answer(store, session).text == "kept"


async def test_regenerate_adds_a_sibling_and_keeps_the_old_answer(store: HistoryStore) -> None:
    first, second = ScriptedDriver(reply("Old.")), ScriptedDriver(reply("New."))
    session = make_session(store, Opener(first, second))
    await collect(session.send("Question"))
    old = session.messages[-1]
    events = await collect(session.regenerate(old.id))
    assert [type(e) for e in events] == [AnswerStarted, TextChunk, AnswerFinished]
    new = session.messages[-1]
    assert [m.text for m in session.messages] == ["Question", "New."]
    assert [m.text for m in session.siblings(new.id)] == ["Old.", "New."]
    assert [m.text for m in second.requests[0].messages] == ["Question"]
    assert [m.text for m in store.load_conversation(session.conversation.id)[1]] == [
        "Question",
        "New.",
    ]
    session.select_branch(old.id)
    assert [m.text for m in session.messages] == ["Question", "Old."]


async def test_edit_and_resend_branches_from_the_prompt(store: HistoryStore) -> None:
    drivers = [ScriptedDriver(reply(t)) for t in ("A1.", "A2.", "B1.")]
    session = make_session(store, Opener(*drivers))
    await collect(session.send("first"))
    await collect(session.send("second"))
    second = session.messages[2]
    events = await collect(session.edit_and_resend(second.id, "second, better"))
    assert isinstance(events[0], UserSaved) and events[0].message.parent_id == second.parent_id
    assert [m.text for m in session.messages] == ["first", "A1.", "second, better", "B1."]
    assert [m.text for m in drivers[2].requests[0].messages] == ["first", "A1.", "second, better"]
    assert [m.text for m in session.siblings(second.id)] == ["second", "second, better"]
    session.select_branch(second.id)
    assert [m.text for m in session.messages] == ["first", "A1.", "second", "A2."]


async def test_editing_the_first_prompt_starts_a_new_root(store: HistoryStore) -> None:
    session = make_session(store, Opener(ScriptedDriver(reply("a")), ScriptedDriver(reply("b"))))
    await collect(session.send("v1"))
    await collect(session.edit_and_resend(session.messages[0].id, "v2"))
    assert [m.text for m in session.messages] == ["v2", "b"]
    assert len(store.all_messages(session.conversation.id)) == 4


async def test_switching_connection_and_model_changes_only_the_next_request(
    store: HistoryStore,
) -> None:
    first, second = ScriptedDriver(reply("From fake.")), ScriptedDriver(reply("From other."))
    opener = Opener(first, second)
    session = make_session(store, opener)
    await collect(session.send("One"))
    other = connection("other")
    session.switch(other, "big")
    await collect(session.send("Two"))
    assert [c.slug for c in opener.connections] == ["fake", "other"]
    request = second.requests[0]
    assert request.model == "big"
    assert request.max_tokens == 8000
    assert [m.text for m in request.messages] == ["One", "From fake.", "Two"]
    answers = [m for m in session.messages if m.role == "assistant"]
    assert [(m.connection_slug, m.model) for m in answers] == [
        ("fake", "small"),
        ("other", "big"),
    ]
    saved = store.get_conversation(session.conversation.id)
    assert (saved.connection_slug, saved.model) == ("other", "big")


async def test_a_deleted_connection_falls_back_to_the_default(store: HistoryStore) -> None:
    driver = ScriptedDriver(reply("ok"))
    opener = Opener(driver)
    session = make_session(store, opener, cfg=config(connection("other")))
    assert session.target()[0] is not None
    await collect(session.send("Hi"))
    assert opener.connections[0].slug == "other"
    assert driver.requests[0].model == "small"


async def test_system_prompt_and_delete_through_the_session(store: HistoryStore) -> None:
    drivers = [ScriptedDriver(reply("a")), ScriptedDriver(reply("b")), ScriptedDriver(reply("c"))]
    session = make_session(store, Opener(*drivers))
    session.set_system_prompt("Answer in French.")
    await collect(session.send("keep"))
    await collect(session.send("drop"))
    assert drivers[1].requests[0].system == "Answer in French."
    session.delete_message(session.messages[2].id)
    assert [m.text for m in session.messages] == ["keep", "a"]
    session.set_system_prompt("  ")
    await collect(session.send("next"))
    assert drivers[2].requests[0].system is None
    assert [m.text for m in drivers[2].requests[0].messages] == ["keep", "a", "next"]


async def test_an_empty_prompt_is_refused_before_anything_is_saved(store: HistoryStore) -> None:
    session = make_session(store, Opener())
    with pytest.raises(ValueError, match="empty"):
        session.send("   ")
    assert store.all_messages(session.conversation.id) == []


async def test_a_reopened_session_shows_the_active_path(store: HistoryStore) -> None:
    session = make_session(store, Opener(ScriptedDriver(reply("Hi back"))))
    await collect(session.send("Hi"))
    conversation, _ = store.load_conversation(session.conversation.id)
    again = ChatSession(store, conversation, driver_opener=Opener(), config=config())
    assert [m.text for m in again.messages] == ["Hi", "Hi back"]
