"""Cache writes in the history (issue 19): schema v6 keeps the tokens each answer wrote to the
prompt cache. A v5 history upgrades with every older answer reading no writes and its figures as
they were; an answer saved with writes reads back with them after a reopen, its cost the one
priced with the writes at the write price. The input figure shown for an answer is its whole
prompt on both protocols (`chat/usage.py prompt_tokens`): the status line's, `ask --usage`'s."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from craft_tui.chat.cost import answer_cost_usd, message_cost
from craft_tui.chat.history import HistoryStore
from craft_tui.chat.migrations import CACHE_WRITE_VERSION, MIGRATIONS, SCHEMA_VERSION
from craft_tui.chat.usage import cached_in_input_check, prompt_tokens
from craft_tui.commands.ask import format_usage
from craft_tui.config.schema import Config, Connection
from craft_tui.providers.pricing import Pricing, builtin_price
from craft_tui.providers.types import Usage
from craft_tui.workspace.figures import status_figures
from craft_tui.workspace.targets import Target

MODEL = "claude-sonnet-4-5"
# The same answer as each protocol reports it: 100 new input tokens, 10,000 read from the
# cache, 2,000 written to it, 50 out. Anthropic's input_tokens leaves the cache out, OpenAI's
# prompt_tokens (OpenRouter's, for an anthropic/ model) holds it.
ANTHROPIC_USAGE = Usage(
    input_tokens=100, output_tokens=50, cached_tokens=10_000, cache_write_tokens=2_000
)
OPENAI_USAGE = Usage(
    input_tokens=12_100, output_tokens=50, cached_tokens=10_000, cache_write_tokens=2_000
)
# claude-sonnet-4-5 per million: $3 input, $0.30 cache read, $3.75 cache write, $15 output.
USD = (100 * 3.0 + 10_000 * 0.30 + 2_000 * 3.75 + 50 * 15.0) / 1e6  # $0.01155
USD_WRITES_AS_INPUT = (100 * 3.0 + 10_000 * 0.30 + 2_000 * 3.0 + 50 * 15.0) / 1e6


def _connection(slug: str, protocol: str, base_url: str) -> Connection:
    return Connection.model_validate(
        {
            "slug": slug,
            "name": slug.title(),
            "protocol": protocol,
            "base_url": base_url,
            "auth": {"type": "none"},
            "models": [{"id": MODEL}],
        }
    )


CLAUDE = _connection("claude", "anthropic", "https://api.anthropic.com")
ROUTER = _connection("router", "openai", "https://gateway.example.com/v1")
CONFIG = Config(connections=[CLAUDE, ROUTER])


def _answer(store: HistoryStore, slug: str, **figures: Any) -> tuple[str, str]:
    conversation = store.create_conversation(connection_slug=slug, model=MODEL)
    question = store.add_message(conversation.id, parent_id=None, role="user", text="q")
    answer = store.add_message(
        conversation.id, parent_id=question.id, role="assistant", connection_slug=slug, model=MODEL
    )
    store.finish_message(answer.id, finish_reason="stop", text="a", **figures)
    return conversation.id, answer.id


def test_a_v5_history_upgrades_with_no_writes_known_and_its_figures_as_they_were(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    old = HistoryStore.open(path, migrations=MIGRATIONS[:5])  # what the v5 code wrote
    # The v5 code had no column for writes: an answer finished with one keeps the rest.
    conversation_id, answer_id = _answer(
        old, "claude", input_tokens=100, output_tokens=50, cached_tokens=10_000,
        cache_write_tokens=2_000, cost_usd=0.01155,
    )  # fmt: skip
    assert old.get_message(answer_id).cache_write_tokens is None
    before = old.conversation_figures([conversation_id])
    old.close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 5
    assert "cache_write_tokens" not in {r[1] for r in raw.execute("PRAGMA table_info(messages)")}
    raw.close()

    upgraded = HistoryStore.open(path)
    db = upgraded._db
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    assert CACHE_WRITE_VERSION == 6
    message = upgraded.get_message(answer_id)
    assert message.cache_write_tokens is None  # NULL: nothing known of the old answer's writes
    assert (message.input_tokens, message.cached_tokens, message.cost_usd) == (100, 10_000, 0.01155)
    assert upgraded.conversation_figures([conversation_id]) == before
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # The figures' covering indexes were made again with the cache counts in them.
    for index in ("messages_answer_figures", "messages_answers_created"):
        columns = [row[2] for row in db.execute(f"PRAGMA index_info({index})")]
        assert {"cached_tokens", "cache_write_tokens"} <= set(columns), index
    # And the upgraded file takes writes.
    _, new_id = _answer(upgraded, "claude", input_tokens=5, cache_write_tokens=700)
    assert upgraded.get_message(new_id).cache_write_tokens == 700


def test_an_answer_with_cache_writes_reopens_with_them_and_their_price(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    store = HistoryStore.open(path)
    cost = answer_cost_usd(CLAUDE, MODEL, ANTHROPIC_USAGE)  # what the session stores
    conversation_id, answer_id = _answer(
        store, "claude", input_tokens=100, output_tokens=50, cached_tokens=10_000,
        cache_write_tokens=2_000, cost_usd=cost,
    )  # fmt: skip
    store.close()

    reopened = HistoryStore.open(path)
    answer = reopened.load_conversation(conversation_id)[1][-1]
    assert answer.id == answer_id and answer.cache_write_tokens == 2_000
    stored = Usage(
        answer.input_tokens, answer.output_tokens, answer.cached_tokens,
        cache_write_tokens=answer.cache_write_tokens,
    )  # fmt: skip
    priced = message_cost(stored, Pricing(builtin_price(MODEL)), cached_in_input=False).usd
    assert answer.cost_usd is not None and priced is not None
    assert math.isclose(answer.cost_usd, priced) and math.isclose(priced, USD)
    assert not math.isclose(priced, USD_WRITES_AS_INPUT)  # writes are not input-priced
    figures = reopened.conversation_figures([conversation_id])[conversation_id]
    assert figures.cost_usd == pytest.approx(USD)
    assert figures.cache_tokens == (("claude", 12_000),)
    # An export-style import keeps the count too.
    conversation, messages = reopened.load_conversation(conversation_id)
    copy = reopened.import_conversation(conversation, messages)
    assert copy is not None
    assert reopened.load_conversation(copy.id)[1][-1].cache_write_tokens == 2_000


@pytest.mark.parametrize(
    ("usage", "cached_in_input"), [(ANTHROPIC_USAGE, False), (OPENAI_USAGE, True)]
)
def test_the_input_shown_is_the_whole_prompt_on_both_protocols(
    usage: Usage, cached_in_input: bool
) -> None:
    shown = prompt_tokens(
        usage.input_tokens, usage.cached_tokens, usage.cache_write_tokens,
        cached_in_input=cached_in_input,
    )  # fmt: skip
    assert shown == 12_100
    assert prompt_tokens(None, None, None, cached_in_input=False) == 0
    assert prompt_tokens(10, -5, None, cached_in_input=False) == 10  # a broken count is none


def test_the_status_line_counts_the_whole_prompt_of_either_protocol(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path / "history.db")
    a_id, _ = _answer(store, "claude", input_tokens=100, output_tokens=50, cached_tokens=10_000,
                      cache_write_tokens=2_000)  # fmt: skip
    o_id, _ = _answer(store, "router", input_tokens=12_100, output_tokens=50,
                      cached_tokens=10_000, cache_write_tokens=2_000)  # fmt: skip
    check = cached_in_input_check(CONFIG)
    claude = status_figures(Target(CLAUDE, MODEL), store.load_conversation(a_id)[1], check)
    router = status_figures(Target(ROUTER, MODEL), store.load_conversation(o_id)[1], check)
    assert (claude.input_tokens, claude.output_tokens) == (12_100, 50)
    assert (router.input_tokens, router.output_tokens) == (12_100, 50)
    # A connection removed since: its input as stored (nothing to say it was on top).
    gone = cached_in_input_check(Config(connections=[ROUTER]))
    assert status_figures(Target(ROUTER, MODEL), store.load_conversation(a_id)[1], gone) \
        .input_tokens == 100  # fmt: skip


def test_ask_usage_says_the_whole_prompt_on_both_protocols() -> None:
    claude = format_usage(ANTHROPIC_USAGE, CLAUDE, MODEL)
    router = format_usage(OPENAI_USAGE, ROUTER, MODEL)
    for line in (claude, router):
        assert "tokens in 12100, out 50, cached 10000, cache write 2000" in line, line
    assert claude.endswith("cost $0.01155")
