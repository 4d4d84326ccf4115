"""Build the driver for a connection. The key comes only from `config.secrets.key_for`, so an
environment variable is used only when the connection names it (never a stray OPENAI_API_KEY)."""

from __future__ import annotations

from craft_tui.config.schema import Connection
from craft_tui.config.secrets import MissingKeyError, SecretStore, key_for
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import Driver


def make_driver(connection: Connection, api_key: str | None) -> Driver:
    """The driver for the connection's protocol, with the given key (None: send no key)."""
    if connection.protocol == "anthropic":
        from craft_tui.providers.anthropic_messages import AnthropicMessages

        return AnthropicMessages(connection, api_key)
    from craft_tui.providers.openai_chat import OpenAIChat

    return OpenAIChat(connection, api_key)


def open_driver(connection: Connection, store: SecretStore | None = None) -> Driver:
    """Resolve the connection's key and build its driver; a missing key is a MISSING_KEY error."""
    try:
        api_key = key_for(connection, store)
    except MissingKeyError as error:
        raise ProviderError(
            ErrorKind.MISSING_KEY,
            f"Connection {connection.name!r} has no API key.",
            str(error),
        ) from None
    return make_driver(connection, api_key)
