"""A tool call in the transcript (ui/widgets/tool_block.py): its header through every status,
when it folds, the result cut with a note and shown whole on Enter / o, and outside text kept
inert (a result holding terminal sequences is shown, never run)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.pilot import Pilot

from craft_tui.providers.content import ToolCallPart
from craft_tui.providers.types import ToolOutcome, ToolSpec
from craft_tui.ui.screens.tool_output import ToolOutputScreen
from craft_tui.ui.tool_text import compact_arguments, format_duration, truncated
from craft_tui.ui.widgets.plain_text import PlainText
from craft_tui.ui.widgets.tool_block import ToolBlock
from tests.ui.chat_helpers import screen_text, wait_until

CALL = ToolCallPart(id="call_1", name="list_dir", arguments='{"path": "notes", "all": true}')
LISTING = "\n".join(f"notes-{n:03}.md" for n in range(60))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Host(App[None]):
    def __init__(self, *blocks: ToolBlock) -> None:
        super().__init__()
        self.blocks = blocks

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield from self.blocks


async def mounted(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, Host)
    await wait_until(pilot, lambda: all(block.is_mounted for block in app.blocks))
    await pilot.pause()


async def test_a_call_goes_from_asking_to_running_to_done_in_place() -> None:
    clock = Clock()
    block = ToolBlock(CALL, server="files", clock=clock)
    app = Host(block)
    async with app.run_test(size=(80, 24)) as pilot:
        await mounted(pilot)
        assert block.status == "asking" and block.expanded
        assert "▼ ⚙ files · list_dir · asking" in screen_text(app)
        assert '{"path": "notes", "all": true}' in screen_text(app)  # what it will be given

        block.set_running()
        clock.now += 2.5
        await wait_until(pilot, lambda: "running… · 2.5 s" in screen_text(app))  # it ticks
        assert block.expanded

        clock.now += 1.0
        block.set_result(ToolOutcome("notes-000.md\nnotes-001.md"))
        await pilot.pause()
        text = screen_text(app)
        assert "▶ ⚙ files · list_dir · done · 3.5 s" in text
        assert not block.expanded and "notes-000.md" not in text  # folded once it went fine
        assert len(app.query(ToolBlock)) == 1


async def test_a_given_duration_wins_and_long_ones_read_in_minutes() -> None:
    block = ToolBlock(CALL, server="files", status="running", clock=Clock())
    app = Host(block)
    async with app.run_test(size=(80, 24)) as pilot:
        await mounted(pilot)
        block.set_result(ToolOutcome("ok"), duration=125.0)
        await pilot.pause()
        assert "done · 2 min 5 s" in screen_text(app)
    assert [format_duration(s) for s in (0.04, 0.42, 12.9)] == ["<0.1 s", "0.4 s", "12 s"]


async def test_an_error_stays_open_with_its_text() -> None:
    block = ToolBlock(CALL, server="files", status="running", clock=Clock())
    app = Host(block)
    async with app.run_test(size=(80, 24)) as pilot:
        await mounted(pilot)
        block.set_result(ToolOutcome("permission denied: notes", is_error=True), duration=0.2)
        await pilot.pause()
        text = screen_text(app)
    assert block.status == "error" and block.expanded
    assert "▼ ⚙ files · list_dir · error · 0.2 s" in text
    assert "permission denied: notes" in text


async def test_denied_and_cancelled_fold_and_say_so() -> None:
    denied = ToolBlock(CALL, server="files", clock=Clock())
    cancelled = ToolBlock(CALL, server="web", status="running", clock=Clock())
    app = Host(denied, cancelled)
    async with app.run_test(size=(80, 24)) as pilot:
        await mounted(pilot)
        denied.set_denied("not [bold]now[/bold]")
        cancelled.set_cancelled()
        await pilot.pause()
        text = screen_text(app)
        assert "▶ ⚙ files · list_dir · denied (not [bold]now[/bold])" in text
        assert "▶ ⚙ web · list_dir · cancelled" in text
        assert not denied.expanded and not cancelled.expanded
        denied.focus()
        await pilot.press("space")
        await pilot.pause()
        assert "Denied: not [bold]now[/bold]" in screen_text(app)


async def test_folding_by_hand_sticks_through_later_status_changes() -> None:
    block = ToolBlock(CALL, server="files", status="running", clock=Clock())
    app = Host(block)
    async with app.run_test(size=(80, 24)) as pilot:
        await mounted(pilot)
        block.focus()
        await pilot.press("space")
        await pilot.pause()
        assert not block.expanded and '"path"' not in screen_text(app)
        block.set_result(ToolOutcome("boom", is_error=True))  # would open by itself
        await pilot.pause()
        assert not block.expanded and "boom" not in screen_text(app)
        await pilot.click(".tool-header")  # a click on the header unfolds
        await pilot.pause()
        assert block.expanded and "boom" in screen_text(app)


async def test_a_long_result_is_cut_with_a_note_and_enter_shows_all_of_it() -> None:
    block = ToolBlock(CALL, server="files", status="done", outcome=ToolOutcome(LISTING))
    app = Host(block)
    async with app.run_test(size=(80, 40)) as pilot:
        await mounted(pilot)
        block.focus()
        await pilot.press("space")
        await pilot.pause()
        text = screen_text(app)
        assert "notes-019.md" in text and "notes-020.md" not in text
        assert "… 40 more lines (press Enter / o to see all)" in text
        for key in ("enter", "o"):
            await pilot.press(key)
            await wait_until(pilot, lambda: isinstance(app.screen, ToolOutputScreen))
            shown = app.screen.query_one(PlainText).source
            assert app.screen.query_one(VerticalScroll).has_focus  # the keys scroll it
            assert shown.endswith("Result\n" + LISTING)
            assert shown.startswith('Arguments\n{\n  "path": "notes",\n  "all": true\n}')
            await pilot.press("end")
            await pilot.pause()
            assert "notes-059.md" in screen_text(app)
            await pilot.press("escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, ToolOutputScreen))
            assert block.has_focus


async def test_a_result_with_terminal_sequences_is_shown_never_run() -> None:
    hostile = "\x1b]52;c;aGVsbG8=\x07 \x1b[2J\x1b[31mred\x1b[0m \x9b1m [bold]b[/bold]\rover"
    block = ToolBlock(
        ToolCallPart(id="c", name="cat\x1b[31m", arguments='{"path": "\\u001b[2J"}'),
        server="ev[i]l\x1b]0;title\x07",
        status="error",
        outcome=ToolOutcome(hostile, is_error=True),
    )
    app = Host(block)
    async with app.run_test(size=(100, 24)) as pilot:
        await mounted(pilot)
        text = screen_text(app)
        assert "ev[i]l␛]0;title␇ · cat␛[31m · error" in text
        assert '{"path": "\\u001b[2J"}' in text  # JSON's own escape, as the model wrote it
        assert "␛]52;c;aGVsbG8=␇ ␛[2J␛[31mred␛[0m ␛[1m [bold]b[/bold]␍over" in text
        assert block.result_text.startswith("␛]52;c;aGVsbG8=␇")
        await pilot.press("tab")
        await wait_until(pilot, lambda: block.has_focus)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolOutputScreen))
        whole = app.screen.query_one(PlainText).source
        assert "␛]52;c;aGVsbG8=␇" in whole
        full = screen_text(app)
    for control in ("\x1b", "\x07", "\x9b", "\r"):
        assert control not in text and control not in full and control not in whole


@pytest.mark.parametrize(
    ("text", "head_lines", "note"),
    [
        ("\n".join(map(str, range(20))), 20, ""),
        ("\n".join(map(str, range(20))) + "\n", 20, ""),
        ("\n".join(map(str, range(21))), 20, "… 1 more line (press Enter / o to see all)"),
        ("\n".join(map(str, range(100))) + "\n", 20, "… 80 more lines"),
        ("x" * 5_000, 1, "… 3,000 more characters"),
        ("y" * 1_990 + "\n" + "z" * 100 + "\nend", 2, "… 2 more lines"),
    ],
    ids=[
        "20-lines",
        "20-lines-and-break",
        "21-lines",
        "100-lines",
        "one-long-line",
        "cut-mid-line",
    ],
)
def test_truncated_counts_what_is_left(text: str, head_lines: int, note: str) -> None:
    head, said = truncated(text)
    assert len(head.split("\n")) == head_lines and len(head) <= 2_000
    assert said.startswith(note) if note else said == ""
    assert text.startswith(head)


async def test_a_block_from_the_loops_call_and_spec_names_the_tool_as_its_server_does() -> None:
    spec = ToolSpec("web__search", "Search.", {}, source="web")
    call = ToolCallPart(id="c2", name="web__search", arguments='{"q": "x"}')
    block = ToolBlock.for_call(call, spec, status="running")
    unknown = ToolBlock.for_call(ToolCallPart(id="c3", name="nope", arguments="{}"), None)
    app = Host(block, unknown)
    async with app.run_test(size=(80, 24)) as pilot:
        await mounted(pilot)
        unknown.set_result(ToolOutcome("no tool named nope", is_error=True))
        await pilot.pause()
        text = screen_text(app)
    assert "⚙ web · search · running…" in text and "web__search" not in text
    assert "⚙ nope · error" in text and "no tool named nope" in text


async def test_c_in_the_full_view_copies_the_result_as_the_tool_returned_it() -> None:
    result = "a\x1b[31mb\nline two"
    block = ToolBlock(CALL, server="files", status="done", outcome=ToolOutcome(result))
    app = Host(block)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await mounted(pilot)
        block.focus()
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(app.screen, ToolOutputScreen))
        await pilot.press("c")
        await wait_until(pilot, lambda: bool(copied))
    assert copied == [result]


def test_compact_arguments() -> None:
    assert compact_arguments("") == compact_arguments("{}") == "no arguments"
    assert compact_arguments('{"a":1,"b":[1,2]}') == '{"a": 1, "b": [1, 2]}'
    assert compact_arguments('{"a": "x\u200by"}') == '{"a": "x⟨U+200B⟩y"}'
    assert compact_arguments("{oops\n") == "not valid JSON: {oops␤"
    assert compact_arguments('{"a": "' + "x" * 1000 + '"}').endswith("x …")


async def test_time_spent_asking_is_not_the_tools_and_a_denied_call_has_no_duration() -> None:
    clock = Clock()
    asked = ToolBlock(CALL, server="files", status="running", clock=clock)
    denied = ToolBlock(CALL, server="files", status="running", clock=clock)
    app = Host(asked, denied)
    async with app.run_test(size=(80, 24)) as pilot:
        await mounted(pilot)
        asked.set_asking()
        denied.set_asking()
        clock.now += 30  # the person thinks
        asked.set_running()
        denied.set_denied()
        clock.now += 1.5
        asked.set_result(ToolOutcome("ok"))
        await pilot.pause()
        text = screen_text(app)
    assert "list_dir · done · 1.5 s" in text
    assert "list_dir · denied\n" in text + "\n"
