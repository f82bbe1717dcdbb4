"""atk27r F: copy suffixes after a file name's number, as a class.

One or more copy-suffix tokens after the number that ends a file name's stem, before its
extension or at the end of the name: a browser's repeated " (1) (1)" / "(1)(2)", Finder's
" 2", GNOME Files' " (3rd copy)", "[1]", "~1", "-100", " (1000)", a full-width "（1）", and
a scanner's or exporter's counter "_1" / ".1" (a reader sees the name's number and a counter
after it: ``engine.copy_suffix_blanked``).  Through the real detector; clean look-alikes
(dated, versioned, camera names) stay clean.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.engine import _COPY_SUFFIX, copy_suffix_blanked
from dlp_proxy.model import ContentItem, ItemKind
from dlp_proxy.policy.testing import CARD, SSN

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
_STOPS = frozenset({"US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE"})
_SCAN = SSN.replace("-", "_")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _name_stops(engine: Engine, name: str) -> set[str]:
    found = engine.scan([ContentItem("file[0].name", name, ItemKind.FILENAME)])[0].findings
    return {f.entity_type for f in found} & _STOPS


def _text_stops(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)} & _STOPS


@pytest.mark.parametrize("suffix", [
    " (1) (1)", "(1)(1)", "(1)(2)", " (1)-1", " 2", " (3rd copy)", " (copy)", "[1]", "~1", "-100", " (1000)",
    "\uff081\uff09", " \uff082\uff09", "_1", ".1", "_2",
])
def test_copy_suffixes_are_no_digit_group_of_a_file_name(engine: Engine, suffix: str) -> None:
    name = f"scan_{_SCAN}{suffix}.pdf"
    assert "US_SSN" in _name_stops(engine, name), name
    assert "US_SSN" in _text_stops(engine, f"attached {name} for review"), name
    assert "US_SSN" in _name_stops(engine, f"scan_{_SCAN}{suffix}"), suffix  # a name the suffix ends


def test_a_card_file_name_with_repeated_suffixes(engine: Engine) -> None:
    for name in (f"card_{CARD.replace(' ', '_')} (1) (1).pdf", f"card {CARD} 2.pdf"):
        assert "CREDIT_CARD" in _name_stops(engine, name), name


@pytest.mark.parametrize("name", [
    "report-2026-11-19.pdf", "report_2026_11_19_1.pdf", "v1.2.3", "release-v1.2.3.tar.gz", "IMG_1234 2.jpg",
    "IMG_20241119_143015 (1) (1).jpg", "invoice_2024_11_19(1)(2).pdf", "build-4.12.7-1.tar.gz", "Q3_budget_v2 2.xlsx",
    "trade_123456789 (1) (1).csv", "order_4471~1.pdf", "statement_0042_2024[1].pdf", "photo 12 (3rd copy).png",
    "minutes 2026-11-19 (1000).docx", "table_10.1.csv",
])
def test_copy_suffixed_look_alikes_stay_clean(engine: Engine, name: str) -> None:
    assert not _name_stops(engine, name), name
    assert not _text_stops(engine, f"attached {name} for review"), name


_SUFFIX_PIECES = st.sampled_from([
    "scan_", "536", "_22_", "8710", " (1)", "(2)", " (3rd copy)", " (copy)", "[1]", "~1", "-100", "_1", ".1", " 2",
    "\uff081\uff09", ".pdf", ".PDF", ".tar.gz", ".", "a", " ", "\n", "-", ")", "]", "x", "7",
])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_SUFFIX_PIECES, max_size=14).map("".join))
def test_property_the_suffix_gate_rules_out_only_texts_with_no_suffix(text: str) -> None:
    # ``_COPY_SUFFIX_END`` (a digit or bracket, then ``.`` and a letter) is what every
    # suffix ends with: the gate gives what the full search gives
    full = _COPY_SUFFIX.sub(lambda m: " " * len(m.group(0)), text) if _COPY_SUFFIX.search(text) else None
    assert copy_suffix_blanked(text) == full
