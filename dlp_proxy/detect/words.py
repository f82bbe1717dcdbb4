"""Number words read as digits, for the normalizer (``normalize._latex_and_words``).

An identifier spelled out is still the identifier.  What is read:

- digit words of English, Spanish, French, German, Italian, Portuguese and Dutch
  (``five``, ``cinco``, ``cinq``, ``fünf``, ``cinque``, ``vijf``...), compared with
  accents folded (``zéro``, ``três``);
- ``double``/``triple`` before a digit (``double two`` -> 22);
- English compounds: teens (``eleven`` -> 11), tens alone or with a unit
  (``fifty-three``, ``eighty seven`` -> 53, 87), ``hundred`` after a digit
  (``5 hundred 36``, ``five hundred and six`` -> 536, 506);
- words run together (``fivethreesix`` -> 536): a token that splits wholly into
  number words;
- digits mixed among the words (``five 3 six 2 two``).

A *run* is a sequence of such tokens apart by one to three blanks or marks (no line
break).  A run is read when it holds at least ``MIN_NUMBER_WORDS`` number words
(each word of a run-together token counts) or a ``hundred`` between numbers:
"one of two" or "three or four" stay words.  Blanks inside a run are dropped, marks
kept (``fifty-three six, twenty-two`` -> ``536,22``).  A single word touching a
digit (``5three6``) is a digit too.

Why no library: ``text2num``'s ``alpha2digit`` (en/fr/es/de/...) reads compounds
well, but returns a new string without offsets (a finding must map back to what the
user sent), reads ``5 hundred 36`` as ``5 100 36``, splits digit runs into
groups, and does not read words run together; the digit words of each language are
a short closed list, kept here.
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: a run needs this many number words
MIN_NUMBER_WORDS = 4

_DIGIT_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    "es": ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"),
    "fr": ("zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"),
    "de": ("null", "eins", "zwei", "drei", "vier", "funf", "sechs", "sieben", "acht", "neun"),
    "it": ("zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove"),
    "pt": ("zero", "um", "dois", "tres", "quatro", "cinco", "seis", "sete", "oito", "nove"),
    "nl": ("nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"),
}
#: alternative spellings of a digit word (Spanish "una", German "ein"/"eine", "zwo", "fuenf")
_VARIANTS = {"una": "1", "ein": "1", "eine": "1", "zwo": "2", "fuenf": "5", "nought": "0", "oh": "0"}
_TEENS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = {"twenty": "2", "thirty": "3", "forty": "4", "fourty": "4", "fifty": "5", "sixty": "6", "seventy": "7",
         "eighty": "8", "ninety": "9"}
_HUNDRED = "hundred"
#: "double two" is 22, "triple five" 555
_REPEAT = {"double": 2, "triple": 3}


@functools.cache
def _lexicon() -> dict[str, str]:
    """Folded word -> digits (one digit, or two for the teens; a tens word maps to its tens digit)."""
    table: dict[str, str] = {}
    for words in _DIGIT_WORDS.values():
        for d, w in enumerate(words):
            table.setdefault(w, str(d))
    table.update({k: v for k, v in _VARIANTS.items() if k not in table})
    for k, w in enumerate(_TEENS):
        table[w] = str(10 + k)
    return table


#: words that may start a run-together token or a run: every word of the lexicon, the
#: tens and ``hundred``; the substrings looked for before any tokenizing
@functools.cache
def _all_words() -> tuple[str, ...]:
    return tuple(sorted({*_lexicon(), *_TENS, _HUNDRED, *_REPEAT}, key=len, reverse=True))


#: the substrings looked for before any tokenizing: every word of three letters or more,
#: as folded and as written with its accent (``fünf``, ``zéro``, ``três``)
@functools.cache
def _triggers() -> tuple[str, ...]:
    return (*(w for w in _all_words() if len(w) >= 3), "fünf", "zéro", "três")


@functools.cache
def _whole() -> re.Pattern[str]:
    """A token made wholly of number words (of two letters or more)."""
    return re.compile("(?:" + "|".join(w for w in _all_words() if len(w) >= 2) + ")+")


_TOKEN = re.compile(r"[^\W\d_]+|[0-9]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: how far around a number word the text is tokenized
_REACH = 48
#: a digit group inside a run of words is at most this long
_MAX_GROUP = 4


def _fold(word: str) -> str:
    """Lower case, accents dropped, ``ß`` as ``ss``, ``ü`` as ``u`` (``fünf`` -> ``funf``)."""
    if word.isascii():
        return word.translate(_ASCII_LOWER)
    decomposed = unicodedata.normalize("NFD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def may_have_number_words(text: str) -> bool:
    low = text.translate(_ASCII_LOWER) if text.isascii() else text.lower()
    return any(w in low for w in _triggers())


@functools.lru_cache(maxsize=4096)
def _segment(token: str) -> tuple[str, ...] | None:
    """A letters-only token as number words run together, or None (the longest words
    first, with backtracking; every word at least two letters)."""
    if len(token) > 120 or _whole().fullmatch(token) is None:
        return None
    words = _all_words()
    n = len(token)

    @functools.cache
    def split(i: int) -> tuple[str, ...] | None:
        if i == n:
            return ()
        for w in words:
            if len(w) >= 2 and token.startswith(w, i):
                rest = split(i + len(w))
                if rest is not None:
                    return (w, *rest)
        return None

    return split(0)


class _Tok:
    __slots__ = ("digits", "end", "start", "words")

    def __init__(self, start: int, end: int, words: tuple[str, ...], digits: str) -> None:
        self.start = start
        self.end = end
        self.words = words  # the number words it holds (() for a digit group)
        self.digits = digits  # a digit group's digits


def _windows(text: str, low: str) -> list[tuple[int, int]]:
    """Stretches of ``text`` around number words (merged), at token boundaries."""
    spans: list[tuple[int, int]] = []
    n = len(low)
    whole = _whole()
    for w in _triggers():
        i = low.find(w)
        while i >= 0:
            j = i + len(w)
            # the word's token: only a number word, number words run together, or a word
            # touching a digit opens a window ("someone", "often" do not)
            a, b = i, j
            while a > 0 and i - a < 40 and low[a - 1].isalpha():
                a -= 1
            while b < n and b - j < 40 and low[b].isalpha():
                b += 1
            token = low[a:b]
            if (token == w or (a > 0 and low[a - 1].isdigit()) or (b < n and low[b].isdigit())
                    or whole.fullmatch(_fold(token)) is not None or not token.isascii()):
                spans.append((max(0, i - _REACH), min(n, j + _REACH)))
            i = low.find(w, j)
    if not spans:
        return []
    spans.sort()
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    out: list[tuple[int, int]] = []
    for a, b in merged:
        while a > 0 and text[a - 1].isalnum():
            a -= 1
        while b < n and text[b].isalnum():
            b += 1
        out.append((a, b))
    return out


def _tokens(text: str, a: int, b: int) -> list[_Tok | None]:
    """Number tokens of ``text[a:b]`` in order; None where a token is no number."""
    lex = _lexicon()
    out: list[_Tok | None] = []
    for m in _TOKEN.finditer(text, a, b):
        s = m.group(0)
        if s[0].isdigit():
            out.append(_Tok(m.start(), m.end(), (), s) if len(s) <= _MAX_GROUP else None)
            continue
        f = _fold(s)
        if f in lex or f in _TENS or f == _HUNDRED or f in _REPEAT:
            out.append(_Tok(m.start(), m.end(), (f,), ""))
            continue
        seg = _segment(f) if len(f) >= 5 else None
        if seg is not None and len(seg) >= 2:
            out.append(_Tok(m.start(), m.end(), seg, ""))
        else:
            out.append(None)
    return out


def _run_digits(words: list[str]) -> str:
    """The digits of a sequence of number words and digit groups (groups as ``#123``),
    English compounds composed."""
    lex = _lexicon()
    out: list[str] = []
    k = 0
    while k < len(words):
        w = words[k]
        nxt = words[k + 1] if k + 1 < len(words) else None
        if w in _REPEAT:
            if nxt is not None and ((nxt in lex and len(lex[nxt]) == 1) or (nxt.startswith("#") and len(nxt) == 2)):
                value = (lex[nxt] if nxt in lex else nxt[1:]) * _REPEAT[w]
                k += 1
            else:
                value = ""
        elif w.startswith("#"):
            value = w[1:]
        elif w in _TENS:
            if nxt is not None and nxt in lex and len(lex[nxt]) == 1 and lex[nxt] != "0":
                value = _TENS[w] + lex[nxt]
                k += 1
            else:
                value = _TENS[w] + "0"
        elif w == _HUNDRED:
            value = ""  # a hundred with no digit before it: nothing of its own
        else:
            value = lex[w]
        nxt = words[k + 1] if k + 1 < len(words) else None
        if nxt == _HUNDRED and len(value) == 1 and value != "0":
            # "5 hundred 36", "five hundred six": the digit times a hundred plus what follows
            k += 2
            rest = ""
            if k < len(words) and words[k] != _HUNDRED:
                rest = _run_digits(_first_number(words[k:]))
                k += len(_first_number(words[k:]))
            out.append(value + rest.rjust(2, "0") if len(rest) <= 2 else value + "00" + rest)
            continue
        out.append(value)
        k += 1
    return "".join(out)


def _first_number(words: list[str]) -> list[str]:
    """The words of the number that starts ``words``: a tens word with its unit, or one word."""
    if len(words) >= 2 and words[0] in _TENS and words[1] in _lexicon() and len(_lexicon()[words[1]]) == 1:
        return words[:2]
    return words[:1]


def number_word_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """Edits ``(start, end, replacement, source start, source end)`` that read number
    words as digits (see the module doc), sorted, not overlapping."""
    low = text.translate(_ASCII_LOWER) if text.isascii() else text.lower()
    if len(low) != len(text):
        low = text.translate(_ASCII_LOWER)
    edits: list[tuple[int, int, str, int, int]] = []
    for a, b in _windows(text, low):
        toks = _tokens(text, a, b)
        run: list[_Tok] = []

        def close(run: list[_Tok]) -> None:
            count = sum(len(t.words) for t in run if t.words != (_HUNDRED,))
            hundred = any(t.words == (_HUNDRED,) for t in run[1:-1]) if len(run) >= 3 else (
                len(run) == 2 and run[1].words == (_HUNDRED,))
            if count < MIN_NUMBER_WORDS and not hundred:
                return
            _emit(text, run, edits)

        for t in toks:
            if t is None:
                if run:
                    close(run)
                run = []
                continue
            if run:
                gap = text[run[-1].end : t.start]
                if not (1 <= len(gap) <= 3 and "\n" not in gap and not any(c.isalnum() for c in gap)):
                    close(run)
                    run = []
            run.append(t)
        if run:
            close(run)
        # a single number word glued to a digit ("5three6"): a digit too
        for t in toks:
            if t is None or len(t.words) != 1 or t.digits:
                continue
            w = t.words[0]
            if len(w) < 3 or w not in _lexicon():
                continue
            before = text[t.start - 1] if t.start else " "
            after = text[t.end] if t.end < len(text) else " "
            if before.isdigit() or after.isdigit():
                edits.append((t.start, t.end, _lexicon()[w], t.start, t.end))
    # glued digits inside a token: "5three6" tokenizes as 5 / three / 6 (no overlap with runs:
    # the first edit wins downstream)
    edits.sort()
    kept: list[tuple[int, int, str, int, int]] = []
    reach = -1
    for e in edits:
        if e[0] >= reach:
            kept.append(e)
            reach = max(reach, e[1])
    return kept


def _emit(text: str, run: list[_Tok], edits: list[tuple[int, int, str, int, int]]) -> None:
    """Edits for one run: its number tokens as digits, blanks between them dropped.
    Tokens that compose (a tens word and its unit, ``hundred``) become one edit."""
    k = 0
    while k < len(run):
        # the tokens that compose with this one
        j = k + 1
        words = list(run[k].words) if run[k].words else ["#" + run[k].digits]
        while j < len(run) and (
            (words[-1] in _TENS and run[j].words[:1] and run[j].words[0] in _lexicon()
             and len(_lexicon()[run[j].words[0]]) == 1 and len(run[j].words) == 1)
            or run[j].words == (_HUNDRED,) or words[-1] in (_HUNDRED, *_REPEAT)
        ):
            words.extend(run[j].words if run[j].words else ["#" + run[j].digits])
            j += 1
        if j > k + 1 and words[-1] == _HUNDRED and j < len(run):
            pass
        digits = _run_digits(words)
        a, b = run[k].start, run[j - 1].end
        if digits != text[a:b]:
            edits.append((a, b, digits, a, b))
        if j < len(run):
            gap_a, gap_b = run[j - 1].end, run[j].start
            if text[gap_a:gap_b].isspace():
                edits.append((gap_a, gap_b, "", gap_a, gap_b))
        k = j


def digit_bound(text: str) -> int:
    """At least as many digits as ``number_word_edits`` can add to ``text``: two per
    number word in a number token (a teens or tens word is two digits, ``hundred`` two
    zeros), for a gate that bounds the digits a scan sees without normalizing."""
    low = text.translate(_ASCII_LOWER) if text.isascii() else text.lower()
    if len(low) != len(text):
        low = text.translate(_ASCII_LOWER)
    n = 0
    for a, b in _windows(text, low):
        n += sum(2 * len(t.words) for t in _tokens(text, a, b) if t is not None)
    return n
