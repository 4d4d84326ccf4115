"""Run `craft-tui --new` headless until the chat screen shows its conversation and the warm-up
for the first send has ended, then quit without sending anything. Prints JSON: which modules the
first send needs were imported at the first frame and after the warm-up, whether the shared CA
context was loaded, and whether any driver was pooled (no key read, nothing sent)."""

from __future__ import annotations

import json
import sys
from typing import Any

from textual.app import App

from craft_tui import cli
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.chat import ChatScreen

NEEDED = (
    "httpx",
    "craft_tui.providers.http",
    "craft_tui.providers.openai_chat",
    "craft_tui.workspace.drivers",
    "craft_tui.ui.widgets.markdown_blocks",
)
seen: dict[str, Any] = {"first_frame": None, "after": None}


def imported() -> list[str]:
    return [name for name in NEEDED if name in sys.modules]


def run(self: CraftApp, **kwargs: Any) -> None:
    App.run(self, headless=True, **kwargs)


def display(self: CraftApp, screen: Any, renderable: Any) -> None:
    if isinstance(screen, ChatScreen) and renderable is not None and seen["first_frame"] is None:
        seen["first_frame"] = imported()
        self.set_interval(0.02, lambda: done(self))
    original_display(self, screen, renderable)


def done(app: CraftApp) -> None:
    """Once the conversation is open and the warm-up has ended (its worker is gone once it
    ends, and the CA context is its last step), or after 30 s: what it left behind."""
    chat = app.chat
    if seen["after"] is not None or chat is None or not chat.loaded:
        return
    seen["polls"] = seen.get("polls", 0) + 1
    warming = any(w.group == "warm-up" for w in app.workers)
    http = sys.modules.get("craft_tui.providers.http")
    ended = not warming and http is not None and http._trust.cache_info().currsize > 0
    if not ended and seen["polls"] < 1500:
        return
    pool = app.workspace._pool
    seen["after"] = imported()
    seen["ca_loaded"] = http is not None and http._trust.cache_info().currsize > 0
    seen["drivers_pooled"] = pool.built if pool is not None else 0
    seen["sent"] = any(m.role == "user" for m in chat.session.messages) if chat.session else None
    app.exit()


original_display = CraftApp._display
CraftApp.run = run  # type: ignore[method-assign,assignment]
CraftApp._display = display  # type: ignore[method-assign,assignment]

if __name__ == "__main__":
    code = cli.main(sys.argv[1:])
    print(json.dumps({"exit": code, **seen}))
