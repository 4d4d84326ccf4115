"""`Door`: a port on 127.0.0.1 whose state a test flips, for faults that happen before HTTP does.

* closed (the start): the socket is bound but not listening, so connecting is refused — and the
  port stays ours, so no other process can take it before the test opens it;
* jammed: listening with a full accept queue, so the kernel drops new SYNs and connecting times
  out (a loopback stand-in for a firewall that drops packets);
* open: every connection is relayed to `upstream` (a FakeLLMServer), or, with `proxy=True`, to
  the address an HTTP proxy request names: `CONNECT host:port` (a tunnel, as for HTTPS) or an
  absolute-form request line (`POST http://host:port/path`, as for plain HTTP).

Only loopback addresses are relayed to, so nothing a test does leaves the machine.

    with Door(upstream=("127.0.0.1", server.port)) as door:   # refused
        door.jam()                                            # connect times out
        door.open()                                           # relayed to the server
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Literal
from urllib.parse import urlsplit

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_HEAD_LIMIT = 64 * 1024

State = Literal["closed", "jammed", "open"]


class Door:
    """A loopback port that refuses, hangs, or relays; `relayed` counts relayed connections."""

    def __init__(self, upstream: tuple[str, int] | None = None, *, proxy: bool = False) -> None:
        if upstream is None and not proxy:
            raise ValueError("a door relays to an upstream, or acts as a proxy")
        self.upstream = upstream
        self.proxy = proxy
        self.state: State = "closed"
        self.relayed = 0
        self.requests: list[str] = []  # proxy mode: the request lines it was asked to forward
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]  # kept: still known once closed
        self._fillers: list[socket.socket] = []
        self._open_sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- states ---------------------------------------------------------------------------------

    def jam(self, attempts: int = 8) -> None:
        """Listen with a backlog of 0 and fill it, until a probe's connect itself times out."""
        assert self.state == "closed", "jam a closed door"
        self._listener.listen(0)
        self.state = "jammed"
        for _ in range(attempts):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.2)
            try:
                filler.connect(("127.0.0.1", self.port))
            except TimeoutError:
                filler.close()
                return  # the queue is full: the next connect hangs too
            self._fillers.append(filler)
        raise AssertionError("the accept queue never filled; cannot make connecting time out")

    def open(self) -> None:
        """Start accepting; every connection from now on is relayed."""
        assert self.state != "open", "the door is already open"
        for filler in self._fillers:  # the jam's own connections end here
            filler.close()
        self._fillers.clear()
        self._listener.listen(64)
        self.state = "open"
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop accepting and drop every relayed connection."""
        self._stopping.set()
        for filler in self._fillers:
            filler.close()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            sockets, self._open_sockets = self._open_sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> Door:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- relaying -------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        self._listener.settimeout(0.05)  # so close() is noticed
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            self._track(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open_sockets.append(sock)

    def _serve(self, client: socket.socket) -> None:
        try:
            if self.proxy:
                target, preface = self._proxy_handshake(client)
            else:
                assert self.upstream is not None
                target, preface = self.upstream, b""
            if target is None:
                client.close()
                return
            upstream = socket.create_connection(target, timeout=5)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        self._track(upstream)
        with self._lock:
            self.relayed += 1
        if preface:
            upstream.sendall(preface)
        threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()
        _pump(client, upstream)

    def _proxy_handshake(self, client: socket.socket) -> tuple[tuple[str, int] | None, bytes]:
        """Read the proxy request head: where to connect, and the bytes to send there first."""
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk or len(head) > _HEAD_LIMIT:
                return None, b""
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        with self._lock:
            self.requests.append(line)
        method, target, _version = line.split(" ", 2)
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            address = (host.strip("[]"), int(port))
            if address[0] not in _LOOPBACK:
                client.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
                return None, b""
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
            return address, rest
        parts = urlsplit(target)
        if parts.hostname not in _LOOPBACK or parts.port is None:
            client.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            return None, b""
        return (parts.hostname, parts.port), head  # FakeLLMServer reads absolute-form paths


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes one way until `source` ends, then end `sink`'s writing side."""
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
