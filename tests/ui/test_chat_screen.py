"""The chat screen end to end inside the app: real drivers, real SQLite history, loopback fake
servers. Each test asserts what the user sees and what was saved."""

from __future__ import annotations

from typing import Any

from textual.widgets import Markdown

from craft_tui.config import paths, state
from craft_tui.ui.widgets.messages import AssistantMessageView, UserMessageView
from craft_tui.ui.widgets.transcript import Transcript
from tests.ui.chat_helpers import answered, last_answer, make_app, ready, send, views, wait_until

CODE_ANSWER = "Here:\n\n```python\nprint('hi')\n```\n\nand\n\n```sh\nls -la\n```\n"


def saved_messages(app: Any) -> list[Any]:
    """The active branch as stored in the history database."""
    chat = app.chat
    _conversation, messages = app.workspace.history().load_conversation(
        chat.session.conversation.id
    )
    return list(messages)


async def test_empty_prompt_shows_placeholder_naming_the_model(fake_server) -> None:
    app = make_app(fake_server())
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await ready(pilot)
        assert chat.prompt.text == ""
        assert str(chat.prompt.placeholder).startswith("Message fake-model")
        assert app.focused is chat.prompt


async def test_enter_sends_and_the_answer_streams_in_and_is_saved(fake_server) -> None:
    server = fake_server(reply="Hello **world**, nice to meet you.")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Hi there")
        answer = await answered(pilot, chat)
        assert isinstance(views(chat)[0], UserMessageView)
        assert views(chat)[0].text == "Hi there"
        assert answer.text == "Hello **world**, nice to meet you."
        assert answer.label == "Fake · fake-model"
        assert chat.prompt.text == ""
        assert server.requests[-1].json["messages"][-1]["content"] == "Hi there"
        stored = saved_messages(app)
        assert [m.role for m in stored] == ["user", "assistant"]
        assert stored[1].text == "Hello **world**, nice to meet you."
        assert stored[1].finish_reason == "stop"
        # "used …" is runtime state; config.toml is left as the user wrote it.
        config_before = paths.config_file().read_bytes()
        await wait_until(pilot, lambda: state.last_used(app.config.connections[0].slug) is not None)
        assert paths.config_file().read_bytes() == config_before


async def test_ctrl_j_inserts_a_newline_and_up_recalls_the_last_prompt(fake_server) -> None:
    app = make_app(fake_server())
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await ready(pilot)
        await pilot.press("a", "ctrl+j", "b")
        assert chat.prompt.text == "a\nb"
        await pilot.press("enter")
        await answered(pilot, chat)
        assert chat.prompt.text == ""
        await pilot.press("up")
        assert chat.prompt.text == "a\nb"


async def test_escape_stops_at_once_and_keeps_the_partial_answer(fake_server) -> None:
    server = fake_server(reply="one two three four five six seven", stall_after=3)
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Count")
        # Wait for what is on screen (the rendered Markdown), not just what was received.
        await wait_until(pilot, lambda: "three" in last_answer(chat).query_one(Markdown).source)
        await pilot.press("escape")
        answer = await answered(pilot, chat)
        assert answer.text.startswith("one two three")
        assert "four" not in answer.text
        assert answer.has_class("-stopped")
        assert "stopped" in str(answer._note.render())
        assert server.wait_for_disconnect(10)
        stored = saved_messages(app)
        assert stored[-1].finish_reason == "cancelled"
        assert stored[-1].text.startswith("one two three")
        assert not chat.status.spinning


async def test_edit_and_resend_branches_and_keeps_the_old_answer(fake_server) -> None:
    server = fake_server(echo=True)
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "first version")
        await answered(pilot, chat)
        user_view = views(chat)[0]
        user_view.focus()
        await pilot.press("e")
        assert chat.prompt.text == "first version"
        chat.prompt.load_text("second version")
        await pilot.press("enter")
        answer = await answered(pilot, chat)
        assert [v.text for v in views(chat)] == ["second version", answer.text]
        assert "second version" in answer.text
        store = app.workspace.history()
        _conversation, branch = store.load_conversation(chat.session.conversation.id)
        assert branch[0].text == "second version"
        old = [
            m for m in store.all_messages(chat.session.conversation.id) if m.text == "first version"
        ]
        assert old, "the first version is kept in history"


async def test_regenerate_asks_again_with_the_current_model(fake_server) -> None:
    server = fake_server(reply="An answer.")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Question")
        await answered(pilot, chat)
        chat.switch_to("fake", "fake-model-large")
        server.configure(reply="A better answer.")
        last_answer(chat).focus()
        await pilot.press("r")
        await wait_until(
            pilot, lambda: last_answer(chat).text == "A better answer." and not chat.busy
        )
        assert server.requests[-1].json["model"] == "fake-model-large"
        assert last_answer(chat).label == "Fake · fake-model-large"
        assert len(views(chat)) == 2


async def test_switching_connection_sends_the_next_request_to_the_other_server(fake_server) -> None:
    first = fake_server(reply="From the first.")
    second = fake_server(reply="From the second.", protocol="anthropic")
    app = make_app(first, second)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "One")
        await answered(pilot, chat)
        chat.switch_to("fake2", "fake-model")
        await wait_until(pilot, lambda: "Fake2" in str(chat.status.line()))
        assert str(chat.prompt.placeholder).startswith("Message fake-model")
        chat.prompt.insert("Two")
        await pilot.press("enter")
        answer = await answered(pilot, chat)
        assert answer.text == "From the second."
        assert answer.label == "Fake2 · fake-model"
        assert second.requests[-1].json["messages"][0]["content"] in (
            "One",
            [{"type": "text", "text": "One"}],
        )


async def test_copy_message_and_code_blocks_through_osc52(fake_server) -> None:
    app = make_app(fake_server(reply=CODE_ANSWER, chunk_size=7), environ={})
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "code please")
        answer = await answered(pilot, chat)
        answer.focus()
        await pilot.press("c")
        assert app.clipboard == CODE_ANSWER
        await pilot.press("b")
        assert app.clipboard == "print('hi')"
        await pilot.press("b")
        assert app.clipboard == "ls -la"
        assert app.copied[-1] == "\x1b]52;c;bHMgLWxh\a"


async def test_copy_inside_tmux_is_wrapped_and_the_fix_is_told_once(fake_server, tmp_path) -> None:
    # $TMUX names a server that does not exist: tmux cannot confirm passthrough, so the app wraps
    # the sequence and tells the user the one setting that makes it work.
    env = {"TMUX": f"{tmp_path}/no-such-socket,1,0", "PATH": "/usr/bin:/bin"}
    app = make_app(fake_server(reply=CODE_ANSWER), environ=env)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "code please")
        answer = await answered(pilot, chat)
        answer.focus()
        await pilot.press("b")
        await pilot.press("c")
        assert app.copied[0] == "\x1bPtmux;\x1b\x1b]52;c;cHJpbnQoJ2hpJyk=\a\x1b\\"
        tips = [n for n in app._notifications if "allow-passthrough" in str(n.message)]
        assert len(tips) == 1
        assert "set-clipboard on" in str(tips[0].message)


async def test_status_line_shows_usage_speed_and_the_spinner_stops_when_idle(fake_server) -> None:
    # The spinner shows until the first token: a wait long enough to be seen between two looks
    # of the test on a loaded machine (0.3 s was missed there).
    # The words come a moment apart, as a stream does (an answer that arrives all at once has
    # no speed to show).
    server = fake_server(reply="Some words here", first_token_delay=2.0, delay=0.05)
    app = make_app(server)
    async with app.run_test(size=(120, 30)) as pilot:
        chat = await send(pilot, "Hi")
        await wait_until(pilot, lambda: chat.status.spinning)
        answer = await answered(pilot, chat)
        assert answer.text == "Some words here"
        assert not chat.status.spinning
        line = chat.status.line().plain
        assert line.startswith("Fake · fake-model · ↑12 ↓")
        assert "ttft " in line and "tok/s" in line
        assert "local" in line


async def test_reasoning_arrives_in_a_collapsed_block(fake_server) -> None:
    app = make_app(fake_server(reply="The answer.", reasoning="First I think."))
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Think")
        answer = await answered(pilot, chat)
        assert answer.reasoning == "First I think."
        assert answer._reasoning.collapsed
        assert answer.text == "The answer."


async def test_reopens_the_last_conversation_and_new_starts_fresh(fake_server) -> None:
    server = fake_server(reply="Remembered.")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Remember me")
        await answered(pilot, chat)
    again = make_app(server)
    async with again.run_test(size=(80, 24)) as pilot:
        chat = await ready(pilot)
        assert [v.text for v in views(chat)] == ["Remember me", "Remembered."]
    fresh = make_app(server, new=True)
    async with fresh.run_test(size=(80, 24)) as pilot:
        chat = await ready(pilot)
        assert views(chat) == []


async def test_keymap_from_config_remaps_a_binding(fake_server) -> None:
    server = fake_server(reply="one two three four", stall_after=2)
    app = make_app(server, settings={"keymap": {"stop": "ctrl+x"}})
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Go")
        await wait_until(pilot, lambda: "two" in last_answer(chat).text)
        await pilot.press("ctrl+x")
        answer = await answered(pilot, chat)
        assert answer.finish_reason == "cancelled"


async def test_scrolling_up_during_an_answer_stops_following(fake_server) -> None:
    long_reply = "\n\n".join(f"Paragraph {i} with some words." for i in range(60))
    server = fake_server(reply=long_reply, chunk_size=40, delay=0.01)
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Long please")
        transcript = chat.query_one(Transcript)
        await wait_until(pilot, lambda: transcript.max_scroll_y > 10)
        assert transcript.following
        from textual import events

        for _ in range(3):
            transcript.post_message(
                events.MouseScrollUp(transcript, 2, 2, 0, -1, 0, False, False, False)
            )
        await pilot.pause()
        assert not transcript.following
        await answered(pilot, chat)
        assert transcript.scroll_y < transcript.max_scroll_y


async def test_delete_removes_a_message_and_what_follows(fake_server) -> None:
    app = make_app(fake_server(reply="Answer."))
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Keep")
        await answered(pilot, chat)
        chat.prompt.insert("Drop")
        await pilot.press("enter")
        await answered(pilot, chat)
        views(chat)[2].focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: [v.text for v in views(chat)] == ["Keep", "Answer."])
        # Gone from the history at the next operation on the conversation (undo until then).
        assert [m.text for m in saved_messages(app)] == ["Keep", "Answer.", "Drop", "Answer."]
        conversation_id = chat.session.conversation.id
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: chat.session.conversation.id != conversation_id)
        _conversation, messages = app.workspace.history().load_conversation(conversation_id)
        assert [m.text for m in messages] == ["Keep", "Answer."]


async def test_first_run_without_connections_opens_the_connections_screen() -> None:
    from craft_tui.config.schema import Config
    from craft_tui.ui.app import CraftApp

    app = CraftApp(Config())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "ConnectionsScreen"


async def test_unexpected_exception_in_an_answer_is_shown_inline_not_a_crash(fake_server) -> None:
    app = make_app(fake_server(reply="fine"))
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await ready(pilot)

        async def broken(_session: Any) -> Any:
            raise RuntimeError("boom")
            yield  # pragma: no cover

        chat._run(lambda s: broken(s))
        await wait_until(pilot, lambda: not chat.busy)
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        assert any("Something went wrong inside craft-tui (RuntimeError)" in m for m in shown)
        assert app.is_running
        assert not isinstance(last_answer_or_none(chat), AssistantMessageView)


def last_answer_or_none(chat: Any) -> Any:
    answers = [v for v in chat.transcript.views() if isinstance(v, AssistantMessageView)]
    return answers[-1] if answers else None


async def test_model_picker_choice_switches_connection_and_model_mid_conversation(
    fake_server,
) -> None:
    from craft_tui.ui.screens.model_picker import ModelChoice, ModelPickerScreen

    first = fake_server(reply="From the first.")
    second = fake_server(reply="From the second.")
    app = make_app(first, second)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "One")
        await answered(pilot, chat)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerScreen))
        app.screen.dismiss(ModelChoice("fake2", "fake-model-large"))
        await wait_until(pilot, lambda: "fake-model-large" in str(chat.prompt.placeholder))
        assert app.screen is chat
        assert str(chat.prompt.placeholder).startswith("Message fake-model-large")
        chat.prompt.insert("Two")
        await pilot.press("enter")
        answer = await answered(pilot, chat)
        assert answer.text == "From the second."
        assert second.requests[-1].json["model"] == "fake-model-large"
        assert [m["role"] for m in second.requests[-1].json["messages"]] == [
            "user",
            "assistant",
            "user",
        ]
        assert chat.session.conversation.connection_slug == "fake2"


async def test_ctrl_g_opens_the_connections_screen_and_closing_reloads_config(fake_server) -> None:
    from craft_tui.config.store import update_config

    app = make_app(fake_server())
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ConnectionsScreen")

        def rename(config: Any) -> None:
            config.connections[0].name = "Renamed"

        update_config(rename)
        await pilot.press("escape")
        await wait_until(pilot, lambda: chat.status.line().plain.startswith("Renamed · "))
        assert app.screen is chat


async def test_system_prompt_modal_sets_the_conversation_system_prompt(
    fake_server, monkeypatch
) -> None:
    import threading

    from textual.widgets import TextArea

    from craft_tui.chat.session import ChatSession

    threads: list[str] = []
    real = ChatSession.set_system_prompt

    def recorded(self: ChatSession, text: str | None) -> None:
        threads.append(threading.current_thread().name)
        real(self, text)

    monkeypatch.setattr(ChatSession, "set_system_prompt", recorded)
    server = fake_server(reply="Arr.")
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "SystemPromptScreen")
        app.screen.query_one(TextArea).insert("Talk like a pirate.")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is chat)
        await send(pilot, "Hello")
        await answered(pilot, chat)
        sent = server.requests[-1].json["messages"]
        assert sent[0] == {"role": "system", "content": "Talk like a pirate."}
        assert chat.session.conversation.system_prompt == "Talk like a pirate."
        # The SQLite write ran off the UI loop, and the modal closed only once it was stored.
        assert threads and threading.main_thread().name not in threads


async def test_a_corrupt_history_file_is_reported_and_left_untouched(fake_server) -> None:
    from craft_tui.config import paths

    history = paths.history_file()
    history.parent.mkdir(parents=True, exist_ok=True)
    history.write_bytes(b"this is not a database" * 100)
    app = make_app(fake_server())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(
            pilot, lambda: any("history.db" in str(n.message) for n in app._notifications)
        )
        assert app.is_running
        assert "Traceback" not in " ".join(str(n.message) for n in app._notifications)
    assert history.read_bytes() == b"this is not a database" * 100


async def test_versions_of_an_edited_prompt_can_be_browsed_with_brackets(fake_server) -> None:
    server = fake_server(echo=True)
    app = make_app(server)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await send(pilot, "first")
        await answered(pilot, chat)
        views(chat)[0].focus()
        await pilot.press("e")
        chat.prompt.load_text("second")
        await pilot.press("enter")
        await answered(pilot, chat)
        await wait_until(pilot, lambda: views(chat)[0].version == (2, 2))
        assert "‹ 2/2 ›" in str(views(chat)[0].query_one(".message-label").render())
        views(chat)[0].focus()
        await pilot.press("left_square_bracket")
        await wait_until(pilot, lambda: views(chat)[0].text == "first")
        assert views(chat)[0].version == (1, 2)
        assert "first" in views(chat)[1].text
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: views(chat)[0].text == "second")


async def test_a_connection_without_a_model_says_which_key_picks_one(fake_server) -> None:
    from craft_tui.config.schema import Config
    from craft_tui.ui.app import CraftApp
    from tests.ui.chat_helpers import connection_dict

    server = fake_server()
    entry = connection_dict(server)
    entry.update(models=[], default_model=None)
    app = CraftApp(Config.model_validate({"connections": [entry]}))
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        chat.prompt.insert("Hello")
        await pilot.press("enter")
        await pilot.pause()
        assert any("press ctrl+o to pick one" in str(n.message) for n in app._notifications)
        assert chat.prompt.text == "Hello"  # nothing typed is lost
        assert server.requests == []


async def test_starting_fresh_twice_reuses_the_empty_conversation(fake_server) -> None:
    server = fake_server()
    ids = []
    for _ in range(2):
        app = make_app(server, new=True)
        async with app.run_test(size=(80, 24)) as pilot:
            chat = await ready(pilot)
            ids.append(chat.session.conversation.id)
    assert ids[0] == ids[1]


async def test_ctrl_c_also_stops_and_copies_nothing(fake_server) -> None:
    server = fake_server(reply="alpha beta gamma delta epsilon", stall_after=2)
    app = make_app(server, environ={})
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Go")
        await wait_until(pilot, lambda: "beta" in last_answer(chat).query_one(Markdown).source)
        await pilot.press("ctrl+c")
        answer = await answered(pilot, chat)
        assert answer.finish_reason == "cancelled"
        assert answer.text.startswith("alpha beta")
        assert app.copied == []


async def test_empty_chat_explains_the_keys_and_shift_tab_reaches_the_last_answer(
    fake_server,
) -> None:
    app = make_app(fake_server(reply="An answer to copy."), environ={})
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await ready(pilot)
        hint = chat.transcript.query_one(".empty-hint")
        assert hint.display and "Ctrl+O" in str(hint.render())
        await send(pilot, "Hi")
        await answered(pilot, chat)
        assert not hint.display
        await pilot.press("shift+tab")
        assert app.focused is last_answer(chat)
        await pilot.press("c")
        assert app.clipboard == "An answer to copy."


async def test_ctrl_r_answers_the_question_whose_answer_was_deleted(fake_server) -> None:
    server = fake_server(reply="First answer.")
    app = make_app(server)
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "The question")
        answer = await answered(pilot, chat)
        answer.focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: len(views(chat)) == 1)
        server.configure(reply="Second answer.")
        await pilot.press("ctrl+r")
        await wait_until(
            pilot,
            lambda: (
                not chat.busy
                and len(views(chat)) == 2
                and isinstance(views(chat)[1], AssistantMessageView)
                and views(chat)[1].text == "Second answer."
            ),
        )
        assert isinstance(views(chat)[0], UserMessageView)
        assert views(chat)[0].text == "The question"
        stored = saved_messages(app)
        assert [(m.role, m.text) for m in stored] == [
            ("user", "The question"),
            ("assistant", "Second answer."),
        ]
