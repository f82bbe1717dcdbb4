"""Which YAML patterns the could-match gate may search without regex's timeout.

``bounded_backtracking`` must refuse every pattern whose work can blow up (nested
or repeated unbounded quantifiers, back-references, syntax only ``regex`` knows),
and the gate must answer exactly as a timed search does, for proven and unproven
patterns alike (tests/test_detect_gates.py checks the gates against Presidio).
"""

from __future__ import annotations

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer import Pattern, PatternRecognizer

from dlp_proxy.detect import build_detector
from dlp_proxy.detect.engine import _pattern_gate
from dlp_proxy.detect.regex_bounds import SHORT_TEXT_CHARS, bounded_backtracking

FLAGS = regex.DOTALL | regex.MULTILINE | regex.IGNORECASE  # Presidio's global flags


@pytest.mark.parametrize("pattern", [
    r"\bCRN-?[0-9]{8}\b",                        # the shipped YAML recognizer
    r"\bACCT[- ]?\d{6,12}\b",
    r"\d{3}-\d{2}-\d{4}",
    r"(?:^|(?<=\W))(alpha|beta|gamma)(?:(?=\W)|$)",  # the shape of a Presidio deny-list
    r"(?:ab){2,3}",
    r"\d+x",                                     # one unbounded quantifier and no other choice
    r"\{literal\}",
])
def test_proven(pattern: str) -> None:
    assert bounded_backtracking(pattern, FLAGS)


@pytest.mark.parametrize("pattern", [
    r"(a+)+b", r"(a|a)*b", r"(\d+)+x",           # nested quantifiers: exponential
    r"\d*\d*\d*[xy]",                            # several unbounded quantifiers: polynomial (2.4 s on 1 KB)
    r"[0-9a-z]+[0-9]{1,4}[xy]",                  # an unbounded quantifier beside another choice
    r"[a-z0-9]{1,30}[0-9]{1,30}[xy]",            # 900 ways x 61 characters per start position
    r"(?:ab)+c",                                 # unbounded repeat of more than one character
    r"(\w)\1",                                   # back-reference
    r"(?:foo){e<=2}",                            # regex's fuzzy matching (the stdlib would read literals)
    r"\p{L}+", r"\X", r"(?V1)[[a-z]--[aeiou]]", r"(?|(a)|(b))", r"(?r)abc", r"[[:alpha:]]+",
    r"(?(1)a|b)", r"(?R)",
    r"unbalanced(",
])
def test_not_proven(pattern: str) -> None:
    assert not bounded_backtracking(pattern, FLAGS)


def test_verbose_and_v1_flags_are_not_proven() -> None:
    assert not bounded_backtracking(r"\d{3}", FLAGS | regex.VERBOSE)
    assert not bounded_backtracking(r"\d{3}", FLAGS | regex.VERSION1)


def _recognizer(*patterns: str) -> PatternRecognizer:
    return PatternRecognizer(supported_entity="US_BANK_NUMBER", name="test",
                             patterns=[Pattern(f"p{i}", p, 0.5) for i, p in enumerate(patterns)],
                             global_regex_flags=FLAGS)


_TEXTS = st.one_of(
    st.text(alphabet="CRNcrn-0123456789 abxy", max_size=60),
    st.text(max_size=40),
    st.integers(1, 3).map(lambda k: "CRN-12345678 " * k),
    st.just("x" * (SHORT_TEXT_CHARS + 1) + " CRN-12345678"),  # long: the timed search
)


@settings(max_examples=300, deadline=None)
@given(_TEXTS)
def test_gate_answers_as_a_timed_search(text: str) -> None:
    patterns = [r"\bCRN-?[0-9]{8}\b", r"(?:ab)+y", r"\d+x"]  # proven, not proven, proven
    gate = _pattern_gate(_recognizer(*patterns))
    compiled = [regex.compile(p, flags=FLAGS) for p in patterns]
    assert gate(text) == any(rx.search(text, timeout=10) is not None for rx in compiled)


def test_the_shipped_yaml_recognizer_is_proven() -> None:
    """The default configuration's YAML recognizer takes the untimed path (else the
    gateway pays two CPU-clock system calls per scanned text for it)."""
    engine = build_detector(None, ner=False)
    yaml = [r for r in engine.analyzer.registry.recognizers if type(r) is PatternRecognizer]
    assert yaml, "the default configuration ships a YAML recognizer"
    for rec in yaml:
        assert all(bounded_backtracking(p.regex, rec.global_regex_flags) for p in rec.patterns), rec.name
