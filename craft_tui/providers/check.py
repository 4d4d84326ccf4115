"""`check_connection`: prove a connection works, step by step, the way a person would.

Step 1 lists the models (a server without a list is fine, and said so); step 2 asks the default
model for a 1-token answer and stops at its first token (a server that ignores max_tokens is
neither waited for nor has its whole reply shown). The one implementation, used by
`craft-tui connection test` and (through `ConnectionService.check`) the connection form.
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
from craft_tui.providers.types import ChatMessage, ChatRequest, ReasoningDelta, TextDelta
from craft_tui.untrusted import shown_inline

SHOWN_ANSWER_CHARS = 40  # of the test answer's first token, on one line


@dataclass(frozen=True)
class CheckStep:
    """One step of a connection test. `ok` is False only for a real failure (`error` has the
    details); `skipped` marks a step that did not run (never to be shown as passed); `models`:
    the ids a model list gave (the form offers them)."""

    name: str
    ok: bool
    detail: str
    error: ProviderError | None = None
    skipped: bool = False
    models: tuple[str, ...] = ()


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


def first_words(text: str) -> str:
    """The start of a test answer as one short line ('' when nothing but blanks arrived)."""
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    if len(line) > SHOWN_ANSWER_CHARS:
        line = line[: SHOWN_ANSWER_CHARS - 1] + "…"
    return shown_inline(line)


async def check_connection(connection: Connection, api_key: str | None) -> AsyncIterator[CheckStep]:
    """Test `connection` the way a person would, yielding each step as soon as it is known:
    `setup` (settings that stop any request), `models`, then `answer`."""

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
            if error.kind is not ErrorKind.NO_MODEL_LIST:
                yield CheckStep("models", False, error.message, error)
                return
            working = await find_working_base(connection, api_key)
            if working is not None and connection.effective_default_model is None:
                wrong = _wrong_base(url, working)  # no answer step follows to say it
                yield CheckStep("models", False, wrong.message, wrong)
                return
            elsewhere = f"; one answers at {working}" if working else "; type model ids by hand"
            yield CheckStep("models", True, f"No model list at {url}{elsewhere}.")
        else:
            ids = tuple(model.id for model in models)
            shown = ", ".join(ids[:5])
            more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
            detail = f"{len(ids)} models at {url}" + (f": {shown}{more}" if ids else "")
            yield CheckStep("models", True, detail, models=ids)

        model = connection.effective_default_model
        if model is None:
            yield CheckStep(
                "answer", True, "No default model set, so no test answer was requested.",
                skipped=True,
            )  # fmt: skip
            return
        request = ChatRequest(model=model, messages=(ChatMessage("user", "Say OK."),), max_tokens=1)
        first = ""
        try:
            async with contextlib.aclosing(driver.stream(request)) as events:  # type: ignore[type-var]
                async for event in events:
                    # One token proves the model answers: stop there, so a server that ignores
                    # max_tokens is neither waited for nor has its whole reply shown.
                    if isinstance(event, TextDelta | ReasoningDelta) and event.text.strip():
                        first = event.text
                        break
        except ProviderError as error:
            if error.kind is ErrorKind.ENDPOINT_NOT_FOUND and error.status == 404:
                working = await find_working_base(connection, api_key)
                if working is not None:
                    error = _wrong_base(chat_url(connection.protocol, connection.base_url), working)
            yield CheckStep("answer", False, error.message, error)
            return
        where = chat_url(connection.protocol, connection.base_url)
        got = first_words(first)
        yield CheckStep(
            "answer", True, f"{model} answered at {where}" + (f" ({got})" if got else "")
        )
    finally:
        await driver.aclose()


def _print_step(step: CheckStep, out: TextIO) -> None:
    if step.skipped:
        print(f"– {step.name} skipped: {step.detail}", file=out)
        return
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
