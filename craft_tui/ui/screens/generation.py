"""Generation parameters for one conversation: temperature, max tokens, reasoning effort.

A small dialog the chat screen opens. It starts with the conversation's own values; an empty
field (or "default") leaves that parameter to the settings and the connection, and each
placeholder says what that is now (the caller passes `defaults`, worked out by
`config/generation.py effective` without the conversation's values), so a person sees what a
blank field will send. Values are checked with the settings screen's parsers, each sentence right
under its field. Enter or Ctrl+S applies, "Clear" empties every field, Esc cancels (asking first
when something was changed). It dismisses with the new `GenerationParams`, or None when
cancelled; storing them and using them in requests is the caller's.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from craft_tui.config.generation import (
    GenerationParams,
    format_number,
    parse_effort,
    parse_max_tokens,
    parse_temperature,
)
from craft_tui.ui.screens.confirm import ConfirmScreen
from craft_tui.ui.screens.settings import DEFAULT_EFFORT, effort_options
from craft_tui.ui.widgets.safe_fields import SafeInput
from craft_tui.untrusted import shown_inline

_FIELDS = ("temperature", "max-tokens")


class GenerationScreen(ModalScreen[GenerationParams | None]):
    """See the module docstring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="generation.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="generation.apply"),
    ]
    DEFAULT_CSS = """
    GenerationScreen { align: center middle; }
    GenerationScreen > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    GenerationScreen #generation-title { text-style: bold; color: $text-primary; }
    GenerationScreen .note { color: $text-muted; height: auto; }
    GenerationScreen .row { height: 1; margin-top: 1; }
    GenerationScreen .row .label { width: 13; color: $text-muted; }
    GenerationScreen .row Input, GenerationScreen .row Select { width: 1fr; }
    GenerationScreen .row Input { background: $boost; }
    GenerationScreen .error { display: none; padding-left: 13; color: $text-error; height: auto; }
    GenerationScreen .error.-shown { display: block; }
    GenerationScreen #generation-buttons { height: 1; margin-top: 1; align-horizontal: right; }
    GenerationScreen #generation-buttons Button { margin-left: 2; }
    """

    def __init__(
        self,
        current: GenerationParams,
        defaults: GenerationParams,
        *,
        title: str | None = None,
    ) -> None:
        """`current`: the conversation's own values; `defaults`: what applies without them;
        `title`: the conversation's (outside text, shown disarmed)."""
        super().__init__()
        self.current = current
        self.defaults = defaults
        self.conversation_title = title
        self._initial: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        current, defaults = self.current, self.defaults
        with Vertical():
            yield Static("Generation for this conversation", id="generation-title", markup=False)
            if self.conversation_title:
                yield Static(shown_inline(self.conversation_title), classes="note", markup=False)
            yield Static(
                "Empty fields use the settings and the connection (shown in grey).",
                classes="note",
                markup=False,
            )
            yield from _row(
                "Temperature",
                SafeInput(
                    format_number(current.temperature),
                    placeholder=_default_text(format_number(defaults.temperature)),
                    id="temperature",
                    compact=True,
                ),
            )
            yield _error("temperature")
            yield from _row(
                "Max tokens",
                SafeInput(
                    str(current.max_tokens or ""),
                    placeholder=_default_text(str(defaults.max_tokens or "")),
                    id="max-tokens",
                    compact=True,
                ),
            )
            yield _error("max-tokens")
            yield from _row(
                "Reasoning",
                Select(
                    effort_options(_default_text(defaults.reasoning_effort or "")),
                    value=current.reasoning_effort or DEFAULT_EFFORT,
                    allow_blank=False,
                    id="effort",
                    compact=True,
                ),
            )
            with Horizontal(id="generation-buttons"):
                yield Button("Apply", id="apply", variant="primary", compact=True)
                yield Button("Clear", id="clear", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#temperature", Input).focus()
        self.call_after_refresh(self._remember_initial)

    def _snapshot(self) -> tuple[object, ...]:
        return (
            self.query_one("#temperature", Input).value,
            self.query_one("#max-tokens", Input).value,
            self.query_one("#effort", Select).value,
        )

    def _remember_initial(self) -> None:
        self._initial = self._snapshot()

    @property
    def loaded(self) -> bool:
        """True once the fields' starting values are known (Esc and Save compare with them)."""
        return self._initial is not None

    @property
    def changed(self) -> bool:
        return self.loaded and self._snapshot() != self._initial

    def _show_error(self, field: str, message: str) -> None:
        widget = self.query_one(f"#error-{field}", Static)
        widget.update(message)
        widget.set_class(bool(message), "-shown")

    @on(Input.Changed)
    def _field_edited(self, event: Input.Changed) -> None:
        if event.input.id in _FIELDS:
            self._show_error(event.input.id, "")

    def build_params(self) -> GenerationParams | None:
        """The values typed, or None after showing what is wrong under each field."""
        errors: dict[str, str] = {}
        temperature: float | None = None
        max_tokens: int | None = None
        try:
            temperature = parse_temperature(self.query_one("#temperature", Input).value)
        except ValueError as error:
            errors["temperature"] = str(error)
        try:
            max_tokens = parse_max_tokens(
                self.query_one("#max-tokens", Input).value, unset="the default"
            )
        except ValueError as error:
            errors["max-tokens"] = str(error)
        for field in _FIELDS:
            self._show_error(field, errors.get(field, ""))
        if errors:
            first = next(field for field in _FIELDS if field in errors)
            self.query_one(f"#{first}", Input).focus()
            return None
        effort = parse_effort(str(self.query_one("#effort", Select).value))
        return GenerationParams(temperature, max_tokens, effort)

    @on(Input.Submitted)
    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        params = self.build_params()
        if params is not None:
            self.dismiss(params)

    @on(Button.Pressed, "#clear")
    def action_clear(self) -> None:
        """Every field back to "use the default" (applied with Apply)."""
        self.query_one("#temperature", Input).value = ""
        self.query_one("#max-tokens", Input).value = ""
        self.query_one("#effort", Select).value = DEFAULT_EFFORT
        self.query_one("#temperature", Input).focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard these generation values?", yes="Discard", no="Keep editing"),
            answered,
        )


def _row(label: str, widget: Widget) -> ComposeResult:
    with Horizontal(classes="row"):
        yield Label(label, classes="label", markup=False)
        yield widget


def _error(field: str) -> Static:
    return Static("", id=f"error-{field}", classes="error", markup=False)


def _default_text(value: str) -> str:
    return f"default: {value}" if value else "default: the server's"
