"""SVG snapshot of a conversation with a round of tool calls, reopened from the history: the
answer that called the tools, a block per call (one done, one failed: the failed one stays open
with its error), and the answer that used the results. Deterministic: stored rounds carry no
durations, and the clock is frozen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from craft_tui.chat.history import HistoryStore
from craft_tui.config import paths
from craft_tui.providers.content import TextPart, ToolCallPart, ToolResultPart
from tests.ui.chat_helpers import make_app, wait_until
from tests.ui.test_chat_tools import chat, rounds


def stored_tool_conversation() -> None:
    store = HistoryStore.open(paths.history_file())
    conversation = store.create_conversation(connection_slug="fake", model="fake-model")
    prompt = store.add_message(
        conversation.id, parent_id=None, role="user", text="What is in todo.txt, and 2+3?"
    )
    calls = store.add_message(
        conversation.id,
        parent_id=prompt.id,
        role="assistant",
        connection_slug="fake",
        model="fake-model",
        parts=(
            TextPart("Let me look."),
            ToolCallPart("c1", "read_file", '{"path": "todo.txt"}'),
            ToolCallPart("c2", "add", '{"a": 2, "b": "three"}'),
        ),
    )
    store.finish_message(calls.id, finish_reason="tool_use")
    results = store.add_message(
        conversation.id,
        parent_id=calls.id,
        role="tool",
        parts=(
            ToolResultPart("c1", "- water the plants\n- call Ana", False, "read_file"),
            ToolResultPart("c2", "b: Input should be a valid integer", True, "add"),
        ),
    )
    final = store.add_message(
        conversation.id,
        parent_id=results.id,
        role="assistant",
        connection_slug="fake",
        model="fake-model",
        text="Your list: water the plants, call Ana. The sum failed: I sent 'three' as text.",
    )
    store.finish_message(final.id, finish_reason="stop")
    store.close()


def test_a_reopened_tool_round(snap_compare: Any, fake_server: Any, isolated_home: Path) -> None:
    app = make_app(fake_server())
    stored_tool_conversation()

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_until(pilot, lambda: chat(app).loaded and len(rounds(app)) == 1)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
