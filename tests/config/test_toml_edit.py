"""`update_config` writes only the difference (config/toml_edit.py): every comment, blank line,
inline table, quote style and key order the user wrote stays byte for byte; only the keys a change
touched move, defaults are never written out, runtime keys are neither written nor removed."""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from craft_tui.config import paths
from craft_tui.config.schema import BearerAuth, Config, Connection, ModelEntry, NoAuth
from craft_tui.config.store import ConfigError, load_config, update_config

HAND_WRITTEN = """\
# My craft-tui config. Hand-written, please keep my notes!
version = 1

# --- app-wide ---
[settings]
default_connection = "router"   # the one I use most
theme = 'textual-dark'          # literal string on purpose
# between keys: remaps
keymap = { pick_model = "ctrl+o" }   # inline table

# --- connections ---

# OpenRouter: billed to me
[[connections]]
slug = "router"
name = 'Router'  # the name I see
protocol = "openai"
base_url = "https://openrouter.ai/api/v1"
models = [
  "openai/gpt-5",  # the good one
  { id = "anthropic/claude-sonnet-4", name = "Sonnet" },
]
auth = { type = "api_key", api_key_env = "OPENROUTER_API_KEY" }

# the local box
[[connections]]
slug = "local"
name = "Local"
protocol = "openai"
base_url = "http://127.0.0.1:11434/v1"   # ollama
timeouts = { read = 300.0 }   # slow GPU

[connections.auth]
type = "none"

# A third one, kept for later
[[connections]]
slug = "spare"
name = "Spare"
protocol = "anthropic"
base_url = "https://api.anthropic.com"
"last_used_at" = 2026-02-03T04:05:06Z

# end of file: nothing below
"""


def write(text: str) -> None:
    paths.ensure_private_dir(paths.config_dir())
    paths.config_file().write_text(text, encoding="utf-8")


def text() -> str:
    return paths.config_file().read_text(encoding="utf-8")


def comment_lines(source: str) -> list[str]:
    """Every line that is or holds a comment (a `#` outside the strings of this sample)."""
    return [line for line in source.splitlines() if "#" in line]


def changed(edit: Callable[[Config], None], source: str = HAND_WRITTEN) -> str:
    write(source)
    update_config(edit)
    return text()


def replace_once(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)


def router(config: Config) -> Connection:
    found = config.find("router")
    assert found is not None
    return found


# ------------------------------------------------------------------------ nothing changes


def test_a_change_that_changes_nothing_writes_nothing() -> None:
    write(HAND_WRITTEN)
    before = paths.config_file().stat().st_mtime_ns
    update_config(lambda config: None)
    update_config(lambda config: setattr(config.settings, "theme", "textual-dark"))
    assert text() == HAND_WRITTEN
    assert paths.config_file().stat().st_mtime_ns == before


def test_runtime_keys_are_neither_written_nor_removed() -> None:
    def runtime(config: Config) -> None:
        config.settings.favourite_models = ["router/openai/gpt-5"]
        for connection in config.connections:
            connection.last_used_at = datetime(2027, 1, 1, tzinfo=UTC)

    assert changed(runtime) == HAND_WRITTEN


# ------------------------------------------------------------------------ settings


def test_a_setting_is_set_in_place_keeping_its_comment() -> None:
    def edit(config: Config) -> None:
        config.settings.theme = "nord"

    expected = replace_once(
        HAND_WRITTEN,
        "theme = 'textual-dark'          # literal string on purpose",
        'theme = "nord"          # literal string on purpose',
    )
    assert changed(edit) == expected


def test_a_new_setting_goes_after_the_last_key_of_its_table_not_after_the_next_comment() -> None:
    def edit(config: Config) -> None:
        config.settings.model_cache_hours = 2

    expected = replace_once(
        HAND_WRITTEN,
        "   # inline table\n",
        "   # inline table\nmodel_cache_hours = 2.0\n",
    )
    assert changed(edit) == expected


def test_a_setting_that_becomes_unset_is_removed() -> None:
    def edit(config: Config) -> None:
        config.settings.default_connection = None

    expected = replace_once(
        HAND_WRITTEN, 'default_connection = "router"   # the one I use most\n', ""
    )
    assert changed(edit) == expected


def test_an_inline_keymap_table_gets_its_new_key_inline() -> None:
    def edit(config: Config) -> None:
        config.settings.keymap["stop"] = "ctrl+x"

    result = changed(edit)
    line = next(line for line in result.splitlines() if line.startswith("keymap"))
    assert line.endswith("   # inline table")
    assert tomllib.loads(line)["keymap"] == {"pick_model": "ctrl+o", "stop": "ctrl+x"}
    others = [other for other in result.splitlines() if other != line]
    assert others == [
        other for other in HAND_WRITTEN.splitlines() if not other.startswith("keymap")
    ]


def test_a_settings_table_is_added_when_the_file_has_none() -> None:
    source = HAND_WRITTEN.split("# --- app-wide ---")[0] + HAND_WRITTEN.split(
        "# --- connections ---"
    )[1].replace('"last_used_at" = 2026-02-03T04:05:06Z\n', "")
    result = changed(lambda c: setattr(c.settings, "default_connection", "local"), source)
    assert result.startswith(source)  # everything the user wrote, then the new table
    added = result[len(source) :]
    assert "[settings]" in added and 'default_connection = "local"' in added
    assert "theme" not in added  # defaults are not written out
    assert load_config().settings.default_connection == "local"


# ------------------------------------------------------------------------ connections


def test_a_changed_connection_key_is_set_in_place_and_nothing_else_moves() -> None:
    def edit(config: Config) -> None:
        router(config).name = "Router (work)"

    expected = replace_once(
        HAND_WRITTEN,
        "name = 'Router'  # the name I see",
        'name = "Router (work)"  # the name I see',
    )
    assert changed(edit) == expected


def test_a_model_added_to_a_commented_multi_line_list_is_appended_to_it() -> None:
    def edit(config: Config) -> None:
        router(config).models.append(ModelEntry(id="x-ai/grok-4"))

    expected = replace_once(
        HAND_WRITTEN,
        '  { id = "anthropic/claude-sonnet-4", name = "Sonnet" },\n]',
        '  { id = "anthropic/claude-sonnet-4", name = "Sonnet" },\n  "x-ai/grok-4",\n]',
    )
    assert changed(edit) == expected


def test_a_model_taken_out_of_the_list_goes_with_its_line() -> None:
    def edit(config: Config) -> None:
        router(config).models = router(config).models[1:]

    result = changed(edit)
    assert "openai/gpt-5" not in result and "# the good one" not in result
    rest = [line for line in HAND_WRITTEN.splitlines() if "openai/gpt-5" not in line]
    assert [line for line in result.splitlines() if line.strip()] == [
        line for line in rest if line.strip()
    ]
    assert load_config().find("router").model_ids == ["anthropic/claude-sonnet-4"]  # type: ignore[union-attr]


def test_a_new_key_in_a_table_with_a_sub_table_goes_before_the_sub_table() -> None:
    def edit(config: Config) -> None:
        local = config.find("local")
        assert local is not None
        local.system_prompt = "Be brief."

    expected = replace_once(
        HAND_WRITTEN,
        "timeouts = { read = 300.0 }   # slow GPU\n",
        'timeouts = { read = 300.0 }   # slow GPU\nsystem_prompt = "Be brief."\n',
    )
    assert changed(edit) == expected


def test_a_table_key_the_file_lacks_is_written_with_only_what_differs_from_the_defaults() -> None:
    def edit(config: Config) -> None:
        router(config).timeouts.connect = 3

    expected = replace_once(
        HAND_WRITTEN,
        'auth = { type = "api_key", api_key_env = "OPENROUTER_API_KEY" }\n',
        'auth = { type = "api_key", api_key_env = "OPENROUTER_API_KEY" }\n'
        "timeouts = {connect = 3.0}\n",
    )
    assert changed(edit) == expected


def test_an_inline_sub_table_is_edited_key_by_key() -> None:
    def edit(config: Config) -> None:
        local = config.find("local")
        assert local is not None
        local.timeouts.read = 200

    expected = replace_once(HAND_WRITTEN, "read = 300.0", "read = 200.0")
    assert changed(edit) == expected


def test_a_header_sub_table_is_edited_key_by_key() -> None:
    def edit(config: Config) -> None:
        local = config.find("local")
        assert local is not None
        local.auth = BearerAuth(api_key_env="LOCAL_TOKEN")

    expected = replace_once(
        HAND_WRITTEN,
        '[connections.auth]\ntype = "none"\n',
        '[connections.auth]\ntype = "bearer"\napi_key_env = "LOCAL_TOKEN"\n',
    )
    write(HAND_WRITTEN)
    update_config(edit)
    assert text() == expected


def test_changing_the_auth_kind_removes_the_keys_the_new_kind_has_not() -> None:
    def edit(config: Config) -> None:
        router(config).auth = NoAuth()

    expected = replace_once(
        HAND_WRITTEN,
        'auth = { type = "api_key", api_key_env = "OPENROUTER_API_KEY" }',
        'auth = { type = "none" }',  # the file's own spacing inside the braces
    )
    assert changed(edit) == expected


def test_a_key_added_to_an_inline_table_follows_the_tables_own_spacing() -> None:
    def edit(config: Config) -> None:
        config.settings.keymap["stop"] = "ctrl+x"

    expected = replace_once(
        HAND_WRITTEN,
        'keymap = { pick_model = "ctrl+o" }   # inline table',
        'keymap = { pick_model = "ctrl+o", stop = "ctrl+x" }   # inline table',
    )
    assert changed(edit) == expected


def test_a_tight_inline_table_stays_tight_and_keeps_its_key_quoting() -> None:
    source = replace_once(
        HAND_WRITTEN,
        'base_url = "http://127.0.0.1:11434/v1"   # ollama\n',
        'base_url = "http://127.0.0.1:11434/v1"   # ollama\n'
        'headers = {"X-Team"="blue",X-Env="dev"}  # tight\n',
    )

    def edit(config: Config) -> None:
        local = config.find("local")
        assert local is not None
        local.headers = {"X-Team": "blue", "X-Env": "dev", "X-Run": "1"}

    expected = replace_once(
        source,
        'headers = {"X-Team"="blue",X-Env="dev"}  # tight',
        'headers = {"X-Team"="blue",X-Env="dev",X-Run="1"}  # tight',
    )
    assert changed(edit, source) == expected

    def drop(config: Config) -> None:
        local = config.find("local")
        assert local is not None
        local.headers = {"X-Team": "blue"}

    assert changed(drop, source) == replace_once(
        source,
        'headers = {"X-Team"="blue",X-Env="dev"}  # tight',
        'headers = {"X-Team"="blue"}  # tight',
    )


def test_a_new_connection_is_appended_as_a_tidy_table_after_everything() -> None:
    def edit(config: Config) -> None:
        config.connections.append(
            Connection(
                slug="new",
                name="New",
                protocol="openai",
                base_url="http://127.0.0.1:8000/v1",
                auth=NoAuth(),
                models=[ModelEntry(id="m")],
                created_at=datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC),
            )
        )

    result = changed(edit)
    assert result.startswith(HAND_WRITTEN + "\n[[connections]]\n")
    added = tomllib.loads(result[len(HAND_WRITTEN) :])["connections"][0]
    assert added["slug"] == "new" and added["auth"] == {"type": "none"}
    assert added["models"] == ["m"]
    assert "timeouts" not in added and "headers" not in added and "last_used_at" not in added
    assert [c.slug for c in load_config().connections] == ["router", "local", "spare", "new"]


def test_a_removed_connection_goes_with_its_header_comment_and_the_next_tables_comments_stay() -> (
    None
):
    result = changed(
        lambda c: setattr(c, "connections", [x for x in c.connections if x.slug != "local"])
    )
    start = HAND_WRITTEN.index("# the local box")
    end = HAND_WRITTEN.index("# A third one")
    assert result == HAND_WRITTEN[:start] + HAND_WRITTEN[end:]


def test_the_first_connection_removed_keeps_the_section_comment_above_it() -> None:
    def edit(config: Config) -> None:
        config.connections = config.connections[1:]
        config.settings.default_connection = "local"

    result = changed(edit)
    start = HAND_WRITTEN.index("# OpenRouter: billed to me")
    end = HAND_WRITTEN.index("# the local box")
    expected = HAND_WRITTEN[:start] + HAND_WRITTEN[end:]
    expected = replace_once(
        expected, 'default_connection = "router"', 'default_connection = "local"'
    )
    assert result == expected


def test_the_last_connection_removed_keeps_the_end_of_file_comment() -> None:
    result = changed(lambda c: setattr(c, "connections", c.connections[:2]))
    start = HAND_WRITTEN.index("# A third one")
    end = HAND_WRITTEN.index("# end of file")
    assert result == HAND_WRITTEN[:start] + HAND_WRITTEN[end:]


def test_removing_every_connection_keeps_every_comment_outside_them() -> None:
    def edit(config: Config) -> None:
        config.connections = []
        config.settings.default_connection = None

    result = changed(edit)
    assert tomllib.loads(result).get("connections") is None
    for line in ("# My craft-tui config", "# --- app-wide ---", "# --- connections ---"):
        assert any(kept.startswith(line) for kept in result.splitlines()), line
    assert "# end of file: nothing below" in result


def test_connections_written_inline_are_edited_inline() -> None:
    source = (
        "# inline style\n"
        "connections = [\n"
        '  { slug = "a", name = "A", protocol = "openai", base_url = "http://127.0.0.1:1/v1" },  # a\n'
        '  { slug = "b", name = "B", protocol = "openai", base_url = "http://127.0.0.1:2/v1" },  # b\n'
        "]\n"
    )

    def edit(config: Config) -> None:
        config.connections[0].name = "Alpha"
        config.connections = [config.connections[0]]

    result = changed(edit, source)
    assert result.startswith("# inline style\n")
    assert 'name = "Alpha"' in result and "# a" in result and '"b"' not in result
    assert [c.name for c in load_config().connections] == ["Alpha"]


def test_dotted_keys_are_edited_where_they_are() -> None:
    source = (
        'settings.theme = "nord"  # dotted\n\n'
        "[[connections]]\n"
        'slug = "a"\nname = "A"\nprotocol = "openai"\nbase_url = "http://127.0.0.1:1/v1"\n'
        'auth.type = "none"  # dotted auth\n'
    )
    result = changed(lambda c: setattr(c.settings, "theme", "monokai"), source)
    assert result == source.replace('"nord"', '"monokai"')


def test_a_file_without_a_final_newline_gets_a_blank_line_before_a_new_table() -> None:
    source = '# no newline at the end\n[settings]\ntheme = "nord"'

    def edit(config: Config) -> None:
        config.connections.append(
            Connection(slug="a", name="A", protocol="openai", base_url="http://127.0.0.1:1/v1")
        )

    result = changed(edit, source)
    assert result.startswith(source + "\n\n[[connections]]\n")
    assert load_config().find("a") is not None


# ------------------------------------------------------------------------ the file itself


def test_a_comment_only_file_keeps_its_comments_when_the_first_connection_is_added() -> None:
    source = "# I will fill this in later\n\n# really\n"

    def edit(config: Config) -> None:
        config.connections.append(
            Connection(slug="a", name="A", protocol="openai", base_url="http://127.0.0.1:1/v1")
        )

    result = changed(edit, source)
    assert result.startswith(source)
    assert comment_lines(source) == comment_lines(result)


def test_the_written_file_is_private_and_an_invalid_change_leaves_it_untouched() -> None:
    write(HAND_WRITTEN)
    paths.config_file().chmod(0o644)
    update_config(lambda c: setattr(c.settings, "theme", "nord"))
    assert stat.S_IMODE(paths.config_file().stat().st_mode) == 0o600
    before = paths.config_file().read_bytes()

    def invalid(config: Config) -> None:
        config.settings.default_connection = "ghost"

    with pytest.raises(ConfigError, match="ghost"):
        update_config(invalid)
    assert paths.config_file().read_bytes() == before


def test_a_broken_file_is_never_written() -> None:
    broken = HAND_WRITTEN.replace("theme = ", "theme = = ")
    write(broken)
    with pytest.raises(ConfigError, match="not valid TOML"):
        update_config(lambda c: setattr(c.settings, "theme", "nord"))
    assert text() == broken


def test_a_missing_file_is_written_whole_without_defaults_of_runtime_state() -> None:
    def edit(config: Config) -> None:
        config.settings.favourite_models = ["a/m"]
        config.connections.append(
            Connection(slug="a", name="A", protocol="openai", base_url="http://127.0.0.1:1/v1")
        )

    update_config(edit)
    data = tomllib.loads(text())
    assert text().startswith("# craft-tui configuration.")
    assert "favourite_models" not in data["settings"]
    assert "last_used_at" not in data["connections"][0]


# ------------------------------------------------------------------------ prompt caching


def test_prompt_cache_is_on_by_default_and_a_new_connection_does_not_write_it() -> None:
    def edit(config: Config) -> None:
        config.connections.append(
            Connection(slug="new", name="New", protocol="anthropic", base_url="http://127.0.0.1:1")
        )

    result = changed(edit)
    assert "prompt_cache" not in result
    assert load_config().find("new").prompt_cache is True  # type: ignore[union-attr]


def test_prompt_cache_turned_off_is_written_in_place_and_read_back() -> None:
    result = changed(lambda config: setattr(router(config), "prompt_cache", False))
    assert result == replace_once(
        HAND_WRITTEN,
        'auth = { type = "api_key", api_key_env = "OPENROUTER_API_KEY" }\n',
        'auth = { type = "api_key", api_key_env = "OPENROUTER_API_KEY" }\nprompt_cache = false\n',
    )
    assert router(load_config()).prompt_cache is False
    # turned back on, the line the file has is set in place (the file keeps saying it)
    again = changed(lambda c: setattr(router(c), "prompt_cache", True), result)
    assert again == replace_once(result, "prompt_cache = false", "prompt_cache = true")


def test_a_new_connection_with_prompt_cache_off_writes_it() -> None:
    def edit(config: Config) -> None:
        config.connections.append(
            Connection(
                slug="new",
                name="New",
                protocol="anthropic",
                base_url="http://127.0.0.1:1",
                prompt_cache=False,
            )
        )

    added = tomllib.loads(changed(edit))["connections"][-1]
    assert added["prompt_cache"] is False
