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
