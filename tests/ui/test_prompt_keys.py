"""Keys of the prompt itself: Ctrl+L clears a long prompt in one key, Ctrl+Z brings it back, and
the key follows the user's keymap."""

from __future__ import annotations

from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.chat import ChatScreen
from tests.ui.chat_helpers import wait_until
from tests.ui.test_key_help import _config

LONG = "a long prompt that took a while to type\n" * 20


async def test_ctrl_l_clears_the_prompt_and_ctrl_z_brings_it_back() -> None:
    app = CraftApp(_config(), new_conversation=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        chat.prompt.focus()
        chat.prompt.insert(LONG)
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: chat.prompt.text == "")
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: chat.prompt.text == LONG)


async def test_the_clear_key_follows_the_keymap() -> None:
    app = CraftApp(_config({"clear_prompt": "ctrl+x"}), new_conversation=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        chat.prompt.focus()
        chat.prompt.insert("keep me")
        await pilot.press("ctrl+l")  # no longer bound: the text stays
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: chat.prompt.text == "")
