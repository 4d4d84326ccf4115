"""`craft-tui ask`: stream one answer to stdout as plain text, for scripts and shell pipelines.

stdout carries only the answer (flushed as it arrives); everything else — reasoning (dimmed, and
only on a terminal), usage, errors — goes to stderr. Ctrl+C stops at once with exit code 130 and
keeps what already arrived on screen. An answer past `settings.max_answer_mb` is stopped by the
driver like any provider error: what arrived up to the limit is on stdout, one line and its fix
on stderr, exit code 1.

The answer is outside text: control characters in it are written as visible stand-ins
(`untrusted.shown`), on a terminal always, into a pipe or file unless `--raw` asks for the model's
exact output.

`--save` stores the question and its answer as a new conversation of the history; `--continue
[ID]` sends the last conversation's (or ID's) current branch with the question and stores the new
turn on it. Both go through the app's `ChatSession` (the same request builder, partial saves,
attribution, cost and `cancelled` mark for Ctrl+C), and end with "saved to conversation ID" on
stderr.

`-a FILE` (repeatable) attaches files to the prompt through `chat/attachments.py`, the app's
rule: images resized to the connection's protocol limits, text files as text with their name,
PDFs as they are; a missing file, a folder, a file over a limit or a model that does not take
images (as its listed model says) is one sentence and its fix before anything is sent or stored.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TextIO

from craft_tui.cli import UserError
from craft_tui.config.schema import Config, Connection
from craft_tui.config.state import mark_connection_used
from craft_tui.config.store import load_config
from craft_tui.providers.factory import open_driver
from craft_tui.providers.types import (
    ChatMessage,
    ChatRequest,
    Driver,
    Finish,
    ModelInfo,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    Usage,
)
from craft_tui.untrusted import raw_stream, shown, shown_inline

if TYPE_CHECKING:
    from craft_tui.chat.conversation import Conversation, StoredMessage
    from craft_tui.chat.history import HistoryStore
    from craft_tui.providers.content import AttachmentPart
    from craft_tui.providers.errors import ProviderError

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


def attached_parts(
    args: argparse.Namespace, connection: Connection, model: str
) -> tuple[AttachmentPart, ...]:
    """The files of `-a FILE …` for a request to `model` on `connection`, or the UserError that
    says which file cannot go and why (also: the model does not take images)."""
    paths = getattr(args, "attach", None) or []
    if not paths:
        return ()
    from craft_tui.chat.attachments import AttachmentProblem, image_refusal, load_attachments

    try:
        loaded = load_attachments(paths, connection.protocol)
    except AttachmentProblem as problem:
        raise UserError(problem.message, problem.hint or None) from None
    refusal = image_refusal(loaded, connection, model)
    if refusal is not None:
        raise UserError(refusal.message, refusal.hint or None)
    for attachment in loaded:
        if attachment.resized:
            print(
                f"craft-tui: {attachment.label()}: resized to the provider's image limits.",
                file=sys.stderr,
            )
    return tuple(attachment.part for attachment in loaded)


def user_turn(prompt: str, attachments: tuple[AttachmentPart, ...] = ()) -> ChatMessage:
    """The one user turn of a plain `ask`: the prompt, then its attached files."""
    from craft_tui.providers.content import TextPart

    if not attachments:
        return ChatMessage("user", prompt)
    return ChatMessage("user", parts=(TextPart(prompt), *attachments))


def images_refused(
    error: ProviderError, args: argparse.Namespace, connection: Connection | None, model: str
) -> UserError | None:
    """A server's refusal of this prompt's images as the clear sentence (None: another error)."""
    if not getattr(args, "attach", None) or connection is None:
        return None
    from craft_tui.chat.attachments import refusal_from_error

    problem = refusal_from_error(error, connection, model)
    return UserError(problem.message, problem.hint or None) if problem is not None else None


def format_usage(
    usage: Usage, connection: Connection, model: str, timing: tuple[float, float] | None = None
) -> str:
    """One line for --usage: tokens in/out (cached, cache write, reasoning), speed, and the cost
    as the app computes it (server-reported, listed or configured prices; "local" for a free
    local server). "in" is the whole prompt on every protocol (`chat/usage.py prompt_tokens`):
    the cached and written counts are parts of it."""
    from craft_tui.chat.cost import answer_cost
    from craft_tui.chat.usage import prompt_tokens
    from craft_tui.config.protocols import get_protocol

    prompt = prompt_tokens(
        usage.input_tokens,
        usage.cached_tokens,
        usage.cache_write_tokens,
        cached_in_input=get_protocol(connection.protocol).cached_in_input,
    )
    parts = [f"tokens in {prompt}", f"out {usage.output_tokens or 0}"]
    if usage.cached_tokens:
        parts.append(f"cached {usage.cached_tokens}")
    if usage.cache_write_tokens:
        parts.append(f"cache write {usage.cache_write_tokens}")
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


class _Output:
    """Where one answer goes as it arrives: text to `out`, reasoning dimmed to `err` (only on a
    terminal). One writer for the plain and the saved answer, so both look the same.

    With `raw` and `out` not a terminal, the text goes out exactly as the model sent it; otherwise
    every control character in it is disarmed (one for one, so a sequence cut between two deltas
    is disarmed too). Reasoning is dimmed with our own SGR codes around disarmed text."""

    def __init__(self, out: TextIO, err: TextIO, raw: bool) -> None:
        self.reasoning_visible = err.isatty()
        self.exact = raw and not out.isatty()
        self.out = raw_stream(out) if self.exact else out
        self.style_err = raw_stream(err)  # our dim/reset codes must reach the terminal as codes
        self.wrote_text = ""
        self.in_reasoning = False
        self.started = time.monotonic()
        self.first_token: float | None = None

    def _arrived(self) -> None:
        if self.first_token is None:
            self.first_token = time.monotonic()

    def text(self, text: str) -> None:
        self._arrived()
        if self.in_reasoning:
            self.style_err.write(f"{_RESET}\n")
            self.style_err.flush()
            self.in_reasoning = False
        self.out.write(text if self.exact else shown(text))
        self.out.flush()
        self.wrote_text = text or self.wrote_text

    def reasoning(self, text: str) -> None:
        self._arrived()
        if self.reasoning_visible:
            self.style_err.write(("" if self.in_reasoning else _DIM) + shown(text))
            self.style_err.flush()
            self.in_reasoning = True

    def close(self) -> None:
        """End the reasoning's dimming and the answer's last line, whatever stopped it."""
        with contextlib.suppress(OSError, ValueError):
            if self.in_reasoning:
                self.style_err.write(f"{_RESET}\n")
            if self.wrote_text and not self.wrote_text.endswith("\n"):
                self.out.write("\n")
            self.out.flush()

    def timing(self) -> tuple[float, float] | None:
        """(time to first token, time generating) for --usage."""
        if self.first_token is None:
            return None
        return self.first_token - self.started, time.monotonic() - self.first_token


def _said_after(
    output: _Output,
    finish_reason: str | None,
    usage: Usage,
    connection: Connection,
    model: str,
    err: TextIO,
    show_usage: bool,
) -> None:
    """The lines on stderr after an answer: empty, cut by the limit or the filter, --usage."""
    with contextlib.suppress(Exception):  # the answer matters more than the timestamp
        mark_connection_used(connection.slug)  # runtime state: config.toml is not written
    if not output.wrote_text:
        print("craft-tui: the model returned an empty answer.", file=err)
    if finish_reason == "length":
        print("craft-tui: the answer hit the max tokens limit (--max-tokens).", file=err)
    elif finish_reason == "content_filter":
        print("craft-tui: the provider's content filter stopped the answer.", file=err)
    if show_usage:
        print(format_usage(usage, connection, model, output.timing()), file=err)


async def stream_answer(
    connection: Connection,
    request: ChatRequest,
    out: TextIO,
    err: TextIO,
    show_usage: bool,
    raw: bool = False,
) -> None:
    """Write the answer to `out` as it arrives (see `_Output`); ProviderError propagates after
    the partial text."""
    driver = open_driver(connection)
    output = _Output(out, err, raw)
    usage = Usage()
    finish: Finish | None = None
    try:
        # aclosing: the response is closed here and now, before the client, whatever stops us.
        async with contextlib.aclosing(driver.stream(request)) as events:  # type: ignore[type-var]
            async for event in events:
                if isinstance(event, TextDelta):
                    output.text(event.text)
                elif isinstance(event, ReasoningDelta):
                    output.reasoning(event.text)
                elif isinstance(event, Usage):
                    usage = usage.merged(event)
                elif isinstance(event, Finish):
                    finish = event
    finally:
        output.close()
        await driver.aclose()
    reason = finish.reason if finish is not None else None
    _said_after(output, reason, usage, connection, request.model, err, show_usage)


# ---------------------------------------------------------------- --save / --continue


@dataclass(frozen=True, slots=True)
class Overrides:
    """What the command line sets for this one request, over what the conversation and the
    connection say (the request itself is built by the app's `build_request`)."""

    system: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None

    def applied(self, request: ChatRequest) -> ChatRequest:
        return replace(
            request,
            system=self.system if self.system is not None else request.system,
            max_tokens=self.max_tokens if self.max_tokens is not None else request.max_tokens,
            temperature=self.temperature if self.temperature is not None else request.temperature,
        )


class _OverridingDriver:
    """A driver that sends each request with the command line's `Overrides` applied."""

    def __init__(self, driver: Driver, overrides: Overrides) -> None:
        self._driver = driver
        self._overrides = overrides

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        return self._driver.stream(self._overrides.applied(request))

    async def list_models(self) -> list[ModelInfo]:
        return await self._driver.list_models()

    async def aclose(self) -> None:
        await self._driver.aclose()


def open_history() -> HistoryStore:
    """The history store, or the sentence saying why it cannot be used."""
    from craft_tui.chat.history import HistoryError, HistoryStore

    try:
        return HistoryStore.open()
    except HistoryError as error:
        raise UserError(
            str(error),
            "`craft-tui paths` shows where the history file is (CRAFT_TUI_HOME moves it).",
        ) from None


_LIST_FIX = "`craft-tui history` lists conversations with their ids."
_MIN_PREFIX = 4


def looks_like_id(text: str) -> bool:
    """A conversation id or the start of one (hex digits): what `--continue ID` takes. Anything
    else right after `--continue` is the prompt (`ask --continue "and then?"`)."""
    return len(text) >= _MIN_PREFIX and all(c in "0123456789abcdefABCDEF" for c in text)


def resolve_conversation(store: HistoryStore, given: str | None) -> str:
    """The conversation `--continue` names: `given` (a whole id or a unique start of it), else
    the one updated last."""
    if given is None:
        last = store.last_conversation_id()
        if last is None:
            raise UserError(
                "There is no conversation in the history yet, so there is nothing to continue.",
                "start one: craft-tui ask --save 'your question' (or in the app).",
            )
        return last
    wanted = given.strip().lower()
    found = store.conversation_ids(wanted, limit=2) if looks_like_id(wanted) else []
    if not found:
        raise UserError(f"No conversation {shown_inline(given)!r} in the history.", _LIST_FIX)
    if len(found) > 1 and wanted not in found:
        raise UserError(
            f"More than one conversation starts with {shown_inline(given)!r}.",
            f"give more of the id; {_LIST_FIX}",
        )
    return wanted if wanted in found else found[0]


def last_answer_target(
    conversation: Conversation, path: list[StoredMessage]
) -> tuple[str | None, str | None]:
    """The connection and model of the branch's last answer (the conversation's own target when
    it has none yet): where `--continue` sends by default."""
    for message in reversed(path):
        if message.role == "assistant" and message.connection_slug:
            return message.connection_slug, message.model
    return conversation.connection_slug, conversation.model


def continue_target(
    config: Config,
    conversation: Conversation,
    path: list[StoredMessage],
    name: str | None,
    model: str | None,
) -> tuple[Connection, str | None]:
    """-c/-m when given; else the connection and model of the conversation's last answer."""
    slug, last_model = last_answer_target(conversation, path)
    if name is not None:
        connection = pick_connection(config, name)
        kept = last_model if connection.slug == slug else None
        return connection, model or kept or connection.effective_default_model
    if slug is None:
        connection = pick_connection(config, None)
        return connection, model or connection.effective_default_model
    found = next((c for c in config.connections if c.slug == slug), None)
    if found is None:
        raise UserError(
            f"The last answer of this conversation came from connection {shown_inline(slug)!r}, "
            "which is not configured any more.",
            "pass -c CONNECTION to continue it on another one "
            "(`craft-tui connection list` shows them).",
        )
    return found, model or last_model or found.effective_default_model


@dataclass
class Saved:
    """The conversation an answer is stored in (set as soon as it is known, so the line saying
    so can be printed however the answer ends)."""

    conversation_id: str | None = None


async def answer_saved(
    store: HistoryStore,
    conversation: Conversation,
    config: Config,
    connection: Connection,
    model: str,
    prompt: str,
    driver: Driver,
    out: TextIO,
    err: TextIO,
    show_usage: bool,
    raw: bool = False,
    attachments: tuple[AttachmentPart, ...] = (),
) -> None:
    """Send `prompt` (and `attachments`) on `conversation`'s current branch through the app's `ChatSession` and
    write the answer as it arrives (`driver` is `connection`'s, opened by the caller and closed
    here); ProviderError propagates after the partial text (the failed
    answer is stored as the app stores one). Cancelling (Ctrl+C) stores what arrived as
    `cancelled`."""
    from craft_tui.chat.cost import answer_cost_usd
    from craft_tui.chat.session import (
        AnswerFailed,
        AnswerFinished,
        ChatSession,
        ReasoningChunk,
        TextChunk,
        UsageUpdate,
    )

    session = ChatSession(
        store,
        conversation,
        driver_opener=lambda _connection: driver,
        cost_fn=answer_cost_usd,
        config=config,
    )
    if session.target() != (connection, model):
        session.switch(connection, model)  # the next request (and the stored answer) goes there
    output = _Output(out, err, raw)
    usage = Usage()
    finish_reason: str | None = None
    failure = None
    try:
        async with contextlib.aclosing(session.send(prompt, attachments)) as events:  # type: ignore[type-var]
            async for event in events:
                if isinstance(event, TextChunk):
                    output.text(event.text)
                elif isinstance(event, ReasoningChunk):
                    output.reasoning(event.text)
                elif isinstance(event, UsageUpdate):
                    usage = event.usage
                elif isinstance(event, AnswerFinished):
                    finish_reason = event.message.finish_reason
                elif isinstance(event, AnswerFailed):
                    failure = event.error
    finally:
        output.close()
        await driver.aclose()
    if failure is not None:
        raise failure
    _said_after(output, finish_reason, usage, connection, model, err, show_usage)


def _check_model(connection: Connection, model: str | None) -> str:
    if not model:
        raise UserError(
            f"Connection {connection.slug!r} has no default model.",
            f"pass -m MODEL (`craft-tui models -c {connection.slug}` lists them).",
        )
    return model


def _saved_line(saved: Saved) -> None:
    if saved.conversation_id is not None:
        print(f"craft-tui: saved to conversation {saved.conversation_id}", file=sys.stderr)


def _run_saved(args: argparse.Namespace, config: Config, saved: Saved) -> None:
    """`--save` / `--continue`: resolve the conversation and target, then answer and store."""
    continuing = args.continue_id is not None
    given = args.continue_id or None
    prompt_argument = args.prompt
    if given is not None and not looks_like_id(given) and prompt_argument is None:
        given, prompt_argument = None, given  # `ask --continue "and then?"`
    store = open_history()
    try:
        if continuing:
            conversation, path = store.load_conversation(resolve_conversation(store, given))
            connection, model = continue_target(
                config, conversation, path, args.connection, args.model
            )
        else:
            connection = pick_connection(config, args.connection)
            model = args.model or connection.effective_default_model
        model = _check_model(connection, model)
        prompt = read_prompt(prompt_argument, sys.stdin)
        attachments = attached_parts(args, connection, model)  # checked before anything is stored
        # Opened before anything is stored: a missing key is the user's to fix, not an answer.
        overrides = Overrides(args.system, args.max_tokens, args.temperature)
        driver = _OverridingDriver(open_driver(connection), overrides)
        if not continuing:
            conversation = store.create_conversation(
                connection_slug=connection.slug, model=model, system_prompt=args.system
            )
        saved.conversation_id = conversation.id
        asyncio.run(
            answer_saved(
                store,
                conversation,
                config,
                connection,
                model,
                prompt,
                driver,
                sys.stdout,
                sys.stderr,
                args.usage,
                raw=bool(args.raw),
                attachments=attachments,
            )
        )
    finally:
        store.close()


def _target_named(config: Config, args: argparse.Namespace) -> tuple[Connection | None, str]:
    """The connection and model the command line names (for rewording a refusal after it)."""
    try:
        connection = pick_connection(config, args.connection)
    except UserError:
        return None, ""
    return connection, args.model or connection.effective_default_model or ""


def run(args: argparse.Namespace) -> int:
    """Entry point of `craft-tui ask`."""
    from craft_tui.providers.errors import ProviderError

    config = load_config()
    if args.max_tokens is not None and args.max_tokens <= 0:
        raise UserError(
            f"--max-tokens {args.max_tokens} is not a positive number.",
            "give a number of tokens above 0, e.g. --max-tokens 1024.",
        )
    from craft_tui.commands.ask_tools import run_tools, wants_tools

    if wants_tools(args):  # the tool loop (commands/ask_tools.py)
        try:
            return run_tools(args, config)
        except ProviderError as error:
            target = _target_named(config, args)
            raise images_refused(error, args, *target) or error from None
    storing = bool(getattr(args, "save", False)) or getattr(args, "continue_id", None) is not None
    if storing and args.save and args.continue_id is not None:
        raise UserError(
            "--save and --continue cannot be used together.",
            "--save starts a new conversation; --continue adds to one (and saves it too).",
        )
    saved = Saved()
    try:
        if storing:
            _run_saved(args, config, saved)
        else:
            connection = pick_connection(config, args.connection)
            model = _check_model(connection, args.model or connection.effective_default_model)
            prompt = read_prompt(args.prompt, sys.stdin)
            request = ChatRequest(
                model=model,
                messages=(user_turn(prompt, attached_parts(args, connection, model)),),
                system=args.system,
                max_tokens=args.max_tokens,
                temperature=args.temperature,
                max_answer_bytes=config.settings.max_answer_bytes,  # the app's cap, same setting
            )
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
        _saved_line(saved)
        return 130
    except ProviderError as error:
        refused = images_refused(error, args, *_target_named(config, args))
        if saved.conversation_id is None:
            raise refused or error from None
        if refused is not None:
            error.message, error.hint = str(refused), refused.fix or ""
        print(f"craft-tui: {error.message}", file=sys.stderr)  # as cli._report says it
        if error.hint:
            print(f"  fix: {error.hint}", file=sys.stderr)
        _saved_line(saved)
        return 1
    _saved_line(saved)
    return 0
