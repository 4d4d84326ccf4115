"""Small command-line frictions: what remove says about the default and the key, `connection key`
on a connection that sends no key, an unset --api-key-env variable, the `models` notes, the help."""

from __future__ import annotations

import argparse
import io
import re
import sys
from datetime import UTC, datetime

import pytest

from craft_tui.cli import build_parser, main
from craft_tui.config.schema import Config, Connection, ModelEntry, NoAuth
from craft_tui.config.secrets import SecretStore
from craft_tui.config.store import load_config, save_config
from craft_tui.providers.model_cache import CachedModels, save_cached
from craft_tui.providers.types import ModelInfo

KEY = "sk-test-" + "0123456789abcdef"


@pytest.fixture
def craft(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_removing_the_default_says_which_one_became_it(craft) -> None:  # type: ignore[no-untyped-def]
    craft("connection", "add", "First", "--preset", "ollama")
    craft("connection", "add", "Second", "--preset", "lmstudio")
    craft("connection", "add", "Third", "--preset", "llamacpp")
    _, out, _ = craft("connection", "remove", "third")
    assert "default" not in out  # not the default: nothing to say about it
    code, out, _ = craft("connection", "remove", "first")
    assert code == 0
    assert "'second' is now the default connection" in out
    code, out, _ = craft("connection", "remove", "second")
    assert "No connection is left" in out


def test_the_stored_key_is_mentioned_only_when_there_was_one(craft) -> None:  # type: ignore[no-untyped-def]
    craft("connection", "add", "Local", "--preset", "ollama")
    craft("connection", "add", "Paid", "--preset", "openai", "--api-key-stdin", stdin=KEY)
    _, out, _ = craft("connection", "remove", "local")
    assert out.splitlines()[0] == "Removed connection 'local' and its cached model list."
    _, out, _ = craft("connection", "remove", "paid")
    assert "its stored key" in out.splitlines()[0]
    assert SecretStore.open().stored_slugs() == set()


def test_key_on_a_connection_that_sends_none_is_refused_with_the_fix(craft) -> None:  # type: ignore[no-untyped-def]
    craft("connection", "add", "Local", "--preset", "vllm")
    code, out, err = craft("connection", "key", "local", "--api-key-stdin", stdin=KEY)
    assert code == 1 and out == ""
    message, fix = err.strip().splitlines()
    assert "sends no key" in message
    assert (
        fix
        == "  fix: to switch it, pass --use-key: craft-tui connection key local --use-key --api-key-stdin"
    )
    connection = load_config().find("local")
    assert connection is not None and isinstance(connection.auth, NoAuth)  # unchanged
    assert SecretStore.open().stored_slugs() == set()

    code, out, _ = craft("connection", "key", "local", "--use-key", "--api-key-stdin", stdin=KEY)
    assert code == 0
    assert "now sends this key" in out
    connection = load_config().find("local")
    assert connection is not None and connection.auth.type == "api_key"
    assert SecretStore.open().get("local") == KEY


def test_key_on_a_connection_reading_a_variable_says_it_switches(craft) -> None:  # type: ignore[no-untyped-def]
    craft("connection", "add", "Corp", "--preset", "openai", "--api-key-env", "CORP_KEY")
    code, out, _ = craft("connection", "key", "corp", "--api-key-stdin", stdin=KEY)
    assert code == 0
    assert "instead of reading $CORP_KEY" in out


def test_an_unset_key_variable_warns_with_the_fix(craft, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("CRAFT_TEST_UNSET_KEY", raising=False)
    code, out, err = craft(
        "connection", "add", "Corp", "--preset", "openai", "--api-key-env", "CRAFT_TEST_UNSET_KEY"
    )
    assert code == 0 and "Added connection 'corp'" in out
    warning, fix = err.strip().splitlines()
    assert warning == "craft-tui: warning: $CRAFT_TEST_UNSET_KEY is not set here."
    assert fix.startswith("  fix: export CRAFT_TEST_UNSET_KEY=")

    monkeypatch.setenv("CRAFT_TEST_SET_KEY", "x")
    _, _, err = craft(
        "connection", "add", "Set", "--preset", "openai", "--api-key-env", "CRAFT_TEST_SET_KEY"
    )
    assert err == ""


def _two_connections_one_without_a_list() -> None:
    connections = [
        Connection(slug=slug, name=slug, protocol="openai", base_url=url, auth=NoAuth(),
                   models=[ModelEntry(id=f"{slug}-typed")])
        for slug, url in (("bare", "http://127.0.0.1:9/v1"), ("full", "http://127.0.0.1:10/v1"))
    ]  # fmt: skip
    save_config(Config(connections=connections))
    now = datetime.now(UTC)
    save_cached(CachedModels("bare", connections[0].base_url, now, (), has_model_list=False))
    save_cached(CachedModels("full", connections[1].base_url, now, (ModelInfo("listed"),)))


def test_models_says_no_model_list_only_when_asked_about_that_connection(craft) -> None:  # type: ignore[no-untyped-def]
    _two_connections_one_without_a_list()
    code, out, err = craft("models")
    assert code == 0
    assert "bare-typed" in out and "listed" in out
    assert err == ""  # not on every run for a connection the question was not about
    code, out, err = craft("models", "-c", "bare")
    assert code == 0
    assert "no model list" in err


def test_top_level_help_lists_every_connection_subcommand() -> None:
    parser = build_parser({"connection"})
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    [actions] = [
        a
        for a in commands.choices["connection"]._actions
        if isinstance(a, argparse._SubParsersAction)
    ]
    top = build_parser(()).format_help()
    summary = next(line for line in top.splitlines() if "connections:" in line)
    for action in actions.choices:
        assert re.search(rf"\b{action}\b", summary), (action, summary)
