"""Loading and filtering 5,000 cached models: what the model picker and `craft-tui models` pay.

    .venv/bin/python benchmarks/bench_model_catalog.py [--models 5000] [--repeat 15]

Builds a throwaway CRAFT_TUI_HOME with three connections whose cached lists hold `--models`
OpenRouter-like models in total, then prints medians of:
  * loading the catalog from the caches (read JSON, merge with typed models, price every entry);
  * filtering per keystroke while "cl so 4" is typed one character at a time (fresh index each
    repeat, so the first keystroke scans everything), with and without a 200-row limit;
  * one cold scan for a query typed in one go;
  * `craft-tui models cl so 4` end to end in a subprocess (Python start-up included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

FAMILIES = {
    "anthropic": ["claude-opus-4.5", "claude-sonnet-4.5", "claude-haiku-4.5", "claude-opus-4.1",
                  "claude-sonnet-4", "claude-3.7-sonnet", "claude-3.5-haiku", "claude-3-haiku"],
    "openai": ["gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4o",
               "gpt-4o-mini", "o3", "o4-mini", "o3-mini", "gpt-oss-120b"],
    "google": ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash-001", "gemma-3-27b-it"],
    "meta-llama": ["llama-3.3-70b-instruct", "llama-3.1-8b-instruct", "llama-4-maverick",
                   "llama-4-scout"],
    "mistralai": ["mistral-large-2411", "mistral-small-3.2-24b-instruct", "codestral-2508",
                  "devstral-medium", "ministral-8b"],
    "qwen": ["qwen3-235b-a22b", "qwen3-coder", "qwen-2.5-72b-instruct", "qwq-32b"],
    "deepseek": ["deepseek-chat-v3.1", "deepseek-r1", "deepseek-v3.2-exp"],
    "x-ai": ["grok-4", "grok-4-fast", "grok-code-fast-1", "grok-3-mini"],
    "cohere": ["command-r-plus-08-2024", "command-a"],
    "nvidia": ["llama-3.1-nemotron-70b-instruct"],
    "microsoft": ["phi-4", "phi-4-reasoning-plus"],
}  # fmt: skip
VARIANTS = ["", ":free", ":thinking", "-preview", "-20250929", ":beta", ":extended", "-latest"]
QUERY = "cl so 4"


def gateway_models(count: int) -> list[tuple[str, str, int, float, float]]:
    """(id, name, context, input $/1M, output $/1M), realistic ids repeated with variants."""
    pairs = [(vendor, family) for vendor, families in FAMILIES.items() for family in families]
    models = []
    for index in range(count):
        vendor, family = pairs[index % len(pairs)]
        variant = VARIANTS[(index // len(pairs)) % len(VARIANTS)]
        revision = index // (len(pairs) * len(VARIANTS))
        model_id = f"{vendor}/{family}{variant}" + (f"-r{revision}" if revision else "")
        name = f"{vendor.split('-')[0].title()}: {family.replace('-', ' ').title()}"
        context = [8192, 32768, 131072, 200_000, 1_000_000][index % 5]
        models.append((model_id, name, context, 0.1 * (1 + index % 30), 0.4 * (1 + index % 30)))
    return models


def setup_home(home: Path, total: int) -> None:
    os.environ["CRAFT_TUI_HOME"] = str(home)
    from craft_tui.config.schema import Config, Connection, ModelEntry, NoAuth
    from craft_tui.config.store import save_config
    from craft_tui.providers.model_cache import CachedModels, save_cached
    from craft_tui.providers.types import ModelInfo

    native = [m for m in FAMILIES["anthropic"]]
    local = [f"local-model-{i}:7b" for i in range(40)]
    gateway = gateway_models(max(total - len(native) - len(local), 0))
    connections = [
        Connection(slug="openrouter", name="OpenRouter", protocol="openai",
                   base_url="https://openrouter.ai/api/v1", auth=NoAuth(),
                   models=[ModelEntry(id=gateway[0][0])]),
        Connection(slug="anthropic", name="Anthropic", protocol="anthropic",
                   base_url="https://api.anthropic.com", auth=NoAuth()),
        Connection(slug="ollama", name="Ollama", protocol="openai", preset="ollama",
                   base_url="http://localhost:11434/v1", auth=NoAuth()),
    ]  # fmt: skip
    save_config(Config(connections=connections))
    now = datetime.now(UTC)
    lists = {
        "openrouter": [ModelInfo(i, n, c, p, q) for i, n, c, p, q in gateway],
        "anthropic": [ModelInfo(f"{m.replace('.', '-')}-20250929", m) for m in native],
        "ollama": [ModelInfo(m, context_window=32768) for m in local],
    }
    for connection in connections:
        save_cached(
            CachedModels(connection.slug, connection.base_url, now, tuple(lists[connection.slug]))
        )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="craft-bench-") as folder:
        home = Path(folder)
        setup_home(home, args.models)
        from craft_tui.config.store import load_config
        from craft_tui.fuzzy import FuzzyIndex
        from craft_tui.providers.catalog import ModelCatalog

        config = load_config()
        loads, indexes = [], []
        catalog = ModelCatalog(config)
        for _ in range(args.repeat):
            start = time.perf_counter()
            catalog = ModelCatalog(config)
            entries = catalog.entries
            loads.append(time.perf_counter() - start)
            start = time.perf_counter()
            texts = [entry.search_text for entry in entries]
            FuzzyIndex(texts)
            indexes.append(time.perf_counter() - start)

        def typing(limit: int | None) -> list[list[float]]:
            per_key: list[list[float]] = [[] for _ in QUERY]
            for _ in range(args.repeat):
                index = FuzzyIndex(texts)
                for length in range(1, len(QUERY) + 1):
                    start = time.perf_counter()
                    found = index.search(QUERY[:length], limit)
                    if found:
                        found[0].positions  # noqa: B018 - the picker highlights the rows it shows
                    per_key[length - 1].append(time.perf_counter() - start)
            return per_key

        unlimited, limited = typing(None), typing(200)
        cold = []
        for _ in range(args.repeat):
            index = FuzzyIndex(texts)
            start = time.perf_counter()
            index.search(QUERY)
            cold.append(time.perf_counter() - start)
        matches = len(FuzzyIndex(texts).search(QUERY))

        env = {**os.environ, "CRAFT_TUI_HOME": str(home)}
        cli = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "craft_tui", "models", QUERY],
                env=env, capture_output=True, check=True, timeout=120,
            )  # fmt: skip
            cli.append(time.perf_counter() - start)

    median = statistics.median
    print(f"model catalog: {len(entries)} cached models over 3 connections, "
          f"median of {args.repeat} (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")  # fmt: skip
    print(f"  load catalog from cache (read, merge, price)  {ms(median(loads))}")
    print(f"  build the fuzzy index                          {ms(median(indexes))}")
    for label, per_key in (("all matches", unlimited), ("best 200", limited)):
        keys = [median(times) for times in per_key]
        print(f"  typing {QUERY!r}, {label:<11} per keystroke: median {ms(median(keys))}, "
              f"worst key {ms(max(keys))}")  # fmt: skip
        print(
            "      " + "  ".join(f"{QUERY[: i + 1]!r}:{k * 1000:.2f}" for i, k in enumerate(keys))
        )
    print(f"  {QUERY!r} typed in one go (cold scan)           {ms(median(cold))}  "
          f"({matches} matches)")  # fmt: skip
    print(f"  `craft-tui models {QUERY}` end to end          {ms(median(cli))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
