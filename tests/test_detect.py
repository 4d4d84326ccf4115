"""First-run detection against real loopback servers on random ports, and environment keys."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from craft_tui.config.schema import ApiKeyAuth, NoAuth
from craft_tui.providers.detect import (
    LocalTarget,
    default_local_targets,
    detect,
    env_key_presets,
    find_env_keys,
)


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, object]] = {}
    delay = 0.0

    def do_GET(self) -> None:
        if self.delay:
            time.sleep(self.delay)
        status, body = self.routes.get(self.path, (404, {"error": "not found"}))
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass


def _serve(routes: dict[str, tuple[int, object]], delay: float = 0.0) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"routes": routes, "delay": delay})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_ollama() -> Iterator[str]:
    tags = {"models": [{"name": "llama3.2:latest"}, {"name": "qwen3:8b"}]}
    yield from _serve({"/api/tags": (200, tags)})


@pytest.fixture
def fake_lmstudio() -> Iterator[str]:
    yield from _serve({"/v1/models": (200, {"object": "list", "data": [{"id": "gemma-3-4b"}]})})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_finds_a_local_ollama_and_lists_its_models(fake_ollama: str) -> None:
    found = await detect(environ={}, targets=[LocalTarget("ollama", fake_ollama + "/v1", "ollama")])
    assert len(found) == 1
    ollama = found[0]
    assert ollama.preset_id == "ollama" and ollama.source == "local"
    assert ollama.models == ("llama3.2:latest", "qwen3:8b")
    assert "2 models" in ollama.detail
    connection = ollama.to_connection()
    assert connection.base_url == fake_ollama + "/v1"
    assert isinstance(connection.auth, NoAuth)
    assert connection.model_ids == ["llama3.2:latest", "qwen3:8b"]


async def test_finds_lm_studio_through_its_openai_model_list(fake_lmstudio: str) -> None:
    target = LocalTarget("lmstudio", fake_lmstudio + "/v1", "openai")
    found = await detect(environ={}, targets=[target])
    assert [(f.preset_id, f.models) for f in found] == [("lmstudio", ("gemma-3-4b",))]


async def test_nothing_listening_finds_nothing_quickly() -> None:
    port = _closed_port()
    targets = [
        LocalTarget("ollama", f"http://127.0.0.1:{port}/v1", "ollama"),
        LocalTarget("lmstudio", f"http://127.0.0.1:{port}/v1", "openai"),
    ]
    assert await detect(environ={}, targets=targets, timeout=5) == []


async def test_a_server_that_is_not_ollama_is_not_offered() -> None:
    for server in _serve({"/api/tags": (200, b"<html>hello</html>")}):
        targets = [LocalTarget("ollama", server + "/v1", "ollama")]
        assert await detect(environ={}, targets=targets) == []


async def test_a_hanging_server_is_given_up_on_after_the_timeout() -> None:
    for server in _serve({"/api/tags": (200, {"models": []})}, delay=3.0):
        targets = [LocalTarget("ollama", server + "/v1", "ollama")]
        assert await detect(environ={}, targets=targets, timeout=0.3) == []


def test_ollama_host_moves_the_ollama_probe() -> None:
    targets = default_local_targets({"OLLAMA_HOST": "0.0.0.0:9999"})
    assert targets[0] == LocalTarget("ollama", "http://127.0.0.1:9999/v1", "ollama")
    assert default_local_targets({})[0].base_url == "http://localhost:11434/v1"
    assert default_local_targets({})[1].base_url == "http://localhost:1234/v1"


def test_env_keys_are_offered_for_their_own_provider_by_name_not_value() -> None:
    secret = "sk-or-v1-" + "a" * 40
    environ = {"OPENROUTER_API_KEY": secret, "GROQ_API_KEY": "gsk_x" * 5, "UNRELATED": "x"}
    found = find_env_keys(environ)
    assert [(f.preset_id, f.key_env) for f in found] == [
        ("openrouter", "OPENROUTER_API_KEY"),
        ("groq", "GROQ_API_KEY"),
    ]
    assert all(secret not in repr(f) for f in found)
    connection = found[0].to_connection()
    assert connection.base_url == "https://openrouter.ai/api/v1"
    assert isinstance(connection.auth, ApiKeyAuth)
    assert connection.auth.api_key_env == "OPENROUTER_API_KEY"
    assert secret not in connection.model_dump_json()


def test_blank_env_keys_are_ignored() -> None:
    assert find_env_keys({"OPENAI_API_KEY": "  "}) == []


def test_each_key_variable_belongs_to_one_native_preset() -> None:
    mapping = env_key_presets()
    assert mapping["ANTHROPIC_API_KEY"] == "anthropic"
    assert mapping["OPENAI_API_KEY"] == "openai"
    assert mapping["OPENROUTER_API_KEY"] == "openrouter"


def test_slugs_already_taken_get_a_number() -> None:
    finding = find_env_keys({"OPENAI_API_KEY": "sk-test"})[0]
    connection = finding.to_connection(["openai", "openai-2"])
    assert (connection.slug, connection.name) == ("openai-3", "OpenAI 3")


def test_a_malformed_ollama_host_falls_back_to_the_usual_port() -> None:
    targets = default_local_targets({"OLLAMA_HOST": "http://exa mple:port"})
    assert targets[0].base_url == "http://localhost:11434/v1"
