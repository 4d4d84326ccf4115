"""The tool loop against a scripted driver function and a fake ToolBox (no network, no Textual).

Each test asserts what the model is sent next (the exact messages of the following request),
what the caller is handed (the events) and what is kept when the loop is stopped."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest

from craft_tui.chat.permissions import (
    AllowForSession,
    AllowOnce,
    DenyCall,
    PermissionPolicy,
    PersonDecision,
)
from craft_tui.chat.tool_loop import (
    CANCELLED_WHILE_RUNNING,
    NOT_RUN,
    LoopEvent,
    StepLimitReached,
    StepStarted,
    ToolCallRefused,
    ToolLoop,
    ToolRunFinished,
    ToolRunStarted,
    TurnRecorded,
)
from craft_tui.providers.content import ReasoningPart, TextPart, ToolCallPart, ToolResultPart
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import (
    ChatMessage,
    ChatRequest,
    Finish,
    ReasoningDelta,
    ReasoningSignature,
    StreamEvent,
    TextDelta,
    ToolCallReady,
    ToolCallStarted,
    ToolOutcome,
    ToolSpec,
    Usage,
)

READ = ToolSpec("read_file", "Read a file", {"type": "object"}, read_only=True, source="fs")
WRITE = ToolSpec("write_file", "Write a file", {"type": "object"}, source="fs")
PROMPT = ChatMessage("user", "What is in notes.txt?")
REQUEST = ChatRequest(model="m", messages=(PROMPT,), system="Be brief.", max_tokens=100)


def call(
    id: str, name: str = "read_file", arguments: str = '{"path": "notes.txt"}'
) -> ToolCallPart:
    return ToolCallPart(id, name, arguments)


def calling(*calls: ToolCallPart, text: str = "") -> list[StreamEvent | Exception]:
    """An answer that says `text` and then makes `calls` (as a driver emits them)."""
    events: list[StreamEvent | Exception] = [TextDelta(text)] if text else []
    events += [ToolCallStarted(i, c.id, c.name) for i, c in enumerate(calls)]
    events += [ToolCallReady(i, c) for i, c in enumerate(calls)]
    events += [Usage(input_tokens=5, output_tokens=3), Finish("tool_use")]
    return events


def saying(text: str) -> list[StreamEvent | Exception]:
    return [TextDelta(text), Finish("stop")]


class Driver:
    """A driver function scripted per step; records every request it was given."""

    def __init__(self, *steps: Sequence[StreamEvent | Exception | asyncio.Event]) -> None:
        self.steps = list(steps)
        self.requests: list[ChatRequest] = []
        self.closed = 0
        self.reached = asyncio.Event()  # set when the script reaches an asyncio.Event step

    async def __call__(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.requests.append(request)
        script = self.steps[len(self.requests) - 1]
        try:
            for step in script:
                if isinstance(step, asyncio.Event):
                    self.reached.set()
                    await step.wait()
                elif isinstance(step, Exception):
                    raise step
                else:
                    yield step
        finally:
            self.closed += 1


class Box:
    """A ToolBox whose tools answer from a table; `hold` makes a call wait until released."""

    def __init__(self, *specs: ToolSpec, answers: Mapping[str, ToolOutcome] | None = None) -> None:
        self._specs = specs or (READ, WRITE)
        self.answers = dict(answers or {})
        self.calls: list[tuple[str, Mapping[str, Any]]] = []
        self.hold: asyncio.Event | None = None
        self.running = asyncio.Event()

    async def specs(self) -> tuple[ToolSpec, ...]:
        return self._specs

    async def call(self, name: str, arguments: Mapping[str, Any]) -> ToolOutcome:
        self.calls.append((name, arguments))
        self.running.set()
        if self.hold is not None:
            await self.hold.wait()
        return self.answers.get(name, ToolOutcome(f"{name} ran with {dict(arguments)}"))

    def problems(self) -> tuple[str, ...]:
        return ()

    async def aclose(self) -> None:
        pass


class Person:
    """Answers permission questions from a list, recording what was asked."""

    def __init__(self, *answers: PersonDecision) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str]] = []
        self.hold: asyncio.Event | None = None
        self.waiting = asyncio.Event()

    async def __call__(self, call: ToolCallPart, spec: ToolSpec) -> PersonDecision:
        self.asked.append((call.id, spec.name))
        self.waiting.set()
        if self.hold is not None:
            await self.hold.wait()
        return self.answers.pop(0)


class Clock:
    def __init__(self) -> None:
        self.now = 10.0

    def __call__(self) -> float:
        self.now += 0.25  # every reading is a quarter second later
        return self.now


def make_loop(
    driver: Driver,
    box: Box | None = None,
    *,
    mode: str = "allow-all",
    person: Person | None = None,
    max_steps: int = 10,
    **rules: Sequence[str],
) -> ToolLoop:
    return ToolLoop(
        driver,
        REQUEST,
        box or Box(),
        PermissionPolicy.from_rules(mode, **rules),
        person or Person(),
        max_steps,
        clock=Clock(),
    )


async def collect(events: AsyncIterator[LoopEvent]) -> list[LoopEvent]:
    return [event async for event in events]


def result(call_id: str, text: str, is_error: bool = False, name: str = "read_file") -> ChatMessage:
    return ChatMessage("tool", parts=(ToolResultPart(call_id, text, is_error, name),))


# ---------------------------------------------------------------------- answers and rounds


async def test_an_answer_without_tool_calls_is_one_request_offering_the_tools() -> None:
    driver = Driver(saying("Hello."))
    loop = make_loop(driver)
    events = await collect(loop.run())
    assert events == [
        StepStarted(1),
        TextDelta("Hello."),
        Finish("stop"),
        TurnRecorded(loop.messages[0]),
    ]
    assert loop.messages == [ChatMessage("assistant", "Hello.")]
    (request,) = driver.requests
    assert request == ChatRequest(
        model="m", messages=(PROMPT,), system="Be brief.", max_tokens=100, tools=(READ, WRITE)
    )


async def test_a_tool_call_runs_and_the_next_request_carries_the_call_and_its_result() -> None:
    driver = Driver(calling(call("c1"), text="Let me look."), saying("It says hi."))
    box = Box(answers={"read_file": ToolOutcome("hi")})
    loop = make_loop(driver, box)
    events = await collect(loop.run())

    assistant = ChatMessage(
        "assistant",
        parts=(TextPart("Let me look."), ToolCallPart("c1", "read_file", '{"path": "notes.txt"}')),
    )
    tool = result("c1", "hi")
    assert box.calls == [("read_file", {"path": "notes.txt"})]
    assert driver.requests[1].messages == (PROMPT, assistant, tool)
    assert driver.requests[1].tools == (READ, WRITE)
    assert driver.requests[1].system == "Be brief."
    assert loop.messages == [assistant, tool, ChatMessage("assistant", "It says hi.")]
    assert [type(e).__name__ for e in events] == [
        "StepStarted", "TextDelta", "ToolCallStarted", "ToolCallReady", "Usage", "Finish",
        "TurnRecorded", "ToolRunStarted", "ToolRunFinished", "TurnRecorded",
        "StepStarted", "TextDelta", "Finish", "TurnRecorded",
    ]  # fmt: skip
    finished = next(e for e in events if isinstance(e, ToolRunFinished))
    assert finished == ToolRunFinished(call("c1"), READ, 0.25, ToolOutcome("hi"))
    assert driver.closed == 2


async def test_several_calls_run_in_order_and_their_results_go_back_in_one_tool_turn() -> None:
    calls = (call("a", arguments='{"path": "1"}'), call("b", "write_file", '{"path": "2"}'))
    driver = Driver(calling(*calls), saying("Done."))
    box = Box(answers={"write_file": ToolOutcome("disk full", is_error=True)})
    loop = make_loop(driver, box)
    await collect(loop.run())
    assert box.calls == [("read_file", {"path": "1"}), ("write_file", {"path": "2"})]
    assert driver.requests[1].messages[1:] == (
        ChatMessage("assistant", parts=calls),
        ChatMessage(
            "tool",
            parts=(
                ToolResultPart("a", "read_file ran with {'path': '1'}", False, "read_file"),
                ToolResultPart("b", "disk full", True, "write_file"),  # the tool's own failure
            ),
        ),
    )


async def test_a_signed_thinking_block_goes_back_with_the_tool_call_it_led_to() -> None:
    script: list[StreamEvent | Exception] = [
        ReasoningDelta("I should "),
        ReasoningDelta("read it."),
        ReasoningSignature("sig"),
    ]
    driver = Driver(script + calling(call("c1")), saying("ok"))
    await collect(make_loop(driver).run())
    assert driver.requests[1].messages[1] == ChatMessage(
        "assistant", parts=(ReasoningPart("I should read it.", signature="sig"), call("c1"))
    )


# ---------------------------------------------------------------------- calls that do not run


async def test_a_call_of_a_tool_that_was_not_offered_gets_an_error_result() -> None:
    driver = Driver(calling(call("c1", "delete_all", "{}")), saying("Sorry."))
    box = Box()
    loop = make_loop(driver, box)
    events = await collect(loop.run())
    expected = ToolResultPart(
        "c1", "no tool named delete_all (tools offered: read_file, write_file)", True, "delete_all"
    )
    assert driver.requests[1].messages[2] == ChatMessage("tool", parts=(expected,))
    assert ToolCallRefused(call("c1", "delete_all", "{}"), None, expected) in events
    assert box.calls == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            '{"path": ',
            "the arguments are not valid JSON (Expecting value: line 1 column 10 (char 9)); "
            "send one JSON object that matches the tool's input schema",
        ),
        ('["notes.txt"]', "the arguments must be a JSON object, not an array"),
        ('"notes.txt"', "the arguments must be a JSON object, not a string"),
        ("null", "the arguments must be a JSON object, not null"),
        ("3", "the arguments must be a JSON object, not a number"),
    ],
)
async def test_arguments_that_are_not_a_json_object_get_an_error_result_and_nobody_is_asked(
    arguments: str, message: str
) -> None:
    driver = Driver(calling(call("c1", arguments=arguments)), saying("Oops."))
    box, person = Box(), Person()
    await collect(make_loop(driver, box, mode="ask", person=person).run())
    assert driver.requests[1].messages[2] == result("c1", message, is_error=True)
    assert box.calls == [] and person.asked == []


async def test_empty_arguments_are_an_empty_object() -> None:
    driver = Driver(calling(call("c1", arguments="")), saying("ok"))
    box = Box()
    await collect(make_loop(driver, box).run())
    assert box.calls == [("read_file", {})]


async def test_read_only_mode_denies_a_writing_tool_with_the_reason_and_runs_a_reading_one() -> (
    None
):
    calls = (call("w", "write_file", '{"path": "x"}'), call("r"))
    driver = Driver(calling(*calls), saying("ok"))
    box, person = Box(), Person()
    await collect(make_loop(driver, box, mode="read-only", person=person).run())
    assert box.calls == [("read_file", {"path": "notes.txt"})]
    assert person.asked == []
    denied = driver.requests[1].messages[2].parts[0]
    assert denied == ToolResultPart(
        "w",
        "fs.write_file was not run: only read-only tools may run now (permission mode "
        "read-only), and its server does not mark it read-only.",
        True,
        "write_file",
    )


async def test_a_tool_turned_off_by_a_deny_rule_is_not_offered_and_never_runs() -> None:
    driver = Driver(calling(call("c1")), saying("ok"))
    box = Box()
    await collect(make_loop(driver, box, mode="allow-all", deny=["fs.read_file"]).run())
    assert driver.requests[0].tools == (WRITE,)
    assert box.calls == []
    assert driver.requests[1].messages[2] == result(
        "c1", "no tool named read_file (tools offered: write_file)", is_error=True
    )


# ---------------------------------------------------------------------- asking the person


async def test_ask_mode_asks_before_every_call_allowed_once() -> None:
    driver = Driver(calling(call("a"), call("b")), saying("ok"))
    box, person = Box(), Person(AllowOnce(), AllowOnce())
    await collect(make_loop(driver, box, mode="ask", person=person).run())
    assert person.asked == [("a", "read_file"), ("b", "read_file")]
    assert len(box.calls) == 2


async def test_allowed_for_the_session_the_tool_is_not_asked_about_again() -> None:
    driver = Driver(
        calling(call("a")), calling(call("b"), call("c", "write_file", "{}")), saying("ok")
    )
    box, person = Box(), Person(AllowForSession(), AllowOnce())
    loop = make_loop(driver, box, mode="ask", person=person)
    await collect(loop.run())
    assert person.asked == [("a", "read_file"), ("c", "write_file")]  # b ran without asking
    assert [name for name, _ in box.calls] == ["read_file", "read_file", "write_file"]


async def test_a_call_the_person_denies_tells_the_model_their_reason() -> None:
    driver = Driver(calling(call("c1")), saying("Understood."))
    box = Box()
    loop = make_loop(driver, box, mode="ask", person=Person(DenyCall("use the backup instead")))
    events = await collect(loop.run())
    denied = ToolResultPart(
        "c1", "the user denied this call: use the backup instead", True, "read_file"
    )
    assert box.calls == []
    assert driver.requests[1].messages[2] == ChatMessage("tool", parts=(denied,))
    assert ToolCallRefused(call("c1"), READ, denied) in events
    assert loop.messages[-1] == ChatMessage("assistant", "Understood.")


# ---------------------------------------------------------------------- the step limit


async def test_the_step_limit_stops_after_that_many_rounds_and_continue_goes_on() -> None:
    driver = Driver(calling(call("a")), calling(call("b"), text="More."), saying("All done."))
    box = Box()
    loop = make_loop(driver, box, max_steps=1)
    events = await collect(loop.run())
    limit = events[-1]
    assert limit == StepLimitReached(1)
    assert isinstance(limit, StepLimitReached)
    assert limit.notice == (
        "Stopped after 1 tool round (the step limit); the model has not seen the last "
        "results yet. Continue to let it go on."
    )
    assert len(box.calls) == 1 and len(driver.requests) == 1
    assert loop.messages[-1] == result("a", "read_file ran with {'path': 'notes.txt'}")

    more = await collect(loop.resume(1))
    assert driver.requests[1].messages == tuple([PROMPT, *loop.messages[:2]])
    assert len(box.calls) == 2
    assert isinstance(more[-1], StepLimitReached) and more[-1].steps == 2
    final = await collect(loop.resume(5))
    assert isinstance(final[-1], TurnRecorded) and final[-1].message.text == "All done."
    assert driver.requests[2].messages[-2:] == (
        ChatMessage("assistant", parts=(TextPart("More."), call("b"))),
        result("b", "read_file ran with {'path': 'notes.txt'}"),
    )


def test_a_step_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_steps must be 1 or more"):
        make_loop(Driver(), max_steps=0)


# ---------------------------------------------------------------------- stopping and failing


async def run_until(loop: ToolLoop, condition: asyncio.Event) -> asyncio.Task[list[LoopEvent]]:
    task = asyncio.ensure_future(collect(loop.run()))
    await asyncio.wait_for(condition.wait(), 5)
    return task


async def test_esc_while_the_answer_streams_keeps_the_partial_text() -> None:
    gate = asyncio.Event()
    driver = Driver([TextDelta("Half an "), TextDelta("answer"), gate])
    loop = make_loop(driver)
    task = await run_until(loop, driver.reached)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert loop.messages == [ChatMessage("assistant", "Half an answer")]
    assert driver.closed == 1


async def test_esc_after_the_calls_arrived_records_them_as_not_run() -> None:
    gate = asyncio.Event()
    driver = Driver([*calling(call("a"))[:-2], gate])
    box = Box()
    loop = make_loop(driver, box)
    task = await run_until(loop, driver.reached)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert box.calls == []
    assert loop.messages == [
        ChatMessage("assistant", parts=(call("a"),)),
        result("a", NOT_RUN, is_error=True),
    ]


async def test_esc_while_a_tool_runs_keeps_earlier_results_and_marks_the_running_one_cancelled() -> (
    None
):
    calls = (call("a"), call("b", "write_file", "{}"), call("c"))
    driver = Driver(calling(*calls))
    box = Box()
    loop = make_loop(driver, box)
    box.answers["write_file"] = ToolOutcome("never")
    first_done = asyncio.Event()

    async def watch() -> list[LoopEvent]:
        seen = []
        async for event in loop.run():
            seen.append(event)
            if isinstance(event, ToolRunFinished):
                box.hold, box.running = asyncio.Event(), first_done  # the next call hangs
        return seen

    task = asyncio.ensure_future(watch())
    await asyncio.wait_for(first_done.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [name for name, _ in box.calls] == ["read_file", "write_file"]
    assert loop.messages[-1] == ChatMessage(
        "tool",
        parts=(
            ToolResultPart("a", "read_file ran with {'path': 'notes.txt'}", False, "read_file"),
            ToolResultPart("b", CANCELLED_WHILE_RUNNING, True, "write_file"),
            ToolResultPart("c", NOT_RUN, True, "read_file"),
        ),
    )


async def test_esc_while_the_person_is_asked_runs_nothing() -> None:
    driver = Driver(calling(call("a")))
    box, person = Box(), Person(AllowOnce())
    person.hold = asyncio.Event()
    loop = make_loop(driver, box, mode="ask", person=person)
    task = await run_until(loop, person.waiting)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert box.calls == []
    assert loop.messages[-1] == result("a", NOT_RUN, is_error=True)


async def test_a_caller_that_stops_reading_keeps_a_well_formed_conversation() -> None:
    driver = Driver(calling(call("a"), call("b")))
    box = Box()
    loop = make_loop(driver, box)
    async with contextlib.aclosing(loop.run()) as events:
        async for event in events:
            if isinstance(event, ToolRunStarted):
                break  # the caller leaves at the first call about to run
    assert box.calls == []
    assert loop.messages == [
        ChatMessage("assistant", parts=(call("a"), call("b"))),
        ChatMessage(
            "tool",
            parts=(
                ToolResultPart("a", NOT_RUN, True, "read_file"),
                ToolResultPart("b", NOT_RUN, True, "read_file"),
            ),
        ),
    ]


async def test_a_caller_that_stops_between_the_answer_and_its_round_records_the_calls_not_run() -> (
    None
):
    driver = Driver(calling(call("a")))
    loop = make_loop(driver)
    async with contextlib.aclosing(loop.run()) as events:
        async for event in events:
            if isinstance(event, TurnRecorded):
                break
    assert loop.messages[-1] == result("a", NOT_RUN, is_error=True)


async def test_a_provider_error_in_a_later_step_keeps_the_turns_so_far_and_propagates() -> None:
    failure = ProviderError(ErrorKind.SERVER_ERROR, "The server failed.", "Retry.")
    driver = Driver(calling(call("a")), [TextDelta("Partly"), failure])
    loop = make_loop(driver)
    with pytest.raises(ProviderError, match="The server failed"):
        await collect(loop.run())
    assert [m.role for m in loop.messages] == ["assistant", "tool", "assistant"]
    assert loop.messages[-1] == ChatMessage("assistant", "Partly")


async def test_run_twice_is_refused_and_resume_needs_a_step_limit_stop() -> None:
    loop = make_loop(Driver(saying("hi"), saying("again")))
    await collect(loop.run())
    with pytest.raises(RuntimeError):
        loop.run()
    with pytest.raises(RuntimeError):
        loop.resume(1)


async def test_the_call_runner_is_the_sessions_tool_runner_with_the_same_rule() -> None:
    from craft_tui.chat.session import ToolRunner
    from craft_tui.chat.tool_loop import ToolCallRunner

    box, person = Box(), Person(DenyCall("no"))
    runner: ToolRunner = ToolCallRunner(
        box, PermissionPolicy("ask", deny=("fs.write_file",)), person, 3
    )
    assert runner.max_steps == 3
    assert await runner.offered() == (READ,)
    assert await runner.run(call("x", "write_file", "{}"), None) == ToolResultPart(
        "x", "no tool named write_file (tools offered: read_file)", True, "write_file"
    )
    assert await runner.run(call("y"), READ) == ToolResultPart(
        "y", "the user denied this call: no", True, "read_file"
    )
    allowed = ToolCallRunner(box, PermissionPolicy("allow-all"), person)
    assert await allowed.run(call("z"), READ) == ToolResultPart(
        "z", "read_file ran with {'path': 'notes.txt'}", False, "read_file"
    )


def connection(slug: str = "fake") -> Any:
    from craft_tui.config.schema import Connection

    return Connection.model_validate(
        {
            "slug": slug,
            "name": "Fake",
            "protocol": "openai",
            "base_url": "http://127.0.0.1:9/v1",
            "auth": {"type": "none"},
        }
    )


@pytest.fixture
def fresh_refusals() -> Any:
    from craft_tui.chat.tool_loop import forget_tool_refusals

    forget_tool_refusals()
    yield
    forget_tool_refusals()


async def test_a_model_that_refused_tools_is_offered_none_and_the_runner_says_why(
    isolated_home: Any, fresh_refusals: None
) -> None:
    from craft_tui.chat.tool_loop import ToolCallRunner, note_tools_refused

    target = connection()
    runner = ToolCallRunner(Box(), PermissionPolicy("ask"), Person(), target=lambda: (target, "m"))
    assert await runner.offered() == (READ, WRITE)
    assert runner.problems() == ()
    # Any other error teaches nothing; a refusal of tools is remembered for that model only.
    assert not note_tools_refused(ProviderError(ErrorKind.INVALID_REQUEST, "bad"), "fake", "m")
    assert await runner.offered() == (READ, WRITE)
    assert note_tools_refused(ProviderError(ErrorKind.TOOLS_UNSUPPORTED, "no"), "fake", "m")
    assert await runner.offered() == ()
    (line,) = runner.problems()
    assert line.startswith("Tools off: m on Fake refused tools")
    other = ToolCallRunner(Box(), PermissionPolicy("ask"), Person(), target=lambda: (target, "n"))
    assert await other.offered() == (READ, WRITE)


def test_the_discovery_flag_says_whether_a_model_calls_tools(fresh_refusals: None) -> None:
    from craft_tui.chat.tool_loop import tool_support, tools_off_line
    from craft_tui.providers.types import ModelInfo

    assert tool_support(ModelInfo("m", extra={"tools": "yes"}), "fake", "m") == "yes"
    assert tool_support(ModelInfo("m", extra={"tools": "no"}), "fake", "m") == "no"
    assert tool_support(ModelInfo("m"), "fake", "m") == "unknown"
    assert tool_support(None, "fake", "m") == "unknown"
    assert tools_off_line(connection(), "m", ModelInfo("m")) is None
    # A model id from a server is shown as text on one line.
    line = tools_off_line(connection(), "m\x1b[2J\n", ModelInfo("m", extra={"tools": "no"}))
    assert line is not None and "\x1b" not in line and "\n" not in line
    assert "cannot call tools (its server's model list says so)" in line


def test_the_fix_for_a_refusal_ends_with_the_key_that_resends_without_tools() -> None:
    from craft_tui.chat.tool_loop import without_tools_hint

    assert without_tools_hint("Pick a model that supports tools, or ask without tools.") == (
        "Pick a model that supports tools, or press {retry} to send it again without tools."
    )
    assert without_tools_hint("Start the server with --jinja.") == (
        "Start the server with --jinja. Press {retry} to send it again without tools."
    )
    assert without_tools_hint("") == "Press {retry} to send it again without tools."
