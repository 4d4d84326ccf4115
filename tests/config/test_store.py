"""config.toml is written atomically, privately, and never over a file that could not be read."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from craft_tui.config import paths
from craft_tui.config.schema import Config, Connection, ModelEntry, make_auth
from craft_tui.config.store import ConfigError, load_config, save_config, update_config


def sample_config() -> Config:
    return Config(
        connections=[
            Connection(
                slug="openrouter",
                name="OpenRouter",
                protocol="openai",
                preset="openrouter",
                base_url="https://openrouter.ai/api/v1",
                auth=make_auth("api_key", "OPENROUTER_API_KEY"),
                models=[ModelEntry(id="a/b"), ModelEntry(id="c/d", context_window=1000)],
                default_model="a/b",
                headers={"X-Title": "craft-tui"},
            )
        ]
    )


def test_round_trip_keeps_everything() -> None:
    original = sample_config()
    save_config(original)
    assert load_config() == original


def test_file_is_private_and_lives_under_craft_tui_home(isolated_home: Path) -> None:
    save_config(sample_config())
    path = isolated_home / "config" / "config.toml"
    assert path == paths.config_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_plain_model_ids_are_written_as_strings() -> None:
    save_config(sample_config())
    text = paths.config_file().read_text()
    assert '"a/b",' in text
    assert "context_window = 1000" in text


def test_missing_file_is_an_empty_config() -> None:
    assert load_config() == Config()


def test_failed_rename_leaves_old_file_intact(monkeypatch: pytest.MonkeyPatch) -> None:
    save_config(sample_config())
    before = paths.config_file().read_bytes()

    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    changed = sample_config()
    changed.connections[0].name = "Renamed"
    with pytest.raises(OSError):
        save_config(changed)
    assert paths.config_file().read_bytes() == before
    leftovers = [p.name for p in paths.config_dir().iterdir() if p.name != "config.toml"]
    assert leftovers == []


def test_process_killed_between_write_and_rename_leaves_old_file(isolated_home: Path) -> None:
    save_config(sample_config())
    before = paths.config_file().read_bytes()
    script = (
        "import os\n"
        "from craft_tui.config.store import load_config, save_config\n"
        "config = load_config()\n"
        "config.connections[0].name = 'Half written'\n"
        "os.replace = lambda *a: os._exit(9)  # the process dies right before the rename\n"
        "save_config(config)\n"
    )
    env = {**os.environ, "CRAFT_TUI_HOME": str(isolated_home)}
    result = subprocess.run([sys.executable, "-c", script], env=env, check=False)
    assert result.returncode == 9
    assert paths.config_file().read_bytes() == before
    assert load_config().connections[0].name == "OpenRouter"


def test_broken_file_is_never_overwritten() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text('[settings]\ntheme = "unterminated\n')
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="not valid TOML"):
        update_config(lambda config: None)
    assert path.read_bytes() == before


def test_update_keeps_edits_made_by_another_process() -> None:
    save_config(sample_config())
    other = load_config()
    other.settings.theme = "nord"
    save_config(other)  # another process wrote meanwhile

    def add(config: Config) -> None:
        config.connections.append(
            Connection(slug="ollama", name="Ollama", protocol="openai", base_url="localhost:11434")
        )

    update_config(add)
    reloaded = load_config()
    assert reloaded.settings.theme == "nord"
    assert [c.slug for c in reloaded.connections] == ["openrouter", "ollama"]


def test_an_invalid_change_is_refused_and_the_file_kept() -> None:
    save_config(sample_config())
    before = paths.config_file().read_bytes()

    def duplicate(config: Config) -> None:
        config.connections.append(config.connections[0].model_copy())

    with pytest.raises(ConfigError, match="share the slug"):
        update_config(duplicate)
    assert paths.config_file().read_bytes() == before
