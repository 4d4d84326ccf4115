"""UI tests use the loopback fake servers (real sockets on 127.0.0.1), and never probe this machine's
real local ports: first-run detection finds nothing unless a test points it at a fake server."""

from __future__ import annotations

import pytest

from craft_tui.providers import detect as detect_module
from craft_tui.ui.screens import connections as connections_module
from tests.servers.fixtures import fake_anthropic, fake_openai, fake_server  # noqa: F401


@pytest.fixture(autouse=True)
def no_real_local_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's running Ollama or LM Studio must not change what a test sees."""

    async def nothing_local() -> list[detect_module.Finding]:
        return await detect_module.detect(environ={}, targets=[])

    monkeypatch.setattr(connections_module, "detect", nothing_local)
