"""What gets sent once messages hold parts: thinking blocks go back only where they were signed,
tool calls and results travel in pairs, tool turns are never merged into prompts, joined prompts
keep their attachments in order, and attachments carry their bytes (loaded once)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from craft_tui.chat.conversation import Conversation, StoredMessage
from craft_tui.chat.request_builder import (
    MissingAttachmentError,
    build_request,
    request_messages,
)
from craft_tui.providers.content import (
    AttachmentPart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)
from craft_tui.providers.types import ChatMessage
from tests.chat.fakes import connection

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PNG = b"\x89PNG fake image bytes"
IMAGE = AttachmentPart.from_bytes(PNG, "image/png", "cat.png")
STORED_IMAGE = AttachmentPart(IMAGE.id, "image/png", IMAGE.size, "cat.png")  # as loaded


def msg(role: Any, *parts: Part, slug: str | None = None, **extra: Any) -> StoredMessage:
    return StoredMessage(
        id=str(id(parts)),
        conversation_id="c",
        parent_id=None,
        role=role,
        parts=parts,
        connection_slug=slug,
        **extra,
    )


def test_a_signed_thinking_block_goes_back_only_to_the_connection_that_signed_it() -> None:
    answer = msg(
        "assistant",
        ReasoningPart("Let me see.", signature="sig-1"),
        ReasoningPart("", encrypted="redacted-data"),
        TextPart("Answer."),
        slug="claude",
    )
    path = [msg("user", TextPart("q")), answer, msg("user", TextPart("next"))]
    same = request_messages(path, target_slug="claude")
    assert same[1].parts == answer.parts
    elsewhere = request_messages(path, target_slug="openrouter")
    assert elsewhere[1].parts == (ReasoningPart("Let me see."), TextPart("Answer."))


def test_tool_calls_and_results_travel_in_pairs() -> None:
    calls = msg(
        "assistant",
        TextPart("Checking."),
        ToolCallPart("call_1", "clock", "{}"),
        ToolCallPart("call_2", "weather", '{"city": "Oslo"}'),
    )
    results = msg(
        "tool",
        ToolResultPart("call_1", "12:00"),
        ToolResultPart("call_stray", "from nowhere"),
    )
    path = [msg("user", TextPart("time and weather?")), calls, results]
    turns = request_messages(path)
    assert turns == (
        ChatMessage("user", "time and weather?"),
        ChatMessage(
            "assistant", parts=(TextPart("Checking."), ToolCallPart("call_1", "clock", "{}"))
        ),
        ChatMessage("tool", parts=(ToolResultPart("call_1", "12:00"),)),
    )  # ends with the tool turn: the model answers the results


def test_an_unanswered_call_is_left_out_and_the_prompts_around_it_join() -> None:
    path = [
        msg("user", TextPart("first")),
        msg("assistant", ToolCallPart("call_1", "slow", "{}"), finish_reason="cancelled"),
        msg("user", TextPart("never mind")),
    ]
    assert request_messages(path) == (ChatMessage("user", "first\n\nnever mind"),)
    kept_text = [
        msg("user", TextPart("first")),
        msg("assistant", TextPart("Let me run it."), ToolCallPart("call_1", "slow", "{}")),
        msg("user", TextPart("stop")),
    ]
    assert request_messages(kept_text)[1] == ChatMessage("assistant", "Let me run it.")


def test_tool_turns_and_consecutive_answers_are_never_merged() -> None:
    path = [
        msg("user", TextPart("q")),
        msg("assistant", ToolCallPart("c1", "t", "{}")),
        msg("tool", ToolResultPart("c1", "r")),
        msg("assistant", TextPart("part one")),
        msg("assistant", TextPart("part two")),
        msg("user", TextPart("more")),
    ]
    assert [t.role for t in request_messages(path)] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "assistant",
        "user",
    ]


def test_joined_prompts_keep_their_attachments_in_order() -> None:
    path = [
        msg("user", TextPart("see"), STORED_IMAGE),
        msg("assistant", finish_reason="error", error_kind="timeout"),
        msg("user", TextPart("again")),
    ]
    assert request_messages(path) == (
        ChatMessage("user", parts=(TextPart("see"), STORED_IMAGE, TextPart("again"))),
    )
    text_first = [msg("user", TextPart("a")), msg("user", TextPart("b"), STORED_IMAGE)]
    assert request_messages(text_first)[0].parts == (TextPart("a\n\nb"), STORED_IMAGE)


def test_attachments_carry_their_bytes_loaded_once_per_request() -> None:
    loads: list[set[str]] = []

    def load(ids: Iterable[str]) -> Mapping[str, bytes]:
        loads.append(set(ids))
        return {IMAGE.id: PNG}

    path = [
        msg("user", TextPart("one"), STORED_IMAGE),
        msg("assistant", TextPart("ok")),
        msg("user", TextPart("two"), STORED_IMAGE),
    ]
    conv = Conversation("c", "", None, NOW, NOW, "fake", "small", None)
    request = build_request(path, conv, connection(), "small", attachments=load)
    sent = [p for m in request.messages for p in m.parts if isinstance(p, AttachmentPart)]
    assert [p.data for p in sent] == [PNG, PNG]
    assert loads == [{IMAGE.id}]
    with pytest.raises(MissingAttachmentError, match=r"cat\.png"):
        build_request(path, conv, connection(), "small", attachments=lambda ids: {})
