"""kill -9 in the middle of an answer: the prompt and the answer so far are in the database."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from craft_tui.chat.history import HistoryStore
from tests.conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[2]


def test_sigkill_mid_stream_keeps_the_partial_answer(isolated_home: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.chat.stream_until_killed"],
        cwd=ROOT,
        env=subprocess_env(isolated_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # ~8 chars a chunk: 700 chunks are well past two 2 KB saves
            if int(line) >= 700:
                break
        else:
            raise AssertionError(f"the helper stopped early: {process.stderr.read()}")  # type: ignore[union-attr]
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    store = HistoryStore.open()
    conversation_id = store.last_conversation_id()
    assert conversation_id is not None
    _conversation, messages = store.load_conversation(conversation_id)
    assert [(m.role, m.finish_reason) for m in messages] == [("user", None), ("assistant", None)]
    assert messages[0].text == "Tell me many words"
    partial = messages[1].text
    assert len(partial) >= 2048
    expected = "".join(f"word{i} " for i in range(len(partial) // 4 + 10))
    assert expected.startswith(partial), "the saved text is exactly what streamed, in order"
