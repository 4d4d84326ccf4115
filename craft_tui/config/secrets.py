"""Where API keys live: the OS keyring when it works, else a private `credentials.toml`.

On a desktop the keyring (service `craft-tui`, one entry per connection slug) is used. On a headless
server keyring usually has no backend (`keyring.backends.fail.Keyring`) or its D-Bus call fails; then
keys go to `credentials.toml` beside the config, mode 0600, and `SecretStore.description` says so.
`CRAFT_TUI_SECRETS=file|keyring` forces a store. A connection may instead name an environment variable,
or a command that prints its key (config/key_command.py).

A key must never outlive its connection (`drop_orphaned_keys`): the keyring cannot be listed, so
`keyring-slugs.json` records which slugs craft-tui put there (slugs only, never a key). The order in
which config.toml and a key are written is `store.save_connection`'s job.

Imports are light (no pydantic, no tempfile) so the app can look for orphaned keys before its first
frame: the writers and the schema are imported when first needed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Protocol as TypingProtocol

from craft_tui.config import paths

if TYPE_CHECKING:
    from craft_tui.config.schema import Connection
    from craft_tui.config.source import ConfigSource

log = logging.getLogger(__name__)

SERVICE = "craft-tui"
STORE_ENV = "CRAFT_TUI_SECRETS"


def mask_secret(secret: str | None) -> str:
    """`sk-or-v1-abcdef…wxyz` -> `sk-or-v••••••••wxyz`; short secrets are hidden entirely."""
    if not secret:
        return ""
    if len(secret) < 16:
        return "•" * 8
    return f"{secret[:7]}{'•' * 8}{secret[-4:]}"


class MissingKeyError(Exception):
    """A connection needs a key and none is available; the message says where to put one."""


class _Backend(TypingProtocol):
    @property
    def description(self) -> str: ...

    def get(self, slug: str) -> str | None: ...
    def set(self, slug: str, secret: str) -> None: ...
    def delete(self, slug: str) -> None: ...


@dataclass
class FileBackend:
    """`credentials.toml`, mode 0600, `[keys] slug = "..."`."""

    path: Path

    @property
    def description(self) -> str:
        return f"file {self.path} (mode 0600; no usable system keyring)"

    def _read(self) -> dict[str, str]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        if self.path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(self.path, 0o600)  # someone loosened it: tighten before trusting it
        try:
            keys = tomllib.loads(raw.decode("utf-8")).get("keys", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise MissingKeyError(
                f"{self.path} is damaged ({error}); fix or delete it, then store the key again."
            ) from None
        return {str(k): str(v) for k, v in keys.items()}

    def _write(self, keys: dict[str, str]) -> None:
        import tomli_w

        from craft_tui.config.atomic import atomic_write_text

        text = "# craft-tui API keys. Private: mode 0600.\n" + tomli_w.dumps({"keys": keys})
        atomic_write_text(self.path, text, mode=0o600)

    def slugs(self) -> set[str]:
        """The slugs that have a key in the file."""
        return set(self._read())

    def get(self, slug: str) -> str | None:
        return self._read().get(slug)

    def set(self, slug: str, secret: str) -> None:
        keys = self._read()
        keys[slug] = secret
        self._write(keys)

    def delete(self, slug: str) -> None:
        keys = self._read()
        if keys.pop(slug, None) is not None:
            self._write(keys)


@dataclass
class KeyringIndex:
    """`keyring-slugs.json`: the slugs craft-tui stored a key for in the keyring.

    A keyring cannot be listed, so without this record a key left behind for a removed connection
    could never be found again. A slug is recorded before its key goes in and forgotten after it
    is deleted, so a kill at any point leaves at worst a slug without a key, never a key without a
    slug. Holds no secret.
    """

    path: Path

    def slugs(self) -> set[str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError):
            log.warning("%s is unreadable; keyring entries it listed are not cleaned up", self.path)
            return set()
        slugs = data.get("slugs") if isinstance(data, dict) else None
        return {str(slug) for slug in slugs} if isinstance(slugs, list) else set()

    def add(self, slug: str) -> None:
        slugs = self.slugs()
        if slug not in slugs:
            self._write(slugs | {slug})

    def discard(self, slug: str) -> None:
        slugs = self.slugs()
        if slug in slugs:
            self._write(slugs - {slug})

    def _write(self, slugs: set[str]) -> None:
        from craft_tui.config.atomic import atomic_write_text

        data = {"about": "connections whose key craft-tui stored in the keyring", "slugs": []}
        data["slugs"] = sorted(slugs)
        atomic_write_text(self.path, json.dumps(data, indent=2) + "\n")


class KeyringBackend:
    """The OS keyring through the `keyring` package."""

    def __init__(self) -> None:
        import keyring

        self._keyring = keyring
        self._name = type(keyring.get_keyring()).__name__

    @property
    def description(self) -> str:
        return f"system keyring ({self._name})"

    def get(self, slug: str) -> str | None:
        value = self._keyring.get_password(SERVICE, slug)
        return str(value) if value is not None else None

    def set(self, slug: str, secret: str) -> None:
        self._keyring.set_password(SERVICE, slug, secret)

    def delete(self, slug: str) -> None:
        import keyring.errors

        with contextlib.suppress(keyring.errors.PasswordDeleteError):
            self._keyring.delete_password(SERVICE, slug)


def keyring_usable() -> bool:
    """True when keyring has a real backend (not the `fail` one a headless server gets)."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return False
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return False
        return float(getattr(backend, "priority", 1)) > 0
    except Exception:  # a broken keyring install must not stop the app
        return False


class SecretStore:
    """Get, set and delete connection keys in the best store this machine has."""

    def __init__(
        self, backend: _Backend, fallback: FileBackend, index: KeyringIndex | None = None
    ) -> None:
        self._backend: _Backend = backend
        self._fallback = fallback
        self._index = index or KeyringIndex(fallback.path.with_name(paths.KEYRING_INDEX_NAME))

    @classmethod
    def open(cls) -> SecretStore:
        """Pick the keyring when usable (or forced by CRAFT_TUI_SECRETS), else the private file."""
        file_backend = FileBackend(paths.credentials_file())
        index = KeyringIndex(paths.keyring_index_file())
        choice = os.environ.get(STORE_ENV, "").strip().lower()
        if choice == "file" or (choice != "keyring" and not keyring_usable()):
            return cls(file_backend, file_backend, index)
        return cls(KeyringBackend(), file_backend, index)

    @property
    def description(self) -> str:
        """Which store keys go to, for the user to see."""
        return self._backend.description

    @property
    def uses_file(self) -> bool:
        return self._backend is self._fallback

    def _degrade(self) -> None:
        """The keyring failed at run time (D-Bus without a session, locked, …): use the file."""
        self._backend = self._fallback

    def get(self, slug: str) -> str | None:
        if not self.uses_file:
            try:
                value = self._backend.get(slug)
            except Exception:
                self._degrade()
            else:
                if value is not None:
                    return value
        return self._fallback.get(slug)

    def set(self, slug: str, secret: str) -> None:
        secret = secret.strip()
        if not secret:
            raise ValueError("The key is empty.")
        if not self.uses_file:
            self._index.add(slug)  # first: a key in the keyring is always findable again
            try:
                self._backend.set(slug, secret)
            except Exception:
                self._degrade()
            else:
                self._fallback.delete(slug)  # one copy only
                return
        self._fallback.set(slug, secret)

    def delete(self, slug: str) -> None:
        """Remove the key from every store it might be in."""
        if not self.uses_file:
            try:
                self._backend.delete(slug)
            except Exception:
                self._degrade()
            else:
                self._index.discard(slug)  # after: until the key is gone, it stays findable
        self._fallback.delete(slug)

    def stored_slugs(self) -> frozenset[str]:
        """Every slug that may have a key here: in the file, and recorded as put in the keyring."""
        slugs = self._fallback.slugs()
        if not self.uses_file:
            slugs |= self._index.slugs()
        return frozenset(slugs)


def key_for(connection: Connection, store: SecretStore | None = None) -> str | None:
    """The key to send for `connection`, or None when it uses no auth: the one place a key is
    resolved (its command's output, its variable, or the secret store).

    An environment variable is read only when the connection names it, so `OPENAI_API_KEY` never
    reaches a server the user did not pair it with. A key command (`auth.api_key_cmd`) runs the
    first time its key is needed in this process (config/key_command.py). Raises MissingKeyError
    with the fix (a KeyCommandError, its subclass, when the command gave no key).
    """
    from craft_tui.config.schema import NoAuth

    auth = connection.auth
    if isinstance(auth, NoAuth):
        return None
    if auth.api_key_cmd:
        from craft_tui.config.key_command import KEY_COMMANDS

        # Blocks while the command runs (up to key_command.TIMEOUT_SECONDS): callers on the UI
        # loop call key_for in a thread, as for the keyring.
        return KEY_COMMANDS.key(auth.api_key_cmd, name=connection.name, slug=connection.slug)
    if auth.api_key_env:
        value = os.environ.get(auth.api_key_env, "").strip()
        if not value:
            raise MissingKeyError(
                f"Connection {connection.name!r} reads its key from ${auth.api_key_env}, which is "
                f"not set. Export it, or store a key instead: craft-tui connection key "
                f"{connection.slug} --api-key-stdin."
            )
        return value
    store = store or SecretStore.open()
    stored = store.get(connection.slug)
    if not stored:
        raise MissingKeyError(
            f"No API key is stored for connection {connection.name!r}. Add one in the connections "
            f"screen, or: craft-tui connection key {connection.slug} --api-key-stdin."
        )
    return stored


def drop_orphaned_keys(
    store: SecretStore | None = None,
    config_path: Path | None = None,
    *,
    source: ConfigSource | None = None,
) -> list[str]:
    """Delete every stored key whose connection is not in config.toml; return their slugs.

    Such a key is left when a process dies between writing config.toml and deleting the key of a
    removed connection (or was left by an older craft-tui, which stored the key first). Called
    after every connection change (`store.save_connection`), by every `craft-tui connection`
    command and when the app starts.

    Cheap when there is nothing to drop (two small files are read; the keyring is not opened, and
    `source`, the config the caller already read, saves reading it again), so the app can call it
    before its first frame. Keys are listed before config.toml is read again: a connection being
    added elsewhere has its config.toml written before its key, so if its key is seen here its
    connection is seen too. Nothing is deleted on the word of a config file that is missing or
    not valid TOML.
    """
    from craft_tui.config.source import ConfigError, read_config_source

    path = config_path or (source.path if source is not None else paths.config_file())
    try:
        stored: set[str]
        if store is not None:
            stored = set(store.stored_slugs())
        else:
            stored = FileBackend(paths.credentials_file()).slugs()
            stored |= KeyringIndex(paths.keyring_index_file()).slugs()
    except (MissingKeyError, OSError):  # damaged or unreadable: said when a key is read
        return []
    try:
        if stored and source is not None:
            stored -= _connection_slugs(source)
        if not stored:
            return []
        fresh = read_config_source(path)
    except ConfigError:
        return []
    if not fresh.exists:
        return []
    orphans = sorted(stored - _connection_slugs(fresh))
    if not orphans:
        return []
    store = store or SecretStore.open()
    dropped = []
    for slug in orphans:
        try:
            store.delete(slug)
        except Exception as error:  # tried again next time; nothing here may stop a command
            log.warning("could not delete the key of removed connection %s: %s", slug, error)
        else:
            dropped.append(slug)
    if dropped:
        log.info("dropped the keys of connections that no longer exist: %s", ", ".join(dropped))
    return dropped


def _connection_slugs(source: ConfigSource) -> set[str]:
    """Every secret id config.toml accounts for: connection slugs, and `mcp:NAME` for each
    `[[mcp_servers]]` entry (an HTTP server's bearer token, schema.mcp_secret_id)."""
    connections = source.data.get("connections")
    slugs = {
        slug
        for item in (connections if isinstance(connections, list) else [])
        if isinstance(item, dict) and isinstance(slug := item.get("slug"), str)
    }
    servers = source.data.get("mcp_servers")
    slugs |= {
        f"mcp:{name}"
        for item in (servers if isinstance(servers, list) else [])
        if isinstance(item, dict) and isinstance(name := item.get("name"), str)
    }
    return slugs
