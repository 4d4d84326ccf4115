"""`HistoryStore`: conversations and their message trees in SQLite (`paths.history_file()`).

Why SQLite: a partial answer must survive kill -9, and a history of 10,000 conversations must
open instantly. WAL + `synchronous=NORMAL` makes each small commit durable against a crash of
the app; `busy_timeout` lets two craft-tui windows share the file; foreign keys with
`ON DELETE CASCADE` delete a message's whole subtree (and a conversation's messages) in one
statement. Opening reads only the schema version: no scans at start-up.

API (synchronous; every call is a few small statements; safe from any thread):

    store = HistoryStore.open()                       # or HistoryStore.open(path)
    conv = store.create_conversation(connection_slug="or", model="m", system_prompt=None)
    store.list_conversations(limit=50, offset=0, query="rust")   # newest first; empty ones hidden
    store.list_conversations(title="rust")           # titles only (cheap: no message text read)
    store.search("rust borrow", limit=50)            # full text: SearchResults of SearchHit rows
    store.open_at(message_id)                         # the branch holding it becomes the active one
    conv, path = store.load_conversation(conv.id)     # the active path, root first
    store.all_messages(conv.id)                       # every branch, oldest first
    store.last_conversation_id()
    msg = store.add_message(conv.id, parent_id=None, role="user", text="hi")  # becomes active leaf
    store.add_message(conv.id, parent_id=…, role="user", parts=(TextPart("see"), image))
    store.update_message_parts(msg.id, parts)        # throttled saves of a growing answer
    store.update_message_text(msg.id, "partial…", reasoning="…")  # the same, for plain content
    store.finish_message(msg.id, finish_reason="stop", parts=…, input_tokens=…, cost_usd=…)
    #   (figures: input/output/cached/cache_write/reasoning tokens, cost, ttft, speed, error)
    store.attachment_data([part.id])                  # an attachment's bytes, by SHA-256
    store.delete_message(msg.id)                      # and its subtree; returns the new active leaf
    store.set_active_leaf(conv.id, leaf_id)
    store.rename(conv.id, "title"); store.set_system_prompt(conv.id, None)
    store.rename(conv.id, "")                         # back to the title from the first prompt
    store.set_pinned(conv.id, True)                   # pinned ones list first (pinned_first=True)
    store.conversation_figures([conv.id])             # messages, answers, tokens, cost sums
    store.usage(since=None)                           # answers per day and connection (--stats)
    store.set_conversation_model(conv.id, "slug", "model"); store.delete_conversation(conv.id)
    store.import_conversation(conv, messages, attachments={sha: data})   # as given (imports)

Content is stored as parts (chat/stored_parts.py says how); `messages.text` and `.reasoning`
always hold the concatenated text and reasoning, for search and the history list. Attachment
bytes are stored once per distinct file and deleted with the last message that uses them.

Full-text search (`search`) runs on an FTS5 index of `messages.text` (chat/migrations.py v3,
kept in step by triggers). What the user types is data: each word is quoted for FTS5, so a stray
quote, `AND`, `*`, `-` or a parenthesis is a character to find, never query syntax. Hits come
newest first (or best first, bm25); each carries a snippet of the message and the character
ranges of the match in it, so a screen can mark them as styles and never as markup. A Python
whose sqlite3 lacks FTS5 gets the same results from a LIKE scan, and `SearchResults.notice` says
why it is slower.

Every failure is a `HistoryError` whose message names the file. A file that is not a history
database, or one written by a newer craft-tui, is refused and left exactly as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import sqlite3
import threading
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from craft_tui.chat.conversation import (
    Conversation,
    Role,
    StoredMessage,
    derive_title,
    generation_from_json,
    generation_to_json,
    latest_leaf,
    path_to,
    utc_now,
)
from craft_tui.chat.migrations import (
    CACHE_WRITE_VERSION,
    FTS5_MISSING,
    FTS_TABLE,
    FULL_TEXT_VERSION,
    GENERATION_VERSION,
    MIGRATIONS,
    PINNED_VERSION,
    Migration,
    ensure_full_text,
    full_text_ready,
    migrate,
)
from craft_tui.chat.stored_parts import LoadedRow, attachments_in, parts_from, rows_for
from craft_tui.providers.content import AttachmentPart, Part, is_plain, reasoning_of, text_of

if TYPE_CHECKING:
    from craft_tui.config.generation import GenerationParams

BUSY_TIMEOUT_MS = 5000

_CONVERSATION_COLUMNS = (
    "id, title, system_prompt, created_at, updated_at, connection_slug, model, active_leaf_id"
)
# What a conversation is read with: `pinned` exists from schema v4, `generation` from v5 (a store
# opened on an older schema, as tests do, reads constants instead; inserts leave them to the
# columns' defaults).
_CONVERSATION_SELECT = _CONVERSATION_COLUMNS + ", pinned, generation"


def _conversation_select(version: int) -> str:
    pinned = "pinned" if version >= PINNED_VERSION else "0"
    generation = "generation" if version >= GENERATION_VERSION else "NULL"
    return f"{_CONVERSATION_COLUMNS}, {pinned}, {generation}"


_MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, text, reasoning, connection_slug, model, "
    "input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_usd, ttft_s, "
    "tokens_per_s, finish_reason, error_kind, error_message, created_at, updated_at"
)
# The columns a message is read with: `cache_write_tokens` exists from schema v6 (an older
# schema, as tests open, reads NULL; its writes leave the figure out).
_CACHE_WRITE = "cache_write_tokens"


def _message_select(version: int) -> str:
    cache_write = _CACHE_WRITE if version >= CACHE_WRITE_VERSION else "NULL"
    return f"{_MESSAGE_COLUMNS}, {cache_write}"


# Fields `finish_message` may set, in the order of the UPDATE.
_FINISH_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    _CACHE_WRITE,
    "reasoning_tokens",
    "cost_usd",
    "ttft_s",
    "tokens_per_s",
    "finish_reason",
    "error_kind",
    "error_message",
)


SNIPPET_TOKENS = 14
"""Words of context FTS5 puts in a snippet (a row of the history screen, ~80 characters)."""
SNIPPET_CHARS = 90
"""The same for the snippets made here (the LIKE search, and text holding the marker characters)."""
# Private-use characters FTS5 puts around each match in a snippet, turned into ranges at once.
# A message that itself holds one of them gets its snippet made here instead.
_OPEN, _CLOSE = "\ue000", "\ue001"

Order = Literal["newest", "best"]


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One message that matches: where it is, and a snippet with the match as ranges.

    `matches` are `(start, end)` offsets into `snippet` (end exclusive), in order, so the caller
    styles `snippet[start:end]`; the snippet is the stored text, never markup, and may hold
    anything a message can (control characters, newlines): display it disarmed.
    """

    conversation_id: str
    title: str
    message_id: str
    role: Role
    snippet: str
    matches: tuple[tuple[int, int], ...]
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class SearchResults:
    """The hits of one search; `notice` says when they come from the slower LIKE fallback."""

    hits: list[SearchHit]
    full_text: bool
    notice: str | None = None


def search_terms(query: str) -> list[str]:
    """The words of a typed query that can match anything: split on whitespace, and only those
    holding a letter or digit (what the unicode61 tokenizer indexes, private-use characters
    aside), so `-`, `*`, `(` or `"` alone is dropped rather than sent as an empty phrase."""
    return [t for t in query.split() if any(unicodedata.category(c)[0] in "LN" for c in t)]


PREFIX_FROM = 3
"""A word of at least this many characters also matches longer words ("pengu" finds penguins).
Shorter ones match whole words only: "a*" would merge the doclists of every word starting with a."""


def fts_query(terms: Sequence[str]) -> str:
    """An FTS5 MATCH expression that means "every one of these words", whatever they contain.

    Each term becomes a string (`"` doubled inside), so FTS5 reads no operator, column filter,
    NEAR, parenthesis or `*` from the user; the string is split into tokens by the same tokenizer
    as the text (`don't` is the phrase `don t`). Terms of PREFIX_FROM+ characters match as prefixes.
    """
    quoted = []
    for term in terms:
        phrase = '"' + term.replace('"', '""') + '"'
        quoted.append(phrase + "*" if len(term) >= PREFIX_FROM else phrase)
    return " ".join(quoted)


def _marked(snippet: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """FTS5's snippet with the marker characters taken out, and where they were as ranges."""
    text: list[str] = []
    ranges: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    for piece in re.split(f"([{_OPEN}{_CLOSE}])", snippet):
        if piece == _OPEN:
            start = length
        elif piece == _CLOSE:
            if start is not None and start < length:
                ranges.append((start, length))
            start = None
        else:
            text.append(piece)
            length += len(piece)
    return "".join(text), tuple(ranges)


def _fold(text: str) -> str:
    """Lower case without accents, one character for one (so offsets carry over): what the
    unicode61 tokenizer with remove_diacritics compares, near enough for marking matches."""
    out = []
    for ch in text:
        low = ch.lower()
        ch = low if len(low) == 1 else ch
        out.append(unicodedata.normalize("NFD", ch)[0] if ord(ch) > 0x7F else ch)
    return "".join(out)


def _word_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    """The words of `terms` as FTS5 matches them: a word start, then the word (and more of it
    from PREFIX_FROM characters on), in folded text."""
    tokens = {_fold(token) for term in terms for token in re.findall(r"[^\W_]+", term)}
    if not tokens:
        return None
    alternatives = [
        re.escape(token) + (r"[^\W_]*" if len(token) >= PREFIX_FROM else r"(?![^\W_])")
        for token in sorted(tokens, key=len, reverse=True)
    ]
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + ")")


def _made_snippet(text: str, terms: Sequence[str]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """A snippet of `text` around its first match of any term, with every match inside it
    marked: for the LIKE fallback, and for text holding the marker characters."""
    pattern = _word_pattern(terms)
    folded = _fold(text)
    first = pattern.search(folded) if pattern is not None else None
    if pattern is None or first is None:
        return text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""), ()
    begin = max(0, first.start() - SNIPPET_CHARS // 3)
    if begin:
        space = text.find(" ", begin, first.start())
        begin = space + 1 if space != -1 else begin
    end = min(len(text), begin + SNIPPET_CHARS)
    lead = "…" if begin else ""
    ranges = tuple(
        (len(lead) + m.start() - begin, len(lead) + min(m.end(), end) - begin)
        for m in pattern.finditer(folded, begin, end)
    )
    return lead + text[begin:end] + ("…" if end < len(text) else ""), ranges


def _like_words(terms: Sequence[str]) -> list[str]:
    """The words of `terms` for the LIKE fallback (punctuation around them left out)."""
    return [token for term in terms for token in re.findall(r"[^\W_]+", term)]


@dataclass(frozen=True, slots=True)
class ConversationFigures:
    """Sums over every message of a conversation (every branch: each answer was paid for).

    `cost_usd` sums the answers that have a stored cost (`priced` of them); `unpriced` counts,
    per connection slug, the answers that have none although something was spent (usage arrived,
    or the answer did not fail), which `chat/usage.py` calls local or unknown with the config.
    """

    messages: int = 0
    answers: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    priced: int = 0
    unpriced: tuple[tuple[str | None, int], ...] = ()
    # Per connection slug, the tokens its answers read from and wrote to the prompt cache: part
    # of the prompt, counted in `input_tokens` or on top of it as the slug's protocol says
    # (`chat/usage.py prompt_total`).
    cache_tokens: tuple[tuple[str | None, int], ...] = ()

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class UsageRow:
    """The answers of one local day on one connection (`history --stats`)."""

    day: str  # YYYY-MM-DD, the local date the answer was made
    connection_slug: str | None
    answers: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    priced: int
    unpriced: int
    cache_tokens: int = 0  # read from and written to the prompt cache (see ConversationFigures)


# An answer with no stored cost that still cost something we cannot price: usage arrived (a
# local server, or a model without a known price), or it was not a failure (stopped, cut off,
# killed mid-stream: the server charged tokens it never reported). A failed answer with no usage
# (refused, unreachable) cost nothing.
# (Used on answers only, so it reads nothing but the answers' covering indexes.)
_UNPRICED = (
    "(cost_usd IS NULL AND (input_tokens IS NOT NULL OR output_tokens IS NOT NULL OR "
    "reasoning_tokens IS NOT NULL OR error_kind IS NULL))"
)


class HistoryError(Exception):
    """The history database could not be opened, read or written; the message names the file."""


class NotFoundError(HistoryError, LookupError):
    """A conversation or message id that is not (or no longer) in the database."""


def new_id() -> str:
    return uuid.uuid4().hex


def _ts(value: datetime) -> str:
    """Fixed-width UTC text, so text order is time order (the updated_at index relies on it)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _like(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conversation(row: Sequence[Any]) -> Conversation:
    created = _dt(row[3])
    updated = _dt(row[4])
    assert created is not None and updated is not None
    return Conversation(
        id=row[0],
        title=row[1],
        system_prompt=row[2],
        created_at=created,
        updated_at=updated,
        connection_slug=row[5],
        model=row[6],
        active_leaf_id=row[7],
        pinned=bool(row[8]),
        generation=generation_from_json(row[9]),
    )


def _message(row: Sequence[Any], rows: Sequence[LoadedRow] = ()) -> StoredMessage:
    """A message from its `messages` row and its `message_parts` rows (none: plain content)."""
    parts = parts_from(rows, row[4], row[5]) if rows else ()
    return StoredMessage(
        id=row[0],
        conversation_id=row[1],
        parent_id=row[2],
        role=row[3],
        text=row[4],
        reasoning=row[5],
        connection_slug=row[6],
        model=row[7],
        input_tokens=row[8],
        output_tokens=row[9],
        cached_tokens=row[10],
        reasoning_tokens=row[11],
        cost_usd=row[12],
        ttft_s=row[13],
        tokens_per_s=row[14],
        finish_reason=row[15],
        error_kind=row[16],
        error_message=row[17],
        created_at=_dt(row[18]),
        updated_at=_dt(row[19]),
        parts=parts,
        cache_write_tokens=row[20],
    )


_PART_SELECT = (
    "SELECT p.message_id, p.kind, p.text_len, p.body, p.meta, p.attachment_id, a.size "
    "FROM message_parts p LEFT JOIN attachments a ON a.id = p.attachment_id "
)


def _part_rows(rows: Sequence[Sequence[Any]]) -> dict[str, list[LoadedRow]]:
    by_message: dict[str, list[LoadedRow]] = {}
    for row in rows:
        by_message.setdefault(row[0], []).append(LoadedRow(*row[1:]))
    return by_message


def _figures(messages: int, answers: Sequence[Sequence[Any]]) -> ConversationFigures:
    """One conversation's figures: its message count, and its answers' sums per connection
    (conversation, slug, answers, input, output, cost, priced, unpriced: see `_UNPRICED`, cache
    reads and writes)."""
    return ConversationFigures(
        messages=messages,
        answers=sum(int(row[2]) for row in answers),
        input_tokens=int(sum(row[3] for row in answers)),
        output_tokens=int(sum(row[4] for row in answers)),
        cost_usd=float(sum(row[5] for row in answers)),
        priced=sum(int(row[6]) for row in answers),
        unpriced=tuple((row[1], int(row[7])) for row in answers if row[7]),
        cache_tokens=tuple((row[1], int(row[8])) for row in answers if row[8]),
    )


def _create_private(path: Path) -> None:
    """Create an empty (valid, empty SQLite) file readable only by the user, if none exists.

    SQLite would create it 0644 and gives its `-wal` and `-shm` files the database's mode, so a
    0600 database (tightened if an older version left it looser) keeps all three private.
    """
    from craft_tui.config.paths import ensure_private_file

    ensure_private_file(path)


class HistoryStore:
    """Conversations and messages in one SQLite file. Open with `HistoryStore.open()`."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self.path = path
        self._lock = threading.RLock()
        self._reader: sqlite3.Connection | None = None  # for long searches, see `_search`
        self._reader_lock = threading.Lock()
        self.full_text = False  # the FTS5 index is there and kept in step (else LIKE search)
        self._select = _CONVERSATION_SELECT  # the columns a conversation is read with
        self._version = len(MIGRATIONS)  # the schema it was opened with (tests open older ones)
        self._messages = _message_select(self._version)  # the columns a message is read with

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls, path: Path | None = None, *, migrations: Sequence[Migration] = MIGRATIONS
    ) -> HistoryStore:
        """Open (creating or upgrading) the history database; raise `HistoryError` if it can't."""
        if path is None:
            from craft_tui.config.paths import history_file

            path = history_file()
        try:
            _create_private(path)
            db = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        except (OSError, sqlite3.Error) as error:
            raise HistoryError(f"Cannot open the history file {path}: {error}.") from None
        try:
            full_text = cls._prepare(db, path, migrations)
        except HistoryError:
            db.close()
            raise
        except sqlite3.Error as error:
            db.close()
            raise HistoryError(
                f"The history file {path} is not a readable craft-tui history database "
                f"({error}). It was left untouched: move it aside to start a new history."
            ) from None
        store = cls(db, path)
        store.full_text = full_text
        store._select = _conversation_select(len(migrations))
        store._version = len(migrations)
        store._messages = _message_select(store._version)
        return store

    @staticmethod
    def _prepare(db: sqlite3.Connection, path: Path, migrations: Sequence[Migration]) -> bool:
        """Check the version, set the pragmas, upgrade; return whether full-text search is on."""
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(migrations):
            raise HistoryError(
                f"The history file {path} was written by a newer craft-tui (schema version "
                f"{version}; this one knows up to {len(migrations)}). Upgrade craft-tui to open "
                "it; the file was left untouched."
            )
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        if version < len(migrations):
            migrate(db, migrations)
        # The full-text index exists from v3 on (tests open older schemas too).
        return len(migrations) >= FULL_TEXT_VERSION and HistoryStore._check_full_text(db)

    @staticmethod
    def _check_full_text(db: sqlite3.Connection) -> bool:
        """The index and its triggers, made whole if something is missing (see
        `migrations.ensure_full_text`); one read of the schema when all is there."""
        ready = full_text_ready(db)
        if ready is not None:
            return ready
        db.execute("BEGIN IMMEDIATE")
        try:
            usable = ensure_full_text(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return usable

    def close(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        with self._lock:
            self._db.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r})"

    # ------------------------------------------------------------------ plumbing

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._errors():
            yield self._db

    @contextlib.contextmanager
    def _search(self) -> Iterator[sqlite3.Connection]:
        """A second, read-only connection for the history list and its search.

        A text search over thousands of conversations can take a while; under WAL it runs beside
        the main connection, so it never holds up the partial-answer saves of a streaming reply.
        """
        with self._reader_lock, self._errors():
            if self._reader is None:
                reader = sqlite3.connect(
                    self.path,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
                reader.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                reader.execute("PRAGMA query_only = ON")
                self._reader = reader
            yield self._reader

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction; rolled back if anything inside raises."""
        with self._lock, self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise HistoryError(f"History file {self.path}: {error}.") from None

    # ------------------------------------------------------------------ conversations

    def create_conversation(
        self,
        *,
        connection_slug: str | None = None,
        model: str | None = None,
        system_prompt: str | None = None,
        title: str = "",
    ) -> Conversation:
        now = utc_now()
        conversation = Conversation(
            id=new_id(),
            title=title,
            system_prompt=system_prompt,
            created_at=now,
            updated_at=now,
            connection_slug=connection_slug,
            model=model,
        )
        with self._write() as db:
            db.execute(
                f"INSERT INTO conversations ({_CONVERSATION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                (
                    conversation.id,
                    title,
                    system_prompt,
                    _ts(now),
                    _ts(now),
                    connection_slug,
                    model,
                    None,
                ),
            )
        return conversation

    def get_conversation(self, conversation_id: str) -> Conversation:
        with self._read() as db:
            row = db.execute(
                f"SELECT {self._select} FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"No conversation {conversation_id} in {self.path}.")
        return _conversation(row)

    def list_conversations(
        self,
        limit: int = 50,
        offset: int = 0,
        query: str | None = None,
        *,
        include_empty: bool = False,
        title: str | None = None,
        pinned_first: bool = False,
    ) -> list[Conversation]:
        """Newest activity first (with `pinned_first`, the pinned ones first, each group newest
        first: the history list's order). `query` matches titles and message text
        (case-insensitive for ASCII, one LIKE scan of every message: `search` is the fast way
        into message text); `title` matches titles only. Conversations without a message are
        hidden unless `include_empty`."""
        where: list[str] = []
        params: list[Any] = []
        if not include_empty:
            where.append("EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)")
        if title and title.strip():
            where.append("c.title LIKE ? ESCAPE '\\'")
            params.append(_like(title.strip()))
        if query and query.strip():
            pattern = _like(query.strip())
            where.append(
                "(c.title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM messages m "
                "WHERE m.conversation_id = c.id AND m.text LIKE ? ESCAPE '\\'))"
            )
            params += [pattern, pattern]
        sql = self._list_sql(where, pinned_first=pinned_first)
        with self._search() as db:
            rows = db.execute(sql, (*params, limit, offset)).fetchall()
        return [_conversation(row) for row in rows]

    def _list_sql(self, where: list[str], *, pinned_first: bool) -> str:
        names = [name.strip() for name in self._select.split(",")]
        columns = ", ".join(
            f"c.{name}" if name.isidentifier() and name != "NULL" else name for name in names
        )
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        # Pinned first walks the (pinned, updated_at) index backwards: no sort of the whole table.
        first = "c.pinned DESC, " if pinned_first and ", pinned," in self._select else ""
        return (
            f"SELECT {columns} FROM conversations c{clause} "
            f"ORDER BY {first}c.updated_at DESC, c.rowid DESC LIMIT ? OFFSET ?"
        )

    def search(
        self, query: str, *, limit: int = 50, offset: int = 0, order: Order = "newest"
    ) -> SearchResults:
        """Messages whose text holds every word of `query` (each a word prefix from
        PREFIX_FROM characters on), newest first or, with `order="best"`, most relevant (bm25)
        first. Never raises for what the query contains: it is data (see `fts_query`)."""
        terms = search_terms(query)
        if not terms or limit <= 0:
            return SearchResults([], self.full_text, None if self.full_text else FTS5_MISSING)
        if not self.full_text:
            hits = self._like_search(terms, limit, offset)
            return SearchResults(hits, False, FTS5_MISSING)
        # The MATCH runs on its own, in FTS5's order (rowid, or rank) with the LIMIT pushed into
        # it: a word found in 100,000 messages costs as much as one found in 50. `rank` is only
        # named when asked for: bm25 reads every matching doclist in full to weigh the words.
        ranking = "rank" if order == "best" else "rowid DESC"
        with self._search() as db:
            found = db.execute(
                f"SELECT rowid, snippet({FTS_TABLE}, 0, '{_OPEN}', '{_CLOSE}', '…', "
                f"{SNIPPET_TOKENS}) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ? "
                f"ORDER BY {ranking} LIMIT ? OFFSET ?",
                (fts_query(terms), limit, offset),
            ).fetchall()
            rowids = [row[0] for row in found]
            rows: dict[int, Sequence[Any]] = {}
            for at in range(0, len(rowids), 500):  # under SQLite's limit of bound values
                chunk = rowids[at : at + 500]
                for row in db.execute(
                    "SELECT m.rowid, m.id, m.conversation_id, c.title, m.role, m.created_at, "
                    f"instr(m.text, '{_OPEN}') OR instr(m.text, '{_CLOSE}') FROM messages m "
                    "JOIN conversations c ON c.id = m.conversation_id "
                    f"WHERE m.rowid IN ({','.join('?' * len(chunk))})",
                    chunk,
                ):
                    rows[row[0]] = row[1:]
            hits = []
            for rowid, fts_snippet in found:
                row = rows.get(rowid)
                if row is None:
                    continue  # deleted between the two reads
                if row[5]:  # the message holds a marker character: its snippet is made here
                    text = db.execute("SELECT text FROM messages WHERE rowid = ?", (rowid,))
                    snippet, ranges = _made_snippet(str(text.fetchone()[0]), terms)
                else:
                    snippet, ranges = _marked(fts_snippet)
                hits.append(SearchHit(row[1], row[2], row[0], row[3], snippet, ranges, _dt(row[4])))
        return SearchResults(hits, True)

    def _like_search(self, terms: Sequence[str], limit: int, offset: int) -> list[SearchHit]:
        """The search without FTS5: every word as a LIKE over every message (a full scan)."""
        words = _like_words(terms)
        where = " AND ".join("m.text LIKE ? ESCAPE '\\'" for _ in words)
        sql = (
            "SELECT m.id, m.conversation_id, c.title, m.role, m.created_at, m.text FROM messages m "
            f"JOIN conversations c ON c.id = m.conversation_id WHERE {where} "
            "ORDER BY m.rowid DESC LIMIT ? OFFSET ?"
        )
        with self._search() as db:
            rows = db.execute(sql, (*(_like(w) for w in words), limit, offset)).fetchall()
        return [
            SearchHit(row[1], row[2], row[0], row[3], *_made_snippet(row[5], terms), _dt(row[4]))
            for row in rows
        ]

    def open_at(self, message_id: str) -> str:
        """Make the branch holding this message the conversation's active one; return the
        conversation's id. A message already on the active path keeps it; otherwise the newest
        branch below the message is shown (as switching to it with [ and ] would).

        For a search hit: the conversation then opens with that message on screen."""
        with self._lock:
            message = self.get_message(message_id)
            conversation = self.get_conversation(message.conversation_id)
            messages = self.all_messages(conversation.id)
            if all(m.id != message_id for m in path_to(messages, conversation.active_leaf_id)):
                self.set_active_leaf(conversation.id, latest_leaf(messages, message_id))
            return conversation.id

    def conversation_ids(self, prefix: str, limit: int = 2) -> list[str]:
        """Ids starting with `prefix` (what a user types from a listing), at most `limit`."""
        with self._read() as db:
            rows = db.execute(
                "SELECT id FROM conversations WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                (prefix, prefix + "\U0010ffff", limit),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def message_counts(self, conversation_ids: Iterable[str]) -> dict[str, int]:
        """How many messages (every branch) each of these conversations holds."""
        wanted = sorted(set(conversation_ids))
        counts: dict[str, int] = {}
        with self._read() as db:
            for at in range(0, len(wanted), 500):  # under SQLite's limit of bound values
                chunk = wanted[at : at + 500]
                rows = db.execute(
                    "SELECT conversation_id, count(*) FROM messages WHERE conversation_id IN "
                    f"({','.join('?' * len(chunk))}) GROUP BY conversation_id",
                    chunk,
                ).fetchall()
                counts.update((str(row[0]), int(row[1])) for row in rows)
        return counts

    def conversation_figures(
        self, conversation_ids: Iterable[str]
    ) -> dict[str, ConversationFigures]:
        """Messages, answers, tokens and stored cost of each of these conversations, summed by
        SQLite: one grouped read per 500 ids, so Python sees a row per conversation and
        connection, never one per message (a 10,000-row listing stays fast:
        benchmarks/bench_history_cost.py). An id with no message is left out."""
        wanted = sorted(set(conversation_ids))
        counts: dict[str, int] = {}
        grouped: dict[str, list[Sequence[Any]]] = {}
        with self._search() as db:
            for at in range(0, len(wanted), 500):  # under SQLite's limit of bound values
                chunk = wanted[at : at + 500]
                marks = ",".join("?" * len(chunk))
                # Both read indexes only: messages_conversation for the counts, the answers'
                # covering index (chat/migrations.py v4) for the sums, in its order (no sort).
                counts.update(
                    (str(row[0]), int(row[1]))
                    for row in db.execute(
                        "SELECT conversation_id, count(*) FROM messages "
                        f"WHERE conversation_id IN ({marks}) GROUP BY conversation_id",
                        chunk,
                    )
                )
                for row in db.execute(
                    "SELECT conversation_id, connection_slug, count(*), total(input_tokens), "
                    "total(output_tokens), total(cost_usd), count(cost_usd), "
                    f"sum({_UNPRICED}), {self._cache_sum} FROM messages WHERE role = 'assistant' AND "
                    f"conversation_id IN ({marks}) GROUP BY conversation_id, connection_slug",
                    chunk,
                ):
                    grouped.setdefault(str(row[0]), []).append(row)
        return {cid: _figures(count, grouped.get(cid, ())) for cid, count in counts.items()}

    def usage(self, since: datetime | None = None) -> list[UsageRow]:
        """Every answer made since `since` (all of them for None), summed per local day and
        connection slug, oldest day first: what `history --stats` prints. Days are the local
        calendar's (SQLite's `localtime`, the same as Python's)."""
        where = "WHERE role = 'assistant'"
        params: tuple[Any, ...] = ()
        if since is not None:
            where += " AND created_at >= ?"
            params = (_ts(since),)
        with self._search() as db:
            rows = db.execute(
                "SELECT date(created_at, 'localtime') AS day, connection_slug, count(*), "
                "total(input_tokens), total(output_tokens), total(cost_usd), count(cost_usd), "
                f"sum({_UNPRICED}), {self._cache_sum} FROM messages {where} "
                "GROUP BY day, connection_slug "
                "ORDER BY day, connection_slug",
                params,
            ).fetchall()
        return [
            UsageRow(
                str(row[0]),
                row[1],
                int(row[2]),
                int(row[3]),
                int(row[4]),
                float(row[5]),
                int(row[6]),
                int(row[7] or 0),
                int(row[8]),
            )
            for row in rows
        ]

    @property
    def _cache_sum(self) -> str:
        """The tokens the answers read from and wrote to the prompt cache, summed."""
        if self._version < CACHE_WRITE_VERSION:
            return "total(cached_tokens)"
        return f"total(cached_tokens) + total({_CACHE_WRITE})"

    def last_conversation_id(self) -> str | None:
        """The conversation touched most recently (empty ones included: where the user left off)."""
        with self._read() as db:
            row = db.execute(
                "SELECT id FROM conversations ORDER BY updated_at DESC, rowid DESC LIMIT 1"
            ).fetchone()
        return None if row is None else str(row[0])

    def load_conversation(self, conversation_id: str) -> tuple[Conversation, list[StoredMessage]]:
        """The conversation and its active path (root first)."""
        conversation = self.get_conversation(conversation_id)
        return conversation, path_to(
            self.all_messages(conversation_id), conversation.active_leaf_id
        )

    def rename(self, conversation_id: str, title: str) -> str:
        """Set the title (whitespace squeezed to single spaces, one line); a blank one gives
        back the title made from the first prompt, as it was before any rename. Returns the
        title stored. Titles are the user's text: stored as typed, disarmed where shown."""
        with self._lock:
            squeezed = " ".join(title.split()) or self.default_title(conversation_id)
            self._update_conversation(conversation_id, "title", squeezed)
            return squeezed

    def default_title(self, conversation_id: str) -> str:
        """The title the first prompt gave the conversation (what `add_message` set): from the
        oldest user message that makes one; empty when there is none yet."""
        with self._read() as db:
            rows = db.execute(
                "SELECT text FROM messages WHERE conversation_id = ? AND role = 'user' "
                "ORDER BY created_at, rowid",
                (conversation_id,),
            )
            for (text,) in rows:
                made = derive_title(str(text))
                if made:
                    return made
        return ""

    def set_generation(self, conversation_id: str, params: GenerationParams) -> None:
        """Keep a conversation's own generation parameters (empty ones clear them)."""
        self._update_conversation(conversation_id, "generation", generation_to_json(params))

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        """Pin (listed first in the history) or unpin; the time of last activity is untouched."""
        self._update_conversation(conversation_id, "pinned", 1 if pinned else 0)

    def set_system_prompt(self, conversation_id: str, system_prompt: str | None) -> None:
        """None (or blank): fall back to the connection's default system prompt."""
        value = system_prompt if system_prompt and system_prompt.strip() else None
        self._update_conversation(conversation_id, "system_prompt", value)

    def set_conversation_model(
        self, conversation_id: str, connection_slug: str | None, model: str | None
    ) -> None:
        """Where the next request of this conversation goes."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE conversations SET connection_slug = ?, model = ? WHERE id = ?",
                (connection_slug, model, conversation_id),
            )
            self._found(cursor, conversation_id)

    def set_active_leaf(self, conversation_id: str, leaf_id: str | None) -> None:
        self._update_conversation(conversation_id, "active_leaf_id", leaf_id)

    def delete_conversation(self, conversation_id: str) -> None:
        """Delete it and all its messages (a missing id is not an error: it is gone either way)."""
        with self._write() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            self._drop_unused_attachments(db)

    def _update_conversation(self, conversation_id: str, column: str, value: Any) -> None:
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE conversations SET {column} = ? WHERE id = ?", (value, conversation_id)
            )
            self._found(cursor, conversation_id)

    def _found(self, cursor: sqlite3.Cursor, what: str) -> None:
        if cursor.rowcount == 0:
            raise NotFoundError(f"No conversation or message {what} in {self.path}.")

    # ------------------------------------------------------------------ messages

    def all_messages(self, conversation_id: str) -> list[StoredMessage]:
        """Every message of every branch, oldest first (attachments without their bytes)."""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {self._messages} FROM messages WHERE conversation_id = ? "
                "ORDER BY created_at, rowid",
                (conversation_id,),
            ).fetchall()
            parts = _part_rows(
                db.execute(
                    f"{_PART_SELECT} WHERE p.message_id IN "
                    "(SELECT id FROM messages WHERE conversation_id = ?) "
                    "ORDER BY p.message_id, p.seq",
                    (conversation_id,),
                ).fetchall()
            )
        return [_message(row, parts.get(row[0], ())) for row in rows]

    def get_message(self, message_id: str) -> StoredMessage:
        with self._read() as db:
            row = db.execute(
                f"SELECT {self._messages} FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            parts = _part_rows(
                db.execute(
                    f"{_PART_SELECT} WHERE p.message_id = ? ORDER BY p.seq", (message_id,)
                ).fetchall()
            )
        if row is None:
            raise NotFoundError(f"No message {message_id} in {self.path}.")
        return _message(row, parts.get(message_id, ()))

    def attachment_data(self, attachment_ids: Iterable[str]) -> dict[str, bytes]:
        """The bytes of these attachments (by SHA-256), for a request; unknown ids are left out."""
        wanted = sorted(set(attachment_ids))
        if not wanted:
            return {}
        with self._read() as db:
            rows = db.execute(
                f"SELECT id, data FROM attachments WHERE id IN ({','.join('?' * len(wanted))})",
                wanted,
            ).fetchall()
        return {str(row[0]): bytes(row[1]) for row in rows}

    @staticmethod
    def _write_parts(db: sqlite3.Connection, message_id: str, parts: Sequence[Part]) -> None:
        """Replace the part rows of a message (none for plain content) inside a transaction."""
        db.execute("DELETE FROM message_parts WHERE message_id = ?", (message_id,))
        if is_plain(parts):
            return
        for attachment in attachments_in(parts):
            db.execute(
                "INSERT OR IGNORE INTO attachments (id, size, data) VALUES (?,?,?)",
                (attachment.id, attachment.size, attachment.loaded()),
            )
        db.executemany(
            "INSERT INTO message_parts (message_id, seq, kind, text_len, body, meta, "
            "attachment_id) VALUES (?,?,?,?,?,?,?)",
            [(message_id, *row) for row in rows_for(parts)],
        )

    @staticmethod
    def _drop_unused_attachments(db: sqlite3.Connection) -> None:
        db.execute(
            "DELETE FROM attachments WHERE id NOT IN (SELECT attachment_id FROM message_parts "
            "WHERE attachment_id IS NOT NULL)"
        )

    def add_message(
        self,
        conversation_id: str,
        *,
        parent_id: str | None,
        role: Role,
        text: str = "",
        reasoning: str = "",
        connection_slug: str | None = None,
        model: str | None = None,
        activate: bool = True,
        parts: Sequence[Part] = (),
    ) -> StoredMessage:
        """Insert a message (as the new active leaf unless `activate=False`) in one commit.

        The content is `parts` when given (attachments carrying their bytes are stored with
        it), else `text` and `reasoning`. The first user prompt also names an untitled
        conversation.
        """
        now = utc_now()
        message = StoredMessage(
            id=new_id(),
            conversation_id=conversation_id,
            parent_id=parent_id,
            role=role,
            text=text,
            reasoning=reasoning,
            connection_slug=connection_slug,
            model=model,
            created_at=now,
            updated_at=now,
            parts=tuple(parts),
        )
        text, reasoning = message.text, message.reasoning
        with self._write() as db:
            if parent_id is not None:
                owner = db.execute(
                    "SELECT conversation_id FROM messages WHERE id = ?", (parent_id,)
                ).fetchone()
                if owner is None or owner[0] != conversation_id:
                    raise NotFoundError(f"No message {parent_id} in this conversation.")
            if (
                db.execute(
                    "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
                ).fetchone()
                is None
            ):
                raise NotFoundError(f"No conversation {conversation_id} in {self.path}.")
            db.execute(
                "INSERT INTO messages (id, conversation_id, parent_id, role, text, reasoning, "
                "connection_slug, model, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    message.id,
                    conversation_id,
                    parent_id,
                    role,
                    text,
                    reasoning,
                    connection_slug,
                    model,
                    _ts(now),
                    _ts(now),
                ),
            )
            self._write_parts(db, message.id, message.parts)
            sets = ["updated_at = ?"]
            params: list[Any] = [_ts(now)]
            if activate:
                sets.append("active_leaf_id = ?")
                params.append(message.id)
            if role == "user":
                title = derive_title(text)
                if title:
                    sets.append("title = CASE WHEN title = '' THEN ? ELSE title END")
                    params.append(title)
            cursor = db.execute(
                f"UPDATE conversations SET {', '.join(sets)} WHERE id = ?",
                (*params, conversation_id),
            )
            self._found(cursor, conversation_id)
        return message

    def update_message_text(self, message_id: str, text: str, reasoning: str | None = None) -> None:
        """Save plain content (text, and reasoning unless None): what `update_message_parts`
        does for an answer that is only that. Any part rows the message had are dropped."""
        with self._write() as db:
            db.execute("DELETE FROM message_parts WHERE message_id = ?", (message_id,))
            if reasoning is None:
                cursor = db.execute(
                    "UPDATE messages SET text = ?, updated_at = ? WHERE id = ?",
                    (text, _ts(utc_now()), message_id),
                )
            else:
                cursor = db.execute(
                    "UPDATE messages SET text = ?, reasoning = ?, updated_at = ? WHERE id = ?",
                    (text, reasoning, _ts(utc_now()), message_id),
                )
            self._found(cursor, message_id)

    def update_message_parts(self, message_id: str, parts: Sequence[Part]) -> None:
        """Save the answer so far as parts (called throttled while it streams).

        Plain content goes through `update_message_text`: one UPDATE of two columns, as before
        parts existed; anything else also rewrites the message's few part rows.
        """
        if is_plain(parts):
            self.update_message_text(message_id, text_of(parts), reasoning_of(parts))
            return
        with self._write() as db:
            cursor = db.execute(
                "UPDATE messages SET text = ?, reasoning = ?, updated_at = ? WHERE id = ?",
                (text_of(parts), reasoning_of(parts), _ts(utc_now()), message_id),
            )
            self._found(cursor, message_id)
            self._write_parts(db, message_id, parts)

    def finish_message(
        self,
        message_id: str,
        *,
        finish_reason: str,
        text: str | None = None,
        reasoning: str | None = None,
        connection_slug: str | None = None,
        model: str | None = None,
        parts: Sequence[Part] | None = None,
        **figures: Any,
    ) -> StoredMessage:
        """Record how an answer ended, with its final content and figures; return the stored row.

        The content is `parts` when given, else `text` / `reasoning` (plain content) where
        given, else what the last partial save left. `figures` are any of input_tokens,
        output_tokens, cached_tokens, cache_write_tokens, reasoning_tokens, cost_usd, ttft_s,
        tokens_per_s, error_kind, error_message (omitted ones stay NULL).
        """
        unknown = set(figures) - set(_FINISH_FIELDS)
        if unknown:
            raise TypeError(f"finish_message: unknown fields {sorted(unknown)}")
        values: dict[str, Any] = {name: figures.get(name) for name in _FINISH_FIELDS}
        if self._version < CACHE_WRITE_VERSION:
            del values[_CACHE_WRITE]
        values["finish_reason"] = finish_reason
        if parts is not None:
            text, reasoning = text_of(parts), reasoning_of(parts)
        if text is not None:
            values["text"] = text
        if reasoning is not None:
            values["reasoning"] = reasoning
        if connection_slug is not None:
            values["connection_slug"] = connection_slug
        if model is not None:
            values["model"] = model
        now = _ts(utc_now())
        values["updated_at"] = now
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE messages SET {assignments} WHERE id = ?", (*values.values(), message_id)
            )
            self._found(cursor, message_id)
            if parts is not None:
                self._write_parts(db, message_id, parts)
            elif text is not None or reasoning is not None:
                db.execute("DELETE FROM message_parts WHERE message_id = ?", (message_id,))
            db.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = "
                "(SELECT conversation_id FROM messages WHERE id = ?)",
                (now, message_id),
            )
        return self.get_message(message_id)

    def import_conversation(
        self,
        conversation: Conversation,
        messages: Sequence[StoredMessage],
        *,
        attachments: dict[str, bytes] | None = None,
        skip_existing: bool = False,
    ) -> Conversation | None:
        """Store a whole conversation as given (ids, times, figures), in one transaction.

        For imports: `messages` must list each parent before its children. An id already in the
        database gets a new one (references follow it), so importing a file twice never merges
        two conversations; with `skip_existing` a conversation whose id is taken is left out
        (None), for importers whose ids are derived from the source. `attachments` are the bytes
        of attachment parts, by SHA-256. Returns the conversation as stored.
        """
        data = attachments or {}
        with self._write() as db:

            def taken(table: str, row_id: str) -> bool:
                sql = f"SELECT 1 FROM {table} WHERE id = ?"
                return db.execute(sql, (row_id,)).fetchone() is not None

            conversation_id = conversation.id
            if taken("conversations", conversation_id):
                if skip_existing:
                    return None
                conversation_id = new_id()
            ids: dict[str, str] = {}
            for message in messages:
                ids[message.id] = new_id() if taken("messages", message.id) else message.id
            leaf = ids.get(conversation.active_leaf_id or "")
            stored = dataclasses.replace(conversation, id=conversation_id, active_leaf_id=leaf)
            db.execute(
                f"INSERT INTO conversations ({_CONVERSATION_SELECT}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    stored.id,
                    stored.title,
                    stored.system_prompt,
                    _ts(stored.created_at),
                    _ts(stored.updated_at),
                    stored.connection_slug,
                    stored.model,
                    leaf,
                    1 if stored.pinned else 0,
                    generation_to_json(stored.generation),
                ),
            )
            for message in messages:
                parent = None if message.parent_id is None else ids[message.parent_id]
                created = message.created_at or stored.created_at
                values = [getattr(message, name) for name in _MESSAGE_COLUMNS.split(", ")]
                values[:3] = [ids[message.id], stored.id, parent]
                values[-2:] = [_ts(created), _ts(message.updated_at or created)]
                columns = _MESSAGE_COLUMNS
                if self._version >= CACHE_WRITE_VERSION:
                    columns += f", {_CACHE_WRITE}"
                    values.append(message.cache_write_tokens)
                db.execute(
                    f"INSERT INTO messages ({columns}) VALUES ({','.join('?' * len(values))})",
                    values,
                )
                parts = [
                    dataclasses.replace(p, data=data[p.id])
                    if isinstance(p, AttachmentPart) and p.id in data
                    else p
                    for p in message.parts
                ]
                self._write_parts(db, ids[message.id], parts)
        return stored

    def delete_message(self, message_id: str) -> str | None:
        """Delete a message and everything below it; return the conversation's new active leaf.

        When the active path ran through the deleted message, the view moves to its parent (or,
        for a root, to the newest remaining branch).
        """
        with self._lock:
            message = self.get_message(message_id)
            conversation = self.get_conversation(message.conversation_id)
            with self._write() as db:
                db.execute("DELETE FROM messages WHERE id = ?", (message_id,))
                self._drop_unused_attachments(db)
            remaining = self.all_messages(message.conversation_id)
            leaf = conversation.active_leaf_id
            if leaf is None or not any(m.id == leaf for m in remaining):
                leaf = (
                    message.parent_id
                    if message.parent_id is not None
                    else latest_leaf(remaining, None)
                )
                self.set_active_leaf(message.conversation_id, leaf)
            return leaf
