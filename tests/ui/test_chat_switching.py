"""Opening conversations from history in quick succession (issue 15): what the last one asked
for is what shows, and work left over from the ones before (their version labels) never
touches views that are being torn down."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList

from craft_tui.chat.history import HistoryStore
from craft_tui.ui.screens.history import HistoryScreen
from tests.ui.chat_helpers import make_app, ready, transcript_at_rest, wait_until


def seed_branched(store: HistoryStore, name: str, pairs: int = 8) -> str:
    """A conversation whose every question was edited once and every answer regenerated once,
    so each message on the active path shows 'version 2/2'."""
    conversation = store.create_conversation(connection_slug="fake", model="fake-model")
    parent: str | None = None
    for index in range(pairs):
        store.add_message(
            conversation.id, parent_id=parent, role="user", text=f"{name} old {index}"
        )
        question = store.add_message(
            conversation.id, parent_id=parent, role="user", text=f"{name} question {index}"
        )
        store.add_message(
            conversation.id, parent_id=question.id, role="assistant", text=f"{name} old take"
        )
        answer = store.add_message(
            conversation.id,
            parent_id=question.id,
            role="assistant",
            text=f"{name} answer {index}",
            connection_slug="fake",
            model="fake-model",
        )
        parent = answer.id
    return conversation.id


def problems(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications if "went wrong" in str(n.message).lower()]


async def test_opening_conversations_from_history_quickly_shows_the_last_one_and_no_error(
    fake_server, tmp_path
) -> None:
    store = HistoryStore.open(tmp_path / "history.db")
    names = ["alpha", "bravo", "charlie"]
    ids = {name: seed_branched(store, name) for name in names}
    app = make_app(fake_server(), store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        wanted = ""
        for turn in range(7):  # each of the three at least twice, none waited for
            wanted = names[turn % 3]
            await pilot.press("ctrl+b")
            await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
            options = app.screen.query_one(OptionList)
            await wait_until(pilot, lambda options=options: options.option_count == 3)
            order = [options.get_option_at_index(i).id for i in range(3)]
            await pilot.press("down", *["down"] * order.index(ids[wanted]), "enter")
            # No waiting for the conversation to open: the next Ctrl+B comes at once.
            assert app.screen is chat
        await wait_until(pilot, lambda: chat.loaded and chat.session.conversation.id == ids[wanted])
        assert problems(app) == []
        await transcript_at_rest(pilot, chat.transcript)
        await wait_until(pilot, lambda: all(v.version == (2, 2) for v in chat.transcript.views()))
        texts = [view.text for view in chat.transcript.views()]
        assert texts[-2:] == [f"{wanted} question 7", f"{wanted} answer 7"]
        assert all(text.startswith(wanted) for text in texts)
        labels = [str(v.query_one(".message-label").render()) for v in chat.transcript.views()]
        assert all("‹ 2/2 ›" in label for label in labels), labels
        assert app.is_running
        assert problems(app) == []
        assert app.return_code is None
