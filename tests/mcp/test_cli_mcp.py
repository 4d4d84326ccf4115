"""`craft-tui mcp …` end to end, in a subprocess, as a shell user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import subprocess_env
from tests.mcp.conftest import SERVER, HttpServer, running_with

TOKEN = "tok-" + "0123456789abcdef" * 2  # built: no key-shaped literal


def craft(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "craft_tui", "mcp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=subprocess_env(home),
        timeout=300,  # a hang guard: `tools` starts real servers (seconds each on a loaded box)
        check=False,
    )


def config_text(home: Path) -> str:
    return (home / "config" / "config.toml").read_text()


def credentials(home: Path) -> dict[str, str]:
    path = home / "config" / "credentials.toml"
    return dict(tomllib.loads(path.read_text()).get("keys", {})) if path.exists() else {}


def assert_clean_failure(result: subprocess.CompletedProcess[str], sentence: str) -> None:
    assert result.returncode == 1
    assert sentence in result.stderr
    assert "Traceback" not in result.stderr and "unexpected error" not in result.stderr


def test_add_list_remove_with_a_token_kept_out_of_config_and_output(isolated_home: Path) -> None:
    config = isolated_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, mode=0o700)
    config.write_text("# my notes stay\nversion = 1\n\n[settings]\ntheme = 'nord'  # mine\n")
    added = craft(
        isolated_home,
        "add",
        "files",
        "--env",
        "FS_MODE=ro",
        "--",
        "npx",
        "-y",
        "server-fs",
        "~/notes",
    )
    assert added.returncode == 0, added.stderr
    assert "Added MCP server files (stdio: npx -y server-fs ~/notes)" in added.stdout
    assert 'FS_MODE = "ro"' in config_text(isolated_home)
    web = craft(
        isolated_home,
        "add",
        "web",
        "--url",
        "https://mcp.example.com/mcp",
        "--header",
        "X-Team=research",
        "--bearer-token-stdin",
        stdin=TOKEN + "\n",
    )
    assert web.returncode == 0, web.stderr
    assert config_text(isolated_home).startswith(
        "# my notes stay\nversion = 1\n\n[settings]\ntheme = 'nord'  # mine\n"
    )
    assert TOKEN not in config_text(isolated_home)
    assert credentials(isolated_home) == {"mcp:web": TOKEN}

    listing = craft(isolated_home, "list")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["files", "stdio", "enabled", "npx", "-y", "server-fs", "~/notes"]
    assert lines[1].split() == ["web", "http", "enabled", "https://mcp.example.com/mcp"]
    assert TOKEN not in listing.stdout + web.stdout + web.stderr

    # Connection commands drop keys whose connection is gone: a server's token is not one.
    subprocess.run(
        [sys.executable, "-m", "craft_tui", "connection", "list"],
        env=subprocess_env(isolated_home),
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert credentials(isolated_home) == {"mcp:web": TOKEN}

    removed = craft(isolated_home, "remove", "web")
    assert removed.returncode == 0, removed.stderr
    assert credentials(isolated_home) == {}
    assert "web" not in craft(isolated_home, "list").stdout
    assert_clean_failure(
        craft(isolated_home, "remove", "web"), "No MCP server is named 'web' (known: files)."
    )
    assert_clean_failure(
        craft(isolated_home, "add", "files", "--", "other"),
        "An MCP server named 'files' exists already.",
    )


def test_a_refused_add_is_one_sentence_and_a_fix(isolated_home: Path) -> None:
    assert_clean_failure(craft(isolated_home, "add", "x"), "No server was given.")
    assert_clean_failure(
        craft(isolated_home, "add", "x", "--url", "https://h/mcp", "--", "cmd"),
        "Give either a command (after --) or --url, not both.",
    )
    assert_clean_failure(
        craft(isolated_home, "add", "My_Files", "--", "cmd"),
        "NAME: 'My_Files' is not a usable MCP server name",
    )
    assert_clean_failure(
        craft(isolated_home, "add", "x", "--url", "https://h/mcp", "--header", "oops"),
        "--header 'oops' is not a name and its value.",
    )
    assert_clean_failure(
        craft(isolated_home, "add", "x", "--url", "https://h/mcp", "--header", "Cookie=a"),
        "--header: header 'Cookie' carries a credential",
    )
    assert_clean_failure(
        craft(isolated_home, "add", "x", "--url", "https://h/mcp", "--bogus"),
        "mcp add: unrecognized arguments: --bogus.",
    )
    assert_clean_failure(
        craft(
            isolated_home, "add", "x", "--url", "https://h/mcp", "--bearer-token-stdin", stdin=""
        ),
        "No bearer token was given on stdin.",
    )
    assert not (isolated_home / "config" / "config.toml").exists()


def test_import_adds_new_servers_and_skips_names_that_exist(
    isolated_home: Path, tmp_path: Path
) -> None:
    assert craft(isolated_home, "add", "files", "--", "npx", "fs").returncode == 0
    desktop = tmp_path / "claude_desktop_config.json"
    desktop.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "files": {"command": "other"},
                    "git": {"command": "uvx", "args": ["mcp-server-git"]},
                    "remote": {
                        "url": "https://mcp.example.com/mcp",
                        "headers": {"Authorization": f"Bearer {TOKEN}"},
                    },
                    "broken": {"url": "ftp://x"},
                }
            }
        )
    )
    result = craft(isolated_home, "import", str(desktop))
    assert result.returncode == 0, result.stderr
    assert "skipped files: an MCP server of that name exists already" in result.stdout
    assert "skipped 'broken': url: 'ftp://x' is not an http:// or https:// URL" in result.stdout
    assert "added remote (http) (its bearer token is in the secret store)" in result.stdout
    assert "Imported 2 MCP servers" in result.stdout
    assert TOKEN not in result.stdout + config_text(isolated_home)
    assert credentials(isolated_home) == {"mcp:remote": TOKEN}
    listing = craft(isolated_home, "list").stdout
    assert "npx fs" in listing and "other" not in listing and "uvx mcp-server-git" in listing
    missing = craft(isolated_home, "import", str(tmp_path / "nope.json"))
    assert_clean_failure(missing, "nope.json: no such file.")
    desktop.write_text("[1, 2]")
    assert_clean_failure(craft(isolated_home, "import", str(desktop)), 'no "mcpServers" object')


def test_tools_lists_each_servers_tools_disarmed_and_says_which_failed(
    isolated_home: Path, tag: str
) -> None:
    python = sys.executable
    for name, extra in (("good", []), ("broken", ["--fail"])):
        result = craft(isolated_home, "add", name, "--", python, str(SERVER), *extra, "--tag", tag)
        assert result.returncode == 0, result.stderr

    shown = craft(isolated_home, "tools")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "good (stdio): 10 tools" in out
    assert "  add — Add two integers." in out
    assert "  peek [read-only] — Look without touching." in out
    assert "  hostile — Danger␛[31m in the description" in out
    assert "\x1b" not in out
    broken = next(line for line in out.splitlines() if line.startswith("MCP server broken:"))
    assert "fatal: cannot open the database ␛[31m(red)" in broken

    as_json = craft(isolated_home, "tools", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert "\x1b" not in as_json.stdout  # json escapes it: \u001b
    servers = {entry["name"]: entry for entry in json.loads(as_json.stdout)["servers"]}
    assert servers["good"]["problem"] is None
    tools = {tool["name"]: tool for tool in servers["good"]["tools"]}
    assert tools["peek"]["read_only"] is True and tools["echo"]["read_only"] is False
    assert tools["hostile"]["description"] == "Danger\x1b[31m in the description"
    assert tools["add"]["input_schema"]["required"] == ["a", "b"]
    assert servers["broken"]["tools"] == []
    assert servers["broken"]["problem"].startswith("MCP server broken: ")

    only_broken = craft(isolated_home, "tools", "broken")
    assert only_broken.returncode == 1
    assert only_broken.stdout.startswith("MCP server broken: ")
    assert "Traceback" not in only_broken.stderr
    assert running_with(tag) == []


def test_tools_of_an_http_server_use_the_stored_bearer_token(
    isolated_home: Path, http_server: HttpServer
) -> None:
    added = craft(
        isolated_home,
        "add",
        "remote",
        "--url",
        http_server.url,
        "--bearer-token-stdin",
        stdin=http_server.token,
    )
    assert added.returncode == 0, added.stderr
    shown = craft(isolated_home, "tools", "remote")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "remote (http): 10 tools" in shown.stdout
    assert http_server.token not in shown.stdout + shown.stderr
    assert craft(isolated_home, "remove", "remote").returncode == 0
    assert (
        craft(
            isolated_home,
            "add",
            "remote",
            "--url",
            http_server.url,
            "--bearer-token-stdin",
            stdin="tok-not-the-right-one",
        ).returncode
        == 0
    )
    refused = craft(isolated_home, "tools", "remote")
    assert refused.returncode == 1
    assert refused.stdout.startswith(f"MCP server remote: answered HTTP 401 at {http_server.url}")
    assert "tok-not-the-right-one" not in refused.stdout + refused.stderr
