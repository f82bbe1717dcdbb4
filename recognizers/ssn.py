"""US_SSN and US_ITIN.

SSA validity: area 001-899 except 666 (900-999 are ITINs or invalid), group
01-99, serial 0001-9999; advertising/specimen numbers excluded.  A number
written in the 3-2-4 shape is reported without context; nine bare digits, an
odd grouping or digits spaced out one by one need a context word (SSN, social
security, tax id...).  ITINs are 9XX-GG-XXXX with GG in 50-65, 70-88, 90-92,
94-99.

Structure first: a 2-7 grouping (12-3456789) is an EIN (recognizers/tax.py) and
any grouping other than 3-2-4 or nine bare digits needs a word naming a person's
number (SSN, social, ITIN), not "tax id"/"TIN"; a dotted or spaced 3-2-4 that
reads as a version (a version/build/upgrade word before it, a file extension
after a dotted one, another dotted number in the message) is not reported without context.
Context words also match one typing slip away ("soical", "itn": _fuzzy.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.detect.filler import NAMED_OTHER, NAMED_OTHER_AFTER
from dlp_proxy.detect.structure import CELL, column_header
from dlp_proxy.model import US_ITIN, US_SSN
from dlp_proxy.recognizers._common import (
    _GROUP_RE,
    NATIONAL_ID_LABELS,
    NINE,
    PERSON_NUMBER_WORDS,
    PHONE_WORDS,
    TAXPAYER_ID_LABELS,
    Candidate,
    ContextHit,
    DLPRecognizer,
    _names_a_reference,
    blank_header_table,
    candidates,
    cell_candidates,
    closely_labelled,
    glued_reference,
    glued_to,
    labelled_as_reference,
    labelled_tokens,
    lookalike_note,
    named_as_reference,
    ordering_word,
    read_as_measure,
    row_context,
    single_digit_cells,
    word_on_line,
)
from dlp_proxy.recognizers._headings import heading_label
from dlp_proxy.recognizers._lists import list_intended, percent_escapes, reads_as_list
from dlp_proxy.recognizers.tax import ein_valid

# Numbers published in advertising or as specimens (SSA), never issued to a person.
_SPECIMENS = frozenset({"078051120", "219099999", "457555462", "123456789"})


def ssn_valid(d: str) -> bool:
    if len(d) != 9 or not d.isdigit() or len(set(d)) == 1 or d in _SPECIMENS:
        return False
    area, group, serial = int(d[:3]), int(d[3:5]), int(d[5:])
    return 0 < area < 900 and area != 666 and group != 0 and serial != 0


def itin_valid(d: str) -> bool:
    if len(d) != 9 or not d.isdigit() or d[0] != "9":
        return False
    g = int(d[3:5])
    return (50 <= g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or 94 <= g <= 99) and int(d[5:]) != 0


# Words that make a dotted or spaced 3-2-4 a version or build number ("build 107.82.1172",
# "upgraded the OMS to 577.72.5660"), searched in the 40 characters before it.
_VERSION_BEFORE = re.compile(
    r"(?<![a-z])(?:versions?|ver|vers|builds?|bld|releases?|rel|patch\w*|hotfix\w*|firmware|fw|kernel|java|python|"
    r"chrome|excel|windows|sdk|api|terminal|oms|ems|driver|installer|install\w*|"
    r"upgrad\w*|updat\w*|deploy\w*|roll(?:ed|ing)?\s*(?:back|out)|bump\w*|v)(?![a-z])",
    re.IGNORECASE,
)
#: a preposition of software talk right before a dotted 3-2-4 without any context word
#: ("is everyone on 470.34.7068 yet?", "moved from 470.34.7068", "running 470.34.7068"):
#: the release people are on, not a person's number (atk21d)
_VERSION_PREPOSITION = re.compile(r"(?<![a-z])(?:on|from|running|using|onto|still on|stuck on)[ \t]+\Z",
                                  re.IGNORECASE)
_DOTTED = re.compile(r"(?<![0-9.])[0-9]{1,4}(?:\.[0-9]{1,5}){2,}(?![0-9])")
_EXTENSION_AFTER = re.compile(r"\.[A-Za-z]")
# Context words that name an individual's number specifically: with one of them, even
# a 2-7 grouping is read as an SSN/ITIN (no one writes "SSN" before a company's EIN).
_PERSONAL = re.compile(r"ss|snn|soc|itin|individual|w-7", re.IGNORECASE)
#: ``far_label``: how many lines away, how long a label line, the words it may hold besides
#: the label (before the number; after it, with a word pointing back)
_FAR_LINES = 4
_FAR_LABEL_CHARS = 48
_SIX_DIGITS = re.compile(r"[0-9](?:[^0-9\n]{0,2}[0-9]){5}")
_ANY_DIGIT_RE = re.compile(r"[0-9]")
_FAR_WORD = re.compile(r"[A-Za-z']+")
_FAR_BEFORE_WORDS = frozenset(("client", "clients", "client's", "her", "his", "their", "the", "customer", "customer's",
                               "primary", "number", "no", "nbr", "num", "below", "follows", "following", "is", "here",
                               "new", "of", "account", "holder", "owner", "spouse", "joint"))
_FAR_AFTER_WORDS = frozenset(("that", "that's", "thats", "is", "was", "the", "his", "her", "their", "client", "client's",
                              "clients", "customer", "number", "no", "above", "this", "it's", "its", "primary",
                              "spouse", "holder", "owner"))
_FAR_POINTER = re.compile(r"\^|(?i:\babove\b|\bthat'?s\b|\bthat is\b|\bthis is\b|\bit'?s\b)")
def _lines_apart(text: str, a: int, b: int) -> bool:
    """A line of words between ``a``'s line and ``b``'s: something on it and no digit
    (blank lines keep a label and its number together, ``SSN:\n\nAAAGGSSSS``, and so do
    the numbers of a list under its heading, ``client SSNs on file:\nAAA-GG-0001\n...``)."""
    inner = text[a:b].split("\n")[1:-1]
    return any(line.strip() and not any(ch.isdigit() for ch in line) for line in inner)


#: A 3-2-4 with a group in brackets ("SSN (536) 22-8710", "536 (22) 8710"): brackets are
#: not separators in digit runs (lists, phone area codes), so it is read here, with a
#: word naming a person's number required.
_BRACKETED = re.compile(
    r"(?<![0-9A-Za-z])(\(?)([0-9]{3})(\)?)[ \t]{0,2}[-./]?[ \t]{0,2}(\(?)([0-9]{2})(\)?)[ \t]{0,2}[-./]?[ \t]{0,2}"
    r"(\(?)([0-9]{4})(\)?)(?![0-9])"
)
_BRACKET_HINT = re.compile(r"\([0-9]{2,4}\)")
#: How far around a number a word naming a person's number is looked for when the
#: nearest context word is a business one ("tax id 53-6228710 (her SSN)").
_PERSONAL_REACH = (60, 40)
#: Words naming a business's number specifically (recognizers/tax.py's EIN labels).
_EIN_WORD = re.compile(r"(?<![a-z])(?:f?ein|fein\s*(?:number|no|#)|employer\s+id\w*|fed(?:eral|\.)?\s+(?:employer|tax)\s+id\w*|"
                       r"(?:business|corporate|company)\s+tax\s+id\w*)(?![a-z])", re.IGNORECASE)


def _ein_shaped(c: Candidate) -> bool:
    """XX-XXXXXXX: the IRS's EIN format (a business identifier, recognizers/tax.py)."""
    return c.groups == (2, 7) and c.uniform_sep in ("-", " ")


def _named_an_ein(text: str, c: Candidate) -> bool:
    """A word naming an EIN on the number's line before it ("SSN/EIN: 12-7760308",
    "entity has no SSN, EIN 12-7760308", "TIN type: EIN (not SSN) 46-6964369"): W-9 talk
    names both, and the 2-7 grouping is the EIN's."""
    return word_on_line(_EIN_WORD, text, c.start, c.end, _PERSONAL_REACH[0])


#: a company's name or kind: what a business identifier belongs to
_COMPANY = re.compile(
    r"(?<![A-Za-z])(?:llc|l\.l\.c\.|inc|incorporated|corp|corporation|ltd|limited|l\.?p\.?|llp|plc|n\.a\.|co\.|company|"
    r"holdings|partners|partnership|capital|securities|fund|bank|issuer|entity|corporate|employer|management|group|"
    r"advisors|advisers|associates|services|systems|ventures|foundation)(?![A-Za-z])", re.IGNORECASE)
#: a header cell naming a company's EIN itself (not "tax id" or "federal tax id": an
#: individual's federal tax id is the SSN)
_EIN_HEADER = re.compile(r"(?:f?ein|fein[ \t]*(?:number|no|#)|employer[ \t_]+id\w*|ein[ \t_]*(?:number|no|#))",
                         re.IGNORECASE)
#: how far around the number a word for a person's number (SSN, social, ITIN) takes the
#: company's-EIN reading away, on any line (attack pass 6: "Jane's SSN:" then "TIN for Jane
#: Doe Trust: N" on the next line)
_PERSONAL_AROUND = 300
#: words that make a number a person's, between the company and the number
_PERSON = re.compile(r"(?<![A-Za-z])(?:client|customer|his|her|him|their|mr|mrs|ms|dr|owner|individual|personal|sole|"
                     r"proprietor|beneficiary|holder|spouse|member|person|investor|employee)(?![A-Za-z])", re.IGNORECASE)
_COMPANY_REACH = 80
#: the words "tax id" (a company's, right after its name: ``Acme Holdings tax id N``)
_TAX_ID = re.compile(r"(?<![A-Za-z])(?:tax[ \t]*id(?:entification)?(?:[ \t]*(?:no|number|#))?|tin)(?![A-Za-z])",
                     re.IGNORECASE)


def _company_ein(text: str, c: Candidate) -> bool:
    """Nine digits in one a word naming an EIN labels (``federal tax ID``, ``EIN``, ``FEIN``,
    ``employer id``: ``_EIN_WORD``) with a company before it on its line and no word for a
    person between them (``issuer Pershing LLC federal tax ID N``), whose first two digits
    are a prefix the IRS issues EINs with (recognizers/tax.py ``ein_valid``): the company's
    EIN, which tax.py reports (held-out probe of 2026-12-07: 59 such lines stopped as an SSN
    or ITIN).  "client's federal tax ID N" and "tax id N" alone stay a person's."""
    if not (c.is_bare and ein_valid(c.digits)):
        return False
    line_start = text.rfind("\n", 0, c.start) + 1
    line_end = text.find("\n", c.end)
    lo = max(line_start, c.start - _COMPANY_REACH)
    hi = min(len(text) if line_end < 0 else line_end, c.end + _COMPANY_REACH)
    if _SSN_WORD.search(text, max(0, c.start - _PERSONAL_AROUND), c.end + _PERSONAL_AROUND) is not None:
        return False  # the message speaks of a person's number: "his SSN is the number we use for his shop"
    if _PERSON.search(text, c.end, hi) is not None:
        return False  # a word for a person after it on its line: "N -- she's the owner", "N (her own)"
    if _OWN_TAX_ID.search(text, max(0, c.start - _COMPANY_REACH), c.start) is not None:
        return False  # "Jane's own tax id, billed as Jane Doe Services LLC: N"
    header = column_header(text, c.start) if CELL in text else None
    if header and _EIN_HEADER.fullmatch(header.strip(" \t:#")):
        return True  # a column of EINs ("vendor,ein,state" over "Meridian Ridge Partners LP,NNNNNNNNN,...")
    if _company_owns(text, c, max(line_start, c.start - 2 * _COMPANY_REACH)):
        return True
    label = None
    for m in _EIN_WORD.finditer(text, lo, c.start):
        label = m
    if label is None or text[label.end():c.start].strip(" \t:#=.-()") != "":
        # "<company> tax id N": a company's name right before the words "tax id"
        label = None
        for m in _TAX_ID.finditer(text, lo, c.start):
            label = m
        if label is None or text[label.end():c.start].strip(" \t:#=.-()") != "" or not any(
                m.end() >= label.start() - 3 for m in _COMPANY.finditer(text, lo, label.start())):
            return False  # the EIN word right before the number, nothing but marks between
    company = None
    for m in _COMPANY.finditer(text, lo, label.start()):
        company = m
    if company is not None and _PERSON.search(text, company.end(), c.start) is None:
        return True
    # "Tax ID (EIN): N  Entity: Pinecrest Corporation": the company after it on its line
    after = _COMPANY.search(text, c.end, hi)
    return after is not None and _PERSON.search(text, lo, after.start()) is None


#: what may stand between a company's name and its number ("<Company> (N)", "<Company> is N")
_OWNER_GAP = re.compile(r"[ \t]*(?:(?:is|was|=|:|-|,)[ \t]*)?\(?[ \t]*#?[ \t]*", re.IGNORECASE)


#: a word for a person's number (SSN, social security, ITIN, "social"): with one near, a
#: nine-digit number is never read as a company's EIN
_SSN_WORD = re.compile(r"(?<![A-Za-z])(?:ssns?|ss#|s\.[ \t]?s\.[ \t]?n\.?|s[ \t]s[ \t]n|social(?:[ \t]+security)?|sosh|"
                       r"itins?|soc[ \t.-]*sec|personal[ \t]+(?:tin|tax[ \t]*id))(?![A-Za-z])",
                       re.IGNORECASE)


#: a person's own tax id named before a number ("Jane's own tax id", "her personal tax id")
_OWN_TAX_ID = re.compile(r"(?:'s|\b(?:his|her|their|my))[ \t]+(?:own|personal)[ \t]+(?:tax[ \t]*id|tin)\b", re.IGNORECASE)
#: "social" as a label of the number after it ("social for Jane Doe:", "social #", "social:"),
#: not a club's or a budget's ("social league results:", "social budget:")
_SOCIAL_AS_LABEL = re.compile(r"[ \t]*(?:#|:|no\b|nbr\b|number\b|for\b|of\b|is\b)", re.IGNORECASE)


def _ssn_led(text: str, c: Candidate, hit: ContextHit | None) -> bool:
    """A run written as an SSN begins (``AAA-GG-``: three digits, two, each followed by
    the same dash or dot) whose last four digits are cut (``AAA-GG-SS SS``), under a word
    naming a person's number anywhere in its window (``social for Rachel Lee: ...``; probe
    5): no list's items begin so, so it is the SSN however far its label."""
    g, seps = c.groups, c.seps
    if not (hit is not None and _PERSONAL.match(hit.word) is not None and len(g) >= 4 and g[:2] == (3, 2)
            and sum(g[2:]) == 4 and seps[0] == seps[1] and seps[0] in ("-", ".")):
        return False
    # (attack pass 7: "social league results: AAA-GG-SS SS" is no SSN)
    return hit.word != "social" or (hit.distance < 0 and _SOCIAL_AS_LABEL.match(text, c.start + hit.distance) is not None)


def _company_owns(text: str, c: Candidate, lo: int) -> bool:
    """The number follows a company's name with only a connective between (``Fed Tax ID
    for Ironclad Data Systems Inc is N``, ``TIN matching for Halcyon Fund Services LLC
    (N)``) and a word naming a tax id stands before the name on its line (from ``lo``),
    with no word for a person between it and the number: the company's EIN."""
    company = None
    for m in _COMPANY.finditer(text, max(lo, c.start - 40), c.start):
        company = m
    if company is None or _OWNER_GAP.fullmatch(text, company.end(), c.start) is None:
        return False
    label = _EIN_WORD.search(text, lo, company.start()) or _TAX_ID.search(text, lo, company.start())
    return label is not None and _PERSON.search(text, label.start(), c.start) is None


#: what may stand between a label and its number ("SSN: ", "her ssn is ", "SSN # ")
_LABEL_GAP = re.compile(r"(?:[\s:#=.\-(]|\b(?:is|was|no|nbr|num|number|of)\b)*", re.IGNORECASE)


#: a word for a person's number set right after one, in apposition ("tax id 78-4256078
#: (her SSN)", "12-3456789, his social")
_APPOSITION = re.compile(r"[ \t]*[(\[,;:\-–—][ \t]*(?:(?:his|her|their|the|its)[ \t]+)?"
                         r"(?:(?:client|customer|owner|member|holder|individual|person|user)(?:'?s)?[ \t]+)?",
                         re.IGNORECASE)


def _labels_it(text: str, c: Candidate, context: re.Pattern[str] | None) -> bool:
    """A word for a person's number right before ``c`` with nothing but a connective
    between, or set right after it in apposition."""
    if context is None:
        return False
    lo = max(0, c.start - 30)
    for m in context.finditer(text, lo, c.start):
        if _PERSONAL.match(m.group(0)) and _LABEL_GAP.fullmatch(text, m.end(), c.start):
            return True
    gap = _APPOSITION.match(text, c.end)
    if gap is None:
        return False
    after = context.match(text, gap.end())
    return after is not None and _PERSONAL.match(after.group(0)) is not None


def _version_like(text: str, c: Candidate) -> bool:
    """A 3-2-4 written with dots or spaces that reads as a version: a version word
    before it, a file extension after it (884.60.6998.msi), or another dotted number
    in the message (versions come in lists: "on 272.94.7777 now, 273.81.4168 next")."""
    if c.uniform_sep == "-":
        return False
    if _VERSION_BEFORE.search(text, max(0, c.start - 40), c.start):
        return True
    if c.uniform_sep == "." and _EXTENSION_AFTER.match(text, c.end):
        # "884.60.6998.msi": a dotted version's file; "scan_AAA_GG_SSSS.pdf" and
        # "AAA GG SSSS.txt" are a file named by the number (attack pass 25, F6)
        return True
    if c.uniform_sep == "." and _VERSION_PREPOSITION.search(text, max(0, c.start - 12), c.start):
        return True
    return c.uniform_sep == "." and any(m.start() != c.start for m in _DOTTED.finditer(text))


#: a separator that sets numbers apart rather than joins one: a table's cell edge ``|`` or a
#: line break, when the groups stand alone on their line (``_apart``)
_APART = re.compile(r"[|\n\x1e\x1f]")


def _apart(text: str, c: Candidate) -> bool:
    """The groups of ``c``, apart by cell edges or line breaks, alone on their line: a row of
    cells or a column of values (``| 512 | 64 | 2048 |``, ``port`` over ``443`` / ``80`` /
    ``8443``, the engine's readings of rows, columns and keyed values joined by
    ``structure.SEP``), which names an SSN only with a word naming it (attack 11 P2); not a
    number broken inside a sentence (``here it is 055`` / ``06`` / ``5360 before 4pm``, ``id
    536|22|8710``)."""
    sep = c.uniform_sep
    if sep is None or not _APART.search(sep):
        return False
    line_start = max(text.rfind("\n", 0, c.start), text.rfind("\x1e", 0, c.start)) + 1
    ends = [k for k in (text.find("\n", c.end), text.find("\x1e", c.end)) if k >= 0]
    line_end = min(ends) if ends else len(text)
    return not text[line_start:c.start].strip(" \t>*_`|\x1f") and not text[c.end:line_end].strip(" \t\r*_`|\x1f")


#: words of a desk's quantities on a number's line: sizes, fills, lots and allocations
_QUANTITY_WORDS = re.compile(
    r"(?<![a-z])(?:qty|quantity|quantities|size[sd]?|lots?|contracts?|shares?|shs|units?|fill(?:s|ed)?|partials?|"
    r"alloc\w*|legs?|blocks?|clips?|splits?|tranches?|buy|buying|bought|bot|sell|selling|sold|sld|bid|offer|px|"
    r"working|done|filled|executed|exec|print(?:s|ed)?|crossed|orders?|tickets?|accounts|funds|books?)(?![a-z])|@",
    re.IGNORECASE,
)


def _round(n: int, step: int) -> bool:
    return n % step == 0


def _round_quantities(text: str, c: Candidate) -> bool:
    """A 3-2-4 whose three groups are round numbers (each a multiple of 5, the last of
    50: ``125-50-2000``, ``250 10 5000``, ``300 25 4000``) among a desk's quantity words
    on its line (``3 lots: 125-50-2000``, ``filled 250 10 5000``, ``split the 7500 as 125
    50 2000``): sizes, fills or allocations written side by side, not a person's number.
    About one valid SSN in 1,250 has such groups, and it is read as one with a word
    naming it (the caller asks with no context hit only)."""
    area, group, serial = int(c.digits[:3]), int(c.digits[3:5]), int(c.digits[5:])
    if not (_round(area, 5) and _round(group, 5) and _round(serial, 50)):
        return False
    return word_on_line(_QUANTITY_WORDS, text, c.start, c.end, 60, 40)


def _named_other(text: str, c: Candidate) -> bool:
    """The digits the candidate reads are named as another kind of number right before or
    after them ("zip 53622 8710", "8710, 53622 (zip)", "8710 - 53622 zip"): a caller's check
    of the last four and a zip code, not an SSN written in odd groups."""
    m = NAMED_OTHER.search(text, max(0, c.start - 24), c.start)
    if m is not None and ordering_word(text, m.start(), m.start() + 5):
        m = None  # "SSN in order: N": the order its digits come in (atk25r N1)
    if m is not None and m.group(0).split()[0].strip(":#=.").lower() in PHONE_WORDS:
        m = None  # "SSN per phone: N": nine digits are no telephone's (held-out probe, class 1)
    return m is not None or NAMED_OTHER_AFTER.match(text, c.end) is not None


#: a hyphenated group holding a letter chained right after a number (``-A``, ``-B2``,
#: ``-XYZ9``) or right before it (``A-``, ``TRD7-``)
_CHAINED_AFTER = re.compile(r"-[0-9]*[A-Za-z][A-Za-z0-9]*(?![A-Za-z0-9])")
_CHAINED_BEFORE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]*[A-Za-z][0-9]*-\Z")


def _chained_id(text: str, c: Candidate) -> bool:
    """``c``, a dashed 3-2-4, is chained by a dash to a further group, of digits or holding
    a letter, on either side, no blank between (``exec ref AAA-GG-SSSS-A``,
    ``ALLOC-AAA-GG-SSSS``, ``AAA-GG-SSSS-12``): one part of a longer id, as the reader reads it (det25b; a word naming an SSN still names
    it: the caller asks only without one)."""
    if c.uniform_sep != "-":
        return False
    if (c.start > c.run_start and text[c.start - 1] == "-") or (c.end < c.run_end and text[c.end] == "-"):
        return True  # more digit groups chained by the same dash ("AAA-GG-SSSS-12"): a longer number
    return (_CHAINED_AFTER.match(text, c.end) is not None
            or _CHAINED_BEFORE.search(text[max(0, c.start - 24) : c.start]) is not None)


_LINE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _reference_on_line(text: str, c: Candidate) -> bool:
    """A word on ``c``'s line, 60 characters before it to 40 after it (its chained groups
    included: ``TKT-``), names a reference of another kind (``ref``, ``exec``, ``ticket``,
    ``order``, ``clordid``...; not a bare ``id``, which may be a person's)."""
    line_start = text.rfind("\n", 0, c.start) + 1
    line_end = text.find("\n", c.end)
    lo, hi = max(line_start, c.start - 60), min(len(text) if line_end < 0 else line_end, c.end + 40)
    return any(_names_a_reference(m.group(), False) for m in _LINE_WORD.finditer(text, lo, hi))


def _shaped(c: Candidate) -> float:
    """Score for a 3-2-4 written number without context (0 when the shape is not enough)."""
    if c.split_digits and c.whole_run and len(c.groups) >= 7:
        return 0.7  # 2 1 9 4 5 ... : digits spaced out one by one are an evasion, not a quantity
    if c.groups != (3, 2, 4) or c.uniform_sep is None:
        return 0.0
    sep = c.uniform_sep
    if sep == "-":
        return 0.85
    if c.whole_run:
        return 0.7  # any other one separator (space, dot, line break, ``·``, ``|``, ``:``...)
    return 0.0


def _three_groups(text: str) -> Callable[[int, int], bool]:
    """For ``candidates``' ``runs``: whether a run's span holds three groups or more (a
    candidate's groups are some of its run's, found in its span by the same regex)."""
    groups = _GROUP_RE.finditer

    def keep(start: int, end: int) -> bool:
        n = 0
        for _ in groups(text, start, end):
            n += 1
            if n >= 3:
                return True
        return False

    return keep


#: the words that name nothing but a person's nine digits (an SSN's or an ITIN's label),
#: then what may stand between a label and its value
_OWN_LABEL = re.compile(
    r"(?<![A-Za-z])(?:ssns?|s\.s\.n\.?|ss#|ssn#|ssn[ \t]+(?:no|nbr|num)\.?|social[ \t]+security(?:[ \t]+(?:number|no|nbr|num|#))?"
    r"|soc\.?[ \t]*sec\.?(?:[ \t]+(?:no|nbr|#))?|itins?|itin#|itin[ \t]+no\.?)[ \t]*[:#=]?[ \t]*(?=[A-Za-z0-9$€£])",
    re.IGNORECASE)
#: what every ``_OWN_LABEL`` match starts with, in lower case (``labels_at``)
_OWN_LABEL_LITERALS = ("ssn", "s.s.n", "ss#", "soc", "itin")
#: the token right after such a label, up to a blank (a currency sign may lead it)
_LABELLED_TOKEN = re.compile(r"[$€£]?[A-Za-z0-9][A-Za-z0-9:.\-_/+,]*")
#: the same nine digits with a letter between the groups (``AAArGGtSSSS``: a reader skips
#: them), or written as an amount (``$AAA,GGS,SSS``)
_LETTER_SEPARATED = re.compile(r"(?<![0-9])([0-9]{3})[A-Za-z]([0-9]{2})[A-Za-z]([0-9]{4})(?![0-9])")
_AS_MONEY = re.compile(r"(?<=[$€£])([0-9]{3}),([0-9]{3}),([0-9]{3})(?![0-9]|,[0-9])")
#: nine digits in the token, 3-2-4 with one separator or none, after letters or zeros
#: glued before them and before letters glued after them (``AAA-GG-SSSSR5``,
#: ``6qAAA-GG-SSSS``, ``USDAAA-GG-SSSS``, ``0AAA-GG-SSSS``, ``AAA-GG-SSSST00:00:00Z``)
_GLUED_CORE = re.compile(r"(?<![1-9])0*([0-9]{3})([-.]?)([0-9]{2})\2([0-9]{4})(?![0-9])")


class _NineDigit(DLPRecognizer):
    ENTITY = ""
    #: the first characters (as written) a valid candidate can have; None: any
    FIRST: frozenset[str] | None = None

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([self.ENTITY], context=context)

    def valid(self, d: str) -> bool:
        raise NotImplementedError

    def _glued(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, digits) of a valid number in the token right after a label naming
        only this number (``_OWN_LABEL``), letters or zeros glued to it (held-out probe of
        2026-12-07: "SSN AAA-GG-SSSSR5", "SSN USDAAA-GG-SSSS", "SSN 0AAA-GG-SSSS"), a
        letter between its groups ("SSN AAArGGtSSSS") or written as an amount ("SSN
        $AAA,GGS,SSS").  A run of digits with letters glued is a code of its own where
        nothing names it (``_RUN_END``); the label right before it names the number a
        reader sees in it."""
        for t in labelled_tokens(_OWN_LABEL, _OWN_LABEL_LITERALS, _LABELLED_TOKEN, text):
            for g in _GLUED_CORE.finditer(text, t.start(), t.end()):
                digits = g.group(1) + g.group(3) + g.group(4)
                if not g.group(2) and any(ch.isalpha() for ch in text[t.start():g.start(1)]):
                    continue  # nine digits in one after letters: a code's ("RITM<9 digits>", "CHG-0...")
                if glued_to(t, g.start(1), g.end(4)) and self.valid(digits):
                    yield g.start(1), g.end(4), digits
            for rx in (_LETTER_SEPARATED, _AS_MONEY):
                for g in rx.finditer(text, t.start(), t.end()):
                    digits = g.group(1) + g.group(2) + g.group(3)
                    if self.valid(digits):
                        yield g.start(1), g.end(3), digits

    def could_match(self, text: str) -> bool:
        # analyze reports a valid candidate only when it is shaped or has a context word;
        # with no context word anywhere in the text, only a shaped one, and a run of one
        # or two groups yields no shaped candidate (``_shaped``: 3-2-4, or seven groups and
        # more): such runs (a blotter's CUSIPs and notionals) are then not built
        runs = None if self.context_anywhere(text) else _three_groups(text)
        if self.shaped_or_context_gate(text, candidates(text, NINE, self.FIRST, runs), lambda c: self.valid(c.digits),
                                       _shaped):
            return True
        if any(self._glued(text)):
            return True
        if not (("(" in text or CELL in text) and (self.context_present(text) or blank_header_table(text))):
            return False
        return any(self._bracketed(text)) or any(self._in_cells(text))

    def _in_cells(self, text: str) -> Iterator[tuple[Candidate, ContextHit]]:
        """3-2-4 groups in adjacent cells of a row labelled for this number."""
        for c in cell_candidates(text, NINE, lambda sizes: sizes == (3, 2, 4) or single_digit_cells(sizes)):
            if (c.groups == (3, 2, 4) or single_digit_cells(c.groups)) and self.valid(c.digits):
                hit = row_context(self, text, c)
                if hit is not None:
                    yield c, hit

    def _bracketed(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, digits) of the valid 3-2-4 numbers with a bracketed group."""
        out: list[tuple[int, int, str]] = []
        if _BRACKET_HINT.search(text) is None:
            return out
        for m in _BRACKETED.finditer(text):
            pairs = [(m.group(1), m.group(3)), (m.group(4), m.group(6)), (m.group(7), m.group(9))]
            if not any(o and c for o, c in pairs) or any(bool(o) != bool(c) for o, c in pairs):
                continue  # one group or more wholly in brackets, no bracket left open
            digits = m.group(2) + m.group(5) + m.group(8)
            if self.valid(digits):
                out.append((m.start(), m.end(), digits))
        return out

    def far_label(self, text: str, start: int, end: int) -> ContextHit | None:
        """A label line for a number alone on its line (det21), up to ``_FAR_LINES`` lines
        away, with no other line of six digits or more between them: before it, a line that
        is the label alone (``SSN``, ``Client SSN below``, ``her social security number:``);
        after it, one that points back (``^ that's the SSN``, ``(above: her social)``,
        ``the number above is his ssn``).  A line that says more is no label of it ("SSN
        lookup is down" then an order number)."""
        if self._context_re is None:
            return None
        ls = text.rfind("\n", 0, start) + 1
        le = text.find("\n", end)
        le = len(text) if le < 0 else le
        if text[ls:start].strip(" \t*_-:>•") or text[end:le].strip(" \t*_.,;"):
            return None  # not alone on its line
        for step in (-1, 1):
            pos = ls - 1 if step < 0 else le
            for _ in range(_FAR_LINES):
                if (step < 0 and pos <= 0) or (step > 0 and pos >= len(text)):
                    break
                if step < 0:
                    a = text.rfind("\n", 0, pos) + 1
                    line, pos = text[a:pos], a - 1
                else:
                    b = text.find("\n", pos + 1)
                    b = len(text) if b < 0 else b
                    line, pos = text[pos + 1 : b], b
                if _SIX_DIGITS.search(line):
                    break  # another number between: the label is that one's
                m = self._context_re.search(line)
                if m is None or len(line) > _FAR_LABEL_CHARS or _ANY_DIGIT_RE.search(line):
                    continue
                rest = _FAR_WORD.findall(line[: m.start()] + " " + line[m.end() :])
                words = _FAR_BEFORE_WORDS if step < 0 else _FAR_AFTER_WORDS
                if all(w.lower() in words for w in rest) and (step < 0 or _FAR_POINTER.search(line)):
                    return ContextHit(m.group(0).lower(), (a - start) if step < 0 else (pos - end))
        return None

    def personal_hit(self, text: str, start: int, end: int) -> ContextHit | None:
        """A context word naming a person's number on the same line near [start, end)."""
        if self._context_re is None:
            return None
        before, after = _PERSONAL_REACH
        lo = max(0, start - before)
        nl = text.rfind("\n", lo, start)
        lo = nl + 1 if nl >= 0 else lo
        hi = min(len(text), end + after)
        nl = text.find("\n", end, hi)
        hi = nl if nl >= 0 else hi
        for m in self._context_re.finditer(text, lo, hi):
            if (m.end() <= start or m.start() >= end) and _PERSONAL.match(m.group(0)):
                return ContextHit(m.group(0).lower(), m.start() - start if m.end() <= start else m.start() - end)
        return None

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for c in candidates(text, NINE):
            if not self.valid(c.digits):
                continue
            hit = self.context_hit(text, c.start, c.end)
            if hit is not None and hit.distance < 0 and _lines_apart(text, c.start + hit.distance, c.start):
                # "SSN questions go to ops\nthanks\n--\n657724882": a word two lines up or
                # more names this number only from a line that is its label (far_label)
                hit = None
            if hit is None and "\n" in text:
                # a label line above the number alone on its line, or a heading over a list
                # of "name number" lines (recognizers/_headings.py)
                hit = self.far_label(text, c.start, c.end) or heading_label(text, c.start, c.end, self._context_re)
            if hit is not None and not _PERSONAL.match(hit.word):
                # "tax id 53-6228710 (her SSN)": a word for a person's number also near
                hit = self.personal_hit(text, c.start, c.end) or hit
            if percent_escapes(text, c) or (reads_as_list(c, text) and not list_intended(text, c, hit)
                                            and not _ssn_led(text, c, hit)):
                continue  # "fills: 53 6 2 2 87 1 0": short numbers side by side (recognizers/_lists.py)
            if hit is not None and hit.distance < 0 and c.is_bare and read_as_measure(
                    text, c.start, c.end, c.start + hit.distance):
                continue  # "SSN validation processed N rows", "SSN remediation cost: $N.00": a measure
            if _ein_shaped(c) and (hit is None or not _labels_it(text, c, self._context_re) or _named_an_ein(text, c)):
                # 12-3456789 is the IRS's EIN format: a person's number only under a word
                # naming one right before it, with no word naming an EIN on the line before
                continue
            if hit is not None and hit.distance > 0 and labelled_as_reference(text, c):
                continue  # "Re case N: client's SSN card copy received": the case's number
            if hit is not None and not _PERSONAL.match(hit.word) and _company_ein(text, c):
                continue  # "issuer Acme Capital LLC federal tax ID N": the company's EIN (tax.py)
            if (hit is not None and not _PERSONAL.match(hit.word) and c.groups not in ((3, 2, 4), (9,))
                    and not c.split_digits):
                continue  # "tax id# ... DUNS 07-123-4567": another grouping needs a word for a person's number
            base = _shaped(c)
            if base and hit is None and _apart(text, c):
                continue  # a row or a column of numbers written apart: an SSN only with a word naming it
            if base and hit is None and _chained_id(text, c) and _reference_on_line(text, c):
                # "exec ref AAA-GG-SSSS-A": one group of a longer hyphenated id its line names
                # as a reference (atk25r E2: unnamed, "Jane Doe AAA-GG-SSSS-A", "A-AAA-GG-SSSS",
                # a file "W2 JANE DOE AAA-GG-SSSS-A.pdf" are an SSN with a tag added)
                continue
            if base and hit is None and (_version_like(text, c) or glued_reference(text, c)):
                continue  # "build 107.82.1172", "order xAAA-GG-SSSS": a reference with a letter glued
            if (base and hit is None and c.uniform_sep != "-" and named_as_reference(text, c, units=True, generic=False)
                    and not word_on_line(self._context_re, text, c.start, c.end, 60)):
                continue  # "ref 360 78 2695", "levels 899.75.9149", "266 34 3119 contracts": named otherwise
            if base and hit is None and _round_quantities(text, c):
                continue  # "3 lots: 125-50-2000", "filled 250 10 5000": round sizes side by side
            if hit is not None and not base and _named_other(text, c) and not (
                    c.is_bare and closely_labelled(text, c.start, c.end, hit, PERSON_NUMBER_WORDS)):
                # "last four SSN 8710, 53622 (zip)": the last four, then a zip code ("SSN
                # ticket N", nine digits in one, close after a word naming only them, is the SSN)
                continue
            if hit is not None:
                score = 0.95 if base else 0.9
            elif base:
                score = base
            else:
                continue
            pattern = "3-2-4" if base else ("spaced-digits" if c.split_digits else ("9-digits" if c.is_bare else "grouped-digits"))
            out.append(
                self.result(self.ENTITY, c.start, c.end, score, pattern, self.VALIDATION, hit, lookalike_note(c))
            )
        if CELL in text and (self.context_present(text) or blank_header_table(text)):
            for c, hit in self._in_cells(text):
                out.append(self.result(self.ENTITY, c.start, c.end, 0.9, "3-2-4-in-cells", self.VALIDATION, hit))
        for start, end, _digits in self._glued(text):
            out.append(self.result(self.ENTITY, start, end, 0.9, "glued-to-its-label", self.VALIDATION,
                                   ContextHit("label", -1)))
        if "(" in text:
            for start, end, _digits in self._bracketed(text):
                hit = self.context_hit(text, start, end)
                if hit is not None and not _PERSONAL.match(hit.word):
                    hit = self.personal_hit(text, start, end)
                if hit is not None:
                    out.append(self.result(self.ENTITY, start, end, 0.9, "bracketed-3-2-4", self.VALIDATION, hit))
        return out

    VALIDATION = ""


class SsnRecognizer(_NineDigit):
    ENTITY = US_SSN
    VALIDATION = "ssa-area-group-serial"
    DEFAULT_CONTEXT = (
        "ssn", "s s n", "ssns", "ss#", "ss #", "ssn#", "social", "social security", "soc sec", "ss no", "ss num",
        "tax id", "taxpayer id", "tin", "ssa", "social sec", "s.s.n", "s.s. no", "s.s. #", "socsec", "ssn no", "ssn nbr",
        "soc sec #", "soc sec no", "soc #", "soc no", "ss number", "ss nbr", "social #", "snn", "snn#",
        *TAXPAYER_ID_LABELS, "soc", "social security number", "socialsecurity", "socialsecuritynumber",
        # the Social Security Account Number (the SSA's own older name), the card, the plural
        "ssan", "ss card", "social security card", "tins",
        # a phrase's words may stand together ("social~security~no" reads "socialsecurityno")
        "social security no", "social security nbr", "social security num", "soc sec nbr", "soc sec num",
        # what else names a person's nine digits (held-out probe of 2026-12-06, class F): the
        # IRS form that asks for it, a KYC or government id, Canada's social insurance number
        "w9", "w-9", "kyc id", "gov id", "government id", "sin#", "sin no", "social insurance number",
        *NATIONAL_ID_LABELS,
        # held-out probe 5 of 2026-12-07: slang, the IRS notice of a wrong TIN, and the
        # form a TIN is reported under ("1099 issued under N"; a column headed "Form 1099"
        # names a form, not a number)
        "sosh", "soc-sec", "b-notice", "b notice", "1099 issued under", "1099 under", "1099 tin",
    )
    FUZZY = ("social", "security")

    def valid(self, d: str) -> bool:
        return ssn_valid(d)


class ItinRecognizer(_NineDigit):
    ENTITY = US_ITIN
    VALIDATION = "itin-group-range"
    DEFAULT_CONTEXT = ("itin", "itin#", "itin no", "individual taxpayer", "taxpayer id", "tax id", "tin", "ssn",
                       "social security", "w-7", *TAXPAYER_ID_LABELS, "individual taxpayer identification number")
    FUZZY = ("itin", "social", "security")
    #: an ITIN starts with 9 (a look-alike letter reads as 0 or 1)
    FIRST = frozenset("9")

    def valid(self, d: str) -> bool:
        return itin_valid(d)
