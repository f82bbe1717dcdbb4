"""IBAN_CODE: ISO 13616 country lengths and the mod-97 check.

Accepts print format (groups of four separated by spaces), any run of punctuation,
symbols or blanks between groups (``/`` ``.`` ``|`` `` - `` `` -- ``, ``_sep_end``), lower
case and compact form.  Scanning stops exactly at the country's length so a word
after the IBAN is never swallowed, and at a group after a separator that is a word (more
than four letters, no digit); a first token that is a valid ISIN (12 characters) read on
into more is the ISIN.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.detect import gatescan
from dlp_proxy.model import IBAN_CODE
from dlp_proxy.recognizers._common import _MARK_RUN, ContextHit, DLPRecognizer
from dlp_proxy.recognizers.securities import isin_valid

IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

# BBAN structure of the most used countries (SWIFT IBAN registry): n digits, a letters,
# c letters or digits.  A chance mod-97 pass on other text ("GB625868602\nRequested by",
# a UK VAT number and the next line's words) fails here.
_BBAN_SPECS: dict[str, str] = {
    "GB": "a4n14", "IE": "a4n14", "DE": "n18", "NL": "a4n10", "FR": "n10c11n2", "CH": "n5c12", "ES": "n20",
    "IT": "a1n10c12", "BE": "n12", "AT": "n16", "PL": "n24", "PT": "n21", "SE": "n20", "DK": "n14", "NO": "n11",
    "FI": "n14", "LU": "n3c13",
}
_CLASS = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
BBAN_RE: dict[str, re.Pattern[str]] = {
    cc: re.compile("".join(f"{_CLASS[k]}{{{int(v)}}}" for k, v in re.findall(r"([nac])([0-9]+)", spec)))
    for cc, spec in _BBAN_SPECS.items()
}

#: An IBAN's country and check digits at a token's start, or after one or two letters
#: glued before it (``IBAN xGB82WEST...``: a reader drops a stray letter, attack atk10p
#: F1; recognizers/_common.py ``GLUED_LETTERS``).  The IBAN starts at group 1.
_START_RE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{0,2}([A-Za-z]{2})([0-9]{2})")
#: After an IBAN: no letter or digit, or, after its last digit, one or two letters glued
#: after it (not after a letter: "...Nrb for" is a read into the next word).
_END_OK = re.compile(r"(?:(?![A-Za-z0-9])|(?<=[0-9])(?![0-9]|[A-Za-z](?:[A-Za-z]{2}|[A-Za-z]?[0-9])))")
#: The same start split by a separator (det21): inside the check digits (``GB8 2WES T123
#: ...``) or one character at a time (``G B 8 2 W E S T ...``, ``G-B-8-2-...``): a run of up
#: to three blanks, or one punctuation mark or symbol with up to three blanks around it,
#: between two of the four characters, one inside the country code (this pattern) or the
#: check digits (``_SPLIT_CHECK_RE``; "is 12" is prose, ``GB 82...`` is ``_START_RE``'s), and
#: all three when the country code is in lower case (``g b 8 2 w e s t ...``).  The length, the BBAN structure and the
#: mod-97 check decide; ``could_match`` reads the IBAN through, so prose with such a start
#: ("AT 5,948.71") costs no full pass.
#: A line break (attack pass atk22 F5: ``G`` line break ``B82 WEST ...``, ``GB`` line break
#: ``82 ...``): any Unicode line break (the normalizer makes them ``\n``, ``\r\n`` kept), one
#: or two (a blank line), blanks around them and a quote or list marker opening the next
#: line (``\n> B82 ...``), as ``_sep_end`` reads one between groups.
_SPLIT_BREAK = (r"(?:[ \t]{0,3}(?:\r\n|[\n\r\v\f\x85\u2028\u2029])){1,2}[ \t]{0,8}"
                r"(?:(?:[^\w\s]|_)[ \t]{0,3})?")
_SPLIT_SEP = rf"(?:[ \t]{{1,3}}|[ \t]{{0,3}}(?:[^\w\s]|_)[ \t]{{0,3}}|{_SPLIT_BREAK})"
_SPLIT_START_RE = re.compile(
    rf"(?<![A-Za-z0-9])([A-Za-z]){_SPLIT_SEP}([A-Za-z]){_SPLIT_SEP}?([0-9]){_SPLIT_SEP}?([0-9])")
#: the same with the country code's letters side by side, in capitals, and a separator
#: inside the check digits (``GB8 2WES ...``); two patterns, so prose ("is 12", "at 5,948")
#: is passed over by the regex engine, not by Python
_SPLIT_CHECK_RE = re.compile(rf"(?<![A-Za-z0-9])([A-Z])([A-Z]){_SPLIT_SEP}?([0-9]){_SPLIT_SEP}([0-9])")
#: the country code in capitals, a separator (blanks, a mark, a line break), then the check
#: digits side by side (``GB 82 WEST ...``, ``FR-76 3000 ...``, ``GB`` line break ``82 ...``;
#: held-out probe class 7); in small letters ``is 12`` is prose, and even in capitals the
#: length, the BBAN structure and the mod-97 check decide
_SPLIT_LINE_RE = re.compile(rf"(?<![A-Za-z0-9])([A-Z])([A-Z]){_SPLIT_SEP}([0-9])([0-9])")
#: Check digits written with a letter drawn as a digit (``GB9O OBDV ...``, a look-alike
#: letter folded to ``O`` by normalization): the start read, the look-alike reading below
#: decides.
_LOOKALIKE_START_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})([0-9][OolI]|[OolI][0-9])")
gatescan.register(_START_RE, _SPLIT_START_RE, _SPLIT_CHECK_RE, _SPLIT_LINE_RE, _LOOKALIKE_START_RE)
_DIGIT_LOOKALIKES = str.maketrans("OolI", "0011")


def _lookalike_digits(compact: str) -> str:
    """``compact`` with the letters drawn as digits (``O`` ``o`` 0, ``l`` ``I`` 1) read as
    digits where the country's BBAN structure (and the check digits) want a digit; where the
    structure is not known, everywhere after the country code."""
    spec = _BBAN_SPECS.get(compact[:2].upper())
    if spec is None:
        return compact[:2] + compact[2:].translate(_DIGIT_LOOKALIKES)
    kinds = "nn" + "".join(k * int(v) for k, v in re.findall(r"([nac])([0-9]+)", spec))
    body = compact[2:]
    if len(kinds) != len(body):
        return compact
    return compact[:2] + "".join(c.translate(_DIGIT_LOOKALIKES) if k == "n" else c for c, k in zip(body, kinds, strict=True))


#: A separator run between groups, as digit runs read one (recognizers/_common.py
#: ``_LINE_PART``): a run of marks of any length drawn (``--``, ``- - -``, ``....``), at
#: most ``_MARK_RUN`` marks, with up to three blanks before, between and after them (or
#: up to three blanks alone), one line break or a blank line.  The bound keeps a scan linear: each group
#: looks at most ``_MARK_RUN`` marks and their blanks ahead.
_SEP_MARKS = _MARK_RUN
_SEP_BLANKS = 3
#: line breaks in one separator run: one, or a blank line (atk22 F5: the same as in the
#: first four characters, ``_SPLIT_BREAK``)
_SEP_BREAKS = 2


def _sep_end(text: str, i: int) -> int:
    """The end of a separator run starting at ``i`` before an ASCII letter or digit, or ``i``."""
    j = i
    breaks = marks = blanks = 0  # (blanks: in a row, since the last mark or break)
    while j < len(text):
        ch = text[j]
        if ch in "\n\u2028\u2029\x85":  # CRLF is one break
            breaks += 1
            blanks = 0
        elif ch.isspace() and ch not in "\x1e\x1f":
            blanks += ch != "\r"
        elif not ch.isalnum() and unicodedata.category(ch)[0] in "PS":
            marks += 1
            blanks = 0
        else:
            break
        if breaks > _SEP_BREAKS or marks > _SEP_MARKS or blanks > _SEP_BLANKS:
            return i
        j += 1
    if j == i or j >= len(text) or not (text[j].isascii() and text[j].isalnum()):
        return i
    return j


#: A cell boundary between two groups of one table row (``|GB82|WEST|1234|...``), and a
#: cell's own edges: an IBAN read across cells fills whole cells.
_CELL_SEP = re.compile(r"[ \t]*\x1f[ \t]*(?=[A-Za-z0-9])")
_CELL_START = re.compile(r"(?:^|(?<=[\x1f\x1e\n]))[ \t]*$")
_CELL_END = re.compile(r"[ \t]*(?:[\x1f\x1e\r\n]|$)")


#: an ISIN's length: a country code, nine characters and its check digit
_ISIN_CHARS = 12
#: the letters and digits of one group after a separator
_GROUP = re.compile(r"[A-Za-z0-9]+")
#: how many letters a print-format group holds
_GROUP_LETTERS = 4


def _a_word(text: str, i: int) -> bool:
    """The group at ``i`` (after a separator) is a word, no group of an IBAN: letters only,
    more than a print-format group holds (``LU8363344773 priced at``).  (A bank code in
    lower case is a group: ``GB82 west 1234 ...``.)"""
    m = _GROUP.match(text, i)
    return m is not None and len(m.group(0)) > _GROUP_LETTERS and m.group(0).isalpha()


def _whole_cells(text: str, start: int, end: int) -> bool:
    line_start = max(text.rfind("\x1f", 0, start), text.rfind("\x1e", 0, start), text.rfind("\n", 0, start)) + 1
    return _CELL_START.match(text[line_start:start]) is not None and _CELL_END.match(text, end) is not None


def iban_valid(compact: str) -> bool:
    s = compact.upper()
    if IBAN_LENGTHS.get(s[:2]) != len(s) or not s.isalnum():
        return False
    bban = BBAN_RE.get(s[:2])
    if bban is not None and not bban.fullmatch(s[4:]):
        return False
    moved = s[4:] + s[:4]
    num = "".join(str(int(c, 36)) for c in moved)
    return int(num) % 97 == 1


#: a country named apart from its IBAN's digits, in English or its own language
_COUNTRY_WORDS: dict[str, str] = {
    "germany": "DE", "german": "DE", "deutschland": "DE", "united kingdom": "GB", "uk": "GB", "british": "GB",
    "britain": "GB", "great britain": "GB", "england": "GB", "france": "FR", "french": "FR",
    "netherlands": "NL", "dutch": "NL", "holland": "NL", "switzerland": "CH", "swiss": "CH", "schweiz": "CH",
    "spain": "ES", "spanish": "ES", "espana": "ES", "italy": "IT", "italian": "IT", "italia": "IT",
    "belgium": "BE", "belgian": "BE", "austria": "AT", "austrian": "AT", "poland": "PL", "polish": "PL",
    "portugal": "PT", "portuguese": "PT", "sweden": "SE", "swedish": "SE", "denmark": "DK", "danish": "DK",
    "norway": "NO", "norwegian": "NO", "finland": "FI", "finnish": "FI", "ireland": "IE", "irish": "IE",
    "luxembourg": "LU",
}
_COUNTRY_WORD = re.compile(r"(?<![A-Za-z])(?:" + "|".join(sorted((re.escape(w) for w in _COUNTRY_WORDS), key=len,
                                                                reverse=True)) + r")(?![A-Za-z])", re.IGNORECASE)
#: a country's code standing alone (``IBAN 2285... (DE)``, ``IBAN DE: 2285...``)
_COUNTRY_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})(?![A-Za-z0-9])")
#: the check digits and the BBAN written apart from the country: two digits, then groups
#: of letters and digits with one blank, dash or dot between them
_APART_NUMBER = re.compile(r"(?<![A-Za-z0-9])[0-9]{2}[A-Za-z0-9]*(?:[ .-][A-Za-z0-9]+)*")
#: how far from an ``IBAN`` label its country and its number are looked for
_APART_REACH = 80


def country_apart(text: str) -> list[tuple[int, int, str]]:
    """(start, end, country) of an IBAN's check digits and BBAN written apart from its
    country, which a word or a code near an ``IBAN`` label names (held-out probe of
    2026-12-07: "IBAN Germany <check digits and BBAN>", "German IBAN: 5615...", "IBAN
    2285... (DE)"): the number is the IBAN with that country's code put before it,
    where its length, its structure and the mod-97 check all hold."""
    out: list[tuple[int, int, str]] = []
    for m in _IBAN_LABEL.finditer(text):
        lo, hi = max(0, m.start() - _APART_REACH), min(len(text), m.end() + _APART_REACH)
        nl = text.rfind("\n", lo, m.start())
        lo = nl + 1 if nl >= 0 else lo
        nl = text.find("\n", m.end(), hi)
        hi = nl if nl >= 0 else hi
        countries = {_COUNTRY_WORDS[w.group(0).lower()] for w in _COUNTRY_WORD.finditer(text, lo, hi)}
        countries |= {c.group(1) for c in _COUNTRY_CODE.finditer(text, lo, hi) if c.group(1) in IBAN_LENGTHS}
        if not countries:
            continue
        for n in _APART_NUMBER.finditer(text, m.start(), hi):
            groups = [(g.start(), g.end()) for g in re.finditer(r"[A-Za-z0-9]+", n.group(0))]
            for cc in countries:
                want = IBAN_LENGTHS[cc] - 2
                size = 0
                for a, b in groups:
                    size += b - a
                    if size >= want:
                        break
                if size != want:
                    continue  # the number ends inside a group, or is too short
                end = n.start() + b
                if iban_valid(cc + re.sub(r"[^A-Za-z0-9]", "", text[n.start():end])):  # (length, BBAN, mod 97)
                    out.append((n.start(), end, cc))
    return out


#: the compact token right after an ``IBAN`` label
_COMPACT_TOKEN = re.compile(r"[A-Za-z0-9]+")


#: a UUID (RFC 9562's 8-4-4-4-12 hex digits: a SWIFT gpi UETR, a request id): one token
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])")


def _in_uuid(text: str, at: int) -> bool:
    """``text[at]`` is inside a UUID (``2e0fe836-414d-4b22-ba56-11b8357d9dc8``): its hex
    groups and the word after it are no IBAN's country and check digits (``ba56-11b8...
    sent`` passed mod 97 once in ~300 UETRs; held-out probe of 2026-12-07)."""
    if "-" not in text[max(0, at - 24):at + 24]:
        return False
    return any(m.start() <= at < m.end() for m in _UUID.finditer(text, max(0, at - 35), min(len(text), at + 36)))


def glued_after_label(text: str) -> list[tuple[int, int, str]]:
    """(start, end, country) of a compact IBAN right after an ``IBAN`` label with
    characters glued before or after it (held-out probe of 2026-12-07: ``IBAN
    <iban>f2``, ``IBAN 0<iban>``, ``IBAN <iban>00``): the label names the IBAN a reader
    sees in the token; its length, structure and mod 97 must hold."""
    out: list[tuple[int, int, str]] = []
    for m in _IBAN_LABEL.finditer(text):
        t = _COMPACT_TOKEN.match(text, m.end())
        if t is None or len(t.group(0)) < 17:
            continue
        token = t.group(0)
        for lead in range(0, 4):
            cc = token[lead:lead + 2].upper()
            want = IBAN_LENGTHS.get(cc)
            if want is None or lead + want > len(token) or (lead == 0 and want == len(token)):
                continue  # (the token itself: the reading above)
            if iban_valid(token[lead:lead + want]):  # (length, BBAN structure, mod 97)
                out.append((t.start() + lead, t.start() + lead + want, cc))
                break
    return out


class IbanCodeRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = ("iban", "international bank account", "swift", "bic", "wire", "bankverbindung")

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([IBAN_CODE], context=context)

    def could_match(self, text: str) -> bool:
        if any(gatescan.may_search(rx, text) and _starts(rx, text) for rx in (_START_RE, _LOOKALIKE_START_RE)):
            return True
        # a split start is read through here (prose such as "AT 5,948.71" has one): the
        # engine's full pass runs only for a text that holds such an IBAN; so is an IBAN
        # after its label read by its look (``_read_alike``)
        found: list[RecognizerResult] = []
        for rx in (_SPLIT_START_RE, _SPLIT_CHECK_RE, _SPLIT_LINE_RE):
            if gatescan.may_search(rx, text):
                for start, head, end in _starts(rx, text):
                    self._read(text, start, head, end, found)
                    if found:
                        return True
        if gatescan.may_search(_IBAN_LABEL, text):
            for m in _IBAN_LABEL.finditer(text):
                self._read_alike(text, m.end(), found)
                if found:
                    return True
            return bool(country_apart(text)) or bool(glued_after_label(text))
        return False

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        seen: set[int] = set()
        for rx in (_START_RE, _LOOKALIKE_START_RE, _SPLIT_START_RE, _SPLIT_CHECK_RE, _SPLIT_LINE_RE):
            if gatescan.may_search(rx, text):
                for start, head, end in _starts(rx, text):
                    if start not in seen:
                        seen.add(start)
                        self._read(text, start, head, end, out)
        if gatescan.may_search(_IBAN_LABEL, text):
            for m in _IBAN_LABEL.finditer(text):
                if not any(r.start <= m.end() < r.end or m.end() <= r.start <= m.end() + 4 for r in out):
                    self._read_alike(text, m.end(), out)
            for start, end, cc in glued_after_label(text):
                if not any(r.start < end and start < r.end for r in out):
                    out.append(self.result(IBAN_CODE, start, end, 0.95, f"iban-{cc}-glued-to-its-label",
                                           "mod97+length", ContextHit("iban", -1)))
            for start, end, cc in country_apart(text):
                if not any(r.start < end and start < r.end for r in out):
                    out.append(self.result(IBAN_CODE, start, end, 0.95, f"iban-{cc}-country-apart", "mod97+length",
                                           ContextHit("iban", -1)))
        return out

    def _read_alike(self, text: str, at: int, out: list[RecognizerResult]) -> None:
        """The IBAN right after an ``IBAN`` label (det21), each of its characters read by the
        place it takes: a letter where the country's structure wants a letter, a digit where
        it wants a digit, as Unicode's confusables data says the character looks
        (``_alike``): ``lE49 ...`` is ``IE49``, ``GBO6 TKlC ...`` is ``GB06 TKIC ...``,
        ``⊤`` is ``T``, ``𝈒`` is ``7``, a ``|`` glued among digits is ``1``.  Read twice (as
        written where a character is already an ASCII letter or digit, and wholly by the
        look, a place for either a letter or a digit taking the letter, then the digit); the
        length, the BBAN structure and the mod-97 check decide."""
        units = _alike_units(text, at)
        if len(units) < 15:
            return
        country = "".join(_alike_as(ch, "L", True, "L") for _, ch in units[:2])
        want = IBAN_LENGTHS.get(country)
        if want is None or len(units) < want:
            return
        first, last = units[0][0], units[want - 1][0]
        if len(units) > want and units[want][0] == last + 1:
            return  # more of the run glued on: not this IBAN's end
        spec = _BBAN_SPECS.get(country)
        kinds = "LLDD" + ("".join(k * int(v) for k, v in re.findall(r"([nac])([0-9]+)", spec)).translate(
            _KIND) if spec is not None else "C" * (want - 4))
        if len(kinds) != want:
            return
        taken = units[:want]
        if sum(1 for _, ch in taken if ch.isascii() and ch.isdigit()) < _ALIKE_MIN_DIGITS:
            return  # words after the label ("IBAN bill lookup is ..."), no number written
        for by_look, either in ((False, "L"), (True, "L"), (True, "D")):
            compact = "".join(_alike_as(ch, k, by_look, either) for (_, ch), k in zip(taken, kinds, strict=True))
            if len(compact) == want and iban_valid(compact):
                hit = self.context_hit(text, first, last + 1)
                out.append(self.result(IBAN_CODE, first, last + 1, 1.0 if hit else 0.95, f"iban-{country}-lookalike",
                                       "mod97+length", hit, "lookalike-letters"))
                return

    def _read(self, text: str, start: int, head: str, end: int, out: list[RecognizerResult]) -> None:
        country = head[:2].upper()
        want = IBAN_LENGTHS.get(country)
        if want is None or _in_uuid(text, start):
            return
        chars = [country, head[2:]]
        n = 4
        i = end
        cells = False  # read across the cells of one table row (attack F2)
        first = 0  # the characters before the first separator
        while n < want and i < len(text):
            ch = text[i]
            if ch.isascii() and ch.isalnum():
                chars.append(ch)
                n += 1
                i += 1
            else:
                first = first or n
                # a separator: a run of up to three blanks, punctuation or symbols
                # (any Unicode P*/S*, issue 15), at most one line break or a blank line, before an
                # ASCII letter or digit; table boundaries (U+001E/U+001F) end it
                j = _sep_end(text, i)
                if j == i:
                    # a cell boundary of the same row: the groups side by side as the
                    # row renders; the IBAN must then fill whole cells (checked below)
                    c = _CELL_SEP.match(text, i) if text[i] in " \t\x1f" else None
                    if c is None:
                        break
                    j = c.end()
                    cells = True
                if _a_word(text, j):
                    break  # "new issue LU8363344773 priced at": the words after it are no group of it
                i = j
        if n != want or _END_OK.match(text, i) is None:
            return
        if cells and not _whole_cells(text, start, i):
            return
        compact = "".join(chars)
        if first == _ISIN_CHARS and isin_valid(compact[:_ISIN_CHARS]):
            return  # an ISIN (its own check digit), then more: never the start of an IBAN
        note = ""
        if not iban_valid(compact):
            # O/o for 0 and l/I for 1 where the country's structure wants a digit (a
            # look-alike letter, or a Cyrillic/Greek/mathematical one folded to it by
            # normalization): the mod-97 check decides, so a real letter there is
            # never misread, nor a bank code's ``O`` or ``I`` (``BOFI``)
            swapped = _lookalike_digits(compact)
            if swapped == compact or not iban_valid(swapped):
                return
            note = "lookalike-letters"
        hit = self.context_hit(text, start, i)
        pattern = f"iban-{country}" + ("-in-cells" if cells else "") + ("-split" if end - start != len(head) else "")
        out.append(self.result(IBAN_CODE, start, i, 1.0 if hit else 0.95, pattern, "mod97+length", hit, note))


#: An ``IBAN`` label and what may stand between it and the number (``IBAN no.:``)
_IBAN_LABEL = re.compile(r"(?i)(?<![a-z])iban(?![a-z])[ \t]{0,3}(?:(?:no\.?|number|#)[ \t]{0,3})?[:=#-]{0,2}[ \t]{0,3}"
                         r"(?:(?:is|to|=)[ \t]{1,3}(?::[ \t]{0,3})?)?")
gatescan.register(_IBAN_LABEL)
_KIND = str.maketrans("nac", "DLC")
#: ASCII digits an IBAN read by its look must hold as written (a Dutch IBAN has 10)
_ALIKE_MIN_DIGITS = 8
#: Marks between the groups of an IBAN read by ``_read_alike`` (one, blanks around it)
_ALIKE_SEPS = frozenset("-./_:,\u00b7")
#: Vertical bars the confusables data leaves out of ``|``'s class (NFKC makes the
#: half-width ``￨`` this box-drawing one)
_MORE_BARS = {"\u2502": "|"}


@functools.cache
def _alike(ch: str) -> tuple[str, str]:
    """(the capital ASCII letter, the ASCII digit) ``ch`` looks like by Unicode's confusables
    data (its class, ``normalize._confusable_classes``), ``""`` for none; an ASCII letter
    or digit is one of its class (``l`` looks like ``I`` and ``1``, ``O`` like ``0``)."""
    from dlp_proxy.detect.normalize import _confusable_classes

    ch = _MORE_BARS.get(ch, ch)
    members = _confusable_classes().get(ch, frozenset()) | {ch}
    if not ch.isascii():
        # a lower-case letter by the capital it stands for (``ε`` as ``Ε``, which looks like
        # ``E``; Cherokee ``ꭰ`` as ``Ꭰ``, ``D``) and a compatibility form by its NFKC letter
        # (``Ⅼ`` is ``L``): a lower-case IBAN with one such letter (atk21d)
        for other in {ch.upper(), unicodedata.normalize("NFKC", ch)} - {ch}:
            if len(other) == 1:
                members = members | _confusable_classes().get(other, frozenset()) | {other}
    letters = sorted(c.upper() for c in members if c.isascii() and c.isalpha())
    digits = sorted(c for c in members if c.isascii() and c.isdigit())
    letter = ch.upper() if ch.isascii() and ch.isalpha() and ch.upper() in letters else (letters[0] if letters else "")
    if ch == "l" or (letter == "L" and "I" in letters):
        letter = "I"  # ``l`` in a letter's place is the ``I`` it is drawn as (``lE49``)
    return letter, (ch if ch.isascii() and ch.isdigit() else digits[0] if digits else "")


def _alike_unit(ch: str) -> bool:
    if ch.isascii():
        return ch.isalnum() or ch == "|"
    return ch.isalnum() or ch in _MORE_BARS or any(_alike(ch))


def _alike_as(ch: str, kind: str, by_look: bool, either: str) -> str:
    """``ch`` read in a place of ``kind`` (``L`` letter, ``D`` digit, ``C`` either): as
    written when it is an ASCII letter or digit and ``by_look`` is False, else as it looks;
    in a place for either, as the letter (``either`` ``L``) or the digit (``D``) it looks
    like first (``520O``: the ``O`` a zero), else as the other."""
    if not by_look and ch.isascii() and ch.isalnum():
        return ch.upper()
    letter, digit = _alike(ch)
    if kind == "L":
        return letter
    if kind == "D":
        return digit
    if ch.isascii() and ch.isdigit():
        return ch
    return (letter or digit) if either == "L" else (digit or letter)


def _alike_units(text: str, at: int) -> list[tuple[int, str]]:
    """The characters of a run from ``at`` that ``_read_alike`` reads as an IBAN's (with
    their offsets): up to 34 of them, with up to three blanks or one mark and its blanks
    between two; the run ends at anything else."""
    units: list[tuple[int, str]] = []
    i, n = at, len(text)
    while i < n and len(units) < 35:
        ch = text[i]
        if _alike_unit(ch):
            units.append((i, ch))
            i += 1
            continue
        j = i
        while j < n and j - i < 3 and text[j] in " \t":
            j += 1
        if j < n and text[j] in _ALIKE_SEPS:
            j += 1
            k = j
            while j < n and j - k < 3 and text[j] in " \t":
                j += 1
        if j == i or not units or j >= n or not _alike_unit(text[j]):
            break
        i = j
    return units


def _starts(rx: re.Pattern[str], text: str) -> list[tuple[int, str, int]]:
    """(start, the country code and check digits as written, end of the start) of each
    match of ``rx`` whose country code has an IBAN length (a split start: with a separator)."""
    out: list[tuple[int, str, int]] = []
    split = rx is _SPLIT_START_RE
    for m in rx.finditer(text):
        head = "".join(m.groups())
        if head[:2].upper() not in IBAN_LENGTHS:
            continue
        start = m.start(1)
        if split and not head[:2].isupper() and not (m.start(3) > m.end(2) and m.start(4) > m.end(3)):
            continue  # lower case: only written one character at a time ("g b 8 2 w e s t ...")
        out.append((start, head, m.end()))
    return out
