"""Loopback fake LLM servers for tests, UI tests and benchmarks.

Use `FakeLLMServer` directly (a context manager), or the pytest fixtures in `tests.servers.fixtures`
(import them into your conftest: `from tests.servers.fixtures import fake_server, fake_openai, ...`).
Standalone: `python -m tests.servers --port 0 --protocol openai --reply "Hi"` prints its base URL.
"""

from tests.servers.bodies import ERRORS, MIDSTREAM_ERRORS, ErrorResponse
from tests.servers.catalog import DEFAULT_MODELS, FakeModel, openrouter_models
from tests.servers.fake import Behaviour, FakeLLMServer, FakeUsage, RecordedRequest

__all__ = [
    "DEFAULT_MODELS",
    "ERRORS",
    "MIDSTREAM_ERRORS",
    "Behaviour",
    "ErrorResponse",
    "FakeLLMServer",
    "FakeModel",
    "FakeUsage",
    "RecordedRequest",
    "openrouter_models",
]
