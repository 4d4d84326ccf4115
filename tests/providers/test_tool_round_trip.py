"""One tool round end to end: the chat session, the real drivers and the loopback fakes (issue 18).

The fake model answers with text and two calls (one to a tool nobody offers), streamed one byte
of arguments per event; the session runs them and sends the follow-up; the fake's record of that
request is the proof that what a real server gets back is what its API wants."""

from __future__ import annotations

from typing import Any

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import ChatSession, ToolRunFinished
from craft_tui.providers.content import ToolCallPart, ToolResultPart
from craft_tui.providers.factory import make_driver
from craft_tui.providers.types import ToolSpec
from tests.chat.fakes import Clock, collect, config
from tests.providers.conftest import KEY, connection_for
from tests.servers import FakeLLMServer, FakeToolCall
from tests.servers.fixtures import ServerFactory

ECHO = ToolSpec("echo", "Says it back.", {"type": "object"}, read_only=True, source="demo")
CALLS = (
    FakeToolCall("echo", '{"text": "a"}', id="c1"),
    FakeToolCall("launch", "{}", id="c2"),  # not offered: answered as an error
)


class EchoRunner:
    """The session's ToolRunner: echoes an offered tool's arguments, refuses any other."""

    max_steps = 5

    async def offered(self) -> tuple[ToolSpec, ...]:
        return (ECHO,)

    def problems(self) -> tuple[str, ...]:
        return ()

    async def run(self, call: ToolCallPart, spec: ToolSpec | None) -> ToolResultPart:
        if spec is None:
            return ToolResultPart(call.id, f"There is no tool named {call.name}.", True, call.name)
        return ToolResultPart(call.id, f"echo: {call.arguments}", False, call.name)


async def round_trip(server: FakeLLMServer) -> tuple[list[Any], dict[str, Any]]:
    server.queue(reply="Let me check.", tool_calls=CALLS, tool_chunk=1)
    store = HistoryStore.open()
    conversation = store.create_conversation(connection_slug="fake", model="fake-small")
    session = ChatSession(
        store,
        conversation,
        driver_opener=lambda c: make_driver(c, KEY),
        config=config(connection_for(server)),
        clock=Clock(),
        idle_save=False,
        tools=EchoRunner(),
    )
    events = await collect(session.send("Say a."))
    assert len(server.chat_requests) == 2
    follow_up = server.chat_requests[1].json
    assert isinstance(follow_up, dict)
    return events, follow_up


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_calls_run_and_the_follow_up_is_what_the_api_takes(
    fake_server: ServerFactory, protocol: str
) -> None:
    server = fake_server(protocol=protocol)
    events, body = await round_trip(server)
    finished = [e.result for e in events if isinstance(e, ToolRunFinished)]
    assert [(r.call_id, r.is_error) for r in finished] == [("c1", False), ("c2", True)]
    if protocol == "openai":
        assert body["tools"] == [
            {
                "type": "function",
                "function": {
                    "name": "echo",
                    "description": "Says it back.",
                    "parameters": {"type": "object"},
                },
            }
        ]
        assert body["messages"][-3:] == [
            {
                "role": "assistant",
                "content": "Let me check.",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "echo", "arguments": '{"text": "a"}'},
                    },
                    {
                        "id": "c2",
                        "type": "function",
                        "function": {"name": "launch", "arguments": "{}"},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": 'echo: {"text": "a"}'},
            {"role": "tool", "tool_call_id": "c2", "content": "There is no tool named launch."},
        ]
    else:
        assert body["tools"] == [
            {"name": "echo", "description": "Says it back.", "input_schema": {"type": "object"}}
        ]
        assert body["messages"][-2:] == [
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "c1", "name": "echo", "input": {"text": "a"}},
                    {"type": "tool_use", "id": "c2", "name": "launch", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "c1", "content": 'echo: {"text": "a"}'},
                    {
                        "type": "tool_result",
                        "tool_use_id": "c2",
                        "content": "There is no tool named launch.",
                        "is_error": True,
                    },
                ],
            },
        ]
