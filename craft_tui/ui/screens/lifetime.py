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

from collections.abc import Callable
from typing import Any, TypeVar

from textual.screen import Screen

from craft_tui.ui.textual_private import being_removed

ResultType = TypeVar("ResultType")


def closed_meanwhile(screen: Screen[Any]) -> bool:
    """True once `screen` is closed or being taken apart: nothing on it is left to update."""
    return not screen.is_attached or being_removed(screen)


def show_or_toast(screen: Screen[Any], show: Callable[[], object], toast: str) -> None:
    """Run `show` (it puts a message, usually a refusal, on `screen`); once `screen` has closed
    meanwhile, say `toast` in an error toast instead, so the message still reaches the person.
    An empty `toast` (a line being cleared) says nothing."""
    if not closed_meanwhile(screen):
        show()
    elif toast:
        screen.app.notify(toast, severity="error")


def dismiss_if_open(screen: Screen[ResultType], result: ResultType) -> None:
    """Close `screen` with `result`, unless it was closed meanwhile (then it has answered)."""
    if not closed_meanwhile(screen) and screen.app.screen is screen:
        screen.dismiss(result)
