"""`store.save_connection` writes config.toml before the key, and `drop_orphaned_keys` removes every
key whose connection is gone: from credentials.toml and, through its record, from the keyring.

The same guarantees under SIGKILL, through the CLI and the app, are in `tests/test_orphaned_keys.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from craft_tui.config import paths
from craft_tui.config.schema import Config, Connection
from craft_tui.config.secrets import SERVICE, SecretStore, drop_orphaned_keys
from craft_tui.config.source import read_config_source
from craft_tui.config.store import (
    ConfigError,
    KeyNotStoredError,
    load_config,
    save_config,
    save_connection,
    update_config,
)
from tests.config.test_secrets import MemoryKeyring

KEY = "sk-test-order-" + "0123456789abcdef"


def connection(slug: str) -> Connection:
    return Connection(slug=slug, name=slug.title(), protocol="openai", base_url="localhost:1")


def with_connections(*slugs: str) -> None:
    save_config(
        Config.model_validate({"connections": [connection(slug).model_dump() for slug in slugs]})
    )


def adding(slug: str, *, default: bool = True):  # type: ignore[no-untyped-def]
    def change(config: Config) -> None:
        config.connections.append(connection(slug))
        if default:
            config.settings.default_connection = slug

    return change


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    monkeypatch.delenv("CRAFT_TUI_SECRETS")
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_the_key_is_stored_only_once_config_toml_names_its_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = SecretStore.open()
    seen_in_config: list[bool] = []
    real_set = store.set

    def checking_set(slug: str, secret: str) -> None:
        seen_in_config.append(load_config().find(slug) is not None)
        real_set(slug, secret)

    monkeypatch.setattr(store, "set", checking_set)
    save_connection(adding("corp"), "corp", key=KEY, new=True, store=store)
    assert seen_in_config == [True]
    assert store.get("corp") == KEY


def test_a_config_that_cannot_be_saved_stores_no_key() -> None:
    with_connections("corp")
    with pytest.raises(ConfigError, match="share the slug"):
        save_connection(adding("corp"), "corp", key=KEY, new=True)  # a duplicate slug
    assert SecretStore.open().get("corp") is None


def test_a_key_that_cannot_be_stored_takes_a_new_connection_out_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_connections("existing")
    store = SecretStore.open()

    def failing(slug: str, secret: str) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(store, "set", failing)
    with pytest.raises(KeyNotStoredError, match="No space left on device") as caught:
        save_connection(adding("corp"), "corp", key=KEY, new=True, store=store)
    assert KEY not in str(caught.value)
    config = load_config()
    assert [c.slug for c in config.connections] == ["existing"]
    assert config.settings.default_connection == "existing"  # the change had made corp default


def test_removing_a_connection_deletes_its_key_after_the_config() -> None:
    with_connections("corp", "other")
    store = SecretStore.open()
    store.set("corp", KEY)
    store.set("other", KEY)

    def remove(config: Config) -> None:
        config.connections = [c for c in config.connections if c.slug != "corp"]

    save_connection(remove, "corp", forget_key=True, store=store)
    assert store.stored_slugs() == {"other"}


def test_a_change_also_drops_keys_left_by_earlier_kills() -> None:
    with_connections("corp")
    store = SecretStore.open()
    store.set("gone", KEY)  # a connection removed by a process killed before its key went
    save_connection(adding("new", default=False), "new", key=KEY, new=True, store=store)
    assert store.stored_slugs() == {"new"}


def test_drop_orphaned_keys_keeps_the_keys_of_existing_connections() -> None:
    with_connections("a", "b")
    store = SecretStore.open()
    for slug in ("a", "b", "gone", "also-gone"):
        store.set(slug, KEY)
    assert drop_orphaned_keys() == ["also-gone", "gone"]
    assert SecretStore.open().stored_slugs() == {"a", "b"}
    assert drop_orphaned_keys() == []


@pytest.mark.parametrize(
    "config_text", [None, "[settings\n"], ids=["no config.toml", "config.toml not TOML"]
)
def test_nothing_is_deleted_on_the_word_of_a_missing_or_broken_config(
    config_text: str | None,
) -> None:
    SecretStore.open().set("a", KEY)
    if config_text is not None:
        paths.config_file().write_text(config_text)
    assert drop_orphaned_keys() == []
    assert SecretStore.open().get("a") == KEY


def test_a_connection_added_after_the_caller_read_the_config_keeps_its_key() -> None:
    with_connections("a")
    stale = read_config_source()  # what the app read at start...
    update_config(adding("b", default=False))  # ...then `connection add b` ran elsewhere
    SecretStore.open().set("b", KEY)
    assert drop_orphaned_keys(source=stale) == []
    assert SecretStore.open().get("b") == KEY


def test_keyring_orphans_are_found_through_the_record(memory_keyring: MemoryKeyring) -> None:
    with_connections("a")
    store = SecretStore.open()
    assert not store.uses_file
    store.set("a", KEY)
    store.set("gone", KEY)
    record = paths.keyring_index_file().read_text()
    assert '"gone"' in record and KEY not in record
    assert drop_orphaned_keys() == ["gone"]
    assert memory_keyring.passwords == {(SERVICE, "a"): KEY}
    assert '"gone"' not in paths.keyring_index_file().read_text()


def test_a_slug_is_recorded_before_its_key_enters_the_keyring(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_connections("a")
    recorded_first: list[bool] = []

    def set_password(service: str, username: str, password: str) -> None:
        recorded_first.append(username in paths.keyring_index_file().read_text())
        memory_keyring.passwords[(service, username)] = password

    monkeypatch.setattr(memory_keyring, "set_password", set_password)
    SecretStore.open().set("gone", KEY)
    assert recorded_first == [True]
    assert drop_orphaned_keys() == ["gone"]
    assert memory_keyring.passwords == {}


def test_the_file_store_does_not_open_the_keyring_to_look_for_orphans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_connections("a")
    SecretStore.open().set("a", KEY)
    opened: list[bool] = []
    monkeypatch.setattr(SecretStore, "open", classmethod(lambda cls: opened.append(True)))
    assert drop_orphaned_keys(source=read_config_source()) == []
    assert opened == []  # nothing to drop: no keyring, no store (cheap enough for start-up)


def test_paths_are_the_ones_craft_tui_paths_reports(isolated_home: Path) -> None:
    assert paths.keyring_index_file() == isolated_home / "config" / "keyring-slugs.json"
