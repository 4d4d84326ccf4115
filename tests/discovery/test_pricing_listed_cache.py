"""OpenRouter's model list gives each model's cache prices (`pricing.input_cache_read` and
`input_cache_write`, USD per token as strings, issue 19): discovery keeps them with the model, the
on-disk list keeps them, and an answer through OpenRouter is charged its reads and writes at
them: an anthropic/ model at its listed cache prices, not at the input price."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from craft_tui.chat.cost import answer_cost
from craft_tui.providers.discovery import discover_models
from craft_tui.providers.model_cache import CachedModels, load_cached, save_cached
from craft_tui.providers.pricing import resolve_pricing
from craft_tui.providers.types import Usage
from tests.providers.conftest import connection_for
from tests.servers import FakeModel
from tests.servers.fixtures import ServerFactory

# Listed above Anthropic's own price (no table price applies) and with cache prices of its own:
# $3.30 in, $16.50 out, reads $0.33, writes $4.125 per million.
LISTED = FakeModel(
    "anthropic/claude-sonnet-4.5",
    "Anthropic: Claude Sonnet 4.5",
    200_000,
    3.30,
    16.50,
    cache_read_price=0.33,
    cache_write_price=4.125,
)
PLAIN = FakeModel("qwen/qwen3-coder", "Qwen3 Coder", 262_144, 0.22, 0.95)
# OpenAI-style usage (OpenRouter): prompt_tokens holds the 10,000 read and the 2,000 written.
USAGE = Usage(input_tokens=12_100, output_tokens=50, cached_tokens=10_000, cache_write_tokens=2_000)
USD = (100 * 3.30 + 10_000 * 0.33 + 2_000 * 4.125 + 50 * 16.50) / 1e6  # $0.012705
USD_AT_INPUT = (12_100 * 3.30 + 50 * 16.50) / 1e6  # what it was charged before: $0.040755


async def test_listed_cache_prices_price_an_answer_through_openrouter(
    fake_server: ServerFactory,
) -> None:
    server = fake_server(models=[LISTED, PLAIN], model_list="openrouter")
    connection = connection_for(server, models=[])
    found = await discover_models(connection, None)
    by_id = {model.id: model for model in found.models}
    assert by_id[LISTED.id].extra["cache_read_price"] == "0.33"
    assert by_id[LISTED.id].extra["cache_write_price"] == "4.125"
    assert "cache_read_price" not in by_id[PLAIN.id].extra  # listed without: none kept
    save_cached(
        CachedModels(
            slug=connection.slug,
            base_url=connection.base_url,
            fetched_at=datetime.now(UTC),
            models=tuple(found.models),
        )
    )
    cached = load_cached(connection)
    assert cached is not None and {m.id: m.extra for m in cached.models}[LISTED.id] == {
        **by_id[LISTED.id].extra
    }

    cost = answer_cost(connection, LISTED.id, USAGE)
    assert cost.usd is not None and math.isclose(cost.usd, USD), cost.usd
    assert not math.isclose(cost.usd, USD_AT_INPUT)
    # A model listed without cache prices: its reads and writes at its input price.
    plain = answer_cost(connection, PLAIN.id, USAGE)
    assert plain.usd is not None and math.isclose(plain.usd, (12_100 * 0.22 + 50 * 0.95) / 1e6)


def test_listed_cache_prices_win_and_the_table_fills_what_the_list_leaves_out() -> None:
    from tests.discovery.test_pricing import _connection

    gateway = _connection("https://openrouter.ai/api/v1")
    # At Anthropic's list input price, with only a read price listed: the write price is the
    # table's (1.25 × input), the read price the list's.
    pricing = resolve_pricing(
        gateway,
        "anthropic/claude-sonnet-4.5",
        provider_input=3.0,
        provider_output=15.0,
        provider_cache_read=0.25,
    )
    assert pricing.price is not None
    assert (pricing.price.cache_read, pricing.price.cache_write) == (0.25, 3.75)
    assert pricing.price.source == "provider"
