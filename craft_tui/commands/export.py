"""`craft-tui export ID|--last --format md|json [-o FILE]` and `craft-tui import FILE [--from …]`.

Export writes to stdout, or to a new file made 0600 (an existing one is replaced only with
`--force`, and then atomically). Import reads a whole file before it stores anything, detects
the client it came from by its content, and says how much it added. A file is outside data:
whatever is wrong with it is one sentence naming the file and the field, with a fix line; its
titles are printed disarmed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from craft_tui.cli import UserError
from craft_tui.untrusted import shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.history import HistoryStore

_IMPORT_FIX = (
    "give a craft-tui JSON export, ChatGPT's conversations.json or llm's logs.db "
    "(`llm logs path` shows it); --from names the kind when it is not detected."
)


def add_export_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], help: str
) -> None:
    """`export` (called by cli.py when the command line names it)."""
    export = subparsers.add_parser(
        "export",
        help=help,
        description="Write a conversation as Markdown (the branch the app shows) or JSON "
        "(every branch, for `craft-tui import`).",
        epilog=(
            "examples:\n"
            "  craft-tui export --last --format md -o talk.md\n"
            "  craft-tui export 3f2a --format json > backup.json"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="conversation id, or a unique start of it")
    which.add_argument("--last", action="store_true", help="the conversation used last")
    export.add_argument("--format", choices=("md", "json"), default="md", help="default: md")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (made 0600)")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.add_argument(
        "--no-reasoning", action="store_true", help="leave reasoning out of Markdown"
    )


def add_import_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], help: str
) -> None:
    """`import` (called by cli.py when the command line names it)."""
    imported = subparsers.add_parser(
        "import",
        help=help,
        description="Add the conversations of a file to the history. The kind of file is "
        "detected from its content.",
        epilog=(
            "examples:\n"
            "  craft-tui import backup.json\n"
            "  craft-tui import ~/Downloads/conversations.json --from chatgpt\n"
            '  craft-tui import "$(llm logs path)"'
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imported.add_argument("file", help="the file to import")
    imported.add_argument(
        "--from", dest="source", choices=("craft", "chatgpt", "llm"), help="the kind of file"
    )


def _open() -> HistoryStore:
    from craft_tui.commands.history import _open as open_history

    return open_history()


# ---------------------------------------------------------------- export


def run_export(args: argparse.Namespace) -> int:
    from craft_tui.chat import export
    from craft_tui.commands.history import _resolve

    store = _open()
    try:
        if args.last:
            conversation_id = store.last_conversation_id()
            if conversation_id is None:
                raise UserError("There is no conversation to export yet.", "start one in the app.")
        else:
            conversation_id = _resolve(store, args.id)
        conversation = store.get_conversation(conversation_id)
        text, count = export.export_text(
            store, conversation_id, args.format, reasoning=not args.no_reasoning
        )
    finally:
        store.close()
    if args.output is None:
        sys.stdout.write(text)
        return 0
    target = Path(args.output).expanduser()
    write_private(target, text, force=args.force)
    title = shown_inline(conversation.title or "(untitled)")
    plural = "" if count == 1 else "s"
    print(
        f"Exported {title!r} ({count} message{plural}) to {shown_inline(str(target))}.",
        file=sys.stderr,
    )
    return 0


def write_private(target: Path, text: str, *, force: bool) -> None:
    """`export.write_new_file`, its refusals as a sentence and a fix."""
    from craft_tui.chat.export import write_new_file

    where = shown_inline(str(target))
    try:
        write_new_file(target, text, force=force)
    except FileExistsError:
        raise UserError(
            f"{where} exists already; it was left as it is.",
            "give another file name, or add --force to replace it.",
        ) from None
    except FileNotFoundError:
        raise UserError(
            f"The folder of {where} does not exist.", "create it first, or give another path."
        ) from None
    except IsADirectoryError:
        raise UserError(f"{where} is a folder.", "give a file name inside it.") from None


# ---------------------------------------------------------------- import


def run_import(args: argparse.Namespace) -> int:
    from craft_tui.chat.history import HistoryError
    from craft_tui.chat.importers import SOURCE_NAMES, ImportProblem, Source
    from craft_tui.chat.importers.reading import describe, read_any, store_read

    file = Path(args.file).expanduser()
    try:  # the whole file is read and checked before the history is opened
        source, items = read_any(file, cast("Source | None", args.source))
    except ImportProblem as problem:
        raise UserError(_sentence(shown_inline(str(problem))), _IMPORT_FIX) from None
    store = _open()
    try:
        summary = store_read(store, source, items)
    except HistoryError as error:
        raise UserError(
            _sentence(str(error)), "`craft-tui paths` shows where the history file is."
        ) from None
    finally:
        store.close()
    print(describe(summary.conversations, summary.messages, summary.skipped, SOURCE_NAMES[source]))
    return 0


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."
