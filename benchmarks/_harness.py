"""Shared plumbing for the benchmark scripts: run tuibench's measure.py for several clients in one
session and print figures with ratios against the baselines measured in the same run.

craft_tui is installed editable here and the harness (like this machine's shell) runs clients with
PYTHONDONTWRITEBYTECODE=1, so without help every craft-tui start would recompile all of craft_tui's
.py files (~20-30 ms) that a real `pip install` ships compiled, while Textual, pydantic and the
baselines' libraries load from compiled bytecode. `compile_craft()` byte-compiles the package once
per bench run, as pip does on install; `measure()` calls it, scripts driving tmux directly call it
before their runs. It removes only that artefact: every other cost of a start stays measured.
"""

from __future__ import annotations

import compileall
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
TUIBENCH = HERE / "tuibench"
PYTHON = sys.executable
CRAFT = str(Path(PYTHON).with_name("craft-tui"))

# A loopback connection to the mock, written with our own CLI in the run's fresh HOME.
CRAFT_SETUP = (
    f"{shlex.quote(CRAFT)} connection add Mock --protocol openai --base-url {{base}}/v1 "
    "--no-auth --model mock >/dev/null"
)
CRAFT_READY = "Message "
PACKAGE = HERE.parent / "craft_tui"


@cache
def compile_craft() -> None:
    """Byte-compile craft_tui into its __pycache__ (git-ignored) once per process, as `pip install`
    does; files edited later are simply compiled again by the next bench run."""
    if not compileall.compile_dir(str(PACKAGE), quiet=1):
        raise SystemExit(f"could not byte-compile {PACKAGE}")


@dataclass(frozen=True)
class Client:
    name: str
    cmd: str
    ready: str
    setup: str | None = None


PLAIN = Client("plain_stream", "{python} {here}/baselines/plain_stream.py {base}", "READY>")
TEXTUAL_MD = Client(
    "textual_md", "{python} {here}/baselines/textual_md.py {base} stream", "Ask the mock"
)
CRAFT_TUI = Client("craft-tui", shlex.quote(CRAFT) + " --new", CRAFT_READY, CRAFT_SETUP)


def measure(
    client: Client,
    *,
    tokens: int,
    rate: float,
    repeat: int,
    label: str = "",
    extra: list[str] | None = None,
) -> dict[str, float]:
    """Run measure.py for one client; return the median of each metric."""
    compile_craft()
    name = f"{client.name}{'-' + label if label else ''}-t{tokens}-r{rate:g}"
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    args = [
        PYTHON,
        str(TUIBENCH / "measure.py"),
        "--name",
        name,
        "--cmd",
        client.cmd,
        "--ready",
        client.ready,
        "--tokens",
        str(tokens),
        "--rate",
        str(rate),
        "--markdown",
        "--repeat",
        str(repeat),
        "--count-bytes",
        "--json",
        out,
        *(extra or []),
    ]
    if client.setup:
        args += ["--setup", client.setup]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    try:
        data = json.loads(Path(out).read_text())
    except (OSError, json.JSONDecodeError):
        print(result.stdout, result.stderr, file=sys.stderr)
        raise SystemExit(f"measure.py failed for {name}") from None
    finally:
        os.unlink(out)
    if data["errors"]:
        print(f"warning: {name}: {data['errors']}", file=sys.stderr)
    return {key: value["median"] for key, value in data["summary"].items()}


def ratio(ours: float | None, base: float | None) -> str:
    if ours is None or not base:
        return "–"
    return f"{ours / base:.2f}×"


def print_table(
    title: str, rows: dict[str, dict[str, float]], metrics: list[tuple[str, str]]
) -> None:
    """A Markdown table: one row per client, one column per metric."""
    print(f"\n### {title}\n")
    print("| client | " + " | ".join(label for _, label in metrics) + " |")
    print("|---|" + "---|" * len(metrics))
    for client, figures in rows.items():
        cells = [_fmt(figures.get(key)) for key, _ in metrics]
        print(f"| {client} | " + " | ".join(cells) + " |")


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def median(values: list[float]) -> float:
    return statistics.median(values)
