"""How a wire protocol lays out its URLs, as data: `UrlRules`, and the two rule sets in use.

People paste URLs in every shape: without a scheme, with a trailing slash, with or without `/v1`, or the
full endpoint they saw in the provider's docs. Each protocol wants one canonical base, and the one
thing that decides its shape is where the version segment lives:

* OpenAI Chat Completions calls `{base}/chat/completions`, so the base *includes* the version segment
  (`https://api.openai.com/v1`, `https://api.groq.com/openai/v1`, `http://localhost:11434/v1`).
* Anthropic Messages calls `{base}/v1/messages`, so the base *excludes* `/v1`
  (`https://api.anthropic.com`, `https://openrouter.ai/api`).
* OpenAI Responses calls `{base}/responses` and lists models at `{base}/models`: the same layout as
  Chat Completions (`https://api.openai.com/v1`, `http://localhost:11434/v1`), so a base pasted
  with either endpoint on it comes out the same.

The rules are data so that a protocol's registry entry (`config/protocols.py`) can carry them and
adding a protocol never means another `if protocol == ...` here. This module knows no protocol
names; `config/urls.py` is where callers ask for a protocol's URLs by name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

VERSION = "/v1"
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


def split_url(raw: str, *, default_scheme: str | None = None) -> tuple[str, str, str]:
    """Return (scheme, netloc, path) with a scheme added when missing and the path trimmed.

    A text without a scheme gets `default_scheme` when one is given (a local-server preset says
    `http`: `gpu-box:11434` is an Ollama on the LAN, not an https site), else `http` for a local
    host and `https` for any other."""
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
        if default_scheme is None:
            default_scheme = "http" if is_local_host(host_part) else "https"
        text = f"{default_scheme}://{text}"
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


@dataclass(frozen=True, slots=True)
class UrlRules:
    """One protocol's URL layout.

    `version_in_base`: True when the base keeps the version segment and the endpoint paths do not
    (OpenAI: an empty path becomes `/v1`, because every OpenAI-compatible server people run
    locally — Ollama, vLLM, llama.cpp, LM Studio, LiteLLM — serves the API there); False when the
    endpoint paths carry `/v1` and the base must not (Anthropic). `pasted_suffixes` are endpoint
    paths people paste by mistake, longest first so `/v1/messages` wins over `/messages`.
    """

    chat_path: str
    models_path: str
    pasted_suffixes: tuple[str, ...]
    version_in_base: bool

    def normalise(self, raw: str, *, default_scheme: str | None = None) -> str:
        """The canonical base for whatever was typed: no endpoint path, no trailing slash.
        `default_scheme`: the scheme of a text typed without one (see `split_url`)."""
        scheme, netloc, path = split_url(raw, default_scheme=default_scheme)
        path = _strip_suffix(path, self.pasted_suffixes)
        if self.version_in_base:
            if not path:
                path = VERSION
        elif path.lower().endswith(VERSION):
            path = path[: -len(VERSION)]
        return urlunsplit((scheme, netloc, path, "", ""))

    def chat_url(self, base: str) -> str:
        """The exact URL a chat request goes to."""
        return base + self.chat_path

    def models_url(self, base: str) -> str:
        """The URL of the server's model list."""
        return base + self.models_path

    def server_root(self, base: str) -> str:
        """The base without the protocol's own version segment: where a server's other APIs
        live (Ollama's native `/api/*`)."""
        base = base.rstrip("/")
        if self.version_in_base and base.endswith(VERSION):
            base = base[: -len(VERSION)]
        return base

    def alternatives(self, base: str) -> list[str]:
        """Plausible corrected bases to suggest after a 404, most likely first.

        The usual mistakes are a missing or doubled version segment (version in the base), or a
        path that belongs to another API in front of `/v1/...` (version in the endpoint paths).
        """
        scheme, netloc, path = split_url(base)
        root = urlunsplit((scheme, netloc, "", "", ""))
        candidates: list[str] = []
        if self.version_in_base:
            if path.endswith(VERSION + VERSION):
                candidates.append(root + path[: -len(VERSION)])
            if not _VERSION_SEGMENT.search(path):
                candidates.append(root + path + VERSION)
            if path not in {"", VERSION}:
                candidates.append(root + VERSION)
        else:
            if path.endswith(VERSION):
                candidates.append(root + path[: -len(VERSION)])
            if path:
                candidates.append(root)
        unique: list[str] = []
        for candidate in candidates:
            if candidate != base and candidate not in unique:
                unique.append(candidate)
        return unique


OPENAI_URLS = UrlRules(
    chat_path="/chat/completions",
    models_path="/models",
    pasted_suffixes=("/chat/completions", "/completions", "/responses", "/models", "/embeddings"),
    version_in_base=True,
)
ANTHROPIC_URLS = UrlRules(
    chat_path="/v1/messages",
    models_path="/v1/models",
    pasted_suffixes=("/v1/messages", "/messages", "/v1/models", "/models", "/v1/complete"),
    version_in_base=False,
)
RESPONSES_URLS = UrlRules(
    chat_path="/responses",
    models_path="/models",
    pasted_suffixes=("/chat/completions", "/completions", "/responses", "/models", "/embeddings"),
    version_in_base=True,
)
