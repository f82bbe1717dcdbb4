"""Attack pass 14 text-evasion findings, each as a class:

- F4: letters that show as a dash, a bar or a dot (Hangul ``ㅡ`` EU, ``ᐨ`` a Canadian
  syllabics final stroke, ``ⲻ``, ``ㆍ`` araea, ``丨``, the Hangzhou numeral ``〡``) between
  digit groups are a separator: the confusables data followed transitively, Unicode names,
  one short hand list (detect/normalize.py ``_punct_letters``), and no letter in a display
  name (gateway/mentions.py ``visible_letter``);
- F6: a Markdown link or image whose text renders empty (``[](x)``, ``[**](x)``,
  ``![](x =0x0)``, ``[][r]`` with ``[r]: x``) inside an identifier is nothing, not a break.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import _punct_letters, normalize, separator_letters
from dlp_proxy.gateway import mentions
from dlp_proxy.policy import testing as synth
from tests.conftest import Gateway, assert_post_stopped, post_message, post_reached

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "US_EIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SSN = synth.SSN
SSN_GROUPS = SSN.split("-")
CARD_GROUPS = synth.CARD.split()
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _types(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING}


# -- F4: letters drawn as a dash, a bar or a dot ---------------------------------------------

#: the attack's letters, and their kin the same rules bring in
STROKE_LETTERS = [
    "\u3161",  # ㅡ HANGUL LETTER EU: confusables ㅡ -> ー -> — (transitively)
    "\u1173",  # ᅳ HANGUL JUNGSEONG EU
    "\uffda",  # ￚ HALFWIDTH HANGUL LETTER EU (NFKC ᅳ)
    "\u1428",  # ᐨ CANADIAN SYLLABICS FINAL SHORT HORIZONTAL STROKE (by its name)
    "\u18df",  # ᣟ CANADIAN SYLLABICS FINAL RAISED DOT (by its name)
    "\u2cbb",  # ⲻ COPTIC SMALL LETTER DIALECT-P NI (small of Ⲻ, which looks like -)
    "\u318d",  # ㆍ HANGUL LETTER ARAEA (a dot: hand list)
    "\u119e",  # ᆞ HANGUL JUNGSEONG ARAEA
    "\u3021",  # 〡 HANGZHOU NUMERAL ONE (Nl: the stroke numerals' dash)
    "\u4e28",  # 丨 CJK UNIFIED IDEOGRAPH-4E28 (with the CJK stroke ㇑)
    "\u3163",  # ㅣ HANGUL LETTER I
    "\u4e00",  # 一 (already caught as a dash numeral)
    "\ua7f7",  # ꟷ LATIN EPIGRAPHIC LETTER SIDEWAYS I
]


@pytest.mark.parametrize("mark", STROKE_LETTERS, ids=[f"U+{ord(c):04X}" for c in STROKE_LETTERS])
@pytest.mark.parametrize(("template", "entity"), [
    ("client SSN {}", "US_SSN"), ("card {}", "CREDIT_CARD"), ("EIN {}", "US_EIN")])
def test_stroke_letter_between_groups_is_a_separator(engine: Engine, mark: str, template: str, entity: str) -> None:
    groups = {"US_SSN": SSN_GROUPS, "CREDIT_CARD": CARD_GROUPS, "US_EIN": ["12", "3456789"]}[entity]
    text = template.format(mark.join(groups))
    assert entity in _types(engine, text), (unicodedata.name(mark), normalize(text).text)


@pytest.mark.parametrize("mark", ["\u3161", "\u1428", "\u318d", "\u01c3", "\u02d1"])
@pytest.mark.parametrize("around", ["{0} {1} {2}", "{0}{1}{1}{2}", "{0} {1}{1} {2}", "{0}\t{1}{2}"])
def test_stroke_letter_with_blanks_or_doubled_is_a_separator(engine: Engine, mark: str, around: str) -> None:
    """``536 ㅡ 22 ㅡ 8710``, ``536ㅡㅡ22ㅡㅡ8710`` (and the older ``ǃ`` ``ˑ``, issue 15): blanks
    around the letter, or two of them, are still between two digit groups."""
    sep = around.format("", mark, "")
    text = f"client SSN {sep.join(SSN_GROUPS)}"
    assert "US_SSN" in _types(engine, text), (unicodedata.name(mark), normalize(text).text)


def test_the_rules_cover_the_attack_letters_and_leave_numerals_to_the_numeral_rule() -> None:
    letters = _punct_letters()
    for ch in set(STROKE_LETTERS) - {"\u3021", "\u4e00"}:
        assert ch in letters, unicodedata.name(ch)
    # numerals stay numerals outside an identifier's shape (``一个``, ``五三六一...``)
    assert "\u4e00" not in letters and "\u3021" not in letters
    assert {"\u4e00", "\u3021"} <= separator_letters()
    # letters the confusables data folds to ASCII are someone else's (confusable-letters,
    # lookalike-letters): no class with an ASCII letter or digit is read as a separator
    for ch in "\u0399\u04c0\u01c0\u0430\u043e":  # Greek Ι, Cyrillic Ӏ, dental click ǀ, а, о
        assert ch not in letters, unicodedata.name(ch)
    assert normalize("五三六二二八七一〇").text == "536228710"


#: ordinary Korean, Japanese and Chinese text with these letters and numbers (prices,
#: dates, counts, the ``ㅡㅡ`` emoticon): nothing that stops a message
_CJK_WORDS = st.sampled_from([
    "안녕하세요", "ㅡㅡ", "ㅡ_ㅡ", "으", "그래", "ㅣ", "ㆍ", "회의는", "개", "원", "년", "월", "일", "시",
    "一个", "一", "丨", "十一", "三四个", "のー", "ラーメン", "データ", "一二三", "〡", "ᐨ", "ⲻ",
])


@SETTINGS
@given(st.lists(st.one_of(_CJK_WORDS, st.integers(0, 9999).map(str)), min_size=1, max_size=12),
       st.sampled_from([" ", "", ", "]))
@example(["2024", "년", "3", "월", "ㅡㅡ", "15", "일"], " ")
@example(["3", "ㅡ", "4", "개"], "")
def test_ordinary_cjk_text_is_not_stopped(engine: Engine, pieces: list[str], joint: str) -> None:
    text = "회의 메모: " + joint.join(pieces)
    assert _types(engine, text) == set(), (text, normalize(text).text)


@SETTINGS
@given(st.lists(st.sampled_from(STROKE_LETTERS), min_size=2, max_size=2), st.sampled_from(["ssn", "card"]))
def test_property_any_stroke_letters_as_the_separators(engine: Engine, marks: list[str], kind: str) -> None:
    groups = SSN_GROUPS if kind == "ssn" else CARD_GROUPS
    seps = [*marks, marks[0]]
    value = groups[0] + "".join(s + g for s, g in zip(seps, groups[1:], strict=False))
    text = f"{kind} {value}"
    assert _types(engine, text), (text, normalize(text).text)


@pytest.mark.parametrize("mark", ["\u3161", "\u1428", "\u318d", "\u4e00", "\u2cbb", "\u4e28", "\uffda"])
def test_a_stroke_letter_does_not_make_a_digit_name_a_name(mark: str) -> None:
    for name in (f"536{mark}", f"{mark}22", f"22{mark}", f"8710 {mark}", f"536{mark}22{mark}8710"):
        assert mentions.digits_only(name), (unicodedata.name(mark), name)
    assert not mentions.digits_only(f"Desk{mark}536")
    assert mentions.display_name_refusal("channels.patch", [_Item("body.display_name", f"536{mark}")])


class _Item:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text


# -- F6: Markdown links and images that render empty ---------------------------------------

#: each renders nothing: an anchor with no text, an image with an empty ``alt``
EMPTY_LINKS = [
    "[](x)", "[](https://a.example)", '[](x "t")', "[]( x )", "[](mailto:a)", "[ ](x)", "[**](x)",
    "![](x =0x0)", "![](x)", "[<!---->](x)", "[&#8203;](x)", "[\u200b](x)", "[&nbsp;](x)", "[](x(y))",
    "[](<a b>)", "[]()", "[](#)", "[\u3164](x)", "[`` ``](x)",
]


@pytest.mark.parametrize("link", EMPTY_LINKS)
@pytest.mark.parametrize(("template", "entity"), [
    ("client SSN 536-22-87{}10", "US_SSN"), ("client SSN 536{}-22-8710", "US_SSN"),
    ("card 4111 1111 11{}11 1111", "CREDIT_CARD")])
def test_empty_link_inside_an_identifier_is_nothing(engine: Engine, link: str, template: str, entity: str) -> None:
    text = template.format(link)
    assert entity in _types(engine, text), (text, normalize(text).text)


@pytest.mark.parametrize("text", [
    "client SSN 536-22-87[][r]10\n\n[r]: https://a.example",
    "client SSN 536-22-87[] [R]10\n\n[r]: https://a.example",
    "client SSN 536-22-87![][img]10\n\n  [img]: https://a.example/x.png",
])
def test_empty_reference_link_is_nothing(engine: Engine, text: str) -> None:
    assert "US_SSN" in _types(engine, text), normalize(text).text


def test_empty_link_target_is_still_scanned(engine: Engine) -> None:
    # the target is appended after a paragraph break, as a link's with text
    assert "US_SSN" in _types(engine, f"see [](https://a.example/?ssn={SSN}) ok")


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 8), st.sampled_from(EMPTY_LINKS)), min_size=1, max_size=4),
       st.sampled_from(["ssn", "card"]))
@example([(7, "[](x)")], "ssn")
@example([(0, "[&#8203;](x)"), (3, "![](x =0x0)")], "card")
def test_property_empty_links_between_any_two_digits(engine: Engine, inserts: list[tuple[int, str]],
                                                     kind: str) -> None:
    value = SSN if kind == "ssn" else synth.CARD
    digit_at = [i for i, c in enumerate(value) if c.isdigit()]
    chars = list(value)
    # after digit k (never the last): between two digits of the identifier, maybe beside a separator
    for k, link in sorted(inserts, reverse=True):
        pos = digit_at[k % (len(digit_at) - 1)]
        chars.insert(pos + 1, link)
    text = f"client {kind} {''.join(chars)} thanks"
    assert _types(engine, text), (text, normalize(text).text)


_PROSE = st.sampled_from([
    "see [the runbook](https://wiki.example/ops/runbook) first", "[docs](https://a.example/v2/3)",
    "PR [#4821](https://github.example/o/r/pull/4821) merged", "![](https://img.example/chart.png)",
    "[](https://a.example)", "![logo](https://img.example/logo.png =120x40)", "[Q3 2025][q3]",
    "[ticket 48213](https://jira.example.com/browse/OPS-48213)", "[][q3]", "meeting at 10:30",
    "v2.14.3", "$1,250.00", "2025-06-30", "page 12", "3 of 4",
])


@SETTINGS
@given(st.lists(_PROSE, min_size=1, max_size=6), st.sampled_from([" ", "\n", ", "]))
def test_ordinary_markdown_with_links_is_not_stopped(engine: Engine, pieces: list[str], joint: str) -> None:
    text = joint.join(pieces) + "\n\n[q3]: https://a.example/q3"
    assert _types(engine, text) == set(), (text, normalize(text).text)


# -- end to end: through the real gateway -------------------------------------------------

E2E = [
    f"client SSN {chr(0x3161).join(SSN_GROUPS)}",
    "card " + "\u3161".join(CARD_GROUPS),
    f"client SSN {chr(0x1428).join(SSN_GROUPS)}",
    f"client SSN {chr(0x318d).join(SSN_GROUPS)}",
    f"client SSN {chr(0x3021).join(SSN_GROUPS)}",
    "client SSN 536-22-87[](x)10",
    "client SSN 536[](https://a.example)-22-8710",
    'card 4111 1111 11[](x "t")11 1111',
    "client SSN 536-22-87![](x =0x0)10",
    "client SSN 536-22-87[][r]10\n\n[r]: https://a.example",
]
assert SSN == "536-22-8710" and synth.CARD == "4111 1111 1111 1111", "the E2E texts above spell them"


@pytest.mark.parametrize("message", E2E, ids=[f"e2e-{i}" for i in range(len(E2E))])
def test_gateway_stops_the_evasion(gateway: Gateway, message: str) -> None:
    assert_post_stopped(gateway, message, separator=" ")


def test_gateway_passes_korean_and_links(gateway: Gateway) -> None:
    import random

    marker = f"ok{random.randrange(10**6)}z"
    message = f"회의 3시ㅡ4시 ㅡㅡ see [](https://a.example) and [docs](https://a.example/v2) {marker}"
    r = post_message(gateway, message, user="bob")
    assert r.status_code == 201, (r.status_code, r.text)
    assert post_reached(gateway, marker)


def test_gateway_refuses_stroke_letter_display_names(gateway: Gateway) -> None:
    """``536ㅡ``, ``22ㅡ`` (digits and a letter drawn as a dash: refused as a digit name) and
    ``SSN 536ㅡ22ㅡ8710`` (a name with letters, its SSN now found) were accepted."""
    import secrets
    import string

    team = gateway.sim.ids["team"]
    with gateway.client("alice") as c:
        name = "zz-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
        r = c.post("/api/v4/channels", json={"team_id": team, "name": name, "display_name": "desk", "type": "O"})
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        for display in ("536\u3161", "22\u3161", "\u31618710", "536\u1428", "22\u318d"):
            r = c.put(f"/api/v4/channels/{cid}/patch", json={"display_name": display})
            assert r.status_code == 400, (display, r.status_code, r.text)
        r = c.put(f"/api/v4/channels/{cid}/patch", json={"display_name": "SSN 536\u316122\u31618710"})
        assert r.status_code in (400, 403), (r.status_code, r.text)
        r = c.get(f"/api/v4/channels/{cid}")
        assert r.status_code == 200 and r.json()["display_name"] == "desk", r.text
