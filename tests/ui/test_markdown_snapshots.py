"""SVG snapshot of an answer with an aligned table and a task list (ui/widgets/markdown_blocks.py),
at 80×24, streamed from the fake server like the other chat snapshots."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tests.ui.chat_helpers import answered, make_app, screen_at_rest, send
from tests.ui.test_snapshots import pinned_speed

__all__ = ["pinned_speed"]  # the autouse fixture that pins the measured speed figures

ANSWER = """Release checklist:

- [x] tag the build
- [ ] publish the notes

| step | owner | minutes |
|:-----|:-----:|--------:|
| build | CI | 12 |
| review | Ana | 5 |
| deploy | Bo | 130 |
"""


def test_answer_with_aligned_table_and_task_list(snap_compare, fake_server) -> None:
    app = make_app(fake_server(reply=ANSWER, chunk_size=9))

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await send(pilot, "What is left for the release?")
        await answered(pilot, chat)
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
