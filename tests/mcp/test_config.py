"""`[[mcp_servers]]` and `[tools]` in config.toml: what is accepted, the sentence a bad value gets,
and that adding or removing a server leaves every other byte of a hand-written file alone."""

from __future__ import annotations

import pytest

from craft_tui.config import paths
from craft_tui.config.schema import Config, McpServer
from craft_tui.config.store import ConfigError, load_config, update_config

HAND_WRITTEN = """\
# My config, with notes I want to keep.
version = 1

[settings]
theme = 'textual-dark'   # literal string on purpose

# --- tools ---
[tools]
permission = "read-only"   # ask for the rest
deny = ["files.delete"]    # never

# my notes folder
[[mcp_servers]]
name = "files"
command = "npx"
args = [
  "-y",                                     # no prompt
  "@modelcontextprotocol/server-filesystem",
]
env = { NODE_NO_WARNINGS = "1" }   # quiet

# the remote search, keep it last for now
[[mcp_servers]]
name = "search"
url = "https://mcp.example.com/mcp"
startup_timeout = 30   # slow to wake

# end of file
"""


def write(text: str) -> None:
    paths.ensure_private_dir(paths.config_dir())
    paths.config_file().write_text(text, encoding="utf-8")


def text() -> str:
    return paths.config_file().read_text(encoding="utf-8")


def test_the_hand_written_file_reads_as_written() -> None:
    write(HAND_WRITTEN)
    config = load_config()
    files, search = config.mcp_servers
    assert (files.transport, files.command, files.args) == (
        "stdio",
        "npx",
        ["-y", "@modelcontextprotocol/server-filesystem"],
    )
    assert files.env == {"NODE_NO_WARNINGS": "1"} and files.call_timeout == 120
    assert (search.transport, search.startup_timeout, search.enabled) == ("http", 30, True)
    assert config.tools.permission == "read-only" and config.tools.max_steps == 10
    assert config.tools.deny == ["files.delete"] and config.tools.allow == []
    assert Config().tools.permission == "ask" and Config().mcp_servers == []


def test_adding_a_server_appends_a_table_and_keeps_every_other_byte() -> None:
    write(HAND_WRITTEN)
    update_config(
        lambda c: c.mcp_servers.append(
            McpServer(name="git", command="uvx", args=["mcp-server-git"], call_timeout=30)
        )
    )
    after = text()
    assert after.startswith(HAND_WRITTEN)
    assert after[len(HAND_WRITTEN) :] == (
        '\n[[mcp_servers]]\nname = "git"\ncommand = "uvx"\nargs = [\n    "mcp-server-git",\n]\n'
        "call_timeout = 30.0\n"
    )
    assert [s.name for s in load_config().mcp_servers] == ["files", "search", "git"]


def test_removing_a_server_takes_its_table_and_its_comment_only() -> None:
    write(HAND_WRITTEN)
    update_config(lambda c: setattr(c, "mcp_servers", c.mcp_servers[1:]))
    removed = text()
    start = HAND_WRITTEN.index("\n# my notes folder")
    end = HAND_WRITTEN.index("\n# the remote search")
    assert removed == HAND_WRITTEN[:start] + HAND_WRITTEN[end:]
    update_config(lambda c: setattr(c, "mcp_servers", []))
    assert "[[mcp_servers]]" not in text()
    assert text().startswith(HAND_WRITTEN[:start])
    assert "# end of file" in text()


def test_disabling_a_server_changes_that_one_key() -> None:
    write(HAND_WRITTEN)

    def disable(config: Config) -> None:
        config.mcp_servers[1].enabled = False

    update_config(disable)
    assert text() == HAND_WRITTEN.replace(
        "startup_timeout = 30   # slow to wake\n",
        "startup_timeout = 30   # slow to wake\nenabled = false\n",
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('name = "Files_1"\ncommand = "x"', "mcp_servers[0].name: 'Files_1' is not a usable MCP"),
        ('name = "a"', "mcp_servers[0].command: say how to reach the server: either `command`"),
        ('name = "a"\ncommand = "x"\nurl = "http://h"', "either `command`"),
        ('name = "a"\nurl = "ftp://h"', "mcp_servers[0].url: 'ftp://h' is not an http:// or"),
        (
            'name = "a"\nurl = "https://h"\nheaders = { Authorization = "Bearer x" }',
            "headers.Authorization: header 'Authorization' carries a credential; store a bearer",
        ),
        ('name = "a"\nurl = "https://h"\nargs = ["x"]', "mcp_servers[0].args: `args` is for a"),
        ('name = "a"\ncommand = "x"\nheaders = { X = "1" }', "`headers` are for a `url` server"),
        ('name = "a"\ncommand = "x"\nstartup_timeout = 0', "startup_timeout: Input should be"),
        ('name = "a"\ncommand = "x"\nenv = { LD_PRELOAD = "e.so" }', "LD_PRELOAD may not be set"),
        ('name = "a"\ncommand = "x"\nport = 1', "mcp_servers[0].port: unknown field"),
    ],
)
def test_a_bad_server_entry_is_a_sentence_naming_its_field(entry: str, expected: str) -> None:
    write(f"version = 1\n\n[[mcp_servers]]\n{entry}\n")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert expected in str(caught.value)


def test_two_servers_with_one_name_and_bad_tool_settings_are_refused() -> None:
    twice = '[[mcp_servers]]\nname = "a"\ncommand = "x"\n'
    write(f"version = 1\n{twice}{twice}")
    with pytest.raises(ConfigError, match=r"line 6, mcp_servers\[1\]\.name: two MCP servers share"):
        load_config()
    write('[tools]\npermission = "yes"\nmax_steps = 101\nallow = ["files"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert "tools.permission: Input should be 'ask', 'read-only' or 'allow-all'" in message
    assert "tools.max_steps: Input should be less than or equal to 100" in message
    assert "tools.allow[0]: 'files' is not a tool rule: write 'server.tool' or 'server.*'" in (
        message
    )


def test_a_first_mcp_add_without_a_config_file_writes_a_whole_file() -> None:
    update_config(lambda c: c.mcp_servers.append(McpServer(name="web", url="https://h/mcp")))
    assert [s.name for s in load_config().mcp_servers] == ["web"]


def test_a_tools_setting_is_changed_in_place_or_added_as_a_table() -> None:
    write(HAND_WRITTEN)

    def allow_all(config: Config) -> None:
        config.tools.permission = "allow-all"

    update_config(allow_all)
    assert text() == HAND_WRITTEN.replace(
        'permission = "read-only"   # ask for the rest',
        'permission = "allow-all"   # ask for the rest',
    )
    plain = "# only settings\nversion = 1\n"
    write(plain)

    def more_steps(config: Config) -> None:
        config.tools.max_steps = 25

    update_config(more_steps)
    assert text() == plain + "\n[tools]\nmax_steps = 25\n"
    assert load_config().tools.max_steps == 25
