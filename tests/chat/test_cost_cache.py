"""The cost of an answer that read from and wrote to the prompt cache: reads at the cache-read
price, writes at the cache-write price, counted the way each protocol reports them."""

from __future__ import annotations

import math

from craft_tui.chat.cost import answer_cost, message_cost
from craft_tui.config.schema import Connection, ModelEntry, NoAuth
from craft_tui.providers.pricing import BUILTIN_PRICES, Price, Pricing, builtin_price
from craft_tui.providers.types import Usage


def _connection(base_url: str, protocol: str, *models: ModelEntry) -> Connection:
    return Connection(
        slug="c",
        name="C",
        protocol=protocol,  # type: ignore[arg-type]
        base_url=base_url,
        auth=NoAuth(),
        models=list(models),
    )


ANTHROPIC = _connection("https://api.anthropic.com", "anthropic")
# claude-sonnet-4-5 per million tokens: $3 input, $15 output, $0.30 cache read, $3.75 cache write.
SONNET_USD = (100 * 3.0 + 10_000 * 0.30 + 2_000 * 3.75 + 50 * 15.0) / 1e6


def test_anthropic_list_prices_write_at_one_and_a_quarter_and_read_at_a_tenth() -> None:
    for model_id, price in BUILTIN_PRICES.items():
        if model_id.startswith("claude"):
            assert price.cache_write is not None and price.cache_read is not None, model_id
            assert math.isclose(price.cache_write, price.input * 1.25), model_id
            assert price.cache_read <= price.input * 0.12, model_id
        else:
            assert price.cache_write is None, model_id  # OpenAI bills no cache writes
    sonnet = builtin_price("anthropic/claude-sonnet-4.5")
    assert sonnet is not None and (sonnet.cache_read, sonnet.cache_write) == (0.30, 3.75)


def test_anthropic_answer_pays_reads_and_writes_on_top_of_input() -> None:
    # Anthropic's input_tokens leaves out cache_read_input_tokens and cache_creation_input_tokens.
    usage = Usage(
        input_tokens=100, output_tokens=50, cached_tokens=10_000, cache_write_tokens=2_000
    )
    cost = answer_cost(ANTHROPIC, "claude-sonnet-4-5-20250929", usage)
    assert math.isclose(cost.usd or 0, SONNET_USD)


def test_openai_style_usage_counts_reads_and_writes_inside_the_prompt() -> None:
    # OpenRouter's prompt_tokens holds the cached and written tokens; the same answer, same cost.
    native = _connection("https://api.anthropic.com", "openai")
    usage = Usage(
        input_tokens=12_100, output_tokens=50, cached_tokens=10_000, cache_write_tokens=2_000
    )
    cost = answer_cost(native, "claude-sonnet-4-5", usage)
    assert math.isclose(cost.usd or 0, SONNET_USD)


def test_counts_that_add_up_to_more_than_the_prompt_are_capped() -> None:
    pricing = Pricing(Price(1.0, 0.0, 0.1, "built-in", 1.25))
    usage = Usage(input_tokens=1_000, output_tokens=0, cached_tokens=800, cache_write_tokens=900)
    cost = message_cost(usage, pricing, cached_in_input=True)
    assert math.isclose(cost.usd or 0, (800 * 0.1 + 200 * 1.25) / 1e6)


def test_writes_cost_the_input_price_when_no_write_price_is_known() -> None:
    pricing = Pricing(Price(2.0, 8.0, 0.5))
    usage = Usage(input_tokens=0, output_tokens=0, cached_tokens=0, cache_write_tokens=1_000_000)
    assert message_cost(usage, pricing, cached_in_input=False).usd == 2.0


def test_a_typed_price_that_differs_from_the_list_does_not_borrow_its_cache_prices() -> None:
    typed = _connection(
        "https://api.anthropic.com",
        "anthropic",
        ModelEntry(id="claude-sonnet-4-5", input_price=2.0, output_price=10.0),
    )
    usage = Usage(input_tokens=0, output_tokens=0, cached_tokens=0, cache_write_tokens=1_000_000)
    assert answer_cost(typed, "claude-sonnet-4-5", usage).usd == 2.0
    listed = _connection(
        "https://api.anthropic.com",
        "anthropic",
        ModelEntry(id="claude-sonnet-4-5", input_price=3.0, output_price=12.0),
    )
    assert answer_cost(listed, "claude-sonnet-4-5", usage).usd == 3.75


def test_a_cost_the_server_states_wins_over_cache_counts() -> None:
    usage = Usage(
        input_tokens=12_100,
        output_tokens=50,
        cached_tokens=10_000,
        cache_write_tokens=2_000,
        cost_usd=0.0042,
    )
    cost = answer_cost(_connection("https://openrouter.ai/api/v1", "openai"), "x/y", usage)
    assert cost.usd == 0.0042 and cost.from_server
