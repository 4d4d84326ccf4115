"""Theme files (`config/themes.py` reads them, `ui/themes.py` makes Textual themes): the shipped
ones are all valid and readable, a user's file adds a theme or replaces one of ours, and a broken
file is one line naming it while every other theme still loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color
from textual.theme import BUILTIN_THEMES

from craft_tui.config import paths
from craft_tui.config.themes import SHIPPED_DIR, parse_theme, read_themes, user_dir
from craft_tui.ui.themes import build_theme, faint_in_grey, load_themes

SHIPPED = sorted(SHIPPED_DIR.glob("*.toml"))
EVERY_COLOUR = (
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
)

MINE = """\
name = "my-theme"
dark = false
primary = "#336699"
background = "#fdf6e3"
foreground = "#222222"
"""


def write_user_theme(file_name: str, text: str) -> Path:
    folder = user_dir()
    paths.ensure_private_dir(folder)
    path = folder / file_name
    path.write_text(text, encoding="utf-8")
    return path


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""

    def luminance(value: str) -> float:
        def channel(c: int) -> float:
            s = c / 255
            return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

        r, g, b = Color.parse(value).rgb
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_a_dark_a_light_and_a_high_contrast_theme_are_shipped_and_all_load() -> None:
    themes, problems = load_themes(user=Path("/nonexistent"))
    assert problems == []
    by_name = {theme.name: theme for theme in themes}
    assert {"craft-dark", "craft-light", "craft-high-contrast"} <= set(by_name)
    assert by_name["craft-dark"].dark and not by_name["craft-light"].dark
    assert len(themes) == len(SHIPPED)  # every shipped file became a theme


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_theme_names_every_colour_and_its_text_is_readable(path: Path) -> None:
    data = parse_theme(path.read_text(encoding="utf-8"), path)
    assert data.name == path.stem  # the file is named after its theme
    build_theme(data, check_variables=True)  # start-up skips this check for shipped files
    assert set(EVERY_COLOUR) <= set(data.colours)
    needed = 7.0 if "high-contrast" in data.name else 4.5  # WCAG AAA / AA for body text
    for ground in ("background", "surface", "panel"):
        ratio = contrast(data.colours["foreground"], data.colours[ground])
        assert ratio >= needed, f"{data.name}: foreground on {ground} is {ratio:.1f}:1"


def test_a_user_theme_is_added_after_the_shipped_ones() -> None:
    write_user_theme("mine.toml", MINE)
    themes, problems = load_themes()
    assert problems == []
    mine = {theme.name: theme for theme in themes}["my-theme"]
    assert mine.dark is False and mine.background == "#fdf6e3"


def test_a_user_theme_of_a_shipped_name_replaces_it() -> None:
    write_user_theme("dark.toml", MINE.replace("my-theme", "craft-dark"))
    themes, problems = load_themes()
    assert problems == []
    dark = [theme for theme in themes if theme.name == "craft-dark"]
    assert len(dark) == 1 and dark[0].primary == "#336699"


BROKEN = [
    pytest.param("name = 'x'\ndark = true\nprimary = \n", "not valid TOML", id="bad-toml"),
    pytest.param("name = 'x'\ndark = true\n", "missing primary", id="no-primary"),
    pytest.param(
        MINE.replace("#336699", "#33669"), "primary '#33669' is not a colour", id="colour"
    ),
    pytest.param(MINE + "primery = '#fff'\n", "unknown key primery", id="unknown-key"),
    pytest.param(MINE.replace("false", '"no"'), "dark must be true or false", id="dark"),
    pytest.param(MINE.replace('"my-theme"', '"My [b]Theme"'), "is not a theme name", id="name"),
    pytest.param(MINE.replace("my-theme", "nord"), "'nord' is a built-in", id="builtin"),
    pytest.param(MINE + "text_alpha = 3\n", "text_alpha must be a number", id="fraction"),
    pytest.param(
        MINE + "[variables]\nno-such-variable = '#fff'\n",
        "variables.no-such-variable is not a Textual theme variable",
        id="unknown-variable",
    ),
    pytest.param(
        MINE + "[variables]\nfooter-key-foreground = 'blurple'\n",
        "variables.footer-key-foreground 'blurple' is not a colour",
        id="variable-colour",
    ),
    pytest.param(
        MINE + "[variables]\nlink-style = 'loud'\n",
        "variables.link-style 'loud' is not a text style",
        id="variable-style",
    ),
]


@pytest.mark.parametrize(("text", "reason"), BROKEN)
def test_a_broken_user_file_is_one_line_naming_it_and_is_skipped(text: str, reason: str) -> None:
    broken = write_user_theme("broken.toml", text)
    write_user_theme("mine.toml", MINE)
    themes, problems = load_themes()
    assert len(problems) == 1
    line = problems[0]
    assert "\n" not in line
    assert line.startswith(f"Theme file {broken} skipped: ")
    assert reason in line
    names = {theme.name for theme in themes}
    assert {"my-theme", "craft-dark", "craft-light", "craft-high-contrast"} <= names
    assert "x" not in names


def test_a_file_name_with_control_characters_is_shown_disarmed() -> None:
    write_user_theme("evil\x1b[31m.toml", "dark = true")
    problems = read_themes().problems
    assert len(problems) == 1
    assert "\x1b" not in problems[0] and "evil␛[31m.toml" in problems[0]


def test_a_huge_file_is_refused_without_reading_it_all() -> None:
    write_user_theme("huge.toml", MINE + "#" * 100_000 + "\n")
    problems = read_themes().problems
    assert len(problems) == 1 and "larger than 64 KB" in problems[0]


def test_only_toml_files_are_read_and_no_folder_is_no_problem() -> None:
    assert read_themes().problems == []  # no user folder at all
    write_user_theme("notes.txt", "not a theme")
    write_user_theme("mine.toml", MINE)
    files = read_themes()
    assert files.problems == []
    assert [t.name for t in files.themes if not t.shipped] == ["my-theme"]


def test_textuals_built_in_themes_are_never_replaced() -> None:
    themes, _ = load_themes()
    assert not {theme.name for theme in themes} & set(BUILTIN_THEMES)


def test_every_shipped_theme_stays_readable_in_greys_and_textuals_default_does_not() -> None:
    themes, _ = load_themes()
    assert {theme.name: faint_in_grey(theme) for theme in themes} == {
        theme.name: [] for theme in themes
    }  # NO_COLOR keeps them
    assert faint_in_grey(BUILTIN_THEMES["textual-dark"]) == ["primary", "secondary", "error"]
