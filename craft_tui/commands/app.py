"""`craft-tui` with no command: load the config (refusing a broken one), then run the Textual app."""

from __future__ import annotations


def run_app(new_conversation: bool = False) -> int:
    from craft_tui.config.store import load_config
    from craft_tui.logging_setup import configure_logging

    configure_logging()
    config = load_config()  # a broken file stops here with its message, before the screen changes
    from craft_tui.ui.app import CraftApp

    app = CraftApp(config=config, new_conversation=new_conversation)
    app.run()
    return app.return_code or 0
