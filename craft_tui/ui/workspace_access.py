"""How a screen finds the workspace it shows: the app's (`CraftApp.workspace`), or one of its own
when another App hosts it (tests, an embedding) — then read from config.toml once, at mount."""

from __future__ import annotations

from textual.app import App

from craft_tui.config.source import ConfigError
from craft_tui.workspace.core import Workspace


def workspace_of(app: App[object]) -> Workspace:
    """The workspace of `app`; a fresh one from the config file if `app` has none."""
    found = getattr(app, "workspace", None)
    if isinstance(found, Workspace):
        return found
    own = Workspace()
    try:
        own.validate_source()
    except ConfigError as error:  # an empty config, and the screen says why
        from craft_tui.config.schema import Config

        own.apply(Config())
        app.notify(str(error), severity="error", markup=False)
    return own
