"""`ConnectionService` is the one implementation of connection changes: the command line and the
app get the same outcome and the same sentence when a change is refused, and the default
connection is the same one wherever it is asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from craft_tui.config.schema import Connection, NoAuth
from craft_tui.config.secrets import SecretStore
from craft_tui.config.store import load_config
from craft_tui.workspace.connections import ConnectionService
from craft_tui.workspace.core import Workspace
from craft_tui.workspace.targets import ConnectionProblem, default_target
from tests.conftest import subprocess_env
from tests.workspace.helpers import connection_toml, write_config


def craft(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "craft_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=subprocess_env(home),
        timeout=60,
        check=False,
    )


def ollama(slug: str = "ollama", name: str = "Ollama") -> Connection:
    return Connection(
        slug=slug, name=name, protocol="openai", base_url="http://127.0.0.1:9/v1", auth=NoAuth()
    )


def test_a_duplicate_name_is_refused_with_the_same_sentence_from_the_cli_and_the_service(
    isolated_home: Path,
) -> None:
    assert craft(isolated_home, "connection", "add", "Ollama", "--preset", "ollama").returncode == 0
    cli = craft(isolated_home, "connection", "add", "ollama", "--preset", "ollama")
    with pytest.raises(ConnectionProblem) as refused:
        ConnectionService().add(ollama())
    assert cli.returncode == 1
    # The same sentence; on the command line its second half is the fix line.
    said, _, fix = str(refused.value).partition("; ")
    assert cli.stderr.splitlines() == [f"craft-tui: {said}.", f"  fix: {fix}"]
    assert "exists already" in said and refused.value.field == "name"
    assert [c.slug for c in load_config().connections] == ["ollama"]


def test_an_unknown_name_is_the_same_sentence_for_remove_default_and_key(
    isolated_home: Path,
) -> None:
    write_config(connection_toml("one"))
    service = ConnectionService()
    sentences = set()
    for call in (
        lambda: service.remove("ghost"),
        lambda: service.make_default("ghost"),
        lambda: service.set_key("ghost", "sk-test-000000000000"),
    ):
        with pytest.raises(ConnectionProblem) as refused:
            call()
        sentences.add(str(refused.value))
    cli = craft(isolated_home, "connection", "remove", "ghost")
    assert sentences == {"No connection named 'ghost'. Known: one."}
    assert cli.stderr.splitlines() == [
        "craft-tui: No connection named 'ghost'. Known: one.",
        "  fix: give a slug or name that `craft-tui connection list` shows.",
    ]


def test_a_key_that_cannot_be_stored_adds_nothing_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing(self: SecretStore, slug: str, secret: str) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(SecretStore, "set", failing)
    corp = Connection.model_validate(
        {**ollama("corp", "Corp").model_dump(), "auth": {"type": "api_key"}}
    )
    with pytest.raises(ConnectionProblem) as refused:
        ConnectionService().add(corp, key="sk-test-0000000000000")
    assert str(refused.value) == (
        "The key could not be stored: No space left on device. Nothing was added."
    )
    assert refused.value.field == "key"
    assert load_config().find("corp") is None


def test_removing_the_default_makes_the_first_one_left_the_default() -> None:
    write_config(
        connection_toml("one"),
        connection_toml("two"),
        connection_toml("three"),
        settings='default_connection = "two"',
    )
    SecretStore.open().set("two", "sk-test-000000000000")
    removed = ConnectionService().remove("Two")  # by display name
    assert removed.slug == "two" and removed.key_error is None
    config = load_config()
    assert [c.slug for c in config.connections] == ["one", "three"]
    assert config.settings.default_connection == "one"
    assert SecretStore.open().get("two") is None


def test_switching_a_connection_to_no_auth_forgets_its_stored_key() -> None:
    write_config(connection_toml("work").replace('type = "none"', 'type = "api_key"'))
    SecretStore.open().set("work", "sk-test-000000000000")
    work = load_config().connections[0]
    ConnectionService().save(work.model_copy(update={"auth": NoAuth()}))
    assert SecretStore.open().get("work") is None
    assert isinstance(load_config().connections[0].auth, NoAuth)


def test_the_default_connection_is_the_same_for_the_cli_the_app_and_the_list(
    isolated_home: Path, fake_server: Any
) -> None:
    """No default_connection in the file: the first connection is the default everywhere."""
    first, second = fake_server(reply="From the first."), fake_server(reply="From the second.")
    write_config(connection_toml("first", first), connection_toml("second", second))
    config = load_config()
    assert default_target(config).connection == config.connections[0]
    assert Workspace(config).default_target().connection == config.connections[0]
    listing = json.loads(craft(isolated_home, "connection", "list", "--json").stdout)
    assert [row["default"] for row in listing] == [True, False]
    answer = craft(isolated_home, "ask", "Hi")
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "From the first."
    assert second.chat_requests == []


async def test_the_apps_changes_run_in_a_thread_and_reach_the_workspace() -> None:
    import threading

    write_config(connection_toml("one"))
    workspace = Workspace(load_config())
    threads: list[str] = []
    real_save = ConnectionService.add

    def recording(self: ConnectionService, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real_save(self, *args, **kwargs)

    ConnectionService.add = recording  # type: ignore[method-assign]
    try:
        await workspace.connections.aadd(ollama(), default=True)
    finally:
        ConnectionService.add = real_save  # type: ignore[method-assign]
    assert threads and threads[0] != threading.main_thread().name
    assert workspace.default_target().connection is not None
    assert workspace.default_target().connection.slug == "ollama"  # type: ignore[union-attr]
    await workspace.connections.amake_default("one")
    assert workspace.config.settings.default_connection == "one"
    removed = await workspace.connections.aremove("one")
    assert removed.slug == "one"
    assert [c.slug for c in workspace.config.connections] == ["ollama"]
