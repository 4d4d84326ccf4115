"""Fake-server fixtures and small helpers for the driver tests."""

from __future__ import annotations

from typing import Any

from craft_tui.config.schema import Connection, Timeouts, make_auth
from craft_tui.providers.types import ChatMessage, ChatRequest, Driver, StreamEvent
from tests.servers.fake import FakeLLMServer
from tests.servers.fixtures import fake_anthropic, fake_openai, fake_server  # noqa: F401

KEY = "sk-test-0123456789abcdefghij"


def connection_for(server: FakeLLMServer, protocol: str | None = None, **fields: Any) -> Connection:
    """A connection pointing at `server`, with short timeouts so faults surface quickly."""
    protocol = protocol or server.protocol
    fields.setdefault("auth", make_auth("api_key"))
    fields.setdefault("timeouts", Timeouts(connect=5, read=5, write=5, pool=5))
    fields.setdefault("models", [{"id": "fake-small"}])
    fields.setdefault(
        "base_url", server.anthropic_base_url if protocol == "anthropic" else server.openai_base_url
    )  # both OpenAI protocols (Chat Completions, Responses) share the /v1 base
    return Connection(slug="fake", name="Fake", protocol=protocol, **fields)  # type: ignore[arg-type]


def ask(text: str = "Hi", model: str = "fake-small", **fields: Any) -> ChatRequest:
    return ChatRequest(model=model, messages=(ChatMessage("user", text),), **fields)


async def collect(driver: Driver, request: ChatRequest) -> list[StreamEvent]:
    return [event async for event in driver.stream(request)]


def text_of(events: list[StreamEvent]) -> str:
    from craft_tui.providers.types import TextDelta

    return "".join(e.text for e in events if isinstance(e, TextDelta))


def reasoning_of(events: list[StreamEvent]) -> str:
    from craft_tui.providers.types import ReasoningDelta

    return "".join(e.text for e in events if isinstance(e, ReasoningDelta))
