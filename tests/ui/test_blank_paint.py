"""The transcript and an answer's containers are painted as plain background (cheaper frames
while an answer streams) except under a line filter such as NO_COLOR, which Textual would not
apply to blank lines: there they keep being rendered through their styles, in greys."""

from __future__ import annotations

import pytest

from craft_tui.ui.widgets.answer_body import AnswerBody
from craft_tui.ui.widgets.markdown_blocks import AnswerMarkdown
from craft_tui.ui.widgets.transcript import Transcript
from tests.ui.chat_helpers import answered, make_app, send


def _blank_flags(app: object) -> set[bool]:
    screen = app.screen  # type: ignore[attr-defined]
    widgets = [*screen.query(Transcript), *screen.query(AnswerBody), *screen.query(AnswerMarkdown)]
    assert len(widgets) >= 3  # the transcript, the answer's body and its Markdown
    return {widget.BLANK for widget in widgets}


@pytest.mark.parametrize("no_color", [False, True])
async def test_containers_are_blank_only_without_a_colour_filter(
    fake_server, monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = make_app(fake_server(reply="Use **sorted()**.\n\n- one\n- two\n"))
    async with app.run_test(size=(80, 24)) as pilot:
        chat = await send(pilot, "Sort?")
        await answered(pilot, chat)
        assert _blank_flags(app) == {not no_color}
