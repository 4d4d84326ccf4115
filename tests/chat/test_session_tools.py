"""ChatSession running tool calls: each answer and each round of results is a row of its own,
the next request carries them, the step limit stops the loop (and `continue_tools` goes on),
and Esc while a tool runs keeps what ran and marks the rest as stopped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import (
    AnswerFinished,
    AnswerStarted,
    ChatSession,
    TextChunk,
    ToolCallAnnounced,
    ToolResultsSaved,
    ToolRunFinished,
    ToolRunStarted,
    ToolStepLimit,
    ToolsUnavailable,
)
from craft_tui.providers.content import TextPart, ToolCallPart, ToolResultPart
from craft_tui.providers.types import (
    ChatRequest,
    Finish,
    ModelInfo,
    StreamEvent,
    TextDelta,
    ToolCallReady,
    ToolCallStarted,
    ToolSpec,
)
from tests.chat.fakes import Clock, collect, config, connection
from tests.waiting import until

ECHO = ToolSpec("echo", "Says it back.", {"type": "object"}, read_only=True, source="demo")


class StepsDriver:
    """One script per request, in order; records every request."""

    def __init__(self, *scripts: Sequence[StreamEvent]) -> None:
        self.scripts = list(scripts)
        self.requests: list[ChatRequest] = []

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        script = self.scripts[len(self.requests)]
        self.requests.append(request)
        for event in script:
            yield event
            await asyncio.sleep(0)

    async def list_models(self) -> list[ModelInfo]:
        return []

    async def aclose(self) -> None:
        pass


class Runner:
    """A ToolRunner that answers each call with its arguments, or waits on `gate`."""

    def __init__(self, max_steps: int = 5, problems: tuple[str, ...] = ()) -> None:
        self._max_steps = max_steps
        self._problems = problems
        self.ran: list[str] = []
        self.gate: asyncio.Event | None = None
        self.reached = asyncio.Event()

    @property
    def max_steps(self) -> int:
        return self._max_steps

    async def offered(self) -> tuple[ToolSpec, ...]:
        return (ECHO,)

    def problems(self) -> tuple[str, ...]:
        return self._problems

    async def run(self, call: ToolCallPart, spec: ToolSpec | None) -> ToolResultPart:
        if spec is None:
            return ToolResultPart(call.id, f"There is no tool named {call.name}.", True, call.name)
        self.reached.set()
        if self.gate is not None:
            await self.gate.wait()
        self.ran.append(call.arguments)
        return ToolResultPart(call.id, f"echo: {call.arguments}", False, call.name)


def calls(*pairs: tuple[str, str]) -> list[StreamEvent]:
    events: list[StreamEvent] = [TextDelta("Let me check. ")]
    for index, (call_id, _arguments) in enumerate(pairs):
        events.append(ToolCallStarted(index, call_id, "echo"))
    for index, (call_id, arguments) in enumerate(pairs):
        events.append(ToolCallReady(index, ToolCallPart(call_id, "echo", arguments)))
    events.append(Finish("tool_use"))
    return events


def session_with(store: HistoryStore, driver: StepsDriver, runner: Runner) -> ChatSession:
    conversation = store.create_conversation(connection_slug="fake", model="small")
    return ChatSession(
        store,
        conversation,
        driver_opener=lambda _c: driver,
        config=config(connection("fake")),
        clock=Clock(),
        idle_save=False,
        tools=runner,
    )


@pytest.fixture
def store() -> HistoryStore:
    return HistoryStore.open()


async def test_calls_run_and_the_next_request_carries_the_answer_and_its_results(
    store: HistoryStore,
) -> None:
    driver = StepsDriver(
        calls(("c1", '{"text": "a"}'), ("c2", '{"text": "b"}')),
        [TextDelta("Both said back."), Finish("stop")],
    )
    runner = Runner()
    session = session_with(store, driver, runner)
    events: list[Any] = await collect(session.send("use the tool"))

    assert runner.ran == ['{"text": "a"}', '{"text": "b"}']
    assert [type(e) for e in events if not isinstance(e, TextChunk)].count(AnswerStarted) == 2
    announced = [e for e in events if isinstance(e, ToolCallAnnounced)]
    assert [(a.index, a.name) for a in announced] == [(0, "echo"), (1, "echo")]
    started = [e for e in events if isinstance(e, ToolRunStarted)]
    assert [s.spec for s in started] == [ECHO, ECHO]
    finished = [e for e in events if isinstance(e, ToolRunFinished)]
    assert [f.result.text for f in finished] == ['echo: {"text": "a"}', 'echo: {"text": "b"}']

    # Every request offered the tool; the second ends with the answer's calls and their results.
    assert [r.tools for r in driver.requests] == [(ECHO,), (ECHO,)]
    second = driver.requests[1].messages
    assert [m.role for m in second] == ["user", "assistant", "tool"]
    assert second[1].parts == (
        TextPart("Let me check. "),
        ToolCallPart("c1", "echo", '{"text": "a"}'),
        ToolCallPart("c2", "echo", '{"text": "b"}'),
    )
    assert second[2].parts == (
        ToolResultPart("c1", 'echo: {"text": "a"}', False, "echo"),
        ToolResultPart("c2", 'echo: {"text": "b"}', False, "echo"),
    )

    # On disk: prompt, answer with calls, tool row, final answer — and so after a reopen.
    _conversation, path = store.load_conversation(session.conversation.id)
    assert [m.role for m in path] == ["user", "assistant", "tool", "assistant"]
    assert path[1].finish_reason == "tool_use"
    assert path[3].text == "Both said back."
    assert [m.role for m in session.messages] == ["user", "assistant", "tool", "assistant"]


async def test_an_unknown_tool_fails_without_running_and_the_model_is_told(
    store: HistoryStore,
) -> None:
    made_up: list[StreamEvent] = [
        ToolCallReady(0, ToolCallPart("c1", "rm_everything", "{}")),
        Finish("tool_use"),
    ]
    driver = StepsDriver(made_up, [TextDelta("Sorry."), Finish("stop")])
    runner = Runner()
    session = session_with(store, driver, runner)
    events: list[Any] = await collect(session.send("go"))
    assert runner.ran == []
    started = [e for e in events if isinstance(e, ToolRunStarted)]
    assert started[0].spec is None
    results = driver.requests[1].messages[-1].parts
    assert results == (
        ToolResultPart("c1", "There is no tool named rm_everything.", True, "rm_everything"),
    )


async def test_the_step_limit_stops_the_loop_and_continue_goes_on(store: HistoryStore) -> None:
    driver = StepsDriver(
        calls(("c1", "{}")),
        calls(("c2", "{}")),
        [TextDelta("Done at last."), Finish("stop")],
    )
    runner = Runner(max_steps=2)
    session = session_with(store, driver, runner)
    events: list[Any] = await collect(session.send("loop"))
    assert isinstance(events[-1], ToolStepLimit) and events[-1].steps == 2
    assert len(driver.requests) == 2
    assert session.messages[-1].role == "tool"

    more: list[Any] = await collect(session.continue_tools())
    assert isinstance(more[-1], AnswerFinished)
    assert more[-1].message.text == "Done at last."
    assert [m.role for m in driver.requests[2].messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
    ]


async def test_esc_while_a_tool_runs_keeps_what_ran_and_marks_the_rest_stopped(
    store: HistoryStore,
) -> None:
    driver = StepsDriver(calls(("c1", '"first"'), ("c2", '"second"')))
    runner = Runner()
    session = session_with(store, driver, runner)
    runner.gate = asyncio.Event()
    seen: list[Any] = []

    async def consume() -> None:
        async for event in session.send("slow tools"):
            seen.append(event)
            if isinstance(event, ToolRunFinished):
                runner.gate = asyncio.Event()  # the second call hangs
                runner.reached.clear()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(runner.reached.wait(), 10)
    assert runner.gate is not None
    runner.gate.set()  # the first call finishes
    await until(lambda: any(isinstance(e, ToolRunFinished) for e in seen), "the first result")
    await asyncio.wait_for(runner.reached.wait(), 10)  # the second is running
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    _conversation, path = store.load_conversation(session.conversation.id)
    assert [m.role for m in path] == ["user", "assistant", "tool"]
    first, second = path[2].parts
    assert first == ToolResultPart("c1", 'echo: "first"', False, "echo")
    assert isinstance(second, ToolResultPart) and second.is_error
    assert (
        second.call_id == "c2" and "the user stopped this call while it was running" in second.text
    )


async def test_tool_sources_that_failed_are_reported_once(store: HistoryStore) -> None:
    driver = StepsDriver(
        [TextDelta("one"), Finish("stop")],
        [TextDelta("two"), Finish("stop")],
    )
    runner = Runner(problems=("mcp server 'files' did not start: exit 1",))
    session = session_with(store, driver, runner)
    first: list[Any] = await collect(session.send("a"))
    second: list[Any] = await collect(session.send("b"))
    assert [e.lines for e in first if isinstance(e, ToolsUnavailable)] == [
        ("mcp server 'files' did not start: exit 1",)
    ]
    assert not [e for e in second if isinstance(e, ToolsUnavailable)]
    assert not [e for e in first + second if isinstance(e, ToolResultsSaved)]
