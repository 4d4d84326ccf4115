"""Two craft-tui apps on one history: an answer the first one is still writing is not called
interrupted by the second (the writer holds a lease on it, chat/live.py); one whose writer is
gone is."""

from __future__ import annotations

import os

from craft_tui.chat.live import AnswerLease, written_elsewhere
from craft_tui.config import state
from craft_tui.ui.app import CraftApp
from craft_tui.ui.widgets.messages import AssistantMessageView
from tests.ui.chat_helpers import (
    last_answer,
    make_app,
    make_config,
    ready,
    screen_text,
    send,
    wait_until,
)


def note(view: AssistantMessageView) -> str:
    return str(view._note.render())


async def test_the_second_app_does_not_call_the_first_apps_live_answer_interrupted(
    fake_server,
) -> None:
    server = fake_server(reply="first second third", stall_after=1, stall_seconds=60)
    first = make_app(server)
    async with first.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "keep writing")
        await wait_until(pilot, lambda: "first" in last_answer(chat).text)
        assert chat.busy  # the answer has no end yet

        second = CraftApp(make_config(server), clock=lambda: 1000.0)  # reopens that conversation
        async with second.run_test(size=(100, 30)) as other:
            other_chat = await ready(other)
            await wait_until(other, lambda: bool(other_chat.transcript.views()))
            answer = last_answer(other_chat)
            await wait_until(other, lambda: note(answer) != "")
            assert "being written in another craft-tui window" in note(answer)
            assert "interrupted" not in screen_text(second)

        await pilot.press("escape")  # the first app stops its answer: it now has an end
        await wait_until(pilot, lambda: not chat.busy)

        # An answer whose writer died without an end (its lock file left, held by nobody) is
        # interrupted, in the same conversation list the second app read.
        store = first.workspace.history()
        conversation = store.create_conversation(title="cut off")
        prompt = store.add_message(conversation.id, parent_id=None, role="user", text="cut off")
        row = store.add_message(
            conversation.id, parent_id=prompt.id, role="assistant", text="half an"
        )
        dead = AnswerLease(store.path, row.id)
        assert dead.held
        os.close(dead._fd)  # type: ignore[arg-type]  # the process died: the OS let the lock go
        dead._fd = None
        assert written_elsewhere(store.path, row.id) is False

        state.set_last_conversation(conversation.id)  # the next app opens it
        third = CraftApp(make_config(server), clock=lambda: 1000.0)
        async with third.run_test(size=(100, 30)) as other:
            other_chat = await ready(other)
            await wait_until(other, lambda: len(other_chat.transcript.views()) == 2)
            answer = last_answer(other_chat)
            await wait_until(other, lambda: note(answer) != "")
            assert note(answer) == "— interrupted"
