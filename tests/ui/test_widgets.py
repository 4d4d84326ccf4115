"""The chat widgets on their own: streaming Markdown, reasoning, pruning, status."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownFence

from craft_tui.ui.widgets.answer_body import AnswerBody
from craft_tui.ui.widgets.messages import AssistantMessageView
from craft_tui.ui.widgets.status_bar import StatusBar, StatusInfo
from craft_tui.ui.widgets.transcript import Transcript
from tests.ui.chat_helpers import wait_until
from tests.ui.harness import Entry, WidgetHarness
from tests.waiting import until

ANSWER = "# Title\n\nSome **bold** text.\n\n```python\nprint('hi')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"


async def test_streamed_deltas_render_as_markdown_with_code_and_table() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        view = await transcript.add(Entry("a1", "assistant", ""))
        assert isinstance(view, AssistantMessageView)
        view.begin_stream()
        for index in range(0, len(ANSWER), 3):
            view.add_text(ANSWER[index : index + 3])
            await pilot.pause()
        await view.end_stream("stop")
        await pilot.pause()
        assert view.text == ANSWER
        markdown = view.query_one(Markdown)
        assert markdown.source == ANSWER
        fence = view.query_one(MarkdownFence)
        assert fence.code.strip() == "print('hi')"
        assert len(markdown.query("MarkdownTable")) == 1


async def test_deltas_are_coalesced_into_few_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[str] = []
    original = AnswerBody.append

    async def counting_append(self: AnswerBody, fragment: str) -> None:
        writes.append(fragment)
        await original(self, fragment)

    monkeypatch.setattr(AnswerBody, "append", counting_append)
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await app.query_one(Transcript).add(Entry("a1", "assistant", ""))
        assert isinstance(view, AssistantMessageView)
        view.begin_stream()
        for _ in range(500):
            view.add_text("word ")  # 500 deltas arrive without the loop yielding
        await view.end_stream("stop")
        await pilot.pause()
        assert "".join(writes) == "word " * 500
        assert len(writes) <= 2


async def test_reasoning_is_collapsed_above_the_answer() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await app.query_one(Transcript).add(Entry("a1", "assistant", ""))
        assert isinstance(view, AssistantMessageView)
        view.begin_stream()
        view.add_reasoning("Let me think about this.")
        view.add_text("The answer.")
        await view.end_stream("stop")
        await pilot.pause()
        block = view._reasoning
        assert block.collapsed
        assert block.display
        assert block.text == "Let me think about this."
        assert block.region.y < view.query_one(Markdown).region.y


async def test_stopped_answer_is_marked() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await app.query_one(Transcript).add(Entry("a1", "assistant", ""))
        assert isinstance(view, AssistantMessageView)
        view.begin_stream()
        view.add_text("Half an ans")
        await view.end_stream("cancelled")
        await pilot.pause()
        assert view.has_class("-stopped")
        assert "stopped" in str(view._note.render())
        assert view.text == "Half an ans"


async def test_scrolling_up_stops_following_and_scrolling_down_resumes() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show([Entry(f"m{i}", "user", f"line {i}\n" * 3) for i in range(20)])
        await pilot.pause()
        assert transcript.following
        assert transcript.scroll_y == transcript.max_scroll_y
        for _ in range(3):  # the mouse wheel, turned up over the transcript
            transcript.post_message(
                events.MouseScrollUp(transcript, 2, 2, 0, -1, 0, False, False, False)
            )
        await pilot.pause()
        assert not transcript.following
        held = transcript.scroll_y
        await transcript.add(Entry("new", "user", "more\n" * 5))
        await pilot.pause()
        assert transcript.scroll_y == held
        transcript.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        assert transcript.following


async def test_status_line_shows_figures_and_spinner_stops_when_idle() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(100, 24)) as pilot:
        status = app.query_one(StatusBar)
        figures = StatusInfo("OpenRouter", "claude-x", 1200, 345, "$0.001234", 0.42, 35.14)
        status.set_info(figures)
        status.start_waiting()
        assert status.spinning
        status.streaming()
        assert not status.spinning
        status.stop_waiting()
        status.set_info(figures)  # the chat screen's figures once the answer is stored
        await pilot.pause()
        line = status.line().plain
        assert (
            line == "OpenRouter · claude-x · ↑1,200 ↓345 tok · $0.001234 · ttft 0.42s · 35.1 tok/s"
        )
        assert not status.timers_running


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _StatusHarness(App[None]):
    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield StatusBar(clock=self.clock)


async def test_while_an_answer_streams_the_line_shows_its_own_ttft_not_the_last_answers() -> None:
    clock = _Clock()
    app = _StatusHarness(clock)
    async with app.run_test(size=(100, 5)):
        status = app.query_one(StatusBar)
        status.set_info(StatusInfo("Local", "m", 10, 20, "local", 0.42, 35.14))
        status.start_waiting(read_timeout=120)
        assert "ttft" not in status.line().plain and "tok/s" not in status.line().plain
        clock.now += 1.5
        status.streaming()
        assert "ttft 1.50s" in status.line().plain
        assert "35.1 tok/s" not in status.line().plain
        status.stop_waiting()


async def test_a_stall_mid_answer_says_for_how_long_and_when_it_gives_up() -> None:
    clock = _Clock()
    app = _StatusHarness(clock)
    async with app.run_test(size=(100, 5)) as pilot:
        status = app.query_one(StatusBar)
        status.set_info(StatusInfo("Local", "m"))
        status.start_waiting(read_timeout=120)
        status.streaming()
        clock.now += 1
        status.data_arrived()
        clock.now += 2.5  # quiet, but not yet a stall
        assert status.stalled_for is None
        clock.now += 2.5
        await until(lambda: "no data for" in status.line().plain)  # the once-a-second look
        assert status.line().plain.startswith("◌ no data for 5s, gives up at 120s")
        status.data_arrived()  # text again: the sign goes at once
        assert status.line().plain.startswith("● ")
        status.stop_waiting()
        await pilot.pause()
        assert not status.timers_running


async def test_text_shows_while_streaming_not_only_at_the_end() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await app.query_one(Transcript).add(Entry("a1", "assistant", ""))
        assert isinstance(view, AssistantMessageView)
        view.begin_stream()

        def shown() -> str:
            found = view.query(Markdown)
            return found.first().source if found else ""

        view.add_text("First words")
        # Writes are paced (a timer): wait for the text itself, still before the stream ends.
        await wait_until(pilot, lambda: shown() == "First words")
        assert view.query_one(Markdown).source == "First words"
        view.add_text(" and more")
        await wait_until(pilot, lambda: shown() == "First words and more")
        assert view.query_one(Markdown).source == "First words and more"
        await view.end_stream("stop")


async def test_an_answer_that_fails_before_any_text_ends_cleanly() -> None:
    from craft_tui.ui.widgets.error_view import ErrorDisplay

    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        view = await app.query_one(Transcript).add(Entry("a1", "assistant", ""))
        assert isinstance(view, AssistantMessageView)
        view.begin_stream()
        await view.end_stream("error", ErrorDisplay(kind="missing_key", message="No key."))
        await pilot.pause()
        assert view.error is not None and not view.streaming
