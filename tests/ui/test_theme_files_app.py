"""Theme files in the running app: a user's theme is offered in the command palette, picked and
remembered like a built-in one; a broken file is a warning toast naming it and the app works on;
a theme named in config.toml is in use from the first frame; NO_COLOR leaves no hue on screen."""

from __future__ import annotations

import re

import pytest
from rich.terminal_theme import SVG_EXPORT_THEME

from craft_tui.config import paths, state
from craft_tui.config.themes import user_dir
from tests.ui.chat_helpers import answered, make_app, ready, screen_text, send, wait_until
from tests.ui.test_theme import CONNECTION, chat_loaded, pick_in_palette, started, write_config

MINE = """\
name = "my-theme"
dark = false
primary = "#336699"
background = "#fdf6e3"
foreground = "#222222"
"""


@pytest.fixture(autouse=True)
def colour_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own NO_COLOR must not change what these tests see (they set it themselves)."""
    monkeypatch.delenv("NO_COLOR", raising=False)


def write_user_theme(file_name: str, text: str) -> None:
    paths.ensure_private_dir(user_dir())
    (user_dir() / file_name).write_text(text, encoding="utf-8")


async def test_a_user_theme_file_is_picked_in_the_palette_and_used_next_start() -> None:
    write_user_theme("mine.toml", MINE)
    write_config(CONNECTION)
    app = started()
    async with app.run_test(size=(100, 30)) as pilot:
        await chat_loaded(pilot, app)
        await pick_in_palette(pilot, app, "my-theme")
        assert app.theme == "my-theme"
        assert app.current_theme.background == "#fdf6e3"
        await wait_until(pilot, lambda: state.theme() == "my-theme")

    again = started()
    async with again.run_test(size=(100, 30)) as pilot:
        await chat_loaded(pilot, again)
        assert again.theme == "my-theme"
        assert not again._notifications  # nothing to report


async def test_a_broken_theme_file_is_reported_and_the_app_works_on(fake_server) -> None:
    write_user_theme("broken.toml", 'name = "broken"\ndark = true\nprimary = "#12345"\n')
    write_user_theme("mine.toml", MINE)
    app = make_app(fake_server(reply="Still here."), settings={"theme": "craft-light"})
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        assert app.theme == "craft-light"  # the config's theme, one of the shipped files

        def warned() -> bool:
            return any(n.title == "Theme files skipped" for n in app._notifications)

        await wait_until(pilot, warned)
        toast = next(n for n in app._notifications if n.title == "Theme files skipped")
        assert toast.severity == "warning"
        assert str(user_dir() / "broken.toml") in toast.message
        assert "primary '#12345' is not a colour" in toast.message
        assert "broken" not in app.available_themes
        assert {"my-theme", "craft-dark", "nord", "textual-light"} <= set(app.available_themes)
        chat = await send(pilot, "Are you there?")
        await answered(pilot, chat)
        assert "Still here." in screen_text(app)


async def test_a_config_theme_from_a_user_file_is_there_at_the_first_frame() -> None:
    write_user_theme("mine.toml", MINE)
    write_config('[settings]\ntheme = "my-theme"\n\n' + CONNECTION)
    app = started()
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.theme == "my-theme"  # applied in on_mount, before the config is validated
        await chat_loaded(pilot, app)
        assert app.theme == "my-theme"
        assert not any("Unknown theme" in str(n.message) for n in app._notifications)


_HEX = re.compile(r"#([0-9a-fA-F]{6})\b")


def hues(svg: str) -> set[str]:
    """Every colour of the screenshot that is not a grey (r, g and b not all equal)."""
    found = set()
    for value in _HEX.findall(svg):
        r, g, b = value[0:2], value[2:4], value[4:6]
        if not r.lower() == g.lower() == b.lower():
            found.add(value)
    return found


def _terminal_part(svg: str) -> str:
    """The screenshot without what Rich's SVG export adds: the window around it (three coloured
    dots, a title) and the export's stand-in for the terminal's own default text colour, which
    is what a cell with no colour set shows (line ends); the app sets neither."""
    svg = re.sub(r"<circle [^>]*/>", "", svg)
    svg = re.sub(r'<text class="terminal-\d+-title"[^>]*>', "", svg)
    default = SVG_EXPORT_THEME.foreground_color
    return re.sub(f"#{default.red:02x}{default.green:02x}{default.blue:02x}", "", svg)


REPLY = "Use **sorted()**:\n\n```python\nsorted(words, key=len)\n```\n"


@pytest.mark.parametrize("theme", ["craft-dark", "craft-light", "craft-high-contrast"])
async def test_no_color_shows_the_screen_in_greys_and_still_readable(
    fake_server, monkeypatch: pytest.MonkeyPatch, theme: str
) -> None:
    app = make_app(fake_server(reply=REPLY), settings={"theme": theme})
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Sort?")
        await answered(pilot, chat)
        assert hues(_terminal_part(app.export_screenshot()))  # the theme has colour ...

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(fake_server(reply=REPLY), settings={"theme": theme})
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Sort?")
        await answered(pilot, chat)
        assert app.theme == theme  # readable in greys: kept
        assert hues(_terminal_part(app.export_screenshot())) == set()  # ... and none here
        text = screen_text(app)
        assert "Sort?" in text and "sorted(words, key=len)" in text
        assert not any("NO_COLOR" in str(n.message) for n in app._notifications)


async def test_no_color_shows_a_theme_that_fades_in_greys_as_its_stand_in_unremembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    write_config(CONNECTION)  # names no theme: Textual's default, textual-dark
    app = started()
    async with app.run_test(size=(80, 24)) as pilot:
        await chat_loaded(pilot, app)
        assert app.theme == "craft-high-contrast"
        await wait_until(
            pilot, lambda: any("NO_COLOR" in str(n.message) for n in app._notifications)
        )
        told = next(str(n.message) for n in app._notifications if "NO_COLOR" in str(n.message))
        assert "textual-dark" in told and "craft-high-contrast" in told
        assert hues(_terminal_part(app.export_screenshot())) == set()
    assert state.theme() is None  # the stand-in is for this run only: not remembered
    assert paths.config_file().read_text() == CONNECTION

    again = started()
    async with again.run_test(size=(80, 24)) as pilot:
        await chat_loaded(pilot, again)
        assert again.theme == "craft-high-contrast"
        await pick_in_palette(pilot, again, "nord")  # a pick is the user's: kept, in greys
        assert again.theme == "nord"
        await wait_until(pilot, lambda: state.theme() == "nord")
        assert hues(_terminal_part(again.export_screenshot())) == set()


def test_an_empty_no_color_leaves_colour_on_a_set_one_turns_it_off() -> None:
    from craft_tui.commands.app import honour_no_color_convention

    empty = {"NO_COLOR": "", "TERM": "xterm"}
    honour_no_color_convention(empty)
    assert "NO_COLOR" not in empty
    kept = {"NO_COLOR": "1"}
    honour_no_color_convention(kept)
    assert kept == {"NO_COLOR": "1"}
