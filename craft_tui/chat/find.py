"""Finding words in the open conversation (Ctrl+F): which messages hold the query.

Textual-free so the rule is one function, tested on its own. The query is what the user typed,
matched as plain text (no pattern syntax: a `*` or a `(` is just that character), ignoring case
in the Unicode sense (`casefold`: "STRASSE" finds "straße").
"""

from __future__ import annotations

from collections.abc import Sequence


def normalized(text: str) -> str:
    return text.casefold()


def matching_indexes(texts: Sequence[str], query: str) -> list[int]:
    """Indexes of the texts that contain every word of `query`, oldest first. A blank query
    matches nothing (the bar is open, nothing asked yet)."""
    words = [normalized(word) for word in query.split()]
    if not words:
        return []
    found = []
    for index, text in enumerate(texts):
        folded = normalized(text)
        if all(word in folded for word in words):
            found.append(index)
    return found


def occurrences(text: str, query: str) -> int:
    """How many times the words of `query` occur in `text` (for "3 hits in 2 messages")."""
    folded = normalized(text)
    return sum(folded.count(normalized(word)) for word in query.split())
