"""The app in tmux with every byte it writes recorded, and checks that none of it is hostile.

`CapturedTmux` is one private tmux server whose pane records every byte the app writes to its
terminal from the first one on (`pipe-pane`); `set-clipboard on` makes tmux store an OSC 52
clipboard write in a paste buffer, and OSC 0/2 (and APC, which tmux also takes as a title) set
the pane title — so an escape that got through would be seen three ways.

Textual draws with CSI of its own (SGR, absolute cursor positions, private modes, keyboard and
sync queries) and OSC 22 (the mouse pointer shape, BEL-terminated); `assert_app_output_safe`
allows exactly those, and looks for the hostile payloads themselves by their marker text
(`tests/servers/hostile.py`).
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.tmux import CRAFT_TUI, Tmux
from tests.servers.hostile import c1_free

__all__ = [
    "CRAFT_TUI",
    "ENTER_ALT_SCREEN",
    "LEAVE_ALT_SCREEN",
    "CapturedTmux",
    "assert_app_output_safe",
    "assert_markers_only_disarmed",
    "assert_terminal_untouched",
    "quit_app",
]

WIDTH, HEIGHT = 120, 70  # tall enough for the whole hostile answer on one screen

_OSC = re.compile(rb"\x1b\](\d*)")
_TEXTUAL_OSC = re.compile(rb"\x1b\]22;[^\x07\x1b]*(?:\x07|\x1b\\)")  # pointer shape
_CSI = re.compile(rb"\x1b\[[0-9;?<>=$ ]*[@-~]")
_SGR = re.compile(rb"\x1b\[[0-9;]*m")


class CapturedTmux(Tmux):
    """A private tmux server whose one pane records every byte the app writes (`pipe-pane`),
    stores OSC 52 clipboard writes in paste buffers (`set-clipboard on`), and stays after the
    app exits (`remain-on-exit`) so its title and buffers can be read."""

    def __init__(self, socket: Path, home: Path, capture: Path) -> None:
        super().__init__(socket, home)
        self.capture = capture
        # pytest-xdist workers run with COLUMNS=80 LINES=24; the tmux server hands its environment
        # to the pane, and Textual would take that size over the pane's.
        for name in ("COLUMNS", "LINES"):
            self.env.pop(name, None)

    def start(
        self, command: str, width: int = WIDTH, height: int = HEIGHT, *then: tuple[str, ...]
    ) -> None:
        """The app in a pane that records every byte (`pipe-pane`), keeps OSC 52 writes as paste
        buffers (`set-clipboard on`) and stays after the app exits (`remain-on-exit`)."""
        super().start(
            command,
            width,
            height,
            ("set-option", "-g", "set-clipboard", "on"),
            ("set-option", "-g", "remain-on-exit", "on"),
            ("pipe-pane", "-o", f"cat >> {shlex.quote(str(self.capture))}"),
            *then,
        )

    def display(self, format: str) -> str:
        return self._tmux("display-message", "-p", format).stdout.rstrip("\n")

    def pane_title(self) -> str:
        return self.display("#{pane_title}")

    def host(self) -> str:
        return self.display("#{host}")

    def buffers(self) -> str:
        return self._tmux("list-buffers").stdout

    def __enter__(self) -> CapturedTmux:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()

    def captured(self) -> bytes:
        return self.capture.read_bytes() if self.capture.exists() else b""

    def click(self, text: str) -> None:
        """A left click on the first cell of `text` on the screen (an SGR mouse report, as the
        terminal would send it; Textual turns mouse reporting on)."""
        for row, line in enumerate(self.screen().splitlines()):
            col = line.find(text)
            if col >= 0:
                at = f"{col + 1};{row + 1}"
                self.keys(f"\x1b[<0;{at}M\x1b[<0;{at}m", literal=True)
                return
        raise AssertionError(f"{text!r} is not on the screen:\n{self.screen()}")

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {what}; last screen:\n{self.screen()}")
            time.sleep(0.05)

    def wait_until_exited(self, exit_sequence: bytes, timeout: float = 30.0) -> bytes:
        """Wait for the app's process to end and its last bytes to reach the capture file."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.captured()
            if self.display("#{pane_dead}") == "1" and exit_sequence in data:
                return data
            time.sleep(0.05)
        raise AssertionError(
            f"the app did not exit; last screen:\n{self.screen()}\ncaptured tail: "
            f"{self.captured()[-300:]!r}"
        )


def quit_app(tmux: CapturedTmux) -> bytes:
    """Ctrl+Q, then everything the app wrote, once it has exited."""
    tmux.keys("C-q")
    return tmux.wait_until_exited(LEAVE_ALT_SCREEN)


# -- what the app may write -------------------------------------------------------------------

ENTER_ALT_SCREEN = b"\x1b[?1049h"  # Textual's first write
LEAVE_ALT_SCREEN = b"\x1b[?1049l"  # and (nearly) its last


def assert_app_output_safe(data: bytes, forbidden: tuple[bytes, ...]) -> None:
    """What the app wrote holds Textual's own drawing and nothing a hostile server sent."""
    assert data.startswith(ENTER_ALT_SCREEN), f"capture missed the start: {data[:80]!r}"
    found = [sequence for sequence in forbidden if sequence in data]
    assert not found, f"hostile sequences reached the terminal: {found}; {_context(data, found[0])}"
    # OSC: only Textual's pointer shape (22); never a title (0, 2) or the clipboard (52).
    assert set(_OSC.findall(data)) <= {b"22"}, sorted(set(_OSC.findall(data)))
    rest = _TEXTUAL_OSC.sub(b"", data)
    # DCS, APC, PM, SOS: Textual writes none; nor does it clear the screen, move the cursor
    # relatively or save/restore it (it positions with CSI row;col H).
    for introducer in (b"\x1bP", b"\x1b_", b"\x1b^", b"\x1bX", b"\x1b7", b"\x1b8"):
        assert introducer not in rest, f"{introducer!r} reached the terminal"
    csi = {match.group() for match in _CSI.finditer(rest)}
    odd = sorted(s for s in csi if s[-1:] in b"JKABCDEFGfST")
    assert not odd, f"screen-clearing or cursor-moving CSI reached the terminal: {odd}"
    # Every ESC left starts a CSI; no BEL, backspace, bare CR (the pty turns LF into CRLF) or C1.
    without_csi = _CSI.sub(b"", rest)
    # The capture can stop mid-write (the pane is killed while a frame is being written): a CSI
    # cut at the very end of the data is Textual's own, not something that got through.
    without_csi = re.sub(rb"\x1b(\[[0-9;?<=>]*)?\Z", b"", without_csi)
    assert b"\x1b" not in without_csi, _context(without_csi, b"\x1b")
    assert b"\x07" not in without_csi, _context(without_csi, b"\x07")
    assert b"\x08" not in without_csi, _context(without_csi, b"\x08")
    assert re.search(rb"\r(?!\n)", without_csi) is None, _context(without_csi, b"\r")
    assert c1_free(without_csi), "a raw C1 control reached the terminal"


def _context(data: bytes, needle: bytes) -> str:
    at = data.find(needle)
    return f"{needle!r} reached the terminal: …{data[max(at - 60, 0) : at + 60]!r}…"


def assert_markers_only_disarmed(data: bytes, markers: dict[bytes, bytes]) -> None:
    """Each `marker` (text a hostile sequence carried) appears only right after its disarmed
    introducer (`␛]0;` …), never after a live one. Textual's SGR codes are ignored, in case the
    stand-ins are styled apart from the text around them."""
    text = _SGR.sub(b"", data)
    for marker, disarmed in markers.items():
        positions = [m.start() for m in re.finditer(re.escape(marker), text)]
        assert positions, f"{marker!r} was never drawn"
        for at in positions:
            before = text[max(at - len(disarmed), 0) : at]
            assert before == disarmed, f"{marker!r} after {before!r}, not {disarmed!r}"


def assert_terminal_untouched(tmux: CapturedTmux) -> None:
    assert tmux.pane_title() == tmux.host(), f"the pane title changed: {tmux.pane_title()!r}"
    buffers = tmux.buffers()
    assert buffers == "", f"a clipboard write reached tmux: {buffers!r}"
