"""`craft-tui models` on a big cached catalog (issue 16): wall time of the whole command, against
baselines measured in the same run.

    .venv/bin/python benchmarks/bench_models_cli.py [--models 50000] [--repeat 5]

Builds a throwaway CRAFT_TUI_HOME whose three connections' cached lists hold `--models` models in
total (`bench_model_catalog.setup_home`: OpenRouter-like ids, names, contexts and prices), then runs
each of these as a fresh process, interleaved round by round so all see the same machine load, its
stdout read through a pipe (as a terminal or `| less` would take the table):

  * `python -c pass`: the interpreter's own start;
  * `python -c <read the cache files>`: start, then `json.loads` of the same cache files: what any
    program listing these models pays before it shows one;
  * `craft-tui models`: every model, as a table (the issue's row);
  * `craft-tui models "cl so 4"`: filtered by a fuzzy query.

Prints medians, each command's ratio to the two baselines, and the target (≤ 0.7 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import compile_craft
from bench_model_catalog import QUERY, setup_home

READ_CACHE = (
    "import json, pathlib, sys\n"
    "for path in sorted(pathlib.Path(sys.argv[1]).glob('*.json')):\n"
    "    json.loads(path.read_text(encoding='utf-8'))\n"
)
TARGET_S = 0.7


def timed(command: list[str], env: dict[str, str], folder: str) -> tuple[float, int]:
    """Wall time of one run and how many bytes it wrote to stdout (it must succeed). Run in the
    throwaway folder: `python -m` looks in the current folder first, so a checkout's craft_tui
    would win over the one PYTHONPATH names (how the figures before a change are taken)."""
    start = time.perf_counter()
    done = subprocess.run(
        command, env=env, cwd=folder, capture_output=True, check=True, timeout=300
    )
    return time.perf_counter() - start, len(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    compile_craft()  # as `pip install` leaves it (see _harness.py)
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="craft-models-cli-") as folder:
        home = Path(folder)
        setup_home(home, args.models)
        env = {**os.environ, "CRAFT_TUI_HOME": str(home)}
        caches = str(home / "cache" / "models")
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "python: json.loads of the cache files": [python, "-c", READ_CACHE, caches],
            "craft-tui models": [python, "-m", "craft_tui", "models"],
            f"craft-tui models {QUERY!r}": [python, "-m", "craft_tui", "models", QUERY],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        output: dict[str, int] = {}
        timed(commands["craft-tui models"], env, folder)  # warm the file cache once, untimed
        for _ in range(args.repeat):
            for name, command in commands.items():
                seconds, written = timed(command, env, folder)
                times[name].append(seconds)
                output[name] = written
    median = {name: statistics.median(values) for name, values in times.items()}
    start, read = median["python -c pass"], median["python: json.loads of the cache files"]
    print(
        f"\n### `craft-tui models` on {args.models:,} cached models "
        f"(median of {args.repeat} runs each, interleaved; {os.cpu_count()} CPUs)\n"
    )
    print("| command | wall s | × `python -c pass` | × reading the cache JSON | stdout KB |")
    print("|---|---|---|---|---|")
    for name, seconds in median.items():
        print(
            f"| {name} | {seconds:.2f} | {seconds / start:.1f} | {seconds / read:.2f}"
            f" | {output[name] / 1000:.0f} |"
        )
    listed = median["craft-tui models"]
    print(
        f"\n`craft-tui models`: {listed:.2f} s (target ≤ {TARGET_S} s: "
        f"{'met' if listed <= TARGET_S else 'missed'}); "
        f"{listed - read:.2f} s over reading the cache JSON"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
