"""Keys printed by a command (`auth.api_key_cmd`): `pass show openrouter`, `op read op://…`,
`bw get password …`.

On a headless server there is often no keyring, and a key in a variable or a file is a key on
disk. A password manager's command line hands the key over only when asked; this module asks.

- **When**: when a key is needed (`secrets.key_for`), never at start-up. The pool and the
  connection form call `key_for` in a thread, so a slow command (a password manager unlocking)
  never holds up the UI loop.
- **How**: the text is split with `shlex` (no shell: no pipes, no `$VAR`, no globbing; a word
  starting with `~/` is the home folder, as a shell would read it), run with stdin closed (a
  prompt for a password fails instead of waiting on a terminal the app is drawing on) in its own
  process group, and stopped, the whole group, after `TIMEOUT_SECONDS`.
- **What**: the first line of its output, stripped, is the key. The rest is ignored (`pass`
  keeps notes below the password).
- **Never kept**: the key is held in this process's memory only (`KeyCommands`), so a request
  does not run the command again; it is never written to config.toml, the secret store, a log or
  a message. A failure names the command and how it ended (not found, exit status, timeout, no
  output), never what it printed: a tool's stderr can hold the secret.
- **Forgotten**: the cache is keyed by the command text, so an edited command runs afresh; the
  driver pool forgets a command's key after an authentication error, so a rotated key is read
  again on the retry.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

from craft_tui.config.secrets import MissingKeyError
from craft_tui.untrusted import shown_inline

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
"""How long a key command may run before it is stopped (a password manager waiting to be
unlocked never answers)."""

_SHOWN_CHARS = 120  # of a long command, what a message quotes


class KeyCommandError(MissingKeyError):
    """A key command could not give a key. `sentence` says what happened (naming the command and
    how it ended, never its output); `fix` what to do about it."""

    def __init__(self, sentence: str, fix: str) -> None:
        super().__init__(f"{sentence} {fix}")
        self.sentence = sentence
        self.fix = fix


def parse_command(text: str) -> list[str]:
    """The command's words, as `shlex` splits them (a ValueError says why it cannot be run)."""
    try:
        words = shlex.split(text)
    except ValueError as error:  # "No closing quotation", "No escaped character"
        raise ValueError(
            f"the key command {shown_command(text)} cannot be split into words ({error}); "
            "quote it as a shell would, e.g. 'pass show openrouter'"
        ) from None
    if not words:
        raise ValueError("the key command is empty; give the command that prints the key")
    return [
        os.path.expanduser(word) if word.startswith("~/") or word == "~" else word for word in words
    ]


def shown_command(command: str) -> str:
    """The command as a message shows it: one line, disarmed, cut when very long, in backticks
    (`pass show openrouter`). The command's text only: never what it printed."""
    text = shown_inline(command.strip())
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 1] + "…"
    return f"`{text}`"


def _change_hint(slug: str) -> str:
    return (
        f'To use another command: craft-tui connection key {slug} --api-key-cmd "…" '
        "(or edit api_key_cmd in config.toml)."
    )


def run_key_command(command: str, *, name: str, slug: str, timeout: float | None = None) -> str:
    """Run `command` once and return the key it prints (KeyCommandError when it gives none)."""
    limit = TIMEOUT_SECONDS if timeout is None else timeout
    what = f"The key command of connection {name!r} ({shown_command(command)})"
    try:
        words = parse_command(command)
    except ValueError as error:
        raise KeyCommandError(f"{what} cannot be run: {error}.", _change_hint(slug)) from None
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            words,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,  # read and dropped: it may hold the secret
            start_new_session=True,  # its own process group, stopped whole on a timeout
        )
    except FileNotFoundError:
        raise KeyCommandError(
            f"{what} could not be started: {shown_command(words[0])} was not found.",
            "Install it, or give its full path. " + _change_hint(slug),
        ) from None
    except PermissionError:
        raise KeyCommandError(
            f"{what} could not be started: {shown_command(words[0])} is not executable.",
            "Make it executable (chmod +x), or give the right program. " + _change_hint(slug),
        ) from None
    except OSError as error:
        raise KeyCommandError(
            f"{what} could not be started ({error.strerror or 'operating system error'}).",
            _change_hint(slug),
        ) from None
    try:
        output, _ = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _stop(process)
        raise KeyCommandError(
            f"{what} did not finish within {limit:g} s and was stopped.",
            "Run it in a shell to see where it waits: craft-tui closes its input, so a password "
            "prompt cannot be answered. Unlock the tool first (e.g. `op signin`, `bw unlock` "
            "and its BW_SESSION, a gpg-agent that has the passphrase), then try again.",
        ) from None
    finally:
        with contextlib.suppress(OSError, ValueError):
            for pipe in (process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()
    status = process.returncode
    log.debug(
        "key command of %s ended with status %s after %.2f s",
        slug,
        status,
        time.monotonic() - started,
    )
    if status != 0:
        ended = f"was stopped by signal {-status}" if status < 0 else f"exited with status {status}"
        raise KeyCommandError(
            f"{what} {ended}.",
            "Run it in a shell to see why (craft-tui never shows what it printed, which may hold "
            "the key). " + _change_hint(slug),
        )
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyCommandError(
            f"{what} printed something that is not text.",
            "Make it print only the key, on its first line. " + _change_hint(slug),
        ) from None
    key = text.splitlines()[0].strip() if text.strip() else ""
    if not key:
        raise KeyCommandError(
            f"{what} printed no key (its first line is empty).",
            "Make it print the key on its first line. " + _change_hint(slug),
        )
    if not key.isascii() or not key.isprintable():
        raise KeyCommandError(
            f"{what} printed a first line that is not an API key (it holds characters no key "
            "has; it is not shown).",
            "Make it print only the key, on its first line. " + _change_hint(slug),
        )
    return key


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the command's whole process group and reap it, without waiting on a pipe a child
    that left the group may still hold open."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


@dataclass
class KeyCommands:
    """The keys commands printed in this process, by command text; memory only.

    Two requests needing the same key at once run its command once: the second waits for the
    first (a lock per command), then takes its key.
    """

    _keys: dict[str, str] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)
    runs: int = 0  # commands run so far (tests read it)

    def key(self, command: str, *, name: str, slug: str) -> str:
        """The key `command` prints, run now unless this process has it already."""
        with self._guard:
            lock = self._locks.setdefault(command, threading.Lock())
        with lock:
            with self._guard:
                cached = self._keys.get(command)
            if cached is not None:
                return cached
            self.runs += 1
            key = run_key_command(command, name=name, slug=slug)
            with self._guard:
                self._keys[command] = key
            return key

    def forget(self, command: str) -> None:
        """Drop the key `command` printed (the server refused it: read it again next time)."""
        with self._guard:
            self._keys.pop(command, None)

    def forget_all(self) -> None:
        with self._guard:
            self._keys.clear()


KEY_COMMANDS = KeyCommands()
"""The process's keys from commands (`secrets.key_for` reads through it)."""
