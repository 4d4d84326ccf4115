"""The chat screen's side of tool calls: a round's blocks as its calls run, and the question
before a call runs.

The chat core (chat/session.py) runs the loop and holds the rules; this module only shows it:
`ToolRunStarted` puts a block in the round under the answer (the round's view is made on the
first call, before its row is stored), `ToolRunFinished` fills it in, `ToolResultsSaved` gives
the view its row. `ask` is what the core's permission rule awaits when the mode says to ask:
it marks the block "asking" and shows `ToolPermissionScreen`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from craft_tui.chat.conversation import StoredMessage
from craft_tui.chat.permissions import PersonDecision
from craft_tui.chat.tool_loop import note_tools_refused, without_tools_hint
from craft_tui.providers.content import ToolCallPart, ToolResultPart
from craft_tui.providers.errors import ProviderError
from craft_tui.providers.types import ToolSpec
from craft_tui.ui.screens.tool_permission import ToolPermissionScreen
from craft_tui.ui.widgets.error_view import ErrorDisplay
from craft_tui.ui.widgets.tool_round import ToolRoundView

if TYPE_CHECKING:
    from craft_tui.chat.session import ChatSession
    from craft_tui.ui.screens.chat import ChatScreen
    from craft_tui.workspace.core import Workspace

LIVE_ROUND_ID = "live-tool-round"  # the entry of a round whose row is not stored yet


def tool_calls_of(message: StoredMessage | None) -> list[ToolCallPart]:
    if message is None:
        return []
    return [part for part in message.parts if isinstance(part, ToolCallPart)]


def round_view(
    message: StoredMessage,
    answer: StoredMessage | None,
    servers: Mapping[str, str],
    clock: Callable[[], float],
) -> ToolRoundView:
    """The view of a stored (or live) tool row, the calls taken from the answer above it."""
    results = [part for part in message.parts if isinstance(part, ToolResultPart)]
    view_id = None if message.id == LIVE_ROUND_ID else message.id
    return ToolRoundView(view_id, tool_calls_of(answer), results, servers=servers, clock=clock)


def failed_answer_display(
    workspace: Workspace, session: ChatSession, error: ProviderError
) -> ErrorDisplay:
    """The error view of a failed answer. A model that refused the tools offered is remembered
    as such for this process (`note_tools_refused`): the retry key then sends the prompt again
    without them, and the fix says so."""
    display = ErrorDisplay.from_error(error)
    connection, model = workspace.target_of(session)
    if connection is None or not model or not note_tools_refused(error, connection.slug, model):
        return display
    return replace(display, hint=without_tools_hint(display.hint))


class LiveToolRound:
    """The round being run under the live answer, for one operation of the chat screen."""

    def __init__(self, screen: ChatScreen) -> None:
        self._screen = screen
        self._view: ToolRoundView | None = None
        self._answer: StoredMessage | None = None

    def answered(self, message: StoredMessage) -> None:
        """An answer finished: a round that follows belongs to it."""
        self._answer = message
        self._view = None

    async def started(self, call: ToolCallPart, spec: ToolSpec | None) -> None:
        if spec is not None:
            self._screen.craft.workspace.tools.ran(spec)
        view = await self._round()
        await view.start(call, spec.source if spec is not None else "")

    def finished(self, result: ToolResultPart, seconds: float) -> None:
        if self._view is not None:
            self._view.finish(result, seconds)

    def saved(self, message: StoredMessage) -> None:
        """The round's row is stored: the view is that row from now on."""
        view = self._view
        if view is not None:
            view.message_id = message.id
            self._screen.transcript.replace_entry(view, message)
        self._view = None

    def stopped(self) -> None:
        """Esc or a failure: blocks still asking or running say they were cancelled."""
        if self._view is not None:
            self._view.stop_running()

    async def ask(self, call: ToolCallPart, spec: ToolSpec) -> PersonDecision:
        """Ask the person about one call (the permission mode said to): their decision."""
        view = await self._round()
        block = view.block_for(call.id) or await view.start(call, spec.source)
        block.set_asking()
        choice = await self._screen.app.push_screen_wait(ToolPermissionScreen.for_call(call, spec))
        if choice.allowed:
            block.set_running()
        return choice.decision()

    async def _round(self) -> ToolRoundView:
        if self._view is not None:
            return self._view
        answer = self._answer
        conversation_id = answer.conversation_id if answer is not None else ""
        entry = StoredMessage(
            id=LIVE_ROUND_ID,
            conversation_id=conversation_id,
            parent_id=answer.id if answer is not None else None,
            role="tool",
        )
        view = await self._screen.transcript.add(entry)
        assert isinstance(view, ToolRoundView)
        self._view = view
        return view
