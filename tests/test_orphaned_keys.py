"""A process killed between writing config.toml and storing or deleting a key never leaves a key
for a connection that does not exist, or not beyond the next command or app start.

The kill is deterministic, not a timing race: the command runs in a subprocess whose `os.replace`
(the last step of every durable write: config.toml, credentials.toml, the keyring record and the
test keyring, see `tests/fake_keyring.py`) SIGKILLs the process right before or right after its
N-th call. Every N is tried, for the file store and for a keyring, until the command completes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import subprocess_env
from tests.fake_keyring import FILE_ENV, entries

REPO = Path(__file__).resolve().parents[1]
PROBE = Path(__file__).with_name("first_frame_probe.py")
KEY = "sk-test-orphan-" + "0123456789abcdef"  # built: not shaped like a real provider key

# `craft-tui ARGS`, SIGKILLed right `KILL_WHEN` ("before"/"after") its `KILL_AT`-th os.replace
# into `KILL_ROOT` (KILL_AT=0: never).
KILLABLE = """
import os, signal, sys
root, at, when = os.environ["KILL_ROOT"], int(os.environ["KILL_AT"]), os.environ["KILL_WHEN"]
real_replace = os.replace
count = 0

def replace(src, dst, *args, **kwargs):
    global count
    if not os.fspath(dst).startswith(root):
        return real_replace(src, dst, *args, **kwargs)
    count += 1
    if count == at and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst, *args, **kwargs)
    if count == at and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)

os.replace = replace
from craft_tui import cli
raise SystemExit(cli.main(sys.argv[1:]))
"""


class Home:
    """One CRAFT_TUI_HOME and its keyring file, and the commands that run against them."""

    def __init__(self, root: Path, store: str) -> None:
        self.root = root
        self.path = root / "home"
        self.keyring = root / "keyring.json"
        self.store = store

    def env(self, **extra: str) -> dict[str, str]:
        if self.store == "file":
            return subprocess_env(self.path, **extra)
        return subprocess_env(
            self.path,
            CRAFT_TUI_SECRETS="keyring",
            PYTHON_KEYRING_BACKEND="tests.fake_keyring.FileKeyring",
            **{FILE_ENV: str(self.keyring)},
            **extra,
        )

    def run(
        self, *args: str, kill_at: int = 0, when: str = "before", stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", KILLABLE, *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=REPO,  # so the keyring backend `tests.fake_keyring` can be imported
            env=self.env(KILL_ROOT=str(self.root), KILL_AT=str(kill_at), KILL_WHEN=when),
            timeout=60,
            check=False,
        )

    def add(self, name: str, *, kill_at: int = 0, when: str = "before") -> int:
        result = self.run(
            "connection", "add", name, "--protocol", "openai",
            "--base-url", "http://127.0.0.1:9/v1", "--api-key-stdin",
            kill_at=kill_at, when=when, stdin=KEY + "\n",
        )  # fmt: skip
        assert result.returncode in (0, -signal.SIGKILL), result.stderr
        return result.returncode

    def stored_keys(self) -> set[str]:
        """Slugs that have a key: in credentials.toml, and in the (test) system keyring."""
        slugs: set[str] = set()
        credentials = self.path / "config" / "credentials.toml"
        if credentials.exists():
            slugs |= set(tomllib.loads(credentials.read_text()).get("keys", {}))
        slugs |= {name.split("/", 1)[1] for name in entries(self.keyring)}
        return slugs

    def connections(self) -> set[str]:
        config = self.path / "config" / "config.toml"
        if not config.exists():
            return set()
        return {c["slug"] for c in tomllib.loads(config.read_text()).get("connections", [])}

    def orphans(self) -> set[str]:
        return self.stored_keys() - self.connections()


def every_kill_point(start: Home, command: Callable[[Home, int, str], int]) -> Iterator[Home]:
    """Yield a copy of `start` after `command` was killed at each write in turn (right before,
    then right after it), until the command completes."""
    for kill_at in range(1, 12):
        for when in ("before", "after"):
            home = Home(start.root.parent / f"{kill_at}-{when}", start.store)
            home.root.mkdir()
            if start.path.exists():
                shutil.copytree(start.path, home.path)
            if start.keyring.exists():
                shutil.copy2(start.keyring, home.keyring)
            if command(home, kill_at, when) == 0:
                return  # fewer writes than kill_at: every point was tried
            yield home
    raise AssertionError("the command never completed")


def start_home(tmp_path: Path, store: str, *names: str) -> Home:
    """A home with connections `names` (each with a stored key), to copy for every kill point."""
    home = Home(tmp_path / "start", store)
    home.root.mkdir()
    for name in names:
        assert home.add(name) == 0
    return home


@pytest.mark.parametrize("store", ["file", "keyring"])
@pytest.mark.parametrize("first", [True, False], ids=["first-connection", "second-connection"])
def test_a_killed_connection_add_never_leaves_a_key_without_its_connection(
    tmp_path: Path, store: str, first: bool
) -> None:
    def add(home: Home, kill_at: int, when: str) -> int:
        return home.add("Corp", kill_at=kill_at, when=when)

    without_key = 0
    for home in every_kill_point(
        start_home(tmp_path, store, *([] if first else ["Existing"])), add
    ):
        assert home.orphans() == set(), (home.root.name, home.stored_keys())
        if "corp" in home.connections() and "corp" not in home.stored_keys():
            without_key += 1  # the kill landed between config.toml and the key: recoverable
            listing = home.run("connection", "list")
            assert listing.returncode == 0, listing.stderr
            assert "(no key stored)" in listing.stdout.split("corp", 1)[1].splitlines()[1]
            assert home.orphans() == set()
    assert without_key  # the dangerous point was hit


@pytest.mark.parametrize("store", ["file", "keyring"])
def test_a_killed_connection_remove_leaves_no_key_after_the_next_command(
    tmp_path: Path, store: str
) -> None:
    start = start_home(tmp_path, store, "Existing", "Corp")
    assert start.stored_keys() == {"existing", "corp"}

    def remove(home: Home, kill_at: int, when: str) -> int:
        result = home.run("connection", "remove", "corp", kill_at=kill_at, when=when)
        assert result.returncode in (0, -signal.SIGKILL), result.stderr
        return result.returncode

    left_behind = 0
    for home in every_kill_point(start, remove):
        left_behind += bool(home.orphans())
        assert home.run("connection", "list").returncode == 0
        assert home.orphans() == set(), home.root.name
        assert "existing" in home.stored_keys()  # the key of a connection that exists stays
    assert left_behind  # the dangerous point was hit: a kill did leave a key for a moment


@pytest.mark.parametrize("store", ["file", "keyring"])
def test_the_app_drops_a_key_left_without_its_connection_when_it_starts(
    tmp_path: Path, store: str
) -> None:
    home = Home(tmp_path, store)
    assert home.add("Existing") == 0
    assert home.add("Corp") == 0
    killed = home.run("connection", "remove", "corp", kill_at=1, when="after")
    assert killed.returncode == -signal.SIGKILL  # config.toml written, the key not yet deleted
    assert home.orphans() == {"corp"}
    result = subprocess.run(
        [sys.executable, str(PROBE)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=home.env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert home.orphans() == set()
    assert home.stored_keys() == {"existing"}


def test_keys_never_land_in_the_keyring_record(tmp_path: Path) -> None:
    home = Home(tmp_path, "keyring")
    assert home.add("Corp") == 0
    record = home.path / "config" / "keyring-slugs.json"
    assert "corp" in record.read_text()
    assert KEY not in record.read_text()
    assert not (home.path / "config" / "credentials.toml").exists()
    assert entries(home.keyring) == {"craft-tui/corp": KEY}
    assert oct(os.stat(record).st_mode & 0o777) == oct(0o600)
