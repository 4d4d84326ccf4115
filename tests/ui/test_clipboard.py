"""Copy over OSC 52, wrapped for tmux passthrough, with the one tmux setting that makes it work.

The tmux tests ask a real tmux server (private socket in the test's temp dir) for its options."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual import events

from craft_tui.config.schema import Config
from craft_tui.ui.app import CraftApp
from craft_tui.ui.clipboard import (
    TMUX_FIX,
    TMUX_FIX_ALT,
    TmuxClipboard,
    code_blocks,
    detect_tmux_clipboard,
    osc52,
    plan_copy,
    tmux_passthrough,
)
from tests.ui.chat_helpers import wait_until

ESC = "\x1b"


def test_osc52_carries_the_text_base64_encoded() -> None:
    sequence = osc52("héllo\nworld")
    assert sequence.startswith(f"{ESC}]52;c;") and sequence.endswith("\a")
    assert base64.b64decode(sequence[len(f"{ESC}]52;c;") : -1]).decode() == "héllo\nworld"


def test_tmux_wrapping_doubles_every_escape_and_terminates_with_st() -> None:
    wrapped = tmux_passthrough(osc52("x"))
    assert wrapped == f"{ESC}Ptmux;{ESC}{ESC}]52;c;eA==\a{ESC}\\"


def test_outside_tmux_the_plain_sequence_is_used() -> None:
    assert detect_tmux_clipboard({"PATH": os.environ.get("PATH", "")}) is TmuxClipboard.NOT_TMUX
    plan = plan_copy("x", TmuxClipboard.NOT_TMUX)
    assert plan.sequence == osc52("x") and plan.advice is None


def test_blocked_tmux_gets_the_wrapped_sequence_and_advice_naming_both_settings() -> None:
    plan = plan_copy("x", TmuxClipboard.BLOCKED)
    assert plan.sequence == tmux_passthrough(osc52("x"))
    assert plan.advice is not None
    assert TMUX_FIX in plan.advice and TMUX_FIX_ALT in plan.advice


def test_code_blocks_are_found_in_order_including_an_unclosed_last_one() -> None:
    text = "Intro\n```python\na = 1\n```\nmid\n~~~\nb\n~~~\n```sh\necho open"
    assert code_blocks(text) == ["a = 1", "b", "echo open"]
    assert code_blocks("no code here") == []


@pytest.fixture
def tmux_server(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A private tmux server with default options; yields its socket and a $TMUX env for it."""
    assert shutil.which("tmux"), "tmux is needed for the clipboard tests"
    socket = tmp_path / "tmux.sock"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    subprocess.run(
        ["tmux", "-S", str(socket), "-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24"],
        check=True,
        env=env,
        timeout=10,
    )
    env_in_tmux = {**env, "TMUX": f"{socket},1,0"}
    try:
        yield socket, env_in_tmux
    finally:
        subprocess.run(["tmux", "-S", str(socket), "kill-server"], env=env, timeout=10)


def _set(socket: Path, name: str, value: str, env: dict[str, str]) -> None:
    subprocess.run(
        ["tmux", "-S", str(socket), "set-option", "-g", name, value],
        check=True,
        env=env,
        timeout=10,
    )


def test_tmux_with_default_settings_drops_osc52_so_the_user_is_told(tmux_server) -> None:
    socket, env = tmux_server
    _set(socket, "set-clipboard", "external", env)
    _set(socket, "allow-passthrough", "off", env)
    assert detect_tmux_clipboard(env) is TmuxClipboard.BLOCKED


def test_tmux_with_allow_passthrough_gets_the_wrapped_sequence(tmux_server) -> None:
    socket, env = tmux_server
    _set(socket, "set-clipboard", "external", env)
    _set(socket, "allow-passthrough", "on", env)
    mode = detect_tmux_clipboard(env)
    assert mode is TmuxClipboard.PASSTHROUGH
    plan = plan_copy("code", mode)
    assert plan.sequence.startswith(f"{ESC}Ptmux;") and plan.advice is None


def test_tmux_with_set_clipboard_on_takes_plain_osc52(tmux_server) -> None:
    socket, env = tmux_server
    _set(socket, "set-clipboard", "on", env)
    mode = detect_tmux_clipboard(env)
    assert mode is TmuxClipboard.SET_CLIPBOARD
    assert plan_copy("code", mode).sequence == osc52("code")


def _notes(app: CraftApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_a_copy_tmux_drops_is_not_called_copied_and_the_fix_is_told_once(tmux_server) -> None:
    socket, env = tmux_server
    _set(socket, "set-clipboard", "external", env)
    _set(socket, "allow-passthrough", "off", env)
    app = CraftApp(Config(), environ=env)
    app.action_open_connections = lambda first_run=False: None  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app._tmux_mode is TmuxClipboard.BLOCKED)
        app.copy_text("one", what="message")
        app.copy_text("two", what="message")
        await pilot.pause()
        notes = _notes(app)
        assert not any("Copied" in note for note in notes)  # it was not
        tips = [note for note in notes if TMUX_FIX in note]
        assert len(tips) == 1 and tips[0].startswith("Not copied: tmux is dropping")
        assert len(notes) == 2 and notes[1].startswith("Not copied: tmux still drops")
        # The user adds the line the tip names and comes back: the next copy gets through.
        _set(socket, "allow-passthrough", "on", env)
        app.post_message(events.AppFocus())
        await wait_until(pilot, lambda: app._tmux_mode is TmuxClipboard.PASSTHROUGH)
        app.copy_text("three", what="message")
        await pilot.pause()
        assert _notes(app)[-1] == "Copied message (1 line)"
        assert app.copied[-1] == tmux_passthrough(osc52("three"))
