"""Schema of `history.db`, versioned with `PRAGMA user_version`.

`MIGRATIONS[i]` turns a version-`i` database into version `i + 1`; the store runs the missing
ones in order, each in its own transaction together with the version bump, so a crash mid-upgrade
leaves the previous version intact. A database newer than `SCHEMA_VERSION` is refused, untouched.

Adding version 7 later means appending one function and never editing an old one, e.g.::

    def _v7_archived(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE conversations ADD COLUMN archived INTEGER NOT NULL DEFAULT 0")

    MIGRATIONS = (..., _v5_generation, _v6_cache_writes, _v7_archived)

(and the new column in `history.py`'s row mapping). Tests run a next version like that against
the current one, v2 against a database written by the v1 code, v4 to v6 against one written by
the v3 code (tests/chat/fixtures), and v6 against one written by the v5 code.

Foreign keys are off while the steps run (SQLite cannot switch them inside a transaction, and a
table rebuild needs them off: dropping the old table would otherwise cascade); each step is
checked with `PRAGMA foreign_key_check` before its commit instead.

v3 adds the full-text index (FTS5, external content over `messages.text`, kept in step by
triggers). A later step that rebuilds `messages` as v2 did drops those triggers with the old
table; the store notices at the next open (`ensure_full_text`) and rebuilds the index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

Migration = Callable[[sqlite3.Connection], None]


def _v1_initial(db: sqlite3.Connection) -> None:
    """Conversations and their message tree; indexes for the history list and tree walks."""
    db.execute(
        """
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            system_prompt TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            connection_slug TEXT,
            model TEXT,
            active_leaf_id TEXT
        )
        """
    )
    db.execute("CREATE INDEX conversations_updated_at ON conversations (updated_at)")
    db.execute(
        """
        CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            parent_id TEXT REFERENCES messages (id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            text TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT '',
            connection_slug TEXT,
            model TEXT,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cached_tokens INTEGER,
            reasoning_tokens INTEGER,
            cost_usd REAL,
            ttft_s REAL,
            tokens_per_s REAL,
            finish_reason TEXT,
            error_kind TEXT,
            error_message TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX messages_conversation ON messages (conversation_id, created_at)")
    db.execute("CREATE INDEX messages_parent ON messages (parent_id)")


_V1_MESSAGE_COLUMNS = (
    "id, conversation_id, parent_id, role, text, reasoning, connection_slug, model, "
    "input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_usd, ttft_s, "
    "tokens_per_s, finish_reason, error_kind, error_message, created_at, updated_at"
)


def _v2_content_parts(db: sqlite3.Connection) -> None:
    """Content as parts: tool results get a role, and what is more than text and reasoning
    (signed thinking, attachments, tool calls and results) gets rows of its own.

    The role's CHECK can only change by rebuilding `messages`: a copy with the wider CHECK,
    every row copied with its rowid (the tie-break of the message order), the old table dropped
    and the copy renamed. Text and reasoning stay in their columns, so every existing message is
    a plain one and needs no part rows (chat/stored_parts.py).
    """
    db.execute(
        """
        CREATE TABLE messages_v2 (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            parent_id TEXT REFERENCES messages_v2 (id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
            text TEXT NOT NULL DEFAULT '',
            reasoning TEXT NOT NULL DEFAULT '',
            connection_slug TEXT,
            model TEXT,
            input_tokens INTEGER,
            output_tokens INTEGER,
            cached_tokens INTEGER,
            reasoning_tokens INTEGER,
            cost_usd REAL,
            ttft_s REAL,
            tokens_per_s REAL,
            finish_reason TEXT,
            error_kind TEXT,
            error_message TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        f"INSERT INTO messages_v2 (rowid, {_V1_MESSAGE_COLUMNS}) "
        f"SELECT rowid, {_V1_MESSAGE_COLUMNS} FROM messages"
    )
    db.execute("DROP TABLE messages")  # its indexes go with it
    db.execute("ALTER TABLE messages_v2 RENAME TO messages")  # and its self-reference follows
    db.execute("CREATE INDEX messages_conversation ON messages (conversation_id, created_at)")
    db.execute("CREATE INDEX messages_parent ON messages (parent_id)")
    db.execute(
        """
        CREATE TABLE attachments (
            id TEXT PRIMARY KEY,  -- SHA-256 of data, hex: each distinct file is stored once
            size INTEGER NOT NULL,
            data BLOB NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE message_parts (
            message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL
                CHECK (kind IN ('text', 'reasoning', 'attachment', 'tool_call', 'tool_result')),
            text_len INTEGER NOT NULL DEFAULT 0,
            body TEXT,
            meta TEXT,
            attachment_id TEXT REFERENCES attachments (id),
            PRIMARY KEY (message_id, seq)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        "CREATE INDEX message_parts_attachment ON message_parts (attachment_id) "
        "WHERE attachment_id IS NOT NULL"
    )


# ---------------------------------------------------------------- v3: full-text search

FTS_TABLE = "messages_fts"
FTS_TRIGGERS = ("messages_fts_insert", "messages_fts_delete", "messages_fts_update")
# A message is indexed by its text (what the user and the model wrote; reasoning is not searched).
# External content: the index holds only tokens, the text stays once in `messages.text`, and
# snippets are read from there by rowid. The triggers keep the two in step; a `'delete'` must be
# given exactly the text that was indexed, which `old.text` is, since every change of the column
# goes through the update trigger.
#
# `prefix`: word starts of 3 to 6 characters have doclists of their own. Without them FTS5 merges
# the doclist of every word with that start in full before the first hit: "sort" typed in a
# history where it is in most messages took 68 ms on 200,000 messages, 0.2 ms with them (about
# twice the index size). The screen searches as the user types, so every query is a word start.
FTS_USING = (
    "USING fts5(text, content='messages', content_rowid='rowid', "
    "tokenize='unicode61 remove_diacritics 2', prefix='3 4 5 6')"
)
_FTS_SQL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} {FTS_USING}",
    f"""
    CREATE TRIGGER IF NOT EXISTS messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO {FTS_TABLE} (rowid, text) VALUES (new.rowid, new.text);
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, text) VALUES ('delete', old.rowid, old.text);
    END
    """,
    # Partial saves of a streaming answer rewrite `text` every 0.5 s or so; a save that leaves it
    # as it was (finish_message with the same text) costs nothing here.
    f"""
    CREATE TRIGGER IF NOT EXISTS messages_fts_update AFTER UPDATE OF text ON messages
    WHEN old.text IS NOT new.text BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO {FTS_TABLE} (rowid, text) VALUES (new.rowid, new.text);
    END
    """,
)

_fts5: bool | None = None


def fts5_available() -> bool:
    """Whether this Python's sqlite3 has FTS5 (nearly every build; some distributions' do not).

    Asked once per process on a throwaway in-memory database (~0.1 ms)."""
    global _fts5
    if _fts5 is None:
        probe = sqlite3.connect(":memory:")
        try:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
            _fts5 = True
        except sqlite3.OperationalError:
            _fts5 = False
        finally:
            probe.close()
    return _fts5


FTS5_MISSING = (
    "Full-text search needs SQLite's FTS5, which this Python's sqlite3 module was built without; "
    "searching with a plain text match instead (slower on a long history). A Python whose "
    "sqlite3 has FTS5 (python.org and most distributions' builds) indexes the history when it "
    "next opens it."
)


FULL_TEXT_VERSION = 3
"""The schema version from which the full-text index exists."""


def _fts_objects(db: sqlite3.Connection) -> set[str]:
    """The index's table and triggers that exist; the table counts only when it is defined as
    FTS_USING says (an index made with other options is rebuilt by `ensure_full_text`)."""
    present = set()
    for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE name IN (?, ?, ?, ?)", (FTS_TABLE, *FTS_TRIGGERS)
    ):
        if name != FTS_TABLE or _using(str(sql)) == _using(FTS_USING):
            present.add(str(name))
        else:
            present.add(_OUTDATED)
    return present


_OUTDATED = "outdated index"


def _using(sql: str) -> str:
    at = sql.find("USING")
    return " ".join(sql[at:].split()) if at != -1 else ""


def full_text_ready(db: sqlite3.Connection) -> bool | None:
    """True: the index is whole and FTS5 is here; False: no FTS5 and no trigger to drop; None:
    `ensure_full_text` has work to do. One read of the schema, no transaction."""
    present = _fts_objects(db)
    if not fts5_available():
        return None if present & set(FTS_TRIGGERS) else False
    return True if present >= {FTS_TABLE, *FTS_TRIGGERS} else None


def ensure_full_text(db: sqlite3.Connection) -> bool:
    """Make the full-text index whole and in step, inside the caller's transaction; return
    whether it is usable. Cheap when nothing is missing (one look at `sqlite_master`).

    With FTS5 the table and its triggers are created when missing, and the index is rebuilt
    from `messages` whenever a trigger was missing (a file upgraded, or written to, by a Python
    without FTS5, or a future migration that rebuilds `messages`: dropping a table drops its
    triggers) or the table was made with other options than FTS_USING (a changed tokenizer or
    prefix list takes effect at the next open, without a migration). Without FTS5 the triggers are dropped, since they would make every write of a
    message fail ("no such module: fts5"); the history stays fully usable, searched with LIKE.
    """
    present = _fts_objects(db)
    if not fts5_available():
        for trigger in FTS_TRIGGERS:
            if trigger in present:
                db.execute(f"DROP TRIGGER {trigger}")
        return False
    if present >= {FTS_TABLE, *FTS_TRIGGERS}:
        return True
    if _OUTDATED in present:  # made with other options: made again, as FTS_USING says
        for trigger in FTS_TRIGGERS:
            db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        db.execute(f"DROP TABLE {FTS_TABLE}")
    for statement in _FTS_SQL:
        db.execute(statement)
    db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")
    return True


def _v3_full_text(db: sqlite3.Connection) -> None:
    """Full-text search over message text: an FTS5 index of every existing message, kept in
    step by triggers from now on (`ensure_full_text`). Without FTS5 this step adds nothing, and
    the store creates the index the first time a Python with FTS5 opens the file."""
    ensure_full_text(db)


# ---------------------------------------------------------------- v4: pinned conversations


PINNED_VERSION = 4
"""The schema version from which conversations can be pinned."""
_V4_ANSWER_FIGURES = (
    "connection_slug, input_tokens, output_tokens, cost_usd, reasoning_tokens, error_kind, role"
)
"""What the history's figures read from an answer up to v5 (v6 adds the cache counts);
`role` too, or SQLite reads the table to check the partial index's own condition."""


def _v4_pinned(db: sqlite3.Connection) -> None:
    """Pinned conversations (listed first in the history), and indexes for the new listing and
    for the figures of each row and of `--stats`.

    `ALTER TABLE … ADD COLUMN` with a constant default changes only the schema text: no row is
    rewritten, so a large history upgrades quickly and every conversation stays as it was
    (unpinned). The history list reads `(pinned, updated_at)` backwards, so the pinned-first order
    needs no sort of every conversation.

    The figures are sums over answers. In `messages` the usage columns come after `text`, so
    reading them walks past the answer's text (its overflow pages, for a long one); two partial
    indexes over answers alone hold every column the sums read, so they never touch the table:
    one in conversation order (each row's figures, grouped as the index is sorted), one in time
    order (`--stats --days N`).
    """
    db.execute("ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")
    db.execute("CREATE INDEX conversations_pinned ON conversations (pinned, updated_at)")
    _answer_figure_indexes(db, _V4_ANSWER_FIGURES)


def _answer_figure_indexes(db: sqlite3.Connection, figures: str) -> None:
    """The answers' two covering indexes over `figures`: in conversation order (each row's
    sums) and in time order (`--stats --days N`); partial, so they hold answers only."""
    db.execute(
        f"CREATE INDEX messages_answer_figures ON messages (conversation_id, {figures}) "
        "WHERE role = 'assistant'"
    )
    db.execute(
        f"CREATE INDEX messages_answers_created ON messages (created_at, {figures}) "
        "WHERE role = 'assistant'"
    )


# ---------------------------------------------------------------- v5: generation parameters


GENERATION_VERSION = 5
"""The schema version from which a conversation keeps its own generation parameters."""


def _v5_generation(db: sqlite3.Connection) -> None:
    """A conversation's own temperature, max tokens and reasoning effort (the chat screen's
    generation dialog), as a small JSON object; NULL: the settings and the connection decide.

    Kept with the conversation so they still apply when it is reopened, in this app or another.
    `ADD COLUMN` without a default rewrites no row: every existing conversation reads NULL.
    """
    db.execute("ALTER TABLE conversations ADD COLUMN generation TEXT")


# ---------------------------------------------------------------- v6: cache writes


CACHE_WRITE_VERSION = 6
"""The schema version from which an answer keeps the tokens it wrote to the prompt cache."""
ANSWER_FIGURES = (
    "connection_slug, input_tokens, output_tokens, cost_usd, reasoning_tokens, error_kind, "
    "cached_tokens, cache_write_tokens, role"
)
"""What the history's figures read from an answer (chat/history.py `conversation_figures`,
`usage`): the v4 columns and the cache counts, which make an Anthropic answer's whole prompt."""


def _v6_cache_writes(db: sqlite3.Connection) -> None:
    """The tokens each answer wrote to the prompt cache (Anthropic `cache_creation_input_tokens`,
    OpenRouter `cache_write_tokens`), beside the ones it read (`cached_tokens`).

    `ADD COLUMN` without a default rewrites no row: every older answer reads NULL (no write
    known; its stored cost is what was priced then). The answers' two covering indexes (v4) are
    made again with the cache counts in them, so the figures' sums still read indexes only: the
    whole prompt of an answer whose protocol counts cached tokens on top of `input_tokens`
    (Anthropic's) needs both counts.
    """
    db.execute("ALTER TABLE messages ADD COLUMN cache_write_tokens INTEGER")
    db.execute("DROP INDEX IF EXISTS messages_answer_figures")
    db.execute("DROP INDEX IF EXISTS messages_answers_created")
    _answer_figure_indexes(db, ANSWER_FIGURES)


MIGRATIONS: tuple[Migration, ...] = (
    _v1_initial,
    _v2_content_parts,
    _v3_full_text,
    _v4_pinned,
    _v5_generation,
    _v6_cache_writes,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration]) -> int:
    """Bring `db` (autocommit mode) up to version `len(migrations)`; return that version.

    The version is re-read inside each write transaction, so two processes opening a fresh file
    at once do not both run the same step.
    """
    target = len(migrations)
    foreign_keys = int(db.execute("PRAGMA foreign_keys").fetchone()[0])
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        while True:
            db.execute("BEGIN IMMEDIATE")
            try:
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
                if version >= target:
                    db.execute("COMMIT")
                    return version
                migrations[version](db)
                broken = db.execute("PRAGMA foreign_key_check").fetchone()
                if broken is not None:
                    raise sqlite3.IntegrityError(
                        f"step {version + 1} left a row of {broken[0]} pointing nowhere"
                    )
                db.execute(f"PRAGMA user_version = {version + 1}")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
    finally:
        db.execute(f"PRAGMA foreign_keys = {foreign_keys}")
