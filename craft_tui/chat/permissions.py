"""Which tool calls may run: the one permission rule, shared by the app and `craft-tui ask`.

A model asks to run a tool; nothing runs until this rule (or the person it defers to) says so.
`PermissionPolicy.decide(spec)` gives one of

- `Allow()` — run it;
- `Deny(reason)` — do not run it; `reason` goes back to the model as the call's error result,
  so it can say why or try something else;
- `Ask()` — ask the person, whose answer is an `AllowOnce`, an `AllowForSession` (this tool runs
  without asking for the rest of the session: `remember`) or a `DenyCall(reason)`.

The order, first match wins:

1. a deny rule (config `[tools] deny`, "server.tool" or "server.*") — deny always wins, over an
   allow rule, a session answer and `allow-all`, so a rule written to keep a tool off stays true;
2. an allow rule (config `[tools] allow`, `ask --allow`) — the person named this tool, so it runs
   in every mode, `read-only` included (`--read-only --allow fs.write_file`: read-only tools and
   that one);
3. this session's "allow for the session" answers;
4. the mode: `allow-all` runs everything, `read-only` runs only tools whose server marks them
   read-only (`ToolSpec.read_only`, MCP's `readOnlyHint`) and denies the rest with a reason,
   `ask` asks.

Rules name a tool as "server.tool" (the MCP server's name and the tool's own name), "server.*"
(every tool of a server), "*" (every tool) or the name the model calls it by (`ToolSpec.name`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, get_args

from craft_tui.providers.types import ToolSpec

PermissionMode = Literal["ask", "read-only", "allow-all"]
MODES: tuple[PermissionMode, ...] = get_args(PermissionMode)


@dataclass(frozen=True, slots=True)
class Allow:
    """Run the call."""


@dataclass(frozen=True, slots=True)
class Deny:
    """Do not run the call; `reason` is what the model is told."""

    reason: str


@dataclass(frozen=True, slots=True)
class Ask:
    """The person decides (`AllowOnce`, `AllowForSession` or `DenyCall`)."""


Decision = Allow | Deny | Ask


@dataclass(frozen=True, slots=True)
class AllowOnce:
    """The person allows this one call."""


@dataclass(frozen=True, slots=True)
class AllowForSession:
    """The person allows this call and every later call of the same tool in this session."""


@dataclass(frozen=True, slots=True)
class DenyCall:
    """The person refuses this call; `reason` (may be empty) goes back to the model."""

    reason: str = ""


PersonDecision = AllowOnce | AllowForSession | DenyCall


def tool_label(spec: ToolSpec) -> str:
    """ "server.tool", how rules, prompts and activity lines name a tool.

    The model may know the tool as `server__tool` (two servers offer the same name, see
    craft_tui/mcp); the label is the server's own tool name either way."""
    if not spec.source:
        return spec.name
    prefix = f"{spec.source}__"
    own = spec.name[len(prefix) :] if spec.name.startswith(prefix) else spec.name
    return f"{spec.source}.{own}"


Origin = Callable[[str], "tuple[str, str] | None"]


def matches(rule: str, spec: ToolSpec, label: str | None = None) -> bool:
    """True when `rule` ("server.tool", "server.*", "*" or the model-facing name) names `spec`
    (`label` is its "server.tool", when known better than `tool_label` can tell)."""
    rule = rule.strip()
    if not rule:
        return False
    if rule == "*":
        return True
    if rule.endswith(".*"):
        return bool(spec.source) and rule[:-2] == spec.source
    return rule in (label or tool_label(spec), spec.name)


@dataclass
class PermissionPolicy:
    """The rule above for one session (one app conversation, one `ask` run).

    `mode`, `allow` and `deny` come from the config's `[tools]` table and the command line;
    the session memory starts empty and grows with each "allow for the session" answer.
    `origin` maps a model-facing name to its (server, tool) — `McpHub.origin` — for a tool whose
    name had to be changed for the model (a clash, characters models refuse)."""

    mode: PermissionMode = "ask"
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    origin: Origin | None = field(default=None, repr=False, compare=False)
    _session: set[str] = field(default_factory=set, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown permission mode {self.mode!r} (known: {', '.join(MODES)})")
        self.allow = tuple(self.allow)
        self.deny = tuple(self.deny)

    def label(self, spec: ToolSpec) -> str:
        """ "server.tool" for `spec`: what rules, questions and activity lines call it."""
        found = self.origin(spec.name) if self.origin is not None else None
        return f"{found[0]}.{found[1]}" if found is not None else tool_label(spec)

    def denied_by_rule(self, spec: ToolSpec) -> str | None:
        """The deny rule that turns `spec` off, if any (such a tool is not even offered)."""
        label = self.label(spec)
        return next((rule for rule in self.deny if matches(rule, spec, label)), None)

    def decide(self, spec: ToolSpec) -> Decision:
        """What to do with a call of `spec` (see the module doc for the order)."""
        label = self.label(spec)
        rule = self.denied_by_rule(spec)
        if rule is not None:
            return Deny(f"{label} is turned off by the tool rule deny = {rule!r}.")
        if any(matches(rule, spec, label) for rule in self.allow):
            return Allow()
        if label in self._session:
            return Allow()
        if self.mode == "allow-all":
            return Allow()
        if self.mode == "read-only":
            if spec.read_only:
                return Allow()
            return Deny(
                f"{label} was not run: only read-only tools may run now (permission mode "
                "read-only), and its server does not mark it read-only."
            )
        return Ask()

    def remember(self, spec: ToolSpec, answer: PersonDecision) -> None:
        """Keep an "allow for the session" answer: later calls of this tool run at once."""
        if isinstance(answer, AllowForSession):
            self._session.add(self.label(spec))

    def forget(self) -> None:
        """Drop the session's answers (a new conversation starts asking again)."""
        self._session.clear()

    @property
    def allowed_for_session(self) -> frozenset[str]:
        return frozenset(self._session)

    @classmethod
    def from_rules(
        cls,
        mode: str = "ask",
        allow: Iterable[str] = (),
        deny: Iterable[str] = (),
    ) -> PermissionPolicy:
        """A policy from config-shaped values (the mode as a string, rules as lists)."""
        if mode not in MODES:
            raise ValueError(f"unknown permission mode {mode!r} (known: {', '.join(MODES)})")
        return cls(mode, tuple(allow), tuple(deny))


def denied_by_person(answer: DenyCall) -> str:
    """The error result a refused call gives the model."""
    reason = " ".join(answer.reason.split())
    return f"the user denied this call: {reason or 'no reason given'}"
