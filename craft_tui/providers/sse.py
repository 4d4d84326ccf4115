"""Server-sent events off an httpx response, via `httpx-sse`.

`httpx-sse` gets every framing case right that the tests throw at it (multi-line `data:`, `event:`
fields, CRLF and lone CR, comments, a stream split at every byte offset, UTF-8 split across chunks),
so this module only adds what it lacks: tolerance of a missing or wrong `Content-Type` (some local
servers and proxies send `text/plain` or nothing for a real event stream).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from httpx_sse import EventSource


@dataclass(frozen=True, slots=True)
class Event:
    """One SSE event: its name ('message' when none was given) and its joined data lines."""

    event: str
    data: str


class _LenientEventSource(EventSource):
    """The callers check the content type themselves (JSON and HTML answers are handled apart)."""

    def _check_content_type(self) -> None:
        return None


async def iter_events(response: httpx.Response) -> AsyncIterator[Event]:
    """Yield the events of `response` as they arrive (comments and keep-alives are skipped)."""
    async for sse in _LenientEventSource(response).aiter_sse():
        if not sse.data.strip():
            continue  # no payload: a bare `id:`/`retry:` block, or `event: ping` without data
        yield Event(sse.event or "message", sse.data)
