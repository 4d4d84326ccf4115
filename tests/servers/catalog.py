"""Model lists the fake servers serve, and their wire shapes for each kind of server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FakeModel:
    """A model the fake server offers; prices in USD per million tokens (as users think of them)."""

    id: str
    name: str | None = None
    context_window: int | None = None
    input_price: float | None = None
    output_price: float | None = None
    tools: bool = False  # said by OpenRouter's supported_parameters and Ollama's capabilities
    vision: bool = False  # takes images: OpenRouter's input_modalities, Ollama's capabilities
    cache_read_price: float | None = None  # OpenRouter's pricing.input_cache_read, when listed
    cache_write_price: float | None = None  # and pricing.input_cache_write


DEFAULT_MODELS = (
    FakeModel("fake-small", "Fake Small", 8192, 0.5, 1.5),
    FakeModel("fake-large", "Fake Large", 128000, 3.0, 15.0),
)


def openrouter_models(count: int) -> list[FakeModel]:
    """`count` OpenRouter-like models with vendor prefixes, context lengths and prices."""
    vendors = ("anthropic", "openai", "meta-llama", "google", "mistralai", "qwen", "deepseek")
    models = []
    for index in range(count):
        vendor = vendors[index % len(vendors)]
        models.append(
            FakeModel(
                id=f"{vendor}/model-{index:03d}",
                name=f"{vendor.title()}: Model {index}",
                context_window=4096 * (1 + index % 32),
                input_price=round(0.1 * (1 + index % 10), 2),
                output_price=round(0.4 * (1 + index % 10), 2),
            )
        )
    return models


def _per_token(price: float | None) -> str:
    return "0" if price is None else f"{price / 1_000_000:.10f}".rstrip("0").rstrip(".")


def _cache_prices(model: FakeModel) -> dict[str, str]:
    """OpenRouter lists cache prices only for models whose providers bill them."""
    prices = {}
    if model.cache_read_price is not None:
        prices["input_cache_read"] = _per_token(model.cache_read_price)
    if model.cache_write_price is not None:
        prices["input_cache_write"] = _per_token(model.cache_write_price)
    return prices


def openai_list(models: list[FakeModel]) -> dict[str, Any]:
    """Plain OpenAI `/v1/models`: ids only."""
    return {
        "object": "list",
        "data": [
            {"id": m.id, "object": "model", "created": 1_700_000_000, "owned_by": "fake"}
            for m in models
        ],
    }


def openrouter_list(models: list[FakeModel]) -> dict[str, Any]:
    """OpenRouter `/api/v1/models`: context_length and per-token prices as strings."""
    return {
        "data": [
            {
                "id": m.id,
                "canonical_slug": m.id,
                "name": m.name or m.id,
                "created": 1_700_000_000,
                "context_length": m.context_window,
                "architecture": {
                    "modality": "text+image->text" if m.vision else "text->text",
                    "input_modalities": ["text", "image"] if m.vision else ["text"],
                    "output_modalities": ["text"],
                    "tokenizer": "Other",
                },
                "pricing": {
                    "prompt": _per_token(m.input_price),
                    "completion": _per_token(m.output_price),
                    "request": "0",
                    "image": "0",
                    **_cache_prices(m),
                },
                "top_provider": {"context_length": m.context_window, "is_moderated": False},
                "supported_parameters": ["max_tokens", "temperature"]
                + (["tools", "tool_choice"] if m.tools else []),
            }
            for m in models
        ]
    }


def llamacpp_list(models: list[FakeModel]) -> dict[str, Any]:
    """llama.cpp / Ollama-style: a `models` array beside the OpenAI `data` array."""
    return {
        "models": [
            {"name": m.id, "model": m.id, "modified_at": "", "size": "", "details": {}}
            for m in models
        ],
        "object": "list",
        "data": [
            {
                "id": m.id,
                "object": "model",
                "created": 1_700_000_000,
                "owned_by": "llamacpp",
                "meta": {"n_ctx_train": m.context_window},
            }
            for m in models
        ],
    }


def anthropic_page(models: list[FakeModel], *, after_id: str | None, limit: int) -> dict[str, Any]:
    """One page of Anthropic `/v1/models`, paged with `after_id`/`limit`, `has_more`/`last_id`."""
    start = 0
    if after_id is not None:
        ids = [m.id for m in models]
        start = ids.index(after_id) + 1 if after_id in ids else len(models)
    page = models[start : start + limit]
    return {
        "data": [
            {
                "type": "model",
                "id": m.id,
                "display_name": m.name or m.id,
                "created_at": "2025-05-14T00:00:00Z",
            }
            for m in page
        ],
        "has_more": start + limit < len(models),
        "first_id": page[0].id if page else None,
        "last_id": page[-1].id if page else None,
    }


def ollama_tags(models: list[FakeModel]) -> dict[str, Any]:
    """Ollama `/api/tags`."""
    return {
        "models": [
            {
                "name": m.id,
                "model": m.id,
                "modified_at": "2025-06-01T10:00:00.000000000Z",
                "size": 2019393189,
                "digest": "a80c4f17acd5" + "0" * 52,
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "llama",
                    "families": ["llama"],
                    "parameter_size": "3.2B",
                    "quantization_level": "Q4_K_M",
                },
            }
            for m in models
        ]
    }


def ollama_show(model: FakeModel) -> dict[str, Any]:
    """Ollama `/api/show` for one model: context length sits in `model_info`."""
    info: dict[str, Any] = {"general.architecture": "llama", "general.parameter_count": 3212749888}
    if model.context_window is not None:
        info["llama.context_length"] = model.context_window
    return {
        "modelfile": "# Modelfile generated by fake",
        "parameters": 'stop "<|eot_id|>"',
        "template": "{{ .Prompt }}",
        "details": {"format": "gguf", "family": "llama", "parameter_size": "3.2B"},
        "model_info": info,
        "capabilities": ["completion"]
        + (["tools"] if model.tools else [])
        + (["vision"] if model.vision else []),
    }
