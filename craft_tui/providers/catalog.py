"""Every connection's models in one list: what the model picker and `craft-tui models` show.

`ModelCatalog.load()` is instant: it reads the on-disk caches and merges each connection's
hand-typed models (config.toml) with the ones its server listed. Hand-typed metadata wins where it
is set (name, context window, prices); a hand-typed model the server does not list stays (it may be
an alias the server accepts). `refresh()` / `refresh_stale()` fetch lists again in the background,
a few connections at a time; a failure keeps the old list and is reported per connection, never
raised at the caller. No Textual here: the picker subscribes with `add_listener`.
"""

from __future__ import annotations

import gc
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import methodcaller
from typing import TYPE_CHECKING, Literal, NamedTuple

from craft_tui.config.schema import Config, Connection
from craft_tui.providers.discovery import (
    NO_LIST_NOTE,
    Discovery,
    discover_models,
    is_local_connection,
    ollama_model_id,
)
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.model_cache import (
    CachedModels,
    ModelColumns,
    ModelList,
    ModelRow,
    load_cached,
    save_cached,
)
from craft_tui.providers.pricing import builtin_price

if TYPE_CHECKING:
    import asyncio

    from craft_tui.config.secrets import SecretStore
    from craft_tui.fuzzy import FuzzyIndex, FuzzyMatch
    from craft_tui.providers.types import ModelInfo

log = logging.getLogger(__name__)

ModelSource = Literal["manual", "discovered"]
DEFAULT_CONCURRENCY = 4


class CatalogEntry(NamedTuple):
    """One model of one connection, ready to show: prices are USD per million tokens.

    A named tuple, not a frozen dataclass: a catalog of 50,000 models makes 50,000 of them on
    every load, and a tuple is several times cheaper to make (and smaller)."""

    connection_slug: str
    connection_name: str
    model_id: str
    name: str | None = None
    context_window: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    price_source: str | None = None  # "config", "provider", "built-in"; None when unknown
    source: ModelSource = "discovered"
    listed: bool = False  # the server's own list has it (False for hand-typed-only models)
    is_local: bool = False
    is_default: bool = False

    @property
    def key(self) -> str:
        """`slug/model-id`, the form `settings.favourite_models` uses."""
        return f"{self.connection_slug}/{self.model_id}"

    @property
    def display_name(self) -> str:
        return self.name or self.model_id

    @property
    def search_text(self) -> str:
        """What the fuzzy filter looks at: the id, the name's extra words, the connection."""
        lowered_id = self.model_id.lower()
        extra = [
            word
            for word in (self.name or "").replace(":", " ").split()
            if word.lower().strip("()[],") not in lowered_id
        ]
        return " ".join([self.model_id, *extra, self.connection_name])


# (connection, model id, listed input price, listed output price)
#   -> (input price, output price, source, is_local)
Pricer = Callable[
    [Connection, str, float | None, float | None],
    tuple[float | None, float | None, str | None, bool],
]


def default_pricer(
    connection: Connection, model_id: str, listed_in: float | None, listed_out: float | None
) -> tuple[float | None, float | None, str | None, bool]:
    """Prices from `providers.pricing` (config > provider list > built-in table; local servers free).

    Imported on first use so loading the catalog for the picker stays cheap.
    """
    from craft_tui.providers.pricing import resolve_pricing

    pricing = resolve_pricing(
        connection, model_id, provider_input=listed_in, provider_output=listed_out
    )
    if pricing.price is None:
        return None, None, None, pricing.local
    price = pricing.price
    return price.input, price.output, price.source, pricing.local


@dataclass(slots=True)
class ConnectionStatus:
    """How fresh one connection's list is, and what went wrong with the last refresh."""

    slug: str
    fetched_at: datetime | None = None
    has_model_list: bool | None = None  # None: never asked
    source: str | None = None
    error: ProviderError | None = None
    refreshing: bool = False
    notes: tuple[str, ...] = ()

    @property
    def cached(self) -> bool:
        return self.fetched_at is not None


def _same_model(a: str, b: str) -> bool:
    return a == b or ollama_model_id(a) == ollama_model_id(b)


def merge_models(
    connection: Connection,
    discovered: Iterable[ModelInfo],
    *,
    pricer: Pricer = default_pricer,
) -> list[CatalogEntry]:
    """Which models a connection has: the one rule the picker and `craft-tui models` use.

    Every model config.toml lists comes first, in its order (its metadata wins where set), each
    id once; then the server's others. A listed model and a typed one are the same model when
    their ids are equal, or (Ollama resolves a bare name to `:latest`) equal without `:latest`;
    a typed id is never dropped for looking like another typed id.

    Runs once per listed model (50,000 on a big gateway) each time the picker opens or
    `craft-tui models` runs: it reads a cache file's columns as they are (`ModelList`), never
    making a `ModelInfo` or a row per model, and each entry is one tuple (`CatalogEntry` is a
    named tuple).
    """
    if isinstance(discovered, ModelList):
        columns = discovered.columns
    else:
        columns = ModelList(  # (an entry shows no `extra`)
            [
                (m.id, m.name, m.context_window, m.input_price, m.output_price, None)
                for m in discovered
            ]
        ).columns
    default = connection.effective_default_model
    is_local = is_local_connection(connection)
    slug, name = connection.slug, connection.name
    entries: list[CatalogEntry] = []
    typed_ids: set[str] = set()
    matched: set[int] = set()  # the rows (by position) a typed model stands for

    def is_default(model_id: str) -> bool:
        return default is not None and _same_model(model_id, default)

    if connection.models:  # only a typed model is looked up by id
        ids = columns[0]
        for typed in connection.models:
            if typed.id in typed_ids:
                continue
            typed_ids.add(typed.id)
            found = _find(ids, typed.id)
            if found is None:
                found = _find(ids, ollama_model_id(typed.id))
            typed_row = _row_at(columns, found) if found is not None else None
            if found is not None:
                matched.add(found)
            listed_in = typed_row[3] if typed_row else None
            listed_out = typed_row[4] if typed_row else None
            input_price, output_price, price_source, local = pricer(
                connection, typed.id, listed_in, listed_out
            )
            entries.append(
                CatalogEntry(
                    slug,
                    name,
                    typed.id,
                    typed.name or (typed_row[1] if typed_row else None),
                    typed.context_window or (typed_row[2] if typed_row else None),
                    input_price,
                    output_price,
                    price_source,
                    "manual",
                    typed_row is not None,
                    local or is_local,
                    is_default(typed.id),
                )
            )
    seen = {ollama_model_id(typed_id) for typed_id in typed_ids}
    if pricer is default_pricer:
        fast = _listed_columns(connection, columns, matched, seen, is_local, default)
        if fast is None:
            fast = _listed_entries(connection, columns, matched, seen, is_local, default)
        entries.extend(fast)
        return entries
    for index, row in enumerate(zip(*columns, strict=True)):
        key = ollama_model_id(row[0])
        if index in matched or key in seen:
            continue
        seen.add(key)
        input_price, output_price, price_source, local = pricer(connection, row[0], row[3], row[4])
        entries.append(
            CatalogEntry(
                slug,
                name,
                row[0],
                row[1],
                row[2],
                input_price,
                output_price,
                price_source,
                "discovered",
                True,
                local or is_local,
                is_default(row[0]),
            )
        )
    return entries


def _row_at(columns: ModelColumns, index: int) -> ModelRow:
    ids, names, contexts, inputs, outputs, extras = columns
    return ids[index], names[index], contexts[index], inputs[index], outputs[index], extras[index]


def _find(ids: Sequence[str], model_id: str) -> int | None:
    """The first listed model that is `model_id`: that id, else (Ollama resolves a bare name to
    it) `model_id:latest`; found by `list.index`, a scan in C."""
    for wanted in (model_id, model_id + ":latest"):
        try:
            return ids.index(wanted)
        except ValueError:
            pass
    return None


def _listed_columns(
    connection: Connection,
    columns: ModelColumns,
    matched: set[int],
    seen: set[str],
    is_local: bool,
    default: str | None,
) -> list[CatalogEntry] | None:
    """`_listed_entries` for the common list, a column at a time in C: ids all distinct, none
    ending in `:latest`, and either every model priced by the server or (on a local
    server) none. None for any other list, which `_listed_entries` takes model by model."""
    ids, names, contexts, inputs, outputs, _ = columns
    count = len(ids)
    if not count:
        return []
    if any(map(methodcaller("endswith", ":latest"), ids)) or len(set(ids)) != count:
        return None
    # the rows a typed model stands for, and any other whose id is a typed one: not listed again
    dropped = set(matched)
    dropped.update(ids.index(key) for key in seen.intersection(ids))
    if None not in inputs and None not in outputs:
        source: str | None = "provider"
    elif is_local and inputs.count(None) == count and outputs.count(None) == count:
        source = None  # a local server without prices: "local" (is_local)
    else:
        return None
    defaults = [False] * count
    if default is not None:
        for wanted in {default, ollama_model_id(default)}:
            if wanted in ids:
                defaults[ids.index(wanted)] = True  # ids are distinct: at most one each
    repeat = itertools.repeat
    fields = zip(
        repeat(connection.slug),
        repeat(connection.name),
        ids,
        names,
        contexts,
        inputs,
        outputs,
        repeat(source),
        repeat("discovered"),
        repeat(True),
        repeat(is_local),
        defaults,
        strict=False,  # the repeats are endless; the columns are one length
    )
    entries = list(map(tuple.__new__, repeat(CatalogEntry), fields))
    for index in sorted(dropped, reverse=True):
        del entries[index]
    return entries


def _listed_entries(
    connection: Connection,
    columns: ModelColumns,
    matched: set[int],
    seen: set[str],
    is_local: bool,
    default: str | None,
) -> list[CatalogEntry]:
    """The server's models that no typed one stands for, priced as `default_pricer` prices them,
    written out (the loop of `merge_models` for 50,000 models). A model here is never a typed one
    (those are in `seen`), so no config price applies: the server's own price, else local, else
    the built-in table."""
    slug, name = connection.slug, connection.name
    default_key = ollama_model_id(default) if default is not None else None
    entries: list[CatalogEntry] = []
    append = entries.append
    make = tuple.__new__  # a named tuple from a plain one, without a Python-level __new__ call
    rows = zip(*columns, strict=True)
    for index, (model_id, model_name, context, listed_in, listed_out, _) in enumerate(rows):
        key = model_id[:-7] if model_id.endswith(":latest") else model_id
        if key in seen or (matched and index in matched):
            continue
        seen.add(key)
        input_price: float | None
        output_price: float | None
        if listed_in is not None or listed_out is not None:
            input_price = 0.0 if listed_in is None else listed_in
            output_price = 0.0 if listed_out is None else listed_out
            source: str | None = "provider"
        elif is_local:
            input_price = output_price = source = None
        else:
            table = builtin_price(model_id)
            if table is None:
                input_price = output_price = source = None
            else:
                input_price, output_price, source = table.input, table.output, table.source
        append(
            make(
                CatalogEntry,
                (
                    slug,
                    name,
                    model_id,
                    model_name,
                    context,
                    input_price,
                    output_price,
                    source,
                    "discovered",
                    True,
                    is_local,
                    default_key is not None and (model_id == default or key == default_key),
                ),
            )
        )
    return entries


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a list of models is built. Reading 50,000 cached
    models makes a few hundred thousand objects, none of them in a cycle; each step of them
    started collections, and the full ones walk the whole heap (a third of the time the catalog
    took to load). Process-wide, so kept to the bulk steps; enabled again only if it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- labels: how the picker and `craft-tui models` show a model's context and price ---------------

UNKNOWN = "—"


@lru_cache(maxsize=4096)  # a list of 50,000 models has a few dozen distinct figures
def context_label(tokens: int | None) -> str:
    """`200K`, `128K` (128,000 or 131,072), `1M` (1,000,000 or 1,048,576), `8K`; `—` unknown.

    A round decimal figure is read in thousands, a power-of-two one in 1,024s (`128000` is
    `128K`, not `125K`, and `131072` is `128K`, not `131K`)."""
    if not tokens:
        return UNKNOWN
    if tokens % 1000 == 0:
        base = 1000
    elif tokens % 1024 == 0:
        base = 1024
    else:
        base = 1000
    if tokens >= base * base:
        return f"{round(tokens / (base * base), 1):g}M"
    if tokens >= base:
        return f"{round(tokens / base, 1):g}K"
    return str(tokens)


@lru_cache(maxsize=4096)  # a few hundred distinct prices in 50,000 models
def _dollars(usd: float) -> str:
    """`$3`, `$15`, `$0.60`, `$0.075`, `$1.25`: four significant digits, cents when not whole."""
    if usd >= 1000:
        return f"${usd:,.0f}"
    text = f"{float(f'{usd:.4g}'):f}".rstrip("0").rstrip(".")
    whole, _, fraction = text.partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}" if fraction else f"${whole}"


def price_labels(
    input_price: float | None, output_price: float | None, *, local: bool
) -> tuple[str, str]:
    """The input and output price per million tokens, as both views show them.

    A price that is known is shown, on a local server too (a gateway on this machine that lists
    prices charges them, and the answer's cost is counted at them); `free` when both are 0;
    `local` for a local server without prices; `—` when nothing is known.
    """
    if input_price is None and output_price is None:
        word = "local" if local else UNKNOWN
        return word, word
    if not input_price and not output_price:
        return "free", "free"
    first = UNKNOWN if input_price is None else _dollars(input_price)
    second = UNKNOWN if output_price is None else _dollars(output_price)
    return first, second


def price_label(input_price: float | None, output_price: float | None, *, local: bool) -> str:
    """The price in one column: `$3/$15`, `free`, `local` or `—` (see `price_labels`)."""
    first, second = price_labels(input_price, output_price, local=local)
    return first if first == second and not first.startswith("$") else f"{first}/{second}"


Discover = Callable[[Connection, "str | None"], Awaitable[Discovery]]


@dataclass
class _State:
    connection: Connection
    cached: CachedModels | None
    entries: list[CatalogEntry] = field(default_factory=list)
    status: ConnectionStatus = field(default_factory=lambda: ConnectionStatus(""))


class ModelCatalog:
    """All connections' models, from cache at once, refreshed in the background on request.

    Construct with `ModelCatalog.load(config)`. `discover` and `key_lookup` are seams for tests.
    Listeners get the slug whose list changed (or started/stopped refreshing); they run on the
    event loop that runs the refresh.
    """

    def __init__(
        self,
        config: Config,
        *,
        discover: Discover | None = None,
        key_lookup: Callable[[Connection], str | None] | None = None,
        pricer: Pricer = default_pricer,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._config = config
        self._discover: Discover = discover or discover_models
        self._secret_store: SecretStore | None = None
        self._key_lookup = key_lookup
        self._pricer = pricer
        self._max_concurrency = max(1, max_concurrency)
        self._now = now or (lambda: datetime.now(UTC))
        self._states: dict[str, _State] = {}
        self._listeners: list[Callable[[str], None]] = []
        self._in_flight: dict[str, asyncio.Task[ConnectionStatus]] = {}
        self._all: list[CatalogEntry] | None = None
        self._index: FuzzyIndex | None = None
        # Per connection: its cached list, and the `extra` of each model that has one.
        self._extras: dict[str, tuple[CachedModels, dict[str, dict[str, str]]]] = {}
        with collector_paused():
            for connection in config.connections:
                self._states[connection.slug] = self._state_from_cache(connection)

    @classmethod
    def load(cls, config: Config | None = None, **options: object) -> ModelCatalog:
        """The catalog of `config` (default: config.toml), from the caches alone: no network."""
        if config is None:
            from craft_tui.config.store import load_config

            config = load_config()
        return cls(config, **options)  # type: ignore[arg-type]

    @classmethod
    async def aload(cls, config: Config | None = None, **options: object) -> ModelCatalog:
        """`load` in a worker thread, for callers on an event loop (reading 5,000 cached models
        takes tens of milliseconds)."""
        import asyncio  # not before a refresh: `craft-tui models` on a cache needs none

        return await asyncio.to_thread(lambda: cls.load(config, **options))

    # -- reading ---------------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        return self._config

    @property
    def connections(self) -> list[Connection]:
        return [state.connection for state in self._states.values()]

    @property
    def entries(self) -> list[CatalogEntry]:
        """Every model of every connection, in config order, hand-typed ones first per connection."""
        if self._all is None:
            states = self._states.values()
            self._all = list(itertools.chain.from_iterable(state.entries for state in states))
        return self._all

    def entries_for(self, slug: str) -> list[CatalogEntry]:
        state = self._states.get(slug)
        return list(state.entries) if state else []

    def find(self, slug: str, model_id: str) -> CatalogEntry | None:
        return next((e for e in self.entries_for(slug) if _same_model(e.model_id, model_id)), None)

    def model_extra(self, slug: str, model_id: str) -> dict[str, str]:
        """What the server's list says of one model beyond the columns (`ModelInfo.extra`:
        "tools", "vision"), {} when it is not listed or says nothing. For the rows on screen:
        the first call per list maps the ids that have any (one pass), later ones are a lookup."""
        state = self._states.get(slug)
        cached = state.cached if state is not None else None
        if cached is None:
            return {}
        known = self._extras.get(slug)
        if known is None or known[0] is not cached:
            models = cached.models
            if isinstance(models, ModelList):
                ids, extras = models.columns[0], models.columns[5]
                table = {i: e for i, e in zip(ids, extras, strict=True) if e}
            else:
                table = {m.id: m.extra for m in models if m.extra}
            known = self._extras[slug] = (cached, table)
        table = known[1]
        found = table.get(model_id) or table.get(ollama_model_id(model_id))
        return found or table.get(model_id + ":latest") or {}

    def status(self, slug: str) -> ConnectionStatus:
        state = self._states.get(slug)
        return state.status if state else ConnectionStatus(slug)

    def default_model(self, slug: str) -> str | None:
        """The connection's default model, else the first model it has."""
        state = self._states.get(slug)
        if state is None:
            return None
        default = state.connection.effective_default_model
        if default:
            return default
        return state.entries[0].model_id if state.entries else None

    def search(self, query: str, limit: int | None = None) -> list[tuple[CatalogEntry, FuzzyMatch]]:
        """Entries matching a fuzzy query, best first; positions index `entry.search_text`."""
        if self._index is None:
            from craft_tui.fuzzy import FuzzyIndex  # only for a query: a plain list needs none

            self._index = FuzzyIndex([entry.search_text for entry in self.entries])
        entries = self.entries
        return [(entries[match.index], match) for match in self._index.search(query, limit)]

    def is_stale(self, slug: str) -> bool:
        """True when the list is missing or older than `settings.model_cache_hours`."""
        state = self._states.get(slug)
        if state is None:
            return False
        if state.cached is None:
            return True
        return state.cached.is_stale(self._config.settings.model_cache_hours, self._now())

    def stale_connections(self) -> list[Connection]:
        return [
            state.connection
            for state in self._states.values()
            if self.is_stale(state.connection.slug)
        ]

    def update_config(self, config: Config) -> None:
        """Follow an edited config: new connections load their cache, removed ones go, and one
        whose URL, protocol or typed models changed is rebuilt; the others keep their state."""
        with collector_paused():
            self._update_config(config)

    def _update_config(self, config: Config) -> None:
        states: dict[str, _State] = {}
        for connection in config.connections:
            old = self._states.get(connection.slug)
            if old is not None and old.connection == connection:
                states[connection.slug] = old
            elif old is not None and old.connection.base_url == connection.base_url:
                old.connection = connection
                models = old.cached.models if old.cached else ()
                old.entries = merge_models(connection, models, pricer=self._pricer)
                states[connection.slug] = old
            else:
                states[connection.slug] = self._state_from_cache(connection)
        self._config = config
        self._states = states
        self._all = None
        self._index = None

    # -- listening -------------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call `listener(slug)` when a connection's list or status changes; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, slug: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(slug)
            except Exception:  # a broken listener must not break a refresh
                log.exception("model catalog listener failed")

    # -- refreshing ------------------------------------------------------------------------------

    async def refresh(self, connection: Connection | str) -> ConnectionStatus:
        """Fetch one connection's list now (joining a refresh already running for it)."""
        import asyncio  # not before a refresh: `craft-tui models` on a cache needs none

        slug = connection if isinstance(connection, str) else connection.slug
        if slug not in self._states:
            raise KeyError(f"no connection {slug!r}")
        running = self._in_flight.get(slug)
        if running is None or running.done():
            running = asyncio.ensure_future(self._refresh(self._states[slug]))
            self._in_flight[slug] = running
        return await asyncio.shield(running)

    async def refresh_stale(self, *, force: bool = False) -> dict[str, ConnectionStatus]:
        """Refresh every connection whose list is stale (all with `force`), a few at a time."""
        import asyncio  # not before a refresh: `craft-tui models` on a cache needs none

        targets = self.connections if force else self.stale_connections()
        limit = asyncio.Semaphore(self._max_concurrency)

        async def one(connection: Connection) -> ConnectionStatus:
            async with limit:
                return await self.refresh(connection.slug)

        results = await asyncio.gather(*(one(connection) for connection in targets))
        return {
            connection.slug: status for connection, status in zip(targets, results, strict=True)
        }

    async def _refresh(self, state: _State) -> ConnectionStatus:
        import asyncio  # not before a refresh: `craft-tui models` on a cache needs none

        connection = state.connection
        status = state.status
        status.refreshing = True
        self._notify(connection.slug)
        try:
            # The keyring and the cache file are blocking I/O: keep them off the event loop.
            api_key = await asyncio.to_thread(self._api_key, connection)
            discovery = await self._discover(connection, api_key)
        except ProviderError as error:
            status.error = error
            log.info("model list of %s not refreshed: %s", connection.slug, error.message)
        except Exception as error:  # never let one connection's surprise kill the others
            log.exception("model list of %s failed", connection.slug)
            status.error = ProviderError(
                ErrorKind.UNKNOWN,
                f"Could not list the models of {connection.name}: {type(error).__name__}.",
                "See the log file for details.",
            )
        else:
            cached = CachedModels(
                slug=connection.slug,
                base_url=connection.base_url,
                fetched_at=self._now(),
                models=discovery.models,
                has_model_list=discovery.has_model_list,
                source=discovery.source,
                notes=discovery.notes,
            )
            await asyncio.to_thread(save_cached, cached)
            state.cached = cached
            with collector_paused():
                state.entries = merge_models(connection, cached.models, pricer=self._pricer)
            status.error = None
            status.fetched_at = cached.fetched_at
            status.has_model_list = cached.has_model_list
            status.source = cached.source
            status.notes = cached.notes
            self._all = None
            self._index = None
        finally:
            status.refreshing = False
        self._notify(connection.slug)
        return status

    def _api_key(self, connection: Connection) -> str | None:
        if self._key_lookup is not None:
            return self._key_lookup(connection)
        from craft_tui.config.secrets import MissingKeyError, key_for

        try:
            return key_for(connection, self._store())
        except MissingKeyError as error:
            raise ProviderError(ErrorKind.MISSING_KEY, str(error)) from None

    def _store(self) -> SecretStore:
        if self._secret_store is None:
            from craft_tui.config.secrets import SecretStore

            self._secret_store = SecretStore.open()
        return self._secret_store

    # -- building --------------------------------------------------------------------------------

    def _state_from_cache(self, connection: Connection) -> _State:
        cached = load_cached(connection)
        entries = merge_models(connection, cached.models if cached else (), pricer=self._pricer)
        status = ConnectionStatus(connection.slug)
        if cached is not None:
            status.fetched_at = cached.fetched_at
            status.has_model_list = cached.has_model_list
            status.source = cached.source
            status.notes = cached.notes or ((NO_LIST_NOTE,) if not cached.has_model_list else ())
        return _State(connection, cached, entries, status)
