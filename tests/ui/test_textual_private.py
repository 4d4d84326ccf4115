"""Contract tests for craft_tui/ui/textual_private.py, and the guard that keeps private Textual
names out of every other module.

Each contract test exercises one adapter function against the installed Textual and checks the
behaviour craft-tui relies on, so a Textual that renamed or reshaped a private API fails here,
naming the function, instead of somewhere deep in a streaming answer.
"""

from __future__ import annotations

import ast
import functools
import importlib
import tomllib
from pathlib import Path
from typing import ClassVar

import textual
from rich.style import Style as RichStyle
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual
from textual.widget import Widget
from textual.widgets import Static

from craft_tui.ui import textual_private
from craft_tui.ui.textual_private import (
    FatalErrorGuard,
    anchor_released,
    being_removed,
    constructed_children,
    copy_with_sequence,
    custom_vertical_scrollbar,
    inner_style,
    markdown_blocks,
    remeasure_scrollbars,
    render_offscreen,
    set_anchor,
    span_style,
    start_child,
    styled_box,
)
from craft_tui.ui.widgets.model_rows import ListScrollBar
from tests.waiting import until

PACKAGE = Path(__file__).resolve().parents[2] / "craft_tui"
ADAPTER = PACKAGE / "ui" / "textual_private.py"


def test_the_installed_textual_is_the_series_the_adapter_was_written_for() -> None:
    """A Textual outside the pinned series must be re-checked function by function."""
    installed = tuple(int(part) for part in textual.__version__.split(".")[:2])
    written = tuple(int(part) for part in textual_private.WRITTEN_FOR.split(".")[:2])
    assert installed == written, (
        f"Textual {textual.__version__} is installed; textual_private.py was written for "
        f"{textual_private.WRITTEN_FOR}. Re-check every function there, then update WRITTEN_FOR."
    )


def test_pyproject_pins_textual_to_that_series() -> None:
    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    pins = [dep for dep in project["project"]["dependencies"] if dep.startswith("textual")]
    major, minor = textual_private.WRITTEN_FOR.split(".")[:2]
    assert pins == [f"textual>={textual_private.WRITTEN_FOR},<{major}.{int(minor) + 1}"]


class _Lines(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("first line\nsecond line", id="lines")


async def test_render_offscreen_gives_the_lines_the_screen_shows() -> None:
    app = _Lines()
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        strips = render_offscreen(app.query_one("#lines", Static))
        assert strips is not None, "render_offscreen found the laid-out widget out of date"
        assert [strip.text.rstrip() for strip in strips] == ["first line", "second line"]


class _Document(App[None]):
    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown

        yield Markdown(id="doc")


async def test_markdown_blocks_builds_what_update_mounts_without_mounting_it() -> None:
    from markdown_it import MarkdownIt
    from textual.containers import Horizontal, Vertical
    from textual.widgets import Markdown

    text = "A **bold** start.\n\n- one\n- two\n"
    app = _Document()
    async with app.run_test(size=(40, 12)) as pilot:
        document = app.query_one("#doc", Markdown)
        blocks = list(markdown_blocks(document, MarkdownIt("gfm-like").parse(text)))
        assert [type(block).__name__ for block in blocks] == [
            "MarkdownParagraph",
            "MarkdownBulletList",
        ]
        assert not any(block.is_mounted for block in blocks)
        assert blocks[0].visual.plain == "A bold start."  # its content is built from the token
        rows = list(blocks[1].compose())
        assert [type(row) for row in rows] == [Horizontal, Horizontal]
        bullet, item = constructed_children(rows[0])
        assert type(bullet).__name__ == "MarkdownBullet" and isinstance(item, Vertical)
        (paragraph,) = constructed_children(item)
        assert type(paragraph).__name__ == "MarkdownParagraph"
        assert paragraph.visual.plain == "one"
        await document.update(text)  # what Textual mounts for the same text: the same shape
        await pilot.pause()
        mounted = [type(child) for child in document.children]
        assert mounted == [type(block) for block in blocks]


class _Boxed(App[None]):
    CSS = "#boxed { border: round red; padding: 1 2; background: blue 30%; width: 30; }"

    def compose(self) -> ComposeResult:
        yield Static("a few words that wrap inside the box", id="boxed")


async def test_styled_box_draws_border_padding_and_background_as_the_screen_does() -> None:
    app = _Boxed()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        boxed = app.query_one("#boxed", Static)
        expected = boxed.render_lines(boxed.outer_size.region)  # what the screen draws for it
        inner = boxed.size.width
        content = Visual.to_strips(boxed, boxed.visual, inner, None, boxed.visual_style)
        drawn = styled_box(boxed, boxed.outer_size, content, inner)

        def cells(strips: list[Strip]) -> list[list[tuple[str, object]]]:
            return [[(c, seg.style) for seg in strip for c in seg.text] for strip in strips]

        assert cells(drawn) == cells(expected)
        assert drawn[0].text.startswith("╭")  # the border is really there


class _Scrolling(App[None]):
    def compose(self) -> ComposeResult:
        yield ScrollView(id="rows")


async def test_remeasure_scrollbars_shows_a_scrollbar_for_a_taller_virtual_size() -> None:
    app = _Scrolling()
    async with app.run_test(size=(40, 10)) as pilot:
        rows = app.query_one("#rows", ScrollView)
        await pilot.pause()
        assert not rows.show_vertical_scrollbar
        rows.set_reactive(Widget.virtual_size, Size(40, 500))
        remeasure_scrollbars(rows, rows.virtual_size)
        await until(lambda: rows.show_vertical_scrollbar and rows.max_scroll_y > 0)
        assert rows.max_scroll_y == 500 - rows.scrollable_content_region.height


async def test_start_child_starts_a_scrollbar_the_parent_draws() -> None:
    app = _Scrolling()
    async with app.run_test(size=(40, 10)) as pilot:
        rows = app.query_one("#rows", ScrollView)
        bar = ListScrollBar(thickness=1)
        start_child(rows, bar)
        await until(lambda: bar.is_running)
        assert bar.parent is rows
        await pilot.pause()


async def test_custom_vertical_scrollbar_makes_one_hidden_started_bar_and_keeps_it() -> None:
    app = _Scrolling()
    async with app.run_test(size=(40, 10)):
        rows = app.query_one("#rows", ScrollView)
        made: list[ListScrollBar] = []

        def make() -> ListScrollBar:
            made.append(ListScrollBar(thickness=1))
            return made[-1]

        bar = custom_vertical_scrollbar(rows, make)
        assert custom_vertical_scrollbar(rows, make) is bar
        assert made == [bar] and not bar.display
        # Textual's own machinery now uses the bar we made.
        rows.set_reactive(Widget.virtual_size, Size(40, 500))
        remeasure_scrollbars(rows, rows.virtual_size)
        await until(lambda: bar.is_running and rows.vertical_scrollbar is bar and bar.display)


class _Painted(App[None]):
    CSS = "#painted { background: #ff0000; }"

    def compose(self) -> ComposeResult:
        yield Static("x", id="painted")


async def test_inner_style_is_the_widgets_own_background() -> None:
    app = _Painted()
    async with app.run_test(size=(20, 4)) as pilot:
        await pilot.pause()
        painted = app.query_one("#painted", Static)
        base_background, background = painted.background_colors
        style = inner_style(painted, base_background, background)
        assert isinstance(style, RichStyle)
        assert style.bgcolor is not None and style.bgcolor.triplet is not None
        assert style.bgcolor.triplet.hex == "#ff0000"


async def test_span_style_resolves_a_class_name_against_the_widgets_css() -> None:
    app = _Painted()
    async with app.run_test(size=(20, 4)) as pilot:
        await pilot.pause()
        painted = app.query_one("#painted", Static)
        bold = span_style(painted, VisualStyle(bold=True))
        assert bold.bold


class _Leaving(Static):
    """Records what `being_removed` says while Textual unmounts it."""

    seen: ClassVar[list[bool]] = []

    def on_unmount(self) -> None:
        self.seen.append(being_removed(self))


class _WithLeaving(App[None]):
    def compose(self) -> ComposeResult:
        yield _Leaving("going", id="going")


async def test_being_removed_is_true_while_a_widget_goes_and_false_before() -> None:
    app = _WithLeaving()
    async with app.run_test(size=(40, 6)) as pilot:
        going = app.query_one("#going", _Leaving)
        assert not being_removed(going)
        _Leaving.seen.clear()
        await going.remove()
        await pilot.pause()
        assert _Leaving.seen == [True]


async def test_copy_with_sequence_sets_the_apps_clipboard_and_writes_the_sequence() -> None:
    app = _Lines()
    async with app.run_test(size=(40, 6)):
        driver = app._driver
        assert driver is not None
        written: list[str] = []
        original = driver.write
        driver.write = lambda data: (written.append(data), original(data))[1]  # type: ignore[method-assign]
        try:
            copy_with_sequence(app, "the text", "\x1bPtmux;wrapped\x1b\\")
        finally:
            driver.write = original  # type: ignore[method-assign]
        assert app.clipboard == "the text"
        assert written == ["\x1bPtmux;wrapped\x1b\\"]


class _Tall(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll(id="tall"):
            for line in range(100):
                yield Static(f"line {line}")


async def test_anchor_flags_round_trip_and_reaching_the_bottom_resumes_following() -> None:
    """The transcript marks itself anchored-but-released while the user reads above; Textual
    must clear the release when the view reaches the bottom (that is how following resumes)."""
    app = _Tall()
    async with app.run_test(size=(30, 10)) as pilot:
        tall = app.query_one("#tall", VerticalScroll)
        await pilot.pause()
        set_anchor(tall, anchored=True, released=True)
        assert tall.is_anchored and anchor_released(tall)
        tall.scroll_end(animate=False, immediate=True)
        await until(lambda: not anchor_released(tall))
        assert tall.is_anchored
        set_anchor(tall, anchored=False, released=False)
        assert not tall.is_anchored and not anchor_released(tall)


class _Failing(FatalErrorGuard):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[BaseException | None] = []

    def compose(self) -> ComposeResult:
        yield Static("boom")

    def on_fatal_error(self, error: BaseException | None) -> None:
        self.seen.append(error)
        super().on_fatal_error(error)

    def key_x(self) -> None:
        raise LookupError("from a handler")


async def test_an_exception_in_a_handler_reaches_on_fatal_error() -> None:
    app = _Failing()
    try:
        async with app.run_test() as pilot:
            await pilot.press("x")
            await until(lambda: bool(app.seen))
    except LookupError:
        pass  # run_test re-raises the app's exception after it exits
    assert len(app.seen) == 1 and isinstance(app.seen[0], LookupError)


# ---------------------------------------------------------------- the guard

CORE = (App, Screen, Widget)  # what `self.app`, `self.screen`, `widget.` reach in our code


@functools.cache
def _textual_private_table() -> dict[tuple[str, str], frozenset[str]]:
    """For each class in Textual's source, the single-underscore methods it defines and the
    `self._x` attributes its methods assign (read from the installed package's source, so
    attributes set in `__init__` count)."""
    root = Path(textual.__file__).parent
    table: dict[tuple[str, str], frozenset[str]] = {}
    for path in root.rglob("*.py"):
        module = ".".join(("textual", *path.relative_to(root).with_suffix("").parts))
        module = module.removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                table[(module, node.name)] = frozenset(_private(_defined_in(node)))
    return table


def _defined_in(cls: ast.ClassDef) -> set[str]:
    names = set()
    for item in cls.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(item.name)
            for node in ast.walk(item):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.ctx, ast.Store)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "self"
                ):
                    names.add(node.attr)
        elif isinstance(item, ast.AnnAssign | ast.Assign):
            targets = item.targets if isinstance(item, ast.Assign) else [item.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def _private(names: set[str]) -> set[str]:
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


def _textual_names_of(cls: type) -> set[str]:
    """The private names Textual's classes in `cls`'s MRO define."""
    table = _textual_private_table()
    names: set[str] = set()
    for base in cls.__mro__:
        if base.__module__.startswith("textual"):
            names |= table.get((base.__module__, base.__qualname__), frozenset())
    return names


def _offences(tree: ast.Module, classes: dict[str, type]) -> list[str]:
    """Private Textual names a module touches: on `self` inside a class with Textual bases
    (reads, assignments, overrides), on anything else when an App, Screen or Widget has it,
    and any import of a private Textual module."""
    core = set().union(*(_textual_names_of(cls) for cls in CORE))
    found: set[str] = set()
    inside_classes: set[int] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in classes:
            textual_names = _textual_names_of(classes[node.name])
            own = _private(_defined_in(node))
            for item in ast.walk(node):
                inside_classes.add(id(item))
                if isinstance(item, ast.Attribute) and item.attr in core | textual_names:
                    on_self = isinstance(item.value, ast.Name) and item.value.id == "self"
                    if item.attr in (textual_names if on_self else core):
                        found.add(item.attr)
            found |= own & textual_names
    for node in ast.walk(tree):
        if id(node) not in inside_classes and isinstance(node, ast.Attribute) and node.attr in core:
            found.add(node.attr)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("textual"):
            if any(part.startswith("_") for part in node.module.split(".")):
                found.add(f"import {node.module}")
        elif isinstance(node, ast.Import):
            found.update(
                f"import {alias.name}"
                for alias in node.names
                if alias.name.startswith("textual")
                and any(part.startswith("_") for part in alias.name.split("."))
            )
    return sorted(found)


def _classes_of(module_name: str) -> dict[str, type]:
    module = importlib.import_module(module_name)
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == module_name
    }


def test_no_module_but_the_adapter_touches_a_private_textual_name() -> None:
    """A private Textual attribute, method override or module used outside textual_private.py
    fails here with the file and the name; move it into the adapter (with a contract test).
    An attribute of our own that happens to share a name with a Textual one in the same class
    is an offence too: it silently replaces Textual's."""
    offences = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == ADAPTER:
            continue
        module_name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        module_name = module_name.removesuffix(".__init__")
        tree = ast.parse(path.read_text(), filename=str(path))
        for name in _offences(tree, _classes_of(module_name)):
            offences.append(f"{module_name}: {name}")
    assert offences == []


def test_the_guard_catches_a_private_override_a_private_attribute_and_a_private_import() -> None:
    """The guard itself can fail."""
    source = (
        "from textual._compositor import Compositor\n"
        "class T(Widget):\n"
        "    def _on_key(self, event):\n"
        "        self._anchored = True\n"
        "        self.app._start_widget(self, None)\n"
        "    def _mine(self): pass\n"
    )

    class T(Widget):
        pass

    assert _offences(ast.parse(source), {"T": T}) == [
        "_anchored",
        "_on_key",
        "_start_widget",
        "import textual._compositor",
    ]
