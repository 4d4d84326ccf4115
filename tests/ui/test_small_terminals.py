"""Every screen at 60×20 (and 80×24, 120×40): nothing a person needs is cut off.

At 60×20 the connections screen's buttons were cut off, the picker cut long ids until two rows
read the same, toasts covered the prompt and a code block wider than the screen ended at its edge
with no sign of more. Each test takes an SVG snapshot at the three sizes and asserts the point
itself through the pilot (regions, what the terminal shows), so a snapshot accepted by mistake
cannot hide it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Input, OptionList, Select

from craft_tui.chat import history as history_module
from craft_tui.config.schema import Config, Connection, ModelEntry
from craft_tui.config.store import update_config
from craft_tui.ui.screens.connection_form import ConnectionFormScreen, FormDraft
from craft_tui.ui.screens.connections import ConnectionsScreen
from craft_tui.ui.screens.history import HistoryScreen
from craft_tui.ui.screens.model_picker import ModelChoice, ModelPickerScreen, PickerEntry
from craft_tui.ui.widgets.model_rows import ModelRows
from craft_tui.workspace.core import Workspace
from tests.ui.chat_helpers import (
    answered,
    make_app,
    ready,
    screen_at_rest,
    screen_text,
    send,
    wait_until,
)
from tests.ui.test_connections import Host
from tests.ui.test_connections_snapshots import three_connections

SIZES = [
    pytest.param((60, 20), id="60x20"),
    pytest.param((80, 24), id="80x24"),
    pytest.param((120, 40), id="120x40"),
]

WIDE_LINE = (
    "    return sorted(words, key=lambda word: (len(word), word.casefold()), "
    "reverse=descending)  # the longest first, ties alphabetical"
)
WIDE_CODE_ANSWER = f"""Sort by length, then alphabetically:

```python
def by_length(words: list[str], descending: bool = False) -> list[str]:
{WIDE_LINE}
```

The key is a tuple, so ties are broken by the word itself.
"""

LONG_IDS = (
    "openrouter/anthropic/claude-3.5-sonnet-20241022",
    "openrouter/anthropic/claude-3.5-sonnet-20240620",
)


def inside(outer: Region, widget: Widget) -> bool:
    return outer.contains_region(widget.region)


async def settle(pilot: Pilot[Any]) -> None:
    await screen_at_rest(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor is caught on or off by chance
    await screen_at_rest(pilot)


# ---- chat ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Measured speeds and the history's clock are real: pin them so shots are stable."""
    original = Workspace.status_figures

    def figures(self: Workspace, session: Any) -> Any:
        info = original(self, session)
        if info.ttft_s is None:
            return info
        return replace(info, ttft_s=0.42, tokens_per_s=57.3)

    monkeypatch.setattr(Workspace, "status_figures", figures)
    moment = datetime(2026, 11, 30, 9, 41, tzinfo=UTC)
    monkeypatch.setattr(history_module, "utc_now", lambda: moment)


async def wide_code_conversation(pilot: Pilot[Any]) -> None:
    chat = await send(pilot, "Sort words by length, longest first?")
    await answered(pilot, chat)
    await screen_at_rest(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_chat_with_a_code_block_wider_than_the_screen(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(reply=WIDE_CODE_ANSWER, chunk_size=11))
    assert snap_compare(app, terminal_size=size, run_before=wide_code_conversation)


async def test_a_wide_code_block_shows_there_is_more_and_scrolls(fake_server) -> None:
    app = make_app(fake_server(reply=WIDE_CODE_ANSWER, chunk_size=11))
    async with app.run_test(size=(60, 20)) as pilot:
        await wide_code_conversation(pilot)
        fence = app.screen.query_one("MarkdownFence")
        assert fence.max_scroll_x > 0  # wider than the answer
        assert fence.show_horizontal_scrollbar  # the sign of more
        bar = fence.horizontal_scrollbar
        assert bar.region.height == 1 and inside(app.screen.region, bar)
        assert WIDE_LINE.strip() not in screen_text(app)  # cut at the edge, as it must be
        fence.scroll_to(x=fence.max_scroll_x, animate=False)
        await wait_until(pilot, lambda: "ties alphabetical" in screen_text(app))


async def test_a_toast_does_not_cover_the_prompt_or_the_status_line(fake_server) -> None:
    app = make_app(fake_server())
    async with app.run_test(size=(60, 20), notifications=True) as pilot:
        chat = await ready(pilot)
        chat.prompt.insert("a first line\na second\na third\na fourth")
        app.notify(
            "Switched to fake-model-large on Fake: the next answer comes from it, the earlier "
            "ones keep their label.",
            timeout=30,
        )
        await wait_until(pilot, lambda: bool(app.screen.query("Toast")))
        await screen_at_rest(pilot)
        status = chat.query_one("#status")
        for toast in app.screen.query("Toast"):
            assert inside(app.screen.region, toast)
            assert not toast.region.overlaps(chat.prompt.region)
            assert not toast.region.overlaps(status.region)


@pytest.mark.parametrize("size", SIZES)
def test_chat_with_a_toast(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server())

    async def run_before(pilot: Pilot[Any]) -> None:
        chat = await ready(pilot)
        chat.prompt.insert("Why is the sky blue?")
        pilot.app.notify("Switched to fake-model-large on Fake.", timeout=30)
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("Toast")))
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


# ---- connections -----------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_connections_list(snap_compare, size) -> None:
    three_connections()
    app = Host(lambda: ConnectionsScreen())
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
async def test_every_connections_button_is_on_screen(size: tuple[int, int]) -> None:
    three_connections()
    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        dialog = app.screen.query_one("#connections-dialog")
        buttons = list(app.screen.query(Button))
        assert [str(b.label) for b in buttons] == ["Add", "Edit", "Delete", "Close"]
        shown = screen_text(app)
        for button in buttons:
            assert inside(dialog.content_region, button), str(button.label)
            assert str(button.label) in shown
        # Both lines of every connection are there, cut with an ellipsis rather than wrapped.
        options = app.screen.query_one("#connection-list", OptionList)
        assert options.option_count == 3
        assert inside(app.screen.region, options)


@pytest.mark.parametrize("size", SIZES)
def test_connection_form(snap_compare, size) -> None:
    app = Host(lambda: ConnectionFormScreen(draft=FormDraft("openrouter")))

    async def run_before(pilot: Pilot[Any]) -> None:
        form = pilot.app.screen
        form.query_one("#key-source", Select).value = "env"
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
async def test_every_connection_form_button_is_on_screen(size: tuple[int, int]) -> None:
    app = Host(lambda: ConnectionFormScreen(draft=FormDraft("openrouter")))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        dialog = app.screen.query_one("#form-dialog")
        shown = screen_text(app)
        buttons = list(app.screen.query(Button))
        assert buttons
        for button in buttons:
            assert inside(dialog.content_region, button), str(button.label)
            assert str(button.label) in shown


async def open_advanced(pilot: Pilot[Any]) -> None:
    """The form's Advanced section opened, and scrolled to by focusing its first field."""
    form = pilot.app.screen
    form.query_one("#key-source", Select).value = "env"
    form.query_one("#advanced", Collapsible).collapsed = False
    await pilot.pause()
    form.query_one("#max-tokens", Input).focus()
    await settle(pilot)
    # Where focusing scrolled to depends on whether the opened section was laid out first: put
    # its title at the top, the same in every run.
    form.query_one("#form-body").scroll_to_widget(
        form.query_one("#advanced"), animate=False, top=True
    )
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_connection_form_advanced(snap_compare, size) -> None:
    app = Host(lambda: ConnectionFormScreen(draft=FormDraft("openrouter")))
    assert snap_compare(app, terminal_size=size, run_before=open_advanced)


async def test_every_advanced_field_can_be_reached_at_60x20() -> None:
    app = Host(lambda: ConnectionFormScreen(draft=FormDraft("openrouter")))
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        form = app.screen
        title = form.query_one("#advanced CollapsibleTitle")
        title.focus()
        await pilot.press("enter")  # the collapsed section opens from the keyboard
        await wait_until(pilot, lambda: not form.query_one("#advanced", Collapsible).collapsed)
        body = form.query_one("#form-body")
        for widget_id in (
            "max-tokens",
            "timeout-connect",
            "timeout-read",
            "timeout-write",
            "timeout-pool",
            "system-prompt",
        ):
            await pilot.press("tab")
            field = form.query_one(f"#{widget_id}")
            await wait_until(pilot, lambda field=field: app.focused is field)  # type: ignore[misc]
            await settle(pilot)
            assert inside(body.content_region, field), widget_id
        for button in form.query(Button):  # the buttons stay on screen while it scrolls
            assert inside(form.query_one("#form-dialog").content_region, button)


# ---- model picker ----------------------------------------------------------------------------


def picker_connections() -> None:
    def change(config: Config) -> None:
        config.connections = [
            Connection(
                slug="openrouter",
                name="OpenRouter",
                protocol="openai",
                base_url="https://openrouter.ai/api/v1",
                models=[ModelEntry(id="x")],
            ),
            Connection(
                slug="ollama",
                name="Ollama",
                protocol="openai",
                base_url="http://localhost:11434/v1",
                models=[ModelEntry(id="x")],
            ),
        ]

    update_config(change)


def long_id_picker() -> ModelPickerScreen:
    entries = [
        PickerEntry("openrouter", "OpenRouter", LONG_IDS[0], 200_000, 3, 15),
        PickerEntry("openrouter", "OpenRouter", LONG_IDS[1], 200_000, 3, 15),
        PickerEntry(
            "openrouter", "OpenRouter", "openrouter/anthropic/claude-3-opus", 200_000, 15, 75
        ),
        PickerEntry("openrouter", "OpenRouter", "openai/gpt-5", 400_000, 1.25, 10),
        PickerEntry("ollama", "Ollama", "llama3.2:latest", 131_072, local=True),
    ]
    return ModelPickerScreen(
        ModelChoice("openrouter", LONG_IDS[0]), entries=entries, recent=[], refresh_lists=False
    )


@pytest.mark.parametrize("size", SIZES)
def test_picker_with_long_ids_sharing_a_prefix(snap_compare, size) -> None:
    picker_connections()
    app = Host(long_id_picker)
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", [(60, 20), (80, 24), (120, 40)])
async def test_picker_rows_of_long_ids_differ_on_screen(size: tuple[int, int]) -> None:
    picker_connections()
    app = Host(long_id_picker)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        rows = app.screen.query_one(ModelRows)
        lines = screen_text(app).splitlines()
        top = rows.region.y
        shown = lines[top : top + 2]
        assert shown[0] != shown[1]
        for line, model in zip(shown, LONG_IDS, strict=True):
            assert model[-8:] in line  # the date, which tells them apart
            assert "open" in line  # and the start of the id
            assert "200K" in line and "$3/$15" in line  # the columns after it are all there


async def test_picker_columns_stay_whole_beside_a_scrollbar() -> None:
    """With more rows than fit, the scrollbar takes its cells from the row, not from the price."""
    picker_connections()
    entries = [
        PickerEntry("openrouter", "OpenRouter", f"{LONG_IDS[0][:-8]}-v{n:02d}", 200_000, 3, 15)
        for n in range(40)
    ]
    app = Host(lambda: ModelPickerScreen(None, entries=entries, recent=[], refresh_lists=False))
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        rows = app.screen.query_one(ModelRows)
        assert rows.show_vertical_scrollbar
        lines = screen_text(app).splitlines()[rows.region.y : rows.region.bottom]
        assert len(lines) == rows.region.height > 3
        for n, line in enumerate(lines):
            assert f"-v{n:02d} " in line and "$3/$15" in line


async def test_picker_match_marks_follow_a_middle_cut() -> None:
    """Typed letters are marked where they are shown: in the kept tail of a cut id."""
    picker_connections()
    app = Host(long_id_picker)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        await pilot.press(*"0620")
        await settle(pilot)
        rows = app.screen.query_one(ModelRows)
        assert rows.count >= 1
        row = rows.row(0)
        marked = "".join(row.plain[s.start : s.end] for s in row.spans if "reverse" in str(s.style))
        assert marked == "0620"


# ---- history ---------------------------------------------------------------------------------


TITLES = ["Sorting in Python", "Why is the sky blue?", "A very long title " * 6]


async def history_open(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await ready(pilot)
    store = app.workspace.history()  # type: ignore[attr-defined]
    for title in TITLES:
        conversation = store.create_conversation(title=title)
        store.add_message(conversation.id, parent_id=None, role="user", text=title)
    await pilot.press("ctrl+b")
    await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    options = app.screen.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count == len(TITLES))
    await screen_at_rest(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_history(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(), new=True)
    assert snap_compare(app, terminal_size=size, run_before=history_open)


async def test_history_help_and_rows_fit_at_60x20(fake_server) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(60, 20)) as pilot:
        await history_open(pilot)
        shown = screen_text(app)
        assert "Esc" in shown  # the key help is whole, not cut before its end
        help_label = app.screen.query_one(".help")
        assert inside(app.screen.query_one("HistoryScreen > Vertical").content_region, help_label)
        options = app.screen.query_one(OptionList)
        assert "Sorting in Python" in shown and "Why is the sky blue?" in shown
        assert options.max_scroll_x == 0  # a long title is cut, not scrolled sideways
