"""The protocol registry: the three protocols are in it with what differs between them, and a
protocol it does not know is refused wherever it shows up, with the known ones named."""

from __future__ import annotations

import pytest

from craft_tui.cli import build_parser
from craft_tui.config import paths
from craft_tui.config.presets import PRESETS, get_preset, presets_for
from craft_tui.config.protocols import (
    UnknownProtocolError,
    all_protocols,
    get_protocol,
    known_protocols,
)
from craft_tui.config.store import ConfigError, load_config
from craft_tui.config.urls import alternative_bases, chat_url, models_url, normalize_base_url


def test_the_registry_lists_the_three_protocols_with_their_labels() -> None:
    assert known_protocols() == ("openai", "anthropic", "openai-responses")
    assert [(p.name, p.label) for p in all_protocols()] == [
        ("openai", "OpenAI Chat Completions"),
        ("anthropic", "Anthropic Messages"),
        ("openai-responses", "OpenAI Responses"),
    ]


def test_what_differs_between_the_two_is_in_their_entries() -> None:
    openai, anthropic = get_protocol("openai"), get_protocol("anthropic")
    assert openai.urls.chat_url("https://h/v1") == "https://h/v1/chat/completions"
    assert anthropic.urls.chat_url("https://h") == "https://h/v1/messages"
    assert (openai.key_header, anthropic.key_header) == ("authorization", "x-api-key")
    # OpenAI's prompt_tokens include the cached tokens; Anthropic's input_tokens do not.
    assert (openai.cached_in_input, anthropic.cached_in_input) == (True, False)
    assert "OpenAI" in openai.not_found_hint and "Anthropic" in anthropic.not_found_hint
    # Responses shares OpenAI's layout, key header and counting; only the endpoint differs.
    responses = get_protocol("openai-responses")
    assert responses.urls.chat_url("https://h/v1") == "https://h/v1/responses"
    assert responses.urls.models_url("https://h/v1") == "https://h/v1/models"
    assert responses.urls.normalise("https://h/v1/responses") == "https://h/v1"
    assert responses.urls.normalise("h.example") == "https://h.example/v1"
    assert (responses.key_header, responses.cached_in_input) == ("authorization", True)
    assert 'protocol "openai"' in responses.not_found_hint


def test_every_preset_speaks_a_registered_protocol_and_each_has_its_custom_preset() -> None:
    assert {preset.protocol for preset in PRESETS} == set(known_protocols())
    for protocol in all_protocols():
        speaking = presets_for(protocol.name)
        assert speaking and all(preset.protocol == protocol.name for preset in speaking)
        assert get_preset(protocol.custom_preset).protocol == protocol.name
    assert sum(len(presets_for(name)) for name in known_protocols()) == len(PRESETS)


def test_a_config_with_an_unknown_protocol_names_its_line_and_the_known_ones() -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '[[connections]]\nslug = "corp"\nname = "Corp"\nprotocol = "grpc"\nbase_url = "localhost:1"\n',
        encoding="utf-8",
    )
    before = path.read_bytes()
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert (
        "line 4, connections[0].protocol: unknown protocol 'grpc'; "
        'known protocols: "openai", "anthropic", "openai-responses"'
    ) in message
    assert str(path) in message
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "call",
    [
        lambda: normalize_base_url("grpc", "localhost:1"),
        lambda: chat_url("grpc", "http://localhost:1"),
        lambda: models_url("grpc", "http://localhost:1"),
        lambda: alternative_bases("grpc", "http://localhost:1"),
    ],
    ids=["normalise", "chat_url", "models_url", "alternatives"],
)
def test_url_rules_refuse_an_unknown_protocol_instead_of_using_openai_s(call: object) -> None:
    with pytest.raises(UnknownProtocolError, match="unknown protocol 'grpc'; known protocols: "):
        call()  # type: ignore[operator]


def test_connection_add_offers_only_registered_protocols(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(["connection", "add", "X", "--protocol", "grpc", "--base-url", "h"])
    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'grpc' (choose from" in error
    assert "openai" in error and "anthropic" in error
    args = parser.parse_args(["connection", "add", "X", "--protocol", "anthropic"])
    assert args.protocol == "anthropic"
