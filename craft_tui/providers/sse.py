"""Server-sent events off an httpx response, read in linear time and bounded memory.

Framing follows the WHATWG event-stream rules: lines end in LF, CRLF or a lone CR (a CR at the end
of one read and an LF at the start of the next are one line end), `:` starts a comment, `data:`
lines of one event are joined with newlines, one space after the colon is dropped, an event ends at
a blank line, a trailing event without one is dropped, and a byte-order mark at the very start is
skipped. The `Content-Type` is not checked here (some local servers and proxies send `text/plain`
or nothing for a real event stream; the driver handles JSON and HTML answers apart).

Why not a generic SSE library: one event can be megabytes (a whole answer in one delta, or a hostile
server's endless line). Here every byte is scanned once — a line still open is held as the list of
reads it came in and joined once, when it ends — and a line or event longer than `max_line_bytes`
stops the stream with `EventTooLarge` instead of growing memory until the machine swaps. Lines are
split on bytes and decoded whole, so UTF-8 characters cut between two reads need no care.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

_LINE_END = re.compile(rb"[\r\n]")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Event:
    """One SSE event: its name ('message' when none was given) and its joined data lines."""

    event: str
    data: str


class EventTooLarge(Exception):
    """A line or event of the stream passed the size it may have (see `iter_events`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"an event-stream line or event passed {limit} bytes")
        self.limit = limit


def _scan(chunk: bytes, start: int, has_cr: bool) -> int:
    """Index of the first line end in `chunk` at or after `start`, or -1.

    Every search for a line end goes through here (a test counts the bytes it looks at); with no
    CR in the read it is a plain `find`, which is much faster than the regular expression.
    """
    if not has_cr:
        return chunk.find(b"\n", start)
    match = _LINE_END.search(chunk, start)
    return -1 if match is None else match.start()


class LineSplitter:
    """Cuts a byte stream into lines (without their line ends), holding at most `max_line` bytes
    of a line that has not ended yet."""

    def __init__(self, max_line: int | None = None) -> None:
        self._max_line = max_line
        self._parts: list[bytes] = []  # reads of the line still open, joined once it ends
        self._held = 0
        self._after_cr = False  # the last read ended in CR: an LF first in the next one is its pair

    @property
    def held(self) -> int:
        """Bytes of the open line held now."""
        return self._held

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines that `chunk` completes, in order."""
        lines: list[bytes] = []
        if not chunk:
            return lines
        start = 0
        if self._after_cr:
            self._after_cr = False
            if chunk[:1] == b"\n":
                start = 1
        size = len(chunk)
        has_cr = b"\r" in chunk
        while start < size:
            end = _scan(chunk, start, has_cr)
            if end < 0:
                self._hold(chunk[start:] if start else chunk)
                break
            piece = chunk[start:end]
            if self._parts:
                self._hold(piece)
                piece = b"".join(self._parts)
                self._parts = []
                self._held = 0
            elif self._max_line is not None and len(piece) > self._max_line:
                raise EventTooLarge(self._max_line)
            lines.append(piece)
            if chunk[end] == 0x0D:  # CR: CRLF is one line end
                if end + 1 == size:
                    self._after_cr = True
                    start = size
                else:
                    start = end + 2 if chunk[end + 1] == 0x0A else end + 1
            else:
                start = end + 1
        return lines

    def _hold(self, part: bytes) -> None:
        self._held += len(part)
        if self._max_line is not None and self._held > self._max_line:
            raise EventTooLarge(self._max_line)
        self._parts.append(part)

    def flush(self) -> bytes | None:
        """The last line, when the stream ended without a line end (None when there is none)."""
        if not self._parts:
            return None
        line = b"".join(self._parts)
        self._parts = []
        self._held = 0
        return line


class EventDecoder:
    """Turns lines into events by the event-stream rules; the `data` of one event may hold at most
    `max_data` characters (its lines are joined once, when the event ends)."""

    def __init__(self, max_data: int | None = None) -> None:
        self._max_data = max_data
        self._event = ""
        self._data: list[str] = []
        self._size = 0
        self._first = True

    def decode(self, line: bytes) -> Event | None:
        """The event that `line` completes, if it is a blank line ending one with data."""
        if self._first:
            self._first = False
            if line.startswith(_BOM):
                line = line[len(_BOM) :]
        if not line:
            if not self._data:
                self._event = ""
                return None
            event = Event(self._event or "message", "\n".join(self._data))
            self._event = ""
            self._data = []
            self._size = 0
            return event
        if line[:1] == b":":
            return None  # a comment (OpenRouter's keep-alives)
        colon = line.find(b":")
        if colon < 0:
            name, start = line, len(line)
        else:
            name, start = line[:colon], colon + 1
            if line[start : start + 1] == b" ":
                start += 1
        if name == b"data":
            # Decoded straight from the line's bytes: a multi-megabyte value is copied once.
            value = str(memoryview(line)[start:], "utf-8", "replace")
            self._size += len(value) + 1
            if self._max_data is not None and self._size > self._max_data:
                raise EventTooLarge(self._max_data)
            self._data.append(value)
        elif name == b"event":
            self._event = line[start:].decode("utf-8", "replace")
        return None  # `id`, `retry` and unknown fields are not used


async def iter_events(
    response: httpx.Response, *, max_line_bytes: int | None = None
) -> AsyncIterator[Event]:
    """Yield the events of `response` as they arrive (comments and keep-alives are skipped).

    `max_line_bytes` bounds one line and one event's data; past it `EventTooLarge` is raised, so
    a stream that never ends a line cannot grow memory without bound.
    """
    lines = LineSplitter(max_line_bytes)
    decoder = EventDecoder(max_line_bytes)
    async for chunk in response.aiter_bytes():
        for line in lines.feed(chunk):
            event = decoder.decode(line)
            if event is not None and event.data and not event.data.isspace():
                yield event
    last = lines.flush()
    if last is not None:
        decoder.decode(last)  # a line after the last blank line completes no event
