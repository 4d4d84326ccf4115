"""Tree walks and titles: what the screen shows as the current branch and the history list."""

from __future__ import annotations

from typing import Any

from craft_tui.chat.conversation import (
    StoredMessage,
    derive_title,
    latest_leaf,
    path_to,
    siblings,
)


def msg(id: str, parent: str | None, role: Any = "user") -> StoredMessage:
    return StoredMessage(id=id, conversation_id="c", parent_id=parent, role=role, text=id)


# q1 ─ a1 ─ q2 ─ a2
#         └ q2b ─ a2b
#   └ a1b
TREE = [
    msg("q1", None),
    msg("a1", "q1", "assistant"),
    msg("q2", "a1"),
    msg("a2", "q2", "assistant"),
    msg("a1b", "q1", "assistant"),
    msg("q2b", "a1"),
    msg("a2b", "q2b", "assistant"),
]


def test_path_walks_from_the_leaf_to_the_root() -> None:
    assert [m.id for m in path_to(TREE, "a2")] == ["q1", "a1", "q2", "a2"]
    assert [m.id for m in path_to(TREE, "a1b")] == ["q1", "a1b"]
    assert path_to(TREE, None) == [] and path_to(TREE, "missing") == []


def test_a_parent_cycle_in_a_damaged_file_does_not_hang() -> None:
    looped = [msg("x", "y"), msg("y", "x")]
    assert {m.id for m in path_to(looped, "x")} == {"x", "y"}
    assert latest_leaf(looped, "x") in {"x", "y"}


def test_siblings_are_the_versions_at_one_place_oldest_first() -> None:
    assert [m.id for m in siblings(TREE, "a1")] == ["a1", "a1b"]
    assert [m.id for m in siblings(TREE, "q2b")] == ["q2", "q2b"]
    assert [m.id for m in siblings(TREE, "q1")] == ["q1"]
    assert siblings(TREE, "missing") == []


def test_latest_leaf_follows_the_newest_child() -> None:
    assert latest_leaf(TREE, "a1") == "a2b"
    assert latest_leaf(TREE, "q1") == "a1b"
    assert latest_leaf(TREE, None) == "a1b"
    assert latest_leaf([], None) is None


def test_title_is_the_first_line_squeezed_and_cut_at_a_word() -> None:
    assert derive_title("\n\n  How   do I\tsort a list?\nmore") == "How do I sort a list?"
    long = "Explain the difference between processes and threads in operating systems please"
    title = derive_title(long)
    assert len(title) <= 60 and title.endswith("…")
    assert long.startswith(title[:-1])
    assert title[:-1] == title[:-1].rstrip() and " " not in title[-2:]
    assert derive_title("   \n ") == ""
