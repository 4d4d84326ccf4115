"""Theme files made into Textual themes and registered with the app, before the first frame.

The files are read and shape-checked by `craft_tui/config/themes.py`; here every colour and CSS
variable is checked the way Textual will use it, so a file that would break the stylesheet when
picked is refused at start instead (one line naming the file, shown as a warning toast after the
first frame), and the app starts with everything else. Textual's built-in themes stay: a user file
may replace one of ours by name, never a built-in one.

`NO_COLOR`: Textual (8.2) reads it when the app is built and passes every line through its
monochrome filter, so each colour becomes the grey of its own luminance. That is no colour, but
readable only when the theme's colours differ from its background in lightness, not just in hue:
Textual's default theme's blue and red turn into greys of 3.2:1 and 2.7:1 on its background. So
under NO_COLOR a theme whose colours would fade like that is shown as a stand-in made for it
(`craft-high-contrast`, or `craft-light` for a light theme), for this run only, and a toast says
so; a theme that stays readable in greys (every shipped one) is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.design import ColorSystem
from textual.theme import BUILTIN_THEMES, Theme

from craft_tui.config.themes import SHIPPED_DIR, ThemeData, problem, read_themes


class InvalidTheme(ValueError):
    """A theme file whose colours or variables Textual would not accept."""


@cache
def _variable_defaults() -> dict[str, str]:
    """Every variable a Textual theme defines, with the value it would have: what a file may set."""
    return ColorSystem(primary="#0178D4").generate()


def _is_colour(value: str) -> bool:
    try:
        Color.parse(value)
    except ColorParseError:
        return False
    return True


def _is_colour_value(value: str) -> bool:
    """A CSS colour value as Textual's variables hold them: a colour or `auto`, with an optional
    alpha percentage ("auto 87%", "#ff0000 50%"), or `initial`."""
    words = value.split()
    if len(words) == 2 and words[1].endswith("%"):
        try:
            float(words[1][:-1])
        except ValueError:
            return False
        words = words[:1]
    if len(words) != 1:
        return False
    return words[0] in ("auto", "initial") or _is_colour(words[0])


def _is_style_value(value: str) -> bool:
    return all(word in VALID_STYLE_FLAGS for word in value.split())


def _check_variables(variables: dict[str, str]) -> None:
    defaults = _variable_defaults()
    for key, value in variables.items():
        if key not in defaults:
            raise InvalidTheme(f"variables.{key[:40]} is not a Textual theme variable")
        if key.endswith(("-style", "-style-hover")):
            if not _is_style_value(value):
                raise InvalidTheme(
                    f"variables.{key} {value[:40]!r} is not a text style "
                    f"({', '.join(sorted(VALID_STYLE_FLAGS))})"
                )
        elif not _is_colour_value(value):
            raise InvalidTheme(f"variables.{key} {value[:40]!r} is not a colour")


def build_theme(data: ThemeData, *, check_variables: bool = True) -> Theme:
    """The Textual theme of a file; `InvalidTheme` names the first value Textual would refuse.

    With its colours parsed and its variables checked, picking the theme cannot fail. Checking
    variables costs one generation of Textual's 168 (~5 ms CPU), so the shipped files skip it
    before the first frame (`tests/ui/test_theme_files.py` checks them with it)."""
    for key, value in data.colours.items():
        if not _is_colour(value):
            raise InvalidTheme(f'{key} {value[:40]!r} is not a colour (e.g. "#1e90ff")')
    if check_variables:
        _check_variables(data.variables)
    options: dict[str, Any] = {**data.colours, **data.fractions}  # keys checked when read
    return Theme(name=data.name, dark=data.dark, variables=dict(data.variables), **options)


def load_themes(
    shipped_dir: Path = SHIPPED_DIR, user: Path | None = None
) -> tuple[list[Theme], list[str]]:
    """Every usable theme file as a Textual theme (a later file of a name replacing an earlier
    one: the user's replace ours), and one line per file skipped."""
    files = read_themes(shipped_dir, user)
    problems = list(files.problems)
    themes: dict[str, Theme] = {}
    for data in files.themes:
        if data.name in BUILTIN_THEMES:
            problems.append(
                problem(data.path, f"{data.name!r} is a built-in theme's name; pick another name")
            )
            continue
        try:
            themes[data.name] = build_theme(data, check_variables=not data.shipped)
        except InvalidTheme as error:
            problems.append(problem(data.path, str(error)))
    return list(themes.values()), problems


def install_themes(app: App[Any], user: Path | None = None) -> list[str]:
    """Register the theme files' themes with `app` (call before the app applies its theme, so a
    theme named in config.toml or remembered is there), and tell the user of each file skipped
    in one warning toast after the first frame. Returns the problems."""
    themes, problems = load_themes(user=user)
    for theme in themes:
        app.register_theme(theme)
    if problems:
        app.call_after_refresh(_report, app, problems)
    return problems


def _report(app: App[Any], problems: Iterable[str]) -> None:
    app.notify(
        "\n".join(problems),
        title="Theme files skipped",
        severity="warning",
        timeout=20,
    )


GREY_CONTRAST = 4.5  # WCAG AA for body text: a theme's colours in greys against its background
NO_COLOR_STAND_INS = {True: "craft-high-contrast", False: "craft-light"}  # by `dark`
_NAMED = ("primary", "secondary", "accent", "success", "warning", "error", "foreground")


def _grey_luminance(colour: Color) -> float:
    grey = colour.monochrome
    channel = grey.r / 255
    return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4


def faint_in_grey(theme: Theme) -> list[str]:
    """The theme's colours (as Textual derives them) whose grey, which is what NO_COLOR shows,
    is below `GREY_CONTRAST` against the theme's background."""
    values = theme.to_color_system().generate()
    background = _grey_luminance(Color.parse(values["background"]))
    faint = []
    for key in _NAMED:
        light, dark = sorted((_grey_luminance(Color.parse(values[key])), background), reverse=True)
        if (light + 0.05) / (dark + 0.05) < GREY_CONTRAST:
            faint.append(key)
    return faint


def readable_without_colour(app: App[Any]) -> None:
    """Under NO_COLOR, swap a theme that would fade in greys for its stand-in (not remembered:
    call it before the app notes the theme it started with) and say so after the first frame."""
    if not app.no_color:
        return
    theme = app.current_theme
    faint = faint_in_grey(theme)
    stand_in = NO_COLOR_STAND_INS[theme.dark]
    if not faint or stand_in not in app.available_themes or theme.name == stand_in:
        return
    app.theme = stand_in
    app.call_after_refresh(
        app.notify,
        f"NO_COLOR is set: showing the theme {stand_in} instead of {theme.name}, whose "
        f"{', '.join(faint)} would be greys too faint to read. A theme picked now is kept.",
        timeout=10,
    )
