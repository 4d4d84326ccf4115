"""What a conversation, a day or a connection cost, from the history store's sums.

The store sums in SQL what each answer stored when it ended (`cost_usd`, priced by
`chat/cost.py` with the prices known then) and counts, per connection, the answers that have no
cost although something was spent. Whether such an answer was free or unknown is the status
line's rule: free ("local") when its connection is a local server (`is_local_connection`), else
unknown. A connection removed from the config since is unknown. The sum is a `CostTotal`, written
by `format_total`: `$0.0123`, `local`, `—`, and `≥$0.0123` when some answers have no known price.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from craft_tui.chat.cost import CostTotal

if TYPE_CHECKING:
    from craft_tui.config.schema import Config

IsLocal = Callable[[str | None], bool]


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
