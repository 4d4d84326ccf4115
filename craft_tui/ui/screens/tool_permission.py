"""Asking before a tool runs: which server, which tool, and exactly what it will be given.

A tool call is the model acting on the user's machine or accounts, with arguments the model
wrote. The question therefore shows the arguments as they will be sent, pretty-printed when they
are JSON, as written (and said so) when they are not, and as text only: a model can put `[bold]`,
an OSC 52 clipboard write or a right-to-left override in an argument, and none of it may style,
run or reorder anything here (`craft_tui/untrusted.py`, plus the invisible characters a
permission question must not hide).

Keys (the defaults; the `tool.*` ids of `[settings.keymap]` remap them, and the buttons name
the keys as remapped): Enter or `y` allows this call once, `a` allows this tool for the rest of
the session, `n` asks for a reason (sent to the model; may be empty) and Enter denies with it,
Esc denies. The
allowing keys (and buttons) wake up only `arm_after` seconds after the question appears: it
pops up while an answer streams, when the user may be typing their next prompt, and a `y` or an
Enter meant for the prompt must not run a tool. Denying needs no such pause.

The screen dismisses with a `PermissionChoice`; the chat core's own decision type
(`craft_tui/chat/permissions.py`) is built from it by the chat screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from craft_tui.ui.bindings import binding, key_label, keys_of
from craft_tui.ui.tool_text import arguments_text, exact_line, own_name
from craft_tui.ui.widgets.safe_fields import SafeInput
from craft_tui.untrusted import shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.permissions import PersonDecision
    from craft_tui.providers.content import ToolCallPart
    from craft_tui.providers.types import ToolSpec

PermissionKind = Literal["once", "session", "deny"]

ARM_AFTER = 0.5  # seconds before a key can allow a call (see the module doc)
DESCRIPTION_LINES = 3
DESCRIPTION_CHARS = 300


@dataclass(frozen=True, slots=True)
class PermissionChoice:
    """What the user decided about one tool call: run it this once, allow the tool for the rest
    of the session, or deny it (`reason`, possibly empty, is what the model is told)."""

    kind: PermissionKind
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.kind != "deny"

    def decision(self) -> PersonDecision:
        """The chat core's word for it (`craft_tui/chat/permissions.py`): `AllowOnce`,
        `AllowForSession` or `DenyCall(reason)`."""
        from craft_tui.chat.permissions import AllowForSession, AllowOnce, DenyCall

        if self.kind == "once":
            return AllowOnce()
        if self.kind == "session":
            return AllowForSession()
        return DenyCall(self.reason)


def description_text(description: str) -> str:
    """The first lines of a tool's description (its author wrote it: shown as text)."""
    lines = [line.strip() for line in description.strip().splitlines() if line.strip()]
    head = "\n".join(exact_line(line) for line in lines[:DESCRIPTION_LINES])
    more = len(lines) > DESCRIPTION_LINES or len(head) > DESCRIPTION_CHARS
    head = head[:DESCRIPTION_CHARS].rstrip()
    return head + " …" if more else head


class ToolPermissionScreen(ModalScreen[PermissionChoice]):
    """Allow once, allow for the session, or deny (with a reason) one tool call.

    `tool` is the name the model called, `server` the tool's source (`ToolSpec.source`),
    `description` the tool's own (`ToolSpec.description`), `arguments` the call's JSON text
    exactly as the model wrote it (`ToolCallPart.arguments`)."""

    CSS_PATH = "tool_permission.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [  # keymap ids: ui/bindings.py TOOL_QUESTION_KEYS
        binding("tool.allow_once", "allow_once"),
        binding("tool.allow_session", "allow_session"),
        binding("tool.deny_reason", "ask_reason"),
        binding("tool.deny", "deny"),
    ]

    def __init__(
        self,
        tool: str,
        arguments: str,
        *,
        server: str = "",
        description: str = "",
        arm_after: float = ARM_AFTER,
    ) -> None:
        super().__init__()
        self.tool = tool
        self.server = server
        self.description = description
        self.arguments = arguments
        self._arm_after = arm_after
        self._armed = arm_after <= 0

    @classmethod
    def for_call(
        cls, call: ToolCallPart, spec: ToolSpec, *, arm_after: float = ARM_AFTER
    ) -> ToolPermissionScreen:
        """The question for one call, from what the tool loop's `ask_person(call, spec)` gets."""
        return cls(
            own_name(call.name, spec.source),
            call.arguments,
            server=spec.source,
            description=spec.description,
            arm_after=arm_after,
        )

    @property
    def armed(self) -> bool:
        """Whether the allowing keys work yet (they wake up `arm_after` seconds after showing)."""
        return self._armed

    def compose(self) -> ComposeResult:
        shown_args, valid = arguments_text(self.arguments)
        origin = Content.assemble(
            (exact_line(self.server) or "(no server)", "bold"),
            " · ",
            (exact_line(self.tool), "bold"),
        )
        with Vertical(id="permission-dialog") as dialog:
            dialog.border_title = "Run this tool?"
            yield Static(origin, id="permission-tool", markup=False)
            description = description_text(self.description)
            if description:
                yield Static(Content(description), id="permission-description", markup=False)
            label = "Arguments" if valid else "Arguments (not valid JSON; shown as written)"
            yield Label(
                label,
                id="permission-arguments-label",
                classes="" if valid else "-invalid",
                markup=False,
            )
            with VerticalScroll(id="permission-arguments"):
                yield Static(Content(shown_args), id="permission-arguments-text", markup=False)
            with Horizontal(id="permission-deny"):
                yield Label("Deny. Reason for the model:", markup=False)
                yield SafeInput(
                    placeholder="optional; Enter denies", id="permission-reason", compact=True
                )
            with Horizontal(id="permission-buttons"):
                once = self._keys("tool.allow_once")
                yield Button(
                    Content(f"Allow once  {once}"), id="allow-once", variant="primary", compact=True
                )
                session = self._keys("tool.allow_session")
                yield Button(Content(f"This session  {session}"), id="allow-session", compact=True)
                deny = self._keys("tool.deny_reason", "tool.deny")
                yield Button(Content(f"Deny  {deny}"), id="deny", variant="error", compact=True)

    def _keys(self, *binding_ids: str) -> str:
        """The keys of these bindings as the user's keymap has them, for the buttons' labels
        (text from config.toml: shown as text, on one line)."""
        keymap = getattr(self.app, "keymap", None)
        live = keymap if isinstance(keymap, dict) else None
        keys = [key for binding_id in binding_ids for key in keys_of(binding_id, live)]
        return shown_inline("/".join("⏎" if key == "enter" else key_label(key) for key in keys))

    def on_mount(self) -> None:
        self.query_one("#permission-deny").display = False
        # Focus on the arguments: ↑/↓/PageUp/PageDown scroll them, and Enter reaches the screen.
        self.query_one("#permission-arguments", VerticalScroll).focus()
        if not self._armed:
            for button in self.query("#allow-once, #allow-session").results(Button):
                button.disabled = True
            self.set_timer(self._arm_after, self.arm)

    def arm(self) -> None:
        """Let the allowing keys and buttons work (a timer calls this `arm_after` after mount)."""
        self._armed = True
        for button in self.query("#allow-once, #allow-session").results(Button):
            button.disabled = False

    def action_allow_once(self) -> None:
        if self._armed:
            self.dismiss(PermissionChoice("once"))

    def action_allow_session(self) -> None:
        if self._armed:
            self.dismiss(PermissionChoice("session"))

    def action_ask_reason(self) -> None:
        """Show the reason field; Enter in it denies with what was typed (empty is fine)."""
        reason = self.query_one("#permission-reason", Input)
        self.query_one("#permission-deny").display = True
        # In the buttons' place, so the question keeps its height (it fits a 60×20 terminal).
        self.query_one("#permission-buttons").display = False
        reason.focus()

    def action_deny(self) -> None:
        """Esc: deny, with whatever reason was typed so far (it is what the user meant)."""
        reason = self.query_one("#permission-reason", Input)
        self.dismiss(PermissionChoice("deny", reason.value.strip()))

    @on(Input.Submitted, "#permission-reason")
    def _reason_given(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(PermissionChoice("deny", event.value.strip()))

    @on(Button.Pressed, "#allow-once")
    def _once_pressed(self) -> None:
        self.action_allow_once()

    @on(Button.Pressed, "#allow-session")
    def _session_pressed(self) -> None:
        self.action_allow_session()

    @on(Button.Pressed, "#deny")
    def _deny_pressed(self) -> None:
        self.action_ask_reason()
