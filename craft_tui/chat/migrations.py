"""Schema of `history.db`, versioned with `PRAGMA user_version`.

`MIGRATIONS[i]` turns a version-`i` database into version `i + 1`; the store runs the missing
ones in order, each in its own transaction together with the version bump, so a crash mid-upgrade
leaves the previous version intact. A database newer than `SCHEMA_VERSION` is refused, untouched.

Adding version 2 later means appending one function and never editing an old one, e.g.::

    def _v2_pinned(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0")

    MIGRATIONS = (_v1_initial, _v2_pinned)

(and the new column in `history.py`'s row mapping). Tests run a v2 like that against a v1 file.
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


MIGRATIONS: tuple[Migration, ...] = (_v1_initial,)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration]) -> int:
    """Bring `db` (autocommit mode) up to version `len(migrations)`; return that version.

    The version is re-read inside each write transaction, so two processes opening a fresh file
    at once do not both run the same step.
    """
    target = len(migrations)
    while True:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version >= target:
                db.execute("COMMIT")
                return version
            migrations[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
