"""A label written a letter at a time, with the marks writers put between letters
(atk27r: ``S/S/N``, ``S|S|N``, ``S:S:N``, ``I.T.I.N``, ``S S #``): read as the label
(recognizers/_common.py ``context_words``, ``LETTER_GAP``).  Real detector."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector
from dlp_proxy.detect.engine import Engine
from dlp_proxy.policy.split import SplitWindow, is_label, may_carry_a_piece
from dlp_proxy.recognizers._common import ContextProbe, context_regex, context_words
from tests.test_policy_split import redis_client as redis_client  # noqa: F401 - fixture

#: a valid SSN and ITIN by their issuing rules, with no context of their own
SSN = "536228710"
ITIN = "912701234"
#: the marks between a label's letters, as ``LETTER_GAP`` takes them
MARKS = " \t_.-/|:,+"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(ner=False)


def test_acronyms_are_also_words_spelled_a_letter_at_a_time() -> None:
    words = context_words(["SSN", " itin ", "ss#", "account number", "po", "social"])
    assert {"s s n", "i t i n", "s s #"} <= set(words)
    assert "po" in words and "social" in words  # two letters, or a word: as written
    assert context_words(["b", "a"]) == ["a", "b"]  # the same order, whatever order they came in


def test_no_label_no_finding(engine: Engine) -> None:
    # the bare numbers are not read without their labels (else the tests below prove nothing)
    assert engine.analyze(f"client {SSN}") == []
    assert engine.analyze(f"client {ITIN}") == []


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([("ssn", SSN, "US_SSN"), ("itin", ITIN, "US_ITIN"), ("ss#", SSN, "US_SSN")]),
       st.lists(st.text(st.sampled_from(MARKS), min_size=1, max_size=2), min_size=3, max_size=3),
       st.lists(st.booleans(), min_size=4, max_size=4))
def test_a_label_spelled_with_marks_is_the_label(engine: Engine, case: tuple[str, str, str], marks: list[str],
                                                 upper: list[bool]) -> None:
    word, number, etype = case
    letters = [c.upper() if up else c for c, up in zip(word, upper, strict=False)]
    # (before a "#" only a phrase's gap: a colon or a comma there ends a label)
    gaps = [m if letters[i + 1] != "#" else m.translate(str.maketrans("/|:,+", "  _._")) for i, m in enumerate(marks[:len(letters) - 1])]
    spelled = "".join(c + (gaps[i] if i < len(letters) - 1 else "") for i, c in enumerate(letters))
    text = f"client {spelled} {number}"
    assert etype in {f.entity_type for f in engine.analyze(text)}, text


@given(st.text(st.sampled_from("sSnN#" + MARKS + "\n\u00e9\u017f"), max_size=16))
def test_the_probe_still_covers_the_strict_reading(text: str) -> None:
    words = ["ssn", "ss#", "social security"]
    strict, probe = context_regex(words), ContextProbe(words)
    assert strict is not None
    if strict.search(text):
        assert probe(text), text


@pytest.mark.parametrize("label", ["client S/S/N:", "client S|S|N", "her s:s:n is", "I.T.I.N", "client S S #"])
async def test_a_spelled_label_post_labels_the_number_in_the_next(redis_client, engine: Engine, label: str) -> None:
    # the split window keeps a digit-free post only when it is a label (policy/split.py is_label)
    client, prefix = redis_client
    assert is_label(label) and may_carry_a_piece(label)
    window = SplitWindow(client, key=b"l" * 32, prefix=prefix)
    number, etype = (ITIN, "US_ITIN") if "I" in label[:2] else (SSN, "US_SSN")
    assert await window.check("u1", "c1", label, engine) == []
    found = await window.check("u1", "c1", number, engine)
    assert etype in {f.entity_type for f in found}


def test_a_colon_still_ends_a_label(engine: Engine) -> None:
    # between a spelled acronym's letters any mark; between words, and before its "#", only a
    # phrase's gap: "acct: #1001" is a label, then a number (det23b's lists of fills)
    for text in ("fills per acct: #1001: 200, #1001: 200", "fills per account: #1001: 200, #1001: 200"):
        assert "US_BANK_NUMBER" not in {f.entity_type for f in engine.analyze(text)}, text


# -- marks outside ASCII (detect/normalize.py ``_marked_letters``) ---------------------------


def _outside_ascii_marks() -> list[str]:
    from dlp_proxy.detect.normalize import _letter_marks

    return sorted(_letter_marks())


def test_the_marks_outside_ascii_include_what_writers_reach_for() -> None:
    from dlp_proxy.detect.normalize import _letter_marks

    table = _letter_marks()
    # the middle dot and bullets, slashes, bars and the fullwidth forms, each as its ASCII mark
    assert {ch: table.get(ch) for ch in "\u00b7\u2022\u2219\u22c5\u30fb"} == dict.fromkeys("\u00b7\u2022\u2219\u22c5\u30fb", ".")
    assert {ch: table.get(ch) for ch in "\u2215\u2044\uff0f"} == dict.fromkeys("\u2215\u2044\uff0f", "/")
    assert {ch: table.get(ch) for ch in "\u2502\u00a6\uff5c\u2223"} == dict.fromkeys("\u2502\u00a6\uff5c\u2223", "|")
    assert table.get("\u2236") == ":" and table.get("\uff0c") == ","
    assert all(not ch.isascii() and not ch.isalnum() and mark in "./|:,+~*-_" for ch, mark in table.items())


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([("ssn", SSN, "US_SSN"), ("itin", ITIN, "US_ITIN"), ("ssn", SSN[:3] + "-" + SSN[3:5] + "-" + SSN[5:],
                                                                         "US_SSN")]),
       st.sampled_from(_outside_ascii_marks()), st.sampled_from(["", " "]), st.lists(st.booleans(), min_size=4, max_size=4))
def test_a_label_spelled_with_marks_outside_ascii_is_the_label(engine: Engine, case: tuple[str, str, str], mark: str,
                                                                blank: str, upper: list[bool]) -> None:
    word, number, etype = case
    letters = [c.upper() if up else c for c, up in zip(word, upper, strict=False)]
    text = f"client {(blank + mark + blank).join(letters)} {number}"
    assert etype in {f.entity_type for f in engine.analyze(text)}, ascii(text)


@given(st.lists(st.sampled_from(["a", "b", "S", "N", " ", "\t", "1", "col", "\U0001f642", "\u2605", "\u2764\ufe0f",
                                  "\u00e9", "\u0301", *_outside_ascii_marks()[:40]]), max_size=16)
       .map("".join))
def test_only_a_mark_between_two_lone_letters_is_read_and_the_length_kept(text: str) -> None:
    import re

    from dlp_proxy.detect.normalize import _letter_marks, _marked_letters

    out = _marked_letters(text)
    if out is None:
        return
    assert len(out.text) == len(text)
    table = _letter_marks()
    changed = {i for i, (a, b) in enumerate(zip(text, out.text, strict=True)) if a != b}
    for i in changed:
        assert table.get(text[i], ".") == out.text[i]
        # past the blanks and the other marks read beside it, a letter alone on each side
        j = i
        while j > 0 and (j - 1 in changed or text[j - 1] in " \t"):
            j -= 1
        k = i
        while k + 1 < len(text) and (k + 1 in changed or text[k + 1] in " \t"):
            k += 1
        left = re.search(r"(?:^|[^A-Za-z])[A-Za-z]$", text[:j])
        right = re.match(r"[A-Za-z](?![A-Za-z])", text[k + 1:])
        assert left is not None and right is not None, (text, i)


def test_a_mark_inside_a_word_is_no_label(engine: Engine) -> None:
    assert engine.analyze(f"the col\u00b7legi ref {SSN}") == []
    assert engine.analyze(f"AB\u00b7CD {SSN}") == []


# -- a label glued to the number's first digit (detect/normalize.py ``_label_beside_digits``) --


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([("ssn", SSN, "US_SSN"), ("SSN", SSN, "US_SSN"), ("Ssn", SSN, "US_SSN"), ("itin", ITIN, "US_ITIN"),
                        ("ITIN", ITIN, "US_ITIN")]),
       st.sampled_from([(1, 3, 5), (1, 4, 6), (3, 5), (4,), (2, 5)]), st.sampled_from([" ", "-"]))
def test_a_label_glued_to_the_numbers_first_digits_keeps_them(engine: Engine, case: tuple[str, str, str],
                                                               cuts: tuple[int, ...], sep: str) -> None:
    # "SSN5 362 28710": the leet reading "SSNs" would take the 5 away from the number
    label, number, etype = case
    bounds = [0, *cuts, len(number)]
    grouped = sep.join(number[a:b] for a, b in zip(bounds, bounds[1:], strict=False))
    text = f"client {label}{grouped}"
    assert etype in {f.entity_type for f in engine.analyze(text)}, text


def test_a_label_in_leet_is_still_read_as_the_label() -> None:
    from dlp_proxy.detect.normalize import normalize

    assert normalize("55N 536228710").text.lower().startswith("ssn ")
    assert normalize("$$N 536228710").text.lower().startswith("ssn ")
    assert normalize("@cct 483920175532").text.startswith("acct ")


_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([("ssn", SSN, "US_SSN"), ("SSN", SSN, "US_SSN"), ("itin", ITIN, "US_ITIN")]),
       st.sampled_from([" ", " - ", ", "]))
def test_a_label_glued_to_the_first_number_word_keeps_it(engine: Engine, case: tuple[str, str, str], sep: str) -> None:
    # "ssnfive three six ...": one number word glued after a label (words.py ``_LABEL_HEADS``)
    label, number, etype = case
    spoken = [_WORDS[int(d)] for d in number]
    text = f"client {label}{spoken[0]}{sep}{sep.join(spoken[1:])}"
    assert etype in {f.entity_type for f in engine.analyze(text)}, text


def test_a_word_ending_in_a_number_word_after_no_label_stays_a_word(engine: Engine) -> None:
    from dlp_proxy.detect.words import _glued_pieces

    assert [_glued_pieces(w) for w in ("someone", "often", "phone", "canine", "Everyone")] == [()] * 5
    assert engine.analyze("someone often phones Grant Cardone about it") == []


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([("ssn", SSN, "US_SSN"), ("itin", ITIN, "US_ITIN"), ("acct", "483920175532", "US_BANK_NUMBER")]),
       st.sampled_from(["\U0001f642", "\u2605", "\u2713", "\u2192", "\U0001f539", "\u2764\ufe0f",
                        "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\u2606\u2606"]),
       st.sampled_from(["", " "]))
def test_a_label_spelled_with_emoji_or_symbols_between_its_letters_is_the_label(
        engine: Engine, case: tuple[str, str, str], mark: str, blank: str) -> None:
    word, number, etype = case
    text = f"client {(blank + mark + blank).join(word.upper())} {number}"
    assert etype in {f.entity_type for f in engine.analyze(text)}, ascii(text)


def test_an_emoji_between_words_is_no_label(engine: Engine) -> None:
    assert engine.analyze(f"smile \U0001f642 at me {SSN}") == []
    assert engine.analyze(f"A \u2192 B {SSN}") == []


# -- a label inside a camelCase name (detect/normalize.py ``_camel_labels``) ----------------


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["client", "primary", "bank", "cust", "my", "get"]),
       st.sampled_from([("Ssn", SSN, "US_SSN"), ("SSN", SSN, "US_SSN"), ("Itin", ITIN, "US_ITIN"),
                        ("Acct", "483920175532", "US_BANK_NUMBER"), ("Account", "483920175532", "US_BANK_NUMBER")]),
       st.sampled_from(["", "No", "Num", "Nbr"]),
       st.sampled_from(['{{"{k}": "{v}"}}', "const {k} = '{v}';", "{k}={v}", "{k}: {v}", "<{k}>{v}</{k}>"]))
def test_a_label_inside_a_camel_case_name_is_the_label(engine: Engine, head: str, case: tuple[str, str, str],
                                                       tail: str, shape: str) -> None:
    hump, number, etype = case
    text = shape.format(k=f"{head}{hump}{tail}", v=number)
    assert etype in {f.entity_type for f in engine.analyze(text)}, text


@given(st.lists(st.sampled_from(["client", "Ssn", "SSN", "Acct", "No", "get", "Element", "By", "Id", "i", "Phone", " ", "=",
                                 "1"]), max_size=10).map("".join))
def test_the_camel_reading_only_puts_blanks_before_and_after_label_humps(text: str) -> None:
    from dlp_proxy.detect.normalize import _camel_labels

    out = _camel_labels(text)
    if out is None:
        return
    assert out.text.replace(" ", "") == text.replace(" ", "")
    assert len(out.text) > len(text)


def test_a_camel_case_name_without_a_label_is_no_label(engine: Engine) -> None:
    assert engine.analyze(f"getElementById {SSN}") == []
    assert engine.analyze(f"iPhone {SSN} JavaScript") == []


@pytest.mark.parametrize("label", ["SSAN", "S.S.A.N.", "SS card", "social security card", "TINs"])
def test_the_ssas_other_names_label_an_ssn(engine: Engine, label: str) -> None:
    assert "US_SSN" in {f.entity_type for f in engine.analyze(f"client {label} {SSN}")}


def test_a_name_holding_a_label_is_no_label(engine: Engine) -> None:
    assert engine.analyze(f"Hassan {SSN}") == []


@pytest.mark.parametrize("text", [f"SSN is in fact {SSN}", f"her ssn is in the file: {SSN}",
                                  "acct is in the CRM: 483920175532"])
def test_words_that_spell_a_negative_label_do_not_take_the_number(engine: Engine, text: str) -> None:
    # "is in" is no ISIN: the words that take a number away from a label are read as written
    # (recognizers/_common.py NEGATIVE_LABELS, ``context_words(spelled=False)``)
    assert {f.entity_type for f in engine.analyze(text)} & {"US_SSN", "US_BANK_NUMBER"}, text


def test_negative_labels_are_not_spelled() -> None:
    from dlp_proxy.recognizers._common import NEGATIVE_LABELS

    assert "i s i n" not in context_words(NEGATIVE_LABELS, spelled=False)
    assert "i s i n" in context_words(NEGATIVE_LABELS)


# -- a weak account phrase longer than the weak words' reach (recognizers/bank.py ``_weak_hit``) --


@pytest.mark.parametrize("lead", ["for further credit", "For Further Credit:", "for further credit to", "further credit to"])
def test_a_wire_desk_phrase_longer_than_the_reach_labels_the_number_right_after_it(engine: Engine, lead: str) -> None:
    assert "US_BANK_NUMBER" in {f.entity_type for f in engine.analyze(f"{lead} 483920175532")}


def test_a_weak_word_farther_than_the_reach_still_labels_nothing(engine: Engine) -> None:
    # "checking" 16 characters before the number: as far as it ever reached (the word within 15)
    assert "US_BANK_NUMBER" not in {f.entity_type for f in engine.analyze("checking it again later 483920175532")}
    assert "US_BANK_NUMBER" not in {f.entity_type for f in engine.analyze("for further credit, see the memo 483920175532")}


# -- the marks writers join a phrase's words with (``PHRASE_GAP``: ``~ + *``) --


@pytest.mark.parametrize("mark", ["~", "+", "*", "_", "-", "."])
@pytest.mark.parametrize("phrase", [("social", "security", "no"), ("social", "security", "number"),
                                    ("social", "security"), ("soc", "sec", "nbr")])
def test_a_phrase_joined_by_marks_labels_the_number(engine: Engine, mark: str, phrase: tuple[str, ...]) -> None:
    text = f"{mark.join(phrase)} {SSN}"
    assert "US_SSN" in {f.entity_type for f in engine.analyze(text)}, text
