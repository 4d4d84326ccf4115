"""What gets sent: the active path as alternating turns ending with the user's prompt, with the
right system prompt and max_tokens for the chosen connection and model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from craft_tui.chat.conversation import Conversation, StoredMessage
from craft_tui.chat.request_builder import EmptyRequestError, build_request, request_messages
from craft_tui.providers.types import ChatMessage
from tests.chat.fakes import connection

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def conv(system_prompt: str | None = None) -> Conversation:
    return Conversation("c", "", system_prompt, NOW, NOW, "fake", "small", None)


def msg(role: Any, text: str, **extra: Any) -> StoredMessage:
    return StoredMessage(
        id=text, conversation_id="c", parent_id=None, role=role, text=text, **extra
    )


def test_turns_alternate_and_failed_or_empty_answers_are_left_out() -> None:
    path = [
        msg("user", "q1"),
        msg("assistant", "", finish_reason="error", error_kind="rate_limited"),
        msg("user", "q1 again"),
        msg("assistant", "partial answ", finish_reason="cancelled"),
        msg("user", "q2"),
    ]
    assert request_messages(path) == (
        ChatMessage("user", "q1\n\nq1 again"),
        ChatMessage("assistant", "partial answ"),
        ChatMessage("user", "q2"),
    )


def test_a_trailing_answer_is_dropped_so_the_request_ends_with_the_user() -> None:
    path = [msg("user", "q"), msg("assistant", "a", reasoning="r", finish_reason="stop")]
    assert request_messages(path) == (ChatMessage("user", "q"),)
    with pytest.raises(EmptyRequestError):
        request_messages([])


def test_system_prompt_prefers_the_conversation_then_the_connection() -> None:
    path = [msg("user", "hi")]
    plain = connection()
    with_default = connection(system_prompt="Connection default.")
    assert build_request(path, conv(), plain, "small").system is None
    assert build_request(path, conv(), with_default, "small").system == "Connection default."
    chosen = build_request(path, conv("Pirate voice."), with_default, "small")
    assert chosen.system == "Pirate voice."


def test_max_tokens_from_the_model_entry_else_the_connection() -> None:
    path = [msg("user", "hi")]
    target = connection(max_tokens=1234)
    assert build_request(path, conv(), target, "big").max_tokens == 8000
    assert build_request(path, conv(), target, "small").max_tokens == 1234
    request = build_request(path, conv(), target, "typed-by-hand")
    assert (request.model, request.max_tokens) == ("typed-by-hand", 1234)
