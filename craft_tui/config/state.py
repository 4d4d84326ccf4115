"""Runtime state: what craft-tui remembers between runs that is not configuration.

When each connection last answered, the favourite models, the recently picked models, the last
conversation viewed and the theme picked in the command palette (when `config.toml` names no
`theme`; see `ui/app.py`) change while the app is used; writing them into `config.toml` rewrote the user's
hand-edited file after every answer. They live here instead, in `state.json` beside the history
(0600, replaced atomically), and `config.toml` is written only when the user changes configuration.

Losing this file costs nothing that matters, so it never stops anything: a missing, unreadable or
damaged file is just no state (a damaged field is dropped on its own), and a failed write is the
caller's to ignore. Until the first write, an older config's `last_used_at` and
`settings.favourite_models` and the old `cache/recent-models.json` are the starting state (read with
tomllib only: no pydantic here); that first write migrates them, and `config.toml` is left as it is.

Writes are read-modify-write under a lock (a thread lock, and `flock` on `state.json.lock` where
the OS has it), so the app's workers and a `craft-tui ask` in another terminal do not drop each
other's changes.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from craft_tui.config import paths
from craft_tui.config.atomic import atomic_write_text

RECENT_LIMIT = 8
"""How many recently picked models are remembered (the picker shows them after the favourites)."""

_VERSION = 1
_thread_lock = threading.Lock()


@dataclass
class State:
    """Everything in `state.json`. Model keys are `connection-slug/model-id`."""

    last_used: dict[str, datetime] = field(default_factory=dict)
    favourite_models: list[str] = field(default_factory=list)
    recent_models: list[str] = field(default_factory=list)
    last_conversation: str | None = None
    theme: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": _VERSION,
                "last_used": {slug: when.isoformat() for slug, when in self.last_used.items()},
                "favourite_models": self.favourite_models,
                "recent_models": self.recent_models,
                "last_conversation": self.last_conversation,
                "theme": self.theme,
            },
            indent=2,
        )


# ---------------------------------------------------------------------------------- reading


def load_state(path: Path | None = None) -> State:
    """The state as it is now; never raises (see the module docstring)."""
    path = path or paths.state_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _legacy_state()
    except (OSError, UnicodeDecodeError):
        return State()
    try:
        data = json.loads(text)
    except ValueError:
        return State()
    return _parse(data)


def _parse(data: Any) -> State:
    """A State from decoded JSON, keeping every field and entry that has the right shape."""
    if not isinstance(data, dict):
        return State()
    state = State()
    used = data.get("last_used")
    if isinstance(used, dict):
        for slug, value in used.items():
            when = _datetime(value)
            if isinstance(slug, str) and when is not None:
                state.last_used[slug] = when
    state.favourite_models = _keys(data.get("favourite_models"))
    state.recent_models = _keys(data.get("recent_models"))[:RECENT_LIMIT]
    last = data.get("last_conversation")
    state.last_conversation = last if isinstance(last, str) and last else None
    theme = data.get("theme")
    state.theme = theme if isinstance(theme, str) and theme else None
    return state


def _keys(value: Any) -> list[str]:
    """A list of distinct strings, in order; anything else in it is dropped."""
    if not isinstance(value, list):
        return []
    return list(dict.fromkeys(item for item in value if isinstance(item, str) and item))


def _datetime(value: Any) -> datetime | None:
    """An aware datetime from TOML's native type or an ISO string; None when it is neither."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _legacy_state() -> State:
    """What older versions kept in config.toml and the cache: the state before the first write."""
    state = State()
    with contextlib.suppress(Exception):  # a broken config is reported by the config's loader
        from craft_tui.config.source import read_config_source

        data = read_config_source().data
        settings = data.get("settings")
        if isinstance(settings, dict):
            state.favourite_models = _keys(settings.get("favourite_models"))
        connections = data.get("connections")
        for connection in connections if isinstance(connections, list) else []:
            if not isinstance(connection, dict):
                continue
            slug, when = connection.get("slug"), _datetime(connection.get("last_used_at"))
            if isinstance(slug, str) and when is not None:
                state.last_used[slug] = when
    with contextlib.suppress(OSError, ValueError):
        legacy = paths.cache_dir() / "recent-models.json"
        state.recent_models = _keys(json.loads(legacy.read_text(encoding="utf-8")))[:RECENT_LIMIT]
    return state


def last_used(slug: str, path: Path | None = None) -> datetime | None:
    """When `slug` last answered, or None."""
    return load_state(path).last_used.get(slug)


def last_used_times(path: Path | None = None) -> dict[str, datetime]:
    """Every connection's last answer, by slug (one read for a whole list)."""
    return dict(load_state(path).last_used)


def favourite_models(path: Path | None = None) -> list[str]:
    """Starred `slug/model` keys, in the order they are shown."""
    return load_state(path).favourite_models


def recent_models(path: Path | None = None) -> list[str]:
    """Recently picked `slug/model` keys, newest first."""
    return load_state(path).recent_models


def last_conversation(path: Path | None = None) -> str | None:
    """The id of the conversation the user last had on screen, or None."""
    return load_state(path).last_conversation


def theme(path: Path | None = None) -> str | None:
    """The theme last picked in the app (None when none was, or `config.toml` holds it).

    Reads `state.json` alone (no migration of older files: they never had a theme), so the app
    can ask before its first frame without importing the config reader."""
    path = path or paths.state_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return _parse(data).theme


# ---------------------------------------------------------------------------------- writing


def update_state(change: Callable[[State], bool], path: Path | None = None) -> State:
    """Read fresh, apply `change` (which says whether it changed anything), write if it did.

    Raises OSError when the file cannot be written; callers that can lose state ignore it.
    """
    path = path or paths.state_file()
    with _locked(path):
        state = load_state(path)
        if change(state):
            atomic_write_text(path, state.to_json() + "\n")
    return state


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold the state for one read-modify-write, against this process's threads and others."""
    with _thread_lock:
        try:
            import fcntl
        except ImportError:  # Windows: the thread lock alone
            yield
            return
        lock_path = path.with_name(path.name + ".lock")
        paths.ensure_private_file(lock_path)
        fd = os.open(lock_path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def mark_connection_used(
    slug: str, path: Path | None = None, *, min_interval_s: float = 60.0
) -> bool:
    """Record that `slug` just answered (shown as "used …"); True when the file was written.

    Skipped when it was marked within `min_interval_s`, so a quick exchange does not write the
    file after every answer.
    """
    now = _now()
    wrote = False

    def change(state: State) -> bool:
        nonlocal wrote
        last = state.last_used.get(slug)
        wrote = last is None or (now - last).total_seconds() >= min_interval_s
        if wrote:
            state.last_used[slug] = now
        return wrote

    update_state(change, path)
    return wrote


def set_favourite_models(keys: Sequence[str], path: Path | None = None) -> list[str]:
    """Replace the favourites (order kept, duplicates dropped); return them."""
    wanted = list(dict.fromkeys(keys))

    def change(state: State) -> bool:
        if state.favourite_models == wanted:
            return False
        state.favourite_models = wanted
        return True

    return update_state(change, path).favourite_models


def toggle_favourite(key: str, path: Path | None = None) -> list[str]:
    """Star `key` (it goes first) or unstar it if it was starred; return the favourites."""

    def change(state: State) -> bool:
        if key in state.favourite_models:
            state.favourite_models.remove(key)
        else:
            state.favourite_models.insert(0, key)
        return True

    return update_state(change, path).favourite_models


def add_recent_model(key: str, path: Path | None = None) -> list[str]:
    """Put `key` first among the recently picked models; return them."""

    def change(state: State) -> bool:
        recent = [key, *(item for item in state.recent_models if item != key)][:RECENT_LIMIT]
        if recent == state.recent_models:
            return False
        state.recent_models = recent
        return True

    return update_state(change, path).recent_models


def set_last_conversation(conversation_id: str | None, path: Path | None = None) -> None:
    """Remember the conversation on screen, so the next start reopens it."""

    def change(state: State) -> bool:
        if state.last_conversation == conversation_id:
            return False
        state.last_conversation = conversation_id
        return True

    update_state(change, path)


def set_theme(name: str | None, path: Path | None = None) -> None:
    """Remember the theme picked in the app (None forgets it)."""

    def change(state: State) -> bool:
        if state.theme == name:
            return False
        state.theme = name
        return True

    update_state(change, path)


def forget_connection(slug: str, path: Path | None = None) -> None:
    """Drop a removed connection's state: its last use, and its models among the favourites and
    the recent picks (a new connection that reuses the slug starts clean)."""
    prefix = f"{slug}/"

    def change(state: State) -> bool:
        before = (len(state.last_used), state.favourite_models, state.recent_models)
        state.last_used.pop(slug, None)
        state.favourite_models = [k for k in state.favourite_models if not k.startswith(prefix)]
        state.recent_models = [k for k in state.recent_models if not k.startswith(prefix)]
        return before != (len(state.last_used), state.favourite_models, state.recent_models)

    update_state(change, path)
