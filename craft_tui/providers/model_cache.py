"""The on-disk cache of each connection's model list, so the picker and `craft-tui models` open
instantly and refresh in the background.

One JSON file per connection under `paths.cache_dir()/models/`, written atomically, holding the
fetch time and the base URL it came from (a list fetched from another URL is not this connection's
any more). The models are stored by column (format 2: a list of ids, a list of names, ...): a
gateway's 50,000 models parse about three times faster than as 50,000 objects and leave no
50,000 dicts to free; a format 1 file (one object per model) is still read. Anything unreadable — a torn file, hand edits, an older format — counts as no cache: it is
ignored and rebuilt on the next refresh, never an error the user sees.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import operator
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, overload

from craft_tui.config import paths
from craft_tui.config.atomic import atomic_write_text
from craft_tui.config.schema import Connection
from craft_tui.providers.types import ModelInfo

log = logging.getLogger(__name__)

CACHE_FORMAT = 2  # models by column; 1 (one object per model) is still read
_COLUMNS = ("id", "name", "context_window", "input_price", "output_price", "extra")

# One cached model as checked from the file: (id, name, context window, input price, output
# price, extra or None), the fields of `ModelInfo` in its order.
ModelRow = tuple[str, str | None, int | None, float | None, float | None, dict[str, str] | None]
# The same models by field: ids, names, context windows, input prices, output prices, extras.
ModelColumns = tuple[
    Sequence[str],
    Sequence[str | None],
    Sequence[int | None],
    Sequence[float | None],
    Sequence[float | None],
    Sequence[dict[str, str] | None],
]


class ModelList(Sequence[ModelInfo]):
    """A cache file's models, checked, kept by column (or as rows, when read model by model);
    each `ModelInfo` is made on first use.

    A big gateway lists 50,000 models, and the picker and `craft-tui models` read its file on
    every open: the catalog builds its entries from `columns` directly, so neither the 50,000
    `ModelInfo`s (a frozen dataclass costs several times a tuple to make) nor 50,000 rows are
    built unless someone asks for them. Compares equal to the tuple of the same models, as
    `CachedModels.models` was."""

    __slots__ = ("_built", "_columns", "_rows")

    def __init__(
        self, rows: list[ModelRow] | None = None, *, columns: ModelColumns | None = None
    ) -> None:
        if (rows is None) == (columns is None):
            raise TypeError("a ModelList is made of rows or of columns")
        self._rows = rows
        self._columns = columns
        self._built: tuple[ModelInfo, ...] | None = None

    @property
    def rows(self) -> list[ModelRow]:
        """One tuple per model (made from the columns on first use)."""
        if self._rows is None:
            assert self._columns is not None
            self._rows = list(zip(*self._columns, strict=True))
        return self._rows

    @property
    def columns(self) -> ModelColumns:
        """One sequence per field, in `ModelRow` order (made from the rows on first use)."""
        if self._columns is None:
            self._columns = _transposed(self.rows)
        return self._columns

    def _models(self) -> tuple[ModelInfo, ...]:
        if self._built is None:
            self._built = tuple(
                ModelInfo(model_id, name, context, price_in, price_out, extra or {})
                for model_id, name, context, price_in, price_out, extra in self.rows
            )
        return self._built

    def __len__(self) -> int:
        return len(self._columns[0]) if self._columns is not None else len(self.rows)

    @overload
    def __getitem__(self, index: int) -> ModelInfo: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[ModelInfo, ...]: ...

    def __getitem__(self, index: int | slice) -> ModelInfo | tuple[ModelInfo, ...]:
        return self._models()[index]

    def __iter__(self) -> Iterator[ModelInfo]:
        return iter(self._models())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ModelList | tuple):
            return self._models() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._models())

    def __repr__(self) -> str:
        return f"ModelList({len(self)} models)"


def _transposed(rows: Sequence[ModelRow]) -> ModelColumns:
    """Rows as columns (six empty ones for no rows)."""
    if not rows:
        return ((), (), (), (), (), ())
    ids, names, contexts, inputs, outputs, extras = zip(*rows, strict=True)
    return ids, names, contexts, inputs, outputs, extras


@dataclass(frozen=True, slots=True)
class CachedModels:
    """A connection's model list as last fetched.

    `has_model_list` is False when the server answered that it has no list (404/405): the
    connection then lives on its hand-typed models, and we remember that rather than ask again on
    every start.
    """

    slug: str
    base_url: str
    fetched_at: datetime
    models: Sequence[ModelInfo] = ()  # a `ModelList` when read from the file
    has_model_list: bool = True
    source: str = "models"  # "models" (GET /models), "ollama" (/api/tags), "none"
    notes: tuple[str, ...] = field(default_factory=tuple)

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(UTC)) - self.fetched_at

    def is_stale(self, max_age_hours: float, now: datetime | None = None) -> bool:
        """True when older than the setting (`model_cache_hours`; 0 means always refresh)."""
        return self.age(now) >= timedelta(hours=max_age_hours)


def cache_folder() -> Path:
    return paths.cache_dir() / "models"


def cache_path(slug: str) -> Path:
    """The cache file of one connection (slugs are `[a-z0-9-]`, safe as file names)."""
    return cache_folder() / f"{slug}.json"


def _columns_to_json(models: Sequence[ModelInfo]) -> dict[str, list[Any]]:
    """The models by column (format 2); `null` where a model has no value."""
    if isinstance(models, ModelList) and models._built is None:  # read and not looked at
        columns = models.columns
    else:
        columns = _transposed(
            [
                (
                    m.id,
                    m.name,
                    m.context_window,
                    m.input_price,
                    m.output_price,
                    dict(m.extra) or None,
                )
                for m in models
            ]
        )
    # A column with no value at all (`extra`, nearly always; names on some servers) is left
    # out: a missing column reads as all null, and 50,000 nulls are 300 KB to parse.
    return {
        name: list(column)
        for name, column in zip(_COLUMNS, columns, strict=True)
        if name == "id" or column.count(None) != len(column)
    }


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value <= 0:  # what json.loads makes: bool is not a count
        raise ValueError(f"bad context window {value!r}")
    return value


_INFINITY = math.inf


def _opt_price(value: Any) -> float | None:
    if value is None:
        return None
    kind = type(value)
    if kind is not float and kind is not int:  # what json.loads makes: bool is not a price
        raise ValueError(f"bad price {value!r}")
    if not 0 <= value < _INFINITY:  # negative, infinite and NaN all fail this
        raise ValueError(f"bad price {value!r}")
    return float(value)


def _model_from_json(data: Any) -> ModelRow:
    """One model of the file, checked as strictly as it is written. Runs once per cached model
    (50,000 on a big gateway, each time the picker opens): plain type checks, no helper call for
    a field that is absent, and a row rather than a `ModelInfo` (see `ModelList`)."""
    if type(data) is not dict:
        raise ValueError("model entry without an id")
    model_id = data.get("id")
    if type(model_id) is not str or not model_id:
        raise ValueError("model entry without an id")
    name = data.get("name")
    context = data.get("context_window")
    if context is not None:
        context = _opt_int(context)
    input_price = data.get("input_price")
    if input_price is not None:
        input_price = _opt_price(input_price)
    output_price = data.get("output_price")
    if output_price is not None:
        output_price = _opt_price(output_price)
    extra = data.get("extra")
    if extra:
        if type(extra) is not dict:
            raise ValueError("bad extra")
        extra = {str(k): str(v) for k, v in extra.items()}
    else:
        extra = None
    return (
        model_id,
        name if type(name) is str else None,
        context,
        input_price,
        output_price,
        extra,
    )


_NONE = type(None)


def _list_from_json(models: list[Any]) -> ModelList:
    """Every model of a format 1 file (one object per model)."""
    if not models or set(map(type, models)) != {dict}:
        return ModelList([_model_from_json(item) for item in models])
    get, keys = dict.get, itertools.repeat
    columns = [list(map(get, models, keys(name))) for name in _COLUMNS]
    checked = _checked_columns(columns)
    if checked is not None:
        return ModelList(columns=checked)
    return ModelList([_model_from_json(item) for item in models])


def _list_from_columns(models: Any) -> ModelList:
    """Every model of a format 2 file (`{"id": [...], "name": [...], ...}`)."""
    if type(models) is not dict or type(models.get("id")) is not list:
        raise ValueError("models are not columns")
    count = len(models["id"])
    columns = [models.get(name, [None] * count) for name in _COLUMNS]
    if any(type(column) is not list or len(column) != count for column in columns):
        raise ValueError("model columns of different lengths")
    checked = _checked_columns(columns)
    if checked is not None:
        return ModelList(columns=checked)
    return ModelList(
        [
            _model_from_json({name: value for name, value in zip(_COLUMNS, values, strict=True)})
            for values in zip(*columns, strict=True)
        ]
    )


def _checked_columns(columns: list[list[Any]]) -> ModelColumns | None:
    """These columns (id, name, context, prices, extra) as they are, when every value is what
    `encode` writes, checked a column at a time: each check is one C-level pass (`map`, `set`,
    `min`) over 50,000 values instead of a Python call per model, and no row is made. None when
    any check fails (an `extra`, an int price, anything wrong): the caller then reads model by
    model with `_model_from_json`, which accepts and refuses exactly what these do, with the
    reason."""
    ids, names, contexts, inputs, outputs, extras = columns
    if (
        set(map(type, ids)) == {str}
        and "" not in ids
        and set(map(type, names)) <= {str, _NONE}
        and set(map(type, contexts)) <= {int, _NONE}
        and min(filter(None, contexts), default=1) > 0  # a 0 is not None and filtered: below
        and 0 not in contexts
        and _prices_fine(inputs)
        and _prices_fine(outputs)
        and not any(extras)
    ):
        return ids, names, contexts, inputs, outputs, [None] * len(ids)
    return None


def _prices_fine(prices: list[Any]) -> bool:
    """Every price a float from 0 up (or None), known in C-level passes; False sends the file
    to the model-by-model reading (an int price is made a float there)."""
    if not set(map(type, prices)) <= {float, _NONE}:
        return False
    if None in prices:
        prices = list(
            itertools.compress(prices, map(operator.is_not, prices, itertools.repeat(None)))
        )
    # the sum is finite only when every price is (an overflow just takes the slow path)
    return not prices or (min(prices) >= 0 and math.isfinite(sum(prices)))


def encode(entry: CachedModels) -> str:
    """The file's text."""
    return json.dumps(
        {
            "format": CACHE_FORMAT,
            "slug": entry.slug,
            "base_url": entry.base_url,
            "fetched_at": entry.fetched_at.isoformat(),
            "has_model_list": entry.has_model_list,
            "source": entry.source,
            "notes": list(entry.notes),
            "models": _columns_to_json(entry.models),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(text: str) -> CachedModels:
    """Parse a cache file; ValueError for anything that is not exactly what `encode` writes."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") not in (1, CACHE_FORMAT):
        raise ValueError("not a model cache of this format")
    slug, base_url = data.get("slug"), data.get("base_url")
    if not isinstance(slug, str) or not isinstance(base_url, str):
        raise ValueError("missing slug or base_url")
    fetched_at = datetime.fromisoformat(str(data.get("fetched_at")))
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    models = data.get("models")
    if data["format"] == CACHE_FORMAT:
        checked = _list_from_columns(models)
    elif isinstance(models, list):
        checked = _list_from_json(models)
    else:
        raise ValueError("models is not a list")
    notes = data.get("notes") or []
    return CachedModels(
        slug=slug,
        base_url=base_url,
        fetched_at=fetched_at,
        models=checked,
        has_model_list=bool(data.get("has_model_list", True)),
        source=str(data.get("source", "models")),
        notes=tuple(str(note) for note in notes) if isinstance(notes, list) else (),
    )


def load_cached(connection: Connection) -> CachedModels | None:
    """The cached list of this connection, or None when there is none usable."""
    path = cache_path(connection.slug)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        log.warning("model cache %s unreadable (%s); it will be rebuilt", path, error)
        return None
    try:
        entry = decode(text)
    except (ValueError, TypeError, KeyError, RecursionError) as error:
        log.warning("model cache %s is damaged (%s); it will be rebuilt", path, error)
        return None
    if entry.slug != connection.slug or entry.base_url != connection.base_url:
        return None  # the connection now points elsewhere: that list is not its list
    return entry


def save_cached(entry: CachedModels) -> None:
    """Write one connection's list atomically; a full disk only costs the cache, with a log line."""
    path = cache_path(entry.slug)
    try:
        paths.ensure_private_dir(path.parent)
        atomic_write_text(path, encode(entry))
    except OSError as error:
        log.warning("could not write the model cache %s: %s", path, error)


def delete_cached(slug: str) -> None:
    """Forget a connection's list (the connection was removed)."""
    try:
        cache_path(slug).unlink()
    except FileNotFoundError:
        pass
    except OSError as error:
        log.warning("could not delete the model cache of %s: %s", slug, error)
