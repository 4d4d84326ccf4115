"""Ctrl+F's rule: which messages hold every typed word, as plain text, ignoring case."""

from __future__ import annotations

from craft_tui.chat.find import matching_indexes, occurrences


def test_every_word_must_be_in_the_message_in_any_case() -> None:
    texts = ["Sorting in Python", "python lists", "Rust sorting", "SORTING python again"]
    assert matching_indexes(texts, "python sorting") == [0, 3]
    assert matching_indexes(texts, "PYTHON") == [0, 1, 3]


def test_a_blank_query_matches_nothing() -> None:
    assert matching_indexes(["anything"], "   ") == []


def test_pattern_characters_are_just_characters() -> None:
    texts = ["a (b) c*", "abc", "[link](x)"]
    assert matching_indexes(texts, "(b)") == [0]
    assert matching_indexes(texts, "c*") == [0]
    assert matching_indexes(texts, "](") == [2]


def test_casefold_finds_german_sharp_s() -> None:
    assert matching_indexes(["Die Straße"], "STRASSE") == [0]
    assert occurrences("go go Go", "go") == 3
