"""Outside text made safe to show: what a model, a server, a file or a user wrote is data.

Terminals act on control characters. An answer holding `ESC ] 52 ; c ; …` would write the user's
clipboard, `ESC ] 0 ; …` would retitle the window, `ESC [ 2 J` would clear the screen — and since
answers are stored, the same would happen every time the conversation is reopened. A model id with
a newline would split a picker row; a right-to-left override would make `evil‮txt.exe` read as
`evilexe.txt`.

Every terminal control sequence begins with a control character: ESC (CSI, OSC, DCS, APC, PM, SOS,
whatever their terminator) or one of the C1 controls U+0080–U+009F that 8-bit terminals read as
the same introducers. Replacing each control character with a visible stand-in therefore disarms
the whole sequence — the rest of it is ordinary printable text — and, being one character for one,
works the same however a stream was cut into chunks. The user sees that something was there
(`␛]0;title␇`) instead of it vanishing or running.

Rules:
- `shown(text)` — for text that may span lines (answers, reasoning, prompts, tool output, error
  details): C0 controls other than newline and tab become their Control Pictures (ESC → `␛`),
  DEL → `␡`, a C1 control → `␛` plus the 7-bit letter it stands for (U+009B → `␛[`). A carriage
  return before a newline (or ending a chunk, the `\\r` of a split `\\r\\n`) is dropped; any other
  becomes `␍`, since a bare CR lets text overwrite the start of its own line.
- `shown_inline(text)` — for one-line names (model ids and names, connection names, conversation
  titles, file paths, server reasons): the same, and newline → `␤`, tab → `␉`, other line or
  paragraph separators → `␤`, and bidirectional overrides and isolates (U+202A–U+202E,
  U+2066–U+2069) shown as `⟨U+202E⟩`, so a name reads in the order its characters are stored.
- `plain(text)` / `plain_inline(text)` — the same, as a Textual `Content` that is never parsed as
  markup: `[/]`, `[bold]` or `list[int]` show exactly as written.

Stored text stays as it was received (the history keeps the truth); this is for display only.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from textual.content import Content

__all__ = ["DisarmedStream", "plain", "plain_inline", "raw_stream", "shown", "shown_inline"]

_ESC = 0x1B


def _control_picture(code: int) -> str:
    """The visible stand-in for one control character."""
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (ESC is ␛)
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\u241b" + chr(code - 0x40)  # C1: the ESC + letter it is short for (U+009B → ␛[)


# Multi-line text keeps newline and tab; CR is handled by the pattern below.
_BLOCK_TABLE = {
    code: _control_picture(code)
    for code in (*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0))
    if code not in (0x09, 0x0A, 0x0D)
}
_BLOCK_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_BIDI = (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
_INLINE_TABLE = {
    **_BLOCK_TABLE,
    0x09: "\u2409",  # ␉
    0x0A: "\u2424",  # ␤
    0x0D: "\u240d",  # ␍
    0x0B: "\u2424",
    0x0C: "\u2424",
    0x85: "\u2424",  # NEXT LINE, a line break to str.splitlines
    0x2028: "\u2424",
    0x2029: "\u2424",
    **{code: f"⟨U+{code:04X}⟩" for code in _BIDI},
}
_INLINE_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# CR before LF or at the end (the first half of a CRLF cut between two chunks) is dropped.
_CR_BEFORE_LF = re.compile("\r(?=\n|\\Z)")


def shown(text: str) -> str:
    """Multi-line outside text, safe to write to a terminal or a widget (see the module doc)."""
    if _BLOCK_UNSAFE.search(text) is None and "\r" not in text:
        return text  # the common case: one C-level scan, no copy
    if "\r" in text:
        text = _CR_BEFORE_LF.sub("", text).replace("\r", "\u240d")
    return text.translate(_BLOCK_TABLE)


def shown_inline(text: str) -> str:
    """One-line outside text (a name, an id, a title, a reason): nothing in it breaks the line,
    moves the cursor, reorders what follows, or reaches the terminal as a control."""
    if _INLINE_UNSAFE.search(text) is None:
        return text
    return text.translate(_INLINE_TABLE)


def plain(text: str) -> Content:
    """`shown(text)` as Textual Content: never parsed as markup."""
    from textual.content import Content

    return Content(shown(text))


def plain_inline(text: str) -> Content:
    """`shown_inline(text)` as Textual Content: never parsed as markup."""
    from textual.content import Content

    return Content(shown_inline(text))


class DisarmedStream(io.TextIOBase):
    """A text stream that writes everything through `shown`: the command line's stdout and
    stderr, so no path — a table, an error line, argparse echoing an argument — can put a control
    sequence on the user's terminal. `raw` is the stream underneath, for the few writes that are
    ours (a dim style around reasoning) or that the user asked to be byte-exact (`ask --raw`)."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(shown(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.raw.encoding


def raw_stream(stream: TextIO) -> TextIO:
    """The stream under a `DisarmedStream` (or `stream` itself): for bytes we mean to send."""
    return stream.raw if isinstance(stream, DisarmedStream) else stream
