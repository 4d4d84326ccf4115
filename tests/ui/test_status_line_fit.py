"""Issue 15: the status line at 60 columns never wraps, nor is cut without a sign.

Its one row used to hold the whole line, wrapped: what did not fit went to a second row that its
height cut off, so figures (or the model) vanished with no sign. Now the figures go first, least
useful first, and a trailing `…` says so; connection · model stay, cut with an ellipsis at a
whole character when even they do not fit. Read from what the terminal shows.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import App, ComposeResult

from craft_tui.ui.widgets.status_bar import StatusBar, StatusInfo
from tests.servers.fake import FakeLLMServer
from tests.ui.chat_helpers import answered, make_app, screen_text, send, wait_until

WIDTH = 60
ROW = WIDTH - 2  # the line's padding: one column each side


class _Line(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar()


def status_row(app: App[object], status: StatusBar | None = None) -> str:
    """The status line's row as the terminal shows it."""
    status = status or app.query_one(StatusBar)
    return screen_text(app).splitlines()[status.region.y].strip()


FULL = StatusInfo("Company gateway", "claude-sonnet-4", 12_345, 6_789, "$0.012345", 0.42, 35.14)


async def test_figures_go_least_useful_first_and_an_ellipsis_says_so() -> None:
    app = _Line()
    async with app.run_test(size=(WIDTH, 3)) as pilot:
        status = app.query_one(StatusBar)
        status.set_info(FULL)
        await pilot.pause()
        full = status.line().plain
        assert cell_len(full) > ROW  # the case: it does not fit
        row = status_row(app)
        assert row == "Company gateway · claude-sonnet-4 · $0.012345 · …"
        assert cell_len(row) <= ROW
        # Wider: only the speed goes; narrower: everything but connection · model.
        await pilot.resize_terminal(84, 3)
        await wait_until(pilot, lambda: status_row(app) != row)
        assert status_row(app) == (
            "Company gateway · claude-sonnet-4 · ↑12.3k ↓6,789 tok · $0.012345 · ttft 0.42s · …"
        )
        await pilot.resize_terminal(45, 3)
        await wait_until(pilot, lambda: status_row(app).endswith("claude-sonnet-4 · …"))
        assert status_row(app) == "Company gateway · claude-sonnet-4 · …"
        await pilot.resize_terminal(120, 3)
        await wait_until(pilot, lambda: status_row(app) == full)  # room again: all of it


async def test_a_name_too_long_for_the_row_is_cut_with_an_ellipsis_at_a_whole_glyph() -> None:
    app = _Line()
    async with app.run_test(size=(WIDTH, 3)) as pilot:
        status = app.query_one(StatusBar)
        wide_model = "模型" * 20  # 80 cells of double-width characters
        status.set_info(StatusInfo("Local", wide_model, 10, 20, "local", 0.5, 12.0))
        await pilot.pause()
        row = status_row(app)
        assert row.startswith("Local · 模型模型")
        assert row.endswith("…") and cell_len(row) <= ROW
        body = row.removesuffix("…").rstrip()
        assert set(body.removeprefix("Local · ")) <= {"模", "型"}  # no half glyph, no stray cell
        # One row only: nothing went onto a second line.
        assert status.size.height == 1


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _ClockedLine(App[None]):
    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield StatusBar(clock=self.clock)


async def test_a_stall_keeps_its_words_and_the_names_before_the_figures() -> None:
    clock = _Clock()
    app = _ClockedLine(clock)
    async with app.run_test(size=(WIDTH, 3)) as pilot:
        status = app.query_one(StatusBar)
        status.set_info(StatusInfo("Local box", "fake-small", 1200, 345, "local", None, None))
        status.start_waiting(read_timeout=120)
        status.streaming()
        clock.now += 12  # no text for 12 s: the once-a-second look says so
        await wait_until(pilot, lambda: status_row(app).startswith("◌ no data for 12s"))
        row = status_row(app)
        # The figures gave way (there is no room left even for the `…`); the words stay whole.
        assert row == "◌ no data for 12s, gives up at 120s Local box · fake-small"
        assert cell_len(row) <= ROW
        status.stop_waiting()


async def test_the_chat_screens_status_line_fits_60_columns(fake_server) -> None:  # type: ignore[no-untyped-def]
    server: FakeLLMServer = fake_server(reply="A short answer.")
    app = make_app(server)
    async with app.run_test(size=(WIDTH, 20)) as pilot:
        chat = await send(pilot, "Hello?")
        await answered(pilot, chat)
        status = chat.status
        await wait_until(pilot, lambda: "tok" in status.line().plain)
        row = status_row(app, status)
        assert row.startswith("Fake · fake-model")
        full = status.line().plain
        assert row == full or (row.endswith("…") and cell_len(row) <= ROW)
        assert status.size.height == 1
