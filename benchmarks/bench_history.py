"""Start-up and long conversations: craft-tui against the bare Textual baseline, same run.

    .venv/bin/python benchmarks/bench_history.py [--repeat 5]

Rows (each answers a 2,000-token Markdown reply at rate 0 after start-up):
  * textual_md: start-up baseline (a bare Textual app);
  * craft-tui, empty history / 10,000 conversations in history (`--new`: start-up to ready).
    Ready = the first frame of the chat screen, prompt placeholder included: typing works from
    then on. config.toml is validated and the conversation opened right after that frame (an
    Enter pressed meanwhile sends once it is open); the "open" rows below time until a reopened
    conversation is on screen;
  * craft-tui reopening a 2-message / a 300-message conversation: start-up until the last message
    (word ZZLASTZZ) is on screen, then CPU and lag of a new answer streamed at its bottom.
`--first-send`: Enter → the request at the mock server (the first message after start, the
harness's `server_request_s`: it types the prompt 1.5 s after ready, waits 0.5 s, presses Enter),
craft-tui with an empty history and reopening a 2-message conversation vs textual_md, same run.
`--page-up`: CPU per PageUp press, 300-message vs 2-message conversation, same run (see
`page_up_cost`).
Then "scroll to the top" of the 300-message conversation (same tmux size, same run): its last
message focused, Home once, and PageUp pressed until the first message shows (time, CPU, presses).
The history files are built once with seed_history.py and copied into each run's fresh HOME.
craft_tui is byte-compiled once before the runs, as `pip install` does (see _harness.py).
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
    compile_craft,
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


# ---------------------------------------------------------------- direct tmux runs

FIRST = "Question number 0:"  # the first message of the seeded conversation
DEAD_BASE = "http://127.0.0.1:9"  # nothing here is sent to a server


def _harness() -> Any:
    sys.path.insert(0, str(HERE / "tuibench"))
    import measure  # the harness's tmux and /proc helpers

    return measure


class _Pane:
    """One client in a fresh HOME inside the harness's tmux (160×48), until closed."""

    def __init__(self, tb: Any, tmux: Any, session: str, cmd: str, setup: str) -> None:
        self.tb, self.tmux, self.session = tb, tmux, session
        self.home = Path(tempfile.mkdtemp(prefix="craft-hist-"))
        env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local/share"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_STATE_HOME": str(self.home / ".local/state"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "COLORTERM": "truecolor",
        }
        full = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")} | env
        if setup:
            subprocess.run(["bash", "-c", setup], env=full, cwd=self.home, check=True)
        launcher = self.home / "launch.sh"
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
        launcher.write_text(f"#!/bin/bash\n{exports}cd {shlex.quote(str(self.home))}\nexec {cmd}\n")
        launcher.chmod(0o755)
        self.pids: list[int] = []
        self.started = time.time()
        tmux.new_session(session, str(launcher))
        self.root = tmux.pane_pid(session)

    def wait(self, needle: str, timeout: float) -> float | None:
        """Seconds since launch until `needle` is on screen (None if it never shows)."""
        seen, _, _ = self.tb.wait_for(self.tmux, self.session, needle, timeout, 0.01)
        return None if seen is None else seen - self.started

    def cpu(self) -> float:
        self.pids = sorted(set(self.pids) | set(self.tb.proc_tree(self.root)))
        return float(self.tb.tree_cpu(self.pids))

    def close(self) -> None:
        self.tb.kill_tree(sorted(set(self.pids) | set(self.tb.proc_tree(self.root))))
        self.tmux.kill_session(self.session)
        shutil.rmtree(self.home, ignore_errors=True)


def _install(template: Path) -> str:
    return f"{shlex.quote(PYTHON)} {SEED} --install {shlex.quote(str(template))}"


def startup_interleaved(template: Path, rounds: int) -> dict[str, list[float]]:
    """Start-up to ready of textual_md, craft-tui with an empty history and with `template`
    (10,000 conversations), one after the other in each round, so that the machine's load
    drifting over minutes hits all three alike."""
    tb = _harness()
    compile_craft()
    tmux = tb.Tmux(f"craft-start-{os.getpid()}", 160, 48)
    setup = CRAFT_SETUP.replace("{base}", DEAD_BASE)
    bare = TEXTUAL_MD.cmd.format(python=shlex.quote(PYTHON), here=tb.HERE, base=DEAD_BASE)
    clients = {
        "textual_md": (bare, TEXTUAL_MD.ready, ""),
        "empty": (f"{shlex.quote(CRAFT)} --new", CRAFT_TUI.ready, setup),
        "10k": (f"{shlex.quote(CRAFT)} --new", CRAFT_TUI.ready, f"{setup} && {_install(template)}"),
    }
    times: dict[str, list[float]] = {name: [] for name in clients}
    try:
        for index in range(rounds + 1):  # the first round is a warm-up
            for name, (cmd, ready, client_setup) in clients.items():
                pane = _Pane(tb, tmux, f"start{index}{name}", cmd, client_setup)
                try:
                    seen = pane.wait(ready, 30)
                finally:
                    pane.close()
                if seen is None:
                    raise SystemExit(f"{name} never became ready")
                if index:
                    times[name].append(seen)
    finally:
        tmux.kill_server()
    return times


def scroll_to_top(template: Path, repeat: int) -> dict[str, float]:
    """Open the 300-message conversation in tmux, focus its last message (Shift+Tab), then reach
    the first message: once with Home, once with PageUp pressed until it shows. Medians of the
    time and client CPU from the first key until FIRST is on screen, and of the key presses."""
    tb = _harness()
    compile_craft()
    tmux = tb.Tmux(f"craft-scroll-{os.getpid()}", 160, 48)
    setup = f"{CRAFT_SETUP.replace('{base}', DEAD_BASE)} && {_install(template)}"
    runs: dict[str, list[float]] = {}
    try:
        for index in range(repeat + 1):  # the first run is a warm-up
            for key in ("Home", "PPage"):
                pane = _Pane(tb, tmux, f"scroll{index}{key}", shlex.quote(CRAFT), setup)
                try:
                    figures = _scroll_once(pane, key)
                finally:
                    pane.close()
                if index:
                    for name, value in figures.items():
                        runs.setdefault(name, []).append(value)
    finally:
        tmux.kill_server()
    return {name: statistics.median(values) for name, values in runs.items()}


def page_up_cost(template: Path, repeat: int) -> dict[str, list[float]]:
    """CPU per PageUp press from the end of the 300-message conversation to its first message:
    craft-tui (mounting older messages on the way) vs the bare Textual baseline: the same
    messages all mounted (`baseline_scroll.py`, Textual's own scroll of laid-out content; 60 of
    them, craft-tui's most mounted at once: 300 Markdown widgets take Textual ~10 s to start),
    alternating per round."""
    tb = _harness()
    compile_craft()
    tmux = tb.Tmux(f"craft-pageup-{os.getpid()}", 160, 48)
    setup = f"{CRAFT_SETUP.replace('{base}', DEAD_BASE)} && {_install(template)}"
    bare = f"{shlex.quote(PYTHON)} {shlex.quote(str(HERE / 'baseline_scroll.py'))} 60"
    clients = {"textual_bare": (bare, "", False), "craft-tui": (shlex.quote(CRAFT), setup, True)}
    per_page: dict[str, list[float]] = {name: [] for name in clients}
    try:
        for index in range(repeat + 1):  # the first round is a warm-up
            for name, (cmd, client_setup, focus) in clients.items():
                pane = _Pane(tb, tmux, f"pgup{index}{name.replace('-', '')}", cmd, client_setup)
                try:
                    figures = _scroll_once(pane, "PPage", focus=focus)
                finally:
                    pane.close()
                if index:
                    per_page[name].append(figures["PPage_cpu_s"] / figures["PPage_presses"])
    finally:
        tmux.kill_server()
    return per_page


def _scroll_once(pane: _Pane, key: str, *, focus: bool = True) -> dict[str, float]:
    if pane.wait("ZZLASTZZ", 60) is None:
        raise SystemExit("the 300-message conversation never showed")
    time.sleep(1.0)  # let the opening settle (the window fills above the screen)
    if focus:
        # At 160 columns the conversation sidebar shows, listing this conversation by its title,
        # which is the first message's text: hide it (F2 puts the cursor in it, F2 there hides
        # it), or the first press "finds" the first message there.
        for _ in range(3):
            pane.tmux.send_keys(pane.session, "F2")
            deadline = time.time() + 1.5
            while FIRST in pane.tmux.capture(pane.session) and time.time() < deadline:
                time.sleep(0.02)
            if FIRST not in pane.tmux.capture(pane.session):
                break
        else:
            raise SystemExit("the sidebar (it shows the first message's title) did not close")
        pane.tmux.send_keys(pane.session, "BTab")  # focus the last message: its keys scroll
    time.sleep(0.5)
    cpu0, start, presses = pane.cpu(), time.time(), 0
    while True:
        before = pane.tmux.capture(pane.session)
        pane.tmux.send_keys(pane.session, key)
        presses += 1
        if key == "PPage":
            # The next press once this page is drawn: pressed every 0.5 s regardless, the keys
            # queued up on a loaded machine and were counted as pages the app never drew apart.
            deadline = time.time() + 5
            while pane.tmux.capture(pane.session) == before and time.time() < deadline:
                time.sleep(0.01)
        # Home should need one press, PageUp one per screen.
        seen, _, _ = pane.tb.wait_for(
            pane.tmux, pane.session, FIRST, 0.2 if key == "PPage" else 3, 0.01
        )
        if seen is not None:
            break
        if presses > 400:
            raise SystemExit(f"{key} never reached the first message")
    return {
        f"{key}_s": seen - start,
        f"{key}_cpu_s": pane.cpu() - cpu0,
        f"{key}_presses": presses,
    }


def first_send(work: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Enter → request on the wire for the first message after start: textual_md (its httpx
    client is built before its first frame) vs craft-tui, new and reopened, medians."""
    clients = [
        TEXTUAL_MD,
        replace(CRAFT_TUI, name="craft-tui-empty"),
        seeded("craft-tui-open-2-messages", work / "h2.db", reopen=True),
    ]
    return {client.name: measure(client, tokens=200, rate=0.0, repeat=repeat) for client in clients}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scroll-only", action="store_true", help="only the scroll-to-top part")
    parser.add_argument(
        "--startup-rounds",
        type=int,
        default=0,
        help="only start-up: N interleaved rounds of textual_md / empty / 10,000 conversations",
    )
    parser.add_argument(
        "--first-send", action="store_true", help="only Enter → request on the wire, first send"
    )
    parser.add_argument(
        "--page-up", action="store_true", help="only CPU per PageUp press, 300 vs 2 messages"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="craft-bench-"))
    seed = [PYTHON, str(HERE / "seed_history.py")]

    templates = [("h10k", 10000, 2), ("h2", 1, 2), ("h300", 1, 300)]
    if args.first_send or args.page_up:  # build only what the part measured opens
        templates = [t for t in templates if t[0] in ("h2", "h300")]
    for name, conversations, messages in templates:
        subprocess.run(
            [*seed, "--template", str(work / f"{name}.db"), "--conversations",
             str(conversations), "--messages", str(messages)],
            check=True,
        )  # fmt: skip
    if args.startup_rounds:
        times = startup_interleaved(work / "h10k.db", args.startup_rounds)
        for name, values in times.items():
            print(
                f"{name}: median {statistics.median(values):.3f} s  "
                + " ".join(f"{v:.3f}" for v in values)
            )
        pairs = [big / small for big, small in zip(times["10k"], times["empty"], strict=True)]
        bare = [ours / base for ours, base in zip(times["empty"], times["textual_md"], strict=True)]
        print(
            f"10k / empty, per round: median {statistics.median(pairs):.2f}× "
            f"(min {min(pairs):.2f}, max {max(pairs):.2f}); empty / textual_md: median "
            f"{statistics.median(bare):.2f}× (min {min(bare):.2f}, max {max(bare):.2f})"
        )
        return 0
    if args.first_send:
        rows = first_send(work, args.repeat)
        metrics = [("server_request_s", "Enter → request s"), ("startup_s", "start-up s")]
        print_table(f"First send after start (medians of {args.repeat})", rows, metrics)
        base = rows["textual_md"]["server_request_s"]
        for name in ("craft-tui-empty", "craft-tui-open-2-messages"):
            print(
                f"{name} / textual_md, Enter → request: "
                f"{ratio(rows[name]['server_request_s'], base)} (target ≤ 1.2×)"
            )
        return 0
    if args.page_up:
        costs = page_up_cost(work / "h300.db", args.repeat)
        ours, bare = costs["craft-tui"], costs["textual_bare"]
        sizes = {"craft-tui": "300 messages", "textual_bare": "60 messages, all mounted"}
        for name, values in costs.items():
            print(
                f"{name} ({sizes[name]}): PageUp from the end to the first message, CPU per "
                f"page: median "
                f"{statistics.median(values) * 1000:.0f} ms  "
                + " ".join(f"{v * 1000:.0f}" for v in values)
            )
        print(
            f"craft-tui / bare Textual (60 messages, all mounted): "
            f"{ratio(statistics.median(ours), statistics.median(bare))} (target ≤ 50 ms per page)"
        )
        return 0
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
