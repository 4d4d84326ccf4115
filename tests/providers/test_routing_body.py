"""Provider routing preferences (`[connections.routing]`) reach OpenRouter and Vercel AI Gateway
in each one's documented shape, asserted on what the server received.

The fake server stands in for openrouter.ai / ai-gateway.vercel.sh as an HTTP proxy: the
connection's URL names the real host (the driver picks the body's dialect by host), and the
request travels to 127.0.0.1 through `HTTP_PROXY`, as it would through a company proxy."""

from __future__ import annotations

from typing import Any

import pytest

from craft_tui.config.schema import Connection, Routing, Timeouts, make_auth
from craft_tui.providers.openai_chat import OpenAIChat
from tests.providers.conftest import KEY, ask, collect, text_of
from tests.servers import FakeLLMServer


def through_proxy(server: FakeLLMServer, base_url: str, **fields: Any) -> Connection:
    return Connection(
        slug="gw",
        name="Gateway",
        protocol="openai",
        base_url=base_url,
        auth=make_auth("api_key"),
        timeouts=Timeouts(connect=5, read=5, write=5, pool=5),
        models=[{"id": "anthropic/claude-sonnet-4"}],  # type: ignore[list-item]
        **fields,
    )


async def sent_body(
    monkeypatch: pytest.MonkeyPatch, base_url: str, prefix: str, **fields: Any
) -> dict[str, Any]:
    with FakeLLMServer(prefix=prefix, reply="routed") as server:
        monkeypatch.setenv("HTTP_PROXY", server.root_url)
        driver = OpenAIChat(through_proxy(server, base_url, **fields), KEY)
        events = await collect(
            driver, ask(model="anthropic/claude-sonnet-4", reasoning_effort="high")
        )
        await driver.aclose()
        assert text_of(events) == "routed"
        body = server.chat_requests[-1].json
    assert isinstance(body, dict)
    return body


async def test_openrouter_gets_its_provider_object_and_reasoning_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    routing = Routing(
        order=["anthropic", "amazon-bedrock"],
        allow_fallbacks=False,
        data_collection="deny",
        zdr=True,
        sort="throughput",
    )
    body = await sent_body(monkeypatch, "http://openrouter.ai/api/v1", "/api", routing=routing)
    assert body["provider"] == {
        "order": ["anthropic", "amazon-bedrock"],
        "allow_fallbacks": False,
        "data_collection": "deny",
        "zdr": True,
        "sort": "throughput",
    }
    assert body["reasoning"] == {"effort": "high"}  # OpenRouter's documented shape
    assert "reasoning_effort" not in body and "providerOptions" not in body


async def test_only_the_preferences_set_are_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    body = await sent_body(
        monkeypatch, "http://openrouter.ai/api/v1", "/api", routing=Routing(data_collection="deny")
    )
    assert body["provider"] == {"data_collection": "deny"}


async def test_vercel_gets_provider_options_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    routing = Routing(order=["bedrock", "anthropic"], only=["bedrock", "anthropic"])
    body = await sent_body(monkeypatch, "http://ai-gateway.vercel.sh/v1", "", routing=routing)
    assert body["providerOptions"] == {
        "gateway": {"order": ["bedrock", "anthropic"], "only": ["bedrock", "anthropic"]}
    }
    assert "provider" not in body


async def test_no_routing_sends_no_routing_field(monkeypatch: pytest.MonkeyPatch) -> None:
    body = await sent_body(monkeypatch, "http://openrouter.ai/api/v1", "/api")
    assert "provider" not in body and "providerOptions" not in body


@pytest.mark.parametrize(
    ("protocol", "base_url", "words"),
    [
        ("openai", "http://127.0.0.1:8080/v1", "sent only to OpenRouter"),
        ("anthropic", "https://openrouter.ai/api", "over the OpenAI protocol"),
        ("openai", "https://api.openai.com/v1", "remove the routing table"),
    ],
)
def test_routing_elsewhere_is_refused_with_the_reason(
    protocol: str, base_url: str, words: str
) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        Connection(
            slug="x", name="X", protocol=protocol, base_url=base_url, routing=Routing(zdr=True)
        )
    assert words in str(caught.value)


def test_vercel_refuses_openrouter_only_preferences_by_name() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        Connection(
            slug="x",
            name="X",
            protocol="openai",
            base_url="https://ai-gateway.vercel.sh/v1",
            routing=Routing(order=["bedrock"], zdr=True),
        )
    assert "Vercel AI Gateway takes only 'order' and 'only'" in str(caught.value)
    assert "'zdr' is an OpenRouter one" in str(caught.value)


def test_an_empty_routing_table_is_no_routing() -> None:
    connection = Connection(
        slug="x", name="X", protocol="openai", base_url="http://127.0.0.1:8080/v1", routing={}
    )  # type: ignore[arg-type]
    assert connection.routing is None
