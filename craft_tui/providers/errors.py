"""`ProviderError`: every failure of a driver, as one sentence and its fix.

The mapping from (status, body, exception) to a kind lives in `providers/error_mapping.py`; this
module only defines the type, so the chat core and UI can import it cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum


class ErrorKind(StrEnum):
    CANNOT_CONNECT = "cannot_connect"
    TIMEOUT = "timeout"
    TLS = "tls"
    AUTHENTICATION = "authentication"
    ACCESS_DENIED = "access_denied"
    BILLING = "billing"
    ENDPOINT_NOT_FOUND = "endpoint_not_found"
    MODEL_NOT_FOUND = "model_not_found"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"  # 502/503/504/529 and "overloaded": busy or down, try again
    SERVER_ERROR = "server_error"  # 500: the server failed on this request
    CONTEXT_EXCEEDED = "context_exceeded"
    REQUEST_TOO_LARGE = "request_too_large"
    DATA_POLICY = "data_policy"
    HTML_RESPONSE = "html_response"
    INVALID_REQUEST = "invalid_request"
    STREAM_CUT = "stream_cut"
    MALFORMED = "malformed"
    MISSING_KEY = "missing_key"
    NO_MODEL_LIST = "no_model_list"
    ANSWER_TOO_LONG = "answer_too_long"  # settings.max_answer_mb stopped the stream
    TOOLS_UNSUPPORTED = "tools_unsupported"  # the model or server refuses a request with tools
    UNKNOWN = "unknown"


class ProviderError(Exception):
    """A failure talking to a provider, in words a person can act on.

    `message` is one sentence saying what went wrong (with the server's own reason when it gave
    one); `hint` is the concrete fix. Neither ever contains a key.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        hint: str = "",
        *,
        status: int | None = None,
        retry_after: float | None = None,
        server_reason: str | None = None,
        suggested_base_url: str | None = None,
        app_hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.status = status
        self.retry_after = retry_after
        self.server_reason = server_reason
        self.suggested_base_url = suggested_base_url
        self.app_hint = app_hint

    @property
    def hint_in_app(self) -> str:
        """The fix as said inside the app: where `hint` names a `craft-tui …` command, this names
        the app's own screen, with `{binding_id}` placeholders for its key (`fill_keys`)."""
        return self.app_hint if self.app_hint is not None else self.hint

    @property
    def retryable(self) -> bool:
        return self.kind in {
            ErrorKind.RATE_LIMITED,
            ErrorKind.OVERLOADED,
            ErrorKind.SERVER_ERROR,
            ErrorKind.TIMEOUT,
            ErrorKind.CANNOT_CONNECT,
            ErrorKind.STREAM_CUT,
        }

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    def __repr__(self) -> str:
        return f"ProviderError(kind={self.kind.value!r}, status={self.status!r}, message={self.message!r})"


def reason_already_said(message: str, reason: str | None) -> bool:
    """True when the server's reason is already quoted in the message (the message quotes it
    without its final full stop), so an error shows the server's words once."""
    if not reason:
        return True
    said = " ".join(message.split())
    words = " ".join(reason.split()).rstrip(" .…")
    return not words or words in said


_KEY_PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")


def fill_keys(text: str, key_for: Callable[[str], str]) -> str:
    """`{open_connections}` → the key bound to it now (`ctrl+g`, or the user's own).

    Placeholders are only ever written by the error mapping itself (server text goes into
    `message`, never into a hint), and an unknown binding id is left as it is."""

    def key(match: re.Match[str]) -> str:
        try:
            return key_for(match.group(1))
        except KeyError:
            return match.group(0)

    return _KEY_PLACEHOLDER.sub(key, text)
