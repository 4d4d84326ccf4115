"""The table of known providers a connection can start from.

A preset fills protocol, base URL, auth style and the environment variable its key usually lives in.
Ids are stable: the CLI (`--preset`) and `config.toml` (`preset = "..."`) use them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal

from craft_tui.config.protocols import ANTHROPIC, OPENAI, RESPONSES, Protocol
from craft_tui.config.urls import is_local_host

AuthStyle = Literal["api_key", "bearer", "none"]


@dataclass(frozen=True)
class Preset:
    """One provider's connection defaults."""

    id: str
    label: str
    protocol: Protocol
    base_url: str
    auth: AuthStyle
    key_env: str | None = None
    docs: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    key_prefix: str | None = None  # what a real key starts with, for a gentle warning

    @property
    def local(self) -> bool:
        """True for servers that usually run on this machine (no key, plain http)."""
        from urllib.parse import urlsplit

        return is_local_host(urlsplit(self.base_url).hostname or "")

    @property
    def plain_http(self) -> bool:
        """True for a local-server preset (Ollama, LM Studio, vLLM, llama.cpp): a host typed
        without a scheme is reached over plain http, wherever it runs."""
        return self.base_url.startswith("http://")

    def resolved_base_url(self) -> str:
        """The base URL with environment overrides applied (`OLLAMA_HOST` for Ollama)."""
        if self.id == "ollama":
            host = os.environ.get("OLLAMA_HOST", "").strip()
            if host:
                return ollama_base_from_host(host)
        return self.base_url


def normalize_connection_url(protocol: str, raw: str, preset_id: str | None = None) -> str:
    """The canonical base URL of a connection: the one rule the CLI, the connection form and
    config.toml's validation all use.

    The protocol's rules shape the path (`config/url_rules.py`); the preset decides the scheme of
    a host typed without one: a local-server preset (`Preset.plain_http`) gets `http`, so
    `--preset ollama --base-url gpu-box:11434` is `http://gpu-box:11434/v1`, exactly as the same
    host given through `OLLAMA_HOST`. Other presets get `http` only for a local host and `https`
    otherwise. InvalidURLError (a ValueError) says why a text is not a URL.
    """
    from craft_tui.config.protocols import get_protocol

    preset = _BY_ID.get(preset_id) if preset_id else None
    scheme = "http" if preset is not None and preset.plain_http else None
    return get_protocol(protocol).urls.normalise(raw, default_scheme=scheme)


def ollama_base_from_host(host: str) -> str:
    """Turn an `OLLAMA_HOST` value (`0.0.0.0`, `myhost:11434`, `http://x`) into an OpenAI base URL."""
    from urllib.parse import urlsplit

    value = host.strip()
    if "://" not in value:
        value = "http://" + value
    parts = urlsplit(value)
    if parts.port is None and parts.hostname:
        value = f"{parts.scheme}://{parts.hostname}:11434{parts.path}"
    return normalize_connection_url(OPENAI.name, value, "ollama")


_OPENROUTER_HEADERS = {
    "HTTP-Referer": "https://github.com/craft-tui/craft-tui",
    "X-Title": "craft-tui",
}

PRESETS: tuple[Preset, ...] = (
    Preset(
        "anthropic",
        "Anthropic",
        ANTHROPIC.name,
        "https://api.anthropic.com",
        "api_key",
        "ANTHROPIC_API_KEY",
        "Keys: console.anthropic.com/settings/keys",
        key_prefix="sk-ant-",
    ),
    Preset(
        "openai",
        "OpenAI",
        OPENAI.name,
        "https://api.openai.com/v1",
        "api_key",
        "OPENAI_API_KEY",
        "Keys: platform.openai.com/api-keys",
        key_prefix="sk-",
    ),
    Preset(
        # The API OpenAI builds its reasoning models for: reasoning summaries stream as they are
        # written, and reasoning effort goes as `reasoning.effort` on every model.
        "openai-responses",
        "OpenAI (Responses API)",
        RESPONSES.name,
        "https://api.openai.com/v1",
        "api_key",
        "OPENAI_API_KEY",
        "Keys: platform.openai.com/api-keys; best for reasoning models (o-series, gpt-5)",
        key_prefix="sk-",
    ),
    Preset(
        "openrouter",
        "OpenRouter",
        OPENAI.name,
        "https://openrouter.ai/api/v1",
        "api_key",
        "OPENROUTER_API_KEY",
        "Keys: openrouter.ai/keys (start with sk-or-); 300+ models, one key",
        headers=_OPENROUTER_HEADERS,
        key_prefix="sk-or-",
    ),
    Preset(
        "openrouter-anthropic",
        "OpenRouter (Anthropic protocol)",
        ANTHROPIC.name,
        "https://openrouter.ai/api",
        "bearer",
        "OPENROUTER_API_KEY",
        "Keys: openrouter.ai/keys; Anthropic Messages API at /api",
        headers=_OPENROUTER_HEADERS,
        key_prefix="sk-or-",
    ),
    Preset(
        "vercel",
        "Vercel AI Gateway",
        OPENAI.name,
        "https://ai-gateway.vercel.sh/v1",
        "api_key",
        "AI_GATEWAY_API_KEY",
        "Keys: Vercel dashboard → AI Gateway → API keys",
    ),
    Preset(
        "vercel-anthropic",
        "Vercel AI Gateway (Anthropic protocol)",
        ANTHROPIC.name,
        "https://ai-gateway.vercel.sh",
        "bearer",
        "AI_GATEWAY_API_KEY",
        "Keys: Vercel dashboard → AI Gateway → API keys",
    ),
    Preset(
        "ollama",
        "Ollama",
        OPENAI.name,
        "http://localhost:11434/v1",
        "none",
        None,
        "Local models: `ollama serve`, then `ollama pull llama3.2`; OLLAMA_HOST is honoured",
    ),
    Preset(
        "groq",
        "Groq",
        OPENAI.name,
        "https://api.groq.com/openai/v1",
        "api_key",
        "GROQ_API_KEY",
        "Keys: console.groq.com/keys",
        key_prefix="gsk_",
    ),
    Preset(
        "deepseek",
        "DeepSeek",
        OPENAI.name,
        "https://api.deepseek.com",
        "api_key",
        "DEEPSEEK_API_KEY",
        "Keys: platform.deepseek.com/api_keys",
        key_prefix="sk-",
    ),
    Preset(
        "mistral",
        "Mistral",
        OPENAI.name,
        "https://api.mistral.ai/v1",
        "api_key",
        "MISTRAL_API_KEY",
        "Keys: console.mistral.ai/api-keys",
    ),
    Preset(
        "xai",
        "xAI",
        OPENAI.name,
        "https://api.x.ai/v1",
        "api_key",
        "XAI_API_KEY",
        "Keys: console.x.ai",
        key_prefix="xai-",
    ),
    Preset(
        "cerebras",
        "Cerebras",
        OPENAI.name,
        "https://api.cerebras.ai/v1",
        "api_key",
        "CEREBRAS_API_KEY",
        "Keys: cloud.cerebras.ai",
        key_prefix="csk-",
    ),
    Preset(
        "huggingface",
        "Hugging Face router",
        OPENAI.name,
        "https://router.huggingface.co/v1",
        "api_key",
        "HF_TOKEN",
        "Tokens: huggingface.co/settings/tokens",
        key_prefix="hf_",
    ),
    Preset(
        "lmstudio",
        "LM Studio",
        OPENAI.name,
        "http://localhost:1234/v1",
        "none",
        None,
        "Start the server in LM Studio's Developer tab (port 1234)",
    ),
    Preset(
        "vllm",
        "vLLM",
        OPENAI.name,
        "http://localhost:8000/v1",
        "none",
        None,
        "`vllm serve MODEL` listens on port 8000; add a key if you started it with --api-key",
    ),
    Preset(
        "llamacpp",
        "llama.cpp server",
        OPENAI.name,
        "http://localhost:8080/v1",
        "none",
        None,
        "`llama-server -m model.gguf` listens on port 8080",
    ),
    Preset(
        "custom-openai",
        "Custom OpenAI-compatible",
        OPENAI.name,
        "",
        "api_key",
        None,
        "Any server with POST /v1/chat/completions: LiteLLM, a company proxy, …",
    ),
    Preset(
        "custom-anthropic",
        "Custom Anthropic-compatible",
        ANTHROPIC.name,
        "",
        "api_key",
        None,
        "Any server with POST /v1/messages; choose bearer auth if your gateway wants it",
    ),
    Preset(
        "custom-openai-responses",
        "Custom OpenAI Responses-compatible",
        RESPONSES.name,
        "",
        "api_key",
        None,
        "Any server with POST /v1/responses: vLLM, Ollama, LiteLLM, a gateway, …",
    ),
)

_BY_ID = {preset.id: preset for preset in PRESETS}


def get_preset(preset_id: str) -> Preset:
    """Look a preset up by id; KeyError names the known ids."""
    try:
        return _BY_ID[preset_id]
    except KeyError:
        known = ", ".join(_BY_ID)
        raise KeyError(f"Unknown preset {preset_id!r}. Known presets: {known}.") from None


def preset_ids() -> list[str]:
    return list(_BY_ID)


def presets_for(protocol: str) -> list[Preset]:
    """The presets that speak `protocol`, in table order (a protocol's providers, for help text)."""
    return [preset for preset in PRESETS if preset.protocol == protocol]
