"""Save what the settings screen changed into `config.toml`, and nothing else.

The screen hands over only the settings a person changed (`SettingsEdit`); this writes them
through `store.update_config`, which reads the file fresh, validates before and after, and applies
the difference in place (`toml_edit.py`): the user's comments, order and quoting stay byte for
byte, a key the file never had is added after the table's last key, and a setting put back to its
default is set in place rather than dropped. An edit made from another process meanwhile is kept:
only the keys in the edit are touched. A theme saved here also forgets the one last picked in the
command palette (`state.json`), so config.toml decides at the next start. Blocking (file I/O): the
app runs it in a thread.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from craft_tui.config.schema import Config

# The `[settings]` keys the settings screen may change (runtime keys and the keymap are not).
EDITABLE = frozenset(
    {
        "theme",
        "default_connection",
        "reopen_last_conversation",
        "model_cache_hours",
        "ai_titles",
        "openrouter_attribution",
        "temperature",
        "max_tokens",
        "reasoning_effort",
    }
)


class ConnectionGone(ValueError):
    """The connection whose default model was changed is no longer in config.toml."""


@dataclass(frozen=True)
class SettingsEdit:
    """What changed: `settings` maps a `[settings]` key to its new value (None: unset);
    `default_model` is (connection slug, model id or None for "the first listed")."""

    settings: dict[str, Any] = field(default_factory=dict)
    default_model: tuple[str, str | None] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.settings) - EDITABLE
        if unknown:
            raise KeyError(f"not a setting the settings screen changes: {sorted(unknown)}")

    @property
    def empty(self) -> bool:
        return not self.settings and self.default_model is None


def apply_edit(config: Config, edit: SettingsEdit) -> None:
    """Make `config` say what `edit` says (validated afterwards by the caller)."""
    for key, value in edit.settings.items():
        setattr(config.settings, key, value)
    if edit.default_model is not None:
        slug, model = edit.default_model
        connection = next((c for c in config.connections if c.slug == slug), None)
        if connection is None:
            raise ConnectionGone(
                f"The connection {slug!r} was removed meanwhile; its default model was not saved."
            )
        connection.default_model = model


def save_settings(edit: SettingsEdit, path: Path | None = None) -> Config:
    """Write `edit` into config.toml (only its keys; the file's layout kept) and return the
    config as saved. ConfigError (naming the file) when the file is broken or the result would
    not validate; ConnectionGone when the default model's connection was removed meanwhile."""
    from craft_tui.config.store import update_config

    saved = update_config(lambda config: apply_edit(config, edit), path)
    if "theme" in edit.settings:
        # A theme picked in the palette earlier lives in state.json and wins at the next start
        # while config.toml names none; the theme chosen here (perhaps the default, which is
        # not written) must be the one used, so the earlier pick is forgotten.
        from craft_tui.config import state

        with contextlib.suppress(OSError):  # config.toml says it already; this is a nicety
            state.set_theme(None)
    return saved
