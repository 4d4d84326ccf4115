"""`craft-tui ask` end to end in a subprocess against the loopback fake servers."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from craft_tui.config.schema import ModelEntry
from tests.conftest import subprocess_env
from tests.servers import FakeLLMServer, FakeUsage
from tests.servers.cli import add_connection, craft

KEY = "sk-test-cli-0123456789abcdef"


@pytest.fixture(params=["openai", "anthropic"])
def server(request: pytest.FixtureRequest) -> Iterator[FakeLLMServer]:
    with FakeLLMServer(protocol=request.param, reply="Hello from the fake.") as fake:
        yield fake


def test_answer_streams_to_stdout_and_nothing_else(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    server.configure(reasoning="private thinking")
    add_connection(server, key=KEY)
    result = craft(isolated_home, "ask", "Say hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Hello from the fake.\n"
    assert result.stderr == ""  # reasoning only goes to a terminal
    request = server.chat_requests[-1]
    assert request.json["model"] == "fake-small"
    assert request.json["messages"][-1]["content"] == "Say hello"
    assert KEY in (request.headers.get("authorization", "") + request.headers.get("x-api-key", ""))


def test_prompt_and_piped_stdin_are_joined_by_a_blank_line(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    server.configure(echo=True)
    add_connection(server, key=KEY)
    result = craft(isolated_home, "ask", "Summarise:", stdin="line one\nline two\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Summarise:\n\nline one\nline two\n"


def test_prompt_from_stdin_alone(isolated_home: Path, server: FakeLLMServer) -> None:
    server.configure(echo=True)
    add_connection(server, key=KEY)
    result = craft(isolated_home, "ask", stdin="only stdin")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "only stdin\n"


def test_connection_model_and_system_options(isolated_home: Path) -> None:
    with FakeLLMServer(protocol="openai") as first, FakeLLMServer(protocol="anthropic") as second:
        add_connection(first, slug="first", key=KEY)
        add_connection(
            second,
            slug="second",
            key=KEY,
            default=False,
            models=[{"id": "fake-small"}, {"id": "fake-large"}],
        )
        result = craft(
            isolated_home, "ask", "-c", "second", "-m", "fake-large", "-s", "Be terse.", "Hi"
        )
        assert result.returncode == 0, result.stderr
        assert first.chat_requests == []
        body = second.chat_requests[-1].json
        assert body["model"] == "fake-large"
        assert body["system"] == "Be terse."


def test_usage_goes_to_stderr_with_server_cost(isolated_home: Path) -> None:
    with FakeLLMServer(
        reply="a b c", usage=FakeUsage(input_tokens=40, output_tokens=3, cost=0.00123)
    ) as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "ask", "--usage", "Hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a b c\n"
    assert "tokens in 40, out 3" in result.stderr
    assert re.search(r"first token \d+\.\d\d s, \d+\.\d tok/s", result.stderr)
    assert "cost $0.00123" in result.stderr


def test_usage_cost_from_model_prices_when_server_gives_none(isolated_home: Path) -> None:
    with FakeLLMServer(
        protocol="anthropic", usage=FakeUsage(input_tokens=1_000_000, output_tokens=500_000)
    ) as fake:
        add_connection(
            fake, key=KEY, models=[ModelEntry(id="fake-small", input_price=3, output_price=15)]
        )
        result = craft(isolated_home, "ask", "--usage", "Hi")
    assert result.returncode == 0, result.stderr
    assert "cost $10.50" in result.stderr


def test_no_connection_is_one_clear_line(isolated_home: Path) -> None:
    result = craft(isolated_home, "ask", "Hi")
    assert result.returncode == 1
    assert "No connection yet" in result.stderr
    assert "craft-tui connection add" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_connection_and_missing_model_are_clear(isolated_home: Path) -> None:
    with FakeLLMServer() as fake:
        add_connection(fake, key=KEY, models=[])
        unknown = craft(isolated_home, "ask", "-c", "nope", "Hi")
        no_model = craft(isolated_home, "ask", "Hi")
    assert unknown.returncode == 1 and "No connection named 'nope'" in unknown.stderr
    assert no_model.returncode == 1 and "-m MODEL" in no_model.stderr


def test_missing_prompt_is_a_clear_error(isolated_home: Path) -> None:
    with FakeLLMServer() as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "ask", stdin="")
    assert result.returncode == 1
    assert (
        "No prompt was given" in result.stderr and "craft-tui ask 'your question'" in result.stderr
    )


def test_provider_error_prints_sentence_and_fix_without_key(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    server.configure(require_key="the-right-key-0000")
    add_connection(server, key=KEY)
    result = craft(isolated_home, "ask", "Hi")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 4
    assert "rejected the API key" in lines[0]
    assert lines[1].strip().startswith("fix:")
    assert KEY not in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_key_names_the_command_that_fixes_it(isolated_home: Path) -> None:
    with FakeLLMServer() as fake:
        add_connection(fake, key=None, auth={"type": "api_key"})
        result = craft(isolated_home, "ask", "Hi")
    assert result.returncode == 1
    assert "craft-tui connection key fake --api-key-stdin" in result.stderr


def test_cut_stream_keeps_the_partial_answer_on_stdout(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    server.configure(reply="one two three four", cut_after=2)
    add_connection(server, key=KEY)
    result = craft(isolated_home, "ask", "Hi")
    assert result.returncode == 1
    assert result.stdout == "one two \n"
    assert "closed in the middle of the answer" in result.stderr
    assert "Traceback" not in result.stderr


def _read_until(stream: int, wanted: bytes, timeout: float) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while wanted not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.1)
        if ready:
            chunk = os.read(stream, 4096)
            if not chunk:
                break
            data += chunk
    return data


def _as_in_a_terminal() -> None:
    """Give the child the SIGINT a terminal's foreground job has.

    A suite started in the background (`cmd &` in a script, `nohup`) inherits SIGINT ignored,
    and a program keeps an ignored SIGINT ignored, as it should; this test is about a person
    pressing Ctrl+C in a terminal, so it sets the default disposition in the child."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_with_130_and_keeps_what_arrived(isolated_home: Path) -> None:
    with FakeLLMServer(reply="first second third", stall_after=1, stall_seconds=60) as fake:
        add_connection(fake, key=KEY)
        process = subprocess.Popen(
            [sys.executable, "-m", "craft_tui", "ask", "Hi"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=subprocess_env(isolated_home),
            preexec_fn=_as_in_a_terminal,
        )
        try:
            assert process.stdout is not None
            seen = _read_until(process.stdout.fileno(), b"first ", 30)
            assert seen == b"first "
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 130
        assert (seen + out).decode() == "first \n"
        assert b"stopped" in err and b"Traceback" not in err
        assert fake.wait_for_disconnect(10)


def test_reader_going_away_stops_quietly(isolated_home: Path) -> None:
    with FakeLLMServer(reply="word " * 20000, chunk_size=50) as fake:
        add_connection(fake, key=KEY)
        process = subprocess.Popen(
            [sys.executable, "-m", "craft_tui", "ask", "Hi"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=subprocess_env(isolated_home),
        )
        assert process.stdout is not None and process.stderr is not None
        head = process.stdout.read(20)  # like `| head -c 20`
        process.stdout.close()
        err = process.stderr.read()
        process.wait(timeout=30)
    assert head == b"word word word word "
    assert process.returncode == 0
    assert b"Traceback" not in err and b"Exception" not in err, err.decode()


def test_empty_answer_is_said_on_stderr(isolated_home: Path) -> None:
    with FakeLLMServer(reply="") as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "ask", "Hi")
    assert result.returncode == 0
    assert result.stdout == ""
    assert "empty answer" in result.stderr


class _Terminal:
    """A text sink that says it is a terminal, like stderr in an interactive shell."""

    def __init__(self, tty: bool) -> None:
        self.text = ""
        self._tty = tty

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self._tty


@pytest.mark.parametrize("tty", [True, False])
async def test_reasoning_goes_to_stderr_dimmed_only_on_a_terminal(
    isolated_home: Path, tty: bool
) -> None:
    from craft_tui.commands.ask import stream_answer
    from craft_tui.providers.types import ChatMessage, ChatRequest

    with FakeLLMServer(reply="Answer.", reasoning="Thinking hard.") as fake:
        connection = add_connection(fake, key=KEY)
        out, err = _Terminal(False), _Terminal(tty)
        request = ChatRequest(model="fake-small", messages=(ChatMessage("user", "Hi"),))
        await stream_answer(connection, request, out, err, show_usage=False)  # type: ignore[arg-type]
    assert out.text == "Answer.\n"
    if tty:
        assert err.text == "\x1b[2mThinking hard.\x1b[0m\n"
    else:
        assert err.text == ""


def test_usage_says_local_for_a_free_local_server(isolated_home: Path) -> None:
    with FakeLLMServer(reply="hi") as fake:
        add_connection(fake, key=None)
        result = craft(isolated_home, "ask", "--usage", "Hi")
    assert result.returncode == 0, result.stderr
    assert "cost local" in result.stderr


def test_a_successful_answer_marks_the_connection_as_used(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    from craft_tui.config import paths, state
    from craft_tui.config.store import load_config

    add_connection(server, key=KEY)
    slug = load_config().connections[0].slug
    assert state.last_used(slug) is None
    config_before = paths.config_file().read_bytes()
    assert craft(isolated_home, "ask", "Say hello").returncode == 0
    assert state.last_used(slug) is not None  # runtime state, in state.json
    assert paths.config_file().read_bytes() == config_before  # config.toml is not rewritten


def test_without_save_the_history_is_left_alone(isolated_home: Path, server: FakeLLMServer) -> None:
    from craft_tui.chat.history import HistoryStore

    add_connection(server, key=KEY)
    result = craft(isolated_home, "ask", "Say hello")
    assert result.returncode == 0, result.stderr
    assert "saved to" not in result.stderr
    with HistoryStore.open() as store:
        assert store.last_conversation_id() is None


def test_usage_with_save_comes_before_the_saved_line(isolated_home: Path) -> None:
    with FakeLLMServer(
        reply="a b c", usage=FakeUsage(input_tokens=40, output_tokens=3, cost=0.00123)
    ) as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "ask", "--save", "--usage", "Hi")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a b c\n"
    usage, saved = result.stderr.strip().splitlines()
    assert "tokens in 40, out 3" in usage and "cost $0.00123" in usage
    assert re.fullmatch(r"craft-tui: saved to conversation [0-9a-f]{32}", saved)


def test_help_names_save_and_continue(isolated_home: Path) -> None:
    result = craft(isolated_home, "ask", "--help")
    assert result.returncode == 0
    assert "--save" in result.stdout and "--continue [ID]" in result.stdout
