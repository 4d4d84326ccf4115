"""How much one answer may hold: the cap that stops an endless or enormous stream.

A server that never ends its answer (a loop in the model, a hostile endpoint) would otherwise grow
the client's memory for as long as it keeps sending. The cap counts the UTF-8 bytes of the
answer's text, reasoning and tool-call arguments together, as the driver yields them; the delta that crosses it is
trimmed to what still fits (a character is never cut in half), that head is passed on, and the
stream stops with `ProviderError(ANSWER_TOO_LONG)`: the driver closes the response, and the chat
core keeps and saves what arrived like any partial answer. It lives in the driver's stream so the
app and `craft-tui ask` get exactly the same cap (`settings.max_answer_mb`, via
`ChatRequest.max_answer_bytes`).

Tool-call arguments are handed over whole (`ToolCallReady`, when the answer ends), but they
stream in fragments: the stream parser `hold`s each fragment as it is collected, so endless
arguments stop at the cap too instead of filling memory until the answer ends. A call is never
trimmed (half a JSON text is no call): one that does not fit is dropped and the answer stops.
"""

from __future__ import annotations

from dataclasses import replace

from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import ReasoningDelta, StreamEvent, TextDelta, ToolCallReady

MIB = 1024 * 1024
# A JSON string can be several times the text it carries (`\u0000` is 6 bytes for 1); one line or
# event of the stream may be this many times the cap (plus framing) before it counts as too large.
_LINE_FACTOR = 4
_LINE_SLACK = 64 * 1024


def utf8_size(text: str) -> int:
    """The UTF-8 size of `text` (ASCII, the usual case, is counted without encoding it)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def utf8_head(text: str, size: int) -> str:
    """The longest start of `text` whose UTF-8 form fits in `size` bytes."""
    if text.isascii():
        return text[:size]
    return text.encode("utf-8", "surrogatepass")[:size].decode("utf-8", "ignore")


def answer_too_long(max_bytes: int) -> ProviderError:
    """The error that ends an answer stopped at the cap; names the setting that raises it."""
    megabytes = f"{max_bytes / MIB:.3g}"
    return ProviderError(
        ErrorKind.ANSWER_TOO_LONG,
        f"The answer passed the {megabytes} MB limit and was stopped; what arrived up to the limit is kept.",
        "Raise settings.max_answer_mb in config.toml to allow longer answers.",
    )


class AnswerLimit:
    """Counts one answer's text, reasoning and tool arguments against `max_bytes` (None: no cap)."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self.held = 0  # bytes of tool arguments collected but not yet handed over
        self.reached = False

    @property
    def max_line_bytes(self) -> int | None:
        """The longest stream line or event accepted while reading this answer."""
        if self.max_bytes is None:
            return None
        return self.max_bytes * _LINE_FACTOR + _LINE_SLACK

    def admit(self, event: StreamEvent) -> StreamEvent | None:
        """`event`, trimmed to what still fits (None when nothing of it does). Once the cap is
        reached `reached` is True and the caller stops the stream with `error()`."""
        if isinstance(event, ToolCallReady):
            return self._admit_call(event)
        if self.max_bytes is None or not isinstance(event, TextDelta | ReasoningDelta):
            return event
        size = utf8_size(event.text)
        room = self.max_bytes - self.used
        if size <= room:
            self.used += size
            return event
        self.reached = True
        self.used = self.max_bytes
        head = utf8_head(event.text, room)
        return replace(event, text=head) if head else None

    def hold(self, size: int) -> None:
        """Count `size` more bytes of tool arguments still being collected; raise the cap's error
        once they no longer fit beside what was handed over."""
        self.held += size
        if self.max_bytes is not None and self.used + self.held > self.max_bytes:
            self.reached = True
            raise self.error()

    def _admit_call(self, event: ToolCallReady) -> ToolCallReady | None:
        size = utf8_size(event.call.arguments)
        self.held = max(0, self.held - size)
        if self.max_bytes is None:
            return event
        if self.used + size > self.max_bytes:
            self.reached = True
            self.used = self.max_bytes
            return None
        self.used += size
        return event

    def error(self) -> ProviderError:
        assert self.max_bytes is not None
        return answer_too_long(self.max_bytes)
