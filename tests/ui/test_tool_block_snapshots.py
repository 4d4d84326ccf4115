"""SVG snapshots of tool blocks (ui/widgets/tool_block.py) where a person sees them: under an
answer in the real chat screen, with the app's theme. One shot holds a block in each state
(asking, running, done, error, denied, cancelled); one a finished block unfolded with its result
cut and the note saying how much more there is; one the full-output view Enter opens.

Deterministic: durations are given or come from a frozen clock (the running block's ticker only
re-reads it)."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from craft_tui.providers.content import ToolCallPart
from craft_tui.providers.types import ToolOutcome
from craft_tui.ui.screens.tool_output import ToolOutputScreen
from craft_tui.ui.widgets.tool_block import ToolBlock
from tests.ui.chat_helpers import answered, make_app, screen_at_rest, send, wait_until
from tests.ui.test_snapshots import pinned_speed

__all__ = ["pinned_speed"]  # the autouse fixture that pins the measured speed figures

LISTING = "\n".join(f"-rw-r--r--  1 ana  staff  {n * 97:>6}  notes-{n:03}.md" for n in range(60))


def call(name: str, arguments: str, index: int = 0) -> ToolCallPart:
    return ToolCallPart(id=f"call_{index}", name=name, arguments=arguments)


class Clock:
    """Frozen, but ahead of when the running block started: it shows 3.2 s, every time."""

    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def every_state() -> list[ToolBlock]:
    clock = Clock()
    asking = ToolBlock(
        call("write_file", '{"path": "notes/plan.md", "content": "# Plan\\n"}', 0),
        server="files", status="asking", clock=clock,
    )  # fmt: skip
    running = ToolBlock(
        call("search", '{"query": "sorted key lambda", "limit": 5}', 1),
        server="web", status="running", clock=clock,
    )  # fmt: skip
    done = ToolBlock(
        call("list_dir", '{"path": "notes"}', 2),
        server="files", status="done", outcome=ToolOutcome(LISTING), duration=0.42,
    )  # fmt: skip
    error = ToolBlock(
        call("read_file", '{"path": "/etc/shadow"}', 3), server="files", status="error",
        outcome=ToolOutcome("permission denied: /etc/shadow", is_error=True), duration=0.03,
    )  # fmt: skip
    denied = ToolBlock(
        call("run", '{"command": "rm -rf build"}', 4), server="shell", status="denied",
        reason="not on my machine",
    )  # fmt: skip
    cancelled = ToolBlock(
        call("fetch", '{"url": "https://example.com/big"}', 5), server="web",
        status="cancelled", duration=12.5,
    )  # fmt: skip
    clock.now += 3.2
    return [asking, running, done, error, denied, cancelled]


async def answer_with_blocks(pilot: Pilot[Any], blocks: list[ToolBlock]) -> None:
    chat = await send(pilot, "Tidy up my notes folder")
    view = await answered(pilot, chat)
    await view.mount_all(blocks)
    await wait_until(pilot, lambda: all(block.is_mounted for block in blocks))
    chat.prompt.focus()
    await screen_at_rest(pilot)


def test_tool_blocks_in_every_state(snap_compare, fake_server) -> None:
    app = make_app(fake_server(reply="Let me look at the folder first."))

    async def run_before(pilot: Pilot[Any]) -> None:
        await answer_with_blocks(pilot, every_state())

    assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)


def test_tool_block_unfolded_with_its_result_cut(snap_compare, fake_server) -> None:
    app = make_app(fake_server(reply="Here is what is in it."))

    async def run_before(pilot: Pilot[Any]) -> None:
        block = ToolBlock(
            call("list_dir", '{"path": "notes"}'), server="files", status="done",
            outcome=ToolOutcome(LISTING), duration=0.42,
        )  # fmt: skip
        await answer_with_blocks(pilot, [block])
        block.action_fold()
        await wait_until(pilot, lambda: block.expanded)
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=(80, 40), run_before=run_before)


def test_tool_output_view(snap_compare, fake_server) -> None:
    app = make_app(fake_server(reply="Here is what is in it."))

    async def run_before(pilot: Pilot[Any]) -> None:
        block = ToolBlock(
            call("list_dir", '{"path": "notes", "long": true}'), server="files", status="done",
            outcome=ToolOutcome(LISTING), duration=0.42,
        )  # fmt: skip
        await answer_with_blocks(pilot, [block])
        block.focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolOutputScreen))
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
