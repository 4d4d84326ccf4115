"""What a stdio MCP server is handed in its environment.

A server is a program the user named, but it has no business with their provider keys:
`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, cloud credentials and tokens in the shell's environment
stay out of it. It gets a minimal environment (what a program needs to find its tools, its home,
its locale and a temporary folder), then what its `[[mcp_servers]] env` table says, which wins.
(The SDK adds its own short list beneath: HOME, LOGNAME, PATH, SHELL, TERM, USER.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SAFE_VARIABLES = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TMPDIR",
    "TZ",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "SYSTEMROOT",  # Windows: a process cannot start sockets without it
    "APPDATA",
    "LOCALAPPDATA",
    "USERPROFILE",
    "TEMP",
    "TMP",
)


def server_environment(
    own: Mapping[str, str], outer: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The safe part of `outer` (the process's environment by default), then `own` over it."""
    outer = os.environ if outer is None else outer
    env = {
        name: value
        for name in SAFE_VARIABLES
        if (value := outer.get(name)) is not None
        and not value.startswith("()")  # no bash functions
    }
    env.update(own)
    return env
