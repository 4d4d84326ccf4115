"""Every use of a private Textual API, in one place.

craft-tui keeps to Textual's public API everywhere else. The few things below have no public
form in Textual 8.2 and each buys something a user feels (the reasons are in each docstring).
Textual may change any of them in a minor release, so:

- `pyproject.toml` pins `textual>=8.2.8,<8.3`, the versions this module was written against;
- `tests/ui/test_textual_private.py` checks each one against the installed Textual (it fails
  loudly, naming the function, when Textual renamed or reshaped what it relies on);
- `tests/ui/test_textual_private.py` also scans `craft_tui/` and fails when a private Textual
  name is used anywhere but here.

Moving to a new Textual: bump the pin, run those tests, fix what they name, here only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING

from textual.app import App
from textual.geometry import Region, Size
from textual.scrollbar import ScrollBar
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.widget import Widget

if TYPE_CHECKING:
    from markdown_it.token import Token
    from rich.style import Style as RichStyle
    from textual.color import Color
    from textual.widgets import Markdown
    from textual.widgets.markdown import MarkdownBlock

WRITTEN_FOR = "8.2.8"  # the Textual version every function below was checked against


# ---------------------------------------------------------------- rendering a subtree off screen


def render_offscreen(widget: Widget) -> list[Strip] | None:
    """The lines a laid-out widget (and its children) shows at its current size, or None if the
    screen has not laid out its latest content yet (its blocks would render at stale sizes).

    Why: a finished part of a streaming answer is frozen into lines so Textual stops laying out
    its dozens of Markdown widgets on every update (see `widgets/frozen_segment.py`). A private
    `Compositor` arranges and renders the subtree exactly as the screen's own compositor does,
    without touching the screen's map.
    """
    from textual._compositor import Compositor

    compositor = Compositor()
    compositor.reflow(widget, widget.size)
    for child, geometry in compositor._full_map.items():
        if child.outer_size != geometry.region.size:
            return None
    return compositor.render_strips()


def styled_box(
    widget: Widget,
    size: Size,
    content_lines: list[Strip],
    content_width: int,
    covered: Collection[int] = (),
) -> list[Strip]:
    """`widget`'s lines at `size` (border and padding included) around `content_lines`, drawn
    by the same pipeline the screen uses for it, without the widget being laid out. Rows in
    `covered` are not drawn (an empty strip stands in): the caller draws over the whole row.

    Why: an answer streams into Markdown widgets that are kept off the screen's layout (hidden),
    and `ui/widgets/markdown_lines.py` draws them as lines itself; Textual's `StylesCache` is
    what turns a widget's content into its styled box (background, border, padding, filters),
    and it has no public entry that takes a size instead of the widget's laid-out region.
    """
    from textual._styles_cache import StylesCache

    styles = widget.styles
    base_background, background = widget.background_colors
    blank = Strip.blank(content_width, widget.visual_style.rich_style)

    def content_line(y: int) -> Strip:
        return content_lines[y] if y < len(content_lines) else blank

    content_height = max(0, size.height - styles.gutter.height)
    cache = StylesCache()
    lines = [_EMPTY] * size.height
    for start, end in _runs(size.height, covered):
        drawn = cache.render(
            styles,
            size,
            base_background,
            background,
            content_line,
            widget.get_line_filters(),
            None,
            None,
            content_size=Size(content_width, content_height),
            padding=styles.padding,
            crop=Region(0, start, size.width, end - start),
            opacity=widget.opacity,
            ansi_theme=widget.app.ansi_theme,
            native_ansi=widget.app.native_ansi_color,
        )
        lines[start:end] = drawn
    return lines


_EMPTY = Strip([])


def _runs(height: int, covered: Collection[int]) -> list[tuple[int, int]]:
    """The runs [start, end) of rows below `height` that are not in `covered`."""
    if not covered:
        return [(0, height)] if height else []
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for row in range(height):
        if row in covered:
            if start is not None:
                runs.append((start, row))
                start = None
        elif start is None:
            start = row
    if start is not None:
        runs.append((start, height))
    return runs


# ---------------------------------------------------------------- a list that is only a row count


def custom_vertical_scrollbar(view: Widget, make: Callable[[], ScrollBar]) -> ScrollBar:
    """The body of a `vertical_scrollbar` property override: the widget's scrollbar, made by
    `make` (hidden, started) the first time it is asked for, as Textual's own property does.

    Why: the model list draws a faster scrollbar (`ListScrollBar`); Textual keeps the bar in a
    private slot and has no public way to supply another class.
    """
    if view._vertical_scrollbar is None:
        bar = make()
        bar.display = False
        view._vertical_scrollbar = bar
        start_child(view, bar)
    return view._vertical_scrollbar


def start_child(parent: Widget, child: Widget) -> None:
    """Start a widget that is not mounted in the DOM but drawn by `parent` (a scrollbar).

    Why: `ScrollView.vertical_scrollbar` makes and starts its scrollbar this way; the model list
    swaps in a faster scrollbar (`ListScrollBar`) through the same property, so it must start it
    the same way.
    """
    parent.app._start_widget(parent, child)


def remeasure_scrollbars(widget: Widget, virtual_size: Size) -> None:
    """Re-measure a scrollable widget's scrollbars for a new virtual size, without a layout.

    Why: setting the public `virtual_size` reactive lays out the whole screen; the model list
    changes its size on every keystroke and needs only its scrollbar updated (~22 ms → ~8 ms per
    keystroke on 5,000 models).
    """
    widget._scroll_update(virtual_size)


def inner_style(widget: Widget, base_background: Color, background: Color) -> RichStyle:
    """The Rich style of a widget's content area, the one Textual's line pipeline uses.

    Why: the model list hands finished lines straight to the compositor, skipping the per-line
    pipeline, and must paint them with the same background and text style the pipeline would.
    """
    return widget._styles_cache.get_inner_outer(base_background, background)[0].rich_style


def span_style(widget: Widget, style: VisualStyle | str) -> VisualStyle:
    """The visual style a Content span's style means inside `widget` (".class" names resolved
    against the widget's CSS), as `Content.render` resolves it.

    Why: the model list combines a row's span styles itself (one cached strip per row) instead
    of going through `Content.render` per row.
    """
    return widget._get_style(style)


def being_removed(widget: Widget) -> bool:
    """True while a widget is on its way out (removed, its parent pruned, the app closing).

    Why: a streaming answer that writes into its body then would mount into a widget Textual
    refuses to mount into; `is_attached` turns False only after removal has finished.
    """
    return widget._pruning or widget._closing


# ---------------------------------------------------------------- following the bottom


def anchor_released(widget: Widget) -> bool:
    """True when an anchored widget has been scrolled away from the bottom by the user.

    Why: the public `is_anchored` says only that an anchor is set; whether the transcript is
    following new text right now is this flag too.
    """
    return widget._anchor_released


def set_anchor(widget: Widget, *, anchored: bool, released: bool) -> None:
    """Set both anchor flags without scrolling.

    Why: the public `anchor()` also scrolls to the end, but the transcript must, for example, mark
    itself anchored-but-released after mounting newer messages while the user is reading above
    (following resumes once they reach the bottom, not at once).
    """
    widget._anchored = anchored
    widget._anchor_released = released


# ---------------------------------------------------------------- the clipboard


def copy_with_sequence(app: App[None], text: str, sequence: str) -> None:
    """Do what `App.copy_to_clipboard` does (remember `text` as the app's clipboard, write the
    OSC 52 sequence to the terminal), with our own sequence.

    Why: inside tmux the plain OSC 52 that Textual writes is dropped unless it is wrapped for
    passthrough (`ui/clipboard.py` decides the wrapping); Textual writes only its own form.
    """
    app._clipboard = text
    if app._driver is not None:
        app._driver.write(sequence)


# ---------------------------------------------------------------- the last-resort error guard


class FatalErrorGuard(App[None]):
    """An App base whose unexpected-exception exit is `on_fatal_error`, not a Rich traceback.

    Why: Textual's exit on an exception escaping a handler prints a full traceback with locals
    (which can hold a prompt or a key) to the terminal. Textual has no public hook for it; its
    `_handle_exception` calls `_fatal_error`, and this class routes that to a public-named
    method the app overrides.
    """

    def on_fatal_error(self, error: BaseException | None) -> None:
        """Called instead of Textual's traceback printer; the app overrides it."""
        self.panic(f"craft-tui stopped after an unexpected error ({type(error).__name__}).")

    def _fatal_error(self) -> None:
        import sys

        self.on_fatal_error(sys.exc_info()[1] or self._exception)


# ---------------------------------------------------------------- Markdown drawn without mounting


def markdown_blocks(markdown: Markdown, tokens: list[Token]) -> Iterator[MarkdownBlock]:
    """The top-level blocks `markdown` would mount for parsed `tokens`, built but not mounted
    (their children are still in `compose`), exactly as `Markdown.update` builds them; each
    is built when it is asked for (a caller that stops early builds no more).

    Why: an answer loaded from the history is drawn as lines from blocks that are never
    mounted (`ui/widgets/style_probe.py`): mounting them was most of the cost of opening and
    paging through a long conversation. Textual builds blocks from tokens only inside `update`
    and `append`, which also mount them.
    """
    return iter(markdown._parse_markdown(tokens))


def constructed_children(widget: Widget) -> list[Widget]:
    """The children a container was constructed with (`Horizontal(bullet, Vertical(...))`),
    before it is mounted.

    Why: a Markdown list composes each item as such a container; drawing an unmounted list
    (`ui/widgets/style_probe.py`) needs what it would mount, which Textual keeps in a private
    slot until mounting.
    """
    return list(widget._pending_children)
