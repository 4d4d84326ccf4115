"""Generation parameters (temperature, max tokens, reasoning effort): what a person types, and which
value a request gets.

Three places can set them: `[settings]` (every conversation), one conversation (the chat screen's
generation dialog), and, for max tokens, the connection and its model entry. The rule is here, in
one function (`effective`), so the request builder and anything that shows "what will be sent"
agree. Unset means *send nothing*: the server's own default applies, which is what a person who
never touched the setting expects.

The parsers turn typed text into values or a sentence for under the field (the settings screen and
the generation dialog use the same ones, so a value refused in one is refused in the other with
the same words). Textual-free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, get_args

from craft_tui.config.schema import ReasoningEffortSetting

if TYPE_CHECKING:
    from craft_tui.config.schema import Connection, Settings

EFFORTS: tuple[ReasoningEffortSetting, ...] = get_args(ReasoningEffortSetting)
TEMPERATURE_MAX = 2.0  # OpenAI's range; Anthropic's is 0-1 and its server says so
DEFAULT_CONNECTION_MAX_TOKENS = 4096  # Connection.max_tokens's default (checked by a test)


@dataclass(frozen=True)
class GenerationParams:
    """Values one conversation sets; None leaves the setting to the next place down."""

    temperature: float | None = None
    max_tokens: int | None = None
    reasoning_effort: ReasoningEffortSetting | None = None

    @property
    def empty(self) -> bool:
        return self == GenerationParams()


def from_settings(settings: Settings) -> GenerationParams:
    """The `[settings]` defaults as parameters."""
    return GenerationParams(settings.temperature, settings.max_tokens, settings.reasoning_effort)


def effective(
    conversation: GenerationParams | None,
    settings: Settings,
    connection: Connection,
    model: str,
) -> GenerationParams:
    """What a request to `model` on `connection` sends.

    temperature and reasoning effort: the conversation's, else the settings'; else none (the
    server's default). max tokens: the conversation's, else the model entry's, else the
    connection's own when it set one away from the default (4096), else the settings', else the
    connection's (4096): a connection that says nothing lets `[settings]` decide.
    """
    own = conversation or GenerationParams()
    entry = connection.model(model)
    max_tokens = own.max_tokens or (entry.max_tokens if entry is not None else None)
    if max_tokens is None:
        if connection.max_tokens != DEFAULT_CONNECTION_MAX_TOKENS:
            max_tokens = connection.max_tokens
        else:
            max_tokens = settings.max_tokens or connection.max_tokens
    temperature = own.temperature if own.temperature is not None else settings.temperature
    return GenerationParams(
        temperature=temperature,
        max_tokens=max_tokens,
        reasoning_effort=own.reasoning_effort or settings.reasoning_effort,
    )


# ------------------------------------------------------------------------ typed text


def format_number(value: float | None) -> str:
    """`0.7` -> `0.7`, `1.0` -> `1`, None -> '': what a person would type, read back exactly."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(value)


def parse_temperature(text: str) -> float | None:
    """A temperature typed in a field (blank: unset; `0,7` reads as 0.7); ValueError says how."""
    text = text.strip()
    if not text:
        return None
    message = (
        "Temperature is a number from 0 to 2 (e.g. 0.7; lower is steadier), "
        "or empty for the server's default."
    )
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise ValueError(message) from None
    if not math.isfinite(value) or not 0 <= value <= TEMPERATURE_MAX:
        raise ValueError(message)
    return value


def parse_max_tokens(text: str, *, unset: str) -> int | None:
    """Max tokens typed in a field (blank: unset; `4,096` and `4_096` read as 4096).

    `unset` says what an empty field means where it is typed, for the sentence."""
    digits = text.replace(",", "").replace("_", "").replace(" ", "")
    if not digits:
        return None
    if not digits.isdigit() or int(digits) <= 0:
        raise ValueError(
            f"Max tokens is a whole number above 0, the longest answer to ask for "
            f"(e.g. {DEFAULT_CONNECTION_MAX_TOKENS}), or empty for {unset}."
        )
    return int(digits)


def parse_hours(text: str) -> float:
    """The model-list refresh interval in hours (0: fetch the lists each time the picker opens)."""
    message = "Give the hours as a number, 0 or more (e.g. 24; 0 fetches the lists every time)."
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise ValueError(message) from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(message)
    return value


def parse_effort(value: str) -> ReasoningEffortSetting | None:
    """A reasoning-effort choice ('' or 'default': unset)."""
    for effort in EFFORTS:
        if value == effort:
            return effort
    if value in ("", "default"):
        return None
    raise ValueError(f"Reasoning effort is one of {', '.join(EFFORTS)}, or the server's default.")
