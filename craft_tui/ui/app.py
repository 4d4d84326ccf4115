"""The Textual application."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from craft_tui.config.schema import Config


class CraftApp(App[None]):
    TITLE = "craft-tui"

    def __init__(self, config: Config, new_conversation: bool = False) -> None:
        super().__init__()
        self.config = config
        self.new_conversation = new_conversation

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("craft-tui", id="placeholder")
        yield Footer()
