"""Model discovery against loopback servers: OpenRouter, Anthropic pages, Ollama, no list."""

from __future__ import annotations

import pytest

from craft_tui.config.schema import ApiKeyAuth, Connection, NoAuth
from craft_tui.providers.discovery import discover_models
from craft_tui.providers.errors import ErrorKind, ProviderError
from tests.discovery.conftest import GatedServer, closed_port_url, make_connection
from tests.servers import FakeModel, openrouter_models
from tests.servers.fixtures import ServerFactory


async def test_openrouter_list_of_400_models_with_prices_per_million(
    fake_server: ServerFactory,
) -> None:
    server = fake_server(models=openrouter_models(400), model_list="openrouter")
    found = await discover_models(make_connection("or", server.base_url), None)
    assert found.has_model_list and found.source == "models"
    assert len(found.models) == 400
    first = found.models[0]
    assert first.id == "anthropic/model-000"
    assert first.context_window == 4096
    # $0.0000001 per token on the wire is $0.10 per million tokens.
    assert first.input_price == pytest.approx(0.1)
    assert first.output_price == pytest.approx(0.4)
    assert found.models[399].input_price == pytest.approx(0.1 * (1 + 399 % 10))


async def test_anthropic_list_is_read_over_all_its_pages(fake_server: ServerFactory) -> None:
    models = [FakeModel(f"claude-test-{i:02d}", f"Claude Test {i}") for i in range(50)]
    server = fake_server(protocol="anthropic", models=models, page_size=20)
    connection = make_connection("ant", server.anthropic_base_url, protocol="anthropic")
    found = await discover_models(connection, "sk-test-key")
    assert [m.id for m in found.models] == [m.id for m in models]
    assert found.models[7].name == "Claude Test 7"
    pages = [r for r in server.requests if r.path == "/v1/models"]
    assert len(pages) == 3
    assert pages[1].query.get("after_id") == "claude-test-19"


async def test_ollama_tags_and_show_give_ids_and_context_lengths(
    fake_server: ServerFactory,
) -> None:
    models = [
        FakeModel("llama3.2:latest", context_window=131072),
        FakeModel("qwen2.5-coder:7b", context_window=32768),
        FakeModel("mystery:1b"),
    ]
    server = fake_server(models=models)
    connection = make_connection("ollama", server.base_url, preset="ollama")
    found = await discover_models(connection, None)
    assert found.source == "ollama"
    assert [(m.id, m.context_window) for m in found.models] == [
        ("llama3.2", 131072),
        ("qwen2.5-coder:7b", 32768),
        ("mystery:1b", None),
    ]
    assert found.models[0].extra.get("parameters") == "3.2B"
    shows = [r for r in server.requests if r.path == "/api/show"]
    assert sorted(r.json["model"] for r in shows) == sorted(m.id for m in models)
    assert not [r for r in server.requests if r.path == "/v1/models"]


async def test_a_local_server_listing_bare_ids_is_probed_for_ollama(
    fake_server: ServerFactory,
) -> None:
    server = fake_server(models=[FakeModel("gemma3:4b", context_window=8192)])
    found = await discover_models(make_connection("local", server.base_url), None)
    assert [(m.id, m.context_window) for m in found.models] == [("gemma3:4b", 8192)]
    assert [r.path for r in server.requests] == ["/v1/models", "/api/tags", "/api/show"]


async def test_server_without_model_list_is_not_an_error(no_list_server: GatedServer) -> None:
    found = await discover_models(make_connection("bare", no_list_server.base_url), None)
    assert not found.has_model_list
    assert found.models == ()
    assert "typed" in found.notes[0]
    assert "/v1/models" in no_list_server.paths and "/api/tags" in no_list_server.paths


async def test_an_unreachable_server_raises_a_provider_error() -> None:
    with pytest.raises(ProviderError) as caught:
        await discover_models(make_connection("down", closed_port_url()), None)
    assert caught.value.kind == ErrorKind.CANNOT_CONNECT


async def test_a_wrong_key_is_reported_not_hidden(fake_server: ServerFactory) -> None:
    server = fake_server(require_key="right-key")
    with pytest.raises(ProviderError) as caught:
        await discover_models(make_connection("auth", server.base_url), "wrong-key")
    assert caught.value.kind == ErrorKind.AUTHENTICATION


async def test_a_guessed_ollama_probe_never_carries_the_key(fake_server: ServerFactory) -> None:
    server = fake_server(models=[FakeModel("phi4:14b", context_window=16384)], model_list=None)
    connection = Connection(
        slug="proxy",
        name="Proxy",
        protocol="openai",
        base_url=server.base_url,
        auth=ApiKeyAuth(),
    )
    found = await discover_models(connection, "secret-proxy-key")
    assert [(m.id, m.context_window) for m in found.models] == [("phi4:14b", 16384)]
    by_path = {r.path: r.headers for r in server.requests}
    assert by_path["/v1/models"].get("authorization") == "Bearer secret-proxy-key"
    assert "authorization" not in by_path["/api/tags"]
    assert "authorization" not in by_path["/api/show"]


async def test_the_ollama_preset_sends_its_key_to_its_own_server(
    fake_server: ServerFactory,
) -> None:
    server = fake_server(models=[FakeModel("llama3.2:latest", context_window=131072)])
    connection = Connection(
        slug="remote-ollama",
        name="Remote Ollama",
        protocol="openai",
        preset="ollama",
        base_url=server.base_url,
        auth=ApiKeyAuth(),
    )
    await discover_models(connection, "proxy-token")
    tags = next(r for r in server.requests if r.path == "/api/tags")
    assert tags.headers.get("authorization") == "Bearer proxy-token"


async def test_ollama_show_requests_are_concurrent_but_bounded() -> None:
    """Twelve pulled models: /api/show runs at most SHOW_CONCURRENCY at a time, never all serially."""
    import asyncio

    import httpx

    from craft_tui.providers.discovery import SHOW_CONCURRENCY

    names = [f"model-{i}:latest" for i in range(12)]
    in_flight = 0
    most = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        if request.url.path == "/api/tags":
            return httpx.Response(200, json={"models": [{"name": n} for n in names]})
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        info = {"general.architecture": "qwen2", "qwen2.context_length": 40960}
        return httpx.Response(200, json={"model_info": info})

    connection = Connection(
        slug="ollama", name="Ollama", protocol="openai", preset="ollama",
        base_url="http://127.0.0.1:11434/v1", auth=NoAuth(),
    )  # fmt: skip
    found = await discover_models(
        connection,
        None,
        make_client=lambda c: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    assert [m.id for m in found.models] == [n.removesuffix(":latest") for n in names]
    assert all(m.context_window == 40960 for m in found.models)
    assert most == SHOW_CONCURRENCY
