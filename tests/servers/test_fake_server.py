"""The fake servers themselves: other tests trust them, so their wire behaviour is checked here."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.servers import FakeLLMServer, FakeToolCall, openrouter_models


def _sse_data(text: str) -> list[str]:
    return [line[6:] for line in text.splitlines() if line.startswith("data: ")]


def test_openai_stream_is_real_sse_and_request_is_recorded(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(reply="one two three")
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    response = httpx.post(
        fake_openai.base_url + "/chat/completions", json=body, headers={"X-Test": "yes"}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    data = _sse_data(response.text)
    assert data[-1] == "[DONE]"
    text = "".join(
        c["choices"][0]["delta"].get("content") or ""
        for c in map(json.loads, data[:-1])
        if c["choices"]
    )
    assert text == "one two three"
    assert fake_openai.requests[-1].headers["x-test"] == "yes"
    assert fake_openai.requests[-1].json == body


def test_queued_error_applies_to_one_request_only(fake_openai: FakeLLMServer) -> None:
    fake_openai.queue(error="anthropic_529")
    url = fake_openai.base_url + "/chat/completions"
    first = httpx.post(url, json={"stream": True})
    second = httpx.post(url, json={"stream": True})
    assert first.status_code == 529
    assert first.json()["error"]["type"] == "overloaded_error"
    assert second.status_code == 200


def test_cut_connection_breaks_the_chunked_body(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(reply="a b c d", cut_after=2)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(fake_openai.base_url + "/chat/completions", json={"stream": True})


def test_server_notices_client_hanging_up_during_a_stall(fake_openai: FakeLLMServer) -> None:
    fake_openai.configure(reply="a b c", stall_after=1)
    with (
        httpx.Client() as client,
        client.stream(
            "POST", fake_openai.base_url + "/chat/completions", json={"stream": True}
        ) as response,
    ):
        for line in response.iter_lines():
            if '"content": "a "' in line:
                break
    assert fake_openai.wait_for_disconnect(10)


def test_model_lists_in_each_shape() -> None:
    with FakeLLMServer(models=openrouter_models(45), page_size=20) as server:
        anthropic_ids: list[str] = []
        after: str | None = None
        while True:
            params = {"limit": "20", **({"after_id": after} if after else {})}
            page = httpx.get(
                server.anthropic_base_url + "/v1/models",
                params=params,
                headers={"anthropic-version": "2023-06-01"},
            ).json()
            anthropic_ids += [m["id"] for m in page["data"]]
            if not page["has_more"]:
                break
            after = page["last_id"]
        assert len(anthropic_ids) == 45 and len(set(anthropic_ids)) == 45
        server.configure(model_list="openrouter")
        first = httpx.get(server.base_url + "/models").json()["data"][0]
        assert first["pricing"]["prompt"] == "0.0000001"
        tags = httpx.get(server.root_url + "/api/tags").json()["models"]
        assert len(tags) == 45
        show = httpx.post(server.root_url + "/api/show", json={"model": tags[0]["name"]}).json()
        assert show["model_info"]["llama.context_length"] == 4096
        server.configure(model_list=None)
        assert httpx.get(server.base_url + "/models").status_code == 404


def test_standalone_script_prints_its_url_and_serves() -> None:
    import subprocess
    import sys

    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.servers",
            "--port",
            "0",
            "--protocol",
            "anthropic",
            "--reply",
            "Hi you",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = httpx.post(url + "/v1/messages", json={"stream": True}, timeout=10)
        assert '"text": "Hi "' in response.text and "message_stop" in response.text
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_openai_tool_arguments_go_one_event_per_byte(fake_openai: FakeLLMServer) -> None:
    arguments = '{"city": "Oslo"}'
    fake_openai.configure(reply="", tool_calls=(FakeToolCall("weather", arguments),), tool_chunk=1)
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    chunks = [
        json.loads(d)
        for d in _sse_data(httpx.post(fake_openai.base_url + "/chat/completions", json=body).text)
        if d != "[DONE]"
    ]
    pieces = [
        call["function"]["arguments"]
        for c in chunks
        if c["choices"]
        for call in c["choices"][0]["delta"].get("tool_calls") or []
    ]
    assert pieces == ["", *arguments]  # the name's delta, then one event per byte
    assert chunks[1]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "weather"
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "tool_calls"


def test_anthropic_tool_use_blocks_follow_the_text(fake_anthropic: FakeLLMServer) -> None:
    fake_anthropic.configure(reply="Checking.", tool_calls=(FakeToolCall("clock", "{}"),))
    body = {"model": "m", "stream": True, "max_tokens": 9, "messages": []}
    response = httpx.post(fake_anthropic.base_url + "/v1/messages", json=body)
    events = [json.loads(d) for d in _sse_data(response.text)]
    starts = [e["content_block"] for e in events if e["type"] == "content_block_start"]
    assert starts == [
        {"type": "text", "text": ""},
        {"type": "tool_use", "id": "toolu_0", "name": "clock", "input": {}},
    ]
    fragments = [
        e["delta"]["partial_json"]
        for e in events
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta"
    ]
    assert "".join(fragments) == "{}"
    stop = next(e for e in events if e["type"] == "message_delta")
    assert stop["delta"]["stop_reason"] == "tool_use"
    assert fake_anthropic.chat_requests[-1].json == body


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_tools_until_results_answers_results_with_text(fake_server: Any, protocol: str) -> None:
    """A chat loop against a fake configured with calls ends after one round, as with a model."""
    server = fake_server(
        protocol=protocol,
        reply="Done.",
        tool_calls=(FakeToolCall("clock", "{}", id="c1"),),
        tools_until_results=True,
        json_response=True,
    )
    if protocol == "openai":
        url = server.base_url + "/chat/completions"
        results = [{"role": "tool", "tool_call_id": "c1", "content": "12:00"}]
    else:
        url = server.base_url + "/v1/messages"
        results = [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1"}]}]
    question = [{"role": "user", "content": "time?"}]
    first = httpx.post(url, json={"model": "m", "messages": question}).json()
    second = httpx.post(url, json={"model": "m", "messages": question + results}).json()
    if protocol == "openai":
        assert first["choices"][0]["message"]["tool_calls"][0]["id"] == "c1"
        assert "tool_calls" not in second["choices"][0]["message"]
        assert second["choices"][0]["message"]["content"] == "Done."
    else:
        assert [b["type"] for b in first["content"]] == ["text", "tool_use"]
        assert second["content"] == [{"type": "text", "text": "Done."}]
        assert second["stop_reason"] == "end_turn"
