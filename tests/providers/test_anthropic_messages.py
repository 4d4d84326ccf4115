"""Anthropic Messages driver against the loopback fake: events, translation, paging."""

from __future__ import annotations

import pytest

from craft_tui.config.schema import ModelEntry, make_auth
from craft_tui.providers.anthropic_messages import AnthropicMessages
from craft_tui.providers.types import ChatMessage, ChatRequest, Finish, Usage
from tests.providers.conftest import KEY, ask, collect, connection_for, reasoning_of, text_of
from tests.servers import FakeLLMServer, FakeUsage, openrouter_models


async def test_streams_thinking_text_usage_and_stop_reason(fake_anthropic: FakeLLMServer) -> None:
    fake_anthropic.configure(
        reply="Paris is the capital.",
        reasoning="The user asks about France.",
        usage=FakeUsage(input_tokens=25, output_tokens=6, cached_tokens=20),
        finish_reason="max_tokens",
    )
    driver = AnthropicMessages(connection_for(fake_anthropic), KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "Paris is the capital."
    assert reasoning_of(events) == "The user asks about France."
    total = Usage()
    for event in events:
        if isinstance(event, Usage):
            total = total.merged(event)
    assert total == Usage(input_tokens=25, output_tokens=6, cached_tokens=20)
    assert events[-1] == Finish("length", "max_tokens")


async def test_stream_without_pings_and_with_crlf(fake_anthropic: FakeLLMServer) -> None:
    fake_anthropic.configure(reply="plain answer", ping=False, crlf=True)
    driver = AnthropicMessages(connection_for(fake_anthropic), KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "plain answer"
    assert events[-1] == Finish("stop", "end_turn")


async def test_body_puts_system_on_top_merges_roles_and_drops_old_reasoning(
    fake_anthropic: FakeLLMServer,
) -> None:
    driver = AnthropicMessages(connection_for(fake_anthropic, max_tokens=777), KEY)
    request = ChatRequest(
        model="fake-small",
        messages=(
            ChatMessage("user", "one"),
            ChatMessage("user", "two"),
            ChatMessage("assistant", "", reasoning="was cancelled"),
            ChatMessage("assistant", "answer", reasoning="hidden"),
            ChatMessage("user", "three"),
        ),
        system="Be kind.",
        temperature=0.5,
    )
    await collect(driver, request)
    await driver.aclose()
    body = fake_anthropic.chat_requests[-1].json
    assert body["system"] == "Be kind."
    assert body["messages"] == [
        {"role": "user", "content": "one\n\ntwo"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": "three"},
    ]
    assert body["max_tokens"] == 777
    assert body["temperature"] == 0.5
    assert body["stream"] is True


async def test_max_tokens_prefers_model_entry_and_thinking_budget_fits(
    fake_anthropic: FakeLLMServer,
) -> None:
    connection = connection_for(
        fake_anthropic, models=[ModelEntry(id="fake-small", max_tokens=2000)], max_tokens=4096
    )
    driver = AnthropicMessages(connection, KEY)
    await collect(driver, ask())
    assert fake_anthropic.chat_requests[-1].json["max_tokens"] == 2000
    await collect(driver, ask(reasoning_budget=3000, temperature=0.2))
    await driver.aclose()
    body = fake_anthropic.chat_requests[-1].json
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 3000}
    assert body["max_tokens"] > 3000
    assert "temperature" not in body


@pytest.mark.parametrize(
    ("auth", "expected"), [("api_key", "x-api-key"), ("bearer", "authorization")]
)
async def test_key_header_follows_auth_type(
    fake_anthropic: FakeLLMServer, auth: str, expected: str
) -> None:
    driver = AnthropicMessages(connection_for(fake_anthropic, auth=make_auth(auth)), KEY)  # type: ignore[arg-type]
    await collect(driver, ask())
    await driver.list_models()
    await driver.aclose()
    for request in fake_anthropic.requests:
        headers = request.headers
        assert headers["anthropic-version"] == "2023-06-01"
        if expected == "x-api-key":
            assert headers["x-api-key"] == KEY
            assert "authorization" not in headers
        else:
            assert headers["authorization"] == f"Bearer {KEY}"
            assert "x-api-key" not in headers


async def test_model_list_follows_every_page() -> None:
    with FakeLLMServer(protocol="anthropic", models=openrouter_models(45), page_size=10) as server:
        driver = AnthropicMessages(connection_for(server), KEY)
        models = await driver.list_models()
        await driver.aclose()
        pages = [r for r in server.requests if r.path == "/v1/models"]
    assert [m.id for m in models] == [m.id for m in openrouter_models(45)]
    assert len(pages) == 5
    assert "after_id" not in pages[0].query
    assert pages[1].query["after_id"] == openrouter_models(45)[9].id


async def test_gateway_answering_one_json_message(fake_anthropic: FakeLLMServer) -> None:
    fake_anthropic.configure(reply="whole", json_response=True)
    driver = AnthropicMessages(connection_for(fake_anthropic), KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "whole"
    assert events[-1] == Finish("stop", "end_turn")


async def test_openai_shaped_error_inside_a_messages_stream_is_raised_after_the_text() -> None:
    from craft_tui.providers.errors import ErrorKind, ProviderError
    from craft_tui.providers.types import TextDelta

    with FakeLLMServer(
        protocol="anthropic",
        reply="one two three",
        midstream_error="openrouter",  # {"error": {...}} without an Anthropic `type`
        midstream_error_after=1,
    ) as server:
        driver = AnthropicMessages(connection_for(server), KEY)
        text = ""
        with pytest.raises(ProviderError) as caught:
            async for event in driver.stream(ask()):
                if isinstance(event, TextDelta):
                    text += event.text
        await driver.aclose()
    assert text == "one "
    assert caught.value.kind is ErrorKind.OVERLOADED


async def test_connection_headers_can_set_version_and_beta(fake_anthropic: FakeLLMServer) -> None:
    connection = connection_for(
        fake_anthropic,
        headers={"anthropic-version": "2024-01-01", "anthropic-beta": "some-feature"},
    )
    driver = AnthropicMessages(connection, KEY)
    await collect(driver, ask())
    await driver.aclose()
    headers = fake_anthropic.chat_requests[-1].headers
    assert headers["anthropic-version"] == "2024-01-01"
    assert headers["anthropic-beta"] == "some-feature"
