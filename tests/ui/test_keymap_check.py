"""The user's keymap checked at start: an unknown id, an entry without keys, or a key that gives
two actions in one place is one line naming the id, the key and the line of config.toml; the app
starts anyway, those entries on their default keys, and F1 lists the keys as they are bound."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from craft_tui.config import paths
from craft_tui.config.source import parse_config_source, read_config_source
from craft_tui.ui.app import CraftApp
from craft_tui.ui.bindings import SCREEN_KEYS, check_keymap
from craft_tui.ui.screens.chat import ChatScreen
from craft_tui.ui.screens.key_help import KeyHelpScreen
from tests.ui.chat_helpers import screen_at_rest, screen_text, wait_until

CONNECTION = """
[[connections]]
slug = "local"
name = "Local"
protocol = "openai"
base_url = "http://127.0.0.1:9/v1"
models = ["m"]

[connections.auth]
type = "none"
"""

KEYMAP = """[settings]
default_connection = "local"

[settings.keymap]
new_conversation = "f6"
retry = "ctrl+o"
no_such_action = "f9"
"""


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + CONNECTION)
    return path


def check(text: str) -> tuple[dict[str, str], list[str]]:
    source = parse_config_source(text, Path("/x/config.toml"))
    checked = check_keymap(source.data["settings"]["keymap"], text=text, where="/x/config.toml")
    return checked.keymap, checked.problems


def test_a_key_taken_by_an_app_key_is_named_with_its_line_and_keeps_the_default() -> None:
    keymap, problems = check(KEYMAP)
    assert keymap == {"new_conversation": "f6"}
    assert problems == [
        '/x/config.toml line 6: [settings.keymap] retry = "ctrl+o": Ctrl+O is also '
        "pick_model's key (Anywhere); retry keeps its default, Ctrl+R.",
        '/x/config.toml line 7: [settings.keymap] no_such_action = "f9": no such binding id '
        "(F1 lists the keys; the README lists the ids); ignored.",
    ]


def test_two_entries_on_one_key_are_both_named_and_both_keep_their_defaults() -> None:
    keymap, problems = check('[settings.keymap]\nhistory = "f5"\nsystem_prompt = "f5"\n')
    assert keymap == {}
    assert len(problems) == 2
    assert (
        "line 2" in problems[0]
        and "history" in problems[0]
        and "system_prompt's key" in problems[0]
    )
    assert "line 3" in problems[1] and "F5 is also history's key (Chat)" in problems[1]


@pytest.mark.parametrize(
    ("keymap", "problem"),
    [
        ({"copy_message": "d"}, "d is also delete_message's key (On a message)"),
        ({"new_conversation": "enter"}, "Enter is also the prompt's key to send (Prompt)"),
        ({"picker.pick": "ctrl+g"}, "Ctrl+G is also open_connections's key (Anywhere)"),
        ({"history.rename": "ctrl+t"}, "Ctrl+T is also history.pin's key (History)"),
        ({"retry": " "}, "no keys given; it keeps its default, Ctrl+R"),
        ({"picker.nope": "f2"}, "no such binding id"),
    ],
)
def test_each_kind_of_problem_is_one_line(keymap: dict[str, str], problem: str) -> None:
    checked = check_keymap(keymap)
    assert checked.keymap == {}
    assert len(checked.problems) == 1
    assert checked.problems[0].startswith("config.toml: [settings.keymap] ")
    assert problem in checked.problems[0]


@pytest.mark.parametrize(
    "keymap",
    [
        {"stop": "escape"},  # Esc is focus_prompt's too, by default: they share it already
        {"retry": "ctrl+n", "new_conversation": "ctrl+r"},  # a swap
        {"pick_model": "ctrl+p", "picker.close": "f10", "connections.add": "n"},
        {"history.pin": "ctrl+p", "tool_permissions": "ctrl+y"},  # other places, other keys
        {"stop": "escape,ctrl+x"},  # its own default key kept among the new ones
    ],
)
def test_a_keymap_without_conflicts_is_applied_whole(keymap: dict[str, str]) -> None:
    checked = check_keymap(keymap)
    assert checked.problems == []
    assert checked.keymap == keymap


def test_an_entry_put_back_to_its_default_is_checked_again() -> None:
    """retry is left out (Ctrl+O is the model picker's); its default Ctrl+R is then what
    find asked for, so find is left out too: nothing applied has a conflict."""
    checked = check_keymap({"retry": "ctrl+o", "find": "ctrl+r"})
    assert checked.keymap == {}
    assert [line.split(" = ")[0] for line in checked.problems] == [
        "config.toml: [settings.keymap] retry",
        "config.toml: [settings.keymap] find",
    ]


def test_outside_text_in_a_problem_line_is_disarmed() -> None:
    checked = check_keymap({"bad\x1b]0;x\x07": "f9"})
    assert "\x1b" not in checked.problems[0] and "\x07" not in checked.problems[0]


def test_the_other_screens_keys_are_listed_as_those_screens_bind_them() -> None:
    from textual.binding import Binding

    from craft_tui.ui.screens.connection_form import ConnectionFormScreen
    from craft_tui.ui.screens.connections import ConnectionsScreen
    from craft_tui.ui.screens.generation import GenerationScreen
    from craft_tui.ui.screens.model_picker import ModelPickerScreen
    from craft_tui.ui.screens.settings import SettingsScreen

    bound: dict[str, str] = {}
    for screen in (
        ModelPickerScreen,
        ConnectionsScreen,
        ConnectionFormScreen,
        SettingsScreen,
        GenerationScreen,
    ):
        for item in screen.BINDINGS:
            if isinstance(item, Binding) and item.id is not None:
                bound[item.id] = item.key
    listed = {
        binding_id: keys for table in SCREEN_KEYS.values() for binding_id, keys in table.items()
    }
    assert listed == bound


async def test_the_app_starts_says_each_problem_and_uses_defaults_for_those() -> None:
    path = write_config(KEYMAP)
    app = CraftApp(config_source=read_config_source(), new_conversation=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_until(pilot, lambda: bool(app._notifications))
        toast = "\n".join(str(n.message) for n in app._notifications)
        lines = toast.splitlines()
        assert lines == [
            f'{path} line 6: [settings.keymap] retry = "ctrl+o": Ctrl+O is also '
            "pick_model's key (Anywhere); retry keeps its default, Ctrl+R.",
            f'{path} line 7: [settings.keymap] no_such_action = "f9": no such binding id '
            "(F1 lists the keys; the README lists the ids); ignored.",
        ]
        # Ctrl+O is still the model picker's, and the entry that had no problem is applied.
        assert app.keymap == {"new_conversation": "f6"}
        chat = app.screen
        await wait_until(pilot, app.config_ready.is_set)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: app.screen is not chat)
        assert type(app.screen).__name__ == "ModelPickerScreen"


async def test_f1_shows_the_live_keys_and_what_was_not_applied() -> None:
    write_config(KEYMAP)
    app = CraftApp(config_source=read_config_source(), new_conversation=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, KeyHelpScreen))
        shown = screen_text(app)
        new_line = next(line for line in shown.splitlines() if "new conversation" in line)
        assert "F6" in new_line and "Ctrl+N" not in new_line  # remapped
        retry_line = next(line for line in shown.splitlines() if "retry the last answer" in line)
        assert "Ctrl+R" in retry_line  # its entry was not applied: the default
        assert "Not applied from your keymap" in shown
        assert 'retry = "ctrl+o"' in shown and "no_such_action" in shown


async def _key_help_at_rest(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    await pilot.press("f1")
    await wait_until(pilot, lambda: isinstance(app.screen, KeyHelpScreen))
    app.clear_notifications()  # the start toast says the same as the screen, over it
    await screen_at_rest(pilot)


def test_key_help_snapshot_with_a_remapped_key(snap_compare) -> None:  # type: ignore[no-untyped-def]
    write_config(KEYMAP)
    source = read_config_source()
    # The path would differ per run: the problem lines name the file as the user's home has it.
    source = parse_config_source(source.text, Path("~/.config/craft-tui/config.toml"))
    app = CraftApp(config_source=source, new_conversation=True)
    assert snap_compare(app, terminal_size=(100, 40), run_before=_key_help_at_rest)
