"""The conversation sidebar: shown beside the transcript on a wide terminal, hidden on a narrow
one, F2 toggles it; it lists conversations as text (pinned first), marks the open one, and
Enter on another opens it."""

from __future__ import annotations

from textual.widgets import OptionList

from craft_tui.chat.history import HistoryStore
from craft_tui.config import paths
from tests.ui.chat_helpers import answered, make_app, ready, send, views, wait_until


def _prompts(chat) -> list[str]:
    options = chat.sidebar.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def _seed() -> dict[str, str]:
    store = HistoryStore.open(paths.history_file())
    made = {}
    for title in ("Older talk", "[bold]not markup[/bold] \x1b[31mred", "Pinned one"):
        conversation = store.create_conversation(title=title)
        question = store.add_message(conversation.id, parent_id=None, role="user", text=title)
        store.add_message(
            conversation.id, parent_id=question.id, role="assistant", text=f"answer to {title}"
        )
        made[title] = conversation.id
    store.set_pinned(made["Pinned one"], True)
    store.close()
    return made


async def test_a_wide_terminal_shows_the_sidebar_and_enter_opens_a_conversation(
    fake_server,
) -> None:
    made = _seed()
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(150, 36)) as pilot:
        chat = await ready(pilot)
        await wait_until(pilot, lambda: chat.sidebar.shown and len(_prompts(chat)) >= 3)
        prompts = _prompts(chat)
        assert "Pinned one" in prompts[0]  # pinned first
        hostile = next(p for p in prompts if "not markup" in p)
        assert "[bold]" in hostile and "\x1b" not in hostile  # as text, disarmed
        await send(pilot, "a new question")
        await answered(pilot, chat)
        # The new conversation is listed (newest after the pinned one) and marked open.
        await wait_until(pilot, lambda: any("▸ a new question" in p for p in _prompts(chat)))
        options = chat.sidebar.query_one(OptionList)
        options.focus()
        index = next(i for i, p in enumerate(_prompts(chat)) if "Older talk" in p)
        options.highlighted = index
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: (
                chat.session is not None
                and chat.session.conversation.id == made["Older talk"]
                and chat.loaded
                and [v.text for v in views(chat)] == ["Older talk", "answer to Older talk"]
            ),
        )
        await wait_until(pilot, lambda: any("▸ Older talk" in p for p in _prompts(chat)))


async def test_a_narrow_terminal_hides_it_and_f6_toggles_it(fake_server) -> None:
    _seed()
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        assert not chat.sidebar.shown and chat.sidebar.region.width == 0
        await pilot.press("f2")
        await wait_until(pilot, lambda: chat.sidebar.shown and len(_prompts(chat)) == 3)
        assert chat.sidebar.region.width > 0  # on screen
        options = chat.sidebar.query_one(OptionList)
        assert app.focused is options  # the cursor is in it: arrows and Enter work at once
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.focused is chat.prompt)  # back to the prompt
        assert chat.sidebar.shown
        await pilot.press("f2")  # shown: F2 goes into it...
        await wait_until(pilot, lambda: app.focused is options)
        await pilot.press("f2")  # ...and in it, hides it
        await wait_until(pilot, lambda: not chat.sidebar.shown and chat.sidebar.region.width == 0)
        assert app.focused is chat.prompt
        await pilot.resize_terminal(160, 36)  # hidden by the user: stays hidden when widened
        await pilot.pause()
        assert not chat.sidebar.shown


def test_sidebar_snapshot(snap_compare, fake_server, monkeypatch) -> None:
    """150 columns: the sidebar beside an open conversation, long and hostile titles cut to one
    line, the pinned one first, the open one marked."""
    from datetime import UTC, datetime

    from craft_tui.chat import history as history_module
    from tests.ui.chat_helpers import screen_at_rest

    moment = datetime(2026, 11, 30, 9, 41, tzinfo=UTC)
    monkeypatch.setattr(history_module, "utc_now", lambda: moment)
    made = _seed()
    store = HistoryStore.open(paths.history_file())
    long = store.create_conversation(title="A very long title " * 6)
    store.add_message(long.id, parent_id=None, role="user", text="long")
    store.close()
    app = make_app(fake_server(), new=False)

    async def run_before(pilot) -> None:
        chat = await ready(pilot)
        await wait_until(
            pilot,
            lambda: (
                chat.sidebar.shown
                and len(_prompts(chat)) == 4
                and any(p.startswith("▸") for p in _prompts(chat))
                and chat.loaded
            ),
        )
        # The footer shows Retry when the screen allows it: wait until it has caught up.
        chat.refresh_bindings()
        await wait_until(
            pilot,
            lambda: (
                any(
                    getattr(key, "description", "") == "Retry"
                    for key in pilot.app.screen.query("FooterKey")
                )
                == bool(chat.check_action("retry", ()))
            ),
        )
        await screen_at_rest(pilot)

    assert made
    assert snap_compare(app, terminal_size=(150, 30), run_before=run_before)
