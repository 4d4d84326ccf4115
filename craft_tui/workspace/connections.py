"""`ConnectionService`: every change to a connection, for the command line and the screens alike.

Add, save (edit), remove, make default, set key, remember a typed model, test. Each change writes
`config.toml` and the secret store through `store.save_connection`, the one ordering that cannot
leave a key without its connection, and refuses with the same sentence wherever it was asked from
(`ConnectionProblem`, or `ConfigError` naming the file). The sync methods are for the command line
(and run in a thread for the app); the `a…` methods run them in a thread, so no config, keyring or
file I/O happens on the UI loop, then `apply` the saved config to the workspace at once.

The test (`check`, which runs `providers.check.check_connection`) is here too, so a screen only shows its steps: the model
list (the ids found are handed on, for the form to offer), then a 1-token answer that stops at
the first token that arrives (a server that ignores `max_tokens` is not waited for, nor is its
reply shown), or a step marked skipped when it cannot run (no default model).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from craft_tui.workspace.targets import ConnectionProblem, find_connection

if TYPE_CHECKING:
    from craft_tui.config.schema import Config, Connection
    from craft_tui.config.secrets import SecretStore
    from craft_tui.providers.check import CheckStep
    from craft_tui.workspace.core import Workspace

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Removed:
    """A removed connection; `key_error` says why its stored key could not be deleted (the
    connection is gone from config.toml either way, and the next command retries the key)."""

    slug: str
    name: str
    config: Config
    key_error: str | None = None


def exists_already(slug: str) -> ConnectionProblem:
    return ConnectionProblem(
        f"A connection {slug!r} exists already; choose another name, or remove that one first.",
        "name",
    )


def needs_stored_key(connection: Connection) -> bool:
    """True when the connection's key comes from the secret store (not none, not a variable,
    not a command)."""
    from craft_tui.config.schema import NoAuth

    auth = connection.auth
    return not isinstance(auth, NoAuth) and not auth.api_key_env and not auth.api_key_cmd


class ConnectionService:
    """See the module docstring. `workspace`: the app's, told of every change this makes."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        workspace: Workspace | None = None,
        secrets: SecretStore | None = None,
    ) -> None:
        self._path = path
        self._workspace = workspace
        self._secrets = secrets

    @property
    def secrets(self) -> SecretStore:
        """The secret store (opened on first use: choosing the keyring takes a few ms)."""
        if self._secrets is None:
            from craft_tui.config.secrets import SecretStore

            self._secrets = SecretStore.open()
        return self._secrets

    def load(self) -> Config:
        from craft_tui.config.store import load_config

        return load_config(self._path)

    # ---------------------------------------------------------------- changes (blocking)

    def add(
        self, connection: Connection, *, key: str | None = None, default: bool = False
    ) -> Config:
        """Add `connection` (its key, if given, to the secret store); the first connection, or
        one added with `default`, becomes the default. ConnectionProblem when the slug is taken
        (checked against the file as it is now) or the key cannot be stored (nothing is added)."""
        from craft_tui.config.store import KeyNotStoredError, save_connection

        slug = connection.slug

        def change(config: Config) -> None:
            if any(c.slug == slug for c in config.connections):
                raise exists_already(slug)
            config.connections.append(connection)
            if default or len(config.connections) == 1:
                config.settings.default_connection = slug

        try:  # config.toml first, then the key: a kill in between cannot leave a key behind
            return save_connection(
                change, slug, key=key, new=True, store=self.secrets, path=self._path
            )
        except KeyNotStoredError as error:
            said = str(error).rstrip(" .")
            raise ConnectionProblem(f"{said}. Nothing was added.", "key") from None

    def save(self, connection: Connection, *, key: str | None = None) -> Config:
        """Replace the connection of the same slug with `connection`; store `key` if given. A
        connection that no longer needs a stored key (now no auth, or a variable) loses it."""
        from craft_tui.config.store import KeyNotStoredError, save_connection

        slug = connection.slug

        def change(config: Config) -> None:
            if not any(c.slug == slug for c in config.connections):
                raise ConnectionProblem(
                    f"The connection {slug!r} was removed meanwhile; add it again instead.", "form"
                )
            config.connections = [connection if c.slug == slug else c for c in config.connections]

        forget = key is None and not needs_stored_key(connection)
        try:
            return save_connection(
                change, slug, key=key, forget_key=forget, store=self.secrets, path=self._path
            )
        except KeyNotStoredError as error:
            raise ConnectionProblem(f"{error}. The rest was saved.", "key") from None

    def remove(self, name: str) -> Removed:
        """Remove a connection, its stored key, its runtime state and its cached model list."""
        from craft_tui.config.state import forget_connection
        from craft_tui.config.store import ConfigError, save_connection
        from craft_tui.providers.model_cache import delete_cached

        connection = find_connection(self.load(), name)
        slug = connection.slug

        def change(config: Config) -> None:
            config.remove_connection(slug)

        key_error: str | None = None
        try:  # config.toml first, then the key
            config = save_connection(
                change, slug, forget_key=True, store=self.secrets, path=self._path
            )
        except ConfigError:
            raise
        except Exception as error:  # the key step failed: the connection itself is gone
            config = self.load()
            if any(c.slug == slug for c in config.connections):
                raise
            key_error = str(error)
        with contextlib.suppress(OSError):  # state is a nicety: the connection is gone either way
            forget_connection(slug)  # its last use, favourites and recent picks
        with contextlib.suppress(OSError):
            delete_cached(slug)
        return Removed(slug, connection.name, config, key_error)

    def make_default(self, name: str) -> Config:
        from craft_tui.config.store import update_config

        slug = find_connection(self.load(), name).slug

        def change(config: Config) -> None:
            find_connection(config, slug)  # removed meanwhile: say so
            config.settings.default_connection = slug

        return update_config(change, self._path)

    def set_key(self, name: str, key: str) -> tuple[Connection, Config]:
        """Store a new key for a connection; one that read a variable or sent none now uses it."""
        from craft_tui.config.schema import AuthKind, make_auth
        from craft_tui.config.store import KeyNotStoredError, save_connection

        connection = find_connection(self.load(), name)
        change: Callable[[Config], None] | None = None
        if not needs_stored_key(connection):
            kind: AuthKind = "bearer" if connection.auth.type == "bearer" else "api_key"

            def use_stored_key(config: Config) -> None:
                find_connection(config, connection.slug).auth = make_auth(kind)

            change = use_stored_key
        try:
            config = save_connection(
                change, connection.slug, key=key, store=self.secrets, path=self._path
            )
        except KeyNotStoredError as error:
            raise ConnectionProblem(str(error), "key") from None
        return find_connection(config, connection.slug), config

    def set_key_command(self, name: str, command: str) -> Connection:
        """Get a connection's key from `command` from now on (its stored key, if any, is
        deleted: one source of truth). A connection that sent no key sends one as `api_key`."""
        from craft_tui.config.schema import AuthKind, make_auth
        from craft_tui.config.store import KeyNotStoredError, save_connection

        connection = find_connection(self.load(), name)
        kind: AuthKind = "bearer" if connection.auth.type == "bearer" else "api_key"

        def use_command(config: Config) -> None:
            find_connection(config, connection.slug).auth = make_auth(kind, api_key_cmd=command)

        try:
            config = save_connection(
                use_command, connection.slug, forget_key=True, store=self.secrets, path=self._path
            )
        except KeyNotStoredError as error:
            raise ConnectionProblem(str(error), "key") from None
        return find_connection(config, connection.slug)

    def remember_model(self, slug: str, model_id: str) -> Config:
        """A model id typed by hand becomes one of its connection's models (offered next time)."""
        from craft_tui.config.schema import ModelEntry
        from craft_tui.config.store import update_config

        def change(config: Config) -> None:
            connection = find_connection(config, slug)
            if connection.model(model_id) is None:
                connection.models.append(ModelEntry(id=model_id))

        return update_config(change, self._path)

    # ---------------------------------------------------------------- reading

    def masked_keys(self, connections: Iterable[Connection]) -> dict[str, str | None]:
        """Each connection's stored key, masked ('' when none is stored, None when the store
        cannot be read), for connections that keep their key in the secret store."""
        from craft_tui.config.secrets import mask_secret

        shown: dict[str, str | None] = {}
        for connection in connections:
            if not needs_stored_key(connection):
                continue
            try:
                shown[connection.slug] = mask_secret(self.secrets.get(connection.slug))
            except Exception:  # a damaged credentials file must not stop the listing
                shown[connection.slug] = None
        return shown

    def stored_key(self, connection: Connection) -> str | None:
        """The stored key (the form shows it masked and keeps it when none is typed)."""
        from craft_tui.config.secrets import MissingKeyError

        try:
            return self.secrets.get(connection.slug)
        except MissingKeyError:
            return None

    def key_for(self, connection: Connection) -> str | None:
        """The key a request would send (MissingKeyError with the fix when there is none)."""
        from craft_tui.config.secrets import key_for

        return key_for(connection, self.secrets)

    # ---------------------------------------------------------------- the app's side

    async def _in_thread(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(work, *args, **kwargs)

    def _applied(self, config: Config) -> Config:
        if self._workspace is not None:
            self._workspace.apply(config)
        return config

    async def aadd(
        self, connection: Connection, *, key: str | None = None, default: bool = False
    ) -> Config:
        return self._applied(await self._in_thread(self.add, connection, key=key, default=default))

    async def asave(self, connection: Connection, *, key: str | None = None) -> Config:
        return self._applied(await self._in_thread(self.save, connection, key=key))

    async def aremove(self, name: str) -> Removed:
        removed = await self._in_thread(self.remove, name)
        self._applied(removed.config)
        return removed

    async def amake_default(self, name: str) -> Config:
        return self._applied(await self._in_thread(self.make_default, name))

    async def aset_key(self, name: str, key: str) -> Connection:
        connection, config = await self._in_thread(self.set_key, name, key)
        self._applied(config)
        return connection

    async def aremember_model(self, slug: str, model_id: str) -> Config:
        return self._applied(await self._in_thread(self.remember_model, slug, model_id))

    async def amasked_keys(self, connections: Iterable[Connection]) -> dict[str, str | None]:
        return await self._in_thread(self.masked_keys, list(connections))

    async def astored_key(self, connection: Connection) -> str | None:
        return await self._in_thread(self.stored_key, connection)

    async def check(self, connection: Connection, key: str | None) -> AsyncIterator[CheckStep]:
        """The real test (model list, then a 1-token answer), step by step. `key`: the one typed
        in the form, else the connection's own (read in a thread; MissingKeyError when none)."""
        command = None
        if key is None:
            key = await self._in_thread(self.key_for, connection)
            command = getattr(connection.auth, "api_key_cmd", None)
        from craft_tui.providers.check import check_connection
        from craft_tui.providers.errors import ErrorKind

        async for step in check_connection(connection, key):
            if command and step.error is not None and step.error.kind is ErrorKind.AUTHENTICATION:
                from craft_tui.config.key_command import KEY_COMMANDS

                KEY_COMMANDS.forget(command)  # refused: the next test runs the command again
            yield step
