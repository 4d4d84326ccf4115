"""The connections screen: every configured endpoint, with add, edit, delete and make-default.

On first run (no connections yet) it opens with a short explanation and offers what
`providers.detect` finds: a local Ollama or LM Studio, and provider keys in the environment. Probing
happens in a worker, so the screen is usable at once and fills in the offers when they arrive.

The list is drawn from `workspace.config` (and redrawn when it changes, from here, the shell or an
editor); every change goes through the workspace's `ConnectionService`, which does its file and
keyring work in a thread, exactly as `craft-tui connection …` does it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, OptionList, Static
from textual.widgets.option_list import Option

from craft_tui.config import state
from craft_tui.config.schema import Config, Connection, NoAuth
from craft_tui.config.secrets import SecretStore
from craft_tui.config.store import ConfigError
from craft_tui.providers.detect import Finding, detect
from craft_tui.ui.screens.confirm import ConfirmScreen
from craft_tui.ui.screens.connection_form import (
    Checker,
    ConnectionFormScreen,
    FormDraft,
)
from craft_tui.ui.screens.lifetime import closed_meanwhile
from craft_tui.ui.workspace_access import workspace_of
from craft_tui.untrusted import shown_inline
from craft_tui.workspace.targets import ConnectionProblem

if TYPE_CHECKING:
    from craft_tui.workspace.core import ConfigChange, Workspace

MaskedKeys = dict[str, str | None]
"""slug -> its stored key masked ('' none stored, None unreadable); see ConnectionService."""

Detector = Callable[[], Awaitable[list[Finding]]]

FIRST_RUN_TEXT = (
    "Welcome to craft-tui. To chat you need a connection: an LLM endpoint that speaks the OpenAI "
    "or Anthropic API (OpenRouter, Ollama, a company proxy, …). Pick something found on this "
    "machine below, or press [b]a[/b] to add one by hand. API keys are kept in "
)


def key_display(connection: Connection, masked: MaskedKeys) -> str:
    """How a connection authenticates, with any stored key masked (`…` until it was read)."""
    auth = connection.auth
    if isinstance(auth, NoAuth):
        return "no auth"
    style = "bearer" if auth.type == "bearer" else "key"
    if auth.api_key_env:
        return f"{style} from ${auth.api_key_env}"
    if auth.api_key_cmd:
        return f"{style} from `{auth.api_key_cmd}`"  # the command, never its output
    if connection.slug not in masked:
        return f"{style} …"
    stored = masked[connection.slug]
    if stored is None:
        return f"{style} unreadable"
    return f"{style} {stored}" if stored else f"{style} missing"


def _store_words(store: SecretStore) -> str:
    """Where keys go, without a path (paths differ per machine and per test run)."""
    if store.uses_file:
        return "a private file (mode 0600), as this machine has no system keyring."
    return "the system keyring, never in config.toml."


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"


def connection_prompt(
    connection: Connection,
    config: Config,
    masked: MaskedKeys,
    width: int = 200,
    last_used: datetime | None = None,
) -> Text:
    """Two lines per connection: name, protocol and URL; then auth, models and last use
    (`last_used`, from the runtime state). The star is `Config.default_connection`, the rule
    every other place uses.

    Each line is cut to `width` cells with an ellipsis, so a row stays two lines on 80 columns."""
    default = config.default_connection
    is_default = default is not None and default.slug == connection.slug
    count = len(connection.models)
    details = [
        key_display(connection, masked),
        f"{count} model{'s' if count != 1 else ''}",
        f"used {_when(last_used)}",
    ]
    if connection.effective_default_model:
        details.append(f"default {connection.effective_default_model}")
    text = Text()
    text.append("★" if is_default else " ", style="bold yellow")
    text.append(" ")
    text.append(shown_inline(connection.name), style="bold")
    text.append(" ")
    text.append(f"[{connection.protocol}]", style="magenta")
    text.append(" ")
    text.append(shown_inline(connection.base_url), style="underline")
    text.truncate(width, overflow="ellipsis")
    second = Text("  " + shown_inline(" · ".join(details)), style="dim")
    second.truncate(width, overflow="ellipsis")
    return Text("\n").join([text, second])


def finding_prompt(finding: Finding) -> Text:
    text = Text()
    text.append("+ ", style="bold green")
    text.append(shown_inline(finding.label), style="bold")
    text.append(f"  {shown_inline(finding.detail)}", style="dim")
    return text


class ConnectionsScreen(ModalScreen[None]):
    """List, add, edit, delete connections; first run offers what was detected."""

    CSS_PATH = "connections.tcss"
    # The button row shrinks below 78 columns (connections.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (78, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="connections.close"),
        Binding("a", "add", "Add", id="connections.add"),
        Binding("e", "edit", "Edit", id="connections.edit"),
        Binding("t", "test", "Test", id="connections.test"),
        Binding("d,delete", "delete", "Delete", id="connections.delete"),
        Binding("s", "make_default", "Make default", id="connections.default"),
    ]

    def __init__(
        self,
        first_run: bool = False,
        *,
        detector: Detector | None = None,
        store: SecretStore | None = None,
        checker: Checker | None = None,
        workspace: Workspace | None = None,
    ) -> None:
        super().__init__()
        self.first_run = first_run
        self.checker = checker
        self.detector: Detector = detector or detect
        self._store = store
        self._workspace = workspace
        self.findings: list[Finding] = []
        self._masked: MaskedKeys = {}  # read in a thread (keyring, credentials file)
        self._used: dict[str, datetime] = {}  # last use per slug, from the runtime state

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = workspace_of(self.app)
        return self._workspace

    @property
    def config(self) -> Config:
        """The config as the workspace has it now (no copy is kept here)."""
        return self.workspace.config

    @property
    def store(self) -> SecretStore:
        return self._store or self.workspace.connections.secrets

    def compose(self) -> ComposeResult:
        with Vertical(id="connections-dialog"):
            yield Static("Connections", id="connections-title", markup=False)
            if self.first_run:
                yield Static(FIRST_RUN_TEXT + _store_words(self.store), id="first-run", markup=True)
                yield Static("Looking for local servers and keys…", id="found-title", markup=False)
                yield OptionList(id="found")
            yield OptionList(id="connection-list")
            yield Static("", id="connections-empty", markup=False)
            # Config errors quote the user's TOML ("[[connections]]"), paths and server text.
            yield Static("", id="connections-error", markup=False)
            with Horizontal(id="connections-buttons"):
                yield Button("Add", id="add", compact=True)
                yield Button("Edit", id="edit", compact=True)
                yield Button("Delete", id="delete", compact=True)
                yield Button("Close", id="close", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.load_details()
        if self.first_run:
            self.query_one("#found", OptionList).display = False
            self.run_detection()

    # ---- data -----------------------------------------------------------------------------

    def config_changed(self, change: ConfigChange) -> None:
        """Connections changed (here, from the shell, in an editor): redraw, re-read the keys."""
        if self.is_mounted:
            self.reload()
            self.load_details()

    @work(exclusive=True, group="connection-details")
    async def load_details(self) -> None:
        """Masked keys and last use, read in a thread, then drawn."""
        service = self.workspace.connections
        connections = list(self.config.connections)
        self._masked = await service.amasked_keys(connections)
        # The runtime state's last use of each connection (config/state.py): a file read too.
        self._used = await asyncio.to_thread(state.last_used_times)
        if closed_meanwhile(self):  # Esc while a slow keyring answered
            return
        self.reload()

    def reload(self, select: str | None = None) -> None:
        """Redraw the list from the workspace's config, keeping (or moving to) a highlighted slug."""
        options = self.query_one("#connection-list", OptionList)
        highlighted = options.highlighted_option
        keep = select or (highlighted.id if highlighted else None)
        width = max(30, self.app.size.width - 8)  # dialog border and padding, list border
        used = self._used
        options.set_options(
            Option(
                connection_prompt(
                    connection, self.config, self._masked, width, used.get(connection.slug)
                ),
                id=connection.slug,
            )
            for connection in self.config.connections
        )
        options.display = bool(self.config.connections)
        for button_id in ("#edit", "#delete"):
            self.query_one(button_id, Button).disabled = not self.config.connections
        self.refresh_bindings()
        empty = self.query_one("#connections-empty", Static)
        empty.update("" if self.config.connections else "No connections yet. Press a to add one.")
        empty.display = not self.config.connections
        if self.config.connections:
            slugs = [connection.slug for connection in self.config.connections]
            options.highlighted = slugs.index(keep) if keep in slugs else 0
            if not self.first_run or not self.findings:
                options.focus()

    @work(exclusive=True, group="detect")
    async def run_detection(self) -> None:
        """Probe for local servers and environment keys without blocking the screen."""
        try:
            findings = await self.detector()
        except Exception:  # detection is a convenience: failing it must not cost the screen
            findings = []
        if closed_meanwhile(self):  # Esc while the local servers were probed
            return
        self._offer_findings(findings)

    def _offer_findings(self, findings: list[Finding], saved: bool = False) -> None:
        """Show what detection found (what is left of it, once some were set up)."""
        self.findings = findings
        title = self.query_one("#found-title", Static)
        found = self.query_one("#found", OptionList)
        if not findings:
            found.display = False
            title.update(
                "Saved. Press Esc to start chatting, or a to add another connection."
                if saved
                else "Nothing found on this machine (no Ollama or LM Studio answering, no provider "
                "keys in the environment). Press a to add a connection."
            )
            return
        title.update(
            "Saved. Also found — press Enter to set one up, or Esc to start chatting:"
            if saved
            else "Found — press Enter to set one up:"
        )
        found.set_options(
            Option(finding_prompt(finding), id=f"finding-{index}")
            for index, finding in enumerate(findings)
        )
        found.display = True
        found.highlighted = 0
        if not saved:
            found.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that act on a connection are hidden while there is none."""
        if action in {"edit", "delete", "make_default", "test"}:
            return bool(self.config.connections)
        return True

    @property
    def selected(self) -> Connection | None:
        option = self.query_one("#connection-list", OptionList).highlighted_option
        if option is None or option.id is None:
            return None
        return self.config.find(option.id)

    # ---- actions --------------------------------------------------------------------------

    def _open_form(
        self,
        connection: Connection | None = None,
        draft: FormDraft | None = None,
        finding: Finding | None = None,
        test_now: bool = False,
    ) -> None:
        def saved(slug: str | None) -> None:
            if slug is None:
                return
            self.reload(select=slug)
            self.load_details()
            if finding is not None and finding in self.findings:
                self._offer_findings([f for f in self.findings if f != finding], saved=True)
            self.query_one("#connection-list", OptionList).focus()

        self.app.push_screen(
            ConnectionFormScreen(
                connection,
                draft,
                self._store,
                self.checker,
                test_now=test_now,
                workspace=self.workspace,
            ),
            saved,
        )

    @on(Button.Pressed, "#add")
    def action_add(self) -> None:
        self._open_form()

    @on(Button.Pressed, "#edit")
    def action_edit(self) -> None:
        connection = self.selected
        if connection is not None:
            self._open_form(connection)

    def action_test(self) -> None:
        """Open the highlighted connection's form with its test already running."""
        connection = self.selected
        if connection is not None:
            self._open_form(connection, test_now=True)

    @on(OptionList.OptionSelected, "#connection-list")
    def _edit_selected(self) -> None:
        self.action_edit()

    @on(OptionList.OptionSelected, "#found")
    def _use_finding(self, event: OptionList.OptionSelected) -> None:
        index = int((event.option.id or "finding-0").removeprefix("finding-"))
        finding = self.findings[index]
        taken = [connection.slug for connection in self.config.connections]
        draft_connection = finding.to_connection(taken)
        self._open_form(
            draft=FormDraft(
                preset_id=finding.preset_id,
                name=draft_connection.name,
                base_url=finding.base_url,
                key_env=finding.key_env,
                models=finding.models,
            ),
            finding=finding,
        )

    @on(Button.Pressed, "#delete")
    def action_delete(self) -> None:
        connection = self.selected
        if connection is None:
            return
        slug, name = connection.slug, connection.name

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(slug, name)

        self.app.push_screen(
            ConfirmScreen(
                f"Delete connection {name!r}? "
                + (
                    "Its stored key is removed too; conversations stay in the history."
                    if self._masked.get(slug, "") != ""  # a key is stored (or unreadable)
                    else "Conversations stay in the history."
                ),
                yes="Delete",
                no="Keep",
            ),
            answered,
        )

    def _show_error(self, message: str) -> None:
        self.query_one("#connections-error", Static).update(message)

    @work(group="connection-change", exit_on_error=False)
    async def _delete(self, slug: str, name: str) -> None:
        """Remove it, its key, its runtime state and cached list (ConnectionService, in a thread)."""
        try:
            removed = await self.workspace.connections.aremove(slug)
        except (ConfigError, OSError, ConnectionProblem) as error:
            self._show_error(str(error))
            return
        self._show_error("")
        if removed.key_error is not None:  # the config is already clean; say what is left
            self.app.notify(
                f"Deleted {name!r}, but its key could not be removed: {removed.key_error}"
            )
        else:
            self.app.notify(f"Deleted {name!r} and its stored key.")
        self.reload()

    def action_make_default(self) -> None:
        connection = self.selected
        if connection is not None:
            self._make_default(connection.slug)

    @work(group="connection-change", exit_on_error=False)
    async def _make_default(self, slug: str) -> None:
        try:
            await self.workspace.connections.amake_default(slug)
        except (ConfigError, OSError, ConnectionProblem) as error:
            self._show_error(str(error))
            return
        self._show_error("")
        self.reload(select=slug)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
