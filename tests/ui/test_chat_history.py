"""Reopening a long conversation from the history file: it opens at its end with a screenful
mounted, and everything above stays reachable and correct (versions, retry, edits)."""

from __future__ import annotations

from typing import Any

from craft_tui.chat.history import HistoryStore
from craft_tui.ui.widgets.messages import AssistantMessageView, MessageView
from tests.ui.chat_helpers import answered, make_app, ready, transcript_at_rest, wait_until

ANSWER = "Sure:\n\n- one\n- two\n\n```python\nprint('hi')\n```\n\nDone."


def seed(store: HistoryStore, pairs: int, *, second_version_of_first_answer: bool = False) -> str:
    """A conversation of `pairs` questions and answers; optionally the first answer has an older
    sibling (it was regenerated), so it shows 'version 2/2'."""
    conversation = store.create_conversation(connection_slug="fake", model="fake-model")
    parent: str | None = None
    for index in range(pairs):
        question = store.add_message(
            conversation.id, parent_id=parent, role="user", text=f"Question {index}?"
        )
        if index == 0 and second_version_of_first_answer:
            store.add_message(
                conversation.id, parent_id=question.id, role="assistant", text="Old take."
            )
        answer = store.add_message(
            conversation.id,
            parent_id=question.id,
            role="assistant",
            text=f"{ANSWER} (answer {index})",
            connection_slug="fake",
            model="fake-model",
        )
        parent = answer.id
    return conversation.id


def visible_texts(chat: Any) -> list[str]:
    transcript = chat.transcript
    top, bottom = transcript.region.y, transcript.region.bottom
    return [
        view.text
        for view in transcript.views()
        if view.region.height and view.region.y < bottom and view.region.bottom > top
    ]


async def go_to_first_question(pilot: Any, chat: Any) -> None:
    """Once the reopened conversation shows, press Home from its newest message: the first
    question of the conversation is on screen (it was not mounted before)."""
    await wait_until(pilot, lambda: bool(chat.transcript.views()))
    await transcript_at_rest(pilot, chat.transcript)  # opened: its first screenful is loaded
    chat.transcript.views()[-1].focus()
    await pilot.press("home")
    await wait_until(pilot, lambda: "Question 0?" in visible_texts(chat))


async def test_a_300_message_conversation_reopens_at_its_end_with_a_screenful_mounted(
    fake_server, tmp_path
) -> None:
    store = HistoryStore.open(tmp_path / "history.db")
    seed(store, 150)
    app = make_app(fake_server(), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: any("answer 149" in t for t in visible_texts(chat)))
        # Filling the screen has stopped: no later load would mount more than is counted here.
        await transcript_at_rest(pilot, chat.transcript)
        assert len(chat.transcript.views()) <= 14
        assert len(chat.transcript.entries) == 300


async def test_home_shows_the_first_question_with_its_version_label(fake_server, tmp_path) -> None:
    store = HistoryStore.open(tmp_path / "history.db")
    seed(store, 100, second_version_of_first_answer=True)
    app = make_app(fake_server(), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await go_to_first_question(pilot, chat)
        first_answer = chat.transcript.views()[1]
        assert isinstance(first_answer, AssistantMessageView)
        await wait_until(pilot, lambda: first_answer.version == (2, 2))
        label = str(first_answer.query_one(".message-label").render())
        assert "‹ 2/2 ›" in label


async def test_retry_while_reading_the_top_regenerates_the_last_answer(
    fake_server, tmp_path
) -> None:
    store = HistoryStore.open(tmp_path / "history.db")
    seed(store, 60)
    app = make_app(fake_server(reply="A fresh take."), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await go_to_first_question(pilot, chat)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: chat.transcript.views()[-1].text == "A fresh take.")
        answer = await answered(pilot, chat)
        assert answer.text == "A fresh take."
        entries = chat.transcript.entries
        assert len(entries) == 120
        assert entries[1].text.endswith("(answer 0)")  # the first answer was left alone
        assert chat.transcript.views()[-1] is answer


async def test_editing_a_question_that_scrolled_out_of_the_window_cuts_from_it(
    fake_server, tmp_path
) -> None:
    store = HistoryStore.open(tmp_path / "history.db")
    seed(store, 60)
    app = make_app(fake_server(reply="Edited answer."), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await go_to_first_question(pilot, chat)
        first = chat.transcript.views()[0]
        assert isinstance(first, MessageView) and first.text == "Question 0?"
        first.focus()
        await pilot.press("e")
        await pilot.press("end")  # the prompt has focus: End stays in the prompt's text
        chat.prompt.load_text("Question zero, again?")
        chat.transcript.views()[-1].focus()
        await pilot.press("end")  # the transcript goes back to the newest messages
        await wait_until(pilot, lambda: chat.transcript.at_tail)
        chat.prompt.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: chat.transcript.views()[-1].text == "Edited answer.")
        answer = await answered(pilot, chat)
        assert answer.text == "Edited answer."
        assert len(chat.transcript.entries) == 2
        assert [view.text for view in chat.transcript.views()] == [
            "Question zero, again?",
            "Edited answer.",
        ]
