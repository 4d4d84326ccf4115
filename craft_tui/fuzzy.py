"""Fuzzy filtering and ranking for pickers: fast enough to re-run on every keystroke over 5,000 models.

A query is split on whitespace into terms; every term must match its text as a case-insensitive
subsequence (terms match independently, in any order). Each match is scored so the best rises to the
top: contiguous runs, matches at word starts and at the very start of the text score high; gaps and
late starts cost a little. Match positions come back with each result so a picker can highlight them.

Groups (the model picker: one group per connection). A `FuzzyIndex` given each text's group ranks
by two more rules, both decided in the sort key, so they cost no extra pass:

  * a query whose first term (two characters or more) starts a word of a group's name names that
    group: "groq llama" and "gr llama" name "Groq", "local" and "oll" name "Local Ollama" (words
    start at the start and after a space or separator; no camelCase split, so "ll" names no
    "LiteLLM"). Every match in a named group ranks above every match outside it; the term still has
    to match, and the other rows still follow, ranked as usual;
  * rows of one group stay together: scores are compared in steps of `_BAND` points (half a matched
    character: starting a few characters later, or a prefix bonus, differ by less), and within one
    step the matches are ordered by group (the order the groups were given in), then by exact
    score, shorter text, original order. Rows whose scores fall in different steps stay ordered by
    score, so a clearly better match is never pushed down by the grouping.

Speed comes from doing the character work in C: `str.find` for contiguous terms, one compiled regex
per term for scattered ones, and `FuzzyIndex`, which re-filters only the matches of the longest query
it has seen that the new one extends (a longer query can only match a subset of what a shorter one
matched), and answers a query it has seen before (backspace) from memory.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import overload

__all__ = [
    "FuzzyIndex",
    "FuzzyMatch",
    "Ranking",
    "fuzzy_filter",
    "fuzzy_match",
    "highlight_spans",
]

# Score weights, in the spirit of fzf: a matched character is worth 16; starting a word, following the
# previous match directly, and starting the text add to it; each gap costs 3 to open and 1 per extra
# skipped character, so "cl so 4" ranks "claude-sonnet-4" above "cohere/o-4-latest".
_MATCH = 16
_WORD_START = 8  # doubled for the first character of a term
_CONSECUTIVE = 8
_PREFIX = 4  # the term starts at the very start of the text
_GAP_OPEN = 3
_GAP_EXTEND = 1
_LATE_CAP = 6  # at most this many points lost for starting late in the text
_BAND_SHIFT = 3  # scores in one step of 2**3 = 8 points group by their group (see the docstring)
_BAND = 1 << _BAND_SHIFT
_NAMED = 1 << 24  # added to the step of a named group's rows: above every other row
_NAMING_LENGTH = 2  # the shortest first term that names a group

_SEPARATORS = frozenset(" /-_.:,;()[]{}@|+~\\'\"")


class FuzzyMatch:
    """One text that matched: its index in the searched sequence, its score, and (computed on first
    access, so ranking 5,000 texts never builds 5,000 position tuples) the matched positions."""

    __slots__ = ("_positions", "_terms", "_text", "index", "score")

    def __init__(
        self,
        index: int,
        score: int,
        positions: tuple[int, ...] | None = None,
        *,
        terms: list[_Term] | None = None,
        text: str = "",
    ) -> None:
        self.index = index
        self.score = score
        self._positions = positions
        self._terms = terms
        self._text = text

    @property
    def positions(self) -> tuple[int, ...]:
        """Indexes of the matched characters in the text, ascending, for highlighting."""
        if self._positions is None:
            self._positions = _positions(self._terms or [], self._text)
        return self._positions

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FuzzyMatch):
            return NotImplemented
        return (self.index, self.score, self.positions) == (
            other.index,
            other.score,
            other.positions,
        )

    def __hash__(self) -> int:
        return hash((self.index, self.score))

    def __repr__(self) -> str:
        return f"FuzzyMatch(index={self.index}, score={self.score}, positions={self.positions})"


def _is_word_start(text: str, position: int) -> bool:
    """True at the start of the text, after a separator, or where letters meet digits/camelCase."""
    if position == 0:
        return True
    previous = text[position - 1]
    if previous in _SEPARATORS:
        return True
    current = text[position]
    if previous.isdigit() != current.isdigit():
        return True
    return previous.islower() and current.isupper()


_Result = tuple[int, tuple[int, ...]]
_Key = tuple[int, ...]  # a match's sort key; its score negated at [-3], its text's index at [-1]
_UNSCORED = object()  # a term's score not computed yet (None means: computed, no match)


class _Term:
    """One whitespace-separated piece of a query, with its compiled regexes.

    Tried in order, each in C: the term as a whole word-start substring, as any substring, then as a
    scattered subsequence (`(a)[^b]*(b)[^c]*(c)`: linear per start, one group per character).
    """

    __slots__ = (
        "first_is_digit",
        "length",
        "plain_score",
        "regex",
        "text",
        "word",
        "word_score",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        self.length = len(text)
        self.first_is_digit = text[0].isdigit()
        escaped = re.escape(text)
        first = text[0]
        if first.isdigit():
            self.word: re.Pattern[str] | None = re.compile(r"(?<!\d)" + escaped)
        elif first.isalpha():
            self.word = re.compile(r"(?<![^\W\d_])" + escaped)
        else:
            self.word = None
        self.plain_score = self.length * (_MATCH + _CONSECUTIVE) - _CONSECUTIVE
        self.word_score = self.plain_score + 2 * _WORD_START
        parts = [f"({re.escape(first)})"]
        for char in text[1:]:
            parts.append(f"[^{re.escape(char)}]*({re.escape(char)})")
        self.regex = re.compile("".join(parts), re.DOTALL)

    def _start(self, lowered: str) -> tuple[int, bool]:
        """Where the term occurs whole (-1 if nowhere), preferring an occurrence at a word start."""
        start = lowered.find(self.text)
        if start <= 0:
            return start, start == 0
        previous = lowered[start - 1]
        if not previous.isalnum() or previous.isdigit() != self.first_is_digit:
            return start, True
        if self.word is not None:
            found = self.word.search(lowered, start + 1)
            if found is not None:
                return found.start(), True
        return start, False

    def score(self, lowered: str, original: str) -> int | None:
        """Score this term against one text; None when it does not match.

        `_start` written out: this runs once per text per new term, 5,000 times a keystroke."""
        start = lowered.find(self.text)
        if start == 0:
            return self.word_score + _PREFIX
        if start < 0:
            if self.length == 1:  # one character: scattered is the same as contiguous
                return None
            positions = self.scattered(lowered)
            return None if positions is None else _score(original, positions)
        previous = lowered[start - 1]
        if not previous.isalnum() or previous.isdigit() != self.first_is_digit:
            base = self.word_score
        elif self.word is not None and (found := self.word.search(lowered, start + 1)) is not None:
            start = found.start()
            base = self.word_score
        else:
            base = self.plain_score
        return base - (start if start < _LATE_CAP else _LATE_CAP)

    def positions(self, lowered: str) -> list[int]:
        """The positions `score` counted (empty when the term does not match)."""
        start = self._start(lowered)[0]
        if start >= 0:
            return list(range(start, start + self.length))
        return self.scattered(lowered) or []

    def scattered(self, lowered: str) -> list[int] | None:
        found = self.regex.search(lowered)
        if found is None:
            return None
        # Walk back from the end to the latest start: the tightest window ending there (fzf v1).
        positions = []
        cursor = found.end() - 1
        for char in reversed(self.text):
            cursor = lowered.rfind(char, 0, cursor + 1)
            positions.append(cursor)
            cursor -= 1
        positions.reverse()
        return positions


def _score(original: str, positions: list[int]) -> int:
    """Score a scattered match from its positions."""
    first = positions[0]
    score = _MATCH * len(positions) - min(first, _LATE_CAP)
    if first == 0:
        score += _PREFIX
    previous = -1
    for position in positions:
        if previous >= 0 and position == previous + 1:
            score += _CONSECUTIVE
        else:
            if previous >= 0:
                score -= _GAP_OPEN + (position - previous - 2) * _GAP_EXTEND
            if _is_word_start(original, position):
                score += _WORD_START * (2 if previous < 0 else 1)
        previous = position
    return score


def _lower(text: str) -> str:
    """Lower-case without changing the length (a few characters, like 'İ', grow when lowered);
    line breaks become spaces so texts can be joined one per line."""
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    if "\n" in lowered or "\r" in lowered:
        lowered = lowered.replace("\n", " ").replace("\r", " ")
    return lowered


def _lower_all(texts: list[str]) -> list[str]:
    """`_lower` of each text. A picker indexes 50,000 texts as it opens: lowered in one piece
    (joined by line breaks, split again) when that is the same as one by one, i.e. when no text
    has a line break of its own and lowering changes no length."""
    joined = "\n".join(texts)
    lowered = joined.lower()
    if (
        len(lowered) == len(joined)
        and "\r" not in lowered
        and lowered.count("\n") == max(len(texts) - 1, 0)
    ):
        return lowered.split("\n") if texts else []
    return [_lower(text) for text in texts]


def _word_starts(name: str) -> list[str]:
    """A group's name, lowered, from each of its words on: from the start, and after each space
    or separator ("Local Ollama" -> "local ollama", "ollama")."""
    lowered = _lower(name)
    return [
        lowered[position:]
        for position in range(len(lowered))
        if lowered[position] not in _SEPARATORS
        and (position == 0 or lowered[position - 1] in _SEPARATORS)
    ]


def _parse(query: str) -> list[_Term]:
    return [_Term(piece) for piece in query.lower().split()]


def _score_terms(terms: list[_Term], lowered: str, original: str) -> int | None:
    total = 0
    for term in terms:
        score = term.score(lowered, original)
        if score is None:
            return None
        total += score
    return total


def _positions(terms: list[_Term], text: str) -> tuple[int, ...]:
    lowered = _lower(text)
    found: set[int] = set()
    for term in terms:
        found.update(term.positions(lowered))
    return tuple(sorted(found))


def fuzzy_match(query: str, text: str) -> FuzzyMatch | None:
    """Match one text; index is 0. An empty query matches with score 0 and no positions."""
    terms = _parse(query)
    if not terms:
        return FuzzyMatch(0, 0, ())
    score = _score_terms(terms, _lower(text), text)
    return None if score is None else FuzzyMatch(0, score, terms=terms, text=text)


class FuzzyIndex:
    """A fixed list of texts prepared for repeated filtering as the user types.

    Lower-casing happens once. `search` remembers the matches of its recent queries: a query seen
    before (the user pressed backspace) is answered without scanning, and a query that only adds
    characters to a remembered one examines only that one's matches. Ranking: best score first, then
    the shorter text (the more specific hit), then the original order.

    With `groups` (each text's group number, 0 first) and `group_names` (each group's name), a
    first term naming a group ranks its rows first, and rows of one group stay together within a
    step of equal-ish scores (the module docstring has the rule).
    """

    REMEMBERED = 64  # queries whose matches are kept (a few typed-and-deleted queries' worth)
    TERMS_REMEMBERED = 16  # terms whose scores are kept (up to one int per text each)

    def __init__(
        self,
        texts: Sequence[str],
        groups: Sequence[int] | None = None,
        group_names: Sequence[str] = (),
    ) -> None:
        self._texts = list(texts)
        self._groups = list(groups) if groups is not None else None
        if self._groups is not None and len(self._groups) != len(self._texts):
            raise ValueError("one group per text")
        # per group, its name from each word start on, lowered: a first term names the group
        # when one of them starts with it
        self._name_words = [_word_starts(name) for name in group_names]
        if self._groups and max(self._groups) >= len(self._name_words):
            self._name_words += [[] for _ in range(max(self._groups) + 1 - len(self._name_words))]
        self._lowered = _lower_all(self._texts)
        self._lengths = list(map(len, self._texts))
        self._matched: int | None = None  # how many the last search matched; None: everything
        self._everything: list[int] = list(range(len(self._texts)))
        # normalised query -> its matches, sorted (best first), as (-score, length, index), or with
        # groups (-step, group, -score, length, index): score and index are always [-3] and [-1]
        self._remembered: OrderedDict[str, list[_Key]] = OrderedDict()
        # term -> {text index: its score, None for no match}: a query's terms but its last were
        # scored when the shorter queries were typed, so a keystroke scores one term, not all
        self._term_scores: OrderedDict[str, dict[int, int | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._texts)

    def text(self, index: int) -> str:
        return self._texts[index]

    @property
    def matched(self) -> int:
        """How many texts the last `search` matched, even when it returned only `limit` of them
        (a picker shows "12 of 4,512" without building 4,512 results)."""
        return len(self._texts) if self._matched is None else self._matched

    def _candidates(self, normalised: str) -> list[int]:
        """The matches of the longest remembered query that `normalised` extends, else everything."""
        for end in range(len(normalised) - 1, 0, -1):
            known = self._remembered.get(normalised[:end])
            if known is not None:
                return [item[-1] for item in known]
        return self._everything

    def _scores(self, term: str) -> dict[int, int | None]:
        """The remembered scores of one term (an empty dict to fill for a new one)."""
        scores = self._term_scores.get(term)
        if scores is None:
            scores = self._term_scores[term] = {}
            if len(self._term_scores) > self.TERMS_REMEMBERED:
                self._term_scores.popitem(last=False)
        else:
            self._term_scores.move_to_end(term)
        return scores

    def _named(self, terms: list[_Term]) -> list[int]:
        """Per group, what its rows' step is raised by: `_NAMED` for a group the first term names."""
        first = terms[0].text
        if len(first) < _NAMING_LENGTH:
            return [0] * len(self._name_words)
        return [
            _NAMED if any(word.startswith(first) for word in words) else 0
            for words in self._name_words
        ]

    def _scan(self, terms: list[_Term], candidates: list[int]) -> list[_Key]:
        """Score every candidate; plain tuples so ranking sorts in C."""
        if self._groups is not None:
            return self._scan_grouped(terms, candidates, self._groups, self._named(terms))
        lowered, texts, lengths = self._lowered, self._texts, self._lengths
        ranked: list[_Key] = []
        append = ranked.append
        unscored = _UNSCORED
        if len(terms) == 1:
            score_one = terms[0].score
            scores = self._scores(terms[0].text)
            get = scores.get
            for index in candidates:
                score = get(index, unscored)
                if score is unscored:
                    score = scores[index] = score_one(lowered[index], texts[index])
                if score is not None:
                    append((-score, lengths[index], index))  # type: ignore[operator]
            return ranked
        # Terms already scored first (a lookup), then the most selective of the rest.
        by_cost = sorted(terms, key=lambda t: (t.text not in self._term_scores, -t.length))
        scored = [(term.score, self._scores(term.text)) for term in by_cost]
        for index in candidates:
            total = 0
            for score_one, scores in scored:
                score = scores.get(index, unscored)
                if score is unscored:
                    score = scores[index] = score_one(lowered[index], texts[index])
                if score is None:
                    break
                total += score  # type: ignore[operator]
            else:
                append((-total, lengths[index], index))
        return ranked

    def _scan_grouped(
        self, terms: list[_Term], candidates: list[int], groups: list[int], named: list[int]
    ) -> list[_Key]:
        """`_scan` with the group rules in the key: (-step, group, -score, length, index), where a
        step is the score's band of `_BAND` points, raised by `_NAMED` in a named group."""
        lowered, texts, lengths = self._lowered, self._texts, self._lengths
        ranked: list[_Key] = []
        append = ranked.append
        unscored = _UNSCORED
        shift = _BAND_SHIFT
        if len(terms) == 1:
            score_one = terms[0].score
            scores = self._scores(terms[0].text)
            get = scores.get
            for index in candidates:
                score = get(index, unscored)
                if score is unscored:
                    score = scores[index] = score_one(lowered[index], texts[index])
                if score is not None:
                    group = groups[index]
                    append((-(score >> shift), group, -score, lengths[index], index))  # type: ignore[operator]
            if any(named):  # rare (a first term naming a connection): raise its rows after
                ranked = [
                    (item[0] - named[item[1]], *item[1:]) if named[item[1]] else item
                    for item in ranked
                ]
            return ranked
        by_cost = sorted(terms, key=lambda t: (t.text not in self._term_scores, -t.length))
        scored = [(term.score, self._scores(term.text)) for term in by_cost]
        for index in candidates:
            total = 0
            for score_one, scores in scored:
                score = scores.get(index, unscored)
                if score is unscored:
                    score = scores[index] = score_one(lowered[index], texts[index])
                if score is None:
                    break
                total += score  # type: ignore[operator]
            else:
                group = groups[index]
                append((-(total >> shift), group, -total, lengths[index], index))
        if any(named):
            ranked = [
                (item[0] - named[item[1]], *item[1:]) if named[item[1]] else item for item in ranked
            ]
        return ranked

    def rank(self, query: str) -> Ranking:
        """Every match for `query`, best first, as a lazy sequence: a list that shows a screenful
        at a time builds `FuzzyMatch`es (and their positions) only for the rows it draws.

        An empty query ranks every text in its original order.
        """
        terms, ranked = self._ranked(query)
        return Ranking(self._texts, ranked, terms)

    def _ranked(self, query: str) -> tuple[list[_Term], list[_Key] | None]:
        """The query's terms and its matches, best first (None: the empty query, everything).

        Remembered sorted: backspace and a repeated query need no sort, and narrowing scans a
        sorted list, so the new one is nearly sorted already (cheap for Python's sort)."""
        normalised = " ".join(query.lower().split())
        if query[-1:].isspace() and normalised:
            normalised += " "
        terms = _parse(normalised)
        if not terms:
            self._matched = None
            return terms, None
        remembered = self._remembered.get(normalised)
        if remembered is None:
            ranked = self._scan(terms, self._candidates(normalised))
            ranked.sort()
            self._remembered[normalised] = ranked
            if len(self._remembered) > self.REMEMBERED:
                self._remembered.popitem(last=False)
        else:
            self._remembered.move_to_end(normalised)
            ranked = remembered
        self._matched = len(ranked)
        return terms, ranked

    def search(self, query: str, limit: int | None = None) -> list[FuzzyMatch]:
        """Ranked matches for `query` (the best `limit` when given; cheaper for a long list).

        An empty query returns every text in its original order.
        """
        terms, ranked = self._ranked(query)
        if ranked is None:
            count = len(self._texts) if limit is None else min(limit, len(self._texts))
            return [FuzzyMatch(i, 0, ()) for i in range(count)]
        texts = self._texts
        if limit is not None:
            ranked = ranked[:limit]
        return [
            FuzzyMatch(item[-1], -item[-3], terms=terms, text=texts[item[-1]]) for item in ranked
        ]


class Ranking(Sequence[FuzzyMatch]):
    """All matches of one query, best first; each `FuzzyMatch` is built when it is asked for."""

    __slots__ = ("_ranked", "_terms", "_texts")

    def __init__(
        self,
        texts: Sequence[str],
        ranked: list[_Key] | None,
        terms: list[_Term],
    ) -> None:
        self._texts = texts
        self._ranked = ranked  # sorted keys (score at [-3], index at [-1]); None: every text
        self._terms = terms

    def __len__(self) -> int:
        return len(self._texts) if self._ranked is None else len(self._ranked)

    def index_at(self, position: int) -> int:
        """The text index of the match at `position` (no `FuzzyMatch` built)."""
        if self._ranked is None:
            return range(len(self._texts))[position]
        return self._ranked[position][-1]

    def indices(self) -> Sequence[int]:
        """Text indexes of every match, best first."""
        if self._ranked is None:
            return range(len(self._texts))
        return [item[-1] for item in self._ranked]

    @overload
    def __getitem__(self, position: int) -> FuzzyMatch: ...

    @overload
    def __getitem__(self, position: slice) -> list[FuzzyMatch]: ...

    def __getitem__(self, position: int | slice) -> FuzzyMatch | list[FuzzyMatch]:
        if isinstance(position, slice):
            return [self[i] for i in range(len(self))[position]]
        if self._ranked is None:
            return FuzzyMatch(range(len(self._texts))[position], 0, ())
        item = self._ranked[position]
        index = item[-1]
        return FuzzyMatch(index, -item[-3], terms=self._terms, text=self._texts[index])


def fuzzy_filter(query: str, texts: Sequence[str], limit: int | None = None) -> list[FuzzyMatch]:
    """One-shot filter and rank; build a `FuzzyIndex` instead when filtering on every keystroke."""
    return FuzzyIndex(texts).search(query, limit)


def highlight_spans(positions: Sequence[int]) -> list[tuple[int, int]]:
    """Collapse match positions into (start, end) spans, e.g. for `Text.stylize(style, start, end)`."""
    spans: list[tuple[int, int]] = []
    for position in sorted(positions):
        if spans and spans[-1][1] == position:
            spans[-1] = (spans[-1][0], position + 1)
        else:
            spans.append((position, position + 1))
    return spans
