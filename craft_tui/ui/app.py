"""The Textual application: screens, keymap, clipboard, and the guard that keeps unexpected
exceptions off the screen.

Extension points: `open_connections` / `pick_model` push the connections and model-picker
screens (lazy imports); `on_connections_closed` and `on_model_chosen` are what happens after.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import BindingType
from textual.screen import Screen

from craft_tui.config.preview import ConfigPreview, preview_config
from craft_tui.ui.backend import ChatBackend, DriverOpener
from craft_tui.ui.bindings import binding, keymap_from_settings
from craft_tui.untrusted import shown, shown_inline

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from craft_tui.config.schema import Config
    from craft_tui.config.source import ConfigSource


class CraftApp(App[None]):
    """craft-tui: a chat client for any OpenAI- or Anthropic-compatible endpoint."""

    TITLE = "craft-tui"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        binding("pick_model", "pick_model"),
        binding("open_connections", "open_connections"),
        binding("quit", "quit", priority=True),
    ]

    def __init__(
        self,
        config: Config | None = None,
        new_conversation: bool = False,
        *,
        config_source: ConfigSource | None = None,
        store: Any = None,
        driver_opener: DriverOpener | None = None,
        clock: Callable[[], float] = time.monotonic,
        environ: dict[str, str] | None = None,
    ) -> None:
        """`config`, or `config_source` (the TOML-parsed file, validated after the first frame:
        the screen is painted from its preview, and `config` is None until then)."""
        super().__init__()
        self._config_source = config_source if config is None else None
        self.config_error: str | None = None  # why config_source was refused (the app exits)
        self.config_ready = asyncio.Event()  # set once `config` is the validated Config
        preview = preview_config(config_source.data if config_source else {})
        self.config: Config = config  # type: ignore[assignment]  # None only until validated
        self.new_conversation = new_conversation
        self.clock = clock
        self.backend = ChatBackend(
            config, store=store, driver_opener=driver_opener, preview=preview
        )
        self._preview: ConfigPreview = preview
        keymap = config.settings.keymap if config is not None else preview.keymap
        self.keymap, self._unknown_keys = keymap_from_settings(keymap)
        self._environ = environ
        self._tmux_mode: Any = None  # clipboard.TmuxClipboard, detected on first copy
        self._told_tmux = False
        self.copied: list[str] = []  # every escape sequence written for a copy (tests read it)
        self.fatal_message: str | None = None

    def on_mount(self) -> None:
        theme = self.config.settings.theme if self.config is not None else self._preview.theme
        if theme in self.available_themes:
            self.theme = theme
        if self.keymap:
            self.set_keymap(self.keymap)
        if self._unknown_keys:
            self.notify(
                f"Unknown binding ids in [settings.keymap]: {', '.join(self._unknown_keys)}",
                severity="warning",
            )
        from craft_tui.ui.screens.chat import ChatScreen

        self.push_screen(ChatScreen())
        if self.config is None:
            self.call_after_refresh(self._validate_config)
        else:
            self._config_validated()

    def _validate_config(self) -> None:
        """After the first frame: validate the file (importing pydantic), or exit with its error
        (printed by the command line once the terminal is restored; the file is left as it is)."""
        from craft_tui.config.store import ConfigError, validate_config

        assert self._config_source is not None
        try:
            config = validate_config(self._config_source)
        except ConfigError as error:
            self.config_error = str(error)
            self.exit(return_code=1)
            return
        self.config = self.backend.config = config
        self._config_validated()
        chat = self.chat
        if chat is not None:
            chat.config_changed()

    def _config_validated(self) -> None:
        self.config_ready.set()
        if not self.config.connections:
            self.action_open_connections(first_run=True)

    async def on_unmount(self) -> None:
        await self.backend.aclose()

    @property
    def chat(self) -> Any:
        """The chat screen (always at the bottom of the stack)."""
        from craft_tui.ui.screens.chat import ChatScreen

        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen):
                return screen
        return None

    # ---------------------------------------------------------------- notifications

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast (screens' and widgets' `notify` come here too) shows its text as text.

        Toasts carry server reasons, paths and connection names ("Corp [EU]"): Textual's default
        would parse them as markup (and raise on `[/]`), and pass control characters through.
        Markup is off unless a caller asks for it, and the text is disarmed either way.
        """
        super().notify(
            shown(message),
            title=shown_inline(title),
            severity=severity,
            timeout=timeout,
            markup=markup,
        )

    # ---------------------------------------------------------------- connections and models

    def action_open_connections(self, first_run: bool = False) -> None:
        """Add, edit, test and remove connections."""
        if not self.config_ready.is_set():
            return  # a key pressed within the first frame: the config is still being checked
        try:
            from craft_tui.ui.screens.connections import ConnectionsScreen
        except ImportError:
            self.notify(
                "The connections screen is not available; use `craft-tui connection add`.",
                severity="warning",
            )
            return
        self.push_screen(ConnectionsScreen(first_run=first_run), self.on_connections_closed)

    def on_connections_closed(self, _result: object = None) -> None:
        """Connections may have changed: reload the config so the next request uses it."""
        from craft_tui.config.store import ConfigError, load_config

        try:
            config = load_config()
        except ConfigError as error:
            self.notify(str(error), severity="error", timeout=10)
            return
        self.config = config
        self.backend.config = config
        self.backend._drivers.clear()
        chat = self.chat
        if chat is not None:
            chat.config_changed()

    def action_pick_model(self) -> None:
        """Choose any model of any connection for the next answer."""
        if not self.config_ready.is_set():
            return  # a key pressed within the first frame: the config is still being checked
        try:
            from craft_tui.ui.screens.model_picker import ModelChoice, ModelPickerScreen
        except ImportError:
            self.notify("The model picker is not available yet.", severity="warning")
            return
        chat = self.chat
        current = None
        if chat is not None and chat.session is not None:
            connection, model = self.backend.current_target(chat.session)
            if connection is not None and model:
                current = ModelChoice(connection.slug, model)
        self.push_screen(ModelPickerScreen(current), self.on_model_chosen)

    def on_model_chosen(self, choice: Any) -> None:
        """Switch connection and/or model mid-conversation."""
        if choice is None:
            return
        chat = self.chat
        if chat is not None:
            chat.switch_to(choice.connection_slug, choice.model_id)

    # ---------------------------------------------------------------- command palette

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Pick model", "Choose the model for the next answer", self.action_pick_model
        )
        yield SystemCommand(
            "Connections", "Add, edit, test or remove connections", self.action_open_connections
        )
        chat = self.chat
        if chat is None:
            return
        yield SystemCommand(
            "New conversation", "Start a fresh conversation", chat.action_new_conversation
        )
        yield SystemCommand("History", "Open or delete past conversations", chat.action_history)
        yield SystemCommand(
            "System prompt", "Set this conversation's system prompt", chat.action_system_prompt
        )
        yield SystemCommand("Stop answer", "Stop the answer being written", chat.action_stop)
        yield SystemCommand("Retry last answer", "Ask again for the last answer", chat.action_retry)
        yield SystemCommand(
            "Copy last answer", "Copy the last answer to the clipboard", chat.copy_last_answer
        )
        yield SystemCommand(
            "Copy last code block", "Copy the last answer's code", chat.copy_last_code
        )

    # ---------------------------------------------------------------- clipboard

    def copy_text(self, text: str, *, what: str = "text") -> None:
        """Copy `text` over OSC 52 (wrapped for tmux when needed) and say so."""
        self.copy_to_clipboard(text)
        lines = text.count("\n") + 1
        self.notify(f"Copied {what} ({lines} line{'s' if lines != 1 else ''})", timeout=2)

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52 to the terminal; inside tmux wrapped for passthrough, with a one-time tip when
        tmux would drop it."""
        from craft_tui.ui.clipboard import detect_tmux_clipboard, plan_copy

        self._clipboard = text
        if self._tmux_mode is None:
            self._tmux_mode = detect_tmux_clipboard(self._environ)
        plan = plan_copy(text, self._tmux_mode)
        self.copied.append(plan.sequence)
        if self._driver is not None:
            self._driver.write(plan.sequence)
        if plan.advice and not self._told_tmux:
            self._told_tmux = True
            self.notify(plan.advice, title="Clipboard inside tmux", severity="warning", timeout=15)

    # ---------------------------------------------------------------- exception guard

    def _fatal_error(self) -> None:
        """An exception escaped a handler: log the traceback, leave one line, never a traceback."""
        import sys

        from craft_tui.logging_setup import log_exception

        error = sys.exc_info()[1] or self._exception
        where = log_exception(error) if error is not None else "the log"
        self.bell()
        self.fatal_message = (
            f"craft-tui stopped after an unexpected error ({type(error).__name__}). "
            f"Your conversation is saved. Details: {where}"
        )
        self._exit_renderables.append(Text(self.fatal_message))
        self._close_messages_no_wait()
