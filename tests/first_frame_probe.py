"""Run `craft-tui [args]` headless until the chat screen asks the history store for its
conversation, then quit. Prints JSON: which of the slow modules were already imported when the
chat screen was first painted, and whether that paint came before the history was opened."""

from __future__ import annotations

import json
import sys
from typing import Any

from textual.app import App

from craft_tui import cli
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.workspace.core import Workspace

SLOW = (
    "pydantic",
    "httpx",
    "markdown_it",
    "sqlite3",
    "craft_tui.chat.session",
    "craft_tui.chat.history",
    "craft_tui.config.presets",
    "craft_tui.providers.pricing",
)
seen: dict[str, Any] = {"first_paint": None, "painted_before_history": None}
apps: list[CraftApp] = []


def run(self: CraftApp, **kwargs: Any) -> None:
    apps.append(self)
    App.run(self, headless=True, **kwargs)


def display(self: CraftApp, screen: Any, renderable: Any) -> None:
    if isinstance(screen, ChatScreen) and renderable is not None and not seen["first_paint"]:
        seen["first_paint"] = {
            "imported": [name for name in SLOW if name in sys.modules],
            "placeholder": str(screen.prompt.placeholder),
            "status": str(screen.status.render()),
            "theme": self.theme,
        }
    original_display(self, screen, renderable)


async def open_session(self: Workspace, *args: Any, **kwargs: Any) -> Any:
    if seen["painted_before_history"] is None:
        seen["painted_before_history"] = seen["first_paint"] is not None
        apps[0].exit()
    return await original_open_session(self, *args, **kwargs)


original_display = CraftApp._display
original_open_session = Workspace.open_session
CraftApp.run = run  # type: ignore[method-assign]
CraftApp._display = display  # type: ignore[method-assign]
Workspace.open_session = open_session  # type: ignore[method-assign]

if __name__ == "__main__":
    code = cli.main(sys.argv[1:])
    print(json.dumps({"exit": code, **seen}))
