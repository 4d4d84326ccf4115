"""The app reopens the conversation the user was viewing (issue 15, item 8), not the one updated
last: that one may be an empty conversation left by Ctrl+N, or one the user had moved away from."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from craft_tui.config import paths, state
from craft_tui.ui.screens.history import HistoryScreen
from tests.ui.chat_helpers import answered, make_app, ready, send, views, wait_until


async def test_the_conversation_on_screen_is_the_one_reopened(fake_server) -> None:
    server = fake_server(echo=True)
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "about penguins")
        await answered(pilot, chat)
        penguins = chat.session.conversation.id
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: chat.loaded and views(chat) == [])
        await send(pilot, "about volcanoes")  # updated last
        await answered(pilot, chat)
        await pilot.press("ctrl+n")  # an empty one, newer still
        await wait_until(pilot, lambda: chat.loaded and views(chat) == [])
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        options = app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count >= 2)
        app.screen.query_one(Input).value = "pengu"

        def only_penguins() -> bool:  # its title row, and its message as a search hit
            prompts = [
                str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
            ]
            return bool(prompts) and not any("volcano" in prompt for prompt in prompts)

        await wait_until(pilot, only_penguins)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is chat and chat.loaded and bool(views(chat)))
        await wait_until(pilot, lambda: state.last_conversation() == penguins)
    again = make_app(server)  # (writes a fresh config.toml: the helper's setup)
    config_before = paths.config_file().read_bytes()
    async with again.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: bool(views(chat)))
        assert views(chat)[0].text == "about penguins"
        assert chat.session.conversation.id == penguins
    assert paths.config_file().read_bytes() == config_before  # viewing is not configuration


async def test_a_viewed_conversation_deleted_since_falls_back_to_the_last_updated(
    fake_server,
) -> None:
    server = fake_server(echo=True)
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "still here")
        await answered(pilot, chat)
        kept = chat.session.conversation.id
    state.set_last_conversation("no-such-conversation")
    again = make_app(server)
    async with again.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: bool(views(chat)))
        assert chat.session.conversation.id == kept
