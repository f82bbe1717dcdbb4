"""Attack pass 8 text-evasion findings, each as a class:

- F9: a digit that looks like another digit (Bengali ``৪`` has the value 4 and looks like
  8): the text is also read with the look (Unicode's confusables data), so a checksum that
  only the look satisfies is found;
- F20: KaTeX spacing with a bare dimension (``\\kern1pt``, ``\\mkern-4mu``), ``\\rule``,
  macros defined in the text (``\\def\\x{8}``), and a small script over or under a group
  (``\\overset{a}{536}``);
- F3: pictographs that show a number without a Unicode numeric value (die faces, mahjong
  tiles, dominoes, clock faces, playing cards);
- F2: digit words of more languages, Braille digits;
- F17: account labels in Spanish, French, German; ``bank`` and ``ac`` as account words;
- symbols NFKC spells with letters (``™``) between digit groups are separators, and
  quotation marks around a group (``«536»``) are brackets.
"""

from __future__ import annotations

import json
import unicodedata
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import (
    _lookalike_digits,
    _pictograph_digits,
    _punct_letters,
    normalize,
    normalize_lookalike,
    normalize_narrow_joined,
    rendered_digits,
)
from dlp_proxy.detect.words import number_word_edits
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SSN = synth.SSN
SSN_GROUPS = SSN.split("-")
DIGITS = SSN.replace("-", "")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _types(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING}


# -- F9 look-alike digits -------------------------------------------------------------------


def _confusable_digit_looks() -> dict[str, set[str]]:
    """Unicode's confusables (as confusable_homoglyphs ships them): a non-letter
    character -> the ASCII digits it looks like."""
    raw = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    out: dict[str, set[str]] = {}
    for ch, glyphs in raw.items():
        if len(ch) == 1 and not ch.isascii() and not ch.isalpha():
            looks = {g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isdigit()}
            if looks:
                out[ch] = looks
    return out


def test_lookalike_table_is_the_confusables_data() -> None:
    """Every character whose confusable ASCII digit differs from what the normalizer reads
    it as is in the table, with that look; the Bengali four and the Oriya two of the
    finding among them."""
    table = _lookalike_digits()
    looks = _confusable_digit_looks()
    for ch, digits in looks.items():
        read = normalize(f"x{ch}x").text[1:-1]
        if read in digits:
            assert ch not in table
        else:
            assert table.get(ch) in digits, hex(ord(ch))
    # and the roman numerals the data pairs with a letter drawn as a digit (``ⅼ`` like ``l``)
    numerals = {ch for ch in table if unicodedata.category(ch) == "Nl"}
    assert set(table) - numerals <= set(looks)
    assert table["\u09ea"] == "8" and table["\u0b68"] == "9" and table["\u217c"] == "1"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


#: the look-alike characters, by the ASCII digit they look like
_BY_LOOK: dict[str, list[str]] = {}
for _ch, _look in sorted(_lookalike_digits().items()):
    if unicodedata.category(_ch) == "Nd":
        _BY_LOOK.setdefault(_look, []).append(_ch)

#: checksummed values holding an 8 or a 9 (the digits look-alikes look like)
_VALUES = [("card ", "4012 8888 8888 1881", "CREDIT_CARD"), ("pls charge ", "4012 8888 8888 1881 exp 12/29", "CREDIT_CARD"),
           ("", "DE89 3704 0044 0532 0130 00", "IBAN_CODE"), ("IBAN ", "GB82 WEST 1234 5698 7654 32", "IBAN_CODE")]


@SETTINGS
@given(value=st.sampled_from(_VALUES), data=st.data())
def test_property_a_lookalike_digit_is_read_as_it_looks(engine: Engine, value: tuple[str, str, str],
                                                        data: st.DataObject) -> None:
    """Any one digit of a checksummed identifier replaced by a digit of another script that
    looks like it (and means another digit): still found, mapped to the text sent."""
    label, written, entity = value
    spots = [i for i, c in enumerate(written) if c in _BY_LOOK and i < 16]
    i = data.draw(st.sampled_from(spots))
    ch = data.draw(st.sampled_from(_BY_LOOK[written[i]]))
    text = label + written[:i] + ch + written[i + 1 :]
    assert normalize(text).text != normalize(label + written).text  # the value reading differs
    found = [f for f in engine.analyze(text) if f.entity_type == entity]
    assert found, text
    assert any(text[f.start : f.end].replace(" ", "").startswith(written.replace(" ", "")[:2]) for f in found)


def test_lookalike_reading_only_where_there_is_one() -> None:
    assert normalize_lookalike("card 4012 8888 8888 1881") is None
    assert normalize_lookalike("৪৪ in Bengali is 44") is not None
    assert normalize_lookalike("৪").text == "8"  # type: ignore[union-attr]
    assert normalize("৪").text == "4"  # the value reading stays


# -- F20 KaTeX ------------------------------------------------------------------------------

UNITS = ["pt", "mm", "cm", "in", "bp", "pc", "dd", "cc", "nd", "nc", "sp", "px", "em", "ex", "mu"]
KERNS = ["kern", "mkern", "hskip", "mskip"]


@SETTINGS
@given(cmd=st.sampled_from(KERNS), sign=st.sampled_from(["", "-", "+"]),
       number=st.from_regex(r"\A(?:[0-9]{1,2}(?:\.[0-9]{0,2})?|\.[0-9]{1,2})\Z", fullmatch=True),
       unit=st.sampled_from(UNITS), blank=st.sampled_from(["", " "]),
       value=st.sampled_from([(SSN_GROUPS, "client SSN ", "US_SSN"),
                              (["4532", "0151", "1283", "0366"], "card ", "CREDIT_CARD")]))
def test_property_kern_with_a_bare_dimension(engine: Engine, cmd: str, sign: str, number: str, unit: str, blank: str,
                                             value: tuple[list[str], str, str]) -> None:
    """KaTeX's ``\\kern`` ``\\mkern`` ``\\hskip`` ``\\mskip`` take a size without braces:
    between the groups of an identifier, whatever the width, the identifier is found."""
    from dlp_proxy.detect import TexUnreadableError

    groups, label, entity = value
    space = f"\\{cmd}{blank}{sign}{number}{blank}{unit}{blank}"
    text = f"{label}${space.join(groups)}$"
    try:
        found = _types(engine, text)
    except TexUnreadableError:
        # (a spacing command where digits are is refused since attack pass 5 of 2026-12-07: an
        # em is as wide as the size in force, and an invalid size shows the source; a
        # refusal stops the message)
        return
    assert entity in found, (text, normalize(text).text)


@pytest.mark.parametrize(("tex", "reads"), [
    (r"$536\kern0pt22$", "53622"),  # zero: nothing
    (r"$536\kern-0.1em22$", "53622"),  # negative: nothing
    (r"$536\kern1pt22$", "536 22"),  # a visible gap ...
    (r"$536\rule{3pt}{0pt}22$", "536 22"),  # an invisible strut of width: a blank
    (r"$536\rule[1pt]{0pt}{5pt}22$", "53622"),  # no width: nothing
    (r"$536\hspace{0pt}22$", "53622"),
    (r"$\overset{a}{536}-\underset{y}{22}-\stackrel{z}{8710}$", "536-22-8710"),
    (r"$\overunderset{a}{b}{536}$", "536"),
    (r"$\def\x{8}\def\y{7}536-22-\x\y10$", "536-22-8710"),
    (r"$\gdef\x{22}536-\x-8710$", "536-22-8710"),
    (r"$\global\def\x{2}536-\x\x-8710$", "536-22-8710"),
    (r"$\newcommand{\ab}{22}536-\ab-8710$", "536-22-8710"),
    (r"$\newcommand\ab{22}536-\ab-8710$", "536-22-8710"),
    (r"$\let\a=5 \a36$", "536"),
    (r"$\def\z{\y\y}\def\y{2}536-\z$", "536-22"),  # expanded when used
])
def test_tex_reads(tex: str, reads: str) -> None:
    assert normalize(tex).text == reads


def test_narrow_kern_is_also_read_joined() -> None:
    """A kern narrower than a word space shows a gap a reader may not take as one: the
    second reading (``normalize_narrow_joined``) joins the groups."""
    joined = normalize_narrow_joined(r"$536\kern.2em22\mkern4mu8710$")
    assert joined is not None and joined.text == "536228710"
    wide = normalize_narrow_joined(r"$536\kern1em22$")
    assert wide is None or wide.text == "536 22"


@SETTINGS
@given(name=st.from_regex(r"\A[A-Za-z]{1,8}\Z", fullmatch=True), how=st.sampled_from(["def", "gdef", "newcommand"]),
       at=st.integers(0, 8))
def test_property_a_macro_whose_body_is_a_digit(engine: Engine, name: str, how: str, at: int) -> None:
    """A macro defined in the text with one digit as its body, used for a digit of the
    SSN: found."""
    assume(name not in ("kern", "mkern", "hskip", "mskip", "def", "gdef", "let", "global", "relax"))
    digits = list(DIGITS)
    d = digits[at]
    digits[at] = f"\\{name} "
    body = "".join(digits[:3]) + "-" + "".join(digits[3:5]) + "-" + "".join(digits[5:])
    define = f"\\{how}{{\\{name}}}{{{d}}}" if how == "newcommand" else f"\\{how}\\{name}{{{d}}}"
    text = f"client SSN ${define}{body}$"
    assert d in normalize(text).text, text  # (the normalizer expands it)
    from dlp_proxy.detect import TexUnreadableError

    with pytest.raises(TexUnreadableError):  # a definition where digits are is refused (attack pass 5)
        _types(engine, text)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="\\defgxyz{}1 $", max_size=200))
def test_property_macro_reading_is_no_crash_and_bounded(text: str) -> None:
    """Hostile macro text: no crash, the reading never more than about doubles it, and the
    gateway's digit bound (``rendered_digits`` on top of the written digits) counts every
    digit the macros add."""
    n = normalize(text)
    assert len(n.text) <= 2 * len(text) + 64
    assert len(n.starts) == len(n.text)
    written = sum(c.isdigit() for c in text)
    assert written + rendered_digits(text) >= sum(c.isdigit() for c in n.text), (text, n.text)


def test_recursive_macros_stay_bounded() -> None:
    text = "\\def\\x{\\x\\x}" * 2000 + "\\x" * 2000
    assert len(normalize(text).text) <= 2 * len(text)


# -- F3 pictographs ---------------------------------------------------------------------------

def _by_name(prefix: str) -> dict[str, str]:
    return {c: v for c, v in _pictograph_digits().items() if unicodedata.name(c).startswith(prefix)}


def test_pictograph_table() -> None:
    """Read by the Unicode name: six die faces, 27 mahjong number tiles, 98 domino tiles
    (two digits), ten clock faces, 36 playing cards (ace to nine of four suits)."""
    assert len(_by_name("DIE FACE")) == 6 and _by_name("DIE FACE")["\u2684"] == "5"
    assert len(_by_name("MAHJONG")) == 27 and _by_name("MAHJONG")["\U0001f01d"] == "5"  # five of circles
    assert len(_by_name("DOMINO")) == 98 and _by_name("DOMINO")["\U0001f04a"] == "34"  # horizontal 03-04
    assert len(_by_name("CLOCK")) == 10 and _by_name("CLOCK")["\U0001f55b"] == "0"  # twelve o'clock
    assert len(_by_name("PLAYING CARD")) == 36 and _by_name("PLAYING CARD")["\U0001f0a1"] == "1"  # ace of spades
    for ch, digits in _pictograph_digits().items():
        # its number in the second reading; in the first a symbol (a separator between groups)
        alike = normalize_lookalike(ch)
        assert alike is not None and alike.text == digits and rendered_digits(ch) >= 0
        assert normalize(ch).text != digits


def _pictographs_for(digit: str) -> list[str]:
    return [c for c, v in _pictograph_digits().items() if v == digit]


@SETTINGS
@given(data=st.data())
def test_property_ssn_in_pictographs(engine: Engine, data: st.DataObject) -> None:
    """An SSN written with any pictograph showing each digit (where one shows it): found."""
    out = []
    for c in SSN:
        pics = _pictographs_for(c) if c.isdigit() else []
        out.append(data.draw(st.sampled_from(pics)) if pics and data.draw(st.booleans()) else c)
    text = "client SSN " + "".join(out)
    assert "US_SSN" in _types(engine, text), text


# -- F2 number words, Braille -------------------------------------------------------------------

#: digit words written by these tests (not the module's table): the attack pass's lines
#: and a dictionary's forms
MORE_WORDS = {
    "id": "nol satu dua tiga empat lima enam tujuh delapan sembilan",
    "vi": "không một hai ba bốn năm sáu bảy tám chín",
    "cs": "nula jedna dva tři čtyři pět šest sedm osm devět",
    "hu": "nulla egy kettő három négy öt hat hét nyolc kilenc",
    "fi": "nolla yksi kaksi kolme neljä viisi kuusi seitsemän kahdeksan yhdeksän",
    "he": "אפס אחת שתיים שלוש ארבע חמש שש שבע שמונה תשע",
    "th": "ศูนย์ หนึ่ง สอง สาม สี่ ห้า หก เจ็ด แปด เก้า",
    "pinyin": "ling yi er san si wu liu qi ba jiu",
    "tl": "sero isa dalawa tatlo apat lima anim pito walo siyam",
    "sw": "sifuri moja mbili tatu nne tano sita saba nane tisa",
    "fa": "صفر یک دو سه چهار پنج شش هفت هشت نه",
    "bn": "শূন্য এক দুই তিন চার পাঁচ ছয় সাত আট নয়",
    "hi": "शून्य एक दो तीन चार पाँच छह सात आठ नौ",
    "hi-latn": "shunya ek do teen chaar paanch chhah saat aath nau",
    "ar": "صفر واحد اثنان ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة",
    "ja": "ぜろ いち に さん よん ご ろく なな はち きゅう",
    "ja-kata": "ゼロ イチ ニ サン ヨン ゴ ロク ナナ ハチ キュウ",
    "ro": "zero unu doi trei patru cinci șase șapte opt nouă",
    "la": "nihil unus duo tres quattuor quinque sex septem octo novem",
}


@pytest.mark.parametrize("lang", sorted(MORE_WORDS))
def test_the_ssn_in_digit_words_is_stopped(engine: Engine, lang: str) -> None:
    words = MORE_WORDS[lang].split()
    text = "client SSN " + " ".join(words[int(d)] for d in DIGITS)
    assert "US_SSN" in _types(engine, text), (text, normalize(text).text)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), lang=st.sampled_from(sorted(MORE_WORDS)))
def test_property_digit_words_read_back(data: st.DataObject, lang: str) -> None:
    """Any digit string of 6 to 16 digits written digit by digit in one of these
    languages reads back as its digits (``ba`` is Vietnamese 3 and pinyin 8: the run's
    other words decide, so a run needs one other word of its language).  A run opens at
    a word of three letters or more (two in a script without case: ``שש``, ``さん``), and
    a text is read with three of them (or a digit): pinyin ``yi er si wu qi ba`` alone are
    not read (documented)."""
    words = MORE_WORDS[lang].split()
    digits = data.draw(st.text("0123456789", min_size=6, max_size=16))
    assume(lang not in ("vi", "pinyin") or any(d not in "38" for d in digits))
    assume(sum(len(words[int(d)]) >= (3 if words[int(d)].isascii() else 2) for d in digits) >= 3)
    sep = data.draw(st.sampled_from([" ", ", ", "-"]))
    text = sep.join(words[int(d)] for d in digits)
    read = normalize(text).text
    assert "".join(c for c in read if c.isdigit()) == digits, (text, read)


@pytest.mark.parametrize(("text", "reads"), [
    ("client SSN ⠼⠑⠉⠋⠤⠃⠃⠤⠓⠛⠁⠚", "client SSN 536-22-8710"),
    ("⠼⠑⠉⠋ ⠼⠃⠃ ⠼⠓⠛⠁⠚", "536 22 8710"),
    ("⠼⠁⠃⠲⠑", "12.5"),
    ("⠁⠃⠉ ⠙⠑", "⠁⠃⠉ ⠙⠑"),  # letters without the number sign stay letters
])
def test_braille_digits(text: str, reads: str) -> None:
    assert normalize(text).text == reads


@settings(max_examples=100, deadline=None)
@given(st.text("0123456789-", min_size=1, max_size=20).filter(lambda s: s[0].isdigit()))
def test_property_braille_number_reads_back(digits: str) -> None:
    cells = dict(zip("1234567890", "⠁⠃⠉⠙⠑⠋⠛⠓⠊⠚", strict=True))
    text = "⠼" + "".join(cells.get(c, "⠤") for c in digits)
    read = normalize(text).text
    assert read.rstrip("-") == digits.rstrip("-") or read.startswith(digits.split("--")[0].rstrip("-"))
    assert rendered_digits(text) >= sum(c.isdigit() for c in read)


CLEAN_CHAT = [
    "that hat is what I want, do the bay trade at two",
    "san francisco desk: er, do we have the 10 year? si, 2 lots",
    "ba da bing, bon voyage, mot de passe",
    "het is een goed idee om vier te kopen",
    "ek dum teen char din mein",
    "lima office called, anim said dua lipa tickets",
    "tano sita saba nane: sounds like a band",
]


@pytest.mark.parametrize("text", CLEAN_CHAT)
def test_clean_chat_with_short_digit_words_is_not_stopped(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set(), normalize(text).text


def test_lima_is_a_letter_only_near_an_iban_label() -> None:
    assert normalize("client SSN lima tiga enam dua dua delapan tujuh satu nol").text == "client SSN 536 22 8710"
    assert [e[2] for e in number_word_edits("iban lima uniform 12 3")][:1] != ["5"]


# -- F17 labels -------------------------------------------------------------------------------

@pytest.mark.parametrize("label", ["número de cuenta", "numero de cuenta", "numéro de compte", "Kontonummer",
                                   "Konto-Nr.", "bank", "ac", "cuenta", "compte", "Konto"])
def test_account_labels(engine: Engine, label: str) -> None:
    assert "US_BANK_NUMBER" in _types(engine, f"{label} 483920117"), label


@pytest.mark.parametrize("text", ["bank holiday on the 25th, settle 12/26", "the bank closes at 4, 2 lots left",
                                  "ac unit in room 4012 is broken", "JPM bank: 1,250,000 notional"])
def test_bank_and_ac_words_alone_stop_nothing(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set()


# -- separators: symbols NFKC spells with letters, quotation marks as brackets ---------------

def _letter_symbols() -> list[str]:
    out = []
    for cp in range(0x80, 0x10000):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat[0] in "SP" and cat not in ("Ps", "Pe", "Pi", "Pf"):
            folded = unicodedata.normalize("NFKC", ch)
            if folded != ch and folded.isascii() and folded.isalpha() and len(folded) > 1:
                out.append(ch)
    return out


@SETTINGS
@given(mark=st.sampled_from(_letter_symbols()))
def test_property_a_symbol_spelled_with_letters_is_a_separator(engine: Engine, mark: str) -> None:
    """``™`` ``℠`` ``№``...: NFKC makes two letters or more of them, but between digit
    groups they show as a symbol, a separator (a circled ``Ⓑ`` is the letter it shows)."""
    text = f"client SSN {mark.join(SSN_GROUPS)}"
    assert "US_SSN" in _types(engine, text), (hex(ord(mark)), normalize(text).text)


def _punctuation_letters() -> list[str]:
    """Modifier letters (Lm) of the BMP, and the letters confusables.txt pairs with a
    punctuation mark or symbol (``ꞏ`` ``·``), that are no dash (a dash reads ``-``)."""
    out = [chr(cp) for cp in range(0x80, 0x10000) if unicodedata.category(chr(cp)) == "Lm"]
    return sorted({*out, *_punct_letters()} - {"\u30fc", "\uff70"})


@SETTINGS
@given(mark=st.sampled_from(_punctuation_letters()))
def test_property_a_letter_that_looks_like_punctuation_is_a_separator(engine: Engine, mark: str) -> None:
    """``536ˑ22ˑ8710``, ``536ꞏ22ꞏ8710`` (attack pass 8 t13): a modifier letter, or a letter
    that looks like a punctuation mark, between digit groups reads as a separator."""
    text = f"client SSN {mark.join(SSN_GROUPS)}"
    assert "US_SSN" in _types(engine, text), (hex(ord(mark)), normalize(text).text)


QUOTES = [("«", "»"), ("‹", "›"), ("“", "”"), ("‘", "’"), ("»", "«")]


@SETTINGS
@given(quote=st.sampled_from(QUOTES), blank=st.sampled_from([" ", "", "-"]))
def test_property_quotation_marks_around_groups(engine: Engine, quote: tuple[str, str], blank: str) -> None:
    a, b = quote
    text = blank.join(f"{a}{g}{b}" for g in SSN_GROUPS)
    assert "US_SSN" in _types(engine, text), (text, normalize(text).text)
