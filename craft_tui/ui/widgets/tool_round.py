"""One round of tool calls in the transcript: a block per call of the answer above it.

A round is the "tool" row the chat core stores after an answer that called tools: the calls are
that answer's `ToolCallPart`s, the results the row's `ToolResultPart`s. While the round runs,
the view is built before the row exists (no id yet) and blocks are added as calls start; once
the row is saved the view takes its id, so copying, deleting and branching work on it as on any
message.

The view is a `MessageView` (focusable, ↑/↓ move through it like through messages); each call
is a `ToolBlock` (its own keys: Enter shows the whole output, space folds).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from textual.app import ComposeResult
from textual.widgets import Label

from craft_tui.providers.content import ToolCallPart, ToolResultPart
from craft_tui.providers.types import ToolOutcome
from craft_tui.ui.widgets.messages import MessageView
from craft_tui.ui.widgets.tool_block import ToolBlock, ToolStatus
from craft_tui.untrusted import plain_inline

# What the chat core writes when a call did not run (chat/permissions.py, chat/session.py): a
# stored result is shown as "denied" or "cancelled" by these words.
_DENIED = ("the user denied this call", "is turned off by the tool rule", "was not run: only")
_STOPPED = ("stopped by the user", "cancelled: the user stopped", "not run: the answer was stopped")


def stored_status(result: ToolResultPart) -> ToolStatus:
    """How a stored result is shown: done, error, denied or cancelled."""
    text = result.text.lower()
    if result.is_error and any(words in text for words in _STOPPED):
        return "cancelled"
    if result.is_error and any(words in text for words in _DENIED):
        return "denied"
    return "error" if result.is_error else "done"


class ToolRoundView(MessageView):
    """The calls of one answer with their results (stored), or as they run (live)."""

    DEFAULT_CSS = """
    ToolRoundView {
        height: auto;
        padding: 0 0 1 0;
        & > .message-label { color: $text-muted; }
    }
    """

    def __init__(
        self,
        message_id: str | None,
        calls: Sequence[ToolCallPart],
        results: Sequence[ToolResultPart] = (),
        *,
        servers: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(message_id, "", classes="tool-round")
        self._servers = dict(servers or {})
        self._clock = clock
        by_call = {result.call_id: result for result in results}
        self._results: dict[str, ToolResultPart] = dict(by_call)
        self._blocks: dict[str, ToolBlock] = {}
        self._initial: list[ToolBlock] = []
        for call in calls:
            result = by_call.get(call.id)
            if result is None:
                continue  # live: its block comes when the call starts
            block = self._block(call, stored_status(result), result)
            self._initial.append(block)

    @property
    def base_label(self) -> str:
        return "Tools"

    @property
    def text(self) -> str:
        """What copying the round gives: each call and its result, as text."""
        lines: list[str] = []
        for call_id, block in self._blocks.items():
            result = self._results.get(call_id)
            lines.append(f"{block.call.name} {block.call.arguments}")
            if result is not None:
                lines.append(result.text)
        return "\n".join(lines)

    @property
    def results(self) -> tuple[ToolResultPart, ...]:
        """The results so far, in the order the calls ran."""
        return tuple(self._results[call_id] for call_id in self._blocks if call_id in self._results)

    def block_for(self, call_id: str) -> ToolBlock | None:
        return self._blocks.get(call_id)

    def compose(self) -> ComposeResult:
        yield Label(plain_inline(self._label_text()), classes="message-label", markup=False)
        yield from self._initial

    def _block(
        self, call: ToolCallPart, status: ToolStatus, result: ToolResultPart | None = None
    ) -> ToolBlock:
        outcome = None if result is None else ToolOutcome(result.text, result.is_error)
        reason = ""
        if result is not None and status == "denied":
            reason = result.text
        block = ToolBlock(
            call,
            server=self._servers.get(call.name, ""),
            status=status,
            outcome=outcome if status in ("done", "error") else None,
            reason=reason,
            clock=self._clock,
        )
        self._blocks[call.id] = block
        return block

    # ---------------------------------------------------------------- live

    async def start(self, call: ToolCallPart, server: str = "") -> ToolBlock:
        """A call of the round begins (decided or run next): its block, running."""
        if server:
            self._servers[call.name] = server
        existing = self._blocks.get(call.id)
        if existing is not None:
            return existing
        block = self._block(call, "running")
        await self.mount(block)
        return block

    def finish(self, result: ToolResultPart, seconds: float) -> None:
        """A call ended; its block shows how (done, error, denied or stopped)."""
        self._results[result.call_id] = result
        block = self._blocks.get(result.call_id)
        if block is None:
            return
        status = stored_status(result)
        if status == "denied":
            block.set_denied(result.text)
        elif status == "cancelled":
            block.set_cancelled()
        else:
            block.set_result(ToolOutcome(result.text, result.is_error), seconds)

    def stop_running(self) -> None:
        """Esc: a block still asking or running shows it was cancelled."""
        for block in self._blocks.values():
            if block.status in ("asking", "running"):
                block.set_cancelled()
