"""Add or edit one connection: preset, URL, auth, headers, TLS, models, and a live test; and, in a
collapsed Advanced section, its timeouts, max tokens and system prompt (the error messages that
tell a person to change them lead here).

The form never builds an HTTP request: "Test" runs the workspace's `ConnectionService.check`
(`providers.check.check_connection`, through `ConnectionService.check`) in a worker and shows each step as it completes: a
skipped step as skipped, and the models it found offered for the connection. After a refused
save or test the focus is on the first field to fix; an error goes once its field is edited. An
edited connection keeps the values of every field the person did not touch. Saving goes
through `ConnectionService` (as the CLI does), in a thread: `config.toml` first, then the key in
the `SecretStore`, so a key never touches the config file and is never left without its
connection. A field that does not validate gets its message right under it and keeps what was
typed; a refused change gets the same sentence the CLI prints.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import ValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import (
    Button,
    Checkbox,
    Collapsible,
    Footer,
    Input,
    Label,
    Select,
    Static,
    TextArea,
)

from craft_tui.config.key_command import TIMEOUT_SECONDS, parse_command
from craft_tui.config.presets import PRESETS, get_preset, normalize_connection_url
from craft_tui.config.protocols import all_protocols, get_protocol
from craft_tui.config.schema import (
    SLUG_PATTERN,
    AuthKind,
    Connection,
    ModelEntry,
    NoAuth,
    Routing,
    RoutingService,
    Timeouts,
    make_auth,
    routing_service,
    slugify,
)
from craft_tui.config.secrets import MissingKeyError, SecretStore, mask_secret
from craft_tui.config.store import ConfigError
from craft_tui.config.urls import InvalidURLError, Protocol, chat_url
from craft_tui.ui.screens.confirm import ConfirmScreen
from craft_tui.ui.screens.lifetime import closed_meanwhile, dismiss_if_open, show_or_toast
from craft_tui.ui.widgets.safe_fields import SafeInput, SafeTextArea
from craft_tui.untrusted import shown, shown_inline
from craft_tui.workspace.connections import ConnectionService, exists_already
from craft_tui.workspace.targets import ConnectionProblem

if TYPE_CHECKING:
    from craft_tui.providers.check import CheckStep
    from craft_tui.workspace.core import Workspace

Checker = Callable[[Connection, str | None], AsyncIterator["CheckStep"]]
KeySource = Literal["stored", "env", "command", "none"]
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FILL_LIMIT = 12  # a short model list (a local server) is written into Models; longer ones are not
# The Advanced section: each timeout's field (id suffix, label, what it is for).
_TIMEOUTS = (
    ("connect", "Connect (s)"),
    ("read", "Read (s)"),
    ("write", "Write (s)"),
    ("pool", "Pool (s)"),
)
_TIMEOUT_WORDS = {
    "connect": "the connect timeout",
    "read": "the read timeout",
    "write": "the write timeout",
    "pool": "the pool timeout",
}
_ROUTING_INPUTS = ("routing-order", "routing-only")
_ADVANCED_INPUTS = ("max-tokens", *(f"timeout-{key}" for key, _ in _TIMEOUTS), *_ROUTING_INPUTS)
# OpenRouter's routing choices (Select values; "" sends nothing: OpenRouter's default applies).
_FALLBACKS = (("OpenRouter's default (allowed)", ""), ("allowed", "yes"), ("not allowed", "no"))
_DATA_COLLECTION = (("OpenRouter's default (allow)", ""), ("allow", "allow"), ("deny", "deny"))
_SORT = (
    ("OpenRouter's default", ""),
    ("price", "price"),
    ("throughput", "throughput"),
    ("latency", "latency"),
)
DEFAULT_MAX_TOKENS: int = Connection.model_fields["max_tokens"].default
_FIELDS = (
    "name",
    "base-url",
    "key",
    "env",
    "key-cmd",
    "headers",
    "ca",
    "models",
    *_ADVANCED_INPUTS,
    "form",
)
# The input that fixes each field's error (in the form's order: the first one gets the focus).
_ERROR_INPUT = {
    "name": "name",
    "base-url": "base-url",
    "key": "key",
    "env": "env",
    "key-cmd": "key-cmd",
    "headers": "headers",
    "ca": "ca",
    "models": "models",
    **{field: field for field in _ADVANCED_INPUTS},
}
ADVANCED_TITLE = "Advanced: timeouts, max tokens, system prompt"
# The same, for a connection whose requests can carry provider routing (OpenRouter, Vercel).
ADVANCED_TITLE_ROUTING = "Advanced: timeouts, max tokens, system prompt, routing"


@dataclass(frozen=True)
class FormDraft:
    """Starting values for a new connection (from a preset or a first-run finding)."""

    preset_id: str = "openrouter"
    name: str = ""
    base_url: str | None = None
    key_env: str | None = None
    models: tuple[str, ...] = ()


def parse_headers(text: str) -> dict[str, str]:
    """`Name: value; Other: value` -> dict; raises ValueError naming the piece it cannot read."""
    headers: dict[str, str] = {}
    for piece in text.split(";"):
        if not piece.strip():
            continue
        name, sep, value = piece.partition(":")
        if not sep or not name.strip():
            raise ValueError(
                f"Write each header as Name: value (could not read {piece.strip()!r})."
            )
        headers[name.strip()] = value.strip()
    return headers


def format_headers(headers: dict[str, str]) -> str:
    return "; ".join(f"{name}: {value}" for name, value in headers.items())


def format_seconds(seconds: float) -> str:
    """`10.0` -> `10`, `2.5` -> `2.5`: what a person would type, and reads back exactly."""
    return str(int(seconds)) if seconds.is_integer() else repr(seconds)


def parse_seconds(text: str, what: str, example: float) -> float:
    """A timeout typed in the form; ValueError with the sentence shown under the field."""
    message = f"Give {what} in seconds, a number above 0, e.g. {format_seconds(example)}."
    try:
        seconds = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(message) from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(message)
    return seconds


def parse_max_tokens(text: str) -> int:
    """The answer cap typed in the form (`4,096` and `4_096` read as 4096); ValueError says how."""
    digits = text.replace(",", "").replace("_", "").replace(" ", "")
    if not digits.isdigit() or int(digits) <= 0:
        raise ValueError(
            f"Max tokens is a whole number above 0, the longest answer to ask for, "
            f"e.g. {DEFAULT_MAX_TOKENS}."
        )
    return int(digits)


def parse_models(text: str) -> list[str]:
    """Model ids separated by commas or spaces, duplicates dropped, order kept."""
    seen: list[str] = []
    for model_id in re.split(r"[\s,]+", text):
        if model_id and model_id not in seen:
            seen.append(model_id)
    return seen


class ConnectionFormScreen(ModalScreen[str | None]):
    """The add/edit form; dismisses with the saved connection's slug, or None when cancelled."""

    CSS_PATH = "connection_form.tcss"
    # On a short terminal the rows sit closer together, so more of the form fits at 80×24.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+t", "test", "Test", id="form.test"),
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("ctrl+l", "fetch_models", "Fetch models", id="form.fetch_models"),
        Binding("ctrl+r", "use_suggestion", "Use suggested URL", id="form.use_url"),
    ]

    def __init__(
        self,
        connection: Connection | None = None,
        draft: FormDraft | None = None,
        store: SecretStore | None = None,
        checker: Checker | None = None,
        *,
        test_now: bool = False,
        workspace: Workspace | None = None,
    ) -> None:
        """`store`: a secret store of the caller's (default: the workspace's)."""
        super().__init__()
        self.test_now = test_now
        self.existing = connection
        self.checker = checker
        self.draft = draft or FormDraft()
        self._store = store
        self._workspace = workspace
        self.suggested_url: str | None = None
        self.discovered: list[str] = []
        self.skipped: list[str] = []  # the steps of the last test that did not run
        self.last_test: str | None = None  # "passed" or the failing step, for the save message
        self._stored_key: str | None = None
        self._stored_key_read = asyncio.Event()  # the existing key is read in a thread
        if connection is None:
            self._stored_key_read.set()
        self._applied_preset = self._initial_preset()
        self._start = self._initial_values()  # to tell which fields the person changed

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            from craft_tui.ui.workspace_access import workspace_of

            self._workspace = workspace_of(self.app)
        return self._workspace

    @property
    def service(self) -> ConnectionService:
        """The workspace's connection service (with the caller's secret store, if one was given)."""
        service = self.workspace.connections
        if self._store is None:
            return service
        from craft_tui.workspace.connections import ConnectionService

        return ConnectionService(self.workspace.path, workspace=self.workspace, secrets=self._store)

    @property
    def store(self) -> SecretStore:
        return self.service.secrets

    # ---- building -------------------------------------------------------------------------

    def _initial_preset(self) -> str:
        if self.existing is not None:
            if self.existing.preset:
                return self.existing.preset
            return get_protocol(self.existing.protocol).custom_preset
        return self.draft.preset_id

    def _initial_values(self) -> dict[str, object]:
        """Every field's starting value, from the connection being edited or the draft."""
        existing = self.existing
        if existing is not None:
            auth = existing.auth
            source: KeySource = (
                "none"
                if isinstance(auth, NoAuth)
                else ("env" if auth.api_key_env else "command" if auth.api_key_cmd else "stored")
            )
            return {
                "name": existing.name,
                "protocol": existing.protocol,
                "base_url": existing.base_url,
                "source": source,
                "style": "bearer" if auth.type == "bearer" else "api_key",
                "env": "" if isinstance(auth, NoAuth) else (auth.api_key_env or ""),
                "cmd": "" if isinstance(auth, NoAuth) else shown_inline(auth.api_key_cmd or ""),
                "headers": format_headers(existing.headers),
                "verify": existing.verify_tls,
                "ca": str(existing.ca_bundle or ""),
                "models": ", ".join(existing.model_ids),
                "default": existing.default_model or "",
                **_advanced_values(existing.max_tokens, existing.timeouts, existing.system_prompt),
                **_routing_values(existing.routing),
            }
        preset = get_preset(self.draft.preset_id)
        source = "env" if self.draft.key_env else ("none" if preset.auth == "none" else "stored")
        return {
            "name": self.draft.name or _suggested_name(preset.id),
            "protocol": preset.protocol,
            "base_url": self.draft.base_url or preset.resolved_base_url(),
            "source": source,
            "style": "bearer" if preset.auth == "bearer" else "api_key",
            "env": self.draft.key_env or preset.key_env or "",
            "cmd": "",
            "headers": format_headers(preset.headers),
            "verify": True,
            "ca": "",
            "models": ", ".join(self.draft.models),
            "default": "",
            **_advanced_values(DEFAULT_MAX_TOKENS, Timeouts(), None),
            **_routing_values(None),
        }

    def compose(self) -> ComposeResult:
        values = self._start
        title = (
            f"Edit connection: {shown_inline(self.existing.name)}"
            if self.existing
            else "Add a connection"
        )
        with Vertical(id="form-dialog"):
            yield Static(title, id="form-title", markup=False)
            with VerticalScroll(id="form-body"):
                yield from _row(
                    "Preset",
                    Select(
                        [(preset.label, preset.id) for preset in PRESETS],
                        value=self._applied_preset,
                        allow_blank=False,
                        id="preset",
                        compact=True,
                    ),
                )
                yield Static(
                    _preset_docs(self._applied_preset),
                    id="preset-docs",
                    classes="note",
                    markup=False,
                )
                yield from _row(
                    "Name",
                    SafeInput(
                        str(values["name"]), placeholder="e.g. OpenRouter", id="name", compact=True
                    ),
                )
                slug_note = (
                    f"slug {self.existing.slug} (fixed)" if self.existing else "slug (derived)"
                )
                yield Static(slug_note, id="slug-note", classes="note", markup=False)
                yield _error("name")
                yield from _row(
                    "Protocol",
                    Select(
                        [(wire.label, wire.name) for wire in all_protocols()],
                        value=str(values["protocol"]),
                        allow_blank=False,
                        id="protocol",
                        compact=True,
                    ),
                )
                yield from _row(
                    "Base URL",
                    SafeInput(
                        str(values["base_url"]),
                        placeholder="https://host/v1",
                        id="base-url",
                        compact=True,
                    ),
                )
                yield Static("", id="url-preview", classes="note", markup=False)
                yield _error("base-url")
                yield from _row(
                    "Auth",
                    Select(
                        [
                            ("API key, stored securely", "stored"),
                            ("Key from an environment variable", "env"),
                            ("Key printed by a command (pass, op, bw)", "command"),
                            ("No authentication", "none"),
                        ],
                        value=str(values["source"]),
                        allow_blank=False,
                        id="key-source",
                        compact=True,
                    ),
                )
                yield from _row(
                    "Send key as",
                    Select(
                        [("x-api-key header", "api_key"), ("Authorization: Bearer", "bearer")],
                        value=str(values["style"]),
                        allow_blank=False,
                        id="key-style",
                        compact=True,
                    ),
                    row_id="row-style",
                )
                placeholder = "reading the stored key…" if self.existing else "paste the key"
                yield from _row(
                    "API key",
                    SafeInput(placeholder=placeholder, password=True, id="key", compact=True),
                    row_id="row-key",
                )
                yield Static("", id="key-note", classes="note warning", markup=False)
                yield _error("key")
                yield from _row(
                    "Variable",
                    SafeInput(
                        str(values["env"]), placeholder="OPENROUTER_API_KEY", id="env", compact=True
                    ),
                    row_id="row-env",
                )
                yield _error("env")
                yield from _row(
                    "Command",
                    SafeInput(
                        str(values["cmd"]),
                        placeholder="e.g. pass show openrouter",
                        id="key-cmd",
                        compact=True,
                    ),
                    row_id="row-cmd",
                )
                yield Static(
                    "Run when a key is needed (no shell, input closed, stopped after "
                    f"{TIMEOUT_SECONDS:g} s); its first line is the key, never stored.",
                    id="cmd-note",
                    classes="note",
                    markup=False,
                )
                yield _error("key-cmd")
                yield from _row(
                    "Headers",
                    SafeInput(
                        str(values["headers"]),
                        placeholder="Name: value; Other: value",
                        id="headers",
                        compact=True,
                    ),
                )
                yield _error("headers")
                with Horizontal(classes="row"):
                    yield Label("TLS", classes="label", markup=False)
                    yield Checkbox(
                        "verify certificates", bool(values["verify"]), id="verify", compact=True
                    )
                yield from _row(
                    "CA bundle",
                    SafeInput(
                        str(values["ca"]),
                        placeholder="optional: /path/to/ca.pem",
                        id="ca",
                        compact=True,
                    ),
                )
                yield _error("ca")
                yield from _row(
                    "Models",
                    SafeInput(
                        str(values["models"]),
                        placeholder="model ids, comma-separated (discovered ones are added)",
                        id="models",
                        compact=True,
                    ),
                )
                yield from _row(
                    "Default",
                    SafeInput(
                        str(values["default"]),
                        placeholder="default model (first listed when empty)",
                        id="default-model",
                        compact=True,
                    ),
                )
                yield _error("models")
                yield from self._compose_advanced(values)
                yield Static("", id="results", markup=False)
                yield _error("form")
            with Horizontal(id="form-buttons"):
                yield Button("Test", id="test", compact=True)
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
        yield Footer()

    def _compose_advanced(self, values: dict[str, object]) -> ComposeResult:
        """Timeouts, max tokens and the connection's system prompt, collapsed: few need them,
        but the errors that name them (a read timeout, an answer cut at max tokens) must lead
        somewhere. The title says which of them an edited connection sets."""
        with Collapsible(title=ADVANCED_TITLE, collapsed=True, id="advanced"):
            yield from _row(
                "Max tokens",
                SafeInput(
                    str(values["max-tokens"]),
                    placeholder=str(DEFAULT_MAX_TOKENS),
                    id="max-tokens",
                    compact=True,
                ),
            )
            yield Static(
                "The longest answer to ask for; a model's own max_tokens wins.",
                classes="note",
                markup=False,
            )
            yield _error("max-tokens")
            defaults = Timeouts()
            for key, label in _TIMEOUTS:
                yield from _row(
                    label,
                    SafeInput(
                        str(values[f"timeout-{key}"]),
                        placeholder=format_seconds(getattr(defaults, key)),
                        id=f"timeout-{key}",
                        compact=True,
                    ),
                )
                if key == "read":
                    yield Static(
                        "Read: the longest silence mid-answer before it stalls.",
                        classes="note",
                        markup=False,
                    )
                yield _error(f"timeout-{key}")
            with Horizontal(id="row-system-prompt"):
                yield Label("System\nprompt", classes="label", markup=False)
                yield SafeTextArea(
                    str(values["system-prompt"]),
                    id="system-prompt",
                    soft_wrap=True,
                    compact=True,
                )
            yield Static(
                "For conversations without their own (F4 sets one). Empty: none.",
                classes="note",
                markup=False,
            )
            yield from self._compose_routing(values)

    def _compose_routing(self, values: dict[str, object]) -> ComposeResult:
        """Provider routing (OpenRouter, Vercel AI Gateway): shown only for a connection whose
        requests carry it (schema.routing_service), OpenRouter's own choices only for it."""
        with Vertical(id="routing"):
            yield Static("", id="routing-title", classes="note", markup=False)
            yield from _row(
                "Providers",
                SafeInput(
                    str(values["routing-order"]),
                    placeholder="try in this order, e.g. anthropic, amazon-bedrock",
                    id="routing-order",
                    compact=True,
                ),
            )
            yield _error("routing-order")
            yield from _row(
                "Only",
                SafeInput(
                    str(values["routing-only"]),
                    placeholder="use no others (empty: any)",
                    id="routing-only",
                    compact=True,
                ),
            )
            yield _error("routing-only")
            with Vertical(id="routing-openrouter"):
                yield from _row(
                    "Fallbacks",
                    Select(
                        _FALLBACKS,
                        value=str(values["routing-fallbacks"]),
                        allow_blank=False,
                        id="routing-fallbacks",
                        compact=True,
                    ),
                )
                yield from _row(
                    "Data use",
                    Select(
                        _DATA_COLLECTION,
                        value=str(values["routing-data"]),
                        allow_blank=False,
                        id="routing-data",
                        compact=True,
                    ),
                )
                yield Static(
                    "deny: only providers that do not store or train on prompts.",
                    classes="note",
                    markup=False,
                )
                yield from _row(
                    "Sort",
                    Select(
                        _SORT,
                        value=str(values["routing-sort"]),
                        allow_blank=False,
                        id="routing-sort",
                        compact=True,
                    ),
                )
                with Horizontal(classes="row"):
                    yield Label("ZDR", classes="label", markup=False)
                    yield Checkbox(
                        "zero data retention endpoints only",
                        bool(values["routing-zdr"]),
                        id="routing-zdr",
                        compact=True,
                    )

    def _advanced_title(self) -> str:
        """`Advanced: …`, naming what an edited connection sets away from the defaults (so a
        system prompt set long ago is not hidden behind a closed section)."""
        existing = self.existing
        plain = ADVANCED_TITLE_ROUTING if self._routing_service() is not None else ADVANCED_TITLE
        if existing is None:
            return plain
        changed: list[str] = []
        if existing.timeouts != Timeouts():
            changed.append("timeouts")
        if existing.max_tokens != DEFAULT_MAX_TOKENS:
            changed.append("max tokens")
        if existing.system_prompt:
            changed.append("system prompt")
        if existing.routing is not None:
            changed.append("routing")
        return f"Advanced (set: {', '.join(changed)})" if changed else plain

    def on_mount(self) -> None:
        self.query_one("#key-note").display = False
        self._sync_visibility()
        self._update_preview()
        self.query_one("#name", Input).focus()
        self.call_after_refresh(self._remember_initial)
        if self.existing is not None:
            self._read_stored_key(self.existing)
        if self.test_now:
            self.call_after_refresh(self.action_test)

    @work(group="stored-key", exit_on_error=False)
    async def _read_stored_key(self, connection: Connection) -> None:
        """The key being edited, read in a thread (a keyring may take its time), then masked."""
        try:
            self._stored_key = await self.service.astored_key(connection)
        finally:
            self._stored_key_read.set()
        self.query_one("#key", Input).placeholder = (
            f"{mask_secret(self._stored_key)} stored; type to replace"
            if self._stored_key
            else "paste the key"
        )

    def _snapshot(self) -> tuple[object, ...]:
        """Every field's current value, to tell whether anything was typed or changed."""
        body = self.query_one("#form-body")
        inputs = [field.value for field in body.query(Input)]
        selects = [field.value for field in body.query(Select)]
        checks = [field.value for field in body.query(Checkbox)]
        texts = [field.text for field in body.query(TextArea)]
        return (*inputs, *selects, *checks, *texts)

    def _remember_initial(self) -> None:
        self._initial = self._snapshot()

    # ---- live updates ---------------------------------------------------------------------

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def _select(self, widget_id: str) -> str:
        return str(self.query_one(f"#{widget_id}", Select).value)

    @property
    def protocol(self) -> Protocol:
        return get_protocol(self._select("protocol")).name

    @property
    def key_source(self) -> KeySource:
        value = self._select("key-source")
        sources: dict[str, KeySource] = {"env": "env", "command": "command", "none": "none"}
        return sources.get(value, "stored")

    def _sync_visibility(self) -> None:
        source = self.key_source
        self.query_one("#row-key").display = source == "stored"
        self.query_one("#row-env").display = source == "env"
        self.query_one("#row-cmd").display = source == "command"
        self.query_one("#cmd-note").display = source == "command"
        # Only a protocol whose own key header is not Bearer has a choice to offer.
        own_header = get_protocol(self.protocol).key_header
        self.query_one("#row-style").display = source != "none" and own_header != "authorization"
        if source != "stored":
            self._show_error("key", "")
        if source != "env":
            self._show_error("env", "")
        if source != "command":
            self._show_error("key-cmd", "")
        self._sync_routing()

    def _routing_service(self) -> RoutingService | None:
        """Whose routing the connection as typed would send (None for a URL that does not read)."""
        try:
            base = normalize_connection_url(
                self.protocol, self._value("base-url"), self._applied_preset
            )
        except InvalidURLError:
            return None
        return routing_service(self.protocol, base)

    def _sync_routing(self) -> None:
        service = self._routing_service()
        self.query_one("#routing").display = service is not None
        self.query_one("#routing-openrouter").display = service == "openrouter"
        gateway = "OpenRouter" if service == "openrouter" else "Vercel AI Gateway"
        self.query_one("#routing-title", Static).update(
            f"Routing: which providers {gateway} may send this connection's requests to."
        )
        self.query_one("#advanced", Collapsible).title = self._advanced_title()

    def _update_preview(self) -> None:
        preview = self.query_one("#url-preview", Static)
        try:
            base = normalize_connection_url(
                self.protocol, self._value("base-url"), self._applied_preset
            )
        except InvalidURLError:
            preview.update("")
            return
        preview.update(f"→ POST {shown_inline(chat_url(self.protocol, base))}")
        self._show_error("base-url", "")

    @on(Input.Changed, "#base-url")
    def _url_changed(self) -> None:
        self._update_preview()
        self._sync_routing()

    @on(Input.Changed, "#key")
    def _key_changed(self, event: Input.Changed) -> None:
        """A gentle word when a key does not look like the preset's (a key pasted for the wrong
        provider is the usual cause of a 401); never blocks saving."""
        preset = get_preset(self._applied_preset)
        key = event.value.strip()
        note = ""
        if key and preset.key_prefix and not key.startswith(preset.key_prefix):
            note = f"{preset.label} keys usually start with {preset.key_prefix}; is this the right key?"
        self.query_one("#key-note", Static).update(note)
        self.query_one("#key-note").display = bool(note)

    @on(Input.Changed, "#name")
    def _name_changed(self, event: Input.Changed) -> None:
        if self.existing is None:
            slug = slugify(event.value)
            self.query_one("#slug-note", Static).update(
                f"slug {slug}" if slug else "slug (derived)"
            )

    @on(Select.Changed, "#protocol")
    def _protocol_changed(self) -> None:
        self._sync_visibility()
        self._update_preview()

    @on(Select.Changed, "#key-source")
    def _source_changed(self) -> None:
        self._sync_visibility()

    @on(Select.Changed, "#preset")
    def _preset_changed(self, event: Select.Changed) -> None:
        preset_id = str(event.value)
        if preset_id == self._applied_preset:
            return  # the initial value being announced, or no change: keep what is in the form
        previous = get_preset(self._applied_preset)
        self._applied_preset = preset_id
        preset = get_preset(preset_id)
        self.query_one("#preset-docs", Static).update(_preset_docs(preset_id))
        name = self.query_one("#name", Input)
        if self.existing is None and name.value.strip() in {
            "",
            previous.label,
            _suggested_name(previous.id),
        }:
            name.value = _suggested_name(preset.id)
        self.query_one("#protocol", Select).value = preset.protocol
        self.query_one("#base-url", Input).value = preset.resolved_base_url()
        self.query_one("#key-source", Select).value = "none" if preset.auth == "none" else "stored"
        self.query_one("#key-style", Select).value = (
            "bearer" if preset.auth == "bearer" else "api_key"
        )
        self.query_one("#env", Input).value = preset.key_env or ""
        self.query_one("#headers", Input).value = format_headers(preset.headers)
        self._sync_visibility()
        self._update_preview()

    # ---- validation -----------------------------------------------------------------------

    def _show_error(self, field: str, message: str) -> None:
        widget = self.query_one(f"#error-{field}", Static)
        widget.update(message)
        widget.set_class(bool(message), "-shown")

    def _clear_errors(self) -> None:
        for field in _FIELDS:
            self._show_error(field, "")

    def _show_errors(self, errors: dict[str, str]) -> None:
        """Each message under its field, and the focus on the first field to fix (so what is
        typed or pasted next lands there, not in whatever field had the focus)."""
        for field, message in errors.items():
            self._show_error(field, message)
        to_fix = [
            _ERROR_INPUT[field] for field in _FIELDS if field in errors and field in _ERROR_INPUT
        ]
        if not to_fix:
            return
        first = self.query_one(f"#{to_fix[0]}", Input)
        advanced = self.query_one("#advanced", Collapsible)
        if to_fix[0] in _ADVANCED_INPUTS and advanced.collapsed:
            advanced.collapsed = False  # a hidden field cannot take the focus: open it first
            self.call_after_refresh(first.focus)
        else:
            first.focus()

    @on(Input.Changed)
    def _field_edited(self, event: Input.Changed) -> None:
        """An error goes as soon as its field is edited: it said what was wrong with the old text."""
        for field, input_id in _ERROR_INPUT.items():
            if event.input.id == input_id or (
                field == "models" and event.input.id == "default-model"
            ):
                error = self.query_one(f"#error-{field}", Static)
                if error.has_class("-shown"):
                    self._show_error(field, "")

    def _taken_slugs(self) -> set[str]:
        return {connection.slug for connection in self.workspace.config.connections}

    def build_connection(self) -> Connection | None:
        """The connection the form describes, or None after showing what is wrong, field by field."""
        self._clear_errors()
        errors: dict[str, str] = {}
        name = self._value("name")
        if self.existing is not None:
            slug = self.existing.slug
        else:
            slug = slugify(name)
            if not name:
                errors["name"] = "Give the connection a name."
            elif not slug or not re.match(SLUG_PATTERN, slug):
                errors["name"] = "The name needs at least one letter or digit."
            elif slug in self._taken_slugs():
                errors["name"] = str(exists_already(slug))  # the CLI's sentence
        protocol = self.protocol
        base = ""
        try:
            base = normalize_connection_url(protocol, self._value("base-url"), self._applied_preset)
        except InvalidURLError as error:
            errors["base-url"] = str(error)
        source = self.key_source
        env_name = self._value("env")
        if source == "env" and not _ENV_NAME.match(env_name):
            errors["env"] = (
                "Name the environment variable that holds the key, e.g. OPENROUTER_API_KEY."
            )
        command = self._key_command(source, errors)
        typed_key = self._value("key")
        if source == "stored":
            if any(ch.isspace() for ch in typed_key):
                errors["key"] = "The key contains spaces; paste only the key."
            elif not typed_key and not self._stored_key:
                errors["key"] = (
                    "Paste the API key, or choose a key from an environment variable or no "
                    "authentication."
                )
        try:
            headers = parse_headers(self._value("headers"))
        except ValueError as error:
            errors["headers"] = str(error)
            headers = {}
        ca_text = self._value("ca")
        ca_bundle = Path(ca_text).expanduser() if ca_text else None
        if ca_bundle is not None and not ca_bundle.is_file():
            errors["ca"] = (
                f"No file at {ca_bundle}; give the path of a PEM bundle, or leave it empty."
            )
        models = parse_models(self._value("models"))
        default_model = self._value("default-model") or None
        max_tokens, timeouts, system_prompt = self._advanced(errors)
        routing = self._routing(errors)
        if errors:
            self._show_errors(errors)
            return None
        style: AuthKind = "bearer" if self._select("key-style") == "bearer" else "api_key"
        auth = make_auth(
            "none" if source == "none" else style,
            env_name if source == "env" else None,
            command if source == "command" else None,
        )
        existing = self.existing
        preset: str | None = self._applied_preset
        merged = _merge_models(existing.models if existing else [], models)
        if existing is not None:
            # What the person did not touch stays exactly as the file has it: no preset named
            # for a hand-written connection, no URL, key source, header or model list rewritten.
            start = self._start
            if self._applied_preset == self._initial_preset():
                preset = existing.preset
            if self._value("base-url") == str(start["base_url"]).strip():
                base = existing.base_url
            if (source, self._select("key-style"), env_name, self._value("key-cmd")) == (
                start["source"],
                start["style"],
                str(start["env"]).strip(),
                str(start["cmd"]).strip(),
            ):
                auth = existing.auth
            if self._value("headers") == str(start["headers"]).strip():
                headers = existing.headers
            if ca_text == str(start["ca"]).strip():
                ca_bundle = existing.ca_bundle
            if self._value("models") == str(start["models"]).strip():
                merged = existing.models
            if self._value("default-model") == str(start["default"]).strip():
                default_model = existing.default_model
        try:
            return Connection(
                slug=slug,
                name=name,
                protocol=protocol,
                preset=preset,
                base_url=base,
                auth=auth,
                models=merged,
                default_model=default_model,
                headers=headers,
                ca_bundle=ca_bundle,
                verify_tls=self.query_one("#verify", Checkbox).value,
                timeouts=timeouts,
                max_tokens=max_tokens,
                system_prompt=system_prompt,
                routing=routing,
                **(
                    {
                        "prompt_cache": existing.prompt_cache,
                        "created_at": existing.created_at,
                        "last_used_at": existing.last_used_at,
                    }
                    if existing is not None
                    else {}
                ),
            )
        except ValidationError as error:
            refused: dict[str, str] = {}
            for detail in error.errors():
                field = {
                    "headers": "headers",
                    "name": "name",
                    "base_url": "base-url",
                    "auth": "key-cmd",
                    "routing": "routing-order",
                }.get(str(detail["loc"][0]) if detail["loc"] else "", "form")
                refused.setdefault(field, detail["msg"].removeprefix("Value error, "))
            self._show_errors(refused)
            return None

    def _key_command(self, source: KeySource, errors: dict[str, str]) -> str | None:
        """The key command as typed (checked as config.toml checks it), for that key source."""
        if source != "command":
            return None
        existing = self.existing
        typed = self._value("key-cmd")
        if existing is not None and typed == str(self._start["cmd"]).strip():
            command = getattr(existing.auth, "api_key_cmd", None)
            if command:
                return str(command)  # untouched: exactly the file's, not its disarmed display
        if not typed:
            errors["key-cmd"] = (
                "Give the command that prints the key, e.g. pass show openrouter "
                "or op read op://Private/OpenRouter/credential."
            )
            return None
        try:
            parse_command(typed)
        except ValueError as error:
            message = str(error)
            errors["key-cmd"] = message[0].upper() + message[1:] + "."
            return None
        return typed

    def _routing(self, errors: dict[str, str]) -> Routing | None:
        """The routing preferences as typed, for the gateway the URL names (none elsewhere).
        Untouched, they stay exactly what the connection had."""
        service = self._routing_service()
        if service is None:
            return None
        existing = self.existing
        start = self._start
        now = self._routing_snapshot()
        if existing is not None and now == tuple(start[key] for key in _ROUTING_KEYS):
            return existing.routing if existing.routing_service == service else None
        lists: dict[str, list[str] | None] = {}
        for field in _ROUTING_INPUTS:
            slugs = parse_models(self._value(field))  # the same comma/space splitting
            bad = next((s for s in slugs if not _PROVIDER_SLUG.fullmatch(s)), None)
            if bad is not None:
                errors[field] = (
                    f"{bad!r} is not a provider slug; write slugs like anthropic, deepinfra/fp8, "
                    "separated by commas."
                )
            lists[field] = slugs or None
        routing = Routing(order=lists["routing-order"], only=lists["routing-only"])
        if service == "openrouter":
            fallbacks = self._select("routing-fallbacks")
            data = self._select("routing-data")
            sort = self._select("routing-sort")
            routing = routing.model_copy(
                update={
                    "allow_fallbacks": {"yes": True, "no": False}.get(fallbacks),
                    "data_collection": data or None,
                    "sort": sort or None,
                    "zdr": True if self.query_one("#routing-zdr", Checkbox).value else None,
                }
            )
        return None if routing.is_empty else routing

    def _routing_snapshot(self) -> tuple[object, ...]:
        return (
            self._value("routing-order"),
            self._value("routing-only"),
            self._select("routing-fallbacks"),
            self._select("routing-data"),
            self._select("routing-sort"),
            self.query_one("#routing-zdr", Checkbox).value,
        )

    def _advanced(self, errors: dict[str, str]) -> tuple[int, Timeouts, str | None]:
        """Max tokens, timeouts and system prompt as typed; a value that does not read gets its
        sentence in `errors` (the connection's own value, or the default, stands in meanwhile).
        Untouched, each stays exactly what the connection had."""
        existing = self.existing
        start = self._start
        max_tokens = existing.max_tokens if existing else DEFAULT_MAX_TOKENS
        try:
            max_tokens = parse_max_tokens(self._value("max-tokens"))
        except ValueError as error:
            errors["max-tokens"] = str(error)
        before = existing.timeouts if existing else Timeouts()
        seconds: dict[str, float] = {}
        for key, _ in _TIMEOUTS:
            field = f"timeout-{key}"
            typed = self._value(field)
            if typed == str(start[field]):
                seconds[key] = getattr(before, key)  # exactly the file's value, unrounded
                continue
            try:
                seconds[key] = parse_seconds(typed, _TIMEOUT_WORDS[key], getattr(Timeouts(), key))
            except ValueError as error:
                errors[field] = str(error)
                seconds[key] = getattr(before, key)
        text = self.query_one("#system-prompt", TextArea).text
        if existing is not None and text == str(start["system-prompt"]):
            system_prompt = existing.system_prompt  # untouched: not its disarmed display form
        else:
            system_prompt = text if text.strip() else None
        return max_tokens, Timeouts(**seconds), system_prompt

    # ---- actions --------------------------------------------------------------------------

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        """Run the real check in a worker; each step appears as it finishes."""
        self._test()

    @work(exclusive=True, group="connection-check-start")
    async def _test(self) -> None:
        await self._stored_key_read.wait()  # "no key" must not be said before it was read
        if closed_meanwhile(self):
            return
        connection = self.build_connection()
        if connection is None:
            return
        self.run_check(connection, self._typed_key())

    def _typed_key(self) -> str | None:
        """The key typed in the form, when the key is one to store (else the connection's own
        source gives it: its variable, or its command run in a thread)."""
        return (self._value("key") or None) if self.key_source == "stored" else None

    @work(exclusive=True, group="connection-check")
    async def run_check(self, connection: Connection, typed_key: str | None) -> None:
        results = self.query_one("#results", Static)
        lines = Text("Testing ")
        lines.append(shown_inline(chat_url(connection.protocol, connection.base_url)), style="bold")
        lines.append(" …\n")
        results.update(lines)
        self.suggested_url = None
        self.skipped = []
        self.refresh_bindings()
        try:
            key = typed_key
            if key is None:  # the connection's own key: keyring, file or command, in a thread
                key = await asyncio.to_thread(self.service.key_for, connection)
        except MissingKeyError as error:
            lines.append("✗ key  ", style="bold red")
            lines.append(shown_inline(str(error)))
            results.update(lines)
            self.last_test = "failed: no key"
            return
        failed: str | None = None
        try:
            failed = await self._show_steps(connection, key, lines, results)
        except Exception as error:  # no traceback on screen: one line, the test counts as failed
            lines.append("✗ test  ", style="bold red")
            lines.append(
                shown_inline(f"stopped unexpectedly ({type(error).__name__}: {error}).") + "\n"
            )
            failed = "test"
        skipped = f" ({', '.join(self.skipped)} skipped)" if self.skipped else ""
        lines.append(
            f"Test passed{skipped}." if failed is None else f"Test failed at: {failed}.",
            style="bold green" if failed is None else "bold red",
        )
        results.update(lines)
        self.last_test = f"passed{skipped}" if failed is None else f"failed at {failed}"
        if closed_meanwhile(self):
            return
        self.refresh_bindings()
        self.query_one("#form-body", VerticalScroll).scroll_end(animate=False)

    async def _show_steps(
        self, connection: Connection, key: str | None, lines: Text, results: Static
    ) -> str | None:
        """Append each check step to `lines` as it arrives; return the first failing step's name."""
        failed: str | None = None
        if self.checker is not None:
            steps = self.checker(connection, key)
        else:
            steps = self.service.check(connection, key)
        async for step in steps:
            skipped = step.skipped
            if skipped:
                mark, style = "–", "bold yellow"
            else:
                mark, style = ("✓", "bold green") if step.ok else ("✗", "bold red")
            lines.append(f"{mark} {step.name}", style=style)
            if skipped:
                lines.append("  skipped:", style="yellow")
            if step.detail:
                lines.append(f"  {shown_inline(step.detail)}")
            lines.append("\n")
            if step.models:
                lines.append("  ")
                lines.append(self._offer_models(list(step.models), mark=False))
                lines.append("\n")
            if skipped:
                self.skipped.append(step.name)
            if not step.ok:
                failed = failed or step.name
                if step.error is not None:
                    if step.error.hint:
                        lines.append(f"  {shown_inline(step.error.hint)}\n", style="italic")
                    if step.error.suggested_base_url:
                        self.suggested_url = step.error.suggested_base_url
                        lines.append("  Press ")
                        lines.append("Ctrl+R", style="bold reverse")
                        lines.append(f" to use {shown_inline(self.suggested_url)}\n")
            results.update(lines)
        return failed

    def _offer_models(self, ids: list[str], *, mark: bool = True) -> Text:
        """Offer the models a server listed: Default suggests them, and a short list goes into an
        empty Models field (saved with the connection); returns the line that says so."""
        self.discovered = ids
        self.query_one("#default-model", Input).suggester = SuggestFromList(
            ids, case_sensitive=False
        )
        models = self.query_one("#models", Input)
        message = Text.assemble(("✓ " if mark else "", "bold green"), f"{len(ids)} models found")
        if not models.value.strip() and len(ids) <= FILL_LIMIT:
            models.value = ", ".join(ids)
            message.append(": added to Models.")
        else:
            message.append(
                "; they appear in the model picker. Default suggests them as you type; "
                "list ids in Models to pin them to this connection."
            )
        return message

    def action_fetch_models(self) -> None:
        """Ask the server for its models (in a worker) to fill or suggest the model fields."""
        self._fetch()

    @work(exclusive=True, group="connection-models-start")
    async def _fetch(self) -> None:
        await self._stored_key_read.wait()
        if closed_meanwhile(self):
            return
        connection = self.build_connection()
        if connection is not None:
            self.fetch_models(connection, self._typed_key())

    @work(exclusive=True, group="connection-models")
    async def fetch_models(self, connection: Connection, typed_key: str | None) -> None:
        from craft_tui.providers.discovery import discover_models
        from craft_tui.providers.errors import ProviderError

        results = self.query_one("#results", Static)
        results.update(f"Fetching the model list of {shown_inline(connection.base_url)} …")
        try:
            key = typed_key
            if key is None:
                key = await asyncio.to_thread(self.service.key_for, connection)
            found = await discover_models(connection, key)
        except (MissingKeyError, ProviderError) as error:
            results.update(Text.assemble(("✗ models  ", "bold red"), shown_inline(str(error))))
            return
        except Exception as error:  # no traceback on screen
            results.update(
                Text.assemble(
                    ("✗ models  ", "bold red"),
                    shown_inline(
                        f"the list could not be fetched ({type(error).__name__}: {error})."
                    ),
                )
            )
            return
        if closed_meanwhile(self):
            return
        ids = [model.id for model in found.models]
        if not found.has_model_list or not ids:
            results.update("The server has no model list: type the model ids you want in Models.")
            return
        results.update(self._offer_models(ids))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "use_suggestion":
            return self.suggested_url is not None
        return True

    def action_use_suggestion(self) -> None:
        """Put the corrected URL in the form and test again."""
        if self.suggested_url is None:
            return
        self.query_one("#base-url", Input).value = self.suggested_url
        self.suggested_url = None
        self.refresh_bindings()
        self.action_test()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self._save()

    @work(exclusive=True, group="connection-save")
    async def _save(self) -> None:
        """Validate, then save through ConnectionService in a thread (config.toml, then the key);
        a refused change is shown under its field, with what was typed kept."""
        await self._stored_key_read.wait()
        if closed_meanwhile(self):
            return
        connection = self.build_connection()
        if connection is None:
            return
        typed_key = self._value("key")
        key = typed_key if self.key_source == "stored" and typed_key else None
        is_new = self.existing is None
        try:
            if is_new:
                await self.service.aadd(connection, key=key)
            else:
                await self.service.asave(connection, key=key)
        except ConnectionProblem as problem:
            under_field = {problem.field or "form": str(problem)}
            show_or_toast(self, lambda: self._show_errors(under_field), f"Not saved: {problem}")
            return
        except (ConfigError, OSError) as error:
            refusal = f"Not saved: {error}"
            show_or_toast(self, lambda: self._show_error("form", refusal), refusal)
            return
        test = self.last_test or "not tested"
        self.app.notify(f"Saved {connection.name!r} (test: {test}).", title="Connection saved")
        dismiss_if_open(self, connection.slug)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close; if anything was typed, ask first, so an Esc too many loses nothing."""
        if self._snapshot() == getattr(self, "_initial", None):
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen("Discard what you typed in this form?", yes="Discard", no="Keep editing"),
            answered,
        )


def _row(
    label: str, widget: Input | Select[str] | Checkbox, row_id: str | None = None
) -> ComposeResult:
    with Horizontal(classes="row", id=row_id):
        yield Label(label, classes="label", markup=False)
        yield widget


def _advanced_values(
    max_tokens: int, timeouts: Timeouts, system_prompt: str | None
) -> dict[str, object]:
    """The Advanced section's starting text. The system prompt is outside text (config.toml):
    the editor shows it disarmed (`shown`), and an untouched prompt is saved as the file has it."""
    return {
        "max-tokens": str(max_tokens),
        **{f"timeout-{key}": format_seconds(getattr(timeouts, key)) for key, _ in _TIMEOUTS},
        "system-prompt": shown(system_prompt or ""),
    }


_ROUTING_KEYS = (
    "routing-order",
    "routing-only",
    "routing-fallbacks",
    "routing-data",
    "routing-sort",
    "routing-zdr",
)
_PROVIDER_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


def _routing_values(routing: Routing | None) -> dict[str, object]:
    """The routing fields' starting values (provider slugs from config.toml shown disarmed)."""
    routing = routing or Routing()
    fallbacks = (
        "" if routing.allow_fallbacks is None else ("yes" if routing.allow_fallbacks else "no")
    )
    return {
        "routing-order": shown_inline(", ".join(routing.order or [])),
        "routing-only": shown_inline(", ".join(routing.only or [])),
        "routing-fallbacks": fallbacks,
        "routing-data": routing.data_collection or "",
        "routing-sort": routing.sort or "",
        "routing-zdr": bool(routing.zdr),
    }


def _error(field: str) -> Static:
    return Static("", id=f"error-{field}", classes="error", markup=False)


def _preset_docs(preset_id: str) -> str:
    return get_preset(preset_id).docs


def _suggested_name(preset_id: str) -> str:
    preset = get_preset(preset_id)
    return "" if preset.id.startswith("custom-") else preset.label


def _merge_models(existing: list[ModelEntry], typed: list[str]) -> list[ModelEntry]:
    """Keep the details (context, prices) of models that stay; add the newly typed ones."""
    by_id = {model.id: model for model in existing}
    return [by_id.get(model_id) or ModelEntry(id=model_id) for model_id in typed]
