"""Turn a conversation's active path into a neutral `ChatRequest` for one connection and model.

The stored conversation never depends on where it was sent: switching connection or model
mid-conversation only changes the next request, and drivers deal with protocol specifics.

Rules (the same for every protocol; what each protocol needs beyond them is its driver's):
- failed or empty answers are left out (an error is not something the model said): an answer
  goes only with non-blank text or a tool call;
- a stopped or cut-off answer keeps its partial text (the user saw it and may refer to it);
- consecutive user prompts (left behind by a failed answer) are joined into one turn, their
  texts by a blank line and their attachments kept in order: the user asked once more, and one
  turn is what both protocols expect. Nothing else is merged: a tool turn stays a tool turn and
  consecutive answers stay apart (OpenAI takes them so; the Anthropic driver joins same-role
  turns, since that API requires alternation);
- tool calls and results go in pairs: a call with no result in the next (tool) turn, or a
  result whose call is not in the answer before it, is left out, since both APIs refuse either
  (a loop stopped between the call and its result would otherwise make every later request
  fail);
- the request ends with a user or tool turn: answers after the last one are dropped;
- a signed or encrypted thinking block goes back only to the connection that produced it
  (a signature is the issuing server's; anywhere else it is unsigned reasoning, which no
  driver sends);
- attachments carry their bytes, loaded once per request (`attachments`);
- system prompt: the conversation's own, else the connection's default;
- temperature, max tokens, reasoning effort: `config/generation.py effective` (the
  conversation's own, then the model entry's and the connection's for max tokens, then
  `[settings]`; unset sends nothing, so the server's default applies).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from craft_tui.chat.conversation import Conversation, StoredMessage
from craft_tui.config.generation import GenerationParams, effective
from craft_tui.config.schema import Connection, Settings
from craft_tui.providers.content import (
    AttachmentPart,
    Part,
    Parts,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    joined_turns,
)
from craft_tui.providers.types import ChatMessage, ChatRequest

AttachmentLoader = Callable[[Iterable[str]], Mapping[str, bytes]]


class EmptyRequestError(ValueError):
    """The path has no user prompt to answer."""


class MissingAttachmentError(ValueError):
    """An attachment of the conversation has no bytes in the history any more."""


def _unsigned(parts: Parts) -> Parts:
    """The parts as another server may see them: thinking blocks without their signatures."""
    out: list[Part] = []
    for part in parts:
        if isinstance(part, ReasoningPart) and part.replayable:
            if part.text:
                out.append(ReasoningPart(part.text))
            continue
        out.append(part)
    return tuple(out)


def _worth_sending(message: ChatMessage) -> bool:
    for part in message.parts:
        if isinstance(part, TextPart) and part.text.strip():
            return True
        if isinstance(part, AttachmentPart | ToolCallPart | ToolResultPart):
            return True
    return False


def _turn(message: StoredMessage, target_slug: str | None) -> ChatMessage:
    parts = message.parts
    if message.role == "assistant" and target_slug is not None:
        if message.connection_slug != target_slug:
            parts = _unsigned(parts)
    elif message.role == "user":
        parts = tuple(p for p in parts if isinstance(p, TextPart | AttachmentPart))
    elif message.role == "tool":
        parts = tuple(p for p in parts if isinstance(p, ToolResultPart))
    return ChatMessage(message.role, parts=parts)


def _paired(turns: list[ChatMessage]) -> list[ChatMessage]:
    """Tool calls kept only with their results and results only with their calls."""
    out: list[ChatMessage] = []
    for index, turn in enumerate(turns):
        if turn.role == "assistant":
            after = turns[index + 1] if index + 1 < len(turns) else None
            answered = (
                {p.call_id for p in after.parts if isinstance(p, ToolResultPart)}
                if after is not None and after.role == "tool"
                else set()
            )
            keep = tuple(
                p for p in turn.parts if not isinstance(p, ToolCallPart) or p.id in answered
            )
            turn = turn if keep == turn.parts else ChatMessage("assistant", parts=keep)
        elif turn.role == "tool":
            before = turns[index - 1] if index > 0 else None
            called = (
                {p.id for p in before.parts if isinstance(p, ToolCallPart)}
                if before is not None and before.role == "assistant"
                else set()
            )
            keep = tuple(
                p for p in turn.parts if isinstance(p, ToolResultPart) and p.call_id in called
            )
            turn = turn if keep == turn.parts else ChatMessage("tool", parts=keep)
        out.append(turn)
    return out


def request_messages(
    path: Sequence[StoredMessage], *, target_slug: str | None = None
) -> tuple[ChatMessage, ...]:
    """The turns to send for `path`, ending with a user or tool turn (see the module rules).

    `target_slug` is the connection the request goes to (None: keep every thinking block).
    """
    candidates = [_turn(m, target_slug) for m in path]
    candidates = [t for t in candidates if t.role != "assistant" or _worth_sending(t)]
    turns: list[ChatMessage] = []
    for turn in _paired(candidates):
        if not _worth_sending(turn):
            continue
        if turns and turns[-1].role == "user" and turn.role == "user":
            previous = turns.pop()
            turn = ChatMessage("user", parts=joined_turns(previous.parts, turn.parts))
        turns.append(turn)
    while turns and turns[-1].role == "assistant":
        turns.pop()
    if not turns:
        raise EmptyRequestError("There is no prompt to answer.")
    return tuple(turns)


def with_attachment_bytes(
    messages: tuple[ChatMessage, ...], load: AttachmentLoader | None
) -> tuple[ChatMessage, ...]:
    """The messages with every attachment's bytes filled in (one load for the request)."""
    wanted = {
        p.id for m in messages for p in m.parts if isinstance(p, AttachmentPart) and p.data is None
    }
    if not wanted:
        return messages
    found = load(wanted) if load is not None else {}
    missing = wanted - set(found)
    if missing:
        names = [
            p.name or p.id
            for m in messages
            for p in m.parts
            if isinstance(p, AttachmentPart) and p.id in missing
        ]
        raise MissingAttachmentError(
            f"The attached file {names[0]} is no longer in the history, so it cannot be sent."
        )

    def filled(part: Part) -> Part:
        if isinstance(part, AttachmentPart) and part.data is None:
            return replace(part, data=found[part.id])
        return part

    return tuple(
        replace(m, parts=tuple(filled(p) for p in m.parts))
        if any(isinstance(p, AttachmentPart) for p in m.parts)
        else m
        for m in messages
    )


def build_request(
    path: Sequence[StoredMessage],
    conversation: Conversation,
    connection: Connection,
    model: str,
    *,
    attachments: AttachmentLoader | None = None,
    generation: GenerationParams | None = None,
    settings: Settings | None = None,
) -> ChatRequest:
    """The request asking `model` on `connection` to answer the last user prompt of `path`.

    `generation`: the conversation's own values; `settings`: the `[settings]` defaults."""
    system = conversation.system_prompt or connection.system_prompt or None
    params = effective(generation, settings or Settings(), connection, model)
    messages = request_messages(path, target_slug=connection.slug)
    return ChatRequest(
        model=model,
        messages=with_attachment_bytes(messages, attachments),
        system=system,
        max_tokens=params.max_tokens,
        temperature=params.temperature,
        reasoning_effort=params.reasoning_effort,
    )
