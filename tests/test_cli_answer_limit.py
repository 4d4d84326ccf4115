"""`craft-tui ask` stops an answer at settings.max_answer_mb, as the app does: what arrived up to
the limit is on stdout, one sentence and its fix on stderr, exit code 1 (a provider error)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from craft_tui.config.store import load_config, save_config
from tests.servers import FakeLLMServer
from tests.servers.cli import add_connection, craft


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_ask_stops_at_the_cap_and_keeps_what_arrived(
    isolated_home: Path, protocol: Literal["openai", "anthropic"]
) -> None:
    reply = "".join(f"{i:04d} " for i in range(2000))
    with FakeLLMServer(
        protocol=protocol, reply=reply, chunk_size=100, stall_after=50, stall_seconds=60
    ) as server:
        add_connection(server, key=None)
        config = load_config()
        config.settings.max_answer_mb = 1000 / 1024 / 1024  # 1,000 bytes
        save_config(config)
        result = craft(isolated_home, "ask", "Go on forever")
        assert server.wait_for_disconnect(10)
    assert result.returncode == 1
    assert result.stdout == reply[:1000] + "\n"
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (
        "craft-tui: The answer passed the 0.000954 MB limit and was stopped; "
        "what arrived up to the limit is kept."
    )
    assert (
        lines[1].strip()
        == "fix: Raise settings.max_answer_mb in config.toml to allow longer answers."
    )
    assert "Traceback" not in result.stderr
