"""Where API keys live: the OS keyring when it works, else a private `credentials.toml`.

On a desktop the keyring (service `craft-tui`, one entry per connection slug) is used. On a headless
server keyring usually has no backend (`keyring.backends.fail.Keyring`) or its D-Bus call fails; then
keys go to `credentials.toml` beside the config, mode 0600, and `SecretStore.description` says so.
`CRAFT_TUI_SECRETS=file|keyring` forces a store. A connection may instead name an environment variable.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol as TypingProtocol

import tomli_w

from craft_tui.config import paths
from craft_tui.config.atomic import atomic_write_text
from craft_tui.config.schema import Connection, NoAuth

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
        text = "# craft-tui API keys. Private: mode 0600.\n" + tomli_w.dumps({"keys": keys})
        atomic_write_text(self.path, text, mode=0o600)

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

    def __init__(self, backend: _Backend, fallback: FileBackend) -> None:
        self._backend: _Backend = backend
        self._fallback = fallback

    @classmethod
    def open(cls) -> SecretStore:
        """Pick the keyring when usable (or forced by CRAFT_TUI_SECRETS), else the private file."""
        file_backend = FileBackend(paths.credentials_file())
        choice = os.environ.get(STORE_ENV, "").strip().lower()
        if choice == "file" or (choice != "keyring" and not keyring_usable()):
            return cls(file_backend, file_backend)
        return cls(KeyringBackend(), file_backend)

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
        self._fallback.delete(slug)


def key_for(connection: Connection, store: SecretStore | None = None) -> str | None:
    """The key to send for `connection`, or None when it uses no auth.

    An environment variable is read only when the connection names it, so `OPENAI_API_KEY` never
    reaches a server the user did not pair it with. Raises MissingKeyError with the fix.
    """
    auth = connection.auth
    if isinstance(auth, NoAuth):
        return None
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
