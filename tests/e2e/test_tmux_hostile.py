"""Issue 13: a hostile answer never reaches the terminal through the app, live or replayed.

The real console script runs in tmux with every byte it writes recorded (`hostile_terminal.py`),
against the loopback fake server answering with every kind of control sequence, each one cut
across several SSE events, for both protocols. The answer is checked live as it streams, and again
when the app is started on the same history and reopens the conversation (no second request
reaches the server). `test_the_harness_sees_raw_sequences` shows the checks would catch a
program that writes the same payloads raw.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.e2e.hostile_terminal import (
    CRAFT_TUI,
    ENTER_ALT_SCREEN,
    LEAVE_ALT_SCREEN,
    CapturedTmux,
    assert_app_output_safe,
    assert_markers_only_disarmed,
    assert_terminal_untouched,
    quit_app,
)
from tests.servers import FakeLLMServer
from tests.servers.cli import add_connection
from tests.servers.hostile import (
    ANSWER_END,
    CLIPBOARD_B64,
    CLIPBOARD_COMMAND,
    ERROR_NEVER_IN_TERMINAL,
    HOSTILE_ANSWER,
    HOSTILE_REASONING,
    NEVER_IN_TERMINAL,
    SEQUENCES,
    SHOWN_BEL,
    SHOWN_ESC,
    hostile_error,
)

CHUNK = 3  # characters per SSE text delta: every sequence is cut across events


REASONING_END = b"REASONING-END"
ANSWER_MARKERS: dict[bytes, bytes] = {
    b"PWNED-REASONING" + SHOWN_ESC.encode(): f"{SHOWN_ESC}]2;".encode(),
    b"PWNED-REASONING-C1": f"{SHOWN_ESC}]0;".encode(),
    b"PWNED-TITLE-0-BEL": f"{SHOWN_ESC}]0;".encode(),
    b"PWNED-TITLE-0-ST": f"{SHOWN_ESC}]0;".encode(),
    b"PWNED-TITLE-2-BEL": f"{SHOWN_ESC}]2;".encode(),
    b"PWNED-TITLE-2-ST": f"{SHOWN_ESC}]2;".encode(),
    b"PWNED-TITLE-C1": f"{SHOWN_ESC}]0;".encode(),
    CLIPBOARD_B64.encode(): f"{SHOWN_ESC}]52;c;".encode(),
    b"Gapc-payload": f"{SHOWN_ESC}_".encode(),
    b"pm-payload": f"{SHOWN_ESC}^".encode(),
    b"sos-payload": f"{SHOWN_ESC}X".encode(),
    b"tmux;": f"{SHOWN_ESC}P".encode(),
    b"hidden-text": f"{SHOWN_ESC}[8m".encode(),
}


def assert_answer_on_screen(screen: str) -> None:
    lines = screen.splitlines()
    for item in SEQUENCES:
        if item.name == "bare-cr":
            # whether the CR shows as ␍ or not, nothing of the line was overwritten
            assert any("HOSTILE-CR visible-text" in line and "OVERWRITE" in line for line in lines)
        elif item.name == "bidi":
            # the override itself has no width; tmux keeps the text on either side of it
            assert any("HOSTILE-BIDI invoice" in line and "fdp.exe" in line for line in lines)
        else:
            assert any(item.shown in line for line in lines), f"{item.shown!r} not in\n{screen}"


def _wait_for_answer(tmux: CapturedTmux) -> str:
    """The whole answer drawn (its last line is in the bytes written) and finished (the status
    line has the token counts); the screen then. Conditions on the bytes, not only the screen, so
    an app that lets a clear-screen through still gets to the byte checks that say what leaked."""
    end = ANSWER_END.encode()
    tmux.wait_until(lambda: end in tmux.captured() and " tok " in tmux.screen(), "the answer")
    return tmux.screen()


def _show_reasoning(tmux: CapturedTmux) -> None:
    """Expand the collapsed reasoning block (a click on its title) and wait until it is drawn."""
    tmux.click("Reasoning (")
    tmux.wait_until(lambda: REASONING_END in tmux.captured(), "the reasoning")


def _capture(tmp_path: Path, home: Path, name: str) -> CapturedTmux:
    return CapturedTmux(tmp_path / f"{name}.sock", home, tmp_path / f"{name}.bytes")


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_a_hostile_answer_never_reaches_the_terminal_live_or_replayed(
    isolated_home: Path, tmp_path: Path, protocol: str
) -> None:
    from craft_tui.chat.history import HistoryStore

    with FakeLLMServer(
        protocol=protocol,  # type: ignore[arg-type]
        reply=HOSTILE_ANSWER,
        reasoning=HOSTILE_REASONING,
        chunk_size=CHUNK,
    ) as server:
        add_connection(server, key=None)

        with _capture(tmp_path, isolated_home, "live") as live:
            live.start(CRAFT_TUI)
            live.wait_for(lambda s: "Message fake-small" in s)
            live.keys("Show me something hostile", literal=True)
            live.keys("Enter")
            screen = _wait_for_answer(live)
            assert_app_output_safe(live.captured(), NEVER_IN_TERMINAL)  # the answer, so far
            _show_reasoning(live)
            data = quit_app(live)
            assert_app_output_safe(data, NEVER_IN_TERMINAL)
            assert_markers_only_disarmed(data, ANSWER_MARKERS)
            assert_terminal_untouched(live)
        assert_answer_on_screen(screen)
        assert len(server.chat_requests) == 1

        # The history keeps what the model sent, control characters and all.
        store = HistoryStore.open()
        conversation_id = store.last_conversation_id()
        assert conversation_id is not None
        _conversation, messages = store.load_conversation(conversation_id)
        assert messages[-1].text == HOSTILE_ANSWER
        assert messages[-1].reasoning == HOSTILE_REASONING

        # Start again: the app reopens the conversation and draws the answer from the history.
        with _capture(tmp_path, isolated_home, "replay") as replay:
            replay.start(CRAFT_TUI)
            end = ANSWER_END.encode()
            replay.wait_until(lambda: end in replay.captured(), "the reopened answer")
            screen = replay.screen()
            assert_app_output_safe(replay.captured(), NEVER_IN_TERMINAL)
            _show_reasoning(replay)
            data = quit_app(replay)
            assert_app_output_safe(data, NEVER_IN_TERMINAL)
            assert_markers_only_disarmed(data, ANSWER_MARKERS)
            assert_terminal_untouched(replay)
        assert "Show me something hostile" in screen
        assert_answer_on_screen(screen)
        assert len(server.chat_requests) == 1  # replayed, not asked again


# -- a hostile error reason ------------------------------------------------------------------

REASON_MARKERS: dict[bytes, bytes] = {
    CLIPBOARD_B64.encode(): f"{SHOWN_ESC}]52;c;".encode(),
    b"PWNED-REASON-TITLE": f"{SHOWN_ESC}]2;".encode(),
    b"PWNED-REASON-C1": f"{SHOWN_ESC}]0;".encode(),
}


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_a_hostile_error_reason_never_reaches_the_terminal_live_or_replayed(
    isolated_home: Path, tmp_path: Path, protocol: str
) -> None:
    """The server's own reason is quoted in the error view (and kept with the conversation):
    quoted disarmed, both when the request fails and when the conversation is reopened."""
    reason = b"HOSTILE-REASON"
    with FakeLLMServer(protocol=protocol, error=hostile_error(protocol)) as server:  # type: ignore[arg-type]
        add_connection(server, key=None)
        for run in ("live", "replay"):
            with _capture(tmp_path, isolated_home, run) as tmux:
                tmux.start(CRAFT_TUI)
                if run == "live":
                    tmux.wait_for(lambda s: "Message fake-small" in s)
                    tmux.keys("Fail for me", literal=True)
                    tmux.keys("Enter")
                # On the bytes, not the screen: a leaked clear-screen must not hide what leaked.
                tmux.wait_until(
                    lambda: (
                        reason in tmux.captured() and b"rejected the request" in tmux.captured()
                    ),
                    f"the error ({run})",
                )
                screen = tmux.screen()
                data = quit_app(tmux)
                assert_app_output_safe(data, ERROR_NEVER_IN_TERMINAL)
                assert_markers_only_disarmed(data, REASON_MARKERS)
                assert_terminal_untouched(tmux)
            assert f"HOSTILE-REASON {SHOWN_ESC}]52;c;{CLIPBOARD_B64}{SHOWN_BEL} then" in screen
        assert len(server.chat_requests) == 1


# -- the harness itself ---------------------------------------------------------------------------


def test_the_harness_sees_raw_sequences(isolated_home: Path, tmp_path: Path) -> None:
    """The same checks on a program that does write the payloads raw: every one trips, so a pass
    above means the app disarmed them, not that tmux or the capture missed them."""
    script = tmp_path / "hostile.py"
    script.write_text(
        "import sys\n"
        "sys.stdout.write('\\x1b[?1049h')\n"
        f"sys.stdout.write({HOSTILE_ANSWER!r})\n"
        "sys.stdout.write('\\x1b[?1049l')\n"
    )
    with _capture(tmp_path, isolated_home, "raw") as tmux:
        tmux.start(f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
        data = tmux.wait_until_exited(LEAVE_ALT_SCREEN)
        # tmux obeyed them: the clipboard write is in a buffer, and the title is the last one
        # set — by the APC, which tmux (like screen) takes as a title too; the 8-bit OSC after it
        # is not obeyed by tmux in UTF-8 mode (other terminals do).
        assert tmux.pane_title() == "Gapc-payload"
        assert CLIPBOARD_COMMAND in tmux.buffers()
        with pytest.raises(AssertionError, match="pane title changed"):
            assert_terminal_untouched(tmux)
    with pytest.raises(AssertionError, match="hostile sequences reached the terminal"):
        assert_app_output_safe(data, NEVER_IN_TERMINAL)
    in_answer = {m: d for m, d in ANSWER_MARKERS.items() if b"REASONING" not in m}
    assert len(in_answer) == len(ANSWER_MARKERS) - 2
    for marker, disarmed in in_answer.items():
        with pytest.raises(AssertionError, match="after"):
            assert_markers_only_disarmed(data, {marker: disarmed})
    # Without the list of payloads, the checks on Textual's grammar still catch each one — all
    # but a hostile SGR (Textual writes SGR itself) and the bidi override (not a control).
    for item in SEQUENCES:
        if item.name not in {"csi-sgr", "bidi"}:
            with pytest.raises(AssertionError):
                assert_app_output_safe(ENTER_ALT_SCREEN + item.dangerous, ())
