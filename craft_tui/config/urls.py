"""Base-URL normalisation, one function per wire protocol.

People paste URLs in every shape: without a scheme, with a trailing slash, with or without `/v1`, or the
full endpoint they saw in the provider's docs. Each protocol wants one canonical base:

* OpenAI Chat Completions calls `{base}/chat/completions`, so the base *includes* the version segment
  (`https://api.openai.com/v1`, `https://api.groq.com/openai/v1`, `http://localhost:11434/v1`).
* Anthropic Messages calls `{base}/v1/messages`, so the base *excludes* `/v1`
  (`https://api.anthropic.com`, `https://openrouter.ai/api`).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

Protocol = Literal["openai", "anthropic"]

# Endpoint paths people paste by mistake, longest first so `/v1/chat/completions` wins over `/completions`.
_OPENAI_SUFFIXES = ("/chat/completions", "/completions", "/responses", "/models", "/embeddings")
_ANTHROPIC_SUFFIXES = ("/v1/messages", "/messages", "/v1/models", "/models", "/v1/complete")
_VERSION_SEGMENT = re.compile(r"/v\d+(?:beta\d*|alpha\d*)?$")


class InvalidURLError(ValueError):
    """The text cannot be turned into an http(s) URL; the message says why."""


def is_local_host(host: str) -> bool:
    """True for loopback, link-local, private-range and `.local` hosts, where plain http is the norm."""
    host = host.strip("[]").lower()
    if host in {"localhost", "0.0.0.0"} or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def _split(raw: str) -> tuple[str, str, str]:
    """Return (scheme, netloc, path) with a scheme added when missing and the path trimmed."""
    text = raw.strip().strip("\"'").strip()
    if not text:
        raise InvalidURLError("The base URL is empty.")
    if any(ch.isspace() for ch in text):
        raise InvalidURLError(f"The base URL {text!r} contains spaces.")
    if "://" not in text:
        try:
            host_part = urlsplit("//" + text).hostname or ""
        except ValueError:
            host_part = ""
        text = ("http://" if is_local_host(host_part) else "https://") + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as error:
        raise InvalidURLError(f"The base URL {raw.strip()!r} is malformed ({error}).") from None
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise InvalidURLError(f"The base URL must start with http:// or https://, not {scheme}://.")
    if not parts.hostname:
        raise InvalidURLError(f"The base URL {raw.strip()!r} has no host name.")
    netloc = parts.netloc
    # Lower-case the host but keep any user-info and port as typed.
    host = parts.hostname
    netloc = netloc.replace(netloc.rsplit("@", 1)[-1], netloc.rsplit("@", 1)[-1].lower())
    if host == "0.0.0.0":  # a bind address (OLLAMA_HOST=0.0.0.0), not one you can call everywhere
        netloc = netloc.replace("0.0.0.0", "127.0.0.1")
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    return scheme, netloc, path


def _strip_suffix(path: str, suffixes: tuple[str, ...]) -> str:
    lowered = path.lower()
    for suffix in suffixes:
        if lowered.endswith(suffix):
            return path[: -len(suffix)].rstrip("/")
    return path


def normalize_openai_base(raw: str) -> str:
    """Canonical base for an OpenAI-compatible server: ends in its version segment, no slash.

    An empty path gets `/v1`, because every OpenAI-compatible server people run locally (Ollama,
    vLLM, llama.cpp, LM Studio, LiteLLM) serves the API there.
    """
    scheme, netloc, path = _split(raw)
    path = _strip_suffix(path, _OPENAI_SUFFIXES)
    if not path:
        path = "/v1"
    return urlunsplit((scheme, netloc, path, "", ""))


def normalize_anthropic_base(raw: str) -> str:
    """Canonical base for an Anthropic-compatible server: without `/v1`, no trailing slash."""
    scheme, netloc, path = _split(raw)
    path = _strip_suffix(path, _ANTHROPIC_SUFFIXES)
    if path.lower().endswith("/v1"):
        path = path[:-3]
    return urlunsplit((scheme, netloc, path, "", ""))


def normalize_base_url(protocol: Protocol, raw: str) -> str:
    """Dispatch to the protocol's normaliser."""
    if protocol == "openai":
        return normalize_openai_base(raw)
    return normalize_anthropic_base(raw)


def chat_url(protocol: Protocol, base: str) -> str:
    """The exact URL a chat request goes to, shown in the connection form."""
    return base + ("/chat/completions" if protocol == "openai" else "/v1/messages")


def models_url(protocol: Protocol, base: str) -> str:
    """The URL of the server's model list."""
    return base + ("/models" if protocol == "openai" else "/v1/models")


def alternative_bases(protocol: Protocol, base: str) -> list[str]:
    """Plausible corrected bases to suggest after a 404, most likely first.

    The usual mistakes are a missing or doubled version segment (OpenAI), or a path that belongs to
    another API in front of `/v1/messages` (Anthropic).
    """
    scheme, netloc, path = _split(base)
    root = urlunsplit((scheme, netloc, "", "", ""))
    candidates: list[str] = []
    if protocol == "openai":
        if path.endswith("/v1/v1"):
            candidates.append(root + path[:-3])
        if not _VERSION_SEGMENT.search(path):
            candidates.append(root + path + "/v1")
        if path not in {"", "/v1"}:
            candidates.append(root + "/v1")
    else:
        if path.endswith("/v1"):
            candidates.append(root + path[:-3])
        if path:
            candidates.append(root)
    unique: list[str] = []
    for candidate in candidates:
        if candidate != base and candidate not in unique:
            unique.append(candidate)
    return unique
