"""Rename and pin from the history screen (issue 17): F2 opens a field holding the title (Enter
saves, Esc cancels and leaves the list open, empty gives back the first prompt's title); Ctrl+T
pins (★, listed first) and unpins; each row shows the conversation's tokens and cost, local
answers as "local" and unpriced ones as "—", as the status line does."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from craft_tui.chat.history import HistoryStore
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.history import HistoryScreen
from tests.ui.chat_helpers import make_app, ready, wait_until


def messages(app: CraftApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


def prompts(options: OptionList) -> list[str]:
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def highlighted(options: OptionList) -> str:
    assert options.highlighted is not None
    return str(options.get_option_at_index(options.highlighted).prompt)


async def open_history(pilot: Pilot[Any], app: CraftApp, titles: list[str]) -> OptionList:
    await ready(pilot)
    store = app.workspace.history()
    for title in titles:
        conversation = store.create_conversation()
        store.add_message(conversation.id, parent_id=None, role="user", text=title)
    await pilot.press("ctrl+b")
    await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    options = app.screen.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count == len(titles))
    return options


def titles(store: HistoryStore) -> list[str]:
    return [c.title for c in store.list_conversations(pinned_first=True)]


async def test_f2_renames_enter_saves_esc_cancels_empty_restores(fake_server) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        options = await open_history(pilot, app, ["the first prompt"])
        store = app.workspace.history()
        screen = app.screen
        await pilot.press("f2")
        field = screen.query_one("#history-rename", Input)
        await wait_until(pilot, lambda: field.has_focus)
        assert field.value == "the first prompt"
        assert not screen.query_one("#history-search", Input).display  # the field takes its place
        field.value = ""
        await pilot.press(*"Trip plans", "enter")
        await wait_until(pilot, lambda: highlighted(options).startswith("Trip plans "))
        assert titles(store) == ["Trip plans"]
        assert "Renamed to “Trip plans”." in messages(app)
        assert options.has_focus and screen.query_one("#history-search", Input).display

        await pilot.press("f2")
        await wait_until(pilot, lambda: field.has_focus)
        await pilot.press(*"unsaved", "escape")  # cancels; the list stays open
        await wait_until(pilot, lambda: options.has_focus)
        assert app.screen is screen and titles(store) == ["Trip plans"]

        await pilot.press("f2")
        await wait_until(pilot, lambda: field.has_focus)
        field.value = "   "
        await pilot.press("enter")
        await wait_until(pilot, lambda: titles(store) == ["the first prompt"])
        await wait_until(pilot, lambda: highlighted(options).startswith("the first prompt "))
        assert "Back to the first prompt's title: “the first prompt”." in messages(app)


async def test_a_hostile_title_is_edited_as_text_and_kept_when_untouched(fake_server) -> None:
    hostile = "see \x1b]0;owned\x07 [b]bold[/b] \u202eevil"
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        options = await open_history(pilot, app, [hostile])
        store = app.workspace.history()
        assert highlighted(options).startswith("see ␛]0;owned␇ [b]bold[/b] ⟨U+202E⟩evil")
        await pilot.press("f2")
        field = app.screen.query_one("#history-rename", Input)
        await wait_until(pilot, lambda: field.has_focus)
        assert field.value == "see ␛]0;owned␇ [b]bold[/b] ⟨U+202E⟩evil"  # disarmed, as text
        await pilot.press("enter")  # untouched: nothing is written
        await wait_until(pilot, lambda: options.has_focus)
        assert titles(store) == [hostile]
        await pilot.press("f2")
        await wait_until(pilot, lambda: field.has_focus)
        field.value = "[red]x[/red] \x1b[2J"
        await pilot.press("enter")
        await wait_until(pilot, lambda: titles(store) == ["[red]x[/red] \x1b[2J"])
        await wait_until(pilot, lambda: highlighted(options).startswith("[red]x[/red] ␛[2J"))


async def test_ctrl_t_pins_to_the_top_and_unpins(fake_server) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        options = await open_history(pilot, app, ["oldest", "middle", "newest"])
        store = app.workspace.history()
        await pilot.press("down")
        await wait_until(pilot, lambda: options.has_focus)
        await pilot.press("down", "down")
        assert highlighted(options).startswith("oldest ")
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: prompts(options)[0].startswith("★ oldest "))
        assert [p.split()[0] for p in prompts(options)[1:]] == ["newest", "middle"]
        assert highlighted(options).startswith("★ oldest ")  # the cursor follows the row
        assert [c.pinned for c in store.list_conversations(pinned_first=True)] == [
            True, False, False
        ]  # fmt: skip
        assert "Pinned “oldest”: listed first." in messages(app)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: prompts(options)[-1].startswith("oldest "))
        assert not any(c.pinned for c in store.list_conversations())
        assert highlighted(options).startswith("oldest ")


async def test_each_row_shows_tokens_and_cost(fake_server) -> None:
    app = make_app(fake_server(), new=True)  # the fake server is on 127.0.0.1: local, free
    async with app.run_test(size=(110, 30)) as pilot:
        await ready(pilot)
        store = app.workspace.history()
        for prompt, slug, figures in [
            ("paid", "elsewhere", {"input_tokens": 1200, "output_tokens": 300, "cost_usd": 0.0123}),
            ("on the local server", "fake", {"input_tokens": 40, "output_tokens": 2}),
            ("a price nobody knows", "gone", {"input_tokens": 5, "output_tokens": 5}),
        ]:
            conversation = store.create_conversation()
            question = store.add_message(conversation.id, parent_id=None, role="user", text=prompt)
            answer = store.add_message(
                conversation.id, parent_id=question.id, role="assistant", connection_slug=slug
            )
            store.finish_message(answer.id, finish_reason="stop", **figures)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        options = app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count == 3)
        rows = {p.split("  ")[0]: p.split() for p in prompts(options)}
        assert rows["paid"][1:4] == ["1.5k", "tok", "$0.0123"]
        assert rows["on the local server"][4:7] == ["42", "tok", "local"]
        assert rows["a price nobody knows"][4:7] == ["10", "tok", "—"]
        widths = {len(p) for p in prompts(options)}
        assert len(widths) == 1  # the columns line up


async def test_the_columns_follow_the_width_of_the_terminal(fake_server) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(120, 30)) as pilot:
        options = await open_history(pilot, app, ["a title of some length", "short"])

        def fits() -> bool:
            width = options.scrollable_content_region.width
            return all(len(p) <= width for p in prompts(options))

        wide = len(prompts(options)[0])
        assert fits() and "2026-" in prompts(options)[0]
        await pilot.resize_terminal(60, 20)
        await wait_until(pilot, lambda: len(prompts(options)[0]) < wide and fits())
        assert prompts(options)[1].startswith("a title of some length ")  # the title is whole
