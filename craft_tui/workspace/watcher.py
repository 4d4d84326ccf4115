"""Notice when a file changes underneath the app: another process, or an editor, saved it.

Polling, not inotify or `watchfiles`: one `os.stat` per interval costs microseconds and needs no
dependency, no thread and no platform code; it sees every way a file gets replaced (an editor's
rename-over, `craft-tui connection add`'s atomic write, a network home directory where inotify
sees nothing); and a half-second delay is well inside what a person notices after switching
windows. A change is recognised by the file's inode, size and modification time in nanoseconds,
so an atomic replace is seen even when the size and second stay the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

Signature = tuple[int, int, int] | None
"""(inode, size, mtime_ns) of a file; None when it does not exist."""

DEFAULT_INTERVAL_S = 0.5


def signature(path: Path) -> Signature:
    """The file's identity as the watcher compares it (one stat)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_ino, status.st_size, status.st_mtime_ns)


class FileWatcher:
    """Calls `on_change` (awaited, on the loop that started the watcher) each time the file's
    signature differs from the one last seen; `seen` records a change this process made itself."""

    def __init__(
        self,
        path: Path,
        on_change: Callable[[], Awaitable[object]],
        interval: float = DEFAULT_INTERVAL_S,
    ) -> None:
        self.path = path
        self.interval = interval
        self._on_change = on_change
        self._last: Signature = signature(path)
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def seen(self, current: Signature | None = None) -> None:
        """The file is as this process knows it (just read, or just written by it)."""
        self._last = signature(self.path) if current is None else current

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"watch {self.path.name}"
            )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            current = signature(self.path)
            if current == self._last:
                continue
            self._last = current
            try:
                await self._on_change()
            except Exception:  # a failed reload must not end the watching
                import logging

                logging.getLogger(__name__).exception("reacting to a change of %s", self.path)
