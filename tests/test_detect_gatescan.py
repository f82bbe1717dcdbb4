"""The one Hyperscan pass for the gate regexes (detect/gatescan.py) changes no finding.

``may_search(rx, text)`` False must prove ``rx.search(text)`` is None: checked for every
registered pattern on generated texts and on the corpora (as written and as the engine
reads them), and the engine's findings with the pass and without it
(``gatescan.ENABLED = False``: every regex searched as before) are compared on the
corpora, generated texts and tables longer than one window.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from presidio_analyzer import PatternRecognizer

from dlp_proxy.detect import Engine, build_detector, gatescan, hsdb
from dlp_proxy.detect.normalize import normalize, sanitize
from dlp_proxy.detect.regex_bounds import stdlib_twin
from dlp_proxy.detect.structure import CELL, ROW, mark_tables
from dlp_proxy.model import SENSITIVE_ENTITIES
from dlp_proxy.policy.testing import SSN
from tests.tablegen import dirty_csv, trade_csv

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(gatescan._hs is None, reason="the hyperscan wheel is not installed")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(ROOT / "config", ner=False)  # registers the firm's formats too


def _registered() -> list[re.Pattern[str]]:
    return [re.compile(p, f) for p, f in gatescan._SCANNER.ids]


def _check_superset(text: str) -> None:
    for rx in _registered():
        if rx.search(text) is not None:
            assert gatescan.may_search(rx, text), (rx.pattern, text)


def _corpus_texts() -> list[str]:
    texts = []
    for name in ("corpus.jsonl", "bd_corpus.jsonl"):
        with open(ROOT / "tests" / "data" / name, encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh if line.strip()]
    return texts


def _views(text: str) -> Iterator[str]:
    yield text
    marked = mark_tables(sanitize(text))
    yield marked
    yield normalize(marked).text


def test_the_gates_are_registered(engine: Engine) -> None:
    # every recognizer module's gate regexes and the firm formats from config compile
    keys = {p for p, _ in gatescan._SCANNER.ids}
    assert r"\b[A-Z]{2}[0-9]{3}-[0-9]{5}\b" in keys
    assert len(keys) >= 40
    assert gatescan.hits("plain words only") is not None


_PIECES = st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=10),
    st.sampled_from([" ", "-", ".", "/", "\n", " \n ", "\r\n", "   ", "\t", ":", "|", ",", "+", "(", ")", "@", "#", "$",
                     "*", "%", "=", "_", "O", "l", "x", "A1", "1a", CELL, ROW, "\x1c", "\x0b", "\x0c",
                     "+1 ", "+44 20 ", "(212) ", "555-1234", "2024-02-27", "March 3, 1979", "3rd of May 1980",
                     "Tel", "phone", "SSN", "ssn:", "Social Security", "soical", "tin", "Martin", "acct", "Account",
                     "routing", "ABA", "iban", "IBAN", "GB33", "sort code", "s/c", "ITIN", "tax id", "EIN", "order",
                     "passport", "driver's license", "DL", "dob", "born", "cusip", "ISIN", "US0378331005", "037833100",
                     "AB123-45678", "5X123456", "CRN-12345678", "a@b.example.com", "wire", "and", "acct no",
                     "536x22x8710", "SSN536", "abcdefABCDEF0123", "35 33 36 2d 32 32", "NTM2LTIyLTE5Mzc="]),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=4),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_generated_texts_no_match_is_missed(text: str) -> None:
    for view in _views(text):
        _check_superset(view)


def test_corpus_texts_no_match_is_missed() -> None:
    texts = _corpus_texts()
    assert len(texts) > 4000
    for text in texts:
        for view in _views(text):
            _check_superset(view)


def test_tables_no_match_is_missed() -> None:
    for text in (trade_csv(400), trade_csv(400, sep="\t"), dirty_csv(400)[0]):
        for view in _views(text):
            _check_superset(view)


def test_table_marks_are_blanks_for_backslash_s() -> None:
    # Python's \s matches U+001C..U+001F (the table marks); PCRE's does not
    rx = re.compile(r"sort\s+code[\s:]+[0-9]")
    expr = gatescan.hs_pattern(rx)
    assert expr is not None and b"\\x1c-\\x1f" in expr[0]
    gatescan.register(rx)
    assert gatescan.may_search(rx, "sort\x1fcode\x1e7")
    assert not gatescan.may_search(rx, "sorted code 7")


@pytest.mark.parametrize("pattern, flags", [
    (r"a{,3}b", 0),  # a literal in PCRE
    ("\u017fsn", re.IGNORECASE),  # LONG S matches an ASCII s case-insensitively
    (r"\u017fsn", re.IGNORECASE),
    (r"[\u0100-\u0200]n", re.IGNORECASE),  # a range holding the long s
    ("[\u2000-\u2200]", re.IGNORECASE),  # a range holding the Kelvin sign
    ("x[\u00e0-\u0131]", re.IGNORECASE),  # a range holding the dotless i
    (r"a b  # comment", re.VERBOSE),
])
def test_patterns_not_read_soundly_are_left_out(pattern: str, flags: int) -> None:
    rx = re.compile(pattern, flags)
    assert gatescan.hs_pattern(rx) is None
    gatescan.register(rx)
    assert gatescan.may_search(rx, "nothing here")  # not registered: always True


def test_non_ascii_text_gets_no_pass() -> None:
    assert gatescan.hits("SSN\u00a0" + SSN) is None
    assert gatescan.may_search(re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9A-Z]{9}[0-9](?![A-Za-z0-9])"), "caf\u00e9")


def test_a_pattern_registered_after_a_scan_is_not_ruled_out() -> None:
    text = "late registration zq9zq9zq9"
    assert gatescan.hits(text) is not None
    rx = re.compile(r"zq9zq9zq9")
    gatescan.register(rx)
    assert gatescan.may_search(rx, text)
    gatescan.prepare()
    gatescan.hits.cache_clear()
    assert gatescan.may_search(rx, text)
    assert not gatescan.may_search(rx, "no such thing")


def _findings(engine: Engine, text: str, enabled: bool, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    monkeypatch.setattr(gatescan, "ENABLED", enabled)
    try:
        return [*engine.analyze(text), "|", *engine.analyze(text, entities=SENSITIVE_ENTITIES)]
    finally:
        monkeypatch.setattr(gatescan, "ENABLED", True)


def test_corpus_same_findings_without_the_pass(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    for text in _corpus_texts()[::2]:
        assert _findings(engine, text, True, monkeypatch) == _findings(engine, text, False, monkeypatch), text


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_generated_same_findings_without_the_pass(engine: Engine, text: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        assert _findings(engine, text, True, mp) == _findings(engine, text, False, mp)


def test_long_tables_same_findings_without_the_pass(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    dirty, planted = dirty_csv(4000)
    for text in (trade_csv(1500), trade_csv(1500, sep="\t"), dirty):
        assert len(text) > engine.limits.window_chars * 2
        found = _findings(engine, text, True, monkeypatch)
        assert found == _findings(engine, text, False, monkeypatch)
    assert sum(1 for f in found if getattr(f, "entity_type", None) == "US_SSN") == 2 * planted  # both readings: all entities, then the sensitive ones


def test_a_database_that_does_not_compile_gives_no_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    scanner = gatescan._Scanner()
    scanner.register(re.compile(r"(?<![A-Za-z0-9])[0-9]{3}[0-9A-Z*@#]{5}[0-9](?![A-Za-z0-9])"))

    class Refusing:
        def compile(self, **_kw: object) -> None:
            raise RuntimeError("too large")

    monkeypatch.setattr(gatescan._hs, "Database", Refusing)
    monkeypatch.setattr(hsdb, "_SERIALIZED", {})  # none compiled before (detect/hsdb.py)
    monkeypatch.setattr(hsdb, "_disk", None)  # nor kept on disk
    assert scanner.database() == (None, 1)
    monkeypatch.setattr(gatescan, "_SCANNER", scanner)
    gatescan.hits.cache_clear()
    assert gatescan.hits("037833100") is None
    assert gatescan.may_search(re.compile(r"(?<![A-Za-z0-9])[0-9]{3}[0-9A-Z*@#]{5}[0-9](?![A-Za-z0-9])"), "no cusip")
    gatescan.hits.cache_clear()


_FILLER_PIECES = st.one_of(
    _PIECES,
    st.sampled_from(["536", "22", "8710", "4111", "1111", "GB82", "WEST", " then ", ", ", " and last four ", "#", ": ",
                     " (then) ", "\n", " ends ", "ssn ", "card ", "iban ", "account: ", "starts "]),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_FILLER_PIECES, max_size=25).map("".join))
def test_filler_finds_nothing_without_a_gap(text: str) -> None:
    # normalize.py skips filler_edits where its gap pattern has no match (gatescan's pass)
    from dlp_proxy.detect import filler

    if filler._GAP.search(text) is None:
        assert filler.filler_edits(text) == []


# The YAML recognizers' patterns are searched by ``regex`` (Presidio's module, with its
# flags) in their could-match gate; their stdlib twins are in the pass, whose False
# must prove the ``regex`` search finds nothing.
def _yaml_twins(engine: Engine) -> list[tuple[regex.Pattern[str], re.Pattern[str]]]:
    out = []
    for rec in engine.analyzer.registry.recognizers:
        if type(rec) is PatternRecognizer:
            for p in rec.patterns:
                twin = stdlib_twin(p.regex, rec.global_regex_flags)
                if twin is not None:
                    out.append((regex.compile(p.regex, flags=rec.global_regex_flags), twin))
    return out


def _check_yaml_superset(engine: Engine, text: str) -> None:
    for rx, twin in _yaml_twins(engine):
        if rx.search(text) is not None:
            assert gatescan.may_search(twin, text), (rx.pattern, text)


def test_the_yaml_patterns_are_in_the_pass(engine: Engine) -> None:
    twins = _yaml_twins(engine)
    assert any(rx.pattern == r"\bCRN-?[0-9]{8}\b" for rx, _ in twins)  # config/recognizers.yaml
    for _, twin in twins:
        assert (twin.pattern, twin.flags) in gatescan._SCANNER.ids
        assert not gatescan.may_search(twin, "no reference here")
    assert gatescan.may_search(twins[0][1], "see crn-12345678 today")  # IGNORECASE, as Presidio reads it


@pytest.mark.parametrize(("pattern", "flags"), [
    (r"(?:CRN){e<=1}[0-9]{8}", 0),  # fuzzy matching: regex only
    (r"\p{Lu}{2}[0-9]{6}", 0),
    (r"(?V1)[[A-Z]--[IO]][0-9]{6}", 0),
    (r"[A-Z]{2}[0-9]{6}", regex.VERSION1),
    (r"(unclosed", 0),
])
def test_what_re_reads_otherwise_has_no_twin(pattern: str, flags: int) -> None:
    assert stdlib_twin(pattern, flags) is None


@settings(max_examples=800, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_generated_texts_no_yaml_match_is_missed(engine: Engine, text: str) -> None:
    for view in _views(text):
        _check_yaml_superset(engine, view)


def test_corpus_texts_no_yaml_match_is_missed(engine: Engine) -> None:
    for text in _corpus_texts():
        for view in _views(text):
            _check_yaml_superset(engine, view)


_RADIX_PIECES = st.lists(st.one_of(
    st.sampled_from(["0x", "0X", "0o", "0B", "HEX", "Hex", "oct", "OcT", "bin", "BASE", "bas", "he", "0", "x", "o",
                     "b", "=", " ", "\n", "536", "ff", "İ", "é", CELL, ROW]),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=3),
), max_size=20).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_RADIX_PIECES)
def test_radix_words_read_from_the_pass_are_may_radix(text: str) -> None:
    """``decode._may_radix_scanned`` (the words read by the one pass: a case-insensitive
    literal alternation, read exactly) answers as ``may_radix`` (seven searches of the
    lower-cased text), scanned or not."""
    from dlp_proxy.detect import decode

    assert decode._may_radix_scanned(text) is decode.may_radix(text), text
    if text.isascii():
        assert gatescan.scanned(decode._RADIX_WORDS, text) is not None


def test_radix_words_read_from_the_pass_read_the_corpora() -> None:
    from dlp_proxy.detect import decode

    for text in _corpus_texts() + [trade_csv(200), dirty_csv(200)[0]]:
        for view in _views(text):
            assert decode._may_radix_scanned(view) is decode.may_radix(view)


# -- the databases the patterns are compiled in --------------------------------------------


def test_each_spelled_label_pattern_is_compiled_in_a_database_of_its_own(engine: Engine) -> None:
    from recognizers._common import LETTER_GAP

    built = gatescan._SCANNER.database()
    assert built is not None and built[0] is not None
    parts, covered = built
    assert sorted(k for _, ids in parts for k in ids) == list(range(covered))  # each pattern in one database
    # an acronym of three letters or more spelled a letter at a time: a letter between two gaps
    three = re.compile(re.escape(LETTER_GAP.encode()) + rb"[a-z]" + re.escape(LETTER_GAP.encode()))
    spelled = {k for k, (e, _) in enumerate(gatescan._SCANNER.exprs[:covered]) if three.search(e)}
    assert len(spelled) >= 10  # the context words' acronyms
    for _, ids in parts:
        assert len(ids) == 1 or not spelled & set(ids), ids
    assert max(len(ids) for _, ids in parts) > len(spelled)  # the rest together


@functools.cache
def _alone_databases() -> list[tuple[object, object]]:
    """Each registered pattern compiled in a database of its own (milliseconds each; the
    one database of them all takes seconds), with its scratch."""
    out = []
    for e, f in gatescan._SCANNER.exprs:
        db = hsdb.compile_db([e], [f])
        out.append((db, gatescan._hs.Scratch(db)))
    return out


def _hits_alone(text: str) -> frozenset[int]:
    found: set[int] = set()
    for k, (db, scratch) in enumerate(_alone_databases()):
        hit: list[int] = []
        db.scan(text.encode("ascii"), match_event_handler=lambda *_a, hit=hit: hit.append(1),
                scratch=scratch)
        if hit:
            found.add(k)
    return frozenset(found)


@settings(max_examples=150)
@given(st.lists(st.sampled_from(["S/S/N", "s s #", "I.T.I.N", "a-b-a", "routing", "acct", "account ending in", " 536",
                                 "-22-", "8710", "\n", " ", "card", "c|a|r|d", "IBAN", "swift", "tax id", "EIN ",
                                 "9", "x"]), max_size=14).map("".join))
def test_the_databases_together_hit_what_each_pattern_alone_hits(engine: Engine, text: str) -> None:
    for padded in (text, text + " " * gatescan.SHORT_TEXT):
        gatescan.hits.cache_clear()
        seen = gatescan.hits(padded)
        assert seen is not None
        alone = _hits_alone(padded)
        assert seen[0] == alone - seen[2], padded
        # a short text is not read by the databases of one pattern in the pass: each is
        # scanned when a gate asks of its pattern, and hits what it hits alone; a long one
        # is read by all of them
        assert not seen[2] if len(padded) >= gatescan.SHORT_TEXT else seen[2] and alone & seen[2] == alone - seen[0]
        keys = gatescan._SCANNER.keys
        for k in seen[2]:
            rx = re.compile(*keys[k])
            assert gatescan.may_search(rx, padded) is (k in alone), (padded, rx.pattern)
            assert gatescan.scanned(rx, padded) is (k in alone)


_WIDE_PATTERNS = [
    (r"G[ \t]*(?:\r\n|[\n\r\u2028\u2029])[ \t]*B[0-9]", 0),  # an IBAN start over a line break
    ("caf\u00e9|ab[\u00e0-\u00ff]?c|x\N{BULLET}y", 0),  # characters outside ASCII, in a set and out
    (r"[ -\u00ff]{3}z", 0),  # a range reaching past ASCII still covers the rest of it
    (r"(?i)sn\u2192[0-9]", re.IGNORECASE),  # an arrow has no ASCII case twin
    (r"(?i)(?<![a-z])part[ \t]*1[:.]|#[ \t]*1(?![0-9])|(?<![0-9./])1/[2-9](?![0-9])", re.IGNORECASE),
]


@pytest.mark.parametrize("pattern, flags", _WIDE_PATTERNS)
def test_patterns_with_characters_outside_ascii_are_read(pattern: str, flags: int) -> None:
    # a character outside ASCII matches nothing in an ASCII text: Hyperscan reads it as a
    # byte no ASCII text holds, and the pattern keeps its pass
    rx = re.compile(pattern, flags)
    assert gatescan.hs_pattern(rx) is not None
    gatescan.register(rx)
    assert (rx.pattern, rx.flags) in gatescan._SCANNER.ids


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(["G", "B", "1", "7", " ", "\t", "\n", "\r\n", "caf", "ab", "c", "x", "y", "z", "part",
                                 "#", "/", "11/25", "1/3", ":", ".", "sn", "0", "Part 1:", "#12"]), max_size=16).map("".join))
def test_property_patterns_outside_ascii_miss_no_match(text: str) -> None:
    for pattern, flags in _WIDE_PATTERNS:
        rx = re.compile(pattern, flags)
        gatescan.register(rx)
        if rx.search(text) is not None:
            assert gatescan.may_search(rx, text), (pattern, text)


def test_lookarounds_in_each_alternative_are_kept() -> None:
    # ``11/25`` and ``#12`` have no match: with the lookarounds read in every alternative
    # the pass says so, and the text is not searched by ``re`` at every position
    rx = re.compile(_WIDE_PATTERNS[-1][0], re.IGNORECASE)
    gatescan.register(rx)
    assert not gatescan.may_search(rx, "settles 11/25, ticket #12, spare part 12")
    assert gatescan.may_search(rx, "part 1: 536") and gatescan.may_search(rx, "ticket #1 then")


def test_an_escaped_character_outside_ascii_is_that_character() -> None:
    rx = re.compile("a\\\u00e9b|[\\\u2019x]y")
    expr = gatescan.hs_pattern(rx)
    assert expr is not None and expr[0] == b"a\\x80b|[\\x80x]y"


def test_a_pattern_hyperscan_refuses_is_left_out_when_the_databases_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    # registration asks Hyperscan nothing (compiling each pattern alone at import took 1.7 s
    # of every process's start): the refusal is found when the databases are built, and the
    # refused pattern, searched on the very scan that found it, is not ruled out
    scanner = gatescan._Scanner()
    good = re.compile(r"(?<![A-Za-z0-9])[0-9]{3}[0-9A-Z*@#]{5}[0-9](?![A-Za-z0-9])")
    refused = re.compile(r"zq(?:9|x)zq")
    scanner.register(good)
    scanner.register(refused)
    assert (refused.pattern, refused.flags) in scanner.ids  # not asked yet
    real = gatescan._hs.Database

    class RefusingOne(real):  # type: ignore[misc, valid-type]
        def compile(self, *, expressions: list[bytes], **kw: object) -> None:
            if any(b"zq" in e for e in expressions):
                raise RuntimeError("refused")
            super().compile(expressions=expressions, **kw)

    monkeypatch.setattr(gatescan._hs, "Database", RefusingOne)
    monkeypatch.setattr(hsdb, "_SERIALIZED", {})
    monkeypatch.setattr(hsdb, "_disk", None)
    monkeypatch.setattr(hsdb, "_keep", False)
    monkeypatch.setattr(gatescan, "_SCANNER", scanner)
    gatescan.hits.cache_clear()
    text = "a line of " + "x" * 300 + " zq9zq and no cusip"
    assert gatescan.may_search(refused, text)  # the scan that built the databases
    assert scanner.refused == {1} and (refused.pattern, refused.flags) not in scanner.ids
    assert gatescan.may_search(refused, "nothing of it here")
    assert gatescan.scanned(refused, text) is None
    assert not gatescan.may_search(good, text)  # the one kept still rules out
    gatescan.hits.cache_clear()
