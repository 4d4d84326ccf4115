"""Screens whose work outlives them: the one rule for code that resumes after an await.

A screen reads files, keyrings and servers in threads and workers, and the person may close it
(Esc, Enter on a row, Ctrl+Q) before the answer comes. Textual takes a closing screen apart in
steps: its widgets are removed first, its workers are cancelled only when the screen itself
unmounts. A worker that resumed in between found no widget to update (`NoMatches`), and as
workers stop the app on an error by default, the app quit with "unexpected error"; a `dismiss`
after the close popped whichever screen was on top instead (the chat screen, leaving a blank
one). Every such continuation asks `closed_meanwhile` first, or dismisses through
`dismiss_if_open`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from textual.screen import Screen

from craft_tui.ui.textual_private import being_removed

ResultType = TypeVar("ResultType")


def closed_meanwhile(screen: Screen[Any]) -> bool:
    """True once `screen` is closed or being taken apart: nothing on it is left to update."""
    return not screen.is_attached or being_removed(screen)


def dismiss_if_open(screen: Screen[ResultType], result: ResultType) -> None:
    """Close `screen` with `result`, unless it was closed meanwhile (then it has answered)."""
    if not closed_meanwhile(screen) and screen.app.screen is screen:
        screen.dismiss(result)
