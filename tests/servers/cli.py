"""Helpers for end-to-end CLI tests: write a config pointing at a fake server, run `craft-tui`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from craft_tui.config.schema import Config, Connection, Settings, make_auth
from craft_tui.config.secrets import SecretStore
from craft_tui.config.store import save_config
from tests.conftest import subprocess_env
from tests.servers.fake import FakeLLMServer


def add_connection(
    server: FakeLLMServer,
    *,
    slug: str = "fake",
    key: str | None = "sk-test-cli-0123456789abcdef",
    default: bool = True,
    **fields: Any,
) -> Connection:
    """Save a connection to `server` in the current CRAFT_TUI_HOME (and its key in the store)."""
    from craft_tui.config.store import load_config

    fields.setdefault("models", [{"id": "fake-small"}])
    fields.setdefault("auth", make_auth("api_key" if key else "none"))
    fields.setdefault("base_url", server.base_url)  # a test may point it elsewhere (a proxy, DNS)
    connection = Connection(slug=slug, name=slug.title(), protocol=server.protocol, **fields)
    config = load_config()
    connections = [c for c in config.connections if c.slug != slug] + [connection]
    settings = Settings(default_connection=slug if default else config.settings.default_connection)
    save_config(Config(settings=settings, connections=connections))
    if key:
        SecretStore.open().set(slug, key)
    return connection


def craft(
    home: Path, *args: str, stdin: str | None = None, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run `craft-tui ARGS` in a subprocess with the test's isolated home."""
    return subprocess.run(
        [sys.executable, "-m", "craft_tui", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=subprocess_env(home, **env),
        timeout=timeout,
        check=False,
    )
