"""The settings screen: theme, where new conversations go, start-up, model lists, AI titles,
OpenRouter attribution and the generation defaults, in one form.

The form shows the workspace's config as it is when the screen opens and keeps no copy after it
closes. Choosing a theme shows it at once (a preview: the app does not remember it until Save);
Esc puts the theme back and, when anything was changed, asks first. Each value is checked as it
is saved, its sentence right under its field (the same parsers as the generation dialog,
`config/generation.py`), with the focus on the first field to fix. Save hands only the settings
that changed to `config/settings_edit.py` in a thread (config.toml written format-preserving:
comments stay byte for byte), then `apply`s the saved config to the workspace, whose change event
is how the app and the other screens see it (the theme included): the screen never pushes a
value anywhere itself.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Label, Select, Static

from craft_tui.config.generation import (
    EFFORTS,
    format_number,
    parse_effort,
    parse_hours,
    parse_max_tokens,
    parse_temperature,
)
from craft_tui.config.settings_edit import ConnectionGone, SettingsEdit, save_settings
from craft_tui.config.store import ConfigError
from craft_tui.ui.screens.confirm import ConfirmScreen
from craft_tui.ui.screens.lifetime import dismiss_if_open, show_or_toast
from craft_tui.ui.widgets.safe_fields import SafeInput
from craft_tui.untrusted import plain_inline, shown, shown_inline

if TYPE_CHECKING:
    from collections.abc import Callable

    from craft_tui.config.schema import Config, Connection
    from craft_tui.workspace.core import ConfigChange, Workspace

NO_CONNECTION = "none"  # the connection Select's value when there is no connection yet
NO_CONNECTIONS_LABEL = "no connection yet (Ctrl+G adds one)"
DEFAULT_EFFORT = "default"
# The field that fixes each error, in the form's order (the first one gets the focus).
_ERROR_FIELDS = ("model", "model-hours", "temperature", "max-tokens", "form")
_INPUTS = frozenset(_ERROR_FIELDS) - {"form"}  # an error of these is fixed in the Input of its id


@runtime_checkable
class PreviewsThemes(Protocol):
    """An app that can show a theme without remembering it as the user's pick (CraftApp)."""

    def preview_theme(self, name: str) -> None: ...


def effort_options(default_label: str) -> list[tuple[str, str]]:
    """The reasoning-effort choices; the first leaves it to the next place down."""
    return [(default_label, DEFAULT_EFFORT), *((effort, effort) for effort in EFFORTS)]


class SettingsScreen(ModalScreen[bool]):
    """The settings form; dismisses with True when something was saved."""

    CSS_PATH = "settings.tcss"
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="settings.cancel"),
        Binding("ctrl+s", "save", "Save", id="settings.save"),
    ]

    def __init__(self, *, workspace: Workspace | None = None) -> None:
        super().__init__()
        self._workspace = workspace
        self._initial: tuple[object, ...] | None = None
        self._start_theme: str | None = None
        self._saving = False
        self._unsubscribe: Callable[[], None] | None = None
        self._listed: list[tuple[str, str]] = []  # the connections offered: (name, slug)

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            from craft_tui.ui.workspace_access import workspace_of

            self._workspace = workspace_of(self.app)
        return self._workspace

    @property
    def config(self) -> Config:
        """The config in use now (read from the workspace each time, never kept)."""
        return self.workspace.config

    # ---- building -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        config = self.config
        settings = config.settings
        default = config.default_connection
        self._start_theme = self.app.theme
        with Vertical(id="settings-dialog"):
            yield Static("Settings", id="settings-title", markup=False)
            with VerticalScroll(id="settings-body"):
                yield Static("Look and start", classes="section", id="first-section", markup=False)
                yield from _row(
                    "Theme",
                    Select(
                        [(name, name) for name in sorted(self.app.available_themes)],
                        value=self.app.theme,
                        allow_blank=False,
                        id="theme",
                        compact=True,
                    ),
                )
                with Horizontal(classes="row"):
                    yield Label("On start", classes="label", markup=False)
                    yield Checkbox(
                        "reopen the last conversation",
                        settings.reopen_last_conversation,
                        id="reopen",
                        compact=True,
                    )
                yield Static("New conversations", classes="section", markup=False)
                self._listed = [(c.name, c.slug) for c in config.connections]
                connections = [(plain_inline(name), slug) for name, slug in self._listed]
                yield from _row(
                    "Connection",
                    Select(
                        connections or [(NO_CONNECTIONS_LABEL, NO_CONNECTION)],
                        value=default.slug if default is not None else NO_CONNECTION,
                        allow_blank=False,
                        id="connection",
                        compact=True,
                        disabled=not connections,
                    ),
                )
                yield from _row(
                    "Model",
                    SafeInput(
                        (default.default_model or "") if default is not None else "",
                        placeholder=_model_placeholder(default),
                        id="model",
                        compact=True,
                        disabled=default is None,
                        suggester=_suggester(default),
                    ),
                )
                yield _error("model")
                with Horizontal(classes="row"):
                    yield Label("AI titles", classes="label", markup=False)
                    yield Checkbox(
                        "name conversations with the model (one small request each)",
                        settings.ai_titles,
                        id="ai-titles",
                        compact=True,
                    )
                with Horizontal(classes="row"):
                    yield Label("OpenRouter", classes="label", markup=False)
                    yield Checkbox(
                        "send attribution headers (HTTP-Referer, X-Title)",
                        settings.openrouter_attribution,
                        id="attribution",
                        compact=True,
                    )
                yield from _row(
                    "Model lists",
                    SafeInput(
                        format_number(settings.model_cache_hours),
                        placeholder="24",
                        id="model-hours",
                        compact=True,
                    ),
                )
                yield Static(
                    "Hours before model lists are fetched again (0: every time).",
                    classes="note",
                    markup=False,
                )
                yield _error("model-hours")
                yield Static(
                    "Generation defaults (a conversation's own values win)",
                    classes="section",
                    markup=False,
                )
                yield from _row(
                    "Temperature",
                    SafeInput(
                        format_number(settings.temperature),
                        placeholder="server default",
                        id="temperature",
                        compact=True,
                    ),
                )
                yield _error("temperature")
                yield from _row(
                    "Max tokens",
                    SafeInput(
                        str(settings.max_tokens or ""),
                        placeholder="each connection's own (4096)",
                        id="max-tokens",
                        compact=True,
                    ),
                )
                yield _error("max-tokens")
                yield from _row(
                    "Reasoning",
                    Select(
                        effort_options("server default"),
                        value=settings.reasoning_effort or DEFAULT_EFFORT,
                        allow_blank=False,
                        id="effort",
                        compact=True,
                    ),
                )
                yield _error("form")
            with Horizontal(id="settings-buttons"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#theme", Select).focus()
        self.call_after_refresh(self._remember_initial)
        # A connection added or removed while the form is open (the shell, an editor, another
        # screen) shows up in the list: the workspace tells, as it tells the app.
        self._unsubscribe = self.workspace.subscribe(self._config_changed)

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _config_changed(self, change: ConfigChange) -> None:
        """Offer the connections there are now; the one picked stays picked while it exists."""
        if change.error is not None or not self.is_mounted:
            return
        config = change.config
        listed = [(c.name, c.slug) for c in config.connections]
        if listed == self._listed:
            return
        self._listed = listed
        select = self.query_one("#connection", Select)
        picked = select.value
        if not listed:
            select.set_options([(NO_CONNECTIONS_LABEL, NO_CONNECTION)])
            select.disabled = True
            return
        select.set_options([(plain_inline(name), slug) for name, slug in listed])
        select.disabled = False
        default = config.default_connection
        slugs = [slug for _, slug in listed]
        if picked in slugs:
            select.value = picked
        elif default is not None:
            select.value = default.slug

    def _snapshot(self) -> tuple[object, ...]:
        """Every field's current value, to tell whether anything was changed."""
        body = self.query_one("#settings-body")
        return (
            *(field.value for field in body.query(Input)),
            *(field.value for field in body.query(Select)),
            *(field.value for field in body.query(Checkbox)),
        )

    def _remember_initial(self) -> None:
        self._initial = self._snapshot()

    @property
    def loaded(self) -> bool:
        """True once the fields' starting values are known (Esc and Save compare with them)."""
        return self._initial is not None

    @property
    def changed(self) -> bool:
        """True when a field differs from what the screen opened with."""
        return self.loaded and self._snapshot() != self._initial

    # ---- live updates ---------------------------------------------------------------------

    @on(Select.Changed, "#theme")
    def _theme_picked(self, event: Select.Changed) -> None:
        """Show the theme at once; it is remembered only on Save."""
        if isinstance(event.value, str) and event.value != self.app.theme:
            self._preview(event.value)

    def _preview(self, name: str) -> None:
        if isinstance(self.app, PreviewsThemes):
            self.app.preview_theme(name)
        else:
            self.app.theme = name

    @on(Select.Changed, "#connection")
    def _connection_picked(self, event: Select.Changed) -> None:
        """The model field shows the picked connection's default model."""
        connection = self._connection(event.value)
        field = self.query_one("#model", Input)
        if connection is None:
            return
        wanted = connection.default_model or ""
        if field.value.strip() != wanted:
            field.value = wanted
        field.placeholder = _model_placeholder(connection)
        field.suggester = _suggester(connection)

    @on(Input.Changed)
    def _field_edited(self, event: Input.Changed) -> None:
        """An error goes once its field is edited: it said what was wrong with the old text."""
        field = event.input.id or ""
        if field in _ERROR_FIELDS:
            self._show_error(field, "")

    # ---- validation -----------------------------------------------------------------------

    def _connection(self, slug: object) -> Connection | None:
        return next((c for c in self.config.connections if c.slug == slug), None)

    def _text(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def _show_error(self, field: str, message: str) -> None:
        widget = self.query_one(f"#error-{field}", Static)
        widget.update(shown(message))
        widget.set_class(bool(message), "-shown")

    def build_edit(self) -> SettingsEdit | None:
        """The settings that changed, or None after showing what is wrong, field by field."""
        for field in _ERROR_FIELDS:
            self._show_error(field, "")
        config = self.config
        settings = config.settings
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}

        theme = self.query_one("#theme", Select).value
        if isinstance(theme, str) and theme != self._start_theme:
            values["theme"] = theme
        values["reopen_last_conversation"] = self.query_one("#reopen", Checkbox).value
        values["ai_titles"] = self.query_one("#ai-titles", Checkbox).value
        values["openrouter_attribution"] = self.query_one("#attribution", Checkbox).value
        try:
            values["model_cache_hours"] = parse_hours(self._text("model-hours"))
        except ValueError as error:
            errors["model-hours"] = str(error)
        try:
            values["temperature"] = parse_temperature(self._text("temperature"))
        except ValueError as error:
            errors["temperature"] = str(error)
        try:
            values["max_tokens"] = parse_max_tokens(
                self._text("max-tokens"), unset="each connection's own"
            )
        except ValueError as error:
            errors["max-tokens"] = str(error)
        values["reasoning_effort"] = parse_effort(str(self.query_one("#effort", Select).value))

        default_model: tuple[str, str | None] | None = None
        slug = self.query_one("#connection", Select).value
        connection = self._connection(slug)
        if connection is not None:
            start = config.default_connection
            if start is None or start.slug != connection.slug:
                values["default_connection"] = connection.slug
            model = self._text("model")
            if any(ch.isspace() for ch in model):
                errors["model"] = "A model id has no spaces; pick one the connection lists."
            elif (model or None) != connection.default_model:
                default_model = (connection.slug, model or None)
        if errors:
            for field, message in errors.items():
                self._show_error(field, message)
            first = next(f for f in _ERROR_FIELDS if f in errors)
            if first in _INPUTS:
                self.query_one(f"#{first}", Input).focus()
            return None
        # Of the rest, only what differs from the config in use: nothing else is written.
        changed = {
            key: value
            for key, value in values.items()
            if key in ("theme", "default_connection") or getattr(settings, key) != value
        }
        return SettingsEdit(changed, default_model)

    # ---- actions --------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self._save()

    @work(exclusive=True, group="settings-save")
    async def _save(self) -> None:
        """Validate, write the changes in a thread, then hand the saved config to the
        workspace (its change event is what applies it, the theme included)."""
        edit = self.build_edit()
        if edit is None:
            return
        if edit.empty:
            self.dismiss(False)
            return
        self._saving = True
        try:
            saved = await asyncio.to_thread(save_settings, edit, self.workspace.path)
        except (ConfigError, ConnectionGone, OSError) as error:
            refusal = f"Not saved: {error}"
            show_or_toast(self, lambda: self._show_error("form", refusal), refusal)
            return
        finally:
            self._saving = False
        self.workspace.apply(saved)
        self.app.notify("Settings saved to config.toml.", title="Settings")
        dismiss_if_open(self, True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close and put the theme back; when something was changed, ask first."""
        if self._saving:
            return
        if not self.changed:
            self._close_unsaved()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self._close_unsaved()

        self.app.push_screen(
            ConfirmScreen(
                "Discard your changes to the settings?", yes="Discard", no="Keep editing"
            ),
            answered,
        )

    def _close_unsaved(self) -> None:
        if self._start_theme is not None and self.app.theme != self._start_theme:
            self._preview(self._start_theme)
        self.dismiss(False)


def _row(label: str, widget: Widget) -> ComposeResult:
    with Horizontal(classes="row"):
        yield Label(label, classes="label", markup=False)
        yield widget


def _error(field: str) -> Static:
    return Static("", id=f"error-{field}", classes="error", markup=False)


def _model_placeholder(connection: Connection | None) -> str:
    if connection is None:
        return "no connection yet"
    first = connection.models[0].id if connection.models else None
    return f"first listed: {shown_inline(first)}" if first else "a model id"


def _suggester(connection: Connection | None) -> SuggestFromList | None:
    if connection is None or not connection.models:
        return None
    return SuggestFromList(connection.model_ids, case_sensitive=False)
