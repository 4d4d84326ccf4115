"""Every user directory craft-tui touches, in one place.

Nothing else in the package builds a path to a user directory. `CRAFT_TUI_HOME` puts config, data and
cache under one folder (tests, portable installs); otherwise platformdirs decides per OS.
"""

from __future__ import annotations

import os
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


def history_file() -> Path:
    return data_dir() / "history.db"


def log_file() -> Path:
    return cache_dir() / "craft-tui.log"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable only by the user; return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
