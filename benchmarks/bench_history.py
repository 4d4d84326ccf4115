"""Start-up and long conversations: craft-tui against the bare Textual baseline, same run.

    .venv/bin/python benchmarks/bench_history.py [--repeat 5]

Rows (each answers a 2,000-token Markdown reply at rate 0 after start-up):
  * textual_md: start-up baseline (a bare Textual app);
  * craft-tui, empty history / 10,000 conversations in history (`--new`: start-up to ready);
  * craft-tui reopening a 2-message / a 300-message conversation: start-up until the last message
    (word ZZLASTZZ) is on screen, then CPU and lag of a new answer streamed at its bottom.
Then "scroll to the top" of the 300-message conversation (same tmux size, same run): its last
message focused, Home once, and PageUp pressed until the first message shows (time, CPU, presses).
The history files are built once with seed_history.py and copied into each run's fresh HOME.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

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


# ---------------------------------------------------------------- scrolling to the top

FIRST = "Question number 0:"  # the first message of the seeded conversation


def scroll_to_top(template: Path, repeat: int) -> dict[str, float]:
    """Open the 300-message conversation in tmux, focus its last message (Shift+Tab), then reach
    the first message: once with Home, once with PageUp pressed until it shows. Medians of the
    time and client CPU from the first key until FIRST is on screen, and of the PageUp count."""
    sys.path.insert(0, str(HERE / "tuibench"))
    import measure as tb  # the harness's tmux and /proc helpers

    tmux = tb.Tmux(f"craft-scroll-{os.getpid()}", 160, 48)
    runs: dict[str, list[float]] = {}
    try:
        for index in range(repeat + 1):  # the first run is a warm-up
            for key in ("Home", "PPage"):
                figures = _scroll_once(tb, tmux, template, key, f"s{index}{key}")
                if index:
                    for name, value in figures.items():
                        runs.setdefault(name, []).append(value)
    finally:
        tmux.kill_server()
    return {name: statistics.median(values) for name, values in runs.items()}


def _scroll_once(tb: Any, tmux: Any, template: Path, key: str, session: str) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="craft-scroll-"))
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "COLORTERM": "truecolor",
    }
    full = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")} | env
    setup = CRAFT_SETUP.replace("{base}", "http://127.0.0.1:9")  # never called while scrolling
    install = f"{shlex.quote(PYTHON)} {SEED} --install {shlex.quote(str(template))}"
    subprocess.run(["bash", "-c", f"{setup} && {install}"], env=full, cwd=home, check=True)
    launcher = home / "launch.sh"
    exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
    launcher.write_text(f"#!/bin/bash\n{exports}cd {shlex.quote(str(home))}\nexec {CRAFT}\n")
    launcher.chmod(0o755)
    pids: list[int] = []
    try:
        tmux.new_session(session, str(launcher))
        root = tmux.pane_pid(session)
        seen, screen, _ = tb.wait_for(tmux, session, "ZZLASTZZ", 60, 0.02)
        if seen is None:
            raise SystemExit(f"the 300-message conversation never showed:\n{screen}")
        time.sleep(1.0)  # let the opening settle (the window fills above the screen)
        tmux.send_keys(session, "BTab")  # focus the last message: its keys scroll the transcript
        time.sleep(0.5)
        pids = tb.proc_tree(root)
        cpu0, start, presses = tb.tree_cpu(pids), time.time(), 0
        while True:
            tmux.send_keys(session, key)
            presses += 1
            # Home should need one press, PageUp one per screen: wait up to 3 s / 0.5 s for it.
            done, _, _ = tb.wait_for(tmux, session, FIRST, 0.5 if key == "PPage" else 3, 0.01)
            if done is not None:
                break
            if presses > 400:
                raise SystemExit(f"{key} never reached the first message")
        return {
            f"{key}_s": done - start,
            f"{key}_cpu_s": tb.tree_cpu(pids) - cpu0,
            f"{key}_presses": presses,
        }
    finally:
        tb.kill_tree(sorted(set(pids)))
        tmux.kill_session(session)
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scroll-only", action="store_true", help="only the scroll-to-top part")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="craft-bench-"))
    seed = [PYTHON, str(HERE / "seed_history.py")]

    for name, conversations, messages in [("h10k", 10000, 2), ("h2", 1, 2), ("h300", 1, 300)]:
        subprocess.run(
            [*seed, "--template", str(work / f"{name}.db"), "--conversations",
             str(conversations), "--messages", str(messages)],
            check=True,
        )  # fmt: skip
    if args.scroll_only:
        scroll = scroll_to_top(work / "h300.db", args.repeat)
        print({name: round(value, 3) for name, value in scroll.items()})
        return 0
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
    scroll = scroll_to_top(work / "h300.db", args.repeat)
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
        f"lag {ratio(big['lag_s'], small['lag_s'])} (targets 0.8–1.2×)\n"
        f"300-message conversation, last message focused, to its first message on screen: "
        f"Home ×{scroll['Home_presses']:.0f} {scroll['Home_s']:.3f} s "
        f"({scroll['Home_cpu_s']:.3f} s CPU); "
        f"PageUp ×{scroll['PPage_presses']:.0f} {scroll['PPage_s']:.3f} s "
        f"({scroll['PPage_cpu_s']:.3f} s CPU, "
        f"{scroll['PPage_cpu_s'] / scroll['PPage_presses'] * 1000:.0f} ms CPU per page)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
