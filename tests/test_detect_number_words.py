"""Numbers written in words in seven languages, read back as digits (detect/words.py).

The numbers are written here by a writer of this file's own (each language's rules for
0-9999, with its usual variants: French with or without the 1990 hyphens, German and
Dutch run together, Italian elisions, Spanish ``veinti-``), not by the reader's tables,
so a word or rule the reader lacks fails here.  ``num2words`` (the maintained writer) is
not installed in the venv and nothing is downloaded; where it is installed the
property runs against it too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import normalize, rendered_digits
from dlp_proxy.detect.words import number_word_edits, split_reading
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
AREA, GROUP, SERIAL = synth.SSN.split("-")
DIGITS = AREA + GROUP + SERIAL

# -- the writer ---------------------------------------------------------------------------
# Each returns the words of n (0 <= n <= 9999); ``alt`` picks a variant spelling.

_EN_U = "zero one two three four five six seven eight nine".split()
_EN_T = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_EN_X = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}


def en(n: int, alt: bool) -> str:
    if n >= 1000:
        return f"{en(n // 1000, alt)} thousand" + (f" {en(n % 1000, alt)}" if n % 1000 else "")
    if n >= 100:
        return f"{_EN_U[n // 100]} hundred" + ((" and " if alt else " ") + en(n % 100, alt) if n % 100 else "")
    if n >= 20:
        return _EN_X[n // 10] + (("-" if not alt else " ") + _EN_U[n % 10] if n % 10 else "")
    return _EN_T[n - 10] if n >= 10 else _EN_U[n]


_ES_U = "cero uno dos tres cuatro cinco seis siete ocho nueve".split()
_ES_T = "diez once doce trece catorce quince dieciséis diecisiete dieciocho diecinueve".split()
_ES_V = "veinte veintiuno veintidós veintitrés veinticuatro veinticinco veintiséis veintisiete veintiocho veintinueve"
_ES_X = {3: "treinta", 4: "cuarenta", 5: "cincuenta", 6: "sesenta", 7: "setenta", 8: "ochenta", 9: "noventa"}
_ES_H = {1: "ciento", 2: "doscientos", 3: "trescientos", 4: "cuatrocientos", 5: "quinientos", 6: "seiscientos",
         7: "setecientos", 8: "ochocientos", 9: "novecientos"}


def es(n: int, alt: bool) -> str:
    if n >= 1000:
        head = "mil" if n // 1000 == 1 else f"{es(n // 1000, alt)} mil"
        return head + (f" {es(n % 1000, alt)}" if n % 1000 else "")
    if n == 100:
        return "cien"
    if n >= 100:
        return _ES_H[n // 100] + (f" {es(n % 100, alt)}" if n % 100 else "")
    if n >= 30:
        return _ES_X[n // 10] + (f" y {_ES_U[n % 10]}" if n % 10 else "")
    if n >= 20:
        return _ES_V.split()[n - 20]
    return _ES_T[n - 10] if n >= 10 else _ES_U[n]


_FR_U = "zéro un deux trois quatre cinq six sept huit neuf".split()
_FR_T = "dix onze douze treize quatorze quinze seize dix-sept dix-huit dix-neuf".split()
_FR_X = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def fr(n: int, alt: bool) -> str:
    """French; ``alt``: the 1990 spelling, every word joined by hyphens."""
    words = _fr(n)
    return "-".join(words.split()) if alt else words


def _fr(n: int) -> str:
    if n >= 1000:
        head = "mille" if n // 1000 == 1 else f"{_fr(n // 1000)} mille"
        return head + (f" {_fr(n % 1000)}" if n % 1000 else "")
    if n >= 100:
        h = n // 100
        head = "cent" if h == 1 else f"{_FR_U[h]} cent" + ("s" if n % 100 == 0 else "")
        return head + (f" {_fr(n % 100)}" if n % 100 else "")
    if n >= 80:
        rest = n - 80
        return "quatre-vingts" if rest == 0 else "quatre-vingt-" + (_FR_T[rest - 10] if rest >= 10 else _FR_U[rest])
    if n >= 60:
        rest = n - 60
        if rest in (1, 11):
            return "soixante et " + ("un" if rest == 1 else "onze")
        return "soixante" + ("-" + (_FR_T[rest - 10] if rest >= 10 else _FR_U[rest]) if rest else "")
    if n >= 20:
        u = n % 10
        return _FR_X[n // 10] + (" et un" if u == 1 else f"-{_FR_U[u]}" if u else "")
    return _FR_T[n - 10] if n >= 10 else _FR_U[n]


_DE_U = "null eins zwei drei vier fünf sechs sieben acht neun".split()
_DE_T = "zehn elf zwölf dreizehn vierzehn fünfzehn sechzehn siebzehn achtzehn neunzehn".split()
_DE_X = {2: "zwanzig", 3: "dreißig", 4: "vierzig", 5: "fünfzig", 6: "sechzig", 7: "siebzig", 8: "achtzig",
         9: "neunzig"}


def de(n: int, alt: bool) -> str:
    """German, one word; ``alt``: ``einhundert``/``eintausend`` rather than ``hundert``."""
    if n >= 1000:
        head = ("eintausend" if alt else "tausend") if n // 1000 == 1 else _de_in(n // 1000) + "tausend"
        return head + (_de_in(n % 1000, alt) if n % 1000 else "")
    return _de_in(n, alt) if n != 1 else "eins"


def _de_in(n: int, alt: bool = False) -> str:
    if n >= 100:
        head = ("einhundert" if alt else "hundert") if n // 100 == 1 else _DE_U[n // 100] + "hundert"
        return head + (_de_in(n % 100) if n % 100 else "")
    if n >= 20:
        u = n % 10
        return (("ein" if u == 1 else _DE_U[u]) + "und" if u else "") + _DE_X[n // 10]
    return _DE_T[n - 10] if n >= 10 else _DE_U[n]


_IT_U = "zero uno due tre quattro cinque sei sette otto nove".split()
_IT_T = "dieci undici dodici tredici quattordici quindici sedici diciassette diciotto diciannove".split()
_IT_X = {2: "venti", 3: "trenta", 4: "quaranta", 5: "cinquanta", 6: "sessanta", 7: "settanta", 8: "ottanta",
         9: "novanta"}


def it(n: int, alt: bool) -> str:
    """Italian, one word; ``alt``: ``centootto`` rather than ``centotto``."""
    if n >= 1000:
        head = "mille" if n // 1000 == 1 else it(n // 1000, alt) + "mila"
        return head + (it(n % 1000, alt) if n % 1000 else "")
    if n >= 100:
        head = "cento" if n // 100 == 1 else _IT_U[n // 100] + "cento"
        rest = n % 100
        if rest and not alt and 80 <= rest <= 89:
            head = head[:-1]  # "centottanta"
        if rest == 8 and not alt:
            head = head[:-1]  # "centotto"
        return head + (it(rest, alt) if rest else "")
    if n >= 20:
        u = n % 10
        tens = _IT_X[n // 10]
        if u in (1, 8):
            tens = tens[:-1]  # "ventuno", "trentotto"
        return tens + ("tré" if u == 3 else _IT_U[u] if u else "")
    return _IT_T[n - 10] if n >= 10 else _IT_U[n]


_PT_U = "zero um dois três quatro cinco seis sete oito nove".split()
_PT_T = "dez onze doze treze catorze quinze dezesseis dezessete dezoito dezenove".split()
_PT_X = {2: "vinte", 3: "trinta", 4: "quarenta", 5: "cinquenta", 6: "sessenta", 7: "setenta", 8: "oitenta",
         9: "noventa"}
_PT_H = {1: "cento", 2: "duzentos", 3: "trezentos", 4: "quatrocentos", 5: "quinhentos", 6: "seiscentos",
         7: "setecentos", 8: "oitocentos", 9: "novecentos"}


def pt(n: int, alt: bool) -> str:
    """Portuguese; ``alt``: the European teens (``dezasseis``)."""
    if n >= 1000:
        head = "mil" if n // 1000 == 1 else f"{pt(n // 1000, alt)} mil"
        rest = n % 1000
        joint = " e " if rest and (rest < 100 or rest % 100 == 0) else " "
        return head + (joint + pt(rest, alt) if rest else "")
    if n == 100:
        return "cem"
    if n >= 100:
        return _PT_H[n // 100] + (f" e {pt(n % 100, alt)}" if n % 100 else "")
    if n >= 20:
        return _PT_X[n // 10] + (f" e {_PT_U[n % 10]}" if n % 10 else "")
    if n >= 10:
        word = _PT_T[n - 10]
        return word.replace("deze", "deza") if alt and n in (16, 17, 19) else word
    return _PT_U[n]


_NL_U = "nul een twee drie vier vijf zes zeven acht negen".split()
_NL_T = "tien elf twaalf dertien veertien vijftien zestien zeventien achttien negentien".split()
_NL_X = {2: "twintig", 3: "dertig", 4: "veertig", 5: "vijftig", 6: "zestig", 7: "zeventig", 8: "tachtig",
         9: "negentig"}


def nl(n: int, alt: bool) -> str:
    """Dutch, one word (``tweeëntwintig``: ``ën`` after a vowel ``e``)."""
    if n >= 1000:
        head = "duizend" if n // 1000 == 1 else nl(n // 1000, alt) + "duizend"
        return head + (nl(n % 1000, alt) if n % 1000 else "")
    if n >= 100:
        head = "honderd" if n // 100 == 1 else _NL_U[n // 100] + "honderd"
        return head + (nl(n % 100, alt) if n % 100 else "")
    if n >= 20:
        u = n % 10
        if not u:
            return _NL_X[n // 10]
        unit = _NL_U[u]
        return unit + ("ën" if unit.endswith("e") else "en") + _NL_X[n // 10]
    return _NL_T[n - 10] if n >= 10 else _NL_U[n]


WRITERS: dict[str, Callable[[int, bool], str]] = {"en": en, "es": es, "fr": fr, "de": de, "it": it, "pt": pt, "nl": nl}


def _num2words() -> dict[str, Callable[[int, bool], str]]:
    try:
        from num2words import num2words  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return {}
    return {f"num2words-{lang}": (lambda n, alt, lang=lang: str(num2words(n, lang=lang)))
            for lang in ("en", "es", "fr", "de", "it", "pt", "nl")}


WRITERS.update(_num2words())


def written(digits: str, cuts: list[int], lang: str, alt: bool, sep: str) -> str:
    """``digits`` cut into chunks at ``cuts``, each written in words: a chunk with a
    leading zero digit by digit, any other as its number."""
    write = WRITERS[lang]
    out = []
    start = 0
    for end in [*cuts, len(digits)]:
        chunk = digits[start:end]
        if chunk[0] == "0" and len(chunk) > 1:
            out.append(" ".join(write(int(d), alt) for d in chunk))
        else:
            out.append(write(int(chunk), alt))
        start = end
    return sep.join(out)


def _cuts(draw: st.DrawFn, n: int) -> list[int]:
    """Cut points making chunks of one to four digits."""
    cuts = []
    pos = 0
    while n - pos > 4:
        pos += draw(st.integers(1, 4))
        cuts.append(pos)
    return [c for c in cuts if c < n]


@st.composite
def spelled(draw: st.DrawFn) -> tuple[str, str]:
    digits = draw(st.text("0123456789", min_size=9, max_size=16))
    cuts = _cuts(draw, len(digits))
    lang = draw(st.sampled_from(sorted(WRITERS)))
    text = written(digits, cuts, lang, draw(st.booleans()), draw(st.sampled_from([", ", " , ", "; ", " / "])))
    return digits, text


def _read(text: str) -> str:
    return re.sub(r"[^0-9]", "", normalize(text).text)


def _words(text: str) -> int:
    return len(re.findall(r"[^\W\d_]+", text))


# -- properties ----------------------------------------------------------------------------


@settings(max_examples=700, deadline=None)
@given(spelled())
def test_property_any_digit_string_in_words_reads_back(case: tuple[str, str]) -> None:
    """Any digit string, cut into chunks of one to four digits, each written in words in
    any of the seven languages (chunks apart by a mark), reads back as the digits."""
    digits, text = case
    assume(_words(text) >= 4)
    assert _read(text) == digits, text


@settings(max_examples=300, deadline=None)
@given(lang=st.sampled_from(sorted(WRITERS)), n=st.integers(0, 9999), alt=st.booleans())
def test_property_every_number_below_ten_thousand(lang: str, n: int, alt: bool) -> None:
    """Every number 0-9999 in words reads as its digits (with digit words around it, so
    the run has words enough to be read)."""
    write = WRITERS[lang]
    text = f"{write(1, alt)}, {write(n, alt)}, {write(2, alt)}, {write(3, alt)}"
    assert _read(text) == f"1{n}23", text


@settings(max_examples=200, deadline=None)
@given(lang=st.sampled_from(sorted(WRITERS)), alt=st.booleans(), sep=st.sampled_from([", ", " - ", " / "]),
       shape=st.sampled_from([[3, 5], [1, 3, 5], [2, 3, 5], [3, 4, 5], [3, 5, 7]]))
def test_property_the_ssn_in_words_is_stopped(engine: Engine, lang: str, alt: bool, sep: str,
                                              shape: list[int]) -> None:
    text = "client SSN " + written(DIGITS, shape, lang, alt, sep)
    assert "US_SSN" in [f.entity_type for f in engine.analyze(text)], (text, normalize(text).text)


_PIECES = ["1", " ", "-", ", ", "vingt", "quatre", "soixante", "et", "un", "cent", "mille", "quinientos", "y",
           "veintidós", "mil", "zweiundzwanzig", "hundertsechs", "tausend", "ventidue", "mila", "e", "cento",
           "tweeëntwintig", "honderd", "und", "en", "quinhentos", "five", "hundred", "thousand", "x", "dix"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_rendered_digits_bounds_the_compounds(pieces: list[str]) -> None:
    """ASCII digits + ``rendered_digits`` >= the digits the engine sees: a thousand word
    alone is four digits, ``cien mil`` six."""
    text = "".join(pieces)
    seen = sum(c.isdigit() for c in normalize(text).text)
    assert sum(c.isdigit() for c in text) + rendered_digits(text) >= seen, text


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("enunetyuno dos tres "), max_size=200))
def test_property_conjunctions_and_short_words_stay_linear(text: str) -> None:
    """Short number words and conjunctions run together read without error."""
    number_word_edits(text)


# -- examples -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


READS = [
    ("cinq cent trente-six, vingt-deux, huit mille sept cent dix", "536228710"),
    ("quinientos treinta y seis, veintidós, ocho mil setecientos diez", "536228710"),
    ("fünfhundertsechsunddreißig zweiundzwanzig achttausendsiebenhundertzehn", "536228710"),
    ("cinquecentotrentasei ventidue ottomilasettecentodieci", "536228710"),
    ("quinhentos e trinta e seis, vinte e dois, oito mil setecentos e dez", "536228710"),
    ("vijfhonderdzesendertig tweeëntwintig achtduizendzevenhonderdtien", "536228710"),
    ("soixante-dix-sept quatre-vingt-dix-neuf soixante et onze", "779971"),
    ("five hundred and thirty-six, twenty-two, eighty-seven ten", "536228710"),
    ("5 hundred 36 22 8710", "536228710"),
    ("ocho mil 710 cinco cero", "871050"),
    ("mil e cem, mille cent, dos mil", "110011002000"),
    ("sechs und dreißig, zwei und zwanzig", "3622"),
]


@pytest.mark.parametrize(("text", "digits"), READS)
def test_reads(text: str, digits: str) -> None:
    assert _read(text) == digits, normalize(text).text


STAYS = [
    # prose in each language with number words in it: not read, or read harmlessly
    "tienen dos o tres opciones y una es buena",
    "il y a vingt et un jours, et cent fois plus",
    "er hat zwei und zwanzig Jahre gewartet",
    "sei un amico, e due volte di più",
    "em um dia e meio",
    "een en twintig",
    "the invoice is due once a month, ten cents each",
    "mille mercis, à dix heures",
]


@pytest.mark.parametrize("text", STAYS)
def test_prose_stays_words(engine: Engine, text: str) -> None:
    stopping = {"US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE"}
    assert not stopping & {f.entity_type for f in engine.analyze(text)}, text
    assert len(_read(text)) < 9, normalize(text).text


# -- an IBAN's letters in the spelling alphabet (near an IBAN label) ------------------------

_SPELLING = {"A": "alfa", "B": "bravo", "C": "charlie", "D": "delta", "E": "echo", "F": "foxtrot", "G": "golf",
             "H": "hotel", "I": "india", "J": "juliett", "K": "kilo", "L": "lima", "M": "mike", "N": "november",
             "O": "oscar", "P": "papa", "Q": "quebec", "R": "romeo", "S": "sierra", "T": "tango", "U": "uniform",
             "V": "victor", "W": "whiskey", "X": "xray", "Y": "yankee", "Z": "zulu"}
IBAN_GROUPS = ["GB82", "WEST", "1234", "5698", "7654", "32"]


@settings(max_examples=150, deadline=None)
@given(spell=st.lists(st.booleans(), min_size=6, max_size=6), case=st.sampled_from([str.lower, str.title, str.upper]),
       sep=st.sampled_from([" ", "-"]), group_sep=st.sampled_from([" ", ", "]),
       label=st.sampled_from(["iban ", "IBAN: ", "my iban is "]), digits_in_words=st.booleans())
def test_property_iban_letters_spelled(engine: Engine, spell: list[bool], case: Callable[[str], str], sep: str,
                                       group_sep: str, label: str, digits_in_words: bool) -> None:
    """Letters of the IBAN written in the spelling alphabet (any, some or all groups),
    digits as digits or digit words: read back as the IBAN."""
    spell[0] = True  # the country code at least
    # the digit groups all in words or none: two digit words alone after digits are not
    # read ("7654 three two": a run needs MIN_NUMBER_WORDS, "one of two" stays words)
    spell[2:] = [spell[2]] * 4
    groups = []
    for g, spelled_out in zip(IBAN_GROUPS, spell, strict=True):
        if not spelled_out:
            groups.append(g)
            continue
        letters = sep.join(case(_SPELLING[c]) for c in g if c.isalpha())
        run = "".join(c for c in g if c.isdigit())
        if run:  # digit words apart by blanks (hyphens between digits stay marks: "5-3-6")
            digits = " ".join(en(int(c), False) for c in run) if digits_in_words else run
            letters = f"{letters}{sep}{digits}" if letters else digits
        groups.append(letters)
    text = label + group_sep.join(groups)
    assert "IBAN_CODE" in {f.entity_type for f in engine.analyze(text)}, (text, normalize(text).text)


@pytest.mark.parametrize("text", [
    "golf bravo 82 rooms at the hotel, charlie and mike",  # no IBAN label: words
    "Mike and Victor booked the hotel for 2 nights, iban later",
    "hotel golf bravo 82 rooms, iban pending",
])
def test_spelling_alphabet_without_an_iban_stays_clean(engine: Engine, text: str) -> None:
    assert "IBAN_CODE" not in {f.entity_type for f in engine.analyze(text)}, text


def test_spelling_alphabet_is_read_only_near_an_iban_label() -> None:
    assert normalize("golf bravo 82 west").text == "golf bravo 82 west"
    assert normalize("iban golf bravo 82 west").text == "iban GB82 west"


@settings(max_examples=300, deadline=None)
@given(data=st.data(), lang=st.sampled_from(sorted(WRITERS)), alt=st.booleans())
def test_property_a_split_in_words_reads_as_its_digits_on_both_sides(data: st.DataObject, lang: str,
                                                                     alt: bool) -> None:
    """A digit string written in words and cut into two posts between its numbers: each
    half, read for the split-message window (``split_reading``), holds its digits, so the
    window's digit joins see the identifier (insider pass 4, A14); the window's
    ``may_carry_a_piece`` takes each half (a half of one digit sits at its text's end)."""
    from dlp_proxy.policy.split import may_carry_a_piece

    digits = data.draw(st.text("0123456789", min_size=6, max_size=16))
    cuts = _cuts(data.draw, len(digits)) or [len(digits) // 2]
    chunks = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    at = data.draw(st.integers(1, len(chunks) - 1)) if len(chunks) > 1 else 1
    head = written("".join(chunks[:at]), [len("".join(chunks[:k + 1])) for k in range(at - 1)], lang, alt, ", ")
    tail_digits = "".join(chunks[at:])
    tail = written(tail_digits, [len("".join(chunks[at:k + 1])) for k in range(at, len(chunks) - 1)], lang, alt,
                   ", ") if tail_digits else ""
    # a half of one two-letter word ("un", "um", "en") is not read (not a piece)
    assume(all(len(w) > 2 for h in (head, tail) if len(h.split()) == 1 for w in h.split()))
    halves = [f"client SSN {head}", tail] if tail else [f"client SSN {head}"]
    read = [split_reading(h) for h in halves]
    assert "".join(re.sub(r"[^0-9]", "", r) for r in read) == digits, (halves, read)
    assert all(may_carry_a_piece(r) for r in read), read


@pytest.mark.parametrize("text", ["lunch at noon?", "hello there", "see the notes", "one sec"])
def test_split_reading_leaves_text_without_number_runs(text: str) -> None:
    assert split_reading(text) == text.replace("one", "1")


#: digit words of the languages read digit by digit (insider pass 4, A8), this file's own
#: lists (with the spellings people type: Greek without accents, Polish without diacritics)
_MORE: dict[str, list[tuple[str, ...]]] = {
    "pl": [("zero",), ("jeden",), ("dwa",), ("trzy",), ("cztery",), ("pięć", "piec"), ("sześć", "szesc"),
           ("siedem",), ("osiem",), ("dziewięć", "dziewiec")],
    "sv": [("noll",), ("ett",), ("två", "tva"), ("tre",), ("fyra",), ("fem",), ("sex",), ("sju",), ("åtta", "atta"),
           ("nio",)],
    "tr": [("sıfır", "sifir"), ("bir",), ("iki",), ("üç", "uc"), ("dört", "dort"), ("beş", "bes"), ("altı", "alti"),
           ("yedi",), ("sekiz",), ("dokuz",)],
    "ru": [("ноль",), ("один",), ("два",), ("три",), ("четыре",), ("пять",), ("шесть",), ("семь",), ("восемь",),
           ("девять",)],
    "el": [("μηδέν", "μηδεν"), ("ένα", "ενα"), ("δύο", "δυο"), ("τρία", "τρια"), ("τέσσερα", "τεσσερα"),
           ("πέντε", "πεντε"), ("έξι", "εξι"), ("επτά", "επτα"), ("οκτώ", "οκτω"), ("εννέα", "εννεα")],
}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), lang=st.sampled_from(sorted(_MORE)), title=st.booleans())
def test_property_digit_words_of_more_languages_read_back(data: st.DataObject, lang: str, title: bool) -> None:
    """Any digit string written digit by digit in Polish, Swedish, Turkish, Russian or
    Greek (with or without diacritics, lower or title case) reads back as its digits."""
    digits = data.draw(st.text("0123456789", min_size=4, max_size=16))
    words = [data.draw(st.sampled_from(_MORE[lang][int(d)])) for d in digits]
    if title and lang != "tr":  # Turkish casing is locale-specific (İ, I)
        words = [w.title() for w in words]
    sep = data.draw(st.sampled_from([" ", ", ", "-"]))
    text = sep.join(words)
    assert _read(text) == digits, text


@pytest.mark.parametrize("lang", sorted(_MORE))
def test_the_ssn_in_digit_words_of_more_languages_is_stopped(engine: Engine, lang: str) -> None:
    text = "client SSN " + " ".join(_MORE[lang][int(d)][0] for d in DIGITS)
    assert "US_SSN" in [f.entity_type for f in engine.analyze(text)], (text, normalize(text).text)


@pytest.mark.parametrize("text", ["acht ²", "one two ²", "client ssn five three six ²", "①two three four five"])
def test_a_digit_of_another_kind_among_number_words_is_no_crash(text: str) -> None:
    """``²`` and ``①`` are digits to ``str.isdigit`` but letters to the tokenizer's
    ``[^\\W\\d_]``: a token of them was read as a digit group and ``int()`` raised
    (the split window reads raw post text: found by tests/test_detect_words_diff.py)."""
    number_word_edits(text)
    number_word_edits(text, min_words=1)
    split_reading(text)
