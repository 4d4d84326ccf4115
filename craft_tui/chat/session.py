"""`ChatSession`: the flow of one message, with no UI in it.

The screen drives a session and renders the events it yields::

    session = ChatSession(store, conversation, driver_opener=open_driver, cost_fn=cost,
                          config=lambda: app.config)
    session.messages                      # the active path, root first
    async for event in session.send("hi"):              # or regenerate(id) / edit_and_resend(id, text)
    session.send("what is this?", attachments=[AttachmentPart.from_bytes(png, "image/png")])
        match event:
            case UserSaved(message): ...     # the prompt is on disk (before any network I/O)
            case AnswerStarted(message): ... # the assistant row exists (empty text)
            case TextChunk(text) | ReasoningChunk(text): ...
            case UsageUpdate(usage): ...
            case AnswerFinished(message): ...            # final row: usage, cost, ttft, tok/s
            case AnswerFailed(message, error): ...       # partial text kept, error recorded
    session.switch(connection, model)     # the next request goes there
    session.delete_message(id); session.set_system_prompt(text); session.rename(title)
    session.siblings(id); session.select_branch(id)

Guarantees: the user's prompt is committed before the driver is even opened; the answer is
saved as it grows, throttled (every `save_interval` seconds or `save_chars` characters — an
eighth of the answer once that is more — whichever comes first, plus once when the stream pauses with text unsaved), so kill -9 keeps
what arrived; cancelling the task (Esc) saves the
partial as "cancelled" and lets `CancelledError` propagate; a `ProviderError` keeps the partial
and records the error's kind and message. Chunks are collected in a list (no quadratic string
building, no SQLite write per chunk); the answer's content parts are built from them once per
save, not per chunk. A thinking block's signature (Anthropic) is kept with the block it closes,
so the block can go back to that server unchanged. One answer holds at most `settings.max_answer_mb`: the
request carries the cap, the driver stops the stream there (providers/limits.py), and the answer
fails as `answer_too_long` with what arrived kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from craft_tui.chat.conversation import (
    Conversation,
    StoredMessage,
    latest_leaf,
    path_to,
    siblings,
    versions,
)
from craft_tui.chat.history import HistoryError, HistoryStore
from craft_tui.chat.live import AnswerLease
from craft_tui.chat.request_builder import build_request
from craft_tui.chat.tool_loop import CANCELLED_WHILE_RUNNING, NOT_RUN
from craft_tui.config.generation import GenerationParams
from craft_tui.config.schema import Config, Connection, Settings
from craft_tui.providers.content import (
    AttachmentPart,
    Part,
    Parts,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
    with_text,
)
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import (
    Driver,
    Finish,
    ReasoningDelta,
    ReasoningSignature,
    RedactedReasoning,
    StreamEvent,
    TextDelta,
    ToolCallReady,
    ToolCallStarted,
    ToolSpec,
    Usage,
)

log = logging.getLogger(__name__)

# An opener may be async: the workspace's driver pool reads the connection's key in a thread.
DriverOpener = Callable[[Connection], Driver | Awaitable[Driver]]
CostFn = Callable[[Connection, str, Usage], "float | None"]
Clock = Callable[[], float]

SAVE_INTERVAL_S = 0.5
SAVE_CHARS = 2048
# From this size on, saves run in a thread. Since the full-text index (schema v3) a save costs
# ~20x what it did (the trigger re-indexes the whole text): the loop waited 5.3 ms for a 64 KB
# save, 20 ms at 256 KB, 63 ms at 1 MB, against ~1.5-2 ms with the save in a thread and a 0.17 ms
# hop (benchmarks/bench_partial_save.py, 2026-12-02, quiet machine). At 32 KB both are ~2-4 ms.
OFF_LOOP_SAVE_CHARS = 32_000
CHARS_PER_TOKEN = 4  # rough estimate when a server reports no output token count


# ---------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class UserSaved:
    """The user's prompt is stored (before anything goes on the network)."""

    message: StoredMessage


@dataclass(frozen=True, slots=True)
class AnswerStarted:
    """The assistant row exists; text will stream into it."""

    message: StoredMessage


@dataclass(frozen=True, slots=True)
class TextChunk:
    """Answer text that arrived since the consumer last took: one delta, or many joined (a fast
    stream hands over a batch per turn of the event loop, not one event per delta)."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningChunk:
    """Reasoning that arrived since the consumer last took (one delta or many, joined)."""

    text: str


@dataclass(frozen=True, slots=True)
class UsageUpdate:
    """Token counts so far (merged across the server's partial reports)."""

    usage: Usage


@dataclass(frozen=True, slots=True)
class AnswerFinished:
    """The answer ended normally ('stop', 'length', …); `message` is the final stored row."""

    message: StoredMessage


@dataclass(frozen=True, slots=True)
class AnswerFailed:
    """The answer failed; `message` keeps any partial text, `error` says why and how to fix it."""

    message: StoredMessage
    error: ProviderError


@dataclass(frozen=True, slots=True)
class ToolCallAnnounced:
    """The model began a tool call in the live answer (its arguments are still streaming)."""

    index: int
    name: str


@dataclass(frozen=True, slots=True)
class ToolRunStarted:
    """A call of the finished answer is being decided and run; `spec` is None for a tool
    that is not on offer (the model made up a name: the call fails without running)."""

    call: ToolCallPart
    spec: ToolSpec | None


@dataclass(frozen=True, slots=True)
class ToolRunFinished:
    """A call ended (ran, failed, was denied or refused); `result` goes back to the model."""

    call: ToolCallPart
    result: ToolResultPart
    seconds: float


@dataclass(frozen=True, slots=True)
class ToolResultsSaved:
    """The results of one answer's calls are stored as a "tool" row, the next request's end."""

    message: StoredMessage


@dataclass(frozen=True, slots=True)
class ToolStepLimit:
    """The loop stopped after `steps` rounds of tool calls (`[tools] max_steps`); the last
    tool row is the end of the path, and `continue_tools()` goes on from it."""

    steps: int


@dataclass(frozen=True, slots=True)
class ToolsUnavailable:
    """Tool sources that could not start or died: one line each, shown once."""

    lines: tuple[str, ...]


SessionEvent = (
    UserSaved
    | AnswerStarted
    | TextChunk
    | ReasoningChunk
    | UsageUpdate
    | AnswerFinished
    | AnswerFailed
    | ToolCallAnnounced
    | ToolRunStarted
    | ToolRunFinished
    | ToolResultsSaved
    | ToolStepLimit
    | ToolsUnavailable
)


class ToolRunner(Protocol):
    """What a session needs to use tools: the offer, and one call run to its result.

    `run` holds the whole rule for one call (unknown tool, arguments that are not a JSON
    object, the permission decision — asking the person when the mode says so — and the run
    itself); it never raises except for cancellation. chat/tool_runner.py makes one from the
    workspace's tool sources and the conversation's permission mode."""

    @property
    def max_steps(self) -> int: ...

    async def offered(self) -> tuple[ToolSpec, ...]: ...

    def problems(self) -> tuple[str, ...]: ...

    async def run(self, call: ToolCallPart, spec: ToolSpec | None) -> ToolResultPart: ...


# ---------------------------------------------------------------------- the growing answer


class _Segment:
    """One run of text or reasoning, in arrival order: the chunks of one future content part.

    A reasoning run is closed by its signature (or is a redacted block): reasoning after it
    starts a new run, since each signature covers exactly its own block's text.
    """

    __slots__ = ("call", "chunks", "encrypted", "is_text", "signature")

    def __init__(
        self,
        is_text: bool,
        signature: str | None = None,
        encrypted: str | None = None,
        call: ToolCallPart | None = None,
    ) -> None:
        self.is_text = is_text
        self.chunks: list[str] = []
        self.signature = signature
        self.encrypted = encrypted
        self.call = call  # a tool call: a segment of its own, whole when it arrives

    @property
    def closed(self) -> bool:
        return self.signature is not None or self.encrypted is not None or self.call is not None

    def joined(self) -> str:
        chunks = self.chunks
        if len(chunks) > 1:
            chunks[:] = ["".join(chunks)]  # later joins start from one string
        return chunks[0] if chunks else ""

    def part(self) -> Part:
        if self.call is not None:
            return self.call
        if self.is_text:
            return TextPart(self.joined())
        return ReasoningPart(self.joined(), self.signature, self.encrypted)


class _Answer:
    """What has arrived so far, and when; decides when the partial is due for a save.

    Chunks go into segments in arrival order; a chunk of the kind of the last segment (and
    not a closed one) extends it, so a plain answer is one reasoning and one text segment and
    each chunk costs one list append, as before content parts.
    """

    def __init__(self, started: float, interval: float, chars: int) -> None:
        self.started = started
        self.first_token_at: float | None = None
        # When text last arrived. An answer that came all at once (one enormous event, a cached
        # reply: last == first) has no speed to show; divided by the few milliseconds until its
        # end, it said "3942479.4 tok/s".
        self._last_token_at: float | None = None
        self.usage: Usage | None = None
        self.finish_reason: str | None = None
        self._segments: list[_Segment] = []
        self._tail: _Segment | None = None  # the last segment, where the next chunk may go
        self._interval = interval
        self._chars = chars
        self._last_save = started
        self._unsaved = 0
        self._size = 0  # characters so far, text and reasoning

    def add(self, parts: list[str], text: str, now: float) -> None:
        if self.first_token_at is None:
            self.first_token_at = now
        self._last_token_at = now
        parts.append(text)
        self._unsaved += len(text)
        self._size += len(text)

    def _start(
        self,
        is_text: bool,
        *,
        signature: str | None = None,
        encrypted: str | None = None,
        call: ToolCallPart | None = None,
    ) -> _Segment:
        segment = self._tail = _Segment(is_text, signature, encrypted, call)
        self._segments.append(segment)
        return segment

    def add_text(self, text: str, now: float) -> None:
        tail = self._tail
        if tail is None or not tail.is_text:  # text runs are never closed
            tail = self._start(True)
        self.add(tail.chunks, text, now)

    def add_reasoning(self, text: str, now: float) -> None:
        tail = self._tail
        if tail is None or tail.is_text or tail.closed:
            tail = self._start(False)
        self.add(tail.chunks, text, now)

    def sign(self, signature: str) -> None:
        """Close the thinking block that just streamed (or an empty one) with its signature."""
        tail = self._tail
        if tail is None or tail.is_text or tail.closed:
            tail = self._start(False)
        tail.signature = signature
        self._unsaved += 1

    def add_redacted(self, data: str) -> None:
        self._start(False, encrypted=data)
        self._unsaved += 1

    def add_tool_call(self, call: ToolCallPart) -> None:
        """A complete tool call, in its place among the text (text after it starts anew)."""
        self._start(False, call=call)
        self._unsaved += 1
        self._size += len(call.arguments)

    @property
    def tool_calls(self) -> list[ToolCallPart]:
        return [s.call for s in self._segments if s.call is not None]

    @property
    def unsaved(self) -> bool:
        return self._unsaved > 0

    @property
    def size(self) -> int:
        """Characters so far, text and reasoning."""
        return self._size

    def due(self, now: float) -> bool:
        """Every `interval` seconds, or sooner once `chars` arrived unsaved — or an eighth of the
        answer, if more: each save rewrites the whole answer, so a fast stream of a long answer
        (4 MB took 27 ms a save) must not save every 2 KB. The interval still bounds the loss."""
        return self._unsaved > 0 and (
            self._unsaved >= max(self._chars, self._size // 8)
            or now - self._last_save >= self._interval
        )

    def saved(self, now: float) -> None:
        self._last_save = now
        self._unsaved = 0

    @property
    def text(self) -> str:
        return "".join([s.joined() for s in self._segments if s.is_text])

    @property
    def reasoning(self) -> str:
        return "".join([s.joined() for s in self._segments if not s.is_text])

    def parts(self) -> Parts:
        """The answer so far as content parts (built per save, never per chunk)."""
        return tuple(segment.part() for segment in self._segments)

    def figures(self, now: float) -> dict[str, Any]:
        """ttft, tokens/s and token counts for the stored row."""
        usage = self.usage or Usage()
        ttft = None if self.first_token_at is None else self.first_token_at - self.started
        tokens_per_s = None
        last = self._last_token_at
        if self.first_token_at is not None and last is not None and last > self.first_token_at:
            tokens = usage.output_tokens
            if not tokens:
                tokens = round((len(self.text) + len(self.reasoning)) / CHARS_PER_TOKEN)
            if tokens:
                tokens_per_s = tokens / (now - self.first_token_at)
        return {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cached_tokens": usage.cached_tokens,
            "cache_write_tokens": usage.cache_write_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "ttft_s": ttft,
            "tokens_per_s": tokens_per_s,
        }


class _PartialSaver:
    """Writes the growing answer to its row: when due as chunks arrive, and once more when the
    stream pauses with text still unsaved (so a kill during a long pause loses nothing)."""

    def __init__(
        self,
        store: HistoryStore,
        row_id: str,
        answer: _Answer,
        clock: Clock,
        idle_after: float | None,
    ) -> None:
        self._store = store
        self._row_id = row_id
        self._answer = answer
        self._clock = clock
        self._idle_after = idle_after
        self._timer: asyncio.TimerHandle | None = None

    async def arrived(self) -> None:
        now = self._clock()
        if self._answer.due(now):
            if self._answer.size >= OFF_LOOP_SAVE_CHARS:
                await self._save_off_loop(now)
            else:
                self._save(now)
        elif self._idle_after is not None and self._timer is None and self._answer.unsaved:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._idle_after, self._idle)

    def _save(self, now: float) -> None:
        self.stop()
        self._store.update_message_parts(self._row_id, self._answer.parts())
        self._answer.saved(now)

    async def _save_off_loop(self, now: float) -> None:
        """The same save in a thread (the store is thread-safe); the stream waits for it, so
        saves stay in order and no text arrives meanwhile."""
        self.stop()
        parts = self._answer.parts()
        await asyncio.to_thread(self._store.update_message_parts, self._row_id, parts)
        self._answer.saved(now)

    def _idle(self) -> None:
        self._timer = None
        if self._answer.unsaved:
            try:
                self._save(self._clock())
            except HistoryError as error:  # the next save (or the final one) tries again
                log.error("could not save the partial answer: %s", error)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class _Turn:
    """Hands the event loop back now and then while events pour in.

    A fast server fills the socket faster than the answer is drawn: every read then returns at
    once, and the whole chain (driver, this loop, the screen's handler) ran hundreds of events
    without one real suspension, so a key — Esc — waited behind them. Every `EVENTS` events or
    `SECONDS` seconds this awaits `sleep(0)`: keys and screen updates get their turn, and a
    cancellation lands there at the latest.
    """

    EVENTS = 128
    SECONDS = 0.005

    def __init__(self) -> None:
        self._count = 0
        self._due = time.perf_counter() + self.SECONDS

    async def maybe_yield(self) -> None:
        self._count += 1
        if self._count >= self.EVENTS or time.perf_counter() >= self._due:
            self._count = 0
            await asyncio.sleep(0)
            self._due = time.perf_counter() + self.SECONDS


class _Inbox:
    """Driver events the reader took and the consumer has not: handed over all at once.

    The reader only appends here; the consumer accounts for what it takes (answer, saves) and
    gets it as a few events (deltas of one kind in a row joined into one chunk). So what the
    answer holds, and what is saved, is what was handed on: an Esc loses nothing it saw and
    saves nothing it did not.
    """

    __slots__ = ("_events", "_ready")

    def __init__(self) -> None:
        self._events: list[StreamEvent] = []
        self._ready = asyncio.Event()

    def __bool__(self) -> bool:
        return bool(self._events)

    def put(self, event: StreamEvent) -> None:
        events = self._events
        if not events:
            self._ready.set()
        events.append(event)

    def wake(self) -> None:
        """The reader is done: the consumer looks once more."""
        self._ready.set()

    async def wait(self) -> None:
        await self._ready.wait()

    def take(self) -> list[StreamEvent]:
        """Everything that arrived since the last take, in order."""
        events, self._events = self._events, []
        self._ready.clear()
        return events


async def _stop_reader(reader: asyncio.Future[None]) -> None:
    """Cancel the reader if it still runs and wait until it has closed the response; its error,
    if any, is the caller's business only when it finished on its own (`result()` above)."""
    if not reader.done():
        reader.cancel()
        await asyncio.wait([reader])
    if not reader.cancelled():
        reader.exception()  # retrieved: no "exception was never retrieved" at exit


async def _aclose(events: AsyncIterator[StreamEvent]) -> None:
    close = getattr(events, "aclose", None)
    if close is not None:
        await close()


# ---------------------------------------------------------------------- the session


class ChatSession:
    """One conversation being read and extended. Not thread-safe: use it from one event loop."""

    def __init__(
        self,
        store: HistoryStore,
        conversation: Conversation,
        *,
        driver_opener: DriverOpener,
        cost_fn: CostFn | None = None,
        config: Config | Callable[[], Config] | None = None,
        clock: Clock = time.monotonic,
        save_interval: float = SAVE_INTERVAL_S,
        save_chars: int = SAVE_CHARS,
        idle_save: bool = True,
        tools: ToolRunner | None = None,
    ) -> None:
        self.store = store
        # Tools on offer to this conversation's answers (None: none; the app sets it when a
        # tool source is configured, and replaces it when the permission mode changes).
        self.tools = tools
        self._reported_problems: set[str] = set()
        # This conversation's own temperature, max tokens and reasoning effort (the chat
        # screen's generation dialog); empty: the settings and the connection decide. Stored
        # with the conversation (`set_generation`), so a reopened one keeps them.
        self.generation = conversation.generation or GenerationParams()
        self.conversation = conversation
        self._driver_opener = driver_opener
        self._cost_fn = cost_fn
        self._config = config
        self._clock = clock
        self._save_interval = save_interval
        self._save_chars = save_chars
        self._idle_save = idle_save
        self._path: list[StoredMessage] = path_to(
            store.all_messages(conversation.id), conversation.active_leaf_id
        )

    # ------------------------------------------------------------------ reading

    @property
    def messages(self) -> list[StoredMessage]:
        """The active path, root first (a copy: safe to iterate while an answer streams)."""
        return list(self._path)

    def reload(self) -> None:
        """Re-read the conversation and its active path from the store."""
        self.conversation, self._path = self.store.load_conversation(self.conversation.id)

    def siblings(self, message_id: str) -> list[StoredMessage]:
        """Every version at this message's place in the tree (itself included), oldest first."""
        return siblings(self.store.all_messages(self.conversation.id), message_id)

    def versions(self) -> dict[str, tuple[int, int]]:
        """'Version 2 of 3' for each message of this conversation that has other versions."""
        return versions(self.store.all_messages(self.conversation.id))

    def select_branch(self, message_id: str) -> None:
        """Show the branch through `message_id` (down to its newest leaf)."""
        leaf = latest_leaf(self.store.all_messages(self.conversation.id), message_id)
        self.store.set_active_leaf(self.conversation.id, leaf)
        self.reload()

    async def step_version(self, message_id: str, step: int) -> str | None:
        """Show the version `step` places before (negative) or after this message's, with the
        branch below it down to its newest leaf; return that version's id (None: there is none
        that far, and nothing changed).

        One read and one write of the store, in a thread (the event loop stays free for keys);
        the session's own state changes here, on the loop, once they are done.
        """
        store, conversation_id = self.store, self.conversation.id

        def pick() -> tuple[str, str | None, list[StoredMessage]] | None:
            messages = store.all_messages(conversation_id)
            ids = [m.id for m in siblings(messages, message_id)]
            if message_id not in ids:
                return None
            index = ids.index(message_id) + step
            if not 0 <= index < len(ids):
                return None
            leaf = latest_leaf(messages, ids[index])
            store.set_active_leaf(conversation_id, leaf)
            return ids[index], leaf, path_to(messages, leaf)

        picked = await asyncio.to_thread(pick)
        if picked is None:
            return None
        target, leaf, path = picked
        self.conversation.active_leaf_id = leaf
        self._path = path
        return target

    # ------------------------------------------------------------------ editing

    def switch(self, connection: Connection, model: str) -> None:
        """The next request goes to `connection` and `model` (the past is untouched)."""
        self.store.set_conversation_model(self.conversation.id, connection.slug, model)
        self.conversation.connection_slug = connection.slug
        self.conversation.model = model

    def set_system_prompt(self, text: str | None) -> None:
        """None or blank: use the connection's default system prompt."""
        value = text if text and text.strip() else None
        self.store.set_system_prompt(self.conversation.id, value)
        self.conversation.system_prompt = value

    def rename(self, title: str) -> None:
        """A blank title gives back the one from the first prompt (the store says which)."""
        self.conversation.title = self.store.rename(self.conversation.id, title)

    async def name_with_model(self) -> str | None:
        """With `settings.ai_titles` on, after the first answer of a new conversation: ask the
        model that wrote it for a title and store it. The title it returns, else None.

        Nothing is asked when the setting is off, when this is not a conversation's first
        exchange, when the answer did not end well, when the user gave it a title of their own,
        or when the answer's connection is gone (never another provider: see chat/titles.py).
        A failed request is logged and the first prompt's title stays. A rename made while the
        title was asked for wins.
        """
        from craft_tui.chat.titles import read_title, title_request

        if not self._settings().ai_titles:
            return None
        path = self._path
        if len(path) != 2 or path[0].role != "user" or path[1].role != "assistant":
            return None
        prompt, answer = path
        if answer.finish_reason != "stop" or not answer.text.strip() or not answer.model:
            return None
        conversation_id = self.conversation.id
        default = await asyncio.to_thread(self.store.default_title, conversation_id)
        if self.conversation.title != default:
            return None  # named by the user
        config = self._current_config()
        connection = next(
            (c for c in (config.connections if config else ()) if c.slug == answer.connection_slug),
            None,
        )
        if connection is None:
            return None
        request = title_request(answer.model, prompt.text, answer.text)
        try:
            opened = self._driver_opener(connection)
            driver = await opened if inspect.isawaitable(opened) else opened
            events = driver.stream(request)
            try:
                title = await read_title(events)
            finally:
                await _aclose(events)  # read_title stops early: the response is closed
        except ProviderError as error:
            log.info("no title from %s: %s", connection.slug, error.kind.value)
            return None
        if title is None or self.conversation.title != default:
            return None
        stored = await asyncio.to_thread(self.store.rename, conversation_id, title)
        if self.conversation.id == conversation_id:
            self.conversation.title = stored
        return stored

    def set_generation(self, params: GenerationParams) -> None:
        """Use `params` from the next request on, and keep them with the conversation (a store
        call: the UI runs it in a thread)."""
        self.store.set_generation(self.conversation.id, params)
        self.generation = params
        self.conversation.generation = None if params.empty else params

    def delete_message(self, message_id: str) -> None:
        """Delete a message and everything that followed it."""
        self.store.delete_message(message_id)
        self.reload()

    # ------------------------------------------------------------------ target

    def _current_config(self) -> Config | None:
        return self._config() if callable(self._config) else self._config

    def _settings(self) -> Settings:
        """`[settings]` as they are now (the defaults without a config)."""
        config = self._current_config()
        return config.settings if config is not None else Settings()

    def _max_answer_bytes(self) -> int:
        """How much one answer may hold (settings.max_answer_mb); the driver enforces it."""
        return self._settings().max_answer_bytes

    def target(self) -> tuple[Connection | None, str | None]:
        """The connection and model the next request goes to.

        The conversation's own choice, else (its connection was deleted, or none was ever set)
        the default connection with its default model. Always looked up in the config as it is
        now (never a copy kept from `switch`): an edited connection is used as edited, and what
        the status line shows (it asks this too) is where the request goes.
        """
        config = self._current_config()
        slug = self.conversation.connection_slug
        if slug is not None and config is not None:
            connection = next((c for c in config.connections if c.slug == slug), None)
            if connection is not None:
                return connection, self.conversation.model or connection.effective_default_model
        fallback = config.default_connection if config is not None else None
        if fallback is None:
            return None, None
        return fallback, fallback.effective_default_model

    # ------------------------------------------------------------------ sending

    def send(
        self, text: str, attachments: Sequence[AttachmentPart] = ()
    ) -> AsyncIterator[SessionEvent]:
        """Save `text` (and any attachments, with their bytes) as the next prompt on the active
        path and stream the answer."""
        if not text.strip() and not attachments:
            raise ValueError("Nothing to send: the prompt is empty.")
        parts: Parts = ((TextPart(text),) if text else ()) + tuple(attachments)
        return self._send(parts)

    async def _send(self, parts: Parts) -> AsyncIterator[SessionEvent]:
        parent = self._path[-1].id if self._path else None
        saved = self._save_prompt(parent, parts)  # on disk before any network I/O
        # Told once the request is on its way: the screen mounts the prompt's view while the
        # request goes out, not before (Enter → request on the wire, issue 16).
        async with contextlib.aclosing(self._answer_steps(opening=(saved,))) as answer:
            async for event in answer:
                yield event

    async def edit_and_resend(
        self, user_message_id: str, new_text: str
    ) -> AsyncIterator[SessionEvent]:
        """Save `new_text` as a sibling of a user message (a new branch) and answer it.

        The original prompt and everything after it stay in history, one branch away; the new
        prompt keeps the original's attachments.
        """
        original = self.store.get_message(user_message_id)
        if original.role != "user" or original.conversation_id != self.conversation.id:
            raise ValueError("Only a prompt of this conversation can be edited.")
        self._path = self._path_to(original.parent_id)
        saved = self._save_prompt(original.parent_id, with_text(original.parts, new_text))
        async with contextlib.aclosing(self._answer_steps(opening=(saved,))) as answer:
            async for event in answer:
                yield event

    async def regenerate(self, message_id: str) -> AsyncIterator[SessionEvent]:
        """Ask again for an answer, with the current connection and model.

        `message_id` is the answer to replace (kept as a sibling) or a prompt left unanswered.
        """
        message = self.store.get_message(message_id)
        if message.conversation_id != self.conversation.id:
            raise ValueError("That message belongs to another conversation.")
        prompt_id = message.parent_id if message.role == "assistant" else message.id
        if prompt_id is None:
            raise ValueError("There is no prompt to answer.")
        self._path = self._path_to(prompt_id)
        async with contextlib.aclosing(self._answer_steps()) as answer:
            async for event in answer:
                yield event

    async def continue_tools(self) -> AsyncIterator[SessionEvent]:
        """Go on after `ToolStepLimit`: answer the tool results at the end of the path."""
        if not self._path or self._path[-1].role != "tool":
            raise ValueError("There are no tool results to go on from.")
        async with contextlib.aclosing(self._answer_steps()) as answer:
            async for event in answer:
                yield event

    async def _answer_steps(
        self, opening: tuple[SessionEvent, ...] = ()
    ) -> AsyncGenerator[SessionEvent, None]:
        """Answers, and the tool calls they make, until an answer makes none.

        `opening` (the `UserSaved` of a new prompt) is passed on by the first answer, right
        after its request has started.

        Each answer is a row of its own, and the results of its calls one "tool" row after it,
        so every step is on disk as it happens; the request builder sends the path as is. At
        `max_steps` rounds the loop stops with `ToolStepLimit` (`continue_tools()` goes on).
        Cancelled while calls run: the results so far are stored, the rest as cancelled.
        """
        runner = self.tools
        specs: tuple[ToolSpec, ...] = ()
        if runner is not None:
            specs = await runner.offered()
            fresh = tuple(p for p in runner.problems() if p not in self._reported_problems)
            if fresh:
                self._reported_problems.update(fresh)
                yield ToolsUnavailable(fresh)
        steps = 0
        while True:
            final: StoredMessage | None = None
            async with contextlib.aclosing(self._answer(specs, opening)) as answer:
                opening = ()
                async for event in answer:
                    yield event
                    if isinstance(event, AnswerFinished):
                        final = event.message
            calls = [p for p in final.parts if isinstance(p, ToolCallPart)] if final else []
            if runner is None or final is None or not calls:
                return
            steps += 1
            offered = {spec.name: spec for spec in specs}
            results: list[ToolResultPart] = []
            try:
                for call in calls:
                    spec = offered.get(call.name)
                    yield ToolRunStarted(call, spec)
                    started = self._clock()
                    result = await runner.run(call, spec)
                    results.append(result)
                    yield ToolRunFinished(call, result, self._clock() - started)
            except (asyncio.CancelledError, GeneratorExit):
                # The words `craft-tui ask --tools` uses too (chat/tool_loop.py).
                ran = {result.call_id for result in results}
                stopped_at = len(results)
                results += [
                    ToolResultPart(
                        call.id,
                        CANCELLED_WHILE_RUNNING if index == stopped_at else NOT_RUN,
                        True,
                        call.name,
                    )
                    for index, call in enumerate(calls)
                    if call.id not in ran
                ]
                try:
                    self._save_tool_results(final, results)
                except HistoryError as error:
                    log.error("could not save the tool results: %s", error)
                raise
            stored = await asyncio.to_thread(self._store_tool_results, final, results)
            yield ToolResultsSaved(self._tool_row_on_path(stored))
            if steps >= runner.max_steps:
                yield ToolStepLimit(steps)
                return

    def _save_tool_results(
        self, answer: StoredMessage, results: Sequence[ToolResultPart]
    ) -> StoredMessage:
        return self._tool_row_on_path(self._store_tool_results(answer, results))

    def _store_tool_results(
        self, answer: StoredMessage, results: Sequence[ToolResultPart]
    ) -> StoredMessage:
        """The store's part (thread-safe): the session's path is updated on the loop."""
        return self.store.add_message(
            self.conversation.id, parent_id=answer.id, role="tool", parts=tuple(results)
        )

    def _tool_row_on_path(self, message: StoredMessage) -> StoredMessage:
        self._path.append(message)
        self.conversation.active_leaf_id = message.id
        return message

    def _path_to(self, leaf_id: str | None) -> list[StoredMessage]:
        if leaf_id is None:
            return []
        return path_to(self.store.all_messages(self.conversation.id), leaf_id)

    def _save_prompt(self, parent_id: str | None, parts: Parts) -> UserSaved:
        message = self.store.add_message(
            self.conversation.id, parent_id=parent_id, role="user", parts=parts
        )
        self._path.append(message)
        self.conversation.active_leaf_id = message.id
        if not self.conversation.title:
            self.conversation.title = self.store.get_conversation(self.conversation.id).title
        return UserSaved(message)

    async def _answer(
        self, tools: tuple[ToolSpec, ...] = (), opening: tuple[SessionEvent, ...] = ()
    ) -> AsyncGenerator[SessionEvent, None]:
        """Stream one answer to the last prompt (or tool results) of the active path into a new
        assistant row, offering `tools`.

        `opening` and `AnswerStarted` are yielded once the request has started (the reader task
        is scheduled), so the screen mounts its views while the request goes out rather than
        before it; when the request cannot even be built they come just before `AnswerFailed`.
        """
        connection, model = self.target()
        prompt = self._path[-1]
        slug = connection.slug if connection is not None else self.conversation.connection_slug
        row = self.store.add_message(
            self.conversation.id,
            parent_id=prompt.id,
            role="assistant",
            text="",
            connection_slug=slug,
            model=model,
        )
        # Held while this process writes it: another app on this history does not call it
        # interrupted (chat/live.py); the OS lets it go if this process dies.
        lease = AnswerLease(self.store.path, row.id)
        self._path.append(row)
        self.conversation.active_leaf_id = row.id
        announce: tuple[SessionEvent, ...] = (*opening, AnswerStarted(row))

        answer = _Answer(self._clock(), self._save_interval, self._save_chars)
        try:
            if connection is None or not model:
                raise _no_target_error(connection)
            request = replace(
                build_request(
                    self._path[:-1],
                    self.conversation,
                    connection,
                    model,
                    attachments=self.store.attachment_data,
                    generation=self.generation,
                    settings=self._settings(),
                ),
                max_answer_bytes=self._max_answer_bytes(),
                tools=tools,
            )
            opened = self._driver_opener(connection)
            driver = await opened if inspect.isawaitable(opened) else opened
            answer.started = self._clock()
            saver = _PartialSaver(
                self.store,
                row.id,
                answer,
                self._clock,
                self._save_interval if self._idle_save else None,
            )
            inbox = _Inbox()
            reader = asyncio.ensure_future(self._read(driver.stream(request), inbox))
            try:
                for event in announce:
                    yield event
                announce = ()
                while True:
                    batch = inbox.take()
                    if batch:
                        handed = self._handed_over(batch, answer)
                        # Handed on before the save may wait: an Esc landing in that wait
                        # then finds on screen all the text it saves.
                        for item in handed:
                            yield item
                        await saver.arrived()
                        continue
                    if reader.done():
                        break
                    await inbox.wait()
                reader.result()  # the driver's error, if it failed: after the text it sent
            finally:
                saver.stop()
                await _stop_reader(reader)
        except ProviderError as error:
            failed = await self._finish_off_loop(
                row, answer, connection, model, "error", error.kind.value, error.message
            )
            lease.release()
            for event in announce:
                yield event
            yield AnswerFailed(failed, error)
            return
        except (asyncio.CancelledError, GeneratorExit):
            self._finish_quietly(row, answer, connection, model, "cancelled")
            lease.release()
            raise
        except Exception as error:
            self._finish_quietly(
                row,
                answer,
                connection,
                model,
                "error",
                ErrorKind.UNKNOWN.value,
                f"Something went wrong inside craft-tui ({type(error).__name__}).",
            )
            lease.release()
            raise
        done = await self._finish_off_loop(
            row, answer, connection, model, answer.finish_reason or "stop"
        )
        lease.release()
        yield AnswerFinished(done)

    async def _read(self, events: AsyncIterator[StreamEvent], inbox: _Inbox) -> None:
        """Pull the driver's events as fast as they come (a task of its own) into `inbox`.

        Per event this costs the driver's parse and one list append; the consumer takes
        everything that arrived since it last looked in one go (`_handed_over`).
        """
        turn = _Turn()
        try:
            async for event in events:
                await turn.maybe_yield()
                inbox.put(event)
        finally:
            inbox.wake()
            await _aclose(events)

    def _handed_over(self, batch: list[StreamEvent], answer: _Answer) -> list[SessionEvent]:
        """Account for a batch of driver events in the answer; the events to pass on: each run
        of deltas of one kind joined into one chunk, usage where it came."""
        out: list[SessionEvent] = []
        run: list[str] = []
        kind: type[TextChunk | ReasoningChunk] | None = None
        now = self._clock()
        for event in batch:
            match event:
                case TextDelta(text=text) if text:
                    answer.add_text(text, now)
                    if kind is not TextChunk:
                        if run:
                            out.append(kind("".join(run)))  # type: ignore[misc]
                        run, kind = [], TextChunk
                    run.append(text)
                case ReasoningDelta(text=text) if text:
                    answer.add_reasoning(text, now)
                    if kind is not ReasoningChunk:
                        if run:
                            out.append(kind("".join(run)))  # type: ignore[misc]
                        run, kind = [], ReasoningChunk
                    run.append(text)
                case ReasoningSignature(signature=signature) if signature:
                    answer.sign(signature)
                case RedactedReasoning(data=data) if data:
                    answer.add_redacted(data)
                case ToolCallStarted(index=index, name=name):
                    if run:
                        out.append(kind("".join(run)))  # type: ignore[misc]
                        run, kind = [], None
                    out.append(ToolCallAnnounced(index, name))
                case ToolCallReady(call=call):
                    answer.add_tool_call(call)
                case Usage():
                    usage = answer.usage
                    answer.usage = event if usage is None else usage.merged(event)
                    if run:
                        out.append(kind("".join(run)))  # type: ignore[misc]
                        run, kind = [], None
                    out.append(UsageUpdate(answer.usage))
                case Finish(reason=reason):
                    answer.finish_reason = reason
        if run:
            out.append(kind("".join(run)))  # type: ignore[misc]
        return out

    def _finish(
        self,
        row: StoredMessage,
        answer: _Answer,
        connection: Connection | None,
        model: str | None,
        reason: str,
        error_kind: str | None = None,
        error_message: str | None = None,
    ) -> StoredMessage:
        return self._on_path(
            self._stored_finish(
                *self._finish_args(
                    row, answer, connection, model, reason, error_kind, error_message
                )
            )
        )

    def _finish_args(
        self,
        row: StoredMessage,
        answer: _Answer,
        connection: Connection | None,
        model: str | None,
        reason: str,
        error_kind: str | None,
        error_message: str | None,
    ) -> tuple[str, dict[str, Any]]:
        figures = answer.figures(self._clock())
        fields: dict[str, Any] = {
            "finish_reason": reason,
            "parts": answer.parts(),
            "cost_usd": self._cost(connection, model, answer.usage),
            "error_kind": error_kind,
            "error_message": error_message,
            **figures,
        }
        return row.id, fields

    def _stored_finish(self, row_id: str, fields: dict[str, Any]) -> StoredMessage:
        return self.store.finish_message(row_id, **fields)

    def _on_path(self, stored: StoredMessage) -> StoredMessage:
        if self._path and self._path[-1].id == stored.id:
            self._path[-1] = stored
        return stored

    async def _finish_off_loop(
        self,
        row: StoredMessage,
        answer: _Answer,
        connection: Connection | None,
        model: str | None,
        reason: str,
        error_kind: str | None = None,
        error_message: str | None = None,
    ) -> StoredMessage:
        """`_finish`, in a thread for a long answer (see `OFF_LOOP_SAVE_CHARS`). Not used when
        cancelled: there the save must not wait on anything that could be cancelled again."""
        args = self._finish_args(row, answer, connection, model, reason, error_kind, error_message)
        if answer.size < OFF_LOOP_SAVE_CHARS:
            return self._on_path(self._stored_finish(*args))
        return self._on_path(await asyncio.to_thread(self._stored_finish, *args))

    def _finish_quietly(self, *args: Any) -> None:
        """Record the end while an exception is already on its way: never mask it."""
        try:
            self._finish(*args)
        except HistoryError as error:
            log.error("could not save the partial answer: %s", error)

    def _cost(
        self, connection: Connection | None, model: str | None, usage: Usage | None
    ) -> float | None:
        if usage is None:
            return None
        if self._cost_fn is None or connection is None or model is None:
            return usage.cost_usd
        try:
            return self._cost_fn(connection, model, usage)
        except Exception:  # a pricing bug must not lose the answer
            log.exception("cost calculation failed")
            return usage.cost_usd


def _no_target_error(connection: Connection | None) -> ProviderError:
    if connection is None:
        return ProviderError(
            ErrorKind.UNKNOWN,
            "This conversation has no connection to send to.",
            "Add a connection (or pick one for this conversation), then retry.",
        )
    return ProviderError(
        ErrorKind.MODEL_NOT_FOUND,
        f"No model is chosen for {connection.name}.",
        "Pick a model for this conversation, then retry.",
    )
