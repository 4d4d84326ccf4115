"""The history screen: find a past conversation by its words, open it (searching messages:
tests/ui/test_history_search.py); delete asks twice,
naming the conversation, and can be undone; the cursor does not wrap around."""

from __future__ import annotations

import threading
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.history import HistoryScreen
from tests.ui.chat_helpers import answered, make_app, ready, send, views, wait_until


async def test_search_and_open_a_past_conversation(fake_server) -> None:
    server = fake_server(echo=True)
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "about penguins")
        await answered(pilot, chat)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: chat.loaded and views(chat) == [])
        await send(pilot, "about volcanoes")
        await answered(pilot, chat)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        history = app.screen
        options = history.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count == 2)
        history.query_one(Input).value = "pengu"

        # the conversation's row, then its prompt (and the echoed answer) holding the word
        def prompts() -> list[str]:
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        await wait_until(pilot, lambda: "   you: about penguins" in prompts())
        assert prompts()[0].startswith("about penguins  ")
        assert not any("volcanoes" in prompt for prompt in prompts())
        await pilot.press("enter")  # the conversation's row is highlighted: it opens
        await wait_until(pilot, lambda: app.screen is chat and chat.loaded and bool(views(chat)))
        assert views(chat)[0].text == "about penguins"


async def test_delete_needs_a_second_press(fake_server) -> None:
    app = make_app(fake_server())
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "doomed")
        await answered(pilot, chat)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        options = app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count == 1)
        await pilot.press("ctrl+d")
        assert options.option_count == 1
        await pilot.press("ctrl+d")
        assert options.option_count == 0
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.workspace.history().list_conversations() == [])
        await wait_until(pilot, lambda: app.screen is chat and chat.loaded and views(chat) == [])
        await send(pilot, "after the delete")  # the open conversation was deleted: a new one
        answer = await answered(pilot, chat)
        assert answer.error is None


def messages(app: CraftApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def open_history(pilot: Pilot[Any], app: CraftApp, titles: list[str]) -> OptionList:
    """The history screen over conversations with `titles` (made in the store directly)."""
    await ready(pilot)
    store = app.workspace.history()
    for title in titles:
        conversation = store.create_conversation(title=title)
        store.add_message(conversation.id, parent_id=None, role="user", text=title)
    await pilot.press("ctrl+b")
    await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    options = app.screen.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count == len(titles))
    return options


def row_title(options: OptionList) -> str:
    assert options.highlighted is not None
    return str(options.get_option_at_index(options.highlighted).prompt).split("  ")[0]


async def test_the_cursor_stops_at_the_first_and_last_rows(fake_server) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        options = await open_history(pilot, app, ["one", "two", "three"])
        await pilot.press("down")  # from the search field into the list
        await wait_until(pilot, lambda: options.has_focus)
        assert options.highlighted == 0
        await pilot.press("up")
        assert options.highlighted == 0  # not the last row
        for _ in range(5):
            await pilot.press("down")
        assert options.highlighted == 2
        await pilot.press("down")
        assert options.highlighted == 2  # not the first row


async def test_the_confirmation_names_the_conversation_it_would_delete(fake_server) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        options = await open_history(pilot, app, ["keep me", "bin \x1b]0;me\x07[b]x[/b]"])
        await pilot.press("down")
        while row_title(options) != "keep me":
            await pilot.press("down")
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: any("keep me" in m for m in messages(app)))
        assert "Press Ctrl+D again to delete “keep me”." in messages(app)
        await pilot.press("up" if options.highlighted else "down")  # another row: disarmed
        await pilot.press("ctrl+d")
        await wait_until(pilot, lambda: len(messages(app)) == 2)
        assert options.option_count == 2  # moving away disarmed the first confirmation
        named = messages(app)[-1]
        assert "bin ␛]0;me␇[b]x[/b]" in named  # disarmed, as text


async def test_a_delete_is_undone_with_ctrl_z_and_the_store_keeps_it(fake_server) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        options = await open_history(pilot, app, ["precious"])
        await pilot.press("ctrl+d", "ctrl+d")
        await wait_until(pilot, lambda: options.option_count == 0)
        assert "Deleted “precious” — press Ctrl+Z to undo." in messages(app)
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: options.option_count == 1)
        assert row_title(options) == "precious"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HistoryScreen))
        await pilot.pause()
        titles = [c.title for c in app.workspace.history().list_conversations()]
        assert titles == ["precious"]


async def test_the_delete_is_written_off_the_ui_loop(fake_server, monkeypatch) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        options = await open_history(pilot, app, ["first", "second"])
        store = app.workspace.history()
        threads: list[int] = []
        delete = store.delete_conversation

        def recorded(conversation_id: str) -> None:
            threads.append(threading.get_ident())
            delete(conversation_id)

        monkeypatch.setattr(store, "delete_conversation", recorded)
        await pilot.press("ctrl+d", "ctrl+d")
        await wait_until(pilot, lambda: options.option_count == 1)
        await pilot.press("ctrl+d", "ctrl+d")  # the second delete makes the first final
        await wait_until(pilot, lambda: len(threads) == 1)
        await pilot.press("escape")  # closing makes the second final
        await wait_until(pilot, lambda: len(threads) == 2)
        assert threading.get_ident() not in threads
        await wait_until(pilot, lambda: store.list_conversations() == [])
