"""The shipped corpus meets the issue's targets (decision by the interim default rule,
so the figures do not move when the policy file is tuned)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlp_proxy.cli.detect import evaluate_corpus, fallback_decision
from dlp_proxy.detect import build_detector

DATA = Path(__file__).resolve().parent / "data"


def test_corpus_is_reproducible() -> None:
    out = subprocess.run([sys.executable, str(DATA / "make_corpus.py")], capture_output=True, check=True, timeout=120)
    assert out.stdout == (DATA / "corpus.jsonl").read_bytes()


@pytest.mark.slow
def test_corpus_targets() -> None:
    rows = [json.loads(x) for x in (DATA / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 1500
    engine = build_detector(DATA.parent.parent / "config", ner=False)
    from dlp_proxy.model import SENSITIVE_ENTITIES

    def recall(cats: set[str]) -> float:
        sel = [r for r in rows if r["category"] in cats and set(r["entities"]) & SENSITIVE_ENTITIES]
        rep = evaluate_corpus(sel, engine, fallback_decision)
        return rep["decision"]["recall"]

    assert recall({"plain", "evasion"}) >= 0.99
    assert recall({"encoded"}) >= 0.95
    benign = [r for r in rows if r["category"] == "benign"]
    assert len(benign) >= 1000
    rep = evaluate_corpus(benign, engine, fallback_decision)
    assert rep["decision"]["false_stop_rate"] <= 0.002


# ---------------------------------------------------------------- broker-dealer corpus

def test_bd_corpus_is_reproducible() -> None:
    out = subprocess.run([sys.executable, str(DATA / "make_bd_corpus.py")], capture_output=True, check=True, timeout=120)
    assert out.stdout == (DATA / "bd_corpus.jsonl").read_bytes()


@pytest.mark.slow
def test_bd_corpus_targets() -> None:
    """Regression gate at the figures reached (docs/benchmarks.md): decisions of the
    shipped policy on a post, detection asked for the policy's entities as the gateway
    asks.  Evasion and table-header categories are measured by eval, gated elsewhere."""
    from dlp_proxy.cli.detect import make_decider, policy_entities

    rows = [json.loads(x) for x in (DATA / "bd_corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 4000
    policy = DATA.parent.parent / "config" / "policy.yaml"
    decide, _ = make_decider(policy, False)
    engine = build_detector(DATA.parent.parent / "config", ner=False)
    rep = evaluate_corpus(rows, engine, decide, policy_entities(policy, False))
    cats = rep["categories"]
    assert cats["plain"]["recall"] >= 0.995
    assert cats["context"]["recall"] >= 0.99
    # evasions (invisible characters, confusables, separators, spelled labels) and tables whose
    # only label is the column header (issue 15's target: >= 0.99 on plain and evasion families)
    assert cats["evasion"]["recall"] >= 0.99
    assert cats["table"]["recall"] >= 0.99
    # what renders as the number, line breaks, glued labels, CJK numerals, cells of a row
    assert cats["evasion-render"]["recall"] >= 0.99
    negatives = [c for c in cats if c.startswith("neg-")]
    assert len(negatives) >= 12
    for c in negatives:
        assert cats[c]["false_stop_rate"] <= 0.01, c  # target 2 % per hard-negative category
    assert rep["decision"]["false_stop_rate"] <= 0.001  # target 0.3 % overall
    assert rep["decision"]["fp"] <= 2
    assert "ambiguous" in rep and cats["ambiguous"]["lines"] >= 100
