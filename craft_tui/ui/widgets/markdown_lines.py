"""Markdown widgets drawn as lines by us, so the screen never lays them out.

Textual lays out every mounted widget of the screen on each update, twice when a size changed,
and an answer's Markdown is a widget per block (a list item is four). While an answer streams,
its live segment is kept in the DOM but hidden (`display: none`), so its blocks still parse,
mount and take their CSS (theme, `:light`/`:dark`, margins), and `lines_of` draws that hidden
tree the way the screen's compositor would: each widget's content through Textual's own
`Visual.to_strips`, its box (background, border, padding, line filters) through the same styles
pipeline the screen uses (`textual_private.styled_box`), children stacked with Textual's
collapsed vertical margins or put side by side as a horizontal layout does. The screen then
lays out one widget of lines (`FrozenSegment`) instead of dozens.

Only what that small layout engine reproduces exactly is drawn this way: vertical and
horizontal layouts, widths of `1fr` or `auto`, fixed or automatic heights, and a table's grid,
whose cells are placed by Textual's own `GridLayout.arrange` (its column widths, shrinking and
ellipses are Textual's rule, not a copy of it) with the keylines drawn around them on Textual's
`Canvas`, as `Layout.render_keyline` does for a laid-out grid. A tree with anything else (a code
line wider than its fence, a dock, an offset) gives None, and the caller shows the real widgets
instead. `tests/ui/test_markdown_lines.py` compares
these lines cell by cell, styles included, with what Textual draws for the same Markdown.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, cast

from textual.canvas import Canvas, Rectangle
from textual.css.scalar import Unit
from textual.geometry import Offset, Size
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget
from textual.widgets import Static

from craft_tui.ui.textual_private import styled_box

if TYPE_CHECKING:
    from textual.css.styles import RulesMap

__all__ = ["Node", "Unsupported", "lines_of", "lines_of_node"]


# A leaf's box, kept while its content, size and theme stay the same: while an answer streams,
# only its last block changes, so each write draws one or two blocks instead of all of them.
_boxes: weakref.WeakKeyDictionary[Widget, tuple[Visual, int, int | None, str, list[Strip]]] = (
    weakref.WeakKeyDictionary()
)
# A settled block's lines (see `lines_of`), kept while the width and theme stay the same: a
# streaming segment's finished blocks (lists and quotes are boxes of boxes) are not redrawn on
# every write, only its last block is.
_settled: weakref.WeakKeyDictionary[Widget, tuple[int, str, list[Strip]]] = (
    weakref.WeakKeyDictionary()
)


class Unsupported(Exception):
    """The tree uses something this layout engine does not reproduce exactly."""


class Node:
    """One box to draw: what it shows (`widget`'s content and children) and whose computed
    styles it is drawn with (`styled`). For a mounted tree both are the same widget; a tree
    built without mounting (`style_probe.py`) borrows the styles of a mounted twin."""

    __slots__ = ("children", "settled", "styled", "widget")

    def __init__(self, widget: Widget, styled: Widget, children: list[Node]) -> None:
        self.widget = widget
        self.styled = styled
        self.children = children
        # A mounted block that will not change again: its lines are kept (`_settled`).
        self.settled = False

    @classmethod
    def mounted(cls, widget: Widget) -> Node:
        """A mounted widget and its displayed children, each drawn with its own styles."""
        return cls(
            widget, widget, [cls.mounted(child) for child in widget.children if child.display]
        )

    @property
    def is_mounted(self) -> bool:
        return self.widget is self.styled


def lines_of(widget: Widget, width: int, *, streaming: bool = False) -> list[Strip] | None:
    """The lines `widget` and its children show at `width` (margins of its children included,
    its own excluded), or None when they cannot be drawn exactly here.

    `streaming`: `widget` is a Markdown being appended to, whose children before the last are
    final (Textual's `append` only ever updates the last block): their lines are drawn once per
    width and theme and reused, so a write redraws one block, not the whole segment.
    """
    node = Node.mounted(widget)
    if streaming:
        for child in node.children[:-1]:
            child.settled = True
    return lines_of_node(node, width)


def lines_of_node(node: Node, width: int) -> list[Strip] | None:
    """`lines_of` for a tree of `Node`s (mounted or not)."""
    if width <= 0:
        return None
    try:
        return _draw(node, width, None)
    except Unsupported:
        return None


def _content(node: Node) -> Visual:
    widget = node.widget
    if isinstance(widget, Static):
        return widget.visual
    if node.is_mounted or type(widget).render is not Widget.render:
        return visualize(node.styled, widget.render())  # (a bullet: its symbol)
    return visualize(node.styled, node.styled.render())  # an empty container: as its twin


def _check_box(widget: Widget) -> None:
    styles = widget.styles
    if (
        styles.dock not in ("", "none")
        or styles.offset.x.value
        or styles.offset.y.value
        or styles.min_width is not None
        or styles.max_width is not None
        or styles.max_height is not None
        or styles.box_sizing != "border-box"
        or styles.overlay == "screen"
        or styles.position != "relative"
    ):
        raise Unsupported
    width = styles.width
    if width is not None and not (width.is_auto or (width.unit == Unit.FRACTION)):
        raise Unsupported
    if styles.min_height is not None and styles.min_height.unit != Unit.CELLS:
        raise Unsupported


def _at_least_min_height(widget: Widget, height: int) -> int:
    """A box is never shorter than its `min-height`, nor than its padding and border (a rule's
    `height: 1` with a padding line above its border is two lines tall)."""
    minimum = widget.styles.min_height
    height = max(height, widget.styles.gutter.height)
    return height if minimum is None else max(height, int(minimum.value))


def _fixed_height(widget: Widget) -> int | None:
    height = widget.styles.height
    if height is None or height.is_auto:
        return None
    if height.unit == Unit.CELLS:
        return int(height.value)
    raise Unsupported


def _natural_width(node: Node) -> int:
    """The width a `width: auto` widget takes: its content's, plus its gutter."""
    if node.children:
        raise Unsupported  # an auto-width container: not needed by Markdown's blocks
    styles = node.styled.styles
    rules = cast("RulesMap", styles)  # what Textual itself passes (RenderStyles)
    return _content(node).get_optimal_width(rules, 0) + styles.gutter.width


def _draw(node: Node, width: int, height: int | None) -> list[Strip]:
    """`node`'s own box at outer `width` (its margins excluded) with its children drawn in.
    `height` forces the box's height (a horizontal row's); None is its natural height."""
    widget = node.styled
    _check_box(widget)
    styles = widget.styles
    gutter = styles.gutter
    inner_width = width - gutter.width
    if inner_width <= 0:
        raise Unsupported
    if height is None:
        height = _fixed_height(widget)
    children = node.children
    if not children:
        return _leaf(node, width, height, inner_width)

    layout = styles.layout.name if styles.layout is not None else "vertical"
    keyline = str(styles.keyline[0]) != "none"  # (typed without "none", which it is unless set)
    background: list[Strip] = []
    if layout == "grid" and height is None and node.is_mounted:
        placed, inner_height, background = _grid(widget, inner_width)
    elif keyline:
        raise Unsupported  # keylines are drawn for a mounted grid only
    elif layout == "vertical":
        placed, inner_height = _stack(widget, children, inner_width)
    elif layout == "horizontal":
        placed, inner_height = _side_by_side(children, inner_width)
    else:
        raise Unsupported
    box_height = inner_height + gutter.height if height is None else height
    box_height = _at_least_min_height(widget, box_height)
    # Rows a child's line covers from edge to edge (most rows): nothing of the box shows there,
    # so it is not drawn (a segment's own box was a tenth of a long answer's CPU).
    covered = {
        gutter.top + y
        for y, x, line in placed
        if gutter.left + x == 0 and line.cell_length == width
    }
    box = styled_box(widget, Size(width, box_height), background, inner_width, covered)
    for y, x, line in placed:
        row = gutter.top + y
        if row >= len(box):
            break
        left = gutter.left + x
        if left == 0 and line.cell_length == width:
            box[row] = line  # covers the whole row: nothing of the box shows
            continue
        base = box[row]
        box[row] = Strip.join([base.crop(0, left), line, base.crop(left + line.cell_length, width)])
    return box


def _leaf(node: Node, width: int, height: int | None, inner_width: int) -> list[Strip]:
    """A box without children: its content in its box (kept for the next write)."""
    content = _content(node)
    widget = node.styled
    theme = widget.app.theme
    # Only a mounted widget's box is kept: one built without mounting is drawn once.
    keep = node.is_mounted and isinstance(widget, Static)  # (a bullet's visual is not kept)
    kept = _boxes.get(widget) if keep else None
    if kept is not None:
        kept_content, kept_width, kept_height, kept_theme, box = kept
        if (kept_content is content, kept_width, kept_height, kept_theme) == (
            True,
            width,
            height,
            theme,
        ):
            return box
    content_height = None if height is None else max(0, height - widget.styles.gutter.height)
    lines = Visual.to_strips(widget, content, inner_width, content_height, widget.visual_style)
    box_height = len(lines) + widget.styles.gutter.height if height is None else height
    box_height = _at_least_min_height(widget, box_height)
    box = styled_box(widget, Size(width, box_height), lines, inner_width)
    if keep:
        _boxes[widget] = (content, width, height, theme, box)
    return box


def _stack(
    parent: Widget, children: list[Node], inner_width: int
) -> tuple[list[tuple[int, int, Strip]], int]:
    """Children one below the other, the gap between two being the larger of the upper's
    bottom margin and the lower's top margin (Textual collapses them)."""
    scrolls_across = parent.styles.overflow_x in ("scroll", "auto")
    placed: list[tuple[int, int, Strip]] = []
    y = 0
    below: int | None = None
    for child in children:
        child_styles = child.styled.styles
        margin = child_styles.margin
        y += margin.top if below is None else max(below, margin.top)
        child_width = inner_width - margin.left - margin.right
        auto_width = child_styles.width is not None and child_styles.width.is_auto
        if scrolls_across and auto_width and _natural_width(child) > child_width:
            raise Unsupported  # a code line wider than its fence: it scrolls sideways
        for line in (
            _draw_settled(child, child_width) if child.settled else _draw(child, child_width, None)
        ):
            placed.append((y, margin.left, line))
            y += 1
        below = margin.bottom
    y += below or 0
    return placed, y


def _draw_settled(node: Node, width: int) -> list[Strip]:
    """A settled block's lines at its natural height, drawn once per width and theme."""
    widget = node.widget  # (not its twin: a block built without mounting is its own)
    theme = node.styled.app.theme
    kept = _settled.get(widget)
    if kept is not None and kept[:2] == (width, theme):
        return kept[2]
    lines = _draw(node, width, None)
    _settled[widget] = (width, theme, lines)
    return lines


def _side_by_side(
    children: list[Node], inner_width: int
) -> tuple[list[tuple[int, int, Strip]], int]:
    """Children left to right: `auto` ones as wide as their content, the rest share what is
    left; every child is as tall as the tallest (a bullet beside a wrapped item)."""
    widths: list[int | None] = []
    for child in children:
        margin = child.styled.styles.margin
        if margin.top or margin.bottom or margin.left or margin.right:
            raise Unsupported
        rule = child.styled.styles.width
        widths.append(_natural_width(child) if rule is not None and rule.is_auto else None)
    flexible = [index for index, width in enumerate(widths) if width is None]
    rest = inner_width - sum(width for width in widths if width is not None)
    if flexible:
        if rest <= 0 or rest % len(flexible):
            raise Unsupported  # fractions that do not divide evenly: Textual's rounding
        for index in flexible:
            widths[index] = rest // len(flexible)
    sized = [width for width in widths if width is not None]
    columns = [_draw(child, width, None) for child, width in zip(children, sized, strict=True)]
    height = max(len(column) for column in columns)
    columns = [
        column if len(column) == height else _draw(child, width, height)
        for child, width, column in zip(children, sized, columns, strict=True)
    ]
    placed: list[tuple[int, int, Strip]] = []
    x = 0
    for column, width in zip(columns, sized, strict=True):
        placed.extend((y, x, line) for y, line in enumerate(column))
        x += width
    return placed, height


def _grid(
    parent: Widget, inner_width: int
) -> tuple[list[tuple[int, int, Strip]], int, list[Strip]]:
    """A grid (a table's cells): placed by Textual's own grid layout, at the height Textual
    measures it at (its placements' extent at no height), each cell drawn at its region's size;
    the keylines, if any, are the content behind the cells."""
    styles = parent.styles
    layout = parent.layout
    children = [child for child in parent.children if child.display]
    if (
        styles.gutter.width
        or styles.gutter.height
        or styles.align_horizontal != "left"
        or styles.align_vertical != "top"
        or type(parent).process_layout is not Widget.process_layout
    ):
        raise Unsupported
    measured = layout.arrange(parent, children, Size(inner_width, 0), greedy=True)
    height = max((p.region.grow(p.margin).bottom for p in measured), default=0)
    placements = layout.arrange(parent, children, Size(inner_width, height), greedy=True)
    placed: list[tuple[int, int, Strip]] = []
    for placement in placements:
        region = placement.region
        if placement.offset or placement.fixed or placement.overlay:
            raise Unsupported  # (its margin is the grid's gutter, already in the region)
        if region.right > inner_width or region.bottom > height:
            raise Unsupported
        lines = _draw(Node.mounted(placement.widget), region.width, region.height)
        placed.extend((region.y + y, region.x, line) for y, line in enumerate(lines))
    background: list[Strip] = []
    line_style, color = styles.keyline
    if str(line_style) != "none":
        if color:
            color = parent.background_colors[0] + color
        rectangles = [
            Rectangle(
                placement.region.offset - Offset(1, 1),
                placement.region.width + 2,
                placement.region.height + 2,
                color,
                line_style,
            )
            for placement in placements
            if placement.widget.visible
        ]
        keylines = Canvas(inner_width, height).render(rectangles, parent.rich_style)
        background = Visual.to_strips(
            parent, visualize(parent, keylines), inner_width, height, parent.visual_style
        )
    return placed, height, background
