"""Which models a connection offers, asked of the server itself.

* OpenAI-style servers: `GET {base}/models` (OpenRouter's entries carry context length and prices);
  Anthropic-style: `GET {base}/v1/models`, paged. Both are the drivers' `list_models()`.
* Ollama: `GET /api/tags` on the server root lists the pulled models, and `POST /api/show` per model
  gives its context length and `capabilities` — asked concurrently with a small bound, never one
  after another.
* Whether a model can call tools is kept where the server says so, as `extra["tools"]` = "yes" /
  "no" (OpenRouter's `supported_parameters`, read in `openai_chat.model_info_from_item`; Ollama's
  `capabilities`); no request is made only to learn it, and a model without the key is unknown.
  Whether it takes images is kept the same way, as `extra["vision"]` (OpenRouter's
  `architecture.input_modalities`; Ollama's `capabilities` naming "vision"), for the attachment
  check before sending (`chat/attachments.py image_refusal`).
  OpenRouter's per-model cache prices (`pricing.input_cache_read` / `input_cache_write`) are kept
  as `extra["cache_read_price"]` / `extra["cache_write_price"]` (USD per million), which the
  cost of an answer reads (`chat/cost.py answer_cost`).
  Ollama is recognised by its preset, its port (11434), or — for a local server without context
  lengths, or any server without a `/models` list — by probing `/api/tags`.
* A server that has no model list at all (404/405) is not a failure: the connection lives on the
  models typed for it, and the result says so.

This module only fetches; caching and merging with hand-typed models live in `catalog.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from craft_tui.config.protocols import get_protocol
from craft_tui.config.schema import Connection
from craft_tui.config.urls import is_local_host
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.types import Driver, ModelInfo

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

OLLAMA_PORT = 11434
SHOW_CONCURRENCY = 4  # /api/show requests in flight at once
_PROBE_TIMEOUT = 5.0  # seconds; probing must never hold a refresh up for long

DiscoverySource = Literal["models", "ollama", "none"]
NO_LIST_NOTE = "The server has no model list; using the models typed for this connection."


@dataclass(frozen=True, slots=True)
class Discovery:
    """What the server said it offers. `has_model_list` is False when it has no list at all."""

    models: tuple[ModelInfo, ...]
    has_model_list: bool = True
    source: DiscoverySource = "models"
    notes: tuple[str, ...] = ()


def is_local_connection(connection: Connection) -> bool:
    """True for servers on this machine or the LAN (Ollama, LM Studio, llama.cpp, vLLM)."""
    return is_local_host(urlsplit(connection.base_url).hostname or "")


def looks_like_ollama(connection: Connection) -> bool:
    """Ollama by preset or by its well-known port."""
    return connection.preset == "ollama" or urlsplit(connection.base_url).port == OLLAMA_PORT


def server_root(connection: Connection) -> str:
    """Where Ollama's native `/api/*` lives: the base URL without the protocol's own version
    segment (OpenAI's `/v1`; an Anthropic base has none)."""
    return get_protocol(connection.protocol).urls.server_root(connection.base_url)


def ollama_model_id(name: str) -> str:
    """`llama3.2:latest` -> `llama3.2`: Ollama resolves the bare name to the same model."""
    return name[: -len(":latest")] if name.endswith(":latest") else name


DriverFactory = Callable[[Connection, str | None], Driver]
ClientFactory = Callable[[Connection], "httpx.AsyncClient"]


def _default_driver(connection: Connection, api_key: str | None) -> Driver:
    from craft_tui.providers.factory import make_driver

    return make_driver(connection, api_key)


def _default_client(connection: Connection) -> httpx.AsyncClient:
    from craft_tui.providers.http import build_client

    return build_client(connection)


async def discover_models(
    connection: Connection,
    api_key: str | None,
    *,
    make_driver: DriverFactory | None = None,
    make_client: ClientFactory | None = None,
) -> Discovery:
    """Ask the server which models it offers; raise ProviderError when it cannot be asked.

    `make_driver` / `make_client` are seams for tests; the defaults are the real driver factory
    and the shared httpx client builder (same TLS, proxy and timeout settings as chat requests).
    """
    ollama_tried = False
    if looks_like_ollama(connection):
        ollama_tried = True
        found = await _try_ollama(connection, api_key, make_client or _default_client)
        if found is not None:
            return found
    driver = (make_driver or _default_driver)(connection, api_key)
    try:
        models = await driver.list_models()
    except ProviderError as error:
        if error.kind not in {ErrorKind.NO_MODEL_LIST, ErrorKind.ENDPOINT_NOT_FOUND}:
            raise
        if not ollama_tried:
            # A guess, not the user's word: probe without the key (it goes only where asked).
            found = await _try_ollama(connection, None, make_client or _default_client)
            if found is not None:
                return found
        return Discovery((), has_model_list=False, source="none", notes=(NO_LIST_NOTE,))
    finally:
        await driver.aclose()
    if (
        not ollama_tried
        and models
        and is_local_connection(connection)
        and all(model.context_window is None for model in models)
    ):
        # A local server listing bare ids may be Ollama on another port: /api/show knows more.
        found = await _try_ollama(connection, None, make_client or _default_client)
        if found is not None:
            models = _enrich(models, found.models)
    return Discovery(tuple(_dedupe(models)), has_model_list=True, source="models")


def _enrich(models: list[ModelInfo], details: tuple[ModelInfo, ...]) -> list[ModelInfo]:
    """Fill context lengths (and sizes) from Ollama's own list into the server's list, by id."""
    by_id = {ollama_model_id(model.id): model for model in details}
    enriched = []
    for model in models:
        extra = by_id.get(ollama_model_id(model.id))
        if extra is None:
            enriched.append(model)
            continue
        enriched.append(
            ModelInfo(
                id=model.id,
                name=model.name,
                context_window=model.context_window or extra.context_window,
                input_price=model.input_price,
                output_price=model.output_price,
                extra={**extra.extra, **model.extra},
            )
        )
    return enriched


def _dedupe(models: list[ModelInfo]) -> list[ModelInfo]:
    seen: set[str] = set()
    unique = []
    for model in models:
        if model.id not in seen:
            seen.add(model.id)
            unique.append(model)
    return unique


async def _try_ollama(
    connection: Connection, api_key: str | None, make_client: ClientFactory
) -> Discovery | None:
    """Ollama's own list with context lengths, or None when the server is not Ollama."""
    client = make_client(connection)
    try:
        return await _ollama_models(connection, api_key, client)
    except _NotOllama as reason:
        log.debug("%s is not Ollama: %s", connection.slug, reason)
        return None
    finally:
        await client.aclose()


class _NotOllama(Exception):
    """The server did not answer `/api/tags` as Ollama does."""


async def _ollama_models(
    connection: Connection, api_key: str | None, client: httpx.AsyncClient
) -> Discovery:
    import asyncio  # here, not at the top: `craft-tui models` on cached lists imports no asyncio

    import httpx

    root = server_root(connection)
    headers = dict(connection.headers)
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"  # same server as the base URL
    try:
        response = await client.get(f"{root}/api/tags", headers=headers, timeout=_PROBE_TIMEOUT)
    except httpx.HTTPError as error:
        raise _NotOllama(type(error).__name__) from None
    if response.status_code != 200:
        raise _NotOllama(f"status {response.status_code}")
    try:
        payload = response.json()
    except ValueError:
        raise _NotOllama("not JSON") from None
    tags = payload.get("models") if isinstance(payload, dict) else None
    if not isinstance(tags, list):
        raise _NotOllama("no models array")
    names = [
        str(tag.get("name") or tag.get("model"))
        for tag in tags
        if isinstance(tag, dict) and (tag.get("name") or tag.get("model"))
    ]
    details = {
        str(tag.get("name") or tag.get("model")): tag.get("details")
        for tag in tags
        if isinstance(tag, dict)
    }
    limit = asyncio.Semaphore(SHOW_CONCURRENCY)

    async def show(name: str) -> tuple[int | None, dict[str, str]]:
        async with limit:
            return await _ollama_show(client, root, headers, name)

    shown = await asyncio.gather(*(show(name) for name in names))
    models = []
    for name, (context, extra) in zip(names, shown, strict=True):
        models.append(
            ModelInfo(
                id=ollama_model_id(name),
                context_window=context,
                extra={**_ollama_extra(details.get(name)), **extra},
            )
        )
    return Discovery(tuple(_dedupe(models)), has_model_list=True, source="ollama")


async def _ollama_show(
    client: httpx.AsyncClient, root: str, headers: dict[str, str], name: str
) -> tuple[int | None, dict[str, str]]:
    """A model's context length from `/api/show` (`model_info["<arch>.context_length"]`), and
    whether it can call tools and take images (`capabilities`, Ollama 0.6.4+; older servers do
    not say)."""
    import httpx

    try:
        response = await client.post(
            f"{root}/api/show", json={"model": name}, headers=headers, timeout=_PROBE_TIMEOUT
        )
        if response.status_code != 200:
            return None, {}
        payload = response.json()
        info = payload.get("model_info") or {}
        capabilities = payload.get("capabilities")
    except (httpx.HTTPError, ValueError, AttributeError):
        return None, {}
    extra: dict[str, str] = {}
    if isinstance(capabilities, list):
        extra["tools"] = "yes" if "tools" in capabilities else "no"
        extra["vision"] = "yes" if "vision" in capabilities else "no"
    return _context_length(info), extra


def _context_length(info: Any) -> int | None:
    if not isinstance(info, dict):
        return None
    architecture = info.get("general.architecture")
    value = info.get(f"{architecture}.context_length") if architecture else None
    if value is None:
        value = next((v for k, v in info.items() if str(k).endswith(".context_length")), None)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _ollama_extra(details: Any) -> dict[str, str]:
    if not isinstance(details, dict):
        return {}
    wanted = {"parameter_size": "parameters", "quantization_level": "quantization"}
    return {label: str(details[key]) for key, label in wanted.items() if details.get(key)}


Fetcher = Callable[[Connection, str | None], Awaitable[Discovery]]
