"""Reading the `{"mcpServers": {...}}` JSON that Claude Desktop, Cursor and others write.

Each entry is `{"command": ..., "args": [...], "env": {...}}` (stdio) or `{"url": ...,
"headers": {...}}` (HTTP; `"type"`/`"transport"` keys are accepted and ignored). Names become
slugs (`Brave Search` -> `brave-search`). An `Authorization: Bearer …` header is taken out of
the headers and handed back as the token to store (config.toml never holds secrets); any other
credential header makes that entry a problem, not a silent loss.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from craft_tui.config.schema import MCP_NAME_PATTERN, McpServer


@dataclass(frozen=True)
class ImportedServer:
    server: McpServer
    token: str | None = None  # a bearer token found in the entry's headers: for the secret store


@dataclass
class ImportResult:
    servers: list[ImportedServer] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per entry that was not taken


class ImportProblem(ValueError):
    """The file is not MCP server JSON at all; the message says what was expected."""


def server_name(name: str) -> str:
    """A usable server name from any entry key: `Brave Search` -> `brave-search`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    return slug[:32].strip("-")


_IGNORED_KEYS = {"type", "transport", "disabled", "description", "autoApprove", "alwaysAllow"}


def servers_from_json(text: str) -> ImportResult:
    """Every entry of `text` as a McpServer, and one line for each entry that could not be."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise ImportProblem(f"the file is not JSON ({error})") from None
    entries = data.get("mcpServers") if isinstance(data, dict) else None
    if entries is None and isinstance(data, dict):
        entries = data.get("servers")  # VS Code's mcp.json spells it so
    if not isinstance(entries, dict):
        raise ImportProblem('the file has no "mcpServers" object (as Claude Desktop writes it)')
    result = ImportResult()
    for raw_name, entry in entries.items():
        name = server_name(str(raw_name))
        try:
            result.servers.append(_entry(name, entry))
        except ValueError as error:
            result.problems.append(f"{raw_name!r}: {error}")
    return result


def _entry(name: str, entry: Any) -> ImportedServer:
    if not re.fullmatch(MCP_NAME_PATTERN, name):
        raise ValueError("the name has no letters or digits to make a server name from")
    if not isinstance(entry, dict):
        raise ValueError("not an object with a command or url")
    values: dict[str, Any] = {"name": name}
    token: str | None = None
    for key, value in entry.items():
        if key in _IGNORED_KEYS:
            continue
        if key not in {"command", "args", "env", "url", "headers"}:
            raise ValueError(f"unknown key {key!r}")
        values[key] = value
    headers = values.get("headers")
    if isinstance(headers, dict):
        kept = {}
        for header, value in headers.items():
            if str(header).lower() == "authorization" and str(value).startswith("Bearer "):
                token = str(value).removeprefix("Bearer ").strip() or None
            else:
                kept[header] = value
        values["headers"] = kept
    if entry.get("disabled") is True:
        values["enabled"] = False
    try:
        return ImportedServer(McpServer.model_validate(values), token)
    except ValidationError as error:
        raise ValueError(_problems(error)) from None


def _problems(error: ValidationError) -> str:
    """The schema's refusal in words: each field and what is wrong with it."""
    parts = []
    for detail in error.errors()[:3]:
        where = ".".join(
            str(part) for part in detail["loc"] if not str(part).startswith("function")
        )
        cause = (detail.get("ctx") or {}).get("error")
        extra = getattr(cause, "loc", ())
        where = ".".join([where, *map(str, extra)]).strip(".") if extra else where
        message = detail["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
