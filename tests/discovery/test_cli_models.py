"""`craft-tui models` end to end in a subprocess, against loopback servers."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from craft_tui.config.schema import ApiKeyAuth, Config, Connection, ModelEntry, Settings
from craft_tui.config.store import save_config
from craft_tui.providers.model_cache import CachedModels, save_cached
from craft_tui.providers.types import ModelInfo
from tests.conftest import subprocess_env
from tests.discovery.conftest import GatedServer, closed_port_url, make_connection
from tests.servers import FakeModel, openrouter_models
from tests.servers.fixtures import ServerFactory


def craft(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "craft_tui", "models", *args],
        capture_output=True,
        text=True,
        env=subprocess_env(home, **env),
        timeout=60,
        check=False,
    )


def _setup(*connections: Connection, **settings: object) -> None:
    save_config(Config(settings=Settings(**settings), connections=list(connections)))  # type: ignore[arg-type]


def test_lists_a_gateway_with_context_and_prices_and_filters_by_query(
    isolated_home: Path, fake_server: ServerFactory
) -> None:
    models = [
        FakeModel("anthropic/claude-sonnet-4.5", "Anthropic: Claude Sonnet 4.5", 1_000_000, 3, 15),
        FakeModel("openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", 131072, 0.15, 0.6),
        FakeModel("meta-llama/llama-3.3-70b:free", "Llama 3.3 70B (free)", 8192, 0, 0),
    ]
    server = fake_server(models=models, model_list="openrouter")
    _setup(make_connection("router", server.base_url))
    result = craft(isolated_home)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["CONNECTION", "MODEL", "CONTEXT", "IN", "$/1M", "OUT", "$/1M"]
    assert lines[1].split() == ["router", "anthropic/claude-sonnet-4.5", "1M", "$3", "$15"]
    assert lines[2].split() == ["router", "openai/gpt-4o-mini", "128K", "$0.15", "$0.60"]
    assert lines[3].split() == ["router", "meta-llama/llama-3.3-70b:free", "8K", "free", "free"]

    filtered = craft(isolated_home, "gpt mini")
    assert [line.split()[1] for line in filtered.stdout.splitlines()[1:]] == ["openai/gpt-4o-mini"]
    list_requests = [r for r in server.requests if r.path == "/v1/models"]
    assert len(list_requests) == 1  # the second run used the cache


def test_json_output_for_scripts(isolated_home: Path, fake_server: ServerFactory) -> None:
    server = fake_server(models=openrouter_models(400), model_list="openrouter")
    _setup(make_connection("router", server.base_url, default_model="openai/model-001"))
    result = craft(isolated_home, "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 400
    default = next(row for row in rows if row["default"])
    assert default == {
        "connection": "router",
        "connection_name": "Router",
        "model": "openai/model-001",
        "name": "Openai: Model 1",
        "context_window": 8192,
        "input_price_per_million": 0.2,
        "output_price_per_million": 0.8,
        "price_source": "provider",
        "local": True,
        "source": "manual",
        "listed_by_server": True,
        "default": True,
    }


def test_a_failing_connection_costs_one_line_and_the_rest_still_print(
    isolated_home: Path, fake_server: ServerFactory
) -> None:
    server = fake_server(models=[FakeModel("good-model", context_window=4096)])
    _setup(
        make_connection("down", closed_port_url(), "typed-on-down"),
        make_connection("up", server.base_url),
    )
    result = craft(isolated_home)
    assert result.returncode == 0
    models = [line.split()[1] for line in result.stdout.splitlines()[1:]]
    assert models == ["typed-on-down", "good-model"]
    errors = [line for line in result.stderr.splitlines() if line.startswith("craft-tui:")]
    assert len(errors) == 1 and errors[0].startswith("craft-tui: down: ")
    assert "Traceback" not in result.stderr


def test_exit_1_only_when_nothing_could_be_listed(isolated_home: Path) -> None:
    _setup(make_connection("down", closed_port_url()))
    result = craft(isolated_home)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("craft-tui: down: ")
    assert "Traceback" not in result.stderr


def test_no_connections_says_how_to_add_one(isolated_home: Path) -> None:
    result = craft(isolated_home)
    assert result.returncode == 1
    assert "craft-tui connection add" in result.stderr


def test_unknown_connection_names_the_known_ones(isolated_home: Path) -> None:
    _setup(make_connection("only", closed_port_url()))
    result = craft(isolated_home, "-c", "nope")
    assert result.returncode == 1
    assert "Known: only" in result.stderr


def test_a_server_without_model_list_shows_typed_models(
    isolated_home: Path, no_list_server: GatedServer
) -> None:
    _setup(make_connection("bare", no_list_server.base_url, "hand-typed", protocol="openai"))
    result = craft(isolated_home)
    assert result.returncode == 0
    assert [line.split()[1] for line in result.stdout.splitlines()[1:]] == ["hand-typed"]
    assert "no model list" in result.stderr


def test_a_cached_list_prints_without_waiting_for_a_slow_server(
    isolated_home: Path, gated_server: GatedServer
) -> None:
    connection = make_connection("slow", gated_server.base_url)
    _setup(connection, model_cache_hours=0.0)  # stale at once: still printed from the cache
    save_cached(
        CachedModels(
            slug="slow",
            base_url=connection.base_url,
            fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
            models=(ModelInfo("cached-model", context_window=32000),),
        )
    )
    result = craft(isolated_home)  # the server never answers /v1/models in this test
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].split()[:3] == ["slow", "cached-model", "32K"]
    assert "--refresh" in result.stderr
    assert gated_server.paths == []


def test_refresh_fetches_again_and_c_limits_to_one_connection(
    isolated_home: Path, fake_server: ServerFactory
) -> None:
    first = fake_server(models=[FakeModel("one-a")])
    second = fake_server(models=[FakeModel("two-a")])
    _setup(make_connection("one", first.base_url), make_connection("two", second.base_url))
    assert craft(isolated_home).returncode == 0
    first.models.append(FakeModel("one-b"))
    result = craft(isolated_home, "-c", "one", "--refresh")
    assert [line.split()[1] for line in result.stdout.splitlines()[1:]] == ["one-a", "one-b"]
    assert len([r for r in second.requests if r.path == "/v1/models"]) == 1


def test_a_missing_key_is_one_clear_line(isolated_home: Path) -> None:
    connection = Connection(
        slug="keyed",
        name="Keyed",
        protocol="openai",
        base_url=closed_port_url(),
        auth=ApiKeyAuth(api_key_env="CRAFT_MODELS_TEST_KEY"),
        models=[ModelEntry(id="typed")],
    )
    _setup(connection)
    result = craft(isolated_home)
    assert result.returncode == 0
    assert result.stdout.splitlines()[1].split()[1] == "typed"
    assert "CRAFT_MODELS_TEST_KEY" in result.stderr


def test_c_works_for_every_connection_with_a_default_set(
    isolated_home: Path, fake_server: ServerFactory
) -> None:
    """`models -c two` while `one` is the default: it used to build a one-connection config whose
    default named a missing connection and end in "unexpected error: ValidationError"."""
    first = fake_server(models=[FakeModel("one-a")])
    second = fake_server(models=[FakeModel("two-a"), FakeModel("two-b")])
    _setup(
        make_connection("one", first.base_url),
        make_connection("two", second.base_url),
        default_connection="one",
    )
    for slug, expected in (("one", ["one-a"]), ("two", ["two-a", "two-b"])):
        result = craft(isolated_home, "-c", slug)
        assert result.returncode == 0, result.stderr
        assert "unexpected error" not in result.stderr
        assert [line.split()[1] for line in result.stdout.splitlines()[1:]] == expected
        listed = craft(isolated_home, "-c", slug, "--json")
        assert {row["connection"] for row in json.loads(listed.stdout)} == {slug}
