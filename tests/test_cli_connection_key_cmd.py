"""`craft-tui connection add/key … --api-key-cmd "…"` end to end, in a subprocess: the command is
kept in config.toml, the key it prints never is, `list` shows the command, and `connection test`
runs it (a failing one is named with how it ended, never what it printed)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.config.key_tool import tool_command
from tests.servers import FakeLLMServer
from tests.test_cli_connection import craft

KEY = "sk-or-v1-" + "cmdkey0123456789abcdef0123456789"  # built: no key-shaped literal


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    folder = tmp_path / "tools"  # outside CRAFT_TUI_HOME (the leak check reads all of it)
    folder.mkdir()
    return folder


def config_of(home: Path) -> dict[str, object]:
    return tomllib.loads((home / "config" / "config.toml").read_text())


def test_add_with_a_key_command_keeps_the_command_and_never_the_key(
    isolated_home: Path, tools: Path
) -> None:
    (tools / "entry").write_text(KEY + "\n")
    command = tool_command(tools, key_file=tools / "entry")
    with FakeLLMServer(require_key=KEY, reply="OK") as fake:
        added = craft(
            isolated_home,
            "connection",
            "add",
            "Work",
            "--protocol",
            "openai",
            "--base-url",
            fake.openai_base_url,
            "--api-key-cmd",
            command,
            "--model",
            "fake-small",
        )
        assert added.returncode == 0, added.stderr
        assert f"Key from the command `{command}` when needed" in added.stdout
        assert "craft-tui connection test work" in added.stdout
        tested = craft(isolated_home, "connection", "test", "work")
        assert tested.returncode == 0, tested.stdout + tested.stderr
        assert fake.chat_requests[-1].headers["authorization"] == f"Bearer {KEY}"
    auth = config_of(isolated_home)["connections"][0]["auth"]  # type: ignore[index]
    assert auth == {"type": "api_key", "api_key_cmd": command}
    assert not (isolated_home / "config" / "credentials.toml").exists()
    listed = craft(isolated_home, "connection", "list")
    assert f"api_key from `{command}`" in listed.stdout
    rows = json.loads(craft(isolated_home, "connection", "list", "--json").stdout)
    assert rows[0]["key_command"] == command
    for output in (added, tested, listed):
        assert KEY not in output.stdout + output.stderr


def test_a_failing_key_command_is_named_by_connection_test(
    isolated_home: Path, tools: Path
) -> None:
    (tools / "says").write_text(f"vault locked; the last key was {KEY}\n")
    command = tool_command(tools, stderr_file=tools / "says", exit=1)
    with FakeLLMServer() as fake:
        craft(
            isolated_home,
            "connection",
            "add",
            "Work",
            "--protocol",
            "openai",
            "--base-url",
            fake.openai_base_url,
            "--api-key-cmd",
            command,
        )
        tested = craft(isolated_home, "connection", "test", "work")
        assert not fake.chat_requests
    assert tested.returncode == 1
    assert "The key command of connection 'Work'" in tested.stdout
    assert "exited with status 1" in tested.stdout
    assert "craft-tui connection key work --api-key-cmd" in tested.stdout
    assert KEY not in tested.stdout + tested.stderr and "vault locked" not in tested.stdout


def test_a_program_not_found_is_warned_about_at_add(isolated_home: Path) -> None:
    added = craft(
        isolated_home,
        "connection",
        "add",
        "Router",
        "--preset",
        "openrouter",
        "--api-key-cmd",
        "no-such-vault-tool read openrouter",
    )
    assert added.returncode == 0, added.stderr
    assert "warning: no-such-vault-tool is not found here" in added.stderr
    assert "fix: install it, or give its full path" in added.stderr


def test_an_unsplittable_command_is_refused_with_the_fix(isolated_home: Path) -> None:
    result = craft(
        isolated_home,
        "connection",
        "add",
        "R",
        "--preset",
        "openrouter",
        "--api-key-cmd",
        "pass 'x",
    )
    assert result.returncode == 1
    assert "No closing quotation" in result.stderr
    assert "--api-key-cmd 'pass show openrouter'" in result.stderr
    assert not (isolated_home / "config" / "config.toml").exists()


def test_a_key_command_and_a_variable_together_are_a_usage_error(isolated_home: Path) -> None:
    result = craft(
        isolated_home,
        "connection",
        "add",
        "R",
        "--preset",
        "openrouter",
        "--api-key-env",
        "K",
        "--api-key-cmd",
        "pass show r",
    )
    assert result.returncode == 2
    assert "not allowed with argument" in result.stderr


def test_key_switches_a_stored_key_to_a_command_and_deletes_the_stored_one(
    isolated_home: Path, tools: Path
) -> None:
    stored = craft(
        isolated_home,
        "connection",
        "add",
        "R",
        "--preset",
        "openrouter",
        "--api-key-stdin",
        stdin=KEY + "\n",
    )
    assert stored.returncode == 0, stored.stderr
    credentials = isolated_home / "config" / "credentials.toml"
    assert KEY in credentials.read_text()
    command = tool_command(tools, key_file=tools / "entry")
    switched = craft(isolated_home, "connection", "key", "r", "--api-key-cmd", command)
    assert switched.returncode == 0, switched.stderr
    assert "The key stored for 'r' was deleted" in switched.stdout
    assert KEY not in credentials.read_text()
    auth = config_of(isolated_home)["connections"][0]["auth"]  # type: ignore[index]
    assert auth == {"type": "api_key", "api_key_cmd": command}
