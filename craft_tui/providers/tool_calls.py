"""Tool calls collected from a stream, for both drivers: the one place that decides when a call
is announced (`ToolCallStarted`), when it is complete (`ToolCallReady`) and in which order.

Why one collector: the two protocols stream calls differently (OpenAI: `tool_calls` deltas keyed
by `index`, Anthropic: a `tool_use` content block with `input_json_delta` fragments), but the
chat core relies on the same promises from both:

- `ToolCallStarted` once per call, as soon as its name is known (the UI says "calling NAME…");
- `ToolCallReady` once per call, with the arguments exactly as the model wrote them (invalid JSON
  included: the chat core answers it with an error result), in the order the calls began, and
  before the answer's `Finish`. Empty arguments become `{}`: a tool without parameters is called
  with nothing, and `{}` is what the model meant (both APIs write it so themselves);
- each call has an id: a server that sends none (some local ones) gets `call_<n>`, so the result
  can name the call it answers.

Arguments are kept as a list of fragments (one append each; joined once, when the call is
ready) and every fragment is `hold`-ed against the answer cap (providers/limits.py).
"""

from __future__ import annotations

from typing import Any

from craft_tui.providers.content import ToolCallPart
from craft_tui.providers.limits import AnswerLimit, utf8_size
from craft_tui.providers.types import StreamEvent, ToolCallReady, ToolCallStarted, ToolSpec


def tool_schema(tool: ToolSpec) -> dict[str, Any]:
    """The tool's argument schema as sent; none at all is an object without properties (both
    APIs want an object schema, and a tool without parameters is still called with `{}`)."""
    return dict(tool.input_schema) or {"type": "object", "properties": {}}


class ToolCall:
    """One call being collected; `index` is its place in the answer (0, 1, …)."""

    __slots__ = ("closed", "fragments", "id", "index", "name", "started")

    def __init__(self, index: int, call_id: str, name: str) -> None:
        self.index = index
        self.id = call_id
        self.name = name
        self.fragments: list[str] = []
        self.started = False
        self.closed = False

    @property
    def arguments(self) -> str:
        text = "".join(self.fragments)
        return text if text.strip() else "{}"


class ToolCalls:
    """The calls of one answer, in the order they began."""

    def __init__(self, limit: AnswerLimit | None = None) -> None:
        self.limit = limit
        self.calls: list[ToolCall] = []
        self._emitted = 0  # calls already handed over as ToolCallReady

    def __bool__(self) -> bool:
        return bool(self.calls)

    @property
    def last(self) -> ToolCall | None:
        return self.calls[-1] if self.calls else None

    def begin(self, call_id: str = "", name: str = "") -> tuple[ToolCall, list[StreamEvent]]:
        """A new call (its id and name when this first piece carries them)."""
        call = ToolCall(len(self.calls), "", "")
        self.calls.append(call)
        return call, self.update(call, call_id=call_id, name=name)

    def update(
        self, call: ToolCall, *, call_id: str = "", name: str = "", arguments: str = ""
    ) -> list[StreamEvent]:
        """Add what one piece of the stream says about `call`; the `ToolCallStarted` it earns.

        The id and name are taken from the first piece that has them (servers that repeat them
        in every delta repeat the same ones); arguments are appended as fragments.
        """
        if call_id and not call.id and not call.started:
            call.id = call_id
        if name and not call.name:
            call.name = name
        if arguments:
            if self.limit is not None:
                self.limit.hold(utf8_size(arguments))
            call.fragments.append(arguments)
        if call.name and not call.started:
            call.started = True
            if not call.id:
                call.id = f"call_{call.index}"
            return [ToolCallStarted(call.index, call.id, call.name)]
        return []

    def close(self, call: ToolCall) -> list[StreamEvent]:
        """`call` is complete; the calls now ready to hand over, in order (an earlier call still
        open holds the later ones back)."""
        call.closed = True
        return self._ready(everything=False)

    def finish(self) -> list[StreamEvent]:
        """The answer ended: every call not yet handed over is complete now."""
        return self._ready(everything=True)

    def _ready(self, *, everything: bool) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        while self._emitted < len(self.calls):
            call = self.calls[self._emitted]
            if not (call.closed or everything):
                break
            call.closed = True
            if not call.id:
                call.id = f"call_{call.index}"
            if not call.started:
                call.started = True
                # A call whose name never came is still reported: the chat core answers it with
                # "unknown tool", so the model learns its call went nowhere.
                events.append(ToolCallStarted(call.index, call.id, call.name))
            events.append(
                ToolCallReady(call.index, ToolCallPart(call.id, call.name, call.arguments))
            )
            self._emitted += 1
        return events
