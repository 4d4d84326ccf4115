"""A tiny app hosting the chat widgets, fed by the test itself (no chat core, no network)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import App, ComposeResult

from craft_tui.ui.widgets.messages import AssistantMessageView, MessageView, UserMessageView
from craft_tui.ui.widgets.status_bar import StatusBar
from craft_tui.ui.widgets.transcript import Transcript


@dataclass
class Entry:
    id: str
    role: str
    text: str
    reasoning: str = ""


def make_view(entry: Entry) -> MessageView:
    if entry.role == "user":
        return UserMessageView(entry.id, entry.text)
    return AssistantMessageView(entry.id, "Fake · model-x", entry.text, reasoning=entry.reasoning)


class WidgetHarness(App[None]):
    CSS_PATH = "../../craft_tui/ui/screens/chat.tcss"

    def __init__(self, max_mounted: int = 60) -> None:
        super().__init__()
        self.max_mounted = max_mounted
        self.actions: list[tuple[str | None, str]] = []

    def compose(self) -> ComposeResult:
        yield Transcript(make_view, max_mounted=self.max_mounted, id="transcript")
        yield StatusBar(id="status", clock=lambda: 100.0)

    def on_message_view_action(self, event: MessageView.Action) -> None:
        self.actions.append((event.view.message_id, event.action))
