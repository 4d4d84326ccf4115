"""Fake-server fixtures for the chat-core tests that talk to a real driver."""

from tests.servers.fixtures import fake_server  # noqa: F401
