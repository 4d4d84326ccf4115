"""Which answers are being written right now, by any craft-tui process on this history.

An answer without an end (`finish_reason` None) is either still streaming or was cut off when its
process died. Each process that streams an answer holds a lease on it: an exclusive `flock` on
`live/<message id>.lock` beside `history.db`, taken when the row is created and dropped when the
answer ends. The OS drops the lock when the process dies, however it dies, so there is no
heartbeat to keep and nothing stale to time out: a second app (or `craft-tui ask`) opening the
conversation asks `written_elsewhere`, and only an answer nobody holds is called interrupted.

Where there is no `fcntl` (Windows) no lease is taken and every answer without an end is taken
for interrupted, as before.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _lock_path(history_path: Path, message_id: str) -> Path:
    safe = "".join(c for c in message_id if c.isalnum() or c in "-_")
    return history_path.parent / "live" / f"{safe}.lock"


class AnswerLease:
    """Held while this process writes the answer `message_id`; `release` (or the process's
    end) lets it go."""

    def __init__(self, history_path: Path, message_id: str) -> None:
        self._path = _lock_path(history_path, message_id)
        self._fd: int | None = None
        if fcntl is None:
            return
        try:
            self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return  # no lease: the answer is still written; another app may call it interrupted
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            self._path.unlink()
        os.close(fd)  # closing drops the lock

    def __del__(self) -> None:
        self.release()


def written_elsewhere(history_path: Path, message_id: str) -> bool:
    """True when another process (or another open history in this one) holds the answer's
    lease: it is being written now. A lock file nobody holds is left over from a process that
    died (it is left: removing it could race a lease being taken on it)."""
    if fcntl is None:
        return False
    path = _lock_path(history_path, message_id)
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        return False
    finally:
        os.close(fd)
