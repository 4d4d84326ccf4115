"""Loopback fake LLM servers for tests, UI tests and benchmarks.

Use `FakeLLMServer` directly (a context manager), or the pytest fixtures in `tests.servers.fixtures`
(import them into your conftest: `from tests.servers.fixtures import fake_server, fake_openai, ...`).
Standalone: `python -m tests.servers --port 0 --protocol openai --reply "Hi"` prints its base URL.

Every switch is a field of `Behaviour` (see fake.py): reply/reasoning text, delays, stalls, cuts,
malformed events, mid-stream errors, canned error responses (`bodies.ERRORS`), usage shapes,
keep-alives, CRLF, byte-split writes, redirects, required keys, model-list styles, strict fields,
tool calls in every wire shape (`tool_calls`, `tool_style`, `tool_chunk`; see tool_calls.py).
`FakeLLMServer(tls=True)` serves HTTPS with a self-signed cert (`server.cert_path` is its CA).
`tests.servers.cli` writes a config pointing at a server and runs `craft-tui` in a subprocess.
`tests.servers.door.Door` is a loopback port that refuses, hangs (connect timeout) or relays to a
server, also as an HTTP proxy (CONNECT and absolute-form), for faults that happen before HTTP.
"""

from tests.servers.bodies import ERRORS, MIDSTREAM_ERRORS, ErrorResponse
from tests.servers.catalog import DEFAULT_MODELS, FakeModel, openrouter_models
from tests.servers.fake import Behaviour, FakeLLMServer, FakeUsage, RecordedRequest
from tests.servers.tool_calls import FakeToolCall

__all__ = [
    "DEFAULT_MODELS",
    "ERRORS",
    "MIDSTREAM_ERRORS",
    "Behaviour",
    "ErrorResponse",
    "FakeLLMServer",
    "FakeModel",
    "FakeToolCall",
    "FakeUsage",
    "RecordedRequest",
    "openrouter_models",
]
