"""The connections screen's delete question mentions a stored key only when there is one."""

from __future__ import annotations

from craft_tui.config.schema import Connection, NoAuth
from craft_tui.ui.screens.connections import ConnectionsScreen
from tests.ui.test_connections import KEY, Host, add_connection, idle, screen_text


async def test_the_question_names_the_key_only_when_one_is_stored() -> None:
    add_connection(
        Connection(slug="local", name="Local", protocol="openai", auth=NoAuth(),
                   base_url="http://localhost:11434/v1")
    )  # fmt: skip
    add_connection(
        Connection(
            slug="paid", name="Paid", protocol="openai", base_url="https://a.example.com/v1"
        ),
        key=KEY,
    )
    app = Host(lambda: ConnectionsScreen())
    async with app.run_test(size=(100, 40)) as pilot:
        await idle(pilot)
        await pilot.press("d")
        text = screen_text(app)
        assert "Delete connection 'Local'? Conversations stay in the history." in text
        assert "stored key" not in text
        await pilot.press("n", "down")
        await pilot.press("d")
        text = screen_text(app)
        assert "Delete connection 'Paid'? Its stored key is removed too; conversations stay" in text
