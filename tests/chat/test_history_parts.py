"""Content parts in the history: every part type comes back exactly as stored after a reopen,
text stays searchable and exact, attachments are stored once and go with their last message,
and plain answers keep their single-UPDATE partial saves."""

from __future__ import annotations

from pathlib import Path

import pytest

from craft_tui.chat.history import HistoryStore
from craft_tui.providers.content import (
    AttachmentPart,
    Part,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
NOTES = "# Notes\r\n\x1b[31mred\x1b[0m and ünïcödé 🦀\n".encode()


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore.open(tmp_path / "history.db")


def part_rows(store: HistoryStore) -> int:
    return int(store._db.execute("SELECT count(*) FROM message_parts").fetchone()[0])


def test_every_part_type_round_trips_through_a_reopen(store: HistoryStore) -> None:
    conv = store.create_conversation()
    image = AttachmentPart.from_bytes(PNG, "image/png", "cat.png")
    notes = AttachmentPart.from_bytes(NOTES, "text/markdown", "notes.md")
    prompt_parts: tuple[Part, ...] = (TextPart("Look at "), image, TextPart("and\r\n"), notes)
    prompt = store.add_message(conv.id, parent_id=None, role="user", parts=prompt_parts)
    answer_parts: tuple[Part, ...] = (
        ReasoningPart("Let me think 🤔", signature="EqQBCgIYAhIM+/="),
        ReasoningPart("", encrypted="opaque-redacted-data"),
        TextPart("I will call a tool."),
        ToolCallPart("toolu_01", "read_file", '{"path": "a.txt", bad json'),
        ToolCallPart("toolu_02", "clock", ""),
    )
    answer = store.add_message(conv.id, parent_id=prompt.id, role="assistant", text="")
    store.finish_message(answer.id, finish_reason="tool_use", parts=answer_parts, output_tokens=9)
    results: tuple[Part, ...] = (
        ToolResultPart("toolu_01", "file not found", is_error=True, name="read_file"),
        ToolResultPart("toolu_02", "12:00"),
    )
    tool = store.add_message(conv.id, parent_id=answer.id, role="tool", parts=results)
    store.close()

    again = HistoryStore.open(store.path)
    _conv, path = again.load_conversation(conv.id)
    assert [m.id for m in path] == [prompt.id, answer.id, tool.id]
    assert [m.role for m in path] == ["user", "assistant", "tool"]
    assert path[0].parts == prompt_parts
    assert path[1].parts == answer_parts
    assert path[2].parts == results
    assert (path[1].finish_reason, path[1].output_tokens) == ("tool_use", 9)
    # Loaded attachments name their bytes; the bytes come on request.
    loaded = [p for p in path[0].parts if isinstance(p, AttachmentPart)]
    assert [(p.name, p.media_type, p.size, p.data) for p in loaded] == [
        ("cat.png", "image/png", len(PNG), None),
        ("notes.md", "text/markdown", len(NOTES), None),
    ]
    assert again.attachment_data([image.id, notes.id, "unknown"]) == {
        image.id: PNG,
        notes.id: NOTES,
    }
    # The conveniences the UI, exports and search read:
    assert path[0].text == "Look at and\r\n"
    assert path[1].text == "I will call a tool."
    assert path[1].reasoning == "Let me think 🤔"
    assert again.get_message(answer.id).parts == answer_parts


def test_text_of_a_structured_message_is_stored_once_exactly_and_searchable(
    store: HistoryStore,
) -> None:
    conv = store.create_conversation()
    prompt = store.add_message(conv.id, parent_id=None, role="user", text="q")
    parts = (
        ReasoningPart("think\x00ing", signature="s1"),
        TextPart("first 100%_ \u202e"),
        ReasoningPart("more", signature="s2"),
        TextPart("second\r\n"),
    )
    answer = store.add_message(conv.id, parent_id=prompt.id, role="assistant", parts=parts)
    row = store._db.execute(
        "SELECT text, reasoning FROM messages WHERE id = ?", (answer.id,)
    ).fetchone()
    assert row == ("first 100%_ \u202esecond\r\n", "think\x00ingmore")
    assert store._db.execute("SELECT body FROM message_parts WHERE kind = 'text'").fetchall() == [
        (None,),
        (None,),
    ]
    assert [c.id for c in store.list_conversations(query="100%_")] == [conv.id]
    assert store.get_message(answer.id).parts == parts


def test_plain_answers_have_no_part_rows_and_save_as_before(store: HistoryStore) -> None:
    conv = store.create_conversation()
    prompt = store.add_message(conv.id, parent_id=None, role="user", text="q")
    answer = store.add_message(conv.id, parent_id=prompt.id, role="assistant", text="")
    store.update_message_parts(answer.id, (ReasoningPart("r"), TextPart("partial")))
    assert part_rows(store) == 0
    assert store.get_message(answer.id).text == "partial"
    # A signature arrives: the answer is no longer plain, then it is finished plain again.
    store.update_message_parts(answer.id, (ReasoningPart("r", signature="s"), TextPart("more")))
    assert part_rows(store) == 2
    stored = store.finish_message(answer.id, finish_reason="stop", parts=(TextPart("final"),))
    assert part_rows(store) == 0
    assert (stored.text, stored.reasoning, stored.parts) == ("final", "", (TextPart("final"),))


def test_an_attachment_is_stored_once_and_deleted_with_its_last_message(
    store: HistoryStore,
) -> None:
    conv = store.create_conversation()
    image = AttachmentPart.from_bytes(PNG, "image/png", "cat.png")
    first = store.add_message(conv.id, parent_id=None, role="user", parts=(TextPart("a"), image))
    # An edited prompt keeps the picture: same bytes, another name.
    renamed = AttachmentPart.from_bytes(PNG, "image/png", "same-cat.png")
    second = store.add_message(conv.id, parent_id=None, role="user", parts=(TextPart("b"), renamed))
    blobs = "SELECT count(*) FROM attachments"
    assert store._db.execute(blobs).fetchone()[0] == 1
    assert store.get_message(second.id).parts[1] == AttachmentPart(
        image.id, "image/png", len(PNG), "same-cat.png"
    )
    store.delete_message(first.id)
    assert store.attachment_data([image.id]) == {image.id: PNG}
    store.delete_message(second.id)
    assert store._db.execute(blobs).fetchone()[0] == 0

    other = store.create_conversation()
    store.add_message(other.id, parent_id=None, role="user", parts=(TextPart("c"), image))
    store.delete_conversation(other.id)
    assert store._db.execute(blobs).fetchone()[0] == 0


def test_replacing_a_messages_text_keeps_its_other_parts() -> None:
    """What the transcript does to rebuild an answer it showed streaming (dataclasses.replace)."""
    import dataclasses

    from craft_tui.chat.conversation import StoredMessage

    message = StoredMessage(
        "m",
        "c",
        None,
        "assistant",
        parts=(ReasoningPart("r", signature="s"), TextPart("old"), ToolCallPart("1", "t", "{}")),
    )
    assert (message.text, message.reasoning) == ("old", "r")
    same = dataclasses.replace(message, finish_reason="stop")
    assert same.parts == message.parts
    shown = dataclasses.replace(message, text="new text")
    assert shown.parts == (
        ReasoningPart("r", signature="s"),
        TextPart("new text"),
        ToolCallPart("1", "t", "{}"),
    )
    assert shown.text == "new text"
    edited = dataclasses.replace(message, reasoning="other")
    assert edited.parts[0] == ReasoningPart("other")  # a signature covers only its own text
