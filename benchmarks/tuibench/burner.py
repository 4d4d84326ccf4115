"""A CPU burner beside a benchmark row: `yes > /dev/null` on the machine's last core.

Why: the issue-16 pacing must hold on a slower machine as on a fast one. A busy neighbour core
(shared caches, memory bandwidth, the scheduler moving the client, mock and tmux around) makes
this one slower in a way that can be reproduced on demand; run a row with and without it and
compare the same-run ratios.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator


@contextlib.contextmanager
def burner(enabled: bool = True) -> Iterator[None]:
    """Run `yes` (output discarded) pinned to the last CPU while the block runs."""
    if not enabled:
        yield
        return
    last = max(os.sched_getaffinity(0))

    def pin() -> None:
        os.sched_setaffinity(0, {last})

    process = subprocess.Popen(
        ["yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pin
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(10)
