"""A keyring backend kept in a JSON file, for tests that run craft-tui in subprocesses.

Select it with `PYTHON_KEYRING_BACKEND=tests.fake_keyring.FileKeyring` and name the file in
`CRAFT_TUI_TEST_KEYRING`: every process of a test then shares one "system keyring" the test can
read afterwards, and the developer's keyring is never touched. It writes through `os.replace`, as
craft-tui's own files do, so a test that kills a process at its N-th `os.replace` also stops it
between keyring writes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

FILE_ENV = "CRAFT_TUI_TEST_KEYRING"


def entries(path: Path) -> dict[str, str]:
    """`service/username` -> password, as stored in `path` (empty when nothing was stored)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {str(k): str(v) for k, v in data.items()}


class FileKeyring(KeyringBackend):
    """Passwords in the JSON file `$CRAFT_TUI_TEST_KEYRING`."""

    priority = 10

    @property
    def path(self) -> Path:
        return Path(os.environ[FILE_ENV])

    def _save(self, data: dict[str, str]) -> None:
        temp = self.path.with_name(self.path.name + ".tmp")
        temp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return entries(self.path).get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = entries(self.path)
        data[f"{service}/{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = entries(self.path)
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save(data)
