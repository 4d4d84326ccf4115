"""A streaming answer's live segment built and drawn without mounting its blocks.

Why: at full speed, a third of a long answer's CPU went to mounting the live segment's blocks
(matching the stylesheet against each new widget, composing and starting it) only to hide them
and draw them as lines (`markdown_lines`). The style probe (`style_probe.py`) lends the styles of
mounted twins, so the blocks can be built and drawn without ever being mounted, as loaded
answers already are.

Text is taken the way Textual's `Markdown.append` takes it, so the lines are those the mounted
path would show: each write parses again from the line where the last block starts; the first
block of that parse replaces the last one, the others follow it; blocks before the last are
final, so their lines are kept per width and theme (`markdown_lines.lines_of_node`). As with
`append`, a loose list can come out split (`1. a`, a blank line, `2` and then `2.`): `settle`
makes the caller draw the closed segment from the whole text when a full parse counts other
blocks (`built_wrong`).

A block of a shape the probe does not hold (a table, a list nested deeper than its own) is given
back by `write` with all that follows it: the caller ends the drawn segment before it and shows
that block as real widgets, in a segment of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from craft_tui.ui.textual_private import markdown_blocks
from craft_tui.ui.widgets.markdown_lines import Node, Unsupported

if TYPE_CHECKING:
    from markdown_it.token import Token

    from craft_tui.ui.widgets.style_probe import Drawn, StyleProbe

__all__ = ["LiveDrawing"]


class LiveDrawing:
    """The blocks of one live segment, unmounted, and the text they were built from."""

    def __init__(self, probe: StyleProbe) -> None:
        self._probe = probe
        self.text = ""
        self._blocks: list[Node] = []
        self._last_line = 0  # where the last block starts: the next write parses from there
        self._theme = probe.app.theme  # a fence's highlighting is built for the theme

    @property
    def top_margin(self) -> int:
        """The first block's top margin (drawn as the first rows of the lines)."""
        return self._blocks[0].styled.styles.margin.top if self._blocks else 0

    def write(self, text: str) -> str:
        """Take more text; what it cannot take is given back: from the first block of a shape
        the probe does not hold (a table) to the end, "" when it took everything. What it
        kept is `text` then (maybe nothing), drawn from blocks built from it anew."""
        self.text += text
        lines = self.text.splitlines(keepends=True)
        tokens = self._parse("".join(lines[self._last_line :]))
        nodes: list[Node] = []
        for block in markdown_blocks(self._probe.markdown, tokens):
            try:
                nodes.append(self._probe.node(block))
            except Unsupported:
                # Kept: the blocks before it, all final (a block follows them).
                start = self._last_line + block.source_range[0]
                cut = sum(map(len, lines[:start]))
                self.text, rest = self.text[:cut], self.text[cut:]
                self._blocks[-1:] = nodes
                for node in self._blocks:
                    node.settled = True
                self._last_line = start
                return rest
        for token in reversed(tokens):
            if token.map is not None and token.level == 0:
                self._last_line += token.map[0]
                break
        if nodes:
            self._blocks[-1:] = nodes
        for node in self._blocks[:-1]:
            node.settled = True
        return ""

    def built_wrong(self) -> bool:
        """Whether a parse of the whole text counts other blocks than streaming built (a loose
        list split in two): the segment's final lines are then drawn from the whole text."""
        from craft_tui.ui.widgets.answer_body import top_level_blocks

        return len(self._blocks) != len(top_level_blocks(self.text))

    def draw(self, width: int) -> Drawn | None:
        """The lines at `width`, or None when they cannot be drawn exactly (a code line wider
        than its fence) or no longer can be built (a new theme and a shape that fails)."""
        probe = self._probe
        if probe.app.theme != self._theme:
            self._theme = probe.app.theme
            try:
                self._rebuild()
            except Unsupported:
                return None
        from craft_tui.ui.widgets.style_probe import Drawn

        if not self._blocks:  # nothing written yet, or only blank lines
            return Drawn([], 0, probe.app.theme, probe.drawn_on)
        markdown = probe.markdown
        drawn = probe.draw(Node(markdown, markdown, list(self._blocks)), width)
        if drawn is None:
            return None
        strips, bottom_margin = drawn
        return Drawn(strips, bottom_margin, probe.app.theme, probe.drawn_on)

    def _rebuild(self) -> None:
        tokens = self._parse(self.text)
        self._blocks = self._nodes(tokens)
        for node in self._blocks[:-1]:
            node.settled = True
        starts = [t.map[0] for t in tokens if t.map is not None and t.level == 0]
        self._last_line = starts[-1] if starts else 0

    @staticmethod
    def _parse(text: str) -> list[Token]:
        from craft_tui.ui.widgets.markdown_blocks import answer_parser

        return answer_parser().parse(text)

    def _nodes(self, tokens: list[Token]) -> list[Node]:
        probe = self._probe
        return [probe.node(block) for block in markdown_blocks(probe.markdown, tokens)]
