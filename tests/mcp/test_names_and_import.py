"""The names tools are offered under, and reading Claude Desktop / Cursor JSON."""

from __future__ import annotations

import json

import pytest

from craft_tui.mcp.importing import ImportProblem, servers_from_json
from craft_tui.mcp.names import NAME_PATTERN, offered_names


def test_own_names_are_kept_and_only_clashes_get_the_server_prefix() -> None:
    offered = offered_names(
        [("files", "read"), ("files", "write"), ("git", "read"), ("git", "log"), ("files", "read")]
    )
    assert offered == {
        "files__read": ("files", "read"),
        "write": ("files", "write"),
        "git__read": ("git", "read"),
        "log": ("git", "log"),
    }


def test_names_models_refuse_become_valid_unique_stand_ins() -> None:
    long = "a" * 80
    offered = offered_names(
        [("s", "read.file"), ("s", "read/file"), ("s", long), ("s", "ünï"), ("t", long)]
    )
    assert all(NAME_PATTERN.fullmatch(name) for name in offered)
    assert len(offered) == 5
    assert sorted(offered.values()) == sorted(
        [("s", "read.file"), ("s", "read/file"), ("s", long), ("s", "ünï"), ("t", long)]
    )
    assert any(name.startswith("read_file_") for name in offered)


def test_claude_desktop_json_becomes_servers_with_tokens_apart() -> None:
    text = json.dumps(
        {
            "mcpServers": {
                "Brave Search": {
                    "command": "npx",
                    "args": ["-y", "@modelcontextprotocol/server-brave-search"],
                    "env": {"BRAVE_API_KEY": "brave-key"},
                },
                "remote": {
                    "type": "http",
                    "url": "https://mcp.example.com/mcp",
                    "headers": {"Authorization": "Bearer tok-123", "X-Team": "r"},
                },
                "off": {"command": "x", "disabled": True},
                "broken": {"url": "ftp://nowhere"},
                "odd": {"command": "x", "shell": True},
            }
        }
    )
    result = servers_from_json(text)
    by_name = {item.server.name: item for item in result.servers}
    assert list(by_name) == ["brave-search", "remote", "off"]
    brave = by_name["brave-search"].server
    assert (brave.command, brave.args, brave.env) == (
        "npx",
        ["-y", "@modelcontextprotocol/server-brave-search"],
        {"BRAVE_API_KEY": "brave-key"},
    )
    remote = by_name["remote"]
    assert remote.server.headers == {"X-Team": "r"} and remote.token == "tok-123"
    assert by_name["off"].server.enabled is False
    assert result.problems == [
        "'broken': url: 'ftp://nowhere' is not an http:// or https:// URL",
        "'odd': unknown key 'shell'",
    ]


@pytest.mark.parametrize("text", ["not json", "[]", '{"servers": 3}', '{"other": {}}'])
def test_a_file_that_is_not_mcp_json_is_one_problem(text: str) -> None:
    with pytest.raises(ImportProblem):
        servers_from_json(text)


def test_the_sdk_is_not_imported_with_the_package() -> None:
    """The app may import craft_tui.mcp early; the SDK comes only when servers start."""
    import subprocess
    import sys

    probe = (
        "import sys, craft_tui.mcp; print(sorted(m for m in ('mcp', 'httpx2') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"
