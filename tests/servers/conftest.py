"""Makes the fake-server fixtures available to the tests in this folder."""

from tests.servers.fixtures import fake_anthropic, fake_openai, fake_server  # noqa: F401
