"""Where prompt-caching breakpoints go: one rule for Anthropic Messages and for Anthropic models
reached through OpenRouter's Chat Completions.

Anthropic caches a request's prefix up to each block marked `cache_control: {"type":
"ephemeral"}` (a *breakpoint*). The prefix is rendered tools → system → messages; a later
request that starts with the same prefix reads it at a tenth of the input price, and writing it
costs 1.25× (5-minute cache). The API refuses more than four breakpoints in one request, and a
prefix shorter than the model's minimum is not cached at all (no error, nothing written).

The rule (`place`), in order of worth, at most `MAX_BREAKPOINTS`:

1. the last message (the prompt or tool results just added): written now, read by the next
   request, which starts with everything this one holds;
2. the end of the previous request (the message just before the last answer): the prefix the
   previous request wrote, read now. Anthropic also looks back about 20 blocks from a breakpoint
   for an earlier hit, but a tool round can add more blocks than that; marking it is certain;
3. the system prompt, and 4. the last tool: the prefixes that outlive an edited or branched
   conversation (a new branch still reads the system prompt and tools).

A breakpoint whose prefix is under the model's minimum (`minimum_cacheable_tokens`, estimated
with `estimate_tokens`) is left out: it would cache nothing. Each protocol's content module
measures its own wire form (`PromptShape`) and puts the marks where the rule says
(`anthropic_content.with_cache_breakpoints`, `openai_content.with_cache_breakpoints`).

Which connections get breakpoints (`Connection.prompt_cache` on, default): every Anthropic
Messages connection, and on OpenRouter the `anthropic/` models, which need explicit marks
(`openrouter_caches`). Other OpenRouter models cache by themselves (OpenAI, DeepSeek, Gemini
2.5+ implicitly) or bill cache writes as stored context (Gemini's explicit cache, which uses
only the last mark); they get none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from craft_tui.config.schema import Connection

MAX_BREAKPOINTS = 4
EPHEMERAL: dict[str, Any] = {"type": "ephemeral"}  # copied into each mark, never shared
DEFAULT_MINIMUM = 1024

# Minimum cacheable prompt, in tokens, by model family (Anthropic's prompt-caching docs): the
# Opus 4.5+ and Haiku 4.5 families need 4096, Sonnet 4.6 2048, the Haiku 3.x family 2048, every
# other Claude (Sonnet 4.5, 4, 3.7, Opus 4.1, 4, 3) 1024. First match wins; an id matching none
# (a gateway's own name for a model) gets DEFAULT_MINIMUM.
_MINIMUMS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"opus-4-(?:[5-9]|\d\d)"), 4096),
    (re.compile(r"haiku-4-(?:[5-9]|\d\d)"), 4096),
    (re.compile(r"sonnet-4-(?:[6-9]|\d\d)"), 2048),
    (re.compile(r"haiku"), 2048),
)
_CLAUDE_DOT = re.compile(r"(?<=\d)\.(?=\d)")  # `claude-haiku-4.5` (gateways) = `claude-haiku-4-5`


def estimate_tokens(chars: int) -> int:
    """Tokens in `chars` characters of prompt, estimated as chars / 4.

    Only used to decide whether a prefix can reach the model's minimum, where being off by a
    few percent moves nothing: a mark just over a real minimum is worth it, one just under is a
    no-op the API ignores. Claude's tokenizer averages about four characters of English or JSON
    per token; counting exactly would need the tokenizer or a request per prompt."""
    return max(chars, 0) // 4


def minimum_cacheable_tokens(model_id: str) -> int:
    """The smallest prefix, in tokens, `model_id` caches (with or without vendor or date)."""
    key = _CLAUDE_DOT.sub("-", model_id.strip().lower().rpartition("/")[2])
    for pattern, minimum in _MINIMUMS:
        if pattern.search(key):
            return minimum
    return DEFAULT_MINIMUM


def openrouter_caches(connection: Connection, model_id: str) -> bool:
    """Whether requests for `model_id` through this OpenAI-protocol connection carry breakpoints:
    OpenRouter's Anthropic models (ids `anthropic/…`), when the connection's `prompt_cache` is on."""
    from craft_tui.config.attribution import is_openrouter

    return (
        connection.prompt_cache
        and model_id.strip().lower().startswith("anthropic/")
        and is_openrouter(connection)
    )


@dataclass(frozen=True, slots=True)
class PromptShape:
    """A request as the rule sees it: sizes in characters of its wire form, in render order.

    `tools` / `system`: None when there are none (or the protocol has no place for a mark on
    them); `messages`: each wire message's size; `roles`: each one's role ("assistant" for
    answers); `markable`: whether it has a block that can carry a mark (thinking blocks and an
    answer that is only tool calls cannot); `mark_tools`: False when the wire form has no place
    for a mark on a tool (OpenAI functions), though the tools still count in the prefix."""

    tools: int | None
    system: int | None
    messages: tuple[int, ...]
    roles: tuple[str, ...]
    markable: tuple[bool, ...]
    mark_tools: bool = True


@dataclass(frozen=True, slots=True)
class Breakpoints:
    """Where to put marks: on the last tool, on the system prompt, on these messages (indexes)."""

    tools: bool = False
    system: bool = False
    messages: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return int(self.tools) + int(self.system) + len(self.messages)


def previous_end(roles: tuple[str, ...]) -> int | None:
    """The index of the message that ended the previous request: the one just before the last
    answer (an answer with tool calls counts: its results began this request)."""
    for index in range(len(roles) - 2, 0, -1):
        if roles[index] == "assistant":
            return index - 1
    return None


def place(shape: PromptShape, model_id: str) -> Breakpoints:
    """The breakpoints for this request (see the module's docstring for the order)."""
    minimum = minimum_cacheable_tokens(model_id)
    head = (shape.tools or 0) + (shape.system or 0)
    ends: list[int] = []  # size of the prefix up to and including each message
    total = head
    for size in shape.messages:
        total += size
        ends.append(total)

    def big_enough(chars: int) -> bool:
        return estimate_tokens(chars) >= minimum

    chosen: list[int] = []
    last = len(shape.messages) - 1
    for index in (last, previous_end(shape.roles)):
        if (
            index is not None
            and index >= 0
            and index not in chosen
            and shape.markable[index]
            and big_enough(ends[index])
        ):
            chosen.append(index)
    room = MAX_BREAKPOINTS - len(chosen)
    system = shape.system is not None and room > 0 and big_enough(head)
    room -= int(system)
    tools = shape.tools is not None and shape.mark_tools and room > 0 and big_enough(shape.tools)
    return Breakpoints(tools=tools, system=system, messages=tuple(sorted(chosen)))


def mark(block: dict[str, Any]) -> dict[str, Any]:
    """`block` with a breakpoint on it (a copy: wire dicts may be shared with the caller)."""
    return {**block, "cache_control": dict(EPHEMERAL)}
