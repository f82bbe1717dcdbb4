"""Calendar dates written with the month's name: one token, whose digits are no digit
group of an identifier.

``27 Jan 2024``, ``11-JUL-2024``, ``Jan 12 2024``, ``March 3rd, 2025``: a day, a month's
name and a four-digit year.  The digit-joining readings left the date's digits free:
"SSN/TIN certification due 27 Jan 2024, 538 outstanding" was read as an SSN from the day,
the year and the count after it (held-out probe of 2026-12-07, 38 of 200 such lines
stopped).  The filler reading (``filler._NOT_GROUP``) and the structural tokens
(recognizers/_structure.py ``cuts``) both take ``MONTH_DATE`` as a token of its own.
"""

from __future__ import annotations

import re

from dlp_proxy.detect import gatescan

#: the months' first three letters, in order
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: a month's name, short or whole (lower case; the patterns using it are case-insensitive)
MONTH_NAME = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
              r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_MONTH = rf"(?:{MONTH_NAME})\.?(?![a-z])"
#: a day, its month's name, a four-digit year (day first, or month first); at most three
#: blanks, dashes or a comma between them
MONTH_DATE = re.compile(
    rf"(?i)(?<![0-9])[0-3]?[0-9](?:st|nd|rd|th)?[ \t-]{{0,3}}(?<![a-z]){_MONTH}[ \t,-]{{0,3}}(?:19|20)[0-9]{{2}}(?![0-9])"
    rf"|(?<![a-z]){_MONTH}[ \t-]{{0,3}}[0-3]?[0-9](?:st|nd|rd|th)?[ \t,-]{{0,3}}(?:19|20)[0-9]{{2}}(?![0-9])")


def _caseless(word: str) -> str:
    """``word`` matched in either case by character classes (``[Jj][Aa][Nn]``): one pattern
    for ``re`` and Hyperscan alike."""
    return "".join(f"[{c.upper()}{c.lower()}]" for c in word)


_MONTH3 = "(?:" + "|".join(_caseless(m) for m in MONTHS) + ")"
#: where ``MONTH_DATE`` can match (its alternatives' starts without lookarounds), for
#: ``gatescan.finditer``: a day's digits and a month's first three letters, or those
#: letters and a digit
MONTH_DATE_LEAD = re.compile(rf"[0-9]{{1,2}}(?:[A-Za-z]{{2}})?[ \t-]{{0,3}}{_MONTH3}|{_MONTH3}[A-Za-z.]{{0,7}}[ \t-]{{0,3}}[0-9]")
#: what a text with a ``MONTH_DATE`` holds: a month's first three letters (the one pass
#: reads a case-insensitive literal alternation exactly)
MONTH_HINT = re.compile("(?i)" + "|".join(MONTHS))
gatescan.register(MONTH_HINT)
gatescan.register_spans(MONTH_DATE_LEAD, 16)  # its longest match


def month_dates(text: str, pos: int = 0, endpos: int | None = None) -> list[re.Match[str]]:
    """``MONTH_DATE``'s matches in ``text[pos:endpos]``."""
    if not gatescan.may_search(MONTH_HINT, text):
        return []  # (a month's letters are in most prose, "may", "market": the lead's scan decides)
    return gatescan.finditer(MONTH_DATE, MONTH_DATE_LEAD, text, pos, endpos)
