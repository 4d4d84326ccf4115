"""What the first frame shows from `config.toml`, taken from its TOML tables without pydantic.

The chat screen is painted from this preview (theme, keymap, the connection and model in the
status line and the prompt's placeholder); the validated `Config` replaces it right after the first
frame, before the app opens a conversation. The rules mirror `Config.default_connection` and
`Connection.effective_default_model`. Anything malformed is ignored here: validation reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ConfigPreview:
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    connection_name: str | None = None
    model: str | None = None


def preview_config(data: dict[str, Any]) -> ConfigPreview:
    """The first frame's view of TOML `data` (never raises)."""
    settings = data.get("settings")
    settings = settings if isinstance(settings, dict) else {}
    theme = settings.get("theme")
    keymap = settings.get("keymap")
    keymap = keymap if isinstance(keymap, dict) else {}
    connections = [c for c in data.get("connections") or [] if isinstance(c, dict)]
    wanted = settings.get("default_connection")
    connection = next((c for c in connections if c.get("slug") == wanted), None)
    if connection is None and connections:
        connection = connections[0]
    name = connection.get("name") if connection else None
    return ConfigPreview(
        theme=theme if isinstance(theme, str) else None,
        keymap={k: v for k, v in keymap.items() if isinstance(k, str) and isinstance(v, str)},
        connection_name=name if isinstance(name, str) else None,
        model=_default_model(connection) if connection else None,
    )


def _default_model(connection: dict[str, Any]) -> str | None:
    default = connection.get("default_model")
    if isinstance(default, str) and default:
        return default
    models = connection.get("models")
    first = models[0] if isinstance(models, list) and models else None
    if isinstance(first, dict):
        first = first.get("id")
    return first.strip() if isinstance(first, str) and first.strip() else None
