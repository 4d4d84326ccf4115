"""Reading `config.toml` as TOML, without validating it: the cheap half of loading the config.

The app paints its first frame from this (see `preview.py`) and validates with pydantic right
after: importing pydantic and building the config models costs ~85 ms on a 2-core machine. An
unreadable file or broken TOML is still reported here, before the screen changes.
"""

from __future__ import annotations

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
