"""`craft-tui history [--search Q] [--stats [--days N]] [--json] [--limit N]`, and
`craft-tui history show|rename|pin|unpin ID`.

The listing is the history screen's, for scripts and shell users: conversations pinned first,
then newest first, each with its tokens and cost (every answer of every branch, summed by the
store in SQL; `chat/usage.py` says which are local or unknown), or with `--search` every message
holding the words (the store's full-text search, newest first), each with a snippet. `--stats`
sums the answers per day and per connection. `show` prints one conversation's active branch, the
branch the app would open; its `--json` messages are the export file's (`chat/export.py
message_json`). An id may be shortened to any unique prefix of it.

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
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from craft_tui.cli import UserError
from craft_tui.untrusted import raw_stream, shown, shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.conversation import Conversation, StoredMessage
    from craft_tui.chat.cost import CostTotal
    from craft_tui.chat.history import ConversationFigures, HistoryStore, SearchHit, UsageRow
    from craft_tui.chat.usage import CachedInInput, IsLocal

DEFAULT_LIMIT = 50
DEFAULT_DAYS = 30
PIN_MARK = "★"
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
        description=(
            "List past conversations (pinned first, then newest first) with their tokens and "
            "cost, search every message, or sum the answers per day and connection."
        ),
        epilog=(
            "examples:\n"
            "  craft-tui history --limit 10\n"
            "  craft-tui history --search 'borrow checker'\n"
            "  craft-tui history --stats --days 7\n"
            "  craft-tui history show 3f2a  # an id, or any unique start of one\n"
            "  craft-tui history rename 3f2a 'Rust lifetimes'\n"
            "  craft-tui history pin 3f2a"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    history.add_argument(
        "-s", "--search", metavar="WORDS", help="messages holding every word (word starts match)"
    )
    history.add_argument(
        "--stats", action="store_true", help="answers, tokens and cost per day and per connection"
    )
    history.add_argument(
        "--days",
        type=positive,
        default=None,
        metavar="N",
        help=f"with --stats: the last N days, today included (default {DEFAULT_DAYS})",
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
    rename = actions.add_parser("rename", help="give a conversation a title of your own")
    rename.add_argument("id", help="conversation id, or a unique start of it")
    rename.add_argument("title", help="the new title; '' gives back the one from the first prompt")
    for name, text in (("pin", "list it first"), ("unpin", "list it by date again")):
        pin = actions.add_parser(name, help=f"{name} a conversation: {text}")
        pin.add_argument("id", help="conversation id, or a unique start of it")


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "action", None)
    if args.days is not None and not args.stats:
        raise UserError("--days goes with --stats.", "craft-tui history --stats --days 7")
    if args.stats and (args.search is not None or action is not None):
        raise UserError(
            "--stats sums the whole history: it takes neither --search nor an action.",
            "craft-tui history --stats [--days N] [--json]",
        )
    store = _open()
    try:
        if action == "show":
            return _show(store, args.id, as_json=args.json)
        if action == "rename":
            return _rename(store, args.id, args.title)
        if action in ("pin", "unpin"):
            return _pin(store, args.id, pinned=action == "pin")
        if args.stats:
            return _stats(store, days=args.days or DEFAULT_DAYS, as_json=args.json)
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


@dataclass(frozen=True, slots=True)
class _Rules:
    """What the config says of the stored answers' connections: which are local servers (free
    answers), and which count cached tokens on top of the input (`chat/usage.py`)."""

    is_local: IsLocal
    cached_in_input: CachedInInput

    def prompt(self, figures: ConversationFigures) -> int:
        """The summed answers' whole prompts (`chat/usage.py prompt_total`)."""
        from craft_tui.chat.usage import prompt_total

        return prompt_total(figures.input_tokens, figures.cache_tokens, self.cached_in_input)


def _rules() -> _Rules:
    """The rules by the config; a config that cannot be read leaves every unpriced answer
    unknown and every input as stored, rather than stopping the listing."""
    from craft_tui.chat.usage import cached_in_input_check, local_check
    from craft_tui.config.store import load_config

    try:
        config = load_config()
    except Exception:  # a broken config.toml: the history is still worth listing
        config = None
    return _Rules(local_check(config), cached_in_input_check(config))


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone().strftime("%Y-%m-%d %H:%M")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dump(value: Any) -> None:
    # ensure_ascii: every control or non-ASCII character is a \u escape (no raw control).
    print(json.dumps(value, indent=2, ensure_ascii=True))


# ---------------------------------------------------------------- listing


def _list(store: HistoryStore, *, limit: int, as_json: bool) -> int:
    from craft_tui.chat.history import ConversationFigures
    from craft_tui.chat.usage import format_tokens

    conversations = store.list_conversations(limit=limit, pinned_first=True)
    figures = store.conversation_figures(c.id for c in conversations)
    rules = _rules()
    if as_json:
        _dump(
            [
                _conversation_json(c, figures.get(c.id, ConversationFigures()), rules)
                for c in conversations
            ]
        )
        return 0
    if not conversations:
        print("No conversations yet.", file=sys.stderr)
        return 0
    rows = [("ID", "UPDATED", "MSGS", "TOKENS", "COST", "TITLE")]
    for conversation in conversations:
        sums = figures.get(conversation.id, ConversationFigures())
        mark = f"{PIN_MARK} " if conversation.pinned else ""
        rows.append(
            (
                conversation.id,
                _when(conversation.updated_at),
                str(sums.messages),
                format_tokens(rules.prompt(sums) + sums.output_tokens),
                str(_cost(sums, rules.is_local)),
                mark + shown_inline(conversation.title or "(untitled)"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print(
            f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  "
            f"{row[3]:>{widths[3]}}  {row[4]:>{widths[4]}}  {row[5]}"
        )
    return 0


def _cost(figures: ConversationFigures, is_local: IsLocal) -> CostTotal:
    from craft_tui.chat.usage import cost_total

    return cost_total(figures.cost_usd, figures.priced, figures.unpriced, is_local)


def _conversation_json(
    conversation: Conversation, figures: ConversationFigures, rules: _Rules
) -> dict[str, Any]:
    total = _cost(figures, rules.is_local)
    return {
        "id": conversation.id,
        "title": conversation.title,
        "created_at": _iso(conversation.created_at),
        "updated_at": _iso(conversation.updated_at),
        "connection": conversation.connection_slug,
        "model": conversation.model,
        "messages": figures.messages,
        "pinned": conversation.pinned,
        "answers": figures.answers,
        "input_tokens": rules.prompt(figures),
        "output_tokens": figures.output_tokens,
        "cost_usd": round(total.usd, 10) if total.known else None,
        "cost": str(total),
        "answers_local": total.local,
        "answers_unpriced": total.unknown,
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
    from craft_tui.chat.export import message_json
    from craft_tui.chat.history import ConversationFigures
    from craft_tui.chat.usage import format_tokens

    conversation, messages = store.load_conversation(_resolve(store, given))
    figures = store.conversation_figures([conversation.id]).get(
        conversation.id, ConversationFigures()
    )
    rules = _rules()
    if as_json:
        data = _conversation_json(conversation, figures, rules)
        data["system_prompt"] = conversation.system_prompt
        data["branch"] = [message_json(message) for message in messages]
        _dump(data)
        return 0
    print(shown_inline(conversation.title or "(untitled)"))
    model = " · ".join(x for x in (conversation.connection_slug, conversation.model) if x)
    details = [conversation.id, f"updated {_when(conversation.updated_at)}"]
    print("  ".join([*details, shown_inline(model)] if model else details))
    # What the whole conversation cost (every branch: each answer was paid for), as the list says.
    print(
        f"{figures.answers} answer{'' if figures.answers == 1 else 's'} · "
        f"{format_tokens(rules.prompt(figures) + figures.output_tokens)} tokens · "
        f"{_cost(figures, rules.is_local)} (all branches)"
    )
    for message in messages:
        who = {"user": "you", "tool": "tool"}.get(message.role, "answer")
        source = " · ".join(x for x in (message.connection_slug, message.model) if x)
        label = f"{who} ({shown_inline(source)})" if source and message.role != "user" else who
        ended = _ending(message)
        spent = _answer_figures(message, rules.cached_in_input)
        print(f"\n── {label}{ended} ── {_when(message.created_at)}{spent}  [{message.id[:8]}]")
        print(shown(message.text.rstrip("\n")) or "(empty)")
    return 0


def _answer_figures(message: StoredMessage, cached_in_input: CachedInInput) -> str:
    """An answer's tokens in/out and its stored cost, when it has them: `  · 1.2k in, 300 out,
    $0.0042`; "in" is the whole prompt (`prompt_tokens`), and what of it was read from or
    written to the prompt cache follows it: `  · 12k in (10k cache read, 2k cache write), …`."""
    from craft_tui.chat.cost import format_cost
    from craft_tui.chat.usage import format_tokens, prompt_tokens

    if message.role != "assistant":
        return ""
    bits = []
    if message.input_tokens is not None or message.output_tokens is not None:
        prompt = prompt_tokens(
            message.input_tokens,
            message.cached_tokens,
            message.cache_write_tokens,
            cached_in_input=cached_in_input(message.connection_slug),
        )
        cache = [
            f"{format_tokens(count)} cache {what}"
            for count, what in (
                (message.cached_tokens, "read"),
                (message.cache_write_tokens, "write"),
            )
            if count and count > 0
        ]
        cached = f" ({', '.join(cache)})" if cache else ""
        bits.append(
            f"{format_tokens(prompt)} in{cached}, {format_tokens(message.output_tokens or 0)} out"
        )
    if message.cost_usd is not None:
        bits.append(format_cost(message.cost_usd))
    return f"  · {', '.join(bits)}" if bits else ""


def _ending(message: StoredMessage) -> str:
    """How an answer ended, when it is worth saying (stopped, failed, cut, still streaming)."""
    if message.role != "assistant" or message.finish_reason == "stop":
        return ""
    if message.error_kind is not None:
        return f", failed: {shown_inline(message.error_message or message.error_kind)}"
    if message.finish_reason is None:
        return ", unfinished"
    return f", {shown_inline(message.finish_reason)}"


# ---------------------------------------------------------------- rename, pin


def _rename(store: HistoryStore, given: str, title: str) -> int:
    conversation_id = _resolve(store, given)
    stored = store.rename(conversation_id, title)
    if " ".join(title.split()):
        print(f"Renamed {conversation_id[:8]} to {_quoted(stored)}.")
    else:
        print(f"{conversation_id[:8]} has its first prompt's title again: {_quoted(stored)}.")
    return 0


def _pin(store: HistoryStore, given: str, *, pinned: bool) -> int:
    conversation_id = _resolve(store, given)
    store.set_pinned(conversation_id, pinned)
    title = _quoted(store.get_conversation(conversation_id).title)
    if pinned:
        print(f"Pinned {conversation_id[:8]} {title}: it is listed first.")
    else:
        print(f"Unpinned {conversation_id[:8]} {title}.")
    return 0


def _quoted(title: str) -> str:
    return f"“{shown_inline(title or '(untitled)')}”"


# ---------------------------------------------------------------- stats


def _stats(store: HistoryStore, *, days: int, as_json: bool) -> int:
    from datetime import date, time, timedelta

    first_day = date.today() - timedelta(days=days - 1)
    since = datetime.combine(first_day, time()).astimezone()  # local midnight
    rows = store.usage(since=since)
    rules = _rules()
    by_day = _totals(rows, lambda row: row.day)
    by_connection = _totals(rows, lambda row: row.connection_slug or "(none)")
    everything = _totals(rows, lambda _row: "total").get("total")
    if as_json:
        _dump(
            {
                "since": first_day.isoformat(),
                "days": days,
                "by_day": [_stats_json("day", k, v, rules) for k, v in by_day.items()],
                "by_connection": [
                    _stats_json("connection", k, v, rules) for k, v in by_connection.items()
                ],
                "total": _stats_json(None, None, everything or [], rules),
            }
        )
        return 0
    span = "today" if days == 1 else f"in the last {days} days (since {first_day.isoformat()})"
    if everything is None:
        print(f"No answers {span}.", file=sys.stderr)
        return 0
    print(f"Answers {span}, local days; cost as stored when each answer ended.")
    for heading, groups in (("DAY", by_day), ("CONNECTION", by_connection)):
        print()
        table: list[tuple[str, ...]] = [(heading, "ANSWERS", "INPUT", "OUTPUT", "COST")]
        table += [_stats_row(shown_inline(k), v, rules) for k, v in groups.items()]
        table.append(_stats_row("total", everything, rules))
        widths = [max(len(row[i]) for row in table) for i in range(5)]
        for row in table:
            print(
                f"{row[0]:<{widths[0]}}  "
                + "  ".join(f"{row[i]:>{widths[i]}}" for i in range(1, 5)).rstrip()
            )
    return 0


def _totals(rows: Sequence[UsageRow], key: Any) -> dict[str, list[UsageRow]]:
    groups: dict[str, list[UsageRow]] = {}
    for row in rows:
        groups.setdefault(str(key(row)), []).append(row)
    return dict(sorted(groups.items()))


def _summed(rows: Sequence[UsageRow], rules: _Rules) -> tuple[int, int, int, CostTotal]:
    from craft_tui.chat.usage import cost_total, prompt_total

    total = cost_total(
        sum(row.cost_usd for row in rows),
        sum(row.priced for row in rows),
        [(row.connection_slug, row.unpriced) for row in rows],
        rules.is_local,
    )
    answers = sum(row.answers for row in rows)
    inputs = prompt_total(
        sum(r.input_tokens for r in rows),
        [(r.connection_slug, r.cache_tokens) for r in rows],
        rules.cached_in_input,
    )
    return answers, inputs, sum(r.output_tokens for r in rows), total


def _stats_row(name: str, rows: Sequence[UsageRow], rules: _Rules) -> tuple[str, ...]:
    answers, inputs, outputs, total = _summed(rows, rules)
    return (name, f"{answers:,}", f"{inputs:,}", f"{outputs:,}", str(total))


def _stats_json(
    field: str | None, name: str | None, rows: Sequence[UsageRow], rules: _Rules
) -> dict[str, Any]:
    answers, inputs, outputs, total = _summed(rows, rules)
    out: dict[str, Any] = {} if field is None else {field: name}
    out.update(
        answers=answers,
        input_tokens=inputs,
        output_tokens=outputs,
        cost_usd=round(total.usd, 10) if total.known else None,
        cost=str(total),
        answers_local=total.local,
        answers_unpriced=total.unknown,
    )
    return out
