"""Issue 13: hostile model ids in the model picker (Ctrl+O) never reach the terminal, and a
newline in an id does not split its row; the picked model is named disarmed everywhere (prompt,
status line, the answer's label) while the server still gets its exact id. Both protocols."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.hostile_terminal import (
    CRAFT_TUI,
    CapturedTmux,
    assert_app_output_safe,
    assert_markers_only_disarmed,
    assert_terminal_untouched,
    quit_app,
)
from tests.servers import FakeLLMServer
from tests.servers.cli import add_connection
from tests.servers.hostile import (
    CLIPBOARD_B64,
    HOSTILE_MODELS,
    ID_TITLE,
    MODELS_NEVER_IN_TERMINAL,
    SHOWN_ESC,
    SHOWN_IDS,
)

MODEL_MARKERS: dict[bytes, bytes] = {
    b"PWNED-MODEL": f"{SHOWN_ESC}]0;".encode(),
    b"PWNED-C1": f"{SHOWN_ESC}]2;".encode(),
    CLIPBOARD_B64.encode(): f"{SHOWN_ESC}]52;c;".encode(),
}


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_hostile_model_ids_in_the_picker_are_shown_disarmed_one_row_each(
    isolated_home: Path, tmp_path: Path, protocol: str
) -> None:
    style = "openrouter" if protocol == "openai" else "anthropic"
    total = len(HOSTILE_MODELS) + 1  # and the connection's own fake-small
    with FakeLLMServer(
        protocol=protocol,  # type: ignore[arg-type]
        models=list(HOSTILE_MODELS),
        model_list=style,
        reply="Picked.",
    ) as server:
        add_connection(server, key=None)
        capture = tmp_path / "picker.bytes"
        with CapturedTmux(tmp_path / "picker.sock", isolated_home, capture) as tmux:
            tmux.start(CRAFT_TUI)
            tmux.wait_for(lambda s: "Message fake-small" in s)
            tmux.keys("C-o")
            # The server's list arrives in the background: wait for all of it.
            listed = tmux.wait_for(
                lambda s: f"{total} of {total} models" in s and "refreshing" not in s
            )
            # Pick the id that would retitle the window, then get an answer from it.
            tmux.keys("pwned-model", literal=True)
            tmux.wait_for(lambda s: f"1 of {total} models" in s)
            tmux.keys("Enter")
            # The chat screen again, with the picked model in the prompt (the switch is saved in
            # a thread: a capture just after Enter can show the old one, or a blank mid-redraw).
            placeholder = f"Message {SHOWN_IDS[ID_TITLE]} · Enter to send"
            picked = tmux.wait_for(lambda s: "Pick a model" not in s and placeholder in s)
            tmux.keys("Hi", literal=True)
            tmux.keys("Enter")
            answered = tmux.wait_for(lambda s: "Picked." in s and " tok " in s)
            data = quit_app(tmux)
            assert_app_output_safe(data, MODELS_NEVER_IN_TERMINAL)
            assert_markers_only_disarmed(data, MODEL_MARKERS)
            assert_terminal_untouched(tmux)
    # Every id is on one row of the picker, disarmed; the newline in one does not start a row.
    lines = listed.splitlines()
    for model in HOSTILE_MODELS:
        rows = [line for line in lines if SHOWN_IDS[model.id] in line]
        assert len(rows) == 1, f"{SHOWN_IDS[model.id]!r} is not on one row of\n{listed}"
    assert not any(line.strip(" │▊").startswith("split-second") for line in lines), listed
    # The chosen model is named disarmed in the prompt, the status line and the answer's label;
    # the server got its exact id.
    label = f"Fake · {SHOWN_IDS[ID_TITLE]}"
    assert f"Message {SHOWN_IDS[ID_TITLE]} · Enter to send" in picked, picked
    assert label in picked, picked
    assert f"  {label}\n" in answered, answered
    assert server.chat_requests[-1].json["model"] == ID_TITLE
