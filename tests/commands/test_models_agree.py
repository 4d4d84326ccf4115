"""The model picker and `craft-tui models` show the same models of a connection, with the same
context and price labels: one function decides each (`providers/catalog.py`)."""

from __future__ import annotations

import io
import re
import sys
from datetime import UTC, datetime

import pytest

from craft_tui.cli import main
from craft_tui.config.schema import Config, Connection, ModelEntry, NoAuth
from craft_tui.config.store import save_config
from craft_tui.providers.catalog import context_label, price_label, price_labels
from craft_tui.providers.model_cache import CachedModels, save_cached
from craft_tui.providers.types import ModelInfo
from craft_tui.ui.screens.model_picker import ModelPickerScreen
from tests.ui.test_model_picker import Host, shown

# A gateway on this machine that lists prices (an OpenRouter-style list on loopback), with
# models typed in config.toml beside the ones it lists.
BASE = "http://127.0.0.1:9/v1"  # never asked: the list is cached and fresh
TYPED = [
    ModelEntry(id="llama3.2"),
    ModelEntry(id="llama3.2:latest"),  # listed by config.toml: shown, though Ollama-alike
    ModelEntry(id="typed-only", context_window=200_000),
]
LISTED = (
    ModelInfo("priced/model", context_window=128_000, input_price=0.10, output_price=0.40),
    ModelInfo("big/model", context_window=131_072, input_price=3.0, output_price=15.0),
    ModelInfo("llama3.2:latest", context_window=131_072),
    ModelInfo("free/model", context_window=8_192, input_price=0.0, output_price=0.0),
    ModelInfo("huge/model", context_window=1_048_576, input_price=1.25, output_price=10.0),
)
EXPECTED_MODELS = {
    "llama3.2",
    "llama3.2:latest",
    "typed-only",
    "priced/model",
    "big/model",
    "free/model",
    "huge/model",
}


def setup() -> None:
    connection = Connection(
        slug="gw", name="Gateway", protocol="openai", base_url=BASE, auth=NoAuth(), models=TYPED
    )
    save_config(Config(connections=[connection]))
    save_cached(CachedModels(slug="gw", base_url=BASE, fetched_at=datetime.now(UTC), models=LISTED))


def cli_rows(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, tuple[str, str]]:
    """model id -> (context, price) as `craft-tui models` prints them (in/out joined)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["models"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    rows: dict[str, tuple[str, str]] = {}
    for line in out.splitlines()[1:]:
        _, model, context, inp, outp = re.split(r"\s{2,}", line.strip())
        rows[model.removesuffix(" *")] = (
            context,
            inp if inp == outp and not inp.startswith("$") else f"{inp}/{outp}",
        )
    return rows


async def picker_rows() -> dict[str, tuple[str, str]]:
    """model id -> (context, price) as the picker's rows show them."""
    app = Host(ModelPickerScreen(None, recent=[], refresh_lists=False))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        rows = shown(app)
    found: dict[str, tuple[str, str]] = {}
    for row in rows:
        words = row.split()
        model = next(word for word in words if word in EXPECTED_MODELS)
        found[model] = (words[-2], words[-1])
    return found


async def test_the_picker_and_the_cli_agree(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    setup()
    cli = cli_rows(capsys, monkeypatch)
    picker = await picker_rows()
    assert set(cli) == EXPECTED_MODELS  # every model config.toml lists, and the server's others
    assert picker == cli
    assert cli["priced/model"] == ("128K", "$0.10/$0.40")  # a listed price wins over "local"
    assert cli["big/model"] == ("128K", "$3/$15")
    assert cli["huge/model"] == ("1M", "$1.25/$10")
    assert cli["free/model"] == ("8K", "free")
    assert cli["llama3.2"] == ("128K", "local")
    assert cli["typed-only"] == ("200K", "local")


@pytest.mark.parametrize(
    ("tokens", "label"),
    [
        (128_000, "128K"),
        (131_072, "128K"),
        (200_000, "200K"),
        (1_000_000, "1M"),
        (1_048_576, "1M"),
        (163_840, "160K"),
        (8_192, "8K"),
        (1_500_000, "1.5M"),
        (512, "512"),
        (None, "—"),
    ],
)
def test_context_label(tokens: int | None, label: str) -> None:
    assert context_label(tokens) == label


def test_price_labels() -> None:
    assert price_labels(0.10, 0.40, local=True) == ("$0.10", "$0.40")
    assert price_label(0.10, 0.40, local=True) == "$0.10/$0.40"
    assert price_label(None, None, local=True) == "local"
    assert price_label(None, None, local=False) == "—"
    assert price_label(0, 0, local=False) == "free"
    assert price_label(0.075, 0.3, local=False) == "$0.075/$0.30"
