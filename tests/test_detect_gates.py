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
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector, decode
from dlp_proxy.model import SENSITIVE_ENTITIES
from dlp_proxy.recognizers import _common, _structure
from dlp_proxy.recognizers._common import NEGATIVE_LABELS, ContextProbe, context_literals, context_regex
from dlp_proxy.recognizers.bank import STRONG_ACCOUNT, WEAK_ACCOUNT
from dlp_proxy.recognizers.cards import issuer

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
    lines += (ROOT / "tests" / "data" / "bd_corpus.jsonl").read_text(encoding="utf-8").splitlines()[::3]
    for line in lines[::4]:
        text = json.loads(line)["text"]
        _same(engines, text)
        _same(engines, text, SENSITIVE_ENTITIES)


_WORDS = sorted(
    {*STRONG_ACCOUNT, *WEAK_ACCOUNT, *NEGATIVE_LABELS[:20], "ssn", "social security", "itin", "card", "visa", "exp",
     "routing", "aba", "wire", "iban", "ein", "tax id", "passport", "driver's license", "dl", "dob", "born",
     "phone", "call", "cusip", "isin", "bond", "client", "crn", "custodial account", "sort code", "soical", "acount",
     "routign", "itn", "bot", "sh", "GBP", "for the wire", "version", "build"}
)
_PIECES = st.one_of(
    st.sampled_from(_WORDS).map(lambda w: f" {w} "),
    st.text(alphabet="0123456789", min_size=1, max_size=10),
    st.sampled_from([" ", "-", ".", "/", "\n", "  ", ": ", "#", "$", "(", ")", "@", "x", "\u200b", "\uff15", "O", "l"]),
    st.sampled_from(["536-22-1937", "4532015112830366", "4532 0151 1283 0366", "011000015", "0049381726",
                     "GB33BUKB20201555555555", "GB33 BUKB 2020 1555 5555 55", "CRN-12345678", "AB123-45678",
                     "5X123456", "912-70-3456", "12-3456789", "037833100", "US0378331005", "a@b.example.com",
                     "(212) 555-0143", "+44 20 7946 0958", "01/02/1985", "March 3, 1979", "A12345678",
                     "NTM2LTIyLTE5Mzc=", "35 33 36 2d 32 32 2d 31 39 33 37", "\\x35\\x33\\x36\\x2d\\x32\\x32",
                     "20-00-00 12345678", "20-00-00", "011000015 / 0049381726", "8=FIX.4.2|35=D|38=5000|", "14:30:15.123",
                     "10.4.12.1", "536.22.1937", "25,676 "]),
    st.text(max_size=6),
)


# The fields of the web app's createPost body the gateway scans (all but the reference ids):
# "<user id>:<ms timestamp>" (pending_post_id), the timestamps, the counters.
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_IDS = st.text(alphabet=_ID_ALPHABET, min_size=26, max_size=26)
_MILLIS = st.integers(0, 10**13 - 1).map(str)
_NUMBERS = st.one_of(
    st.integers(0, 10**20).map(str),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(str),
    st.text(alphabet="0123456789", min_size=1, max_size=22),
)
_BODY_FIELDS = st.one_of(
    st.tuples(_IDS, _MILLIS).map(":".join),
    _MILLIS,
    _NUMBERS,
    st.sampled_from(["0", "1", "", "1795540958088", "kq9xw3m1fz8e7rjdnb5tyh4acp:1795540958088"]),
    st.tuples(_IDS, st.sampled_from([":", " ", "-", "_", "."]), _NUMBERS).map("".join),
    st.tuples(_NUMBERS, st.sampled_from([" ", "-", ".", "/", "\n", " - "]), _NUMBERS).map("".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_BODY_FIELDS)
def test_post_body_fields_identical(engines: tuple[Engine, Engine], text: str) -> None:
    _same(engines, text)
    _same(engines, text, SENSITIVE_ENTITIES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_PIECES, _BODY_FIELDS), max_size=14).map("".join))
def test_generated_identical(engines: tuple[Engine, Engine], text: str) -> None:
    _same(engines, text)
    _same(engines, text, SENSITIVE_ENTITIES)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_PIECES, _BODY_FIELDS), max_size=14).map("".join))
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
    # an account word and a number out of its reach (26 characters after it): no recognizer
    # runs (recognizers/bank.py _Unlabelled proves the account reading finds nothing)
    assert gated.analyze("Let's sync after lunch about the new account opening workflow. 1834571") == []
    assert asked == [] and tokenized == []
    # within its reach: only the account recognizers run, without the tokenizer
    assert gated.analyze("Let's sync after lunch about the account workflow, 1834571 steps") == []
    assert asked == [["US_BANK_NUMBER"]] and tokenized == []
    asked.clear()
    assert [f.entity_type for f in gated.analyze("Client SSN is 536-22-1234, please update the account")] == ["US_SSN"]
    # "account" after a number may name it ("N is NAME's account", det22): the account
    # recognizer is asked too, and the SSN's digits are still no account number
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
    assert context_literals(["routing", "routing no", "account number"]) == ("account", "routing")
    # an acronym is also a word spelled a letter at a time ("a/c/c/t"): its literal is a letter
    assert context_literals(["acct", "acct no", "account number"]) == ("a",)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789abcdefABCXYZxz+/_-=: \n\\"), max_size=60))
def test_blob_hints_are_necessary(text: str) -> None:
    if decode._HEX_RE.search(text) or decode._B64_RE.search(text):
        assert decode._has_token12(text)
    if decode._HEX_SPACED_RE.search(text):
        assert decode._HEX_SPACED_HINT.search(text)
    if decode._HEX_ESC_RE.search(text):
        assert "\\x" in text


_RUN_PIECES = st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=8),
    st.sampled_from([" ", "-", ".", "/", "\\", "\n", " \n ", "\n\n", "   ", "    ", "\t", "x", ":", "O", "o", "l", "I",
                     "\u041e", "\u0456", "a1", "1a"]),
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(_RUN_PIECES, max_size=20).map("".join), st.sets(st.integers(1, 19), min_size=1, max_size=6))
def test_candidate_lengths_shortcut(text: str, lengths: set[int]) -> None:
    """``candidates`` returns early when no sequence of groups has a wanted length:
    the same candidates as enumerating every run without the shortcut."""
    expected = []
    cuts_a_unit = set()
    for whole in _common.digit_runs(text):
        # the run, and the run without the look-alike letters glued at its edges (its
        # sequences holding a trimmed group: ``_common.edge_lookalikes``)
        lead, trail = _common.edge_lookalikes(whole[0].text, whole[-1].text)
        variants: list[tuple[tuple[_common._Group, ...], tuple[bool, bool] | None]] = [(whole, None)]
        if lead or trail:
            groups = list(whole)
            g = groups[0]
            groups[0] = _common._Group(g.text[lead:], g.start + lead, g.end)
            g = groups[-1]
            groups[-1] = _common._Group(g.text[: len(g.text) - trail], g.start, g.end - trail)
            variants.append((tuple(groups), (lead > 0, trail > 0)))
        for run, trimmed in variants:
            for i in range(len(run)):
                n = 0
                for j in range(i, len(run)):
                    n += len(run[j].text)
                    if trimmed is not None and not ((trimmed[0] and i == 0) or (trimmed[1] and j == len(run) - 1)):
                        continue
                    if n in lengths:
                        expected.append((run[i].start, run[j].end))
                        seps = [_common._sep(text, run[k - 1].end, run[k].start) for k in range(i + 1, j + 1)]
                        if len(seps) > 1 and _common._cuts_a_unit(text, run, i, j, seps):
                            cuts_a_unit.add((run[i].start, run[j].end))
    assert {len(c.digits) for c in _common.candidates(text, lengths)} <= _common.candidate_lengths(text)
    got = [(c.start, c.end) for c in _common.candidates(text, lengths)]
    # candidates drops sequences with too many look-alike letters, sequences that fuse a
    # structural token (a clock time, a dotted version) with its neighbours, and sequences
    # that take the tail of one number and the head of the next; everything else is there
    assert set(got) <= set(expected)
    for start, end in set(expected) - set(got):
        seq = text[start:end]
        looks = sum(1 for ch in seq if ch in _common.LOOKALIKE)
        digits = sum(1 for ch in seq if ch.isdigit() or ch in _common.LOOKALIKE)
        assert (looks > _common.MAX_LOOKALIKES or looks * 2 >= digits or _structure.fused(text, start, end)
                or (start, end) in cuts_a_unit)
    if _common.candidate_lengths(text).isdisjoint(lengths):
        assert got == []
    if not _common.may_have_candidates(text, frozenset(lengths)):  # the routing and EIN gates' first test
        assert got == []
    # ``first`` (the card recognizer's issuer digits) drops exactly the candidates whose
    # digits start otherwise: a look-alike letter stands for 0 or 1, never 2-6
    assert set(_common.LOOKALIKE.values()) == {"0", "1"}
    every = list(_common.candidates(text, lengths))
    assert list(_common.candidates(text, lengths, frozenset("23456"))) == [c for c in every if c.digits[0] in "23456"]


def test_card_issuers_start_with_2_to_6() -> None:
    # card_valid rejects other first digits before the issuer table: no range starts elsewhere
    for prefix in range(10000):
        p = f"{prefix:04d}"
        for tail in ("00", "21", "50", "99"):
            for n in range(13, 20):
                if issuer((p + tail).ljust(n, "0")) is not None:
                    assert p[0] in "23456"


def _digit_runs_reference(text: str) -> list[list[tuple[str, int, int]]]:
    """digit_runs as first written: every run split into groups, kept when a group character is a digit."""
    runs = []
    for m in _common._RUN_RE.finditer(text):
        groups = [(g.group(0), g.start(), g.end()) for g in _common._GROUP_RE.finditer(text, m.start(), m.end())]
        if sum(c.isdigit() for g in groups for c in g[0]):
            runs.append(groups)
    return runs


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(_RUN_PIECES, st.sampled_from(["Room", "to", "I", "lo", "Ol", "\uff15", "\u0665", "\u00b2", "x1", "a"]),
                          st.text(max_size=3)), max_size=20).map("".join))
def test_digit_runs_fast_paths(text: str) -> None:
    got = [[(g.text, g.start, g.end) for g in run] for run in _common.digit_runs.__wrapped__(text)]
    assert got == _digit_runs_reference(text)


_GLUED = st.tuples(
    st.text(alphabet="abcisxAO ", max_size=4),  # letters before the word: a window may start inside a word
    st.sampled_from([*WEAK_ACCOUNT, "replace", "isaac", "Mac", "BANK", "Ac"]),
    st.sampled_from(["", " ", ": ", "#", "-", "O", "o", "l", "I", "\n", "x", "e", "\u041e"]),
    st.text(alphabet="0123456789", min_size=6, max_size=12),
    st.sampled_from(["", " ", ",", "x", "\n"]),
).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.lists(_GLUED, min_size=1, max_size=4).map(" ".join))
@example("isaac" + " " * 13 + "483920117")  # the window starts at "ac": a word there, not in the text
@example("ac 483920117")
def test_the_weak_account_gate_is_necessary(text: str) -> None:
    """A weak account word glued to the number, or cut by the context window's start
    (``isaac 48392011`` reads ``ac`` there): the account recognizer's gate (the loose
    probe, then the word not followed by a letter a candidate cannot start with) lets
    through every text its reading reports."""
    from dlp_proxy.recognizers.bank import AccountNumberRecognizer

    rec = AccountNumberRecognizer()
    if rec.analyze(text, ["US_BANK_NUMBER"], None):
        assert rec.could_match(text), text
