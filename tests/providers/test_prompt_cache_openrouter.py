"""Prompt caching through OpenRouter's Chat Completions: Anthropic models get `cache_control`
on content parts, other models none, and the cache reads and writes OpenRouter reports are read.

The fake server stands in for openrouter.ai as an HTTP proxy (as in test_routing_body.py): the
connection names the real host, the request travels to 127.0.0.1 through `HTTP_PROXY`."""

from __future__ import annotations

from typing import Any

import pytest

from craft_tui.config.schema import Connection, Timeouts, make_auth
from craft_tui.providers.openai_chat import OpenAIChat
from craft_tui.providers.prompt_cache import MAX_BREAKPOINTS
from craft_tui.providers.types import ChatRequest, Usage
from tests.providers.conftest import KEY, collect, text_of
from tests.providers.test_prompt_cache import SYSTEM, conversation, marked, marks, tools
from tests.servers import FakeLLMServer, FakeUsage

CLAUDE = "anthropic/claude-sonnet-4.5"
OPENROUTER = "http://openrouter.ai/api/v1"


@pytest.fixture
def openrouter(monkeypatch: pytest.MonkeyPatch) -> Any:
    with FakeLLMServer(prefix="/api", reply="cached") as server:
        monkeypatch.setenv("HTTP_PROXY", server.root_url)
        yield server


def connection(base_url: str = OPENROUTER, **fields: Any) -> Connection:
    return Connection(
        slug="or",
        name="OpenRouter",
        protocol="openai",  # type: ignore[arg-type]
        base_url=base_url,
        auth=make_auth("api_key"),
        timeouts=Timeouts(connect=5, read=5, write=5, pool=5),
        **fields,
    )


async def send(server: FakeLLMServer, request: ChatRequest, **fields: Any) -> Usage:
    driver = OpenAIChat(connection(**fields), KEY)
    events = await collect(driver, request)
    await driver.aclose()
    assert text_of(events) == "cached"
    usages = [e for e in events if isinstance(e, Usage)]
    assert len(usages) == 1
    return usages[0]


def body_of(server: FakeLLMServer) -> dict[str, Any]:
    body = server.chat_requests[-1].json
    assert isinstance(body, dict)
    return body


async def test_anthropic_models_get_marks_on_system_and_conversation(
    openrouter: FakeLLMServer,
) -> None:
    await send(openrouter, ChatRequest(CLAUDE, conversation(12), system=SYSTEM, tools=tools()))
    body = body_of(openrouter)
    messages = body["messages"]
    assert len(marks(body)) == 3 <= MAX_BREAKPOINTS
    assert messages[0] == {
        "role": "system",
        "content": [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}],
    }
    assert marked(messages[-1]["content"]) and marked(messages[-3]["content"])
    assert messages[-1]["content"][-1]["text"].startswith("Question 11.")
    assert marks(body["tools"]) == []  # rendered before the system prompt: its mark holds them
    assert all(isinstance(m["content"], str) for m in messages[1:-3])  # the rest as before


async def test_other_models_and_an_off_switch_get_none(openrouter: FakeLLMServer) -> None:
    request = ChatRequest("openai/gpt-4.1", conversation(6), system=SYSTEM)
    await send(openrouter, request)
    assert marks(body_of(openrouter)) == []
    await send(openrouter, ChatRequest(CLAUDE, conversation(6), system=SYSTEM), prompt_cache=False)
    body = body_of(openrouter)
    assert marks(body) == []
    assert body["messages"][0] == {"role": "system", "content": SYSTEM}


async def test_anthropic_models_elsewhere_get_none(openrouter: FakeLLMServer) -> None:
    # The same id on another OpenAI-compatible server: it may not take Anthropic's field.
    await send(
        openrouter,
        ChatRequest(CLAUDE, conversation(6), system=SYSTEM),
        base_url="http://gateway.example/api/v1",
    )
    assert marks(body_of(openrouter)) == []


async def test_reads_and_writes_as_openrouter_reports_them(openrouter: FakeLLMServer) -> None:
    openrouter.configure(prompt_cache=True, usage=FakeUsage(output_tokens=3))
    first = await send(openrouter, ChatRequest(CLAUDE, conversation(1), system=SYSTEM))
    assert first.cached_tokens == 0
    assert first.cache_write_tokens and first.cache_write_tokens > 1024
    assert first.input_tokens and first.input_tokens >= first.cache_write_tokens  # included
    second = await send(openrouter, ChatRequest(CLAUDE, conversation(2), system=SYSTEM))
    assert second.cached_tokens == first.cache_write_tokens
    assert second.cache_write_tokens and second.cache_write_tokens > 0


async def test_cache_write_tokens_are_parsed(openrouter: FakeLLMServer) -> None:
    openrouter.configure(
        usage=FakeUsage(
            input_tokens=5_000, output_tokens=7, cached_tokens=3_000, cache_write_tokens=1_500
        )
    )
    usage = await send(openrouter, ChatRequest(CLAUDE, conversation(1, "hi")))
    assert (usage.input_tokens, usage.cached_tokens, usage.cache_write_tokens) == (
        5_000,
        3_000,
        1_500,
    )
