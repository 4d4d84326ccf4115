"""OpenAI Chat Completions driver against the loopback fake: what the user sees, what is sent."""

from __future__ import annotations

import pytest

from craft_tui.config.schema import ModelEntry
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.openai_chat import OpenAIChat
from craft_tui.providers.types import ChatMessage, ChatRequest, Finish, Usage
from tests.providers.conftest import KEY, ask, collect, connection_for, reasoning_of, text_of
from tests.servers import FakeLLMServer, FakeUsage, openrouter_models


async def test_streams_text_reasoning_usage_and_finish(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(
        reply="The answer is 42.",
        reasoning="Let me think.",
        usage=FakeUsage(
            input_tokens=30, output_tokens=7, cached_tokens=10, reasoning_tokens=4, cost=0.00123
        ),
    )
    driver = OpenAIChat(connection_for(fake_openai), KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "The answer is 42."
    assert reasoning_of(events) == "Let me think."
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage == Usage(30, 7, 10, 4, 0.00123)
    assert events[-1] == Finish("stop", "stop")


@pytest.mark.parametrize("style", ["empty_choices", "empty_delta"])
async def test_usage_chunk_in_either_gateway_shape_is_read(
    fake_openai: FakeLLMServer, style: str
) -> None:
    fake_openai.configure(reply="a b c", usage_style=style, usage=FakeUsage(input_tokens=5))
    driver = OpenAIChat(connection_for(fake_openai), KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "a b c"
    assert [e for e in events if isinstance(e, Usage)] == [Usage(input_tokens=5, output_tokens=3)]


async def test_reasoning_content_field_keepalives_and_no_role_delta(
    fake_openai: FakeLLMServer,
) -> None:
    fake_openai.configure(
        reply="one two three four five",
        reasoning="deep thought",
        reasoning_field="reasoning_content",
        keepalive=True,
        role_first=False,
        crlf=True,
        finish_reason="length",
    )
    driver = OpenAIChat(connection_for(fake_openai), KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "one two three four five"
    assert reasoning_of(events) == "deep thought"
    assert events[-1] == Finish("length", "length")


async def test_server_ignoring_stream_flag_still_gives_the_answer(
    fake_openai: FakeLLMServer,
) -> None:
    fake_openai.configure(reply="whole answer", json_response=True)
    driver = OpenAIChat(connection_for(fake_openai), KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "whole answer"
    assert isinstance(events[-1], Finish)


async def test_request_body_has_system_first_history_and_stream_usage(
    fake_openai: FakeLLMServer,
) -> None:
    connection = connection_for(fake_openai, models=[ModelEntry(id="fake-small", max_tokens=321)])
    driver = OpenAIChat(connection, KEY)
    request = ChatRequest(
        model="fake-small",
        messages=(
            ChatMessage("user", "first"),
            ChatMessage("assistant", "reply", reasoning="secret thoughts"),
            ChatMessage("user", "second"),
        ),
        system="Be brief.",
        temperature=0.3,
        reasoning_effort="high",
    )
    await collect(driver, request)
    await driver.aclose()
    body = fake_openai.chat_requests[-1].json
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "reply"},
        {"role": "user", "content": "second"},
    ]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 321
    assert body["temperature"] == 0.3
    assert body["reasoning_effort"] == "high"


async def test_connection_system_prompt_used_when_request_has_none(
    fake_openai: FakeLLMServer,
) -> None:
    driver = OpenAIChat(connection_for(fake_openai, system_prompt="You are terse."), KEY)
    await collect(driver, ask())
    await driver.aclose()
    assert fake_openai.chat_requests[-1].json["messages"][0] == {
        "role": "system",
        "content": "You are terse.",
    }


async def test_openrouter_model_list_prices_become_usd_per_million() -> None:
    with FakeLLMServer(models=openrouter_models(3), model_list="openrouter") as server:
        driver = OpenAIChat(connection_for(server), KEY)
        models = await driver.list_models()
        await driver.aclose()
    assert [m.id for m in models] == [
        "anthropic/model-000",
        "openai/model-001",
        "meta-llama/model-002",
    ]
    first = models[0]
    assert first.context_window == 4096
    assert first.input_price == pytest.approx(0.1)
    assert first.output_price == pytest.approx(0.4)
    assert first.name == "Anthropic: Model 0"


async def test_model_list_with_models_array_beside_data(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(model_list="llamacpp")
    driver = OpenAIChat(connection_for(fake_openai), None)
    models = await driver.list_models()
    await driver.aclose()
    assert [(m.id, m.context_window) for m in models] == [
        ("fake-small", 8192),
        ("fake-large", 128000),
    ]


async def test_missing_model_list_is_no_model_list(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(model_list=None)
    driver = OpenAIChat(connection_for(fake_openai), KEY)
    with pytest.raises(ProviderError) as caught:
        await driver.list_models()
    await driver.aclose()
    assert caught.value.kind is ErrorKind.NO_MODEL_LIST


async def test_model_list_error_is_mapped(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(require_key="right-key-123456")
    driver = OpenAIChat(connection_for(fake_openai), "wrong-key-123456")
    with pytest.raises(ProviderError) as caught:
        await driver.list_models()
    await driver.aclose()
    assert caught.value.kind is ErrorKind.AUTHENTICATION


async def test_strict_server_refusing_stream_options_still_answers(
    fake_openai: FakeLLMServer,
) -> None:
    fake_openai.configure(reply="strict but fine", reject_fields=("stream_options",))
    driver = OpenAIChat(connection_for(fake_openai), KEY)
    events = await collect(driver, ask())
    await driver.aclose()
    assert text_of(events) == "strict but fine"
    first, second = fake_openai.chat_requests
    assert "stream_options" in first.json
    assert "stream_options" not in second.json
    assert second.json["messages"] == first.json["messages"]


async def test_refused_field_that_is_not_optional_is_reported_once(
    fake_openai: FakeLLMServer,
) -> None:
    fake_openai.configure(reject_fields=("messages",))
    driver = OpenAIChat(connection_for(fake_openai), KEY)
    with pytest.raises(ProviderError) as caught:
        await collect(driver, ask())
    await driver.aclose()
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    assert "messages: Extra inputs are not permitted" in caught.value.message
    assert len(fake_openai.chat_requests) == 1


def test_body_speaks_each_providers_dialect() -> None:
    from craft_tui.config.schema import Connection

    def body_for(base: str) -> dict[str, object]:
        connection = Connection(slug="x", name="X", protocol="openai", base_url=base)
        request = ask(max_tokens=100, reasoning_effort="low")
        return OpenAIChat(connection, KEY).build_body(request)

    openai = body_for("https://api.openai.com/v1")
    assert openai["max_completion_tokens"] == 100 and "max_tokens" not in openai
    assert openai["reasoning_effort"] == "low"
    openrouter = body_for("https://openrouter.ai/api/v1")
    assert openrouter["max_tokens"] == 100
    assert openrouter["reasoning"] == {"effort": "low"}
    assert openrouter["usage"] == {"include": True}
    local = body_for("http://127.0.0.1:8080/v1")
    assert local["max_tokens"] == 100 and local["reasoning_effort"] == "low"
    assert "usage" not in local


async def test_one_driver_serves_concurrent_answers_over_its_pool(
    fake_openai: FakeLLMServer,
) -> None:
    fake_openai.configure(echo=True, delay=0.01)
    driver = OpenAIChat(connection_for(fake_openai), KEY)

    async def one(index: int) -> str:
        return text_of(await collect(driver, ask(f"question {index}")))

    import asyncio

    answers = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(12))), 60)
    await driver.aclose()
    assert answers == [f"question {i}" for i in range(12)]
