"""Input tokens billed for a 20-turn conversation with and without prompt caching (issue 19).

    .venv/bin/python benchmarks/bench_prompt_cache.py [--turns 20] [--system-chars 8000]
        [--prompt-chars 800] [--answer-chars 1600] [--model claude-sonnet-4-5]

Method. The real Anthropic Messages driver (`providers/anthropic_messages.py`, breakpoints from
`providers/prompt_cache.py`) talks to the loopback fake server (`tests/servers/fake.py`, in a
thread, on 127.0.0.1) for a conversation of N turns: a system prompt, three tools, and each turn
a prompt plus the answer of the turn before. The fake bills each request as a caching server
would, from the breakpoints the request carried (`tests/servers/prompt_cache.py`: a prefix up
to a breakpoint it has held since an earlier request is read, the rest up to the last breakpoint
written; tokens estimated as characters / 4 of each block's JSON; no expiry). The same
conversation runs twice: with the connection's `prompt_cache` on, and off (no breakpoints, so
every input token is billed at the input price).

Figures per run: input tokens sent, read from the cache, written to it, billed at the plain
input price; "input-price equivalent" (plain + 0.1 × read + 1.25 × write: what the input costs
in units of the input price); the most breakpoints any one request carried; and the cost of the
whole conversation at the model's list price (built-in table, `chat/cost.py message_cost`, output
included: the same in both runs). No timing: nothing here depends on the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from craft_tui.chat.cost import message_cost  # noqa: E402
from craft_tui.config.schema import Connection, Timeouts, make_auth  # noqa: E402
from craft_tui.providers.anthropic_messages import AnthropicMessages  # noqa: E402
from craft_tui.providers.pricing import Pricing, builtin_price  # noqa: E402
from craft_tui.providers.types import (  # noqa: E402
    ChatMessage,
    ChatRequest,
    TextDelta,
    ToolSpec,
    Usage,
)
from tests.servers.fake import Behaviour, FakeLLMServer, FakeUsage  # noqa: E402


@dataclass
class Run:
    """One conversation's totals."""

    sent: int = 0
    read: int = 0
    written: int = 0
    plain: int = 0
    output: int = 0
    cost_usd: float = 0.0
    most_marks: int = 0
    per_turn: list[tuple[int, int, int]] = field(default_factory=list)  # plain, read, written

    @property
    def equivalent(self) -> float:
        return self.plain + 0.1 * self.read + 1.25 * self.written


def _marks(value: Any) -> int:
    if isinstance(value, dict):
        return int("cache_control" in value) + sum(_marks(v) for v in value.values())
    if isinstance(value, list):
        return sum(_marks(v) for v in value)
    return 0


def _filler(label: str, chars: int) -> str:
    sentence = f"{label}: a sentence of ordinary prose that fills the prompt. "
    return (sentence * (chars // len(sentence) + 1))[:chars]


def _tools() -> tuple[ToolSpec, ...]:
    schema = {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}
    return tuple(
        ToolSpec(f"tool_{n}", _filler(f"tool {n} reads a file", 400), schema) for n in range(3)
    )


async def _conversation(server: FakeLLMServer, args: argparse.Namespace, cache: bool) -> Run:
    server.prompt_cache.clear()
    connection = Connection(
        slug="bench",
        name="Bench",
        protocol="anthropic",  # type: ignore[arg-type]
        base_url=server.anthropic_base_url,
        auth=make_auth("api_key"),
        timeouts=Timeouts(connect=5, read=30, write=5, pool=5),
        models=[{"id": args.model}],  # type: ignore[list-item]
        prompt_cache=cache,
    )
    price = builtin_price(args.model)
    pricing = Pricing(price)
    driver = AnthropicMessages(connection, "sk-bench")
    system = _filler("system", args.system_chars)
    tools = _tools()
    history: list[ChatMessage] = []
    run = Run()
    first_request = len(server.chat_requests)
    try:
        for turn in range(args.turns):
            history.append(ChatMessage("user", _filler(f"prompt {turn}", args.prompt_chars)))
            request = ChatRequest(args.model, tuple(history), system=system, tools=tools)
            usage = Usage()
            answer = ""
            async for event in driver.stream(request):
                if isinstance(event, Usage):
                    usage = usage.merged(event)
                elif isinstance(event, TextDelta):
                    answer += event.text
            history.append(ChatMessage("assistant", answer))
            plain, read = usage.input_tokens or 0, usage.cached_tokens or 0
            written = usage.cache_write_tokens or 0
            run.plain += plain
            run.read += read
            run.written += written
            run.sent += plain + read + written
            run.output += usage.output_tokens or 0
            run.per_turn.append((plain, read, written))
            run.cost_usd += message_cost(usage, pricing, cached_in_input=False).usd or 0.0
    finally:
        await driver.aclose()
    run.most_marks = max(_marks(r.json) for r in server.chat_requests[first_request:])
    return run


def _table(runs: dict[str, Run]) -> str:
    head = (
        "| run | input sent | cache read | cache written | billed at input price | "
        "input-price equivalent | most breakpoints | cost USD |\n|---|---|---|---|---|---|---|---|"
    )
    rows = [
        f"| {name} | {r.sent:,} | {r.read:,} | {r.written:,} | {r.plain:,} | "
        f"{r.equivalent:,.0f} | {r.most_marks} | {r.cost_usd:.4f} |"
        for name, r in runs.items()
    ]
    return "\n".join([head, *rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--system-chars", type=int, default=8000)
    parser.add_argument("--prompt-chars", type=int, default=800)
    parser.add_argument("--answer-chars", type=int, default=1600)
    parser.add_argument("--model", default="claude-sonnet-4-5")
    args = parser.parse_args()
    if "prompt_cache" not in Behaviour.__dataclass_fields__:
        print(
            "tests/servers/fake.py has no prompt_cache switch yet: apply "
            "/tmp/patches/caching-fake.diff (issue 19) first.",
            file=sys.stderr,
        )
        return 2
    price = builtin_price(args.model)
    if price is None:
        print(f"no built-in price for {args.model!r}; pick a Claude model id", file=sys.stderr)
        return 2
    reply = _filler("answer", args.answer_chars)
    with FakeLLMServer(
        protocol="anthropic",
        reply=reply,
        chunk_size=400,
        prompt_cache=True,
        usage=FakeUsage(output_tokens=args.answer_chars // 4),
    ) as server:
        runs = {
            "caching on": asyncio.run(_conversation(server, args, cache=True)),
            "caching off": asyncio.run(_conversation(server, args, cache=False)),
        }
    on, off = runs["caching on"], runs["caching off"]
    print(
        f"{args.turns} turns, {args.model} (${price.input}/M input, ${price.cache_read}/M cache "
        f"read, ${price.cache_write}/M cache write, ${price.output}/M output); system prompt "
        f"{args.system_chars:,} chars, 3 tools, prompts {args.prompt_chars:,} chars, answers "
        f"{args.answer_chars:,} chars; tokens = chars / 4 (the fake's estimate)\n"
    )
    print(_table(runs))
    print(
        f"\ncaching on / off: input-price equivalent {on.equivalent / off.equivalent:.2f}x, "
        f"cost {on.cost_usd / off.cost_usd:.2f}x (output, {on.output:,} tokens, is the same in "
        "both)"
    )
    print("\nper turn with caching (plain, read, written): " + ", ".join(map(str, on.per_turn)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
