"""HistoryStore: what a user relies on after closing the app — everything comes back, branches
are kept, deletes take what follows, and a bad or newer file is refused without being touched."""

from __future__ import annotations

import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from craft_tui.chat.history import HistoryError, HistoryStore, NotFoundError
from craft_tui.chat.migrations import MIGRATIONS, SCHEMA_VERSION
from craft_tui.config import paths


@pytest.fixture
def store() -> HistoryStore:
    return HistoryStore.open()


def test_opens_at_the_history_file_private_to_the_user(store: HistoryStore) -> None:
    assert store.path == paths.history_file()
    assert store.path.exists()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_connection_uses_wal_busy_timeout_and_foreign_keys(store: HistoryStore) -> None:
    db = store._db
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_conversation_and_messages_round_trip_across_reopen(store: HistoryStore) -> None:
    conv = store.create_conversation(connection_slug="or", model="m1", system_prompt="Be brief.")
    user = store.add_message(conv.id, parent_id=None, role="user", text="Why is the sky blue?\nOk")
    answer = store.add_message(
        conv.id, parent_id=user.id, role="assistant", text="", connection_slug="or", model="m1"
    )
    store.update_message_text(answer.id, "Rayleigh", reasoning="hmm")
    store.finish_message(
        answer.id,
        finish_reason="stop",
        text="Rayleigh scattering.",
        input_tokens=12,
        output_tokens=4,
        cached_tokens=2,
        reasoning_tokens=1,
        cost_usd=0.00012,
        ttft_s=0.25,
        tokens_per_s=40.0,
    )
    store.close()

    again = HistoryStore.open()
    loaded, path = again.load_conversation(conv.id)
    assert loaded.title == "Why is the sky blue?"
    assert (loaded.connection_slug, loaded.model, loaded.system_prompt) == ("or", "m1", "Be brief.")
    assert loaded.active_leaf_id == answer.id
    assert [m.role for m in path] == ["user", "assistant"]
    final = path[1]
    assert final.text == "Rayleigh scattering."
    assert final.reasoning == "hmm"
    assert (final.input_tokens, final.output_tokens, final.cached_tokens) == (12, 4, 2)
    assert final.reasoning_tokens == 1
    assert final.cost_usd == pytest.approx(0.00012)
    assert (final.ttft_s, final.tokens_per_s, final.finish_reason) == (0.25, 40.0, "stop")
    assert final.created_at is not None and final.created_at.tzinfo is not None
    assert again.last_conversation_id() == conv.id


def test_finish_records_an_error_and_keeps_the_partial_text(store: HistoryStore) -> None:
    conv = store.create_conversation()
    user = store.add_message(conv.id, parent_id=None, role="user", text="hi")
    answer = store.add_message(conv.id, parent_id=user.id, role="assistant", text="")
    store.update_message_text(answer.id, "half an ans")
    stored = store.finish_message(
        answer.id, finish_reason="error", error_kind="stream_cut", error_message="Cut off."
    )
    assert (stored.text, stored.error_kind, stored.error_message) == (
        "half an ans",
        "stream_cut",
        "Cut off.",
    )
    with pytest.raises(TypeError):
        store.finish_message(answer.id, finish_reason="stop", colour="red")


def test_list_is_newest_first_hides_empty_and_searches_titles_and_text(
    store: HistoryStore,
) -> None:
    first = store.create_conversation()
    store.add_message(first.id, parent_id=None, role="user", text="Rust lifetimes")
    second = store.create_conversation()
    m = store.add_message(second.id, parent_id=None, role="user", text="Dinner ideas")
    store.add_message(second.id, parent_id=m.id, role="assistant", text="Try 100% rust-free pans")
    empty = store.create_conversation()

    assert [c.id for c in store.list_conversations()] == [second.id, first.id]
    assert empty.id in [c.id for c in store.list_conversations(include_empty=True)]
    assert [c.id for c in store.list_conversations(query="RUST")] == [second.id, first.id]
    assert [c.id for c in store.list_conversations(query="dinner")] == [second.id]
    assert [c.id for c in store.list_conversations(query="100%")] == [second.id]
    assert store.list_conversations(query="_") == []  # LIKE wildcards are literal
    assert [c.id for c in store.list_conversations(limit=1, offset=1)] == [first.id]
    assert store.last_conversation_id() == empty.id


def test_ten_thousand_conversations_list_through_the_updated_at_index(
    store: HistoryStore,
) -> None:
    rows = [(f"c{i:05d}", f"t{i}", f"2026-01-01T00:00:00.{i:06d}+00:00") for i in range(10_000)]
    with store._write() as db:
        db.executemany(
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?,?,?,?)",
            [(cid, title, ts, ts) for cid, title, ts in rows],
        )
        db.executemany(
            "INSERT INTO messages (id, conversation_id, role, text, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?)",
            [(f"m{cid}", cid, "user", title, ts, ts) for cid, title, ts in rows],
        )
    page = store.list_conversations(limit=200)
    assert len(page) == 200
    assert page[0].id == "c09999" and page[-1].id == "c09800"

    exists = ["EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)"]
    sql = store._list_sql(exists, pinned_first=False)
    plan = " | ".join(
        str(row[3]) for row in store._db.execute(f"EXPLAIN QUERY PLAN {sql}", (200, 0))
    )
    assert "USING INDEX conversations_updated_at" in plan
    assert "TEMP B-TREE" not in plan  # no sort of the whole table
    assert "INDEX messages_conversation" in plan
    # The history list's order (pinned first) walks its own index: no sort either.
    sql = store._list_sql(exists, pinned_first=True)
    plan = " | ".join(
        str(row[3]) for row in store._db.execute(f"EXPLAIN QUERY PLAN {sql}", (200, 0))
    )
    assert "USING INDEX conversations_pinned" in plan
    assert "TEMP B-TREE" not in plan
    store.set_pinned("c00005", True)
    page = store.list_conversations(limit=3, pinned_first=True)
    assert [c.id for c in page] == ["c00005", "c09999", "c09998"] and page[0].pinned
    last = store._db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM conversations ORDER BY updated_at DESC, rowid DESC LIMIT 1"
    ).fetchall()
    assert "conversations_updated_at" in str(last)


def test_editing_a_prompt_makes_a_branch_and_keeps_the_old_one(store: HistoryStore) -> None:
    conv = store.create_conversation()
    q1 = store.add_message(conv.id, parent_id=None, role="user", text="first")
    a1 = store.add_message(conv.id, parent_id=q1.id, role="assistant", text="one")
    q2 = store.add_message(conv.id, parent_id=None, role="user", text="second")
    a2 = store.add_message(conv.id, parent_id=q2.id, role="assistant", text="two")
    _conv, path = store.load_conversation(conv.id)
    assert [m.text for m in path] == ["second", "two"]
    assert [m.text for m in store.all_messages(conv.id)] == ["first", "one", "second", "two"]
    store.set_active_leaf(conv.id, a1.id)
    assert [m.text for m in store.load_conversation(conv.id)[1]] == ["first", "one"]
    assert store.load_conversation(conv.id)[0].title == "first"  # the first prompt names it
    assert a2.parent_id == q2.id


def test_deleting_a_message_removes_its_subtree_and_moves_the_view_up(
    store: HistoryStore,
) -> None:
    conv = store.create_conversation()
    q1 = store.add_message(conv.id, parent_id=None, role="user", text="keep")
    a1 = store.add_message(conv.id, parent_id=q1.id, role="assistant", text="kept")
    q2 = store.add_message(conv.id, parent_id=a1.id, role="user", text="drop")
    a2 = store.add_message(conv.id, parent_id=q2.id, role="assistant", text="dropped")
    store.add_message(conv.id, parent_id=q2.id, role="assistant", text="dropped too")
    assert store.delete_message(q2.id) == a1.id
    _conv, path = store.load_conversation(conv.id)
    assert [m.text for m in path] == ["keep", "kept"]
    assert [m.text for m in store.all_messages(conv.id)] == ["keep", "kept"]
    with pytest.raises(NotFoundError):
        store.get_message(a2.id)


def test_deleting_an_inactive_branch_keeps_the_view(store: HistoryStore) -> None:
    conv = store.create_conversation()
    old = store.add_message(conv.id, parent_id=None, role="user", text="old")
    new = store.add_message(conv.id, parent_id=None, role="user", text="new")
    assert store.delete_message(old.id) == new.id
    assert [m.text for m in store.load_conversation(conv.id)[1]] == ["new"]
    assert store.delete_message(new.id) is None
    assert store.load_conversation(conv.id)[1] == []


def test_a_message_cannot_hang_under_another_conversation(store: HistoryStore) -> None:
    one, two = store.create_conversation(), store.create_conversation()
    root = store.add_message(one.id, parent_id=None, role="user", text="in one")
    with pytest.raises(NotFoundError):
        store.add_message(two.id, parent_id=root.id, role="assistant", text="stray")
    with pytest.raises(NotFoundError):
        store.add_message(two.id, parent_id="no-such-id", role="assistant", text="stray")
    with pytest.raises(NotFoundError):
        store.add_message("no-such-conversation", parent_id=None, role="user", text="x")
    assert store.all_messages(two.id) == []


def test_rename_system_prompt_model_and_delete_conversation(store: HistoryStore) -> None:
    conv = store.create_conversation(connection_slug="a", model="x")
    store.add_message(conv.id, parent_id=None, role="user", text="hello")
    store.rename(conv.id, "  My   chat ")
    store.set_system_prompt(conv.id, "   ")
    store.set_conversation_model(conv.id, "b", "y")
    loaded = store.get_conversation(conv.id)
    assert (loaded.title, loaded.system_prompt, loaded.connection_slug, loaded.model) == (
        "My chat",
        None,
        "b",
        "y",
    )
    store.delete_conversation(conv.id)
    with pytest.raises(NotFoundError):
        store.load_conversation(conv.id)
    assert store._db.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    with pytest.raises(NotFoundError):
        store.rename(conv.id, "gone")


def test_two_stores_on_one_file_see_each_others_writes(store: HistoryStore) -> None:
    other = HistoryStore.open(store.path)
    conv = other.create_conversation()
    other.add_message(conv.id, parent_id=None, role="user", text="from the other window")
    assert store.last_conversation_id() == conv.id
    assert store.load_conversation(conv.id)[1][0].text == "from the other window"


# ---------------------------------------------------------------------- migrations


def _next_archived(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE conversations ADD COLUMN archived INTEGER NOT NULL DEFAULT 0")


def test_an_older_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    v1 = HistoryStore.open(path)
    conv = v1.create_conversation()
    v1.add_message(conv.id, parent_id=None, role="user", text="written by v1")
    v1.close()

    v2 = HistoryStore.open(path, migrations=(*MIGRATIONS, _next_archived))
    assert v2._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert v2._db.execute("SELECT archived FROM conversations").fetchone()[0] == 0
    assert v2.load_conversation(conv.id)[1][0].text == "written by v1"


def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    HistoryStore.open(path).close()

    def broken(db: sqlite3.Connection) -> None:
        db.execute("ALTER TABLE conversations ADD COLUMN half INTEGER")
        raise sqlite3.OperationalError("disk on fire")

    with pytest.raises(HistoryError, match=r"history\.db"):
        HistoryStore.open(path, migrations=(*MIGRATIONS, broken))
    again = HistoryStore.open(path)
    assert again._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    columns = [row[1] for row in again._db.execute("PRAGMA table_info(conversations)")]
    assert "half" not in columns


def test_a_newer_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE future (x)")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError) as caught:
        HistoryStore.open(path)
    message = str(caught.value)
    assert str(path) in message and "newer craft-tui" in message and "99" in message
    assert path.read_bytes() == before
    assert not (tmp_path / "history.db-wal").exists()


def test_a_corrupt_file_gives_a_clear_error_naming_it_and_is_not_overwritten(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    garbage = b"this is not a database, it is my notes\n" * 200
    path.write_bytes(garbage)
    with pytest.raises(HistoryError) as caught:
        HistoryStore.open(path)
    assert str(path) in str(caught.value)
    assert "left untouched" in str(caught.value)
    assert "Traceback" not in str(caught.value)
    assert path.read_bytes() == garbage


def test_an_unopenable_path_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match="Cannot open the history file"):
        HistoryStore.open(blocker / "history.db")


def test_a_long_search_does_not_hold_up_saving_an_answer(store: HistoryStore) -> None:
    conv = store.create_conversation()
    saved = threading.Event()

    def save() -> None:
        store.add_message(conv.id, parent_id=None, role="user", text="typed during a search")
        saved.set()

    with store._search() as reader:  # a history search is running on another thread
        assert reader.execute("PRAGMA query_only").fetchone()[0] == 1
        writer = threading.Thread(target=save)
        writer.start()
        assert saved.wait(10), "the save waited for the search"
    writer.join(10)
    assert store.load_conversation(conv.id)[1][0].text == "typed during a search"
