"""`dlp-proxy policy check|test|replay|hash-value` through the real CLI entry point."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from dlp_proxy.cli import main
from dlp_proxy.model import Action, RequestContext
from dlp_proxy.policy import load_policy
from dlp_proxy.policy.testing import ACCOUNT, ROUTING, SSN, ctx, item
from dlp_proxy.policy.versions import diff_policies
from dlp_proxy.settings import config_dir

REPO = Path(__file__).resolve().parent.parent
SHIPPED = config_dir() / "policy.yaml"
CASES = REPO / "tests" / "data" / "policy_cases.yaml"


def _candidate(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text()
    assert old in text
    path = tmp_path / "candidate.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_check_valid_and_diff(tmp_path: Path, capsys):
    cand = _candidate(tmp_path, "    action: quarantine\n", "    action: block\n")
    with open(cand, "a") as f:
        f.write("  - {id: new-rule, action: monitor, match: {entities: [CUSIP]}}\n")
    assert main(["policy", "check", str(cand), "--against", str(SHIPPED)]) == 0
    out = capsys.readouterr().out
    assert "OK " in out and "9 rules" in out
    assert "+ rule new-rule" in out
    assert "~ rule npi-private" in out and "action: quarantine -> block" in out


def test_check_invalid_names_line_and_field(tmp_path: Path, capsys):
    bad = _candidate(tmp_path, "      min_count: 5\n", "      min_count: five\n")
    assert main(["policy", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "INVALID" in err and f"{bad}:" in err and "rules[0].match.min_count" in err


def test_diff_details():
    old = load_policy(SHIPPED)
    assert diff_policies(old, old).lines()[-1] == "identical content"


def test_policy_test_passes_shipped_cases(capsys):
    assert main(["policy", "test", str(SHIPPED), "--cases", str(CASES)]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "cases pass" in out


def test_policy_test_fails_on_mismatch(tmp_path: Path, capsys):
    # a candidate that blocks in direct messages breaks the "held for review" case
    cand = _candidate(tmp_path, "    action: quarantine\n", "    action: block\n")
    assert main(["policy", "test", str(cand), "--cases", str(CASES), "--json"]) == 1
    results = json.loads(capsys.readouterr().out)
    failed = [r["name"] for r in results if not r["ok"]]
    assert "SSN in a direct message is held for review" in failed


def test_policy_test_bad_case(tmp_path: Path, capsys):
    cases = tmp_path / "c.yaml"
    cases.write_text("cases:\n  - {name: x, text: hi, findings: [], expect: maybe}\n")
    assert main(["policy", "test", str(SHIPPED), "--cases", str(cases)]) == 1
    assert "'expect' must be one of" in capsys.readouterr().out


def test_hash_value(monkeypatch, capsys, tmp_path: Path):
    monkeypatch.setattr("sys.stdin", io.StringIO("536-22-8710\n"))
    assert main(["policy", "hash-value"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == "sha256:" + hashlib.sha256(b"536228710").hexdigest()
    monkeypatch.setenv("DLP_DATA_DIR", str(tmp_path))
    from dlp_proxy.keys import keyed_hash, load_key

    key = load_key("hash")
    monkeypatch.setattr("sys.stdin", io.StringIO("536 22 8710"))
    assert main(["policy", "hash-value", "--keyed"]) == 0
    lines = capsys.readouterr().out.split()
    assert lines[1] == "hmac:" + keyed_hash(key, "536228710")
    monkeypatch.setattr("sys.stdin", io.StringIO("  \n"))
    assert main(["policy", "hash-value"]) == 2


# --------------------------------------------------------------------------- replay on a prepared archive


def _record(request_id: str, c: RequestContext, scanned, decision, with_content: bool) -> dict:
    rec = {
        "type": "decision",
        "time": "2026-01-05T10:00:00Z",
        "request_id": request_id,
        "context": c.to_json(),
        "action": decision.action.value,
        "rule_id": decision.rule_id,
        "policy_version": decision.policy_version,
        "findings": [{"path": p, **f.to_json()} for p, f in decision.findings],
    }
    if with_content:
        rec["_content"] = [
            {"path": s.item.path, "text": s.item.text,
             "findings": [{"entity_type": f.entity_type, "start": f.start, "end": f.end} for f in s.findings]}
            for s in scanned
        ]
    return rec


@pytest.fixture
def archive_dir(tmp_path: Path, monkeypatch):
    from dlp_proxy.archive import open_archive

    monkeypatch.setenv("DLP_DATA_DIR", str(tmp_path / "var"))
    policy = load_policy(SHIPPED)
    directory = tmp_path / "var" / "archive"
    history = [
        ("r-ssn-dm", ctx(channel_type="D"), [item(f"ssn {SSN}", [("US_SSN", SSN)])], True),
        ("r-ssn-public", ctx(), [item(f"ssn {SSN}", [("US_SSN", SSN)])], True),
        ("r-routing", ctx(), [item(f"aba {ROUTING}", [("ABA_ROUTING_NUMBER", ROUTING)])], False),
        ("r-acct-dm", ctx(channel_type="P"), [item(f"acct {ACCOUNT}", [("US_BANK_NUMBER", ACCOUNT)])], False),
        ("r-clean", ctx(), [item("hello", [])], False),
    ]
    with open_archive(directory, checkpoint_records=1) as archive:
        for rid, c, scanned, keep in history:
            d = policy.evaluate(scanned, c)
            archive.append_sync(_record(rid, c, scanned, d, keep))
    return directory


def test_replay_archive_shows_changed_decisions(archive_dir: Path, tmp_path: Path, capsys):
    # candidate: block single identifiers in private/direct channels too, routing alone passes silently
    cand = _candidate(tmp_path, "    action: quarantine\n", "    action: block\n")
    text = cand.read_text().replace("    action: monitor\n    match:\n      entities: [ABA_ROUTING_NUMBER]",
                                    "    action: allow\n    match:\n      entities: [ABA_ROUTING_NUMBER]")
    cand.write_text(text)
    assert main(["policy", "replay", "--policy", str(cand), "--archive", str(archive_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["archive"]
    assert report["records"] >= 5
    changes = {c["request_id"]: c for c in report["changes"]}
    assert set(changes) == {"r-ssn-dm", "r-acct-dm", "r-routing"}
    assert (changes["r-ssn-dm"]["old_action"], changes["r-ssn-dm"]["new_action"]) == ("quarantine", "block")
    assert changes["r-ssn-dm"]["basis"] == "content"
    assert changes["r-acct-dm"]["basis"] == "findings-only"
    assert (changes["r-routing"]["old_action"], changes["r-routing"]["new_action"]) == ("monitor", "allow")
    assert report["transitions"]["block->block"] == 1
    # human-readable output too, with no identifier in it
    assert main(["policy", "replay", "--policy", str(cand), "--archive", str(archive_dir)]) == 0
    out = capsys.readouterr().out
    assert "3 decisions would change" in out and "r-ssn-dm: quarantine (npi-private) -> block" in out
    assert SSN not in out and ACCOUNT not in out


def test_replay_same_policy_changes_nothing(archive_dir: Path, capsys):
    assert main(["policy", "replay", "--policy", str(SHIPPED), "--archive", str(archive_dir), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)["archive"]
    assert report["changed"] == 0 and report["evaluated"] >= 4


def test_replay_corpus(tmp_path: Path, capsys):
    corpus = tmp_path / "corpus.jsonl"
    lines = [
        {"text": f"client ssn {SSN}", "expect": "stop", "context": {"channel_type": "D"}},
        {"text": f"wire to ABA {ROUTING} account {ACCOUNT}", "expect": "stop"},
        {"text": "lunch at noon?", "expect": "allow"},
        {"text": f"our ABA is {ROUTING}", "expect": "allow"},
    ]
    corpus.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    cand = _candidate(tmp_path, "    action: quarantine\n", "    action: monitor\n")  # npi-private -> monitor
    assert main(["policy", "replay", "--policy", str(cand), "--no-archive", "--corpus", str(corpus),
                 "--against", str(SHIPPED), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["corpus"]
    assert result["lines"] == 4
    assert result["running"]["recall"] == 1.0 and result["running"]["fp"] == 0
    assert result["candidate"]["recall"] == 0.5
    assert [c["line"] for c in result["changed"]] == [1]
    assert result["changed"][0]["running"] == Action.QUARANTINE.value


def test_replay_without_archive_dir(tmp_path: Path, capsys):
    assert main(["policy", "replay", "--policy", str(SHIPPED), "--archive", str(tmp_path / "none")]) == 1
    assert "no archive" in capsys.readouterr().err
