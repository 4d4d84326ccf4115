"""Helper process for the kill -9 test: streams an endless answer from an in-process driver
through ChatSession into the history database, printing each chunk's number as it is handed on.

Run: python -m tests.chat.stream_until_killed   (uses CRAFT_TUI_HOME like the app)
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import ChatSession, TextChunk
from craft_tui.providers.types import ChatRequest, StreamEvent, TextDelta
from tests.chat.fakes import ScriptedDriver, config, connection


class Endless(ScriptedDriver):
    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        i = 0
        while True:
            yield TextDelta(f"word{i} ")
            i += 1
            await asyncio.sleep(0.001)


async def main() -> None:
    store = HistoryStore.open()
    conversation = store.create_conversation(connection_slug="fake", model="small")
    session = ChatSession(
        store, conversation, driver_opener=lambda _c: Endless(), config=config(connection())
    )
    count = 0
    async for event in session.send("Tell me many words"):
        if isinstance(event, TextChunk):
            count += 1
            sys.stdout.write(f"{count}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
