"""Issue 13: a hostile server cannot make `craft-tui ask` or `craft-tui models` drive the terminal.

The real console script runs in a subprocess with stdout and stderr on pseudo-terminals (raw mode,
so every byte it writes is read back exactly as written) or on pipes, against the loopback fake
server answering with every kind of control sequence (`tests/servers/hostile.py`), each one cut
across several SSE events. What reaches the terminal must hold none of the sequences' control
characters, only their visible stand-ins (`␛]52;c;…␇`); `--raw` into a pipe gives back exactly
what the model sent; `models --json` stays valid JSON that round-trips the ids.
"""

from __future__ import annotations

import errno
import json
import os
import re
import select
import subprocess
import sys
import termios
import threading
import time
import tty
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import subprocess_env
from tests.servers import FakeLLMServer
from tests.servers.cli import add_connection
from tests.servers.fake import _split_text
from tests.servers.hostile import (
    ANSWER_END,
    CLIPBOARD_B64,
    ERROR_NEVER_IN_TERMINAL,
    ERROR_REASON,
    HOSTILE_ANSWER,
    HOSTILE_MODELS,
    HOSTILE_REASONING,
    MODELS_NEVER_IN_TERMINAL,
    NEVER_IN_TERMINAL,
    SEQUENCES,
    SHOWN_BEL,
    SHOWN_ESC,
    SHOWN_IDS,
    SHOWN_ST,
    c1_free,
    hostile_error,
)

CHUNK = 3  # characters per SSE text delta: every sequence longer than this is cut mid-sequence
SPLIT_BYTES = 7  # and every SSE event is written in 7-byte pieces (cutting its JSON escapes)

# What `ask` itself writes around reasoning on a terminal (craft_tui/commands/ask.py).
OWN_SGR = (b"\x1b[2m", b"\x1b[0m")


@pytest.fixture(params=["openai", "anthropic"])
def hostile_server(request: pytest.FixtureRequest) -> Iterator[FakeLLMServer]:
    with FakeLLMServer(
        protocol=request.param,
        reply=HOSTILE_ANSWER,
        reasoning=HOSTILE_REASONING,
        chunk_size=CHUNK,
        split_bytes=SPLIT_BYTES,
    ) as server:
        yield server


# -- running the CLI --------------------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: bytes
    stderr: bytes


def _raw_pty() -> tuple[int, int]:
    """A pseudo-terminal with no output processing (no LF → CRLF): the master reads exactly the
    bytes the program wrote, and the slave is still a terminal to `isatty()`."""
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    return master, slave


def _drain(fds: dict[int, bytearray], process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    open_fds = set(fds)
    while open_fds:
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"craft-tui did not finish in {timeout} s; got {dict(fds)}")
        ready, _, _ = select.select(list(open_fds), [], [], 0.1)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError as error:  # EIO: the slave side is closed, the program has exited
                if error.errno != errno.EIO:
                    raise
                chunk = b""
            if chunk:
                fds[fd] += chunk
            else:
                open_fds.discard(fd)


def run_on_terminal(home: Path, *args: str, timeout: float = 60) -> Run:
    """`craft-tui ARGS` with stdin and stdout on one terminal and stderr on another."""
    out_master, out_slave = _raw_pty()
    err_master, err_slave = _raw_pty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "craft_tui", *args],
            stdin=out_slave,
            stdout=out_slave,
            stderr=err_slave,
            env=subprocess_env(home),
            close_fds=True,
        )
        os.close(out_slave)
        os.close(err_slave)
        out_slave = err_slave = -1
        buffers = {out_master: bytearray(), err_master: bytearray()}
        _drain(buffers, process, timeout)
        returncode = process.wait(timeout=timeout)
        return Run(returncode, bytes(buffers[out_master]), bytes(buffers[err_master]))
    finally:
        for fd in (out_master, err_master, out_slave, err_slave):
            if fd >= 0:
                os.close(fd)


def run_piped(home: Path, *args: str, timeout: float = 60) -> Run:
    """`craft-tui ARGS` with stdout and stderr on pipes (a script, `| less`, `> file`)."""
    done = subprocess.run(
        [sys.executable, "-m", "craft_tui", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=subprocess_env(home),
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


# -- what may reach a terminal ----------------------------------------------------------------

_C0_EXCEPT_NEWLINE_TAB = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")


def assert_terminal_safe(data: bytes, *, allowed: tuple[bytes, ...] = ()) -> None:
    """No control character (C0 but newline and tab, DEL, C1) except the `allowed` sequences
    craft-tui writes itself: so no ESC, BEL, CR (the pty does no LF → CRLF) or backspace."""
    for sequence in allowed:
        data = data.replace(sequence, b"")
    controls = sorted(set(_C0_EXCEPT_NEWLINE_TAB.findall(data)))
    assert not controls, f"raw control characters {controls} reached the terminal: {data!r}"
    assert c1_free(data), f"a raw C1 control reached the terminal: {data!r}"


def assert_none_of(data: bytes, forbidden: tuple[bytes, ...]) -> None:
    found = [sequence for sequence in forbidden if sequence in data]
    assert not found, f"hostile sequences reached the terminal: {found}"


def assert_answer_disarmed(text: str) -> None:
    """Every hostile line of the answer is there, each control shown by its stand-in."""
    for item in SEQUENCES:
        if item.name == "bare-cr":
            # A CR at the end of one delta is dropped (it may be the first half of a CRLF cut in
            # two); anywhere else it is shown as ␍. Either way nothing is overwritten.
            assert "HOSTILE-CR visible-text" in text and "OVERWRITE done" in text, text
            continue
        assert item.shown in text, f"{item.name}: {item.shown!r} not in {text!r}"
    assert ANSWER_END in text


def test_the_hostile_answer_is_cut_mid_sequence_across_events() -> None:
    """The fake server's deltas cut every sequence: no delta holds an introducer (ESC, 8-bit CSI
    or OSC) together with the three characters after it, so a client that disarmed only whole
    sequences inside one delta would let every one of them through."""
    pieces = _split_text(HOSTILE_ANSWER, CHUNK)
    assert "".join(pieces) == HOSTILE_ANSWER
    starts = [sum(len(p) for p in pieces[:i]) for i in range(len(pieces))]
    introducers = [m.start() for m in re.finditer("[\x1b\x9b\x9d]", HOSTILE_ANSWER)]
    assert len(introducers) > 30
    for position in introducers:
        piece = max(i for i, start in enumerate(starts) if start <= position)
        assert position + 3 >= starts[piece] + len(pieces[piece]), (position, pieces[piece])


# -- ask ----------------------------------------------------------------------------------------


def test_ask_on_a_terminal_shows_every_sequence_disarmed(
    isolated_home: Path, hostile_server: FakeLLMServer
) -> None:
    add_connection(hostile_server, key=None)
    result = run_on_terminal(isolated_home, "ask", "Say something hostile")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert_terminal_safe(result.stdout)
    assert_none_of(result.stdout, NEVER_IN_TERMINAL)
    assert_answer_disarmed(result.stdout.decode())
    # Reasoning goes to stderr (a terminal), dimmed by craft-tui's own SGR codes, disarmed inside.
    assert result.stderr.startswith(b"\x1b[2m"), result.stderr
    assert_terminal_safe(result.stderr, allowed=OWN_SGR)
    assert_none_of(result.stderr, NEVER_IN_TERMINAL)
    reasoning = result.stderr.decode()
    assert f"REASONING-OSC52 {SHOWN_ESC}]52;c;{CLIPBOARD_B64}{SHOWN_BEL}" in reasoning
    assert f"{SHOWN_ESC}]2;PWNED-REASONING{SHOWN_ST}" in reasoning
    assert f"REASONING-CLEAR {SHOWN_ESC}[2J" in reasoning
    assert f"REASONING-C1 {SHOWN_ESC}]0;PWNED-REASONING-C1{SHOWN_ESC}\\" in reasoning
    # The history keeps what the model sent (only the display is disarmed): nothing to check for
    # `ask`, which stores nothing; the server saw one request.
    assert len(hostile_server.chat_requests) == 1


def test_ask_into_a_pipe_is_disarmed_by_default(
    isolated_home: Path, hostile_server: FakeLLMServer
) -> None:
    add_connection(hostile_server, key=None)
    result = run_piped(isolated_home, "ask", "Say something hostile")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert_terminal_safe(result.stdout)
    assert_none_of(result.stdout, NEVER_IN_TERMINAL)
    assert_answer_disarmed(result.stdout.decode())
    assert result.stderr == b""  # reasoning only goes to a terminal


def test_ask_raw_into_a_pipe_writes_exactly_what_the_model_sent(
    isolated_home: Path, hostile_server: FakeLLMServer
) -> None:
    add_connection(hostile_server, key=None)
    result = run_piped(isolated_home, "ask", "--raw", "Say something hostile")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout == HOSTILE_ANSWER.encode()  # it ends with a newline: nothing is added


def test_ask_raw_on_a_terminal_is_still_disarmed(
    isolated_home: Path, hostile_server: FakeLLMServer
) -> None:
    """`--raw` is for pipes and files; a terminal would obey the bytes, so it still gets stand-ins."""
    add_connection(hostile_server, key=None)
    result = run_on_terminal(isolated_home, "ask", "--raw", "Say something hostile")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert_terminal_safe(result.stdout)
    assert_none_of(result.stdout, NEVER_IN_TERMINAL)
    assert_answer_disarmed(result.stdout.decode())


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
@pytest.mark.parametrize("where", ["terminal", "pipe"])
def test_a_hostile_error_reason_is_disarmed_on_stderr(
    isolated_home: Path, protocol: str, where: str
) -> None:
    with FakeLLMServer(protocol=protocol, error=hostile_error(protocol)) as server:  # type: ignore[arg-type]
        add_connection(server, key=None)
        run = run_on_terminal if where == "terminal" else run_piped
        result = run(isolated_home, "ask", "Hi")
    assert result.returncode == 1
    assert result.stdout == b""
    assert_terminal_safe(result.stderr)
    assert_none_of(result.stderr, ERROR_NEVER_IN_TERMINAL)
    stderr = result.stderr.decode()
    assert stderr.startswith("craft-tui: The server rejected the request (400: HOSTILE-REASON ")
    assert f"{SHOWN_ESC}]52;c;{CLIPBOARD_B64}{SHOWN_BEL} then" in stderr
    assert f"{SHOWN_ESC}]2;PWNED-REASON-TITLE{SHOWN_ST} then {SHOWN_ESC}[2J then" in stderr
    assert f"then {SHOWN_ESC}[2J and {SHOWN_ESC}]0;PWNED-REASON-C1{SHOWN_ESC}\\ end" in stderr
    assert "\n  fix: " in stderr
    assert "Traceback" not in stderr


# -- models -------------------------------------------------------------------------------------


@pytest.fixture(params=["openai", "anthropic"])
def hostile_list(request: pytest.FixtureRequest, isolated_home: Path) -> Iterator[FakeLLMServer]:
    """A server whose model list is `HOSTILE_MODELS` (OpenRouter shape, with names, for OpenAI;
    Anthropic's pages with display names), saved as the only connection, no typed models."""
    style = "openrouter" if request.param == "openai" else "anthropic"
    with FakeLLMServer(
        protocol=request.param, models=list(HOSTILE_MODELS), model_list=style
    ) as server:
        add_connection(server, key=None, models=[])
        yield server


def _table_rows(stdout: bytes) -> list[str]:
    return stdout.decode().splitlines()[1:]


@pytest.mark.parametrize("where", ["terminal", "pipe"])
def test_models_table_shows_hostile_ids_disarmed_one_row_each(
    isolated_home: Path, hostile_list: FakeLLMServer, where: str
) -> None:
    run = run_on_terminal if where == "terminal" else run_piped
    result = run(isolated_home, "models")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert_terminal_safe(result.stdout)
    assert_none_of(result.stdout, MODELS_NEVER_IN_TERMINAL)
    rows = _table_rows(result.stdout)
    assert len(rows) == len(HOSTILE_MODELS), rows  # a newline in an id does not add a row
    for model in HOSTILE_MODELS:
        shown = SHOWN_IDS[model.id]
        matching = [row for row in rows if row.split()[1:2] == [shown]]
        assert len(matching) == 1, f"{shown!r} is not one row of its own in {rows}"
        assert matching[0].startswith("fake ")
    assert_terminal_safe(result.stderr)


@pytest.mark.parametrize("where", ["terminal", "pipe"])
def test_models_json_stays_valid_and_round_trips_the_ids(
    isolated_home: Path, hostile_list: FakeLLMServer, where: str
) -> None:
    run = run_on_terminal if where == "terminal" else run_piped
    result = run(isolated_home, "models", "--json")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    # Escaped, not lost: `\u001b` in the JSON text, ESC again once parsed.
    assert_terminal_safe(result.stdout)
    assert "\u202e".encode() not in result.stdout and "\u202c".encode() not in result.stdout
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    assert sorted(row["model"] for row in rows) == sorted(m.id for m in HOSTILE_MODELS)
    names = {row["model"]: row["name"] for row in rows}
    for model in HOSTILE_MODELS:
        assert names[model.id] == model.name
    assert_terminal_safe(result.stderr)


def test_models_query_matching_a_hostile_id_is_disarmed(
    isolated_home: Path, hostile_list: FakeLLMServer
) -> None:
    result = run_on_terminal(isolated_home, "models", "pwned-model")
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert_terminal_safe(result.stdout)
    rows = _table_rows(result.stdout)
    assert rows and rows[0].split()[1] == SHOWN_IDS[HOSTILE_MODELS[1].id]


class _HostileErrorServer:
    """A loopback server that answers every request with a hostile error (so the model list
    fails with a reason full of control sequences)."""

    def __init__(self, protocol: str) -> None:
        response = hostile_error(protocol, status=400)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_POST = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_models_error_line_with_a_hostile_reason_is_disarmed(
    isolated_home: Path, protocol: str
) -> None:
    from craft_tui.config.schema import Config, Connection, NoAuth, Settings
    from craft_tui.config.store import save_config

    server = _HostileErrorServer(protocol)
    try:
        base = server.root_url + ("/v1" if protocol == "openai" else "")
        save_config(
            Config(
                settings=Settings(default_connection="bad"),
                connections=[
                    Connection(
                        slug="bad",
                        name="Bad",
                        protocol=protocol,
                        base_url=base,
                        auth=NoAuth(),
                    )
                ],
            )
        )
        result = run_on_terminal(isolated_home, "models")
    finally:
        server.stop()
    assert result.returncode == 1
    assert_terminal_safe(result.stderr)
    assert_none_of(result.stderr, ERROR_NEVER_IN_TERMINAL)
    stderr = result.stderr.decode()
    assert stderr.startswith("craft-tui: bad: "), stderr
    assert "HOSTILE-REASON" in stderr and f"{SHOWN_ESC}]52;c;{CLIPBOARD_B64}" in stderr
    assert ERROR_REASON not in stderr
