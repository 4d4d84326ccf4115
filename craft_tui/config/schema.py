"""The shape of `config.toml`, validated by pydantic.

`extra="forbid"` everywhere, so a typo is an error that names the field instead of a silent default.
No model here can hold a secret: keys live in the secret store, in an environment variable named
by `auth.api_key_env`, or come from the command `auth.api_key_cmd` runs.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from craft_tui.config.presets import normalize_connection_url
from craft_tui.config.protocols import Protocol, get_protocol
from craft_tui.config.urls import InvalidURLError

DEFAULT_MAX_ANSWER_MB = 4.0
ReasoningEffortSetting = Literal["low", "medium", "high"]  # as providers.types.ReasoningEffort
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"  # what `auth.api_key_env` may be
# Headers that carry credentials: they belong in the secret store, never in config.toml.
_CREDENTIAL_HEADERS = {"authorization", "x-api-key", "api-key", "proxy-authorization", "cookie"}


def slugify(name: str) -> str:
    """Derive a connection slug from a display name: `My OpenRouter!` -> `my-openrouter`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    return slug[:64].strip("-")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class FieldError(ValueError):
    """A check on a whole model that is about one of its fields.

    pydantic reports a model validator's error at the model (the `[[connections]]` line, or the top
    of the file); `loc`, relative to that model, names the field, so the config error can point at
    the line of the key that is wrong (see `store._describe_validation_error`).
    """

    def __init__(self, message: str, *loc: str | int) -> None:
        super().__init__(message)
        self.loc: tuple[str | int, ...] = loc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _KeySource(_Strict):
    """Where a key comes from: the secret store (neither field), an environment variable
    (`api_key_env`), or the first line a command prints (`api_key_cmd`, e.g. `pass show
    openrouter`; run by config/key_command.py when the key is needed, its output never stored).
    The fields are declared by each kind, so `type` stays first in a written table."""

    @field_validator("api_key_cmd", check_fields=False)
    @classmethod
    def _runnable_command(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from craft_tui.config.key_command import parse_command

        parse_command(value)  # ValueError with the reason: unbalanced quotes, nothing to run
        return value

    @model_validator(mode="after")
    def _one_source(self) -> _KeySource:
        if getattr(self, "api_key_env", None) and getattr(self, "api_key_cmd", None):
            raise FieldError(
                "give either api_key_env (a variable holding the key) or api_key_cmd (a command "
                "printing it), not both",
                "api_key_cmd",
            )
        return self


class ApiKeyAuth(_KeySource):
    """An API key: sent as `x-api-key` to Anthropic-protocol servers, as a bearer token to OpenAI ones."""

    type: Literal["api_key"] = "api_key"
    api_key_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)] | None = None
    api_key_cmd: str | None = None


class BearerAuth(_KeySource):
    """A token always sent as `Authorization: Bearer` (what most Anthropic-compatible gateways want)."""

    type: Literal["bearer"] = "bearer"
    api_key_env: Annotated[str, Field(pattern=ENV_NAME_PATTERN)] | None = None
    api_key_cmd: str | None = None


class NoAuth(_Strict):
    """Local servers (Ollama, LM Studio, llama.cpp) that need no key."""

    type: Literal["none"] = "none"


Auth = Annotated[ApiKeyAuth | BearerAuth | NoAuth, Field(discriminator="type")]
AuthKind = Literal["api_key", "bearer", "none"]


def make_auth(
    kind: AuthKind, api_key_env: str | None = None, api_key_cmd: str | None = None
) -> ApiKeyAuth | BearerAuth | NoAuth:
    """Build the auth record for a kind; the key source is ignored for `none`."""
    if kind == "none":
        return NoAuth()
    if kind == "bearer":
        return BearerAuth(api_key_env=api_key_env, api_key_cmd=api_key_cmd)
    return ApiKeyAuth(api_key_env=api_key_env, api_key_cmd=api_key_cmd)


class ModelEntry(_Strict):
    """A model a connection offers; in TOML either a plain id string or a table."""

    id: Annotated[str, Field(min_length=1, max_length=300)]
    name: str | None = None
    context_window: Annotated[int, Field(gt=0)] | None = None
    max_tokens: Annotated[int, Field(gt=0)] | None = None
    input_price: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="USD per million input tokens; overrides the built-in table"
    )
    output_price: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="USD per million output tokens; overrides the built-in table"
    )

    @field_validator("id")
    @classmethod
    def _no_blank_id(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a model id cannot be blank")
        return value

    @model_validator(mode="before")
    @classmethod
    def _from_plain_id(cls, data: Any) -> Any:
        return {"id": data} if isinstance(data, str) else data


class Timeouts(_Strict):
    """Seconds. `read` is the longest silence tolerated mid-stream before the answer counts as stalled."""

    connect: Annotated[float, Field(gt=0)] = 10.0
    read: Annotated[float, Field(gt=0)] = 120.0
    write: Annotated[float, Field(gt=0)] = 30.0
    pool: Annotated[float, Field(gt=0)] = 10.0


RoutingService = Literal["openrouter", "vercel"]
# The driver that sends routing preferences (providers/openai_chat.py build_body): a capability
# of the protocol's driver, asked of the registry entry, not a protocol name tested here.
_ROUTING_DRIVER = "craft_tui.providers.openai_chat:OpenAIChat"
_VERCEL_ROUTING_FIELDS = frozenset({"order", "only"})


def routing_service(protocol: str, base_url: str) -> RoutingService | None:
    """Whose provider-routing preferences a connection's requests can carry: OpenRouter's
    (`provider`) or Vercel AI Gateway's (`providerOptions.gateway`), over Chat Completions."""
    from urllib.parse import urlsplit

    if get_protocol(protocol).driver != _ROUTING_DRIVER:
        return None
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "openrouter.ai" or host.endswith(".openrouter.ai"):
        return "openrouter"
    if host == "ai-gateway.vercel.sh":
        return "vercel"
    return None


class Routing(_Strict):
    """Which upstream providers a gateway may route a connection's requests to
    (`[connections.routing]`). Unset fields send nothing: the gateway's defaults apply.

    OpenRouter (sent as `provider`): `order` (provider slugs tried first, in order), `only`
    (only these), `allow_fallbacks` (false: none but those), `data_collection` ("deny": only
    providers that do not store or train on prompts), `zdr` (only zero-data-retention
    endpoints), `sort` (price, throughput or latency). Vercel AI Gateway (sent as
    `providerOptions.gateway`) documents `order` and `only`.
    """

    order: list[str] | None = None
    only: list[str] | None = None
    allow_fallbacks: bool | None = None
    data_collection: Literal["allow", "deny"] | None = None
    zdr: bool | None = None
    sort: Literal["price", "throughput", "latency"] | None = None

    @field_validator("order", "only")
    @classmethod
    def _provider_slugs(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        slugs: list[str] = []
        for index, slug in enumerate(value):
            slug = slug.strip()
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}", slug):
                raise FieldError(
                    f"{slug!r} is not a provider slug (letters, digits, '-', '.', '/'; e.g. "
                    "'anthropic', 'deepinfra/fp8')",
                    index,
                )
            if slug not in slugs:
                slugs.append(slug)
        return slugs or None

    @property
    def is_empty(self) -> bool:
        return not self.model_dump(exclude_none=True)


class Connection(_Strict):
    """One endpoint a person talks to: where it is, how to authenticate, which models it offers."""

    slug: Annotated[str, Field(pattern=SLUG_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=80)]
    protocol: Protocol
    preset: str | None = None
    base_url: str
    auth: Auth = Field(default_factory=ApiKeyAuth)
    models: list[ModelEntry] = Field(default_factory=list)
    default_model: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    ca_bundle: Path | None = None
    verify_tls: bool = True
    timeouts: Timeouts = Field(default_factory=Timeouts)
    max_tokens: Annotated[int, Field(gt=0)] = 4096
    system_prompt: str | None = None
    # Send prompt-caching breakpoints (Anthropic `cache_control` on the system prompt, tools and
    # the conversation so far) where the connection's protocol supports them; off for a server
    # that rejects them or bills cache writes the person does not want. The drivers read it.
    prompt_cache: bool = True
    # Provider routing preferences for OpenRouter and Vercel AI Gateway connections (Routing).
    routing: Routing | None = None
    created_at: datetime = Field(default_factory=now_utc)
    last_used_at: datetime | None = None

    @field_validator("protocol")
    @classmethod
    def _known_protocol(cls, value: str) -> Protocol:
        return get_protocol(value).name  # UnknownProtocolError lists the known ones

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from craft_tui.config.presets import preset_ids

        if value not in preset_ids():
            raise ValueError(f"unknown preset {value!r}; known presets: {', '.join(preset_ids())}")
        return value

    @field_validator("headers")
    @classmethod
    def _no_credentials_in_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for header in value:
            if header.strip().lower() in _CREDENTIAL_HEADERS:
                raise FieldError(
                    f"header {header!r} carries a credential; store the key with the connection's "
                    "auth instead (config.toml never holds secrets)",
                    header,
                )
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", header):
                raise FieldError(f"{header!r} is not a valid HTTP header name", header)
        return value

    @model_validator(mode="after")
    def _normalise(self) -> Connection:
        try:
            normalised = normalize_connection_url(self.protocol, self.base_url, self.preset)
        except InvalidURLError as error:
            raise FieldError(str(error), "base_url") from None
        if normalised != self.base_url:
            object.__setattr__(self, "base_url", normalised)
        self._check_routing()
        if self.default_model and self.default_model not in self.model_ids:
            # The default is always one of the models: add it rather than reject a working setup.
            self.models.append(ModelEntry(id=self.default_model))
        return self

    def _check_routing(self) -> None:
        """Routing preferences only where they are sent, and only the ones that gateway takes."""
        routing = self.routing
        if routing is None:
            return
        if routing.is_empty:
            object.__setattr__(self, "routing", None)
            return
        service = routing_service(self.protocol, self.base_url)
        if service is None:
            raise FieldError(
                "routing preferences are sent only to OpenRouter (openrouter.ai) and Vercel AI "
                "Gateway (ai-gateway.vercel.sh) over the OpenAI protocol (presets 'openrouter', "
                "'vercel'); remove the routing table from this connection",
                "routing",
            )
        if service == "vercel":
            extra = sorted(set(routing.model_dump(exclude_none=True)) - _VERCEL_ROUTING_FIELDS)
            if extra:
                raise FieldError(
                    f"Vercel AI Gateway takes only 'order' and 'only' as routing preferences; "
                    f"{', '.join(repr(name) for name in extra)} "
                    f"{'is an OpenRouter one' if len(extra) == 1 else 'are OpenRouter ones'}",
                    "routing",
                    extra[0],
                )

    @property
    def routing_service(self) -> RoutingService | None:
        """Whose routing preferences this connection's requests carry (None: no gateway's)."""
        return routing_service(self.protocol, self.base_url)

    @property
    def model_ids(self) -> list[str]:
        return [model.id for model in self.models]

    @property
    def effective_default_model(self) -> str | None:
        """The model used when none is chosen: the default, else the first listed."""
        if self.default_model:
            return self.default_model
        return self.models[0].id if self.models else None

    def model(self, model_id: str) -> ModelEntry | None:
        return next((model for model in self.models if model.id == model_id), None)


class Settings(_Strict):
    """App-wide choices."""

    default_connection: str | None = None
    theme: str = "textual-dark"
    keymap: dict[str, str] = Field(
        default_factory=dict, description="binding id -> keys, e.g. pick_model = 'ctrl+o'"
    )
    reopen_last_conversation: bool = True
    model_cache_hours: Annotated[float, Field(ge=0)] = 24.0
    favourite_models: list[str] = Field(
        default_factory=list, description="'connection-slug/model-id' entries shown first"
    )
    # An endless or enormous answer (a looping model, a hostile server) is stopped here instead of
    # filling memory; 4 MB of text is ~1 million tokens, far past any real answer.
    max_answer_mb: Annotated[float, Field(gt=0)] = Field(
        default=DEFAULT_MAX_ANSWER_MB,
        description="MB of text and reasoning one answer may hold before its stream is stopped",
    )
    # Titles written by a model from the first exchange (off: the first prompt names it; on
    # costs one small request per conversation to the conversation's own model).
    ai_titles: bool = False
    # OpenRouter's app attribution (HTTP-Referer, X-Title naming craft-tui): off keeps them
    # out of requests to openrouter.ai.
    openrouter_attribution: bool = True
    # Generation defaults for every conversation; a conversation's own values win, and unset
    # (None) sends nothing, so the server's default applies. `max_tokens` applies where a
    # connection does not set its own.
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    max_tokens: Annotated[int, Field(gt=0)] | None = None
    reasoning_effort: ReasoningEffortSetting | None = None

    @property
    def max_answer_bytes(self) -> int:
        """`max_answer_mb` in bytes (1 MB = 1,048,576 bytes), as drivers count an answer."""
        return max(1, int(self.max_answer_mb * 1024 * 1024))


# An MCP server's name is a prefix of the tool names models see (`server__tool`, which must match
# ^[a-zA-Z0-9_-]{1,64}$): lower-case letters, digits and inner dashes, never `_`, at most 32.
MCP_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$"
# Variables an MCP server may not be handed through `env`: the loader's and interpreter's hooks
# would let a config line run other code than the command shown by `craft-tui mcp list`.
_MCP_ENV_FORBIDDEN = {"LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES"}


def mcp_secret_id(name: str) -> str:
    """The secret-store entry of an HTTP MCP server's bearer token (beside connection slugs;
    `:` keeps it apart from every slug)."""
    return f"mcp:{name}"


class McpServer(_Strict):
    """One MCP server whose tools conversations may use (`[[mcp_servers]]`, see craft_tui/mcp).

    Either a local program spoken to over stdio (`command`, `args`, `env`) or a streamable-HTTP
    endpoint (`url`, `headers`). A bearer token for an HTTP server lives in the secret store under
    `mcp_secret_id(name)`, never here (`craft-tui mcp add NAME --url URL --bearer-token-stdin`).
    """

    name: str
    command: Annotated[str, Field(min_length=1)] | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    startup_timeout: Annotated[float, Field(gt=0, le=600)] = 15.0
    call_timeout: Annotated[float, Field(gt=0, le=3600)] = 120.0
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _slug_name(cls, value: str) -> str:
        if not re.fullmatch(MCP_NAME_PATTERN, value):
            raise ValueError(
                f"{value!r} is not a usable MCP server name: use 1-32 lower-case letters, digits "
                "and inner dashes (e.g. 'files' or 'web-search')"
            )
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.fullmatch(ENV_NAME_PATTERN, name):
                raise FieldError(f"{name!r} is not a valid environment variable name", name)
            if name in _MCP_ENV_FORBIDDEN:
                raise FieldError(f"{name} may not be set for an MCP server", name)
        return value

    @field_validator("headers")
    @classmethod
    def _no_credentials_in_headers(cls, value: dict[str, str]) -> dict[str, str]:
        for header in value:
            if header.strip().lower() in _CREDENTIAL_HEADERS:
                raise FieldError(
                    f"header {header!r} carries a credential; store a bearer token instead "
                    "(craft-tui mcp add NAME --url URL --bearer-token-stdin); config.toml never "
                    "holds secrets",
                    header,
                )
            if not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", header):
                raise FieldError(f"{header!r} is not a valid HTTP header name", header)
        return value

    @model_validator(mode="after")
    def _one_transport(self) -> McpServer:
        if (self.command is None) == (self.url is None):
            where = "command" if self.command is None else "url"
            raise FieldError(
                "say how to reach the server: either `command` (a local program, with `args` and "
                "`env`) or `url` (streamable HTTP, with `headers`), not both",
                where,
            )
        if self.url is not None:
            for field in ("args", "env"):
                if getattr(self, field):
                    raise FieldError(f"`{field}` is for a `command` server, not a `url` one", field)
            if not re.match(r"^https?://[^/\s]+", self.url):
                raise FieldError(f"{self.url!r} is not an http:// or https:// URL", "url")
        elif self.headers:
            raise FieldError("`headers` are for a `url` server, not a `command` one", "headers")
        return self

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "stdio" if self.command is not None else "http"

    @property
    def secret_id(self) -> str:
        return mcp_secret_id(self.name)


# A tool rule: `server.tool`, or `server.*` for every tool of a server.
_TOOL_RULE_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?\.(?:\*|[A-Za-z0-9_.-]{1,128})$"


class ToolSettings(_Strict):
    """`[tools]`: what models may run without asking, and how long one answer may go on calling.

    `permission`: `ask` asks before every call; `read-only` runs tools whose server marks them
    read-only (MCP `readOnlyHint`) and asks for the rest; `allow-all` never asks. `deny` wins
    over everything (the tool is not offered), then `allow` (run without asking), then the mode.
    """

    permission: Literal["ask", "read-only", "allow-all"] = "ask"
    max_steps: Annotated[int, Field(ge=1, le=100)] = 10
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)

    @field_validator("allow", "deny")
    @classmethod
    def _rules(cls, value: list[str]) -> list[str]:
        for index, rule in enumerate(value):
            if not re.fullmatch(_TOOL_RULE_PATTERN, rule):
                raise FieldError(
                    f"{rule!r} is not a tool rule: write 'server.tool' or 'server.*'", index
                )
        return value

    def matches(self, rules: list[str], server: str, tool: str) -> bool:
        """Whether `server.tool` is named by one of `rules` (`allow` or `deny`)."""
        return f"{server}.{tool}" in rules or f"{server}.*" in rules


class Config(_Strict):
    """The whole of `config.toml`."""

    version: Literal[1] = 1
    settings: Settings = Field(default_factory=Settings)
    connections: list[Connection] = Field(default_factory=list)
    mcp_servers: list[McpServer] = Field(default_factory=list)
    tools: ToolSettings = Field(default_factory=ToolSettings)

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        named: dict[str, int] = {}
        for index, server in enumerate(self.mcp_servers):
            first = named.setdefault(server.name, index)
            if first != index:
                raise FieldError(
                    f"two MCP servers share the name {server.name!r} (mcp_servers[{first}] has "
                    "it too); give each its own",
                    "mcp_servers",
                    index,
                    "name",
                )
        seen: dict[str, int] = {}
        for index, connection in enumerate(self.connections):
            first = seen.setdefault(connection.slug, index)
            if first != index:
                raise FieldError(
                    f"two connections share the slug {connection.slug!r} (connections[{first}] "
                    "has it too); give each its own",
                    "connections",
                    index,
                    "slug",
                )
        default = self.settings.default_connection
        if default is not None and default not in seen:
            known = ", ".join(repr(slug) for slug in seen) or "none yet"
            raise FieldError(
                f"{default!r}: no connection has that slug (known: {known})",
                "settings",
                "default_connection",
            )
        return self

    def find(self, name_or_slug: str) -> Connection | None:
        """A connection by slug, or by display name ignoring case."""
        wanted = name_or_slug.strip()
        for connection in self.connections:
            if connection.slug == wanted:
                return connection
        lowered = wanted.lower()
        for connection in self.connections:
            if connection.name.lower() == lowered or connection.slug == slugify(wanted):
                return connection
        return None

    @property
    def default_connection(self) -> Connection | None:
        """The default connection, else the only/first one.

        The one rule for "which connection when none is named": `ask`, `models`, the app's new
        conversations, the chat core's fallback and the connections list's star all use it.
        """
        if self.settings.default_connection:
            return self.find(self.settings.default_connection)
        return self.connections[0] if self.connections else None

    def remove_connection(self, slug: str) -> None:
        """Take a connection out; when it was the default, the first one left becomes it."""
        self.connections = [c for c in self.connections if c.slug != slug]
        if self.settings.default_connection == slug:
            self.settings.default_connection = (
                self.connections[0].slug if self.connections else None
            )
