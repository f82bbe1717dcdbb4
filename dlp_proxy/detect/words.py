"""Number words read as digits, for the normalizer (``normalize._latex_and_words``).

An identifier spelled out is still the identifier.  What is read, in English, Spanish,
French, German, Italian, Portuguese and Dutch, compared with accents folded (``zéro``,
``três``, ``dreißig`` -> ``dreissig``, ``tweeëntwintig`` -> ``tweeentwintig``):

- digit words (``five``, ``cinco``, ``cinq``, ``fünf``, ``cinque``, ``vijf``...), and
  the digit words alone (no teens, tens or hundreds) of Polish, Swedish, Turkish,
  Russian, Ukrainian, Greek (``osiem``, ``fem``, ``beş``, ``пять``, ``πέντε``), Indonesian,
  Vietnamese, Czech, Hungarian, Finnish, Hebrew, Thai, pinyin, Tagalog, Swahili, Persian,
  Bengali, Hindi (Devanagari and romanized), Arabic, Romanian, Latin and Japanese kana, with their common
  other forms (``_MORE_VARIANTS``); a token holds the combining marks between its
  letters (Indic vowel signs, Thai tone marks); a word two languages give different
  digits (``ba``: Vietnamese 3, pinyin 8) takes the digit of its run's language;
- numbers below a million written as their language writes them: teens, tens with a
  unit (``fifty-three``, ``vingt-deux``, ``treinta y seis``, ``vinte e dois``, German
  and Dutch unit first: ``sechsunddreißig``, ``zesendertig``), French vigesimal tens
  (``soixante-dix``, ``quatre-vingt-dix-sept``), hundreds (``5 hundred 36``, ``cinq cent
  trente-six``, ``quinientos``, ``quinhentos e trinta``), thousands (``ocho mil
  setecientos diez``, ``achttausendsiebenhundertzehn``);
- ``double``/``triple`` before a digit (``double two`` -> 22);
- the letter ``o`` for zero next to an English number word (``six o four eight``;
  ``_zero_letters``), never counted as a number word;
- words run together (``fivethreesix``, ``ventidue``, ``zweiundzwanzig``): a token
  that splits wholly into number words;
- digits mixed among the words (``five 3 six 2 two``, ``8 mil 710``);
- near an IBAN label (``iban`` in the text), an IBAN's letters in the ICAO/NATO
  spelling alphabet (``golf bravo 82 WEST...`` -> ``GB82 WEST...``): read in a run that
  is read anyway, or that starts an IBAN (two spelled letters, then two digits).

Which words make one number is decided by place value, in one left-to-right pass: a
word joins the number before it only where it fills a place that number leaves open
(``thirty`` leaves the units: ``thirty six`` is 36; ``five`` leaves none: ``five three
six`` is 536), and only across blanks or one hyphen (``thirty, six`` is 30,6); a hyphen between two
numbers in words is a blank (``536 two-two 8710`` is ``536 two two 8710``).  A
conjunction (``and``, ``y``, ``e``, ``et``, ``und``, ``en``) is read only inside a number.

A *run* is a sequence of such tokens apart by one to three blanks or marks, a pause
written out (``two... four``, ``_PAUSE``), or a line break with markup around it
(``_continues``: one group per line, list items).  A run
is read when it holds at least ``MIN_NUMBER_WORDS`` number words (each word of a
run-together token counts; conjunctions do not), a number of three words or more, or
``hundred`` with a number before it: "one of two" or "three or four" stay words; or,
fewer words among digit groups, ``MIN_MIXED_DIGITS`` digits in all (``536 two two 8710``;
a lone one-word number at the start, or of two digits or more at the end, stays a word:
``last four 7654 32``, but a digit word followed by one digit (``seven 5 8 9 ...``), or by
groups with more words among them (``four 022 one 9 five 72``), is a digit; a digit word at the end is a digit: ``536 22 871 zero``).  Blanks
between the numbers of a run are dropped, marks kept (``fifty-three six, twenty-two`` ->
``536,22``), except the two that show an SSN's 3-2-4 groups (``536 twenty two 8710`` ->
``536 22 8710``, ``_shown_blanks``); two capitals before a run that starts with two
digits in words are an IBAN's start (``DE eighty nine 3704...`` -> ``DE89...``).  A single digit word touching a digit
(``5three6``) is a digit too.

Why no library: ``text2num``'s ``alpha2digit`` reads compounds well, but returns a new
string without offsets (a finding must map back to what the user sent), reads ``5
hundred 36`` as ``5 100 36``, splits digit runs into groups, and does not read words
run together; ``num2words`` only writes numbers.  The words of each language are short
closed lists, kept here; the tests write numbers with a writer of their own.
"""

from __future__ import annotations

import collections
import functools
import itertools
import re
import threading
import unicodedata
from typing import Any

from dlp_proxy.detect import hsdb
from dlp_proxy.detect.dates import month_dates
from dlp_proxy.detect.literals import literal_trie

_hs: Any
try:  # a dependency on x86-64; optional elsewhere (``_hits`` then tokenizes in Python)
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    _hs = None

#: a run needs this many number words
MIN_NUMBER_WORDS = 4
#: ... or, with digit groups among fewer words, this many digits in all
MIN_MIXED_DIGITS = 7
#: the longest gap holding a line break that a run goes on across
_MAX_BREAK_GAP = 8

_DIGIT_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    "es": ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"),
    "fr": ("zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"),
    "de": ("null", "eins", "zwei", "drei", "vier", "funf", "sechs", "sieben", "acht", "neun"),
    "it": ("zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove"),
    "pt": ("zero", "um", "dois", "tres", "quatro", "cinco", "seis", "sete", "oito", "nove"),
    "nl": ("nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"),
}
#: digit words of more languages, as written (lower case): read digit by digit only (no
#: teens, tens or hundreds in these); folded like the text (``_fold``) for the table, and
#: their written forms are triggers (``_triggers``: looked for before any folding)
_MORE_DIGIT_WORDS: dict[str, tuple[str, ...]] = {
    "pl": ("zero", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć"),
    "sv": ("noll", "ett", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio"),
    "tr": ("sıfır", "bir", "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz"),
    "ru": ("ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"),
    "el": ("μηδέν", "ένα", "δύο", "τρία", "τέσσερα", "πέντε", "έξι", "επτά", "οκτώ", "εννέα"),
    "id": ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"),
    "vi": ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"),
    "cs": ("nula", "jedna", "dva", "tři", "čtyři", "pět", "šest", "sedm", "osm", "devět"),
    "hu": ("nulla", "egy", "kettő", "három", "négy", "öt", "hat", "hét", "nyolc", "kilenc"),
    "fi": ("nolla", "yksi", "kaksi", "kolme", "neljä", "viisi", "kuusi", "seitsemän", "kahdeksan", "yhdeksän"),
    "he": ("אפס", "אחת", "שתיים", "שלוש", "ארבע", "חמש", "שש", "שבע", "שמונה", "תשע"),
    "th": ("ศูนย์", "หนึ่ง", "สอง", "สาม", "สี่", "ห้า", "หก", "เจ็ด", "แปด", "เก้า"),
    # pinyin "ba" is 8, Vietnamese "ba" 3: the run's other words decide (``_run_language``)
    "zh-latn": ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu"),
    "tl": ("sero", "isa", "dalawa", "tatlo", "apat", "lima", "anim", "pito", "walo", "siyam"),
    "sw": ("sifuri", "moja", "mbili", "tatu", "nne", "tano", "sita", "saba", "nane", "tisa"),
    "fa": ("صفر", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه"),
    "bn": ("শূন্য", "এক", "দুই", "তিন", "চার", "পাঁচ", "ছয়", "সাত", "আট", "নয়"),
    "hi": ("शून्य", "एक", "दो", "तीन", "चार", "पाँच", "छह", "सात", "आठ", "नौ"),
    "hi-latn": ("shunya", "ek", "do", "teen", "chaar", "paanch", "chhah", "saat", "aath", "nau"),
    "ar": ("صفر", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة"),
    "ja-kana": ("ぜろ", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう"),
    "ja-kata": ("ゼロ", "イチ", "ニ", "サン", "ヨン", "ゴ", "ロク", "ナナ", "ハチ", "キュウ"),
    "ro": ("zero", "unu", "doi", "trei", "patru", "cinci", "șase", "șapte", "opt", "nouă"),
    # Ukrainian: the apostrophe of ``пʼять`` written as U+02BC, a letter (Lm)
    "uk": ("нуль", "один", "два", "три", "чотири", "пʼять", "шість", "сім", "вісім", "девʼять"),
    "la": ("nihil", "unus", "duo", "tres", "quattuor", "quinque", "sex", "septem", "octo", "novem"),
}
#: other spellings of those languages' digit words, as written: gender and case forms
#: (Hebrew, Arabic, Czech, Hungarian), the Arabic yeh in Persian, other readings of
#: Japanese digits, Indonesian/Tagalog words for zero, common romanized Hindi spellings
_MORE_VARIANTS: dict[str, int] = {
    "kosong": 0, "wala": 0, "şase": 6, "şapte": 7, "jeden": 1, "jedno": 1, "dvě": 2, "két": 2, "yao": 1, "liang": 2,
    "אחד": 1, "שתים": 2, "שניים": 2, "שנים": 2, "שלושה": 3, "שלש": 3, "ארבעה": 4, "חמישה": 5, "חמשה": 5,
    "שישה": 6, "ששה": 6, "שבעה": 7, "תשעה": 9,
    "يک": 1, "يك": 1, "یك": 1,
    "واحدة": 1, "اثنين": 2, "اثنتان": 2, "ثلاث": 3, "أربع": 4, "خمس": 5, "ست": 6, "سبع": 7, "ثمان": 8,
    "ثماني": 8, "تسع": 9,
    "पांच": 5, "छः": 6, "छे": 6,
    "shoonya": 0, "chaar": 4, "char": 4, "panch": 5, "chhe": 6, "chah": 6, "aath": 8,
    "れい": 0, "し": 4, "しち": 7, "く": 9, "きゅー": 9, "レイ": 0, "シ": 4, "シチ": 7, "ク": 9,
}
#: alternative spellings of a digit word (Spanish "una", "un", German "ein"/"eine", "zwo",
#: "fuenf", Portuguese "uma"/"duas")
_VARIANTS = {"una": 1, "un": 1, "ein": 1, "eine": 1, "zwo": 2, "fuenf": 5, "uma": 1, "duas": 2, "nought": 0, "oh": 0}
#: the letter ``o`` said for zero ("six o four eight", "two-eight-o-nine"): a digit only inside
#: a run, next to an English number word of ``_O_NEIGHBOURS`` (``_zero_letters``), never
#: before an apostrophe ("five o'clock"), never counted as a number word
_O_ZERO = "o"
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = {"twenty": "2", "thirty": "3", "forty": "4", "fourty": "4", "fifty": "5", "sixty": "6", "seventy": "7",
         "eighty": "8", "ninety": "9"}

# kinds of number word
_UNIT, _TEN, _TEEN, _TENS_K, _MULT100, _HUNDREDS, _THOUSAND, _CONJ, _TIMES, _GROUP, _LETTER = range(11)

#: the other words, by language: ten, eleven to nineteen, the tens (with the Italian forms
#: elided before ``uno``/``otto``, the Spanish ``veinti-``), a hundred, the hundreds
#: written as one word, a thousand, the conjunction inside a number
_TEN_WORDS = ("ten", "diez", "dix", "zehn", "dieci", "dez", "tien")
_TEEN_WORDS: dict[int, tuple[str, ...]] = {
    11: ("eleven", "once", "onze", "elf", "undici"),
    12: ("twelve", "doce", "douze", "zwolf", "zwoelf", "dodici", "doze", "twaalf"),
    13: ("thirteen", "trece", "treize", "dreizehn", "tredici", "treze", "dertien"),
    14: ("fourteen", "catorce", "quatorze", "vierzehn", "quattordici", "catorze", "veertien"),
    15: ("fifteen", "quince", "quinze", "funfzehn", "fuenfzehn", "quindici", "vijftien"),
    16: ("sixteen", "dieciseis", "seize", "sechzehn", "sedici", "dezesseis", "dezasseis", "zestien"),
    17: ("seventeen", "diecisiete", "siebzehn", "diciassette", "dezessete", "dezassete", "zeventien"),
    18: ("eighteen", "dieciocho", "achtzehn", "diciotto", "dezoito", "achttien"),
    19: ("nineteen", "diecinueve", "neunzehn", "diciannove", "dezenove", "dezanove", "negentien"),
}
_TENS_WORDS: dict[int, tuple[str, ...]] = {
    20: ("twenty", "veinte", "veinti", "vingt", "vingts", "zwanzig", "venti", "vent", "vinte", "twintig"),
    30: ("thirty", "treinta", "trente", "dreissig", "dreisig", "trenta", "trent", "trinta", "dertig"),
    40: ("forty", "fourty", "cuarenta", "quarante", "vierzig", "quaranta", "quarant", "quarenta", "veertig"),
    50: ("fifty", "cincuenta", "cinquante", "funfzig", "fuenfzig", "cinquanta", "cinquant", "cinquenta", "vijftig"),
    60: ("sixty", "sesenta", "soixante", "sechzig", "sessanta", "sessant", "sessenta", "zestig"),
    70: ("seventy", "setenta", "septante", "siebzig", "settanta", "settant", "zeventig"),
    80: ("eighty", "ochenta", "huitante", "octante", "achtzig", "ottanta", "ottant", "oitenta", "tachtig"),
    90: ("ninety", "noventa", "nonante", "neunzig", "novanta", "novant", "negentig"),
}
#: the English number words beside which an ``o`` is zero (digit words, teens, tens)
_O_NEIGHBOURS = frozenset((*_DIGIT_WORDS["en"], "oh", "nought", "double", "triple", *_TEENS, *_TENS))
#: French tens that take eleven to nineteen after them (``soixante-douze``, ``quatre-vingt-dix``)
_VIGESIMAL = ("soixante", "vingt", "vingts")
_HUNDRED_WORDS = ("hundred", "cien", "ciento", "cent", "cents", "hundert", "cento", "cem", "honderd")
_HUNDREDS_WORDS: dict[int, tuple[str, ...]] = {
    200: ("doscientos", "doscientas", "duzentos", "duzentas"),
    300: ("trescientos", "trescientas", "trezentos", "trezentas"),
    400: ("cuatrocientos", "cuatrocientas", "quatrocentos", "quatrocentas"),
    500: ("quinientos", "quinientas", "quinhentos", "quinhentas"),
    600: ("seiscientos", "seiscientas", "seiscentos", "seiscentas"),
    700: ("setecientos", "setecientas", "setecentos", "setecentas"),
    800: ("ochocientos", "ochocientas", "oitocentos", "oitocentas"),
    900: ("novecientos", "novecientas", "novecentos", "novecentas"),
}
_THOUSAND_WORDS = ("thousand", "mil", "mille", "tausend", "mila", "duizend")
_CONJ_WORDS = ("and", "y", "e", "et", "und", "en")
_HUNDRED = "hundred"
#: "double two" is 22, "triple five" 555
_REPEAT = {"double": 2, "triple": 3}
#: the ICAO/NATO spelling alphabet: an IBAN's letters spelled out ("golf bravo 82 ...")
_NATO = {"alfa": "A", "alpha": "A", "bravo": "B", "charlie": "C", "delta": "D", "echo": "E", "foxtrot": "F",
         "golf": "G", "hotel": "H", "india": "I", "juliett": "J", "juliet": "J", "kilo": "K", "lima": "L",
         "mike": "M", "november": "N", "oscar": "O", "papa": "P", "quebec": "Q", "romeo": "R", "sierra": "S",
         "tango": "T", "uniform": "U", "victor": "V", "whiskey": "W", "whisky": "W", "xray": "X", "yankee": "Y",
         "zulu": "Z"}
#: the label near which spelled letters are read
_LETTERS_LABEL = "iban"
#: written with their accent or sharp s: looked for as written before any folding
_ACCENTED = ("fünf", "zéro", "três", "zwölf", "één", "dreißig")


@functools.cache
def _entries() -> dict[str, tuple[int, int]]:
    """Folded word -> (kind, value)."""
    table: dict[str, tuple[int, int]] = {}
    for words in _DIGIT_WORDS.values():
        for d, w in enumerate(words):
            table.setdefault(w, (_UNIT, d))
    for w, d in _VARIANTS.items():
        table.setdefault(w, (_UNIT, d))
    more = [(d, w) for words in _MORE_DIGIT_WORDS.values() for d, w in enumerate(words)]
    for d, w in [*more, *((d, w) for w, d in _MORE_VARIANTS.items())]:
        table.setdefault(_fold(w), (_UNIT, d))
        table.setdefault(_fold(w).replace("\u0131", "i"), (_UNIT, d))  # dotless i, folded by the normalizer
    for w in _TEN_WORDS:
        table[w] = (_TEN, 10)
    for v, ws in _TEEN_WORDS.items():
        table.update({w: (_TEEN, v) for w in ws})
    for v, ws in _TENS_WORDS.items():
        table.update({w: (_TENS_K, v) for w in ws})
    table.update({w: (_MULT100, 100) for w in _HUNDRED_WORDS})
    for v, ws in _HUNDREDS_WORDS.items():
        table.update({w: (_HUNDREDS, v) for w in ws})
    table.update({w: (_THOUSAND, 1000) for w in _THOUSAND_WORDS})
    table.update({w: (_CONJ, 0) for w in _CONJ_WORDS})
    table.update({w: (_TIMES, n) for w, n in _REPEAT.items()})
    return table


@functools.cache
def _word_languages() -> tuple[dict[str, frozenset[str]], dict[str, dict[str, int]]]:
    """(folded digit word -> the languages that have it; a word two languages give
    different digits, such as ``ba``: Vietnamese 3, pinyin 8 -> its digit by language)."""
    langs: dict[str, set[str]] = {}
    values: dict[str, dict[str, int]] = {}
    for lang, words in (*_DIGIT_WORDS.items(), *_MORE_DIGIT_WORDS.items()):
        for d, w in enumerate(words):
            f = _fold(w)
            langs.setdefault(f, set()).add(lang)
            values.setdefault(f, {})[lang] = d
    ambiguous = {w: v for w, v in values.items() if len(set(v.values())) > 1}
    return {w: frozenset(ls) for w, ls in langs.items()}, ambiguous


def _run_language(words: list[str]) -> str | None:
    """The language most of ``words`` (folded digit words) belong to, or None."""
    langs, _ = _word_languages()
    count: dict[str, int] = {}
    for w in words:
        for lang in langs.get(w, ()):
            count[lang] = count.get(lang, 0) + 1
    return max(count, key=lambda k: count[k]) if count else None


@functools.cache
def _lexicon() -> dict[str, str]:
    """Folded digit word -> its digit (the words a single one of which touching a digit is read)."""
    return {w: str(v) for w, (k, v) in _entries().items() if k == _UNIT}


#: words a run-together token may be made of: two letters or more (``y``, ``e`` only alone)
@functools.cache
def _pieces() -> dict[int, frozenset[str]]:
    by_len: dict[int, set[str]] = {}
    for w in _entries():
        if len(w) >= 2:
            by_len.setdefault(len(w), set()).add(w)
    return {n: frozenset(ws) for n, ws in sorted(by_len.items(), reverse=True)}


@functools.cache
def _triggers() -> tuple[str, ...]:
    """The substrings looked for before any tokenizing: a few that every number word of
    three letters or more (conjunctions aside) holds, found greedily from the shortest
    words, plus the accented spellings as written."""
    words = sorted((w for w, (k, _) in _entries().items() if len(w) >= 3 and k != _CONJ), key=lambda w: (len(w), w))
    chosen: list[str] = []
    for w in words:
        if not any(t in w for t in chosen):
            chosen.append(w)
    more = tuple(w for ws in (*_MORE_DIGIT_WORDS.values(), _MORE_VARIANTS) for w in ws
                 if not w.isascii() and len(w) >= 2)  # two kana, two Hebrew letters: a word
    return tuple(dict.fromkeys((*chosen, *_ACCENTED, *more)))


#: every combining mark of the Basic Multilingual Plane (Mn, Mc: Indic vowel signs, Thai
#: tone marks, Hebrew points), which a word of those scripts holds between its letters
_MARKS = "".join(chr(c) for c in range(0x0300, 0x10000) if unicodedata.category(chr(c)) in ("Mn", "Mc"))
_TOKEN = re.compile(rf"[^\W\d_]+(?:[{_MARKS}]+[^\W\d_]*)*|[0-9]+")
_DIGIT = re.compile(r"[0-9]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_LOWER_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
#: how far around a number word the text is tokenized
_REACH = 48
#: a digit group inside a run of words is at most this long (an account number's 17
#: digits: ``account forty eight 3920117``)
_MAX_GROUP = 17
#: a run-together token is read up to this length
_MAX_TOKEN = 120


def _fold(word: str) -> str:
    """Lower case, accents dropped, ``ß`` as ``ss``, ``ü`` as ``u`` (``fünf`` -> ``funf``)."""
    if word.isascii():
        return word.translate(_ASCII_LOWER)
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_digit_word(token: str) -> bool:
    """``token`` is a digit word (``три``, ``τρία``, ``пʼять``: ``_entries``), as the text
    holds it."""
    return _fold(token) in _entries()


@functools.cache
def _ascii_triggers() -> tuple[str, ...]:
    return tuple(w for w in _triggers() if w.isascii())


def may_have_number_words(text: str) -> bool:
    if text.isascii():
        if len(text) >= _LONG and FAST:
            scan = _trigger_scan()
            if scan is not None:
                return scan.any(text)
        low = text.translate(_ASCII_LOWER)
        return (_ascii_trigger_re().search(low) is not None
                or (_LETTERS_LABEL in low and any(w in low for w in _NATO)))
    low = text.lower()
    return _trigger_re().search(low) is not None or (_LETTERS_LABEL in low and any(w in low for w in _NATO))


@functools.cache
def _ascii_trigger_re() -> re.Pattern[str]:
    """``any(w in low for w in _ascii_triggers())`` as one search (literals.py: ~2.5 us a
    chat message, ~11 us with ``in`` word by word)."""
    return re.compile(literal_trie(_ascii_triggers()))


@functools.cache
def _trigger_re() -> re.Pattern[str]:
    """``any(w in low for w in _triggers())`` as one search."""
    return re.compile(literal_trie(_triggers()))


@functools.lru_cache(maxsize=4096)
def _segment(token: str) -> tuple[str, ...] | None:
    """A letters-only token as number words run together, or None: the longest words
    first, with backtracking, memoized (linear in the token); every word at least two
    letters; a conjunction only between a unit and a tens word (``sechsunddreissig``)
    or after a hundred or a thousand."""
    n = len(token)
    if n > _MAX_TOKEN:
        return None
    pieces = _pieces()
    memo: dict[int, tuple[str, ...] | None] = {}

    def split(i: int) -> tuple[str, ...] | None:
        if i == n:
            return ()
        if i in memo:
            return memo[i]
        memo[i] = None
        for size, words in pieces.items():
            w = token[i : i + size]
            if len(w) == size and w in words:
                rest = split(i + size)
                if rest is not None and _conj_fits(w, rest, i == 0):
                    memo[i] = (w, *rest)
                    break
        return memo[i]

    out = split(0)
    if out is None or _entries()[out[-1]][0] == _CONJ:
        return None
    for prev, w, nxt in zip(out, out[1:], out[2:], strict=False):
        if _entries()[w][0] == _CONJ and not _conj_between(prev, nxt):
            return None
    return out


def _conj_fits(w: str, rest: tuple[str, ...], first: bool) -> bool:
    return not (_entries()[w][0] == _CONJ and (first or not rest))


def _conj_between(prev: str, nxt: str) -> bool:
    kp, vp = _entries()[prev]
    kn, _ = _entries()[nxt]
    return (kp == _UNIT and vp > 0 and kn == _TENS_K) or (kp in (_MULT100, _HUNDREDS, _THOUSAND) and kn in (
        _UNIT, _TEN, _TEEN, _TENS_K, _HUNDREDS))


#: a letters-only token read with a head word apart (``ssnfivethreesix...``, all one case):
#: its number-word tail must hold this many words ("someone", "often", "canine", "weight",
#: "phone" hold one and stay words)
_GLUED_TAIL_WORDS = 3
#: heads that are identifier labels: a tail of one number word after one is read
#: (``ssnfive three six...``, ``acctfour eight...``): no English word starts with them
#: and ends in a number word but ``cardone`` (a name; its reading is judged beside the
#: words as written, a number needs every other digit of an identifier)
_LABEL_HEADS = frozenset({"ssn", "ssns", "itin", "acct", "acctno", "account", "card", "iban", "aba", "rtn", "routing"})
#: where a camelCase/PascalCase token turns to a new word: a lower-case letter then a
#: capital (``ssnFive``), or a capital then a capital and a lower-case letter (``SSNFive``)
_HUMP = re.compile(r"(?<=[^\W\d_])(?=[^\W\d_])(?:(?<=[a-z\u00df-\u00ff])(?=[A-Z\u00c0-\u00de])|"
                   r"(?<=[A-Z\u00c0-\u00de])(?=[A-Z\u00c0-\u00de][a-z\u00df-\u00ff]))")


def hump_cuts(token: str) -> list[int]:
    """Where ``token`` turns to a new camelCase/PascalCase word, with its two ends:
    ``clientSsn`` -> ``[0, 6, 9]``, ``bankAcctNo`` -> ``[0, 4, 8, 10]``."""
    return [0, *(m.start() for m in _HUMP.finditer(token)), len(token)]


def _tail_words(folded: str) -> tuple[int, tuple[str, ...]] | None:
    """The number words a folded letters token ends with after a head that is none
    (``ssnfive...``: 3, five ...): the longest such tail (the shortest head), or None."""
    if len(folded) < 3 or folded[-2:] not in _heads_tails()[1]:
        return None
    heads = _heads_tails()[0]
    for k in range(1, len(folded) - 1):
        if folded[k : k + 2] in heads:
            seg = _segment(folded[k:])
            if seg is not None:
                return k, seg
    return None


def _hump_words(hump: str) -> tuple[str, ...] | None:
    """A camel hump (``Five``, ``FiftyThree``) as number words: one of three letters or
    more (not a conjunction), or number words run together."""
    f = _fold(hump)
    kind = _entries().get(f)
    if kind is not None:
        return (f,) if kind[0] != _CONJ and len(f) >= 3 else None
    seg = _segment(f) if len(f) >= 4 else None
    return seg if seg is not None and len(seg) >= 2 else None


@functools.lru_cache(maxsize=4096)
def _glued_pieces(token: str) -> tuple[tuple[int, int, tuple[str, ...]], ...]:
    """The number words inside a letters token that is not number words as a whole, as
    ``(start, end, words)`` within it (atk27r W): read at its camelCase/PascalCase humps
    (``ssnFiveThreeSix``, ``cardFourOneOne``: every hump that is number words, next humps
    merged), and a hump's number-word tail after a head that is none (``ssnfivethree...``,
    ``SSNfive...``): with a number hump after it, or ``_GLUED_TAIL_WORDS`` words of its
    own.  A head is left as it is: the label it is (``ssn``, ``card``) sits glued to the
    digits read, as ``ssn536...`` does."""
    if len(token) > _MAX_TOKEN:
        return ()
    cuts = hump_cuts(token)
    humps = [(a, b, _hump_words(token[a:b])) for a, b in itertools.pairwise(cuts)]
    out: list[tuple[int, int, tuple[str, ...]]] = []
    for i, (a, b, words) in enumerate(humps):
        if words is None:
            tail = _tail_words(_fold(token[a:b])) if b - a >= 4 else None
            nxt = humps[i + 1][2] if i + 1 < len(humps) else None
            if tail is None or (nxt is None and len(tail[1]) < _GLUED_TAIL_WORDS
                                and _fold(token[a:a + tail[0]]) not in _LABEL_HEADS):
                continue
            a, words = a + tail[0], tail[1]
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b, out[-1][2] + words)
        else:
            out.append((a, b, words))
    if not out and len(cuts) > 2:
        # a label in capitals, then the words in small letters (``SSNfive``): the humps
        # cut ``SS|Nfive``; read whole, the head is the label
        tail = _tail_words(_fold(token))
        if tail is not None and _fold(token[:tail[0]]) in _LABEL_HEADS:
            out.append((tail[0], len(token), tail[1]))
    return tuple(out)


def _glue_candidate(token: str) -> bool:
    """A letters token whose number words inside it (``_glued_pieces``) open a window:
    two words or more in one piece."""
    return any(len(w) >= 2 for _a, _b, w in _glued_pieces(token))


#: ASCII number words that open a window, preceded by a letter: where a token may hold
#: number words inside it (``_glued_pieces``)
@functools.cache
def _inner_re() -> re.Pattern[str]:
    return re.compile("[^\\W\\d_](?:" + literal_trie(w for w in _openers() if w.isascii()) + ")")


def _inner_tokens(text: str, low: str, ends: list[int]) -> list[str]:
    """The tokens of ``low`` (as lower case) around the positions ``ends`` (inside a
    token) whose number words inside them open a window, read in ``text``'s case."""
    out: dict[str, None] = {}
    done: set[int] = set()
    ascii_text = low.isascii()  # (no mark is ASCII, and an ASCII letter is a-z in ``low``)
    for p in ends:
        a = p
        if ascii_text:
            while a > 0 and low[a - 1] in _ASCII_LOWER_LETTERS:
                a -= 1
        while a > 0 and (_LETTER1.match(low, a - 1) is not None or low[a - 1] in _MARK_SET):
            a -= 1
        while a < len(low) and low[a] in _MARK_SET:
            a += 1
        if a in done:
            continue
        done.add(a)
        m = _LETTERS.match(low, a)
        if m is None or m.end() - a < 5:
            continue
        t = m.group(0)
        if t not in out and _segment(_fold(t)) is None and _glue_candidate(text[a : m.end()]):
            out[t] = None
    return list(out)


class _Tok:
    __slots__ = ("digits", "end", "start", "words")

    def __init__(self, start: int, end: int, words: tuple[str, ...], digits: str) -> None:
        self.start = start
        self.end = end
        self.words = words  # the number words it holds (() for a digit group)
        self.digits = digits  # a digit group's digits


_LETTERS = re.compile(rf"[^\W\d_]+(?:[{_MARKS}]+[^\W\d_]*)*")
_MARK_SET = frozenset(_MARKS)


def _inside_token(low: str, s: int) -> bool:
    """``low[s]`` continues a token (``_LETTERS``): a letter before it, or marks with a
    letter before them (``ศนย์aath`` is one token)."""
    k = s - 1
    while k >= 0 and low[k] in _MARK_SET:
        k -= 1
    return k >= 0 and _LETTER1.match(low, k) is not None
#: a digit touching a letter ("5three6", "536five"): digit-led, so cheap on text with few digits
_GLUE_POINT = re.compile(r"[0-9](?:(?<=[^\W\d_][0-9])|(?=[^\W\d_]))")


@functools.lru_cache(maxsize=8192)
def _opens(token: str) -> bool:
    """A (lower-cased) token opens a window: a number word of three letters or more, number
    words run together, or a non-ASCII token holding a number word ("五three")."""
    if not token.isascii():
        folded = _fold(token)
        return _opens(folded) if folded.isascii() else _has_trigger(token)
    if len(token) < 3:
        return False
    kind = _entries().get(token)
    if kind is not None:
        return kind[0] != _CONJ
    return len(token) >= 5 and _segment(token) is not None


@functools.lru_cache(maxsize=8192)
def _has_trigger(token: str) -> bool:
    return any(w in token for w in _triggers())


@functools.cache
def _openers() -> frozenset[str]:
    return frozenset(w for w, (k, _) in _entries().items() if len(w) >= 3 and k != _CONJ)


@functools.cache
def _heads_tails() -> tuple[frozenset[str], frozenset[str]]:
    """The first two and the last two letters of every word a run-together token may
    be made of."""
    words = [w for w, (k, _) in _entries().items() if len(w) >= 2 and k != _CONJ]
    return frozenset(w[:2] for w in words), frozenset(w[-2:] for w in words)


#: number words of two letters (not openers: counted among a text's number words)
_SHORT_WORDS = ("un", "um", "oh", "uc", "üç", *dict.fromkeys(
    f for w in (*(w for ws in _MORE_DIGIT_WORDS.values() for w in ws), *_MORE_VARIANTS)
    for f in (w, _fold(w)) if len(f) <= 2 and not f.isascii()))


#: ``_SHORT_WORDS`` as a token -> how often it is listed (``_hits`` counts a token that
#: often: the text's tokens are fewer than the list, so the sum runs over them)
_SHORT_WEIGHT: dict[str, int] = dict(collections.Counter(_SHORT_WORDS))


def _hits(low: str, tight: bool, text: str | None = None) -> tuple[list[str], list[str]]:
    """The tokens of ``low`` that open a window (each once), and the letters glued to a
    digit that hold a number word or holding number words inside them (``_hits_reference``,
    found by one Hyperscan pass, ``_WordScan``: the same lists, in another order).
    ``text``: ``low`` in its own case (camelCase humps), or ``low``."""
    scan = _word_scan() if FAST and _LETTERS_LABEL not in low else None
    if scan is None:
        return _hits_reference(low, tight, text)
    starts, glue_points, inner = scan.scan(low)
    letter = _LETTER1.match
    counts: dict[str, int] = {}
    seen: set[int] = set()
    # On ASCII text no start is inside a token: the scan reports a word only after a
    # character that is no ASCII letter (or at the text's start), and ``_inside_token``
    # needs a letter (an ASCII one, in ASCII text) or a mark (none is ASCII) before it.
    inside = not low.isascii()
    for s in starts:  # a number word at the start of a token: the token
        if s in seen or (inside and s > 0 and _inside_token(low, s)):
            continue
        seen.add(s)
        m = _LETTERS.match(low, s)
        if m is not None:
            t = m.group(0)
            counts[t] = counts.get(t, 0) + 1
    if not low.isascii():  # every token holding a non-ASCII letter (Hyperscan saw ``?``)
        done = -1
        for m in _NON_ASCII.finditer(low):
            for p in range(m.start(), m.end()):
                if p < done or not letter(low, p):
                    continue
                a = p
                while a > 0 and (letter(low, a - 1) or low[a - 1] in _MARK_SET):
                    a -= 1
                while low[a] in _MARK_SET:  # a token starts at a letter
                    a += 1
                tok = _LETTERS.match(low, a)
                if tok is None:  # pragma: no cover - low[p] is a letter
                    continue
                done = tok.end()
                if a not in seen:
                    seen.add(a)
                    t = tok.group(0)
                    counts[t] = counts.get(t, 0) + 1
    openers = _openers()
    heads, tails = _heads_tails()
    hits = [t for t in counts if t in openers or (
        ((len(t) >= 5 and t[:2] in heads and t[-2:] in tails) or (len(t) >= 2 and not t.isascii())) and _opens(t))]
    glued = [g for g in _letters_around(low, sorted(set(glue_points))) if _has_trigger(g)]
    if inner:
        glued = list(dict.fromkeys((*glued, *_inner_tokens(low if text is None else text, low, inner))))
    if tight and not glued and _HUNDRED not in hits and (
            sum(counts[w] * _words_in(w) for w in hits)
            + sum(n * _SHORT_WEIGHT[t] for t, n in counts.items() if t in _SHORT_WEIGHT)) < 3 and (
            not hits or _DIGIT.search(low) is None):
        return [], []
    return hits, glued


#: False: ``_hits`` tokenizes in Python (``_hits_reference``; for the differential tests)
FAST = True
#: one letter as ``_LETTERS`` reads letters
_LETTER1 = re.compile(r"[^\W\d_]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


class _WordScan:
    """One Hyperscan pass over a lower-cased text for ``_hits``: where a token may start
    with a number word (every ASCII word a token that opens a window can start with, and
    the two-letter words counted, after a character that is no ASCII letter), and where
    a digit may touch a letter.  The text is scanned as ASCII with every other character
    as ``?`` (one byte each: the offsets are the text's), so ``?`` stands for any letter
    there; every hit is checked on the text itself (a superset, then the exact test)."""

    def __init__(self) -> None:
        words = sorted({w for w, (k, _) in _entries().items() if len(w) >= 2 and k != _CONJ and w.isascii()}
                       | {w for w in _SHORT_WORDS if w.isascii()})
        assert all(w.isalpha() for w in words)
        self.lengths = [len(w) for w in words]
        self.words = len(words)
        exprs = [b"(?:^|[^A-Za-z])" + w.encode("ascii") for w in words]
        exprs += [rb"[A-Za-z?][0-9]", rb"[0-9][A-Za-z?]"]  # a digit after, before a letter
        # a number word that opens a window inside a token (``_inner_tokens``)
        exprs += [b"[A-Za-z?]" + w.encode("ascii") for w in sorted(w for w in _openers() if w.isascii())]
        self.db = hsdb.compile_db(exprs, [0] * len(exprs))
        self.local = threading.local()

    def scan(self, low: str) -> tuple[list[int], list[int], list[int]]:
        """Where a token may start with a number word; where a digit may touch a letter;
        where a number word may stand inside a token (its last letter)."""
        scratch = getattr(self.local, "scratch", None)
        if scratch is None:
            scratch = self.local.scratch = _hs.Scratch(self.db)
        starts: list[int] = []
        glue: list[int] = []
        inner: list[int] = []
        lengths, words = self.lengths, self.words

        def on_match(idx: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            if idx < words:
                starts.append(to - lengths[idx])
            elif idx <= words + 1:
                glue.append(to - 1 if idx == words else to - 2)
            else:
                inner.append(to - 1)

        data = low.encode("ascii") if low.isascii() else low.encode("ascii", "replace")
        self.db.scan(data, match_event_handler=on_match, scratch=scratch)
        return starts, glue, inner


#: from this length an ASCII text's triggers are looked for by one Hyperscan pass
_LONG = 1024


class _TriggerScan:
    """``may_have_number_words`` on ASCII text in one Hyperscan pass: the ASCII
    triggers, ``iban`` and the spelling alphabet's words, each reported once, case
    folded as ``_ASCII_LOWER`` folds (the same answer as the ``in`` tests)."""

    def __init__(self) -> None:
        self.triggers = list(_ascii_triggers())
        exprs = [*self.triggers, _LETTERS_LABEL, *_NATO]
        assert all(w.isascii() and w.isalpha() for w in exprs)
        self.db = hsdb.compile_db([w.encode("ascii") for w in exprs],
                                  [_hs.HS_FLAG_CASELESS | _hs.HS_FLAG_SINGLEMATCH] * len(exprs))
        self.local = threading.local()

    def any(self, text: str) -> bool:
        scratch = getattr(self.local, "scratch", None)
        if scratch is None:
            scratch = self.local.scratch = _hs.Scratch(self.db)
        found: set[int] = set()
        k = len(self.triggers)

        def on_match(idx: int, _from: int, _to: int, _flags: int, _ctx: object) -> bool:
            found.add(idx)
            return idx < k  # a trigger: the answer (the scan stops)

        try:
            self.db.scan(text.encode("ascii"), match_event_handler=on_match, scratch=scratch)
        except _hs.ScanTerminated:
            return True
        return k in found and len(found) > 1


@functools.cache
def _trigger_scan() -> _TriggerScan | None:
    return _TriggerScan() if _hs is not None else None


def prepare() -> None:
    """Build the Hyperscan databases now (the engine does, once), not on the first text."""
    _word_scan()
    _trigger_scan()
    _ascii_trigger_re()
    _trigger_re()


@functools.cache
def _word_scan() -> _WordScan | None:
    return _WordScan() if _hs is not None else None


def _hits_reference(low: str, tight: bool, text: str | None = None) -> tuple[list[str], list[str]]:
    """The tokens of ``low`` that open a window (each once), and the letters glued to a
    digit that hold a number word; the common no-case in C (one ``findall``, a set test,
    ``startswith``/``endswith`` with tuples), per-token work only for the rest.  With
    ``tight``, empty where nothing can be read: fewer than three number words in all, no
    ``hundred``, no word glued to a digit (not for a bound: a word may be glued to what
    renders as a digit only later, ``&#53;three``, ``:five:three``)."""
    words = _LETTERS.findall(low)
    openers = _openers()
    hits = list(openers.intersection(words))
    spelled = _NATO.keys() & set(words) if _LETTERS_LABEL in low else set()
    hits.extend(spelled)
    heads, tails = _heads_tails()
    for t in set(words):
        if ((len(t) >= 5 and t[:2] in heads and t[-2:] in tails) or (len(t) >= 2 and not t.isascii())) \
                and t not in openers and _opens(t):
            hits.append(t)
    glued = [g for g in _glued(low) if _has_trigger(g)]
    inner = [m.start() for m in _inner_re().finditer(low)]
    if inner:
        glued = list(dict.fromkeys((*glued, *_inner_tokens(low if text is None else text, low, inner))))
    if tight and not glued and not spelled and _HUNDRED not in hits and (
            sum(words.count(w) * _words_in(w) for w in hits) + sum(map(words.count, _SHORT_WORDS))) < 3 and (
            not hits or _DIGIT.search(low) is None):
        return [], []
    return hits, glued


def _glued(low: str) -> set[str]:
    """The letters (up to 40 each side) touching a digit in ``low``."""
    return _letters_around(low, [m.start() for m in _GLUE_POINT.finditer(low)])


def _letters_around(low: str, points: list[int]) -> set[str]:
    """The letters (up to 40 each side) around each digit of ``points`` that touches a
    letter (the others: none)."""
    out: set[str] = set()
    n = len(low)
    letter = _LETTER1.match
    for i in points:
        if not (low[i] in "0123456789" and ((i > 0 and letter(low, i - 1)) or letter(low, i + 1))):
            continue
        a = i
        while a > 0 and i - a < 40 and low[a - 1].isalpha():
            a -= 1
        b = i + 1
        while b < n and b - i <= 40 and low[b].isalpha():
            b += 1
        out.update(t for t in (low[a:i], low[i + 1 : b]) if t)
    return out


def _words_in(token: str) -> int:
    """How many number words a token that opens a window holds (three where unknown: a
    non-ASCII token, read once the rendering steps have run)."""
    if token in _entries() or token in _NATO:
        return 1
    seg = _segment(_fold(token))
    return 3 if seg is None else len(seg)


def _find_all(low: str, token: str) -> list[int]:
    """Where ``token`` stands as a whole token in ``low``."""
    out: list[int] = []
    i = low.find(token)
    n = len(token)
    while i >= 0:
        if (i == 0 or not low[i - 1].isalpha()) and (i + n == len(low) or not low[i + n].isalpha()):
            out.append(i)
        i = low.find(token, i + 1)
    return out


def _windows(text: str, low: str, tight: bool = True) -> list[tuple[int, int]]:
    """Stretches of ``text`` around number words (merged), at token boundaries.  With
    ``tight``, only those that can give an edit (``_may_read``)."""
    hits, glued = _hits(low, tight, text)
    if not hits and not glued:
        return []
    # (start, end, number words of the token, whether it is read anyway): per occurrence
    spans: list[tuple[int, int, int, bool]] = []
    n = len(low)
    for w in hits:
        weight, hundred = _words_in(w), w == _HUNDRED
        spans.extend((max(0, i - _REACH), min(n, i + len(w) + _REACH), weight, hundred) for i in _find_all(low, w))
    for g in glued:
        i = low.find(g)
        while i >= 0:
            spans.append((max(0, i - _REACH), min(n, i + len(g) + _REACH), 0, True))
            i = low.find(g, i + 1)
    if not spans:
        return []
    spans.sort()
    merged: list[list[int]] = []  # start, end, number words, read anyway
    for a, b, weight, anyway in spans:
        if merged and a <= merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], b)
            last[2] += weight
            last[3] = int(last[3] or anyway)
        else:
            merged.append([a, b, weight, int(anyway)])
    filtered = tight and _LETTERS_LABEL not in low and FAST
    out: list[tuple[int, int]] = []
    for a, b, weight, read_anyway in merged:
        while a > 0 and text[a - 1].isalnum():
            a -= 1
        while b < n and text[b].isalnum():
            b += 1
        if filtered and not read_anyway and not _may_read(text, low, a, b, weight):
            continue
        out.append((a, b))
    return out


def _may_read(text: str, low: str, a: int, b: int, words: int) -> bool:
    """False proves ``number_word_edits`` (``min_words`` 3 or more, no spelled letters)
    reads nothing in the window ``text[a:b]`` whose window-opening tokens hold ``words``
    number words (counted as ``_words_in`` does, which is never fewer than ``_tokens``
    reads) and no ``hundred``: nothing is read without three number words or a digit.

    A run is read (``_worth_reading``) with ``min_words`` number words, a number of
    three words, or ``hundred`` after a number; a run of fewer words only among digit
    groups (``_mixed``); a single digit word only touching a digit.  A token that opens
    no window but counts is a two-letter word (``un``, ``oh``) or four letters of two
    (``unun``): those are added here."""
    if _DIGIT.search(text, a, b) is not None:
        return True
    window = text[a:b]
    if not window.isascii() and any(c.isdigit() for c in window):
        return True  # a digit word touching a digit of another script ("five\u0663")
    if words >= 3:
        return True
    openers = _openers()
    entries = _entries()
    for t in _LETTERS.findall(low, a, b):
        if len(t) > 4 or t in openers:
            continue  # counted in ``words`` when it is a number word
        f = _fold(t)
        kind = entries.get(f)
        if kind is not None:
            words += kind[0] != _CONJ
        elif len(f) >= 4:
            seg = _segment(f)
            words += len(seg) if seg is not None and len(seg) >= 2 else 0
        if words >= 3:
            return True
    return False


def _tokens(text: str, a: int, b: int, letters: bool = False) -> list[_Tok | None]:
    """Number tokens of ``text[a:b]`` in order; None where a token is no number.
    ``letters``: spelling-alphabet words are tokens too (near an IBAN label)."""
    entries = _entries()
    out: list[_Tok | None] = []
    for m in _TOKEN.finditer(text, a, b):
        s = m.group(0)
        if s[0] in "0123456789":  # ([0-9]+: "²" is a letter token here, as _LETTERS reads it)
            out.append(_Tok(m.start(), m.end(), (), s) if len(s) <= _MAX_GROUP else None)
            continue
        f = _fold(s)
        if f in entries or (letters and f in _NATO):
            out.append(_Tok(m.start(), m.end(), (f,), ""))
            continue
        if s in ("o", "O") and text[m.end() : m.end() + 1] not in ("'", "\u2019"):
            out.append(_Tok(m.start(), m.end(), (_O_ZERO,), ""))  # kept only beside number words
            continue
        seg = _segment(f) if len(f) >= 4 else None
        if seg is not None and len(seg) >= 2:
            out.append(_Tok(m.start(), m.end(), seg, ""))
            continue
        pieces = _glued_pieces(s) if seg is None and len(s) >= 4 else ()
        if not pieces:
            out.append(None)
            continue
        at = 0
        for pa, pb, words in pieces:  # "ssnFiveThree": ssn / five three (a head: None)
            if pa > at:
                out.append(None)
            out.append(_Tok(m.start() + pa, m.start() + pb, words, ""))
            at = pb
        if at < len(s):
            out.append(None)
    return out


# -- place value ------------------------------------------------------------------------

class _Number:
    """One number being read: ``total`` (thousands) + ``cur`` (below a thousand), the
    place left open (``room``: what may still be added is below it), the last word's
    kind and value, and a digit group's digits while it is read as written."""

    __slots__ = ("cur", "first", "last", "last_kind", "last_value", "literal", "oh", "prev_room", "room", "total",
                 "words")

    def __init__(self, first: int) -> None:
        self.first = first
        self.last = first
        self.total = 0
        self.cur = 0
        self.room = 0
        self.prev_room = 0
        self.last_kind = -1
        self.last_value = 0
        self.literal: str | None = None
        self.words = 0  # number words (not digit groups, not conjunctions, not ``o``)
        self.oh = False  # the letter ``o`` for zero: neither a number word nor a digit group

    def digits(self) -> str:
        return self.literal if self.literal is not None else str(self.total + self.cur)


def _start(num: _Number, kind: int, value: int, word: str) -> None:
    num.last_kind, num.last_value = kind, value
    if kind == _GROUP:
        num.literal, num.cur, num.room = word, value, 0
    elif kind == _LETTER:
        num.literal = _NATO[word]
    elif kind == _THOUSAND:
        num.total, num.room = 1000, 1000
    else:
        num.cur = value
        num.room = {_TEN: 10, _TENS_K: 20 if word in _VIGESIMAL else 10, _MULT100: 100, _HUNDREDS: 100}.get(kind, 0)


def _extend(num: _Number, kind: int, value: int, word: str, after_conj: bool) -> bool:
    """``num`` with one more word or digit group, if it fills a place ``num`` leaves open
    (changes ``num`` only then)."""
    lk, lv = num.last_kind, num.last_value
    if after_conj and lk == _UNIT and 0 < lv and kind == _TENS_K and (num.prev_room == 0 or value + lv < num.prev_room):
        num.cur += value  # "sechsunddreissig", "zesendertig": the unit came first
        num.room, num.last_kind, num.last_value = 0, kind, value
        return True
    if kind == _TENS_K and word in ("vingt", "vingts") and lk == _UNIT and lv == 4 and not after_conj:
        num.cur += 76  # "quatre-vingt": four twenties
        num.room, num.last_kind, num.last_value = 20, kind, 80
        return True
    if kind == _MULT100 and lk == _THOUSAND:
        num.cur, num.room = 100, 100  # "mille cent", "mil e cem": a hundred after a thousand
        num.last_kind, num.last_value = kind, value
        return True
    if kind in (_MULT100, _THOUSAND):
        if after_conj or (lk == _GROUP and (num.literal is None or num.literal[0] == "0")):
            return False
        sub = num.cur
        if kind == _MULT100 and 1 <= sub <= 99 and lk in (_UNIT, _TEEN, _TENS_K, _GROUP) and (
                lk != _GROUP or len(num.literal or "") == 1):
            num.cur, num.room = sub * 100, 100
        elif kind == _THOUSAND and num.total == 0 and 1 <= sub <= 999:
            num.total, num.cur, num.room = sub * 1000, 0, 1000
        else:
            return False
        num.literal = None
        num.last_kind, num.last_value = kind, value
        return True
    if kind in (_CONJ, _TIMES) or num.room == 0 or value == 0 or value >= num.room:
        return False
    if num.room == 10 and kind not in (_UNIT,):
        return False  # after a tens word (or ten): a unit word only
    if num.room == 20 and kind not in (_UNIT, _TEN, _TEEN):
        return False
    if kind == _GROUP and (word[0] == "0" or num.room < 100):
        return False
    num.prev_room = num.room
    num.cur += value
    num.literal = None
    num.room = {_TEN: 10, _TENS_K: 20 if word in _VIGESIMAL else 10, _HUNDREDS: 100}.get(kind, 0)
    if lk == _THOUSAND and kind == _UNIT:
        num.room = 0  # "mil cinco": a unit; "mil quinientos": hundreds
    num.last_kind, num.last_value = kind, value
    return True


def _read(atoms: list[tuple[int, int, str]], join: list[bool]) -> list[_Number | None]:
    """The numbers of a run's words and digit groups (``atoms``: kind, value, word),
    left to right; None where a conjunction does not fit (the run breaks there).
    ``join[i]``: atom ``i`` may belong to the number of the atom before it."""
    out: list[_Number | None] = []
    num: _Number | None = None
    conj = False
    k = 0
    while k < len(atoms):
        kind, value, word = atoms[k]
        if kind == _CONJ:
            nxt = atoms[k + 1] if k + 1 < len(atoms) and join[k + 1] else None
            if num is not None and join[k] and not conj and nxt is not None and _extend(_copy(num), *nxt, True):
                conj = True
                k += 1
                continue
            num = None
            out.append(None)
            conj = False
            k += 1
            continue
        if num is not None and join[k] and _extend(num, kind, value, word, conj):
            num.last = k
            num.words += kind != _GROUP
            conj = False
            k += 1
            continue
        conj = False
        num = _Number(k)
        out.append(num)
        if kind == _TIMES:
            nxt = atoms[k + 1] if k + 1 < len(atoms) and join[k + 1] else None
            num.words = 1
            if nxt is not None and ((nxt[0] == _UNIT) or (nxt[0] == _GROUP and len(nxt[2]) == 1)):
                num.literal = str(nxt[1]) * value
                num.last = k + 1
                num.words += nxt[0] == _UNIT and nxt[2] != _O_ZERO
                k += 2
            else:
                num.literal = ""
                k += 1
            num = None  # nothing joins a repeated digit
            continue
        _start(num, kind, value, word)
        num.oh = word == _O_ZERO
        num.words = int(kind not in (_GROUP, _LETTER) and not num.oh)
        k += 1
    return out


def _copy(num: _Number) -> _Number:
    c = _Number(num.first)
    for s in _Number.__slots__:
        setattr(c, s, getattr(num, s))
    return c


def _lowered(text: str) -> str:
    """``text`` lower-cased, one character for each of its own (where ``lower`` would
    change the length, only its ASCII letters), as the windows and tokens index it."""
    if text.isascii():
        return text.lower()  # (on ASCII text ``lower`` changes A-Z alone, as the table does, ~10x faster)
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


def number_word_edits(text: str, min_words: int = MIN_NUMBER_WORDS) -> list[tuple[int, int, str, int, int]]:
    """Edits ``(start, end, replacement, source start, source end)`` that read number
    words as digits (see the module doc), sorted, not overlapping.  ``min_words``: the
    number words a run needs to be read (``MIN_NUMBER_WORDS``; the split-message window
    reads every one, ``split_reading``: a piece of a split identifier may hold one)."""
    low = _lowered(text)
    edits: list[tuple[int, int, str, int, int]] = []
    letters = _LETTERS_LABEL in low
    for a, b in _windows(text, low, tight=min_words >= 3):
        toks = _zero_letters(text, _tokens(text, a, b, letters))
        run: list[_Tok] = []
        for t in toks:
            if t is None:
                if run:
                    _emit_run(text, run, edits, min_words, letters)
                run = []
                continue
            if run:
                gap = text[run[-1].end : t.start]
                if not _continues(gap):
                    _emit_run(text, run, edits, min_words, letters)
                    run = []
            run.append(t)
        if run:
            _emit_run(text, run, edits, min_words, letters)
        # a single digit word glued to a digit ("5three6"): a digit too
        lex = _lexicon()
        for t in toks:
            if t is None or len(t.words) != 1 or t.digits:
                continue
            w = t.words[0]
            if len(w) < 3 or w not in lex:
                continue
            before = text[t.start - 1] if t.start else " "
            after = text[t.end] if t.end < len(text) else " "
            if before.isdigit() or after.isdigit():
                edits.append((t.start, t.end, lex[w], t.start, t.end))
    # glued digits inside a token: "5three6" tokenizes as 5 / three / 6 (no overlap with runs:
    # the first edit wins downstream)
    edits.sort()
    kept: list[tuple[int, int, str, int, int]] = []
    reach = -1
    for e in edits:
        if e[0] >= reach:
            kept.append(e)
            reach = max(reach, e[1])
    if kept:
        # a month's name in a date is no number word (``due Sept. 10 2019``: Italian two,
        # French seven): nothing of a ``dates.MONTH_DATE`` is read as one
        on_dates = [m.span() for m in month_dates(text)]
        if on_dates:
            kept = [e for e in kept if not any(a < e[1] and e[0] < b for a, b in on_dates)]
    return kept


def _zero_letters(text: str, toks: list[_Tok | None]) -> list[_Tok | None]:
    """``toks`` with each ``o`` token (``_O_ZERO``) kept only in a chain of them (apart by
    what a run goes on across, ``_continues``) that an English number word
    (``_O_NEIGHBOURS``) stands right before or after: "six o four eight", "NINE FOUR O
    NINE", "two-eight-o-nine".  Elsewhere an ``o`` is a letter ("a o b", "o well")."""
    if not any(t is not None and t.words == (_O_ZERO,) for t in toks):
        return toks
    out = list(toks)

    def beside(i: int, j: int) -> bool:  # toks[i] and toks[j] (j = i +- 1) are one run's neighbours
        if not 0 <= j < len(toks) or toks[j] is None or toks[i] is None:
            return False
        lo, hi = (toks[i], toks[j]) if i < j else (toks[j], toks[i])
        assert lo is not None and hi is not None
        return _continues(text[lo.end : hi.start])

    def worded(j: int) -> bool:
        t = toks[j]
        return t is not None and len(t.words) == 1 and t.words[0] in _O_NEIGHBOURS

    k = 0
    while k < len(toks):
        t = toks[k]
        if t is None or t.words != (_O_ZERO,):
            k += 1
            continue
        e = k
        while e + 1 < len(toks) and beside(e, e + 1) and (toks[e + 1] or t).words == (_O_ZERO,):
            e += 1
        if not ((beside(k, k - 1) and worded(k - 1)) or (beside(e, e + 1) and worded(e + 1))):
            out[k : e + 1] = [None] * (e + 1 - k)
        k = e + 1
    return out


def _continues(gap: str) -> bool:
    """A run goes on across ``gap``: one to three blanks or marks, or a line break with
    markup around it (``\\n``, ``\\n\\n``, ``\\n- ``, ``|\\n|``: one group per line, list
    item or table row), at most ``_MAX_BREAK_GAP`` characters and two line breaks."""
    if not gap or any(c.isalnum() for c in gap):
        return False
    if "\n" not in gap:
        return len(gap) <= 3 or _PAUSE.fullmatch(gap) is not None
    return len(gap) <= _MAX_BREAK_GAP and gap.count("\n") <= 2


#: a speaker's pause written out between digit groups (``one seven two... four five...``,
#: ``six-zero . . . two``, ``two…four``, NFKC's ``...``, ``two -- four``, ``two  —  four``): one
#: to four of one mark (``.`` ``-`` en or em dash ``~``), each perhaps with a blank, and up to
#: two blanks around them (det25a; a run went on across three characters only, so ``two...
#: four`` broke it)
_PAUSE = re.compile(r"[ \t]{0,2}([.\-\u2013\u2014~])[ \t]?(?:\1[ \t]?){0,3}[ \t]{0,2}")


def _joins(gap: str) -> bool:
    """Words apart by ``gap`` may make one number: blanks or one hyphen."""
    return gap == "-" or (_blank(gap) and "\n" not in gap)


def _blank(gap: str) -> bool:
    """Blanks only, not a table boundary (U+001E/U+001F, detect/structure.py; ``isspace``
    counts them)."""
    return gap.isspace() and "\x1e" not in gap and "\x1f" not in gap


def _emit_run(text: str, run: list[_Tok], edits: list[tuple[int, int, str, int, int]],
              min_words: int = MIN_NUMBER_WORDS, letters: bool = False) -> None:
    """Edits for one run: its numbers as digits, blanks between them dropped.  A word
    both a digit and a spelled letter (``lima``: Indonesian and Tagalog five, and L) is
    the letter only near an IBAN label (``letters``)."""
    entries = _entries()
    atoms: list[tuple[int, int, str]] = []
    join: list[bool] = []
    owner: list[int] = []  # the token of each atom
    ambiguous = _word_languages()[1]
    chosen: dict[str, int] = {}
    if any(w in ambiguous for t in run for w in t.words):  # "ba": the run's language decides
        lang = _run_language([w for t in run for w in t.words if w not in ambiguous])
        chosen = {w: v[lang] for w, v in ambiguous.items() if lang in v}
    for ti, t in enumerate(run):
        first = True
        for w in t.words or (t.digits,):
            if t.digits:
                atoms.append((_GROUP, int(w), w))
            elif w in _NATO and (letters or w not in entries):
                atoms.append((_LETTER, 0, w))
            elif w in chosen:
                atoms.append((_UNIT, chosen[w], w))
            elif w == _O_ZERO:
                atoms.append((_UNIT, 0, w))
            else:
                atoms.append((*entries[w], w))
            join.append(not first or (ti > 0 and _joins(text[run[ti - 1].end : t.start])))
            owner.append(ti)
            first = False
    numbers = _read(atoms, join)
    # the run breaks where a conjunction does not fit
    part: list[_Number] = []
    for num in [*numbers, None]:
        if num is not None:
            part.append(num)
            continue
        if part and _worth_reading(part, atoms, min_words):
            _emit_numbers(text, run, owner, part, edits)
        elif part:
            start = run[owner[part[0].first]].start
            mixed = _mixed(part, atoms, _NAMES_A_PART.search(text, max(0, start - 24), start) is not None)
            if mixed:
                _emit_numbers(text, run, owner, mixed, edits)
        part = []


#: a word naming a part of an identifier, right before a run ("last four 8 7 1 0",
#: "first three 5 3 6"): the run's first number word is then a count
_NAMES_A_PART = re.compile(
    r"(?i)(?<![a-z])(?:first|last|middle|final|next|remaining|starts?|starting|ends?|ending|begins?|beginning)"
    r"[ \t]*[:=-]?[ \t]*$")


def _group(num: _Number) -> bool:
    """``num`` is a digit group as written (no number word, not an ``o`` for zero)."""
    return num.words == 0 and not num.oh


def _mixed(numbers: list[_Number], atoms: list[tuple[int, int, str]], counted: bool = False) -> list[_Number]:
    """Fewer number words among digit groups (``536 two two 8710``, ``53 six 22 8710``,
    ``536 22 87 one zero``): the numbers to read, when the words and groups together make
    ``MIN_MIXED_DIGITS`` digits.  A lone one-word number at the start, or one of two
    digits or more at the end, is left as a word (``last four 7654 32``, ``first three
    536``: prose naming the groups), except a digit word at the start followed by a
    one-digit group, digit by digit (``seven 5 8 9 four 7 eight 6 4``), unless a word
    naming a part stands before it (``counted``: ``last four 8 7 1 0``); a digit word at
    the end is the last digit (``536 22 871 zero``)."""
    part = numbers
    # words go on among the groups after it (``four 022 one 9 five 72``, ``six 59906 four
    # 63``): the first word is a digit of the number, no count of the groups (det25a)
    among = not counted and atoms[part[0].first][0] == _UNIT and any(n.words for n in part[2:-1])
    if len(part) >= 2 and part[0].words == 1 and _group(part[1]) and not among and (
            counted or atoms[part[0].first][0] != _UNIT or len(part[1].digits()) != 1):
        part = part[1:]
    if len(part) >= 2 and part[-1].words == 1 and _group(part[-2]) and len(part[-1].digits()) > 1:
        part = part[:-1]  # a digit word at the end is the last digit (``536 22 871 zero``)
    if any(n.words for n in part) and any(_group(n) for n in part) and (
            sum(len(n.digits()) for n in part) >= MIN_MIXED_DIGITS):
        return part
    return []


def _worth_reading(numbers: list[_Number], atoms: list[tuple[int, int, str]],
                   min_words: int = MIN_NUMBER_WORDS) -> bool:
    if sum(n.words for n in numbers) >= min_words or any(n.words >= 3 for n in numbers):
        return True
    # an IBAN's start: two spelled letters, then its two check digits ("golf bravo 82")
    for k in range(len(numbers) - 2):
        check = numbers[k + 2].digits() + (numbers[k + 3].digits() if k + 3 < len(numbers) else "")
        if atoms[numbers[k].first][0] == _LETTER and atoms[numbers[k + 1].first][0] == _LETTER and (
                len(check) >= 2 and check[:2].isdigit()):
            return True
    # "5 hundred", "five hundred": hundred with a number before it
    return any(n.last > n.first and any(atoms[k][2] == _HUNDRED for k in range(n.first + 1, n.last + 1))
               for n in numbers)


def _emit_numbers(text: str, run: list[_Tok], owner: list[int], numbers: list[_Number],
                  edits: list[tuple[int, int, str, int, int]]) -> None:
    # clusters: numbers sharing a token are one edit
    clusters: list[tuple[int, int, str]] = []
    worded: list[bool] = []  # a cluster holds a number word (not only a digit group)
    for num in numbers:
        ta, tb = owner[num.first], owner[num.last]
        if clusters and clusters[-1][1] >= ta:
            a, _, digits = clusters[-1]
            clusters[-1] = (a, max(tb, clusters[-1][1]), digits + num.digits())
            worded[-1] = worded[-1] or num.words > 0 or num.oh
        else:
            clusters.append((ta, tb, num.digits()))
            worded.append(num.words > 0 or num.oh)
    shown = _shown_blanks(text, run, clusters, worded)
    if clusters and worded[0] and clusters[0][0] == 0 and len(clusters[0][2]) == 2 and clusters[0][2].isdigit():
        # "DE eighty nine 3704 ...": an IBAN's country code, then its check digits in words
        # and at least 11 more digits: the code and the check digits are one token
        start = run[0].start
        if _COUNTRY_BEFORE.search(text, max(0, start - 4), start) is not None and (
                sum(len(c[2]) for c in clusters) >= _IBAN_MIN_DIGITS):
            gap = _COUNTRY_BEFORE.search(text, max(0, start - 4), start)
            assert gap is not None
            edits.append((gap.start(1), gap.end(1), "", gap.start(1), gap.end(1)))
    for k, (ta, tb, digits) in enumerate(clusters):
        a, b = run[ta].start, run[tb].end
        if digits != text[a:b]:
            edits.append((a, b, digits, a, b))
        if k + 1 < len(clusters) and clusters[k + 1][0] == tb + 1:
            gap_a, gap_b = b, run[tb + 1].start
            # blanks between numbers dropped (but those shown, below); a hyphen too after
            # spelled letters ("Golf-Bravo-82")
            if k in shown:
                if text[gap_a:gap_b] != " ":
                    edits.append((gap_a, gap_b, " ", gap_a, gap_b))
            elif _spaced(text[gap_a:gap_b], worded[k], worded[k + 1]) or (
                    text[gap_a:gap_b] == "-" and digits.isalpha()):
                edits.append((gap_a, gap_b, "", gap_a, gap_b))


def _spaced(gap: str, worded_before: bool, worded_after: bool) -> bool:
    """Two numbers apart by ``gap`` are apart as by a blank: blanks, or one hyphen between
    two numbers in words (``two-two`` is ``two two``, 22; ``five-three-six`` 536; the
    hyphen inside one number, ``twenty-two``, is read by place value before this)."""
    return _blank(gap) or (gap == "-" and worded_before and worded_after)


#: two capital letters standing alone, then one blank (an IBAN's country code before
#: its check digits written in words)
_COUNTRY_BEFORE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}([ \t])$")
#: the fewest digits of an IBAN (Norway: 2 check digits and 11)
_IBAN_MIN_DIGITS = 13
#: digits of an SSN/ITIN, and where its groups end (3-2-4)
_SSN_DIGITS = 9
_SSN_CUTS = (3, 5)


def _shown_blanks(text: str, run: list[_Tok], clusters: list[tuple[int, int, str]], worded: list[bool]) -> set[int]:
    """The blanks between clusters (by the index of the cluster before) that stay, as
    the groups a reader sees: where digit groups and numbers in words, apart by blanks,
    make 9 digits and groups end after the 3rd and the 5th digit, those two blanks stay
    (``536 twenty two 8710``, ``536 22 eighty seven ten``, ``five thirty six 22 8710``
    read ``536 22 8710``: an SSN's 3-2-4 as written; joined, nine digits are no
    identifier without a label; ``53 six two two 8710``, ``fifty three six two two 8710``
    too: the blanks after the 3rd and the 5th digit are what shows the groups); every
    other blank between numbers is dropped (``eighty seven ten`` is 8710)."""
    out: set[int] = set()
    seg: list[int] = []  # clusters apart by blanks only

    def flush() -> None:
        if len(seg) < 2 or sum(len(clusters[k][2]) for k in seg) != _SSN_DIGITS:
            return
        if not any(worded[k] for k in seg) or not all(clusters[k][2].isdigit() for k in seg):
            return
        cuts: dict[int, int] = {}  # digits before a blank -> the cluster before it
        at = 0
        for k in seg[:-1]:
            at += len(clusters[k][2])
            cuts[at] = k
        if all(c in cuts for c in _SSN_CUTS):
            out.update(cuts[c] for c in _SSN_CUTS)

    for k in range(len(clusters)):
        seg.append(k)
        last = k + 1 >= len(clusters) or clusters[k + 1][0] != clusters[k][1] + 1 or not _spaced(
            text[run[clusters[k][1]].end : run[clusters[k + 1][0]].start], worded[k], worded[k + 1])
        if last:
            flush()
            seg = []
    return out


def may_read_number_words(text: str) -> bool:
    """False proves ``number_word_edits(text)`` (``MIN_NUMBER_WORDS``, as the engine's
    normalization reads a text) is empty: it reads only inside these windows.  Tighter
    than ``digit_bound(text) > 0``, which counts every number word ("the end of the month
    is due": ``due``, Italian two, is one) and is kept where single words are pieces of a
    number (the gateway's split window and keys)."""
    low = _lowered(text)
    return bool(_windows(text, low, tight=MIN_NUMBER_WORDS >= 3))


def digit_bound(text: str) -> int:
    """At least as many digits as ``number_word_edits`` can add to ``text``: four per
    number word in a number token (a number of one word is at most four digits,
    ``mille``; of k words at most six, below a million), for a gate that bounds the
    digits a scan sees without normalizing."""
    low = _lowered(text)
    n = 0
    for a, b in _windows(text, low, tight=False):
        n += sum(4 * len(t.words) for t in _tokens(text, a, b, _LETTERS_LABEL in low) if t is not None)
    return n


def split_reading(text: str) -> str:
    """``text`` with every run of number words written as its digits (``client SSN five
    three six`` -> ``client SSN 536``), for the split-message window
    (gateway/pipeline.py ``split_piece``): a piece of an identifier split across posts
    may be a single word or three (the engine, which reads a run from
    ``MIN_NUMBER_WORDS`` words, sees the join; the window's cuts and joins read digits).
    ``text`` itself when none of its first or last ``_EDGE_TOKENS`` words is a number
    word (a piece sits at a text's edge; a post with number words inside its prose pays
    only this look)."""
    if not _number_word_at_edge(text):
        return text
    edits = number_word_edits(text, min_words=1)
    if not edits:
        return text
    out: list[str] = []
    at = 0
    for a, b, rep, _, _ in edits:
        out.append(text[at:a])
        out.append(rep)
        at = b
    out.append(text[at:])
    return "".join(out)


#: how many words at either end of a text ``split_reading`` looks at
_EDGE_TOKENS = 3
_EDGE_CHARS = 96
_EDGE_PUNCT = ".,;:!?()[]{}\"'*_~`/#+=<>|"


def _number_word_at_edge(text: str) -> bool:
    if len(text) <= 2 * _EDGE_CHARS:
        words = text.split()
        edge = {*words[:_EDGE_TOKENS], *words[-_EDGE_TOKENS:]}
    else:
        edge = {*text[:_EDGE_CHARS].split()[:_EDGE_TOKENS], *text[-_EDGE_CHARS:].split()[-_EDGE_TOKENS:]}
    entries = _entries()
    heads, tails = _heads_tails()
    for token in edge:
        for t in token.split("-") if "-" in token else (token,):
            t = t.strip(_EDGE_PUNCT)
            if len(t) < 2 or not t.isalpha():
                continue
            w = t.translate(_ASCII_LOWER) if t.isascii() else _fold(t).replace("\u0131", "i")
            kind = entries.get(w)
            if (kind is not None and kind[0] != _CONJ) or (
                    len(w) >= 5 and w[:2] in heads and w[-2:] in tails and _segment(w) is not None):
                return True
    return False


# Digits spoken over the phone, in a labelled run: ICAO radiotelephony forms, English
# homophones of digit words, ASCII Roman numerals one per digit.

#: ICAO radiotelephony pronunciations (Annex 10; "tree", "fife", "fower", "niner") that are
#: not English words: each counts as a digit word of its own
_ICAO_DIGITS = {"wun": "one", "fower": "four", "fife": "five", "ait": "eight", "niner": "nine", "zeero": "zero",
                "zee-ro": "zero", "ze-ro": "zero"}
#: English words that sound like a digit word ("tree" is ICAO's three too): read only in a
#: run that holds ``MIN_SPOKEN_REAL`` digit words of their own
_HOMOPHONES = {"won": "one", "to": "two", "too": "two", "tree": "three", "for": "four", "fore": "four", "ate": "eight"}
_SPOKEN_PLAIN = frozenset(("zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))
_ROMAN = {"I": "one", "II": "two", "III": "three", "IV": "four", "V": "five", "VI": "six", "VII": "seven",
          "VIII": "eight", "IX": "nine"}
_NEXT = dict(zip(("one", "two", "three", "four", "five", "six", "seven", "eight"),
                 ("two", "three", "four", "five", "six", "seven", "eight", "nine"), strict=True))
#: a run of spoken digits is an identifier's length: an SSN/ITIN/routing number (9) to a card (19)
SPOKEN_LENGTHS = range(9, 20)
#: digit words (or ICAO forms) a run must hold besides homophones
MIN_SPOKEN_REAL = 2
_SPOKEN_TOKEN = re.compile(r"(?<![A-Za-z0-9'])(?:[Zz][Ee][Ee]?-[Rr][Oo]|[A-Za-z]+)(?![A-Za-z0-9'])")
#: between two digits of a run: blanks, a comma, a dash, a slash or a dot
_SPOKEN_GAP = re.compile(r"[ \t]{0,3}[,;./-]?[ \t]{1,3}|[ \t]{0,3}[,;./-][ \t]{0,3}"
                         r"|(?i:[ \t,]{1,3}(?:dash|hyphen)[ \t,]{1,3})")
#: the spoken separators a run goes on across ("seven too wun dash fife too ...": held-out
#: probe of 2026-12-07, class 13; the normalizer reads them as ``-`` after, ``_spoken_dashes``)
_SPOKEN_SEPARATORS = frozenset({"dash", "hyphen"})
#: the identifier labels, one of which must come just before the run (30 characters)
SPOKEN_LABEL = re.compile(
    r"(?<![a-z])(?:ssn|ss#|social(?:\s+security)?|itin|tin|card|cc|credit\s+card|debit\s+card|visa|amex|mastercard|"
    r"pan|acct|account|a/c|routing|aba|rtn)(?![a-z])", re.IGNORECASE)


_SPOKEN_ALT = "|".join(sorted({*_SPOKEN_PLAIN, *_ICAO_DIGITS, *_HOMOPHONES, *(r.lower() for r in _ROMAN)}, key=lambda w: (-len(w), w))).replace("-", "\\-")
#: four spoken-digit tokens in a row (a necessary condition of a run: what the one Hyperscan
#: pass looks for, so ordinary chat with "account" or "card" costs no tokenizing)
SPOKEN_GATE = re.compile(rf"\b(?:{_SPOKEN_ALT})(?:[ \t,;./-]{{1,4}}(?:{_SPOKEN_ALT})){{3}}\b", re.IGNORECASE)


def _spoken_kind(tok: str) -> tuple[str, str] | None:
    """(the digit word, kind) of a token: ``plain``, ``icao``, ``homophone`` or ``roman``."""
    if tok in _ROMAN:
        return _ROMAN[tok], "roman"
    low = tok.lower()
    if low in _SPOKEN_PLAIN:
        return low, "plain"
    if low in _ICAO_DIGITS:
        return _ICAO_DIGITS[low], "icao"
    if low in _HOMOPHONES:
        return _HOMOPHONES[low], "homophone"
    return None


def spoken_digit_edits(text: str) -> list[tuple[int, int, str]]:
    """(start, end, digit word) for each ICAO form, homophone or Roman numeral of a run
    read as spoken digits: a run of ``SPOKEN_LENGTHS`` tokens that are each one digit
    (English digit words, ICAO forms, homophones; or Roman numerals I-IX in capitals,
    one per digit, not mixed with words), apart by blanks or one mark, right after an
    identifier label (``SPOKEN_LABEL``, within 30 characters), with ``MIN_SPOKEN_REAL``
    tokens that are not homophones ("ssn fife tree six two two wun two tree fower",
    "ssn five tree six too too won too tree for", "SSN V III VI II II I II III IV").
    The words reader (``read_number_words``) then reads the run as digits.  Ordinary
    sentences never hold nine digit-sounding words in a row."""
    out: list[tuple[int, int, str]] = []
    run: list[tuple[re.Match[str], str, str]] = []
    last_end = -1

    def close() -> None:
        if len(run) not in SPOKEN_LENGTHS:
            return
        kinds = [k for _, _, k in run]
        roman = kinds.count("roman")
        if roman and roman != len(run):
            return
        if roman and all(_ROMAN[b[0].group(0)] == _NEXT.get(_ROMAN[a[0].group(0)]) for a, b in itertools.pairwise(run)):
            return  # "I II III IV V VI VII VIII IX": an enumeration
        if not roman and (sum(k in ("plain", "icao") for k in kinds) < MIN_SPOKEN_REAL or all(k == "plain" for k in kinds)):
            return
        start = run[0][0].start()
        if SPOKEN_LABEL.search(text, max(0, start - 30), start) is None:
            return
        out.extend((m.start(), m.end(), word) for m, word, kind in run if kind != "plain")

    for m in _SPOKEN_TOKEN.finditer(text):
        if run and m.group(0).lower() in _SPOKEN_SEPARATORS:
            continue  # (the gap to the next digit holds it: ``_SPOKEN_GAP``)
        got = _spoken_kind(m.group(0))
        if got is None or (run and not _SPOKEN_GAP.fullmatch(text, last_end, m.start())):
            close()
            run = []
        if got is not None:
            run.append((m, got[0], got[1]))
            last_end = m.end()
    close()
    return out
