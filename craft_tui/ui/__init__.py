"""Textual screens and widgets. Never builds HTTP requests: it talks to the chat core."""
