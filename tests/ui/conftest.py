"""UI tests use the loopback fake servers (real sockets on 127.0.0.1)."""

from tests.servers.fixtures import fake_anthropic, fake_openai, fake_server  # noqa: F401
