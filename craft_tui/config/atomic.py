"""Crash-safe file replacement: the old file stays whole until the new one is complete on disk."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from craft_tui.config.paths import PRIVATE_FILE_MODE, ensure_private_dir


def atomic_write_text(path: Path, text: str, mode: int = PRIVATE_FILE_MODE) -> None:
    """Write `text` to `path` via a temp file in the same folder, fsync, then rename over it.

    A crash at any point leaves either the old file or the new one, never a torn mix; the file is
    created with `mode` (private by default) before any byte is written, and its folder 0700.
    """
    ensure_private_dir(path.parent)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where directories cannot be opened."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
