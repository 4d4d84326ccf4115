"""`check_connection` step by step, as the connections screen consumes it."""

from __future__ import annotations

from craft_tui.providers.check import CheckStep, check_connection
from craft_tui.providers.errors import ErrorKind
from tests.providers.conftest import KEY, connection_for
from tests.servers import FakeLLMServer


async def _steps(connection: object, key: str | None) -> list[CheckStep]:
    return [step async for step in check_connection(connection, key)]  # type: ignore[arg-type]


async def test_all_steps_pass_on_a_working_anthropic_server(fake_anthropic: FakeLLMServer) -> None:
    steps = await _steps(connection_for(fake_anthropic), KEY)
    assert [(s.name, s.ok) for s in steps] == [("models", True), ("answer", True)]
    assert fake_anthropic.chat_requests[-1].json["max_tokens"] == 1


async def test_no_default_model_skips_the_answer_step(fake_openai: FakeLLMServer) -> None:
    steps = await _steps(connection_for(fake_openai, models=[]), KEY)
    assert [(s.name, s.ok) for s in steps] == [("models", True), ("answer", True)]
    assert "No default model" in steps[1].detail
    assert fake_openai.chat_requests == []


async def test_model_list_failure_stops_with_the_error(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(require_key="other-key-00000000")
    steps = await _steps(connection_for(fake_openai), KEY)
    assert len(steps) == 1 and not steps[0].ok
    assert steps[0].error is not None and steps[0].error.kind is ErrorKind.AUTHENTICATION


async def test_answer_failure_is_reported_after_a_good_list(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(error="ollama_404_model")
    steps = await _steps(connection_for(fake_openai), KEY)
    assert [(s.name, s.ok) for s in steps] == [("models", True), ("answer", False)]
    assert steps[1].error is not None and steps[1].error.kind is ErrorKind.MODEL_NOT_FOUND


async def test_wrong_base_gets_a_verified_fix(
    fake_server: object,
) -> None:
    server: FakeLLMServer = fake_server(prefix="/api")  # type: ignore[operator]
    base = server.root_url + "/api"
    steps = await _steps(connection_for(server, base_url=base), KEY)
    assert [(s.name, s.ok) for s in steps] == [("models", True), ("answer", False)]
    assert f"one answers at {base}/v1" in steps[0].detail
    error = steps[1].error
    assert error is not None and error.kind is ErrorKind.ENDPOINT_NOT_FOUND
    assert error.suggested_base_url == base + "/v1"
    assert f"the API answers at {base}/v1" in error.message
    assert all(r.path.startswith("/api") for r in server.requests)  # same server, other paths

    only_list = await _steps(connection_for(server, base_url=base, models=[]), KEY)
    assert [(s.name, s.ok) for s in only_list] == [("models", False)]
    assert only_list[0].error is not None
    assert only_list[0].error.suggested_base_url == base + "/v1"


async def test_server_without_list_and_no_better_base_passes_the_list_step(
    fake_openai: FakeLLMServer,
) -> None:
    fake_openai.configure(model_list=None)
    steps = await _steps(connection_for(fake_openai), KEY)
    assert [(s.name, s.ok) for s in steps] == [("models", True), ("answer", True)]
    assert "No model list" in steps[0].detail


async def test_unusable_tls_settings_fail_a_setup_step(
    fake_openai: FakeLLMServer, tmp_path: object
) -> None:
    from pathlib import Path

    bundle = Path(str(tmp_path)) / "bad.pem"
    bundle.write_text("garbage")
    steps = await _steps(connection_for(fake_openai, ca_bundle=bundle), KEY)
    assert [(s.name, s.ok) for s in steps] == [("setup", False)]
    assert steps[0].error is not None and steps[0].error.kind is ErrorKind.TLS
    assert fake_openai.requests == []
