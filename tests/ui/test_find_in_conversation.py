"""Ctrl+F in the chat screen: words are found in every message of a long conversation, mounted
or not; ↑/Enter and ↓ walk the matches, the count says where, Esc goes back to the prompt."""

from __future__ import annotations

from craft_tui.chat.history import HistoryStore
from craft_tui.ui.widgets.find_bar import FindBar
from tests.ui.chat_helpers import make_app, ready, transcript_at_rest, wait_until
from tests.ui.test_chat_history import seed, visible_texts


def count_text(chat) -> str:
    return str(chat.find_bar.query_one(".find-count").render())


async def test_find_walks_matches_through_unmounted_messages(fake_server, tmp_path) -> None:
    store = HistoryStore.open(tmp_path / "history.db")
    seed(store, 60)  # 120 messages: only the newest few are mounted at first
    app = make_app(fake_server(), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: bool(chat.transcript.views()))
        await transcript_at_rest(pilot, chat.transcript)
        assert chat.transcript.hidden_count > 0
        chat.prompt.insert("my draft")
        await pilot.press("ctrl+f")
        bar = chat.find_bar
        assert bar.is_open and app.focused is bar.input
        await pilot.press(*"question")  # typed: many messages match
        await wait_until(pilot, lambda: count_text(chat) == "60 of 60")
        bar.input.value = "question 4?"  # Question 4?, 14?, 24?… (the ? counts: not 40?)
        await wait_until(pilot, lambda: count_text(chat) == "6 of 6")
        bar.input.value = "question 14?"  # one far above what is mounted
        await wait_until(pilot, lambda: count_text(chat) == "1 of 1")
        await wait_until(pilot, lambda: "Question 14?" in visible_texts(chat))
        found = [v for v in chat.transcript.views() if v.has_class("-found")]
        assert [v.text for v in found] == ["Question 14?"]
        assert app.focused is bar.input  # typing can go on
        # A wider query: the newest match first, ↑ goes older, ↓ newer, wrapping round.
        bar.input.value = "answer 5"
        # Both words in the answer: 5, 15, 25, 35, 45 and 50-59.
        await wait_until(pilot, lambda: count_text(chat).endswith("of 15"))
        assert count_text(chat) == "15 of 15"
        assert "(answer 59)" in next(
            v.text for v in chat.transcript.views() if v.has_class("-found")
        )
        await pilot.press("up")
        await wait_until(pilot, lambda: count_text(chat) == "14 of 15")
        await pilot.press("enter")
        await wait_until(pilot, lambda: count_text(chat) == "13 of 15")
        await pilot.press("down", "down", "down")
        await wait_until(pilot, lambda: count_text(chat) == "1 of 15")  # wrapped
        found = [v for v in chat.transcript.views() if v.has_class("-found")]
        assert len(found) == 1 and found[0].text.endswith("(answer 5)")
        assert found[0].text.endswith("(answer 5)") and found[0].text in visible_texts(chat)
        bar.input.value = "nowhere to be seen"
        await wait_until(pilot, lambda: count_text(chat) == "no match")
        assert not [v for v in chat.transcript.views() if v.has_class("-found")]
        await pilot.press("escape")
        await wait_until(pilot, lambda: not bar.is_open)
        assert app.focused is chat.prompt and chat.prompt.text == "my draft"


async def test_find_bar_text_is_data(fake_server, tmp_path) -> None:
    store = HistoryStore.open(tmp_path / "history.db")
    seed(store, 2)
    app = make_app(fake_server(), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await ready(pilot)
        await pilot.press("ctrl+f")
        chat.find_bar.input.value = "[bold]x[/] \x1b[31m"
        await wait_until(pilot, lambda: count_text(chat) == "no match")
        assert isinstance(app.screen.query_one(FindBar), FindBar)
