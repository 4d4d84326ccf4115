"""The on-disk cache of each connection's model list, so the picker and `craft-tui models` open
instantly and refresh in the background.

One JSON file per connection under `paths.cache_dir()/models/`, written atomically, holding the
fetch time and the base URL it came from (a list fetched from another URL is not this connection's
any more). Anything unreadable — a torn file, hand edits, an older format — counts as no cache: it is
ignored and rebuilt on the next refresh, never an error the user sees.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from craft_tui.config import paths
from craft_tui.config.atomic import atomic_write_text
from craft_tui.config.schema import Connection
from craft_tui.providers.types import ModelInfo

log = logging.getLogger(__name__)

CACHE_FORMAT = 1


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
    models: tuple[ModelInfo, ...] = ()
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


def _model_to_json(model: ModelInfo) -> dict[str, Any]:
    data: dict[str, Any] = {"id": model.id}
    if model.name is not None:
        data["name"] = model.name
    if model.context_window is not None:
        data["context_window"] = model.context_window
    if model.input_price is not None:
        data["input_price"] = model.input_price
    if model.output_price is not None:
        data["output_price"] = model.output_price
    if model.extra:
        data["extra"] = dict(model.extra)
    return data


def _opt_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"bad context window {value!r}")
    return value


def _opt_price(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"bad price {value!r}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"bad price {value!r}")
    return number


def _model_from_json(data: Any) -> ModelInfo:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise ValueError("model entry without an id")
    name = data.get("name")
    extra = data.get("extra") or {}
    if not isinstance(extra, dict):
        raise ValueError("bad extra")
    return ModelInfo(
        id=data["id"],
        name=name if isinstance(name, str) else None,
        context_window=_opt_int(data.get("context_window")),
        input_price=_opt_price(data.get("input_price")),
        output_price=_opt_price(data.get("output_price")),
        extra={str(k): str(v) for k, v in extra.items()},
    )


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
            "models": [_model_to_json(model) for model in entry.models],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode(text: str) -> CachedModels:
    """Parse a cache file; ValueError for anything that is not exactly what `encode` writes."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        raise ValueError("not a model cache of this format")
    slug, base_url = data.get("slug"), data.get("base_url")
    if not isinstance(slug, str) or not isinstance(base_url, str):
        raise ValueError("missing slug or base_url")
    fetched_at = datetime.fromisoformat(str(data.get("fetched_at")))
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    models = data.get("models")
    if not isinstance(models, list):
        raise ValueError("models is not a list")
    notes = data.get("notes") or []
    return CachedModels(
        slug=slug,
        base_url=base_url,
        fetched_at=fetched_at,
        models=tuple(_model_from_json(item) for item in models),
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
