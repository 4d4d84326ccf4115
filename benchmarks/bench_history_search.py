"""History search (issue 17): full-text search on 10,000 conversations / 200,000 messages against
the same searches on an empty history, in the same run.

    .venv/bin/python benchmarks/bench_history_search.py [--repeat 31] [--template /tmp/big.db]

Rows, each the median (and p90) of `--repeat` runs of one query through `HistoryStore.search`
(what `craft-tui history --search` and each keystroke of the history screen run), newest first:
  * a word in nearly every message, a common one, a rare one, one found nowhere, two words,
    a three-letter word start, and a query full of FTS5 syntax typed as text;
  * "titles alone": the history screen's title filter (LIKE over 10,000 titles);
  * "screen": what one keystroke of the history screen asks (titles by LIKE, then the search);
  * "best": the common word ordered by bm25 instead of recency.
Then, once each: indexing the same history when a v2 file is upgraded (the migration's
rebuild), and the cost of a partial save of a growing 200 KB answer with and without the index
(the update trigger re-indexes the text on each save).

The history is built once (seeded random text from a fixed vocabulary, so words have a
realistic spread of frequencies) and kept at `--template` for the next run.
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
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.migrations import MIGRATIONS

CONVERSATIONS = 10_000
MESSAGES = 200_000  # 20 per conversation: 10 prompts, 10 answers


def _vocabulary(text: str) -> list[str]:
    return text.split()


COMMON = _vocabulary(
    "the be to of and a in that have it for not on with as you do at this but by from they we "
    "say or an will my one all would there their what so up out if about who get which go me "
    "when make can like time no just know take people into year your good some could them see "
    "other than then now look only come its over think also back after use two how our work"
)
TECH = _vocabulary(
    "python rust sort list dict error function class module import async await thread lock "
    "query index table column schema migration branch commit merge rebase docker kernel "
    "memory cache buffer stream socket request response header token model prompt answer"
)
RARE_WORD = "zanzibarite"  # put in exactly 12 messages
QUERIES = [
    ("nearly every message", "the"),
    ("common word", "python"),
    ("rare word", RARE_WORD),
    ("no match", "xylophonequartz"),
    ("two words", "sort error"),
    ("word start (3 letters)", "mig"),
    ("FTS5 syntax as text", 'sort" AND (error* NEAR -'),
]


def _words(rng: random.Random, count: int, vocabulary: list[str]) -> str:
    """Zipf-like: the first words of the vocabulary are by far the most frequent."""
    picks = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.55:
            picks.append(COMMON[int(rng.paretovariate(1.2)) % len(COMMON)])
        elif roll < 0.75:
            picks.append(TECH[int(rng.paretovariate(1.0)) % len(TECH)])
        else:
            picks.append(vocabulary[int(rng.paretovariate(0.8)) % len(vocabulary)])
    return " ".join(picks)


def build(path: Path, *, migrations: tuple = MIGRATIONS) -> None:  # type: ignore[type-arg]
    """10,000 conversations of 20 messages, in one transaction (the triggers index as rows go in)."""
    rng = random.Random(17)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocabulary = [
        "".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(8000)
    ]
    rare = set(rng.sample(range(MESSAGES), 12))
    path.unlink(missing_ok=True)
    store = HistoryStore.open(path, migrations=migrations)
    db = store._db
    start = datetime(2025, 1, 1, tzinfo=UTC)
    db.execute("BEGIN")
    number = 0
    for index in range(CONVERSATIONS):
        conversation_id = uuid.UUID(int=rng.getrandbits(128)).hex
        when = start + timedelta(minutes=index * 20)
        rows = []
        parent = None
        for turn in range(MESSAGES // CONVERSATIONS):
            role = "user" if turn % 2 == 0 else "assistant"
            text = _words(
                rng, rng.randint(6, 25) if role == "user" else rng.randint(40, 160), vocabulary
            )
            if number in rare:
                text += f" {RARE_WORD}"
            message_id = uuid.UUID(int=rng.getrandbits(128)).hex
            stamp = (when + timedelta(seconds=turn * 30)).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
            rows.append((message_id, conversation_id, parent, role, text, stamp, stamp))
            parent = message_id
            number += 1
        title = rows[0][4][:60]
        db.execute(
            "INSERT INTO conversations (id, title, created_at, updated_at, active_leaf_id) "
            "VALUES (?,?,?,?,?)",
            (conversation_id, title, rows[0][5], rows[-1][5], parent),
        )
        db.executemany(
            "INSERT INTO messages (id, conversation_id, parent_id, role, text, created_at, "
            "updated_at) VALUES (?,?,?,?,?,?,?)",
            rows,
        )
    db.execute("COMMIT")
    store.close()


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Median and p90 wall time, and median CPU time of this thread, of `action`, in ms (one
    warm-up run first). On a loaded machine the wall time includes waiting for a core; the CPU
    time is what the search itself costs."""
    action()
    walls, cpus = [], []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.thread_time()
        action()
        cpus.append((time.thread_time() - cpu) * 1000)
        walls.append((time.perf_counter() - began) * 1000)
    walls.sort()
    return statistics.median(walls), walls[int(len(walls) * 0.9) - 1], statistics.median(cpus)


def screen_query(store: HistoryStore, query: str) -> None:
    store.list_conversations(limit=200, title=query)
    store.search(query, limit=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument(
        "--template", type=Path, default=Path(tempfile.gettempdir()) / "craft-search-10k.db"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    if not args.template.exists():
        began = time.perf_counter()
        build(args.template)
        print(f"built {args.template} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    big_path = work / "big.db"
    shutil.copyfile(args.template, big_path)
    big = HistoryStore.open(big_path)
    empty = HistoryStore.open(work / "empty.db")
    count = big._db.execute("SELECT count(*) FROM messages").fetchone()[0]
    conversations = big._db.execute("SELECT count(*) FROM conversations").fetchone()[0]
    print(f"history: {conversations:,} conversations, {count:,} messages; repeat {args.repeat}")
    print(
        f"{'query':<26} {'hits':>5} {'empty ms':>9} {'10k ms':>8} {'p90 ms':>7} {'ratio':>7} "
        f"{'CPU empty':>9} {'CPU 10k':>8}"
    )
    medians, cpus = [], []
    rows: list[tuple[str, Callable[[HistoryStore], object], str]] = [
        (name, lambda s, q=query: s.search(q, limit=50), query) for name, query in QUERIES
    ]
    rows.append(
        ("titles alone (LIKE)", lambda s: s.list_conversations(limit=200, title="python"), "python")
    )
    rows.append(("screen: 'python'", lambda s: screen_query(s, "python"), "python"))
    rows.append(
        ("best first: 'python'", lambda s: s.search("python", limit=50, order="best"), "python")
    )
    for name, action, query in rows:
        base, _, base_cpu = timed(lambda a=action: a(empty), args.repeat)
        median, p90, cpu = timed(lambda a=action: a(big), args.repeat)
        hits = len(big.search(query, limit=50).hits)
        medians.append(median)
        cpus.append(cpu)
        print(
            f"{name:<26} {hits:>5} {base:>9.2f} {median:>8.2f} {p90:>7.2f} {median / base:>6.1f}x "
            f"{base_cpu:>9.2f} {cpu:>8.2f}"
        )
    print(f"worst median {max(medians):.1f} ms wall, {max(cpus):.1f} ms CPU (target < 50 ms)")
    print("load average during the run: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))

    # Indexing an existing history: what the v3 migration costs once, on the same messages.
    v2_path = work / "v2.db"
    build(v2_path, migrations=MIGRATIONS[:2])
    began = time.perf_counter()
    HistoryStore.open(v2_path).close()
    print(f"upgrade v2 -> v3 (index {count:,} messages): {time.perf_counter() - began:.2f} s")

    # A growing answer saved as it streams: the update trigger re-indexes the text each time.
    for label, path, migrations in (
        ("partial saves, no index (v2)", work / "saves-v2.db", MIGRATIONS[:2]),
        ("partial saves, indexed (v3)", work / "saves-v3.db", MIGRATIONS),
    ):
        store = HistoryStore.open(path, migrations=migrations)
        conversation = store.create_conversation()
        answer = store.add_message(conversation.id, parent_id=None, role="assistant")
        text = _words(random.Random(1), 40_000, COMMON)[:200_000]
        steps = [text[: len(text) * (i + 1) // 100] for i in range(100)]
        began = time.perf_counter()
        for step in steps:
            store.update_message_text(answer.id, step)
        elapsed = (time.perf_counter() - began) * 1000
        print(
            f"{label}: 100 saves growing to 200 KB: {elapsed:.0f} ms ({elapsed / 100:.2f} ms a save)"
        )
        store.close()
    big.close()
    empty.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
