"""Shared fixtures: every test runs with its own CRAFT_TUI_HOME, the file secret store, no provider
keys from the developer's environment and no proxy, so nothing reaches a real keyring or host."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

_PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OPENROUTER_API_KEY",
    "GROQ_API_KEY",
    "DEEPSEEK_API_KEY",
    "MISTRAL_API_KEY",
    "XAI_API_KEY",
    "CEREBRAS_API_KEY",
    "HF_TOKEN",
    "AI_GATEWAY_API_KEY",
    "OLLAMA_HOST",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "OPENAI_BASE_URL",
)
_PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private CRAFT_TUI_HOME per test; the real keyring is never touched."""
    home = tmp_path / "craft-home"
    monkeypatch.setenv("CRAFT_TUI_HOME", str(home))
    monkeypatch.setenv("CRAFT_TUI_SECRETS", "file")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in (*_PROVIDER_ENV, *_PROXY_ENV, "NO_COLOR"):  # NO_COLOR: snapshots are in colour
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield home
    assert_no_key_leaked(home)


_KEY_PATTERN = re.compile(r"(sk-or-v1-|sk-ant-|sk-proj-)[A-Za-z0-9_-]{12,}")


def assert_no_key_leaked(home: Path) -> None:
    """After every test: no stored key, nor anything shaped like a real key, outside credentials.toml."""
    credentials = home / "config" / "credentials.toml"
    secrets: list[str] = []
    if credentials.exists():
        try:
            secrets = [
                str(v) for v in tomllib.loads(credentials.read_text()).get("keys", {}).values()
            ]
        except tomllib.TOMLDecodeError:
            secrets = []
    for path in home.rglob("*"):
        if (
            not path.is_file()
            or path == credentials
            or path.suffix in {".db", ".db-wal", ".db-shm"}
        ):
            continue
        text = path.read_text(errors="replace")
        for secret in secrets:
            assert secret not in text, f"a stored key leaked into {path}"
        assert not _KEY_PATTERN.search(text), f"something shaped like an API key is in {path}"


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
