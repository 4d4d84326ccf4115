"""Runtime state (`config/state.py`): last use, favourites, recent models and the last conversation
live in `state.json`, private and replaced atomically; a damaged file is no state, never an error;
an older config's values are the starting state and config.toml is never written for any of it."""

from __future__ import annotations

import json
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from craft_tui.config import paths, state


def write_config(text: str) -> bytes:
    paths.ensure_private_dir(paths.config_dir())
    paths.config_file().write_text(text, encoding="utf-8")
    return paths.config_file().read_bytes()


LEGACY_CONFIG = """\
# my config
[settings]
favourite_models = ["router/gpt-5", "local/llama3.2"]  # starred long ago

[[connections]]
slug = "router"
name = "Router"
protocol = "openai"
base_url = "https://openrouter.ai/api/v1"
last_used_at = 2026-02-03T04:05:06Z

[[connections]]
slug = "local"
name = "Local"
protocol = "openai"
base_url = "http://127.0.0.1:11434/v1"
"""


def test_no_file_is_no_state_and_nothing_is_written() -> None:
    assert state.load_state() == state.State()
    assert state.last_conversation() is None
    assert state.favourite_models() == []
    assert not paths.state_file().exists()


def test_each_value_round_trips_through_a_private_file() -> None:
    assert state.mark_connection_used("router") is True
    state.toggle_favourite("router/gpt-5")
    state.add_recent_model("local/llama3.2")
    state.set_last_conversation("c-123")
    file = paths.state_file()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert file.parent == paths.data_dir()
    when = state.last_used("router")
    assert when is not None and abs(datetime.now(UTC) - when) < timedelta(minutes=1)
    assert state.favourite_models() == ["router/gpt-5"]
    assert state.recent_models() == ["local/llama3.2"]
    assert state.last_conversation() == "c-123"
    assert not paths.config_file().exists()  # nothing of this goes into config.toml


def test_marking_twice_within_the_interval_writes_once() -> None:
    assert state.mark_connection_used("router") is True
    first = state.last_used("router")
    assert state.mark_connection_used("router") is False
    assert state.last_used("router") == first
    assert state.mark_connection_used("router", min_interval_s=0) is True


def test_favourites_toggle_on_top_and_off() -> None:
    assert state.toggle_favourite("a/x") == ["a/x"]
    assert state.toggle_favourite("b/y") == ["b/y", "a/x"]
    assert state.toggle_favourite("a/x") == ["b/y"]
    assert state.set_favourite_models(["c/z", "c/z", "b/y"]) == ["c/z", "b/y"]


def test_recent_models_are_newest_first_without_repeats_and_bounded() -> None:
    for index in range(state.RECENT_LIMIT + 3):
        state.add_recent_model(f"c/m{index}")
    state.add_recent_model("c/m5")
    recent = state.recent_models()
    assert recent[0] == "c/m5"
    assert len(recent) == state.RECENT_LIMIT
    assert len(set(recent)) == len(recent)


def test_forget_connection_drops_only_that_connections_state() -> None:
    state.mark_connection_used("corp")
    state.mark_connection_used("corp-2")
    state.set_favourite_models(["corp/a", "corp-2/b", "other/corp/c"])
    state.add_recent_model("corp/a")
    state.add_recent_model("corp-2/b")
    state.set_last_conversation("c-1")
    state.forget_connection("corp")
    assert state.last_used("corp") is None
    assert state.last_used("corp-2") is not None
    assert state.favourite_models() == ["corp-2/b", "other/corp/c"]
    assert state.recent_models() == ["corp-2/b"]
    assert state.last_conversation() == "c-1"


@pytest.mark.parametrize(
    "damage",
    [
        b"{not json",
        b"\xff\xfe garbage",
        b"[1, 2, 3]",
        b'"a string"',
        b"",
    ],
)
def test_a_damaged_file_is_no_state_and_the_next_write_replaces_it(damage: bytes) -> None:
    paths.ensure_private_dir(paths.data_dir())
    paths.state_file().write_bytes(damage)
    assert state.load_state() == state.State()
    state.toggle_favourite("a/x")
    assert json.loads(paths.state_file().read_text())["favourite_models"] == ["a/x"]


def test_a_damaged_field_is_dropped_alone() -> None:
    paths.ensure_private_dir(paths.data_dir())
    paths.state_file().write_text(
        json.dumps(
            {
                "last_used": {"ok": "2026-01-02T03:04:05+00:00", "bad": "yesterday", "n": 3},
                "favourite_models": ["a/x", 7, None, "a/x", "b/y"],
                "recent_models": "not a list",
                "last_conversation": 42,
            }
        )
    )
    loaded = state.load_state()
    assert loaded.last_used == {"ok": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}
    assert loaded.favourite_models == ["a/x", "b/y"]
    assert loaded.recent_models == []
    assert loaded.last_conversation is None


def test_an_older_configs_values_are_the_starting_state_and_config_toml_is_left_alone() -> None:
    before = write_config(LEGACY_CONFIG)
    cache = paths.cache_dir() / "recent-models.json"
    paths.ensure_private_dir(cache.parent)
    cache.write_text(json.dumps(["local/llama3.2", "router/gpt-5"]))
    assert state.favourite_models() == ["router/gpt-5", "local/llama3.2"]
    assert state.last_used("router") == datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert state.recent_models() == ["local/llama3.2", "router/gpt-5"]
    # The first write migrates them; config.toml keeps its keys, byte for byte.
    state.set_last_conversation("c-9")
    saved = json.loads(paths.state_file().read_text())
    assert saved["favourite_models"] == ["router/gpt-5", "local/llama3.2"]
    assert saved["last_used"] == {"router": "2026-02-03T04:05:06+00:00"}
    assert saved["recent_models"] == ["local/llama3.2", "router/gpt-5"]
    assert paths.config_file().read_bytes() == before
    # From then on the state file is what counts.
    state.toggle_favourite("router/gpt-5")
    assert state.favourite_models() == ["local/llama3.2"]
    assert paths.config_file().read_bytes() == before


def test_a_broken_config_gives_no_starting_state_and_no_error() -> None:
    write_config("[settings\nfavourite_models = [")
    assert state.load_state() == state.State()


def test_writes_from_many_threads_are_all_kept(tmp_path: Path) -> None:
    def star(index: int) -> None:
        state.toggle_favourite(f"c/m{index}")

    threads = [threading.Thread(target=star, args=(index,)) for index in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(state.favourite_models()) == sorted(f"c/m{index}" for index in range(16))


def test_the_picked_theme_is_remembered_and_a_damaged_one_is_no_theme() -> None:
    assert state.theme() is None
    state.set_theme("nord")
    assert state.theme() == "nord" and state.load_state().theme == "nord"
    state.add_recent_model("a/b")  # another write keeps it
    assert state.theme() == "nord"
    paths.state_file().write_text(json.dumps({"version": 1, "theme": 7}))
    assert state.theme() is None
