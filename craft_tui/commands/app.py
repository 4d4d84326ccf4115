"""`craft-tui` with no command: read the config, run the Textual app.

A file that cannot be read or is not TOML stops here with its message, before the screen changes.
Validation (pydantic, ~85 ms) runs in the app right after its first frame; an invalid file ends
the app there, and its message is printed the same way, after the terminal is restored.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping


def honour_no_color_convention(environ: MutableMapping[str, str] = os.environ) -> None:
    """no-color.org: NO_COLOR *set to a non-empty value* turns colour off. Textual turns it off
    whenever the variable exists, so an empty one (often left by `export NO_COLOR=`) is dropped."""
    if environ.get("NO_COLOR") == "":
        del environ["NO_COLOR"]


def run_app(new_conversation: bool = False) -> int:
    from craft_tui.config.source import ConfigError, read_config_source
    from craft_tui.logging_setup import configure_logging

    configure_logging()
    source = read_config_source()
    from craft_tui.config.secrets import drop_orphaned_keys

    # Keys of connections that are gone (a remove killed half-way): ~2 ms, and the keyring is
    # opened only when there is one to delete.
    drop_orphaned_keys(source=source)
    from craft_tui.ui.app import CraftApp

    honour_no_color_convention()
    app = CraftApp(config_source=source, new_conversation=new_conversation)
    app.run()
    if app.config_error is not None:
        raise ConfigError(app.config_error)
    return app.return_code or 0
