"""Command line: `craft-tui` opens the app; subcommands serve scripts and shell users.

Exit codes: 0 success, 1 a provider or user error (a sentence on stderr, then the fix on a second
line), 2 a usage error.
Imports are lazy so `craft-tui --help` and the app start fast.

Everything a subcommand prints goes through `untrusted.DisarmedStream`: model ids, server reasons,
connection names and answers are outside text, and none of it reaches the terminal as a control
sequence, whichever print path it takes.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from craft_tui import __version__


class UserError(Exception):
    """A problem the user can fix: the sentence, then (when the sentence does not already say it)
    the fix on its own line; exit code 1."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix


SUMMARIES = {
    "connection": "connections: add, list, test, key (store a key), default, remove",
    "ask": "stream one answer to stdout (for scripts)",
    "models": "list models with context size and price",
    "history": "list or search past conversations; show one",
    "export": "write a conversation as Markdown or JSON",
    "import": "import conversations (craft-tui JSON, ChatGPT export, llm logs.db)",
    "mcp": "MCP servers as tool sources: add, list, remove, tools, import",
    "paths": "show where config, keys, history and cache live",
}


def _add_connection_parsers(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    from craft_tui.config.presets import preset_ids
    from craft_tui.config.protocols import known_protocols

    connection = subparsers.add_parser(
        "connection",
        help=SUMMARIES["connection"],
        description="Manage connections: the endpoints craft-tui talks to. Keys never go in config.toml.",
    )
    actions = connection.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser(
        "add",
        help="add a connection",
        description=(
            "Add a connection from a preset, or any OpenAI-/Anthropic-compatible endpoint. "
            "Without a key option, a preset's usual environment variable is used "
            "(e.g. OPENROUTER_API_KEY)."
        ),
        epilog=(
            "examples:\n"
            "  craft-tui connection add OpenRouter --preset openrouter --api-key-stdin <key.txt\n"
            "  craft-tui connection add Ollama --preset ollama --model llama3.2\n"
            "  craft-tui connection add Proxy --protocol anthropic --base-url https://llm.corp/v1 "
            "--api-key-env CORP_KEY\n"
            "  craft-tui connection add OpenRouter --preset openrouter "
            "--api-key-cmd 'pass show openrouter'\n"
            f"\npresets: {', '.join(preset_ids())}"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add.add_argument("name", help="display name; the slug is derived from it and fixed")
    source = add.add_argument_group("endpoint (a preset, or a protocol and a base URL)")
    source.add_argument("--preset", choices=preset_ids(), metavar="PRESET", help="a known provider")
    source.add_argument("--protocol", choices=known_protocols(), help="wire protocol")
    source.add_argument(
        "--base-url", help="server URL; overrides the preset's (remote Ollama, proxy)"
    )
    auth = add.add_mutually_exclusive_group()
    auth.add_argument("--api-key-env", metavar="VAR", help="read the key from this env variable")
    auth.add_argument(
        "--api-key-stdin", action="store_true", help="read the key from stdin (prompted on a tty)"
    )
    auth.add_argument(
        "--api-key-cmd",
        metavar="CMD",
        help="run this command when the key is needed; its first output line is the key, never "
        "stored (e.g. 'pass show openrouter', 'op read op://Private/OpenRouter/credential'; "
        "no shell, stdin closed, stopped after 30 s)",
    )
    auth.add_argument("--no-auth", action="store_true", help="send no key (local servers)")
    add.add_argument(
        "--bearer",
        action="store_true",
        help="send the key as 'Authorization: Bearer' (Anthropic-compatible gateways)",
    )
    add.add_argument(
        "--model", action="append", default=[], metavar="ID", help="a model id (repeat)"
    )
    add.add_argument("--default-model", metavar="ID", help="the model used by default")
    add.add_argument(
        "--header", action="append", default=[], metavar="NAME=VALUE", help="extra header (repeat)"
    )
    add.add_argument("--ca-bundle", metavar="PATH", help="PEM file of CAs to trust (company proxy)")
    add.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    add.add_argument("--default", action="store_true", help="make it the default connection")

    listing = actions.add_parser("list", help="list connections (keys masked)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    remove = actions.add_parser("remove", help="remove a connection and its stored key")
    remove.add_argument("name", help="slug or name")

    test = actions.add_parser(
        "test", help="check a connection over the network (model list, then a 1-token answer)"
    )
    test.add_argument("name", help="slug or name")

    key = actions.add_parser(
        "key",
        help="store or replace a connection's key",
        description="Store or replace a connection's key in the secret store, or name a "
        "command that prints it (--api-key-cmd). A connection that read its key from a variable "
        "or a command uses the stored key from then on; one that sends no key is switched only "
        "with --use-key (or a yes on a terminal).",
    )
    key.add_argument("name", help="slug or name")
    given = key.add_mutually_exclusive_group()
    given.add_argument("--api-key-stdin", action="store_true", help="read the key from stdin")
    given.add_argument(
        "--api-key-cmd",
        metavar="CMD",
        help="get the key from this command from now on (its first output line; never stored); "
        "a stored key is deleted",
    )
    key.add_argument(
        "--use-key",
        action="store_true",
        help="switch a connection that sends no key to sending this one",
    )

    default = actions.add_parser("default", help="make a connection the default")
    default.add_argument("name", help="slug or name")


def _add_ask_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = subparsers.add_parser(
        "ask",
        help=SUMMARIES["ask"],
        description="Stream an answer as plain text. The prompt comes from the argument, stdin, or both.",
    )
    ask.add_argument("prompt", nargs="?", help="the prompt (stdin is appended when piped)")
    ask.add_argument("-c", "--connection", help="connection slug or name (default: the default)")
    ask.add_argument("-m", "--model", help="model id (default: the connection's default)")
    ask.add_argument("-s", "--system", help="system prompt")
    ask.add_argument("--max-tokens", type=int, help="maximum tokens to generate")
    ask.add_argument("--temperature", type=float, help="sampling temperature")
    ask.add_argument("--usage", action="store_true", help="print token usage and cost on stderr")
    ask.add_argument(
        "--raw",
        action="store_true",
        help="when stdout is a file or pipe, write exactly what the model sent, control "
        "characters included (on a terminal the answer is always shown disarmed)",
    )
    ask.add_argument(
        "--save",
        action="store_true",
        help="store the question and answer as a new conversation in the history",
    )
    ask.add_argument(
        "--continue",
        dest="continue_id",
        nargs="?",
        const="",
        metavar="ID",
        help="add to the last conversation (or ID): its current branch goes with the question, "
        "the new turn is stored on it; connection and model are its last answer's unless -c/-m",
    )
    ask.add_argument(
        "-a",
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help="attach a file to the prompt (repeatable): an image (resized to the provider's "
        "limits), a PDF or a text file",
    )
    from craft_tui.commands.ask_tools import add_arguments

    add_arguments(ask)  # --tools, --allow, --read-only, --yes, --max-steps


def _add_models_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = subparsers.add_parser("models", help=SUMMARIES["models"], description="List models.")
    models.add_argument("query", nargs="?", help="fuzzy filter, e.g. 'sonnet' or 'llama 70b'")
    models.add_argument("-c", "--connection", help="only this connection")
    models.add_argument("--refresh", action="store_true", help="fetch the lists again now")
    models.add_argument("--json", action="store_true", help="machine-readable output")


def _add_history_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from craft_tui.commands.history import add_parser

    add_parser(subparsers, SUMMARIES["history"])


def _add_export_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from craft_tui.commands.export import add_export_parser

    add_export_parser(subparsers, SUMMARIES["export"])


def _add_import_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from craft_tui.commands.export import add_import_parser

    add_import_parser(subparsers, SUMMARIES["import"])


def _add_mcp_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from craft_tui.commands.mcp import add_parser

    add_parser(subparsers, SUMMARIES["mcp"])


_BUILDERS = {
    "connection": _add_connection_parsers,
    "ask": _add_ask_parser,
    "models": _add_models_parser,
    "history": _add_history_parser,
    "export": _add_export_parser,
    "import": _add_import_parser,
    "mcp": _add_mcp_parser,
}


def build_parser(detailed: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The command line. With `detailed`, only those commands get their options; the others are
    listed by name and help, which is all `craft-tui --help` shows. Opening the app builds none:
    that skips ~10 sub-parsers and the presets import before its first frame (~20 ms)."""
    parser = argparse.ArgumentParser(
        prog="craft-tui",
        description="A terminal chat client for any OpenAI- or Anthropic-compatible LLM endpoint.",
        epilog="Run without a command to open the app. Files: see `craft-tui paths`.",
    )
    parser.add_argument("--version", action="version", version=f"craft-tui {__version__}")
    parser.add_argument("--new", action="store_true", help="start with a new conversation")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in SUMMARIES.items():
        add = _BUILDERS.get(name)
        if add is not None and (detailed is None or name in detailed):
            add(subparsers)
        else:
            subparsers.add_parser(name, help=summary)
    return parser


def _parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """A parser with the options of the command `argv` names (none when it names none)."""
    words = [arg for arg in argv if not arg.startswith("-")]
    if not words:
        return build_parser(())
    return build_parser({words[0]} if words[0] in SUMMARIES else None)  # else: argparse's error


def _run(args: argparse.Namespace) -> int:
    if args.command is None:
        from craft_tui.commands.app import run_app

        return run_app(new_conversation=args.new)
    if args.command == "connection":
        from craft_tui.commands import connection

        return connection.run(args)
    if args.command == "ask":
        from craft_tui.commands import ask

        return ask.run(args)
    if args.command == "models":
        from craft_tui.commands import models

        return models.run(args)
    if args.command == "history":
        from craft_tui.commands import history

        return history.run(args)
    if args.command in ("export", "import"):
        from craft_tui.commands import export

        return export.run_export(args) if args.command == "export" else export.run_import(args)
    if args.command == "mcp":
        from craft_tui.commands import mcp

        return mcp.run(args)
    if args.command == "paths":
        from craft_tui.commands.connection import show_paths

        return show_paths()
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `craft-tui` script; returns the exit code."""
    with _disarmed_output():
        return _main(sys.argv[1:] if argv is None else argv)


@contextlib.contextmanager
def _disarmed_output() -> Iterator[None]:
    """Print through `DisarmedStream` while a command runs. (The app draws on `sys.__stderr__`,
    with control sequences of its own, and disarms outside text in its widgets.)"""
    from craft_tui.untrusted import DisarmedStream

    streams = sys.stdout, sys.stderr
    sys.stdout = DisarmedStream(streams[0])
    sys.stderr = DisarmedStream(streams[1])
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        sys.stdout, sys.stderr = streams


def _main(argv: Sequence[str]) -> int:
    args = _parser_for(argv).parse_args(argv)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("craft-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:
        return _report(error)


def connection_problem(problem: Exception) -> UserError:
    """A `ConnectionProblem` (the sentence the connections screen shows too) with a fix line for
    the command line where its sentence has none."""
    message = str(problem)
    fix = None
    if message.startswith("No connection named"):
        fix = "give a slug or name that `craft-tui connection list` shows."
    elif message.startswith("No connection yet"):
        message, _, fix = message.partition(": ")
        message += "."
    elif "could not be stored" in message and "damaged" in message:
        message = message.replace(".. ", ". ")
        fix = "fix or delete the credentials file named above (it holds only keys), then run this again."
    elif "could not be stored" in message:
        fix = (
            "check the system keyring, or keep keys in the 0600 file instead: set "
            "CRAFT_TUI_SECRETS=file (`craft-tui paths` shows the store in use)."
        )
    elif "; " in message:  # "A connection 'x' exists already; choose another name, or ..."
        message, _, fix = message.partition("; ")
        message += "."
    return UserError(message, fix or None)


def _report(error: Exception) -> int:
    """The sentence and its fix on stderr for an error that ended a command; never a traceback."""
    from craft_tui.config.source import ConfigError
    from craft_tui.providers.errors import ProviderError

    # Only raised once the secret store (and with it pydantic) was imported: not imported here.
    secrets = sys.modules.get("craft_tui.config.secrets")
    missing_key = (secrets.MissingKeyError,) if secrets is not None else ()
    if isinstance(error, ConfigError):
        _say(*_config_error(str(error)))
        return 1
    if isinstance(error, (UserError, *missing_key)):
        _say(str(error), getattr(error, "fix", None))
        return 1
    if isinstance(error, ProviderError):
        _say(error.message, error.hint)
        return 1
    known = _known_failure(error)
    if known is not None:
        _say(*known)
        return 1
    from craft_tui.logging_setup import log_exception  # last resort: details in the log

    where = log_exception(error)
    _say(
        f"unexpected error: {type(error).__name__}.",
        f"details are in {where}; please report it with that file.",
    )
    return 1


def validation_problems(error: Any, names: Mapping[str, str] | None = None) -> str:
    """A pydantic ValidationError in words, each problem with the field it is about (`names`
    turns a field into what the user typed, e.g. `headers` into `--header`)."""
    from craft_tui.config.store import _field_location, _format_location, _problem

    problems = []
    for detail in error.errors()[:3]:
        loc = _field_location(detail)
        where = _format_location(loc)
        for field, name in (names or {}).items():
            if where == field or where.startswith((field + ".", field + "[")):
                where = name
                break
        problems.append(f"{where or 'value'}: {_problem(detail)}")
    return "; ".join(problems)


_CONFIG_FIX = (
    "check that file and its folder (`craft-tui paths` shows where they are; CRAFT_TUI_HOME "
    "moves them); craft-tui never writes over a config it cannot read."
)


def _config_error(text: str) -> tuple[str, str]:
    """A config error's sentence and its fix on their own lines (the app shows them as one)."""
    for marker in (" Fix the file by hand", " Make the change by hand"):
        message, found, rest = text.partition(marker)
        if found:
            fix = found.strip().replace("Fix the file", "edit the file") + rest
            return message, fix[0].lower() + fix[1:]
    return text, _CONFIG_FIX


def _say(message: str, fix: str | None) -> None:
    print(f"craft-tui: {message}", file=sys.stderr)
    if fix:
        print(f"  fix: {fix}", file=sys.stderr)


def _known_failure(error: Exception) -> tuple[str, str] | None:
    """A sentence and a fix for failures that come from the user's files or input rather than
    from a bug: a value the config schema refuses, a file or folder that cannot be used, a
    config.toml the editor cannot change, text that is not UTF-8."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(error, pydantic.ValidationError):
        return (
            f"invalid value: {validation_problems(error)}.",
            "change that value; `craft-tui connection add --help` lists the options.",
        )
    if isinstance(error, UnicodeDecodeError):
        return (
            "the input is not UTF-8 text.",
            "give the text as UTF-8 (a key or prompt file saved in another encoding, or a "
            "binary file, cannot be read).",
        )
    if isinstance(error, OSError):
        what = f" {error.filename}" if error.filename else ""
        reason = error.strerror or str(error) or type(error).__name__
        return (
            f"could not use{what}: {reason}.",
            "check that the folder exists and that you may read and write it; "
            "`craft-tui paths` shows every file craft-tui uses (CRAFT_TUI_HOME moves them all).",
        )
    tomlkit = sys.modules.get("tomlkit.exceptions")
    if tomlkit is not None and isinstance(error, tomlkit.TOMLKitError):
        from craft_tui.config import paths

        return (
            f"{paths.config_file()} could not be edited ({error}); it was left as it is.",
            "make the change by hand in config.toml, or fix the line named above.",
        )
    return None


if __name__ == "__main__":
    raise SystemExit(main())
