"""ChatSession with content parts: an answer is stored as the blocks it arrived in (a signed
thinking block kept whole, also in the partial saves a kill would leave), the signature goes back
to the Anthropic server that made it and to no other, and attachments are saved with the
prompt, sent with their bytes, and kept by edit, regenerate and reopen."""

from __future__ import annotations

import asyncio
from typing import Any

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import AnswerFinished, ChatSession
from craft_tui.config.schema import Connection
from craft_tui.providers.anthropic_messages import AnthropicMessages
from craft_tui.providers.content import AttachmentPart, ReasoningPart, TextPart
from craft_tui.providers.openai_chat import OpenAIChat
from craft_tui.providers.types import (
    Finish,
    ReasoningDelta,
    ReasoningSignature,
    RedactedReasoning,
    TextDelta,
)
from tests.chat.fakes import Clock, Gate, Opener, ScriptedDriver, Tick, collect, config, connection
from tests.providers.conftest import KEY, connection_for
from tests.servers import FakeLLMServer
from tests.servers.fixtures import ServerFactory

HANG_GUARD = 10.0
PNG = b"\x89PNG\r\n\x1a\n the picture"


def session_for(
    store: HistoryStore, opener: Any, *connections: Connection, **kw: Any
) -> ChatSession:
    cfg = config(*connections) if connections else config(connection("fake"))
    first = cfg.connections[0]
    conversation = store.create_conversation(
        connection_slug=first.slug, model=first.effective_default_model
    )
    kw.setdefault("idle_save", False)
    return ChatSession(store, conversation, driver_opener=opener, config=cfg, **kw)


def last_stored(store: HistoryStore, session: ChatSession) -> Any:
    return store.load_conversation(session.conversation.id)[1][-1]


async def test_an_answer_is_stored_as_the_blocks_it_arrived_in() -> None:
    store = HistoryStore.open()
    clock = Clock()
    gate = Gate()
    script = [
        ReasoningDelta("Let me "),
        ReasoningDelta("think."),
        ReasoningSignature("sig-1"),
        RedactedReasoning("encrypted-2"),
        TextDelta("First\r\n"),
        Tick(1.0),
        TextDelta("\x1b[31mred\x1b[0m"),  # a save is due: the partial holds the blocks
        gate,
        ReasoningDelta("More thought."),
        TextDelta(" Done."),
        Finish("stop"),
    ]
    session = session_for(store, Opener(ScriptedDriver(script, clock)), clock=clock)
    task = asyncio.create_task(collect(session.send("Think, then answer")))
    await asyncio.wait_for(gate.reached.wait(), HANG_GUARD)
    partial = last_stored(store, session)
    assert partial.parts == (
        ReasoningPart("Let me think.", signature="sig-1"),
        ReasoningPart("", encrypted="encrypted-2"),
        TextPart("First\r\n\x1b[31mred\x1b[0m"),
    )
    assert partial.finish_reason is None  # what a kill -9 here would leave
    gate.release.set()
    events = await asyncio.wait_for(task, HANG_GUARD)

    final = last_stored(store, session)
    assert final.parts == (
        ReasoningPart("Let me think.", signature="sig-1"),
        ReasoningPart("", encrypted="encrypted-2"),
        TextPart("First\r\n\x1b[31mred\x1b[0m"),
        ReasoningPart("More thought."),
        TextPart(" Done."),
    )
    assert final.text == "First\r\n\x1b[31mred\x1b[0m Done."
    assert final.reasoning == "Let me think.More thought."
    assert isinstance(events[-1], AnswerFinished) and events[-1].message.parts == final.parts


async def test_a_thinking_signature_goes_back_to_its_server_and_no_other(
    fake_server: ServerFactory,
) -> None:
    claude: FakeLLMServer = fake_server(protocol="anthropic")
    claude.configure(reply="Blue light scatters.", reasoning="Rayleigh.")
    other: FakeLLMServer = fake_server(protocol="openai")
    native = connection_for(claude).model_copy(update={"slug": "claude", "name": "Claude"})
    elsewhere = connection_for(other).model_copy(update={"slug": "other", "name": "Other"})

    def opener(target: Connection) -> Any:
        driver = AnthropicMessages if target.protocol == "anthropic" else OpenAIChat
        return driver(target, KEY)

    store = HistoryStore.open()
    session = session_for(store, opener, native, elsewhere)
    await collect(session.send("Why is the sky blue?"))
    answer = last_stored(store, session)
    assert answer.parts == (
        ReasoningPart("Rayleigh.", signature="EqQBCgIYAhIM"),
        TextPart("Blue light scatters."),
    )

    await collect(session.send("And sunsets?"))
    sent = claude.chat_requests[-1].json["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": [
            {"type": "thinking", "thinking": "Rayleigh.", "signature": "EqQBCgIYAhIM"},
            {"type": "text", "text": "Blue light scatters."},
        ],
    }

    session.switch(elsewhere, "fake-small")
    await collect(session.send("Thanks"))
    to_other = other.chat_requests[-1].json["messages"]
    assert to_other[1] == {"role": "assistant", "content": "Blue light scatters."}
    assert "EqQBCgIYAhIM" not in str(to_other)


async def test_attachments_are_saved_sent_and_kept_by_edit_regenerate_and_reopen() -> None:
    store = HistoryStore.open()
    drivers = [ScriptedDriver([TextDelta(f"answer {i}"), Finish("stop")]) for i in range(3)]
    session = session_for(store, Opener(*drivers))
    image = AttachmentPart.from_bytes(PNG, "image/png", "cat.png")

    await collect(session.send("What is this?", attachments=[image]))
    prompt = session.messages[0]
    assert prompt.parts == (TextPart("What is this?"), image)
    assert prompt.text == "What is this?"

    def sent_image(driver: ScriptedDriver) -> AttachmentPart:
        (found,) = [
            p
            for m in driver.requests[-1].messages
            for p in m.parts
            if isinstance(p, AttachmentPart)
        ]
        return found

    assert sent_image(drivers[0]).data == PNG
    await collect(session.regenerate(session.messages[-1].id))
    assert sent_image(drivers[1]).data == PNG  # loaded back from the history
    await collect(session.edit_and_resend(prompt.id, "And this?"))
    edited = session.messages[0]
    assert edited.id != prompt.id
    assert edited.parts == (TextPart("And this?"), image)
    assert sent_image(drivers[2]).data == PNG

    store.close()
    reopened = HistoryStore.open(store.path)
    versions = [m for m in reopened.all_messages(session.conversation.id) if m.role == "user"]
    assert [m.parts for m in versions] == [
        (TextPart("What is this?"), image),
        (TextPart("And this?"), image),
    ]
    assert reopened.attachment_data([image.id]) == {image.id: PNG}
    assert reopened._db.execute("SELECT count(*) FROM attachments").fetchone()[0] == 1
