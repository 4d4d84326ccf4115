"""SVG snapshots of the model picker, unfiltered and filtered, at 80×24 and 120×40.

Entries are given directly (no network, no cache), so prices and context lengths are fixed.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from craft_tui.config import state
from craft_tui.config.schema import Config, Connection, ModelEntry
from craft_tui.config.store import update_config
from craft_tui.ui.screens.model_picker import ModelChoice, ModelPickerScreen, PickerEntry
from tests.ui.chat_helpers import screen_at_rest
from tests.ui.test_model_picker import Host

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]

ENTRIES = [
    PickerEntry("openrouter", "OpenRouter", "anthropic/claude-sonnet-4", 200_000, 3, 15),
    PickerEntry("openrouter", "OpenRouter", "anthropic/claude-opus-4.1", 200_000, 15, 75),
    PickerEntry("openrouter", "OpenRouter", "openai/gpt-5", 400_000, 1.25, 10),
    PickerEntry("openrouter", "OpenRouter", "google/gemini-2.5-pro", 1_048_576, 1.25, 10),
    PickerEntry(
        "openrouter", "OpenRouter", "meta-llama/llama-3.3-70b-instruct", 131_072, 0.13, 0.4
    ),
    PickerEntry("openrouter", "OpenRouter", "deepseek/deepseek-chat-v3.1:free", 163_840, 0, 0),
    PickerEntry("anthropic", "Anthropic", "claude-sonnet-4-5", 200_000, 3, 15),
    PickerEntry("anthropic", "Anthropic", "claude-haiku-4-5", 200_000, 1, 5),
    PickerEntry("ollama", "Ollama", "llama3.2:latest", 131_072, local=True),
    PickerEntry("ollama", "Ollama", "qwen3:8b", 40_960, local=True),
    PickerEntry("ollama", "Ollama", "gemma3:4b", None, local=True),
]


def connections() -> None:
    def change(config: Config) -> None:
        config.connections = [
            Connection(
                slug=slug, name=name, protocol="openai", base_url=url, models=[ModelEntry(id="x")]
            )
            for slug, name, url in (
                ("openrouter", "OpenRouter", "https://openrouter.ai/api/v1"),
                ("anthropic", "Anthropic", "https://api.anthropic.com/v1"),
                ("ollama", "Ollama", "http://localhost:11434/v1"),
            )
        ]

    update_config(change)
    state.set_favourite_models(["anthropic/claude-haiku-4-5"])


# What the servers' lists say of tools (OpenRouter's supported_parameters, Ollama's capabilities):
# these call tools, gemma3:4b does not, the rest say nothing. The picker marks the first with ⚙.
TOOLS = {
    ("openrouter", "anthropic/claude-sonnet-4"): "yes",
    ("openrouter", "openai/gpt-5"): "yes",
    ("openrouter", "deepseek/deepseek-chat-v3.1:free"): "no",
    ("ollama", "qwen3:8b"): "yes",
    ("ollama", "gemma3:4b"): "no",
}


def listed_extra(slug: str, model_id: str) -> dict[str, str]:
    tools = TOOLS.get((slug, model_id))
    return {"tools": tools} if tools else {}


def picker() -> ModelPickerScreen:
    return ModelPickerScreen(
        ModelChoice("openrouter", "anthropic/claude-sonnet-4"),
        entries=ENTRIES,
        recent=["ollama/qwen3:8b"],
        refresh_lists=False,
        extras=listed_extra,
    )


async def settle(pilot: Pilot[Any]) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor is caught on or off by chance
    await screen_at_rest(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_picker_unfiltered(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    connections()
    assert snap_compare(Host(picker()), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_picker_filtered(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    connections()

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press(*"cl so")
        await settle(pilot)

    assert snap_compare(Host(picker()), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_picker_offers_a_typed_id(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    connections()

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press(*"my-finetune-v2")
        await settle(pilot)

    assert snap_compare(Host(picker()), terminal_size=size, run_before=run_before)


def many() -> ModelPickerScreen:
    """300 models: every one is listed (the status counts them all) and the scrollbar shows
    where the highlighted row is among them."""
    entries = [
        PickerEntry("openrouter", "OpenRouter", f"vendor{n % 12}/model-{n:03d}", 131_072, 1, 2)
        for n in range(300)
    ]
    return ModelPickerScreen(None, entries=entries, recent=[], refresh_lists=False)


@pytest.mark.parametrize("size", SIZES)
def test_picker_scrolled_through_many_models(snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    connections()

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("pagedown", "pagedown", "down")
        await settle(pilot)

    assert snap_compare(Host(many()), terminal_size=size, run_before=run_before)
