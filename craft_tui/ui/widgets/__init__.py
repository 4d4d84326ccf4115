"""Widgets of the chat screen: transcript, message views, prompt, reasoning block, status, errors."""
