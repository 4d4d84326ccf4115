"""Provider-neutral request and event types that every driver speaks.

The chat core builds a `ChatRequest` from a conversation; a driver turns it into its wire protocol and
yields `StreamEvent`s back. Nothing here knows HTTP or Textual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from craft_tui.providers.content import Parts, Role, settled

ReasoningEffort = Literal["low", "medium", "high"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One turn of a conversation, as parts (see providers/content.py).

    `ChatMessage("user", "hi")` is a one-text-part turn; `ChatMessage("assistant",
    parts=(...))` any other. `text` and `reasoning` are always the concatenations of the parts.
    A "tool" turn holds the results of the previous assistant turn's tool calls.
    """

    role: Role
    text: str = ""
    reasoning: str = ""
    parts: Parts = ()

    def __post_init__(self) -> None:
        parts, text, reasoning = settled(self.parts, self.text, self.reasoning)
        object.__setattr__(self, "parts", parts)
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "reasoning", reasoning)


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """Everything a driver needs to ask for one answer."""

    model: str
    messages: tuple[ChatMessage, ...]
    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    reasoning_effort: ReasoningEffort | None = None
    reasoning_budget: int | None = None  # Anthropic thinking budget_tokens
    # Text and reasoning (UTF-8 bytes) the answer may hold before the driver stops it (None: no
    # cap); the chat core and `ask` set it from settings.max_answer_mb (see providers/limits.py).
    max_answer_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ReasoningSignature:
    """The thinking block that just streamed is signed (Anthropic `signature_delta`): it closes
    the block, which from then on goes back to the server with every later request, unchanged."""

    signature: str


@dataclass(frozen=True, slots=True)
class RedactedReasoning:
    """A thinking block the server encrypted (Anthropic `redacted_thinking`): nothing to show,
    `data` to send back unchanged."""

    data: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as the server reported them; None where it did not say."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None  # when the server itself reports a cost (OpenRouter)

    def merged(self, other: Usage) -> Usage:
        """Combine two partial reports (Anthropic sends input at start, output at the end)."""
        return Usage(
            input_tokens=other.input_tokens
            if other.input_tokens is not None
            else self.input_tokens,
            output_tokens=(
                other.output_tokens if other.output_tokens is not None else self.output_tokens
            ),
            cached_tokens=(
                other.cached_tokens if other.cached_tokens is not None else self.cached_tokens
            ),
            reasoning_tokens=(
                other.reasoning_tokens
                if other.reasoning_tokens is not None
                else self.reasoning_tokens
            ),
            cost_usd=other.cost_usd if other.cost_usd is not None else self.cost_usd,
        )


FinishReason = Literal[
    "stop", "length", "content_filter", "tool_use", "cancelled", "error", "other"
]


@dataclass(frozen=True, slots=True)
class Finish:
    reason: FinishReason
    raw_reason: str | None = None  # the server's own word, e.g. "end_turn", "max_tokens"


StreamEvent = TextDelta | ReasoningDelta | ReasoningSignature | RedactedReasoning | Usage | Finish


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model as a server lists it; prices are USD per million tokens."""

    id: str
    name: str | None = None
    context_window: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    extra: dict[str, str] = field(default_factory=dict)


class Driver(Protocol):
    """One wire protocol bound to one connection."""

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Yield events for one answer; raise ProviderError on failure. Cancelling closes the response."""
        ...

    async def list_models(self) -> list[ModelInfo]:
        """The server's model list; raise ProviderError (kind `no_model_list` when it has none)."""
        ...

    async def aclose(self) -> None: ...
