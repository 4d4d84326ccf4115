"""The first frame's preview of config.toml agrees with the validated Config it stands in for."""

from __future__ import annotations

from typing import Any

import pytest

from craft_tui.config.preview import ConfigPreview, preview_config
from craft_tui.config.schema import Config


def connection(slug: str, **extra: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "name": slug.title(),
        "protocol": "openai",
        "base_url": f"http://127.0.0.1:9/{slug}/v1",
        "auth": {"type": "none"},
        **extra,
    }


CONFIGS: list[dict[str, Any]] = [
    {},
    {"settings": {"theme": "nord", "keymap": {"pick_model": "f2"}}},
    {"connections": [connection("a", models=["m1", "m2"]), connection("b", models=["x"])]},
    {
        "settings": {"default_connection": "b"},
        "connections": [connection("a", models=["m1"]), connection("b", models=["x", "y"])],
    },
    {"connections": [connection("a", models=[{"id": "t1", "context_window": 8}, "t2"])]},
    {"connections": [connection("a", models=["m1"], default_model="other")]},
    {"connections": [connection("a")]},
]


@pytest.mark.parametrize("data", CONFIGS)
def test_preview_shows_what_the_validated_config_will(data: dict[str, Any]) -> None:
    config = Config.model_validate(data)
    preview = preview_config(data)
    default = config.default_connection
    assert preview.connection_name == (default.name if default else None)
    assert preview.model == (default.effective_default_model if default else None)
    assert preview.theme == data.get("settings", {}).get("theme")
    assert preview.keymap == config.settings.keymap


@pytest.mark.parametrize(
    "data",
    [
        {"settings": "dark", "connections": "none"},
        {"settings": {"theme": 3, "keymap": ["f2"]}, "connections": [1, "a"]},
        {"settings": {"keymap": {"pick_model": 2}}, "connections": [{"models": [{"id": 5}]}]},
        {"connections": [{"name": 7, "models": "m1", "default_model": ""}]},
    ],
)
def test_a_malformed_file_previews_as_nothing_instead_of_failing(data: dict[str, Any]) -> None:
    preview = preview_config(data)
    assert preview.theme is None and preview.keymap == {}
    assert preview.connection_name is None and preview.model is None
    assert isinstance(preview, ConfigPreview)
