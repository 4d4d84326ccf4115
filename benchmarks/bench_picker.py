"""The model picker screen on 5,000 models: what one keystroke costs the app, without pilot overhead.

    .venv/bin/python benchmarks/bench_picker.py [--models 5000] [--repeat 5]

Method. The app runs headless (`App.run_test`: real event loop, layout, compositor; no terminal), and
the bench types "cl so 4" then deletes it, one key at a time, by handing an `events.Key` to the driver
exactly as a terminal's input thread would (`driver.send_message`), not through `pilot.press`, whose own
waiting cost ~84 ms per key and hid everything. Timestamps are taken inside the app:

  * t0: the key is handed to the app;
  * a frame: the screen's update (`Screen._on_timer_update`: layout, compositor render) finished, and
    the frame was turned into the bytes a terminal would get (`CompositorUpdate.render_segments`,
    which headless mode skips, so `_display` is wrapped to do it);
  * key → screen: t0 to the end of the last frame after the key (the app is left to settle for
    `SETTLE` seconds; the Input's cursor blink is off, so no unrelated frame lands in that window).
    This includes Textual's frame pacing (the screen updates on a 60 Hz grid, 0–16.7 ms of waiting);
  * screen work: the time the app was busy for the key: key dispatch up to the end of the query
    handler (the picker's refilter, the reference's Input.Changed handler), plus the frame time
    after it — the CPU a user waits for, pacing excluded. A frame drawn before the handler finished
    is inside the first part and counted once (earlier versions of this script counted it twice);
  * refilter: the picker's own handler alone (rank with the fuzzy index, hand the list its rows;
    it runs inside the keystroke, from a watcher on the Input's value).

Reference, same run, same method: a bare Textual app with an `Input` over an `OptionList` of 50 static
options whose Changed handler does nothing — what any keystroke in such a layout costs. Figures are
medians, 90th percentiles and max over keys × repeats; the target is one frame (16 ms) median for
the picker's key. The max is usually a gen-2 garbage collection (50-90 ms) that lands in one key.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("CRAFT_TUI_HOME", tempfile.mkdtemp(prefix="craft-picker-"))

from bench_model_catalog import QUERY, gateway_models
from textual import events, on
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from craft_tui.ui.screens.model_picker import ModelPickerScreen, PickerEntry

SETTLE = 0.12  # seconds left after each key for deferred refreshes to land
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


class Probe:
    """Timestamps of frames and busy time, collected from hooks inside the app."""

    def __init__(self) -> None:
        self.frames: list[tuple[float, float]] = []  # (start, end) of screen updates
        self.handled = 0  # query handlers run (Input.Changed, or the picker's refilter)
        self.handled_at = 0.0  # when the last one finished

    def timed(self, work: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return work(*args, **kwargs)
            finally:
                self.frames.append((start, time.perf_counter()))

        return wrapper

    def busy_after(self, moment: float) -> float:
        """Seconds spent in frames after `moment` (a frame before it is already in key → handler
        time; counting it again inflated the figures of the last sessions, see `one_run`)."""
        return sum(max(0.0, end - max(start, moment)) for start, end in self.frames)


class Host(App[None]):
    """Pushes the screen under test; renders each frame to terminal bytes as a real driver would."""

    def __init__(self, screen: Screen[Any], probe: Probe) -> None:
        super().__init__()
        self.under_test = screen
        self.probe = probe

    def on_mount(self) -> None:
        self.push_screen(self.under_test)

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        super()._display(screen, renderable)  # runs inside the timed frame
        render_segments = getattr(renderable, "render_segments", None)
        if render_segments is not None:
            render_segments(self.console)


class BareScreen(Screen[None]):
    """The reference: an Input over 50 static options; typing changes nothing but the Input."""

    def __init__(self, probe: Probe) -> None:
        super().__init__()
        self.probe = probe

    def compose(self) -> ComposeResult:
        yield Input(id="query")
        yield OptionList(*(Option(f"option {n} " + "x" * 60) for n in range(50)))

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed)
    def _changed(self) -> None:
        self.probe.handled += 1
        self.probe.handled_at = time.perf_counter()


def key_event(key: str) -> events.Key:
    if key == " ":
        return events.Key("space", " ")
    if key == "backspace":
        return events.Key("backspace", None)
    return events.Key(key, key)


async def one_run(screen: Screen[Any], probe: Probe) -> dict[str, list[float]]:
    """Type the query and delete it; per key: key → screen ("latency"), screen work ("work", and
    "work_before" as earlier versions counted it), handler time ("refilter", the picker only)."""
    # The update timer is created on first use from the bound method, so patching it before mount
    # puts the probe inside every frame the screen makes.
    screen._on_timer_update = probe.timed(screen._on_timer_update)  # type: ignore[method-assign]
    handler_times: list[float] = []
    if isinstance(screen, ModelPickerScreen):
        original = screen.refilter

        def refilter(**kwargs: Any) -> None:
            start = time.perf_counter()
            original(**kwargs)
            probe.handled_at = time.perf_counter()
            handler_times.append(probe.handled_at - start)
            probe.handled += 1

        screen.refilter = refilter  # type: ignore[method-assign]
    app = Host(screen, probe)
    latency: list[float] = []
    work: list[float] = []
    work_before: list[float] = []
    async with app.run_test(size=(160, 48)) as pilot:
        screen.query_one(Input).cursor_blink = False
        await pilot.pause()
        await asyncio.sleep(SETTLE)
        driver = app._driver
        assert driver is not None
        handlers_before = len(handler_times)
        for key in list(QUERY) + ["backspace"] * len(QUERY):
            handled = probe.handled
            probe.frames.clear()
            event = key_event(key)
            event.set_sender(app)
            start = time.perf_counter()
            driver.send_message(event)
            while probe.handled == handled:  # the key has reached the Input and its handler
                if not app.is_running:
                    raise RuntimeError("the app stopped (an error in the screen?)")
                await asyncio.sleep(0)
            await asyncio.sleep(SETTLE)
            assert probe.frames, "no frame after a key"
            latency.append(probe.frames[-1][1] - start)
            # busy: key dispatch up to the end of the query handler, plus the frames after it. A
            # frame drawn before the handler finished (the Input's new text alone) is already in
            # the first part (earlier versions of this script counted it twice: `work_before`).
            work.append(probe.handled_at - start + probe.busy_after(probe.handled_at))
            work_before.append(probe.handled_at - start + probe.busy_after(start))
        handler_times = handler_times[handlers_before:]
    return {
        "latency": latency,
        "work": work,
        "work_before": work_before,
        "refilter": handler_times,
    }


def row(name: str, values: list[float]) -> str:
    """Median, 90th percentile (the typing keys that scan), max (a gen-2 GC pause lands in one
    key per run or so, in the reference too)."""
    p90 = statistics.quantiles(values, n=10)[-1]
    return (
        f"| {name} | {statistics.median(values) * 1000:.1f} | {p90 * 1000:.1f}"
        f" | {max(values) * 1000:.1f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    models = entries(args.models)
    picker: dict[str, list[float]] = {}
    bare: dict[str, list[float]] = {}
    for _ in range(args.repeat):  # interleaved, so both see the same machine load
        probe = Probe()
        for name, values in asyncio.run(one_run(BareScreen(probe), probe)).items():
            bare.setdefault(name, []).extend(values)
        probe = Probe()
        screen = ModelPickerScreen(None, entries=models, recent=[], refresh_lists=False)
        for name, values in asyncio.run(one_run(screen, probe)).items():
            picker.setdefault(name, []).extend(values)
    print(f"\n### Model picker, {args.models} models, typing {QUERY!r} and deleting it")
    print(f"({args.repeat} repeats × {2 * len(QUERY)} keys; in-app timestamps, no pilot)\n")
    print("| per keystroke | median ms | p90 ms | max ms |")
    print("|---|---|---|---|")
    print(row("picker: key → screen (incl. 60 Hz frame pacing)", picker["latency"]))
    print(row("picker: screen work (busy: key, refilter, frame)", picker["work"]))
    print(row("picker: refilter alone", picker["refilter"]))
    print(row("reference bare Input+OptionList: key → screen", bare["latency"]))
    print(row("reference bare Input+OptionList: screen work", bare["work"]))
    print(row("picker: screen work as counted before (a frame twice)", picker["work_before"]))
    print(row("reference: screen work as counted before", bare["work_before"]))
    ratio = statistics.median(picker["work"]) / statistics.median(bare["work"])
    print(f"\nscreen work, picker / reference: {ratio:.1f}×")
    work_ms = statistics.median(picker["work"]) * 1000
    print(
        f"target: screen work median under one frame (16 ms): {'met' if work_ms < 16 else 'missed'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
