"""`craft-tui models [-c CONNECTION] [--refresh] [--json] [QUERY]`: every model, with context and price.

Cached lists print at once; a connection without a cache (or all of them with `--refresh`) is asked
over the network, a few at a time. A connection that cannot be listed costs one line on stderr and
the others still print; the exit code is 1 only when nothing at all could be listed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from operator import itemgetter
from typing import Any

from craft_tui.cli import UserError
from craft_tui.config.store import load_config
from craft_tui.providers.catalog import (
    CatalogEntry,
    ModelCatalog,
    collector_paused,
    context_label,
    price_labels,
)
from craft_tui.untrusted import raw_stream, shown_inline


def _age(fetched_at: datetime) -> str:
    seconds = max((datetime.now(UTC) - fetched_at).total_seconds(), 0)
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def run(args: argparse.Namespace) -> int:
    # No cyclic garbage collection while 50,000 models are read, merged and laid out (none of it
    # makes a cycle; collections walked those objects over and over); `_run`'s lists are freed
    # as it returns, before collection is back on.
    with collector_paused():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    config = load_config()
    if not config.connections:
        raise UserError(
            "No connections yet.", "add one: craft-tui connection add NAME --preset … (see --help)."
        )
    shown = config.connections
    if args.connection:
        from craft_tui.commands.ask import pick_connection

        # the catalog keeps the whole (valid) config; only this one is listed
        shown = [pick_connection(config, args.connection)]
    slugs = {connection.slug for connection in shown}
    catalog = ModelCatalog(config)
    targets = [c for c in shown if args.refresh or not catalog.status(c.slug).cached]
    asked = {c.slug for c in targets}
    if targets:
        import asyncio  # only to fetch: a cached list prints without it (~50 ms of imports)

        asyncio.run(_fetch(catalog, [c.slug for c in targets]))

    listed_any = False
    for connection in shown:
        status = catalog.status(connection.slug)
        has_entries = bool(catalog.entries_for(connection.slug))
        if status.error is not None:
            where = "using the cached list" if status.cached else "nothing cached"
            line = f"craft-tui: {connection.slug}: {status.error.message}"
            if has_entries and status.cached:
                line += f" ({where})"
            print(line, file=sys.stderr)
            if status.error.hint:
                print(f"  fix: {status.error.hint}", file=sys.stderr)
        elif status.has_model_list is False and (connection.slug in asked or args.connection):
            # Said when it is news (the list was just asked for) or this connection was named,
            # not on every run for a connection the question was not about.
            print(
                f"craft-tui: {connection.slug}: the server has no model list; "
                "showing the models typed for this connection.",
                file=sys.stderr,
            )
        elif (
            status.fetched_at is not None
            and status.has_model_list is not False
            and connection.slug not in asked
            and catalog.is_stale(connection.slug)
        ):
            print(
                f"craft-tui: {connection.slug}: list fetched {_age(status.fetched_at)} ago; "
                "--refresh fetches it again.",
                file=sys.stderr,
            )
        if has_entries or (status.error is None and status.cached):
            listed_any = True

    found = [e for e, _ in catalog.search(args.query)] if args.query else catalog.entries
    # Without -c every connection of the catalog is shown: nothing to leave out.
    entries = [e for e in found if e.connection_slug in slugs] if args.connection else found
    if args.json:
        # ensure_ascii: every control or non-ASCII character is a \u escape, so the JSON keeps
        # the ids exactly and still has no raw control character in it.
        print(json.dumps([_as_json(entry) for entry in entries], indent=2, ensure_ascii=True))
    elif entries:
        _print_table(entries)
    elif listed_any:
        what = f" match {args.query!r}" if args.query else " are listed"
        print(f"No models{what}.", file=sys.stderr)
    return 0 if listed_any else 1


async def _fetch(catalog: ModelCatalog, slugs: list[str]) -> None:
    import asyncio

    limit = asyncio.Semaphore(4)

    async def one(slug: str) -> None:
        async with limit:
            await catalog.refresh(slug)

    await asyncio.gather(*(one(slug) for slug in slugs))


def _as_json(entry: CatalogEntry) -> dict[str, Any]:
    return {
        "connection": entry.connection_slug,
        "connection_name": entry.connection_name,
        "model": entry.model_id,
        "name": entry.name,
        "context_window": entry.context_window,
        "input_price_per_million": entry.input_price,
        "output_price_per_million": entry.output_price,
        "price_source": entry.price_source,
        "local": entry.is_local,
        "source": entry.source,
        "listed_by_server": entry.listed,
        "default": entry.is_default,
    }


def _print_table(entries: list[CatalogEntry]) -> None:
    """The table, built a column at a time (a gateway lists 50,000 models): the entries are
    turned into columns once, each distinct context, price and connection is labelled once, and
    the whole table is one write."""
    header = ("CONNECTION", "MODEL", "CONTEXT", "IN $/1M", "OUT $/1M")
    field = dict(zip(CatalogEntry._fields, zip(*entries, strict=True), strict=True))
    # Ids come from servers: one line each, nothing in them acts on the terminal. Ids joined by a
    # space that are all printable ASCII have nothing to disarm (the common case, two C-level
    # passes); otherwise each id that needs it is disarmed.
    ids: Sequence[str] = field["model_id"]
    joined = " ".join(ids)
    if not (joined.isascii() and joined.isprintable()) and shown_inline(joined) != joined:
        ids = list(map(shown_inline, ids))
    models: Sequence[str] = ids
    if any(field["is_default"]):
        models = [
            model + " *" if default else model
            for model, default in zip(ids, field["is_default"], strict=True)
        ]
    slugs = list(map(cache(shown_inline), field["connection_slug"]))
    contexts = list(map(context_label, field["context_window"]))

    # The picker's labels, from the same functions (`providers/catalog.py`).
    @cache
    def prices(
        input_price: float | None, output_price: float | None, local: bool
    ) -> tuple[str, str]:
        return price_labels(input_price, output_price, local=local)

    labels = list(map(prices, field["input_price"], field["output_price"], field["is_local"]))
    inputs = list(map(itemgetter(0), labels))
    outputs = list(map(itemgetter(1), labels))
    columns = (slugs, models, contexts, inputs, outputs)
    widths = [
        max(len(name), max(map(len, column), default=0))
        for name, column in zip(header, columns, strict=True)
    ]
    # Padded by str.ljust/rjust over whole columns (a format with computed widths per line cost
    # more than everything else here). The last column is right-aligned and no label ends in a
    # space, so no line has trailing blanks to strip.
    padded = [
        map(str.ljust if number < 2 else str.rjust, [name, *column], itertools.repeat(width))
        for number, (name, column, width) in enumerate(zip(header, columns, widths, strict=True))
    ]
    table = "\n".join(map("  ".join, zip(*padded, strict=True))) + "\n"
    # Every piece of outside text in it is disarmed above (ids, slugs); the rest is ours. So it
    # goes to the stream under the disarming one, which would only scan its megabytes again.
    raw_stream(sys.stdout).write(table)
