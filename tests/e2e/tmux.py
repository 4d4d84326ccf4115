"""Drive the real `craft-tui` console script in a real terminal: a private tmux server per test."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import subprocess_env

CRAFT_TUI = str(Path(sys.executable).with_name("craft-tui"))


def add_connection(home: Path, base_url: str, model: str = "fake-model") -> None:
    """Configure a no-auth OpenAI-compatible connection through the CLI, as a user would."""
    done = subprocess.run(
        [
            CRAFT_TUI,
            "connection",
            "add",
            "Fake",
            "--protocol",
            "openai",
            "--base-url",
            base_url,
            "--no-auth",
            "--model",
            model,
            "--default",
        ],
        capture_output=True,
        text=True,
        env=subprocess_env(home),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


class Tmux:
    """One tmux server on a private socket, running one command in a fixed-size window."""

    def __init__(self, socket: Path, home: Path) -> None:
        self.socket = socket
        self.env = subprocess_env(home, TERM="xterm-256color")
        self.env.pop("TMUX", None)
        # pytest-xdist workers have COLUMNS/LINES set; tmux hands them to the pane and Textual
        # would then ignore the window size the test asked for.
        self.env.pop("COLUMNS", None)
        self.env.pop("LINES", None)

    def _tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
            check=False,
        )

    def start(
        self, command: str, width: int = 100, height: int = 30, *then: tuple[str, ...]
    ) -> None:
        """Run `command` in a new detached session of `width` x `height`, with our environment.

        `then`: further tmux commands run in the same invocation (joined with `;`), so they are
        in place before tmux reads the pane's first byte."""
        env_args = " ".join(
            f"{k}={shlex.quote(v)}"
            for k, v in self.env.items()
            if k.startswith(("CRAFT_TUI", "PYTHON", "NO_PROXY", "TERM", "PATH", "HOME"))
        )
        chained = [arg for extra in then for arg in (";", *extra)]
        done = self._tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            str(width),
            "-y",
            str(height),
            f"env {env_args} {command}",
            *chained,
        )
        assert done.returncode == 0, done.stderr

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p").stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self._tmux("send-keys", *(["-l"] if literal else []), *keys)

    def pane_pid(self) -> int:
        return int(self._tmux("display-message", "-p", "#{pane_pid}").stdout.strip())

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 30.0) -> str:
        """Poll the visible screen until `predicate` holds (the timeout is only a hang guard)."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"screen never matched; last screen:\n{screen}")

    def kill(self) -> None:
        self._tmux("kill-server")


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (from /proc), so a test can SIGKILL exactly the app."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree
