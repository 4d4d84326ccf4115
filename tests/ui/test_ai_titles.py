"""`settings.ai_titles` in the app: after the first answer the conversation's own model names it
in the background, and the history screen lists it under that name."""

from __future__ import annotations

from textual.widgets import OptionList

from craft_tui.ui.screens.history import HistoryScreen
from tests.ui.chat_helpers import answered, make_app, send, wait_until


async def test_the_first_answer_names_the_conversation_in_the_history(fake_server) -> None:
    server = fake_server(reply="Penguins of the Antarctic")
    app = make_app(server, new=True, settings={"ai_titles": True})
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "tell me about penguins please")
        await answered(pilot, chat)
        session = chat.session
        assert session is not None
        # The answer came first; the title request went after it, to the same server.
        await wait_until(pilot, lambda: len(server.chat_requests) == 2)
        title_request = server.chat_requests[1].json
        assert "tell me about penguins please" in title_request["messages"][0]["content"]
        await wait_until(pilot, lambda: session.conversation.title == "Penguins of the Antarctic")
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        options = app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count >= 1)
        assert "Penguins of the Antarctic" in str(options.get_option_at_index(0).prompt)


async def test_off_the_first_prompt_names_it_and_nothing_more_is_sent(fake_server) -> None:
    server = fake_server(reply="Penguins of the Antarctic")
    app = make_app(server, new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "tell me about penguins please")
        await answered(pilot, chat)
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        options = app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count >= 1)
        assert "tell me about penguins please" in str(options.get_option_at_index(0).prompt)
        assert len(server.chat_requests) == 1
