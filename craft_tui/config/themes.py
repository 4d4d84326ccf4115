"""Theme files: TOML read into plain data, Textual-free (the UI turns them into Textual themes).

Themes are data so a user can add one without writing Python: the ones shipped live in
`craft_tui/themes/` (package data, so a wheel carries them), the user's in the `themes` folder of
the config folder. A broken file must never stop the app: every problem becomes one line naming
the file and what is wrong, and the file is skipped.

A theme's name is outside text: it is shown in the command palette (which reads markup), written
into `config.toml` or `state.json`, and Textual splits theme names on commas. So a name is held to
lowercase letters, digits, `-`, `_` and `.`, like every built-in one; anything else is refused
with the file named, rather than disarmed and shown.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from craft_tui.config import paths
from craft_tui.untrusted import shown_inline

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "themes"
MAX_FILE_BYTES = 64 * 1024  # a theme is a few hundred bytes; a huge file is not one

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
COLOURS = (
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
    "boost",
)
FRACTIONS = ("luminosity_spread", "text_alpha")  # Textual's two numeric knobs, 0..1
KEYS = frozenset({"name", "dark", "variables", *COLOURS, *FRACTIONS})
REQUIRED = ("name", "dark", "primary")  # Textual derives the other colours from these


@dataclass(frozen=True)
class ThemeData:
    """One theme as its file says it: colours are still strings (the UI checks they parse)."""

    name: str
    dark: bool
    colours: dict[str, str]
    path: Path
    fractions: dict[str, float] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    shipped: bool = False


@dataclass
class ThemeFiles:
    """Every theme that could be read, in order (a later one of a name replaces an earlier one),
    and one line per file that could not."""

    themes: list[ThemeData] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the fix."""


def user_dir() -> Path:
    """Where a user's own themes are read from (not created: only read)."""
    return paths.config_dir() / "themes"


def problem(path: Path, reason: str) -> str:
    """The one line a broken file gets: its path (disarmed, it is outside text), then why."""
    return f"Theme file {shown_inline(str(path))} skipped: {reason}"


def _text(value: object) -> str:
    return shown_inline(repr(value))[:60]


def parse_theme(text: str, path: Path, *, shipped: bool = False) -> ThemeData:
    """One theme file's text checked for shape: raises `ThemeFileError` with the reason."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ThemeFileError(f"not valid TOML ({error})") from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        names = ", ".join(shown_inline(key)[:40] for key in unknown)
        raise ThemeFileError(f"unknown key{'s' if len(unknown) > 1 else ''} {names}")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        raise ThemeFileError(f"missing {', '.join(missing)}")
    name = data["name"]
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        raise ThemeFileError(
            f"name {_text(name)} is not a theme name "
            "(lowercase letters, digits, '-', '_' and '.', at most 64)"
        )
    dark = data["dark"]
    if not isinstance(dark, bool):
        raise ThemeFileError(f"dark must be true or false, not {_text(dark)}")
    colours: dict[str, str] = {}
    for key in COLOURS:
        if key in data:
            value = data[key]
            if not isinstance(value, str) or not value.strip():
                raise ThemeFileError(f"{key} must be a colour in quotes, not {_text(value)}")
            colours[key] = value.strip()
    fractions: dict[str, float] = {}
    for key in FRACTIONS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ThemeFileError(f"{key} must be a number from 0 to 1, not {_text(value)}")
            fractions[key] = float(value)
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError("variables must be a table ([variables])")
    for key, value in variables.items():
        if not isinstance(value, str) or not value.strip():
            raise ThemeFileError(
                f"variables.{shown_inline(key)[:40]} must be a value in quotes, not {_text(value)}"
            )
    return ThemeData(
        name=name,
        dark=dark,
        colours=colours,
        path=path,
        fractions=fractions,
        variables={key: value.strip() for key, value in variables.items()},
        shipped=shipped,
    )


def read_theme(path: Path, *, shipped: bool = False) -> ThemeData:
    """One file read and checked; `ThemeFileError` says why it cannot be used."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise ThemeFileError(f"cannot be read ({error.strerror or error})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ThemeFileError(f"larger than {MAX_FILE_BYTES // 1024} KB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ThemeFileError("not UTF-8 text") from None
    return parse_theme(text, path, shipped=shipped)


def _files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.suffix == ".toml" and p.is_file())
    except OSError:
        return []  # no such folder (the usual case for the user's), or unreadable


def read_themes(shipped_dir: Path = SHIPPED_DIR, user: Path | None = None) -> ThemeFiles:
    """The shipped themes, then the user's (`user`, default `user_dir()`), each file in name
    order; a user's theme of a shipped theme's name replaces it. Never raises for a file."""
    found = ThemeFiles()
    for folder, shipped in ((shipped_dir, True), (user_dir() if user is None else user, False)):
        for path in _files(folder):
            try:
                found.themes.append(read_theme(path, shipped=shipped))
            except ThemeFileError as error:
                found.problems.append(problem(path, str(error)))
    return found
