"""The one place the UI meets the chat core, config and drivers: opening the history store,
choosing the conversation to show, building a `ChatSession`, and summarising it for the status
line. Screens call this; it never touches a widget. Imports of the core are lazy so the first
frame does not wait for them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from craft_tui.config.preview import ConfigPreview
from craft_tui.ui.widgets.status_bar import StatusInfo

if TYPE_CHECKING:  # pydantic is not imported before the first frame
    from craft_tui.config.schema import Config, Connection

DriverOpener = Callable[["Connection"], Any]


def _format_cost(total: float | None, local: bool) -> str:
    from craft_tui.chat.cost import format_cost

    return format_cost(total, local=local and total is None)


class ChatBackend:
    """Sessions and summaries for the chat screen."""

    def __init__(
        self,
        config: Config | None,
        *,
        store: Any = None,
        driver_opener: DriverOpener | None = None,
        preview: ConfigPreview | None = None,
    ) -> None:
        """`config` is None only until the app has validated it after the first frame; until
        then the chrome (placeholder, status line) comes from `preview`."""
        self.config: Config = config  # type: ignore[assignment]
        self._preview = preview or ConfigPreview()
        self._store = store
        self._driver_opener = driver_opener
        self._drivers: dict[str, Any] = {}

    # ---------------------------------------------------------------- store and sessions

    def store(self) -> Any:
        """The history store, opened on first use (a few ms: call it from a worker)."""
        if self._store is None:
            from craft_tui.chat.history import HistoryStore

            self._store = HistoryStore.open()
        return self._store

    def open_driver(self, connection: Connection) -> Any:
        """One driver (one pooled HTTP client) per connection for the whole app run."""
        driver = self._drivers.get(connection.slug)
        if driver is None:
            if self._driver_opener is not None:
                driver = self._driver_opener(connection)
            else:
                from craft_tui.providers.factory import open_driver

                driver = open_driver(connection)
            self._drivers[connection.slug] = driver
        return driver

    def forget_driver(self, slug: str) -> None:
        """Drop a cached driver after its connection was edited (next request builds a new one)."""
        self._drivers.pop(slug, None)

    async def aclose(self) -> None:
        drivers, self._drivers = list(self._drivers.values()), {}
        for driver in drivers:
            with contextlib.suppress(Exception):
                await driver.aclose()

    def default_target(self) -> tuple[Connection | None, str | None]:
        """The connection and model a new conversation starts with."""
        connections = self.config.connections
        if not connections:
            return None, None
        slug = self.config.settings.default_connection
        connection = next((c for c in connections if c.slug == slug), connections[0])
        return connection, connection.effective_default_model

    async def open_session(self, conversation_id: str | None, *, new: bool) -> Any:
        """The session to show: `conversation_id`, else the last one (unless `new` or the
        settings say otherwise), else a fresh conversation. SQLite work runs in a thread."""
        return await asyncio.to_thread(self._open_session_sync, conversation_id, new)

    def _open_session_sync(self, conversation_id: str | None, new: bool) -> Any:
        from craft_tui.chat.session import ChatSession

        store = self.store()
        if conversation_id is None and not new and self.config.settings.reopen_last_conversation:
            conversation_id = _conversation_to_reopen(store)
        conversation = None
        if conversation_id is not None:
            conversation, _messages = store.load_conversation(conversation_id)
        else:
            # Reuse the last conversation if it is still empty: no pile of blank ones.
            last = store.last_conversation_id()
            if last is not None:
                candidate, messages = store.load_conversation(last)
                if not messages and not store.all_messages(last):
                    conversation = candidate
        if conversation is None:
            connection, model = self.default_target()
            conversation = store.create_conversation(
                connection_slug=connection.slug if connection else None, model=model
            )
        return ChatSession(
            store,
            conversation,
            driver_opener=self._open_for_session,
            cost_fn=self.cost,
            config=lambda: self.config,
        )

    def _open_for_session(self, connection: Connection) -> Any:
        return self.open_driver(connection)

    # ---------------------------------------------------------------- what the screen shows

    def connection(self, slug: str | None) -> Connection | None:
        return next((c for c in self.config.connections if c.slug == slug), None)

    def label_for(self, slug: str | None, model: str | None) -> str:
        """'Connection name · model' for a message label."""
        connection = self.connection(slug)
        name = connection.name if connection else (slug or "")
        return " · ".join(part for part in (name, model or "") if part) or "assistant"

    def current_target(self, session: Any) -> tuple[Connection | None, str | None]:
        if session is None:
            return self.default_target()
        conversation = session.conversation
        connection = self.connection(conversation.connection_slug)
        if connection is None:
            return self.default_target()
        return connection, conversation.model or connection.effective_default_model

    def current_model(self, session: Any) -> str | None:
        if self.config is None:
            return self._preview.model
        return self.current_target(session)[1]

    def cannot_send_reason(self, session: Any, keymap: dict[str, str] | None = None) -> str | None:
        """Why Enter cannot send right now, as one actionable sentence (None: it can)."""
        from craft_tui.ui.bindings import first_key

        connection, model = self.current_target(session)
        if connection is None:
            key = first_key("open_connections", keymap)
            return f"No connection yet: press {key} to add one."
        if not model:
            key = first_key("pick_model", keymap)
            return f"{connection.name} has no model chosen: press {key} to pick one."
        return None

    async def mark_used(self, slug: str | None) -> None:
        """Record that `slug` just answered ("used …" in the connections list), in the runtime
        state (`config/state.py`): config.toml is the user's and is not rewritten for this."""
        connection = self.connection(slug)
        if connection is None:
            return
        from craft_tui.config.state import mark_connection_used

        try:
            await asyncio.to_thread(mark_connection_used, connection.slug)
        except Exception as error:  # the answer matters more than the timestamp
            import logging

            logging.getLogger(__name__).warning("could not record last use: %s", error)

    def cost(self, connection: Connection, model: str, usage: Any) -> float | None:
        """USD for one answer (None when local or unknown), for the chat core to store."""
        from craft_tui.chat.cost import answer_cost_usd

        # Knows each protocol's cached-token counting and the cached list's prices.
        return answer_cost_usd(connection, model, usage)

    def status_info(self, session: Any) -> StatusInfo:
        """Figures for the status line: totals of the shown branch, speed of the last answer."""
        if self.config is None:
            name = self._preview.connection_name
            return StatusInfo(connection=name or "no connection", model=self._preview.model or "")
        connection, model = self.current_target(session)
        messages = list(session.messages) if session is not None else []
        answers = [m for m in messages if m.role == "assistant"]
        total_in = sum(m.input_tokens or 0 for m in answers)
        total_out = sum(m.output_tokens or 0 for m in answers)
        costs = [m.cost_usd for m in answers if m.cost_usd is not None]
        cost = ""
        if answers:  # (pricing's import is not needed for the first frame's empty status line)
            local = connection is not None and _is_local(connection)
            cost = _format_cost(sum(costs) if costs else None, local)
        last = next((m for m in reversed(answers) if m.finish_reason is not None), None)
        return StatusInfo(
            connection=connection.name if connection else "no connection",
            model=model or "",
            input_tokens=total_in,
            output_tokens=total_out,
            cost=cost,
            ttft_s=getattr(last, "ttft_s", None),
            tokens_per_s=getattr(last, "tokens_per_s", None),
        )

    # ---------------------------------------------------------------- edits

    def switch(self, session: Any, slug: str, model: str) -> None:
        connection = self.connection(slug)
        if connection is not None:
            session.switch(connection, model)

    def delete_message(self, session: Any, message_id: str) -> None:
        session.delete_message(message_id)

    def system_prompt(self, session: Any) -> str:
        return str(session.conversation.system_prompt or "")

    def set_system_prompt(self, session: Any, text: str) -> None:
        session.set_system_prompt(text.strip() or None)


def _conversation_to_reopen(store: Any) -> str | None:
    """The conversation the user last had on screen, if it is still in the history; else the one
    updated last (a conversation started elsewhere, or no state yet)."""
    from craft_tui.chat.history import NotFoundError
    from craft_tui.config.state import last_conversation

    viewed = last_conversation()
    if viewed is not None:
        try:
            store.get_conversation(viewed)
        except NotFoundError:
            pass
        else:
            return viewed
    last: str | None = store.last_conversation_id()
    return last


def _is_local(connection: Connection) -> bool:
    from craft_tui.providers.pricing import is_local_connection

    return is_local_connection(connection)
