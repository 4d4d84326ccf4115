"""The history screen: find a past conversation by its words, open it; delete asks twice."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from craft_tui.ui.screens.history import HistoryScreen
from tests.ui.chat_helpers import answered, make_app, send, views, wait_until


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
        await wait_until(pilot, lambda: options.option_count == 1)
        await pilot.press("enter")
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
        assert app.workspace.history().list_conversations() == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is chat and chat.loaded and views(chat) == [])
        await send(pilot, "after the delete")  # the open conversation was deleted: a new one
        answer = await answered(pilot, chat)
        assert answer.error is None
