"""The first send's imports happen in the background once the conversation is on screen
(issue 16: Enter → request on the wire), never before the first frame, and without reading a
key, pooling a driver or sending anything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import subprocess_env

PROBE = Path(__file__).with_name("warmup_probe.py")


def test_what_the_first_send_needs_is_imported_after_the_first_frame_without_sending(
    isolated_home: Path,
) -> None:
    env = subprocess_env(isolated_home)
    subprocess.run(
        [sys.executable, "-m", "craft_tui", "connection", "add", "Mock", "--protocol", "openai",
         "--base-url", "http://127.0.0.1:9/v1", "--no-auth", "--model", "mock"],
        env=env, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, str(PROBE), "--new"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["exit"] == 0
    assert seen["first_frame"] == []  # nothing of it delays the first frame
    assert seen["after"] == [
        "httpx",
        "craft_tui.providers.http",
        "craft_tui.providers.openai_chat",
        "craft_tui.workspace.drivers",
        "craft_tui.ui.widgets.markdown_blocks",
    ]
    assert seen["ca_loaded"] is True  # the CA store the connection's client will share
    assert seen["drivers_pooled"] == 0  # no key read, no driver kept: only caches filled
    assert seen["sent"] is False
