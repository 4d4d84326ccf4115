"""Build the driver for a connection. The key comes only from `config.secrets.key_for`, so an
environment variable is used only when the connection names it (never a stray OPENAI_API_KEY).

Which driver is the connection's protocol entry's business (`config/protocols.py`): it names the
class by import path, resolved here with the standard library's `pkgutil.resolve_name` (the
`module:attr` form entry points use). A protocol that is not registered is refused with a
ProviderError that lists the known ones, never served by some other protocol's driver.
"""

from __future__ import annotations

import functools
import pkgutil
from collections.abc import Callable

from craft_tui.config.protocols import UnknownProtocolError, WireProtocol, get_protocol
from craft_tui.config.schema import Connection
from craft_tui.config.secrets import MissingKeyError, SecretStore, key_for
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import Driver

DriverClass = Callable[[Connection, str | None], Driver]


@functools.cache
def _resolve(path: str) -> DriverClass:
    found = pkgutil.resolve_name(path)
    if not callable(found):
        raise TypeError(f"{path} is not a driver class")
    driver: DriverClass = found
    return driver


def driver_class(protocol: WireProtocol) -> DriverClass:
    """The protocol's driver class, imported the first time it is needed."""
    return _resolve(protocol.driver)


def make_driver(connection: Connection, api_key: str | None) -> Driver:
    """The driver for the connection's protocol, with the given key (None: send no key)."""
    try:
        protocol = get_protocol(connection.protocol)
    except UnknownProtocolError as error:
        raise ProviderError(
            ErrorKind.UNKNOWN,  # nothing was sent: a configuration problem, not a server's answer
            f"Connection {connection.name!r} uses an {error}.",
            "Set its protocol in config.toml to one of the known ones.",
        ) from None
    return driver_class(protocol)(connection, api_key)


def open_driver(connection: Connection, store: SecretStore | None = None) -> Driver:
    """Resolve the connection's key and build its driver; a missing key is a MISSING_KEY error."""
    from craft_tui.config.key_command import KeyCommandError

    try:
        api_key = key_for(connection, store)
    except KeyCommandError as error:  # the command ran and gave no key: say what happened to it
        raise ProviderError(ErrorKind.MISSING_KEY, error.sentence, error.fix) from None
    except MissingKeyError as error:
        from craft_tui.providers.error_mapping import KEY_IN_APP

        variable = getattr(connection.auth, "api_key_env", None)
        in_app = f"store a key {KEY_IN_APP}."
        raise ProviderError(
            ErrorKind.MISSING_KEY,
            f"Connection {connection.name!r} has no API key.",
            str(error),
            app_hint=(
                f"Set ${variable} before starting craft-tui, or {in_app}"
                if variable
                else in_app[0].upper() + in_app[1:]
            ),
        ) from None
    return make_driver(connection, api_key)
