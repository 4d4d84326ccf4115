"""`check_connection`: prove a connection works, step by step, the way a person would.

Step 1 lists the models (a server without a list is fine, and said so); step 2 asks the default
model for a 1-token answer. Used by `craft-tui connection test` and the connections screen.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TextIO

from craft_tui.config.schema import Connection
from craft_tui.config.secrets import MissingKeyError, key_for
from craft_tui.config.urls import alternative_bases, chat_url, models_url
from craft_tui.providers.errors import ErrorKind, ProviderError
from craft_tui.providers.factory import make_driver
from craft_tui.providers.types import ChatMessage, ChatRequest, TextDelta


@dataclass(frozen=True)
class CheckStep:
    """One step's outcome: `ok` False only for a real failure; `error` carries the details."""

    name: str
    ok: bool
    detail: str
    error: ProviderError | None = None


async def find_working_base(connection: Connection, api_key: str | None) -> str | None:
    """The first corrected base URL (same host, another path) whose model list answers, if any.

    Turns "nothing answers at this URL" into "the API is at that URL" for the classic mistakes
    (a missing or doubled /v1). Only the path changes, so the key stays with the same server.
    """
    for base in alternative_bases(connection.protocol, connection.base_url):
        candidate = connection.model_copy(update={"base_url": base})
        try:
            driver = make_driver(candidate, api_key)
        except ProviderError:
            return None
        try:
            await driver.list_models()
        except ProviderError:
            continue
        finally:
            await driver.aclose()
        return base
    return None


def _wrong_base(url: str, base: str) -> ProviderError:
    return ProviderError(
        ErrorKind.ENDPOINT_NOT_FOUND,
        f"Nothing answers at {url}, but the API answers at {base}.",
        f"Use {base} as the base URL.",
        status=404,
        suggested_base_url=base,
    )


async def check_connection(connection: Connection, api_key: str | None) -> AsyncIterator[CheckStep]:
    """Yield the outcome of each step as soon as it is known."""
    try:
        driver = make_driver(connection, api_key)
    except ProviderError as error:  # e.g. an unreadable CA bundle: nothing can be sent
        yield CheckStep("setup", False, error.message, error)
        return
    try:
        url = models_url(connection.protocol, connection.base_url)
        try:
            models = await driver.list_models()
        except ProviderError as error:
            if error.kind is ErrorKind.NO_MODEL_LIST:
                working = await find_working_base(connection, api_key)
                if working is not None and connection.effective_default_model is None:
                    wrong = _wrong_base(url, working)  # no answer step follows to say it
                    yield CheckStep("models", False, wrong.message, wrong)
                    return
                elsewhere = f"; one answers at {working}" if working else "; type model ids by hand"
                yield CheckStep("models", True, f"No model list at {url}{elsewhere}.", None)
            else:
                yield CheckStep("models", False, error.message, error)
                return
        else:
            shown = ", ".join(m.id for m in models[:5])
            more = f" and {len(models) - 5} more" if len(models) > 5 else ""
            detail = f"{len(models)} models at {url}" + (f": {shown}{more}" if models else "")
            yield CheckStep("models", True, detail)

        model = connection.effective_default_model
        if model is None:
            yield CheckStep(
                "answer", True, "No default model set, so no test answer was requested.", None
            )
            return
        request = ChatRequest(model=model, messages=(ChatMessage("user", "Say OK."),), max_tokens=1)
        text = ""
        try:
            async with contextlib.aclosing(driver.stream(request)) as events:  # type: ignore[type-var]
                async for event in events:
                    if isinstance(event, TextDelta):
                        text += event.text
        except ProviderError as error:
            if error.kind is ErrorKind.ENDPOINT_NOT_FOUND and error.status == 404:
                working = await find_working_base(connection, api_key)
                if working is not None:
                    where = chat_url(connection.protocol, connection.base_url)
                    error = _wrong_base(where, working)
            yield CheckStep("answer", False, error.message, error)
            return
        where = chat_url(connection.protocol, connection.base_url)
        got = f" ({text.strip()!r})" if text.strip() else ""
        yield CheckStep("answer", True, f"{model} answered at {where}{got}")
    finally:
        await driver.aclose()


def _print_step(step: CheckStep, out: TextIO) -> None:
    mark = "✓" if step.ok else "✗"
    print(f"{mark} {step.detail}", file=out)
    error = step.error
    if error is not None and not step.ok:
        if error.hint:
            print(f"  fix: {error.hint}", file=out)
        if error.suggested_base_url and error.suggested_base_url not in error.hint:
            print(f"  suggested base URL: {error.suggested_base_url}", file=out)


def run_check_cli(connection: Connection, out: TextIO | None = None) -> int:
    """Print each step (✓/✗, the sentence, the fix, a suggested URL); 0 when all passed, else 1."""
    stream = out or sys.stdout
    print(f"Testing {connection.name} ({connection.protocol}, {connection.base_url})", file=stream)
    try:
        api_key = key_for(connection)
    except MissingKeyError as error:
        print(f"✗ {error}", file=stream)
        return 1

    async def run() -> bool:
        ok = True
        async for step in check_connection(connection, api_key):
            _print_step(step, stream)
            stream.flush()
            ok = ok and step.ok
        return ok

    return 0 if asyncio.run(run()) else 1
