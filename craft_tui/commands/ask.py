"""`craft-tui ask`: stream one answer to stdout as plain text, for scripts and shell pipelines.

stdout carries only the answer (flushed as it arrives); everything else — reasoning (dimmed, and
only on a terminal), usage, errors — goes to stderr. Ctrl+C stops at once with exit code 130 and
keeps what already arrived on screen. An answer past `settings.max_answer_mb` is stopped by the
driver like any provider error: what arrived up to the limit is on stdout, one line and its fix
on stderr, exit code 1.

The answer is outside text: control characters in it are written as visible stand-ins
(`untrusted.shown`), on a terminal always, into a pipe or file unless `--raw` asks for the model's
exact output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from typing import TextIO

from craft_tui.cli import UserError
from craft_tui.config.schema import Config, Connection
from craft_tui.config.state import mark_connection_used
from craft_tui.config.store import load_config
from craft_tui.providers.factory import open_driver
from craft_tui.providers.types import (
    ChatMessage,
    ChatRequest,
    Finish,
    ReasoningDelta,
    TextDelta,
    Usage,
)
from craft_tui.untrusted import raw_stream, shown

_DIM = "\x1b[2m"
_RESET = "\x1b[0m"


def pick_connection(config: Config, name: str | None) -> Connection:
    """The named connection, else the default one (the rule the app and `models` use too)."""
    from craft_tui.workspace.targets import ConnectionProblem
    from craft_tui.workspace.targets import pick_connection as pick

    try:
        return pick(config, name)
    except ConnectionProblem as problem:
        from craft_tui.cli import connection_problem

        raise connection_problem(problem) from None


def read_prompt(argument: str | None, stdin: TextIO) -> str:
    """The argument, then piped stdin after a blank line; an error when both are missing."""
    piped = ""
    if not stdin.isatty():
        piped = stdin.read()
    parts = [part for part in (argument, piped.strip("\n")) if part and part.strip()]
    if not parts:
        raise UserError(
            "No prompt was given.", "craft-tui ask 'your question', or pipe text into it."
        )
    return "\n\n".join(parts)


def format_usage(
    usage: Usage, connection: Connection, model: str, timing: tuple[float, float] | None = None
) -> str:
    """One line for --usage: tokens in/out (cached, reasoning), speed, and the cost as the app
    computes it (server-reported, listed or configured prices; "local" for a free local server)."""
    from craft_tui.chat.cost import answer_cost

    parts = [f"tokens in {usage.input_tokens or 0}", f"out {usage.output_tokens or 0}"]
    if usage.cached_tokens:
        parts.append(f"cached {usage.cached_tokens}")
    if usage.reasoning_tokens:
        parts.append(f"reasoning {usage.reasoning_tokens}")
    if timing is not None:
        first_token, generating = timing
        parts.append(f"first token {first_token:.2f} s")
        if usage.output_tokens and generating > 0:
            parts.append(f"{usage.output_tokens / generating:.1f} tok/s")
    cost = answer_cost(connection, model, usage)
    parts.append(f"cost {cost}" if cost.known or cost.local else "cost unknown")
    return f"{connection.slug}/{model}: " + ", ".join(parts)


async def stream_answer(
    connection: Connection,
    request: ChatRequest,
    out: TextIO,
    err: TextIO,
    show_usage: bool,
    raw: bool = False,
) -> None:
    """Write the answer to `out` as it arrives; ProviderError propagates after the partial text.

    With `raw` and `out` not a terminal, the text goes out exactly as the model sent it; otherwise
    every control character in it is disarmed (one for one, so a sequence cut between two deltas
    is disarmed too). Reasoning is dimmed with our own SGR codes around disarmed text."""
    driver = open_driver(connection)
    reasoning_visible = err.isatty()
    exact = raw and not out.isatty()
    answer_out = raw_stream(out) if exact else out
    style_err = raw_stream(err)  # our dim/reset codes must reach the terminal as codes
    usage = Usage()
    finish: Finish | None = None
    wrote_text = ""
    in_reasoning = False
    started = time.monotonic()
    first_token: float | None = None
    try:
        # aclosing: the response is closed here and now, before the client, whatever stops us.
        async with contextlib.aclosing(driver.stream(request)) as events:  # type: ignore[type-var]
            async for event in events:
                if isinstance(event, TextDelta | ReasoningDelta) and first_token is None:
                    first_token = time.monotonic()
                if isinstance(event, TextDelta):
                    if in_reasoning:
                        style_err.write(f"{_RESET}\n")
                        style_err.flush()
                        in_reasoning = False
                    answer_out.write(event.text if exact else shown(event.text))
                    answer_out.flush()
                    wrote_text = event.text or wrote_text
                elif isinstance(event, ReasoningDelta) and reasoning_visible:
                    style_err.write(("" if in_reasoning else _DIM) + shown(event.text))
                    style_err.flush()
                    in_reasoning = True
                elif isinstance(event, Usage):
                    usage = usage.merged(event)
                elif isinstance(event, Finish):
                    finish = event
    finally:
        with contextlib.suppress(OSError, ValueError):
            if in_reasoning:
                style_err.write(f"{_RESET}\n")
            if wrote_text and not wrote_text.endswith("\n"):
                answer_out.write("\n")
            answer_out.flush()
        await driver.aclose()
    with contextlib.suppress(Exception):  # the answer matters more than the timestamp
        mark_connection_used(connection.slug)  # runtime state: config.toml is not written
    if not wrote_text:
        print("craft-tui: the model returned an empty answer.", file=err)
    if finish is not None and finish.reason == "length":
        print("craft-tui: the answer hit the max tokens limit (--max-tokens).", file=err)
    elif finish is not None and finish.reason == "content_filter":
        print("craft-tui: the provider's content filter stopped the answer.", file=err)
    if show_usage:
        timing = None
        if first_token is not None:
            timing = (first_token - started, time.monotonic() - first_token)
        print(format_usage(usage, connection, request.model, timing), file=err)


def run(args: argparse.Namespace) -> int:
    """Entry point of `craft-tui ask`."""
    config = load_config()
    connection = pick_connection(config, args.connection)
    model = args.model or connection.effective_default_model
    if not model:
        raise UserError(
            f"Connection {connection.slug!r} has no default model.",
            f"pass -m MODEL (`craft-tui models -c {connection.slug}` lists them).",
        )
    if args.max_tokens is not None and args.max_tokens <= 0:
        raise UserError(
            f"--max-tokens {args.max_tokens} is not a positive number.",
            "give a number of tokens above 0, e.g. --max-tokens 1024.",
        )
    prompt = read_prompt(args.prompt, sys.stdin)
    request = ChatRequest(
        model=model,
        messages=(ChatMessage("user", prompt),),
        system=args.system,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        max_answer_bytes=config.settings.max_answer_bytes,  # the app's cap, same setting
    )
    try:
        asyncio.run(
            stream_answer(
                connection, request, sys.stdout, sys.stderr, args.usage, raw=bool(args.raw)
            )
        )
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's exit flush quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        print("craft-tui: stopped.", file=sys.stderr)
        return 130
    return 0
