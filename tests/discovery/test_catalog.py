"""The model catalog: cached lists at once, merged with hand-typed models, refreshed in the
background a few connections at a time, failures kept per connection."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from craft_tui.config.schema import ApiKeyAuth, Config, Connection, ModelEntry, Settings
from craft_tui.providers.catalog import ModelCatalog, default_pricer, merge_models
from craft_tui.providers.discovery import Discovery
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.model_cache import CachedModels, cache_path, load_cached, save_cached
from craft_tui.providers.types import ModelInfo
from tests.discovery.conftest import GatedServer, make_connection
from tests.servers import FakeModel
from tests.servers.fixtures import ServerFactory
from tests.waiting import until

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _cache(connection: Connection, *models: ModelInfo, age_hours: float = 1) -> None:
    save_cached(
        CachedModels(
            slug=connection.slug,
            base_url=connection.base_url,
            fetched_at=NOW - timedelta(hours=age_hours),
            models=models,
        )
    )


def test_hand_typed_models_come_first_and_their_metadata_wins() -> None:
    connection = make_connection(
        "gw",
        "https://gw.example.com/v1",
        ModelEntry(id="vendor/a", name="My A", input_price=1.0, output_price=2.0),
        "typo-model",
        default_model="vendor/a",
    )
    listed = [
        ModelInfo("vendor/b", "B", 8000, 0.5, 1.5),
        ModelInfo("vendor/a", "A", 128000, 3.0, 15.0),
    ]
    entries = merge_models(connection, listed)
    assert [(e.model_id, e.source, e.listed) for e in entries] == [
        ("vendor/a", "manual", True),
        ("typo-model", "manual", False),
        ("vendor/b", "discovered", True),
    ]
    a, _, b = entries
    assert (a.name, a.context_window, a.input_price, a.output_price) == ("My A", 128000, 1.0, 2.0)
    assert a.price_source == "config" and a.is_default
    assert (b.input_price, b.output_price, b.price_source) == (0.5, 1.5, "provider")


def test_native_models_get_builtin_prices_and_local_ones_are_local() -> None:
    anthropic = make_connection("ant", "https://api.anthropic.com", protocol="anthropic")
    [entry] = merge_models(anthropic, [ModelInfo("claude-sonnet-4-5-20250929")])
    assert (entry.input_price, entry.output_price, entry.price_source) == (3.0, 15.0, "built-in")
    ollama = make_connection("ollama", "http://localhost:11434/v1", preset="ollama")
    [local] = merge_models(ollama, [ModelInfo("llama3.2:latest")])
    assert local.is_local and local.input_price is None


@pytest.mark.parametrize(
    ("base_url", "priced"),
    [
        ("https://gw.example.com/v1", True),  # a gateway listing prices: read a column at a time
        ("https://gw.example.com/v1", False),  # no prices: the built-in table, model by model
        ("http://localhost:11434/v1", False),  # a local server without prices: "local"
    ],
)
def test_a_big_cached_list_merges_as_one_model_at_a_time_would(base_url: str, priced: bool) -> None:
    """50,000 listed models, one of them typed and one the default: the entries read from the
    cache file are the ones the rule gives model by model (a pricer that is not the default one
    takes that path), in the same order."""
    connection = make_connection(
        "gw", base_url, ModelEntry(id="vendor/m-7", name="Mine"), default_model="openai/gpt-4o"
    )
    ids = [f"vendor/m-{n}" for n in range(50_000)] + ["openai/gpt-4o", "anthropic/claude-3-haiku"]
    models = tuple(
        ModelInfo(i, f"Model {n}", 8192, n % 5 * 0.5 if priced else None, 1.0 if priced else None)
        for n, i in enumerate(ids)
    )
    _cache(connection, *models)
    cached = load_cached(connection)
    assert cached is not None
    fast = merge_models(connection, cached.models)

    def same_prices(*args: object) -> tuple[float | None, float | None, str | None, bool]:
        return default_pricer(*args)  # type: ignore[arg-type]

    assert fast == merge_models(connection, models, pricer=same_prices)
    assert len(fast) == 50_002 and fast[0].model_id == "vendor/m-7" and fast[0].name == "Mine"
    assert [e.model_id for e in fast if e.is_default] == ["openai/gpt-4o"]


def test_ollama_latest_tag_and_bare_name_are_one_model() -> None:
    connection = make_connection("ollama", "http://localhost:11434/v1", "llama3.2")
    entries = merge_models(connection, [ModelInfo("llama3.2", context_window=131072)])
    assert [(e.model_id, e.context_window, e.listed) for e in entries] == [
        ("llama3.2", 131072, True)
    ]


def test_load_reads_caches_without_any_network() -> None:
    a = make_connection("a", "http://127.0.0.1:9/v1", "typed-a")
    b = make_connection("b", "http://127.0.0.1:9/v1")
    _cache(a, ModelInfo("listed-a"))
    calls: list[str] = []

    async def discover(connection: Connection, key: str | None) -> Discovery:
        calls.append(connection.slug)
        return Discovery(())

    catalog = ModelCatalog(Config(connections=[a, b]), discover=discover, now=lambda: NOW)
    assert [e.key for e in catalog.entries] == ["a/typed-a", "a/listed-a"]
    assert catalog.status("a").cached and not catalog.status("b").cached
    assert calls == []
    assert [c.slug for c in catalog.stale_connections()] == ["b"]


def test_a_corrupt_cache_is_ignored_then_rebuilt_by_a_refresh() -> None:
    connection = make_connection("c", "http://127.0.0.1:9/v1", "typed")
    path = cache_path("c")
    path.parent.mkdir(parents=True)
    path.write_text('{"format": 1, "models": [oops')

    async def discover(connection: Connection, key: str | None) -> Discovery:
        return Discovery((ModelInfo("fresh"),))

    catalog = ModelCatalog(Config(connections=[connection]), discover=discover)
    assert [e.model_id for e in catalog.entries] == ["typed"]
    assert catalog.is_stale("c")
    asyncio.run(catalog.refresh("c"))
    assert [e.model_id for e in catalog.entries] == ["typed", "fresh"]
    rebuilt = load_cached(connection)
    assert rebuilt is not None and [m.id for m in rebuilt.models] == ["fresh"]


async def test_refresh_stale_only_fetches_old_lists_a_few_at_a_time() -> None:
    connections = [make_connection(f"c{i}", f"http://127.0.0.1:9/v{i + 1}") for i in range(6)]
    _cache(connections[0], ModelInfo("fresh"), age_hours=1)
    _cache(connections[1], ModelInfo("old"), age_hours=48)
    running = 0
    most = 0
    fetched: list[str] = []

    async def discover(connection: Connection, key: str | None) -> Discovery:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.01)
        running -= 1
        fetched.append(connection.slug)
        return Discovery((ModelInfo(f"{connection.slug}-model"),))

    config = Config(settings=Settings(model_cache_hours=24), connections=connections)
    catalog = ModelCatalog(config, discover=discover, max_concurrency=2, now=lambda: NOW)
    results = await catalog.refresh_stale()
    assert sorted(fetched) == ["c1", "c2", "c3", "c4", "c5"]
    assert most == 2
    assert set(results) == {"c1", "c2", "c3", "c4", "c5"}
    assert [e.model_id for e in catalog.entries_for("c0")] == ["fresh"]
    assert [e.model_id for e in catalog.entries_for("c1")] == ["c1-model"]
    fetched.clear()
    await catalog.refresh_stale(force=True)
    assert len(fetched) == 6


async def test_two_refreshes_of_one_connection_share_one_request() -> None:
    connection = make_connection("one", "http://127.0.0.1:9/v1")
    calls = 0
    gate = asyncio.Event()

    async def discover(connection: Connection, key: str | None) -> Discovery:
        nonlocal calls
        calls += 1
        await gate.wait()
        return Discovery((ModelInfo("m"),))

    catalog = ModelCatalog(Config(connections=[connection]), discover=discover)
    first = asyncio.ensure_future(catalog.refresh("one"))
    second = asyncio.ensure_future(catalog.refresh("one"))
    await until(lambda: calls, "the first refresh starting")  # both have started by then
    assert catalog.status("one").refreshing
    gate.set()
    await asyncio.gather(first, second)
    assert calls == 1 and not catalog.status("one").refreshing


async def test_a_failed_refresh_keeps_the_old_list_and_says_why() -> None:
    connection = make_connection("flaky", "http://127.0.0.1:9/v1")
    _cache(connection, ModelInfo("cached-model"), age_hours=100)

    async def discover(connection: Connection, key: str | None) -> Discovery:
        raise ProviderError(ErrorKind.CANNOT_CONNECT, "Cannot connect to 127.0.0.1:9.", "Start it.")

    changes: list[str] = []
    catalog = ModelCatalog(Config(connections=[connection]), discover=discover)
    catalog.add_listener(changes.append)
    status = await catalog.refresh("flaky")
    assert status.error is not None and status.error.kind == ErrorKind.CANNOT_CONNECT
    assert [e.model_id for e in catalog.entries] == ["cached-model"]
    assert changes == ["flaky", "flaky"]  # started, finished


async def test_an_unexpected_exception_becomes_a_status_not_a_crash() -> None:
    connection = make_connection("odd", "http://127.0.0.1:9/v1", "typed")

    async def discover(connection: Connection, key: str | None) -> Discovery:
        raise RuntimeError("boom")

    catalog = ModelCatalog(Config(connections=[connection]), discover=discover)
    status = await catalog.refresh("odd")
    assert status.error is not None and status.error.kind == ErrorKind.UNKNOWN
    assert [e.model_id for e in catalog.entries] == ["typed"]


async def test_a_missing_key_is_reported_for_that_connection_only() -> None:
    connection = Connection(
        slug="keyed",
        name="Keyed",
        protocol="openai",
        base_url="http://127.0.0.1:9/v1",
        auth=ApiKeyAuth(api_key_env="CRAFT_TEST_UNSET_KEY"),
    )

    async def discover(connection: Connection, key: str | None) -> Discovery:
        raise AssertionError("must not be called without a key")

    catalog = ModelCatalog(Config(connections=[connection]), discover=discover)
    status = await catalog.refresh("keyed")
    assert status.error is not None and status.error.kind == ErrorKind.MISSING_KEY
    assert "CRAFT_TEST_UNSET_KEY" in status.error.message


async def test_cached_list_is_served_while_a_slow_server_has_not_answered(
    gated_server: GatedServer,
) -> None:
    connection = make_connection("slow", gated_server.base_url)
    _cache(connection, ModelInfo("cached-1"), ModelInfo("cached-2"), age_hours=1000)
    catalog = ModelCatalog(Config(connections=[connection]))
    refresh = asyncio.ensure_future(catalog.refresh_stale())
    await asyncio.to_thread(gated_server.arrived.wait, 10)  # the request is at the server...
    assert [e.model_id for e in catalog.entries] == ["cached-1", "cached-2"]  # ...cache served
    assert catalog.status("slow").refreshing
    gated_server.release()
    await asyncio.wait_for(refresh, 10)
    assert [e.model_id for e in catalog.entries] == ["slow-a", "slow-b"]


async def test_refresh_against_a_loopback_openrouter_and_search(fake_server: ServerFactory) -> None:
    models = [
        FakeModel("anthropic/claude-sonnet-4.5", "Anthropic: Claude Sonnet 4.5", 1_000_000, 3, 15),
        FakeModel("anthropic/claude-3.5-haiku", "Anthropic: Claude 3.5 Haiku", 200_000, 0.8, 4),
        FakeModel("openai/gpt-4o-mini", "OpenAI: GPT-4o-mini", 128_000, 0.15, 0.6),
    ]
    server = fake_server(models=models, model_list="openrouter")
    connection = make_connection("openrouter", server.base_url)
    catalog = ModelCatalog(Config(connections=[connection]))
    await catalog.refresh("openrouter")
    [(best, match), *_] = catalog.search("cl so 4")
    assert best.model_id == "anthropic/claude-sonnet-4.5"
    assert (best.input_price, best.output_price, best.context_window) == (3, 15, 1_000_000)
    highlighted = "".join(best.search_text[i] for i in match.positions)
    assert highlighted == "clso4"
    reloaded = ModelCatalog.load(Config(connections=[connection]))
    assert [e.model_id for e in reloaded.entries] == [m.id for m in models]


@pytest.mark.parametrize("hours", [0.0, 24.0])
def test_cache_hours_setting_decides_staleness(hours: float) -> None:
    connection = make_connection("s", "http://127.0.0.1:9/v1")
    _cache(connection, ModelInfo("m"), age_hours=1)
    config = Config(settings=Settings(model_cache_hours=hours), connections=[connection])
    catalog = ModelCatalog(config, now=lambda: NOW)
    assert catalog.is_stale("s") is (hours == 0.0)


def test_update_config_follows_added_removed_and_edited_connections() -> None:
    kept = make_connection("kept", "https://kept.example.com/v1", "k1")
    moved = make_connection("moved", "https://old.example.com/v1")
    gone = make_connection("gone", "https://gone.example.com/v1", "g1")
    _cache(moved, ModelInfo("from-old-url"))
    catalog = ModelCatalog(Config(connections=[kept, moved, gone]))
    assert [e.key for e in catalog.entries] == ["kept/k1", "moved/from-old-url", "gone/g1"]

    edited = kept.model_copy(update={"models": [ModelEntry(id="k1"), ModelEntry(id="k2")]})
    moved_now = moved.model_copy(update={"base_url": "https://new.example.com/v1"})
    added = make_connection("added", "https://added.example.com/v1", "a1")
    catalog.update_config(Config(connections=[edited, moved_now, added]))
    assert [e.key for e in catalog.entries] == ["kept/k1", "kept/k2", "added/a1"]
    assert catalog.status("moved").fetched_at is None  # that list belonged to the old URL
    assert [e.model_id for e, _ in catalog.search("k2")] == ["k2"]


async def test_aload_reads_the_caches_in_a_thread() -> None:
    connection = make_connection("t", "https://t.example.com/v1")
    _cache(connection, ModelInfo("threaded"))
    catalog = await ModelCatalog.aload(Config(connections=[connection]))
    assert [e.model_id for e in catalog.entries] == ["threaded"]
