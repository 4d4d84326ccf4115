"""Fixtures for the model discovery tests: the shared fake servers plus two tiny ones of our own."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from craft_tui.config.schema import Connection, ModelEntry, NoAuth
from tests.servers.fixtures import fake_server  # noqa: F401


class GatedServer:
    """A loopback server whose `/v1/models` answers only once `release()` is called (a slow
    list), and which answers 404 to everything else — no model list, no Ollama API."""

    def __init__(self, models: list[str] | None = None, *, gated: bool = True) -> None:
        self.models = models
        self.gate = threading.Event()
        if not gated:
            self.gate.set()
        self.paths: list[str] = []
        self.arrived = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner.paths.append(self.path)
                if self.path == "/v1/models" and owner.models is not None:
                    owner.arrived.set()
                    owner.gate.wait(30)
                    body = json.dumps({"data": [{"id": m} for m in owner.models]}).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                else:
                    body = b'{"error": "not found"}'
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def release(self) -> None:
        self.gate.set()

    def __enter__(self) -> GatedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def gated_server() -> Iterator[GatedServer]:
    with GatedServer(["slow-a", "slow-b"]) as server:
        yield server


@pytest.fixture
def no_list_server() -> Iterator[GatedServer]:
    with GatedServer(None, gated=False) as server:
        yield server


def make_connection(
    slug: str,
    base_url: str,
    *models: str | ModelEntry,
    protocol: str = "openai",
    preset: str | None = None,
    default_model: str | None = None,
) -> Connection:
    return Connection(
        slug=slug,
        name=slug.replace("-", " ").title(),
        protocol=protocol,  # type: ignore[arg-type]
        preset=preset,
        base_url=base_url,
        auth=NoAuth(),
        models=[m if isinstance(m, ModelEntry) else ModelEntry(id=m) for m in models],
        default_model=default_model,
    )


def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
