"""Keys live in the keyring when it works, else in a private file; never in config.toml."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from craft_tui.config import paths
from craft_tui.config.schema import Connection, make_auth
from craft_tui.config.secrets import (
    SERVICE,
    MissingKeyError,
    SecretStore,
    key_for,
    mask_secret,
)

KEY = "sk-or-v1-" + "0123456789abcdef" * 2  # built, so no key-shaped literal is committed


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in memory (never the developer's keyring)."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


class BrokenKeyring(MemoryKeyring):
    """Looks usable but fails like SecretService without a D-Bus session."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")


@pytest.fixture
def use_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CRAFT_TUI_SECRETS")
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_headless_server_falls_back_to_a_private_file(use_keyring: None) -> None:
    keyring.set_keyring(fail.Keyring())
    store = SecretStore.open()
    assert store.uses_file
    assert "credentials.toml" in store.description and "0600" in store.description
    store.set("openrouter", KEY)
    path = paths.credentials_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SecretStore.open().get("openrouter") == KEY


def test_real_keyring_is_used_when_available(use_keyring: None) -> None:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    store = SecretStore.open()
    assert not store.uses_file and "keyring" in store.description
    store.set("openrouter", KEY)
    assert backend.passwords[(SERVICE, "openrouter")] == KEY
    assert not paths.credentials_file().exists()
    store.delete("openrouter")
    assert backend.passwords == {}


def test_keyring_failing_at_run_time_degrades_to_the_file(use_keyring: None) -> None:
    keyring.set_keyring(BrokenKeyring())
    store = SecretStore.open()
    store.set("proxy", KEY)
    assert store.uses_file
    assert paths.credentials_file().exists()
    assert SecretStore.open().get("proxy") == KEY


def test_delete_removes_the_key_from_the_file() -> None:
    store = SecretStore.open()
    store.set("a", KEY)
    store.set("b", KEY + "b")
    store.delete("a")
    assert store.get("a") is None and store.get("b") == KEY + "b"
    assert "sk-or" not in paths.credentials_file().read_text().split("[keys]")[0]


def test_loosened_permissions_are_tightened_on_read() -> None:
    store = SecretStore.open()
    store.set("a", KEY)
    paths.credentials_file().chmod(0o644)
    assert store.get("a") == KEY
    assert stat.S_IMODE(paths.credentials_file().stat().st_mode) == 0o600


def test_damaged_credentials_file_gives_a_clear_message() -> None:
    paths.credentials_file().parent.mkdir(parents=True)
    paths.credentials_file().write_text("[keys\n")
    with pytest.raises(MissingKeyError, match=r"credentials\.toml is damaged"):
        SecretStore.open().get("a")


def test_whitespace_around_a_pasted_key_is_dropped() -> None:
    store = SecretStore.open()
    store.set("a", f"  {KEY}\n")
    assert store.get("a") == KEY


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        (KEY, "sk-or-v••••••••cdef"),
        ("sk-ant-" + "api03-abcdefghijklmnop-XYZW", "sk-ant-••••••••XYZW"),
        ("short-key", "••••••••"),
        ("", ""),
        (None, ""),
    ],
)
def test_keys_are_masked_first_7_and_last_4(secret: str | None, masked: str) -> None:
    assert mask_secret(secret) == masked


def _connection(**auth: str | None) -> Connection:
    kind = auth.pop("kind", "api_key") or "api_key"
    return Connection(
        slug="proxy",
        name="Proxy",
        protocol="openai",
        base_url="https://proxy.example/v1",
        auth=make_auth(kind, auth.get("env")),  # type: ignore[arg-type]
    )


def test_key_comes_from_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment-should-not-leak")
    SecretStore.open().set("proxy", KEY)
    assert key_for(_connection()) == KEY


def test_environment_key_is_used_only_when_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-environment-should-not-leak")
    with pytest.raises(MissingKeyError, match="No API key is stored"):
        key_for(_connection())
    monkeypatch.setenv("CORP_KEY", "corp-secret-value-123456")
    assert key_for(_connection(env="CORP_KEY")) == "corp-secret-value-123456"


def test_named_variable_that_is_unset_says_how_to_fix_it() -> None:
    with pytest.raises(MissingKeyError, match=r"\$CORP_KEY, which is not set"):
        key_for(_connection(env="CORP_KEY"))


def test_no_auth_needs_no_key() -> None:
    assert key_for(_connection(kind="none")) is None


def test_tests_never_touch_the_developers_keyring(isolated_home: Path) -> None:
    assert SecretStore.open().uses_file
    assert str(paths.credentials_file()).startswith(str(isolated_home))
