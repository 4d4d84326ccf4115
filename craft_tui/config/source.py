"""Reading `config.toml` as TOML, without validating it: the cheap half of loading the config.

The app paints its first frame from this (see `preview.py`) and validates with pydantic right
after: importing pydantic and building the config models costs ~85 ms on a 2-core machine. An
unreadable file or broken TOML is still reported here, before the screen changes.

`key_lines` finds where each key is written: tomllib keeps no positions, and a config error has to
name the exact line of the key it is about (`validate_config` in store.py uses it).
"""

from __future__ import annotations

import contextlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from craft_tui.config import paths


class ConfigError(Exception):
    """`config.toml` cannot be used as it is; the message says where and why, and how to fix it."""


@dataclass(frozen=True)
class ConfigSource:
    """The file's text and its TOML tables; `exists` is False for a first run (no file yet)."""

    path: Path
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    exists: bool = False


def read_config_source(path: Path | None = None) -> ConfigSource:
    """Read and TOML-parse the config file; a missing file is an empty one."""
    path = path or paths.config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ConfigSource(path)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error}).") from None
    return parse_config_source(text, path)


def parse_config_source(text: str, path: Path) -> ConfigSource:
    """TOML-parse `text`; broken TOML is a ConfigError naming the file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"{path}: not valid TOML: {error}. Fix the file by hand; craft-tui will not overwrite it."
        ) from None
    return ConfigSource(path, text, data, exists=True)


Loc = tuple[str | int, ...]
"""Where a value sits in the TOML tables: keys and array indices, e.g. `("connections", 1, "slug")`."""

_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Stop(Exception):
    """The text is not shaped as expected: keep the lines found so far."""


class _Locator:
    """A scanner over TOML text that notes the line of every key, table header and array item.

    It parses structure only (keys, tables, arrays of tables, inline tables, arrays, strings), just
    enough to know which key a line holds: the text has already passed tomllib, so it need not
    check anything. Inline tables and arrays are followed inside, so `timeouts = { connect = "x" }`
    gives `timeouts.connect` its line, and the N-th `[[connections]]` is `connections[N]`.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Loc, int] = {}
        self.last_index: dict[Loc, int] = {}  # array of tables -> index of its latest table

    def run(self) -> dict[Loc, int]:
        with contextlib.suppress(_Stop, IndexError, ValueError):
            self._document()
        return self.lines

    # -- characters

    def _peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def _advance(self, count: int = 1) -> None:
        if self.pos >= len(self.text):
            raise _Stop
        self.line += self.text.count("\n", self.pos, self.pos + count)
        self.pos += count

    def _expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise _Stop
        self._advance(len(token))

    def _skip_blank(self, *, newlines: bool) -> None:
        while True:
            char = self._peek()
            if char in (" ", "\t") or (newlines and char in ("\r", "\n")):
                self._advance()
            elif newlines and char == "#":
                self._to_line_end()
            else:
                return

    def _to_line_end(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end  # the newline itself is skipped as blank

    def _note(self, loc: Loc, line: int) -> None:
        self.lines.setdefault(loc, line)

    # -- structure

    def _document(self) -> None:
        table: Loc = ()
        while True:
            self._skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            line = self.line
            if self._peek() == "[":
                table = self._header()
                self._note(table, line)
            else:
                keys = self._keys()
                self._key_value(table, keys, line)
            self._skip_blank(newlines=False)
            if self._peek() == "#":
                self._to_line_end()

    def _header(self) -> Loc:
        if self.text.startswith("[[", self.pos):
            self._advance(2)
            keys = self._keys()
            self._expect("]]")
            array = (*self._resolve(keys[:-1]), keys[-1])
            index = self.last_index.get(array, -1) + 1
            self.last_index[array] = index
            return (*array, index)
        self._advance()
        keys = self._keys()
        self._expect("]")
        return self._resolve(keys)

    def _resolve(self, keys: list[str]) -> Loc:
        """A header's keys as a location: an array of tables on the way means its latest table."""
        loc: Loc = ()
        for key in keys:
            loc = (*loc, key)
            if loc in self.last_index:
                loc = (*loc, self.last_index[loc])
        return loc

    def _keys(self) -> list[str]:
        """A dotted key (`a."b c".d`), up to the `=` or `]` after it."""
        keys = []
        while True:
            self._skip_blank(newlines=False)
            char = self._peek()
            if char == '"':
                keys.append(self._basic_string_key())
            elif char == "'":
                self._advance()
                end = self.text.index("'", self.pos)
                keys.append(self.text[self.pos : end])
                self._advance(end - self.pos + 1)
            else:
                start = self.pos
                while self._peek() in _BARE_KEY and self._peek():
                    self._advance()
                if self.pos == start:
                    raise _Stop
                keys.append(self.text[start : self.pos])
            self._skip_blank(newlines=False)
            if self._peek() != ".":
                return keys
            self._advance()

    def _basic_string_key(self) -> str:
        start = self.pos
        self._basic_string()
        raw = self.text[start : self.pos]
        try:
            return str(json.loads(raw))
        except ValueError:
            return raw[1:-1]

    def _key_value(self, table: Loc, keys: list[str], line: int) -> None:
        for count in range(1, len(keys) + 1):
            self._note((*table, *keys[:count]), line)
        self._skip_blank(newlines=False)
        self._expect("=")
        self._skip_blank(newlines=False)
        self._value((*table, *keys))

    def _value(self, loc: Loc) -> None:
        char = self._peek()
        if char == "[":
            self._array(loc)
        elif char == "{":
            self._inline_table(loc)
        elif self.text.startswith('"""', self.pos) or self.text.startswith("'''", self.pos):
            self._multiline_string()
        elif char == '"':
            self._basic_string()
        elif char == "'":
            self._advance()
            self._advance(self.text.index("'", self.pos) - self.pos + 1)
        else:  # number, boolean, date-time (which may hold a space)
            while self._peek() and self._peek() not in ",]}#\r\n":
                self._advance()

    def _array(self, loc: Loc) -> None:
        self._advance()
        index = 0
        while True:
            self._skip_blank(newlines=True)
            if self._peek() == "]":
                self._advance()
                return
            self._note((*loc, index), self.line)
            self._value((*loc, index))
            self._skip_blank(newlines=True)
            if self._peek() == ",":
                self._advance()
                index += 1
            elif self._peek() != "]":
                raise _Stop

    def _inline_table(self, loc: Loc) -> None:
        self._advance()
        while True:
            self._skip_blank(newlines=True)
            if self._peek() == "}":
                self._advance()
                return
            line = self.line
            self._key_value(loc, self._keys(), line)
            self._skip_blank(newlines=True)
            if self._peek() == ",":
                self._advance()
            elif self._peek() != "}":
                raise _Stop

    def _basic_string(self) -> None:
        self._advance()
        while self._peek() != '"':
            if not self._peek() or self._peek() == "\n":
                raise _Stop
            self._advance(2 if self._peek() == "\\" else 1)
        self._advance()

    def _multiline_string(self) -> None:
        quote = self.text[self.pos : self.pos + 3]
        self._advance(3)
        while not self.text.startswith(quote, self.pos):
            if not self._peek():
                raise _Stop
            self._advance(2 if quote == '"""' and self._peek() == "\\" else 1)
        while self._peek() == quote[0]:  # up to two quotes may end the content
            self._advance()


def key_lines(text: str) -> dict[Loc, int]:
    """The 1-based line of every key, table and array item in TOML `text`, by location.

    A key in a dotted key or a table header also gives its parents a line (the first that
    mentions them), so a missing field can be reported at its table's line.
    """
    return _Locator(text).run()


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of `loc`, else of the nearest enclosing key or table that is written down."""
    for count in range(len(loc), 0, -1):
        line = lines.get(loc[:count])
        if line is not None:
            return line
    return None
