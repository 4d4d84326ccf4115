"""Shared fixtures: every test runs with its own CRAFT_TUI_HOME, the file secret store, no provider
keys from the developer's environment and no proxy, so nothing reaches a real keyring or host."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

_PROVIDER_ENV = (
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY", "DEEPSEEK_API_KEY",
    "MISTRAL_API_KEY", "XAI_API_KEY", "CEREBRAS_API_KEY", "HF_TOKEN", "AI_GATEWAY_API_KEY",
    "OLLAMA_HOST", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "OPENAI_BASE_URL",
)
_PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private CRAFT_TUI_HOME per test; the real keyring is never touched."""
    home = tmp_path / "craft-home"
    monkeypatch.setenv("CRAFT_TUI_HOME", str(home))
    monkeypatch.setenv("CRAFT_TUI_SECRETS", "file")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in (*_PROVIDER_ENV, *_PROXY_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield home


def subprocess_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for running `craft-tui` in a subprocess with the test's isolated home."""
    env = {k: v for k, v in os.environ.items() if k not in _PROVIDER_ENV and k not in _PROXY_ENV}
    env.update(
        CRAFT_TUI_HOME=str(home),
        CRAFT_TUI_SECRETS="file",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env
