"""`craft-tui mcp …`: the MCP servers whose tools conversations may use.

`add`, `remove` and `import` change `[[mcp_servers]]` in config.toml through `store.update_config`
(the user's comments and layout stay); an HTTP server's bearer token goes to the secret store
(`mcp:NAME`, the store connection keys use), never to config.toml, and is never printed. `tools`
connects to the servers (craft_tui/mcp) and lists what each offers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
from pathlib import Path
from typing import Any, NoReturn

from craft_tui.cli import UserError
from craft_tui.config.schema import Config, McpServer

SUMMARY = "MCP servers as tool sources: add, list, remove, tools, import"


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], help: str) -> None:
    mcp = subparsers.add_parser(
        "mcp",
        help=help,
        description="MCP servers whose tools models may call in a conversation.",
    )
    actions = mcp.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="add a server: a local command (stdio) or a URL (streamable HTTP)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Add an MCP server.\n\nexamples:\n"
        "  craft-tui mcp add files -- npx -y @modelcontextprotocol/server-filesystem ~/notes\n"
        "  craft-tui mcp add search --url https://mcp.example.com/mcp --bearer-token-stdin "
        "<token.txt",
    )
    add.add_argument("name", metavar="NAME", help="a short name: letters, digits, dashes")
    _add_options(add)
    add.add_argument(
        "argv", nargs=argparse.REMAINDER, metavar="-- CMD ARGS", help="the command and its args"
    )
    actions.add_parser("list", help="list servers (never a token)")
    remove = actions.add_parser("remove", help="remove a server and its stored token")
    remove.add_argument("name", metavar="NAME")
    tools = actions.add_parser("tools", help="connect and list each server's tools")
    tools.add_argument("name", nargs="?", metavar="NAME", help="only this server")
    tools.add_argument("--json", action="store_true", help="as JSON")
    importing = actions.add_parser(
        "import", help='add the servers of an {"mcpServers": …} JSON file (Claude Desktop, Cursor)'
    )
    importing.add_argument("file", metavar="FILE")


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the server's streamable-HTTP endpoint")
    parser.add_argument(
        "--header", action="append", default=[], metavar="K=V", help="an HTTP header (repeat)"
    )
    parser.add_argument(
        "--bearer-token-stdin",
        action="store_true",
        help="read a bearer token for the URL from stdin (kept in the secret store)",
    )
    parser.add_argument(
        "--env", action="append", default=[], metavar="K=V", help="a variable for the command"
    )
    parser.add_argument("--startup-timeout", type=float, metavar="S", help="seconds (default 15)")
    parser.add_argument("--call-timeout", type=float, metavar="S", help="seconds (default 120)")
    parser.add_argument("--disabled", action="store_true", help="add it switched off")


class _OptionsAfterName(argparse.ArgumentParser):
    """`add`'s options written after NAME (argparse leaves them in the command's remainder)."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"mcp add: {message}.", "see `craft-tui mcp add --help`.")


def _split_command(args: argparse.Namespace) -> None:
    """`NAME [options] -- CMD ARGS`: options into `args`, the command into `args.argv`. Without
    `--`, words after NAME are options when the first is one, else the command."""
    rest: list[str] = list(args.argv)
    if "--" in rest:
        options, command = rest[: rest.index("--")], rest[rest.index("--") + 1 :]
    elif rest and rest[0].startswith("-"):
        options, command = rest, []
    else:
        options, command = [], rest
    parser = _OptionsAfterName(prog="craft-tui mcp add", add_help=False)
    _add_options(parser)
    parser.parse_args(options, namespace=args)
    args.argv = command


def run(args: argparse.Namespace) -> int:
    from craft_tui.config.secrets import drop_orphaned_keys

    drop_orphaned_keys()
    handlers = {
        "add": add,
        "list": list_servers,
        "remove": remove,
        "tools": tools,
        "import": import_file,
    }
    return handlers[args.action](args)


# ---------------------------------------------------------------------- add, remove, import


def _pairs(items: list[str], option: str, example: str) -> dict[str, str]:
    values = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(
                f"{option} {item!r} is not a name and its value.",
                f"write it as NAME=VALUE, e.g. {option} {example}.",
            )
        values[name.strip()] = value.strip()
    return values


_OPTION_NAMES = {
    "name": "NAME",
    "command": "CMD",
    "url": "--url",
    "headers": "--header",
    "env": "--env",
    "startup_timeout": "--startup-timeout",
    "call_timeout": "--call-timeout",
}


def _server(values: dict[str, Any]) -> McpServer:
    from pydantic import ValidationError

    from craft_tui.cli import validation_problems

    try:
        return McpServer.model_validate(values)
    except ValidationError as error:
        raise UserError(
            f"{validation_problems(error, _OPTION_NAMES)}.",
            "see `craft-tui mcp add --help`.",
        ) from None


def _read_token() -> str:
    """The bearer token from stdin (a prompt without echo on a terminal)."""
    import getpass
    import sys

    try:
        token = getpass.getpass("Bearer token: ") if sys.stdin.isatty() else sys.stdin.read()
    except UnicodeDecodeError:
        raise UserError(
            "The token on stdin is not text.", "pipe the file that holds only the token."
        ) from None
    token = token.strip()
    if not token:
        raise UserError(
            "No bearer token was given on stdin.",
            "pipe it in: craft-tui mcp add NAME --url URL --bearer-token-stdin <token.txt.",
        )
    if any(ch.isspace() for ch in token) or not token.isascii() or not token.isprintable():
        raise UserError(
            "The bearer token has spaces, line breaks or characters no token has.",
            "give only the token: one line of plain text, without 'Bearer '.",
        )
    return token


def add(args: argparse.Namespace) -> int:
    """Add one server; a bearer token goes to the secret store after config.toml is written."""
    _split_command(args)
    if args.url and args.argv:
        raise UserError(
            "Give either a command (after --) or --url, not both.",
            "a local server: craft-tui mcp add NAME -- CMD ARGS; a remote one: "
            "craft-tui mcp add NAME --url URL.",
        )
    if not args.url and not args.argv:
        raise UserError(
            "No server was given.",
            "give the command after --, e.g. craft-tui mcp add files -- npx -y "
            "@modelcontextprotocol/server-filesystem ~/notes; or --url URL.",
        )
    if args.bearer_token_stdin and not args.url:
        raise UserError(
            "--bearer-token-stdin is for a --url server.",
            "pass a command's secrets with --env NAME=VALUE instead.",
        )
    if args.argv and args.header:
        raise UserError("--header is for a --url server.", "drop --header, or use --url.")
    if args.url and args.env:
        raise UserError("--env is for a command server.", "drop --env, or give a command.")
    values: dict[str, Any] = {"name": args.name, "enabled": not args.disabled}
    if args.url:
        values["url"] = args.url
        values["headers"] = _pairs(args.header, "--header", "X-Team=research")
    else:
        values["command"] = args.argv[0]
        values["args"] = args.argv[1:]
        values["env"] = _pairs(args.env, "--env", "API_REGION=eu")
    if args.startup_timeout is not None:
        values["startup_timeout"] = args.startup_timeout
    if args.call_timeout is not None:
        values["call_timeout"] = args.call_timeout
    server = _server(values)
    config = _load()
    if _find(config, server.name) is not None:
        raise UserError(
            f"An MCP server named {server.name!r} exists already.",
            f"choose another name, or remove it first: craft-tui mcp remove {server.name}.",
        )
    token = _read_token() if args.bearer_token_stdin else None
    _save_servers([server], {server.name: token} if token else {})
    where = server.url if server.url else " ".join([server.command or "", *server.args])
    print(f"Added MCP server {server.name} ({server.transport}: {where}).")
    if token:
        print("Its bearer token is in the secret store.")
    print(f"Check it: craft-tui mcp tools {server.name}")
    return 0


def _save_servers(servers: list[McpServer], tokens: dict[str, str]) -> None:
    """config.toml first, then the tokens (as `store.save_connection` orders it): a token never
    lies in the store without its server. A token that cannot be stored takes its server out
    again."""
    from craft_tui.config.secrets import SecretStore
    from craft_tui.config.source import ConfigError
    from craft_tui.config.store import update_config

    def change(config: Config) -> None:
        config.mcp_servers.extend(servers)

    update_config(change)
    if not tokens:
        return
    store = SecretStore.open()
    for server in servers:
        token = tokens.get(server.name)
        if token is None:
            continue
        try:
            store.set(server.secret_id, token)
        except Exception as error:
            with contextlib.suppress(ConfigError, OSError):
                update_config(functools.partial(_drop, name=server.name))
            raise UserError(
                f"The bearer token of {server.name} could not be stored ({error}); the server "
                "was not added.",
                "check `craft-tui paths` (the secret store), then add it again.",
            ) from None


def _drop(config: Config, name: str) -> None:
    config.mcp_servers = [s for s in config.mcp_servers if s.name != name]


def _load() -> Config:
    from craft_tui.config.store import load_config

    return load_config()


def _find(config: Config, name: str) -> McpServer | None:
    return next((s for s in config.mcp_servers if s.name == name), None)


def _unknown(config: Config, name: str) -> UserError:
    known = ", ".join(s.name for s in config.mcp_servers) or "none yet"
    return UserError(
        f"No MCP server is named {name!r} (known: {known}).",
        "give a name that `craft-tui mcp list` shows.",
    )


def remove(args: argparse.Namespace) -> int:
    from craft_tui.config.secrets import SecretStore
    from craft_tui.config.store import update_config

    config = _load()
    server = _find(config, args.name)
    if server is None:
        raise _unknown(config, args.name)
    update_config(lambda current: _drop(current, server.name))
    SecretStore.open().delete(server.secret_id)
    print(f"Removed MCP server {server.name}.")
    return 0


def import_file(args: argparse.Namespace) -> int:
    from craft_tui.mcp.importing import ImportProblem, servers_from_json

    path = Path(args.file).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file.", "give the path of the JSON file.") from None
    try:
        result = servers_from_json(text)
    except ImportProblem as problem:
        raise UserError(
            f"{path}: {problem}.",
            'give a file like Claude Desktop\'s claude_desktop_config.json: {"mcpServers": '
            '{"name": {"command": "...", "args": [...]}}}.',
        ) from None
    config = _load()
    taken = {s.name for s in config.mcp_servers}
    new: list[McpServer] = []
    tokens: dict[str, str] = {}
    for line in result.problems:
        print(f"skipped {line}")
    for imported in result.servers:
        name = imported.server.name
        if name in taken:
            print(f"skipped {name}: an MCP server of that name exists already")
            continue
        taken.add(name)
        new.append(imported.server)
        if imported.token:
            tokens[name] = imported.token
    if new:
        _save_servers(new, tokens)
    for server in new:
        note = " (its bearer token is in the secret store)" if server.name in tokens else ""
        print(f"added {server.name} ({server.transport}){note}")
    print(f"Imported {len(new)} MCP server{'s' if len(new) != 1 else ''} from {path}.")
    return 0 if new or not result.problems else 1


# ---------------------------------------------------------------------- list and tools


def _where(server: McpServer) -> str:
    if server.url is not None:
        return server.url
    return " ".join([server.command or "", *server.args])


def list_servers(args: argparse.Namespace) -> int:
    config = _load()
    if not config.mcp_servers:
        print("No MCP servers yet. Add one: craft-tui mcp add NAME -- CMD [ARGS…]")
        return 0
    width = max(len(s.name) for s in config.mcp_servers)
    for server in config.mcp_servers:
        state = "enabled" if server.enabled else "disabled"
        print(f"{server.name:<{width}}  {server.transport:<5}  {state:<8}  {_where(server)}")
    return 0


def tools(args: argparse.Namespace) -> int:
    """Connect to the servers (all enabled ones, or the one named) and list their tools."""
    config = _load()
    if args.name:
        server = _find(config, args.name)
        if server is None:
            raise _unknown(config, args.name)
        servers = [server.model_copy(update={"enabled": True})]
    else:
        servers = [s for s in config.mcp_servers if s.enabled]
    if not servers:
        print("No enabled MCP servers. Add one: craft-tui mcp add NAME -- CMD [ARGS…]")
        return 0
    report = asyncio.run(_collect(servers))
    if args.json:
        print(json.dumps({"servers": report}, indent=2))
    else:
        _print_report(report)
    return 1 if all(entry["problem"] for entry in report) else 0


async def _collect(servers: list[McpServer]) -> list[dict[str, Any]]:
    from craft_tui.mcp import McpHub

    hub = McpHub(servers)
    try:
        specs = await hub.specs()
        by_server: dict[str, list[dict[str, Any]]] = {s.name: [] for s in servers}
        for spec in specs:
            origin = hub.origin(spec.name)
            by_server[spec.source].append(
                {
                    "name": origin[1] if origin else spec.name,
                    "offered_as": spec.name,
                    "description": spec.description,
                    "read_only": spec.read_only,
                    "input_schema": dict(spec.input_schema),
                }
            )
        return [
            {
                "name": server.name,
                "transport": server.transport,
                "problem": hub.problem_of(server.name),
                "tools": by_server[server.name],
            }
            for server in servers
        ]
    finally:
        await hub.aclose()


def _print_report(report: list[dict[str, Any]]) -> None:
    from craft_tui.untrusted import shown_inline

    for index, entry in enumerate(report):
        if index:
            print()
        if entry["problem"]:
            print(entry["problem"])
            continue
        count = len(entry["tools"])
        print(f"{entry['name']} ({entry['transport']}): {count} tool{'s' if count != 1 else ''}")
        for tool in entry["tools"]:
            mark = " [read-only]" if tool["read_only"] else ""
            named = tool["name"]
            if tool["offered_as"] != named:
                named += f" (offered as {tool['offered_as']})"
            description = (
                shown_inline(tool["description"].strip().splitlines()[0])
                if tool["description"].strip()
                else ""
            )
            print(f"  {shown_inline(named)}{mark}" + (f" — {description}" if description else ""))
