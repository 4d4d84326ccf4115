"""Turn a conversation's active path into a neutral `ChatRequest` for one connection and model.

The stored conversation never depends on where it was sent: switching connection or model
mid-conversation only changes the next request, and drivers deal with protocol specifics.

Rules:
- failed or empty answers are left out (an error is not something the model said);
- a stopped or cut-off answer keeps its partial text (the user saw it and may refer to it);
- consecutive user prompts (left behind by a failed answer) are joined, so the turns alternate;
- anything after the last user prompt is dropped: a request always ends with the user's turn;
- system prompt: the conversation's own, else the connection's default;
- max_tokens: the model entry's, else the connection's.
"""

from __future__ import annotations

from collections.abc import Sequence

from craft_tui.chat.conversation import Conversation, StoredMessage
from craft_tui.config.schema import Connection
from craft_tui.providers.types import ChatMessage, ChatRequest


class EmptyRequestError(ValueError):
    """The path has no user prompt to answer."""


def request_messages(path: Sequence[StoredMessage]) -> tuple[ChatMessage, ...]:
    """The turns to send, alternating user/assistant and ending with the user."""
    turns: list[ChatMessage] = []
    for message in path:
        if message.role == "assistant":
            if not message.text.strip():
                continue  # error-only, empty or never-started answer
            turn = ChatMessage("assistant", message.text, message.reasoning)
        else:
            turn = ChatMessage("user", message.text)
        if turns and turns[-1].role == turn.role:
            previous = turns.pop()
            turn = ChatMessage(turn.role, f"{previous.text}\n\n{turn.text}", turn.reasoning)
        turns.append(turn)
    while turns and turns[-1].role != "user":
        turns.pop()
    if not turns:
        raise EmptyRequestError("There is no prompt to answer.")
    return tuple(turns)


def build_request(
    path: Sequence[StoredMessage],
    conversation: Conversation,
    connection: Connection,
    model: str,
) -> ChatRequest:
    """The request asking `model` on `connection` to answer the last user prompt of `path`."""
    system = conversation.system_prompt or connection.system_prompt or None
    entry = connection.model(model)
    max_tokens = entry.max_tokens if entry is not None and entry.max_tokens else None
    return ChatRequest(
        model=model,
        messages=request_messages(path),
        system=system,
        max_tokens=max_tokens or connection.max_tokens,
    )
