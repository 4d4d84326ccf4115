"""The workspace: the one place that holds what the app and the command line work on.

It owns the current validated config (one copy, the last good one), the driver pool, the history
store and the sessions opened from it, the values derived from them (default target, message
labels, status figures), and `ConnectionService`, through which every connection change goes.
It imports the config, providers and chat layers, never Textual or `craft_tui.ui`: the UI
subscribes to its changes and reads `workspace.config` when it needs it.

Nothing is imported here: `craft_tui.workspace.core` is created before the app's first frame, and
each module keeps its heavy imports (pydantic, httpx, SQLite, the chat core) inside functions.
"""
