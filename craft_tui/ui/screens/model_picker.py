"""The model picker: one fuzzy-filtered list over every connection's models.

An `Input` over a `ModelRows` list: each keystroke re-ranks a prepared `FuzzyIndex`; the list holds
every match but builds only the rows on screen, so thousands of models never become thousands of
widgets (or options) and one keystroke costs about a screenful of rows.
Favourites and recently picked models (runtime state, `config/state.py`: never written into
config.toml) come first; the current model is marked. A model id typed that no list has can still be chosen: it goes to the current connection and
is remembered in that connection's models.

Ranking (`fuzzy.FuzzyIndex` with one group per connection, numbered in config order): a query whose
first term starts a word of a connection's name ("groq", "gr", "local" or "ollama" for "Local
Ollama"; two characters or more) lists that connection's matching models first, then everything else
that matches; and among matches of equal-ish score (one step of 8 points) one connection's rows stay
together, connections in config order, instead of interleaving.

Runtime state is read and written by one thread of the picker's own (`_STATE_IO`), never on the UI
loop, in the order the picker asks: the newest pick and the last star win, and a picker opened right
after a star reads it. The screen changes at once; a failed write is said in a toast (the pick is
still made, the star still shown).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from operator import add, attrgetter, itemgetter
from typing import TYPE_CHECKING, ClassVar, NamedTuple, TypeVar

from rich.cells import cell_len
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content, Span
from textual.geometry import Size
from textual.reactive import Reactive
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from craft_tui.config import paths, state
from craft_tui.config.schema import Config, Connection
from craft_tui.config.store import ConfigError
from craft_tui.fuzzy import FuzzyIndex, FuzzyMatch, Ranking, highlight_spans
from craft_tui.ui.screens.lifetime import closed_meanwhile
from craft_tui.ui.widgets.model_rows import ModelRows, cut_middle
from craft_tui.ui.widgets.safe_fields import SafeInput
from craft_tui.ui.workspace_access import workspace_of
from craft_tui.untrusted import shown_inline
from craft_tui.workspace.targets import ConnectionProblem

if TYPE_CHECKING:
    from craft_tui.providers.catalog import ModelCatalog
    from craft_tui.workspace.core import ConfigChange, Workspace

RECENT_LIMIT = state.RECENT_LIMIT

_T = TypeVar("_T")

# One thread for the picker's runtime state (favourites, recent picks): reads and writes run in the
# order they are asked for, off the UI loop. Its thread starts on first use.
_STATE_IO = ThreadPoolExecutor(max_workers=1, thread_name_prefix="picker-state")


async def _in_state_thread(call: Callable[[], _T]) -> _T:
    """Run `call` on the state thread, after every read and write asked for before it."""
    return await asyncio.wrap_future(_STATE_IO.submit(call))


def _write_state(app: App[object], write: Callable[[], object], failure: str) -> None:
    """Queue a state write now (so writes keep the order of the user's actions) and, by an app
    worker (the picker may close at once), toast `failure` with the reason if it fails."""
    future = _STATE_IO.submit(write)

    async def report() -> None:
        try:
            await asyncio.wrap_future(future)
        except OSError as error:
            app.notify(f"{failure}: {shown_inline(str(error))}", severity="warning", markup=False)

    app.run_worker(report(), group="picker-state", exit_on_error=False)


@dataclass(frozen=True)
class ModelChoice:
    """What the picker returns: which connection and which model the next message goes to."""

    connection_slug: str
    model_id: str

    @property
    def key(self) -> str:
        return f"{self.connection_slug}/{self.model_id}"


class PickerEntry(NamedTuple):
    """One model of one connection, with what a person compares models by.

    A named tuple: the picker makes one per model each time it opens (50,000 on a big gateway),
    straight from the catalog's entries (`entries_from_catalog`), much cheaper than a dataclass."""

    connection_slug: str
    connection_name: str
    model_id: str
    context_window: int | None = None
    input_price: float | None = None  # USD per million tokens
    output_price: float | None = None
    local: bool = False

    @property
    def key(self) -> str:
        return f"{self.connection_slug}/{self.model_id}"

    @property
    def choice(self) -> ModelChoice:
        return ModelChoice(self.connection_slug, self.model_id)


def entries_from_config(config: Config) -> list[PickerEntry]:
    """Every model typed into (or discovered and saved for) each connection, in config order."""
    from craft_tui.providers.pricing import resolve_pricing

    entries = []
    for connection in config.connections:
        for model in connection.models:
            pricing = resolve_pricing(connection, model.id)
            price = pricing.price
            entries.append(
                PickerEntry(
                    connection.slug,
                    connection.name,
                    model.id,
                    context_window=model.context_window,
                    input_price=price.input if price else None,
                    output_price=price.output if price else None,
                    local=pricing.local,
                )
            )
    return entries


# The fields of a `PickerEntry` in a `CatalogEntry`: slug, name, id, context, prices, is_local.
_FROM_CATALOG = itemgetter(0, 1, 2, 4, 5, 6, 10)
_MODEL_ID = attrgetter("model_id")
_SLUG = attrgetter("connection_slug")
_NAME = attrgetter("connection_name")
_FEW = 64  # entries looked up one by one by `merge_entries`, not through a set of every key


def entries_from_catalog(catalog: ModelCatalog) -> list[PickerEntry]:
    """The catalog's merged, priced entries (cached lists plus hand-typed models), converted in C
    (an itemgetter and tuple.__new__ over 50,000 entries, no Python call per entry)."""
    return list(map(partial(tuple.__new__, PickerEntry), map(_FROM_CATALOG, catalog.entries)))


def merge_entries(first: Sequence[PickerEntry], second: Sequence[PickerEntry]) -> list[PickerEntry]:
    """`first` wins for a key both have; `second` adds the rest (e.g. config then a fresh catalog).

    As the picker opens, `first` is every model (50,000) and `second` the few typed in the
    config: each of those is looked up by `list.index` (a scan in C) instead of building every
    key of `first`."""
    if len(second) > _FEW:
        seen = set(zip(map(_SLUG, first), map(_MODEL_ID, first), strict=True))
        return [
            *first,
            *(entry for entry in second if (entry.connection_slug, entry.model_id) not in seen),
        ]
    ids = list(map(_MODEL_ID, first))
    return [
        *first,
        *(entry for entry in second if _position(ids, first, entry.choice) is None),
    ]


def format_context(tokens: int | None) -> str:
    from craft_tui.providers.catalog import context_label  # the rule `craft-tui models` uses

    return context_label(tokens)


def format_price(entry: PickerEntry) -> str:
    """`$3/$15` per million tokens in/out, `free`, `local`, or `—` (as `craft-tui models`)."""
    from craft_tui.providers.catalog import price_label

    return price_label(entry.input_price, entry.output_price, local=entry.local)


# The fixed columns after the model id: " " + tools (1) + " " + connection (13) + " " + context (5)
# + " " + price (11). The tools mark takes a cell of the connection's: a 60-column terminal keeps
# every cell of the id it had (tests/ui/test_small_terminals.py).
_COLUMN_SPANS = (
    (1, 2, "ansi_magenta"),
    (3, 16, "ansi_cyan"),
    (16, 22, "dim"),
    (22, 34, "ansi_green"),
)
TOOLS_MARK = "⚙"  # the model calls tools (the tool block's sign); blank: it does not, or unknown

Extras = Callable[[str, str], Mapping[str, str]]


def tools_mark(entry: PickerEntry, extra: Mapping[str, str]) -> str:
    """`TOOLS_MARK` when the model calls tools, as its server's list says (`extra["tools"]`)
    and no refusal in this process says otherwise (`chat/tool_loop.py support_from_extra`)."""
    from craft_tui.chat.tool_loop import support_from_extra

    support = support_from_extra(extra, entry.connection_slug, entry.model_id)
    return TOOLS_MARK if support == "yes" else " "


def _columns(entry: PickerEntry, extra: Mapping[str, str]) -> str:
    """Tools, connection, context and price columns of one entry (cached per entry by the
    picker); `extra` is what the server's list says of the model beyond them."""
    return (
        f" {tools_mark(entry, extra)}"
        f" {shown_inline(entry.connection_name)[:13]:<13}"
        f" {format_context(entry.context_window):>5}"
        f" {format_price(entry):>11}"
    )


def _shown_all(texts: list[str]) -> list[str]:
    """`shown_inline` of each text; the list itself when none has anything to disarm (one C scan
    of them all joined by a space, which is harmless, instead of one call per text)."""
    joined = " ".join(texts)
    return texts if shown_inline(joined) == joined else [shown_inline(text) for text in texts]


def _position(ids: list[str], entries: Sequence[PickerEntry], choice: ModelChoice) -> int | None:
    """Where the entry of `choice` is (found by `list.index` in C, then its connection checked)."""
    start = 0
    while True:
        try:
            position = ids.index(choice.model_id, start)
        except ValueError:
            return None
        if entries[position].connection_slug == choice.connection_slug:
            return position
        start = position + 1


def _front_first(
    entries: list[PickerEntry], favourites: Sequence[str], recent: Sequence[str]
) -> list[PickerEntry]:
    """Favourites (in their order), then recent picks (newest first), then the rest as they came.

    Only the entries whose id is among those keys are looked at one by one; the rest move as
    slices (a sort of 50,000 entries by a Python key cost ~0.1 s)."""
    favourite_rank = {key: rank for rank, key in enumerate(favourites)}
    recent_rank = {key: rank for rank, key in enumerate(recent)}
    wanted = {key.partition("/")[2] for key in (*favourite_rank, *recent_rank)}
    if not wanted:
        return entries
    front: list[tuple[int, int, int]] = []
    for position, model_id in enumerate(map(_MODEL_ID, entries)):
        if model_id in wanted:
            key = entries[position].key
            if key in favourite_rank:
                front.append((0, favourite_rank[key], position))
            elif key in recent_rank:
                front.append((1, recent_rank[key], position))
    if not front:
        return entries
    front.sort()
    ordered = [entries[position] for _, _, position in front]
    previous = 0
    for position in sorted(position for _, _, position in front):
        ordered.extend(entries[previous:position])
        previous = position + 1
    ordered.extend(entries[previous:])
    return ordered


def load_recent() -> list[str]:
    """Recently picked `slug/model` keys, newest first; a damaged state file is just no history."""
    return state.recent_models()


Loader = Callable[[], Awaitable[list[PickerEntry]]]


class QueryInput(SafeInput):
    """The filter field. Textual's `Input` sets its virtual size (the text's width) on every
    keystroke, and that reactive lays out the whole screen; a one-line field of fixed size scrolls
    its text without any layout, so here it is an ordinary reactive (~3 ms a keystroke saved)."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0))


class ModelPickerScreen(ModalScreen[ModelChoice | None]):
    """Pick a model of any connection; dismisses with a `ModelChoice`, or None on Esc."""

    CSS_PATH = "model_picker.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", id="picker.close"),
        Binding("enter", "pick", "Pick", id="picker.pick"),
        Binding("ctrl+f", "favourite", "Favourite", id="picker.favourite"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
    ]

    def __init__(
        self,
        current: ModelChoice | None,
        *,
        catalog: ModelCatalog | None = None,
        refresh_lists: bool = True,
        entries: Sequence[PickerEntry] | None = None,
        loader: Loader | None = None,
        recent: Sequence[str] | None = None,
        workspace: Workspace | None = None,
        extras: Extras | None = None,
    ) -> None:
        """`catalog` (default: built from config.toml and the on-disk caches) supplies the models;
        with `refresh_lists`, stale lists are fetched in the background and merged in as they arrive.
        `entries` and `loader` replace the catalog entirely (tests, other callers); `extras`
        (default: the catalog's `model_extra`) says what a model's listing adds, e.g. tools."""
        super().__init__()
        self.current = current
        self.catalog = catalog
        self._extras = extras
        self.refresh_lists = refresh_lists
        self.loader = loader
        self._given_entries = list(entries) if entries is not None else None
        self._recent = list(recent) if recent is not None else None
        self.entries: list[PickerEntry] = []
        self.favourites: list[str] = []
        self._workspace = workspace
        self._index = FuzzyIndex([])
        self._ranking: Ranking = self._index.rank("")
        self._custom_row = False  # the last row offers the typed query as a model id
        self._shown_ids: list[str] = []  # per entry, the id as displayed (see set_entries)
        self._id_lengths: list[int] = []  # per entry, for the model id column's width
        self._ids: list[str] = []  # per entry, its model id
        self._known_ids: frozenset[str] = frozenset()  # every model id listed
        self._id_width = 12
        self._columns: dict[str, str] = {}  # entry key -> its fixed columns, built once
        self._favourite_keys: frozenset[str] = frozenset()
        self._shown_query: str | None = None  # the query the rows were built for
        self._status = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-dialog"):
            yield Static("Pick a model", id="picker-title", markup=False)
            yield QueryInput(
                placeholder="Type to filter, or a model id to use as is", id="picker-query"
            )
            with Vertical(id="picker-list-frame"):  # the border: the list draws rows only
                yield ModelRows(id="picker-list")
            yield Static("", id="picker-status", markup=False)
        yield Footer()

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = workspace_of(self.app)
        return self._workspace

    @property
    def connections(self) -> dict[str, Connection]:
        """The connections as the workspace has them now (no copy is kept here)."""
        return {connection.slug: connection for connection in self.workspace.config.connections}

    @property
    def default_connection(self) -> Connection | None:
        return self.workspace.config.default_connection

    async def on_mount(self) -> None:
        query = self.query_one("#picker-query", Input)
        query.focus()  # keys typed while the lists load are kept and filter them at once
        # Re-rank inside the keystroke, not on the Input.Changed message: the message arrives after
        # the screen has drawn a frame for the new text alone, so every key cost two frames (the
        # second one with the list) instead of one with both.
        self.watch(query, "value", self._query_changed, init=False)
        # The cached model lists, favourites and recent picks are files: read in a thread, so
        # opening the picker never holds the UI loop (5,000 cached models take tens of ms).
        config = self.workspace.config
        lists = await _in_state_thread(lambda: self._read_files(config))
        if closed_meanwhile(self):
            return
        self.favourites, recent, entries, failure = lists
        if self._recent is None:
            self._recent = recent
        if failure is not None:
            self.notify(f"Cached model lists unavailable: {failure}", severity="warning")
        self.set_entries(entries)
        if self.loader is not None or (self.refresh_lists and self.catalog is not None):
            self.refresh_entries()
        # A connection added from the shell a moment ago is listed even before the watcher's
        # next look: the file is re-read (in a thread) as the picker opens.
        self.run_worker(self._reread(config), group="picker-config", exit_on_error=False)

    async def _reread(self, listed: Config) -> None:
        """Re-read config.toml; list the config in use now if it is not the one listed. (The
        watcher may have applied a change while the lists were being read, before the picker
        was mounted to be told: the re-read then finds nothing new to announce.)"""
        await self.workspace.areload()
        if self._given_entries is None and self.workspace.config != listed:
            self._follow(self.workspace.config)

    def _read_files(
        self, config: Config
    ) -> tuple[list[str], list[str], list[PickerEntry], str | None]:
        """In a thread: favourites, recent picks, and the entries (from the entries given, else
        the catalog's cached lists; the config alone, with why, when the caches cannot be read)."""
        favourites = state.favourite_models()
        recent = self._recent if self._recent is not None else load_recent()
        if self._given_entries is not None:
            return favourites, recent, self._given_entries, None
        entries, failure = self._catalog_entries(config)
        return favourites, recent, entries, failure

    def _catalog_entries(self, config: Config) -> tuple[list[PickerEntry], str | None]:
        """Entries from the catalog (cached lists, no network); the config alone if that fails.
        Reads files: called in a thread."""
        from craft_tui.providers.catalog import ModelCatalog, collector_paused

        try:
            if self.catalog is None:
                self.catalog = ModelCatalog.load(config)
            else:
                self.catalog.update_config(config)  # a new connection's cache is read here
            with collector_paused():
                entries = entries_from_catalog(self.catalog)
            return merge_entries(entries, entries_from_config(config)), None
        except Exception as error:  # a damaged cache must never keep the picker from opening
            self.catalog = None
            return entries_from_config(config), str(error)

    @work(exclusive=True, group="model-catalog")
    async def refresh_entries(self) -> None:
        """Merge fresher lists in as they arrive, keeping the query and the highlighted model."""
        title = self.query_one("#picker-title", Static)
        try:
            if self.loader is not None:
                fresh = await self.loader()
            elif self.catalog is not None:
                if not self.catalog.stale_connections():
                    return  # every list is fresh: the entries listed are the catalog's already
                title.update("Pick a model · refreshing model lists…")
                await self.catalog.refresh_stale()
                fresh = entries_from_catalog(self.catalog)
            else:
                return
        except Exception as error:  # the cached list stays usable; say why it is not fresher
            title.update(f"Pick a model · lists not refreshed ({type(error).__name__})")
            return
        if closed_meanwhile(self):
            return
        title.update("Pick a model")
        highlighted = self._highlighted_entry()
        self.set_entries(merge_entries(fresh, self.entries))
        if highlighted is not None:
            self._highlight_key(highlighted.key)

    # ---- ordering and filtering -----------------------------------------------------------

    def set_entries(self, entries: Sequence[PickerEntry]) -> None:
        """Order favourites, then recent, then the rest; rebuild the index; redraw.

        Runs as the picker opens, over every model (50,000 on a big gateway): per-model work is
        done by C-level maps and slices; Python looks only at the favourite and recent models."""
        from craft_tui.providers.catalog import collector_paused

        with collector_paused():
            self._set_entries(entries)
        self.refilter(force=True)

    def _set_entries(self, entries: Sequence[PickerEntry]) -> None:
        recent = self._recent if self._recent is not None else load_recent()
        given = list(entries)
        # Groups are numbered in the order the models came, before favourites move up.
        groups, names = self._connection_groups(list(map(_SLUG, given)), list(map(_NAME, given)))
        self.entries = ordered = _front_first(given, self.favourites, recent)
        self._ids = ids = list(map(_MODEL_ID, ordered))
        # Ids and names come from servers: rows show (and match on) their disarmed form, in which a
        # newline or an escape is one visible character, so a row stays one line.
        self._shown_ids = _shown_all(ids)
        slugs = list(map(_SLUG, ordered))
        suffixes = {slug: " " + names[group] for slug, group in groups.items()}
        self._index = FuzzyIndex(
            list(map(add, self._shown_ids, map(suffixes.__getitem__, slugs))),
            list(map(groups.__getitem__, slugs)),
            names,
        )
        self._id_lengths = list(map(len, self._shown_ids))
        self._known_ids = frozenset(ids)
        self._favourite_keys = frozenset(self.favourites)

    def _connection_groups(
        self, slugs: list[str], names: list[str]
    ) -> tuple[dict[str, int], list[str]]:
        """Each connection's group number for the ranking (config order, then any other in the
        order its models came) and each group's name as the rows show it."""
        groups: dict[str, int] = {}
        for slug in [*self.connections, *dict.fromkeys(slugs)]:
            groups.setdefault(slug, len(groups))
        group_names = [""] * len(groups)
        for slug, name in dict(zip(slugs, names, strict=True)).items():  # the last name wins
            group_names[groups[slug]] = shown_inline(name)
        return groups, group_names

    @property
    def query_text(self) -> str:
        return self.query_one("#picker-query", Input).value.strip()

    def refilter(self, *, force: bool = False) -> None:
        """Re-rank every model for the current query and hand the list its new rows.

        Only the ranking happens here; the list builds the few rows it shows. A keystroke that
        leaves the query as it was (a space between terms, or after the last one) changes nothing
        on screen, so it rebuilds nothing and keeps the highlighted row.
        """
        query = self.query_text
        if not force and query == self._shown_query:
            return
        self._shown_query = query
        ranking = self._index.rank(query)
        self._ranking = ranking
        lengths = self._id_lengths
        if len(ranking) == len(lengths):  # everything matches: no need to look them up
            id_width = max(lengths, default=10)
        else:
            id_width = max(map(lengths.__getitem__, ranking.indices()), default=10)
        # What a row has beside the id: 3 marks, 34 of columns, 10 of dialog, frame and scrollbar.
        self._id_width = max(12, min(id_width, self.app.size.width - 47))
        target = self._custom_target()
        self._custom_row = bool(
            query
            and target is not None
            and not any(c.isspace() for c in query)
            and query not in self._known_ids  # an id already listed is picked from its row
        )
        self.query_one("#picker-list", ModelRows).set_rows(
            len(ranking) + self._custom_row, self._row, self._initial_highlight(query)
        )
        self._update_status()

    def _entry_at(self, row: int) -> PickerEntry | None:
        """The model shown in `row`; None for the typed-id row or past the end."""
        if 0 <= row < len(self._ranking):
            return self.entries[self._ranking.index_at(row)]
        return None

    def _highlighted_entry(self) -> PickerEntry | None:
        row = self.query_one("#picker-list", ModelRows).highlighted
        return None if row is None else self._entry_at(row)

    def _highlight_key(self, key: str) -> None:
        """Highlight the row of the model with this `slug/model` key, if it is listed."""
        slug, _, model_id = key.partition("/")  # slugs have no "/"
        ids, entries = self._ids, self.entries
        for row, index in enumerate(self._ranking.indices()):
            if ids[index] == model_id and entries[index].connection_slug == slug:
                self.query_one("#picker-list", ModelRows).highlight(row)
                return

    def _row(self, row: int) -> Content:
        """Row `row` of the list, built when it comes on screen."""
        if row < len(self._ranking):
            match = self._ranking[row]
            index = match.index
            return self._prompt(self.entries[index], self._shown_ids[index], match, self._id_width)
        target = self._custom_target()
        return Content.assemble(
            ("+ ", "bold ansi_green"),
            "use ",
            (shown_inline(self._shown_query or ""), "bold"),
            f" as a model id on {shown_inline(target.name) if target else ''}",
        )

    def _initial_highlight(self, query: str) -> int:
        if not query and self.current is not None:  # the empty query keeps the entries' order
            row = _position(self._ids, self.entries, self.current)
            if row is not None:
                return row
        return 0

    def _update_status(self) -> None:
        total = len(self.entries)
        if not total and not self.connections:
            from craft_tui.ui.bindings import first_key

            key = first_key("open_connections", getattr(self.app, "keymap", None))
            self.query_one("#picker-status", Static).update(
                f"No connections yet: add one in the connections screen ({key})."
            )
            return
        text = f"{len(self._ranking):,} of {total:,} models"
        text += f" · ★ favourite · ● current · $ per 1M tokens in/out · {TOOLS_MARK} tools"
        if text != self._status:  # one fixed-height line: no relayout of the screen for it
            self._status = text
            self.query_one("#picker-status", Static).update(text, layout=False)

    def _prompt(
        self, entry: PickerEntry, shown_id: str, match: FuzzyMatch, id_width: int
    ) -> Content:
        """One row as a Textual `Content` built from its plain text and spans in one go: no Rich
        `Text` to convert on every keystroke, and the fixed columns come from a per-entry cache.
        `shown_id` is the entry's id as displayed (disarmed); match positions are in it."""
        is_current = self.current is not None and entry.choice == self.current
        # Cut in the middle: ids of one family differ at their end (model_rows.cut_middle).
        model, head, tail = cut_middle(shown_id, id_width)
        shown = len(model)
        favourite = entry.key in self._favourite_keys
        spans = []  # each span is a segment to style on every render: blank marks get none
        if favourite:
            spans.append(Span(0, 1, "ansi_yellow"))
        start = 3
        if is_current:
            spans.append(Span(1, 2, "bold ansi_green"))
            spans.append(Span(start, start + shown, "bold"))
        marks = [
            p if p < head else p - tail + head + 1
            for p in match.positions
            if p < head or tail <= p < len(shown_id)
        ]
        for begin, end in highlight_spans(marks):
            if begin < shown:
                spans.append(Span(start + begin, start + min(end, shown), "bold reverse"))
        columns = self._columns.get(entry.key)
        if columns is None:
            extra = self._extra_of(entry.connection_slug, entry.model_id)
            columns = self._columns[entry.key] = _columns(entry, extra)
        text = "".join(
            (
                "★" if favourite else " ",
                "●" if is_current else " ",
                " ",
                model,
                " " * max(0, id_width - cell_len(model)),
                columns,
            )
        )
        column_start = start + shown + max(0, id_width - cell_len(model))
        spans.extend(
            Span(column_start + begin, column_start + end, style)
            for begin, end, style in _COLUMN_SPANS
        )
        return Content(text, spans)

    def _extra_of(self, slug: str, model_id: str) -> Mapping[str, str]:
        """What the model's listing says beyond the columns (only for rows shown: one lookup)."""
        if self._extras is not None:
            return self._extras(slug, model_id)
        if self.catalog is not None:
            return self.catalog.model_extra(slug, model_id)
        return {}

    def _custom_target(self) -> Connection | None:
        """The connection a typed, unknown model id goes to: the current one, else the default."""
        if self.current is not None and self.current.connection_slug in self.connections:
            return self.connections[self.current.connection_slug]
        return self.default_connection

    def _query_changed(self) -> None:
        self.refilter()

    # ---- actions --------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        self.query_one("#picker-list", ModelRows).move(delta)

    def action_page(self, pages: int) -> None:
        self.query_one("#picker-list", ModelRows).page(pages)

    @on(Input.Submitted, "#picker-query")
    def _submitted(self) -> None:
        self.action_pick()

    @on(ModelRows.Picked, "#picker-list")
    def _clicked(self) -> None:
        self.action_pick()

    def action_pick(self) -> None:
        row = self.query_one("#picker-list", ModelRows).highlighted
        if row is None:
            return
        entry = self._entry_at(row)
        if entry is not None:
            choice = entry.choice
        else:
            target = self._custom_target()
            if not self._custom_row or target is None:
                return
            choice = ModelChoice(target.slug, self.query_text)
            self._remember_model(choice)
        # Written by the state thread (the path is the one of now: the write may land after
        # the picker is gone); a failed write loses nothing but the recent-models order.
        path = paths.state_file()
        _write_state(
            self.app,
            lambda: state.add_recent_model(choice.key, path),
            f"Using {shown_inline(choice.model_id)}, but it could not be kept among the recent models",
        )
        self.dismiss(choice)

    def config_changed(self, change: ConfigChange) -> None:
        """A connection was added, edited or removed while the picker is open: its models are
        listed (or gone) as soon as their cached lists are read, with the query and the
        highlighted model kept."""
        if self._given_entries is not None or not self.is_mounted:
            return
        self._follow(change.config)

    @work(exclusive=True, group="picker-follow")
    async def _follow(self, config: Config) -> None:
        entries, failure = await asyncio.to_thread(self._catalog_entries, config)
        if closed_meanwhile(self):
            return
        if failure is not None:
            self.notify(f"Cached model lists unavailable: {failure}", severity="warning")
        highlighted = self._highlighted_entry()
        self.set_entries(entries)
        if highlighted is not None:
            self._highlight_key(highlighted.key)

    def _remember_model(self, choice: ModelChoice) -> None:
        """A hand-typed id becomes one of its connection's models, so it is offered next time
        (configuration: config.toml gets one more model, the rest of the file stays as it is)."""

        service, app = self.workspace.connections, self.app

        async def remember() -> None:  # an app worker: the picker closes at once
            try:
                await service.aremember_model(choice.connection_slug, choice.model_id)
            except (ConfigError, OSError, ConnectionProblem) as error:
                app.notify(f"Using {choice.model_id}, but it could not be remembered: {error}")

        app.run_worker(remember(), group="picker-remember", exit_on_error=False)

    def action_favourite(self) -> None:
        """Star or unstar the highlighted model; favourites stay on top."""
        highlighted = self._highlighted_entry()
        if highlighted is None:
            return
        key = highlighted.key
        favourites = [item for item in self.favourites if item != key]
        if key not in self.favourites:
            favourites.insert(0, key)
        self.favourites = favourites
        self.set_entries(self.entries)
        self._highlight_key(key)
        # A toggle, by the state thread in the order of the presses, so quick presses and another
        # process's stars all count.
        path = paths.state_file()
        _write_state(
            self.app,
            lambda: state.toggle_favourite(key, path),
            f"The favourite {shown_inline(key)} could not be saved",
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
