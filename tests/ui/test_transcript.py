"""The transcript mounts only what fills the screen of a long conversation, and still lets the
user reach every message: scrolling, PageUp, Home/End and ↑/↓ over messages."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot

from craft_tui.ui.widgets.answer_body import AnswerBody
from craft_tui.ui.widgets.messages import AssistantMessageView, MessageView
from craft_tui.ui.widgets.transcript import Transcript
from tests.servers.fixtures import ServerFactory
from tests.ui.chat_helpers import (
    answered,
    last_answer,
    make_app,
    screen_text,
    send,
    transcript_at_rest,
    wait_until,
)
from tests.ui.harness import Entry, WidgetHarness
from tests.waiting import until

ANSWER = "An answer with a list:\n\n- one\n- two\n\n```python\nprint('hi')\n```\n\nDone."


def conversation(count: int) -> list[Entry]:
    return [
        Entry(f"m{i}", "user", f"question {i}")
        if i % 2 == 0
        else Entry(f"m{i}", "assistant", f"{ANSWER} (answer {i})")
        for i in range(count)
    ]


def on_screen(transcript: Transcript) -> list[str]:
    """Ids of the messages the user can see (at least partly) right now."""
    top, bottom = transcript.region.y, transcript.region.bottom
    return [
        view.message_id or ""
        for view in transcript.views()
        if view.region.height and view.region.y < bottom and view.region.bottom > top
    ]


async def at_rest(pilot: Pilot[None]) -> None:
    """Wait until the transcript's window stops changing (loads, layout, scrolling done)."""
    await transcript_at_rest(pilot, pilot.app.query_one(Transcript))


async def home_from(pilot: Pilot[None], view: MessageView) -> None:
    """Focus `view`, press Home (the conversation's first message) and let it load."""
    view.focus()
    await pilot.press("home")
    await at_rest(pilot)


async def test_a_long_conversation_opens_at_its_end_with_few_messages_mounted() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(300))
        await at_rest(pilot)
        assert "m299" in on_screen(transcript)
        assert transcript.following
        assert len(transcript.views()) <= 12  # a screen and a bit, not the 300 (nor 20)
        # the screen is full and there is room above to scroll into
        assert transcript.virtual_size.height > transcript.size.height
        assert transcript.hidden_count == 300 - len(transcript.views())


async def test_short_messages_fill_the_screen_so_scrolling_up_is_possible() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 40)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show([Entry(f"m{i}", "user", f"line {i}") for i in range(100)])
        await at_rest(pilot)
        assert transcript.max_scroll_y > 0
        assert transcript.hidden_count > 0


async def test_fewer_messages_than_the_screen_are_all_mounted_without_hints() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 40)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(3))
        await at_rest(pilot)
        assert [view.message_id for view in transcript.views()] == ["m0", "m1", "m2"]
        assert transcript.hidden_count == 0 and transcript.newer_count == 0
        assert not transcript.query_one(".older-hint").display
        assert not transcript.query_one(".newer-hint").display
        await home_from(pilot, transcript.views()[-1])
        assert "m0" in on_screen(transcript)
        await pilot.press("end")
        await at_rest(pilot)
        assert "m2" in on_screen(transcript)


async def test_scrolling_to_the_top_loads_older_messages_above_the_one_being_read() -> None:
    """Older messages load above the message being read, and it stays exactly where it was.

    Scroll anchoring used to anchor on the message peeking in at the top row, often an answer
    just mounted above whose Markdown had no height yet; when it got it, the message being read
    moved down by that much (about 10 rows). It now anchors on the first message that starts
    inside the viewport."""
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(300))
        await at_rest(pilot)
        hidden = transcript.hidden_count
        # What the user reads at the top: the first mounted message, where the last layout puts
        # it at scroll offset 0. Taken at rest, before scrolling: the load that scrolling starts
        # runs as a worker, and when it landed before a later capture, `reading` was one of the
        # older messages it mounted, off screen (the test then passed or failed by timing).
        reading = transcript.views()[0]
        where = reading.region.y + int(transcript.scroll_y)
        transcript.scroll_to(y=0, animate=False)
        await at_rest(pilot)
        assert transcript.hidden_count < hidden
        assert reading.is_mounted
        assert reading.region.y == where  # older messages went in above it; it did not move
        assert transcript.scroll_y > 0


async def test_page_up_reaches_the_first_message_with_a_bounded_window() -> None:
    app = WidgetHarness(max_mounted=16)
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(60))
        await at_rest(pilot)
        transcript.views()[-1].focus()
        most = 0
        for _ in range(400):
            if "m0" in on_screen(transcript):
                break
            await pilot.press("pageup")
            await at_rest(pilot)  # the page scrolled, what it brought near is loaded
            most = max(most, len(transcript.views()))
        assert "m0" in on_screen(transcript)
        assert most <= 16
        assert isinstance(app.focused, MessageView)  # the keys still act on the transcript
        assert not transcript.following


async def test_page_up_from_the_top_of_the_window_reveals_every_older_message_in_order() -> None:
    """Each PageUp pressed at the top of what is mounted brings the messages just above it on
    screen, in the conversation's order: none twice, none skipped between the two pages, and the
    window stays one contiguous run of entries all the way to the first message."""
    app = WidgetHarness(max_mounted=16)
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(80))
        await at_rest(pilot)
        transcript.views()[-1].focus()
        presses = 0
        while "m0" not in on_screen(transcript):
            assert presses < 200, "PageUp never reached the first message"
            transcript.scroll_home(animate=False, immediate=True)  # the top of the window
            await at_rest(pilot)  # what the top brought near is mounted, the text kept still
            if "m0" in on_screen(transcript):
                break  # the last older messages loaded peek in above (the hint line went)
            top = on_screen(transcript)[0]
            await pilot.press("pageup")
            presses += 1
            await at_rest(pilot)
            shown = on_screen(transcript)
            index = [int(i[1:]) for i in shown]
            assert index == sorted(index) and len(set(index)) == len(index)
            assert int(shown[0][1:]) < int(top[1:])  # older messages came on screen
            assert int(shown[-1][1:]) >= int(top[1:]) - 1  # nothing between the pages skipped
            mounted = [int((view.message_id or "")[1:]) for view in transcript.views()]
            assert mounted == list(range(mounted[0], mounted[0] + len(mounted)))  # contiguous
            assert transcript.hidden_count == mounted[0]
        assert presses > 3
        assert transcript.hidden_count == 0 and isinstance(app.focused, MessageView)


async def test_home_reaches_the_first_message_and_end_comes_back_following() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(300))
        await at_rest(pilot)
        await home_from(pilot, transcript.views()[-1])
        assert "m0" in on_screen(transcript)
        assert transcript.hidden_count == 0
        assert len(transcript.views()) <= 20
        assert transcript.newer_count > 0
        assert app.focused is not None and getattr(app.focused, "message_id", None) == "m0"
        assert "later messages" in str(transcript.query_one(".newer-hint").render())
        await pilot.press("end")
        await at_rest(pilot)
        assert "m299" in on_screen(transcript)
        assert transcript.following and transcript.at_tail
        await transcript.add(Entry("new", "user", "one more"))
        await at_rest(pilot)
        assert "new" in on_screen(transcript)


async def test_arrow_keys_walk_over_messages_that_were_not_mounted() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(24))
        await at_rest(pilot)
        first_mounted = transcript.views()[0].message_id
        transcript.views()[-1].focus()
        seen: list[str] = []
        for _ in range(23):
            await pilot.press("up")
            await pilot.pause()  # the key is handled (focus moves before its handler returns)
            focused = app.focused
            assert isinstance(focused, MessageView)
            seen.append(focused.message_id or "")
        assert first_mounted != "m0"
        assert seen == [f"m{i}" for i in range(22, -1, -1)]
        for _ in range(23):
            await pilot.press("down")
            await pilot.pause()
        focused = app.focused
        assert isinstance(focused, MessageView) and focused.message_id == "m23"


def hold(app: WidgetHarness, key: str, count: int) -> None:
    """Queue `count` presses of `key` at once, as a held key does: they arrive faster than the
    app handles them (pilot.press waits for the app to be idle after each one)."""
    driver = app._driver
    assert driver is not None
    for _ in range(count):
        event = events.Key(key, None)
        event.set_sender(app)
        driver.send_message(event)


async def test_held_arrow_keys_move_one_message_each_while_older_ones_load() -> None:
    """Each queued ↑/↓ moves exactly one message: none stops at the top of what is mounted, is
    lost while a load is half-done, or skips what is still loading."""
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(60))
        await at_rest(pilot)
        assert transcript.hidden_count > 30
        transcript.views()[-1].focus()
        await pilot.pause()
        hold(app, "up", 45)
        # Plain asyncio waiting: a pilot pause queues behind every held key and gives up after
        # 30 s, which a loaded machine can take to handle 45 of them.
        await until(lambda: getattr(app.focused, "message_id", None) == "m14", "45 ↑ handled")
        # Every queued key has been handled once the queue has drained (at_rest starts with
        # that): a key that moved two messages, or one still to come, would show here.
        await at_rest(pilot)
        focused = app.focused
        assert isinstance(focused, MessageView) and focused.message_id == "m14"
        hold(app, "down", 40)
        await until(lambda: getattr(app.focused, "message_id", None) == "m54", "40 ↓ handled")
        await at_rest(pilot)
        focused = app.focused
        assert isinstance(focused, MessageView) and focused.message_id == "m54"
        assert "m54" in on_screen(transcript)


def mounted_by_count(transcript: Transcript) -> int:
    """How many messages the window's bounds say are mounted (fewer than `views()` while a load
    is mounting more)."""
    return len(transcript.entries) - transcript.hidden_count - transcript.newer_count


async def test_a_held_up_key_survives_the_transcript_going_away_mid_load() -> None:
    """The crash of a held ↑ (IndexError in `move_focus`): a move that mounts older messages
    waits for the mount; when the transcript is removed meanwhile (its screen closed, the app
    shutting down under a queue of keys), the move indexed the emptied window on its way out."""
    app = WidgetHarness(max_mounted=16)
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(300))
        await at_rest(pilot)
        transcript.views()[-1].focus()
        await pilot.pause()
        hidden = transcript.hidden_count
        hold(app, "up", 60)
        # A later move is mounting older messages: more views than the window's bounds count.
        await until(
            lambda: (
                transcript.hidden_count < hidden - 10
                and len(transcript.views()) > mounted_by_count(transcript)
            ),
            "a move mounting older messages",
        )
        await transcript.remove()
        # The queued keys run on (the app quits with the error a move raises, so reaching this
        # point and the end of run_test is the check).
        await until(lambda: not transcript.is_attached, "the transcript removed")
        await pilot.pause()
        assert app.is_running


async def test_a_new_message_while_reading_the_top_brings_back_the_end() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(300))
        await at_rest(pilot)
        await home_from(pilot, transcript.views()[-1])
        assert not transcript.at_tail
        view = await transcript.add(Entry("new", "user", "sent from the top"))
        await at_rest(pilot)
        assert transcript.views()[-1] is view
        assert "new" in on_screen(transcript) and transcript.following


async def test_removing_from_a_message_that_is_not_mounted_cuts_the_rest() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(300))
        await at_rest(pilot)
        await transcript.remove_from_index(100)
        await at_rest(pilot)
        assert len(transcript.entries) == 100
        assert transcript.views()[-1].message_id == "m99"
        assert "m99" in on_screen(transcript)


async def test_an_answer_streamed_after_opening_keeps_its_text_when_rebuilt() -> None:
    """Unmounted answers are rebuilt from their entry, refreshed by `snapshot` first."""
    import dataclasses

    def snapshot(entry: Entry, view: MessageView) -> Entry:
        return dataclasses.replace(entry, text=view.text)

    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        transcript._snapshot = snapshot
        await transcript.show(conversation(300))
        await at_rest(pilot)
        live = await transcript.add(Entry("a-new", "assistant", ""))
        assert isinstance(live, AssistantMessageView)
        live.begin_stream()
        live.add_text("Streamed words that were not in the entry.")
        await live.end_stream("stop")
        await home_from(pilot, live)
        assert live not in transcript.views()
        await pilot.press("end")
        await at_rest(pilot)
        rebuilt = transcript.views()[-1]
        assert rebuilt is not live
        assert rebuilt.text == "Streamed words that were not in the entry."


async def test_home_while_an_answer_streams_keeps_the_answer_mounted() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(30))
        await at_rest(pilot)
        live = await transcript.add(Entry("a-new", "assistant", ""))
        assert isinstance(live, AssistantMessageView)
        live.begin_stream()
        live.add_text("Still coming")
        await home_from(pilot, transcript.views()[-2])
        assert "m0" in on_screen(transcript)
        assert live in transcript.views()
        live.add_text(", and done.")
        await live.end_stream("stop")
        await wait_until(pilot, lambda: live.text == "Still coming, and done.")


async def test_a_chat_that_grows_in_one_session_keeps_few_messages_mounted() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        for entry in conversation(40):
            await transcript.add(entry)
            await pilot.pause()
        await at_rest(pilot)
        assert "m39" in on_screen(transcript)
        assert len(transcript.views()) <= 16  # the window is the screen and its margins, not 40
        await home_from(pilot, transcript.views()[-1])
        assert "m0" in on_screen(transcript)


async def test_messages_far_above_a_growing_answer_are_unmounted_and_come_back() -> None:
    app = WidgetHarness()
    async with app.run_test(size=(80, 24)) as pilot:
        transcript = app.query_one(Transcript)
        await transcript.show(conversation(300))
        await at_rest(pilot)
        before = len(transcript.views())
        live = await transcript.add(Entry("a-new", "assistant", ""))
        assert isinstance(live, AssistantMessageView)
        live.begin_stream()
        written = ""
        for index in range(60):
            paragraph = f"Paragraph {index} of a long answer.\n\n"
            written += paragraph
            live.add_text(paragraph)
            await pilot.pause()  # the next delta once this one is handled: the answer grows
        body = live.query_one(AnswerBody)
        await wait_until(pilot, lambda: body.source == written)  # the paced writes are done
        await at_rest(pilot)
        assert transcript.following
        assert "a-new" in on_screen(transcript)
        assert len(transcript.views()) < before  # the answer fills the screen alone
        await live.end_stream("stop")
        live.focus()
        await pilot.press("up")  # the message above the answer is there when wanted
        await at_rest(pilot)
        focused = app.focused
        assert isinstance(focused, MessageView) and focused.message_id == "m299"


# ---------------------------------------------------------------- in the app: sending, streaming

NEW_TEXT = "new text below ↓"


def scroll_up_with_the_mouse(transcript: Transcript, notches: int = 5) -> None:
    for _ in range(notches):
        transcript.post_message(
            events.MouseScrollUp(transcript, 2, 2, 0, -1, 0, False, False, False)
        )


async def test_sending_while_scrolled_up_brings_back_the_bottom_with_the_new_prompt(
    fake_server: ServerFactory,
) -> None:
    """Issue "sending while scrolled up": the new prompt and its answer went in below, off
    screen, with no sign. Sending now returns to the bottom and follows again."""
    long_reply = "\n\n".join(f"Paragraph {i} of the first answer." for i in range(40))
    server = fake_server(reply=long_reply, chunk_size=200)
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Tell me a lot")
        await answered(pilot, chat)
        transcript = chat.transcript
        await transcript_at_rest(pilot, transcript)
        scroll_up_with_the_mouse(transcript)
        await transcript_at_rest(pilot, transcript)
        assert not transcript.following
        assert "Paragraph 39" not in screen_text(app)  # really reading above the end
        server.configure(reply="A short second answer.")
        await send(pilot, "One more question, asked from above")
        await answered(pilot, chat)
        await transcript_at_rest(pilot, transcript)
        shown = screen_text(app)
        assert "One more question, asked from above" in shown
        assert "A short second answer." in shown
        assert transcript.following


async def test_new_text_below_shows_while_reading_above_a_streaming_answer(
    fake_server: ServerFactory,
) -> None:
    """Reading above an answer that still streams: a "new text below ↓" sign at the bottom of
    the transcript; End (back at the bottom, following) takes it away."""
    long_reply = "\n\n".join(f"Paragraph {i} streaming in." for i in range(60))
    # 30 deltas of 40 characters (two screens of text), then silence until Esc.
    server = fake_server(reply=long_reply, chunk_size=40, stall_after=30)
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Long please")
        transcript = chat.transcript
        answer = last_answer(chat)
        body = answer.query_one(AnswerBody)
        # Everything before the stall has arrived and been written (the writes are paced).
        await wait_until(pilot, lambda: len(answer.text) >= 30 * 40 and body.source == answer.text)
        assert answer.streaming
        await transcript_at_rest(pilot, transcript)
        assert transcript.following and transcript.max_scroll_y > 10
        assert NEW_TEXT not in screen_text(app)  # following: nothing is hidden below
        scroll_up_with_the_mouse(transcript)
        await transcript_at_rest(pilot, transcript)
        assert not transcript.following
        shown = screen_text(app).splitlines()
        bottom = transcript.region.bottom - 1  # the transcript's last row on screen
        assert NEW_TEXT in shown[bottom]
        answer.focus()
        await pilot.press("end")
        await transcript_at_rest(pilot, transcript)
        assert transcript.following
        assert NEW_TEXT not in screen_text(app)
        await pilot.press("escape")
        await answered(pilot, chat)
