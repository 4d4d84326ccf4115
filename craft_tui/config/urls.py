"""A connection's URLs, asked for by protocol name: the one door callers use.

The rules themselves are data in `config/url_rules.py`, carried by each protocol's registry entry
(`config/protocols.py`); here a protocol name is looked up and its rules applied, so an unknown
name is an `UnknownProtocolError` instead of a silent OpenAI default. In short:

* OpenAI Chat Completions calls `{base}/chat/completions`; the base *includes* `/v1`.
* Anthropic Messages calls `{base}/v1/messages`; the base *excludes* `/v1`.
"""

from __future__ import annotations

from craft_tui.config.protocols import Protocol as Protocol
from craft_tui.config.protocols import get_protocol
from craft_tui.config.url_rules import ANTHROPIC_URLS, OPENAI_URLS
from craft_tui.config.url_rules import InvalidURLError as InvalidURLError
from craft_tui.config.url_rules import is_local_host as is_local_host


def normalize_base_url(protocol: str, raw: str) -> str:
    """The canonical base for whatever was typed, by the protocol's rules."""
    return get_protocol(protocol).urls.normalise(raw)


def chat_url(protocol: str, base: str) -> str:
    """The exact URL a chat request goes to, shown in the connection form."""
    return get_protocol(protocol).urls.chat_url(base)


def models_url(protocol: str, base: str) -> str:
    """The URL of the server's model list."""
    return get_protocol(protocol).urls.models_url(base)


def alternative_bases(protocol: str, base: str) -> list[str]:
    """Plausible corrected bases to suggest after a 404, most likely first."""
    return get_protocol(protocol).urls.alternatives(base)


def normalize_openai_base(raw: str) -> str:
    """Canonical base for an OpenAI-compatible server: ends in its version segment, no slash."""
    return OPENAI_URLS.normalise(raw)


def normalize_anthropic_base(raw: str) -> str:
    """Canonical base for an Anthropic-compatible server: without `/v1`, no trailing slash."""
    return ANTHROPIC_URLS.normalise(raw)
