"""`craft-tui connection …`: edit the same config.toml and secret store the app uses."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from craft_tui.cli import UserError, connection_problem, validation_problems
from craft_tui.config import paths
from craft_tui.config.presets import Preset, get_preset, normalize_connection_url
from craft_tui.config.protocols import known_protocols
from craft_tui.config.schema import (
    ENV_NAME_PATTERN,
    AuthKind,
    Config,
    Connection,
    ModelEntry,
    NoAuth,
    make_auth,
    slugify,
)
from craft_tui.config.secrets import SecretStore, drop_orphaned_keys, mask_secret
from craft_tui.config.state import last_used
from craft_tui.config.urls import InvalidURLError, Protocol, chat_url
from craft_tui.untrusted import shown_inline
from craft_tui.workspace.connections import ConnectionService, exists_already, needs_stored_key
from craft_tui.workspace.targets import ConnectionProblem, find_connection


def run(args: argparse.Namespace) -> int:
    """Every change goes through `ConnectionService`, as the connections screen's do: the same
    rules, and the same sentence when one is refused."""
    handlers = {
        "add": add,
        "list": list_connections,
        "remove": remove,
        "test": test,
        "key": set_key,
        "default": make_default,
    }
    # Keys left by a remove that was killed half-way (or by an older craft-tui) go first.
    drop_orphaned_keys()
    try:
        return handlers[args.action](args, ConnectionService())
    except ConnectionProblem as problem:
        raise connection_problem(problem) from None


def _read_key_from_stdin(prompt: str) -> str:
    try:
        key = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.read()
    except UnicodeDecodeError:
        raise UserError(
            "The key on stdin is not text.", "pipe the file that holds only the key, as text."
        ) from None
    key = key.strip()
    if not key:
        raise UserError(
            "No key was given on stdin.",
            "pipe the key in (craft-tui connection … --api-key-stdin <key.txt), or paste it at the "
            "prompt on a terminal.",
        )
    if any(ch.isspace() for ch in key):
        raise UserError(
            "The key contains spaces or line breaks.",
            "give only the key: one line, nothing before or after it.",
        )
    if not key.isascii() or not key.isprintable():
        raise UserError(
            "The key on stdin has characters no API key has (it is not plain ASCII text).",
            "pipe the file that holds only the key, or paste the key from the provider's page.",
        )
    return key


def _parse_headers(items: list[str]) -> dict[str, str]:
    headers = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(
                f"--header {item!r} is not a header and its value.",
                "write it as NAME=VALUE, e.g. --header X-Title=craft-tui.",
            )
        headers[name.strip()] = value.strip()
    return headers


def _resolve_endpoint(args: argparse.Namespace) -> tuple[Preset | None, Protocol, str]:
    preset = get_preset(args.preset) if args.preset else None
    protocol: Protocol | None = args.protocol or (preset.protocol if preset else None)
    if protocol is None:
        choices = ",".join(known_protocols())
        raise UserError(
            "No endpoint was given.",
            f"give --preset (see --help for the list), or --protocol {{{choices}}} with --base-url.",
        )
    raw_url = args.base_url or (preset.resolved_base_url() if preset else "")
    if not raw_url:
        raise UserError(
            f"{args.preset or 'A custom connection'} has no base URL of its own.",
            "give the server's address with --base-url, e.g. --base-url https://llm.example.com/v1.",
        )
    try:
        base = normalize_connection_url(protocol, raw_url, preset.id if preset else None)
    except InvalidURLError as error:
        raise UserError(
            str(error), "give the server's address, e.g. --base-url https://llm.example.com/v1."
        ) from None
    return preset, protocol, base


# Connection fields as `connection add` spells them, for a value the schema refuses.
_OPTION_NAMES = {
    "name": "NAME",
    "id": "--model",
    "auth.api_key_env": "--api-key-env",
    "auth.api_key_cmd": "--api-key-cmd",
    "auth": "--api-key-cmd",
    "models": "--model",
    "default_model": "--default-model",
    "headers": "--header",
    "base_url": "--base-url",
    "ca_bundle": "--ca-bundle",
}


def _check_env_name(name: str) -> None:
    if not re.fullmatch(ENV_NAME_PATTERN, name):
        raise UserError(
            f"--api-key-env {name!r} is not an environment variable name.",
            "give the variable's name (letters, digits and _, not starting with a digit), "
            "e.g. --api-key-env CORP_API_KEY.",
        )


def _ca_bundle(text: str) -> Path:
    try:
        path = Path(text).expanduser().resolve()
    except (RuntimeError, OSError) as error:  # `~nobody/ca.pem`: no such home folder
        raise UserError(
            f"--ca-bundle {text}: {error}.", "give the full path of a PEM file."
        ) from None
    if not path.is_file():
        raise UserError(
            f"--ca-bundle {path}: no such file.",
            "give the path of a PEM file with the CA certificates to trust.",
        )
    return path


def add(args: argparse.Namespace, service: ConnectionService) -> int:
    """Create a connection; the key goes to the secret store, never to config.toml."""
    preset, protocol, base = _resolve_endpoint(args)
    slug = slugify(args.name)
    if not slug:
        raise UserError(
            f"The name {args.name!r} has no letters or digits to make a slug from.",
            'give a name with at least one letter or digit, e.g. "Work proxy".',
        )
    if service.load().find(slug) is not None:  # before asking for a key
        raise exists_already(slug)

    key: str | None = None
    key_env: str | None = args.api_key_env
    key_cmd: str | None = _key_command(args.api_key_cmd)
    kind: AuthKind
    if args.no_auth:
        kind = "none"
    elif args.bearer:
        kind = "bearer"
    elif preset is not None:
        kind = preset.auth
    else:
        kind = "api_key"
    if args.api_key_stdin:
        key = _read_key_from_stdin(f"API key for {args.name}: ")
        if kind == "none":
            kind = "api_key"  # a key was given for a usually keyless server (vLLM --api-key)
    elif key_env is not None or key_cmd is not None:
        if kind == "none":
            kind = "api_key"
    elif kind != "none":
        key_env = preset.key_env if preset else None
        if key_env is None:
            raise UserError(
                "This connection needs a key, and none was given.",
                "give --api-key-stdin (the key on stdin), --api-key-env VAR, --api-key-cmd "
                "'pass show NAME' (a command that prints it), or --no-auth for a server that "
                "needs none.",
            )

    if key_env is not None:
        _check_env_name(key_env)
    ca_bundle = _ca_bundle(args.ca_bundle) if args.ca_bundle else None
    try:
        connection = Connection(
            slug=slug,
            name=args.name.strip(),
            protocol=protocol,
            preset=preset.id if preset else None,
            base_url=base,
            auth=make_auth(kind, key_env, key_cmd),
            models=[ModelEntry(id=model_id) for model_id in args.model],
            default_model=args.default_model,
            headers={**(preset.headers if preset else {}), **_parse_headers(args.header)},
            ca_bundle=ca_bundle,
            verify_tls=not args.insecure,
        )
    except ValidationError as error:
        raise UserError(
            validation_problems(error, _OPTION_NAMES) + ".",
            "change that option; `craft-tui connection add --help` lists them.",
        ) from None

    config = service.add(connection, key=key, default=args.default)
    print(f"Added connection {slug!r} ({protocol}) → {chat_url(protocol, base)}")
    if key is not None:
        print(f"Key {mask_secret(key)} stored in the {service.secrets.description}.")
    elif key_cmd:
        _say_key_command(slug, key_cmd)
    elif key_env:
        print(f"Key read from ${key_env} at request time.")
        if not os.environ.get(key_env, "").strip():
            print(f"craft-tui: warning: ${key_env} is not set here.", file=sys.stderr)
            print(
                f"  fix: export {key_env}=YOUR_KEY before using {slug!r} (your shell profile "
                f"keeps it), or store the key instead: craft-tui connection key {slug} --api-key-stdin",
                file=sys.stderr,
            )
    else:
        print("No authentication.")
    default = config.default_connection
    if default is not None and default.slug == slug:
        print("This is the default connection.")
    return 0


def _key_command(text: str | None) -> str | None:
    """`--api-key-cmd` as given, checked the way config.toml checks it (its words can be split)."""
    if text is None:
        return None
    from craft_tui.config.key_command import parse_command

    try:
        parse_command(text)
    except ValueError as error:
        raise UserError(
            f"--api-key-cmd: {error}.",
            "quote the whole command once for your shell, e.g. --api-key-cmd 'pass show openrouter'.",
        ) from None
    return text.strip()


def _say_key_command(slug: str, command: str) -> None:
    """What happens with a key command, and a warning when its program is not found here."""
    import shutil

    from craft_tui.config.key_command import TIMEOUT_SECONDS, parse_command

    print(
        f"Key from the command `{shown_inline(command)}` when needed (its first line; never "
        "stored; stopped after "
        f"{TIMEOUT_SECONDS:g} s). Check it now: craft-tui connection test {slug}"
    )
    program = parse_command(command)[0]
    if shutil.which(program) is None:
        print(f"craft-tui: warning: {shown_inline(program)} is not found here.", file=sys.stderr)
        print(
            f"  fix: install it, or give its full path: craft-tui connection key {slug} "
            '--api-key-cmd "…"',
            file=sys.stderr,
        )


def _describe(
    connection: Connection, config: Config, masked: dict[str, str | None]
) -> dict[str, Any]:
    auth = connection.auth
    key_display = ""
    key_command: str | None = None
    if not isinstance(auth, NoAuth):
        if auth.api_key_cmd:
            key_command = auth.api_key_cmd
            key_display = f"from `{auth.api_key_cmd}`"
        elif auth.api_key_env:
            key_display = f"${auth.api_key_env}"
        else:
            stored = masked.get(connection.slug)
            key_display = "(unreadable)" if stored is None else stored or "(no key stored)"
    default = config.default_connection
    return {
        "slug": connection.slug,
        "name": connection.name,
        "protocol": connection.protocol,
        "preset": connection.preset,
        "base_url": connection.base_url,
        "auth": auth.type,
        "key": key_display,
        "key_command": key_command,
        "models": connection.model_ids,
        "default_model": connection.effective_default_model,
        "default": default is not None and default.slug == connection.slug,
        "last_used": _iso(last_used(connection.slug)),  # runtime state (config/state.py)
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def list_connections(args: argparse.Namespace, service: ConnectionService) -> int:
    config = service.load()
    masked = service.masked_keys(config.connections)
    rows = [_describe(connection, config, masked) for connection in config.connections]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No connections yet. Add one: craft-tui connection add --help")
        return 0
    for row in rows:
        marker = "*" if row["default"] else " "
        models = f"{len(row['models'])} model(s)" + (
            f", default {row['default_model']}" if row["default_model"] else ""
        )
        auth = row["auth"] + (f" {shown_inline(row['key'])}" if row["key"] else "")
        print(f"{marker} {row['slug']:<20} {row['protocol']:<9} {shown_inline(row['base_url'])}")
        print(f"    {shown_inline(row['name'])} · {auth} · {models}")
    print(f"\nKeys: {service.secrets.description}")
    return 0


def remove(args: argparse.Namespace, service: ConnectionService) -> int:
    before = service.load()
    connection = find_connection(before, args.name)
    was_default = _default_slug(before) == connection.slug
    had_key = _has_stored_key(connection, service)
    removed = service.remove(connection.slug)
    if removed.key_error is not None:
        print(
            f"Removed connection {removed.slug!r} and its cached model list; its stored key could "
            f"not be deleted ({removed.key_error}): the next craft-tui command tries again."
        )
    elif had_key:
        print(f"Removed connection {removed.slug!r}, its stored key and its cached model list.")
    else:
        print(f"Removed connection {removed.slug!r} and its cached model list.")
    if was_default:
        now = _default_slug(removed.config)
        if now is not None:
            print(f"{now!r} is now the default connection (craft-tui connection default NAME).")
        else:
            print("No connection is left: add one with craft-tui connection add NAME --preset ...")
    return 0


def _default_slug(config: Config) -> str | None:
    default = config.default_connection
    return default.slug if default is not None else None


def _has_stored_key(connection: Connection, service: ConnectionService) -> bool:
    """True when a key for it is in the secret store (or the store cannot tell)."""
    try:
        return service.secrets.get(connection.slug) is not None
    except Exception:  # an unreadable store: the remove still tries to delete the key
        return True


def set_key(args: argparse.Namespace, service: ConnectionService) -> int:
    connection = find_connection(service.load(), args.name)
    if args.api_key_cmd is not None:
        return _set_key_command(args, service, connection)
    if not args.api_key_stdin and not sys.stdin.isatty():
        raise UserError(
            "No key was given.",
            f"pipe it in with --api-key-stdin: craft-tui connection key {connection.slug} "
            "--api-key-stdin <key.txt",
        )
    auth = connection.auth
    if isinstance(auth, NoAuth) and not args.use_key and not _confirm_key_for(connection):
        raise UserError(
            f"Connection {connection.slug!r} sends no key (no authentication); a stored key "
            "would switch it to sending one.",
            f"to switch it, pass --use-key: craft-tui connection key {connection.slug} "
            "--use-key --api-key-stdin",
        )
    key = _read_key_from_stdin(f"API key for {connection.name}: ")
    service.set_key(connection.slug, key)
    print(
        f"Key {mask_secret(key)} stored for {connection.slug!r} "
        f"in the {service.secrets.description}."
    )
    if isinstance(auth, NoAuth):
        print(f"{connection.slug!r} now sends this key (it sent none before).")
    elif auth.api_key_env:
        print(f"{connection.slug!r} now uses this key instead of reading ${auth.api_key_env}.")
    elif auth.api_key_cmd:
        print(
            f"{connection.slug!r} now uses this key instead of running "
            f"`{shown_inline(auth.api_key_cmd)}`."
        )
    return 0


def _set_key_command(
    args: argparse.Namespace, service: ConnectionService, connection: Connection
) -> int:
    """`connection key NAME --api-key-cmd CMD`: the key comes from the command from now on."""
    command = _key_command(args.api_key_cmd)
    assert command is not None
    if isinstance(connection.auth, NoAuth) and not args.use_key:
        raise UserError(
            f"Connection {connection.slug!r} sends no key (no authentication); a key command "
            "would switch it to sending one.",
            f"to switch it, pass --use-key: craft-tui connection key {connection.slug} --use-key "
            "--api-key-cmd '…'",
        )
    had_stored = needs_stored_key(connection) and _has_stored_key(connection, service)
    updated = service.set_key_command(connection.slug, command)
    _say_key_command(updated.slug, command)
    if had_stored:
        print(f"The key stored for {updated.slug!r} was deleted: the command gives it now.")
    return 0


def _confirm_key_for(connection: Connection) -> bool:
    """Ask on a terminal whether a connection that sends no key should start sending one."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        answer = input(
            f"{connection.name} sends no key now. Store a key and send it from now on? [y/N] "
        )
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def make_default(args: argparse.Namespace, service: ConnectionService) -> int:
    config = service.make_default(args.name)
    default = config.default_connection
    print(f"{default.slug if default else args.name!r} is now the default connection.")
    return 0


def test(args: argparse.Namespace, service: ConnectionService) -> int:
    """Real network check; implemented by the driver layer."""
    from craft_tui.providers.check import run_check_cli

    return run_check_cli(find_connection(service.load(), args.name))


def show_paths() -> int:
    store = SecretStore.open()
    print(f"config:  {paths.config_file()}")
    print(f"keys:    {store.description}")
    print(f"history: {paths.history_file()}")
    print(f"cache:   {paths.cache_dir()}")
    print(f"log:     {paths.log_file()}")
    return 0
