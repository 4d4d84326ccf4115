"""craft-tui in a real terminal: tmux runs the installed console script against a loopback fake
server configured through the CLI; we type like a user and read the screen back."""

from __future__ import annotations

import contextlib
import os
import re
import signal
from pathlib import Path

from tests.e2e.tmux import CRAFT_TUI, Tmux, add_connection, process_tree
from tests.servers.fake import FakeLLMServer


def test_typing_a_prompt_in_tmux_shows_the_streamed_answer(
    isolated_home: Path, tmp_path: Path
) -> None:
    with FakeLLMServer(reply="Bonjour from the *fake* server.", delay=0.01) as server:
        add_connection(isolated_home, server.base_url)
        tmux = Tmux(tmp_path / "tmux.sock", isolated_home)
        try:
            tmux.start(CRAFT_TUI, width=100, height=30)
            tmux.wait_for(lambda s: "Message fake-model" in s)
            tmux.keys("Hello from tmux", literal=True)
            tmux.keys("Enter")
            screen = tmux.wait_for(lambda s: "Bonjour from the fake server." in s)
            assert "Hello from tmux" in screen
            assert "Fake · fake-model" in screen
            assert "Traceback" not in screen
            assert server.requests[-1].json["messages"][-1]["content"] == "Hello from tmux"
            tmux.keys("C-q")
        finally:
            tmux.kill()


def test_sigkill_mid_answer_keeps_the_partial_answer_in_history(
    isolated_home: Path, tmp_path: Path
) -> None:
    # Long enough (40 s at this pace) that the kill always lands mid-answer on a loaded machine.
    reply = " ".join(f"word{i}" for i in range(2000))
    with FakeLLMServer(reply=reply, delay=0.02) as server:
        add_connection(isolated_home, server.base_url)
        tmux = Tmux(tmp_path / "tmux.sock", isolated_home)
        try:
            tmux.start(CRAFT_TUI, width=100, height=30)
            tmux.wait_for(lambda s: "Message fake-model" in s)
            tmux.keys("Tell me many words", literal=True)
            tmux.keys("Enter")
            # Some way in: the screen shows text in batches and scrolls, so any word past the
            # 60th counts (one exact word can be scrolled past between two looks).
            tmux.wait_for(lambda s: max(map(int, re.findall(r"word(\d+)", s)), default=0) >= 60)
            for pid in process_tree(tmux.pane_pid()):  # the app itself: no chance to clean up
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        finally:
            tmux.kill()
    from craft_tui.chat.history import HistoryStore

    store = HistoryStore.open()
    conversation_id = store.last_conversation_id()
    assert conversation_id is not None
    _conversation, messages = store.load_conversation(conversation_id)
    assert (messages[0].role, messages[0].text) == ("user", "Tell me many words")
    partial = messages[1].text
    assert partial.startswith("word0 word1 word2")
    assert "word1999" not in partial
