"""SVG snapshots of the history screen at 80×24 and 120×40: the list with its key help, a
delete waiting for its second press, the confirmation naming the conversation, and the results of
a search (each matching message under its conversation, the words marked)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from craft_tui.chat import history as history_module
from craft_tui.ui.screens.history import HistoryScreen
from tests.ui.chat_helpers import make_app, ready, screen_at_rest, wait_until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
TITLES = ["Sorting in Python", "Why is the sky blue?", "A very long title " * 6]


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows show when each conversation was last touched: pin it."""
    moment = datetime(2026, 11, 30, 9, 41, tzinfo=UTC)
    monkeypatch.setattr(history_module, "utc_now", lambda: moment)


async def history_open(pilot: Pilot[Any]) -> OptionList:
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
    return options


@pytest.mark.parametrize("size", SIZES)
def test_history_list(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(), new=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await history_open(pilot)
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_history_delete_asks_naming_the_conversation(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(), new=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await history_open(pilot)
        await pilot.press("down", "down")  # into the list, then the second row
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: len(app._notifications) == 1)
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


SEARCHED = [
    ("Sorting in Python", ["How do I sort a list of dicts by a key?", "Use sorted() with a key:\n"
     "sorted(rows, key=lambda row: row['age']). For a stable sort by two keys, sort twice."]),
    ("Why is the sky blue?", ["Why is the sky blue?", "Rayleigh scattering: short wavelengths "
     "scatter more, so blue light reaches you from every part of the sky."]),
    ("Shell one-liners", ["Sort a file by its second column", "sort -k2,2 file.txt — add -n to "
     "sort numbers, -r to reverse; [b]not markup[/b] \x1b[31m stays text."]),
]  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
def test_history_search_results(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(), new=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        store = app.workspace.history()
        for title, texts in SEARCHED:
            conversation = store.create_conversation(title=title)
            parent = None
            for index, text in enumerate(texts):
                role = "user" if index % 2 == 0 else "assistant"
                parent = store.add_message(
                    conversation.id, parent_id=parent, role=role, text=text
                ).id
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        app.screen.query_one(Input).value = "sort"
        await wait_until(pilot, lambda: app.screen.query_one(OptionList).option_count == 6)
        await pilot.press("down")  # into the results, the way a user reads them
        await wait_until(pilot, lambda: app.screen.query_one(OptionList).has_focus)
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


COSTED = [
    # prompt, connection of the answer, its figures (fake is the local test server: free)
    ("Plan a trip to Lisbon", "elsewhere", {"input_tokens": 1200, "output_tokens": 300,
                                            "cost_usd": 0.0123}),
    ("Explain Rust lifetimes", "fake", {"input_tokens": 40_000, "output_tokens": 2_000}),
    ("Summarise this paper", "gone", {"input_tokens": 900, "output_tokens": 100}),
    ("Draft an email to the landlord", "elsewhere", {"input_tokens": 300, "output_tokens": 700,
                                                     "cost_usd": 1.25}),
]  # fmt: skip


async def costed_history(pilot: Pilot[Any]) -> OptionList:
    """Four conversations with answers: one pinned (the oldest), one renamed by hand."""
    app = pilot.app
    await ready(pilot)
    store = app.workspace.history()  # type: ignore[attr-defined]
    ids = []
    for prompt, slug, figures in COSTED:
        conversation = store.create_conversation()
        question = store.add_message(conversation.id, parent_id=None, role="user", text=prompt)
        answer = store.add_message(
            conversation.id, parent_id=question.id, role="assistant", connection_slug=slug
        )
        store.finish_message(answer.id, finish_reason="stop", **figures)
        ids.append(conversation.id)
    store.set_pinned(ids[0], True)
    store.rename(ids[2], "Paper notes [b]not markup[/b]")
    await pilot.press("ctrl+b")
    await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    options = app.screen.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count == len(COSTED))
    return options


@pytest.mark.parametrize("size", SIZES)
def test_history_pinned_renamed_and_costs(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(), new=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await costed_history(pilot)
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_history_rename_field(snap_compare, fake_server, size) -> None:
    app = make_app(fake_server(), new=True)

    async def run_before(pilot: Pilot[Any]) -> None:
        await costed_history(pilot)
        await pilot.press("down", "down")  # into the list, the second row
        await pilot.press("f2")
        field = app.screen.query_one("#history-rename", Input)
        await wait_until(pilot, lambda: field.has_focus)
        await screen_at_rest(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
