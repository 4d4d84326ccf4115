"""The history screen's token column counts an answer's whole prompt, by the same rule as
`craft-tui history` and the status line (`chat/usage.py prompt_total`): on the Anthropic
protocol the tokens read from and written to the prompt cache come on top of the stored input,
on the OpenAI protocol they are in it already (not counted twice)."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList

from craft_tui.chat.history import HistoryStore
from craft_tui.chat.usage import cached_in_input_check, format_tokens, prompt_total
from craft_tui.ui.screens.history import HistoryScreen
from tests.ui.chat_helpers import make_app, ready, wait_until


def _answer(store: HistoryStore, prompt: str, slug: str, **figures: Any) -> None:
    conversation = store.create_conversation()
    question = store.add_message(conversation.id, parent_id=None, role="user", text=prompt)
    answer = store.add_message(
        conversation.id, parent_id=question.id, role="assistant", connection_slug=slug
    )
    store.finish_message(answer.id, finish_reason="stop", **figures)


async def test_the_token_column_is_the_whole_prompt_as_the_cli_counts_it(fake_server: Any) -> None:
    openai, anthropic = fake_server(), fake_server(protocol="anthropic")
    app = make_app(openai, anthropic, new=True)  # slugs fake (OpenAI) and fake2 (Anthropic)
    async with app.run_test(size=(110, 30)) as pilot:
        await ready(pilot)
        store = app.workspace.history()
        # Anthropic: 100 uncached + 1000 read from the cache + 300 written to it, 100 out.
        _answer(store, "on anthropic", "fake2", input_tokens=100, cached_tokens=1000,
                cache_write_tokens=300, output_tokens=100)  # fmt: skip
        # OpenAI: the 1000 cached are part of the 1200 input already.
        _answer(store, "on openai", "fake", input_tokens=1200, cached_tokens=1000,
                output_tokens=300)  # fmt: skip
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        options = app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count == 2)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(2)]
        rows = {p.split("  ")[0]: p.split() for p in prompts}
        assert rows["on anthropic"][2:4] == ["1.5k", "tok"]  # not "200 tok": the cache counts
        assert rows["on openai"][2:4] == ["1.5k", "tok"]  # not 2.5k: counted once

        # The same figure `craft-tui history` prints, by the same helper and the same config.
        figures = store.conversation_figures(c.id for c in store.list_conversations())
        rule = cached_in_input_check(app.workspace.config)
        cli = {
            format_tokens(prompt_total(f.input_tokens, f.cache_tokens, rule) + f.output_tokens)
            for f in figures.values()
        }
        assert cli == {"1.5k"}
