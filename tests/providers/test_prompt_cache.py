"""Prompt caching on Anthropic Messages: the breakpoints a request carries, as the loopback fake
received them, and the cache reads and writes a caching server reports back.

The fake bills input as a caching server would (`prompt_cache=True`, tests/servers/
prompt_cache.py): a prefix marked in one request is read by the next one that starts with it."""

from __future__ import annotations

from typing import Any

import pytest

from craft_tui.providers.anthropic_messages import AnthropicMessages
from craft_tui.providers.content import ToolCallPart, ToolResultPart
from craft_tui.providers.prompt_cache import (
    MAX_BREAKPOINTS,
    PromptShape,
    estimate_tokens,
    minimum_cacheable_tokens,
    place,
)
from craft_tui.providers.types import ChatMessage, ChatRequest, ToolSpec, Usage
from tests.providers.conftest import KEY, collect, connection_for, text_of
from tests.servers import FakeLLMServer, FakeUsage

SONNET = "claude-sonnet-4-5"
SYSTEM = "You are a careful assistant. " * 200  # ~5,800 characters: ~1,450 tokens
LONG = "Here is a long piece of the conversation. " * 120  # ~5,000 characters each


def marks(value: Any) -> list[Any]:
    """Every `cache_control` object anywhere in a JSON value."""
    found: list[Any] = []
    if isinstance(value, dict):
        if "cache_control" in value:
            found.append(value["cache_control"])
        for item in value.values():
            found.extend(marks(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(marks(item))
    return found


def marked(content: Any) -> bool:
    """The message content carries a mark on its last block."""
    return isinstance(content, list) and content[-1].get("cache_control") == {"type": "ephemeral"}


def conversation(turns: int, text: str = LONG) -> tuple[ChatMessage, ...]:
    """`turns` prompts with an answer after each but the last."""
    messages: list[ChatMessage] = []
    for n in range(turns):
        messages.append(ChatMessage("user", f"Question {n}. {text}"))
        if n < turns - 1:
            messages.append(ChatMessage("assistant", f"Answer {n}. {text}"))
    return tuple(messages)


def tools() -> tuple[ToolSpec, ...]:
    schema = {"type": "object", "properties": {"path": {"type": "string"}}}
    return tuple(
        ToolSpec(f"tool_{n}", "Reads a file and says what is in it. " * 40, schema)
        for n in range(3)
    )


async def send(server: FakeLLMServer, request: ChatRequest, **fields: Any) -> Usage:
    driver = AnthropicMessages(connection_for(server, models=[{"id": SONNET}], **fields), KEY)
    events = await collect(driver, request)
    await driver.aclose()
    assert text_of(events)
    total = Usage()
    for event in events:
        if isinstance(event, Usage):
            total = total.merged(event)
    return total


def body_of(server: FakeLLMServer) -> dict[str, Any]:
    body = server.chat_requests[-1].json
    assert isinstance(body, dict)
    return body


async def test_system_tools_and_conversation_get_four_breakpoints_at_most(
    fake_anthropic: FakeLLMServer,
) -> None:
    request = ChatRequest(SONNET, conversation(12), system=SYSTEM, tools=tools())
    await send(fake_anthropic, request)
    body = body_of(fake_anthropic)
    assert len(marks(body)) == MAX_BREAKPOINTS
    assert body["system"] == [
        {"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}
    ]
    assert [marks(tool) for tool in body["tools"]] == [[], [], [{"type": "ephemeral"}]]
    messages = body["messages"]
    marked_at = [i for i, m in enumerate(messages) if marks(m)]
    # the prompt just added, and the end of the previous request (the prompt before the answer)
    assert marked_at == [len(messages) - 3, len(messages) - 1]
    assert all(marked(messages[i]["content"]) for i in marked_at)
    assert messages[-1]["content"][-1]["text"].startswith("Question 11.")


async def test_the_next_request_reads_what_this_one_wrote(fake_anthropic: FakeLLMServer) -> None:
    fake_anthropic.configure(prompt_cache=True, usage=FakeUsage(output_tokens=5))
    first = await send(fake_anthropic, ChatRequest(SONNET, conversation(1), system=SYSTEM))
    assert first.cached_tokens == 0
    assert first.cache_write_tokens and first.cache_write_tokens > 1024
    second = await send(fake_anthropic, ChatRequest(SONNET, conversation(2), system=SYSTEM))
    assert second.cached_tokens == first.cache_write_tokens  # all of the first request
    assert second.cache_write_tokens and second.cache_write_tokens > 0  # the new answer + prompt
    third = await send(fake_anthropic, ChatRequest(SONNET, conversation(3), system=SYSTEM))
    assert third.cached_tokens == (second.cached_tokens or 0) + second.cache_write_tokens


async def test_turning_it_off_sends_no_breakpoint_and_nothing_is_read(
    fake_anthropic: FakeLLMServer,
) -> None:
    fake_anthropic.configure(prompt_cache=True)
    for turns in (1, 2):
        usage = await send(
            fake_anthropic,
            ChatRequest(SONNET, conversation(turns), system=SYSTEM, tools=tools()),
            prompt_cache=False,
        )
        body = body_of(fake_anthropic)
        assert marks(body) == []
        assert body["system"] == SYSTEM  # a plain string, as without caching
        assert (usage.cached_tokens, usage.cache_write_tokens) == (0, 0)


async def test_a_prompt_under_the_minimum_gets_no_breakpoint(
    fake_anthropic: FakeLLMServer,
) -> None:
    short = ChatRequest(SONNET, conversation(3, text="short"), system="Be brief.")
    await send(fake_anthropic, short)
    assert marks(body_of(fake_anthropic)) == []
    # ~1,450 tokens of system prompt: cacheable on Sonnet 4.5 (1,024), not on Haiku 4.5 (4,096)
    driver_request = ChatRequest("claude-haiku-4-5", conversation(1, "short"), system=SYSTEM)
    await send(fake_anthropic, driver_request)
    assert marks(body_of(fake_anthropic)) == []
    await send(fake_anthropic, ChatRequest(SONNET, conversation(1, "short"), system=SYSTEM))
    body = body_of(fake_anthropic)
    assert marks(body["system"]) == [{"type": "ephemeral"}]
    assert len(marks(body)) == 2  # the system prompt and the prompt (which holds it all)


async def test_tool_results_and_the_prompt_before_the_tool_call_are_marked(
    fake_anthropic: FakeLLMServer,
) -> None:
    call = ToolCallPart("toolu_1", "tool_0", '{"path": "a.txt"}')
    request = ChatRequest(
        SONNET,
        (
            ChatMessage("user", f"Read a.txt. {LONG}"),
            ChatMessage("assistant", parts=(call,)),
            ChatMessage("tool", parts=(ToolResultPart("toolu_1", LONG),)),
        ),
        system=SYSTEM,
        tools=tools(),
    )
    await send(fake_anthropic, request)
    messages = body_of(fake_anthropic)["messages"]
    assert marked(messages[0]["content"])
    assert messages[2]["content"][-1]["type"] == "tool_result"
    assert marked(messages[2]["content"])
    assert marks(messages[1]) == []  # the answer: only a tool_use, never a mark of ours


async def test_cache_reads_and_writes_are_read_from_the_stream(
    fake_anthropic: FakeLLMServer,
) -> None:
    fake_anthropic.configure(
        usage=FakeUsage(
            input_tokens=40, output_tokens=9, cached_tokens=3_000, cache_write_tokens=1_200
        )
    )
    usage = await send(fake_anthropic, ChatRequest(SONNET, conversation(1, "hi")))
    assert usage == Usage(
        input_tokens=40, output_tokens=9, cached_tokens=3_000, cache_write_tokens=1_200
    )


def shape(*sizes: int, system: int | None = None, tools: int | None = None) -> PromptShape:
    roles = tuple("user" if n % 2 == 0 else "assistant" for n in range(len(sizes)))
    return PromptShape(tools, system, sizes, roles, (True,) * len(sizes))


def test_the_rule_prefers_the_conversation_and_never_exceeds_four() -> None:
    big = 8_000  # characters: 2,000 tokens
    where = place(shape(big, big, big, big, big, system=big, tools=big), SONNET)
    assert (where.tools, where.system, where.messages) == (True, True, (2, 4))
    assert where.count == MAX_BREAKPOINTS
    # a first prompt: the prompt (holding system and tools too), the system prompt, the tools
    first = place(shape(big, system=big, tools=big), SONNET)
    assert (first.tools, first.system, first.messages) == (True, True, (0,))
    # a small tool list and system prompt under the minimum: the conversation alone
    small = place(shape(big, big, big, system=400, tools=400), SONNET)
    assert (small.tools, small.system, small.messages) == (False, False, (0, 2))


def test_an_answer_that_cannot_carry_a_mark_is_skipped() -> None:
    sizes = (8_000, 8_000, 8_000)
    blocked = PromptShape(None, None, sizes, ("user", "assistant", "user"), (False, True, True))
    assert place(blocked, SONNET).messages == (2,)


@pytest.mark.parametrize(
    ("model_id", "minimum"),
    [
        ("claude-sonnet-4-5-20250929", 1024),
        ("anthropic/claude-sonnet-4", 1024),
        ("claude-opus-4-1", 1024),
        ("claude-3-7-sonnet-latest", 1024),
        ("claude-sonnet-4-6", 2048),
        ("claude-opus-4-5", 4096),
        ("anthropic/claude-opus-4.6", 4096),
        ("claude-haiku-4-5", 4096),
        ("claude-3-5-haiku-20241022", 2048),
        ("claude-3-haiku", 2048),
        ("some-gateway-model", 1024),
    ],
)
def test_minimum_cacheable_size_by_model(model_id: str, minimum: int) -> None:
    assert minimum_cacheable_tokens(model_id) == minimum


def test_tokens_are_estimated_as_characters_over_four() -> None:
    assert (estimate_tokens(4096), estimate_tokens(4099), estimate_tokens(0)) == (1024, 1024, 0)
