"""One partial save of a growing answer, by its size: what the full-text index's update trigger
adds, and what the UI loop waits for with the save on it or in a thread (issue 16).

    .venv/bin/python benchmarks/bench_partial_save.py [--repeat 15] [--sizes 16 32 64 100 256 1000]

`chat/session.py` saves the answer as it streams (every 0.5 s, throttled) on the event loop below
`OFF_LOOP_SAVE_CHARS` characters and in a thread from there on. Each save rewrites the whole text,
and since the FTS5 index (schema v3) the trigger takes the old text out of the index and puts the
new one in. For each size (KB of text), `--repeat` times: the answer row holds the text 2 KB
shorter (untimed), then is saved at the full size, as a save after 2 KB more arrived is:

  * CPU ms of that save in this thread (`time.thread_time`), without the index (a schema-v2
    store, same code) and with it (the current schema): the same-run ratio is the index's cost;
  * what a 1 ms ticker on an event loop sees meanwhile: the longest gap between its ticks with
    the save run on the loop (as below the threshold) and in `asyncio.to_thread` (as above it;
    SQLite lets go of the GIL while it works), and the wall time of that hop for a no-op.

Medians; the text is seeded random words (`bench_history_search._words`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_history_search import COMMON, _words

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.migrations import MIGRATIONS

DELTA = 2048  # what arrived since the previous save


def cpu_ms(save: Callable[[], object], reset: Callable[[], object], repeat: int) -> float:
    """Median CPU ms of `save` in this thread, `reset` run untimed before each."""
    spent = []
    for _ in range(repeat):
        reset()
        began = time.thread_time()
        save()
        spent.append((time.thread_time() - began) * 1000)
    return statistics.median(spent)


async def _worst_gap(work: Callable[[], object], off_loop: bool) -> float:
    """The longest gap (ms) between a 1 ms ticker's ticks while `work` runs on the loop or in
    a thread."""
    running = True
    worst = 0.0

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.005)  # the ticker is ticking
    worst = 0.0
    if off_loop:
        await asyncio.to_thread(work)
    else:
        work()
    await asyncio.sleep(0.002)  # the tick after the work
    running = False
    await task
    return worst * 1000


def loop_gap_ms(
    loop: asyncio.AbstractEventLoop,
    save: Callable[[], object],
    reset: Callable[[], object],
    repeat: int,
    off_loop: bool,
) -> float:
    """Median of `_worst_gap` on `loop` (one loop for the whole run: its executor's threads
    are warm, as the app's are)."""
    gaps = []
    for _ in range(repeat):
        reset()
        gaps.append(loop.run_until_complete(_worst_gap(save, off_loop)))
    return statistics.median(gaps)


async def _hop_ms() -> float:
    began = time.perf_counter()
    await asyncio.to_thread(lambda: None)
    return (time.perf_counter() - began) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64, 100, 256, 1000])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-save-"))
    stores = {
        "v2": HistoryStore.open(folder / "v2.db", migrations=MIGRATIONS[:2]),
        "now": HistoryStore.open(folder / "now.db"),
    }
    rows = {}
    for name, store in stores.items():
        conversation = store.create_conversation()
        rows[name] = store.add_message(conversation.id, parent_id=None, role="assistant").id
    longest = max(args.sizes) * 1000
    text = _words(random.Random(1), longest // 4, COMMON)
    while len(text) < longest:
        text += " " + text
    loop = asyncio.new_event_loop()
    hop = statistics.median(loop.run_until_complete(_hop_ms()) for _ in range(args.repeat + 1))
    print(
        f"\n### One partial save by answer size (median of {args.repeat}; "
        f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f})\n"
    )
    print(
        "| answer KB | CPU ms, no index (v2) | CPU ms, indexed | × | loop gap ms, save on the "
        "loop | loop gap ms, save in a thread |"
    )
    print("|---|---|---|---|---|---|")
    for size in args.sizes:
        chars = size * 1000
        full, shorter = text[:chars], text[: chars - DELTA]
        figures = []
        for name, store in stores.items():
            row = rows[name]

            def save(store: HistoryStore = store, row: str = row, text: str = full) -> None:
                store.update_message_text(row, text)

            def reset(store: HistoryStore = store, row: str = row, text: str = shorter) -> None:
                store.update_message_text(row, text)

            figures.append(cpu_ms(save, reset, args.repeat))
            if name == "now":
                on_loop = loop_gap_ms(loop, save, reset, args.repeat, off_loop=False)
                in_thread = loop_gap_ms(loop, save, reset, args.repeat, off_loop=True)
        plain, indexed = figures
        print(
            f"| {size} | {plain:.2f} | {indexed:.2f} | {indexed / plain:.1f}× | {on_loop:.1f} "
            f"| {in_thread:.1f} |"
        )
    print(
        f"\nthe thread hop alone (awaiting a no-op through asyncio.to_thread): {hop:.2f} ms; "
        f"load average after: {os.getloadavg()[0]:.1f}"
    )
    loop.close()
    for store in stores.values():
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
