"""The registry of wire protocols: one entry per protocol, holding everything that differs by it.

Before this, the protocol was an `if protocol == "anthropic" ... else` in nine files, so a third
protocol would have been treated as OpenAI without a word. Now every module asks the entry of the
connection's protocol (URLs, driver, auth header, cost counting, error hints), and a name that is
not registered is an error wherever it shows up: config validation names the line and lists the
known protocols, and the driver factory refuses it.

Adding a protocol is one driver module in `providers/` plus one `register(WireProtocol(...))` below.

The registry lives in `config/` because config validation must know the names, and `config/` never
imports `providers/` (the layers are ui → chat → providers → config). So an entry names its driver
by import path (`"package.module:Class"`), which `providers/factory.py` resolves when a driver is
built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NewType

from craft_tui.config.url_rules import ANTHROPIC_URLS, OPENAI_URLS, RESPONSES_URLS, UrlRules

Protocol = NewType("Protocol", str)
"""A protocol name that was checked against the registry (`get_protocol(name).name`)."""

KeyHeader = Literal["authorization", "x-api-key"]


class UnknownProtocolError(ValueError):
    """A protocol name that no registry entry has; the message lists the known ones."""

    def __init__(self, name: object) -> None:
        super().__init__(f"unknown protocol {name!r}; known protocols: {known_protocols_text()}")
        self.name = name


@dataclass(frozen=True, slots=True)
class WireProtocol:
    """One wire protocol: what `config.toml` calls it and everything the code does differently."""

    name: Protocol  # the value of `protocol = "..."` in config.toml
    label: str  # what a person sees: "OpenAI Chat Completions"
    urls: UrlRules  # base normalisation, chat and model-list URLs, 404 suggestions, server root
    driver: str  # "package.module:Class" of its driver, built as Class(connection, api_key)
    key_header: KeyHeader  # how an `api_key` auth key is sent (`bearer` auth is always Bearer)
    # True when the usage's input tokens already count the cached ones (OpenAI's prompt_tokens);
    # False when cached tokens come on top (Anthropic's input_tokens + cache_read_input_tokens).
    cached_in_input: bool
    not_found_hint: str  # the fix after a 404 when no corrected base URL can be suggested
    custom_preset: str  # the preset for "any other server speaking it" (connections screen)


_REGISTRY: dict[str, WireProtocol] = {}


def register(protocol: WireProtocol) -> WireProtocol:
    """Add a protocol; a name taken already is refused rather than silently replaced."""
    if protocol.name in _REGISTRY:
        raise ValueError(f"protocol {protocol.name!r} is registered already")
    _REGISTRY[protocol.name] = protocol
    return protocol


def unregister(name: str) -> None:
    """Take a protocol out again (tests that register a protocol of their own)."""
    _REGISTRY.pop(name, None)


def get_protocol(name: str) -> WireProtocol:
    """The entry for `name`; UnknownProtocolError (a ValueError) when none has it."""
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise UnknownProtocolError(name) from None


def all_protocols() -> tuple[WireProtocol, ...]:
    """Every registered protocol, in registration order (the order menus show them in)."""
    return tuple(_REGISTRY.values())


def known_protocols() -> tuple[Protocol, ...]:
    """Every registered protocol name, in registration order."""
    return tuple(protocol.name for protocol in _REGISTRY.values())


def known_protocols_text() -> str:
    """`"openai", "anthropic", "openai-responses"`: the names as they are written in config.toml."""
    return ", ".join(f'"{name}"' for name in known_protocols())


OPENAI = register(
    WireProtocol(
        name=Protocol("openai"),
        label="OpenAI Chat Completions",
        urls=OPENAI_URLS,
        driver="craft_tui.providers.openai_chat:OpenAIChat",
        key_header="authorization",
        cached_in_input=True,
        not_found_hint=(
            "Check the base URL (OpenAI-compatible servers usually end in /v1), and that the server "
            "speaks the OpenAI protocol rather than Anthropic's."
        ),
        custom_preset="custom-openai",
    )
)
ANTHROPIC = register(
    WireProtocol(
        name=Protocol("anthropic"),
        label="Anthropic Messages",
        urls=ANTHROPIC_URLS,
        driver="craft_tui.providers.anthropic_messages:AnthropicMessages",
        key_header="x-api-key",
        cached_in_input=False,
        not_found_hint=(
            "Check the base URL (for Anthropic-compatible servers, without /v1), and that the server "
            "speaks the Anthropic protocol rather than OpenAI's."
        ),
        custom_preset="custom-anthropic",
    )
)
RESPONSES = register(
    WireProtocol(
        name=Protocol("openai-responses"),
        label="OpenAI Responses",
        urls=RESPONSES_URLS,
        driver="craft_tui.providers.openai_responses:OpenAIResponses",
        key_header="authorization",
        # `input_tokens` counts the cached ones (`input_tokens_details.cached_tokens` is a part).
        cached_in_input=True,
        not_found_hint=(
            "Check the base URL (it usually ends in /v1), and that the server has the Responses "
            "API (POST /v1/responses); a server with only Chat Completions needs protocol "
            '"openai" instead.'
        ),
        custom_preset="custom-openai-responses",
    )
)
