"""`auth.api_key_cmd`: the key is the first line a command prints, run when needed, kept in
memory only, and a failure names the command and how it ended, never what it printed."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from craft_tui.config import key_command, paths
from craft_tui.config.key_command import KEY_COMMANDS, KeyCommandError, parse_command
from craft_tui.config.schema import ApiKeyAuth, Config, Connection
from craft_tui.config.secrets import MissingKeyError, SecretStore, key_for
from craft_tui.config.store import ConfigError, load_config, update_config
from tests.config.key_tool import tool_command

# Test values, not keys: OpenRouter's prefix (the hints read it) on an obviously fake body.
KEY = "sk-or-v1-" + "fake-test-command-key-not-real"
ROTATED = "sk-or-v1-" + "fake-test-rotated-key-not-real"


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    folder = tmp_path / "tools"  # outside CRAFT_TUI_HOME: the leak check reads all of that
    folder.mkdir()
    return folder


def with_command(command: str) -> Connection:
    return Connection(
        slug="router",
        name="Router",
        protocol="openai",
        base_url="https://openrouter.ai/api/v1",
        auth=ApiKeyAuth(api_key_cmd=command),
    )


def runs(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_the_first_line_is_the_key_and_the_command_runs_once(tools: Path) -> None:
    (tools / "entry").write_text(f"  {KEY}  \nlogin: me@example.com\nurl: openrouter.ai\n")
    counter = tools / "runs"
    connection = with_command(tool_command(tools, key_file=tools / "entry", runs=counter))
    assert key_for(connection) == KEY
    assert key_for(connection) == KEY
    assert runs(counter) == 1  # kept in memory: not run again per request


def test_a_changed_command_runs_afresh_and_a_forgotten_key_is_read_again(tools: Path) -> None:
    (tools / "entry").write_text(KEY + "\n")
    counter = tools / "runs"
    command = tool_command(tools, key_file=tools / "entry", runs=counter)
    assert key_for(with_command(command)) == KEY
    (tools / "other").write_text(ROTATED + "\n")
    edited = tool_command(tools, key_file=tools / "other", runs=counter)
    assert key_for(with_command(edited)) == ROTATED
    assert runs(counter) == 2
    (tools / "other").write_text(KEY + "\n")
    assert key_for(with_command(edited)) == ROTATED  # still the one in memory
    KEY_COMMANDS.forget(edited)  # what the pool does after the server refused the key
    assert key_for(with_command(edited)) == KEY
    assert runs(counter) == 3


def test_the_key_is_never_stored_nor_logged(tools: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tools / "entry").write_text(KEY + "\n")
    command = tool_command(tools, key_file=tools / "entry")
    caplog.set_level(logging.DEBUG)

    def add(config: Config) -> None:
        config.connections.append(with_command(command))

    update_config(add)
    connection = load_config().connections[0]
    assert key_for(connection, SecretStore.open()) == KEY
    text = paths.config_file().read_text()
    assert "api_key_cmd" in text and KEY not in text
    assert not paths.credentials_file().exists()
    assert KEY not in caplog.text
    # (and the autouse leak check reads every file under CRAFT_TUI_HOME after the test)


def test_a_program_that_is_not_there_is_named_with_the_fix(tools: Path) -> None:
    connection = with_command("no-such-password-manager show openrouter")
    with pytest.raises(KeyCommandError) as caught:
        key_for(connection)
    error = caught.value
    assert isinstance(error, MissingKeyError)  # every caller's handling of a missing key applies
    assert "`no-such-password-manager show openrouter`" in error.sentence
    assert "`no-such-password-manager` was not found" in error.sentence
    assert "craft-tui connection key router --api-key-cmd" in error.fix


def test_a_failing_command_says_its_exit_status_and_nothing_it_printed(tools: Path) -> None:
    (tools / "entry").write_text(KEY + "\n")
    (tools / "says").write_text(f"error: bad passphrase for {ROTATED}\n")
    command = tool_command(tools, key_file=tools / "entry", stderr_file=tools / "says", exit=3)
    with pytest.raises(KeyCommandError) as caught:
        key_for(with_command(command))
    said = str(caught.value)
    assert "exited with status 3" in said
    assert "Run it in a shell to see why" in said
    assert KEY not in said and ROTATED not in said and "passphrase" not in said


def test_a_command_that_prints_nothing_is_told_apart(tools: Path) -> None:
    (tools / "entry").write_text("\n\nsecret-on-line-three\n")
    with pytest.raises(KeyCommandError) as caught:
        key_for(with_command(tool_command(tools, key_file=tools / "entry")))
    assert "printed no key (its first line is empty)" in str(caught.value)
    assert "secret-on-line-three" not in str(caught.value)


def test_a_first_line_that_is_no_key_is_refused_without_showing_it(tools: Path) -> None:
    (tools / "entry").write_text("pässwört\n")
    with pytest.raises(KeyCommandError) as caught:
        key_for(with_command(tool_command(tools, key_file=tools / "entry")))
    assert "not an API key" in str(caught.value)
    assert "pässwört" not in str(caught.value)


def test_its_input_is_closed_so_a_prompt_fails_at_once_instead_of_waiting(tools: Path) -> None:
    started = time.monotonic()
    with pytest.raises(KeyCommandError) as caught:
        key_for(with_command("cat"))  # reads stdin: closed, so it ends with nothing
    assert "printed no key" in str(caught.value)
    assert time.monotonic() - started < key_command.TIMEOUT_SECONDS


def test_a_slow_command_is_stopped_whole_after_the_timeout(
    tools: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(key_command, "TIMEOUT_SECONDS", 1.0)
    child = tools / "child.pid"
    command = tool_command(tools, child_pid=child, wait_for=tools / "never")
    started = time.monotonic()
    with pytest.raises(KeyCommandError) as caught:
        key_for(with_command(command))
    assert time.monotonic() - started < 10
    assert "did not finish within 1 s and was stopped" in caught.value.sentence
    assert "craft-tui closes its input" in caught.value.fix
    pid = int(child.read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:  # the kill is sent; reaping takes a moment
        time.sleep(0.02)
    assert not _alive(pid), "the command's own child was left running"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (killed, not yet reaped by its parent, also gone) counts as dead
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_two_threads_needing_the_key_at_once_run_the_command_once(tools: Path) -> None:
    import threading

    (tools / "entry").write_text(KEY + "\n")
    counter = tools / "runs"
    release = tools / "release"
    command = tool_command(
        tools, key_file=tools / "entry", runs=counter, started=tools / "started", wait_for=release
    )
    connection = with_command(command)
    keys: list[str] = []
    threads = [threading.Thread(target=lambda: keys.append(key_for(connection))) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while not (tools / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    release.write_text("go")
    for thread in threads:
        thread.join(30)
    assert keys == [KEY, KEY]
    assert runs(counter) == 1


def test_words_are_split_as_a_shell_would_but_nothing_else_a_shell_does() -> None:
    assert parse_command("op read 'op://Private/Open Router/credential'") == [
        "op",
        "read",
        "op://Private/Open Router/credential",
    ]
    assert parse_command("cat ~/keys/router") == ["cat", str(Path.home() / "keys/router")]
    assert parse_command("echo $HOME | tee x") == ["echo", "$HOME", "|", "tee", "x"]


def test_config_refuses_an_unreadable_command_and_two_key_sources_with_the_line() -> None:
    paths.ensure_private_dir(paths.config_dir())
    table = (
        '[[connections]]\nslug = "r"\nname = "R"\nprotocol = "openai"\n'
        'base_url = "https://openrouter.ai/api/v1"\n'
    )
    paths.config_file().write_text(
        table + 'auth = { type = "api_key", api_key_cmd = "pass show \'unclosed" }\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert "cannot be split into words (No closing quotation)" in str(caught.value)
    assert "line 6" in str(caught.value)
    paths.config_file().write_text(
        table + 'auth = { type = "bearer", api_key_env = "K", api_key_cmd = "pass show r" }\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert "either api_key_env" in str(caught.value) and "not both" in str(caught.value)
