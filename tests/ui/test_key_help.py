"""The key help screen (F1): every key as bound now, the user's keymap included; Esc closes it."""

from __future__ import annotations

from craft_tui.config.schema import Config
from craft_tui.ui.app import CraftApp
from craft_tui.ui.bindings import ALL_IDS, HELP_TEXT
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.ui.screens.key_help import KeyHelpScreen, key_label
from tests.ui.chat_helpers import screen_text, wait_until


def _config(keymap: dict[str, str] | None = None) -> Config:
    return Config.model_validate(
        {
            "settings": {"keymap": keymap or {}},
            "connections": [
                {
                    "slug": "local",
                    "name": "Local",
                    "protocol": "openai",
                    "base_url": "http://127.0.0.1:9/v1",
                    "auth": {"type": "none"},
                    "models": ["m"],
                }
            ],
        }
    )


def test_every_binding_has_a_line_of_help() -> None:
    assert set(HELP_TEXT) == set(ALL_IDS)


def test_keys_print_as_on_the_keyboard() -> None:
    assert key_label("ctrl+o") == "Ctrl+O"
    assert key_label("left_square_bracket") == "["
    assert key_label("f4") == "F4"
    assert key_label("escape") == "Esc"
    assert key_label("c") == "c"


async def test_f1_lists_the_keys_with_the_users_keymap_and_esc_closes_it() -> None:
    app = CraftApp(_config({"pick_model": "ctrl+p", "retry": "f5"}), new_conversation=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyHelpScreen))
        await wait_until(pilot, lambda: "Ctrl+P" in screen_text(app))
        shown = screen_text(app)
        assert "model picker" in shown and "Ctrl+O" not in shown  # remapped, not the default
        assert "F5" in shown and "retry the last answer" in shown
        assert "Ctrl+G" in shown and "connections" in shown
        assert "recall the last prompt" in shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert "recall the last prompt" not in screen_text(app)


async def test_the_list_scrolls_on_a_small_terminal() -> None:
    app = CraftApp(_config(), new_conversation=True)
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyHelpScreen))
        assert "undo that delete" not in screen_text(app)  # the last line is below the fold
        await pilot.press("end")
        await wait_until(pilot, lambda: "undo that delete" in screen_text(app))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))


def test_a_keymap_value_with_a_control_character_is_shown_disarmed() -> None:
    from craft_tui.ui.screens.key_help import key_lines

    rows = dict(row for _, section in key_lines({"retry": "ctrl+r\x1b]0;x\x07"}) for row in section)
    shown = next(keys for keys, text in rows.items() if "retry" in text)
    assert "\x1b" not in shown and "\x07" not in shown and "␛" in shown
