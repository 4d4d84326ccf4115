"""Which connection and model a request goes to when the user names one, or none.

The one implementation for the command line (`ask`, `models`, `connection …`), the app and the
connections screen: a connection is found by slug or display name (`Config.find`), and "none
named" means `Config.default_connection` (the configured default, else the first connection).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # pydantic is not imported before the first frame
    from craft_tui.config.schema import Config, Connection


class ConnectionProblem(Exception):
    """A connection cannot be found or changed as asked. The message is one sentence with the fix,
    the same from `craft-tui connection …` and from the connections screen; `field` names the
    form field it is about (None: the whole change)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Target(NamedTuple):
    """Where the next request goes: a connection and a model (either may be missing)."""

    connection: Connection | None
    model: str | None


def known_slugs(config: Config) -> str:
    return ", ".join(c.slug for c in config.connections) or "none yet"


def find_connection(config: Config, name: str) -> Connection:
    """The connection with this slug or display name; ConnectionProblem naming the known ones."""
    connection = config.find(name)
    if connection is None:
        raise ConnectionProblem(f"No connection named {name!r}. Known: {known_slugs(config)}.")
    return connection


def pick_connection(config: Config, name: str | None) -> Connection:
    """The named connection, else the default one; ConnectionProblem when there is none."""
    if name:
        return find_connection(config, name)
    connection = config.default_connection
    if connection is None:
        raise ConnectionProblem(
            "No connection yet: add one with `craft-tui connection add NAME --preset ...` "
            "(see `craft-tui connection add --help`)."
        )
    return connection


def default_target(config: Config) -> Target:
    """The connection and model a new conversation starts with."""
    connection = config.default_connection
    return Target(connection, connection.effective_default_model if connection else None)
