"""Versions of a message (edits, regenerations) come from one rule, `conversation.versions`: the
session's `siblings` (what [ and ] walk through) and the labels ('version 2/3') agree."""

from __future__ import annotations

from craft_tui.chat.conversation import StoredMessage, siblings, versions


def msg(id: str, parent: str | None) -> StoredMessage:
    return StoredMessage(id=id, conversation_id="c", parent_id=parent, role="user", text=id)


# q1 ─ a1 ─ q2
#   │     └ q2b
#   │     └ q2c
#   └ a1b
TREE = [msg("q1", None), msg("a1", "q1"), msg("q2", "a1"), msg("a1b", "q1"), msg("q2b", "a1")]
TREE.append(msg("q2c", "a1"))


def test_each_message_with_siblings_gets_its_place_and_count_oldest_first() -> None:
    assert versions(TREE) == {
        "a1": (1, 2),
        "a1b": (2, 2),
        "q2": (1, 3),
        "q2b": (2, 3),
        "q2c": (3, 3),
    }


def test_the_labels_agree_with_the_siblings_walked_by_the_version_keys() -> None:
    labels = versions(TREE)
    for message in TREE:
        place = siblings(TREE, message.id)
        which = [m.id for m in place].index(message.id) + 1
        assert labels.get(message.id, (1, 1)) == (which, len(place))
