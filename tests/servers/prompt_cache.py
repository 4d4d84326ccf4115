"""A caching server's bookkeeping for the fake: which prompt prefixes it holds, and what a
request read from and wrote to the cache, computed from the breakpoints the request carried.

The model follows Anthropic's documented behaviour, simplified:

- the prompt is a run of blocks in render order: tools, system, then each message's content
  blocks (a plain-string content is one text block, as the API reads it);
- a block marked `cache_control` is a breakpoint; the prefix up to it is identified by the hash
  of every block before and including it (the marks themselves are not part of it);
- a request reads the longest prefix already held that ends at one of its breakpoints or at
  most `lookback` blocks before one; it writes the rest of the prefix up to its last
  breakpoint, and every breakpoint's prefix is held from then on (no expiry: the fake's
  conversations are quicker than five minutes);
- a prefix under `minimum_tokens` is neither held nor written;
- tokens are estimated as characters / 4 of each block's JSON.

`FakeLLMServer` uses it when `Behaviour.prompt_cache` is on: the reported usage is then what a
caching server would bill (Anthropic: `input_tokens` without reads and writes, plus
`cache_read_input_tokens` / `cache_creation_input_tokens`; OpenAI-style: `prompt_tokens` with
both, `prompt_tokens_details.cached_tokens` / `cache_write_tokens`, as OpenRouter reports).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CacheCount:
    """One request's input as the server bills it (`input_tokens` in the protocol's own sense)."""

    input_tokens: int
    read: int
    written: int
    total: int  # every input token, cached or not


def _tokens(text: str) -> int:
    return max(len(text) // 4, 1)


def _unmarked(block: Any) -> Any:
    if isinstance(block, dict):
        return {k: v for k, v in block.items() if k != "cache_control"}
    return block


def _content_blocks(content: Any) -> list[Any]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return list(content) if isinstance(content, list) else []


def prompt_blocks(body: Any, *, anthropic: bool) -> list[tuple[str, bool]]:
    """The request's prompt as (canonical text of the block, whether it is a breakpoint)."""
    if not isinstance(body, dict):
        return []
    blocks: list[tuple[str, Any]] = [("tool", tool) for tool in body.get("tools") or []]
    if anthropic:
        blocks += [("system", b) for b in _content_blocks(body.get("system"))]
    for message in body.get("messages") or []:
        if not isinstance(message, dict):
            continue
        role = str(message.get("role"))
        blocks += [(role, b) for b in _content_blocks(message.get("content"))]
        if message.get("tool_calls"):
            blocks.append((role, {"tool_calls": message["tool_calls"]}))
        if message.get("tool_call_id"):
            blocks.append((role, {"tool_call_id": message["tool_call_id"]}))
    return [
        (
            role + ":" + json.dumps(_unmarked(block), sort_keys=True, ensure_ascii=False),
            isinstance(block, dict) and "cache_control" in block,
        )
        for role, block in blocks
    ]


class PromptCacheModel:
    """The prefixes one fake server holds (thread-safe: the fake serves requests in threads)."""

    def __init__(self, minimum_tokens: int = 1024, lookback: int = 20) -> None:
        self.minimum_tokens = minimum_tokens
        self.lookback = lookback
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._held.clear()

    def count(self, body: Any, *, anthropic: bool) -> CacheCount:
        """Bill one request, and hold the prefixes it marked."""
        blocks = prompt_blocks(body, anthropic=anthropic)
        hashes: list[str] = []
        ends: list[int] = []  # tokens up to and including each block
        digest = hashlib.sha256()
        total = 0
        for text, _ in blocks:
            digest.update(text.encode())
            digest.update(b"\0")
            hashes.append(digest.copy().hexdigest())
            total += _tokens(text)
            ends.append(total)
        marks = [i for i, (_, marked) in enumerate(blocks) if marked]
        with self._lock:
            hit = -1
            for mark in marks:
                for index in range(mark, max(mark - self.lookback, -1), -1):
                    if hashes[index] in self._held:
                        hit = max(hit, index)
                        break
            read = ends[hit] if hit >= 0 else 0
            kept = [m for m in marks if ends[m] >= self.minimum_tokens]
            self._held.update(hashes[m] for m in kept)
        written = max(ends[max(kept)] - read, 0) if kept else 0
        plain = total - read - written
        return CacheCount(
            input_tokens=plain if anthropic else total, read=read, written=written, total=total
        )
