"""Issue 14 in a real terminal: with craft-tui open in tmux, a connection is added from the shell
(`craft-tui connection add`, another process); its model is picked with Ctrl+O and the next
prompt goes to it, not to the connection that was in use. The status line and the answer's label
name the new connection."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import subprocess_env
from tests.e2e.tmux import CRAFT_TUI, Tmux, add_connection
from tests.servers.fake import FakeLLMServer


def status_line(screen: str) -> str:
    """The row just above the prompt's box: the status line."""
    lines = screen.splitlines()
    tops = [index for index, line in enumerate(lines) if line.lstrip().startswith("╭")]
    return lines[tops[-1] - 1] if tops and tops[-1] > 0 else ""


def test_a_connection_added_from_the_shell_and_picked_answers_the_next_prompt(
    isolated_home: Path, tmp_path: Path
) -> None:
    with (
        FakeLLMServer(reply="Answer from the old connection.") as old,
        FakeLLMServer(reply="Answer from the down connection.") as down,
    ):
        add_connection(isolated_home, old.base_url)
        tmux = Tmux(tmp_path / "tmux.sock", isolated_home)
        try:
            tmux.start(CRAFT_TUI, width=100, height=30)
            tmux.wait_for(lambda s: "Message fake-model" in s)
            added = subprocess.run(
                [CRAFT_TUI, "connection", "add", "Down", "--protocol", "openai",
                 "--base-url", down.base_url, "--no-auth", "--model", "fake-small"],
                capture_output=True, text=True, env=subprocess_env(isolated_home),
                timeout=60, check=False,
            )  # fmt: skip
            assert added.returncode == 0, added.stderr
            tmux.keys("C-o")
            tmux.wait_for(lambda s: "Pick a model" in s)
            tmux.keys("fake-small down", literal=True)
            # The picker re-reads config.toml as it opens: Down's model is listed.
            tmux.wait_for(
                lambda s: any("fake-small" in row and "Down" in row for row in s.splitlines())
            )
            tmux.keys("Enter")
            screen = tmux.wait_for(lambda s: "Next answer from Down · fake-small" in s)
            # The status line (the row above the prompt's box) names the new connection too.
            status = tmux.wait_for(lambda s: "Down · fake-small" in status_line(s))
            assert "fake-model" not in status_line(status), status  # the old model is gone
            tmux.keys("Only for the down connection", literal=True)
            tmux.keys("Enter")
            screen = tmux.wait_for(lambda s: "Answer from the down connection." in s)
            assert "Down · fake-small" in screen
            assert "Answer from the old connection." not in screen
            assert "Traceback" not in screen
            tmux.keys("C-q")
        finally:
            tmux.kill()
    assert old.chat_requests == []  # the prompt never went to the old connection
    (request,) = down.chat_requests
    assert request.json["model"] == "fake-small"
    assert request.json["messages"][-1]["content"] == "Only for the down connection"
