"""`craft-tui history show`, the listing and `--stats` of answers that read from and wrote to
the prompt cache (issue 19): "in" is each answer's whole prompt on both protocols, the cache
reads and writes named beside it, and the cost is the one stored, writes at the write price."""

from __future__ import annotations

import json

import pytest

from craft_tui.chat.cost import answer_cost_usd
from craft_tui.chat.history import HistoryStore
from craft_tui.config import paths
from craft_tui.config.store import load_config
from craft_tui.providers.types import Usage
from tests.commands.test_cli_input_errors import run
from tests.commands.test_history_cli_pins_cost import talk

MODEL = "claude-sonnet-4-5"


@pytest.fixture
def store() -> HistoryStore:
    return HistoryStore.open()  # in the test's own CRAFT_TUI_HOME (tests/conftest.py)


@pytest.fixture
def config() -> None:
    """Claude spoken to natively (cache on top of input) and through an OpenAI-style gateway
    (cache inside the prompt count)."""
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[[connections]]\nslug = "claude"\nname = "Claude"\nprotocol = "anthropic"\n'
        'base_url = "https://api.anthropic.com"\n\n'
        '[[connections]]\nslug = "router"\nname = "Router"\nprotocol = "openai"\n'
        'base_url = "https://gateway.example.com/v1"\n'
    )


def _figures(usage: Usage, cost: float | None) -> dict[str, object]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cached_tokens": usage.cached_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "cost_usd": cost,
    }


NATIVE = Usage(input_tokens=100, output_tokens=50, cached_tokens=10_000, cache_write_tokens=2_000)
ROUTED = Usage(
    input_tokens=12_100, output_tokens=50, cached_tokens=10_000, cache_write_tokens=2_000
)


def test_show_list_and_stats_count_the_whole_prompt(capsys, monkeypatch, store, config) -> None:
    claude = next(c for c in load_config().connections if c.slug == "claude")
    cost = answer_cost_usd(claude, MODEL, NATIVE)
    assert cost == pytest.approx(0.01155)  # 100 × $3 + 10k × $0.30 + 2k × $3.75 + 50 × $15, /M
    native = talk(store, "Native", ("claude", _figures(NATIVE, cost)))
    routed = talk(store, "Routed", ("router", _figures(ROUTED, 0.01155)))
    for conversation in (native, routed):
        code, out, err = run(capsys, monkeypatch, "history", "show", conversation)
        assert code == 0 and err == ""
        assert "1 answer · 12.2k tokens · $0.01155 (all branches)" in out, out
        heading = next(line for line in out.splitlines() if line.startswith("── answer"))
        assert "· 12.1k in (10k cache read, 2k cache write), 50 out, $0.01155" in heading, heading
        code, out, _ = run(capsys, monkeypatch, "history", "show", conversation, "--json")
        assert json.loads(out)["input_tokens"] == 12_100
    code, out, _ = run(capsys, monkeypatch, "history", "--json")
    assert [row["input_tokens"] for row in json.loads(out)] == [12_100, 12_100]
    code, out, _ = run(capsys, monkeypatch, "history", "--stats", "--json")
    stats = json.loads(out)
    by_connection = {row["connection"]: row["input_tokens"] for row in stats["by_connection"]}
    assert by_connection == {"claude": 12_100, "router": 12_100}
    assert stats["total"]["input_tokens"] == 24_200
    assert stats["total"]["cost_usd"] == pytest.approx(0.0231)
