"""A stand-in for `pass show …` / `op read …`: a small program the key-command tests run.

`tool_command(tmp_path, …)` writes it once and returns the `api_key_cmd` text that runs it with
this interpreter. What it does is chosen by options:

    --key-file F     print F's content (the key first, then whatever else F holds)
    --runs F         append one line to F per run (how many times the command ran)
    --started F      create F once running (a test waits for it, never sleeps)
    --wait-for F     wait (poll) until F exists before printing
    --child-pid F    start a grandchild that sleeps, write its pid to F
    --stderr TEXT    write TEXT to stderr
    --stderr-file F  write F's content to stderr (a secret kept out of the command's own text)
    --exit N         exit with status N after printing
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

SCRIPT = r"""
import argparse, os, subprocess, sys, time
from pathlib import Path

parser = argparse.ArgumentParser()
for name in ("--key-file", "--runs", "--started", "--wait-for", "--child-pid", "--stderr",
             "--stderr-file"):
    parser.add_argument(name)
parser.add_argument("--exit", type=int, default=0)
args = parser.parse_args()
if args.runs:
    with open(args.runs, "a") as runs:
        runs.write("ran\n")
if args.child_pid:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    Path(args.child_pid).write_text(str(child.pid))
if args.started:
    Path(args.started).write_text("started")
if args.wait_for:
    deadline = time.monotonic() + 120
    while not Path(args.wait_for).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
if args.stderr:
    sys.stderr.write(args.stderr + "\n")
if args.stderr_file:
    sys.stderr.write(Path(args.stderr_file).read_text())
if args.key_file:
    sys.stdout.write(Path(args.key_file).read_text())
sys.stdout.flush()
sys.exit(args.exit)
"""


def tool_command(folder: Path, **options: str | int | Path) -> str:
    """The command text (as `api_key_cmd` holds it) that runs the tool with `options`
    (`key_file=…` becomes `--key-file …`)."""
    script = folder / "keytool.py"
    if not script.exists():
        script.write_text(SCRIPT, encoding="utf-8")
    words = [sys.executable, str(script)]
    for name, value in options.items():
        words += ["--" + name.replace("_", "-"), str(value)]
    return shlex.join(words)
