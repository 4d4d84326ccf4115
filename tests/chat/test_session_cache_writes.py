"""An answer that wrote to the prompt cache keeps the count with it (history v6): reopened, its
stored cost is the one priced with the writes at the write price, and the whole prompt the
status line shows counts them on an Anthropic connection."""

from __future__ import annotations

import math
from pathlib import Path

from craft_tui.chat.cost import answer_cost_usd, message_cost
from craft_tui.chat.history import HistoryStore
from craft_tui.chat.session import ChatSession
from craft_tui.chat.usage import cached_in_input_check
from craft_tui.providers.pricing import Pricing, builtin_price
from craft_tui.providers.types import Finish, TextDelta, Usage
from craft_tui.workspace.figures import status_figures
from craft_tui.workspace.targets import Target
from tests.chat.fakes import Clock, Opener, ScriptedDriver, collect, config, connection

USAGE = Usage(input_tokens=100, output_tokens=50, cached_tokens=10_000, cache_write_tokens=2_000)


async def test_a_session_stores_the_cache_writes_and_their_price(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    store = HistoryStore.open(path)
    claude = connection(
        "claude",
        protocol="anthropic",
        base_url="https://api.anthropic.com",  # priced at list prices (never reached)
        models=[{"id": "claude-sonnet-4-5"}],
        default_model="claude-sonnet-4-5",
    )
    cfg = config(claude)
    conversation = store.create_conversation(connection_slug="claude", model="claude-sonnet-4-5")
    clock = Clock()
    script = [TextDelta("cached"), USAGE, Finish("stop", "end_turn")]
    session = ChatSession(
        store,
        conversation,
        driver_opener=Opener(ScriptedDriver(script, clock)),
        config=cfg,
        clock=clock,
        cost_fn=answer_cost_usd,
        idle_save=False,
    )
    await collect(session.send("Hi"))
    store.close()

    reopened = HistoryStore.open(path)
    answer = reopened.load_conversation(conversation.id)[1][-1]
    assert (answer.cached_tokens, answer.cache_write_tokens) == (10_000, 2_000)
    price = builtin_price("claude-sonnet-4-5")
    expected = message_cost(USAGE, Pricing(price), cached_in_input=False).usd
    assert answer.cost_usd is not None and expected is not None
    assert math.isclose(answer.cost_usd, expected)  # $0.01155: writes at $3.75/M
    figures = status_figures(
        Target(claude, "claude-sonnet-4-5"), [answer], cached_in_input_check(cfg)
    )
    assert figures.input_tokens == 12_100
