"""Friction found walking the chat screen as a new user (issue 15): Ctrl+N keeps the picked
model, leaving a live answer asks first, the stall sign names the connection's read timeout,
PageUp/Ctrl+Home work from the prompt, a deleted message can be brought back, and a key typed
right after `]` does not land in the prompt. Each test failed before its fix."""

from __future__ import annotations

from typing import Any

from craft_tui.chat.history import HistoryStore
from craft_tui.config import paths
from craft_tui.ui.app import CraftApp
from craft_tui.ui.screens.confirm import ConfirmScreen
from craft_tui.ui.widgets.messages import AssistantMessageView, UserMessageView
from tests.ui.chat_helpers import (
    answered,
    last_answer,
    make_app,
    make_config,
    ready,
    send,
    transcript_at_rest,
    views,
    wait_until,
)


def stored_texts(app: CraftApp) -> list[str]:
    chat = app.chat
    assert chat is not None and chat.session is not None
    _conversation, messages = app.workspace.history().load_conversation(
        chat.session.conversation.id
    )
    return [m.text for m in messages]


async def test_ctrl_n_keeps_the_model_picked_in_the_conversation_left(fake_server) -> None:
    first, second = fake_server(reply="from one"), fake_server(reply="from two")
    app = make_app(first, second)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        old = chat.session
        chat.switch_to("fake2", "fake-model-large")
        await wait_until(pilot, lambda: app.workspace.target_of(old).model == "fake-model-large")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: chat.session is not old and chat.loaded)
        connection, model = app.workspace.target_of(chat.session)
        assert connection is not None and connection.slug == "fake2"
        assert model == "fake-model-large"
        assert str(chat.prompt.placeholder).startswith("Message fake-model-large")
        await send(pilot, "hello")
        assert (await answered(pilot, chat)).text == "from two"
        assert second.chat_requests[-1].json["model"] == "fake-model-large"
        assert not first.chat_requests


async def test_new_conversation_while_an_answer_streams_asks_and_no_keeps_it(fake_server) -> None:
    server = fake_server(reply="one two three four five", stall_after=2, stall_seconds=60)
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Count")
        await wait_until(pilot, lambda: "two" in last_answer(chat).text)
        session = chat.session
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "still coming" in app.screen.question
        assert "Fake · fake-model" in app.screen.question
        await pilot.press("n")
        await wait_until(pilot, lambda: app.screen is chat)
        assert chat.busy and chat.session is session  # still streaming, same conversation
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: chat.session is not session and chat.loaded)
        assert not chat.busy
        assert not views(chat)
        _conversation, messages = app.workspace.history().load_conversation(session.conversation.id)
        assert messages[-1].finish_reason == "cancelled"
        assert messages[-1].text.startswith("one two")


async def test_quitting_while_an_answer_streams_asks_then_saves_what_arrived(fake_server) -> None:
    server = fake_server(reply="alpha beta gamma delta", stall_after=2, stall_seconds=60)
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Go")
        await wait_until(pilot, lambda: "beta" in last_answer(chat).text)
        conversation_id = chat.session.conversation.id
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "quit" in app.screen.question
        await pilot.press("escape")  # the safe answer: stay
        await wait_until(pilot, lambda: app.screen is chat)
        assert app.is_running and chat.busy
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running)
    store = HistoryStore.open(paths.history_file())
    _conversation, messages = store.load_conversation(conversation_id)
    assert messages[-1].finish_reason == "cancelled"
    assert messages[-1].text.startswith("alpha beta")
    assert server.wait_for_disconnect(10)


async def test_ctrl_q_with_no_answer_coming_quits_at_once(fake_server) -> None:
    app = make_app(fake_server())
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running)


async def test_a_stall_names_the_connections_own_read_timeout(fake_server) -> None:
    server = fake_server(reply="first second third", stall_after=1, stall_seconds=60)
    config = make_config(server)
    connection = config.connections[0].model_copy(
        update={"timeouts": config.connections[0].timeouts.model_copy(update={"read": 42.0})}
    )
    config = config.model_copy(update={"connections": [connection]})
    now = [1000.0]
    app = CraftApp(config, clock=lambda: now[0])
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "Go")
        await wait_until(pilot, lambda: last_answer(chat).text == "first ")
        assert "no data" not in chat.status.line().plain
        now[0] += 6  # the server says nothing for six seconds
        await wait_until(pilot, lambda: "no data for 6s" in chat.status.line().plain)
        assert "gives up at 42s" in chat.status.line().plain
        chat.action_stop()
        await answered(pilot, chat)
        assert "no data" not in chat.status.line().plain


async def test_page_up_and_ctrl_home_scroll_the_transcript_from_the_prompt(fake_server) -> None:
    server = fake_server(reply="\n\n".join(f"Paragraph {n} of a long answer." for n in range(40)))
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Long please")
        await answered(pilot, chat)
        transcript = chat.transcript
        await transcript_at_rest(pilot, transcript)
        chat.prompt.insert("draft")
        assert app.focused is chat.prompt
        bottom = transcript.scroll_y
        assert bottom > 0
        await pilot.press("pageup")
        await transcript_at_rest(pilot, transcript)
        assert transcript.scroll_y < bottom
        await pilot.press("ctrl+home")
        await transcript_at_rest(pilot, transcript)
        assert transcript.scroll_y == 0
        await pilot.press("pagedown")
        await transcript_at_rest(pilot, transcript)
        assert transcript.scroll_y > 0
        await pilot.press("ctrl+end")
        await transcript_at_rest(pilot, transcript)
        assert transcript.scroll_y == transcript.max_scroll_y
        assert app.focused is chat.prompt and chat.prompt.text == "draft"


async def test_a_deleted_message_comes_back_with_u_until_the_next_answer(fake_server) -> None:
    server = fake_server(reply="Answer.")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Keep")
        await answered(pilot, chat)
        chat.prompt.insert("Drop")
        await pilot.press("enter")
        await answered(pilot, chat)
        views(chat)[2].focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: [v.text for v in views(chat)] == ["Keep", "Answer."])
        # The toast says how to undo; focus stays on a message, where `u` is a key, not text.
        assert any("Press u to undo" in str(n.message) for n in app._notifications)
        assert isinstance(app.focused, AssistantMessageView)
        await pilot.press("u")
        await wait_until(pilot, lambda: len(views(chat)) == 4)
        assert [v.text for v in views(chat)] == ["Keep", "Answer.", "Drop", "Answer."]
        assert stored_texts(app) == ["Keep", "Answer.", "Drop", "Answer."]
        # Deleted again, then the next question: now it is gone from the history too.
        views(chat)[2].focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: len(views(chat)) == 2)
        await send(pilot, "Next")
        await answered(pilot, chat)
        assert stored_texts(app) == ["Keep", "Answer.", "Next", "Answer."]
        assert [v.text for v in views(chat)] == ["Keep", "Answer.", "Next", "Answer."]
        views(chat)[0].focus()
        await pilot.press("u")  # nothing left to undo: it says so, nothing changes
        await pilot.pause()
        assert len(views(chat)) == 4


async def test_a_delete_left_pending_is_done_when_the_app_quits(fake_server) -> None:
    app = make_app(fake_server(reply="Answer."))
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Forget me")
        await answered(pilot, chat)
        conversation_id = chat.session.conversation.id
        views(chat)[0].focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: not views(chat))
    store = HistoryStore.open(paths.history_file())
    _conversation, messages = store.load_conversation(conversation_id)
    assert list(messages) == []


async def test_a_key_right_after_a_version_switch_does_not_land_in_the_prompt(
    fake_server: Any,
) -> None:
    app = make_app(fake_server(echo=True))
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "first")
        await answered(pilot, chat)
        views(chat)[0].focus()
        await pilot.press("e")
        chat.prompt.load_text("second")
        await pilot.press("enter")
        await answered(pilot, chat)
        await wait_until(pilot, lambda: views(chat)[0].version == (2, 2))
        views(chat)[0].focus()
        # `[` then at once `x`, before the switch is on screen.
        await pilot.press("left_square_bracket", "x")
        await wait_until(pilot, lambda: views(chat)[0].text == "first")
        await pilot.pause()
        assert chat.prompt.text == ""
        assert isinstance(app.focused, UserMessageView)
        assert app.focused.text == "first"
