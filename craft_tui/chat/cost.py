"""The cost of an answer and of a conversation, and how to write it for a person.

Input read from the prompt cache (`cached_tokens`) is charged at the cache-read price, input
written to it (`cache_write_tokens`) at the cache-write price (Anthropic: 0.1× and 1.25× input),
each at the plain input price when its own is not known. The two protocols count them
differently, and the drivers pass the numbers through as the server sent them: OpenAI's
`prompt_tokens` (our `input_tokens`) *includes* cache reads and writes, while Anthropic's
`input_tokens` *excludes* `cache_read_input_tokens` and `cache_creation_input_tokens`.
`answer_cost` knows which is which from the connection's protocol entry
(`WireProtocol.cached_in_input`). `output_tokens` already
includes reasoning tokens on both APIs; `reasoning_tokens` alone is used only when a server reports
nothing else. When the server states the cost itself (OpenRouter's `usage.cost`), that figure wins:
it knows discounts and routing we cannot see.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from craft_tui.config.protocols import get_protocol
from craft_tui.config.schema import Connection
from craft_tui.providers.pricing import Pricing, resolve_pricing
from craft_tui.providers.types import Usage

LOCAL = "local"
UNKNOWN = "—"

_PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class Cost:
    """One answer's cost: `usd` when known; `local` for a free local server; neither means unknown."""

    usd: float | None = None
    local: bool = False
    from_server: bool = False

    @property
    def known(self) -> bool:
        return self.usd is not None

    def __str__(self) -> str:
        return format_cost(self.usd, local=self.local)


def message_cost(usage: Usage, pricing: Pricing, *, cached_in_input: bool = True) -> Cost:
    """Price one answer's usage.

    `cached_in_input`: True when `input_tokens` already counts the tokens read from and written
    to the cache (OpenAI), False when they come on top (Anthropic).
    """
    if usage.cost_usd is not None:
        return Cost(max(usage.cost_usd, 0.0), from_server=True)
    if pricing.local and pricing.price is None:
        return Cost(local=True)
    price = pricing.price
    output = usage.output_tokens
    if output is None:
        output = usage.reasoning_tokens
    if price is None or (usage.input_tokens is None and output is None):
        return Cost()
    plain = max(usage.input_tokens or 0, 0)
    read = max(usage.cached_tokens or 0, 0)
    written = max(usage.cache_write_tokens or 0, 0)
    if cached_in_input:  # a server's parts never add up to more than its total
        read = min(read, plain)
        written = min(written, plain - read)
        plain -= read + written
    read_price = price.cache_read if price.cache_read is not None else price.input
    write_price = price.cache_write if price.cache_write is not None else price.input
    usd = (
        plain * price.input
        + read * read_price
        + written * write_price
        + max(output or 0, 0) * price.output
    ) / _PER_MILLION
    return Cost(usd)


def cost_usd(usage: Usage, pricing: Pricing, *, cached_in_input: bool = True) -> float | None:
    """The figure to store on a message: USD, or None when local or unknown."""
    return message_cost(usage, pricing, cached_in_input=cached_in_input).usd


def answer_cost(connection: Connection, model_id: str, usage: Usage) -> Cost:
    """The cost of one answer from `model_id` on `connection`, with the prices the model list
    carried (from the on-disk cache), the config's overrides and the built-in table."""
    listed = _listed_prices(connection, model_id)
    pricing = resolve_pricing(
        connection,
        model_id,
        provider_input=listed[0],
        provider_output=listed[1],
        provider_cache_read=listed[2],
        provider_cache_write=listed[3],
    )
    cached_in_input = get_protocol(connection.protocol).cached_in_input
    return message_cost(usage, pricing, cached_in_input=cached_in_input)


def answer_cost_usd(connection: Connection, model_id: str, usage: Usage) -> float | None:
    """`cost_fn` for the chat session: USD to store on the message, None when local/unknown."""
    return answer_cost(connection, model_id, usage).usd


_Listed = tuple[float | None, float | None, float | None, float | None]


def _listed_prices(connection: Connection, model_id: str) -> _Listed:
    """Input, output, cache-read and cache-write prices of the cached model list (OpenRouter
    lists cache prices per model: `pricing.input_cache_read` / `input_cache_write`)."""
    from craft_tui.providers.discovery import ollama_model_id
    from craft_tui.providers.model_cache import load_cached

    cached = load_cached(connection)
    if cached is None:
        return None, None, None, None
    wanted = ollama_model_id(model_id)
    for model in cached.models:
        if model.id == model_id or ollama_model_id(model.id) == wanted:
            read = write = None
            if model.extra:
                from craft_tui.providers.openai_chat import listed_cache_prices

                read, write = listed_cache_prices(model.extra)
            return model.input_price, model.output_price, read, write
    return None, None, None, None


@dataclass(frozen=True, slots=True)
class CostTotal:
    """A conversation's cost: the sum of what is known, and how many answers were local or unknown."""

    usd: float = 0.0
    known: int = 0
    local: int = 0
    unknown: int = 0

    def add(self, cost: Cost) -> CostTotal:
        if cost.usd is not None:
            return CostTotal(self.usd + cost.usd, self.known + 1, self.local, self.unknown)
        if cost.local:
            return CostTotal(self.usd, self.known, self.local + 1, self.unknown)
        return CostTotal(self.usd, self.known, self.local, self.unknown + 1)

    def __str__(self) -> str:
        return format_total(self)


def total_cost(costs: Iterable[Cost]) -> CostTotal:
    """Sum many answers' costs."""
    total = CostTotal()
    for cost in costs:
        total = total.add(cost)
    return total


def format_cost(usd: float | None, *, local: bool = False) -> str:
    """`$0.001234`, `$1.235`, `$12.35`: four significant digits, at least two decimals; `$1,235`.

    `local` (a free local server) and `—` (no price known) are words, never a misleading `$0.00`.
    """
    if usd is None:
        return LOCAL if local else UNKNOWN
    if usd <= 0 or not math.isfinite(usd):
        return "$0.00"
    if usd >= 1000:
        return f"${usd:,.0f}"  # whole dollars: cents stop mattering here
    rounded = float(f"{usd:.4g}")
    decimals = max(3 - math.floor(math.log10(rounded)), 0)
    text = f"{rounded:,.{decimals}f}"
    if "." in text:
        whole, fraction = text.split(".")
        fraction = fraction.rstrip("0").ljust(2, "0")
        text = f"{whole}.{fraction}"
    else:
        text += ".00"
    return "$" + text


def format_total(total: CostTotal) -> str:
    """A conversation's cost; `≥` marks a sum that leaves out answers with no known price."""
    if total.known == 0:
        return LOCAL if total.local and not total.unknown else UNKNOWN
    text = format_cost(total.usd)
    return "≥" + text if total.unknown else text
