"""Logging to a file in the cache folder: tracebacks go there, never to the screen."""

from __future__ import annotations

import logging
import traceback

from craft_tui.config import paths

_configured = False


def configure_logging() -> None:
    """Send craft-tui's log to `craft-tui.log` (private); idempotent."""
    global _configured
    if _configured:
        return
    _configured = True
    try:
        # FileHandler creates with the umask (0644, 0666 under umask 000): create it private first.
        log = paths.ensure_private_file(paths.log_file())
        handler: logging.Handler = logging.FileHandler(log, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("craft_tui")
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def log_exception(error: BaseException) -> str:
    """Write the traceback to the log; return where it went, for a one-line message."""
    configure_logging()
    text = "".join(traceback.format_exception(error))
    logging.getLogger("craft_tui").error("unexpected error\n%s", text)
    return str(paths.log_file())
