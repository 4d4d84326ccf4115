"""The config schema accepts what a person writes and rejects mistakes with a message naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from craft_tui.config.schema import ApiKeyAuth, BearerAuth, Config, Connection, NoAuth, slugify
from craft_tui.config.store import ConfigError, parse_config

FILE = Path("/home/u/.config/craft-tui/config.toml")


def parse(text: str) -> Config:
    return parse_config(text, FILE)


FULL = """
version = 1

[settings]
default_connection = "openrouter"
theme = "nord"
reopen_last_conversation = false
model_cache_hours = 6
favourite_models = ["openrouter/anthropic/claude-sonnet-4.6"]

[settings.keymap]
pick_model = "ctrl+o"

[[connections]]
slug = "openrouter"
name = "OpenRouter"
protocol = "openai"
preset = "openrouter"
base_url = "https://openrouter.ai/api/v1/chat/completions"
models = ["anthropic/claude-sonnet-4.6", { id = "openai/gpt-5", name = "GPT-5", context_window = 400000, max_tokens = 8000, input_price = 1.25, output_price = 10 }]
default_model = "anthropic/claude-sonnet-4.6"
ca_bundle = "/etc/ssl/corp.pem"
verify_tls = false
max_tokens = 2048
system_prompt = "Be brief."
created_at = 2026-01-02T03:04:05Z
last_used_at = 2026-02-03T04:05:06Z

[connections.auth]
type = "api_key"
api_key_env = "OPENROUTER_API_KEY"

[connections.headers]
X-Title = "craft-tui"

[connections.timeouts]
connect = 5
read = 300

[[connections]]
slug = "proxy"
name = "Corp proxy"
protocol = "anthropic"
base_url = "https://llm.corp.example/v1"
auth = { type = "bearer" }

[[connections]]
slug = "ollama"
name = "Ollama"
protocol = "openai"
base_url = "localhost:11434"
auth = { type = "none" }
"""


def test_every_field_is_read() -> None:
    config = parse(FULL)
    assert config.settings.default_connection == "openrouter"
    assert config.settings.theme == "nord"
    assert config.settings.reopen_last_conversation is False
    assert config.settings.model_cache_hours == 6
    assert config.settings.keymap == {"pick_model": "ctrl+o"}
    assert config.settings.favourite_models == ["openrouter/anthropic/claude-sonnet-4.6"]
    router, proxy, ollama = config.connections
    assert router.base_url == "https://openrouter.ai/api/v1"  # the pasted endpoint is normalised
    assert router.model_ids == ["anthropic/claude-sonnet-4.6", "openai/gpt-5"]
    gpt5 = router.model("openai/gpt-5")
    assert gpt5 is not None
    assert (gpt5.name, gpt5.context_window, gpt5.max_tokens) == ("GPT-5", 400000, 8000)
    assert (gpt5.input_price, gpt5.output_price) == (1.25, 10)
    assert isinstance(router.auth, ApiKeyAuth) and router.auth.api_key_env == "OPENROUTER_API_KEY"
    assert router.headers == {"X-Title": "craft-tui"}
    assert str(router.ca_bundle) == "/etc/ssl/corp.pem" and router.verify_tls is False
    assert (router.timeouts.connect, router.timeouts.read, router.timeouts.write) == (5, 300, 30)
    assert router.max_tokens == 2048 and router.system_prompt == "Be brief."
    assert router.created_at.year == 2026 and router.last_used_at is not None
    assert isinstance(proxy.auth, BearerAuth) and proxy.base_url == "https://llm.corp.example"
    assert isinstance(ollama.auth, NoAuth) and ollama.base_url == "http://localhost:11434/v1"
    assert config.default_connection is router


def test_empty_file_is_an_empty_config() -> None:
    config = parse("")
    assert config.connections == [] and config.default_connection is None


def test_default_model_is_always_one_of_the_models() -> None:
    connection = Connection(
        slug="x", name="X", protocol="openai", base_url="http://h/v1", default_model="m1"
    )
    assert connection.model_ids == ["m1"] and connection.effective_default_model == "m1"
    first = Connection(
        slug="y", name="Y", protocol="openai", base_url="http://h/v1", models=["a", "b"]
    )
    assert first.effective_default_model == "a"


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ('colour = "blue"', "unknown field"),
        ('protocol = "grpc"', "protocol"),
        ('slug = "Open Router"', "slug"),
        ('slug = "-x"', "slug"),
        ('base_url = "ftp://x"', "http:// or https://"),
        ('base_url = ""', "empty"),
        ("max_tokens = 0", "max_tokens"),
        ('max_tokens = "lots"', "max_tokens"),
        ('preset = "nosuch"', "unknown preset"),
        ("verify_tls = 3", "verify_tls"),
        ('auth = { type = "oauth" }', "auth"),
        ('auth = { type = "api_key", api_key_env = "not a var" }', "api_key_env"),
        ('auth = { type = "none", api_key_env = "X" }', "unknown field"),
        ('headers = { Authorization = "Bearer sk-123" }', "carries a credential"),
        ('headers = { x-api-key = "sk-123" }', "carries a credential"),
        ('headers = { "bad header" = "v" }', "not a valid HTTP header name"),
        ('models = [""]', "at least 1 character"),
        ('models = ["   "]', "blank"),
        ('models = [{ id = "m", context_window = -1 }]', "context_window"),
        ('models = [{ id = "m", price = 1 }]', "unknown field"),
        ("timeouts = { read = 0 }", "timeouts.read"),
        ("timeouts = { reed = 5 }", "unknown field"),
    ],
)
def test_each_mistake_is_named(snippet: str, expected: str) -> None:
    base = {
        "slug": '"x"',
        "name": '"X"',
        "protocol": '"openai"',
        "base_url": '"http://localhost:8000/v1"',
    }
    key = snippet.split("=", 1)[0].strip()
    lines = [f"{k} = {v}" for k, v in base.items() if k != key]
    text = "[[connections]]\n" + "\n".join([*lines, snippet]) + "\n"
    with pytest.raises(ConfigError) as caught:
        parse(text)
    message = str(caught.value)
    assert str(FILE) in message
    assert expected in message
    assert "connections[0]" in message
    assert "will not overwrite" in message


def test_missing_required_fields_are_named() -> None:
    with pytest.raises(ConfigError, match=r"connections\[0\]\.base_url: required field is missing"):
        parse('[[connections]]\nslug = "x"\nname = "X"\nprotocol = "openai"\n')


def test_unknown_field_points_at_its_line() -> None:
    text = '[[connections]]\nslug = "x"\nname = "X"\nprotocol = "openai"\nbase_url = "http://h/v1"\nmodle = "m"\n'
    with pytest.raises(ConfigError, match=r"line 6, connections\[0\]\.modle: unknown field"):
        parse(text)


def test_bad_toml_names_line_and_column() -> None:
    with pytest.raises(ConfigError) as caught:
        parse('[settings]\ntheme = "nord\n')
    assert "not valid TOML" in str(caught.value) and "line 2" in str(caught.value)


def test_duplicate_slugs_are_rejected() -> None:
    one = '[[connections]]\nslug = "a"\nname = "A"\nprotocol = "openai"\nbase_url = "http://h/v1"\n'
    with pytest.raises(ConfigError, match="two connections share the slug 'a'"):
        parse(one + one)


def test_default_connection_must_exist() -> None:
    with pytest.raises(ConfigError, match="no connection has that slug"):
        parse('[settings]\ndefault_connection = "ghost"\n')


def test_unknown_top_level_section_is_rejected() -> None:
    with pytest.raises(ConfigError, match="connection: unknown field"):
        parse('[[connection]]\nslug = "a"\n')


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("OpenRouter", "openrouter"),
        ("My Proxy #2", "my-proxy-2"),
        ("  Ollama (GPU box) ", "ollama-gpu-box"),
    ],
)
def test_slug_is_derived_from_the_name(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_find_by_slug_or_name() -> None:
    config = parse(FULL)
    assert config.find("proxy") is config.connections[1]
    assert config.find("corp proxy") is config.connections[1]
    assert config.find("Corp Proxy") is config.connections[1]
    assert config.find("nope") is None
