"""`settings.max_answer_mb`: how much one answer may hold (the drivers stop the stream there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from craft_tui.config.schema import Settings
from craft_tui.config.store import ConfigError, parse_config

FILE = Path("/home/someone/.config/craft-tui/config.toml")


def test_the_default_is_four_megabytes() -> None:
    assert Settings().max_answer_mb == 4.0
    assert Settings().max_answer_bytes == 4 * 1024 * 1024


def test_a_fraction_of_a_megabyte_is_allowed() -> None:
    config = parse_config("[settings]\nmax_answer_mb = 0.25\n", FILE)
    assert config.settings.max_answer_bytes == 256 * 1024


@pytest.mark.parametrize("value", ["0", "-1", '"lots"'])
def test_a_cap_that_is_not_a_positive_number_names_its_line(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(f'[settings]\ntheme = "nord"\nmax_answer_mb = {value}\n', FILE)
    message = str(caught.value)
    assert "line 3" in message
    assert "settings.max_answer_mb" in message
