"""`craft-tui ask --tools`: one answer that may use the tools of the configured MCP servers.

The same loop as the app (chat/tool_loop.py) and the same permission rule (chat/permissions.py):
the answer goes to stdout as it arrives; every tool call is a line on stderr (what runs, how it
ended); a call that needs permission is asked about on the terminal — read from /dev/tty, so it
works with a piped prompt — showing the server, the tool and the exact arguments. Without a
terminal nobody can be asked: the run stops with exit code 1 and names the flag that allows the
tool. `--yes` allows every call (and says so on stderr), `--read-only` runs only the tools their
server marks read-only, `--allow` names tools that run without asking; deny rules in `[tools]`
win over all of them.

Everything shown is outside text (the model wrote the arguments, a server the names and the
results): shown by the same rules as the app's tool blocks and permission question
(craft_tui/ui/tool_text.py, Textual-free): disarmed, invisible characters made visible.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TextIO

from craft_tui.cli import UserError
from craft_tui.ui.tool_text import arguments_text, compact_arguments, exact_line, format_duration
from craft_tui.untrusted import raw_stream, shown, shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.permissions import PermissionPolicy, PersonDecision
    from craft_tui.chat.tool_loop import StreamFn
    from craft_tui.config.schema import Config, Connection, McpServer
    from craft_tui.providers.content import ToolCallPart
    from craft_tui.providers.types import ChatRequest, ToolBox, ToolSpec, Usage

_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
RESULT_CHARS = 200  # of a result's first line in an activity line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The tool options of `craft-tui ask` (cli.py calls this; nothing heavy is imported)."""
    group = parser.add_argument_group(
        "tools", "let the model call tools of the MCP servers in config.toml ([[mcp_servers]])"
    )
    group.add_argument(
        "--tools",
        nargs="*",
        metavar="SERVER",
        help="offer the tools of these MCP servers (no names: every configured server); put "
        "the prompt before --tools, or after --",
    )
    group.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="TOOL",
        help="run this tool without asking: server.tool or server.* (repeatable)",
    )
    group.add_argument(
        "--read-only",
        action="store_true",
        help="run only tools their server marks read-only; refuse the others",
    )
    group.add_argument(
        "--yes", action="store_true", help="run every tool call without asking (deny rules hold)"
    )
    group.add_argument(
        "--max-steps",
        type=int,
        metavar="N",
        help="rounds of tool calls before stopping (default: [tools] max_steps, 10)",
    )


# ---------------------------------------------------------------------- showing calls


def first_line(text: str, limit: int = RESULT_CHARS) -> str:
    line = next((line for line in text.splitlines() if line.strip()), "").strip()
    line = exact_line(line)
    return line if len(line) <= limit else line[:limit] + " …"


# ---------------------------------------------------------------------- asking the person


class PermissionNeeded(Exception):
    """A call needs a person's yes and there is no terminal to ask on."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.label = label


class TerminalIO(Protocol):
    """Where questions are asked: lines read, text written (the terminal, or a test's fake)."""

    def readline(self) -> str: ...

    def write(self, text: str) -> int: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class _Tty:
    """/dev/tty opened twice, to read and to write: a terminal cannot seek, so one "r+" text
    file (which needs a seekable file under it) cannot be had."""

    def __init__(self) -> None:
        self._reader = open("/dev/tty", encoding="utf-8", errors="replace")  # noqa: SIM115
        try:
            self._writer = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115
        except BaseException:
            self._reader.close()
            raise

    def readline(self) -> str:
        return self._reader.readline()

    def write(self, text: str) -> int:
        return self._writer.write(text)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        for stream in (self._writer, self._reader):
            with contextlib.suppress(OSError):
                stream.close()


def open_terminal() -> TerminalIO | None:
    """The controlling terminal, for questions when stdin is a pipe (None: there is none)."""
    try:
        return _Tty()
    except OSError:
        return None


async def read_line(stream: TerminalIO) -> str:
    """One line from `stream` without holding the event loop (MCP servers keep running) and
    without a thread that outlives Ctrl+C (a daemon thread: exiting never waits on it)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str] = loop.create_future()

    def read() -> None:
        try:
            line = stream.readline()
        except (OSError, ValueError) as error:
            loop.call_soon_threadsafe(_settle, done, None, error)
        else:
            loop.call_soon_threadsafe(_settle, done, line, None)

    threading.Thread(target=read, name="craft-tui-tty", daemon=True).start()
    return await done


def _settle(future: asyncio.Future[str], line: str | None, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(line or "")


class TerminalAsker:
    """Asks the person at the terminal about each call that needs it (`ask_person`)."""

    def __init__(
        self,
        policy: PermissionPolicy,
        terminal: Callable[[], TerminalIO | None] = open_terminal,
    ) -> None:
        self._policy = policy
        self._opener = terminal
        self._terminal: TerminalIO | None = None
        self._looked = False

    def _tty(self) -> TerminalIO | None:
        if not self._looked:
            self._looked = True
            self._terminal = self._opener()
        return self._terminal

    @property
    def interactive(self) -> bool:
        return self._tty() is not None

    def _say(self, text: str) -> None:
        tty = self._tty()
        assert tty is not None
        tty.write(text)
        tty.flush()

    async def _answer(self) -> str | None:
        tty = self._tty()
        assert tty is not None
        line = await read_line(tty)
        return None if line == "" else line.strip()  # "" is end of input

    async def __call__(self, call: ToolCallPart, spec: ToolSpec) -> PersonDecision:
        from craft_tui.chat.permissions import AllowForSession, AllowOnce, DenyCall

        label = self._policy.label(spec)
        if not self.interactive:
            raise PermissionNeeded(label)
        server, _, tool = label.partition(".") if spec.source else ("", "", label)
        lines = ["", "craft-tui: the model wants to run a tool."]
        if server:
            lines.append(f"  server:    {exact_line(server)}")
        lines.append(f"  tool:      {exact_line(tool)}")
        lines.append("  arguments:")
        lines += ["    " + line for line in arguments_text(call.arguments)[0].split("\n")]
        self._say("\n".join(lines) + "\n")
        while True:
            self._say(
                "Run it? [y] yes, once  [a] yes, and this tool for the rest of this run  [n] no: "
            )
            answer = await self._answer()
            if answer is None:
                self._say("\n")
                return DenyCall("no answer was given")
            choice = answer.lower()
            if choice in ("y", "yes"):
                return AllowOnce()
            if choice in ("a", "always"):
                return AllowForSession()
            if choice in ("n", "no"):
                self._say("Why not? (told to the model; Enter for no reason): ")
                reason = await self._answer()
                return DenyCall(reason or "")

    async def confirm(self, question: str) -> bool:
        """A yes/no question (going on past the step limit); no terminal means no."""
        if not self.interactive:
            return False
        self._say(f"{question} [y/N]: ")
        answer = await self._answer()
        return answer is not None and answer.lower() in ("y", "yes")

    def close(self) -> None:
        if self._terminal is not None:
            with contextlib.suppress(OSError):
                self._terminal.close()


# ---------------------------------------------------------------------- the run


def select_servers(config: Config, names: list[str]) -> list[McpServer]:
    """The servers `--tools` names (none named: every enabled one); a named server runs even
    when disabled in the config (the user asked for it)."""
    servers = list(config.mcp_servers)
    if not servers:
        raise UserError(
            "--tools: no MCP server is configured.",
            "add one under [[mcp_servers]] in config.toml (`craft-tui paths` shows where).",
        )
    if not names:
        chosen = [server for server in servers if server.enabled]
        if not chosen:
            raise UserError(
                "--tools: every MCP server in config.toml is disabled.",
                "name one (`--tools NAME`), or set enabled = true for it.",
            )
        return chosen
    wanted = [name for part in names for name in part.split(",") if name.strip()]
    by_name = {server.name: server for server in servers}
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        known = ", ".join(by_name)
        raise UserError(
            f"--tools: no MCP server named {shown_inline(unknown[0])!r} (configured: {known}).",
            "name configured servers only, and put the prompt before --tools (or after --).",
        )
    return [by_name[name].model_copy(update={"enabled": True}) for name in dict.fromkeys(wanted)]


def build_policy(args: argparse.Namespace, config: Config) -> PermissionPolicy:
    from craft_tui.chat.permissions import PermissionPolicy

    if args.yes and args.read_only:
        raise UserError("--yes and --read-only contradict each other.", "pass one of them.")
    mode = "allow-all" if args.yes else "read-only" if args.read_only else config.tools.permission
    allow = [*config.tools.allow, *args.allow]
    return PermissionPolicy.from_rules(mode, allow=allow, deny=config.tools.deny)


def wants_tools(args: argparse.Namespace) -> bool:
    """Whether any tool option was given (ask.run hands the run over to `run_tools`)."""
    return getattr(args, "tools", None) is not None or any(
        getattr(args, name, None) for name in ("allow", "read_only", "yes", "max_steps")
    )


def tools_request(args: argparse.Namespace, config: Config) -> tuple[Connection, ChatRequest]:
    """The connection and first request, as plain `ask` makes them."""
    from craft_tui.commands.ask import attached_parts, pick_connection, read_prompt, user_turn
    from craft_tui.providers.types import ChatRequest

    if getattr(args, "save", False) or getattr(args, "continue_id", None) is not None:
        raise UserError(
            "--tools cannot be combined with --save or --continue yet.",
            "run it without --save/--continue, or use the app, which stores tool calls.",
        )
    connection = pick_connection(config, args.connection)
    model = args.model or connection.effective_default_model
    if not model:
        raise UserError(
            f"Connection {connection.slug!r} has no default model.",
            f"pass -m MODEL (`craft-tui models -c {connection.slug}` lists them).",
        )
    prompt = read_prompt(args.prompt, sys.stdin)
    request = ChatRequest(
        model=model,
        messages=(user_turn(prompt, attached_parts(args, connection, model)),),
        system=args.system,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        max_answer_bytes=config.settings.max_answer_bytes,
    )
    return connection, request


def run_tools(args: argparse.Namespace, config: Config) -> int:
    """`craft-tui ask … --tools` (ask.run hands over when a tool option is given)."""
    if args.tools is None:
        given = next(
            flag
            for flag, name in (
                ("--allow", "allow"),
                ("--read-only", "read_only"),
                ("--yes", "yes"),
                ("--max-steps", "max_steps"),
            )
            if getattr(args, name, None)
        )
        raise UserError(
            f"{given} is about tools, and --tools was not given.",
            "add --tools (every configured MCP server) or --tools SERVER.",
        )
    from craft_tui.mcp import McpHub
    from craft_tui.providers.factory import open_driver

    max_steps = args.max_steps if args.max_steps is not None else config.tools.max_steps
    if max_steps < 1:
        raise UserError(
            f"--max-steps {max_steps} is not a positive number.",
            "give a number of tool rounds above 0, e.g. --max-steps 5.",
        )
    servers = select_servers(config, args.tools)
    policy = build_policy(args, config)
    connection, request = tools_request(args, config)
    if args.yes:
        print(
            "craft-tui: --yes: every tool call runs without asking (deny rules still hold).",
            file=sys.stderr,
        )
    hub = McpHub(servers, deny=config.tools.deny)
    policy.origin = hub.origin
    asker = TerminalAsker(policy)

    async def run() -> int:
        driver = open_driver(connection)
        try:
            return await answer_with_tools(
                request,
                driver.stream,
                hub,
                policy,
                asker,
                sys.stdout,
                sys.stderr,
                max_steps=max_steps,
                connection=connection,
                show_usage=bool(args.usage),
                raw=bool(args.raw),
            )
        finally:
            try:
                await hub.aclose()
            finally:
                await driver.aclose()

    try:
        return asyncio.run(run())
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        print("craft-tui: stopped.", file=sys.stderr)
        return 130
    finally:
        asker.close()


class _Output:
    """stdout for the answer (disarmed unless --raw into a file), stderr for everything else."""

    def __init__(self, out: TextIO, err: TextIO, raw: bool) -> None:
        self.exact = raw and not out.isatty()
        self.out = raw_stream(out) if self.exact else out
        self.err = err
        self.style = raw_stream(err)
        self.reasoning_visible = err.isatty()
        self.wrote = ""  # the last text written to stdout, to end it with a newline
        self.any_text = False
        self._in_reasoning = False
        self._new_step = False

    def step(self) -> None:
        self._new_step = True

    def text(self, text: str) -> None:
        if not text:
            return
        self._end_reasoning()
        if self._new_step and self.wrote and not self.wrote.endswith("\n"):
            self.out.write("\n")
        self._new_step = False
        self.out.write(text if self.exact else shown(text))
        self.out.flush()
        self.wrote = text
        self.any_text = True

    def reasoning(self, text: str) -> None:
        if self.reasoning_visible and text:
            self.style.write(("" if self._in_reasoning else _DIM) + shown(text))
            self.style.flush()
            self._in_reasoning = True

    def line(self, text: str) -> None:
        """An activity line on stderr, on a line of its own (on a terminal the answer's line
        is ended first, so the two do not share a line)."""
        self._end_reasoning()
        with contextlib.suppress(OSError, ValueError):
            if self.out.isatty() and self.wrote and not self.wrote.endswith("\n"):
                self.out.write("\n")
                self.wrote = "\n"
            self.out.flush()
        print(f"craft-tui: {text}", file=self.err, flush=True)

    def _end_reasoning(self) -> None:
        if self._in_reasoning:
            self.style.write(f"{_RESET}\n")
            self.style.flush()
            self._in_reasoning = False

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._end_reasoning()
            if self.wrote and not self.wrote.endswith("\n"):
                self.out.write("\n")
                self.wrote = "\n"
            self.out.flush()


async def answer_with_tools(
    request: ChatRequest,
    stream: StreamFn,
    toolbox: ToolBox,
    policy: PermissionPolicy,
    asker: TerminalAsker,
    out: TextIO,
    err: TextIO,
    *,
    max_steps: int,
    connection: Connection | None = None,
    show_usage: bool = False,
    raw: bool = False,
) -> int:
    """Run the tool loop for `request`, showing it; the exit code."""
    from craft_tui.chat.tool_loop import (
        StepLimitReached,
        StepStarted,
        ToolCallRefused,
        ToolLoop,
        ToolRunFinished,
        ToolRunStarted,
    )
    from craft_tui.providers.types import Finish, ReasoningDelta, TextDelta, Usage

    specs = await toolbox.specs()
    for problem in toolbox.problems():
        print(f"craft-tui: MCP server {shown_inline(problem)}", file=err)
    if not specs and toolbox.problems():
        raise UserError(
            "--tools: no tool is available, since no MCP server named could start.",
            "fix the server named above, or run without --tools.",
        )
    loop = ToolLoop(stream, request, toolbox, policy, asker, max_steps)
    output = _Output(out, err, raw)
    usage = Usage()
    step_usage = Usage()
    finish: Finish | None = None
    started = time.monotonic()
    first_token: float | None = None
    events = loop.run()
    try:
        while True:
            limited = False
            async with contextlib.aclosing(events):
                async for event in events:
                    if isinstance(event, TextDelta | ReasoningDelta) and first_token is None:
                        first_token = time.monotonic()
                    if isinstance(event, TextDelta):
                        output.text(event.text)
                    elif isinstance(event, ReasoningDelta):
                        output.reasoning(event.text)
                    elif isinstance(event, StepStarted):
                        usage = _added(usage, step_usage)
                        step_usage = Usage()
                        output.step()
                    elif isinstance(event, Usage):
                        step_usage = step_usage.merged(event)
                    elif isinstance(event, Finish):
                        finish = event
                    elif isinstance(event, ToolRunStarted):
                        label = policy.label(event.spec)
                        output.line(f"tool {label} {compact_arguments(event.call.arguments)}")
                    elif isinstance(event, ToolRunFinished):
                        output.line(_finished_line(policy.label(event.spec), event))
                    elif isinstance(event, ToolCallRefused):
                        label = policy.label(event.spec) if event.spec else event.call.name
                        output.line(
                            f"tool {exact_line(label)} not run: {first_line(event.result.text)}"
                        )
                    elif isinstance(event, StepLimitReached):
                        limited = True
            if not limited:
                break
            steps = loop.rounds
            output.line(
                f"stopped after {steps} tool round{'s' if steps != 1 else ''} (--max-steps "
                f"{loop.max_steps}); the model has not answered the last results yet."
            )
            output.close()
            if not await asker.confirm("Let it go on?"):
                print(
                    f"  fix: pass a larger --max-steps (e.g. --max-steps {steps * 2}) to let it "
                    "go on.",
                    file=err,
                )
                return 1
            events = loop.resume(max_steps)
    except PermissionNeeded as needed:
        output.close()
        label = exact_line(needed.label)
        print(
            f"craft-tui: the model wants to run {label}, which needs your permission, and "
            "there is no terminal to ask on.",
            file=err,
        )
        print(
            f"  fix: pass --allow {label} to let it run (or --yes to allow every tool), or run "
            "this in a terminal.",
            file=err,
        )
        return 1
    finally:
        output.close()
    usage = _added(usage, step_usage)
    if connection is not None:
        from craft_tui.config.state import mark_connection_used

        with contextlib.suppress(Exception):
            mark_connection_used(connection.slug)
    if not output.any_text:
        print("craft-tui: the model returned an empty answer.", file=err)
    if finish is not None and finish.reason == "length":
        print("craft-tui: the answer hit the max tokens limit (--max-tokens).", file=err)
    elif finish is not None and finish.reason == "content_filter":
        print("craft-tui: the provider's content filter stopped the answer.", file=err)
    if show_usage and connection is not None:
        from craft_tui.commands.ask import format_usage

        timing = None
        if first_token is not None:
            timing = (first_token - started, time.monotonic() - first_token)
        print(format_usage(usage, connection, request.model, timing), file=err)
    return 0


def _finished_line(label: str, event: object) -> str:
    from craft_tui.chat.tool_loop import ToolRunFinished

    assert isinstance(event, ToolRunFinished)
    took = format_duration(event.duration_s)
    if event.outcome.is_error:
        return f"tool {exact_line(label)} failed after {took}: {first_line(event.outcome.text)}"
    size = len(event.outcome.text)
    return f"tool {exact_line(label)} done in {took} ({size:,} character{'s' if size != 1 else ''})"


def _added(total: Usage, step: Usage) -> Usage:
    """Two requests' usage added up (each step reports its own)."""
    from craft_tui.providers.types import Usage

    def plus(a: int | None, b: int | None) -> int | None:
        return None if a is None and b is None else (a or 0) + (b or 0)

    cost = None
    if total.cost_usd is not None or step.cost_usd is not None:
        cost = (total.cost_usd or 0.0) + (step.cost_usd or 0.0)
    return Usage(
        plus(total.input_tokens, step.input_tokens),
        plus(total.output_tokens, step.output_tokens),
        plus(total.cached_tokens, step.cached_tokens),
        plus(total.reasoning_tokens, step.reasoning_tokens),
        cost,
        plus(total.cache_write_tokens, step.cache_write_tokens),
    )
