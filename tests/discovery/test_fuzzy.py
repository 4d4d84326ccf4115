"""Fuzzy filtering as the model picker and `craft-tui models QUERY` use it."""

from __future__ import annotations

import pytest

from craft_tui import fuzzy
from craft_tui.fuzzy import FuzzyIndex, fuzzy_filter, fuzzy_match, highlight_spans

MODELS = [
    "anthropic/claude-3-5-sonnet-latest",
    "anthropic/claude-sonnet-4",
    "anthropic/claude-opus-4.1",
    "cohere/command-r-plus",
    "openai/gpt-4o-mini",
    "openai/gpt-4o",
    "mistralai/codestral-latest",
    "meta-llama/llama-3.3-70b-instruct",
]


def _ids(query: str, texts: list[str] = MODELS) -> list[str]:
    return [texts[m.index] for m in fuzzy_filter(query, texts)]


def test_every_space_separated_term_must_match() -> None:
    assert _ids("llama 70b") == ["meta-llama/llama-3.3-70b-instruct"]
    assert _ids("llama 8b") == []


def test_terms_match_in_any_order_and_ignore_case() -> None:
    assert _ids("70B LLAMA") == ["meta-llama/llama-3.3-70b-instruct"]


def test_abbreviated_words_find_the_model_and_rank_it_first() -> None:
    ranked = _ids("cl so 4")
    assert ranked[0] == "anthropic/claude-sonnet-4"
    assert "anthropic/claude-3-5-sonnet-latest" not in ranked  # it has no 4
    assert _ids("cl so")[:2] == ["anthropic/claude-sonnet-4", "anthropic/claude-3-5-sonnet-latest"]


def test_contiguous_word_start_beats_scattered_letters() -> None:
    texts = ["x-gpt-4o-mini", "gpt-4o", "g-p-t-4-o"]
    ranked = [texts[m.index] for m in fuzzy_filter("gpt-4o", texts)]
    assert ranked[0] == "gpt-4o"
    assert ranked[-1] == "g-p-t-4-o"


def test_prefix_match_ranks_before_a_match_inside_a_word() -> None:
    texts = ["mini-thing", "gpt-4o-mini", "sonnetmini"]
    ranked = [texts[m.index] for m in fuzzy_filter("mini", texts)]
    assert ranked == ["mini-thing", "gpt-4o-mini", "sonnetmini"]


def test_shorter_text_wins_a_tie() -> None:
    assert _ids("gpt-4o")[:2] == ["openai/gpt-4o", "openai/gpt-4o-mini"]


def test_positions_point_at_the_matched_characters() -> None:
    text = "anthropic/claude-sonnet-4"
    match = fuzzy_match("son 4", text)
    assert match is not None
    assert "".join(text[i] for i in match.positions) == "son4"
    assert highlight_spans(match.positions) == [(17, 20), (24, 25)]


def test_scattered_positions_are_the_tightest_window() -> None:
    match = fuzzy_match("gpt4o", "openai/gpt-4o")
    assert match is not None
    assert match.positions == (7, 8, 9, 11, 12)


def test_positions_follow_original_text_when_lowercasing_changes_length() -> None:
    text = "İstanbul-7b"
    match = fuzzy_match("7b", text)
    assert match is not None
    assert [text[i] for i in match.positions] == ["7", "b"]


def test_empty_query_keeps_every_text_in_order() -> None:
    assert _ids("   ") == MODELS
    assert [m.index for m in FuzzyIndex(MODELS).search("", limit=3)] == [0, 1, 2]


def test_no_match_returns_none_and_nothing() -> None:
    assert fuzzy_match("zzz", "gpt-4o") is None
    assert _ids("qqq") == []


def test_limit_returns_the_best_matches_only() -> None:
    full = fuzzy_filter("o", MODELS)
    best_two = fuzzy_filter("o", MODELS, limit=2)
    assert [m.index for m in best_two] == [m.index for m in full[:2]]


def test_typing_more_narrows_and_deleting_widens_again() -> None:
    index = FuzzyIndex(MODELS)
    assert len(index.search("gp")) == 2
    assert len(index.search("gpt-4o-")) == 1
    assert len(index.search("gp")) == 2  # backspace: the earlier matches come back
    assert len(index.search("cl")) >= 3
    assert len(index.search("cl ")) == len(index.search("cl"))
    assert MODELS[index.search("cl op")[0].index] == "anthropic/claude-opus-4.1"


def test_narrowed_search_equals_a_fresh_search() -> None:
    texts = [f"vendor{i % 7}/model-{i}-{'mini' if i % 3 else 'large'}" for i in range(300)]
    index = FuzzyIndex(texts)
    query = "v3 mo 1 la"
    for length in range(1, len(query) + 1):
        typed = [(m.index, m.score) for m in index.search(query[:length])]
        fresh = [(m.index, m.score) for m in fuzzy_filter(query[:length], texts)]
        assert typed == fresh, query[:length]


def test_regex_characters_in_a_query_are_literal() -> None:
    texts = ["a.b", "axb", "model (beta)", "c++"]
    assert [texts[m.index] for m in fuzzy_filter("a.b", texts)] == ["a.b"]
    assert [texts[m.index] for m in fuzzy_filter("(beta)", texts)] == ["model (beta)"]
    assert [texts[m.index] for m in fuzzy_filter("c++", texts)] == ["c++"]


def test_matched_counts_every_match_even_with_a_limit() -> None:
    index = FuzzyIndex(MODELS)
    assert len(index.search("o", limit=2)) == 2
    assert index.matched == len(fuzzy_filter("o", MODELS))
    index.search("")
    assert index.matched == len(MODELS)


def test_typing_deleting_and_retyping_equals_fresh_searches() -> None:
    """Remembered queries (backspace) and narrowing from any remembered prefix give what a fresh
    search gives, including `matched` and a limit."""
    texts = [f"vendor{i % 7}/model-{i}-{'mini' if i % 3 else 'large'}" for i in range(300)]
    index = FuzzyIndex(texts)
    typed = ["v", "v3", "v3 ", "v3 m", "v3 mo", "v3 m", "v3 ", "v3", "v", "", "v", "v3 mi", "mo 1"]
    for query in typed:
        for limit in (None, 5):
            got = [(m.index, m.score, m.positions) for m in index.search(query, limit=limit)]
            fresh = [(m.index, m.score, m.positions) for m in fuzzy_filter(query, texts, limit)]
            assert got == fresh, query
            assert index.matched == (len(fuzzy_filter(query, texts)) if query else len(texts))


def test_rank_lists_every_match_like_search_building_each_on_demand() -> None:
    texts = [f"vendor/model-{n}" for n in range(300)] + ["other/thing"]
    index = FuzzyIndex(texts)
    for query in ("", "mo 1", "model-2", "zzz"):
        ranking = index.rank(query)
        expected = FuzzyIndex(texts).search(query)
        assert len(ranking) == len(expected) == index.matched
        assert list(ranking) == expected
        assert list(ranking.indices()) == [match.index for match in expected]
        if expected:
            assert ranking.index_at(len(ranking) - 1) == expected[-1].index


def test_a_keystroke_scores_only_the_term_it_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Earlier terms were scored while they were typed: extending the query scores the new term
    alone, and a term remembered from another query gives what a fresh search gives."""
    texts = [f"vendor{i % 7}/model-{i}-{'mini' if i % 3 else 'large'}" for i in range(300)]
    index = FuzzyIndex(texts)
    scored: list[str] = []
    original = fuzzy._Term.score

    def spy(term: fuzzy._Term, lowered: str, text: str) -> int | None:
        scored.append(term.text)
        return original(term, lowered, text)

    monkeypatch.setattr(fuzzy._Term, "score", spy)
    index.search("v3 mo")
    scored.clear()
    index.search("v3 mo 1")
    assert set(scored) == {"1"}
    for query in ("mo 1", "1 v3 mo", "la mo"):
        got = [(m.index, m.score, m.positions) for m in index.search(query)]
        fresh = [(m.index, m.score, m.positions) for m in fuzzy_filter(query, texts)]
        assert got == fresh, query


GROUPED = [
    "groq/llama-3.3-70b LiteLLM",  # group 0: a proxy naming another service in its ids
    "llama-3.3-70b Groq",  # group 1
    "llama-3.1-8b Groq",  # group 1
    "llama3.1:8b Local Ollama",  # group 2
]
GROUP_NAMES = ["LiteLLM", "Groq", "Local Ollama"]


def _grouped(query: str) -> list[str]:
    index = FuzzyIndex(GROUPED, [0, 1, 1, 2], GROUP_NAMES)
    return [GROUPED[m.index] for m in index.search(query)]


def test_a_first_term_starting_a_group_names_word_ranks_that_group_first() -> None:
    assert _ids("groq llama", GROUPED)[0] == "groq/llama-3.3-70b LiteLLM"  # without groups
    assert _grouped("groq llama") == [
        "llama-3.1-8b Groq",
        "llama-3.3-70b Groq",
        "groq/llama-3.3-70b LiteLLM",
    ]
    assert _grouped("gr llama")[:2] == ["llama-3.1-8b Groq", "llama-3.3-70b Groq"]
    assert _grouped("oll")[0] == "llama3.1:8b Local Ollama"  # a later word of the name
    assert _grouped("llama groq")[0] == "groq/llama-3.3-70b LiteLLM"  # only the first term names
    assert _grouped("g llama") == _ids("g llama", GROUPED)  # one letter names no group


def test_rows_of_a_group_stay_together_within_a_step_of_scores() -> None:
    texts = ["llama-3b-x A", "llama-1 B", "llama-3b-xy A", "llama-2 B"]
    plain = [texts[m.index] for m in FuzzyIndex(texts).search("llama")]
    assert plain == ["llama-1 B", "llama-2 B", "llama-3b-x A", "llama-3b-xy A"]  # by length
    grouped = [texts[m.index] for m in FuzzyIndex(texts, [1, 0, 1, 0], ["B", "A"]).search("llama")]
    assert grouped == ["llama-1 B", "llama-2 B", "llama-3b-x A", "llama-3b-xy A"]
    grouped = [texts[m.index] for m in FuzzyIndex(texts, [0, 1, 0, 1], ["A", "B"]).search("llama")]
    assert grouped == ["llama-3b-x A", "llama-3b-xy A", "llama-1 B", "llama-2 B"]
    # a clearly better match (another step) is not pushed down by the grouping
    texts = ["x-llama A", "llama B"]
    assert [texts[m.index] for m in FuzzyIndex(texts, [0, 1], ["A", "B"]).search("llama")] == [
        "llama B",
        "x-llama A",
    ]


def test_grouped_scores_and_positions_are_the_plain_ones() -> None:
    plain = {m.index: (m.score, m.positions) for m in FuzzyIndex(GROUPED).search("gr ll")}
    index = FuzzyIndex(GROUPED, [0, 1, 1, 2], GROUP_NAMES)
    assert {m.index: (m.score, m.positions) for m in index.rank("gr ll")} == plain
    assert index.rank("gr ll").index_at(0) == 2 and index.matched == len(plain)
