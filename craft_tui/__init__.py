"""craft-tui: a keyboard-driven terminal chat client for any LLM endpoint."""

__version__ = "0.1.0"
APP_NAME = "craft-tui"
