"""Every file craft-tui creates is 0600 and every folder 0700, whatever the umask.

Each creation path is tested on its own here, in a subprocess started with the umask under test
(the umask is per process: changing it inside pytest would leak into other tests' threads).
`tests/test_private_files.py` checks a whole realistic run.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import subprocess_env

UMASKS = [0o000, 0o022, 0o077]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_python(home: Path, code: str, umask: int) -> None:
    """Run `code` with CRAFT_TUI_HOME=home under `umask`; fail with its stderr if it fails."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        umask=umask,
    )
    assert result.returncode == 0, result.stderr


def assert_private_tree(root: Path) -> None:
    """`root` and everything below it: folders 0700, files 0600."""
    assert root.is_dir()
    problems = [
        f"{path.relative_to(root.parent)} is {oct(mode(path))}"
        for path in [root, *root.rglob("*")]
        if mode(path) != (0o700 if path.is_dir() else 0o600)
    ]
    assert problems == []


@pytest.mark.parametrize("umask", UMASKS)
def test_the_log_file_is_private(isolated_home: Path, umask: int) -> None:
    run_python(
        isolated_home,
        "import logging\n"
        "from craft_tui.logging_setup import configure_logging\n"
        "configure_logging()\n"
        "logging.getLogger('craft_tui').info('hello')\n",
        umask,
    )
    log = isolated_home / "cache" / "craft-tui.log"
    assert "hello" in log.read_text()
    assert mode(log) == 0o600
    assert_private_tree(isolated_home)


def test_a_log_file_left_readable_by_an_older_version_is_tightened(isolated_home: Path) -> None:
    log = isolated_home / "cache" / "craft-tui.log"
    log.parent.mkdir(parents=True)
    log.write_text("old line\n")
    log.chmod(0o644)
    run_python(
        isolated_home,
        "from craft_tui.logging_setup import configure_logging\nconfigure_logging()\n",
        0o022,
    )
    assert mode(log) == 0o600
    assert log.read_text() == "old line\n"  # appended to, never truncated


@pytest.mark.parametrize("umask", UMASKS)
def test_the_model_cache_creating_the_cache_folder_first_makes_it_private(
    isolated_home: Path, umask: int
) -> None:
    run_python(
        isolated_home,
        "from datetime import UTC, datetime\n"
        "from craft_tui.providers.model_cache import CachedModels, save_cached\n"
        "save_cached(CachedModels(slug='x', base_url='http://127.0.0.1:9/v1',\n"
        "                         fetched_at=datetime.now(UTC), models=()))\n",
        umask,
    )
    assert (isolated_home / "cache" / "models" / "x.json").is_file()
    assert_private_tree(isolated_home)


def test_a_cache_folder_left_0755_is_tightened_but_folders_outside_are_not(
    isolated_home: Path,
) -> None:
    (isolated_home / "cache").mkdir(parents=True)
    (isolated_home / "cache").chmod(0o755)
    isolated_home.chmod(0o755)  # CRAFT_TUI_HOME chosen by the user: may hold other things
    run_python(
        isolated_home,
        "from craft_tui.config import paths\n"
        "paths.ensure_private_dir(paths.cache_dir() / 'models')\n",
        0o022,
    )
    assert mode(isolated_home / "cache") == 0o700
    assert mode(isolated_home / "cache" / "models") == 0o700
    assert mode(isolated_home) == 0o755  # not craft-tui's own: never changed


@pytest.mark.parametrize("umask", UMASKS)
def test_history_database_and_its_wal_and_shm_files_are_private(
    isolated_home: Path, umask: int
) -> None:
    # The files are checked while the database is open: SQLite removes -wal and -shm on close.
    run_python(
        isolated_home,
        "import stat\n"
        "from craft_tui.chat.history import HistoryStore\n"
        "from craft_tui.config import paths\n"
        "store = HistoryStore.open()\n"
        "conv = store.create_conversation(connection_slug='x', model='m')\n"
        "store.add_message(conv.id, parent_id=None, role='user', text='hi')\n"
        "db = paths.history_file()\n"
        "names = sorted(p.name for p in db.parent.iterdir())\n"
        "assert names == ['history.db', 'history.db-shm', 'history.db-wal'], names\n"
        "for path in db.parent.iterdir():\n"
        "    assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path, oct(path.stat().st_mode))\n"
        "assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700\n"
        "store.close()\n",
        umask,
    )
    assert_private_tree(isolated_home)


def test_a_history_database_left_0644_is_tightened(isolated_home: Path) -> None:
    db = isolated_home / "data" / "history.db"
    db.parent.mkdir(parents=True)
    db.touch()
    db.chmod(0o644)
    run_python(
        isolated_home,
        "from craft_tui.chat.history import HistoryStore\nHistoryStore.open().close()\n",
        0o022,
    )
    assert mode(db) == 0o600


@pytest.mark.parametrize("umask", UMASKS)
def test_config_credentials_and_their_missing_parents_are_private(
    isolated_home: Path, umask: int
) -> None:
    run_python(
        isolated_home,
        "from craft_tui.config.schema import Config, Connection\n"
        "from craft_tui.config.secrets import SecretStore\n"
        "from craft_tui.config.store import save_config\n"
        "save_config(Config(connections=[Connection(slug='x', name='X', protocol='openai',\n"
        "                                           base_url='http://127.0.0.1:9/v1')]))\n"
        "SecretStore.open().set('x', 'sk-test-private-0123456789')\n",
        umask,
    )
    assert (isolated_home / "config" / "config.toml").is_file()
    assert (isolated_home / "config" / "credentials.toml").is_file()
    assert_private_tree(isolated_home)  # CRAFT_TUI_HOME itself was created by the write


def test_atomic_write_creates_every_missing_parent_private(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c.txt"
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from craft_tui.config.atomic import atomic_write_text\n"
        f"atomic_write_text(Path({str(target)!r}), 'x')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, umask=0
    )
    assert result.returncode == 0, result.stderr
    assert mode(target) == 0o600
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700
    assert os.listdir(target.parent) == ["c.txt"]  # no temp file left behind
