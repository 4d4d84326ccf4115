"""First-run detection: what could this person connect to right now, without typing anything?

Two sources, both cheap. Local servers (Ollama at `OLLAMA_HOST` or localhost:11434, LM Studio at
:1234) are probed concurrently with short timeouts, so a machine with nothing running answers in
well under a second. Provider keys already exported in the environment (`OPENROUTER_API_KEY`, …)
are offered for their own provider only, and a connection made from one stores the variable's
*name*, never its value. Nothing here knows Textual; targets are injectable so tests can point the
probes at loopback servers on random ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from craft_tui.config.presets import PRESETS, get_preset, ollama_base_from_host
from craft_tui.config.schema import Connection, ModelEntry, make_auth, slugify
from craft_tui.config.urls import Protocol, is_local_host, models_url

ProbeKind = Literal["ollama", "openai"]
DEFAULT_TIMEOUT = 1.5
_MAX_MODELS = 200


@dataclass(frozen=True)
class LocalTarget:
    """A local server to look for: which preset it is, its OpenAI base URL, how to ask it."""

    preset_id: str
    base_url: str
    kind: ProbeKind


@dataclass(frozen=True)
class Finding:
    """Something a connection can be made from, as the first-run screen offers it.

    `key_env` is the variable holding the key (never the key itself); `models` are the ids a local
    server reported, so the new connection is usable at once.
    """

    preset_id: str
    label: str
    protocol: Protocol
    base_url: str
    source: Literal["local", "env"]
    detail: str
    key_env: str | None = None
    models: tuple[str, ...] = field(default_factory=tuple)

    def to_connection(self, taken_slugs: Sequence[str] = ()) -> Connection:
        """The connection this finding stands for, with a slug not in `taken_slugs`."""
        preset = get_preset(self.preset_id)
        base = slugify(preset.label) or preset.id
        slug, name, number = base, preset.label, 1
        while slug in taken_slugs:
            number += 1
            slug, name = f"{base}-{number}", f"{preset.label} {number}"
        if self.key_env is None:
            auth = make_auth("none")
        else:
            auth = make_auth("api_key" if preset.auth == "none" else preset.auth, self.key_env)
        return Connection(
            slug=slug,
            name=name,
            protocol=self.protocol,
            preset=preset.id,
            base_url=self.base_url,
            auth=auth,
            models=[ModelEntry(id=model_id) for model_id in self.models],
            headers=dict(preset.headers),
        )


def default_local_targets(environ: Mapping[str, str] | None = None) -> list[LocalTarget]:
    """Ollama (honouring `OLLAMA_HOST`) and LM Studio on their usual ports."""
    environ = os.environ if environ is None else environ
    host = environ.get("OLLAMA_HOST", "").strip()
    ollama = get_preset("ollama").base_url
    if host:
        # A malformed OLLAMA_HOST: look at the usual place instead.
        with contextlib.suppress(ValueError):
            ollama = ollama_base_from_host(host)
    return [
        LocalTarget("ollama", ollama, "ollama"),
        LocalTarget("lmstudio", get_preset("lmstudio").base_url, "openai"),
    ]


def env_key_presets() -> dict[str, str]:
    """Environment variable -> the one preset its key belongs to (the provider's native protocol)."""
    mapping: dict[str, str] = {}
    for preset in PRESETS:
        if preset.key_env and preset.key_env not in mapping:
            mapping[preset.key_env] = preset.id
    return mapping


def find_env_keys(environ: Mapping[str, str] | None = None) -> list[Finding]:
    """Provider keys present in the environment, each offered only for its own provider."""
    environ = os.environ if environ is None else environ
    found = []
    for variable, preset_id in env_key_presets().items():
        if not environ.get(variable, "").strip():
            continue
        preset = get_preset(preset_id)
        found.append(
            Finding(
                preset_id=preset.id,
                label=preset.label,
                protocol=preset.protocol,
                base_url=preset.base_url,
                source="env",
                detail=f"key in ${variable}",
                key_env=variable,
            )
        )
    return found


def _root(base_url: str) -> str:
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}"


def _model_ids(payload: Any, kind: ProbeKind) -> list[str] | None:
    """Model ids from `/api/tags` (`models[].name`) or `/v1/models` (`data[].id`); None if neither."""
    if not isinstance(payload, dict):
        return None
    items = payload.get("models") if kind == "ollama" else payload.get("data")
    if not isinstance(items, list):
        return None
    key = "name" if kind == "ollama" else "id"
    ids = [str(item[key]) for item in items if isinstance(item, dict) and item.get(key)]
    return ids[:_MAX_MODELS]


async def probe(target: LocalTarget, timeout: float = DEFAULT_TIMEOUT) -> Finding | None:
    """Ask one local server for its models; None when nothing usable answers in time."""
    preset = get_preset(target.preset_id)
    url = (
        _root(target.base_url) + "/api/tags"
        if target.kind == "ollama"
        else models_url(preset.protocol, target.base_url)
    )
    host = urlsplit(url).hostname or ""
    try:
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), trust_env=not is_local_host(host)
        ) as client:
            response = await client.get(url)
            if response.status_code != 200:
                return None
            models = _model_ids(response.json(), target.kind)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError):
        return None
    if models is None:
        return None
    count = len(models)
    detail = f"answering at {_root(target.base_url)}, {count} model{'s' if count != 1 else ''}"
    if count == 0 and target.kind == "ollama":
        detail += " (pull one: ollama pull llama3.2)"
    return Finding(
        preset_id=preset.id,
        label=preset.label,
        protocol=preset.protocol,
        base_url=target.base_url,
        source="local",
        detail=detail,
        models=tuple(models),
    )


async def detect(
    environ: Mapping[str, str] | None = None,
    targets: Sequence[LocalTarget] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Finding]:
    """Everything found: local servers first (they need no key), then environment keys."""
    targets = default_local_targets(environ) if targets is None else targets
    probed = await asyncio.gather(*(probe(target, timeout) for target in targets))
    return [finding for finding in probed if finding is not None] + find_env_keys(environ)
