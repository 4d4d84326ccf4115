"""Provider-neutral request and event types that every driver speaks.

The chat core builds a `ChatRequest` from a conversation; a driver turns it into its wire protocol and
yields `StreamEvent`s back. Nothing here knows HTTP or Textual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from craft_tui.providers.content import Parts, Role, ToolCallPart, settled

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
class ToolSpec:
    """A tool offered to the model, in the one shape both protocols are made from.

    `name` is what the model calls (unique within one request: an MCP tool is offered as
    `server__tool` when two servers share a name, see craft_tui/mcp); `input_schema` is the
    tool's JSON Schema for its arguments, sent as OpenAI `function.parameters` and Anthropic
    `input_schema`. `read_only` comes from the tool's MCP annotations (`readOnlyHint`) and is
    what the read-only permission mode trusts; it is never sent to the model.
    """

    name: str
    description: str
    input_schema: Mapping[str, Any]
    read_only: bool = False
    source: str = ""  # the MCP server (or other source) the tool belongs to, for the user


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
    # Tools the model may call (empty: the request carries no `tools` at all).
    tools: tuple[ToolSpec, ...] = ()


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
    """Token counts as the server reported them; None where it did not say.

    `cached_tokens` are input tokens read from the prompt cache, `cache_write_tokens` input
    tokens written to it (Anthropic `cache_creation_input_tokens`, OpenRouter
    `prompt_tokens_details.cache_write_tokens`). Whether `input_tokens` already counts them is
    the protocol's (`WireProtocol.cached_in_input`): OpenAI-style usage includes both, Anthropic's
    has them on top."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    cost_usd: float | None = None  # when the server itself reports a cost (OpenRouter)
    cache_write_tokens: int | None = None

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
            cache_write_tokens=(
                other.cache_write_tokens
                if other.cache_write_tokens is not None
                else self.cache_write_tokens
            ),
        )


FinishReason = Literal[
    "stop", "length", "content_filter", "tool_use", "cancelled", "error", "other"
]


@dataclass(frozen=True, slots=True)
class Finish:
    reason: FinishReason
    raw_reason: str | None = None  # the server's own word, e.g. "end_turn", "max_tokens"


@dataclass(frozen=True, slots=True)
class ToolCallStarted:
    """The model began a tool call (its name is known, its arguments still streaming).

    Lets the UI show "calling NAME…" at once; `index` is the call's place in this answer."""

    index: int
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ToolCallReady:
    """One tool call, complete: its arguments are the whole JSON text the model wrote (kept as
    written even when it is not valid JSON; the chat core reports that back as an error result).

    Drivers emit these in the order of the calls' indexes, before the answer's `Finish`."""

    index: int
    call: ToolCallPart


StreamEvent = (
    TextDelta
    | ReasoningDelta
    | ReasoningSignature
    | RedactedReasoning
    | ToolCallStarted
    | ToolCallReady
    | Usage
    | Finish
)


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


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """What running one tool call gave: the text the model gets back, and whether it failed.

    `text` is untrusted (a server wrote it): the UI shows it as text, never as markup."""

    text: str
    is_error: bool = False


class ToolBox(Protocol):
    """The tools a conversation may use (the MCP servers of craft_tui/mcp, or a test's fake).

    The chat core asks it for the specs to offer, and runs one call at a time through it; it
    never sees a server, a process or a socket."""

    async def specs(self) -> tuple[ToolSpec, ...]:
        """Every tool on offer now (servers start lazily; one that fails is left out and
        reported through `problems`)."""
        ...

    async def call(self, name: str, arguments: Mapping[str, Any]) -> ToolOutcome:
        """Run the tool `name` (as in `ToolSpec.name`); a failure is an outcome with
        `is_error`, never an exception, except cancellation."""
        ...

    def problems(self) -> tuple[str, ...]:
        """One line per source that could not start or died (with its stderr tail)."""
        ...

    async def aclose(self) -> None: ...
