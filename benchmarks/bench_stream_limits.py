"""Streams at the edges: Esc during a very fast stream, and one enormous event (issue 13 / 16 rows).

    .venv/bin/python benchmarks/bench_stream_limits.py [--repeat 3] [--at 2 5 10] [--mb 10]
    .venv/bin/python benchmarks/bench_stream_limits.py --src /path/to/older/checkout   # "before"
    .venv/bin/python benchmarks/bench_stream_limits.py --sizes 5000 50000 [--repeat 1]
    .venv/bin/python benchmarks/bench_stream_limits.py --sizes 20000 200000 --repeat 1 --timeout 900
    ... --burner            # any of these with a CPU burner (`yes`) on the last core meanwhile

Method. Each row runs in a fresh process (peak RSS is per process: /proc VmHWM): the real app,
headless (`App.run_test`: real event loop, layout and compositor, no terminal) against the loopback
fake server (`python -m tests.servers`, in a process of its own, on 127.0.0.1). Keys are handed to
the driver as a terminal's input thread would (`driver.send_message`, as bench_picker.py does),
not through `pilot.press`; timestamps are taken inside the app. The connection's HTTP client is
built before the clock starts (loading the CA stores is a one-off ~100 ms at the first send, a
start-up matter: issue 16's pre-import row), so the rows measure the stream itself.

  * Esc at N s: the server streams one token-sized delta per event (4 characters, no delay: as fast
    as it can, several thousand events/s here) of a Markdown answer; N seconds in, Esc is handed to
    the app. Figures: Esc → the answer marked stopped (its note says so), Esc → the response closed
    and the partial saved (the history row says "cancelled"), the stream rate, and how much arrived
    text was still queued for the screen. Target (issue 13): ≤ 0.2 s at any point.
  * one N MB event: the whole answer in a single SSE event (settings.max_answer_mb raised to 16 so
    the event is not cut). While it is drawn a key is handed to the app every 50 ms; figures: the
    longest delay from a key to its handling (the prompt's text changed), the longest event-loop
    stall (a 5 ms ticker), time until the whole text was on screen, and peak RSS over the RSS
    before sending (idle), also as a multiple of the text size. Targets (issue 16): no input delay
    > 100 ms, peak ≤ 3× the text size over idle.

  * `--sizes N M`: one answer of N (and M) Markdown tokens at rate 0 from tuibench's mock
    (`mockllm.py`, one token-sized SSE event per token, in its own process) through the app,
    Enter → ZZENDZZ drawn; figures: request → done, lag after the mock's last byte, CPU of the app
    process (Enter → done) and to idle (`cpu_to_idle_s`: until a 0.3 s window uses < 3 % of a
    core, so the work left after the end — segments turning back into Markdown — counts), peak
    RSS, the rate the stream was read at. The same answer through `craft-tui ask` (stdout to
    /dev/null) and through the plain httpx floor (`tuibench/baselines/plain_stream.py`) in the
    same run; ratios: M/N lag, CPU and RSS, and app / ask, app / floor. Issue 16's targets:
    200k/20k ≤ 12×, 200k app ≤ 3× ask, 50k/5k lag ≤ 12×, 50k ≤ 5× the floor, RSS 50k ≤ 2× 5k.

`--src DIR` runs the same rows against another checkout of craft-tui (e.g. `git worktree add
/tmp/before HEAD~8`), for before/after figures in one session; rows such a checkout cannot run
say so. A row that does not finish within `--timeout` seconds is reported as such.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PARAGRAPH = "Streaming **tokens** as fast as the server can send them, with `code` and words. "


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- child: one row in this process


def _setup(src: Path) -> None:
    sys.path.insert(0, str(src))
    os.environ["CRAFT_TUI_HOME"] = tempfile.mkdtemp(prefix="bench-limits-")
    os.environ["CRAFT_TUI_SECRETS"] = "file"
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)


class _Server:
    """`python -m tests.servers` in its own process (its memory and CPU are not the app's)."""

    def __init__(self, reply: str, chunk_size: int) -> None:
        descriptor, self._reply_file = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(reply)
        command = [sys.executable, "-m", "tests.servers", "--reply-file", self._reply_file]
        command += ["--chunk-size", str(chunk_size)]
        self._process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ}
        )
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.wait(10)
        os.unlink(self._reply_file)


async def _prepared(app: Any) -> None:
    """Build the connection's HTTP client (CA stores) before the clock starts."""
    await _until(lambda: app.screen.loaded, 30)
    connection = app.workspace.config.connections[0]
    await app.workspace.driver_for(connection)  # the workspace's driver pool


def _app(server: Any, settings: dict[str, Any]) -> Any:
    from craft_tui.config.schema import Config, Settings
    from craft_tui.config.store import save_config
    from craft_tui.config.urls import normalize_base_url
    from craft_tui.ui.app import CraftApp

    known = {k: v for k, v in settings.items() if k in Settings.model_fields}
    config = Config.model_validate(
        {
            "settings": known,
            "connections": [
                {
                    "slug": "fake",
                    "name": "Fake",
                    "protocol": "openai",
                    "base_url": normalize_base_url("openai", server.base_url),
                    "auth": {"type": "none"},
                    "models": ["fake-model"],
                }
            ],
        }
    )
    save_config(config)
    return CraftApp(config, new_conversation=True)


def _key(app: Any, key: str, character: str | None) -> None:
    from textual import events

    event = events.Key(key, character)
    event.set_sender(app)
    app._driver.send_message(event)


async def _until(predicate: Any, timeout: float, step: float = 0.002) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def _send(app: Any, pilot: Any, text: str) -> Any:
    from craft_tui.ui.screens.chat import ChatScreen

    chat = app.screen
    assert isinstance(chat, ChatScreen)
    await _until(lambda: chat.loaded, 30)
    chat.prompt.focus()
    chat.prompt.insert(text)
    await pilot.press("enter")
    return chat


async def esc_row(at: float, timeout: float) -> dict[str, Any]:
    from craft_tui.chat.history import HistoryStore
    from craft_tui.ui.widgets.messages import AssistantMessageView

    reply = "".join(f"{PARAGRAPH * 3}\n\n" for _ in range(40_000))  # ~10 MB: never ends here
    stopped: list[float] = []
    note = AssistantMessageView._update_note

    def update_note(view: AssistantMessageView) -> None:
        note(view)
        if view.finish_reason == "cancelled" and not stopped:
            stopped.append(time.perf_counter())

    AssistantMessageView._update_note = update_note  # type: ignore[method-assign]
    halt = getattr(AssistantMessageView, "halt", None)  # this tree marks it in Esc's handler
    if halt is not None:

        def halted(view: AssistantMessageView, **kwargs: Any) -> None:
            halt(view, **kwargs)
            if view.finish_reason == "cancelled" and not stopped:
                stopped.append(time.perf_counter())

        AssistantMessageView.halt = halted  # type: ignore[method-assign]
    saved: list[float] = []
    finish = HistoryStore.finish_message

    def finish_message(store: HistoryStore, message_id: str, **fields: Any) -> Any:
        if fields.get("finish_reason") == "cancelled":
            saved.append(time.perf_counter())
        return finish(store, message_id, **fields)

    HistoryStore.finish_message = finish_message  # type: ignore[method-assign]
    with _Server(reply, chunk_size=4) as server:
        app = _app(server, {"max_answer_mb": 64})
        async with app.run_test(size=(160, 48)) as pilot:
            await _prepared(app)
            chat = await _send(app, pilot, "Go")
            await _until(lambda: chat._live is not None and chat._live.text, 30)
            view = chat._live
            started = time.perf_counter()
            arrived_at_start = len(view.text)
            await asyncio.sleep(at)
            arrived = len(view.text) - arrived_at_start
            rate = arrived / 4 / (time.perf_counter() - started)  # 4 characters an event
            backlog = getattr(view, "_backlog", None)  # older checkouts: a list of fragments
            queued = len(backlog) if backlog is not None else sum(map(len, view._pending))
            esc = time.perf_counter()
            _key(app, "escape", None)
            finished = await _until(lambda: bool(stopped), timeout)
            await _until(lambda: not chat.busy, timeout)
            if backlog is not None:
                backlog.clear()  # what is left to draw is not measured here: quit
    return {
        "row": f"Esc at {at:g} s",
        "events_per_s": rate,
        "queued_chars": queued,
        "esc_to_stopped_s": stopped[0] - esc if finished else None,
        "esc_to_closed_s": saved[0] - esc if saved else None,
    }


async def huge_row(megabytes: float, timeout: float) -> dict[str, Any]:
    line = "An enormous single event, as a broken or hostile server might send. " * 2
    reply = (line + "\n") * int(megabytes * 1_000_000 / (len(line) + 1))
    with _Server(reply, chunk_size=len(reply)) as server:
        app = _app(server, {"max_answer_mb": 16})
        async with app.run_test(size=(160, 48)) as pilot:
            from craft_tui.ui.screens.chat import ChatScreen

            chat = app.screen
            assert isinstance(chat, ChatScreen)
            await _prepared(app)
            await pilot.pause(0.5)
            idle = _rss_kb("VmRSS")
            stalls: list[float] = []
            done = False

            async def ticker() -> None:
                last = time.perf_counter()
                while not done:
                    await asyncio.sleep(0.005)
                    now = time.perf_counter()
                    stalls.append(now - last - 0.005)
                    last = now

            ticking = asyncio.ensure_future(ticker())
            sent = time.perf_counter()
            await _send(app, pilot, "Go")
            delays: list[float] = []
            drawn = False

            def on_screen() -> bool:
                views = chat.transcript.views()  # the prompt's view may be unmounted by now
                if not views or type(views[-1]).__name__ != "AssistantMessageView" or chat.busy:
                    return False
                view = views[-1]
                if hasattr(view, "drawing"):  # this tree: nothing queued, no write in progress
                    return not view.drawing
                body = getattr(view, "_body", None)  # older: everything is written at the end
                return body is not None and not body.busy

            deadline = time.monotonic() + timeout
            chat.prompt.focus()
            while time.monotonic() < deadline:
                if on_screen():
                    drawn = True
                    break
                before = chat.prompt.text
                key_at = time.perf_counter()
                _key(app, "x", "x")
                if await _until(lambda b=before: chat.prompt.text != b, timeout):
                    delays.append(time.perf_counter() - key_at)
                await asyncio.sleep(0.05)
            drawn_at = time.perf_counter()
            done = True
            await ticking
            peak = _rss_kb("VmHWM")
    text_mb = len(reply) / 1e6
    over_idle_mb = (peak - idle) / 1024
    return {
        "row": f"one {text_mb:.1f} MB event",
        "drawn_s": drawn_at - sent if drawn else None,
        "max_key_delay_s": max(delays) if delays else None,
        "keys": len(delays),
        "max_stall_s": max(stalls) if stalls else None,
        "idle_rss_mb": idle / 1024,
        "peak_over_idle_mb": over_idle_mb,
        "peak_over_idle_x": over_idle_mb / (len(reply) / 2**20),
    }


class _Mock:
    """tuibench's mock LLM (`mockllm.py`: the answer streamed in N token-sized SSE events, ending
    in ZZENDZZ) in its own process, logging when it sent the first and the last byte."""

    def __init__(self, tokens: int, rate: float) -> None:
        self.log = tempfile.mktemp(suffix=".jsonl")
        command = [sys.executable, str(HERE / "tuibench" / "mockllm.py"), "--port", "0"]
        command += ["--tokens", str(tokens), "--rate", str(rate), "--markdown", "--log", self.log]
        self._process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        first = self._process.stdout.readline()
        port = first.split("127.0.0.1:")[1].split()[0]
        self.base_url = f"http://127.0.0.1:{port}"

    def stream_record(self) -> dict[str, Any]:
        """The log line of the last streamed answer (times are `time.time()`)."""
        with open(self.log) as handle:
            records = [json.loads(line) for line in handle if '"stream": true' in line]
        return records[-1]

    def __enter__(self) -> _Mock:
        return self

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.wait(10)
        with contextlib.suppress(OSError):
            os.unlink(self.log)


async def long_row(tokens: int, rate: float, timeout: float) -> dict[str, Any]:
    """One answer of `tokens` Markdown tokens through the app, Enter → its end on screen."""
    with _Mock(tokens, rate) as mock:
        app = _app(mock, {"max_answer_mb": 64})
        async with app.run_test(size=(160, 48)) as pilot:
            await _prepared(app)
            await pilot.pause(0.3)
            idle_kb = _rss_kb("VmRSS")
            cpu0 = time.process_time()
            wall0 = time.time()
            chat = await _send(app, pilot, "Go")

            def drawn() -> bool:
                views = chat.transcript.views()
                if not views or type(views[-1]).__name__ != "AssistantMessageView":
                    return False
                view = views[-1]
                return (
                    not chat.busy
                    and not getattr(view, "drawing", False)
                    and "ZZENDZZ" in view.text[-64:]
                )

            finished = await _until(drawn, timeout, step=0.01)
            await pilot.pause()  # the frame that shows it
            done_wall = time.time()
            cpu_done = time.process_time() - cpu0
            # CPU until idle: look in 0.3 s windows, letting the loop run between looks.
            idle_cpu: float | None = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                before = time.process_time()
                await asyncio.sleep(0.3)
                if time.process_time() - before < 0.3 * 0.03:
                    idle_cpu = before - cpu0
                    break
            peak_kb = _rss_kb("VmHWM")
            record = mock.stream_record()
    first, last = record.get("t_first_token"), record.get("t_last_byte")
    return {
        "row": f"{tokens} tokens at rate {rate:g} (app)",
        "finished": finished,
        "request_to_done_s": done_wall - record["t_request"] if finished else None,
        "enter_to_done_s": done_wall - wall0 if finished else None,
        "lag_s": done_wall - last if finished and last else None,
        "cpu_s": cpu_done,
        "cpu_to_idle_s": idle_cpu,
        "events_per_s": tokens / (last - first) if first and last and last > first else None,
        "peak_rss_mb": peak_kb / 1024,
        "idle_rss_mb": idle_kb / 1024,
    }


def _client_row(tokens: int, rate: float, kind: str) -> dict[str, Any]:
    """The same answer through `craft-tui ask` (stdout to /dev/null) or the plain httpx floor."""
    import resource

    with _Mock(tokens, rate) as mock:
        if kind == "ask":
            _app(mock, {"max_answer_mb": 64})  # writes the config into this HOME
            command = [str(Path(sys.executable).with_name("craft-tui")), "ask", "Go"]
            stdin = subprocess.DEVNULL
        else:
            command = [sys.executable, str(HERE / "tuibench/baselines/plain_stream.py")]
            command.append(mock.base_url)
            stdin = subprocess.PIPE
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        process = subprocess.Popen(
            command, stdin=stdin, stdout=subprocess.DEVNULL, env={**os.environ}, text=True
        )
        if stdin is subprocess.PIPE:
            process.communicate("Go\n", timeout=600)
        process.wait(600)
        done_wall = time.time()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        record = mock.stream_record()
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "row": f"{tokens} tokens at rate {rate:g} ({kind})",
        "finished": process.returncode == 0,
        "request_to_done_s": done_wall - record["t_request"],
        "lag_s": done_wall - record["t_last_byte"],
        "cpu_s": cpu,
        "peak_rss_mb": after.ru_maxrss / 1024,
    }


def child(args: argparse.Namespace) -> None:
    _setup(Path(args.src))
    if args.child == "esc":
        result = asyncio.run(esc_row(args.at[0], args.timeout))
    elif args.child == "long":
        result = asyncio.run(long_row(args.tokens, args.rate, args.timeout))
    elif args.child in ("ask", "floor"):
        result = _client_row(args.tokens, args.rate, args.child)
    else:
        result = asyncio.run(huge_row(args.mb, args.timeout))
    print("RESULT " + json.dumps(result), flush=True)
    os._exit(0)  # the server thread and app are done with; skip slow interpreter teardown


# ---------------------------------------------------------------- parent: run rows, print tables


def run_row(
    src: str, kind: str, value: float, timeout: float, rate: float = 0.0
) -> dict[str, Any] | None:
    if kind == "esc":
        flag = ["--at", str(value)]
    elif kind == "huge":
        flag = ["--mb", str(value)]
    else:
        flag = ["--tokens", str(int(value)), "--rate", str(rate)]
    command = [sys.executable, __file__, "--child", kind, "--src", src, "--timeout", str(timeout)]
    try:
        done = subprocess.run(
            command + flag, capture_output=True, text=True, timeout=timeout * 2 + 120, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            return result
    print(f"warning: {kind} {value}: {done.stderr.strip()[-400:]}", file=sys.stderr)
    return None


def _cell(values: list[Any], fmt: str) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "did not finish"
    text = fmt.format(statistics.median(known))
    return text if len(known) == len(values) else f"{text} ({len(values) - len(known)} unfinished)"


def _median(rows: list[dict[str, Any]], key: str) -> float | None:
    known = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(known) if known else None


def _x(ours: float | None, base: float | None) -> str:
    return "–" if ours is None or not base else f"{ours / base:.2f}×"


def _f(value: float | None, fmt: str = "{:.2f}") -> str:
    if value is None:
        return "did not finish"
    return "–" if value < 0 else fmt.format(value)


def size_rows(args: argparse.Namespace) -> None:
    """Answers of N Markdown tokens at rate 0: the app (in-app timestamps, headless) against
    `craft-tui ask` and the plain httpx floor, in the same run; then the ratios the issue asks."""
    clients = ["floor", "ask", "long"]
    figures: dict[tuple[str, int], dict[str, float | None]] = {}
    print(
        "\n| tokens | client | request → done s | lag after last byte s | CPU s "
        "| CPU to idle s | peak RSS MB | stream events/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for tokens in args.tokens:
        for kind in clients:
            rows = [
                run_row(args.src, kind, tokens, args.timeout, args.rate) for _ in range(args.repeat)
            ]
            got = [r for r in rows if r]
            keys = ("request_to_done_s", "lag_s", "cpu_s", "cpu_to_idle_s", "peak_rss_mb")
            median = {key: _median(got, key) for key in (*keys, "events_per_s")}
            figures[(kind, tokens)] = median
            if kind != "long":  # a process run to its end: no stream rate or idle to look for
                median = {**median, "cpu_to_idle_s": -1.0, "events_per_s": -1.0}
            name = {"floor": "plain httpx", "ask": "craft-tui ask", "long": "craft-tui app"}[kind]
            print(
                f"| {tokens:,} | {name} | {_f(median['request_to_done_s'])}"
                f" | {_f(median['lag_s'])} | {_f(median['cpu_s'])}"
                f" | {_f(median['cpu_to_idle_s'])} | {_f(median['peak_rss_mb'], '{:.0f}')}"
                f" | {_f(median['events_per_s'], '{:.0f}')} |",
                flush=True,
            )
    small, large = min(args.tokens), max(args.tokens)
    app_small, app_large = figures[("long", small)], figures[("long", large)]
    print(f"\nratios ({large:,} vs {small:,} tokens, same run):")
    for key, label in (("lag_s", "lag"), ("cpu_s", "CPU"), ("cpu_to_idle_s", "CPU to idle")):
        print(f"  app {label} {large:,}/{small:,}: {_x(app_large[key], app_small[key])}")
    print(
        f"  app peak RSS {large:,}/{small:,}: "
        f"{_x(app_large['peak_rss_mb'], app_small['peak_rss_mb'])}"
    )
    for tokens in args.tokens:
        app = figures[("long", tokens)]["request_to_done_s"]
        print(
            f"  {tokens:,} tokens, app done / ask done: "
            f"{_x(app, figures[('ask', tokens)]['request_to_done_s'])}; "
            f"app done / plain httpx done: "
            f"{_x(app, figures[('floor', tokens)]['request_to_done_s'])}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--at", type=float, nargs="+", default=[2.0, 5.0, 10.0])
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--src", default=str(ROOT), help="checkout of craft-tui to measure")
    parser.add_argument(
        "--child", choices=["esc", "huge", "long", "ask", "floor"], help=argparse.SUPPRESS
    )
    parser.add_argument("--tokens", type=int, default=20_000, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--skip-huge", action="store_true")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        metavar="TOKENS",
        help="instead: answers of these many Markdown tokens at rate 0 (e.g. 5000 50000, or "
        "20000 200000) through the app, `craft-tui ask` and the plain httpx floor",
    )
    parser.add_argument(
        "--burner", action="store_true", help="a CPU burner (`yes`) on the last core meanwhile"
    )
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    from tuibench.burner import burner

    print(
        f"craft-tui from {args.src}; medians of {args.repeat}; load {os.getloadavg()[0]:.1f}"
        f"{'; CPU burner on the last core' if args.burner else ''}\n"
    )
    with burner(args.burner):
        if args.sizes:
            args.tokens = args.sizes
            size_rows(args)
            return 0
        return limit_rows(args)


def limit_rows(args: argparse.Namespace) -> int:
    print("| row | events/s | queued chars at Esc | Esc → stopped s | Esc → closed, saved s |")
    print("|---|---|---|---|---|")
    for at in args.at:
        rows = [run_row(args.src, "esc", at, args.timeout) for _ in range(args.repeat)]
        got = [r for r in rows if r]
        print(
            f"| Esc at {at:g} s | {_cell([r['events_per_s'] for r in got], '{:.0f}')}"
            f" | {_cell([r['queued_chars'] for r in got], '{:.0f}')}"
            f" | {_cell([r['esc_to_stopped_s'] for r in got], '{:.3f}')}"
            f" | {_cell([r['esc_to_closed_s'] for r in got], '{:.3f}')} |",
            flush=True,
        )
    if args.skip_huge:
        return 0
    print(
        "\n| row | drawn after s | max key delay s | keys | max loop stall s "
        "| idle RSS MB | peak over idle MB | × text size |"
    )
    print("|---|---|---|---|---|---|---|---|")
    rows = [run_row(args.src, "huge", args.mb, args.timeout) for _ in range(args.repeat)]
    got = [r for r in rows if r]
    if not got:
        print(f"| one {args.mb:g} MB event | did not finish within {args.timeout:g} s |")
        return 0
    print(
        f"| {got[0]['row']} | {_cell([r['drawn_s'] for r in got], '{:.2f}')}"
        f" | {_cell([r['max_key_delay_s'] for r in got], '{:.3f}')}"
        f" | {_cell([r['keys'] for r in got], '{:.0f}')}"
        f" | {_cell([r['max_stall_s'] for r in got], '{:.3f}')}"
        f" | {_cell([r['idle_rss_mb'] for r in got], '{:.0f}')}"
        f" | {_cell([r['peak_over_idle_mb'] for r in got], '{:.0f}')}"
        f" | {_cell([r['peak_over_idle_x'] for r in got], '{:.1f}')} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
