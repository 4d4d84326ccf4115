"""Start-up and long conversations: craft-tui against the bare Textual baseline, same run.

    .venv/bin/python benchmarks/bench_history.py [--repeat 5]

Rows (each answers a 2,000-token Markdown reply at rate 0 after start-up):
  * textual_md: start-up baseline (a bare Textual app);
  * craft-tui, empty history / 10,000 conversations in history (`--new`: start-up to ready);
  * craft-tui reopening a 2-message / a 300-message conversation: start-up until the last message
    (word ZZLASTZZ) is on screen, then CPU and lag of a new answer streamed at its bottom.
The history files are built once with seed_history.py and copied into each run's fresh HOME.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from _harness import (
    CRAFT,
    CRAFT_SETUP,
    CRAFT_TUI,
    HERE,
    PYTHON,
    TEXTUAL_MD,
    Client,
    measure,
    print_table,
    ratio,
)

METRICS = [
    ("startup_s", "start-up s"),
    ("cpu_startup_s", "start-up CPU s"),
    ("rss_ready_mb", "RSS ready MB"),
    ("rss_peak_mb", "peak RSS MB"),
    ("lag_s", "lag s"),
    ("cpu_reply_s", "CPU s / answer"),
    ("idle_cpu_pct", "idle CPU %"),
    ("post_cpu_pct", "CPU % after answer"),
]
SEED = shlex.quote(str(HERE / "seed_history.py"))


def seeded(name: str, template: Path, *, reopen: bool) -> Client:
    install = f"{shlex.quote(PYTHON)} {SEED} --install {shlex.quote(str(template))}"
    return Client(
        name,
        shlex.quote(CRAFT) + ("" if reopen else " --new"),
        "ZZLASTZZ" if reopen else CRAFT_TUI.ready,
        f"{CRAFT_SETUP} && {install}",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="craft-bench-"))
    seed = [PYTHON, str(HERE / "seed_history.py")]

    for name, conversations, messages in [("h10k", 10000, 2), ("h2", 1, 2), ("h300", 1, 300)]:
        subprocess.run(
            [*seed, "--template", str(work / f"{name}.db"), "--conversations",
             str(conversations), "--messages", str(messages)],
            check=True,
        )  # fmt: skip
    clients = [
        TEXTUAL_MD,
        replace(CRAFT_TUI, name="craft-tui-empty"),
        seeded("craft-tui-10k-conversations", work / "h10k.db", reopen=False),
        seeded("craft-tui-open-2-messages", work / "h2.db", reopen=True),
        seeded("craft-tui-open-300-messages", work / "h300.db", reopen=True),
    ]
    rows = {
        client.name: measure(client, tokens=2000, rate=0.0, repeat=args.repeat)
        for client in clients
    }
    print_table(f"Start-up and long conversations (medians of {args.repeat})", rows, METRICS)
    base, empty = rows["textual_md"], rows["craft-tui-empty"]
    full = rows["craft-tui-10k-conversations"]
    small, big = rows["craft-tui-open-2-messages"], rows["craft-tui-open-300-messages"]
    print(
        f"\nstart-up craft-tui / textual_md: {ratio(empty['startup_s'], base['startup_s'])} "
        f"(target ≤ 1.3×); peak RSS {ratio(empty['rss_peak_mb'], base['rss_peak_mb'])} "
        f"(target ≤ 1.5×)\n"
        f"10,000 conversations / empty history: start-up "
        f"{ratio(full['startup_s'], empty['startup_s'])} (target 0.9–1.1×)\n"
        f"300-message / 2-message conversation: open {ratio(big['startup_s'], small['startup_s'])}, "
        f"CPU per answer {ratio(big['cpu_reply_s'], small['cpu_reply_s'])}, "
        f"lag {ratio(big['lag_s'], small['lag_s'])} (targets 0.8–1.2×)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
