"""Discovery keeps whether a model takes images (`ModelInfo.extra["vision"]`, issue 19), from what
the server already says: OpenRouter's `architecture.input_modalities`, Ollama's `capabilities`."""

from __future__ import annotations

from craft_tui.providers.discovery import discover_models
from tests.providers.conftest import connection_for
from tests.servers import FakeModel
from tests.servers.fixtures import ServerFactory


async def test_openrouter_input_modalities_mark_vision_models(fake_server: ServerFactory) -> None:
    models = [FakeModel("openai/gpt-x", vision=True), FakeModel("vendor/plain")]
    server = fake_server(models=models, model_list="openrouter")
    found = await discover_models(connection_for(server), None)
    assert [(m.id, m.extra.get("vision")) for m in found.models] == [
        ("openai/gpt-x", "yes"),
        ("vendor/plain", "no"),
    ]


async def test_ollama_capabilities_name_vision(fake_server: ServerFactory) -> None:
    models = [FakeModel("llava:7b", 4096, vision=True), FakeModel("gemma:2b", 8192)]
    server = fake_server(models=models)
    found = await discover_models(connection_for(server, preset="ollama"), None)
    assert [(m.id, m.extra.get("vision")) for m in found.models] == [
        ("llava:7b", "yes"),
        ("gemma:2b", "no"),
    ]


async def test_a_list_that_does_not_say_leaves_vision_unknown(fake_server: ServerFactory) -> None:
    server = fake_server(model_list="llamacpp")
    found = await discover_models(connection_for(server), None)
    assert found.models and all("vision" not in m.extra for m in found.models)
