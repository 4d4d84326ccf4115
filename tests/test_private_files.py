"""A realistic run under umask 000 leaves nothing readable by anyone else in CRAFT_TUI_HOME.

Add a connection with a key, ask the loopback fake server, list its models, list connections,
then open the app (headless) on its history: while the app holds the history open (so SQLite's
`-wal` and `-shm` files exist), every folder under CRAFT_TUI_HOME must be 0700 and every file 0600.
"""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import subprocess_env
from tests.servers import FakeLLMServer

KEY = "sk-test-private-" + "0123456789abcdef"

# Runs `craft-tui` headless; once the chat screen has opened its conversation (history open,
# a conversation written) it says "ready" and holds everything open until stdin gets a line.
APP_PROBE = """
import asyncio, sys
from textual.app import App
from craft_tui import cli
from craft_tui.ui.app import CraftApp
from craft_tui.workspace.core import Workspace

apps = []
def run(self, **kwargs):
    apps.append(self)
    App.run(self, headless=True, **kwargs)

original_open_session = Workspace.open_session
async def open_session(self, *args, **kwargs):
    session = await original_open_session(self, *args, **kwargs)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    apps[0].exit()
    return session

CraftApp.run = run
Workspace.open_session = open_session
raise SystemExit(cli.main([]))
"""


def craft(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "craft_tui", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=subprocess_env(home),
        timeout=60,
        check=False,
        umask=0o000,
    )
    assert result.returncode == 0, result.stderr
    return result


def not_private(home: Path) -> list[str]:
    """Every path under `home` (and `home`) whose mode is not 0700 (folder) or 0600 (file)."""
    found = []
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            found.append(f"{path.relative_to(home.parent)}: {oct(mode)}")
    return found


def test_everything_a_realistic_run_writes_is_private_under_umask_000(isolated_home: Path) -> None:
    with FakeLLMServer(protocol="openai", reply="Hello.") as server:
        craft(
            isolated_home,
            "connection", "add", "Fake", "--protocol", "openai", "--base-url",
            server.base_url, "--api-key-stdin", "--model", "fake-small",
            stdin=KEY + "\n",
        )  # fmt: skip
        assert craft(isolated_home, "ask", "Say hello").stdout == "Hello.\n"
        assert "fake-small" in craft(isolated_home, "models", "--refresh").stdout
        craft(isolated_home, "connection", "list")

        app = subprocess.Popen(
            [sys.executable, "-c", APP_PROBE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=subprocess_env(isolated_home),
            umask=0o000,
        )
        try:
            assert app.stdout is not None and app.stdin is not None
            assert app.stdout.readline().strip() == "ready"  # waits for the app, no sleep
            written = sorted(str(p.relative_to(isolated_home)) for p in isolated_home.rglob("*"))
            problems = not_private(isolated_home)
            app.stdin.write("\n")
            app.stdin.flush()
            _out, err = app.communicate(timeout=60)
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
        assert app.returncode == 0, err

    for expected in (
        "config/config.toml",
        "config/credentials.toml",
        "data/history.db",
        "data/history.db-wal",
        "data/history.db-shm",
        "cache/craft-tui.log",
        "cache/models/fake.json",
    ):
        assert expected in written, written
    assert problems == []
    assert not_private(isolated_home) == []  # and still so after the app closed
