"""Reading and writing `config.toml`.

Reads with `tomllib`, writes with `tomli-w`, atomically and with mode 0600. A broken file raises
`ConfigError` with one message naming the file, the line of the offending key, the field, and what
was expected; nothing here ever writes over a file it could not read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import tomli_w
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from craft_tui.config import paths
from craft_tui.config.atomic import atomic_write_text
from craft_tui.config.schema import Config, FieldError, Timeouts
from craft_tui.config.source import ConfigError as ConfigError  # defined there, raised here too
from craft_tui.config.source import (
    ConfigSource,
    Loc,
    key_lines,
    line_of,
    parse_config_source,
    read_config_source,
)

if TYPE_CHECKING:
    from craft_tui.config.secrets import SecretStore

HEADER = (
    "# craft-tui configuration. Keys are never stored here: see `craft-tui connection --help`.\n"
)


def load_config(path: Path | None = None) -> Config:
    """Read the config; a missing file is an empty config, a broken one raises ConfigError."""
    return validate_config(read_config_source(path))


def parse_config(text: str, path: Path) -> Config:
    """Validate TOML text as a Config, turning every failure into one readable ConfigError."""
    return validate_config(parse_config_source(text, path))


def validate_config(source: ConfigSource) -> Config:
    """The Config of an already TOML-parsed file (ConfigError naming the file when invalid)."""
    if not source.exists:
        return Config()
    try:
        return Config.model_validate(source.data)
    except ValidationError as error:
        raise ConfigError(_describe_validation_error(error, source.text, source.path)) from None


def _describe_validation_error(error: ValidationError, text: str, path: Path) -> str:
    """One message for the whole file: each problem with the line of its key, then the fix."""
    lines = key_lines(text) if text else {}
    problems = []
    for detail in error.errors()[:5]:
        loc = _field_location(detail)
        line = line_of(lines, loc)
        where = f"line {line}, " if line else ""
        problems.append(f"{where}{_format_location(loc) or 'top level'}: {_problem(detail)}")
    more = len(error.errors()) - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return (
        f"{path}: invalid configuration: "
        + "; ".join(problems)
        + suffix
        + ". Fix the file by hand; craft-tui will not overwrite it."
    )


def _field_location(detail: ErrorDetails) -> Loc:
    """The key a problem is about, as the file spells it.

    pydantic's union-branch labels are dropped; a whole-model check that names its field
    (`FieldError`: a URL, a duplicate slug, the default connection) points at that field instead
    of its table; an unknown or missing auth `type` points at `type`.
    """
    loc: list[str | int] = []
    for part in detail["loc"]:
        if isinstance(part, str) and part.startswith("function-"):
            continue
        if loc and loc[-1] == "auth" and part in _AUTH_TAGS:
            continue
        loc.append(part)
    cause = (detail.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        loc.extend(cause.loc)
    elif detail["type"] in {"union_tag_invalid", "union_tag_not_found"}:
        loc.append(str((detail.get("ctx") or {}).get("discriminator", "type")).strip("'"))
    return tuple(loc)


def _problem(detail: ErrorDetails) -> str:
    """What is wrong, in words, without a closing full stop (the sentence goes on after it)."""
    kind = detail["type"]
    context = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see README for the fields)"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        return f"unknown type {context.get('tag')!r}; use {_AUTH_CHOICES}"
    if kind == "union_tag_not_found":
        return f"say which kind of authentication: type = {_AUTH_CHOICES}"
    message = detail["msg"].removeprefix("Value error, ").rstrip(". ")
    value = detail.get("input")
    if "input" in detail and not isinstance(value, dict | list) and repr(value) not in message:
        message += f" (got {value!r})"
    return message


_AUTH_TAGS = ("api_key", "bearer", "none")
_AUTH_CHOICES = '"api_key", "bearer" or "none"'


def _format_location(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def dump_config(config: Config) -> str:
    """Serialise to TOML; model entries with only an id are written as plain strings."""
    data = config.model_dump(mode="json", exclude_none=True)
    for connection, model in zip(data["connections"], config.connections, strict=True):
        connection["models"] = [
            extra if len(extra := entry.model_dump(exclude_none=True)) > 1 else entry.id
            for entry in model.models
        ]
        for key in ("created_at", "last_used_at"):
            value = getattr(model, key)
            if value is not None:
                connection[key] = value  # keep TOML's native datetime type
        if connection["timeouts"] == Timeouts().model_dump():
            del connection["timeouts"]  # defaults are documented; keep the file short
        for key in ("headers", "models"):
            if not connection[key]:
                del connection[key]
    if not data["settings"]["keymap"]:
        del data["settings"]["keymap"]
    return HEADER + tomli_w.dumps(data)


def save_config(config: Config, path: Path | None = None) -> None:
    """Write the config atomically with mode 0600."""
    atomic_write_text(path or paths.config_file(), dump_config(config), mode=0o600)


def update_config(change: Callable[[Config], None], path: Path | None = None) -> Config:
    """Read the file fresh, apply `change`, validate, save: edits from another process are kept.

    Raises ConfigError without touching the file if it is broken or the change makes it invalid.
    """
    path = path or paths.config_file()
    config = load_config(path)
    try:
        change(config)
        checked = Config.model_validate(config.model_dump())
    except ValidationError as error:
        raise ConfigError(_describe_validation_error(error, "", path)) from None
    save_config(checked, path)
    return checked


class KeyNotStoredError(Exception):
    """config.toml was changed as asked but the connection's key could not be stored (a new
    connection is taken out again first); the message says why."""


def save_connection(
    change: Callable[[Config], None] | None,
    slug: str,
    *,
    key: str | None = None,
    forget_key: bool = False,
    new: bool = False,
    store: SecretStore | None = None,
    path: Path | None = None,
) -> Config:
    """Change a connection in config.toml and store or delete its key, in the one order that
    cannot leave a key without its connection; return the saved config.

    1. config.toml first (`change`, through `update_config`): if that fails nothing else happens.
    2. Then the key: stored (`key`), or deleted (`forget_key`: the connection was removed, or now
       needs no stored key). A kill between 1 and 2 leaves either a connection without its key,
       which is reported as a missing key and fixed with `connection key` (or Save again), or the
       key of a removed connection, which step 3 of the next change drops.
    3. `drop_orphaned_keys`: every key whose connection is not in config.toml goes.

    The CLI (`craft-tui connection add/remove/key`) and the connection form both save through
    here. When the key of a `new` connection cannot be stored, the connection is taken out of
    config.toml again, so a failed add leaves nothing behind; `KeyNotStoredError` says why.
    """
    from craft_tui.config.secrets import SecretStore, drop_orphaned_keys

    store = store or SecretStore.open()
    config = update_config(change, path) if change is not None else load_config(path)
    if key is not None:
        try:
            store.set(slug, key)
        except Exception as error:
            if new:
                with contextlib.suppress(ConfigError, OSError):  # the key error is the news
                    config = update_config(lambda current: _take_out(current, slug), path)
            raise KeyNotStoredError(f"The key could not be stored: {error}") from error
    elif forget_key:
        store.delete(slug)
    with contextlib.suppress(Exception):  # housekeeping: never fails a change that was saved
        drop_orphaned_keys(store, path)
    return config


def _take_out(config: Config, slug: str) -> None:
    config.connections = [c for c in config.connections if c.slug != slug]
    if config.settings.default_connection == slug:
        config.settings.default_connection = (
            config.connections[0].slug if config.connections else None
        )


def mark_connection_used(
    slug: str, path: Path | None = None, *, min_interval_s: float = 60.0
) -> bool:
    """Record that `slug` just answered (shown as "last used"); True when the file was written.

    Skipped when it was marked within `min_interval_s`, so a quick exchange does not rewrite the
    file after every answer.
    """
    from craft_tui.config.schema import now_utc

    now = now_utc()
    wrote = False

    def change(config: Config) -> None:
        nonlocal wrote
        connection = config.find(slug)
        if connection is None:
            return
        last = connection.last_used_at
        if last is not None and (now - last).total_seconds() < min_interval_s:
            return
        connection.last_used_at = now
        wrote = True

    config = load_config(path)
    change(config)
    if wrote:
        save_config(Config.model_validate(config.model_dump()), path)
    return wrote
