"""Markdown drawn as lines without mounting it, by borrowing the styles of a hidden twin.

Opening a conversation or paging up through one mounted every block of every answer, and
mounting is what Textual spends most of that time on: matching the stylesheet against each new
widget, composing it, starting it (about 20 ms per short answer here, against about 3 ms to draw
the same answer as lines). A block's computed styles depend only on what it is and where it
sits: its type, its classes, and those of its ancestors up to the answer (Textual's Markdown
CSS has no `:first-child`-like rule, and `:light`/`:dark`/`:ansi` are the app's). So:

- `StyleProbe` is a hidden answer body, placed beside the real answers (in the transcript),
  holding one Markdown document with every block shape answers commonly use (`PROBE_DOCUMENT`:
  headings, paragraphs, rules, fences, quotes and lists, nested a few levels). Its widgets are
  mounted once and keep their styles current as Textual restyles the screen (a new theme).
- `StyleProbe.unmounted_tree(text)` builds an answer's blocks the way Textual's `Markdown.update` does
  (`textual_private.markdown_blocks`) and composes them, but mounts nothing; each block is paired
  with the twin of the same shape (`markdown_lines.Node`). A shape the probe does not hold (a
  table, a list nested deeper than the probe's) gives None, and the caller mounts the real
  widgets instead.
- `markdown_lines.lines_of_node` draws that tree with the twins' styles, with the same code
  that draws a streaming answer's hidden widgets, checked cell by cell against Textual's own
  drawing (`tests/ui/test_style_probe.py`).

The lines carry the background of the probe's surroundings: a message that is tinted (focused
from the keyboard) shows different colours, and `FrozenSegment` brings the real widgets back
then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from textual.color import Color
from textual.strip import Strip
from textual.widget import Widget

from craft_tui.ui.textual_private import constructed_children, markdown_blocks
from craft_tui.ui.widgets.markdown_lines import Node, Unsupported, lines_of_node

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from craft_tui.ui.widgets.markdown_blocks import AnswerMarkdown

__all__ = ["PROBE_DOCUMENT", "Drawn", "StyleProbe", "probe_near"]

_FENCE = "```"


def _nested(depth: int) -> str:
    """Lists inside lists, bullets and numbers mixed, down to `depth` levels: one paragraph per
    item (a block's shape is its path, not its place among siblings), and a fence and a quote
    in the top-level items, where answers put them."""
    lines: list[str] = []

    def level(index: int, indent: str) -> None:
        if index == depth:
            return
        for marker in ("-", "1."):
            pad = indent + " " * (len(marker) + 1)
            lines.append(f"{indent}{marker} item")
            if index == 0:
                lines.extend(["", f"{pad}{_FENCE}", f"{pad}code", f"{pad}{_FENCE}"])
                lines.extend(["", f"{pad}> quoted", ""])
            level(index + 1, pad)

    level(0, "")
    return "\n".join(lines)


# Every block shape a loaded answer can be drawn with: a shape not here is mounted for real.
PROBE_DOCUMENT = "\n\n".join(
    [
        "text",
        *(f"{'#' * level} heading" for level in range(1, 7)),
        "---",
        f"{_FENCE}\ncode\n{_FENCE}",
        "    indented code",
        "> quoted\n>\n> > deeper\n> > > deepest\n>\n> - item\n> 1. item\n>\n> "
        f"{_FENCE}\n> code\n> {_FENCE}\n>\n> # heading",
        _nested(3),
        "- [ ] task\n- [x] done",
        "after",
    ]
)

_Shape = tuple[tuple[str, tuple[str, ...]], ...]


def _step(widget: Widget) -> tuple[str, tuple[str, ...]]:
    """What of one widget decides which CSS rules match it: its type and classes (no rule tests
    a block's position or id; a heading's id is unique to it)."""
    return type(widget).__name__, tuple(sorted(widget.classes))


def probe_near(widget: Widget, *, wanted: bool = False) -> StyleProbe | None:
    """The ready probe of the nearest ancestor that keeps one (has a `style_probe`), if any.

    `wanted`: when that ancestor has none yet, it is asked to build one (its
    `want_style_probe()`), for a later call to find; this one still returns None.
    """
    for ancestor in widget.ancestors:
        if not hasattr(ancestor, "style_probe"):
            continue
        probe = ancestor.style_probe
        if isinstance(probe, StyleProbe):
            return probe if probe.ready else None
        want = getattr(ancestor, "want_style_probe", None)
        if wanted and callable(want):
            want()
        return None
    return None


class StyleProbe(Widget):
    """A hidden answer body whose blocks lend their styles to answers drawn without mounting."""

    DEFAULT_CSS = """
    StyleProbe { display: none; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        from craft_tui.ui.widgets.answer_body import AnswerBody  # (imports Markdown)

        self._body = AnswerBody("", classes="answer")
        self._markdown: AnswerMarkdown | None = None
        self._twins: dict[_Shape, Widget] = {}

    def compose(self) -> ComposeResult:
        yield self._body

    @property
    def ready(self) -> bool:
        return self._markdown is not None

    async def build(self) -> None:
        """Mount the probe's document (once it is itself mounted); ready after this."""
        from craft_tui.ui.widgets.markdown_blocks import AnswerMarkdown

        markdown = self._body.query_one(AnswerMarkdown)
        await markdown.update(PROBE_DOCUMENT)
        twins: dict[_Shape, Widget] = {}

        def index(widget: Widget, path: _Shape) -> None:
            for child in widget.children:
                shape = (*path, _step(child))
                twins.setdefault(shape, child)
                index(child, shape)

        index(markdown, ())
        self._twins = twins
        self._markdown = markdown

    @property
    def markdown(self) -> AnswerMarkdown:
        """The probe's own Markdown (built): blocks are built for it and drawn in its box."""
        assert self._markdown is not None, "the probe is not built yet"
        return self._markdown

    @property
    def drawn_on(self) -> tuple[Color, Color, Color, Color]:
        """The colours of the probe's answer body: the lines drawn here carry them."""
        return self._body.colors

    def unmounted_tree(self, text: str) -> Node | None:
        """`text`'s blocks, built but not mounted, each paired with its twin; None when a
        block has a shape the probe does not hold (or the probe is not built yet)."""
        markdown = self._markdown
        if markdown is None:
            return None
        from craft_tui.ui.widgets.markdown_blocks import answer_parser

        blocks = list(markdown_blocks(markdown, answer_parser().parse(text)))
        if not blocks:
            return None
        try:
            children = [self.node(block) for block in blocks]
        except Unsupported:
            return None
        return Node(markdown, markdown, children)

    def node(self, block: Widget) -> Node:
        """A top-level block, built but not mounted, paired with its twin (and its parts with
        theirs); raises `Unsupported` for a shape the probe does not hold."""
        return self._node(block, ())

    def _node(self, widget: Widget, path: _Shape) -> Node:
        from textual.widgets.markdown import MarkdownBlock

        shape = (*path, _step(widget))
        twin = self._twins.get(shape)
        if twin is None:
            raise Unsupported
        parts = list(widget.compose()) if isinstance(widget, MarkdownBlock) else []
        parts += constructed_children(widget)
        return Node(widget, twin, [self._node(part, shape) for part in parts])

    @staticmethod
    def draw(tree: Node, width: int) -> tuple[list[Strip], int] | None:
        """The tree's lines at `width` and its last block's bottom margin (included in them),
        or None when they cannot be drawn exactly (a code line wider than its fence)."""
        strips = lines_of_node(tree, width)
        if strips is None:
            return None
        last = tree.children[-1].styled if tree.children else None
        return strips, last.styles.margin.bottom if last is not None else 0

    def drawer(self, text: str) -> Callable[[int], Drawn | None] | None:
        """What draws `text` at a width (None there when it cannot be drawn exactly), or None
        when its blocks have a shape the probe does not hold. The blocks are built once, and
        again for a new theme (a fence's highlighting follows it)."""
        tree = self.unmounted_tree(text)
        if tree is None:
            return None
        built_for = [self.app.theme]

        def draw(width: int) -> Drawn | None:
            nonlocal tree
            if self.app.theme != built_for[0]:
                tree, built_for[0] = self.unmounted_tree(text), self.app.theme
            if tree is None:
                return None
            drawn = self.draw(tree, width)
            if drawn is None:
                return None
            strips, bottom_margin = drawn
            return Drawn(strips, bottom_margin, self.app.theme, self.drawn_on)

        return draw


class Drawn(NamedTuple):
    """Lines drawn from a source: their bottom margin, and the theme and colours they carry."""

    strips: list[Strip]
    bottom_margin: int
    theme: str
    drawn_on: tuple[Color, Color, Color, Color]
