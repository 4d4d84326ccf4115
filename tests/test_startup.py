"""Start-up: the chat screen is painted before anything slow is imported or opened (issue 8:
"nothing slow before the first frame"), and the lighter command line still knows every command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from craft_tui.cli import build_parser
from tests.conftest import subprocess_env

PROBE = Path(__file__).with_name("first_frame_probe.py")


def probe(home: Path, *args: str, theme: str | None = None) -> dict[str, object]:
    env = subprocess_env(home)
    subprocess.run(
        [sys.executable, "-m", "craft_tui", "connection", "add", "Mock", "--protocol", "openai",
         "--base-url", "http://127.0.0.1:9/v1", "--no-auth", "--model", "mock"],
        env=env, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    if theme is not None:
        config = home / "config" / "config.toml"
        text = config.read_text()
        assert 'theme = "textual-dark"' in text
        config.write_text(text.replace('theme = "textual-dark"', f'theme = "{theme}"'))
    result = subprocess.run(
        [sys.executable, str(PROBE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    figures: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def test_chat_screen_is_painted_before_the_history_is_opened(isolated_home: Path) -> None:
    seen = probe(isolated_home)
    assert seen["exit"] == 0
    first = seen["first_paint"]
    assert isinstance(first, dict)
    assert str(first["placeholder"]).startswith("Message mock")  # ready to type, right model
    assert seen["painted_before_history"] is True


def test_nothing_slow_is_imported_before_the_first_frame(isolated_home: Path) -> None:
    # pydantic (the config is validated right after the first frame), HTTP, Markdown parsing,
    # SQLite and the chat core, the presets and the price table all wait until after the first
    # frame (~85 ms for pydantic, ~10-40 ms each for the others, on a 2-core machine).
    first = probe(isolated_home, "--new")["first_paint"]
    assert isinstance(first, dict)
    assert first["imported"] == []


def test_the_first_frame_already_has_the_configured_theme_and_connection(
    isolated_home: Path,
) -> None:
    first = probe(isolated_home, "--new", theme="nord")["first_paint"]
    assert isinstance(first, dict)
    assert first["theme"] == "nord"
    assert "Mock" in str(first["status"]) and "mock" in str(first["status"])


def test_help_lists_every_command_without_building_their_options() -> None:
    assert build_parser(()).format_help() == build_parser().format_help()
    for command in ("connection", "ask", "models", "paths"):
        assert f"    {command}" in build_parser(()).format_help()
