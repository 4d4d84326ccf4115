"""The chat screen: transcript, status line, prompt. It renders the chat core's events and turns
the user's keys into the core's operations; it never builds HTTP requests.

One answer at a time runs in the `answer` worker. Esc cancels that worker; the core saves the
partial answer as "cancelled" and the widget keeps it, marked as stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.screen import Screen
from textual.widgets import Footer, OptionList
from textual.worker import Worker, WorkerCancelled, WorkerFailed, WorkerState

from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.ui.bindings import binding, first_key
from craft_tui.ui.screens.chat_tools import (
    LiveToolRound,
    failed_answer_display,
    round_view,
    tool_calls_of,
)
from craft_tui.ui.widgets.attachment_chips import (
    AttachmentChips,
    attachment_lines,
    attachment_previews,
)
from craft_tui.ui.widgets.error_view import ErrorDisplay
from craft_tui.ui.widgets.find_bar import FindBar
from craft_tui.ui.widgets.messages import AssistantMessageView, MessageView, UserMessageView
from craft_tui.ui.widgets.prompt import PromptArea
from craft_tui.ui.widgets.sidebar import WIDE_COLUMNS, ConversationSidebar
from craft_tui.ui.widgets.status_bar import StatusBar
from craft_tui.ui.widgets.tool_round import ToolRoundView
from craft_tui.ui.widgets.transcript import Transcript
from craft_tui.untrusted import plain_inline, shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.attachments import Attachment
    from craft_tui.chat.conversation import StoredMessage
    from craft_tui.chat.permissions import PermissionMode
    from craft_tui.chat.session import ChatSession, SessionEvent
    from craft_tui.config.generation import GenerationParams
    from craft_tui.ui.app import CraftApp
    from craft_tui.workspace.core import ConfigChange

    Operation = Callable[[ChatSession], AsyncIterator[SessionEvent]]


class ChatScreen(Screen[None]):
    """Where people live: read answers as they stream, ask the next question."""

    CSS_PATH = "chat.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        binding("stop", "stop", priority=True),
        binding("retry", "retry"),
        binding("new_conversation", "new_conversation"),
        binding("system_prompt", "system_prompt"),
        binding("history", "history"),
        binding("focus_prompt", "focus_prompt"),
        binding("undo_delete", "undo_delete"),
        binding("find", "find", priority=True),  # Input's Ctrl+F would delete a word
        binding("tool_permissions", "tool_permissions"),
        binding("generation", "generation"),
        binding("sidebar", "sidebar"),
        binding("attach_file", "attach_file"),
        # From the prompt too: the prompt's own PageUp/PageDown would only move its cursor.
        binding("scroll_up", "scroll_transcript('page_up')", priority=True),
        binding("scroll_down", "scroll_transcript('page_down')", priority=True),
        binding("scroll_top", "scroll_transcript('scroll_home')", priority=True),
        binding("scroll_bottom", "scroll_transcript('scroll_end')", priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._answer: Worker[None] | None = None
        self._live: AssistantMessageView | None = None
        self._editing: str | None = None  # id of the user message being edited
        self._send_when_open: str | None = None  # Enter pressed before the conversation opened
        self._switching: Worker[None] | None = None  # a model picked, being switched to
        self.session: ChatSession | None = None  # once loaded
        self.loaded = False  # True once the conversation is on screen
        # "version 2/3" of messages with siblings, so views mounted later (scrolling up) show it
        self._versions: dict[str, tuple[int, int]] = {}
        # Opening conversations: the last one asked for wins. `_wanted` counts the requests; a
        # load that is no longer the last one drops what it read. `_opening` is the load still
        # reading from the store (cancelled when another is asked for); putting one on screen
        # is never cancelled halfway, and one at a time (`_show_lock`).
        self._wanted = 0
        self._opening: Worker[None] | None = None
        self._show_lock = asyncio.Lock()
        # A message deleted with `d`: off the screen at once, gone from the history at the next
        # operation on the conversation (or on leaving it), so `u` can bring it back until then.
        self._pending_delete: tuple[ChatSession, str] | None = None
        # Ctrl+F: the indexes of the messages holding the words, and which one is shown.
        self._found: list[int] = []
        self._found_at: int | None = None  # position in `_found`
        self._found_id: str | None = None  # the message shown as found (marked -found)
        # F2: shown or hidden by the user (None: by the terminal's width, WIDE_COLUMNS).
        self._sidebar_choice: bool | None = None
        self._chips_sent = False  # the prompt being sent took the chips: cleared once stored

    @property
    def craft(self) -> CraftApp:
        from craft_tui.ui.app import CraftApp

        assert isinstance(self.app, CraftApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield ConversationSidebar(id="sidebar")
        yield Transcript(
            self._make_view, snapshot=self._snapshot, empty_hint=self._welcome(), id="transcript"
        )
        yield FindBar(id="find")
        yield StatusBar(id="status", clock=self.craft.clock)
        yield AttachmentChips(id="attachments")
        yield PromptArea(id="prompt")
        yield Footer(compact=True)

    @property
    def transcript(self) -> Transcript:
        return self.query_one("#transcript", Transcript)

    @property
    def prompt(self) -> PromptArea:
        return self.query_one("#prompt", PromptArea)

    @property
    def chips(self) -> AttachmentChips:
        return self.query_one("#attachments", AttachmentChips)

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    @property
    def busy(self) -> bool:
        """True while an answer is being requested or streamed."""
        return self._answer is not None and self._answer.state in (
            WorkerState.PENDING,
            WorkerState.RUNNING,
        )

    def on_mount(self) -> None:
        self.prompt.focus()
        self._refresh_chrome()
        # Opening the history store imports the chat core and SQLite in a thread: started after
        # the first frame, so it does not hold the GIL while the first screen is being painted.
        self.call_after_refresh(self._load_first_conversation)

    def _load_first_conversation(self) -> None:
        """The conversation shown at start, unless the user already asked for one."""
        asked = any(w.node is self and w.group == "load" for w in self.workers)
        if self.session is None and not asked:
            self.load_conversation()

    # ---------------------------------------------------------------- loading

    def load_conversation(self, conversation_id: str | None = None) -> Worker[None]:
        """Open (or start) a conversation without blocking the first frame.

        Asked for again before it is on screen (history opened quickly, one after another), the
        last request wins: an earlier one still reading from the store is cancelled, one already
        past that drops its session instead of showing it.
        """
        new = self.craft.new_conversation and conversation_id is None
        self.craft.new_conversation = False
        opening = self._opening
        if opening is not None and not opening.is_finished:
            opening.cancel()
        self._wanted += 1
        # A new conversation keeps the model picked in the one being left (Ctrl+N); at start
        # (`--new`) there is none, and the default connection's model is used.
        leaving = self.session if new else None
        worker: Worker[None] = self._load(conversation_id, new, self._wanted, leaving)
        self._opening = worker
        return worker

    @work(group="load", exit_on_error=False)
    async def _load(
        self,
        conversation_id: str | None,
        new: bool,
        wanted: int,
        leaving: ChatSession | None = None,
    ) -> None:
        await self.craft.config_ready.wait()  # validated just after the first frame
        await self._commit_delete()  # a message deleted in the conversation being left
        like = None
        if leaving is not None:
            await self._switch_done()  # a model picked a moment ago counts
            like = self.craft.workspace.target_of(leaving)
        session = await self.craft.workspace.open_session(conversation_id, new=new, like=like)
        versions = await asyncio.to_thread(session.versions)  # labelled in the first paint
        if wanted != self._wanted:
            return  # another conversation was asked for meanwhile
        self._opening = None  # from here on it runs to the end (no half-built transcript)
        async with self._show_lock:
            if wanted != self._wanted:
                return
            await self._show(session, versions)
        self.craft.workspace.start_tools()  # MCP servers start while the user reads or types
        text, self._send_when_open = self._send_when_open, None
        if text is not None and self.prompt.text == text:  # not edited since Enter
            self.post_message(PromptArea.Submitted(self.prompt, text))

    # ------------------------------------------------------------------ the sidebar

    @property
    def sidebar(self) -> ConversationSidebar:
        return self.query_one("#sidebar", ConversationSidebar)

    def on_resize(self, event: events.Resize) -> None:
        """On a wide terminal the sidebar shows, unless the user hid it (F2) this run."""
        if self._sidebar_choice is None:
            self._set_sidebar(event.size.width >= WIDE_COLUMNS)

    async def _name_and_list(self, session: ChatSession) -> None:
        """settings.ai_titles: the answer's own model names a new conversation (the session
        decides whether to ask; it never delays the answer); the sidebar shows the new name."""
        if await session.name_with_model() is not None:
            self._refresh_sidebar()

    def action_sidebar(self) -> None:
        """F2: show the conversation sidebar and put the cursor in it; pressed in it, hide it
        (the choice holds while the app runs). Esc goes back to the prompt."""
        options = self.sidebar.query_one(OptionList)
        if self.sidebar.shown and self.focused is options:
            self._sidebar_choice = False
            self._set_sidebar(False)
            self.prompt.focus()
            return
        self._sidebar_choice = True
        self._set_sidebar(True)
        options.focus()

    def _set_sidebar(self, shown: bool) -> None:
        was = self.sidebar.shown
        self.sidebar.show(shown)
        if shown and not was:
            self._refresh_sidebar()

    def _refresh_sidebar(self) -> None:
        """Re-list the sidebar's conversations (when it is shown: hidden, it costs nothing)."""
        if not self.sidebar.shown or not self.craft.workspace.ready:
            return
        current = self.session.conversation.id if self.session is not None else None
        self.run_worker(
            self.sidebar.refresh_rows(self.craft.workspace.history(), current),
            group="sidebar",
            exclusive=True,
            exit_on_error=False,
        )

    def on_conversation_sidebar_opened(self, event: ConversationSidebar.Opened) -> None:
        event.stop()
        current = self.session.conversation.id if self.session is not None else None
        if event.conversation_id == current:
            self.prompt.focus()
            return
        conversation_id = event.conversation_id
        self.leave_live_answer(
            "open that conversation", lambda: self.load_conversation(conversation_id)
        )

    async def show_session(self, session: ChatSession) -> None:
        """Render `session`'s conversation (its active branch)."""
        async with self._show_lock:
            await self._show(session)

    async def _show(
        self, session: ChatSession, versions: dict[str, tuple[int, int]] | None = None
    ) -> None:
        """Put `session`'s active branch on screen, labelled with `versions` when they are
        known (else with what is known of this conversation, then refreshed)."""
        another = session is not self.session
        if another:
            self.workers.cancel_group(self, "versions")  # labels of what is being replaced
            self._versions = {}
        if versions is not None:
            self._versions = versions
        self.loaded = False
        self.session = session
        self._editing = None
        messages = list(session.messages)
        self.prompt.sent = [m.text for m in messages if m.role == "user"][-50:]
        await self.transcript.show(messages)
        self._refresh_sidebar()
        self._refresh_chrome()
        if versions is None:
            self.refresh_versions()
        self.loaded = True
        # What the footer offers depends on what is shown now (Ctrl+R once there is an answer
        # to retry): without this it kept the keys of the screen before the load.
        self.refresh_bindings()
        if another:
            self.app.run_worker(  # the next start reopens it; a file write, so in a thread
                lambda: _remember_shown(session.conversation.id), thread=True, exit_on_error=False
            )

    # ---------------------------------------------------------------- views

    def _make_view(self, message: StoredMessage) -> MessageView:
        view = self._build_view(message)
        version = self._versions.get(message.id)
        if version is not None:
            view.version = version  # its label is composed with it
        if message.id == self._found_id:
            view.add_class("-found")  # Ctrl+F's match, mounted again
        return view

    def _attachment_bytes(self, ids: Iterable[str]) -> Mapping[str, bytes]:
        """Attachment bytes for the previews (called in their worker threads)."""
        return self.craft.workspace.history().attachment_data(ids)

    def _build_view(self, message: StoredMessage) -> MessageView:
        if message.role == "user":
            previews = attachment_previews(message.parts)
            return UserMessageView(
                message.id,
                message.text,
                attachments=attachment_lines(message.parts),
                previews=previews,
                load=self._attachment_bytes if any(previews) else None,
            )
        if message.role == "tool":
            answer = self._message_on_path(message.parent_id)
            workspace = self.craft.workspace
            servers = {
                call.name: workspace.tool_server(call.name) for call in tool_calls_of(answer)
            }
            return round_view(message, answer, servers, self.craft.clock)
        error = None
        if message.error_kind:
            error = ErrorDisplay(kind=message.error_kind, message=message.error_message or "")
        return AssistantMessageView(
            message.id,
            # The connection and model that produced this answer, as stored with it.
            self.craft.workspace.label_for(message.connection_slug, message.model),
            message.text,
            reasoning=message.reasoning or "",
            finish_reason=message.finish_reason,
            error=error,
            retry_key=self._retry_key(),
            clock=self.craft.clock,
        )

    def _message_on_path(self, message_id: str | None) -> StoredMessage | None:
        """A message of the branch on screen (a tool round's answer is the message above it)."""
        if message_id is None or self.session is None:
            return None
        return next((m for m in reversed(self.session.messages) if m.id == message_id), None)

    @staticmethod
    def _snapshot(message: StoredMessage, view: MessageView) -> StoredMessage:
        """The message as `view` shows it now, to rebuild it from once it is unmounted: an answer
        streamed (or was stopped) after the transcript got its message, a tool round ran."""
        if isinstance(view, ToolRoundView):
            if view.message_id is None or not view.results:
                return message
            return dataclasses.replace(message, id=view.message_id, parts=view.results)
        if not isinstance(view, AssistantMessageView):
            return message
        if view.message_id is not None and view.message_id != message.id:
            return message  # not this entry's view: its text must not overwrite the entry
        error = view.error
        return dataclasses.replace(
            message,
            id=view.message_id or message.id,
            text=view.text,
            reasoning=view.reasoning,
            finish_reason=view.finish_reason,
            error_kind=str(error.kind) if error is not None else None,
            error_message=error.message if error is not None else None,
        )

    def _welcome(self) -> str:
        """What an empty conversation shows: the keys that matter, as the user's keymap has them."""

        def key(binding_id: str) -> str:
            raw = first_key(binding_id, self.craft.keymap)
            return "+".join(part.capitalize() for part in raw.split("+"))

        rows = [
            (key("pick_model"), "pick a model from any connection"),
            (key("open_connections"), "connections: add OpenRouter, Ollama, a proxy…"),
            (key("history"), "earlier conversations"),
            ("Ctrl+P", "every command"),
            ("Shift+Tab", "reach the messages: c copy · b code · e edit · r regenerate"),
        ]
        width = max(len(k) for k, _ in rows)
        lines = [f"{k:<{width}}  {what}" for k, what in rows]
        return "Ask anything. Enter sends, Ctrl+J starts a new line.\n\n" + "\n".join(lines)

    def _retry_key(self) -> str:
        return first_key("retry", self.craft.keymap)

    def _refresh_chrome(self) -> None:
        """Placeholder and status line from the current connection, model and totals."""
        workspace = self.craft.workspace
        model = workspace.current_model(self.session) or "no model"
        # A model id is a server's text: shown, never markup or a control sequence.
        self.prompt.placeholder = plain_inline(
            f"Message {model} · Enter to send, Ctrl+J for a new line"
        )
        figures = workspace.status_figures(self.session)  # where the next request goes
        self.status.set_info(figures)

    def _cannot_send_reason(self) -> str | None:
        """Why Enter cannot send right now, as one actionable sentence (None: it can)."""
        connection, model = self.craft.workspace.target_of(self.session)
        if connection is None:
            key = first_key("open_connections", self.craft.keymap)
            return f"No connection yet: press {key} to add one."
        if not model:
            key = first_key("pick_model", self.craft.keymap)
            return f"{connection.name} has no model chosen: press {key} to pick one."
        return None

    # ---------------------------------------------------------------- sending

    @on(PromptArea.Submitted)
    async def _submitted(self, event: PromptArea.Submitted) -> None:
        event.stop()
        if self.busy:
            self.notify("An answer is still coming: press Esc to stop it first.")
            return
        if self.session is None or not self.loaded:
            # Enter within the first moments (the config is checked and the conversation opened
            # right after the first frame): the text stays in the prompt and goes once it is open.
            self._send_when_open = event.text
            return
        await self._switch_done()  # a model was just picked: it gives this answer
        problem = self._cannot_send_reason()
        if problem:
            self.notify(problem, severity="warning", timeout=8)
            return
        attachments = self.chips.parts if self._editing is None else ()
        if attachments:  # refused before anything is sent: prompt and chips stay
            connection, model = self.craft.workspace.target_of(self.session)
            assert connection is not None and model  # _cannot_send_reason said so
            refusal = await self.chips.refusal(connection, model)
            if refusal is not None:
                self.notify(f"{refusal.message} {refusal.hint}", severity="warning", timeout=10)
                return
        text = event.text
        if text:
            self.prompt.remember(text)
        self.prompt.clear()
        editing, self._editing = self._editing, None
        self.prompt.border_title = None
        if editing is not None:
            await self._cut_from(editing)
            self._run(lambda s: s.edit_and_resend(editing, text))
        else:
            self._chips_sent = bool(attachments)
            self._run(lambda s: s.send(text, attachments))

    async def _cut_from(self, message_id: str) -> None:
        """Drop this message and what follows from the transcript (mounted or not)."""
        index = self.transcript.index_of(lambda message: message.id == message_id)
        if index is not None:
            await self.transcript.remove_from_index(index)

    def _run(self, start: Operation) -> None:
        self._answer = self._stream_answer(start)

    @work(group="answer", exclusive=True, exit_on_error=False)
    async def _stream_answer(self, start: Operation) -> None:
        """Run one operation of the chat core and render its events as they come."""
        from craft_tui.chat import session as core

        session = self.session
        if session is None:
            return
        await self._switch_done()  # a model was just picked: it gives this answer
        await self._commit_delete()  # the answer builds on the branch as the user sees it
        status = self.status
        connection, _model = self.craft.workspace.target_of(session)
        # "no data for N s, gives up at X s" names this connection's read timeout.
        status.start_waiting(read_timeout=connection.timeouts.read if connection else None)
        self.refresh_bindings()
        rounds = LiveToolRound(self)
        session.tools = await self.craft.workspace.tool_runner(session, rounds.ask)
        try:
            async for event in start(session):
                match event:
                    case core.UserSaved(message=message):  # just sent: back to the bottom
                        if self._chips_sent:  # stored with the prompt: not lost any more
                            self._chips_sent = False
                            self.chips.clear()
                        await self.transcript.add(message, follow=True)
                    case core.AnswerStarted(message=message):
                        self._live = None
                        view = await self.transcript.add(message)
                        assert isinstance(view, AssistantMessageView)
                        view.begin_stream()
                        self._live = view
                    case core.TextChunk(text=text):
                        if self._live is not None:
                            self._data_arrived()
                            self._live.add_text(text)
                    case core.ReasoningChunk(text=text):
                        if self._live is not None:
                            self._data_arrived()
                            self._live.add_reasoning(text)
                    case core.AnswerFinished(message=message):
                        rounds.answered(message)
                        await self._end_live(message.finish_reason)
                        self.run_worker(
                            self.craft.workspace.mark_used(message.connection_slug),
                            group="mark-used",
                        )
                        # settings.ai_titles: the answer's own model names a new conversation
                        # (the session decides whether to ask; it never delays this answer).
                        self.run_worker(
                            self._name_and_list(session), group="ai-title", exit_on_error=False
                        )
                        self._refresh_sidebar()  # its order and figures changed
                    case core.AnswerFailed(message=message, error=error):
                        self._images_refused(session, error)
                        await self._end_live(
                            getattr(message, "finish_reason", "error"),
                            failed_answer_display(self.craft.workspace, session, error),
                        )
                    case core.ToolRunStarted(call=call, spec=spec):
                        await rounds.started(call, spec)
                    case core.ToolRunFinished(result=result, seconds=seconds):
                        rounds.finished(result, seconds)
                    case core.ToolResultsSaved(message=message):
                        rounds.saved(message)
                        status.start_waiting(
                            read_timeout=connection.timeouts.read if connection else None
                        )
                    case core.ToolStepLimit(steps=steps):
                        key = first_key("retry", self.craft.keymap)
                        self.notify(
                            f"Stopped after {steps} rounds of tool calls ([tools] max_steps). "
                            f"Press {key} to let the model go on.",
                            severity="warning",
                            timeout=12,
                        )
                    case core.ToolsUnavailable(lines=lines):
                        for line in lines:
                            self.notify(line, severity="warning", timeout=12)
                    case _:
                        pass
        finally:
            rounds.stopped()
            # Cancelled (Esc) or failed unexpectedly: the widget keeps what arrived.
            if self._live is not None and self._live.streaming:
                await self._end_live("cancelled")
            status.stop_waiting()
            self._refresh_chrome()
            self.refresh_bindings()
            self.refresh_versions()

    def _data_arrived(self) -> None:
        """Text of the live answer arrived: the first stops the spinner (time to first token),
        each one resets the stall sign."""
        status = self.status
        if status.spinning:
            status.streaming()
        else:
            status.data_arrived()

    async def _end_live(self, finish_reason: str | None, error: ErrorDisplay | None = None) -> None:
        view, self._live = self._live, None
        if view is not None:
            await view.end_stream(finish_reason, error)
        self.status.stop_waiting()

    @on(Worker.StateChanged)
    async def _worker_changed(self, event: Worker.StateChanged) -> None:
        """An unexpected exception in a worker becomes an inline message and a log line."""
        if event.state is not WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        from craft_tui.chat.history import HistoryError
        from craft_tui.config.store import ConfigError

        if isinstance(error, ProviderError):
            display = ErrorDisplay.from_error(error)
        elif isinstance(error, HistoryError | ConfigError):
            # Already one clear sentence naming the file; the file is left untouched.
            display = ErrorDisplay(kind=ErrorKind.UNKNOWN, message=str(error))
        else:
            from craft_tui.logging_setup import log_exception

            where = log_exception(error)
            display = ErrorDisplay(
                kind=ErrorKind.UNKNOWN,
                message=f"Something went wrong inside craft-tui ({type(error).__name__}).",
                hint=f"Details are in {where}. Nothing you typed was lost.",
            )
        if event.worker.group == "answer" and self.transcript.views():
            last = self.transcript.views()[-1]
            if isinstance(last, AssistantMessageView):
                await last.show_error(display)
                return
        self.notify(f"{display.message} {display.hint}", severity="error", timeout=10)

    # ---------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.busy
        if action == "retry":
            return not self.busy and (
                self._retry_target() is not None or not self.transcript.at_tail
            )
        if action == "undo_delete":
            return self._pending_delete is not None
        return True

    def action_stop(self) -> None:
        """Stop the answer now; the partial text stays.

        The live view shows the answer stopped and starts no further write (`halt`), so nothing
        queued behind the stream runs before the worker's cancellation closes the response and
        saves the answer as stopped.
        """
        if self._live is not None:
            self._live.halt(stopped=True)
        if self._answer is not None:
            self._answer.cancel()

    def action_focus_prompt(self) -> None:
        if self._editing is not None and self.focused is self.prompt:
            self._editing = None
            self.prompt.clear()
            self.prompt.border_title = None
            return
        self.prompt.focus()

    def _last_answer(self) -> AssistantMessageView | None:
        """The newest answer's view, if the newest messages are mounted (see `show_tail`)."""
        if not self.is_mounted or not self.transcript.at_tail:
            return None
        views = self.transcript.views()
        for view in reversed(views):
            if isinstance(view, AssistantMessageView):
                return view
        return None

    def _retry_target(self) -> MessageView | None:
        """What Ctrl+R asks again for: the newest answer, or the newest question if it is
        unanswered (its answer was deleted), or tool results the model has not answered yet
        (the tool loop stopped at its step limit: the model goes on from them)."""
        if not self.is_mounted or not self.transcript.at_tail:
            return None
        views = self.transcript.views()
        if views and isinstance(views[-1], UserMessageView | ToolRoundView):
            return views[-1]
        return self._last_answer()

    async def action_retry(self) -> None:
        """Ask again for the last answer (after an error, or just for another take), or answer
        a question left unanswered."""
        await self.transcript.show_tail()
        view = self._retry_target()
        if view is not None:
            await self._regenerate(view)

    def action_tool_permissions(self) -> None:
        """Switch this conversation's tool permission mode: ask → read-only → allow all."""
        workspace = self.craft.workspace
        session = self.session
        mode = workspace.permission_mode(session)
        if session is None or mode is None:
            self.notify(
                "No MCP server is set up: `craft-tui mcp add NAME -- COMMAND` adds one.",
                severity="warning",
            )
            return
        following: dict[PermissionMode, PermissionMode] = {
            "ask": "read-only",
            "read-only": "allow-all",
            "allow-all": "ask",
        }
        new = following[mode]
        workspace.set_permission_mode(session, new)
        self._refresh_chrome()
        if new == "allow-all":
            self.notify(
                "Tools: allow all. Every tool call now runs without asking, with the "
                "arguments the model wrote, until you switch back.",
                severity="warning",
                timeout=10,
            )
        elif new == "read-only":
            self.notify("Tools: read-only. Only tools their server marks read-only run.")
        else:
            self.notify("Tools: ask. Each call waits for your yes or no.")

    def action_new_conversation(self) -> None:
        def start() -> None:
            self.craft.new_conversation = True
            self.load_conversation()
            self.prompt.focus()

        self.leave_live_answer("start a new conversation", start)

    def leave_live_answer(
        self,
        doing: str,
        then: Callable[[], object],
        *,
        asked: Callable[[], object] | None = None,
    ) -> None:
        """Run `then` now, or, while an answer is still coming, once the user agreed to stop it
        (`doing` says what for: "quit", "open that conversation"). The answer is stopped first
        and what arrived is saved, marked as stopped; declining keeps it streaming. `asked` is
        called when the question closes, whatever the answer."""
        if not self.busy:
            then()
            return
        from craft_tui.ui.screens.confirm import ConfirmScreen

        connection, model = self.craft.workspace.target_of(self.session)
        where = self.craft.workspace.label_for(connection.slug if connection else None, model)
        question = (
            f"An answer from {where} is still coming. Stop it and {doing}? "
            "What arrived so far is kept."
        )

        async def answered(stop: bool | None) -> None:
            if asked is not None:
                asked()
            if not stop:
                return
            answer = self._answer
            self.action_stop()
            if answer is not None and not answer.is_finished:
                with contextlib.suppress(WorkerFailed, WorkerCancelled):
                    await answer.wait()  # the partial answer is saved before going on
            then()

        self.app.push_screen(
            ConfirmScreen(question, yes=f"Stop and {doing}", no="Keep it coming"), answered
        )

    def action_history(self) -> None:
        """Open a past conversation."""
        from craft_tui.ui.screens.history import HistoryScreen, show_message

        screen = HistoryScreen(self.craft.workspace.history())

        def done(conversation_id: str | None) -> None:
            current = self.session.conversation.id if self.session is not None else None
            if conversation_id is None and current in screen.deleted:
                self.craft.new_conversation = True  # the open one was deleted: start afresh
                self.load_conversation()
            elif conversation_id is not None and (
                conversation_id != current or screen.opened_at is not None
            ):
                self.leave_live_answer("open that conversation", lambda: open_it(conversation_id))

        def open_it(conversation_id: str) -> None:
            opening = self.load_conversation(conversation_id)
            if screen.opened_at is not None:  # a search hit: its branch, scrolled to it
                self.run_worker(show_message(self, opening, screen.opened_at), group="reveal")

        self.app.push_screen(screen, done)

    async def action_scroll_transcript(self, how: str) -> None:
        """PageUp/PageDown/Ctrl+Home/Ctrl+End scroll the transcript wherever focus is (the
        prompt included); older or newer messages are mounted as they come into view."""
        transcript = self.transcript
        match how:
            case "page_up":
                transcript.action_page_up()
            case "page_down":
                transcript.action_page_down()
            case "scroll_home":
                await transcript.action_scroll_home()
            case "scroll_end":
                await transcript.action_scroll_end()

    def action_system_prompt(self) -> None:
        from craft_tui.ui.screens.system_prompt import SystemPromptScreen

        session = self.session
        if session is None:
            return
        current = session.conversation.system_prompt or ""

        async def save(text: str | None) -> None:
            await asyncio.to_thread(session.set_system_prompt, text)  # SQLite: off the UI loop

        def done(result: str | None) -> None:
            if result is not None:  # stored already: the screen closes only once it is
                self.notify("System prompt saved for this conversation.")

        self.app.push_screen(SystemPromptScreen(current, save=save), done)

    # ---------------------------------------------------------------- attachments

    def action_attach_file(self) -> None:
        """Ask for a file to attach (path completion; errors said in the question)."""
        from craft_tui.ui.screens.attach_file import AttachFileScreen

        connection, _model = self.craft.workspace.target_of(self.session)

        async def done(attachment: Attachment | None) -> None:
            if attachment is not None:
                await self.chips.add(attachment)
            self.prompt.focus()

        self.app.push_screen(AttachFileScreen(connection.protocol if connection else None), done)

    @on(PromptArea.FilesDropped)
    def _files_dropped(self, event: PromptArea.FilesDropped) -> None:
        """A dropped file arrives as its path: offer to attach it, or paste the text."""
        from craft_tui.ui.screens.confirm import ConfirmScreen

        event.stop()
        names = ", ".join(shown_inline(path.name) for path in event.paths)
        connection, _model = self.craft.workspace.target_of(self.session)

        async def answered(attach: bool | None) -> None:
            if attach:
                await self.chips.attach_paths(
                    event.paths, connection.protocol if connection else None
                )
            else:
                self.prompt.insert_pasted(event.text)
            self.prompt.focus()

        question = f"Attach {names} to the prompt?"
        self.app.push_screen(ConfirmScreen(question, yes="Attach", no="Paste as text"), answered)

    def _images_refused(self, session: ChatSession, error: ProviderError) -> None:
        """A server that refused this model's images: said plainly, and learnt, so the next
        prompt with an image to it is stopped before sending."""
        from craft_tui.chat.attachments import refusal_from_error

        connection, model = self.craft.workspace.target_of(session)
        if connection is None or not model:
            return
        refusal = refusal_from_error(error, connection, model)
        if refusal is not None:
            self.notify(f"{refusal.message} {refusal.hint}", severity="warning", timeout=12)

    def action_generation(self) -> None:
        """This conversation's temperature, max tokens and reasoning effort (F5); each empty
        field shows what the settings and the connection send instead."""
        from craft_tui.config.generation import effective, from_settings
        from craft_tui.ui.screens.generation import GenerationScreen

        session = self.session
        workspace = self.craft.workspace
        if session is None or not workspace.ready:
            return
        settings = workspace.config.settings
        connection, model = workspace.target_of(session)
        defaults = (
            effective(None, settings, connection, model)
            if connection is not None and model
            else from_settings(settings)
        )

        def done(params: GenerationParams | None) -> None:
            if params is None or params == session.generation:
                return
            session.generation = params  # the next request uses them (ChatSession._answer)
            self.run_worker(self._keep_generation(session, params), group="generation")
            self.notify(
                "Generation values set for this conversation."
                if not params.empty
                else "This conversation uses the default generation values again."
            )

        self.app.push_screen(
            GenerationScreen(session.generation, defaults, title=session.conversation.title),
            done,
        )

    async def _keep_generation(self, session: ChatSession, params: GenerationParams) -> None:
        """Store a conversation's generation values with it (in a thread: a SQLite write)."""
        from craft_tui.chat.history import HistoryError

        try:
            await asyncio.to_thread(session.set_generation, params)
        except HistoryError as error:
            self.notify(
                f"The values apply while this conversation is open, but could not be kept: {error}",
                severity="warning",
                markup=False,
            )

    @on(MessageView.Action)
    async def _message_action(self, event: MessageView.Action) -> None:
        event.stop()
        view = event.view
        match event.action:
            case "copy":
                self.craft.copy_text(view.text, what="message")
            case "copy_code":
                self._copy_code(view)
            case "edit":
                self._start_edit(view)
            case "regenerate":
                if isinstance(view, AssistantMessageView):
                    await self._regenerate(view)
            case "delete":
                await self._delete(view)
            case "previous_version":
                await self._switch_version(view, -1)
            case "next_version":
                await self._switch_version(view, 1)

    def _copy_code(self, view: MessageView) -> None:
        from craft_tui.ui.clipboard import code_blocks

        blocks = code_blocks(view.text)
        if not blocks:
            self.notify("This message has no code block.")
            return
        assert isinstance(view, AssistantMessageView)
        index = view.code_index % len(blocks)
        view.code_index = index + 1
        what = "code block" if len(blocks) == 1 else f"code block {index + 1} of {len(blocks)}"
        self.craft.copy_text(blocks[index], what=what)

    def _start_edit(self, view: MessageView) -> None:
        if self.busy:
            self.notify("Stop the current answer first (Esc).")
            return
        self._editing = view.message_id
        self.prompt.load_text(view.text)
        self.prompt.move_cursor(self.prompt.document.end)
        self.prompt.border_title = "Editing · Enter resends as a new branch · Esc cancels"
        self.prompt.focus()

    async def _regenerate(self, view: MessageView) -> None:
        """Ask again: an answer's view is replaced; a question's view stays, the answer
        streams in under it."""
        if self.busy:
            self.notify("Stop the current answer first (Esc).")
            return
        message_id = view.message_id
        if message_id is None:
            return
        if isinstance(view, AssistantMessageView):
            await self.transcript.remove_from(view)
        self.prompt.focus()
        self._run(lambda s: s.regenerate(message_id))

    async def _delete(self, view: MessageView) -> None:
        """`d`: the message and what follows it leave the screen at once; the history forgets
        them at the next operation on this conversation, so `u` can still bring them back."""
        if self.busy:
            self.notify("Stop the current answer first (Esc).")
            return
        session = self.session
        message_id = view.message_id
        if message_id is None or session is None:
            return
        await self._commit_delete()  # only the last delete can be undone
        index = self.transcript.index_of(lambda message: message.id == message_id)
        below = len(self.transcript.entries) - index - 1 if index is not None else 0
        self._pending_delete = (session, message_id)
        await self.transcript.remove_from(view)
        # Focus stays in the transcript (the message above), where `u` undoes: on the prompt
        # it would be typed as text.
        remaining = self.transcript.views()
        if remaining:
            remaining[-1].focus(scroll_visible=False)
        else:
            self.transcript.focus()
        what = "the message" if below == 0 else f"the message and the {below} below it"
        self.notify(f"Deleted {what}. Press {first_key('undo_delete', self.craft.keymap)} to undo.")
        self.refresh_bindings()

    async def action_undo_delete(self) -> None:
        """Bring back the messages deleted last (they were only taken off the screen)."""
        pending, self._pending_delete = self._pending_delete, None
        session = self.session
        if pending is None or pending[0] is not session or session is None:
            self.notify("Nothing to undo: only the last delete, until the next answer.")
            return
        async with self._show_lock:
            await self._show(session, self._versions)
        position = self.transcript.index_of(lambda message: message.id == pending[1])
        view = await self.transcript.reveal(position) if position is not None else None
        if view is not None:
            view.focus(scroll_visible=False)
            view.scroll_visible(animate=False)
        self.notify("Deleted messages restored.")
        self.refresh_bindings()

    async def _commit_delete(self, *, leaving: bool = False) -> None:
        """Forget the pending delete in the history (SQLite, in a thread). A store that cannot
        be written says so; the messages then stay, on screen again. `leaving`: the screen is
        going (quitting), nothing to redraw."""
        from craft_tui.chat.history import HistoryError

        pending, self._pending_delete = self._pending_delete, None
        if pending is None:
            return
        session, message_id = pending
        try:
            await asyncio.to_thread(session.delete_message, message_id)
        except HistoryError as error:
            if leaving:
                return  # the app is closing: the messages simply stay
            self.notify(f"{error} The message was not deleted.", severity="error", timeout=10)
            if session is self.session:
                async with self._show_lock:
                    await self._show(session, self._versions)
            return
        if session is self.session and not leaving:
            self._refresh_chrome()

    async def on_unmount(self) -> None:
        await self._commit_delete(leaving=True)  # quitting is the next action too

    # ---------------------------------------------------------------- find

    @property
    def find_bar(self) -> FindBar:
        return self.query_one("#find", FindBar)

    def action_find(self) -> None:
        """Ctrl+F: find words in this conversation (every message of the branch shown)."""
        self.find_bar.open()

    def _message_texts(self) -> list[str]:
        """Each message's text as the user sees it: a mounted view's (an answer still
        streaming, or stopped, is newer than its entry), else the stored entry's."""
        transcript = self.transcript
        texts = [entry.text for entry in transcript.entries]
        first = transcript.hidden_count
        for offset, view in enumerate(transcript.views()):
            if first + offset < len(texts):
                texts[first + offset] = view.text
        return texts

    @on(FindBar.Changed)
    async def _find_changed(self, event: FindBar.Changed) -> None:
        from craft_tui.chat.find import matching_indexes

        event.stop()
        self._found = matching_indexes(self._message_texts(), event.query)
        self._found_at = len(self._found) - 1 if self._found else None  # the newest first
        await self._show_found()

    @on(FindBar.Step)
    async def _find_step(self, event: FindBar.Step) -> None:
        event.stop()
        if not self._found:
            return
        at = self._found_at if self._found_at is not None else len(self._found)
        self._found_at = (at + event.step) % len(self._found)  # wraps: the bar says where
        await self._show_found()

    @on(FindBar.Closed)
    def _find_closed(self, event: FindBar.Closed) -> None:
        event.stop()
        self._found, self._found_at, self._found_id = [], None, None
        self.transcript.hold(None)
        self._mark_found()
        self.prompt.focus()

    async def _show_found(self) -> None:
        """Bring the current match's message into view and mark it; focus stays in the bar, so
        the words can still be changed."""
        bar = self.find_bar
        if self._found_at is None:
            self._found_id = None
            self.transcript.hold(None)
            self._mark_found()
            bar.show_count(None, 0)
            return
        index = self._found[self._found_at]
        self._found_id = self.transcript.entries[index].id
        self.transcript.hold(self._found_id)  # loads around it must not unmount it
        await self.transcript.reveal(index)
        self._mark_found()
        bar.show_count(self._found_at + 1, len(self._found))
        # A view just mounted has no place until the next layout: scrolled to then.
        self.call_after_refresh(self._scroll_to_found, 3)

    def _view_of(self, message_id: str | None) -> MessageView | None:
        if message_id is None:
            return None
        return next((v for v in self.transcript.views() if v.message_id == message_id), None)

    def _mark_found(self) -> None:
        """The found message is marked by id: the window may rebuild its view meanwhile."""
        for view in self.transcript.views():
            view.set_class(
                self._found_id is not None and view.message_id == self._found_id, "-found"
            )

    async def _scroll_to_found(self, tries: int) -> None:
        found_id = self._found_id
        view = self._view_of(found_id)
        if view is None:
            # The window moved while it was being laid out (older or newer messages loaded):
            # reveal it again, a few times at most.
            index = self.transcript.index_of(lambda message: message.id == found_id)
            if found_id is None or index is None or tries <= 0:
                return
            await self.transcript.reveal(index)
            self._mark_found()
            self.call_after_refresh(self._scroll_to_found, tries - 1)
            return
        view.scroll_visible(animate=False, top=True)

    # ---------------------------------------------------------------- branches

    @work(group="versions", exclusive=True, exit_on_error=False)
    async def refresh_versions(self) -> None:
        """Label messages that have other versions (edits, regenerations): 'version 2/3'."""
        session = self.session
        if session is None:
            return
        versions = await asyncio.to_thread(session.versions)  # SQLite: off the UI loop
        if self.session is not session or not self.is_mounted:
            return  # another conversation went on screen meanwhile: not for it
        self._versions = versions
        for view in self.transcript.views():
            if view.message_id is not None and view.is_attached:
                which, total = versions.get(view.message_id, (1, 1))
                if (which, total) != view.version:
                    view.set_version(which, total)

    async def _switch_version(self, view: MessageView, step: int) -> None:
        """Show another version of this message (and the branch below it)."""
        session = self.session
        if self.busy or session is None or view.message_id is None:
            return
        await self._commit_delete()
        target = await session.step_version(view.message_id, step)  # SQLite in a thread
        if target is None or self.session is not session or not self.is_mounted:
            return
        if self.focused is view:
            # Its view is replaced: focus must not pass to the prompt meanwhile, or a key typed
            # right after the bracket would land there as text.
            self.set_focus(None)
        async with self._show_lock:
            if self.session is not session:
                return
            await self._show(session, self._versions)  # the same messages: the same versions
        position = self.transcript.index_of(lambda message: message.id == target)
        candidate = await self.transcript.reveal(position) if position is not None else None
        if candidate is not None:
            candidate.focus(scroll_visible=False)
            candidate.scroll_visible(animate=False)

    # ---------------------------------------------------------------- switching

    def switch_to(self, connection_slug: str, model_id: str) -> None:
        """The next request goes to this connection and model (called by the model picker).

        Resolved in the workspace's config as it is now, re-read first if the slug is not known
        yet (added from the shell before the watcher's next look); a prompt sent meanwhile
        waits for it. The toast, the status line and the request all come from the session's
        target afterwards, so they cannot disagree."""
        if self.session is not None:
            self._switching = self._switch(self.session, connection_slug, model_id)

    async def _switch_done(self) -> None:
        """Wait for a switch still being made (a failed one was reported; the status line shows
        the target that stayed)."""
        switching = self._switching
        if switching is not None and not switching.is_finished:
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                await switching.wait()

    @work(group="switch", exclusive=True, exit_on_error=False)
    async def _switch(self, session: ChatSession, connection_slug: str, model_id: str) -> None:
        workspace = self.craft.workspace
        target = await workspace.switch(session, connection_slug, model_id)
        self._refresh_chrome()
        if target is None or target.connection is None:
            now = workspace.target_of(session)
            where = workspace.label_for(now.connection.slug if now.connection else None, now.model)
            self.notify(
                f"No connection {connection_slug!r} in the configuration (removed, or not saved "
                f"yet): the next answer still comes from {where}.",
                severity="warning",
                timeout=10,
            )
            return
        label = workspace.label_for(target.connection.slug, target.model)
        self.notify(f"Next answer from {label}")

    def config_changed(self, change: ConfigChange | None = None) -> None:
        """The config changed (edited here, in the shell or in an editor): refresh the
        placeholder and the status line from it."""
        if self.is_mounted:
            self._refresh_chrome()

    async def copy_last_answer(self) -> None:
        await self.transcript.show_tail()
        view = self._last_answer()
        if view is None:
            self.notify("Nothing to copy yet.")
            return
        self.craft.copy_text(view.text, what="answer")

    async def copy_last_code(self) -> None:
        await self.transcript.show_tail()
        view = self._last_answer()
        if view is None:
            self.notify("Nothing to copy yet.")
            return
        self._copy_code(view)


def _remember_shown(conversation_id: str) -> None:
    """Record the conversation on screen (runtime state, config/state.py); losing it only
    means the next start reopens the one updated last."""
    import contextlib

    from craft_tui.config.state import set_last_conversation

    with contextlib.suppress(OSError):
        set_last_conversation(conversation_id)
