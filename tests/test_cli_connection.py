"""`craft-tui connection …` end to end, in a subprocess, as a script or a shell user runs it."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import subprocess_env

KEY = "sk-or-v1-" + "aaaabbbbccccddddeeeeffff00001111"  # built: no key-shaped literal


def craft(
    home: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "craft_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=subprocess_env(home, **env),
        timeout=60,
        check=False,
    )


def test_add_openrouter_with_key_from_stdin(isolated_home: Path) -> None:
    result = craft(
        isolated_home,
        "connection",
        "add",
        "OpenRouter",
        "--preset",
        "openrouter",
        "--api-key-stdin",
        "--model",
        "anthropic/claude-sonnet-4.6",
        stdin=KEY + "\n",
    )
    assert result.returncode == 0, result.stderr
    assert "https://openrouter.ai/api/v1/chat/completions" in result.stdout
    assert "sk-or-v••••••••1111" in result.stdout
    assert KEY not in result.stdout + result.stderr
    config = (isolated_home / "config" / "config.toml").read_text()
    assert KEY not in config
    assert 'default_connection = "openrouter"' in config  # the first connection becomes the default
    credentials = isolated_home / "config" / "credentials.toml"
    assert KEY in credentials.read_text()
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600


def test_add_ollama_and_custom_then_list_as_json(isolated_home: Path) -> None:
    assert (
        craft(
            isolated_home,
            "connection",
            "add",
            "Ollama",
            "--preset",
            "ollama",
            "--model",
            "llama3.2",
        ).returncode
        == 0
    )
    result = craft(
        isolated_home,
        "connection",
        "add",
        "Corp Proxy",
        "--protocol",
        "anthropic",
        "--base-url",
        "https://llm.corp.example/v1/messages",
        "--bearer",
        "--api-key-stdin",
        "--default-model",
        "claude-sonnet-4-6",
        "--header",
        "X-Team=ml",
        "--default",
        stdin=KEY,
    )
    assert result.returncode == 0, result.stderr
    listing = craft(isolated_home, "connection", "list", "--json")
    assert listing.returncode == 0
    rows = {row["slug"]: row for row in json.loads(listing.stdout)}
    assert (
        rows["ollama"]["auth"] == "none"
        and rows["ollama"]["base_url"] == "http://localhost:11434/v1"
    )
    proxy = rows["corp-proxy"]
    assert proxy["base_url"] == "https://llm.corp.example" and proxy["auth"] == "bearer"
    assert proxy["key"] == "sk-or-v••••••••1111" and proxy["default"] is True
    assert proxy["default_model"] == "claude-sonnet-4-6"
    assert KEY not in listing.stdout
    human = craft(isolated_home, "connection", "list")
    assert "* corp-proxy" in human.stdout and "sk-or-v••••••••1111" in human.stdout
    assert KEY not in human.stdout


def test_preset_key_defaults_to_its_environment_variable(isolated_home: Path) -> None:
    result = craft(isolated_home, "connection", "add", "Groq", "--preset", "groq")
    assert result.returncode == 0
    assert "$GROQ_API_KEY" in result.stdout
    assert 'api_key_env = "GROQ_API_KEY"' in (isolated_home / "config" / "config.toml").read_text()


def test_remove_deletes_the_stored_key(isolated_home: Path) -> None:
    craft(
        isolated_home,
        "connection",
        "add",
        "OpenRouter",
        "--preset",
        "openrouter",
        "--api-key-stdin",
        stdin=KEY,
    )
    from craft_tui.providers.model_cache import cache_path

    cached = cache_path("openrouter")
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text("{}")
    result = craft(isolated_home, "connection", "remove", "openrouter")
    assert result.returncode == 0
    assert not cached.exists()
    assert KEY not in (isolated_home / "config" / "credentials.toml").read_text()
    assert json.loads(craft(isolated_home, "connection", "list", "--json").stdout) == []


def test_key_and_default_subcommands(isolated_home: Path) -> None:
    craft(isolated_home, "connection", "add", "A", "--preset", "vllm")
    craft(isolated_home, "connection", "add", "B", "--preset", "openai")
    assert (
        craft(isolated_home, "connection", "key", "b", "--api-key-stdin", stdin=KEY).returncode == 0
    )
    assert craft(isolated_home, "connection", "default", "B").returncode == 0
    rows = {
        r["slug"]: r
        for r in json.loads(craft(isolated_home, "connection", "list", "--json").stdout)
    }
    assert (
        rows["b"]["key"] == "sk-or-v••••••••1111"
        and rows["b"]["default"]
        and not rows["a"]["default"]
    )


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("connection", "add", "X"), None, "No endpoint was given"),
        (("connection", "add", "X", "--protocol", "openai"), None, "no base URL of its own"),
        (
            ("connection", "add", "X", "--protocol", "openai", "--base-url", "ftp://h"),
            None,
            "http:// or https://",
        ),
        (
            ("connection", "add", "X", "--preset", "custom-openai", "--base-url", "http://h"),
            None,
            "needs a key",
        ),
        (
            ("connection", "add", "X", "--preset", "openai", "--api-key-stdin"),
            "",
            "No key was given",
        ),
        (("connection", "add", "!!!", "--preset", "ollama"), None, "no letters or digits"),
        (("connection", "remove", "ghost"), None, "No connection named 'ghost'"),
    ],
)
def test_user_errors_exit_1_with_the_sentence_then_the_fix(
    isolated_home: Path, args: tuple[str, ...], stdin: str | None, message: str
) -> None:
    result = craft(isolated_home, *args, stdin=stdin)
    assert result.returncode == 1
    assert message in result.stderr
    sentence, fix = result.stderr.strip().splitlines()
    assert sentence.startswith("craft-tui: ") and fix.startswith("  fix: ")
    assert "Traceback" not in result.stderr


def test_adding_the_same_name_twice_is_refused(isolated_home: Path) -> None:
    craft(isolated_home, "connection", "add", "Ollama", "--preset", "ollama")
    result = craft(isolated_home, "connection", "add", "ollama", "--preset", "ollama")
    assert result.returncode == 1 and "exists already" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("connection", "add"),
        ("connection", "frobnicate"),
        ("--bogus",),
        ("connection", "add", "X", "--preset", "nope"),
    ],
)
def test_usage_errors_exit_2(isolated_home: Path, args: tuple[str, ...]) -> None:
    result = craft(isolated_home, *args)
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [(), ("connection",), ("connection", "add"), ("connection", "list"), ("ask",), ("models",)],
)
def test_help_is_everywhere(isolated_home: Path, args: tuple[str, ...]) -> None:
    result = craft(isolated_home, *args, "--help")
    assert result.returncode == 0 and "usage: craft-tui" in result.stdout


def test_broken_config_is_reported_and_kept(isolated_home: Path) -> None:
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[[connections]]\nslug = "x"\nname = "X"\nprotocol = "openai"\nbase_url = "http://h/v1"\ncolour = 1\n'
    )
    before = config.read_bytes()
    for args in (("connection", "list"), ("connection", "add", "Y", "--preset", "ollama"), ()):
        result = craft(isolated_home, *args)
        assert result.returncode == 1
        assert (
            str(config) in result.stderr and "colour" in result.stderr and "line 6" in result.stderr
        )
        assert "Traceback" not in result.stderr
    assert config.read_bytes() == before


def test_paths_shows_where_files_live(isolated_home: Path) -> None:
    result = craft(isolated_home, "paths")
    assert str(isolated_home / "config" / "config.toml") in result.stdout
    assert str(isolated_home / "data" / "history.db") in result.stdout
