"""What a model costs, in USD per million tokens, and where that figure came from.

Order of trust: a price typed in config.toml (`ModelEntry.input_price` / `output_price`), then the
provider's own model list (OpenRouter and Vercel publish prices), then — unless the server is local —
a small built-in table of the native Anthropic and OpenAI list prices. Local servers (Ollama, LM
Studio, llama.cpp on this machine or the LAN) that publish no prices cost nothing per token: they are
"local", which the UI shows as such rather than "$0.00".
A model found nowhere has no price: cost is unknown ("—"), never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from craft_tui.config.schema import Connection
from craft_tui.providers.discovery import is_local_connection

__all__ = [
    "ANTHROPIC_CACHE_WRITE",
    "BUILTIN_PRICES",
    "PRICES_AS_OF",
    "Price",
    "PriceSource",
    "Pricing",
    "builtin_price",
    "is_local_connection",
    "resolve_pricing",
]

PriceSource = Literal["config", "provider", "built-in"]

# When the built-in table below was last checked. Anthropic rows: platform.claude.com/docs/en/
# about-claude/pricing; OpenAI rows: platform.openai.com/docs/pricing (standard tier), cross-checked
# against published summaries of March 2026. Newer families (Claude 5.x, GPT-5.2+) are not in it yet:
# they show "—" until a price is set in config.toml or the provider lists one.
PRICES_AS_OF = date(2026, 3, 21)


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens. `cache_read` is the price of input tokens read from the prompt
    cache, `cache_write` of input tokens written to it, where known (None: charged as input).
    OpenAI bills no cache writes; Anthropic bills 5-minute writes at 1.25× input and reads at
    0.1× (platform.claude.com/docs/en/about-claude/pricing)."""

    input: float
    output: float
    cache_read: float | None = None
    source: PriceSource = "built-in"
    cache_write: float | None = None


ANTHROPIC_CACHE_WRITE = 1.25  # × input, for the 5-minute cache the drivers' breakpoints use


def _p(input_price: float, output_price: float, cache_read: float | None) -> Price:
    return Price(input_price, output_price, cache_read, "built-in")


def _a(input_price: float, output_price: float, cache_read: float) -> Price:
    """An Anthropic row: cache writes at 1.25× the input price."""
    write = round(input_price * ANTHROPIC_CACHE_WRITE, 6)
    return Price(input_price, output_price, cache_read, "built-in", write)


# Public list prices (standard tier, prompts up to 200K tokens) keyed by the model id without a date.
BUILTIN_PRICES: dict[str, Price] = {
    # Anthropic — platform.claude.com/docs/en/about-claude/pricing
    "claude-opus-4-8": _a(5.0, 25.0, 0.50),
    "claude-opus-4-7": _a(5.0, 25.0, 0.50),
    "claude-opus-4-6": _a(5.0, 25.0, 0.50),
    "claude-opus-4-5": _a(5.0, 25.0, 0.50),
    "claude-opus-4-1": _a(15.0, 75.0, 1.50),
    "claude-opus-4-0": _a(15.0, 75.0, 1.50),
    "claude-opus-4": _a(15.0, 75.0, 1.50),
    "claude-sonnet-4-5": _a(3.0, 15.0, 0.30),
    "claude-sonnet-4-0": _a(3.0, 15.0, 0.30),
    "claude-sonnet-4": _a(3.0, 15.0, 0.30),
    "claude-3-7-sonnet": _a(3.0, 15.0, 0.30),
    "claude-3-5-sonnet": _a(3.0, 15.0, 0.30),
    "claude-haiku-4-5": _a(1.0, 5.0, 0.10),
    "claude-3-5-haiku": _a(0.80, 4.0, 0.08),
    "claude-3-opus": _a(15.0, 75.0, 1.50),
    "claude-3-haiku": _a(0.25, 1.25, 0.03),
    # OpenAI — platform.openai.com/docs/pricing (standard tier)
    "gpt-5.1": _p(1.25, 10.0, 0.125),
    "gpt-5": _p(1.25, 10.0, 0.125),
    "gpt-5-chat": _p(1.25, 10.0, 0.125),
    "gpt-5-mini": _p(0.25, 2.0, 0.025),
    "gpt-5-nano": _p(0.05, 0.40, 0.005),
    "gpt-5-pro": _p(15.0, 120.0, None),
    "gpt-4.1": _p(2.0, 8.0, 0.50),
    "gpt-4.1-mini": _p(0.40, 1.60, 0.10),
    "gpt-4.1-nano": _p(0.10, 0.40, 0.025),
    "gpt-4o": _p(2.50, 10.0, 1.25),
    "gpt-4o-mini": _p(0.15, 0.60, 0.075),
    "o1": _p(15.0, 60.0, 7.50),
    "o1-mini": _p(1.10, 4.40, 0.55),
    "o3": _p(2.0, 8.0, 0.50),
    "o3-pro": _p(20.0, 80.0, None),
    "o3-mini": _p(1.10, 4.40, 0.55),
    "o4-mini": _p(1.10, 4.40, 0.275),
}

# `-20250929`, `-2024-08-06`, `-latest`: a dated or floating alias of the same priced model.
_DATE_SUFFIX = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2}|latest)$")
# `claude-sonnet-4.5` (gateways) is `claude-sonnet-4-5` (Anthropic); gpt ids keep their dots.
_CLAUDE_DOT = re.compile(r"(?<=\d)\.(?=\d)")


def builtin_price(model_id: str) -> Price | None:
    """The list price of a native Anthropic/OpenAI model id, with or without date or vendor prefix.

    Matching is exact after normalising (no prefix guessing), so `gpt-4o-audio-preview` is unknown
    rather than priced as `gpt-4o`.
    """
    key = model_id.strip().lower()
    if "/" in key:
        vendor, _, rest = key.rpartition("/")
        if vendor.split("/")[-1] not in {"anthropic", "openai"}:
            return None
        key = rest
    key = key.split(":", 1)[0]  # OpenRouter variants such as `:thinking`
    key = _DATE_SUFFIX.sub("", key)
    if key.startswith("claude"):
        key = _CLAUDE_DOT.sub("-", key)
    return BUILTIN_PRICES.get(key)


@dataclass(frozen=True, slots=True)
class Pricing:
    """The price to charge a model's tokens at: a `Price`, "local" (free), or unknown (neither)."""

    price: Price | None = None
    local: bool = False

    @property
    def known(self) -> bool:
        return self.price is not None or self.local


def resolve_pricing(
    connection: Connection,
    model_id: str,
    *,
    provider_input: float | None = None,
    provider_output: float | None = None,
    provider_cache_read: float | None = None,
    provider_cache_write: float | None = None,
) -> Pricing:
    """The price of `model_id` on `connection`: config override, provider list, built-in table.

    `provider_*` are the discovered list's prices (USD per million), when it had them. Cache
    prices the list gives (OpenRouter's, per model) are the ones charged; where it gives none,
    the table's are borrowed when its input price is the list price they go with.
    """
    table = builtin_price(model_id)
    provider: Price | None = None
    if provider_input is not None or provider_output is not None:
        listed = Price(
            _or_zero(provider_input),
            _or_zero(provider_output),
            provider_cache_read,
            "provider",
            provider_cache_write,
        )
        provider = _with_cache_price(listed, table)
    base = provider or table
    entry = connection.model(model_id)
    if entry is not None and (entry.input_price is not None or entry.output_price is not None):
        fallback = base or Price(0.0, 0.0)
        typed = Price(
            entry.input_price if entry.input_price is not None else fallback.input,
            entry.output_price if entry.output_price is not None else fallback.output,
            None,
            "config",
        )
        return Pricing(_with_cache_price(typed, provider if _has_cache_price(provider) else table))
    if provider is not None:
        return Pricing(provider)  # a server that publishes prices charges them, local or not
    if is_local_connection(connection):
        return Pricing(local=True)
    return Pricing(base)


def _has_cache_price(price: Price | None) -> bool:
    return price is not None and (price.cache_read is not None or price.cache_write is not None)


def _with_cache_price(price: Price, table: Price | None) -> Price:
    """Borrow the table's cache prices only when the input price is the list price they go with;
    a cache price `price` has of its own (listed by the provider) is kept."""
    if table is None or abs(price.input - table.input) > 1e-9:
        return price
    if table.cache_read is None and table.cache_write is None:
        return price
    read = price.cache_read if price.cache_read is not None else table.cache_read
    write = price.cache_write if price.cache_write is not None else table.cache_write
    return Price(price.input, price.output, read, price.source, write)


def _or_zero(value: float | None) -> float:
    return 0.0 if value is None else value
