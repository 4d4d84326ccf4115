"""What an error says: a 500 is a server error, not "overloaded"; the server's words once; the
app's fix names the app's own key (the command line's names the command)."""

from __future__ import annotations

from craft_tui.providers.error_mapping import ErrorContext, ServerReason, classify
from craft_tui.providers.errors import ErrorKind, fill_keys, reason_already_said


def _ctx(**extra: object) -> ErrorContext:
    fields: dict[str, object] = {
        "protocol": "openai",
        "base_url": "http://127.0.0.1:9/v1",
        "slug": "work",
        "model": "m",
        **extra,
    }
    return ErrorContext(**fields)  # type: ignore[arg-type]


def test_a_500_is_a_server_error_and_a_503_or_overloaded_is_overloaded() -> None:
    assert classify(500, ServerReason(message="boom"), _ctx()).kind is ErrorKind.SERVER_ERROR
    assert classify(503, ServerReason(message="down"), _ctx()).kind is ErrorKind.OVERLOADED
    assert classify(529, ServerReason(type="overloaded_error"), _ctx()).kind is ErrorKind.OVERLOADED
    # An in-stream error with no status is mapped as 500, but its words say overloaded.
    said = ServerReason(message="Provider returned error: upstream overloaded")
    assert classify(500, said, _ctx()).kind is ErrorKind.OVERLOADED
    assert classify(500, ServerReason(message="x"), _ctx()).retryable


def test_the_servers_reason_counts_as_said_when_the_message_quotes_it_without_its_full_stop() -> (
    None
):
    error = classify(401, ServerReason(message="Incorrect API key provided."), _ctx())
    assert error.server_reason == "Incorrect API key provided."
    assert error.message.count("Incorrect API key provided") == 1
    assert reason_already_said(error.message, error.server_reason)
    assert not reason_already_said("The server rejected the key.", "Quota gone.")


def test_the_app_fix_names_the_connections_key_and_the_cli_fix_the_command() -> None:
    error = classify(401, ServerReason(message="bad key"), _ctx())
    assert "craft-tui connection key work --api-key-stdin" in error.hint
    in_app = fill_keys(error.hint_in_app, {"open_connections": "ctrl+g"}.__getitem__)
    assert "ctrl+g" in in_app and "craft-tui" not in in_app
    model = classify(404, ServerReason(message="model 'm' not found"), _ctx())
    assert "craft-tui models" in model.hint
    assert fill_keys(model.hint_in_app, {"pick_model": "ctrl+o"}.__getitem__).count("ctrl+o") == 1


def test_fill_keys_leaves_unknown_ids_and_plain_braces_alone() -> None:
    assert fill_keys("press {nope} or {Not A Key}", lambda _: "x") == "press x or {Not A Key}"
    assert fill_keys("press {nope}", {}.__getitem__) == "press {nope}"
