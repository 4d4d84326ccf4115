"""History rows with their cost (issue 17): listing 10,000 conversations / 200,000 messages with
each conversation's tokens and cost, against the same listing without them, in the same run.

    .venv/bin/python benchmarks/bench_history_cost.py [--repeat 15] [--template /tmp/cost.db]

Rows, each the median (and p90) of `--repeat` runs:
  * "list": `list_conversations(pinned_first=True)` alone, the baseline (what the list did before
    cost: 10,000 rows for `craft-tui history --limit 10000`, 200 for the history screen's page);
  * "list + cost": the same, then `conversation_figures` (SQLite sums every message of those
    conversations, grouped by conversation and connection) and the cost text of each row
    (`chat/usage.py cost_total` and `format_total`): what the CLI and the screen now do;
  * "per message in Python": the cost the naive way, `all_messages` per conversation summed in
    Python, for the 200 rows of the screen's page (not run on 10,000: it is the thing avoided);
  * "stats": `usage()` over every answer, and over the last 30 days (`history --stats`).
The ratio column is each row against the "list" row of its size, measured in the same run.

The history (20 messages per conversation: 10 prompts and 10 answers, usage on each answer, a
cost on most, none on the ones from a local or unpriced connection, a few pinned) is built once
with plain SQL and kept at `--template` for the next run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from craft_tui.chat.cost import CostTotal
from craft_tui.chat.history import HistoryStore
from craft_tui.chat.usage import cost_total

CONVERSATIONS = 10_000
PER_CONVERSATION = 20
SLUGS = ("openrouter", "anthropic", "ollama", "unpriced")
LOCAL = {"ollama"}


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def build(path: Path) -> None:
    """10,000 conversations over the last 90 days, 20 messages each, through the store's schema."""
    rng = random.Random(17)
    store = HistoryStore.open(path)
    store.close()
    import sqlite3

    db = sqlite3.connect(path)
    start = datetime(2026, 12, 2, tzinfo=UTC) - timedelta(days=90)
    conversations: list[tuple[object, ...]] = []
    messages: list[tuple[object, ...]] = []
    for c in range(CONVERSATIONS):
        cid = f"c{c:07d}"
        begun = start + timedelta(seconds=c * 90 * 86400 // CONVERSATIONS)
        slug = rng.choice(SLUGS)
        parent: str | None = None
        for m in range(PER_CONVERSATION):
            mid = f"m{c:07d}-{m:02d}"
            at = _ts(begun + timedelta(seconds=m * 30))
            if m % 2 == 0:
                messages.append((mid, cid, parent, "user", "a question " * 5, None, None, None,
                                 None, at, at))  # fmt: skip
            else:
                inputs, outputs = rng.randint(100, 20_000), rng.randint(10, 2_000)
                priced = slug in ("openrouter", "anthropic")
                cost = (inputs * 3 + outputs * 15) / 1_000_000 if priced else None
                messages.append((mid, cid, parent, "assistant", "an answer " * 20, slug, inputs,
                                 outputs, cost, at, at))  # fmt: skip
            parent = mid
        updated = _ts(begun + timedelta(seconds=PER_CONVERSATION * 30))
        pinned = 1 if c % 1000 == 0 else 0
        conversations.append((cid, f"conversation {c}", _ts(begun), updated, slug, parent, pinned))
    db.executemany(
        "INSERT INTO conversations (id, title, created_at, updated_at, connection_slug, "
        "active_leaf_id, pinned) VALUES (?,?,?,?,?,?,?)",
        conversations,
    )
    db.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, text, connection_slug, "
        "input_tokens, output_tokens, cost_usd, created_at, updated_at) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        messages,
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and p90 wall time in ms (one warm-up run first)."""
    run()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.9))]


def is_local(slug: str | None) -> bool:
    return slug in LOCAL


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--template", type=Path, default=Path(tempfile.gettempdir()) / "cost.db")
    args = parser.parse_args()
    if not args.template.exists():
        began = time.perf_counter()
        build(args.template)
        print(f"built {args.template} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    work = Path(tempfile.mkdtemp()) / "history.db"
    shutil.copyfile(args.template, work)
    store = HistoryStore.open(work)

    def listing(limit: int) -> Callable[[], object]:
        return lambda: store.list_conversations(limit=limit, pinned_first=True)

    def with_cost(limit: int) -> Callable[[], object]:
        def run() -> list[str]:
            conversations = store.list_conversations(limit=limit, pinned_first=True)
            figures = store.conversation_figures(c.id for c in conversations)
            texts = []
            for conversation in conversations:
                f = figures[conversation.id]
                texts.append(str(cost_total(f.cost_usd, f.priced, f.unpriced, is_local)))
            return texts

        return run

    def per_message(limit: int) -> Callable[[], object]:
        def run() -> list[str]:
            texts = []
            for conversation in store.list_conversations(limit=limit, pinned_first=True):
                answers = [m for m in store.all_messages(conversation.id) if m.role == "assistant"]
                known = [m.cost_usd for m in answers if m.cost_usd is not None]
                local = sum(
                    1 for m in answers if m.cost_usd is None and is_local(m.connection_slug)
                )
                unknown = len(answers) - len(known) - local
                texts.append(str(CostTotal(sum(known), len(known), local, unknown)))
            return texts

        return run

    since = datetime(2026, 12, 2, tzinfo=UTC) - timedelta(days=30)
    rows: list[tuple[str, Callable[[], object], str | None]] = [
        ("list, 10,000 rows", listing(CONVERSATIONS), None),
        ("list + cost, 10,000 rows", with_cost(CONVERSATIONS), "list, 10,000 rows"),
        ("list, 200 rows (screen)", listing(200), None),
        ("list + cost, 200 rows", with_cost(200), "list, 200 rows (screen)"),
        ("per message in Python, 200", per_message(200), "list, 200 rows (screen)"),
        ("stats, every answer", lambda: store.usage(), "list, 10,000 rows"),
        ("stats, last 30 days", lambda: store.usage(since=since), "list, 10,000 rows"),
    ]
    load = os.getloadavg()
    print(
        f"{CONVERSATIONS:,} conversations, {CONVERSATIONS * PER_CONVERSATION:,} messages; "
        f"repeat {args.repeat}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"{os.cpu_count()} CPUs"
    )
    results: dict[str, float] = {}
    print(f"{'':<30} {'median ms':>10} {'p90 ms':>10} {'ratio':>8}")
    for name, run, against in rows:
        median, p90 = timed(run, args.repeat)
        results[name] = median
        ratio = f"{median / results[against]:.2f}x" if against else ""
        print(f"{name:<30} {median:>10.2f} {p90:>10.2f} {ratio:>8}")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
