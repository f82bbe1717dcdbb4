"""The could-match shortcut (``Engine.gated``) changes no finding, only the work done.

Each recognizer's ``could_match`` must be a necessary condition for its ``analyze``
to report anything; the engine then skips Presidio (and the tokenizer) for entities
nothing can match.  Checked three ways: the gated engine against the ungated one
on the corpus and on generated evasions, each gate against its recognizer, and the
building blocks (context probes, blob hints) against the regexes they stand for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector, decode
from dlp_proxy.model import SENSITIVE_ENTITIES
from recognizers._common import NEGATIVE_LABELS, ContextProbe, context_literals, context_regex
from recognizers.bank import STRONG_ACCOUNT, WEAK_ACCOUNT

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engines() -> tuple[Engine, Engine]:
    gated = build_detector(ROOT / "config", ner=False)
    plain = build_detector(ROOT / "config", ner=False)
    plain.gated = False
    return gated, plain


def _same(engines: tuple[Engine, Engine], text: str, entities: Any = None) -> None:
    gated, plain = engines
    assert gated.analyze(text, entities=entities) == plain.analyze(text, entities=entities)


def test_corpus_sample_identical(engines: tuple[Engine, Engine]) -> None:
    lines = (ROOT / "tests" / "data" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines[::4]:
        text = json.loads(line)["text"]
        _same(engines, text)
        _same(engines, text, SENSITIVE_ENTITIES)


_WORDS = sorted(
    {*STRONG_ACCOUNT, *WEAK_ACCOUNT, *NEGATIVE_LABELS[:20], "ssn", "social security", "itin", "card", "visa", "exp",
     "routing", "aba", "wire", "iban", "ein", "tax id", "passport", "driver's license", "dl", "dob", "born",
     "phone", "call", "cusip", "isin", "bond", "client", "crn", "custodial account"}
)
_PIECES = st.one_of(
    st.sampled_from(_WORDS).map(lambda w: f" {w} "),
    st.text(alphabet="0123456789", min_size=1, max_size=10),
    st.sampled_from([" ", "-", ".", "/", "\n", "  ", ": ", "#", "$", "(", ")", "@", "x", "\u200b", "\uff15", "O", "l"]),
    st.sampled_from(["536-22-1937", "4532015112830366", "4532 0151 1283 0366", "011000015", "0049381726",
                     "GB33BUKB20201555555555", "GB33 BUKB 2020 1555 5555 55", "CRN-12345678", "AB123-45678",
                     "5X123456", "912-70-3456", "12-3456789", "037833100", "US0378331005", "a@b.example.com",
                     "(212) 555-0143", "+44 20 7946 0958", "01/02/1985", "March 3, 1979", "A12345678",
                     "NTM2LTIyLTE5Mzc=", "35 33 36 2d 32 32 2d 31 39 33 37", "\\x35\\x33\\x36\\x2d\\x32\\x32"]),
    st.text(max_size=6),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_generated_identical(engines: tuple[Engine, Engine], text: str) -> None:
    _same(engines, text)
    _same(engines, text, SENSITIVE_ENTITIES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_PIECES, max_size=14).map("".join))
def test_each_gate_is_necessary(engines: tuple[Engine, Engine], text: str) -> None:
    gated, _ = engines
    for rec, gate in zip(gated.analyzer.registry.recognizers, gated._gates, strict=True):
        if rec.analyze(text, list(rec.supported_entities), None):
            assert gate(text), f"{rec.name} reports something its gate ruled out"


def test_clean_text_skips_presidio_and_tokenizer(engines: tuple[Engine, Engine], monkeypatch: pytest.MonkeyPatch) -> None:
    gated, _ = engines
    asked: list[list[str]] = []
    tokenized: list[str] = []
    analyze, process = gated.analyzer.analyze, gated._fast_nlp.process_text
    monkeypatch.setattr(gated.analyzer, "analyze", lambda text, lang, **kw: asked.append(kw["entities"]) or analyze(text, lang, **kw))
    monkeypatch.setattr(gated._fast_nlp, "process_text", lambda text, lang: tokenized.append(text) or process(text, lang))
    for text in ["Lunch at noon? 183452", "Order #4471 ships Friday, ticket 20931. 183454"]:
        assert gated.analyze(text) == []
    assert asked == [] and tokenized == []
    # an account word and a number: only the account recognizers run, without the tokenizer
    assert gated.analyze("Let's sync after lunch about the new account opening workflow. 1834571") == []
    assert asked == [["US_BANK_NUMBER"]] and tokenized == []
    asked.clear()
    assert [f.entity_type for f in gated.analyze("Client SSN is 536-22-1234, please update the account")] == ["US_SSN"]
    assert asked == [["US_BANK_NUMBER", "US_SSN"]] and tokenized == []
    assert [f.entity_type for f in gated.analyze("client CRN-12345678")] == ["US_BANK_NUMBER"]
    assert len(tokenized) == 1  # the YAML recognizer matched: its context needs the tokens


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("acdeiknorstuwy#/ .-_\n\t0123AK\u212a\u017f"), max_size=40), st.data())
def test_context_probe_covers_every_window(text: str, data: st.DataObject) -> None:
    words = [*STRONG_ACCOUNT, "s s n", "ss#", "tin", "kundenkonto"]
    rx = context_regex(words)
    assert rx is not None
    probe = ContextProbe(words)
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    if rx.search(text[a:b]):  # find_context searches windows cut out of the text
        assert probe(text)


def test_context_literals_refuse_non_ascii_words() -> None:
    # LATIN SMALL LETTER LONG S matches "s" case-insensitively, which a plain "in" would miss
    assert context_literals(["account", "\u017fsn"]) is None
    # KELVIN SIGN lower-cases to ASCII "k": the regex is built from the lower-cased word too
    assert context_literals(["konto\u212a"]) == ("kontok",)
    assert context_literals(["acct", "acct no", "account number"]) == ("acct", "account")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789abcdefABCXYZxz+/_-=: \n\\"), max_size=60))
def test_blob_hints_are_necessary(text: str) -> None:
    if decode._HEX_RE.search(text) or decode._B64_RE.search(text):
        assert decode._has_token12(text)
    if decode._HEX_SPACED_RE.search(text):
        assert decode._HEX_SPACED_HINT.search(text)
    if decode._HEX_ESC_RE.search(text):
        assert "\\x" in text
