"""`ProviderError`: every failure of a driver, as one sentence and its fix.

The mapping from (status, body, exception) to a kind lives in `providers/error_mapping.py`; this
module only defines the type, so the chat core and UI can import it cheaply.
"""

from __future__ import annotations

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
    OVERLOADED = "overloaded"
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
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.status = status
        self.retry_after = retry_after
        self.server_reason = server_reason
        self.suggested_base_url = suggested_base_url

    @property
    def retryable(self) -> bool:
        return self.kind in {
            ErrorKind.RATE_LIMITED,
            ErrorKind.OVERLOADED,
            ErrorKind.TIMEOUT,
            ErrorKind.CANNOT_CONNECT,
            ErrorKind.STREAM_CUT,
        }

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    def __repr__(self) -> str:
        return f"ProviderError(kind={self.kind.value!r}, status={self.status!r}, message={self.message!r})"
