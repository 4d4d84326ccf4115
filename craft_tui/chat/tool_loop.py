"""The tool loop: ask for an answer, run the tools it calls, send the results back, repeat.

Textual-free and driver-agnostic, so the app and `craft-tui ask --tools` run the same loop::

    loop = ToolLoop(stream, request, toolbox, policy, ask_person, max_steps=10)
    async for event in loop.run():          # loop.resume(5) after StepLimitReached
        match event:
            case TextDelta(text): ...        # every driver event, as it comes
            case ToolRunStarted(call, spec): ...
            case ToolRunFinished(call, spec, duration_s, outcome): ...
            case ToolCallRefused(call, result): ...      # unknown, bad arguments, denied
            case TurnRecorded(message): ...  # an assistant or tool turn is complete
            case StepLimitReached(): ...     # event.notice says what was left undone
    loop.messages                            # the turns this loop made, also after Esc

One step is one answer of the model. When an answer ends with tool calls, each call, in order:

1. a tool not offered in that request → error result "no tool named X";
2. arguments that are not JSON, or not a JSON object → error result saying so (an empty text
   counts as `{}`: some servers send that for a tool without parameters);
3. the permission rule (chat/permissions.py): allowed calls run through the `ToolBox`, denied
   ones get an error result with the reason, and `Ask` awaits `ask_person(call, spec)` — nothing
   runs without a decision;

then the next request carries the assistant turn (its reasoning, text and calls, in arrival
order: a signed thinking block must go back with its tool calls) and one "tool" turn of the
results, in the calls' order.

`max_steps` bounds the tool rounds run for one prompt (as `ChatSession` counts them): after
that many rounds the loop records the last results, asks for nothing more and yields
`StepLimitReached`; `resume(more)` sends the results and goes on. Tools turned off by a deny
rule are not offered at all.

Cancellation (Esc, Ctrl+C) or an error at any point keeps everything so far in `messages`: the
partial answer, and a result for each call of the round — the one that was running "cancelled",
the ones not reached "not run" — so a later request is well formed and the history says what
happened. The error (or `CancelledError`) then propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from craft_tui.chat.permissions import (
    Allow,
    AllowForSession,
    AllowOnce,
    Deny,
    DenyCall,
    PermissionPolicy,
    PersonDecision,
    denied_by_person,
)
from craft_tui.providers.content import (
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import (
    ChatMessage,
    ChatRequest,
    ModelInfo,
    ReasoningDelta,
    ReasoningSignature,
    RedactedReasoning,
    StreamEvent,
    TextDelta,
    ToolBox,
    ToolCallReady,
    ToolOutcome,
    ToolSpec,
)
from craft_tui.untrusted import shown_inline

if TYPE_CHECKING:
    from craft_tui.config.schema import Connection

StreamFn = Callable[[ChatRequest], AsyncIterator[StreamEvent]]
AskPerson = Callable[[ToolCallPart, ToolSpec], Awaitable[PersonDecision]]
Clock = Callable[[], float]
# Where the next request goes (`ChatSession.target`): whether that model takes tools.
TargetFn = Callable[[], "tuple[Connection | None, str | None]"]
ToolSupport = Literal["yes", "no", "unknown"]

CANCELLED_WHILE_RUNNING = "cancelled: the user stopped this call while it was running"
NOT_RUN = "not run: the answer was stopped before this call ran"


# ---------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class StepStarted:
    """A request is about to go out: step 1 answers the prompt, each later one the results."""

    step: int


@dataclass(frozen=True, slots=True)
class ToolRunStarted:
    """An allowed call is running now."""

    call: ToolCallPart
    spec: ToolSpec


@dataclass(frozen=True, slots=True)
class ToolRunFinished:
    """A call ran; `outcome` is what the model gets (untrusted text: show it disarmed)."""

    call: ToolCallPart
    spec: ToolSpec
    duration_s: float
    outcome: ToolOutcome


@dataclass(frozen=True, slots=True)
class ToolCallRefused:
    """A call that did not run (unknown tool, bad arguments, denied); `result` is what the
    model is told. `spec` is None for a tool that does not exist."""

    call: ToolCallPart
    spec: ToolSpec | None
    result: ToolResultPart


@dataclass(frozen=True, slots=True)
class TurnRecorded:
    """A turn is complete and appended to `ToolLoop.messages` (for a caller that stores it)."""

    message: ChatMessage


@dataclass(frozen=True, slots=True)
class StepLimitReached:
    """`steps` rounds of tool calls ran (the step limit); the model has not yet been sent the
    last round's results. `ToolLoop.resume` sends them."""

    steps: int

    @property
    def notice(self) -> str:
        rounds = "round" if self.steps == 1 else "rounds"
        return (
            f"Stopped after {self.steps} tool {rounds} (the step limit); the model has not "
            "seen the last results yet. Continue to let it go on."
        )


LoopEvent = (
    StreamEvent
    | StepStarted
    | ToolRunStarted
    | ToolRunFinished
    | ToolCallRefused
    | TurnRecorded
    | StepLimitReached
)


# ---------------------------------------------------------------------- one answer's parts


class _Turn:
    """The assistant turn as it streams: reasoning, text and calls in arrival order."""

    def __init__(self) -> None:
        self.parts: list[Part] = []
        self._run: list[str] = []
        self._kind: type[TextPart] | type[ReasoningPart] | None = None

    def _close_run(self, signature: str | None = None) -> None:
        if self._kind is TextPart:
            self.parts.append(TextPart("".join(self._run)))
        elif self._kind is ReasoningPart or signature is not None:
            self.parts.append(ReasoningPart("".join(self._run), signature=signature))
        self._run, self._kind = [], None

    def add(self, event: StreamEvent) -> None:
        match event:
            case TextDelta(text=text) if text:
                if self._kind is not TextPart:
                    self._close_run()
                    self._kind = TextPart
                self._run.append(text)
            case ReasoningDelta(text=text) if text:
                if self._kind is not ReasoningPart:
                    self._close_run()
                    self._kind = ReasoningPart
                self._run.append(text)
            case ReasoningSignature(signature=signature) if signature:
                if self._kind is not ReasoningPart:
                    self._close_run()
                self._close_run(signature)
            case RedactedReasoning(data=data) if data:
                self._close_run()
                self.parts.append(ReasoningPart("", encrypted=data))
            case ToolCallReady(call=call):
                self._close_run()
                self.parts.append(call)
            case _:
                pass

    def message(self) -> ChatMessage:
        self._close_run()
        return ChatMessage("assistant", parts=tuple(self.parts))

    @property
    def calls(self) -> tuple[ToolCallPart, ...]:
        return tuple(p for p in self.parts if isinstance(p, ToolCallPart))


def parse_arguments(text: str) -> Mapping[str, Any] | str:
    """The call's arguments as an object, or the sentence telling the model what is wrong."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as error:
        return (
            f"the arguments are not valid JSON ({error}); send one JSON object that matches "
            "the tool's input schema"
        )
    if not isinstance(value, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")
        if value is None:
            kind = "null"
        return f"the arguments must be a JSON object, not {kind}"
    return value


# ---------------------------------------------------------------------- models without tools

# (connection slug, model id) that refused a request with tools in this process: asked without
# them from then on (a model may learn tools with an update: the next start tries again).
_REFUSED_TOOLS: set[tuple[str, str]] = set()

RESEND_WITHOUT_TOOLS = "press {retry} to send it again without tools"


def tool_support(model: ModelInfo | None, connection_slug: str, model_id: str) -> ToolSupport:
    """Whether `model_id` on this connection calls tools: its refusal in this process, else
    what discovery recorded (`extra["tools"]`, OpenRouter's and Ollama's word), else unknown
    (tools are offered; a refusal is learnt)."""
    return support_from_extra(model.extra if model is not None else None, connection_slug, model_id)


def support_from_extra(
    extra: Mapping[str, str] | None, connection_slug: str, model_id: str
) -> ToolSupport:
    """`tool_support` from a listed model's `extra` alone (what the model picker has)."""
    if (connection_slug, model_id) in _REFUSED_TOOLS:
        return "no"
    tools = extra.get("tools") if extra else None
    if tools == "yes":
        return "yes"
    return "no" if tools == "no" else "unknown"


def note_tools_refused(error: ProviderError, connection_slug: str, model_id: str) -> bool:
    """A request with tools failed with `error`: when the model (or its server) refused the
    tools, remember it, so the next request to it goes without them. True when it did."""
    if error.kind != ErrorKind.TOOLS_UNSUPPORTED:
        return False
    _REFUSED_TOOLS.add((connection_slug, model_id))
    return True


def without_tools_hint(hint: str) -> str:
    """The app's fix for a refusal of tools: the mapping's own (which model or server flag
    would do), ending with the key that sends the prompt again without them."""
    hint = hint.strip()
    for ending in (", or ask without tools.", " or ask without tools."):
        if hint.endswith(ending):
            return f"{hint[: -len(ending)]}, or {RESEND_WITHOUT_TOOLS}."
    head = f"{hint} " if hint else ""
    return f"{head}{RESEND_WITHOUT_TOOLS[0].upper()}{RESEND_WITHOUT_TOOLS[1:]}."


def forget_tool_refusals() -> None:
    """Drop what was learnt (tests)."""
    _REFUSED_TOOLS.clear()


def tools_off_line(connection: Connection, model_id: str, listed: ModelInfo | None) -> str | None:
    """Why no tools are offered to `model_id` (one line, said once per conversation), or None
    when they are."""
    if tool_support(listed, connection.slug, model_id) != "no":
        return None
    where = f"{shown_inline(model_id)} on {shown_inline(connection.name)}"
    if (connection.slug, model_id) in _REFUSED_TOOLS:
        why = "refused tools"
    else:
        why = "cannot call tools (its server's model list says so)"
    return (
        f"Tools off: {where} {why}, so it is asked without them for the rest of this session. "
        "Pick a model that calls tools to use them."
    )


def _listed_model(connection: Connection, model_id: str) -> ModelInfo | None:
    from craft_tui.chat.attachments import listed_model

    return listed_model(connection, model_id)


# ---------------------------------------------------------------------- one call


class ToolCallRunner:
    """The rule for one call: is the tool offered, are its arguments an object, may it run
    (asking the person when the policy says so), and the run itself.

    Also the `ToolRunner` that `ChatSession` (chat/session.py) takes: `offered`, `problems`,
    `max_steps` and `run`, which never raises except for cancellation (and whatever
    `ask_person` raises: `craft-tui ask` stops when nobody can be asked)."""

    def __init__(
        self,
        toolbox: ToolBox,
        policy: PermissionPolicy,
        ask_person: AskPerson,
        max_steps: int = 10,
        *,
        target: TargetFn | None = None,
    ) -> None:
        if max_steps < 1:
            raise ValueError("max_steps must be 1 or more")
        self.toolbox = toolbox
        self.policy = policy
        self._ask_person = ask_person
        self._max_steps = max_steps
        self._target = target
        self._offered: tuple[ToolSpec, ...] = ()
        self._off: str | None = None  # why the target model gets no tools (tools_off_line)

    @property
    def max_steps(self) -> int:
        return self._max_steps

    @max_steps.setter
    def max_steps(self, value: int) -> None:
        self._max_steps = value

    async def offered(self) -> tuple[ToolSpec, ...]:
        """The tools to offer now: the toolbox's, minus those a deny rule turns off (a tool
        that can never run is not worth the model's while); none for a target model that does
        not call tools (`tools_off_line`; its servers are not even started for it)."""
        self._off = await self._tools_off()
        if self._off is not None:
            self._offered = ()
            return ()
        self._offered = tuple(
            spec for spec in await self.toolbox.specs() if not self.policy.denied_by_rule(spec)
        )
        return self._offered

    async def _tools_off(self) -> str | None:
        if self._target is None:
            return None
        connection, model = self._target()
        if connection is None or not model:
            return None
        if (connection.slug, model) in _REFUSED_TOOLS:
            return tools_off_line(connection, model, None)
        listed = await asyncio.to_thread(_listed_model, connection, model)  # reads a file
        return tools_off_line(connection, model, listed)

    def problems(self) -> tuple[str, ...]:
        """The toolbox's problems, and why this model gets no tools (after `offered`)."""
        problems = self.toolbox.problems()
        return (*problems, self._off) if self._off is not None else problems

    async def decide(
        self, call: ToolCallPart, spec: ToolSpec | None
    ) -> Mapping[str, Any] | ToolResultPart:
        """The arguments to run `call` with, or the error result it gets instead."""
        if spec is None:
            known = ", ".join(s.name for s in self._offered) or "none"
            return _error(call, f"no tool named {call.name} (tools offered: {known})")
        arguments = parse_arguments(call.arguments)
        if isinstance(arguments, str):
            return _error(call, arguments)
        decision = self.policy.decide(spec)
        if isinstance(decision, Deny):
            return _error(call, decision.reason)
        if isinstance(decision, Allow):
            return arguments
        answer = await self._ask_person(call, spec)
        if isinstance(answer, AllowForSession):
            self.policy.remember(spec, answer)
            return arguments
        if isinstance(answer, AllowOnce):
            return arguments
        if isinstance(answer, DenyCall):
            return _error(call, denied_by_person(answer))
        raise TypeError(f"not a permission answer for {self.policy.label(spec)}: {answer!r}")

    async def execute(
        self, call: ToolCallPart, spec: ToolSpec, arguments: Mapping[str, Any]
    ) -> ToolOutcome:
        return await self.toolbox.call(spec.name, arguments)

    async def run(self, call: ToolCallPart, spec: ToolSpec | None) -> ToolResultPart:
        """`decide`, then the run: the result the model gets."""
        decided = await self.decide(call, spec)
        if isinstance(decided, ToolResultPart):
            return decided
        assert spec is not None
        outcome = await self.execute(call, spec, decided)
        return ToolResultPart(call.id, outcome.text, is_error=outcome.is_error, name=call.name)


# ---------------------------------------------------------------------- the loop


class ToolLoop:
    """One prompt's answer with tools (see the module doc). `messages` holds the turns made."""

    def __init__(
        self,
        stream: StreamFn,
        request: ChatRequest,
        toolbox: ToolBox,
        policy: PermissionPolicy,
        ask_person: AskPerson,
        max_steps: int = 10,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        self.runner = ToolCallRunner(toolbox, policy, ask_person, max_steps)
        self._stream = stream
        self._request = request
        self._clock = clock
        self.messages: list[ChatMessage] = []
        self.rounds = 0  # tool rounds run so far
        self.steps = 0  # answers asked for so far
        self._running = False
        self._stopped_at_limit = False

    @property
    def max_steps(self) -> int:
        return self.runner.max_steps

    @property
    def conversation(self) -> tuple[ChatMessage, ...]:
        """The request's turns and this loop's: what the next request sends."""
        return (*self._request.messages, *self.messages)

    def run(self) -> AsyncGenerator[LoopEvent, None]:
        """Answer the request's last turn, running tools until an answer calls none."""
        if self.steps:
            raise RuntimeError("run() once; resume() after a StepLimitReached")
        return self._drive()

    def resume(self, more_steps: int) -> AsyncGenerator[LoopEvent, None]:
        """Go on after `StepLimitReached`: the model answers the last results, and may run
        `more_steps` more rounds."""
        if not self._stopped_at_limit:
            raise RuntimeError("nothing to resume: the loop did not stop at its step limit")
        self._stopped_at_limit = False
        self.runner.max_steps = self.rounds + max(1, more_steps)
        return self._drive()

    async def _drive(self) -> AsyncGenerator[LoopEvent, None]:
        if self._running:
            raise RuntimeError("the loop is already running")
        self._running = True
        try:
            while True:
                offered = await self.runner.offered()
                calls: tuple[ToolCallPart, ...] = ()
                async with contextlib.aclosing(self._answer(offered)) as events:
                    async for event in events:
                        if isinstance(event, TurnRecorded):
                            calls = _calls_of(event.message)
                        yield event
                if not calls:
                    return
                specs = {spec.name: spec for spec in offered}
                async with contextlib.aclosing(self._round(calls, specs)) as events:
                    async for event in events:
                        yield event
                if self.rounds >= self.runner.max_steps:
                    self._stopped_at_limit = True
                    yield StepLimitReached(self.rounds)
                    return
        except BaseException:
            self._settle()
            raise
        finally:
            self._running = False

    def _settle(self) -> None:
        """Stopped between an answer and its round: its calls did not run, and say so."""
        last = self.messages[-1] if self.messages else None
        if last is not None and last.role == "assistant":
            calls = _calls_of(last)
            if calls:
                results = tuple(_error(call, NOT_RUN) for call in calls)
                self.messages.append(ChatMessage("tool", parts=results))

    async def _answer(self, specs: tuple[ToolSpec, ...]) -> AsyncGenerator[LoopEvent, None]:
        """Stream one answer, passing each event up; its turn is recorded however it ends."""
        self.steps += 1
        yield StepStarted(self.steps)
        request = replace(self._request, messages=self.conversation, tools=specs)
        turn = _Turn()
        try:
            async with contextlib.aclosing(self._stream(request)) as events:  # type: ignore[type-var]
                async for event in events:
                    turn.add(event)
                    yield event
        except BaseException:
            self._keep_interrupted(turn)
            raise
        message = turn.message()
        self.messages.append(message)
        yield TurnRecorded(message)

    def _keep_interrupted(self, turn: _Turn) -> None:
        """An answer cut off (Esc, an error): keep what arrived; calls in it did not run."""
        message = turn.message()
        if not message.parts:
            return
        self.messages.append(message)
        if turn.calls:
            results = tuple(_error(call, NOT_RUN) for call in turn.calls)
            self.messages.append(ChatMessage("tool", parts=results))

    async def _round(
        self, calls: Sequence[ToolCallPart], specs: Mapping[str, ToolSpec]
    ) -> AsyncGenerator[LoopEvent, None]:
        """Handle every call of one answer, in order, then record the tool turn."""
        self.rounds += 1
        results: list[ToolResultPart] = []
        running: str | None = None
        try:
            for call in calls:
                spec = specs.get(call.name)
                decided = await self.runner.decide(call, spec)
                if isinstance(decided, ToolResultPart):
                    results.append(decided)
                    yield ToolCallRefused(call, spec, decided)
                    continue
                assert spec is not None
                yield ToolRunStarted(call, spec)
                running = call.id
                started = self._clock()
                outcome = await self.runner.execute(call, spec, decided)
                duration = self._clock() - started
                running = None
                results.append(
                    ToolResultPart(call.id, outcome.text, is_error=outcome.is_error, name=call.name)
                )
                yield ToolRunFinished(call, spec, duration, outcome)
        except BaseException:
            done = {result.call_id for result in results}
            for call in calls:
                if call.id not in done:
                    text = CANCELLED_WHILE_RUNNING if call.id == running else NOT_RUN
                    results.append(_error(call, text))
            self.messages.append(ChatMessage("tool", parts=tuple(results)))
            raise
        message = ChatMessage("tool", parts=tuple(results))
        self.messages.append(message)
        yield TurnRecorded(message)


def _error(call: ToolCallPart, text: str) -> ToolResultPart:
    return ToolResultPart(call.id, text, is_error=True, name=call.name)


def _calls_of(message: ChatMessage) -> tuple[ToolCallPart, ...]:
    return tuple(p for p in message.parts if isinstance(p, ToolCallPart))
