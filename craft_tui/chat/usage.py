"""What a conversation, a day or a connection cost, from the history store's sums.

The store sums in SQL what each answer stored when it ended (`cost_usd`, priced by
`chat/cost.py` with the prices known then) and counts, per connection, the answers that have no
cost although something was spent. Whether such an answer was free or unknown is the status
line's rule: free ("local") when its connection is a local server (`is_local_connection`), else
unknown. A connection removed from the config since is unknown. The sum is a `CostTotal`, written
by `format_total`: `$0.0123`, `local`, `—`, and `≥$0.0123` when some answers have no known price.

The input figure shown for an answer (the status line's ↑, `ask --usage`'s "tokens in",
`history show`) is its whole prompt, the same on every protocol: OpenAI-style usage counts the
tokens read from and written to the prompt cache in `input_tokens` already, Anthropic's has them
on top (`WireProtocol.cached_in_input`), so there they are added. `prompt_tokens` is that rule,
the one place it is written; `cached_in_input_check` says which rule a stored answer's
connection follows, by the config as it is now (a connection removed since: as stored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from craft_tui.chat.cost import CostTotal

if TYPE_CHECKING:
    from craft_tui.config.schema import Config

IsLocal = Callable[[str | None], bool]
CachedInInput = Callable[[str | None], bool]
"""`cached_in_input(slug)`: whether that connection's input tokens count the cached ones."""


def prompt_tokens(
    input_tokens: int | None,
    cached_tokens: int | None,
    cache_write_tokens: int | None,
    *,
    cached_in_input: bool,
) -> int:
    """An answer's whole prompt: `input_tokens`, plus the tokens read from and written to the
    prompt cache when the protocol reports them on top of it (Anthropic: `cached_in_input`
    False). Negative counts (a broken server) count as none."""
    total = max(input_tokens or 0, 0)
    if not cached_in_input:
        total += max(cached_tokens or 0, 0) + max(cache_write_tokens or 0, 0)
    return total


def cached_in_input_check(config: Config | None) -> CachedInInput:
    """`cached_in_input(slug)` by the config as it is now; a slug no connection has (removed
    since), or a protocol no longer known, counts as True: its answers' input shown as stored."""
    if config is None:
        return lambda _slug: True
    from craft_tui.config.protocols import UnknownProtocolError, get_protocol

    on_top: set[str] = set()
    for connection in config.connections:
        try:
            if not get_protocol(connection.protocol).cached_in_input:
                on_top.add(connection.slug)
        except UnknownProtocolError:
            pass
    return lambda slug: slug not in on_top


def prompt_total(
    input_tokens: int,
    cache_tokens: Iterable[tuple[str | None, int]],
    cached_in_input: CachedInInput,
) -> int:
    """Summed answers' whole prompts: their `input_tokens`, plus the cache reads and writes of
    those (per connection slug) whose protocol reports them on top (see `prompt_tokens`)."""
    return input_tokens + sum(count for slug, count in cache_tokens if not cached_in_input(slug))


def local_check(config: Config | None) -> IsLocal:
    """`is_local(slug)`: whether answers through that connection are free (a local server), by
    the config as it is now; nothing is local without a config."""
    if config is None:
        return lambda _slug: False
    from craft_tui.providers.pricing import is_local_connection

    local = {c.slug for c in config.connections if is_local_connection(c)}
    return lambda slug: slug in local


def cost_total(
    usd: float, priced: int, unpriced: Iterable[tuple[str | None, int]], is_local: IsLocal
) -> CostTotal:
    """The cost of answers summed by the store: `priced` of them cost `usd` together; the
    `unpriced` ones (count per connection slug) are local or unknown."""
    local = unknown = 0
    for slug, count in unpriced:
        if is_local(slug):
            local += count
        else:
            unknown += count
    return CostTotal(usd=usd, known=priced, local=local, unknown=unknown)


def format_tokens(count: int) -> str:
    """`950`, `12.3k`, `4.5M`: a token count that fits a narrow column."""
    if count < 1000:
        return str(count)
    for size, unit in ((1_000_000_000, "G"), (1_000_000, "M"), (1000, "k")):
        if count >= size:
            value = count / size
            text = f"{value:.1f}" if value < 100 else f"{value:.0f}"
            return text.removesuffix(".0") + unit
    return str(count)  # unreachable: the loop ends at k
