"""pytest fixtures around `FakeLLMServer`. Import the ones you need into a conftest.py:

    from tests.servers.fixtures import fake_anthropic, fake_openai, fake_server  # noqa: F401

`fake_openai` / `fake_anthropic` are started servers whose `base_url` suits that protocol;
`fake_server` is a factory for extra servers (each stopped after the test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.servers.fake import FakeLLMServer

ServerFactory = Callable[..., FakeLLMServer]


@pytest.fixture
def fake_server() -> Iterator[ServerFactory]:
    """Start any number of servers: `fake_server(protocol="anthropic", reply="Hi", cut_after=2)`."""
    started: list[FakeLLMServer] = []

    def make(**kwargs: Any) -> FakeLLMServer:
        server = FakeLLMServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def fake_openai() -> Iterator[FakeLLMServer]:
    """An OpenAI-compatible fake; `base_url` ends in /v1."""
    with FakeLLMServer(protocol="openai") as server:
        yield server


@pytest.fixture
def fake_anthropic() -> Iterator[FakeLLMServer]:
    """An Anthropic-compatible fake; `base_url` has no /v1."""
    with FakeLLMServer(protocol="anthropic") as server:
        yield server
