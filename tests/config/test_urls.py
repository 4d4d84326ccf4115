"""Every way a person types a base URL ends at the one URL each protocol needs."""

from __future__ import annotations

import pytest

from craft_tui.config.presets import PRESETS, get_preset, ollama_base_from_host
from craft_tui.config.urls import (
    InvalidURLError,
    alternative_bases,
    chat_url,
    models_url,
    normalize_anthropic_base,
    normalize_base_url,
    normalize_openai_base,
)

# What each preset's chat request is posted to: the contract with the real providers.
PRESET_CHAT_URLS = {
    "anthropic": "https://api.anthropic.com/v1/messages",
    "openai": "https://api.openai.com/v1/chat/completions",
    "openai-responses": "https://api.openai.com/v1/responses",
    "openrouter": "https://openrouter.ai/api/v1/chat/completions",
    "openrouter-anthropic": "https://openrouter.ai/api/v1/messages",
    "vercel": "https://ai-gateway.vercel.sh/v1/chat/completions",
    "vercel-anthropic": "https://ai-gateway.vercel.sh/v1/messages",
    "ollama": "http://localhost:11434/v1/chat/completions",
    "groq": "https://api.groq.com/openai/v1/chat/completions",
    "deepseek": "https://api.deepseek.com/v1/chat/completions",
    "mistral": "https://api.mistral.ai/v1/chat/completions",
    "xai": "https://api.x.ai/v1/chat/completions",
    "cerebras": "https://api.cerebras.ai/v1/chat/completions",
    "huggingface": "https://router.huggingface.co/v1/chat/completions",
    "lmstudio": "http://localhost:1234/v1/chat/completions",
    "vllm": "http://localhost:8000/v1/chat/completions",
    "llamacpp": "http://localhost:8080/v1/chat/completions",
}


@pytest.mark.parametrize("preset_id", sorted(PRESET_CHAT_URLS))
def test_every_preset_posts_to_its_documented_endpoint(preset_id: str) -> None:
    preset = get_preset(preset_id)
    base = normalize_base_url(preset.protocol, preset.base_url)
    assert chat_url(preset.protocol, base) == PRESET_CHAT_URLS[preset_id]


def test_every_preset_with_a_url_is_covered() -> None:
    with_url = {p.id for p in PRESETS if p.base_url}
    assert with_url == set(PRESET_CHAT_URLS)


@pytest.mark.parametrize("preset_id", sorted(PRESET_CHAT_URLS))
def test_normalising_twice_changes_nothing(preset_id: str) -> None:
    preset = get_preset(preset_id)
    once = normalize_base_url(preset.protocol, preset.base_url)
    assert normalize_base_url(preset.protocol, once) == once


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1"),
        ("https://openrouter.ai/api/v1/", "https://openrouter.ai/api/v1"),
        ("openrouter.ai/api/v1", "https://openrouter.ai/api/v1"),
        ("https://openrouter.ai/api/v1/chat/completions", "https://openrouter.ai/api/v1"),
        ("  https://api.groq.com/openai/v1/chat/completions/ ", "https://api.groq.com/openai/v1"),
        ("https://api.openai.com", "https://api.openai.com/v1"),
        ("https://api.openai.com/v1/models", "https://api.openai.com/v1"),
        ("HTTPS://API.OpenAI.com/v1", "https://api.openai.com/v1"),
        ("http://localhost:11434", "http://localhost:11434/v1"),
        ("localhost:11434", "http://localhost:11434/v1"),
        ("localhost:11434/v1/", "http://localhost:11434/v1"),
        ("127.0.0.1:8080", "http://127.0.0.1:8080/v1"),
        ("http://127.0.0.1:8080/v1/chat/completions", "http://127.0.0.1:8080/v1"),
        ("0.0.0.0:11434", "http://127.0.0.1:11434/v1"),
        ("192.168.1.20:11434", "http://192.168.1.20:11434/v1"),
        ("gpu-box.local:8000", "http://gpu-box.local:8000/v1"),
        ("[::1]:1234", "http://[::1]:1234/v1"),
        ("https://llm.corp.example//litellm//v1", "https://llm.corp.example/litellm/v1"),
        (
            "https://generativelanguage.googleapis.com/v1beta/openai",
            "https://generativelanguage.googleapis.com/v1beta/openai",
        ),
        ("https://api.deepseek.com", "https://api.deepseek.com/v1"),
    ],
)
def test_openai_base_is_normalised(typed: str, expected: str) -> None:
    assert normalize_openai_base(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("https://api.anthropic.com", "https://api.anthropic.com"),
        ("https://api.anthropic.com/", "https://api.anthropic.com"),
        ("https://api.anthropic.com/v1", "https://api.anthropic.com"),
        ("https://api.anthropic.com/v1/messages", "https://api.anthropic.com"),
        ("api.anthropic.com", "https://api.anthropic.com"),
        ("https://openrouter.ai/api", "https://openrouter.ai/api"),
        ("https://openrouter.ai/api/v1", "https://openrouter.ai/api"),
        ("https://openrouter.ai/api/v1/messages", "https://openrouter.ai/api"),
        ("https://ai-gateway.vercel.sh/v1", "https://ai-gateway.vercel.sh"),
        ("http://localhost:11434", "http://localhost:11434"),
        ("localhost:11434/v1/", "http://localhost:11434"),
        ("127.0.0.1:4000/v1/models", "http://127.0.0.1:4000"),
        ("https://your-proxy.com/v1", "https://your-proxy.com"),
    ],
)
def test_anthropic_base_is_normalised(typed: str, expected: str) -> None:
    assert normalize_anthropic_base(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ftp://example.com", "http:// or https://"),
        ("https://exa mple.com", "spaces"),
        ("https:///v1", "no host"),
    ],
)
def test_unusable_urls_are_rejected_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(InvalidURLError, match=reason):
        normalize_openai_base(typed)


def test_models_url_follows_the_protocol() -> None:
    assert (
        models_url("openai", "https://openrouter.ai/api/v1")
        == "https://openrouter.ai/api/v1/models"
    )
    assert (
        models_url("anthropic", "https://api.anthropic.com")
        == "https://api.anthropic.com/v1/models"
    )


def test_404_suggestions_fix_a_missing_or_doubled_version() -> None:
    assert (
        alternative_bases("openai", "http://localhost:11434/api")[0]
        == "http://localhost:11434/api/v1"
    )
    assert alternative_bases("openai", "http://host:8000/v1/v1")[0] == "http://host:8000/v1"
    assert "https://proxy.example" in alternative_bases("anthropic", "https://proxy.example/openai")
    assert alternative_bases("openai", "https://api.openai.com/v1") == []


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("0.0.0.0", "http://127.0.0.1:11434/v1"),
        ("0.0.0.0:11434", "http://127.0.0.1:11434/v1"),
        ("gpu-box:11500", "http://gpu-box:11500/v1"),
        ("http://gpu-box", "http://gpu-box:11434/v1"),
        ("https://ollama.example.com:443", "https://ollama.example.com:443/v1"),
    ],
)
def test_ollama_host_variable_is_understood(host: str, expected: str) -> None:
    assert ollama_base_from_host(host) == expected


def test_ollama_preset_honours_ollama_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:11434")
    assert get_preset("ollama").resolved_base_url() == "http://gpu-box:11434/v1"
    monkeypatch.delenv("OLLAMA_HOST")
    assert get_preset("ollama").resolved_base_url() == "http://localhost:11434/v1"


@pytest.mark.parametrize("typed", ["localhost:abc", "http://[::1", "https://host:99999999"])
def test_malformed_hosts_and_ports_are_rejected_not_crashing(typed: str) -> None:
    with pytest.raises(InvalidURLError, match="malformed"):
        normalize_openai_base(typed)
