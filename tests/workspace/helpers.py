"""Config files written the way a user's editor or another process would write them."""

from __future__ import annotations

import os
from pathlib import Path

from craft_tui.config import paths
from tests.servers.fake import FakeLLMServer


def connection_toml(
    slug: str, server: FakeLLMServer | None = None, *, base_url: str | None = None, **extra: str
) -> str:
    """One `[[connections]]` table (no auth unless `extra` says otherwise)."""
    url = base_url or (server.openai_base_url if server is not None else "http://127.0.0.1:9/v1")
    lines = [
        "[[connections]]",
        f'slug = "{slug}"',
        f'name = "{slug.capitalize()}"',
        'protocol = "openai"',
        f'base_url = "{url}"',
        f'models = ["{slug}-model"]',
        *(f'{key} = "{value}"' for key, value in extra.items()),
    ]
    if "auth" not in extra:
        lines += ["", "[connections.auth]", 'type = "none"']
    return "\n".join(lines) + "\n"


def write_config(*tables: str, settings: str = "") -> Path:
    """Replace config.toml at once (write beside, rename over), as editors and the CLI do."""
    path = paths.config_file()
    paths.ensure_private_dir(path.parent)
    text = (f"[settings]\n{settings}\n\n" if settings else "") + "\n".join(tables)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path
