"""Export to Markdown (the branch the user sees, as they would read it) and to JSON (everything),
and the JSON taken back losslessly: export → import → export gives the same file, branches,
attribution, figures, reasoning, tool calls and attachment bytes included. A file from elsewhere
is data: every wrong shape is one ImportProblem naming the file and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from craft_tui.chat.export import read_document, to_json, to_markdown
from craft_tui.chat.history import HistoryStore
from craft_tui.chat.importers import TITLE_CAP, ImportProblem, store_all
from craft_tui.providers.content import (
    AttachmentPart,
    ReasoningPart,
    TextPart,
    ToolCallPart,
    ToolResultPart,
)

PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def branchy(store: HistoryStore) -> tuple[str, dict[str, str]]:
    """A conversation with a regenerated answer (two branches), reasoning, a picture, a tool
    call and its result, a stopped answer and the figures of a finished one."""
    conv = store.create_conversation(connection_slug="or", model="m1", system_prompt="Be brief.")
    q = store.add_message(
        conv.id,
        parent_id=None,
        role="user",
        parts=(TextPart("What is in this picture?"), AttachmentPart.from_bytes(PICTURE, "image/png", "cat.png")),
    )  # fmt: skip
    first = store.add_message(
        conv.id, parent_id=q.id, role="assistant", connection_slug="or", model="m1"
    )
    store.finish_message(
        first.id, finish_reason="cancelled", text="A ca", connection_slug="or", model="m1"
    )
    second = store.add_message(
        conv.id, parent_id=q.id, role="assistant", connection_slug="an", model="m2"
    )
    store.finish_message(
        second.id,
        finish_reason="stop",
        parts=(
            ReasoningPart("It has whiskers.", signature="sig=="),
            TextPart("A **cat**.\n\n```py\nprint('meow')\n```"),
            ToolCallPart("call_1", "lookup", '{"q": "cat"'),
        ),
        input_tokens=120,
        output_tokens=30,
        cached_tokens=100,
        reasoning_tokens=8,
        cost_usd=0.00042,
        ttft_s=0.5,
        tokens_per_s=61.0,
    )
    tool = store.add_message(
        conv.id,
        parent_id=second.id,
        role="tool",
        parts=(ToolResultPart("call_1", "felis catus", name="lookup"),),
    )
    store.set_active_leaf(conv.id, tool.id)
    return conv.id, {"q": q.id, "first": first.id, "second": second.id, "tool": tool.id}


def test_markdown_is_the_shown_branch_with_who_where_and_when(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.db")
    conv_id, _ = branchy(store)
    conversation, branch = store.load_conversation(conv_id)
    text = to_markdown(conversation, branch)
    assert text.startswith("# What is in this picture?\n")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert [h.split(" · ")[:3] for h in headings] == [
        ["## You", headings[0].split(" · ")[1]],
        ["## Assistant", "an", "m2"],
        ["## Tool result", headings[2].split(" · ")[1]],
    ]
    assert all(h.endswith(" UTC") for h in headings)
    assert "A **cat**.\n\n```py\nprint('meow')\n```" in text  # as written, code block intact
    assert "<details><summary>Reasoning</summary>\n\nIt has whiskers.\n\n</details>" in text
    assert "*Attached: cat.png (image/png, 264 bytes)*" in text
    assert "felis catus" in text and "*Tool call: lookup*" in text
    assert "A ca" not in text  # the other branch is not the one shown
    plain = to_markdown(conversation, branch, reasoning=False)
    assert "whiskers" not in plain and "A **cat**." in plain


def test_json_round_trip_keeps_every_branch_and_figure(tmp_path: Path) -> None:
    source = HistoryStore.open(tmp_path / "a.db")
    conv_id, ids = branchy(source)
    exported = to_json(source, [conv_id])
    document = json.loads(exported)
    assert document["format"] == "craft-tui/1"
    [conv] = document["conversations"]
    assert conv["system_prompt"] == "Be brief." and conv["active_leaf_id"] == ids["tool"]
    by_id = {m["id"]: m for m in conv["messages"]}
    assert len(by_id) == 4  # both answers: every branch
    answer = by_id[ids["second"]]
    assert (answer["connection_slug"], answer["model"], answer["cost_usd"]) == ("an", "m2", 0.00042)
    assert answer["usage"] == {
        "input_tokens": 120,
        "output_tokens": 30,
        "cached_tokens": 100,
        "cache_write_tokens": None,
        "reasoning_tokens": 8,
    }
    assert answer["reasoning"] == "It has whiskers." and answer["finish_reason"] == "stop"
    assert by_id[ids["first"]]["finish_reason"] == "cancelled"

    target = HistoryStore.open(tmp_path / "b.db")
    summary = store_all(target, read_document(document, Path("x.json")))
    assert (summary.conversations, summary.messages) == (1, 4)
    assert to_json(target, [conv_id]) == exported  # ids were free: kept, the same file again
    [picture] = [p for p in target.get_message(ids["q"]).parts if isinstance(p, AttachmentPart)]
    assert target.attachment_data([picture.id]) == {picture.id: PICTURE}
    _, branch = target.load_conversation(conv_id)
    assert [m.id for m in branch] == [ids["q"], ids["second"], ids["tool"]]
    assert branch[1].parts[0] == ReasoningPart("It has whiskers.", signature="sig==")


def test_importing_into_the_same_history_gives_new_ids_not_a_merge(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.db")
    conv_id, ids = branchy(store)
    exported = json.loads(to_json(store, [conv_id]))
    store_all(store, read_document(exported, Path("x.json")))
    copies = [c.id for c in store.list_conversations()]
    assert len(copies) == 2 and conv_id in copies
    copy = next(c for c in copies if c != conv_id)
    again = json.loads(to_json(store, [copy]))["conversations"][0]
    original = exported["conversations"][0]
    new_ids = {m["id"] for m in again["messages"]}
    assert new_ids.isdisjoint(ids.values())
    # Everything but the ids is the same, and the tree has the same shape.
    strip = lambda m: {k: v for k, v in m.items() if k not in ("id", "parent_id")}  # noqa: E731
    assert [strip(m) for m in again["messages"]] == [strip(m) for m in original["messages"]]
    assert store.load_conversation(conv_id)[1][-1].id == ids["tool"]  # the original untouched
    assert len(store.load_conversation(copy)[1]) == 3


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ([], "not a JSON object"),
        ({"format": "craft-tui/9"}, "'format' is 'craft-tui/9'"),
        ({"format": "craft-tui/1", "conversations": {}}, "'conversations' is not a list"),
        ({"format": "craft-tui/1", "conversations": [{"id": 1}]}, "conversation 1: 'id' is not a string"),
        ({"format": "craft-tui/1", "conversations": [{"id": "c"}]}, "'created_at' is not an ISO 8601"),
        (
            {"format": "craft-tui/1", "conversations": [{"id": "c", "created_at": "2024-01-01T00:00:00",
              "messages": [{"id": "m", "role": "system"}]}]},
            "message 1: role 'system' is not user, assistant or tool",
        ),
        (
            {"format": "craft-tui/1", "conversations": [{"id": "c", "created_at": "2024-01-01T00:00:00",
              "messages": [{"id": "m", "role": "user", "parent_id": "gone"}]}]},
            "answers 'gone', which is not in the file",
        ),
        (
            {"format": "craft-tui/1", "conversations": [{"id": "c", "created_at": "2024-01-01T00:00:00",
              "messages": [{"id": "a", "role": "user", "parent_id": "b"},
                           {"id": "b", "role": "assistant", "parent_id": "a"}]}]},
            "parents form a loop",
        ),
        (
            {"format": "craft-tui/1", "conversations": [{"id": "c", "created_at": "2024-01-01T00:00:00",
              "messages": [{"id": "m", "role": "user", "parts": [{"type": "attachment", "sha256": "ab"}]}]}]},
            "bytes of attachment 'ab' are missing",
        ),
        (
            {"format": "craft-tui/1", "conversations": [{"id": "c", "created_at": "2024-01-01T00:00:00",
              "messages": [{"id": "m", "role": "user", "usage": {"input_tokens": "many"}}]}]},
            "'input_tokens' is not a whole number",
        ),
        ({"format": "craft-tui/1", "attachments": {"ab": "***"}}, "attachment 'ab' is not base64"),
    ],
)  # fmt: skip
def test_a_wrong_shape_is_a_problem_naming_the_file_and_field(
    tmp_path: Path, data: object, words: str
) -> None:
    store = HistoryStore.open(tmp_path / "h.db")
    with pytest.raises(ImportProblem) as caught:
        store_all(store, read_document(data, Path("/some/export.json")))
    assert str(caught.value).startswith("/some/export.json")
    assert words in str(caught.value)
    assert store.list_conversations(include_empty=True) == []  # nothing half imported


def test_a_huge_title_is_cut_and_huge_text_kept(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.db")
    big = "x" * 2_000_000
    data = {
        "format": "craft-tui/1",
        "conversations": [
            {
                "id": "c",
                "title": "t" * 1_000_000,
                "created_at": "2024-01-01T00:00:00+00:00",
                "messages": [{"id": "m", "role": "user", "text": big}],
            }
        ],
    }
    store_all(store, read_document(data, Path("x.json")))
    conversation, [message] = store.load_conversation("c")
    assert len(conversation.title) == TITLE_CAP and conversation.title.endswith("…")
    assert message.text == big and conversation.active_leaf_id == "m"


def test_an_id_no_one_could_type_gets_a_new_one_and_references_follow(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "h.db")
    hostile = "\x1b[2J" + "i" * 100
    data = {
        "format": "craft-tui/1",
        "conversations": [
            {
                "id": "c\x07",
                "created_at": "2024-01-01T00:00:00+00:00",
                "active_leaf_id": "a",
                "messages": [
                    {"id": hostile, "role": "user", "text": "q"},
                    {"id": "a", "parent_id": hostile, "role": "assistant", "text": "r"},
                ],
            }
        ],
    }
    store_all(store, read_document(data, Path("x.json")))
    [conversation] = store.list_conversations()
    assert len(conversation.id) == 32 and conversation.id.isalnum()
    _, [question, answer] = store.load_conversation(conversation.id)
    assert question.text == "q" and len(question.id) == 32
    assert (answer.id, answer.parent_id) == ("a", question.id)


def test_a_time_past_the_calendar_is_a_problem(tmp_path: Path) -> None:
    data = {
        "format": "craft-tui/1",
        "conversations": [{"id": "c", "created_at": "9999-12-31T23:59:59-05:00"}],
    }
    with pytest.raises(ImportProblem, match="'created_at' is not an ISO 8601 time"):
        read_document(data, Path("x.json"))


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Rust: borrow/checker?", "Rust borrow checker.md"),
        ("../../etc/passwd", "etc passwd.md"),
        ("\x1b]0;x\x07 ok", "0 x ok.md"),
        ("...", "conversation.md"),
        ("", "conversation.md"),
        ("a" * 500, "a" * 80 + ".md"),
    ],
)
def test_a_file_name_from_a_title_is_safe(title: str, name: str) -> None:
    from craft_tui.chat.export import file_name

    assert file_name(title, "md") == name


def test_markdown_reads_the_same_after_a_json_round_trip(tmp_path: Path) -> None:
    """Attribution survives: the imported copy shows the same names, models and times."""
    source = HistoryStore.open(tmp_path / "a.db")
    conv_id, _ = branchy(source)
    target = HistoryStore.open(tmp_path / "b.db")
    store_all(target, read_document(json.loads(to_json(source, [conv_id])), Path("x.json")))
    assert to_markdown(*target.load_conversation(conv_id)) == to_markdown(
        *source.load_conversation(conv_id)
    )
