"""The on-disk model cache: round trips, staleness, and damage that must never be fatal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from craft_tui.providers.model_cache import (
    CachedModels,
    cache_path,
    delete_cached,
    load_cached,
    save_cached,
)
from craft_tui.providers.types import ModelInfo
from tests.discovery.conftest import make_connection

CONNECTION = make_connection("router", "https://llm.example.com/v1")
FETCHED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _entry(**changes: object) -> CachedModels:
    data: dict[str, object] = {
        "slug": "router",
        "base_url": CONNECTION.base_url,
        "fetched_at": FETCHED,
        "models": (
            ModelInfo("vendor/big", "Big", 200_000, 3.0, 15.0),
            ModelInfo("vendor/small", extra={"parameters": "8B"}),
        ),
    }
    data.update(changes)
    return CachedModels(**data)  # type: ignore[arg-type]


def test_a_saved_list_loads_back_whole(isolated_home: Path) -> None:
    save_cached(_entry())
    assert cache_path("router") == isolated_home / "cache" / "models" / "router.json"
    loaded = load_cached(CONNECTION)
    assert loaded == _entry()
    assert oct(cache_path("router").stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in cache_path("router").parent.iterdir()] == ["router.json"]


def test_no_cache_is_none() -> None:
    assert load_cached(CONNECTION) is None


@pytest.mark.parametrize(
    "damage",
    [
        "",
        "{not json",
        '{"format": 1, "slug": "router"',
        "[]",
        '{"format": 99}',
        json.dumps({"format": 1, "slug": "router", "base_url": "x", "fetched_at": "yesterday"}),
        json.dumps(
            {
                "format": 1,
                "slug": "router",
                "base_url": "https://llm.example.com/v1",
                "fetched_at": "2026-01-01T00:00:00+00:00",
                "models": [{"id": "ok"}, {"id": "bad", "context_window": "huge"}],
            }
        ),
        json.dumps(
            {
                "format": 1,
                "slug": "router",
                "base_url": "https://llm.example.com/v1",
                "fetched_at": "2026-01-01T00:00:00+00:00",
                "models": [{"id": "neg", "input_price": -1}],
            }
        ),
    ],
)
def test_a_damaged_cache_is_ignored(damage: str) -> None:
    path = cache_path("router")
    path.parent.mkdir(parents=True)
    path.write_text(damage)
    assert load_cached(CONNECTION) is None


def test_binary_garbage_is_ignored() -> None:
    path = cache_path("router")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\xff\xfe\x00garbage\x80")
    assert load_cached(CONNECTION) is None


def test_a_list_from_another_base_url_is_not_this_connections() -> None:
    save_cached(_entry(base_url="https://old.example.com/v1"))
    assert load_cached(CONNECTION) is None


def test_staleness_follows_the_setting() -> None:
    entry = _entry()
    assert not entry.is_stale(24, now=FETCHED + timedelta(hours=23))
    assert entry.is_stale(24, now=FETCHED + timedelta(hours=24))
    assert entry.is_stale(0, now=FETCHED)


def test_a_server_without_a_list_is_remembered() -> None:
    save_cached(_entry(models=(), has_model_list=False, source="none"))
    loaded = load_cached(CONNECTION)
    assert loaded is not None and not loaded.has_model_list and loaded.models == ()


def test_delete_forgets_and_tolerates_absence() -> None:
    save_cached(_entry())
    delete_cached("router")
    delete_cached("router")
    assert load_cached(CONNECTION) is None


def _file(models: object, format: int = 2) -> str:
    return json.dumps(
        {
            "format": format,
            "slug": "router",
            "base_url": CONNECTION.base_url,
            "fetched_at": FETCHED.isoformat(),
            "models": models,
        }
    )


def test_a_cache_written_by_the_previous_version_still_loads() -> None:
    """Format 1 (one object per model) is read as before, so an upgrade keeps every list."""
    path = cache_path("router")
    path.parent.mkdir(parents=True)
    path.write_text(
        _file(
            [
                {"id": "vendor/big", "name": "Big", "context_window": 200_000,
                 "input_price": 3, "output_price": 15.0},
                {"id": "vendor/small", "extra": {"parameters": "8B"}},
            ],
            format=1,
        )
    )  # fmt: skip
    assert load_cached(CONNECTION) == _entry()


def test_the_file_holds_the_models_by_column() -> None:
    save_cached(_entry())
    models = json.loads(cache_path("router").read_text())["models"]
    assert models["id"] == ["vendor/big", "vendor/small"]
    assert models["input_price"] == [3.0, None]
    assert models["extra"] == [None, {"parameters": "8B"}]


def test_a_field_no_model_has_is_left_out_and_reads_back_empty() -> None:
    models = (ModelInfo("vendor/big", "Big", 200_000, 3.0, 15.0), ModelInfo("vendor/small"))
    save_cached(_entry(models=models))
    stored = json.loads(cache_path("router").read_text())["models"]
    assert sorted(stored) == ["context_window", "id", "input_price", "name", "output_price"]
    loaded = load_cached(CONNECTION)
    assert loaded is not None and loaded.models == models
    assert loaded.models[1].extra == {} and loaded.models[1].name is None


@pytest.mark.parametrize(
    "columns",
    [
        {"id": ["ok", "bad"], "context_window": [8192, "huge"]},
        {"id": ["neg"], "input_price": [-1.0]},
        {"id": ["nan"], "output_price": [float("nan")]},
        {"id": ["a", "b"], "name": ["A"]},  # columns of different lengths
        {"id": ["a", ""]},
        {"id": ["a"], "extra": ["not a table"]},
        [{"id": "rows where columns belong"}],
    ],
)
def test_a_damaged_column_is_ignored(columns: object) -> None:
    path = cache_path("router")
    path.parent.mkdir(parents=True)
    path.write_text(_file(columns))
    assert load_cached(CONNECTION) is None


def test_fifty_thousand_models_load_back_whole() -> None:
    """The column-at-a-time check reads the same models as the model-by-model one."""
    models = tuple(
        ModelInfo(f"vendor/model-{n}", f"Model {n}", 8192 * (1 + n % 4), n % 7 * 0.5, None)
        for n in range(50_000)
    )
    save_cached(_entry(models=models))
    loaded = load_cached(CONNECTION)
    assert loaded is not None and loaded.models == models
    assert loaded.models[49_999] == models[49_999]
