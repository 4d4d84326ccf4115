"""The model picker screen on 5,000 models: time per keystroke, in the real screen.

    .venv/bin/python benchmarks/bench_picker.py [--models 5000] [--repeat 5]

Runs `ModelPickerScreen` inside `App.run_test` (headless: layout and rendering run, output is
discarded) and types "cl so 4", then deletes it, one key at a time. For each key it measures:
  * key → list updated: from `pilot.press` until the OptionList shows the options for the new
    query and the screen has refreshed once (`pilot.pause()`), wall time;
  * no-op key: the same for a key that changes nothing (what pilot itself costs);
  * refilter: the screen's own work for that key (rank with the fuzzy index, build the options).
Medians over keys and repeats; the target is one frame (16 ms) median.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("CRAFT_TUI_HOME", tempfile.mkdtemp(prefix="craft-picker-"))

from bench_model_catalog import QUERY, gateway_models
from textual.app import App
from textual.widgets import OptionList

from craft_tui.ui.screens.model_picker import ModelPickerScreen, PickerEntry

floor: list[float] = []  # pilot's own cost per key press, measured with a no-op key
CONNECTIONS = [
    ("openrouter", "OpenRouter"),
    ("vercel", "Vercel AI Gateway"),
    ("litellm", "LiteLLM"),
]


def entries(count: int) -> list[PickerEntry]:
    return [
        PickerEntry(
            connection_slug=CONNECTIONS[index % 3][0],
            connection_name=CONNECTIONS[index % 3][1],
            model_id=model_id,
            context_window=context,
            input_price=price_in,
            output_price=price_out,
        )
        for index, (model_id, _name, context, price_in, price_out) in enumerate(
            gateway_models(count)
        )
    ]


class Host(App[None]):
    def __init__(self, screen: ModelPickerScreen) -> None:
        super().__init__()
        self.picker = screen

    def on_mount(self) -> None:
        self.push_screen(self.picker)


async def one_run(models: list[PickerEntry]) -> tuple[list[float], list[float]]:
    screen = ModelPickerScreen(None, entries=models, recent=[], refresh_lists=False)
    refilters: list[float] = []
    original = screen.refilter

    def timed_refilter() -> None:
        start = time.perf_counter()
        original()
        refilters.append(time.perf_counter() - start)

    screen.refilter = timed_refilter  # type: ignore[method-assign]
    app = Host(screen)
    keys = list(QUERY) + ["backspace"] * len(QUERY)
    per_key: list[float] = []
    floor.clear()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        option_list = screen.query_one("#picker-list", OptionList)
        for key in keys:
            before = len(refilters)
            start = time.perf_counter()
            await pilot.press("space" if key == " " else key)
            while len(refilters) == before:  # Input.Changed is handled after the key
                await asyncio.sleep(0)
            await pilot.pause()
            per_key.append(time.perf_counter() - start)
            assert option_list.option_count > 0
        for _ in keys:  # the floor: a key that changes nothing (cursor already at the end)
            start = time.perf_counter()
            await pilot.press("end")
            await pilot.pause()
            floor.append(time.perf_counter() - start)
    return per_key, refilters[1:]  # the first refilter is the initial fill on mount


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    models = entries(args.models)
    per_key: list[float] = []
    refilter: list[float] = []
    floor_all: list[float] = []
    for _ in range(args.repeat):
        keys, work = asyncio.run(one_run(models))
        per_key += keys
        refilter += work
        floor_all += floor
    ms = 1000
    print(f"\n### Model picker, {args.models} models, typing {QUERY!r} and deleting it\n")
    print("| per keystroke | median ms | max ms |")
    print("|---|---|---|")
    print(
        f"| key → list updated | {statistics.median(per_key) * ms:.1f} | {max(per_key) * ms:.1f} |"
    )
    print(f"| no-op key (pilot floor) | {statistics.median(floor_all) * ms:.1f} | "
          f"{max(floor_all) * ms:.1f} |")  # fmt: skip
    print(f"| refilter (screen work) | {statistics.median(refilter) * ms:.1f} | "
          f"{max(refilter) * ms:.1f} |")  # fmt: skip
    print(f"\ntarget: median under one frame (16 ms): "
          f"{'met' if statistics.median(per_key) * ms < 16 else 'missed'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
