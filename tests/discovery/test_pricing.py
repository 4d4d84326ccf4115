"""Prices per model and the cost of an answer, with real list prices."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from craft_tui.chat.cost import (
    Cost,
    answer_cost,
    answer_cost_usd,
    cost_usd,
    format_cost,
    format_total,
    message_cost,
    total_cost,
)
from craft_tui.config.schema import Connection, ModelEntry, NoAuth
from craft_tui.providers.model_cache import CachedModels, save_cached
from craft_tui.providers.pricing import (
    BUILTIN_PRICES,
    PRICES_AS_OF,
    Price,
    Pricing,
    builtin_price,
    resolve_pricing,
)
from craft_tui.providers.types import ModelInfo, Usage


def _connection(base_url: str, *models: ModelEntry, protocol: str = "openai") -> Connection:
    return Connection(
        slug="c",
        name="C",
        protocol=protocol,  # type: ignore[arg-type]
        base_url=base_url,
        auth=NoAuth(),
        models=list(models),
    )


ANTHROPIC = _connection("https://api.anthropic.com", protocol="anthropic")
OPENAI = _connection("https://api.openai.com/v1")
OLLAMA = _connection("http://localhost:11434/v1")


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("claude-sonnet-4-5-20250929", (3.0, 15.0, 0.30)),
        ("claude-sonnet-4-5", (3.0, 15.0, 0.30)),
        ("anthropic/claude-sonnet-4.5", (3.0, 15.0, 0.30)),
        ("claude-opus-4-1-20250805", (15.0, 75.0, 1.50)),
        ("claude-opus-4-5-20251101", (5.0, 25.0, 0.50)),
        ("claude-3-5-haiku-latest", (0.80, 4.0, 0.08)),
        ("claude-3-haiku-20240307", (0.25, 1.25, 0.03)),
        ("claude-haiku-4-5", (1.0, 5.0, 0.10)),
        ("gpt-4o-2024-08-06", (2.50, 10.0, 1.25)),
        ("gpt-4o-mini", (0.15, 0.60, 0.075)),
        ("openai/gpt-4.1", (2.0, 8.0, 0.50)),
        ("gpt-5", (1.25, 10.0, 0.125)),
        ("gpt-5-mini-2025-08-07", (0.25, 2.0, 0.025)),
        ("o4-mini", (1.10, 4.40, 0.275)),
        ("o3", (2.0, 8.0, 0.50)),
    ],
)
def test_builtin_table_prices_native_models_however_the_id_is_written(
    model_id: str, expected: tuple[float, float, float]
) -> None:
    price = builtin_price(model_id)
    assert price is not None
    assert (price.input, price.output, price.cache_read) == expected


@pytest.mark.parametrize(
    "model_id", ["gpt-4o-audio-preview", "meta-llama/llama-3.3-70b", "mistral/gpt-4o", "llama3.2"]
)
def test_unknown_or_foreign_models_have_no_builtin_price(model_id: str) -> None:
    assert builtin_price(model_id) is None


def test_builtin_table_is_dated_and_sane() -> None:
    assert PRICES_AS_OF.year >= 2025
    for model_id, price in BUILTIN_PRICES.items():
        assert 0 < price.input <= price.output, model_id
        assert price.cache_read is None or price.cache_read < price.input, model_id


def test_config_price_overrides_provider_and_table() -> None:
    connection = _connection(
        "https://api.openai.com/v1", ModelEntry(id="gpt-4o", input_price=1.0, output_price=4.0)
    )
    pricing = resolve_pricing(connection, "gpt-4o", provider_input=2.5, provider_output=10.0)
    assert pricing.price == Price(1.0, 4.0, None, "config")


def test_half_a_config_price_keeps_the_other_half() -> None:
    connection = _connection("https://api.openai.com/v1", ModelEntry(id="gpt-4o", output_price=8.0))
    pricing = resolve_pricing(connection, "gpt-4o")
    assert pricing.price == Price(2.50, 8.0, 1.25, "config")


def test_provider_list_price_beats_the_builtin_table() -> None:
    gateway = _connection("https://openrouter.ai/api/v1")
    pricing = resolve_pricing(gateway, "openai/gpt-4o", provider_input=3.0, provider_output=12.0)
    assert pricing.price == Price(3.0, 12.0, None, "provider")  # not the list's cache price
    same = resolve_pricing(gateway, "openai/gpt-4o", provider_input=2.5, provider_output=10.0)
    assert same.price == Price(2.5, 10.0, 1.25, "provider")


def test_native_connections_fall_back_to_the_builtin_table() -> None:
    assert resolve_pricing(ANTHROPIC, "claude-sonnet-4-20250514").price == Price(
        3.0, 15.0, 0.30, "built-in", cache_write=3.75
    )


def test_local_server_is_local_not_free_and_unknown_stays_unknown() -> None:
    local = resolve_pricing(OLLAMA, "llama3.2")
    assert local.local and local.price is None
    assert resolve_pricing(OLLAMA, "gpt-4o").local  # even a familiar id costs nothing here
    unknown = resolve_pricing(OPENAI, "some-new-model")
    assert not unknown.known


def test_cost_of_an_anthropic_answer_with_cache_reads() -> None:
    # claude-sonnet-4-5: $3 in, $15 out, $0.30 cached input, per million tokens.
    pricing = resolve_pricing(ANTHROPIC, "claude-sonnet-4-5-20250929")
    usage = Usage(input_tokens=12_000, output_tokens=800, cached_tokens=10_000)
    expected = (2_000 * 3.0 + 10_000 * 0.30 + 800 * 15.0) / 1_000_000  # 0.021
    assert math.isclose(message_cost(usage, pricing).usd or 0, expected)
    assert format_cost(expected) == "$0.021"


def test_cost_counts_reasoning_inside_output_and_alone_when_nothing_else() -> None:
    pricing = resolve_pricing(OPENAI, "o4-mini")
    with_output = Usage(input_tokens=1_000, output_tokens=3_000, reasoning_tokens=2_500)
    assert math.isclose(cost_usd(with_output, pricing) or 0, (1_000 * 1.10 + 3_000 * 4.40) / 1e6)
    only_reasoning = Usage(input_tokens=0, reasoning_tokens=2_000)
    assert math.isclose(cost_usd(only_reasoning, pricing) or 0, 2_000 * 4.40 / 1e6)


def test_cached_tokens_cost_the_input_price_when_no_cache_price_is_known() -> None:
    pricing = Pricing(Price(1.0, 2.0))
    usage = Usage(input_tokens=1_000_000, output_tokens=0, cached_tokens=400_000)
    assert cost_usd(usage, pricing) == 1.0


def test_server_reported_cost_wins() -> None:
    pricing = resolve_pricing(OPENAI, "gpt-4o")
    usage = Usage(input_tokens=1_000, output_tokens=1_000, cost_usd=0.000321)
    cost = message_cost(usage, pricing)
    assert cost.usd == 0.000321 and cost.from_server
    assert str(cost) == "$0.000321"


def test_local_and_unknown_costs_are_words() -> None:
    usage = Usage(input_tokens=10, output_tokens=10)
    assert str(message_cost(usage, resolve_pricing(OLLAMA, "llama3.2"))) == "local"
    assert str(message_cost(usage, resolve_pricing(OPENAI, "mystery"))) == "—"
    assert message_cost(Usage(), resolve_pricing(OPENAI, "gpt-4o")).usd is None


@pytest.mark.parametrize(
    ("usd", "text"),
    [
        (0.001234, "$0.001234"),
        (0.0012344, "$0.001234"),
        (1.23456, "$1.235"),
        (12.3456, "$12.35"),
        (0.5, "$0.50"),
        (2.0, "$2.00"),
        (0.0000004567, "$0.0000004567"),
        (1234.56, "$1,235"),
        (0.0, "$0.00"),
    ],
)
def test_format_cost_shows_four_significant_digits(usd: float, text: str) -> None:
    assert format_cost(usd) == text


def test_format_cost_words() -> None:
    assert format_cost(None) == "—"
    assert format_cost(None, local=True) == "local"


def test_conversation_total_sums_known_costs_and_flags_gaps() -> None:
    assert format_total(total_cost([Cost(0.001), Cost(0.0025)])) == "$0.0035"
    assert format_total(total_cost([Cost(local=True), Cost(local=True)])) == "local"
    assert format_total(total_cost([Cost(0.01), Cost(local=True)])) == "$0.01"
    assert format_total(total_cost([Cost(0.01), Cost()])) == "≥$0.01"
    assert format_total(total_cost([Cost(), Cost(local=True)])) == "—"
    assert format_total(total_cost([])) == "—"


def test_answer_cost_counts_anthropic_cache_reads_on_top_of_input() -> None:
    # Anthropic's input_tokens excludes cache_read_input_tokens; OpenAI's prompt_tokens includes them.
    anthropic_usage = Usage(input_tokens=2_000, output_tokens=800, cached_tokens=10_000)
    cost = answer_cost(ANTHROPIC, "claude-sonnet-4-5-20250929", anthropic_usage)
    assert math.isclose(cost.usd or 0, (2_000 * 3.0 + 10_000 * 0.30 + 800 * 15.0) / 1e6)
    openai_usage = Usage(input_tokens=12_000, output_tokens=800, cached_tokens=10_000)
    cost = answer_cost(OPENAI, "gpt-4.1", openai_usage)
    assert math.isclose(cost.usd or 0, (2_000 * 2.0 + 10_000 * 0.50 + 800 * 8.0) / 1e6)


def test_answer_cost_uses_prices_from_the_cached_model_list() -> None:
    gateway = _connection("https://openrouter.ai/api/v1")
    save_cached(
        CachedModels(
            slug=gateway.slug,
            base_url=gateway.base_url,
            fetched_at=datetime.now(UTC),
            models=(ModelInfo("qwen/qwen3-coder", input_price=0.22, output_price=0.95),),
        )
    )
    usage = Usage(input_tokens=100_000, output_tokens=10_000)
    assert math.isclose(answer_cost_usd(gateway, "qwen/qwen3-coder", usage) or 0, 0.022 + 0.0095)
    assert answer_cost_usd(gateway, "not/listed", usage) is None
    assert answer_cost_usd(OLLAMA, "llama3.2", usage) is None
    assert str(answer_cost(OLLAMA, "llama3.2", usage)) == "local"
