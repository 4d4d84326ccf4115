"""The Markdown an answer is drawn with: Textual's `Markdown`, plus what answers need from it.

Textual 8.2's `Markdown` leaves three things out that answers use, each added here through its
public extension points (the parser factory, the `BLOCKS` mapping, block constructors, public
methods), never its private ones:

- **Table alignment.** `:---:`, `---:` and `:---` are parsed (markdown-it puts `text-align` on
  each cell) but every cell is drawn left-aligned. A core rule copies the column alignments onto
  the `table_open` token; `AlignedTable` gives its cells that `text-align`, also to the rows a
  streaming table gains later.
- **Task lists.** `- [ ] todo` / `- [x] done`: mdit-py-plugins' tasklists plugin recognises them
  (GFM's rules) and inserts an HTML checkbox, which Textual drops; a core rule replaces it with a
  box: the bullet of an unordered item becomes ☐ / ☑, an ordered item keeps its number and its
  text starts with the box.
- **Reachable, harmless links.** A link's text says nothing about where it goes and a terminal
  cannot hover, so the target is shown after the text when it differs (`text (https://x.y)`).
  Only http(s) and mailto targets without control characters stay clickable; any other (a
  relative path, `ftp:`, a target that decodes to a control character) becomes plain text with
  its target shown, disarmed. A click never opens anything: it copies the target to the
  clipboard (OSC 52, which works over SSH) and says so, because a browser opened from a server
  helps nobody and an answer must not start programs.

The core rules see only the tokens of what is being parsed (the live segment's last block while
streaming), so they add no per-update cost that grows with the answer.
"""

from __future__ import annotations

import unicodedata
import weakref
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin
from textual.await_complete import AwaitComplete
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock

from craft_tui.ui.widgets.blank import paint_blank_when_unfiltered
from craft_tui.untrusted import shown_inline

if TYPE_CHECKING:
    from markdown_it.rules_core import StateCore
    from textual.css.types import AlignHorizontal, TextAlign

__all__ = ["AnswerMarkdown", "answer_parser", "copy_link", "link_is_clickable"]

UNCHECKED_BOX = "☐ "
CHECKED_BOX = "☑ "
# A target shown after a link's text is cut here (a data: image can be kilobytes); the click
# still copies all of it.
SHOWN_TARGET_CHARS = 200
_CLICKABLE_SCHEMES = ("http://", "https://", "mailto:")
_ALIGNMENTS = {
    "text-align:left": "left",
    "text-align:center": "center",
    "text-align:right": "right",
}


def link_is_clickable(target: str) -> bool:
    """An http(s) or mailto target with nothing that decodes to a control character, a format
    character (bidi overrides) or a control picture (what `shown` made of a control)."""
    if not target.lower().startswith(_CLICKABLE_SCHEMES):
        return False
    return not any(_is_hidden(char) for char in unquote(target, errors="replace"))


def copy_link(widget: Widget, href: str) -> None:
    """What a click on a link does, in Markdown widgets or in the lines drawn from them
    (`FrozenSegment`): copy the target (never open it), an http(s) or mailto target only, as
    it was shown, and say so."""
    if not link_is_clickable(href):
        return
    widget.app.copy_to_clipboard(href)
    widget.app.notify(f"Copied link {shown_inline(href)}", markup=False, timeout=3)


def _is_hidden(char: str) -> bool:
    return (
        unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")
        or 0x2400 <= ord(char) <= 0x243F
    )


def _shown_target(target: str) -> str:
    """A target as text: clickable ones as they will be copied, others decoded, then disarmed."""
    text = target if link_is_clickable(target) else unquote(target, errors="replace")
    text = shown_inline(text)
    if len(text) > SHOWN_TARGET_CHARS:
        text = text[: SHOWN_TARGET_CHARS - 1] + "…"
    return text


def _same_as_text(target: str, text: str) -> bool:
    """An autolink or a bare URL: the text already is the target (linkify adds `http://` to
    `www.` and `mailto:` to an address)."""
    decoded = unquote(target, errors="replace")
    candidates = {target, decoded}
    for prefix in ("mailto:", "http://", "https://"):
        if decoded.lower().startswith(prefix):
            candidates.add(decoded[len(prefix) :])
    return text in candidates or text.rstrip("/") in {c.rstrip("/") for c in candidates}


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _link_targets(state: StateCore) -> None:
    """Show each link's target after its text when it differs; unclickable links become text."""
    for token in state.tokens:
        if token.type != "inline" or not token.children:
            continue
        if not any(child.type in ("link_open", "image") for child in token.children):
            continue
        children: list[Token] = []
        link: Token | None = None
        link_start = 0
        for child in token.children:
            if child.type == "link_open":
                link, link_start = child, len(children)
                children.append(child)
            elif child.type == "link_close" and link is not None:
                target = str(link.attrs.get("href", ""))
                text = "".join(c.content for c in children[link_start + 1 :])
                if link_is_clickable(target):
                    children.append(child)
                else:
                    del children[link_start]  # the link's text stays, as plain text
                if not _same_as_text(target, text) or not link_is_clickable(target):
                    children.append(_text_token(f" ({_shown_target(target)})"))
                link = None
            elif child.type == "image":
                source = str(child.attrs.get("src", ""))
                if link_is_clickable(source):
                    children.append(child)
                else:
                    children.append(_text_token(f"🖼  {child.content}"))
                children.append(_text_token(f" ({_shown_target(source)})"))
            else:
                children.append(child)
        token.children = children


def _task_boxes(state: StateCore) -> None:
    """Turn the tasklists plugin's HTML checkbox (which Textual would drop) into a box."""
    tokens = state.tokens
    for index in range(2, len(tokens)):
        inline = tokens[index]
        if inline.type != "inline" or not inline.children:
            continue
        checkbox = inline.children[0]
        if checkbox.type != "html_inline" or "task-list-item-checkbox" not in checkbox.content:
            continue
        box = CHECKED_BOX if 'checked="checked"' in checkbox.content else UNCHECKED_BOX
        item = tokens[index - 2]  # list_item_open, paragraph_open, inline: the plugin's rule
        if item.type != "list_item_open" or "task-list-item" not in str(item.attrs.get("class")):
            continue  # an <input> the answer wrote itself
        rest = inline.children[1:]
        if rest and rest[0].type == "text":
            rest[0].content = rest[0].content.lstrip()
        if item.info:  # an ordered item: its number stays, the box starts its text
            inline.children = [_text_token(box), *rest]
        else:
            item.meta["task_box"] = box
            inline.children = rest


def _table_alignment(state: StateCore) -> None:
    """Put each table's column alignments ("left", "center", "right" or "") on `table_open`."""
    table: Token | None = None
    for token in state.tokens:
        if token.type == "table_open":
            table = token
            table.meta["align"] = []
        elif token.type == "th_open" and table is not None:
            style = str(token.attrs.get("style", ""))
            table.meta["align"].append(_ALIGNMENTS.get(style, ""))
        elif token.type == "thead_close":
            table = None


@cache
def answer_parser() -> MarkdownIt:
    """The parser answers are drawn with: Textual's default ("gfm-like"), task lists, and the
    rules above. Same blocks as `answer_body.markdown_parser`, so segments split alike."""
    parser = MarkdownIt("gfm-like").use(tasklists_plugin)
    parser.core.ruler.push("craft_task_boxes", _task_boxes)
    parser.core.ruler.push("craft_link_targets", _link_targets)
    parser.core.ruler.push("craft_table_alignment", _table_alignment)
    return parser


if TYPE_CHECKING:
    _Table = MarkdownBlock

    class _UnorderedItem(MarkdownBlock):
        bullet: str

        def __init__(self, markdown: Markdown, token: Token, bullet: str) -> None: ...

else:
    # Textual 8.2 exports neither class; `Markdown.BLOCKS`, its public way to replace a block,
    # names them.
    _Table = Markdown.BLOCKS["table_open"]
    _UnorderedItem = Markdown.BLOCKS["list_item_unordered_open"]


class TaskListItem(_UnorderedItem):
    """An unordered list item whose bullet is its task box, when it is a task."""

    def __init__(self, markdown: Markdown, token: Token, bullet: str) -> None:
        super().__init__(markdown, token, str(token.meta.get("task_box", bullet)))


class AlignedTable(_Table):
    """A table that honours `:---:`, `---:` and `:---` (alignments from `answer_parser`).

    Textual builds the cells (and adds rows while a table streams) inside a content widget it
    does not export, so `AnswerMarkdown` calls `align_cells` after each update it makes."""

    def __init__(self, markdown: Markdown, token: Token, *args: Any, **kwargs: Any) -> None:
        super().__init__(markdown, token, *args, **kwargs)
        self.column_alignment: list[str] = list(token.meta.get("align", []))
        self._aligned_cells: weakref.WeakSet[Widget] = weakref.WeakSet()

    def align_cells(self) -> None:
        """Give the cells not aligned yet their column's alignment. Cells come in reading order
        (headers, then each row) and new ones only at the end, so this walks back from the end
        to the first cell already done: a streaming table costs its new cells, not all."""
        alignment = self.column_alignment
        if not any(alignment):
            return
        columns = len(alignment)
        for content in self.children:
            cells = content.children
            for index in range(len(cells) - 1, -1, -1):
                cell = cells[index]
                if cell in self._aligned_cells:
                    break
                self._aligned_cells.add(cell)
                align = alignment[index % columns]
                if align:
                    cell.styles.text_align = cast("TextAlign", align)
                    cell.styles.content_align_horizontal = cast("AlignHorizontal", align)


def _align_tables(blocks: Iterable[Widget]) -> None:
    for block in blocks:
        if isinstance(block, AlignedTable):
            block.align_cells()
        elif block.children:
            for table in block.query(AlignedTable):
                table.align_cells()


class AnswerMarkdown(Markdown):
    """Textual's Markdown with aligned tables, task boxes, shown link targets, and clicks that
    copy a link instead of opening it."""

    BLOCKS: dict[str, type[MarkdownBlock]] = {
        **Markdown.BLOCKS,
        "table_open": AlignedTable,
        "list_item_unordered_open": TaskListItem,
    }

    def __init__(self, markdown: str | None = None) -> None:
        super().__init__(markdown, parser_factory=answer_parser, open_links=False)

    def on_mount(self) -> None:
        paint_blank_when_unfiltered(self)  # a column of blocks (see widgets/blank.py)

    def update(self, markdown: str) -> AwaitComplete:
        """Textual's update, then table cells aligned before anything is painted."""
        updating = super().update(markdown)

        async def aligned() -> None:
            with self.app.batch_update():
                await updating
                _align_tables(self.children)

        return AwaitComplete(aligned())

    def append(self, markdown: str) -> AwaitComplete:
        """Textual's append (which changes the last block and adds new ones), then the cells of
        those blocks' tables aligned, before anything is painted."""
        appending = super().append(markdown)

        async def aligned() -> None:
            with self.app.batch_update():
                before = len(self.children)
                await appending
                _align_tables(self.children[max(0, before - 1) :])

        return AwaitComplete(aligned())

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        event.prevent_default()
        copy_link(self, event.href)
