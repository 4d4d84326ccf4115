"""The driver pool: one driver (one pooled HTTP client) per connection, rebuilt when it changes.

A driver is built from a connection's URL, headers, TLS settings, timeouts and key. The pool keys
each driver by a fingerprint of all of them, taken when a request asks for it, so an edited
connection (in the app, from the shell, in an editor) or a replaced key gets a fresh driver on
its very next request, never the old client. The key is read in a thread (keyring or file I/O),
never on the UI loop, and only its hash is kept here.

A driver that is replaced or dropped is closed once the answers streaming through it end: an edit
made while an answer streams does not cut that answer off.

A key printed by a command (`auth.api_key_cmd`, config/key_command.py) is resolved the same way,
in the same thread: the command runs off the loop, once per process (its key is kept in memory
by command text); a failed command is a `missing_key` error naming it. When the server refuses
the key (an authentication error), the pool forgets the command's key, so the retry runs the
command again and a rotated key is picked up.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import ChatRequest, Driver, ModelInfo, StreamEvent

if TYPE_CHECKING:  # pydantic is not imported before the first frame
    from craft_tui.config.key_command import KeyCommandError
    from craft_tui.config.schema import Connection
    from craft_tui.config.secrets import SecretStore

DriverFactory = Callable[["Connection"], Driver]
"""Builds a driver for a connection, resolving its key (default: `providers.factory.open_driver`)."""

# Fields that say nothing about how a request is sent: changing them keeps the driver.
_NOT_TRANSPORT = {"last_used_at", "created_at"}


def transport_fingerprint(connection: Connection) -> str:
    """What a driver is built from, minus the key: equal fingerprints, interchangeable drivers."""
    return connection.model_dump_json(exclude=_NOT_TRANSPORT)


def key_command_problem(error: KeyCommandError) -> ProviderError:
    """A key command that gave no key, as the error a request shows: what happened to the
    command (never what it printed) and the fix."""
    return ProviderError(ErrorKind.MISSING_KEY, error.sentence, error.fix)


def _forgetter(connection: Connection) -> Callable[[], None] | None:
    """What to do when the server refuses the key: forget the key of the connection's command,
    so the next request runs it again (a rotated key). None for keys that are read every time."""
    command = getattr(connection.auth, "api_key_cmd", None)
    if not command:
        return None

    def forget() -> None:
        from craft_tui.config.key_command import KEY_COMMANDS

        KEY_COMMANDS.forget(command)

    return forget


class PooledDriver:
    """A pool's driver: counts the answers streaming through it, so retiring it closes the client
    only once the last one ends."""

    def __init__(
        self, driver: Driver, fingerprint: str, on_rejected_key: Callable[[], None] | None = None
    ) -> None:
        self.driver = driver
        self.fingerprint = fingerprint
        self.active = 0
        self.retired = False
        self.closed = False
        self._on_rejected_key = on_rejected_key

    def _noticed(self, error: ProviderError) -> None:
        if error.kind is ErrorKind.AUTHENTICATION and self._on_rejected_key is not None:
            self._on_rejected_key()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.active += 1
        try:
            async with contextlib.aclosing(self.driver.stream(request)) as events:  # type: ignore[type-var]
                async for event in events:
                    yield event
        except ProviderError as error:
            self._noticed(error)
            raise
        finally:
            self.active -= 1
            if self.retired and not self.active:
                await self._close()

    async def list_models(self) -> list[ModelInfo]:
        try:
            return await self.driver.list_models()
        except ProviderError as error:
            self._noticed(error)
            raise

    async def aclose(self) -> None:
        """Callers never close a pooled driver; the pool does (`retire`)."""

    def retire(self) -> asyncio.Future[None] | None:
        """Close now if idle, else once the streams running through it end."""
        self.retired = True
        if self.active:
            return None
        return asyncio.ensure_future(self._close())

    async def _close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):  # a client that fails to close has nothing to lose
            await self.driver.aclose()


class DriverPool:
    """One driver per connection slug, keyed by what it was built from (see module docstring)."""

    def __init__(
        self,
        factory: DriverFactory | None = None,
        secrets: Callable[[], SecretStore] | None = None,
    ) -> None:
        self._factory = factory
        self._secrets = secrets
        self._entries: dict[str, PooledDriver] = {}
        self._opened: SecretStore | None = None
        self._closing: set[asyncio.Future[None]] = set()
        self.built = 0  # drivers built so far (tests and benchmarks read it)

    def _store(self) -> SecretStore:
        """The secret store, opened once (choosing the keyring costs a few ms): in a thread."""
        if self._secrets is not None:
            return self._secrets()
        if self._opened is None:
            from craft_tui.config.secrets import SecretStore

            self._opened = SecretStore.open()
        return self._opened

    def _fingerprint(self, connection: Connection) -> str:
        """Transport fields plus a hash of the key as it is now (runs in a thread: reading the
        keyring, or running a key command, blocks)."""
        from craft_tui.config.key_command import KeyCommandError
        from craft_tui.config.secrets import MissingKeyError, key_for

        try:
            key = key_for(connection, self._store())
        except KeyCommandError as error:  # said now: building would run the command again
            raise key_command_problem(error) from None
        except MissingKeyError:
            key = None  # building the driver raises the error with its fix
        digest = hashlib.sha256((key or "").encode()).hexdigest()
        return f"{transport_fingerprint(connection)}\0{digest}"

    def _build(self, connection: Connection) -> Driver:
        if self._factory is not None:
            return self._factory(connection)
        from craft_tui.providers.factory import open_driver

        return open_driver(connection, self._store())

    def _prepare(self, connection: Connection) -> tuple[str, Driver | None]:
        """In a thread: the fingerprint, and a new driver when the pooled one does not match."""
        fingerprint = self._fingerprint(connection)
        pooled = self._entries.get(connection.slug)
        if pooled is not None and pooled.fingerprint == fingerprint:
            return fingerprint, None
        return fingerprint, self._build(connection)

    async def driver_for(self, connection: Connection) -> Driver:
        """The driver for `connection` as it is now; a changed connection or key gets a new one.

        Raises ProviderError (kind `missing_key`) when the connection's key is not available.
        """
        fingerprint, fresh = await asyncio.to_thread(self._prepare, connection)
        current = self._entries.get(connection.slug)
        if fresh is None and current is not None and current.fingerprint == fingerprint:
            return current
        if fresh is None:  # changed while the thread ran: build again, the rare way
            fresh = await asyncio.to_thread(self._build, connection)
        self.built += 1
        pooled = PooledDriver(fresh, fingerprint, _forgetter(connection))
        self._retire(connection.slug)
        self._entries[connection.slug] = pooled
        return pooled

    def pooled(self, slug: str) -> PooledDriver | None:
        """The driver the pool holds for `slug`, if any (tests read it)."""
        return self._entries.get(slug)

    def drop(self, slugs: set[str] | frozenset[str]) -> None:
        """Forget these connections' drivers (edited or removed); each is closed when idle."""
        for slug in slugs:
            self._retire(slug)

    def _retire(self, slug: str) -> None:
        pooled = self._entries.pop(slug, None)
        if pooled is None:
            return
        closing = pooled.retire()
        if closing is not None:
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Close every driver now (the app is quitting)."""
        drivers, self._entries = list(self._entries.values()), {}
        for pooled in drivers:
            pooled.retired = True
            await pooled._close()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
