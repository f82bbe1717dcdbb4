"""Invalid policy files: every error names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlp_proxy.policy import PolicyError, load_policy
from dlp_proxy.policy.schema import parse_policy_text

VALID_RULE = "  - {id: r, action: block, match: {entities: [US_SSN]}}\n"

INVALID = [
    # (policy text, line, field, words expected in the message)
    ("rules:\n  - id: r\n    action: blok\n    match: {entities: [US_SSN]}\n", 3, "rules[0].action", "'block'"),
    ("rules:\n  - id: r\n    action: block\n    match:\n      entities: [US_SSN, US_SNN]\n", 5, "rules[0].match.entities", "unknown entity type 'US_SNN'"),
    ("rules:\n  - id: r\n    action: block\n    match: {entities: [US_SSN]}\n    scope:\n      chanels: [x]\n", 6, "rules[0].scope.chanels", "unknown key"),
    ("rules:\n" + VALID_RULE + "rulez: []\n", 3, "rulez", "unknown key"),
    ("rules:\n  - id: r\n    action: block\n    match: {entities: [US_SSN]}\n    scope: {channel_types: [O, X]}\n", 5, "rules[0].scope.channel_types[1]", "'O'"),
    ("rules:\n  - id: r\n    action: block\n    match: {entities: [US_SSN]}\n    scope: {route_groups: [post]}\n", 5, "rules[0].scope.route_groups", "unknown route group 'post'"),
    ("rules:\n  - id: r\n    action: block\n    match: {all_of: [US_SSN]}\n", 4, "rules[0].match", "at least two"),
    ("rules:\n  - id: r\n    action: block\n    match: {entities: [US_SSN], within: 5}\n", 4, "rules[0].match", "'within' applies to 'all_of'"),
    ("rules:\n  - id: r\n    action: block\n    match: {}\n", 4, "rules[0].match", "needs 'entities'"),
    ("rules:\n  - id: r\n    action: block\n    match: {entities: [US_SSN], min_score: 1.5}\n", 4, "rules[0].match.min_score", "less than or equal"),
    ("rules:\n  - id: r\n    action: block\n    match: {entities: [US_SSN], min_count: 0}\n", 4, "rules[0].match.min_count", "greater than or equal"),
    ("rules:\n  - id: r\n    action: block\n    match: {entities: [US_SSN]}\n    on_context_error: ignore\n", 5, "rules[0].on_context_error", "'block'"),
    ("rules:\n  - id: r\n    match: {entities: [US_SSN]}\n", 2, "rules[0].action", "required field is missing"),
    ("rules:\n" + VALID_RULE + VALID_RULE, 3, "rules[1].id", "duplicate id 'r'"),
    ("rules:\n" + VALID_RULE + "exceptions:\n  - id: e\n    values: ['536-22-8710']\n", 5, "exceptions[0].values", "stored hashed"),
    ("rules:\n" + VALID_RULE + "exceptions:\n  - id: e\n    description: nothing\n", 4, "exceptions[0]", "needs a 'scope'"),
    ("rules:\n" + VALID_RULE + "exceptions:\n  - {id: e, scope: {teams: []}}\n", 4, "exceptions[0].scope.teams", "empty list"),
    ("rules:\n" + VALID_RULE + "defaults:\n  on_context_error: allow\n  on_context_error: block\n", 5, "defaults.on_context_error", "duplicate key"),
    ("rules: []\n", 1, "rules", "at least 1"),
    ("schema: 2\nrules:\n" + VALID_RULE, 1, "schema", "1"),
    ("rules:\n  - id: 'bad id!'\n    action: block\n    match: {entities: [US_SSN]}\n", 2, "rules[0].id", "rule id must be"),
    ("rules:\n  - id: r\n    action: block\n   match: {entities: [US_SSN]}\n", 4, "", "YAML syntax error"),
    ("", 1, "", "empty"),
    ("- just a list\n", 1, "", "mapping"),
]


@pytest.mark.parametrize(("text", "line", "field", "words"), INVALID)
def test_invalid_policy_names_file_line_field(tmp_path: Path, text, line, field, words):
    path = tmp_path / "policy.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    problems = info.value.problems
    match = [p for p in problems if p.field == field and p.line == line]
    assert match, f"no problem at line {line} field {field!r}: {[str(p) for p in problems]}"
    assert words in match[0].problem
    assert match[0].file == str(path)
    assert f"{path}:{line}:" in str(info.value)
    if field:
        assert f": {field}: " in str(info.value)


def test_several_problems_reported_together():
    text = "rules:\n  - id: a\n    action: nope\n    match: {entities: [FOO]}\n  - id: b\n    action: block\n    match: {entities: [US_SSN]}\n    extra: 1\n"
    with pytest.raises(PolicyError) as info:
        parse_policy_text(text, "p.yaml")
    lines = sorted(p.line for p in info.value.problems)
    assert lines == [3, 4, 8]


def test_unreadable_and_non_utf8(tmp_path: Path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")
    bad = tmp_path / "p.yaml"
    bad.write_bytes(b"rules: [\xff]\n")
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(bad)


def test_channel_type_names_and_version_is_content_hash(tmp_path: Path):
    a = tmp_path / "a.yaml"
    a.write_text("rules:\n  - {id: r, action: block, match: {entities: [US_SSN]}, scope: {channel_types: [public, Direct]}}\n")
    p = load_policy(a)
    assert p.rules[0].scope.channel_types == ("O", "D")
    assert p.version.startswith("sha256:") and len(p.version) == 7 + 16
    b = tmp_path / "b.yaml"
    b.write_text(a.read_text())
    assert load_policy(b).version == p.version
    b.write_text(a.read_text() + "# a comment changes the version too\n")
    assert load_policy(b).version != p.version


def test_shipped_policy_is_valid_and_has_no_identifier_literals():
    import re

    from dlp_proxy.settings import config_dir

    path = config_dir() / "policy.yaml"
    policy = load_policy(path)
    assert len(policy.rules) >= 6
    text = path.read_text()
    assert not re.search(r"\b\d{3}-\d{2}-\d{4}\b", text)
    assert not re.search(r"\b\d{9,}\b", text)
