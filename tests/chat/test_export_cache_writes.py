"""An answer's cache writes (history schema v6) survive export and import: the usage the
attribution names is the same in the history the file is restored to. A file written before
v6 has no `cache_write_tokens`: its answers import with the count unknown (None)."""

from __future__ import annotations

import json
from pathlib import Path

from craft_tui.chat.export import read_document, to_json
from craft_tui.chat.history import HistoryStore
from craft_tui.chat.importers import store_all
from craft_tui.providers.content import TextPart


def _answered(store: HistoryStore) -> tuple[str, str]:
    conv = store.create_conversation(connection_slug="an", model="claude")
    question = store.add_message(conv.id, parent_id=None, role="user", parts=(TextPart("Hi"),))
    answer = store.add_message(
        conv.id, parent_id=question.id, role="assistant", connection_slug="an", model="claude"
    )
    store.finish_message(
        answer.id,
        finish_reason="stop",
        parts=(TextPart("Hello."),),
        input_tokens=12,
        output_tokens=3,
        cached_tokens=2048,
        cache_write_tokens=1536,
    )
    return conv.id, answer.id


def test_export_then_import_keeps_an_answers_cache_writes(tmp_path: Path) -> None:
    source = HistoryStore.open(tmp_path / "a.db")
    conv_id, answer_id = _answered(source)
    document = json.loads(to_json(source, [conv_id]))
    [answer] = [m for m in document["conversations"][0]["messages"] if m["id"] == answer_id]
    assert answer["usage"]["cache_write_tokens"] == 1536

    target = HistoryStore.open(tmp_path / "b.db")
    store_all(target, read_document(document, Path("x.json")))
    restored = target.get_message(answer_id)
    assert (restored.input_tokens, restored.cached_tokens, restored.cache_write_tokens) == (
        12,
        2048,
        1536,
    )


def test_a_file_from_before_cache_writes_imports_them_as_unknown(tmp_path: Path) -> None:
    source = HistoryStore.open(tmp_path / "a.db")
    conv_id, answer_id = _answered(source)
    document = json.loads(to_json(source, [conv_id]))
    for message in document["conversations"][0]["messages"]:
        message["usage"].pop("cache_write_tokens")  # as an export made before schema v6

    target = HistoryStore.open(tmp_path / "b.db")
    store_all(target, read_document(document, Path("old.json")))
    restored = target.get_message(answer_id)
    assert restored.cache_write_tokens is None and restored.cached_tokens == 2048
