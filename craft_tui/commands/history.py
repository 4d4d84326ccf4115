"""`craft-tui history [--search Q] [--json] [--limit N]` and `craft-tui history show ID`.

The listing is the history screen's, for scripts and shell users: conversations newest first, or
with `--search` every message holding the words (the store's full-text search, newest first),
each with a snippet. `show` prints one conversation's active branch, the branch the app would
open. An id may be shortened to any unique prefix of it.

Titles, snippets and messages are outside text: they are printed disarmed (one line for a title
or a snippet), and `--json` escapes every control and non-ASCII character (`ensure_ascii`), so
what is stored round-trips exactly. On a terminal the matched words of a snippet are bold: our
own SGR codes, written through `raw_stream` around text that is disarmed first.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from craft_tui.cli import UserError
from craft_tui.untrusted import raw_stream, shown, shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.conversation import Conversation, StoredMessage
    from craft_tui.chat.history import HistoryStore, SearchHit

DEFAULT_LIMIT = 50
MIN_PREFIX = 4
"""The shortest id prefix `show` takes (a shorter one would rarely be unique)."""
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"
_LIST_FIX = "`craft-tui history` lists conversations with their ids."


def positive(text: str) -> int:
    """argparse type for --limit: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], help: str) -> None:
    """`history` and `history show` (called by cli.py when the command line names them)."""
    history = subparsers.add_parser(
        "history",
        help=help,
        description="List past conversations newest first, or search every message.",
        epilog=(
            "examples:\n"
            "  craft-tui history --limit 10\n"
            "  craft-tui history --search 'borrow checker'\n"
            "  craft-tui history show 3f2a  # an id, or any unique start of one"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    history.add_argument(
        "-s", "--search", metavar="WORDS", help="messages holding every word (word starts match)"
    )
    history.add_argument("--json", action="store_true", help="machine-readable output")
    history.add_argument(
        "-n",
        "--limit",
        type=positive,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most N rows (default {DEFAULT_LIMIT})",
    )
    actions = history.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="print a conversation (the branch the app shows)")
    show.add_argument("id", help="conversation id, or a unique start of it")
    show.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    store = _open()
    try:
        if getattr(args, "action", None) == "show":
            return _show(store, args.id, as_json=args.json)
        if args.search is not None:
            return _search(store, args.search, limit=args.limit, as_json=args.json)
        return _list(store, limit=args.limit, as_json=args.json)
    finally:
        store.close()


def _open() -> HistoryStore:
    from craft_tui.chat.history import HistoryError, HistoryStore

    try:
        return HistoryStore.open()
    except HistoryError as error:
        raise UserError(
            str(error),
            "`craft-tui paths` shows where the history file is (CRAFT_TUI_HOME moves it).",
        ) from None


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dump(value: Any) -> None:
    # ensure_ascii: every control or non-ASCII character is a \u escape (no raw control).
    print(json.dumps(value, indent=2, ensure_ascii=True))


# ---------------------------------------------------------------- listing


def _list(store: HistoryStore, *, limit: int, as_json: bool) -> int:
    conversations = store.list_conversations(limit=limit)
    counts = store.message_counts(c.id for c in conversations)
    if as_json:
        _dump([_conversation_json(c, counts.get(c.id, 0)) for c in conversations])
        return 0
    if not conversations:
        print("No conversations yet.", file=sys.stderr)
        return 0
    rows = [("ID", "UPDATED", "MSGS", "TITLE")]
    for conversation in conversations:
        rows.append(
            (
                conversation.id,
                _when(conversation.updated_at),
                str(counts.get(conversation.id, 0)),
                shown_inline(conversation.title or "(untitled)"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}")
    return 0


def _conversation_json(conversation: Conversation, messages: int) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "title": conversation.title,
        "created_at": _iso(conversation.created_at),
        "updated_at": _iso(conversation.updated_at),
        "connection": conversation.connection_slug,
        "model": conversation.model,
        "messages": messages,
    }


# ---------------------------------------------------------------- search


def _search(store: HistoryStore, query: str, *, limit: int, as_json: bool) -> int:
    results = store.search(query, limit=limit)
    if results.notice:
        print(f"craft-tui: note: {results.notice}", file=sys.stderr)
    if as_json:
        _dump([_hit_json(hit) for hit in results.hits])
        return 0
    if not results.hits:
        print(f"No message holds {shown_inline(query)!r}.", file=sys.stderr)
        return 0
    out = sys.stdout
    bold = out.isatty()
    shown_conversation = None
    for hit in results.hits:
        if hit.conversation_id != shown_conversation:
            shown_conversation = hit.conversation_id
            print(f"{hit.conversation_id}  {shown_inline(hit.title or '(untitled)')}")
        who = {"user": "you", "tool": "tool"}.get(hit.role, "answer")
        out.write(f"  {who}: ")
        _write_snippet(out, hit.snippet, hit.matches, bold=bold)
        out.write(f"  [{hit.message_id[:8]}]\n")
    return 0


def _flat(text: str) -> str:
    return shown_inline(re.sub(r"\s+", " ", text))


def _write_snippet(
    out: TextIO, snippet: str, matches: Sequence[tuple[int, int]], *, bold: bool
) -> None:
    """The snippet on one line, each piece disarmed on its own; on a terminal the matches are
    bold (our codes, through the raw stream, around text that can hold none)."""
    raw = raw_stream(out)
    at = 0
    for start, end in matches:
        if start < at or end <= start:
            continue
        out.write(_flat(snippet[at:start]))
        if bold:
            raw.write(_BOLD + _flat(snippet[start:end]) + _RESET)
        else:
            out.write(_flat(snippet[start:end]))
        at = end
    out.write(_flat(snippet[at:]))


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "conversation_id": hit.conversation_id,
        "title": hit.title,
        "message_id": hit.message_id,
        "role": hit.role,
        "created_at": _iso(hit.created_at),
        "snippet": hit.snippet,
        "matches": [list(span) for span in hit.matches],
    }


# ---------------------------------------------------------------- show


def _resolve(store: HistoryStore, given: str) -> str:
    """The conversation id `given` names: the whole id, or a unique start of it."""
    wanted = given.strip().lower()
    if len(wanted) < MIN_PREFIX:
        raise UserError(
            f"{shown_inline(given)!r} is too short to name a conversation.",
            f"give its id or at least its first {MIN_PREFIX} characters; {_LIST_FIX}",
        )
    found = store.conversation_ids(wanted, limit=2)
    if not found:
        raise UserError(f"No conversation {shown_inline(given)!r} in the history.", _LIST_FIX)
    if len(found) > 1 and wanted not in found:
        raise UserError(
            f"More than one conversation starts with {shown_inline(given)!r}.",
            f"give more of the id; {_LIST_FIX}",
        )
    return wanted if wanted in found else found[0]


def _show(store: HistoryStore, given: str, *, as_json: bool) -> int:
    conversation, messages = store.load_conversation(_resolve(store, given))
    if as_json:
        data = _conversation_json(conversation, len(store.all_messages(conversation.id)))
        data["system_prompt"] = conversation.system_prompt
        data["branch"] = [_message_json(message) for message in messages]
        _dump(data)
        return 0
    print(shown_inline(conversation.title or "(untitled)"))
    model = " · ".join(x for x in (conversation.connection_slug, conversation.model) if x)
    details = [conversation.id, f"updated {_when(conversation.updated_at)}"]
    print("  ".join([*details, shown_inline(model)] if model else details))
    for message in messages:
        who = {"user": "you", "tool": "tool"}.get(message.role, "answer")
        source = " · ".join(x for x in (message.connection_slug, message.model) if x)
        label = f"{who} ({shown_inline(source)})" if source and message.role != "user" else who
        ended = _ending(message)
        print(f"\n── {label}{ended} ── {_when(message.created_at)}  [{message.id[:8]}]")
        print(shown(message.text.rstrip("\n")) or "(empty)")
    return 0


def _ending(message: StoredMessage) -> str:
    """How an answer ended, when it is worth saying (stopped, failed, cut, still streaming)."""
    if message.role != "assistant" or message.finish_reason == "stop":
        return ""
    if message.error_kind is not None:
        return f", failed: {shown_inline(message.error_message or message.error_kind)}"
    if message.finish_reason is None:
        return ", unfinished"
    return f", {shown_inline(message.finish_reason)}"


def _message_json(message: StoredMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": message.role,
        "text": message.text,
        "reasoning": message.reasoning,
        "connection": message.connection_slug,
        "model": message.model,
        "finish_reason": message.finish_reason,
        "error_kind": message.error_kind,
        "error_message": message.error_message,
        "input_tokens": message.input_tokens,
        "output_tokens": message.output_tokens,
        "cost_usd": message.cost_usd,
        "created_at": _iso(message.created_at),
    }
