"""Titles written by the conversation's own model (`settings.ai_titles`, off by default).

Why a module of its own: the request and the clean-up are rules the chat core applies once, after
the first answer of a new conversation, and tests check them without a screen. The request goes
to the connection and model that wrote that answer and to no other (a user who picked a local
model "for this secret" must not have the secret summarised by a cloud provider).

What comes back is a model's text: it is cut to one short line, control characters and Markdown
decoration dropped, and stored as a title is (disarmed again wherever it is shown).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from craft_tui.chat.conversation import TITLE_MAX
from craft_tui.providers.types import ChatMessage, ChatRequest, StreamEvent, TextDelta

# What the model is given: enough of the exchange to name it, not the whole of a long answer.
PROMPT_CHARS = 2000
ANSWER_CHARS = 1000
# A title is a few words; a model that rambles is cut off here rather than read to its end.
MAX_TITLE_CHARS = 200
TITLE_TOKENS = 30

INSTRUCTION = (
    "Write a title of at most six words for the conversation below. Answer with the title "
    "only: no quotes, no full stop, no explanation."
)

_LABEL = re.compile(r"^\s*(title|titre|titel)\s*[:：-]\s*", re.IGNORECASE)
_DECORATION = "\"'`*_#“”‘’«»「」 "
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def title_request(model: str, prompt: str, answer: str) -> ChatRequest:
    """The small request that asks for a title (no tools, no reasoning, few tokens)."""
    exchange = f"User:\n{prompt[:PROMPT_CHARS]}\n\nAssistant:\n{answer[:ANSWER_CHARS]}"
    return ChatRequest(
        model=model,
        messages=(ChatMessage("user", f"{INSTRUCTION}\n\n{exchange}"),),
        max_tokens=TITLE_TOKENS,
        temperature=0.2,
        max_answer_bytes=4 * MAX_TITLE_CHARS,
    )


def clean_title(text: str) -> str | None:
    """The model's reply made a title: its first non-blank line, a `Title:` label, quotes and
    Markdown marks dropped, control characters removed, cut at TITLE_MAX. None if nothing is left."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(_CONTROL.sub("", line).split()).strip(_DECORATION)
    line = _LABEL.sub("", line).strip(_DECORATION).rstrip(".。!").strip(_DECORATION)
    if not line:
        return None
    if len(line) > TITLE_MAX:
        cut = line[: TITLE_MAX - 1]
        if " " in cut[TITLE_MAX // 2 :]:
            cut = cut[: cut.rindex(" ")]
        line = cut.rstrip(" ,.;:-") + "…"
    return line


async def read_title(events: AsyncIterator[StreamEvent]) -> str | None:
    """Collect the reply's text (stopping early once it is longer than any title) and clean it."""
    pieces: list[str] = []
    size = 0
    async for event in events:
        if isinstance(event, TextDelta):
            pieces.append(event.text)
            size += len(event.text)
            if size > MAX_TITLE_CHARS or "\n" in event.text.lstrip():
                break
    return clean_title("".join(pieces))
