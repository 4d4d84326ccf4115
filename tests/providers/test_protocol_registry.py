"""Drivers come from the protocol registry: an unknown protocol is refused; the three shipped
protocols (OpenAI Chat Completions, Anthropic Messages, OpenAI Responses) are in it, the third
added as one entry and one driver module; and a protocol registered here — one entry, no other
code change — is validated, sent to its own URLs through its own driver with its own auth header,
checked and priced, against a loopback server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from craft_tui.chat.cost import answer_cost
from craft_tui.config import paths
from craft_tui.config.protocols import (
    Protocol,
    all_protocols,
    get_protocol,
    known_protocols,
    register,
    unregister,
)
from craft_tui.config.schema import make_auth
from craft_tui.config.store import load_config
from craft_tui.config.url_rules import UrlRules
from craft_tui.providers.anthropic_messages import AnthropicMessages
from craft_tui.providers.check import check_connection
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver, open_driver
from craft_tui.providers.openai_chat import OpenAIChat
from craft_tui.providers.openai_responses import OpenAIResponses
from craft_tui.providers.types import Usage
from tests.providers.conftest import KEY, ask, collect, connection_for, text_of
from tests.servers import FakeLLMServer
from tests.servers.fixtures import ServerFactory

GATEWAY = "openai-gateway"


class TaggedChat(OpenAIChat):
    """The OpenAI driver, marking its requests so the test can tell which driver sent them."""

    def _auth_headers(self) -> dict[str, str]:
        return {**super()._auth_headers(), "X-Driver": "tagged-chat"}


@pytest.fixture
def gateway_protocol() -> Iterator[None]:
    """OpenAI's chat format behind a gateway that keeps `/v1` in its endpoint paths (like
    Anthropic's layout) and wants the key in `x-api-key`: a copy of the OpenAI entry with
    another name, URL layout, driver, key header and cached-token counting."""
    register(
        replace(
            get_protocol("openai"),
            name=Protocol(GATEWAY),
            label="OpenAI chat behind a versioned gateway",
            urls=UrlRules(
                chat_path="/v1/chat/completions",
                models_path="/v1/models",
                pasted_suffixes=("/v1/chat/completions", "/v1/models"),
                version_in_base=False,
            ),
            driver=f"{__name__}:TaggedChat",
            key_header="x-api-key",
            cached_in_input=False,
        )
    )
    try:
        yield
    finally:
        unregister(GATEWAY)


def test_the_factory_refuses_an_unknown_protocol_instead_of_falling_back() -> None:
    with FakeLLMServer() as server:
        # Validation never lets such a connection through; a copy made without it can be one.
        connection = connection_for(server, auth=make_auth("none"))
        connection = connection.model_copy(update={"protocol": "grpc"})
        for build in (lambda: make_driver(connection, KEY), lambda: open_driver(connection)):
            with pytest.raises(ProviderError) as caught:
                build()
            assert caught.value.kind is ErrorKind.UNKNOWN
            assert caught.value.message == (
                "Connection 'Fake' uses an unknown protocol 'grpc'; "
                'known protocols: "openai", "anthropic", "openai-responses".'
            )
        assert server.requests == []  # nothing was sent anywhere


def test_a_protocol_taken_out_of_the_registry_is_refused_for_a_connection_made_before(
    gateway_protocol: None, fake_openai: FakeLLMServer
) -> None:
    connection = connection_for(fake_openai, protocol=GATEWAY, base_url=fake_openai.root_url)
    unregister(GATEWAY)
    with pytest.raises(ProviderError, match="unknown protocol 'openai-gateway'"):
        make_driver(connection, KEY)


async def test_a_registered_third_protocol_works_end_to_end_with_no_other_code_change(
    gateway_protocol: None, fake_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = fake_server(protocol="openai", prefix="/api", require_key=KEY, reply="Hello there.")
    monkeypatch.setenv("GATEWAY_KEY", KEY)
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # The full endpoint pasted from the gateway's docs; the entry's rules make it a base.
    path.write_text(
        "[[connections]]\n"
        'slug = "gateway"\nname = "Gateway"\n'
        f'protocol = "{GATEWAY}"\n'
        f'base_url = "{server.root_url}/api/v1/chat/completions"\n'
        'auth = { type = "api_key", api_key_env = "GATEWAY_KEY" }\n'
        'models = [{ id = "fake-small", input_price = 1.0, output_price = 2.0 }]\n',
        encoding="utf-8",
    )
    connection = load_config().connections[0]
    assert connection.base_url == f"{server.root_url}/api"  # OpenAI's rules would keep no /v1...

    driver = open_driver(connection)
    assert type(driver) is TaggedChat
    try:
        events = await collect(driver, ask("Hi"))
        models = await driver.list_models()
    finally:
        await driver.aclose()
    assert text_of(events) == "Hello there."
    assert "fake-small" in [model.id for model in models]

    chat, listing = server.chat_requests[-1], server.requests[-1]
    assert (
        chat.path == "/api/v1/chat/completions"
    )  # ...and would have posted to /api/chat/completions
    assert listing.path == "/api/v1/models"
    for request in (chat, listing):
        assert request.headers["x-driver"] == "tagged-chat"  # its own driver sent it
        assert request.headers["x-api-key"] == KEY  # its key header, not OpenAI's Bearer
        assert "authorization" not in request.headers
    assert chat.json["messages"] == [{"role": "user", "content": "Hi"}]  # the driver's body

    steps = [step async for step in check_connection(connection, KEY)]
    assert [(step.name, step.ok) for step in steps] == [("models", True), ("answer", True)]
    assert f"{server.root_url}/api/v1/chat/completions" in steps[-1].detail

    # Cached tokens are counted on top of the input tokens, as the entry says: 1500 at $1/M.
    usage = Usage(input_tokens=1000, output_tokens=0, cached_tokens=500)
    assert answer_cost(connection, "fake-small", usage).usd == pytest.approx(0.0015)
    openai = connection.model_copy(update={"protocol": "openai"})
    assert answer_cost(openai, "fake-small", usage).usd == pytest.approx(0.001)


def test_three_protocols_ship_each_with_its_own_driver() -> None:
    assert known_protocols() == ("openai", "anthropic", "openai-responses")
    assert [(p.name, p.label) for p in all_protocols()] == [
        ("openai", "OpenAI Chat Completions"),
        ("anthropic", "Anthropic Messages"),
        ("openai-responses", "OpenAI Responses"),
    ]
    with FakeLLMServer() as server:
        drivers = {
            name: type(make_driver(connection_for(server, protocol=name), KEY))
            for name in known_protocols()
        }
    assert drivers == {
        "openai": OpenAIChat,
        "anthropic": AnthropicMessages,
        "openai-responses": OpenAIResponses,
    }


async def test_the_responses_protocol_from_config_toml_to_a_priced_answer(
    fake_server: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped third protocol end to end: its entry's URL rules turn a pasted endpoint into
    the /v1 base, its driver posts to /v1/responses with a Bearer key and lists /v1/models, the
    connection check passes, and cached tokens are priced as part of the input (as OpenAI's)."""
    server = fake_server(protocol="openai-responses", require_key=KEY, reply="Hello there.")
    monkeypatch.setenv("RESPONSES_KEY", KEY)
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[[connections]]\n"
        'slug = "resp"\nname = "Responses"\n'
        'protocol = "openai-responses"\n'
        f'base_url = "{server.root_url}/v1/responses"\n'
        'auth = { type = "api_key", api_key_env = "RESPONSES_KEY" }\n'
        'models = [{ id = "fake-small", input_price = 1.0, output_price = 2.0 }]\n',
        encoding="utf-8",
    )
    connection = load_config().connections[0]
    assert connection.base_url == f"{server.root_url}/v1"

    driver = open_driver(connection)
    assert type(driver) is OpenAIResponses
    try:
        events = await collect(driver, ask("Hi"))
        models = await driver.list_models()
    finally:
        await driver.aclose()
    assert text_of(events) == "Hello there."
    assert "fake-small" in [model.id for model in models]
    chat, listing = server.chat_requests[-1], server.requests[-1]
    assert (chat.path, listing.path) == ("/v1/responses", "/v1/models")
    for request in (chat, listing):
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert "x-api-key" not in request.headers

    steps = [step async for step in check_connection(connection, KEY)]
    assert [(step.name, step.ok) for step in steps] == [("models", True), ("answer", True)]
    assert f"{server.root_url}/v1/responses" in steps[-1].detail

    usage = Usage(input_tokens=1000, output_tokens=0, cached_tokens=500)
    assert answer_cost(connection, "fake-small", usage).usd == pytest.approx(0.001)
