"""Streaming a Markdown answer: craft-tui against the floor (plain_stream) and a bare Textual app
(textual_md stream), measured in the same run.

    .venv/bin/python benchmarks/bench_streaming.py [--repeat 5] [--long] [--burner]

Prints, for 2,000 tokens at rate 0 and at 200 tok/s: render lag after the last byte, CPU seconds per
answer, peak RSS, KB written to the terminal, tmux CPU; and ratios craft-tui / textual_md.
`--long` adds the 20,000-token answer at rate 0 and the 20k/2k cost ratios (linearity).
`cpu_to_idle_s` is the client's CPU from Enter until it is idle again (a 0.5 s window under
0.03 CPU-s), so work left after the end is on screen counts; its ratio is printed too.
`--burner` runs the same rows with a CPU burner (`yes`) on the last core (a slower machine).
The 20,000- and 200,000-token rows through the app and `craft-tui ask` are in
`bench_stream_limits.py --sizes 20000 200000` (in-app timestamps).
"""

from __future__ import annotations

import argparse

from _harness import CRAFT_TUI, PLAIN, TEXTUAL_MD, measure, print_table, ratio
from tuibench.burner import burner

# Long enough after the end for the client to go idle, so cpu_to_idle_s is found (1 s was not).
SETTLE = ["--settle", "4"]

METRICS = [
    ("startup_s", "start-up s"),
    ("lag_s", "lag after last byte s"),
    ("cpu_reply_s", "CPU s / answer"),
    ("cpu_to_idle_s", "CPU s to idle"),
    ("rss_peak_mb", "peak RSS MB"),
    ("term_kb_reply", "KB to terminal"),
    ("tmux_cpu_reply_s", "tmux CPU s"),
    ("busy_after_last_byte_s", "busy after last byte s"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--long", action="store_true", help="also the 20,000-token answer")
    parser.add_argument("--burner", action="store_true", help="a CPU burner on the last core")
    args = parser.parse_args()
    if args.burner:
        print("(with a CPU burner on the last core)")
    with burner(args.burner):
        return run_rows(args)


def run_rows(args: argparse.Namespace) -> int:
    results: dict[tuple[str, int, float], dict[str, float]] = {}
    for tokens, rate in [(2000, 0.0), (2000, 200.0)]:
        rows = {}
        for client in (PLAIN, TEXTUAL_MD, CRAFT_TUI):
            rows[client.name] = measure(
                client, tokens=tokens, rate=rate, repeat=args.repeat, extra=SETTLE
            )
            results[(client.name, tokens, rate)] = rows[client.name]
        print_table(
            f"{tokens} Markdown tokens at rate {rate:g} tok/s (medians of {args.repeat})",
            rows,
            METRICS,
        )
        ours, base = rows["craft-tui"], rows["textual_md"]
        print(
            f"\nratios craft-tui / textual_md: lag {ratio(ours.get('lag_s'), base.get('lag_s'))}, "
            f"CPU {ratio(ours.get('cpu_reply_s'), base.get('cpu_reply_s'))}, "
            f"CPU to idle {ratio(ours.get('cpu_to_idle_s'), base.get('cpu_to_idle_s'))}, "
            f"peak RSS {ratio(ours.get('rss_peak_mb'), base.get('rss_peak_mb'))}, "
            f"terminal KB {ratio(ours.get('term_kb_reply'), base.get('term_kb_reply'))}, "
            f"tmux CPU {ratio(ours.get('tmux_cpu_reply_s'), base.get('tmux_cpu_reply_s'))}, "
            f"start-up {ratio(ours.get('startup_s'), base.get('startup_s'))}"
        )
    if args.long:
        rows = {}
        for client in (TEXTUAL_MD, CRAFT_TUI):
            rows[client.name] = measure(
                client,
                tokens=20000,
                rate=0.0,
                repeat=max(1, args.repeat // 2),
                extra=["--timeout", "600", *SETTLE],
            )
        print_table("20,000 Markdown tokens at rate 0", rows, METRICS)
        for name in ("textual_md", "craft-tui"):
            short, long_ = results[(name, 2000, 0.0)], rows[name]
            print(
                f"{name}: 20k/2k CPU {ratio(long_.get('cpu_reply_s'), short.get('cpu_reply_s'))}, "
                f"lag {ratio(long_.get('lag_s'), short.get('lag_s'))}  (linear ≈ 10×)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
