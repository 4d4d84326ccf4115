"""Searching the history screen: typing lists every message holding the words under its
conversation, with the words marked (as styles on disarmed text, never markup); Enter on a hit
opens that conversation on the branch holding the message, with the message on screen."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from craft_tui.chat.history import HistoryStore
from craft_tui.ui.screens.history import MATCH_STYLE, HistoryScreen
from tests.ui.chat_helpers import make_app, ready, screen_text, views, wait_until


def rows(options: OptionList) -> list[str]:
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def marked(options: OptionList, index: int) -> list[str]:
    """The words of row `index` drawn with the match style."""
    prompt = options.get_option_at_index(index).prompt
    assert isinstance(prompt, Content)
    return [
        prompt.plain[span.start : span.end] for span in prompt.spans if span.style == MATCH_STYLE
    ]


def long_branched(store: HistoryStore) -> tuple[str, str]:
    """A 40-message conversation whose 5th message has a second version (another branch) that
    holds the word 'zebra'; the first branch stays the one shown. Returns (conversation id, id
    of the zebra message)."""
    conversation = store.create_conversation(title="Long talk")
    parent = None
    fork = None
    for index in range(40):
        role = "user" if index % 2 == 0 else "assistant"
        text = f"Message {index} of the main branch, about nothing in particular."
        message = store.add_message(conversation.id, parent_id=parent, role=role, text=text)
        if index == 4:
            fork = message.parent_id
        parent = message.id
    main_leaf = parent
    zebra = store.add_message(
        conversation.id, parent_id=fork, role="user", text="A question about the zebra crossing"
    )
    below = store.add_message(
        conversation.id, parent_id=zebra.id, role="assistant", text="Stripes help drivers."
    )
    store.add_message(conversation.id, parent_id=below.id, role="user", text="Thanks, the end.")
    store.set_active_leaf(conversation.id, main_leaf)
    return conversation.id, zebra.id


async def search(pilot: Pilot[Any], query: str) -> OptionList:
    app = pilot.app
    await pilot.press("ctrl+b")
    await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
    screen = app.screen
    options = screen.query_one(OptionList)
    screen.query_one(Input).value = query
    await wait_until(pilot, lambda: screen._query == query and not _loading(screen))
    return options


def _loading(screen: Any) -> bool:
    return any(w.group == "history" and not w.is_finished for w in screen.workers)


async def test_hits_are_listed_under_their_conversation_with_the_words_marked(
    fake_server,
) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        store = app.workspace.history()
        penguins = store.create_conversation(title="Birds")
        question = store.add_message(
            penguins.id, parent_id=None, role="user", text="Where do Penguins live?"
        )
        store.add_message(
            penguins.id, parent_id=question.id, role="assistant", text="Most penguins\nlive south."
        )
        other = store.create_conversation(title="Penguin names")
        store.add_message(other.id, parent_id=None, role="user", text="Nothing here matches.")
        options = await search(pilot, "pengu")
        await wait_until(pilot, lambda: options.option_count == 4)
        assert rows(options)[0].startswith("Birds  ")
        # newest hit first, under its conversation; the newline of the text shown as a space
        assert rows(options)[1] == "   answer: Most penguins live south."
        assert rows(options)[2] == "   you: Where do Penguins live?"
        assert marked(options, 1) == ["penguins"]
        assert marked(options, 2) == ["Penguins"]
        assert rows(options)[3].startswith("Penguin names  ")  # by its title alone
        found = str(app.screen.query_one("#history-found").render())
        assert "2 messages in 1 conversation" in found


async def test_hostile_text_and_queries_are_data(fake_server) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        store = app.workspace.history()
        conversation = store.create_conversation(title="[b]bold[/b] \x1b]0;title\x07")
        store.add_message(
            conversation.id,
            parent_id=None,
            role="user",
            text="evil \x1b[2J[red]markup[/red] \u202etxt.exe word and",
        )
        options = await search(pilot, 'word" AND (*')
        await wait_until(pilot, lambda: options.option_count == 2)
        assert rows(options)[1] == "   you: evil ␛[2J[red]markup[/red] ⟨U+202E⟩txt.exe word and"
        assert marked(options, 1) == ["word", "and"]
        shown = screen_text(app)
        assert "[red]markup[/red]" in shown and "\x1b" not in shown
        for query in ['"', "AND", "*", "-", "(((", "NEAR(", "col:x"]:
            app.screen.query_one(Input).value = query
            await wait_until(pilot, lambda q=query: app.screen._query == q)
            await wait_until(pilot, lambda: not _loading(app.screen))
            assert isinstance(app.screen, HistoryScreen)  # no worker failed


async def test_a_hit_opens_its_conversation_on_its_branch_scrolled_to_it(fake_server) -> None:
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        store = app.workspace.history()
        conversation_id, zebra_id = long_branched(store)
        options = await search(pilot, "zebra")
        await wait_until(pilot, lambda: options.option_count == 2)
        assert marked(options, 1) == ["zebra"]
        await pilot.press("down", "down")  # into the list, onto the hit
        assert options.highlighted == 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is chat and chat.loaded)
        assert chat.session is not None
        assert chat.session.conversation.id == conversation_id
        # the branch holding the message is the one shown: it has 7 messages, not 40
        await wait_until(pilot, lambda: len(chat.transcript.entries) == 7)
        assert [m.id for m in chat.transcript.entries][4] == zebra_id
        await wait_until(pilot, lambda: getattr(app.focused, "message_id", None) == zebra_id)
        await wait_until(pilot, lambda: "A question about the zebra crossing" in screen_text(app))
        assert store.get_conversation(conversation_id).active_leaf_id != zebra_id
        assert any(view.message_id == zebra_id for view in views(chat))


async def test_a_hit_far_up_a_long_branch_is_scrolled_to(fake_server) -> None:
    """The active branch already holds the hit: it stays, and the view goes up to it."""
    app = make_app(fake_server(), new=True)
    async with app.run_test(size=(100, 30)) as pilot:
        chat = await ready(pilot)
        store = app.workspace.history()
        conversation_id, _zebra = long_branched(store)
        leaf = store.get_conversation(conversation_id).active_leaf_id
        options = await search(pilot, "Message 3 main")
        await wait_until(pilot, lambda: options.option_count == 2)
        await pilot.press("down", "down", "enter")
        await wait_until(pilot, lambda: app.screen is chat and chat.loaded)
        await wait_until(pilot, lambda: len(chat.transcript.entries) == 40)
        await wait_until(pilot, lambda: "Message 3 of the main branch" in screen_text(app))
        assert "Message 39 of" not in screen_text(app)
        assert store.get_conversation(conversation_id).active_leaf_id == leaf
