"""Reading and writing `config.toml`.

Reads with `tomllib`; a new file is written whole with `tomli-w`, a change to an existing one as a
difference with `tomlkit` (see `toml_edit.py`: the user's comments and layout stay); always
atomically and with mode 0600. A broken file raises
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
from craft_tui.config.schema import Config, FieldError
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
    """A whole new file: the header, then tidy TOML (a model with only an id is a plain string;
    default timeouts, empty lists and runtime state are left out)."""
    from craft_tui.config.toml_edit import new_connection_values, settings_values

    settings = settings_values(config.settings)
    if not settings["keymap"]:
        del settings["keymap"]
    data = {
        "version": config.version,
        "settings": settings,
        "connections": [new_connection_values(c) for c in config.connections],
    }
    if config.mcp_servers:  # (a first `craft-tui mcp add` writes the whole file)
        from craft_tui.config.toml_edit import new_mcp_server_values

        data["mcp_servers"] = [new_mcp_server_values(s) for s in config.mcp_servers]
    return HEADER + tomli_w.dumps(data)


def save_config(config: Config, path: Path | None = None) -> None:
    """Write a whole new config file atomically with mode 0600 (a first run, a test's setup).

    A file the user may have edited is changed with `update_config`, which keeps their layout.
    """
    atomic_write_text(path or paths.config_file(), dump_config(config), mode=0o600)


def update_config(change: Callable[[Config], None], path: Path | None = None) -> Config:
    """Read the file fresh, apply `change`, validate, and write only what changed.

    Edits from another process are kept, and so is everything the user wrote: the change is
    applied to the file as a difference (`toml_edit.apply_change`), so comments, order, layout and
    quoting stay byte for byte outside the keys that changed. Nothing is written when nothing
    changed. Runtime state (`last_used_at`, `settings.favourite_models`) is not written here: it
    lives in `state.py`. A missing file is written whole (`dump_config`).

    Raises ConfigError without touching the file if it is broken or the change makes it invalid.
    """
    path = path or paths.config_file()
    source = read_config_source(path)
    before = validate_config(source)
    config = before.model_copy(deep=True)
    try:
        change(config)
        checked = Config.model_validate(config.model_dump())
    except ValidationError as error:
        raise ConfigError(_describe_validation_error(error, "", path)) from None
    if not source.exists:
        save_config(checked, path)
        return checked
    from craft_tui.config import toml_edit

    if toml_edit.comparable(checked) == toml_edit.comparable(before):
        return checked
    import tomlkit

    doc = tomlkit.parse(source.text)
    toml_edit.apply_change(doc, before, checked)
    text = doc.as_string()
    try:
        written = toml_edit.comparable(parse_config(text, path))
    except ConfigError:
        written = None
    if written != toml_edit.comparable(checked):  # never write a file that says something else
        raise ConfigError(
            f"{path}: this change could not be written without rewriting the file's layout; "
            "the file was left as it is. Make the change by hand."
        )
    atomic_write_text(path, text, mode=0o600)
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
                    config = update_config(lambda current: current.remove_connection(slug), path)
            raise KeyNotStoredError(f"The key could not be stored: {error}") from error
    elif forget_key:
        store.delete(slug)
    with contextlib.suppress(Exception):  # housekeeping: never fails a change that was saved
        drop_orphaned_keys(store, path)
    return config
