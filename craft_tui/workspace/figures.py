"""Values the screens show, derived from the config and a conversation: the label of an answer and
the figures of the status line. Plain functions of their inputs, so the chat screen, the status
line and tests all get the same answer, and no widget computes one of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from craft_tui.workspace.targets import Target

if TYPE_CHECKING:  # pydantic and the chat core are not imported before the first frame
    from craft_tui.chat.conversation import StoredMessage
    from craft_tui.config.schema import Config, Connection


@dataclass(frozen=True, slots=True)
class StatusFigures:
    """Everything the status line shows; None means 'not known yet'."""

    connection: str = ""
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost: str = ""  # already formatted ("$0.001234", "local", "—")
    ttft_s: float | None = None
    tokens_per_s: float | None = None
    tools: str = ""  # the conversation's permission mode ("ask", "read-only", "allow-all")


def message_label(config: Config, slug: str | None, model: str | None) -> str:
    """'Connection name · model' for an answer: the connection and model that produced it.

    A connection removed since then is named by its slug, so the label still says where the
    answer came from."""
    connection = next((c for c in config.connections if c.slug == slug), None)
    name = connection.name if connection else (slug or "")
    return " · ".join(part for part in (name, model or "") if part) or "assistant"


def status_figures(
    target: Target,
    messages: Iterable[StoredMessage],
    cached_in_input: Callable[[str | None], bool] | None = None,
) -> StatusFigures:
    """Totals of the shown branch and the speed of its last finished answer, for `target`.

    The input total is the answers' whole prompts (`chat/usage.py prompt_tokens`):
    `cached_in_input(slug)` says whether an answer's connection counts its cache reads and
    writes in its input tokens already (None: every one does, the input shown as stored)."""
    connection, model = target
    answers = [m for m in messages if m.role == "assistant"]
    costs = [m.cost_usd for m in answers if m.cost_usd is not None]
    cost = ""
    if answers:  # (pricing's import is not needed for the first frame's empty status line)
        from craft_tui.chat.cost import format_cost

        total = sum(costs) if costs else None
        local = connection is not None and _is_local(connection)
        cost = format_cost(total, local=local and total is None)
    last = next((m for m in reversed(answers) if m.finish_reason is not None), None)
    return StatusFigures(
        connection=connection.name if connection else "no connection",
        model=model or "",
        input_tokens=_prompts(answers, cached_in_input),
        output_tokens=sum(m.output_tokens or 0 for m in answers),
        cost=cost,
        ttft_s=last.ttft_s if last is not None else None,
        tokens_per_s=last.tokens_per_s if last is not None else None,
    )


def _prompts(
    answers: list[StoredMessage], cached_in_input: Callable[[str | None], bool] | None
) -> int:
    if cached_in_input is None or not any(m.cached_tokens or m.cache_write_tokens for m in answers):
        return sum(m.input_tokens or 0 for m in answers)
    from craft_tui.chat.usage import prompt_tokens

    return sum(
        prompt_tokens(
            m.input_tokens,
            m.cached_tokens,
            m.cache_write_tokens,
            cached_in_input=cached_in_input(m.connection_slug),
        )
        for m in answers
    )


def _is_local(connection: Connection) -> bool:
    from craft_tui.providers.pricing import is_local_connection

    return is_local_connection(connection)
