"""App-level behaviour: the exception guard, the keymap and the command palette."""

from __future__ import annotations

import pytest

from craft_tui.config import paths
from craft_tui.config.schema import Config
from craft_tui.ui.app import CraftApp
from craft_tui.ui.bindings import keymap_from_settings


async def test_an_exception_in_a_handler_leaves_one_line_and_a_logged_traceback(capsys) -> None:
    app = CraftApp(Config.model_validate({"settings": {}}))
    app.action_open_connections = lambda first_run=False: None  # type: ignore[method-assign]

    def explode() -> None:
        raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            app.call_later(explode)
            await pilot.pause()
    shown = app.fatal_message or ""
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err + printed.out
    assert "craft-tui stopped after an unexpected error (RuntimeError)" in shown
    assert "Your conversation is saved" in shown
    assert "Traceback" not in shown
    log = paths.log_file().read_text()
    assert "Traceback" in log and "handler bug" in log


def test_keymap_keeps_known_ids_and_reports_unknown_ones() -> None:
    known, unknown = keymap_from_settings(
        {"pick_model": "f2", "stop": "ctrl+x", "picker.close": "f10", "bogus": "f9"}
    )
    assert known == {"pick_model": "f2", "stop": "ctrl+x", "picker.close": "f10"}
    assert unknown == ["bogus"]


async def test_unknown_keymap_ids_are_reported_in_a_notification() -> None:
    app = CraftApp(Config.model_validate({"settings": {"keymap": {"no_such_action": "f9"}}}))
    app.action_open_connections = lambda first_run=False: None  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("no_such_action" in str(n.message) for n in app._notifications)


async def test_the_command_palette_offers_every_chat_action() -> None:
    app = CraftApp(Config())
    app.action_open_connections = lambda first_run=False: None  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for title in (
            "Pick model",
            "Connections",
            "New conversation",
            "History",
            "System prompt",
            "Stop answer",
            "Retry last answer",
            "Copy last answer",
            "Copy last code block",
        ):
            assert title in titles
