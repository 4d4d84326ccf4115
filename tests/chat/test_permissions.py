"""The permission rule: which tool calls run, which are refused (and why), which ask the person."""

from __future__ import annotations

import pytest

from craft_tui.chat.permissions import (
    Allow,
    AllowForSession,
    AllowOnce,
    Ask,
    Deny,
    DenyCall,
    PermissionPolicy,
    denied_by_person,
    matches,
    tool_label,
)
from craft_tui.providers.types import ToolSpec

READ = ToolSpec("read_file", "Read a file", {"type": "object"}, read_only=True, source="fs")
WRITE = ToolSpec("write_file", "Write a file", {"type": "object"}, source="fs")
PUSH = ToolSpec("git__push", "Push", {"type": "object"}, source="git")  # prefixed: a clash


def test_ask_mode_asks_for_every_tool_read_only_or_not() -> None:
    policy = PermissionPolicy("ask")
    assert policy.decide(READ) == Ask()
    assert policy.decide(WRITE) == Ask()


def test_allow_all_runs_everything() -> None:
    policy = PermissionPolicy("allow-all")
    assert policy.decide(WRITE) == Allow()
    assert policy.decide(PUSH) == Allow()


def test_read_only_runs_read_only_tools_and_tells_the_model_why_others_did_not_run() -> None:
    policy = PermissionPolicy("read-only")
    assert policy.decide(READ) == Allow()
    decision = policy.decide(WRITE)
    assert isinstance(decision, Deny)
    assert decision.reason == (
        "fs.write_file was not run: only read-only tools may run now (permission mode "
        "read-only), and its server does not mark it read-only."
    )


def test_an_allow_rule_runs_the_tool_in_every_mode_and_only_that_tool() -> None:
    asking = PermissionPolicy.from_rules("ask", allow=["fs.write_file"])
    assert asking.decide(WRITE) == Allow()
    assert asking.decide(PUSH) == Ask()
    read_only = PermissionPolicy.from_rules("read-only", allow=["fs.write_file"])
    assert read_only.decide(WRITE) == Allow()
    assert isinstance(read_only.decide(PUSH), Deny)


def test_deny_wins_over_allow_rules_session_answers_and_allow_all() -> None:
    policy = PermissionPolicy("allow-all", allow=("fs.*",), deny=("fs.write_file",))
    policy.remember(WRITE, AllowForSession())
    decision = policy.decide(WRITE)
    assert decision == Deny("fs.write_file is turned off by the tool rule deny = 'fs.write_file'.")
    assert policy.decide(READ) == Allow()


def test_a_server_wildcard_covers_every_tool_of_that_server_only() -> None:
    policy = PermissionPolicy("ask", deny=("fs.*",))
    assert isinstance(policy.decide(READ), Deny)
    assert isinstance(policy.decide(WRITE), Deny)
    assert policy.decide(PUSH) == Ask()


def test_rules_name_a_tool_by_server_and_own_name_even_when_the_model_sees_a_prefix() -> None:
    assert tool_label(PUSH) == "git.push"
    assert matches("git.push", PUSH)
    assert matches("git__push", PUSH)  # the name the model calls it by
    assert matches("git.*", PUSH)
    assert matches("*", PUSH)
    assert not matches("fs.push", PUSH)
    assert not matches("", PUSH)
    assert tool_label(ToolSpec("local", "", {})) == "local"  # a tool without a server


def test_allow_for_the_session_is_remembered_for_that_tool_only() -> None:
    policy = PermissionPolicy("ask")
    policy.remember(WRITE, AllowOnce())
    assert policy.decide(WRITE) == Ask()  # once is once
    policy.remember(WRITE, AllowForSession())
    assert policy.decide(WRITE) == Allow()
    assert policy.decide(READ) == Ask()
    assert policy.allowed_for_session == {"fs.write_file"}
    policy.forget()
    assert policy.decide(WRITE) == Ask()


def test_two_sessions_do_not_share_answers() -> None:
    first, second = PermissionPolicy("ask"), PermissionPolicy("ask")
    first.remember(WRITE, AllowForSession())
    assert second.decide(WRITE) == Ask()


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown permission mode 'sometimes'"):
        PermissionPolicy.from_rules("sometimes")


def test_the_model_is_told_the_persons_reason() -> None:
    assert (
        denied_by_person(DenyCall("not\n that file")) == "the user denied this call: not that file"
    )
    assert denied_by_person(DenyCall()) == "the user denied this call: no reason given"


def test_rules_use_the_servers_own_tool_name_when_the_model_sees_another() -> None:
    odd = ToolSpec("files_read_1a2b3c4d", "", {}, source="files")  # 'files.read' made usable
    origin = {"files_read_1a2b3c4d": ("files", "files.read")}.get
    policy = PermissionPolicy("ask", allow=("files.files.read",), origin=origin)
    assert policy.label(odd) == "files.files.read"
    assert policy.decide(odd) == Allow()
    assert PermissionPolicy("ask", allow=("files.files.read",)).decide(odd) == Ask()
