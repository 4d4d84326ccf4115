"""Copying text to the user's clipboard over the terminal (OSC 52), including through tmux.

OSC 52 travels with the terminal stream, so it works over SSH where pyperclip cannot. tmux's
default `set-clipboard external` drops an application's OSC 52; wrapped in a DCS passthrough
(`ESC P tmux; … ESC \\`, every ESC inside doubled) it reaches the outer terminal when tmux has
`allow-passthrough on`. When neither setting is on, the user is told the one line that fixes it.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from dataclasses import dataclass
from enum import Enum

ESC = "\x1b"

TMUX_FIX = "set -g allow-passthrough on"
TMUX_FIX_ALT = "set -g set-clipboard on"


def osc52(text: str) -> str:
    """The plain OSC 52 'set clipboard' sequence for `text`."""
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f"{ESC}]52;c;{encoded}\a"


def tmux_passthrough(sequence: str) -> str:
    """Wrap an escape sequence so tmux passes it to the outer terminal unchanged."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ESC}\\"


class TmuxClipboard(Enum):
    """How an OSC 52 sequence gets through the tmux this app runs in."""

    NOT_TMUX = "not_tmux"  # plain OSC 52 to the terminal
    SET_CLIPBOARD = "set_clipboard"  # tmux accepts OSC 52 itself and forwards it
    PASSTHROUGH = "passthrough"  # wrap it; tmux passes it through
    BLOCKED = "blocked"  # neither: wrap anyway (harmless) and tell the user the fix


@dataclass(frozen=True, slots=True)
class ClipboardPlan:
    """The bytes to write for one copy, and a one-time advice when tmux will drop them."""

    sequence: str
    mode: TmuxClipboard

    @property
    def advice(self) -> str | None:
        if self.mode is not TmuxClipboard.BLOCKED:
            return None
        return (
            "tmux is dropping the clipboard escape. Add to ~/.tmux.conf: "
            f"`{TMUX_FIX}` (or `{TMUX_FIX_ALT}`), then `tmux source ~/.tmux.conf`."
        )


def _tmux_option(name: str, env: dict[str, str]) -> str | None:
    """Read a global tmux option through the server named by $TMUX; None if tmux won't say."""
    socket = env.get("TMUX", "").split(",")[0]
    command = ["tmux"] + (["-S", socket] if socket else []) + ["show-options", "-gv", name]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=2, env=env)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip()


def detect_tmux_clipboard(env: dict[str, str] | None = None) -> TmuxClipboard:
    """Ask the tmux server (if any) which way an application's OSC 52 gets out.

    Runs the `tmux` client (a few ms); call it off the event loop, once per app run.
    """
    env = dict(os.environ) if env is None else env
    if not env.get("TMUX"):
        return TmuxClipboard.NOT_TMUX
    if _tmux_option("set-clipboard", env) == "on":
        return TmuxClipboard.SET_CLIPBOARD
    if _tmux_option("allow-passthrough", env) in {"on", "all"}:
        return TmuxClipboard.PASSTHROUGH
    return TmuxClipboard.BLOCKED


def plan_copy(text: str, mode: TmuxClipboard) -> ClipboardPlan:
    """Choose the escape sequence for `text` under `mode`."""
    sequence = osc52(text)
    if mode in {TmuxClipboard.PASSTHROUGH, TmuxClipboard.BLOCKED}:
        sequence = tmux_passthrough(sequence)
    return ClipboardPlan(sequence=sequence, mode=mode)


_FENCE = re.compile(
    r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})[^\n]*\n(?P<body>.*?)(?:^ {0,3}(?P=fence)[`~]*[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)


def code_blocks(markdown: str) -> list[str]:
    """The contents of the fenced code blocks in `markdown`, in order (an unclosed last fence counts)."""
    blocks = []
    for match in _FENCE.finditer(markdown):
        body = match.group("body")
        blocks.append(body[:-1] if body.endswith("\n") else body)
    return blocks
