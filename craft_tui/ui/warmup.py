"""Getting the first send ready while the user types it.

Nothing that only sending needs is imported before the first frame (`tests/test_startup.py`):
httpx, the protocol's driver, the key store (keyring picks its backend by scanning entry points),
Markdown parsing and the CA store together cost a first Enter ~0.3 s of imports on a quiet
2-core machine (issue 16: 0.44-0.49 s from Enter to the request on the wire, 0.10 s for a bare
Textual app that built its httpx client before its first frame).

So once the chat screen shows its conversation (the first frame and the opening of the history
come first, undisturbed), a thread imports those modules, builds the Markdown parser once and
loads the CA store into the context the drivers share, for the connection the next prompt goes
to. It only fills caches a send would fill itself: no key is read (a keyring may ask to be
unlocked, and that stays tied to sending), no driver is pooled, nothing is sent. Imports release
the GIL every few milliseconds like any Python code, and the loop is idle while the user types,
so keys stay as quick as before. An Enter pressed meanwhile just waits on the module being
imported, never imports it twice. Anything that fails here fails again, with its message, when
the prompt is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from craft_tui.config.schema import Connection
    from craft_tui.ui.app import CraftApp

log = logging.getLogger(__name__)

POLL = 0.05  # how often the opening of the first conversation is looked at (s)
WAIT_FOR_OPEN = 30.0  # give up waiting for it after this long (s) and warm up anyway

# One parse of this builds the parser's lazily compiled rules (linkify's large patterns, tables,
# task items, fences) the first answer would otherwise compile while it streams.
SAMPLE = """\
# Title

Some *text* with `code`, a link https://example.com and www.example.org.

- [x] done
- item

| a | b |
|:--|--:|
| 1 | 2 |

```python
x = 1
```
"""


def start_warm_up(app: CraftApp) -> None:
    """Warm up for the first send in the background (called once the config is validated)."""
    app.run_worker(_warm_up(app), name="warm-up", group="warm-up", exit_on_error=False)


async def _warm_up(app: CraftApp) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_FOR_OPEN
    while loop.time() < deadline:  # after the conversation is on screen: it paints undisturbed
        chat = app.chat
        if chat is not None and chat.loaded:
            break
        await asyncio.sleep(POLL)
    chat = app.chat
    connection = app.workspace.target_of(chat.session if chat is not None else None)[0]
    client = await asyncio.to_thread(warm, connection)
    if client is not None:
        with contextlib.suppress(Exception):
            await client.aclose()


def warm(connection: Connection | None) -> httpx.AsyncClient | None:
    """Import and build, in this thread, what the first send to `connection` needs; return the
    throwaway client built for it (its CA context stays cached for the real one), to be closed."""
    try:
        from craft_tui.ui.widgets.markdown_blocks import answer_parser

        answer_parser().parse(SAMPLE)
        import craft_tui.chat.session
        import craft_tui.workspace.drivers  # noqa: F401
        from craft_tui.config.secrets import SecretStore

        SecretStore.open()  # what the driver pool opens first: keyring's import and backend
        if connection is None:
            import httpx  # noqa: F401

            return None
        from craft_tui.config.protocols import get_protocol
        from craft_tui.providers.factory import driver_class
        from craft_tui.providers.http import build_client

        driver_class(get_protocol(connection.protocol))  # imports the driver module and httpx
        return build_client(connection)  # the CA store, loaded once into the shared context
    except Exception:  # only a head start: the send itself reports whatever is wrong
        log.debug("warm-up for the first send stopped", exc_info=True)
        return None
