"""OpenRouter's app attribution, and `settings.openrouter_attribution` to leave it out.

The OpenRouter presets write `HTTP-Referer` and `X-Title` into a new connection's headers, so
OpenRouter's rankings show requests as craft-tui's. Someone who would rather not be counted turns
the setting off; then requests to openrouter.ai go without those two headers, whatever the
connection's table says, and config.toml stays as it is (turning the setting on again brings them
back). The driver pool keys drivers on the headers, so the next request after a change goes
through a client built for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from craft_tui.config.schema import Connection, Settings

ATTRIBUTION_HEADERS = frozenset({"http-referer", "x-title"})


def is_openrouter(connection: Connection) -> bool:
    host = (urlsplit(connection.base_url).hostname or "").lower()
    return host == "openrouter.ai" or host.endswith(".openrouter.ai")


def as_sent(connection: Connection, settings: Settings) -> Connection:
    """The connection as its requests go out: without the attribution headers when the setting
    is off and it talks to OpenRouter; else `connection` itself (no copy)."""
    if settings.openrouter_attribution or not is_openrouter(connection):
        return connection
    headers = {k: v for k, v in connection.headers.items() if k.lower() not in ATTRIBUTION_HEADERS}
    if headers == connection.headers:
        return connection
    return connection.model_copy(update={"headers": headers})
