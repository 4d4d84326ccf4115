"""The fault matrix through `craft-tui ask`: every row of `tests.faults.MATRIX`, both protocols.

Each row runs the real command in a subprocess against loopback sockets and checks what a person
reads on stderr — the sentence (`craft-tui: ...`) and the fix (`  fix: ...`) — and that the text
which arrived before the fault is on stdout. Then the fault is healed (the server recovers, the
listener or proxy comes up, or the connection gets the fix the hint names) and the same command
must answer. `pytest -s -p no:xdist tests/test_fault_matrix_cli.py` prints the matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults import (
    HEALTHY_REPLY,
    MATRIX_CASES,
    Outcome,
    Protocol,
    Row,
    check,
    connection_fields,
    format_matrix,
    matrix_id,
    scene,
)
from tests.servers.cli import add_connection, craft

KEY = "sk-test-matrix-0123456789abcdef"
OUTCOMES: list[Outcome] = []


@pytest.fixture(scope="module", autouse=True)
def print_matrix() -> Iterator[None]:
    """After the rows ran (in this process), print what each showed."""
    yield
    if OUTCOMES:
        print("\n" + format_matrix(OUTCOMES, "Fault matrix: craft-tui ask"))


def _read_error(stderr: str) -> tuple[str, str]:
    """The sentence and the fix, as `_report` prints them: `craft-tui: SENTENCE` / `  fix: FIX`."""
    lines = stderr.strip().splitlines()
    sentence = next(line for line in lines if line.startswith("craft-tui: "))
    fix = next((line for line in lines if line.startswith("  fix: ")), "  fix: ")
    return sentence.removeprefix("craft-tui: "), fix.removeprefix("  fix: ")


@pytest.mark.parametrize(("protocol", "row"), MATRIX_CASES, ids=map(matrix_id, MATRIX_CASES))
def test_fault_matrix_through_the_cli(isolated_home: Path, protocol: Protocol, row: Row) -> None:
    fault = row.fault(protocol)
    with scene(protocol, fault) as built:
        add_connection(built.server, key=KEY, **connection_fields(built.connection))
        failed = craft(isolated_home, "ask", "Hi", timeout=60, **built.environment)

        assert failed.returncode == 1, (failed.stdout, failed.stderr)
        assert "Traceback" not in failed.stderr and KEY not in failed.stderr
        sentence, fix = _read_error(failed.stderr)
        # stdout holds exactly the text that arrived, ended by a newline when there was any.
        kept = failed.stdout.removesuffix("\n")
        assert failed.stdout == (kept + "\n" if kept else "")
        check(fault, None, sentence, fix, kept)

        fixed = built.heal()
        if fixed:  # the user applies the fix the hint gave (a host name, a CA bundle)
            add_connection(
                built.server, key=KEY, **connection_fields({**built.connection, **fixed})
            )
        retried = craft(isolated_home, "ask", "Hi", timeout=60, **built.environment)
        assert retried.returncode == 0, retried.stderr
        assert retried.stdout == HEALTHY_REPLY + "\n"
        if fault.target == "proxy_down":
            assert built.went_through_proxy()
    OUTCOMES.append(Outcome(row.label, protocol, sentence, fix, kept, "answered"))
