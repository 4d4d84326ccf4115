"""The names tools are offered to models under.

OpenAI and Anthropic both accept only `^[a-zA-Z0-9_-]{1,64}$` for a tool name, and one request
may not offer two tools of the same name. A tool keeps its own name when it can (what the
server's documentation and the model's habits know it by); only when two servers offer the same
name do both become `server__tool`. Server names cannot hold `_` (config/schema.py), so the
first `__` always ends the server's part. A name that is still unusable (characters models
refuse, too long) is cut and given a short hash of the original, which keeps it unique.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_BAD_CHARS = re.compile(r"[^a-zA-Z0-9_-]")
MAX_NAME = 64


def _usable(name: str) -> str:
    """`name` when models accept it; else a close, valid, stable stand-in."""
    if NAME_PATTERN.fullmatch(name):
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    cleaned = _BAD_CHARS.sub("_", name)[: MAX_NAME - 9].rstrip("_") or "tool"
    return f"{cleaned}_{digest}"


def offered_names(tools: Iterable[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Map each offered name to its `(server, tool)`, for `(server, tool)` pairs in order.

    A tool name offered by one server only is kept (made usable); one offered by several
    becomes `server__tool` for each of them. A pair seen twice is offered once."""
    pairs = list(dict.fromkeys(tools))
    counts = Counter(_usable(tool) for _, tool in pairs)
    offered: dict[str, tuple[str, str]] = {}
    for server, tool in pairs:
        name = _usable(tool)
        if counts[name] > 1:
            name = _usable(f"{server}__{tool}")
        while name in offered:  # only a contrived clash of cut names gets here
            name = _usable(name + "_")
        offered[name] = (server, tool)
    return offered
