"""The cost of an answer and of a conversation, and how to write it for a person.

`Usage.input_tokens` counts every prompt token, cached ones included (OpenAI's `prompt_tokens`; the
Anthropic driver adds `cache_read_input_tokens` into it), and `cached_tokens` says how many of them
were read from the cache, charged at the cache price when one is known. `output_tokens` already
includes reasoning tokens on both APIs; `reasoning_tokens` alone is used only when a server reports
nothing else. When the server states the cost itself (OpenRouter's `usage.cost`), that figure wins:
it knows discounts and routing we cannot see.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from craft_tui.chat.pricing import Pricing
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


def message_cost(usage: Usage, pricing: Pricing) -> Cost:
    """Price one answer's usage."""
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
    prompt = max(usage.input_tokens or 0, 0)
    cached = min(max(usage.cached_tokens or 0, 0), prompt)
    cache_price = price.cache_read if price.cache_read is not None else price.input
    usd = (
        (prompt - cached) * price.input + cached * cache_price + max(output or 0, 0) * price.output
    ) / _PER_MILLION
    return Cost(usd)


def cost_usd(usage: Usage, pricing: Pricing) -> float | None:
    """The figure to store on a message: USD, or None when local or unknown."""
    return message_cost(usage, pricing).usd


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
