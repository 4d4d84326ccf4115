"""Models that cannot call tools (issue 18): the refusal each kind of server sends becomes one
`tools_unsupported` error naming the model, and discovery keeps what the server says about tool
support per model (`ModelInfo.extra["tools"]`), without asking anything extra."""

from __future__ import annotations

from typing import Any

import pytest

from craft_tui.providers.anthropic_messages import AnthropicMessages
from craft_tui.providers.discovery import discover_models
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.http import HttpDriver
from craft_tui.providers.openai_chat import OpenAIChat
from craft_tui.providers.types import ToolSpec
from tests.providers.conftest import KEY, ask, collect, connection_for, text_of
from tests.servers import ERRORS, FakeLLMServer, FakeModel
from tests.servers.fixtures import ServerFactory

CLOCK = (ToolSpec("clock", "The time now.", {"type": "object", "properties": {}}),)


def driver_for(server: FakeLLMServer) -> HttpDriver:
    connection = connection_for(server, models=[{"id": "gemma:2b"}])
    if server.protocol == "openai":
        return OpenAIChat(connection, KEY)
    return AnthropicMessages(connection, KEY)


async def failure(server: FakeLLMServer, **fields: Any) -> ProviderError:
    driver = driver_for(server)
    try:
        with pytest.raises(ProviderError) as raised:
            await collect(driver, ask(model="gemma:2b", **fields))
    finally:
        await driver.aclose()
    return raised.value


@pytest.mark.parametrize(
    ("protocol", "body", "words", "fix"),
    [
        (
            "openai",
            "ollama_400_tools",
            "does not support tools",
            "Pick a model that supports tools",
        ),
        (
            "openai",
            "openrouter_404_tools",
            "No endpoints found that support tool use",
            "support tool use",
        ),
        ("openai", "groq_400_tools", "is not supported with this model", "supports tools"),
        ("openai", "vllm_400_tools", "--enable-auto-tool-choice", "Start vLLM with"),
        ("openai", "llamacpp_400_tools", "requires --jinja", "Start llama-server with --jinja"),
        ("anthropic", "anthropic_400_tools", "does not support tools", "supports tools"),
        ("anthropic", "ollama_400_tools", "does not support tools", "supports tools"),
    ],
)
async def test_a_refused_tools_request_names_the_model_and_the_way_out(
    fake_server: ServerFactory, protocol: str, body: str, words: str, fix: str
) -> None:
    server = fake_server(protocol=protocol, error_if_tools=body)
    error = await failure(server, tools=CLOCK)
    assert error.kind is ErrorKind.TOOLS_UNSUPPORTED
    assert error.status == ERRORS[body].status
    assert "'gemma:2b'" in error.message and "tools" in error.message
    assert words in error.message  # the server's own reason, quoted
    assert fix in error.hint and "without tools" in error.hint
    assert not error.retryable
    # The same model answers once no tools are offered: the error was about tools only.
    driver = driver_for(server)
    try:
        events = await collect(driver, ask(model="gemma:2b"))
    finally:
        await driver.aclose()
    assert text_of(events) == "Hello from the fake server."


async def test_other_refusals_are_not_mistaken_for_tools(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(error="openai_400_invalid")
    error = await failure(fake_openai, tools=CLOCK)
    assert error.kind is ErrorKind.INVALID_REQUEST
    fake_openai.configure(error="ollama_404_model")
    assert (await failure(fake_openai, tools=CLOCK)).kind is ErrorKind.MODEL_NOT_FOUND


async def test_openrouter_supported_parameters_mark_tool_models(
    fake_server: ServerFactory,
) -> None:
    models = [FakeModel("openai/gpt-x", tools=True), FakeModel("vendor/plain", tools=False)]
    server = fake_server(models=models, model_list="openrouter")
    found = await discover_models(connection_for(server), None)
    assert [(m.id, m.extra.get("tools")) for m in found.models] == [
        ("openai/gpt-x", "yes"),
        ("vendor/plain", "no"),
    ]


async def test_a_model_list_that_does_not_say_leaves_tools_unknown(
    fake_server: ServerFactory,
) -> None:
    server = fake_server(model_list="llamacpp")  # context lengths given: no Ollama probe
    found = await discover_models(connection_for(server), None)
    assert found.models and all("tools" not in m.extra for m in found.models)


async def test_ollama_capabilities_from_the_show_it_already_asks(
    fake_server: ServerFactory,
) -> None:
    models = [
        FakeModel("qwen3:8b", context_window=40960, tools=True),
        FakeModel("gemma:2b", context_window=8192),
    ]
    server = fake_server(models=models)
    found = await discover_models(connection_for(server, preset="ollama"), None)
    assert [(m.id, m.context_window, m.extra.get("tools")) for m in found.models] == [
        ("qwen3:8b", 40960, "yes"),
        ("gemma:2b", 8192, "no"),
    ]
    shows = [r for r in server.requests if r.path == "/api/show"]
    assert len(shows) == len(models)  # one per model, as before: nothing asked only for tools
