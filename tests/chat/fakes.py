"""In-process stand-ins for the chat core's collaborators: a scripted driver whose pauses the test
controls, a clock the test moves, and a config with two connections (no network anywhere)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from craft_tui.config.schema import Config, Connection
from craft_tui.providers.errors import ProviderError
from craft_tui.providers.types import ChatRequest, ModelInfo, StreamEvent


class Clock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@dataclass
class Tick:
    """Script step: move the clock forward."""

    seconds: float


@dataclass
class Gate:
    """Script step: signal `reached`, then wait until the test sets `release`."""

    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


Step = StreamEvent | Tick | Gate | ProviderError


class ScriptedDriver:
    """Yields its script's events; records each request and whether each stream was closed."""

    def __init__(
        self,
        script: Iterable[Step] = (),
        clock: Clock | None = None,
        on_stream: Callable[[ChatRequest], None] | None = None,
    ) -> None:
        self.script = list(script)
        self.clock = clock
        self.on_stream = on_stream
        self.requests: list[ChatRequest] = []
        self.closed = 0

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        self.requests.append(request)
        if self.on_stream is not None:
            self.on_stream(request)
        try:
            for step in self.script:
                if isinstance(step, Tick):
                    assert self.clock is not None
                    self.clock.now += step.seconds
                elif isinstance(step, Gate):
                    step.reached.set()
                    await step.release.wait()
                elif isinstance(step, ProviderError):
                    raise step
                else:
                    yield step
                    await asyncio.sleep(0)
        finally:
            self.closed += 1

    async def list_models(self) -> list[ModelInfo]:
        return []

    async def aclose(self) -> None:
        pass


class Opener:
    """A `driver_opener` handing out drivers in order and remembering which connection asked."""

    def __init__(self, *drivers: Any) -> None:
        self.drivers = list(drivers)
        self.connections: list[Connection] = []

    def __call__(self, connection: Connection) -> Any:
        self.connections.append(connection)
        driver = self.drivers.pop(0)
        if isinstance(driver, ProviderError):
            raise driver
        return driver


def connection(slug: str = "fake", **extra: Any) -> Connection:
    data: dict[str, Any] = {
        "slug": slug,
        "name": slug.title(),
        "protocol": "openai",
        "base_url": "http://127.0.0.1:9/v1",
        "auth": {"type": "none"},
        "models": [{"id": "small"}, {"id": "big", "max_tokens": 8000}],
        "default_model": "small",
    }
    data.update(extra)
    return Connection.model_validate(data)


def config(*connections: Connection) -> Config:
    return Config(connections=list(connections or (connection(),)))


async def collect(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]
