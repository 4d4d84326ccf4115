"""`craft-tui connection test NAME` end to end: each step printed with ✓/✗, its fix, a suggested
base URL, and the exit code scripts rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import FakeLLMServer
from tests.servers.cli import add_connection, craft

KEY = "sk-test-cli-0123456789abcdef"


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_working_connection_passes_both_steps(isolated_home: Path, protocol: str) -> None:
    with FakeLLMServer(protocol=protocol, reply="OK") as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "connection", "test", "fake")
        answer = fake.chat_requests[-1].json
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("✓ 2 models at ")
    assert "fake-small, fake-large" in lines[1]
    assert lines[2].startswith("✓ fake-small answered")
    assert answer["max_tokens"] == 1
    assert KEY not in result.stdout + result.stderr


def test_server_without_model_list_is_not_a_failure(isolated_home: Path) -> None:
    with FakeLLMServer(model_list=None) as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "connection", "test", "fake")
    assert result.returncode == 0, result.stdout
    assert "✓ No model list at" in result.stdout
    assert "✓ fake-small answered" in result.stdout


def test_wrong_key_fails_with_the_fix(isolated_home: Path) -> None:
    with FakeLLMServer(require_key="another-key-000000") as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "connection", "test", "fake")
    assert result.returncode == 1
    assert "✗ The server rejected the API key" in result.stdout
    assert "  fix: " in result.stdout
    assert KEY not in result.stdout + result.stderr


def test_wrong_base_url_prints_the_suggested_one(isolated_home: Path) -> None:
    with FakeLLMServer(prefix="/api") as fake:
        connection = add_connection(fake, key=KEY)
        # As if the user typed the base without /v1 (OpenRouter's `/api` style).
        from craft_tui.config.store import load_config, save_config

        config = load_config()
        config.connections[0] = connection.model_copy(update={"base_url": fake.root_url + "/api"})
        save_config(config)
        result = craft(isolated_home, "connection", "test", "fake")
    assert result.returncode == 1
    assert "✗ Nothing answers at" in result.stdout
    assert f"the API answers at {fake.root_url}/api/v1" in result.stdout
    assert f"fix: Use {fake.root_url}/api/v1 as the base URL." in result.stdout


def test_missing_key_fails_with_the_command_to_store_one(isolated_home: Path) -> None:
    with FakeLLMServer() as fake:
        add_connection(fake, key=None, auth={"type": "api_key"})
        result = craft(isolated_home, "connection", "test", "fake")
    assert result.returncode == 1
    assert "craft-tui connection key fake --api-key-stdin" in result.stdout


def test_nothing_listening_fails_clearly(isolated_home: Path) -> None:
    fake = FakeLLMServer().start()
    add_connection(fake, key=KEY)
    fake.stop()
    result = craft(isolated_home, "connection", "test", "fake")
    assert result.returncode == 1
    assert "connection refused" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_the_test_answer_stops_at_the_first_token_and_shows_one_line(isolated_home: Path) -> None:
    """A server that ignores max_tokens and goes quiet after its first word: the command
    neither waits for the rest (the read timeout is 120 s) nor prints the whole reply."""
    long_reply = "OK " + "and then a very long story nobody asked for " * 200
    with FakeLLMServer(reply=long_reply, stall_after=1) as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "connection", "test", "fake", timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    answer = result.stdout.splitlines()[2]
    assert answer.startswith("✓ fake-small answered") and answer.endswith("(OK)")
    assert "very long story" not in result.stdout


def test_an_answer_step_that_could_not_run_is_skipped_not_ticked(isolated_home: Path) -> None:
    with FakeLLMServer(model_list=None) as fake:
        add_connection(fake, key=KEY, models=[])
        result = craft(isolated_home, "connection", "test", "fake")
        requests = list(fake.chat_requests)
    assert result.returncode == 0, result.stdout
    assert "– answer skipped: No default model set" in result.stdout
    assert "✓ No default model" not in result.stdout
    assert requests == []
