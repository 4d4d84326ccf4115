"""Titles written by the conversation's own model (`settings.ai_titles`): asked once, after the
first answer of a new conversation, of the connection and model that wrote it and no other; the
reply cleaned to one safe line; a user's own title never overwritten; nothing asked when off."""

from __future__ import annotations

from typing import Any

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import ChatSession
from craft_tui.chat.titles import clean_title
from craft_tui.config.schema import Config, Settings
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import Finish, TextDelta
from tests.chat.fakes import Opener, ScriptedDriver, collect, connection


def _session(store: HistoryStore, opener: Opener, *, ai_titles: bool = True) -> ChatSession:
    cfg = Config(
        connections=[connection("local"), connection("cloud")],
        settings=Settings(ai_titles=ai_titles),
    )
    conversation = store.create_conversation(connection_slug="local", model="small")
    return ChatSession(store, conversation, driver_opener=opener, config=cfg, idle_save=False)


def _answer(text: str = "Use sorted(xs, key=len).") -> ScriptedDriver:
    return ScriptedDriver([TextDelta(text), Finish("stop")])


async def test_the_first_answer_names_the_conversation_with_its_own_model() -> None:
    store = HistoryStore.open()
    titler = ScriptedDriver([TextDelta('Title: "Sorting lists'), TextDelta(' by length."\n')])
    opener = Opener(_answer(), titler)
    session = _session(store, opener)
    await collect(session.send("How do I sort a list of strings by their length in Python?"))
    assert session.conversation.title.startswith("How do I sort")  # the first prompt's, until
    title = await session.name_with_model()
    assert title == "Sorting lists by length"
    assert store.get_conversation(session.conversation.id).title == "Sorting lists by length"
    assert session.conversation.title == "Sorting lists by length"
    # Asked of the connection and model that answered, never another provider.
    assert [c.slug for c in opener.connections] == ["local", "local"]
    (request,) = titler.requests
    assert request.model == "small" and not request.tools
    assert "How do I sort a list" in request.messages[0].text
    assert "Use sorted(xs, key=len)." in request.messages[0].text
    assert titler.closed == 1  # the reply was read no further than its first line
    # Only the first exchange: a second answer asks nothing more.
    opener.drivers.append(_answer("More."))
    await collect(session.send("And in reverse?"))
    assert await session.name_with_model() is None
    assert len(opener.connections) == 3


async def test_off_by_default_and_a_users_own_title_wins() -> None:
    store = HistoryStore.open()
    opener = Opener(_answer())
    session = _session(store, opener, ai_titles=False)
    await collect(session.send("Hello there"))
    assert await session.name_with_model() is None
    assert len(opener.connections) == 1  # nothing was asked

    opener = Opener(_answer(), ScriptedDriver([TextDelta("Greeting")]))
    session = _session(store, opener)
    await collect(session.send("Hello there"))
    session.rename("My own name")
    assert await session.name_with_model() is None
    assert store.get_conversation(session.conversation.id).title == "My own name"
    assert len(opener.connections) == 1


async def test_a_failed_or_empty_title_keeps_the_first_prompts() -> None:
    store = HistoryStore.open()
    refused = ScriptedDriver([ProviderError(ErrorKind.RATE_LIMITED, "Too many requests.")])
    for titler in (refused, ScriptedDriver([TextDelta('  ""  \n')])):
        session = _session(store, Opener(_answer(), titler))
        await collect(session.send("Hello there"))
        assert await session.name_with_model() is None
        assert store.get_conversation(session.conversation.id).title == "Hello there"


async def test_a_failed_answer_is_not_named() -> None:
    store = HistoryStore.open()
    failing = ScriptedDriver([TextDelta("par"), ProviderError(ErrorKind.OVERLOADED, "Busy.")])
    opener = Opener(failing)
    session = _session(store, opener)
    await collect(session.send("Hello there"))
    assert await session.name_with_model() is None
    assert len(opener.connections) == 1


@pytest.mark.parametrize(
    ("reply", "title"),
    [
        ("**Rust lifetimes**", "Rust lifetimes"),
        ("# Title: Borrow checker\nbecause…", "Borrow checker"),
        ("“Quoted”.", "Quoted"),
        ("Red\x1b[31m alert\x07", "Red[31m alert"),  # no escape byte survives
        ("\n\n  spaced   out  ", "spaced out"),
        ("word " * 40, None),  # cut to the title limit at a word: checked below
        ("   ", None),
    ],
)
def test_a_reply_is_cleaned_to_one_safe_line(reply: str, title: Any) -> None:
    cleaned = clean_title(reply)
    if reply.startswith("word"):
        assert cleaned is not None and len(cleaned) <= 60 and cleaned.endswith("…")
    else:
        assert cleaned == title
    assert cleaned is None or not any(ord(ch) < 32 for ch in cleaned)
