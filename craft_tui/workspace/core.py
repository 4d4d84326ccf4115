"""`Workspace`: the config in use, the drivers, the history and sessions, for the app and the CLI.

One copy of the config lives here: the last good one. The app's screens read `workspace.config`
when they need it and subscribe to changes; nothing keeps a copy of its own. The config changes
three ways, and each ends in `_replace`, which drops the drivers of changed connections and tells
every subscriber:

- a write this process made (`ConnectionService`, the model picker) is `apply`-ed at once;
- `config.toml` changed underneath (another process, an editor): the watcher (`watcher.py`, one
  stat per half second) re-reads and validates it in a thread. A valid file replaces the config;
  an invalid one is reported to subscribers (`ConfigChange.error`, naming file and line) and the
  last good config stays in use, the file untouched;
- `reload` asked for it (the chat screen, when a slug it was given is not known yet).

Sessions are built here with `config=lambda: workspace.config` and the pool as their driver
opener, so a request always goes where the config says *now*. Created before the app's first
frame: pydantic, SQLite, httpx and the chat core are imported only inside methods.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from craft_tui.config.preview import ConfigPreview, preview_config
from craft_tui.workspace.figures import StatusFigures, message_label, status_figures
from craft_tui.workspace.targets import Target, default_target
from craft_tui.workspace.tools import ConversationTools

if TYPE_CHECKING:
    from craft_tui.chat.history import HistoryStore
    from craft_tui.chat.permissions import PermissionMode
    from craft_tui.chat.session import ChatSession
    from craft_tui.chat.tool_loop import AskPerson, ToolCallRunner
    from craft_tui.config.schema import Config, Connection
    from craft_tui.config.secrets import SecretStore
    from craft_tui.config.source import ConfigSource
    from craft_tui.providers.types import Driver, Usage
    from craft_tui.workspace.connections import ConnectionService
    from craft_tui.workspace.drivers import DriverFactory, DriverPool
    from craft_tui.workspace.watcher import FileWatcher

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConfigChange:
    """What subscribers are told. `config` is the config in use now; `changed` the slugs of the
    connections added, edited or removed; `error` says why an edit of the file was refused (the
    config in use is then the last good one, unchanged)."""

    config: Config
    changed: frozenset[str] = field(default_factory=frozenset)
    error: str | None = None


Listener = Callable[[ConfigChange], None]


class WorkspaceNotReady(RuntimeError):
    """The config is read before it was validated (only the first frame may do without it)."""


class Workspace:
    """See the module docstring. Use it from one event loop; its blocking work runs in threads."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        source: ConfigSource | None = None,
        path: Path | None = None,
        history: HistoryStore | None = None,
        driver_factory: DriverFactory | None = None,
        secrets: SecretStore | None = None,
    ) -> None:
        """`config` when it is already validated; else `source` (the TOML-parsed file), validated
        by `validate_source` after the first frame, and `preview` until then."""
        self._config = config
        self._source = source if config is None else None
        self._path = path
        self.preview: ConfigPreview = preview_config(source.data if source else {})
        self._history = history
        self._driver_factory = driver_factory
        self._secrets = secrets
        self._pool: DriverPool | None = None
        self._service: ConnectionService | None = None
        self._watcher: FileWatcher | None = None
        self._listeners: list[Listener] = []
        self.tools = ConversationTools()

    # ---------------------------------------------------------------- the config

    @property
    def path(self) -> Path:
        """The config file this workspace follows."""
        if self._path is None:
            from craft_tui.config import paths

            self._path = paths.config_file()
        return self._path

    @property
    def ready(self) -> bool:
        """True once the config is validated (`config` may be read)."""
        return self._config is not None

    @property
    def config(self) -> Config:
        """The config in use: the last good one. Read it when needed; never keep a copy."""
        if self._config is None:
            raise WorkspaceNotReady("the config is not validated yet")
        return self._config

    def validate_source(self) -> Config:
        """Validate the file read at start (raises ConfigError naming file and line)."""
        from craft_tui.config.store import validate_config

        if self._config is None:
            if self._source is None:
                from craft_tui.config.source import read_config_source

                self._source = read_config_source(self._path)
            self._config = validate_config(self._source)
            self._source = None
        return self._config

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` on every change (on this workspace's loop); returns the unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def apply(self, config: Config) -> ConfigChange | None:
        """A config this process just wrote: in use at once, without waiting for the watcher."""
        if self._watcher is not None:
            self._watcher.seen()
        return self._replace(config)

    def reload(self) -> ConfigChange:
        """Re-read and validate the file now (blocking: from a thread, or the command line)."""
        from craft_tui.config.store import ConfigError, load_config

        try:
            config = load_config(self.path)
        except ConfigError as error:
            change = ConfigChange(self.config, error=str(error))
            self._tell(change)
            return change
        return self._replace(config) or ConfigChange(config)

    async def areload(self) -> ConfigChange:
        """`reload` with the reading and validating in a thread; subscribers run on this loop."""
        from craft_tui.config.store import ConfigError, load_config

        try:
            config = await asyncio.to_thread(load_config, self.path)
        except ConfigError as error:
            change = ConfigChange(self.config, error=str(error))
            self._tell(change)
            return change
        return self._replace(config) or ConfigChange(config)

    def _replace(self, config: Config) -> ConfigChange | None:
        """Use `config`; drop the drivers of changed connections; tell subscribers. None when
        nothing changed (e.g. the watcher saw the app's own write)."""
        old = self._config
        if old is not None and old == config:
            self._config = config
            return None
        changed = _changed_slugs(old, config)
        self._config = config
        if self._pool is not None and changed:
            self._pool.drop(changed)
        change = ConfigChange(config, changed)
        self._tell(change)
        return change

    def _tell(self, change: ConfigChange) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # one broken subscriber must not keep the others uninformed
                log.exception("a config subscriber failed")

    def start_watching(self, interval: float | None = None) -> None:
        """Follow the config file from now on (an asyncio task on the running loop)."""
        from craft_tui.workspace.watcher import DEFAULT_INTERVAL_S, FileWatcher

        if self._watcher is None:
            self._watcher = FileWatcher(
                self.path, self.areload, interval if interval is not None else DEFAULT_INTERVAL_S
            )
        self._watcher.start()

    @property
    def watching(self) -> bool:
        return self._watcher is not None and self._watcher.running

    # ---------------------------------------------------------------- services

    @property
    def connections(self) -> ConnectionService:
        """Add, edit, remove, make default, set keys, test: for the app's screens."""
        if self._service is None:
            from craft_tui.workspace.connections import ConnectionService

            self._service = ConnectionService(self.path, workspace=self, secrets=self._secrets)
        return self._service

    @property
    def drivers(self) -> DriverPool:
        if self._pool is None:
            from craft_tui.workspace.drivers import DriverPool

            secrets = self._secrets
            self._pool = DriverPool(
                self._driver_factory, (lambda: secrets) if secrets is not None else None
            )
        return self._pool

    async def driver_for(self, connection: Connection) -> Driver:
        """The pooled driver for `connection` as it is now (a changed one gets a new driver);
        without OpenRouter's attribution headers when the settings say so."""
        from craft_tui.config.attribution import as_sent

        if self.ready:
            connection = as_sent(connection, self.config.settings)
        return await self.drivers.driver_for(connection)

    def history(self) -> HistoryStore:
        """The history store, opened on first use (a few ms of SQLite: call it from a thread)."""
        if self._history is None:
            from craft_tui.chat.history import HistoryStore

            self._history = HistoryStore.open()
        return self._history

    async def aclose(self) -> None:
        """Stop watching, close every driver and stop the MCP servers (the app is quitting)."""
        if self._watcher is not None:
            await self._watcher.stop()
        if self._pool is not None:
            await self._pool.aclose()
        await self.tools.aclose()

    # ---------------------------------------------------------------- tools

    async def tool_runner(self, session: ChatSession, ask: AskPerson) -> ToolCallRunner | None:
        """The tools `session`'s next operation may use (None when no MCP server is set up),
        asking the person through `ask` when its permission mode says to."""
        return self.tools.runner(session.conversation.id, self.config, ask, target=session.target)

    def start_tools(self) -> None:
        """Start the MCP servers in the background now (the app, once a conversation is on
        screen), so the first answer that wants tools does not wait for them to start."""
        if self.tools_configured():
            hub = self.tools.hub(self.config)
            if hub is not None:
                hub.start()

    def tools_configured(self) -> bool:
        return self.ready and self.tools.configured(self.config)

    def permission_mode(self, session: ChatSession | None) -> PermissionMode | None:
        """The conversation's permission mode (None: no tools are set up)."""
        if session is None or not self.tools_configured():
            return None
        return self.tools.mode(session.conversation.id, self.config)

    def set_permission_mode(self, session: ChatSession, mode: PermissionMode) -> None:
        self.tools.set_mode(session.conversation.id, self.config, mode)

    def tool_server(self, name: str) -> str:
        """The MCP server of a tool offered as `name` ("" when not known), to label stored calls."""
        return self.tools.server_of(name)

    # ---------------------------------------------------------------- sessions

    async def open_session(
        self, conversation_id: str | None, *, new: bool, like: Target | None = None
    ) -> ChatSession:
        """The session to show: `conversation_id`, else the last one (unless `new` or the
        settings say otherwise), else a fresh conversation. SQLite work runs in a thread.

        `like`: where a fresh conversation's requests go (Ctrl+N keeps the model the user
        picked in the conversation they leave); the default connection when it is None or
        its connection is gone."""
        return await asyncio.to_thread(self._open_session_sync, conversation_id, new, like)

    def _open_session_sync(
        self, conversation_id: str | None, new: bool, like: Target | None = None
    ) -> ChatSession:
        from craft_tui.chat.session import ChatSession

        store = self.history()
        if conversation_id is None and not new and self.config.settings.reopen_last_conversation:
            conversation_id = _conversation_to_reopen(store)
        conversation = None
        if conversation_id is not None:
            conversation, _messages = store.load_conversation(conversation_id)
        else:
            # Reuse the last conversation if it is still empty: no pile of blank ones.
            last = store.last_conversation_id()
            if last is not None:
                candidate, messages = store.load_conversation(last)
                if not messages and not store.all_messages(last):
                    conversation = candidate
        fresh = conversation_id is None  # a new conversation, or an empty one reused
        if conversation is None:
            connection, model = self._start_target(like)
            conversation = store.create_conversation(
                connection_slug=connection.slug if connection else None, model=model
            )
        session = ChatSession(
            store,
            conversation,
            driver_opener=self.driver_for,
            cost_fn=self.cost,
            config=lambda: self.config,
        )
        if fresh and like is not None:
            connection, model = self._start_target(like)
            kept = (conversation.connection_slug, conversation.model)
            if connection is not None and model and kept != (connection.slug, model):
                session.switch(connection, model)  # a reused empty one goes where asked too
        return session

    def _start_target(self, like: Target | None) -> Target:
        """`like` while its connection is still configured (looked up as it is now), else the
        default target."""
        if like is not None and like.connection is not None and like.model:
            connection = self.connection(like.connection.slug)
            if connection is not None:
                return Target(connection, like.model)
        return self.default_target()

    async def switch(self, session: ChatSession, slug: str, model: str) -> Target | None:
        """Send `session`'s next request to `slug` and `model`; None when no such connection.

        The connection is looked up in the config as it is now; a slug not known yet (added
        from the shell a moment ago, before the watcher's next look) makes it re-read the file
        first. What it returns is what the session will use (`session.target()`)."""
        connection = self.connection(slug)
        if connection is None:
            await self.areload()
            connection = self.connection(slug)
        if connection is None:
            return None
        await asyncio.to_thread(session.switch, connection, model)
        return self.target_of(session)

    async def mark_used(self, slug: str | None) -> None:
        """Record that `slug` just answered ("used …" in the connections list), in the runtime
        state (`config/state.py`): config.toml is the user's and is not rewritten for this."""
        connection = self.connection(slug)
        if connection is None:
            return
        from craft_tui.config.state import mark_connection_used

        try:
            await asyncio.to_thread(mark_connection_used, connection.slug)
        except Exception as error:  # the answer matters more than the timestamp
            log.warning("could not record last use: %s", error)

    # ---------------------------------------------------------------- derived values

    def connection(self, slug: str | None) -> Connection | None:
        return next((c for c in self.config.connections if c.slug == slug), None)

    def default_target(self) -> Target:
        """The connection and model a new conversation starts with."""
        return default_target(self.config)

    def target_of(self, session: ChatSession | None) -> Target:
        """Where `session`'s next request goes: the session's own rule (`ChatSession.target`)."""
        if session is None:
            return self.default_target()
        return Target(*session.target())

    def current_model(self, session: ChatSession | None) -> str | None:
        """The model of the next request (the preview's until the config is validated)."""
        if not self.ready:
            return self.preview.model
        return self.target_of(session).model

    def label_for(self, slug: str | None, model: str | None) -> str:
        """'Connection name · model' for a message label."""
        return message_label(self.config, slug, model)

    def status_figures(self, session: ChatSession | None) -> StatusFigures:
        """The status line's figures: where the next request goes, and the branch's totals."""
        if not self.ready:
            name = self.preview.connection_name
            return StatusFigures(connection=name or "no connection", model=self.preview.model or "")
        messages = session.messages if session is not None else []
        figures = status_figures(self.target_of(session), messages, self._cached_in_input())
        mode = self.permission_mode(session)
        return dataclasses.replace(figures, tools=mode) if mode else figures

    def _cached_in_input(self) -> Callable[[str | None], bool]:
        """Whether each connection's input tokens count the cached ones (the status line's
        whole-prompt figure, `chat/usage.py prompt_tokens`)."""
        from craft_tui.chat.usage import cached_in_input_check

        return cached_in_input_check(self.config)

    def cost(self, connection: Connection, model: str, usage: Usage) -> float | None:
        """USD for one answer (None when local or unknown), for the chat core to store."""
        from craft_tui.chat.cost import answer_cost_usd

        # Knows each protocol's cached-token counting and the cached list's prices.
        return answer_cost_usd(connection, model, usage)


def _conversation_to_reopen(store: HistoryStore) -> str | None:
    """The conversation the user last had on screen, if it is still in the history; else the one
    updated last (a conversation started elsewhere, or no state yet)."""
    from craft_tui.chat.history import NotFoundError
    from craft_tui.config.state import last_conversation

    viewed = last_conversation()
    if viewed is not None:
        try:
            store.get_conversation(viewed)
        except NotFoundError:
            pass
        else:
            return viewed
    last: str | None = store.last_conversation_id()
    return last


def _changed_slugs(old: Config | None, new: Config) -> frozenset[str]:
    """Connections added, removed, or changed in any field the driver is built from."""
    from craft_tui.workspace.drivers import transport_fingerprint

    before = {c.slug: transport_fingerprint(c) for c in old.connections} if old else {}
    after = {c.slug: transport_fingerprint(c) for c in new.connections}
    return frozenset(
        slug for slug in before.keys() | after.keys() if before.get(slug) != after.get(slug)
    )
