"""Saving the settings screen's changes: only the keys changed are written, every comment and
blank line of the user's file stays byte for byte, and generation values resolve in one order."""

from __future__ import annotations

from pathlib import Path

import pytest

from craft_tui.config import paths, state
from craft_tui.config.attribution import as_sent
from craft_tui.config.generation import (
    DEFAULT_CONNECTION_MAX_TOKENS,
    GenerationParams,
    effective,
    parse_effort,
    parse_hours,
    parse_max_tokens,
    parse_temperature,
)
from craft_tui.config.schema import Connection, ModelEntry, Settings
from craft_tui.config.settings_edit import ConnectionGone, SettingsEdit, save_settings
from craft_tui.config.store import ConfigError, load_config

COMMENTED = """\
# My craft-tui config — hand-written, keep my notes.
version = 1

[settings]
# the look
theme = "nord"   # dark, easy on the eyes
default_connection = "local"

# start-up
reopen_last_conversation = true   # I like to pick up where I left

[[connections]]
# my laptop's server
slug = "local"
name = "Local"
protocol = "openai"
base_url = "http://127.0.0.1:9/v1"
models = [
    "m1",   # the small one
    "m2",
]
default_model = "m1"   # fast

[connections.auth]
type = "none"

[[connections]]
slug = "other"
name = "Other"
protocol = "openai"
base_url = "http://127.0.0.1:8/v1"
models = ["x1", "x2"]

[connections.auth]
type = "none"
"""


def write(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_changed_settings_are_set_in_place_and_every_comment_stays() -> None:
    path = write(COMMENTED)
    save_settings(SettingsEdit({"theme": "dracula", "reopen_last_conversation": False}))
    assert path.read_text() == COMMENTED.replace('theme = "nord"', 'theme = "dracula"').replace(
        "reopen_last_conversation = true", "reopen_last_conversation = false"
    )


def test_new_settings_are_added_after_the_last_key_of_settings() -> None:
    path = write(COMMENTED)
    save_settings(SettingsEdit({"ai_titles": True, "temperature": 0.7, "reasoning_effort": "low"}))
    text = path.read_text()
    marker = "reopen_last_conversation = true   # I like to pick up where I left\n"
    added = 'ai_titles = true\ntemperature = 0.7\nreasoning_effort = "low"\n'
    assert text == COMMENTED.replace(marker, marker + added)
    settings = load_config(path).settings
    assert (settings.ai_titles, settings.temperature, settings.reasoning_effort) == (
        True,
        0.7,
        "low",
    )


def test_an_unset_value_is_taken_out_and_nothing_else_moves() -> None:
    with_temperature = COMMENTED.replace(
        'default_connection = "local"\n', 'default_connection = "local"\ntemperature = 0.2\n'
    )
    path = write(with_temperature)
    save_settings(SettingsEdit({"temperature": None}))
    assert path.read_text() == COMMENTED


def test_the_default_model_is_changed_in_its_connection_only() -> None:
    path = write(COMMENTED)
    save_settings(
        SettingsEdit({"default_connection": "other"}, default_model=("other", "x2")),
    )
    text = path.read_text()
    expected = COMMENTED.replace(
        'default_connection = "local"', 'default_connection = "other"'
    ).replace('models = ["x1", "x2"]\n', 'models = ["x1", "x2"]\ndefault_model = "x2"\n')
    assert text == expected
    config = load_config(path)
    assert config.default_connection is not None
    assert config.default_connection.effective_default_model == "x2"


def test_an_empty_model_means_the_first_listed_and_removes_the_key() -> None:
    path = write(COMMENTED)
    save_settings(SettingsEdit(default_model=("local", None)))
    assert path.read_text() == COMMENTED.replace('default_model = "m1"   # fast\n', "")


def test_a_saved_theme_forgets_the_palette_pick_so_the_file_decides() -> None:
    path = write(COMMENTED.replace('theme = "nord"   # dark, easy on the eyes\n', ""))
    state.set_theme("dracula")  # picked in the palette earlier; the file names no theme
    save_settings(SettingsEdit({"theme": "textual-dark"}))  # the default: not written
    assert state.theme() is None
    assert 'theme = "' not in path.read_text()
    assert load_config(path).settings.theme == "textual-dark"


def test_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    path = write(COMMENTED)
    before = path.stat().st_mtime_ns
    save_settings(SettingsEdit({"theme": "nord", "model_cache_hours": 24.0}))
    assert path.read_text() == COMMENTED
    assert path.stat().st_mtime_ns == before


def test_a_file_without_settings_gets_a_settings_table() -> None:
    bare = (
        COMMENTED.split("[settings]")[0]
        + "[[connections]]"
        + COMMENTED.split("[[connections]]", 1)[1]
    )
    path = write(bare)
    save_settings(SettingsEdit({"model_cache_hours": 2.5}))
    text = path.read_text()
    assert text.startswith(bare)
    assert text.endswith("\n[settings]\nmodel_cache_hours = 2.5\n")
    assert load_config(path).settings.model_cache_hours == 2.5


def test_a_broken_file_is_refused_and_left_as_it_is() -> None:
    path = write(COMMENTED + "\nnot toml [\n")
    with pytest.raises(ConfigError):
        save_settings(SettingsEdit({"ai_titles": True}))
    assert path.read_text() == COMMENTED + "\nnot toml [\n"


def test_a_connection_removed_meanwhile_is_said_and_nothing_is_written() -> None:
    path = write(COMMENTED)
    with pytest.raises(ConnectionGone, match="'gone' was removed meanwhile"):
        save_settings(SettingsEdit({"ai_titles": True}, default_model=("gone", "x")))
    assert path.read_text() == COMMENTED


def test_the_file_stays_private() -> None:
    path = write(COMMENTED)
    path.chmod(0o600)
    save_settings(SettingsEdit({"ai_titles": True}))
    assert path.stat().st_mode & 0o777 == 0o600


def test_only_the_screens_settings_can_be_edited() -> None:
    with pytest.raises(KeyError):
        SettingsEdit({"favourite_models": ["a/b"]})


# ------------------------------------------------------------------------ generation values


def connection(max_tokens: int | None = None, model_max: int | None = None) -> Connection:
    extra = {"max_tokens": max_tokens} if max_tokens is not None else {}
    return Connection(
        slug="c",
        name="C",
        protocol="openai",
        base_url="http://127.0.0.1:9/v1",
        models=[ModelEntry(id="m", max_tokens=model_max)],
        **extra,  # type: ignore[arg-type]
    )


def test_the_connection_default_max_tokens_is_the_schemas() -> None:
    assert Connection.model_fields["max_tokens"].default == DEFAULT_CONNECTION_MAX_TOKENS


def test_unset_everywhere_sends_nothing_but_the_connections_max_tokens() -> None:
    got = effective(None, Settings(), connection(), "m")
    assert got == GenerationParams(None, DEFAULT_CONNECTION_MAX_TOKENS, None)


def test_the_settings_apply_where_the_conversation_says_nothing() -> None:
    settings = Settings(temperature=0.3, max_tokens=1000, reasoning_effort="high")
    assert effective(None, settings, connection(), "m") == GenerationParams(0.3, 1000, "high")


def test_the_conversation_wins_over_everything() -> None:
    settings = Settings(temperature=0.3, max_tokens=1000, reasoning_effort="high")
    own = GenerationParams(0.0, 50, "low")
    got = effective(own, settings, connection(max_tokens=9000, model_max=7000), "m")
    assert got == own  # a temperature of 0 is a value, not "unset"


def test_a_model_entry_and_a_connection_set_max_tokens_before_the_settings() -> None:
    settings = Settings(max_tokens=1000)
    assert effective(None, settings, connection(model_max=7000), "m").max_tokens == 7000
    assert effective(None, settings, connection(max_tokens=9000), "m").max_tokens == 9000


@pytest.mark.parametrize("text", ["2.5", "-1", "x", "nan"])
def test_a_temperature_outside_0_to_2_is_refused_with_the_range(text: str) -> None:
    with pytest.raises(ValueError, match="from 0 to 2"):
        parse_temperature(text)


def test_typed_values_read_as_a_person_writes_them() -> None:
    assert parse_temperature(" 0,7 ") == 0.7
    assert parse_temperature("") is None
    assert parse_max_tokens("4,096", unset="x") == 4096
    assert parse_max_tokens("", unset="x") is None
    assert parse_hours("0") == 0.0
    assert parse_effort("default") is None
    assert parse_effort("medium") == "medium"
    with pytest.raises(ValueError, match="whole number above 0"):
        parse_max_tokens("0", unset="the default")
    with pytest.raises(ValueError, match="0 or more"):
        parse_hours("-2")


# ------------------------------------------------------------------------ OpenRouter attribution


def openrouter(base_url: str = "https://openrouter.ai/api/v1") -> Connection:
    return Connection(
        slug="or",
        name="OpenRouter",
        protocol="openai",
        base_url=base_url,
        headers={
            "HTTP-Referer": "https://github.com/craft-tui/craft-tui",
            "X-Title": "craft-tui",
            "X-Mine": "1",
        },
    )


def test_attribution_off_leaves_the_two_headers_out_of_openrouter_requests() -> None:
    sent = as_sent(openrouter(), Settings(openrouter_attribution=False))
    assert sent.headers == {"X-Mine": "1"}


def test_attribution_on_or_another_host_sends_the_connection_as_it_is() -> None:
    connection = openrouter()
    assert as_sent(connection, Settings()) is connection
    elsewhere = openrouter("https://llm.example.com/v1")
    assert as_sent(elsewhere, Settings(openrouter_attribution=False)) is elsewhere
