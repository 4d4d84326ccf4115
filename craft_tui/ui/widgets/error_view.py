"""An error shown inline where the answer would be: what happened, the fix, the server's reason,
and the key that retries (with a countdown when the server said how long to wait)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from craft_tui.providers.errors import ErrorKind, ProviderError, fill_keys, reason_already_said
from craft_tui.ui.bindings import first_key
from craft_tui.untrusted import shown_inline

_TITLES: dict[str, str] = {
    ErrorKind.CANNOT_CONNECT: "Cannot connect",
    ErrorKind.TIMEOUT: "Timed out",
    ErrorKind.TLS: "TLS problem",
    ErrorKind.AUTHENTICATION: "Authentication failed",
    ErrorKind.ACCESS_DENIED: "Access denied",
    ErrorKind.BILLING: "Billing problem",
    ErrorKind.ENDPOINT_NOT_FOUND: "Endpoint not found",
    ErrorKind.MODEL_NOT_FOUND: "Model not found",
    ErrorKind.RATE_LIMITED: "Rate limited",
    ErrorKind.OVERLOADED: "Provider overloaded or unavailable",
    ErrorKind.SERVER_ERROR: "Server error",
    ErrorKind.CONTEXT_EXCEEDED: "Context window exceeded",
    ErrorKind.REQUEST_TOO_LARGE: "Request too large",
    ErrorKind.DATA_POLICY: "Blocked by data policy",
    ErrorKind.HTML_RESPONSE: "Unexpected HTML page",
    ErrorKind.INVALID_REQUEST: "Request rejected",
    ErrorKind.STREAM_CUT: "Answer cut off",
    ErrorKind.MALFORMED: "Unreadable response",
    ErrorKind.MISSING_KEY: "No API key",
    ErrorKind.NO_MODEL_LIST: "No model list",
    ErrorKind.ANSWER_TOO_LONG: "Answer too long",
    ErrorKind.TOOLS_UNSUPPORTED: "Tools not supported",
    ErrorKind.UNKNOWN: "Error",
}


@dataclass(frozen=True, slots=True)
class ErrorDisplay:
    """What the error view needs, from a live ProviderError or from a message saved in history."""

    kind: str
    message: str
    hint: str = ""
    server_reason: str | None = None
    status: int | None = None
    retry_after: float | None = None
    suggested_base_url: str | None = None

    @classmethod
    def from_error(cls, error: ProviderError) -> ErrorDisplay:
        return cls(
            kind=str(error.kind),
            message=error.message,
            hint=error.hint_in_app,
            server_reason=error.server_reason,
            status=error.status,
            retry_after=error.retry_after,
            suggested_base_url=error.suggested_base_url,
        )

    @property
    def title(self) -> str:
        return _TITLES.get(self.kind, "Error")


def _clip(text: str, limit: int = 300) -> str:
    """One tidy line of at most `limit` characters; the server's words are shown, never run."""
    text = shown_inline(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ErrorView(Static):
    """Inline error; counts down `retry_after` once a second, then stops its timer."""

    DEFAULT_CSS = """
    ErrorView {
        border-left: thick $error;
        padding: 0 1;
        margin: 1 0 0 0;
        background: $error 10%;
        height: auto;
    }
    """

    def __init__(
        self,
        error: ErrorDisplay,
        *,
        retry_key: str = "r",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.error = error
        self.retry_key = retry_key
        self._clock = clock
        self._deadline = clock() + error.retry_after if error.retry_after else None
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        self.update(self.render_error())
        if self._deadline is not None and self.seconds_left > 0:
            self._timer = self.set_interval(1.0, self._tick)

    def _key_for(self, binding_id: str) -> str:
        """The key bound to `binding_id` now, with the user's keymap (hints name the app's keys)."""
        keymap = getattr(self.app, "keymap", None) if self.is_attached else None
        return first_key(binding_id, keymap if isinstance(keymap, dict) else None)

    @property
    def seconds_left(self) -> int:
        if self._deadline is None:
            return 0
        return max(0, round(self._deadline - self._clock()))

    def _tick(self) -> None:
        self.update(self.render_error())
        if self.seconds_left <= 0 and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def render_error(self) -> Text:
        """The error as lines of styled text (also what tests read)."""
        error = self.error
        text = Text()
        text.append(f"✗ {error.title}", style="bold")
        if error.status:
            text.append(f" (HTTP {error.status})", style="dim")
        text.append("\n")
        text.append(_clip(error.message, 400))
        if not reason_already_said(error.message, error.server_reason):
            assert error.server_reason is not None
            text.append("\nServer said: ", style="dim")
            text.append(_clip(error.server_reason), style="italic")
        if error.hint:
            text.append("\nFix: ", style="bold")
            text.append(_clip(fill_keys(error.hint, self._key_for), 400))
        if error.suggested_base_url:
            text.append("\nTry base URL: ", style="bold")
            text.append(shown_inline(error.suggested_base_url))
        text.append("\n")
        left = self.seconds_left
        if left > 0:
            text.append(f"Retry possible in {left}s", style="bold")
            text.append(f" · press {self.retry_key} to retry anyway", style="dim")
        else:
            text.append(f"Press {self.retry_key} to retry", style="dim")
        return text
