"""Fake-server fixtures for the workspace tests."""

from tests.servers.fixtures import fake_server  # noqa: F401
