"""The model picker screen: what one keystroke costs on 5,000 models, and what opening it costs on
5,000 and 50,000 cached models (time and peak memory).

    .venv/bin/python benchmarks/bench_picker.py [--models 5000] [--repeat 5]
    .venv/bin/python benchmarks/bench_picker.py --open [--open-sizes 5000,50000] [--repeat 3]

Opening (`--open`, issue 16). Each figure comes from a fresh process (so its peak RSS is its own)
over a throwaway CRAFT_TUI_HOME whose three connections' cached lists hold N models in total
(`bench_model_catalog.setup_home`). The process starts a headless app with the workspace validated
(as the app has it when the user presses the picker's key), notes its RSS, then imports the picker
and pushes `ModelPickerScreen(current)` as the app does at that key (catalog read from the caches
in the picker's thread, the stale-list check after it) and times:

  * open → list: the push until the end of the first frame whose list holds every model (the
    status line says "N of N models"), rendered to terminal bytes as in the typing bench;
  * open → settled: until the picker's own workers (the stale-list check, the config re-read)
    are done, i.e. when a keystroke is no longer queued behind opening work;
  * peak RSS of the process (VmHWM), and the RSS before the push.

Reference, same run, same sizes, same method: a bare Textual app pushing a screen that reads the
same cache files (`json.loads`) and composes an `OptionList` with one option per model holding the
same columns (id, connection, context, price): what showing that list costs without the picker.
Targets (issue 16): open → list ≤ 0.5 s at 50,000; peak RSS at 50,000 ≤ 2× the one at 5,000.

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
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("CRAFT_TUI_HOME", tempfile.mkdtemp(prefix="craft-picker-"))

from bench_model_catalog import QUERY, gateway_models, setup_home
from textual import events, on
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:  # imported where used: `--open` times the import as the app's key press does
    from craft_tui.ui.screens.model_picker import PickerEntry

SETTLE = 0.12  # seconds left after each key for deferred refreshes to land
CONNECTIONS = [
    ("openrouter", "OpenRouter"),
    ("vercel", "Vercel AI Gateway"),
    ("litellm", "LiteLLM"),
]


def entries(count: int) -> list[PickerEntry]:
    from craft_tui.ui.screens.model_picker import PickerEntry

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
    from craft_tui.ui.screens.model_picker import ModelPickerScreen

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


# ---- opening on 5,000 and 50,000 cached models (--open) ------------------------------------------


def rss_mb() -> float:
    """This process's resident set now, in MB (Linux /proc)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """This process's peak resident set, in MB: VmHWM, the high-water mark of its own memory
    since exec (`ru_maxrss` keeps the parent's from before the exec, here the bench with its
    50,000-model homes built)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


class OpenHost(App[None]):
    """An idle app with a validated workspace (as `CraftApp` has one), that renders frames to
    terminal bytes like `Host`; `open()` pushes the screen under test."""

    def __init__(self, workspace: Any) -> None:
        super().__init__()
        self.workspace = workspace  # found by the picker through `workspace_of`

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        super()._display(screen, renderable)
        render_segments = getattr(renderable, "render_segments", None)
        if render_segments is not None:
            render_segments(self.console)


class BareListScreen(Screen[None]):
    """The reference: reads the cache files and lists every model in an `OptionList`."""

    def compose(self) -> ComposeResult:
        from craft_tui.providers.model_cache import cache_folder

        options = []
        for path in sorted(cache_folder().glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            models = data["models"]  # format 2: by column; format 1: one object per model
            if isinstance(models, dict):
                models = [
                    dict(zip(models, values, strict=True))
                    for values in zip(*models.values(), strict=True)
                ]
            for model in models:
                context = model.get("context_window")
                price_in, price_out = model.get("input_price"), model.get("output_price")
                price = "—" if price_in is None else f"${price_in:g}/${price_out or 0:g}"
                context_text = "—" if not context else f"{context // 1000}K"
                options.append(
                    Option(
                        f"{model['id']:<50} {data['slug'][:14]:<14} {context_text:>5} {price:>11}"
                    )
                )
        yield Input(id="query")
        yield OptionList(*options)


async def open_once(kind: str, count: int) -> dict[str, float]:
    """In this (fresh) process: push the screen, time list-on-screen and settled, RSS figures."""
    from craft_tui.workspace.core import Workspace

    workspace = Workspace()
    workspace.validate_source()
    app = OpenHost(workspace)
    loop = asyncio.get_running_loop()
    shown = loop.create_future()
    figures: dict[str, float] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        figures["rss_before"] = rss_mb()
        start = time.perf_counter()
        screen: Screen[Any]
        if kind == "picker":
            from craft_tui.ui.screens.model_picker import ModelChoice, ModelPickerScreen
            from craft_tui.ui.widgets.model_rows import ModelRows

            # as the app opens it: on the conversation's model (the config's default here)
            screen = ModelPickerScreen(ModelChoice("openrouter", gateway_models(1)[0][0]))

            def listed() -> bool:
                rows = screen.query(ModelRows)
                return bool(rows) and rows.first().count >= count
        else:
            screen = BareListScreen()

            def listed() -> bool:
                lists = screen.query(OptionList)
                return bool(lists) and lists.first().option_count >= count

        update = screen._on_timer_update  # the screen's frame (see `one_run`)

        def frame(*args: Any, **kwargs: Any) -> Any:
            ready = not shown.done() and screen.is_mounted and listed()  # before: drawn in it
            try:
                return update(*args, **kwargs)
            finally:
                if ready and not shown.done():
                    shown.set_result(time.perf_counter())

        screen._on_timer_update = frame  # type: ignore[method-assign]
        app.push_screen(screen)
        figures["list_s"] = await asyncio.wait_for(shown, 120) - start
        await app.workers.wait_for_complete()  # the picker's stale-list check and re-read
        figures["settled_s"] = time.perf_counter() - start
        figures["rss_after"] = rss_mb()
    figures["peak_rss"] = peak_rss_mb()
    return figures


def child(kind: str, count: int) -> int:
    """`--child KIND COUNT`: one opening in this process; one JSON line on stdout."""
    print(json.dumps(asyncio.run(open_once(kind, count))))
    return 0


def open_bench(sizes: list[int], repeat: int) -> int:
    """Each size's home once, then fresh processes interleaved: picker, bare, picker, bare..."""
    from _harness import compile_craft

    compile_craft()  # as `pip install` leaves it: the import at the key press is from bytecode
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="craft-picker-open-") as folder:
        homes = {}
        for count in sizes:
            homes[count] = Path(folder) / str(count)
            setup_home(homes[count], count)
        for _ in range(repeat):
            for count in sizes:
                for kind in ("picker", "bare"):
                    env = {**os.environ, "CRAFT_TUI_HOME": str(homes[count])}
                    done = subprocess.run(
                        [sys.executable, __file__, "--child", kind, str(count)],
                        env=env, cwd=folder, capture_output=True, text=True, timeout=300, check=False,
                    )  # fmt: skip
                    if done.returncode != 0:
                        raise SystemExit(f"{kind} at {count} failed:\n{done.stderr}")
                    results.setdefault((kind, count), []).append(
                        json.loads(done.stdout.strip().splitlines()[-1])
                    )

    def median(kind: str, count: int, name: str) -> float:
        return statistics.median(run[name] for run in results[(kind, count)])

    print(f"\n### Opening the model picker on cached models (median of {repeat} fresh processes)\n")
    print("| models | what | open → list s | open → settled s | RSS before MB | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for count in sizes:
        for kind, label in (("picker", "picker"), ("bare", "bare OptionList, same rows")):
            print(
                f"| {count:,} | {label} | {median(kind, count, 'list_s'):.2f}"
                f" | {median(kind, count, 'settled_s'):.2f}"
                f" | {median(kind, count, 'rss_before'):.0f} | {median(kind, count, 'peak_rss'):.0f} |"
            )
    print()
    for count in sizes:
        ratio = median("picker", count, "list_s") / median("bare", count, "list_s")
        print(f"{count:,} models: picker open → list / bare OptionList: {ratio:.2f}×")
    if len(sizes) >= 2:
        small, large = min(sizes), max(sizes)
        ratio = median("picker", large, "peak_rss") / median("picker", small, "peak_rss")
        bare = median("bare", large, "peak_rss") / median("bare", small, "peak_rss")
        print(
            f"peak RSS, picker at {large:,} / at {small:,}: {ratio:.2f}× (target ≤ 2×;"
            f" bare OptionList {bare:.2f}×)"
        )
        opened = median("picker", large, "list_s")
        print(
            f"picker open → list at {large:,}: {opened:.2f} s"
            f" (target ≤ 0.5 s: {'met' if opened <= 0.5 else 'missed'})"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--open", action="store_true", help="opening time and peak RSS")
    parser.add_argument("--open-sizes", default="5000,50000", help="model counts for --open")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child[0], int(args.child[1]))
    if args.open:
        return open_bench([int(size) for size in args.open_sizes.split(",")], args.repeat)
    from craft_tui.ui.screens.model_picker import ModelPickerScreen

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
