"""Run a fake LLM server by hand or from a benchmark:

    python -m tests.servers --port 0 --protocol openai --reply "Hello" --delay 0.01
    python -m tests.servers --tool-call 'clock={}' --tool-call 'weather={"city": "Oslo"}'

Prints the base URL on the first line of stdout (then serves until interrupted).
"""

from __future__ import annotations

import argparse
import signal
import threading
from dataclasses import fields

from tests.servers.catalog import openrouter_models
from tests.servers.fake import Behaviour, FakeLLMServer
from tests.servers.tool_calls import FakeToolCall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.servers", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--protocol", choices=["openai", "anthropic"], default="openai")
    parser.add_argument("--reply", default=Behaviour.reply)
    parser.add_argument("--reply-file", help="read the reply text from this file")
    parser.add_argument("--reasoning", default="")
    parser.add_argument("--chunk-size", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between deltas")
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    parser.add_argument("--cut-after", type=int)
    parser.add_argument("--stall-after", type=int)
    parser.add_argument("--malformed-after", type=int)
    parser.add_argument("--error", help="an error name from tests/servers/bodies.py")
    parser.add_argument("--require-key")
    parser.add_argument("--openrouter-models", type=int, metavar="N", help="serve N priced models")
    parser.add_argument("--no-models", action="store_true", help="no model list (404)")
    parser.add_argument(
        "--tool-call",
        action="append",
        default=[],
        metavar="NAME=ARGS",
        help="answer with this tool call (repeatable); a request carrying tool results gets "
        "the reply instead",
    )
    parser.add_argument("--tool-style", choices=["openai", "whole", "ollama", "same_index"])
    parser.add_argument("--tool-chunk", type=int, default=0, help="argument characters per event")
    args = parser.parse_args(argv)

    reply = args.reply
    if args.reply_file:
        with open(args.reply_file, encoding="utf-8") as handle:
            reply = handle.read()
    switches = {
        "reply": reply,
        "reasoning": args.reasoning,
        "chunk_size": args.chunk_size,
        "delay": args.delay,
        "first_token_delay": args.first_token_delay,
        "cut_after": args.cut_after,
        "stall_after": args.stall_after,
        "malformed_after": args.malformed_after,
        "error": args.error,
        "require_key": args.require_key,
    }
    if args.tool_call:
        calls = []
        for spec in args.tool_call:
            name, _, arguments = spec.partition("=")
            calls.append(FakeToolCall(name, arguments or "{}"))
        switches.update(
            tool_calls=tuple(calls), tool_chunk=args.tool_chunk, tools_until_results=True
        )
        if args.tool_style:
            switches["tool_style"] = args.tool_style
    if args.no_models:
        switches["model_list"] = None
    elif args.openrouter_models:
        switches["model_list"] = "openrouter"
    assert set(switches) <= {f.name for f in fields(Behaviour)}
    models = openrouter_models(args.openrouter_models) if args.openrouter_models else None
    server = FakeLLMServer(protocol=args.protocol, models=models, port=args.port, **switches)
    server.start()
    print(server.base_url, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
