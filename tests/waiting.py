"""Waiting on conditions, never on the clock: a test goes on as soon as what it needs holds, and
the timeout only guards against a hang (a loaded machine makes a test slower, never wrong).

For pilot tests see `tests.ui.chat_helpers.wait_until` (it lets the app process its messages
and lay out between checks); this one is for plain asyncio code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

# Seconds. Only ever reached when the awaited condition never comes, so it is generous: on a
# loaded machine (two CPU burners, other test runs) a long walk over a transcript takes a while.
HANG_GUARD = 60.0


async def until(
    predicate: Callable[[], object], what: str = "condition", timeout: float = HANG_GUARD
) -> None:
    """Let the event loop run until `predicate()` is true. Checks at every turn of the loop
    first (a task switch is often all it takes), then every few milliseconds (a thread, a
    socket, a timer)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    turns = 0
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what} never happened (waited {timeout} s)")
        turns += 1
        await asyncio.sleep(0 if turns < 100 else 0.005)
