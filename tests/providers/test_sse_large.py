"""SSE framing of enormous events: a 10 MB line arrives in many reads and is scanned once (counted
in bytes looked at, not timed), held as its reads until it ends, and joined once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from craft_tui.providers import sse
from craft_tui.providers.sse import EventTooLarge, LineSplitter, iter_events

READ = 64 * 1024


async def _reads(data: bytes, size: int = READ) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _response(data: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_reads(data))


async def test_a_ten_megabyte_line_is_scanned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_at = 0
    scan = sse._scan

    def counting(chunk: bytes, start: int, has_cr: bool) -> int:
        nonlocal looked_at
        found = scan(chunk, start, has_cr)
        looked_at += (found + 1 if found >= 0 else len(chunk)) - start
        return found

    monkeypatch.setattr(sse, "_scan", counting)
    value = "é" * 100 + "x" * (10 * 1024 * 1024)  # UTF-8 cut between reads, too
    data = b'event: message\ndata: {"text": "' + value.encode() + b'"}\n\ndata: [DONE]\n\n'
    events = [event async for event in iter_events(_response(data))]
    assert [e.data[-2:] for e in events] == ['"}', "E]"]
    assert events[0].data == '{"text": "' + value + '"}'
    assert looked_at <= len(data)  # every byte looked at once at most: linear, never rescanned


def test_an_open_line_is_held_as_its_reads_and_joined_once() -> None:
    splitter = LineSplitter()
    for count in range(1, 161):
        assert splitter.feed(b"x" * READ) == []
        assert len(splitter._parts) == count
    assert splitter.held == 160 * READ
    assert splitter.feed(b"\r\nnext") == [b"x" * (160 * READ)]
    assert splitter.held == 4


def test_a_line_longer_than_the_bound_stops_with_event_too_large() -> None:
    splitter = LineSplitter(max_line=10 * READ)
    with pytest.raises(EventTooLarge):
        for _ in range(100):
            splitter.feed(b"y" * READ)
    assert splitter.held <= 11 * READ  # held at most the bound and one read


async def test_many_data_lines_past_the_bound_also_stop() -> None:
    data = b"".join(b"data: " + b"z" * 1000 + b"\n" for _ in range(200)) + b"\n"
    with pytest.raises(EventTooLarge):
        async for _ in iter_events(_response(data), max_line_bytes=50_000):
            pass
