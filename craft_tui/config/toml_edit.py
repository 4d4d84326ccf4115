"""Write a change of the configuration into `config.toml` without rewriting the file.

`config.toml` is the user's: they comment it, order it, quote and lay it out their way. Writing it
out from the validated `Config` (as craft-tui once did after every answer) dropped every comment and
filled the file with defaults. Here the file is a `tomlkit` document and only the *difference*
between the Config before and after a change is applied to it:

- connections are matched by slug: a changed key is set in place (its line keeps its comment), a
  key that became unset is removed, a key the file never had is added after the table's last key
  (before the comments that lead into the next table); a new connection is appended as a
  `[[connections]]` table written the way a new file writes it (`connection_values`), a removed
  connection's table is deleted with the comment block touching its header (between connections:
  a comment right above a table is about it), and the comments leading into the next table stay;
- settings keys are set, added or removed in place; a `[settings]` table is added when needed;
- `[[mcp_servers]]` are matched by name and edited, deleted and appended as connections are;
  `[tools]` keys as settings are;
- lists (a connection's models) are appended to, or have items removed or replaced, in place when
  the file lists exactly what the Config held, so a commented multi-line list keeps its comments;
- a value the file does not write is never written because it equals its default: only what the
  change actually changed is written, and of a table only the keys that differ;
- runtime keys (`last_used_at`, `settings.favourite_models`) are never written nor removed: they
  live in `state.json` now (config/state.py), and an older file that has them keeps them;
  `created_at` is written with a new connection only.

Everything else is left byte for byte. Connections whose order changed keep the file's order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, Array, Comment, InlineTable, Item, Table, Whitespace

from craft_tui.config.schema import (
    Config,
    Connection,
    McpServer,
    ModelEntry,
    Settings,
    Timeouts,
    ToolSettings,
)

RUNTIME_CONNECTION_KEYS = frozenset({"last_used_at"})
RUNTIME_SETTINGS_KEYS = frozenset({"favourite_models"})

_MISSING: Any = object()


# ------------------------------------------------------------------------ values as TOML has them


def model_value(entry: ModelEntry) -> str | dict[str, Any]:
    """A model as the file writes it: the plain id when it has nothing else."""
    extra = entry.model_dump(exclude_none=True)
    return extra if len(extra) > 1 else entry.id


def connection_values(connection: Connection) -> dict[str, Any]:
    """Every value of a connection as TOML data (None left out, runtime keys left out)."""
    data: dict[str, Any] = connection.model_dump(
        mode="json", exclude_none=True, exclude=set(RUNTIME_CONNECTION_KEYS)
    )
    data["models"] = [model_value(entry) for entry in connection.models]
    data["created_at"] = connection.created_at  # TOML's native date-time, not a string
    return data


def new_connection_values(connection: Connection) -> dict[str, Any]:
    """A connection as a new table writes it: default timeouts, max tokens, `prompt_cache = true`
    and empty lists left out (of the timeouts, only those set away from the default), so a default that
    changes later reaches connections that never chose their own."""
    data = connection_values(connection)
    defaults = Timeouts().model_dump()
    data["timeouts"] = {k: v for k, v in data["timeouts"].items() if defaults.get(k) != v}
    if not data["timeouts"]:
        del data["timeouts"]
    for key in ("max_tokens", "prompt_cache"):
        if data[key] == Connection.model_fields[key].default:
            del data[key]
    for key in ("headers", "models"):
        if not data[key]:
            del data[key]
    return data


def settings_values(settings: Settings) -> dict[str, Any]:
    """Every setting as TOML data (None left out, runtime keys left out)."""
    return settings.model_dump(mode="json", exclude_none=True, exclude=set(RUNTIME_SETTINGS_KEYS))


def mcp_server_values(server: McpServer) -> dict[str, Any]:
    """Every value of an MCP server as TOML data (None left out)."""
    data: dict[str, Any] = server.model_dump(mode="json", exclude_none=True)
    return data


def new_mcp_server_values(server: McpServer) -> dict[str, Any]:
    """An MCP server as a new `[[mcp_servers]]` table writes it: only what differs from the
    defaults (empty lists and tables, default timeouts, `enabled = true` left out)."""
    data = mcp_server_values(server)
    for key, field in McpServer.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if key != "name" and key in data and data[key] == default:
            del data[key]
    return data


def tools_values(tools: ToolSettings) -> dict[str, Any]:
    """`[tools]` as TOML data."""
    data: dict[str, Any] = tools.model_dump(mode="json")
    return data


def comparable(config: Config) -> dict[str, Any]:
    """What a write must keep equal: everything but runtime keys and `created_at` (which a
    table without it gets anew at every load)."""
    return {
        "settings": settings_values(config.settings),
        "connections": [
            {k: v for k, v in connection_values(c).items() if k != "created_at"}
            for c in config.connections
        ],
        "mcp_servers": [mcp_server_values(server) for server in config.mcp_servers],
        "tools": tools_values(config.tools),
    }


# ------------------------------------------------------------------------ applying the difference


def apply_change(doc: tomlkit.TOMLDocument, old: Config, new: Config) -> None:
    """Edit `doc` (the file `old` was read from) so that it reads as `new`."""
    _apply_settings(doc, settings_values(old.settings), settings_values(new.settings))
    _apply_connections(doc, old, new)
    _apply_mcp_servers(doc, old, new)
    _apply_tools(doc, tools_values(old.tools), tools_values(new.tools))


def _apply_mcp_servers(doc: tomlkit.TOMLDocument, old: Config, new: Config) -> None:
    """`[[mcp_servers]]` as connections are done: matched by name, changed keys set in place, a
    removed server's table deleted with the comments touching its header, a new one appended."""
    items = doc.get("mcp_servers")
    old_index = {server.name: index for index, server in enumerate(old.mcp_servers)}
    new_names = {server.name for server in new.mcp_servers}
    for server in new.mcp_servers:
        index = old_index.get(server.name)
        if index is None or not isinstance(items, AoT | Array):
            continue
        before = mcp_server_values(old.mcp_servers[index])
        after = mcp_server_values(server)
        if before != after:
            table = items[index]
            if isinstance(table, InlineTable):
                edited = _edit_inline(table, before, after)
                if edited is not table:
                    items[index] = edited
            else:
                _apply_dict(table, before, after)
    for index in sorted((i for n, i in old_index.items() if n not in new_names), reverse=True):
        if isinstance(items, AoT):
            _delete_table(doc, items, index, key="mcp_servers")
        elif isinstance(items, Array):
            del items[index]
    for server in new.mcp_servers:
        if server.name not in old_index:
            _append_table(doc, "mcp_servers", new_mcp_server_values(server))


def _apply_tools(doc: tomlkit.TOMLDocument, old: dict[str, Any], new: dict[str, Any]) -> None:
    if old == new:
        return
    existing = doc.get("tools")
    if isinstance(existing, Table | InlineTable):
        _apply_dict(existing, old, new)
        return
    table = tomlkit.table()
    _apply_dict(table, old, new)
    if len(table):
        _separate(doc, table)
        doc.append("tools", table)


def _apply_settings(doc: tomlkit.TOMLDocument, old: dict[str, Any], new: dict[str, Any]) -> None:
    if old == new:
        return
    existing = doc.get("settings")
    if isinstance(existing, Table | InlineTable):
        _apply_dict(existing, old, new)
        return
    table = tomlkit.table()
    _apply_dict(table, old, new)
    if len(table):
        _separate(doc, table)
        doc.append("settings", table)


def _apply_connections(doc: tomlkit.TOMLDocument, old: Config, new: Config) -> None:
    items = doc.get("connections")
    old_index = {connection.slug: index for index, connection in enumerate(old.connections)}
    new_slugs = {connection.slug for connection in new.connections}
    for connection in new.connections:
        index = old_index.get(connection.slug)
        if index is None or not isinstance(items, AoT | Array):
            continue
        # `created_at` is written once, with a new connection: a table without it gets a new one
        # at every load, and a form copies what it loaded; neither is a change to write.
        before = connection_values(old.connections[index])
        after = connection_values(connection)
        before.pop("created_at"), after.pop("created_at")
        if before != after:
            table = items[index]
            if isinstance(table, InlineTable):
                edited = _edit_inline(table, before, after)
                if edited is not table:
                    items[index] = edited
            else:
                _apply_dict(table, before, after)
    for index in sorted((i for s, i in old_index.items() if s not in new_slugs), reverse=True):
        if isinstance(items, AoT):
            _delete_table(doc, items, index)
        elif isinstance(items, Array):
            del items[index]
    for connection in new.connections:
        if connection.slug not in old_index:
            _append_connection(doc, connection)


def _apply_dict(
    container: Table | InlineTable, old: Mapping[str, Any], new: Mapping[str, Any]
) -> None:
    """Make `container` say `new` where it differs from `old`, key by key."""
    for key in [*new, *(k for k in old if k not in new)]:
        before, after = old.get(key, _MISSING), new.get(key, _MISSING)
        if before == after:
            continue
        present = key in container
        if after is _MISSING:
            if present:
                del container[key]
            continue
        if not present:
            _add_key(container, key, _new_value(before, after))
            continue
        existing = container[key]
        if isinstance(existing, InlineTable) and isinstance(after, dict):
            edited = _edit_inline(existing, before if isinstance(before, dict) else {}, after)
            if edited is not existing:
                container[key] = edited
        elif isinstance(existing, Table) and isinstance(after, dict):
            _apply_dict(existing, before if isinstance(before, dict) else {}, after)
        elif isinstance(existing, Array) and isinstance(before, list) and isinstance(after, list):
            _apply_list(container, key, existing, before, after)
        else:
            container[key] = to_item(after)


def _edit_inline(
    table: InlineTable, before: Mapping[str, Any], after: Mapping[str, Any]
) -> InlineTable:
    """Apply the difference to an inline table. When keys were only set, that is done in place;
    when one was added or removed, the table is written anew in the file's own style (its
    spacing inside the braces and around `=`, its separators, each kept key's quoting and value
    text), since tomlkit would leave a removed key's spacing or join a new key without a space."""
    text = table.as_string()
    keys: dict[str, str] = {}  # each key as the file writes it, with its `=` and spacing
    for key, _ in table.value.body:
        if key is not None:
            keys[key.key] = key.as_string() + key.sep
    _apply_dict(table, before, after)
    if list(table) == list(keys):
        return table
    inside = text[1:-1]
    pad = " " if inside.startswith(" ") else ""
    comma = "," if "," in inside and not re.search(r",\s", inside) else ", "
    first = next(iter(keys.values()), "k = ")
    equals = first[len(first.split("=")[0].rstrip()) :] or " = "
    entries = [
        (keys.get(key.key) or tomlkit.key(key.key).as_string() + equals) + item.as_string()
        for key, item in table.value.body
        if key is not None
    ]
    rewritten = "{" + pad + comma.join(entries) + pad + "}" if entries else "{}"
    item = tomlkit.parse(f"x = {rewritten}\n")["x"]
    assert isinstance(item, InlineTable)
    return item


def _new_value(before: Any, after: Any) -> Any:
    """What to write for a key the file did not have: of a table, only the keys that differ from
    what applied before (the defaults), and always `type` (a tagged table needs it)."""
    if isinstance(after, dict) and isinstance(before, dict):
        return {k: v for k, v in after.items() if k == "type" or before.get(k, _MISSING) != v}
    return after


def _apply_list(
    container: Table | InlineTable, key: str, array: Array, before: list[Any], after: list[Any]
) -> None:
    """Change an array item by item when the file lists exactly `before`; else replace it."""
    if len(array) != len(before):
        container[key] = to_item(after)
        return
    if after[: len(before)] == before:
        for value in after[len(before) :]:
            array.append(to_item(value))
        return
    kept = _removed_only(before, after)
    if kept is not None:
        for index in sorted(set(range(len(before))) - set(kept), reverse=True):
            del array[index]
        return
    if len(after) == len(before):
        for index, value in enumerate(after):
            if value != before[index]:
                array[index] = to_item(value)
        return
    container[key] = to_item(after)


def _removed_only(before: Sequence[Any], after: Sequence[Any]) -> list[int] | None:
    """The indices of `before` that `after` keeps, when `after` is `before` with items taken out."""
    kept: list[int] = []
    position = 0
    for value in after:
        while position < len(before) and before[position] != value:
            position += 1
        if position == len(before):
            return None
        kept.append(position)
        position += 1
    return kept


def to_item(value: Any) -> Item:
    """A TOML item for a plain value; tables inside values are written inline (one line)."""
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        for key, inner in value.items():
            table[key] = to_item(inner)
        return table
    if isinstance(value, list):
        array = tomlkit.array()
        for inner in value:
            array.append(to_item(inner))
        return array
    if isinstance(value, datetime | str | bool | int | float):
        return tomlkit.item(value)
    return tomlkit.item(str(value))


# ------------------------------------------------------------------------ layout around tables


def _trivia_tail(container: Container) -> Container:
    """The container whose end is the text right before the next table header: a table's own,
    or that of its last sub-table (`[connections.auth]`)."""
    if container.body:
        key, last = container.body[-1]
        if isinstance(last, Table) and not (key is not None and key.is_dotted()):
            return _trivia_tail(last.value)
    return container


def _pop_trivia(container: Container, *, comments_only: bool = False) -> list[Item]:
    """Take the comments and blank lines off the end of `container` (only the comment lines
    touching the end, with `comments_only`)."""
    taken: list[Item] = []
    while container.body:
        key, item = container.body[-1]
        if key is not None or not isinstance(item, Comment | Whitespace):
            break
        if comments_only and not isinstance(item, Comment):
            break
        container.body.pop()
        taken.append(item)
    taken.reverse()
    return taken


def _add_key(container: Table | InlineTable, key: str, value: Any) -> None:
    """Add a key after the table's last key, before the comments that lead into what follows."""
    if isinstance(container, InlineTable):
        container[key] = to_item(value)
        return
    body = container.value
    trailing = _pop_trivia(body)
    body.append(key, to_item(value))
    body.body.extend((None, item) for item in trailing)


def _delete_table(
    doc: tomlkit.TOMLDocument, tables: AoT, index: int, *, key: str = "connections"
) -> None:
    """Delete one `[[connections]]` table, the comment lines touching its header and the blank
    lines above them (when a table is above it: comments at the top of the file are the file's);
    keep the comments and blank lines that lead into the next table."""
    leading_next = _pop_trivia(_trivia_tail(tables[index].value))
    above = _trivia_tail(tables[index - 1].value) if index > 0 else _table_before(doc, tables)
    if above is not None:  # its comment block, and the blank lines that set it apart
        _pop_trivia(above, comments_only=True)
        while (
            above.body and above.body[-1][0] is None and isinstance(above.body[-1][1], Whitespace)
        ):
            above.body.pop()
    del tables[index]
    text = "".join(item.as_string() for item in leading_next)
    if index < len(tables):
        following = tables[index]
        following.trivia.indent = text + following.trivia.indent
    elif index > 0:
        _trivia_tail(tables[index - 1].value).body.extend((None, i) for i in leading_next)
    else:  # no connection (or MCP server, with `key`) left
        del doc[key]
        end = _trivia_tail(doc) if doc.body else doc
        end.body.extend((None, i) for i in leading_next)


def _table_before(doc: tomlkit.TOMLDocument, tables: AoT) -> Container | None:
    """The trailing container of the table right before the first connection (`[settings]`), if
    a table is what comes before it; comments at the top of the file belong to the file."""
    position = next((i for i, (_, item) in enumerate(doc.body) if item is tables), None)
    if not position:
        return None
    key, item = doc.body[position - 1]
    if isinstance(item, Table) and not (key is not None and key.is_dotted()):
        return _trivia_tail(item.value)
    return None


def _append_connection(doc: tomlkit.TOMLDocument, connection: Connection) -> None:
    """Add a new connection at the end, as a tidy `[[connections]]` table."""
    values = new_connection_values(connection)
    items = doc.get("connections")
    if isinstance(items, Array):  # the file keeps its connections inline
        items.append(to_item(values))
        return
    table = _table(values)
    table.trivia.indent = _gap_before(doc)
    if isinstance(items, AoT):
        items.append(table)
    else:
        tables = tomlkit.aot()
        tables.append(table)
        doc.append("connections", tables)


def _append_table(doc: tomlkit.TOMLDocument, key: str, values: Mapping[str, Any]) -> None:
    """Add a `[[key]]` table at the end (or an item to an inline array of them)."""
    items = doc.get(key)
    if isinstance(items, Array):
        items.append(to_item(dict(values)))
        return
    table = _table(values)
    table.trivia.indent = _gap_before(doc)
    if isinstance(items, AoT):
        items.append(table)
    else:
        tables = tomlkit.aot()
        tables.append(table)
        doc.append(key, tables)


def _table(values: Mapping[str, Any]) -> Table:
    """A table as a new file writes one: tables inside it as `[parent.key]` sub-tables after its
    keys, a list one item a line."""
    table = tomlkit.table()
    for key, value in values.items():
        if isinstance(value, dict):
            table[key] = _table(value)
        elif isinstance(value, list):
            array = to_item(value)
            assert isinstance(array, Array)
            table[key] = array.multiline(bool(value))
        else:
            table[key] = to_item(value)
    return table


def _gap_before(doc: tomlkit.TOMLDocument) -> str:
    """What puts one blank line between the file as it ends and a table added after it."""
    text = doc.as_string()
    # (tomlkit ends a last line that has no newline itself when something is appended)
    return "" if not text.strip() or text.endswith("\n\n") else "\n"


def _separate(doc: tomlkit.TOMLDocument, table: Table) -> None:
    table.trivia.indent = _gap_before(doc)
