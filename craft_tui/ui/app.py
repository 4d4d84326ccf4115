"""The Textual application: screens, keymap, clipboard, and the guard that keeps unexpected
exceptions off the screen.

The app holds no config of its own: `self.workspace` (craft_tui/workspace) has the one copy, and
the app subscribes to its changes (the file edited underneath, the app's own writes), handing each
to the screens that show config (`FollowsConfig`) on the UI loop; an invalid edit is shown once
as a toast naming the file and line while the last good config stays in use.

The theme picked in the command palette is remembered: when `config.toml` has a `theme` key (every
file the app writes whole has one) that key is changed, format-preserving, so the file keeps saying
what is in use; a file without one is left alone and the pick goes to `state.json`, used at the
next start while the file names no theme. An unknown theme in the file is reported with the ones
there are. The keymap is checked at start (`bindings.check_keymap`): an unknown id, an entry
without keys or a key giving two actions in one place is one line of a toast naming the id, the
key and the line of config.toml, and that entry keeps its default.

Extension points: `open_connections` / `pick_model` push the connections and model-picker
screens (lazy imports); `on_connections_closed` and `on_model_chosen` are what happens after.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from rich.text import Text
from textual import work
from textual.app import SystemCommand
from textual.binding import BindingType
from textual.screen import Screen

from craft_tui.ui.bindings import binding, check_keymap
from craft_tui.ui.textual_private import FatalErrorGuard, copy_with_sequence
from craft_tui.untrusted import shown, shown_inline
from craft_tui.workspace.core import ConfigChange, Workspace

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.theme import Theme

    from craft_tui.chat.history import HistoryStore
    from craft_tui.config.schema import Config
    from craft_tui.config.source import ConfigSource
    from craft_tui.ui.clipboard import ClipboardPlan, TmuxClipboard
    from craft_tui.ui.screens.chat import ChatScreen
    from craft_tui.ui.screens.model_picker import ModelChoice
    from craft_tui.workspace.drivers import DriverFactory


@runtime_checkable
class FollowsConfig(Protocol):
    """A screen that shows something of the config: told of every change, on the UI loop."""

    def config_changed(self, change: ConfigChange) -> None: ...


class CraftApp(FatalErrorGuard):
    """craft-tui: a chat client for any OpenAI- or Anthropic-compatible endpoint."""

    TITLE = "craft-tui"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        binding("pick_model", "pick_model"),
        binding("open_connections", "open_connections"),
        binding("quit", "quit", priority=True),
        binding("keys_help", "keys_help"),
        binding("open_settings", "open_settings"),
    ]

    def __init__(
        self,
        config: Config | None = None,
        new_conversation: bool = False,
        *,
        config_source: ConfigSource | None = None,
        store: HistoryStore | None = None,
        driver_factory: DriverFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        environ: dict[str, str] | None = None,
        workspace: Workspace | None = None,
        watch_interval: float | None = None,
    ) -> None:
        """`config`, or `config_source` (the TOML-parsed file, validated after the first frame:
        the screen is painted from its preview until then), or a ready `workspace`.
        `watch_interval`: how often config.toml is looked at (default half a second)."""
        super().__init__()
        self.workspace = workspace or Workspace(
            config, source=config_source, history=store, driver_factory=driver_factory
        )
        self.config_error: str | None = None  # why config_source was refused (the app exits)
        self.config_ready = asyncio.Event()  # set once the workspace's config is validated
        self.new_conversation = new_conversation
        self.clock = clock
        self._watch_interval = watch_interval
        self._shown_config_error: str | None = None  # an invalid edit is toasted once
        preview = self.workspace.preview
        keymap = config.settings.keymap if config is not None else preview.keymap
        checked = check_keymap(
            keymap,
            text=config_source.text if config_source is not None else "",
            where=str(config_source.path) if config_source is not None else "config.toml",
        )
        self.keymap = checked.keymap  # the user's entries that apply; the others keep defaults
        self.keymap_problems = checked.problems  # one line each, shown at start and on F1
        self._environ = environ
        self._tmux_mode: TmuxClipboard | None = None  # detected on first copy
        self._told_tmux = False
        # The theme: the config's (to see it edited), the one last remembered (a pick differs).
        self._config_theme = config.settings.theme if config is not None else preview.theme
        self._theme_explicit = (
            "theme" in config.settings.model_fields_set
            if config is not None
            else preview.theme is not None
        )
        self._saved_theme: str | None = None
        self._theme_lock = threading.Lock()
        from craft_tui.config import state

        # Read before the first frame, like the config's preview (a small file, no migration).
        self._picked_theme = None if self._theme_explicit else state.theme()
        self.copied: list[str] = []  # every escape sequence written for a copy (tests read it)
        self.fatal_message: str | None = None
        self._asking_to_quit = False  # Ctrl+Q's "stop the answer and quit?" is open

    @property
    def config(self) -> Config | None:
        """The workspace's config (None until it is validated, just after the first frame)."""
        return self.workspace.config if self.workspace.ready else None

    def on_mount(self) -> None:
        from craft_tui.ui.themes import install_themes, readable_without_colour

        install_themes(self)  # theme files, before the config's or remembered theme is applied
        if self._theme_explicit or self._picked_theme is None:
            self._use_theme(self._config_theme)
        else:
            self._use_theme(self._picked_theme, told=False)
        readable_without_colour(self)  # NO_COLOR: a theme that fades in greys gets a stand-in
        self._saved_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        env = os.environ if self._environ is None else self._environ
        if env.get("TMUX"):
            self._detect_tmux()  # before the first copy, off the UI loop
        else:
            from craft_tui.ui.clipboard import TmuxClipboard

            self._tmux_mode = TmuxClipboard.NOT_TMUX
        if self.keymap:
            self.set_keymap(self.keymap)
        if self.keymap_problems:
            self.notify(
                "\n".join(self.keymap_problems),
                title="Keymap: these entries keep their default keys",
                severity="warning",
                timeout=20,
            )
        from craft_tui.ui.screens.chat import ChatScreen

        self.push_screen(ChatScreen())
        if not self.workspace.ready:
            self.call_after_refresh(self._validate_config)
        else:
            self._config_validated()

    def _validate_config(self) -> None:
        """After the first frame: validate the file (importing pydantic), or exit with its error
        (printed by the command line once the terminal is restored; the file is left as it is)."""
        from craft_tui.config.store import ConfigError

        try:
            config = self.workspace.validate_source()
        except ConfigError as error:
            self.config_error = str(error)
            self.exit(return_code=1)
            return
        self._config_theme = config.settings.theme  # the preview's (None if unset) until now
        self._config_validated()
        self._config_changed(ConfigChange(config))

    def _config_validated(self) -> None:
        from craft_tui.ui.warmup import start_warm_up

        self.config_ready.set()
        self.workspace.subscribe(self._config_changed)
        self.workspace.start_watching(self._watch_interval)
        start_warm_up(self)  # the first send's imports, once the conversation is on screen
        if not self.workspace.config.connections:
            self.action_open_connections(first_run=True)

    def _config_changed(self, change: ConfigChange) -> None:
        """The config in use changed (or an edit of the file was refused): tell the screens."""
        if change.error is not None:
            if change.error != self._shown_config_error:
                self._shown_config_error = change.error
                self.notify(
                    f"{change.error} The last good configuration stays in use.",
                    title="config.toml not used",
                    severity="error",
                    timeout=15,
                )
            return
        self._shown_config_error = None
        theme = change.config.settings.theme
        if theme != self._config_theme:  # edited (a connection's change leaves a pick alone)
            self._config_theme = theme
            self._use_theme(theme)
            self._saved_theme = self.theme
        for screen in self.screen_stack:
            if isinstance(screen, FollowsConfig):
                screen.config_changed(change)

    # ---------------------------------------------------------------- theme

    def _use_theme(self, theme: str | None, *, told: bool = True) -> None:
        """Show `theme` if there is one by that name; else keep the current one and (`told`)
        say so, naming the themes there are."""
        if theme is None or theme == self.theme:
            return
        if theme in self.available_themes:
            self.theme = theme
            return
        if told:
            names = ", ".join(sorted(self.available_themes))
            self.notify(
                f"Unknown theme {theme!r} in [settings] of config.toml; "
                f"using {self.theme!r}. Themes: {names}",
                severity="warning",
                timeout=15,
            )

    def preview_theme(self, name: str) -> None:
        """Show `name` without remembering it as a pick (the settings screen's live preview:
        its Save writes the theme, its Esc puts the old one back)."""
        if name in self.available_themes:
            self._saved_theme = name
            self.theme = name

    def _theme_changed(self, theme: Theme) -> None:
        """The theme changed; one picked in the command palette is remembered (off the loop)."""
        if theme.name == self._saved_theme:
            return  # the config's or the remembered one being applied
        self._saved_theme = theme.name
        self._remember_theme()

    @work(thread=True, group="theme")
    def _remember_theme(self) -> None:
        """Write the latest pick: into config.toml's `theme` when the file has one, else into
        state.json. Writes are serialised and each writes the newest pick."""
        from craft_tui.config import state
        from craft_tui.config.source import ConfigError, read_config_source
        from craft_tui.config.store import update_config

        with self._theme_lock:
            name = self._saved_theme
            if name is None:
                return
            path = self.workspace.path
            try:
                settings = read_config_source(path).data.get("settings")
                if isinstance(settings, dict) and "theme" in settings:

                    def change(config: Config) -> None:
                        config.settings.theme = name

                    written = update_config(change, path)
                    self.call_from_thread(self._theme_written, written)
                else:
                    state.set_theme(name)
            except (ConfigError, OSError) as error:
                self.call_from_thread(
                    self.notify,
                    f"The theme {name!r} is in use but could not be remembered: {error}",
                    severity="warning",
                )

    def _theme_written(self, config: Config) -> None:
        """config.toml now names the picked theme: in use at once (the watcher need not see it)."""
        self._config_theme = config.settings.theme
        if self.workspace.ready:
            self.workspace.apply(config)

    async def on_unmount(self) -> None:
        await self.workspace.aclose()

    @property
    def chat(self) -> ChatScreen | None:
        """The chat screen (always at the bottom of the stack)."""
        from craft_tui.ui.screens.chat import ChatScreen

        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen):
                return screen
        return None

    async def action_quit(self) -> None:
        """Ctrl+Q quits; while an answer is still coming it asks first (stopping saves what
        arrived, marked as stopped). Ctrl+Q again on that question quits all the same."""
        chat = self.chat
        if chat is None or not chat.busy or self._asking_to_quit:
            self.exit()
            return
        self._asking_to_quit = True

        def quit_now() -> None:
            self.exit()

        chat.leave_live_answer("quit", quit_now, asked=self._not_asking_to_quit)

    def _not_asking_to_quit(self) -> None:
        self._asking_to_quit = False

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

    def action_export_conversation(self) -> None:
        """Ask for a path and export the open conversation there (ui/screens/export.py)."""
        from craft_tui.ui.screens.export import ExportScreen

        chat = self.chat
        session = chat.session if chat is not None else None
        if session is None:
            self.notify("No conversation is open yet.", severity="warning")
            return
        conversation = session.conversation
        self.push_screen(ExportScreen(conversation.id, conversation.title, self.workspace.history))

    # ---------------------------------------------------------------- connections and models

    def action_keys_help(self) -> None:
        """Every key as bound now (F1); F1 again, Esc or q closes it."""
        from craft_tui.ui.screens.key_help import KeyHelpScreen

        if isinstance(self.screen, KeyHelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(KeyHelpScreen())

    def action_open_settings(self) -> None:
        """The settings screen (ui/screens/settings.py); what it saves reaches the app through
        the workspace's change event."""
        if not self.config_ready.is_set():
            return  # a key pressed within the first frame: the config is still being checked
        from craft_tui.ui.screens.settings import SettingsScreen

        if isinstance(self.screen, SettingsScreen):
            return
        self.push_screen(SettingsScreen(), self.on_connections_closed)

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
        """Every change the screen made is in the workspace already (and the chat screen was
        told); the prompt gets the focus back."""
        chat = self.chat
        if chat is not None and chat.is_mounted:
            chat.prompt.focus()

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
            connection, model = self.workspace.target_of(chat.session)
            if connection is not None and model:
                current = ModelChoice(connection.slug, model)
        self.push_screen(ModelPickerScreen(current), self.on_model_chosen)

    def on_model_chosen(self, choice: ModelChoice | None) -> None:
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
        yield SystemCommand("Keys", "Every key, as bound now (F1)", self.action_keys_help)
        yield SystemCommand(
            "Settings…",
            "Theme, default connection and model, generation defaults (F3)",
            self.action_open_settings,
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
        yield SystemCommand(
            "Generation…",
            "Temperature, max tokens and reasoning effort of this conversation (F5)",
            chat.action_generation,
        )
        yield SystemCommand(
            "Export conversation…",
            "Save it as Markdown (what is shown) or JSON (every branch)",
            self.action_export_conversation,
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
        """Copy `text` over OSC 52 (wrapped for tmux when needed) and say what happened: "Copied"
        only when it can reach the clipboard. When tmux drops it, the fix is told once a run
        (a warning); later copies just say they were not copied."""
        from craft_tui.ui.clipboard import TmuxClipboard

        plan = self._send_to_clipboard(text)
        if plan.mode is not TmuxClipboard.BLOCKED:
            lines = text.count("\n") + 1
            self.notify(f"Copied {what} ({lines} line{'s' if lines != 1 else ''})", timeout=2)
        elif not self._told_tmux:
            self._told_tmux = True
            self.notify(
                f"Not copied: {plan.advice}",
                title="Clipboard inside tmux",
                severity="warning",
                timeout=15,
            )
        else:
            self.notify(
                "Not copied: tmux still drops the clipboard escape (~/.tmux.conf needs the line "
                "in the first tip).",
                timeout=3,
            )

    def copy_to_clipboard(self, text: str) -> None:
        """OSC 52 to the terminal; inside tmux wrapped for passthrough (Textual's own copies,
        e.g. a selection, come here too)."""
        self._send_to_clipboard(text)

    def _send_to_clipboard(self, text: str) -> ClipboardPlan:
        from craft_tui.ui.clipboard import TmuxClipboard, detect_tmux_clipboard, plan_copy

        if self._tmux_mode is None:  # not detected at start yet (a copy within the first frames)
            self._tmux_mode = detect_tmux_clipboard(self._environ)
        plan = plan_copy(text, self._tmux_mode)
        self.copied.append(plan.sequence)
        copy_with_sequence(self, text, plan.sequence)
        if plan.mode is TmuxClipboard.BLOCKED:
            self._detect_tmux()  # the user may fix tmux now: the next copy asks again
        return plan

    def on_app_focus(self) -> None:
        """Back in the terminal (perhaps from editing ~/.tmux.conf): ask tmux again if it was
        dropping copies."""
        from craft_tui.ui.clipboard import TmuxClipboard

        if self._tmux_mode is TmuxClipboard.BLOCKED:
            self._detect_tmux()

    @work(thread=True, group="tmux-clipboard", exclusive=True)
    def _detect_tmux(self) -> None:
        """Ask tmux how an OSC 52 gets out (runs the tmux client: off the UI loop)."""
        from craft_tui.ui.clipboard import detect_tmux_clipboard

        mode = detect_tmux_clipboard(self._environ)
        self.call_from_thread(setattr, self, "_tmux_mode", mode)

    # ---------------------------------------------------------------- exception guard

    def on_fatal_error(self, error: BaseException | None) -> None:
        """An exception escaped a handler: log the traceback, leave one line, never a traceback."""
        from craft_tui.logging_setup import log_exception

        where = log_exception(error) if error is not None else "the log"
        self.bell()
        self.fatal_message = (
            f"craft-tui stopped after an unexpected error ({type(error).__name__}). "
            f"Your conversation is saved. Details: {where}"
        )
        self.panic(Text(self.fatal_message))
