"""Full-text search in the history store: the FTS5 index follows every write of a message
(insert, partial saves, finish, delete, cascades), an upgraded history is indexed whole and keeps
every conversation, what the user types is never query syntax, snippets carry the match as
ranges, and a Python without FTS5 still finds messages (LIKE) and can write them."""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from craft_tui.chat import migrations
from craft_tui.chat.history import HistoryStore, SearchHit, fts_query, search_terms
from craft_tui.chat.migrations import FTS_TABLE, FTS_TRIGGERS, MIGRATIONS
from craft_tui.providers.content import ReasoningPart, TextPart, ToolCallPart

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore.open(tmp_path / "history.db")


def found(store: HistoryStore, query: str) -> list[str]:
    """The texts of the messages a search finds, in its order."""
    return [store.get_message(hit.message_id).text for hit in store.search(query).hits]


def consistent(store: HistoryStore) -> None:
    """FTS5's own check that the index says exactly what `messages.text` holds."""
    store._db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('integrity-check', 1)")


def marked(hit: SearchHit) -> list[str]:
    return [hit.snippet[start:end] for start, end in hit.matches]


def test_every_write_of_a_message_keeps_the_index_in_step(store: HistoryStore) -> None:
    conversation = store.create_conversation()
    question = store.add_message(
        conversation.id, parent_id=None, role="user", text="How do glaciers move?"
    )
    answer = store.add_message(conversation.id, parent_id=question.id, role="assistant")
    assert found(store, "glaciers") == ["How do glaciers move?"]
    store.update_message_text(answer.id, "Ice flows under its own")  # partial saves
    store.update_message_text(answer.id, "Ice flows under its own weight, slowly.")
    assert found(store, "weight") == ["Ice flows under its own weight, slowly."]
    store.update_message_parts(
        answer.id,
        (ReasoningPart("thinking of basal sliding"), TextPart("It slides on meltwater."),
         ToolCallPart(id="c1", name="lookup", arguments="{}")),
    )  # fmt: skip
    assert found(store, "weight") == []
    assert found(store, "meltwater") == ["It slides on meltwater."]
    assert found(store, "basal") == []  # reasoning is not searched
    store.finish_message(answer.id, finish_reason="stop", text="Final: ice creeps downhill.")
    assert found(store, "meltwater") == []
    assert found(store, "creeps") == ["Final: ice creeps downhill."]
    store.finish_message(answer.id, finish_reason="stop")  # same text: nothing to re-index
    consistent(store)

    edited = store.add_message(
        conversation.id, parent_id=None, role="user", text="How do glaciers form?"
    )  # a second version of the question (a branch)
    assert found(store, "glaciers") == ["How do glaciers form?", "How do glaciers move?"]
    store.delete_message(question.id)  # its answer goes with it (cascade)
    assert found(store, "glaciers") == ["How do glaciers form?"]
    assert found(store, "creeps") == []
    consistent(store)
    store.delete_conversation(conversation.id)  # and every message of a conversation
    assert found(store, "glaciers") == []
    assert store.search("form").hits == []
    consistent(store)
    with pytest.raises(Exception, match="No message"):
        store.get_message(edited.id)


def test_hits_come_newest_first_or_best_first_with_the_match_as_ranges(
    store: HistoryStore,
) -> None:
    first = store.create_conversation(title="Rust")
    store.add_message(first.id, parent_id=None, role="user", text="borrow checker errors")
    second = store.create_conversation(title="More rust")
    noisy = "The borrow checker " + "and other words " * 40 + "checker again."
    store.add_message(second.id, parent_id=None, role="user", text=noisy)
    hits = store.search("borrow checker").hits
    assert [(h.conversation_id, h.title) for h in hits] == [
        (second.id, "More rust"),
        (first.id, "Rust"),
    ]
    assert marked(hits[1]) == ["borrow", "checker"]
    assert hits[1].snippet == "borrow checker errors"
    assert marked(hits[0])[:2] == ["borrow", "checker"]
    assert len(hits[0].snippet) < len(noisy)  # a snippet, not the whole message
    best = store.search("borrow checker", order="best").hits
    assert [h.conversation_id for h in best] == [first.id, second.id]  # bm25: the short one
    assert store.search("borrow", limit=1, offset=1).hits[0].conversation_id == first.id


def test_words_match_as_word_starts_without_case_or_accents(store: HistoryStore) -> None:
    conversation = store.create_conversation()
    store.add_message(conversation.id, parent_id=None, role="user", text="Café crème at the Zoo")
    assert found(store, "cafe CREME") == ["Café crème at the Zoo"]
    assert found(store, "zo") == []  # two letters: a whole word only
    assert found(store, "zoo") == ["Café crème at the Zoo"]
    assert found(store, "cré") == ["Café crème at the Zoo"]  # three or more: a word start
    assert found(store, "afe") == []  # not inside a word
    [hit] = store.search("creme").hits
    assert marked(hit) == ["crème"]


@pytest.mark.parametrize(
    "query",
    ['"', '""', "'", "AND", "OR", "NOT", "*", "-", "+", "(", ")", "(((", "a)", "NEAR(x y)",
     "text:x", "^x", "x*y", '"unbalanced', "{a b}", ":", "\x00", "\\", "%", "_", "   ",
     "a" * 5000, "AND OR NOT", "- penguins", "penguins*", '"penguins"', "(penguins)"],
)  # fmt: skip
def test_a_typed_query_is_data_and_never_raises(store: HistoryStore, query: str) -> None:
    conversation = store.create_conversation()
    store.add_message(conversation.id, parent_id=None, role="user", text="penguins and (x y)")
    results = store.search(query)
    if query.strip(' -*()"') == "penguins":
        assert len(results.hits) == 1  # the word around the punctuation is still found
    expression = fts_query(search_terms(query))
    assert expression.count('"') % 2 == 0  # every term one quoted string


def test_operators_typed_are_words_to_find(store: HistoryStore) -> None:
    conversation = store.create_conversation()
    store.add_message(conversation.id, parent_id=None, role="user", text="cats OR dogs")
    store.add_message(conversation.id, parent_id=None, role="user", text="cats and birds")
    assert found(store, "cats OR") == ["cats OR dogs"]  # 'or' is a word here, not an operator
    assert found(store, "cats NOT dogs") == []  # every word must be there: 'not' is not
    assert found(store, "cats -dogs") == ["cats OR dogs"]  # '-' is no exclusion


def test_a_message_holding_the_marker_characters_gets_right_ranges(store: HistoryStore) -> None:
    conversation = store.create_conversation()
    text = "odd \ue000 chars \ue001 around the needle here"
    store.add_message(conversation.id, parent_id=None, role="user", text=text)
    [hit] = store.search("needle").hits
    assert hit.snippet == text
    assert marked(hit) == ["needle"]


def test_the_upgrade_indexes_the_old_history_and_keeps_every_conversation(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    shutil.copyfile(FIXTURES / "history_v1.db", path)
    raw = sqlite3.connect(path)
    before = raw.execute(
        "SELECT id, conversation_id, parent_id, role, text, reasoning, created_at FROM messages "
        "ORDER BY rowid"
    ).fetchall()
    conversations = raw.execute("SELECT * FROM conversations ORDER BY id").fetchall()
    raw.close()
    store = HistoryStore.open(path)  # v1 → v2 → v3 → v4
    assert store.full_text
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    after = store._db.execute(
        "SELECT id, conversation_id, parent_id, role, text, reasoning, created_at FROM messages "
        "ORDER BY rowid"
    ).fetchall()
    assert after == before
    columns = (
        "id, title, system_prompt, created_at, updated_at, connection_slug, model, active_leaf_id"
    )
    upgraded = store._db.execute(f"SELECT {columns}, pinned FROM conversations ORDER BY id")
    assert upgraded.fetchall() == [(*row, 0) for row in conversations]  # v4: none pinned
    consistent(store)
    words = {word for row in before for word in row[4].split() if word.isalpha() and len(word) > 3}
    assert words
    for word in sorted(words)[:20]:  # every old message is found by its words
        starts = re.compile(rf"(?<!\w){re.escape(word)}", re.IGNORECASE)  # a word start
        holders = {row[0] for row in before if starts.search(row[4])}
        assert holders <= {hit.message_id for hit in store.search(word, limit=500).hits}, word


def test_a_v2_history_is_indexed_by_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    old = HistoryStore.open(path, migrations=MIGRATIONS[:2])  # what the v2 code wrote
    conversation = old.create_conversation()
    old.add_message(conversation.id, parent_id=None, role="user", text="written before search")
    old.close()
    store = HistoryStore.open(path)
    assert found(store, "before search") == ["written before search"]
    assert [c.id for c in store.list_conversations()] == [conversation.id]


def test_without_fts5_search_falls_back_to_like_and_writes_still_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.db"
    store = HistoryStore.open(path)
    conversation = store.create_conversation()
    store.add_message(conversation.id, parent_id=None, role="user", text="indexed glacier")
    store.close()

    monkeypatch.setattr(migrations, "_fts5", False)  # a Python built without FTS5
    plain = HistoryStore.open(path)
    assert not plain.full_text
    triggers = plain._db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    assert not {name for (name,) in triggers} & set(FTS_TRIGGERS)  # dropped: writes would fail
    plain.add_message(conversation.id, parent_id=None, role="user", text="unindexed glacier")
    results = plain.search("glacier")
    assert not results.full_text
    assert results.notice is not None and "FTS5" in results.notice
    assert [store_text(plain, h) for h in results.hits] == ["unindexed glacier", "indexed glacier"]
    assert marked(results.hits[0]) == ["glacier"]
    assert plain.search('"(').hits == []
    plain.close()

    monkeypatch.setattr(migrations, "_fts5", None)  # FTS5 again: the index is rebuilt whole
    again = HistoryStore.open(path)
    assert again.full_text
    assert found(again, "glacier") == ["unindexed glacier", "indexed glacier"]
    consistent(again)


def test_a_new_history_without_fts5_opens_and_searches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migrations, "_fts5", False)
    store = HistoryStore.open(tmp_path / "history.db")
    conversation = store.create_conversation()
    store.add_message(conversation.id, parent_id=None, role="user", text="100% sure_thing")
    assert [h.snippet for h in store.search("sure_thing").hits] == ["100% sure_thing"]
    assert store.search("100%").hits[0].matches == ((0, 3),)


def store_text(store: HistoryStore, hit: SearchHit) -> str:
    return store.get_message(hit.message_id).text


def test_open_at_makes_the_branch_holding_the_message_the_active_one(
    store: HistoryStore,
) -> None:
    conversation = store.create_conversation()
    question = store.add_message(conversation.id, parent_id=None, role="user", text="q")
    first = store.add_message(conversation.id, parent_id=question.id, role="assistant", text="a1")
    first_more = store.add_message(conversation.id, parent_id=first.id, role="user", text="more")
    second = store.add_message(conversation.id, parent_id=question.id, role="assistant", text="a2")
    assert store.get_conversation(conversation.id).active_leaf_id == second.id
    assert store.open_at(first.id) == conversation.id
    assert store.get_conversation(conversation.id).active_leaf_id == first_more.id
    store.open_at(question.id)  # on the active path already: the branch stays
    assert store.get_conversation(conversation.id).active_leaf_id == first_more.id


def test_an_index_made_with_other_options_is_made_again(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    store = HistoryStore.open(path)
    conversation = store.create_conversation()
    store.add_message(conversation.id, parent_id=None, role="user", text="kept through it")
    db = store._db
    for trigger in FTS_TRIGGERS:
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute(f"DROP TABLE {FTS_TABLE}")  # as an older build made it: no prefix index
    db.execute(
        f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(text, content='messages', "
        "content_rowid='rowid')"
    )
    store.close()
    again = HistoryStore.open(path)
    sql = again._db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (FTS_TABLE,)).fetchone()
    assert "prefix='3 4 5 6'" in sql[0]
    assert found(again, "kept") == ["kept through it"]
    consistent(again)
