"""Every user directory craft-tui touches, in one place.

Nothing else in the package builds a path to a user directory. `CRAFT_TUI_HOME` puts config, data and
cache under one folder (tests, portable installs); otherwise platformdirs decides per OS.

Everything craft-tui writes holds something private (keys, conversations, the servers a person
uses), so every folder it creates is 0700 and every file 0600 whatever the umask: the two helpers
at the end are the only way the package creates a folder or a file that is not written atomically
(`atomic.py` uses them too). Python's `mkdir(mode=...)`, `open()`, `logging.FileHandler` and SQLite
all pass their mode through the umask (SQLite creates with 0644), so each creation is followed by
an explicit chmod.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from craft_tui import APP_NAME

HOME_ENV = "CRAFT_TUI_HOME"


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV, "").strip()
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """Folder of `config.toml` and the fallback `credentials.toml`."""
    home = _home()
    if home is not None:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Folder of `history.db`."""
    home = _home()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Folder of the model-list cache; anything here may be deleted at any time."""
    home = _home()
    if home is not None:
        return home / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


def credentials_file() -> Path:
    return config_dir() / "credentials.toml"


KEYRING_INDEX_NAME = "keyring-slugs.json"


def keyring_index_file() -> Path:
    """Which connections have a key in the system keyring (slugs only; the keyring cannot be
    listed, and keys of removed connections must be found to be deleted)."""
    return config_dir() / KEYRING_INDEX_NAME


def history_file() -> Path:
    return data_dir() / "history.db"


def log_file() -> Path:
    return cache_dir() / "craft-tui.log"


def state_file() -> Path:
    """Runtime state (last use, favourites, recent models, last conversation): not config, so
    beside the history rather than in `config.toml`."""
    return data_dir() / "state.json"


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def _own_folders() -> tuple[Path, ...]:
    """craft-tui's own folders: these (and what is inside them) are tightened when found looser.

    Not `CRAFT_TUI_HOME` itself: it may be a folder the user chose for other things too (it is
    created 0700 when craft-tui creates it).
    """
    return (config_dir(), data_dir(), cache_dir())


def _is_own(folder: Path, own: tuple[Path, ...]) -> bool:
    return any(folder == root or root in folder.parents for root in own)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700, whatever the umask; return it.

    A missing parent is created 0700 too (as the XDG spec asks for `~/.cache` and friends). A
    folder of craft-tui's own on the way (e.g. `cache/` above `cache/models/`) found looser, left by
    an older version or another tool, is tightened; folders that are not craft-tui's (`~`, `~/.cache`)
    are never changed.
    """
    missing: list[Path] = []
    current = path
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            if not folder.is_dir():
                raise
            continue  # another process made it first: tightened below if it is ours
        os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode went through the umask
    own = _own_folders()
    for folder in (path, *path.parents):
        if not _is_own(folder, own):
            continue
        with contextlib.suppress(OSError):  # not ours to change (another owner): leave it
            if stat.S_IMODE(folder.stat().st_mode) != PRIVATE_DIR_MODE:
                os.chmod(folder, PRIVATE_DIR_MODE)
    return path


def ensure_private_file(path: Path) -> Path:
    """Make sure `path` exists as a file only the user can read and write (0600); return it.

    For files that something else then opens with the umask (the log's `FileHandler`, SQLite's
    database, whose `-wal` and `-shm` files copy its mode): creating it here first, and tightening
    one an older version left 0644, is what keeps them private. Never truncates.
    """
    ensure_private_dir(path.parent)
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) != PRIVATE_FILE_MODE:
            # A file just created is ours and always changes; one of another owner cannot.
            with contextlib.suppress(PermissionError):
                os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return path
