"""`craft-tui ask --save` / `--continue [ID]` end to end: a subprocess against loopback fake
servers, and the history read back the way the app reads it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from craft_tui.chat.conversation import Conversation, StoredMessage
from craft_tui.chat.history import HistoryStore
from tests.conftest import subprocess_env
from tests.servers import FakeLLMServer, FakeUsage
from tests.servers.cli import add_connection, craft
from tests.test_cli_ask import _as_in_a_terminal, _read_until

KEY = "sk-test-cli-0123456789abcdef"
SAVED = re.compile(r"craft-tui: saved to conversation ([0-9a-f]{32})$")


@pytest.fixture(params=["openai", "anthropic"])
def server(request: pytest.FixtureRequest) -> Iterator[FakeLLMServer]:
    with FakeLLMServer(protocol=request.param, reply="Hello from the fake.") as fake:
        yield fake


def saved_id(stderr: str) -> str:
    """The id the last stderr line names (it must be the last line)."""
    match = SAVED.match(stderr.strip().splitlines()[-1])
    assert match is not None, stderr
    return match.group(1)


def branch(conversation_id: str) -> tuple[Conversation, list[StoredMessage]]:
    with HistoryStore.open() as store:
        return store.load_conversation(conversation_id)


def texts(path: list[StoredMessage]) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in path]


def sent_texts(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(role, text) of each turn a request carried, whichever protocol's shape it has."""
    out = []
    for turn in body["messages"]:
        content = turn["content"]
        if isinstance(content, list):
            content = "".join(block.get("text", "") for block in content)
        out.append((turn["role"], content))
    return out


def test_save_stores_question_and_answer_with_the_apps_attribution(
    isolated_home: Path,
) -> None:
    with FakeLLMServer(
        reply="a b c", usage=FakeUsage(input_tokens=40, output_tokens=3, cost=0.00123)
    ) as fake:
        add_connection(fake, key=KEY)
        result = craft(isolated_home, "ask", "--save", "What is up?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a b c\n"  # stdout still carries only the answer
    conversation, path = branch(saved_id(result.stderr))
    assert conversation.title == "What is up?"
    assert texts(path) == [("user", "What is up?"), ("assistant", "a b c")]
    answer = path[1]
    assert (answer.connection_slug, answer.model) == ("fake", "fake-small")
    assert (answer.input_tokens, answer.output_tokens) == (40, 3)
    assert answer.cost_usd == pytest.approx(0.00123)
    assert answer.finish_reason == "stop"
    assert answer.ttft_s is not None and answer.ttft_s >= 0
    assert (conversation.connection_slug, conversation.model) == ("fake", "fake-small")


def test_save_keeps_the_system_prompt_on_the_conversation(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    add_connection(server, key=KEY)
    result = craft(isolated_home, "ask", "--save", "-s", "Be terse.", "Hi")
    assert result.returncode == 0, result.stderr
    conversation, _path = branch(saved_id(result.stderr))
    assert conversation.system_prompt == "Be terse."
    body = server.chat_requests[-1].json
    system = body.get("system")
    if system is None:
        system = body["messages"][0]["content"]
    assert "Be terse." in str(system)


def test_continue_sends_the_branch_and_stores_the_turn_on_it(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    add_connection(server, key=KEY)
    first = craft(isolated_home, "ask", "--save", "First question")
    assert first.returncode == 0, first.stderr
    conversation_id = saved_id(first.stderr)
    server.configure(reply="Second answer.")
    second = craft(isolated_home, "ask", "--continue", "--", "Second question")
    assert second.returncode == 0, second.stderr
    assert second.stdout == "Second answer.\n"
    assert saved_id(second.stderr) == conversation_id
    assert sent_texts(server.chat_requests[-1].json) == [
        ("user", "First question"),
        ("assistant", "Hello from the fake."),
        ("user", "Second question"),
    ]
    _conversation, path = branch(conversation_id)
    assert texts(path) == [
        ("user", "First question"),
        ("assistant", "Hello from the fake."),
        ("user", "Second question"),
        ("assistant", "Second answer."),
    ]


def test_continue_followed_by_a_question_takes_it_as_the_prompt(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    add_connection(server, key=KEY)
    conversation_id = saved_id(craft(isolated_home, "ask", "--save", "One").stderr)
    result = craft(isolated_home, "ask", "--continue", "and then?")
    assert result.returncode == 0, result.stderr
    assert saved_id(result.stderr) == conversation_id
    assert texts(branch(conversation_id)[1])[-2] == ("user", "and then?")


def test_continue_by_id_prefix_picks_that_conversation_not_the_last(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    add_connection(server, key=KEY)
    older = saved_id(craft(isolated_home, "ask", "--save", "Older").stderr)
    newer = saved_id(craft(isolated_home, "ask", "--save", "Newer").stderr)
    result = craft(isolated_home, "ask", "--continue", older[:8], "More on that")
    assert result.returncode == 0, result.stderr
    assert saved_id(result.stderr) == older
    assert sent_texts(server.chat_requests[-1].json)[0] == ("user", "Older")
    assert len(branch(older)[1]) == 4
    assert len(branch(newer)[1]) == 2


def test_continue_goes_to_the_last_answers_connection_and_model(isolated_home: Path) -> None:
    with FakeLLMServer(protocol="openai") as first, FakeLLMServer(protocol="anthropic") as second:
        add_connection(first, slug="first", key=KEY)
        add_connection(
            second,
            slug="second",
            key=KEY,
            default=False,
            models=[{"id": "fake-small"}, {"id": "fake-large"}],
        )
        started = craft(isolated_home, "ask", "--save", "-c", "second", "-m", "fake-large", "Hi")
        conversation_id = saved_id(started.stderr)
        kept = craft(isolated_home, "ask", "--continue", "--", "Again")
        assert kept.returncode == 0, kept.stderr
        assert first.chat_requests == []
        assert second.chat_requests[-1].json["model"] == "fake-large"
        moved = craft(isolated_home, "ask", "--continue", "-c", "first", "--", "Elsewhere")
        assert moved.returncode == 0, moved.stderr
        assert first.chat_requests[-1].json["model"] == "fake-small"
        assert sent_texts(first.chat_requests[-1].json)[0] == ("user", "Hi")
    path = branch(conversation_id)[1]
    assert [(m.connection_slug, m.model) for m in path if m.role == "assistant"] == [
        ("second", "fake-large"),
        ("second", "fake-large"),
        ("first", "fake-small"),
    ]


def test_continue_with_no_history_yet_is_one_clear_message(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    add_connection(server, key=KEY)
    result = craft(isolated_home, "ask", "--continue", "--", "Hi")
    assert result.returncode == 1
    assert "no conversation in the history yet" in result.stderr
    assert "craft-tui ask --save" in result.stderr
    assert server.chat_requests == []
    assert "Traceback" not in result.stderr


def test_continue_with_an_unknown_id_is_one_clear_message(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    add_connection(server, key=KEY)
    assert craft(isolated_home, "ask", "--save", "Hi").returncode == 0
    result = craft(isolated_home, "ask", "--continue", "0000abcd", "Hi")
    assert result.returncode == 1
    assert "No conversation '0000abcd' in the history." in result.stderr
    assert "craft-tui history" in result.stderr
    assert len(server.chat_requests) == 1
    assert "saved to" not in result.stderr


def test_continue_after_a_failed_answer_asks_once_like_the_app(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    """The request builder the app uses: a failed answer is left out and the two prompts it
    left behind go as one turn."""
    add_connection(server, key=KEY)
    server.configure(require_key="the-right-key-0000")
    failed = craft(isolated_home, "ask", "--save", "First")
    assert failed.returncode == 1
    conversation_id = saved_id(failed.stderr)  # the last line, after the error and its fix
    assert "rejected the API key" in failed.stderr and KEY not in failed.stderr
    server.configure(require_key=None, reply="Fine now.")
    result = craft(isolated_home, "ask", "--continue", conversation_id, "Try again")
    assert result.returncode == 0, result.stderr
    assert sent_texts(server.chat_requests[-1].json) == [("user", "First\n\nTry again")]
    path = branch(conversation_id)[1]
    assert path[1].error_kind is not None and path[1].text == ""
    assert texts(path)[2:] == [("user", "Try again"), ("assistant", "Fine now.")]


def test_a_cut_answer_is_saved_with_its_partial_text_and_the_error(
    isolated_home: Path, server: FakeLLMServer
) -> None:
    add_connection(server, key=KEY)
    server.configure(reply="one two three four", cut_after=2)
    result = craft(isolated_home, "ask", "--save", "Hi")
    assert result.returncode == 1
    assert result.stdout == "one two \n"
    assert "closed in the middle of the answer" in result.stderr
    answer = branch(saved_id(result.stderr))[1][1]
    assert answer.text == "one two " and answer.finish_reason == "error"
    assert answer.error_kind is not None


def test_save_and_continue_together_is_refused(isolated_home: Path) -> None:
    result = craft(isolated_home, "ask", "--save", "--continue", "--", "Hi")
    assert result.returncode == 1
    assert "--save and --continue cannot be used together" in result.stderr


def test_ctrl_c_saves_what_arrived_as_cancelled(isolated_home: Path) -> None:
    with FakeLLMServer(reply="first second third", stall_after=1, stall_seconds=60) as fake:
        add_connection(fake, key=KEY)
        process = subprocess.Popen(
            [sys.executable, "-m", "craft_tui", "ask", "--save", "Hi"],
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
        assert fake.wait_for_disconnect(10)
    assert process.returncode == 130
    assert (seen + out).decode() == "first \n"
    stderr = err.decode()
    assert "stopped" in stderr and "Traceback" not in stderr
    path = branch(saved_id(stderr))[1]
    assert texts(path) == [("user", "Hi"), ("assistant", "first ")]
    assert path[1].finish_reason == "cancelled"
    assert (path[1].connection_slug, path[1].model) == ("fake", "fake-small")


def test_a_missing_key_stores_nothing(isolated_home: Path) -> None:
    with FakeLLMServer() as fake:
        add_connection(fake, key=None, auth={"type": "api_key"})
        result = craft(isolated_home, "ask", "--save", "Hi")
    assert result.returncode == 1
    assert "craft-tui connection key fake --api-key-stdin" in result.stderr
    assert "saved to" not in result.stderr
    with HistoryStore.open() as store:
        assert store.last_conversation_id() is None


def test_continue_when_the_last_answers_connection_is_gone_says_so(isolated_home: Path) -> None:
    with FakeLLMServer() as first, FakeLLMServer() as second:
        add_connection(first, slug="first", key=KEY)
        add_connection(second, slug="second", key=KEY, default=False)
        conversation_id = saved_id(craft(isolated_home, "ask", "--save", "Hi").stderr)
        assert craft(isolated_home, "connection", "remove", "first").returncode == 0
        refused = craft(isolated_home, "ask", "--continue", "--", "Again")
        assert refused.returncode == 1
        assert "came from connection 'first', which is not configured any more" in refused.stderr
        assert "pass -c CONNECTION" in refused.stderr
        assert second.chat_requests == []  # the history never goes to another server unasked
        moved = craft(isolated_home, "ask", "--continue", "-c", "second", "--", "Again")
        assert moved.returncode == 0, moved.stderr
        assert sent_texts(second.chat_requests[-1].json)[0] == ("user", "Hi")
    assert len(branch(conversation_id)[1]) == 4
