"""Tokens whose digits belong together, and never with their neighbours.

A digit run (``_common.digit_runs``) joins groups across separators; some
structures must not be joined with what is around them, however the separators
between digit groups are read:

* FIX tag=value messages (``35=D|49=BRKR|38=5000|44=150.25``): each value is one
  field; a candidate never takes digits from two fields, nor the tag with its value;
* timestamps and clock times (``14:30:15.123``, ``20241203-14:30:15.123``,
  ``2024-12-03T14:30:15Z``): one token, its date and its clock time apart;
* dotted version and build numbers of three or more parts (``10.4.12.1``,
  ``4.12.7.1893``): one token, never fused with the number after it;
* calendar dates with a four-digit year (``2024-11-19``, ``11/19/2024``, ``27 Jan 2024``,
  ``Jan 12, 2024``: ``dates.MONTH_DATE``): one token, so the end of a CSV row's date and
  the next row's id are never one number, nor a date's day and year with a count after it;
* amounts and quantities with thousands separators (``25,676``, ``4,512,000.50``): one
  token, never fused with the CUSIP or id after them;
* prices (``at 100.00``, ``@ 99.5``, ``$12.125``, ``px 101.5``: a decimal after ``at``,
  ``@``, ``px``, ``price`` or ``$``; a bare ``536.22 1234`` may be an SSN written with two
  marks): one token, so a routing or account number read across numbers never takes a
  price's cents ("at 100.00, 9998 left");
* percentages with a fraction (``0.25%``, ``12,5%``): one token, never the last group
  of a number read across the numbers before them.

``cuts(text)`` gives the positions where such a token starts or ends (or a FIX
field's value starts); ``fused(text, start, end)`` is True when a candidate
span has a cut strictly inside it.  Most texts have no ``=`` after a digit, no
``:`` between digits and no dotted triple: the cut set is then empty and
computed with three C-speed searches, once per text (cached).
"""

from __future__ import annotations

import bisect
import functools
import re

from dlp_proxy.detect import gatescan
from dlp_proxy.detect.dates import month_dates

# A FIX field: a 1-4 digit tag, "=", the value (up to the next field delimiter), which
# holds a letter or digit: "536=^22=^8710" (a superscript equals and a caret between an
# SSN's groups) is no FIX message, its "values" are empty.
# (a table's cell and row marks, U+001F and U+001E, are field separators too: a FIX message
# pasted with `` |`` between fields is marked as a table row, detect/structure.py)
_FIX_FIELD = re.compile(r"(?:(?<=[\x01|^ ;,\t\x1e\x1f])|^)([0-9]{1,4})=([^\x01|^ ;,\t\n\x1e\x1f]*?[0-9A-Za-z]"
                        r"[^\x01|^ ;,\t\n\x1e\x1f]*)", re.MULTILINE)
_FIX_HINT = re.compile(r"[0-9]=[^\x01|^ ;,\t\n\x1e\x1f]*[\x01|^ ;,\t\x1e\x1f]+[0-9]{1,4}=")
# Clock times with optional seconds/fraction; a date glued before one (20241203-, 2024-12-03T)
# belongs to it.  The hints are literal-led searches that rule most texts out cheaply.
_TIME_HINT = re.compile(r"[0-9]:[0-9]{2}")
# (Digit-led patterns check the character before their first digit after it: ``re`` then
# skips to digits, where a leading lookbehind is tried at every position.)
_CLOCK = re.compile(r"[0-9](?<![0-9][0-9])[0-9]?:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?Z?(?![0-9])")
_DATE_BEFORE = re.compile(r"(?<![0-9])(?:[0-9]{8}[-T ]|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ])$")
# Calendar dates with a four-digit year (2024-11-19, 11/19/2024): the end of one CSV row's
# date and the next row's id are not one number ("11-19\n10131" read as a routing number).
_DATE_HINT = re.compile(r"-[01][0-9]-|/(?:19|20)[0-9]{2}")
# (Digit-led: each alternative goes on after the first digit, which a lookbehind names.)
_DATE = re.compile(
    r"[0-9](?<![0-9][0-9])(?:(?:(?<=1)9|(?<=2)0)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:(?<=0)[1-9]|(?<=[1-9])|(?<=1)[0-2])/(?:0?[1-9]|[12][0-9]|3[01])/(?:19|20)[0-9]{2})(?![0-9])"
)
# Amounts and quantities with thousands separators (25,676; 4,512,000.50): one token, so a
# CUSIP or an id after a share quantity never takes the quantity's digits, whatever
# separators the digit runs accept.
_THOUSANDS_HINT = re.compile(r"[0-9],[0-9]{3}")
_THOUSANDS = re.compile(r"[0-9](?<![0-9,.][0-9])[0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9]|,[0-9])")
# Percentages with a fraction (0.25%, 12.5%): one token, so an identifier read across
# numbers ("4411 8710 3301 0.25% today") never takes the integer part of a rate.
_PERCENT_HINT = re.compile(r"[.,][0-9]{1,4}%")
_PERCENT = re.compile(r"[0-9](?<![0-9.,][0-9])[0-9]{0,2}[.,][0-9]{1,4}%")
# Prices: a decimal after a price mark (not part of a dotted or thousands-grouped number; an
# integer after one may be a group: "ssn@536-22-1234").
_PRICE_HINT = re.compile(r"(?:[@$]|px|price|at)[ \t]*[0-9]{1,7}\.[0-9]")
_PRICE = re.compile(
    r"(?:[@$]|(?<![A-Za-z])(?:px|price|at)(?![A-Za-z]))[ \t]*([0-9]{1,7}\.[0-9]{1,4})(?![0-9]|[.,][0-9])"
)
# Three or more dot-separated numeric parts.
_DOTTED_HINT = re.compile(r"\.[0-9]{1,6}\.")
_DOTTED = re.compile(r"[0-9](?<![0-9.][0-9])[0-9]{0,4}(?:\.[0-9]{1,6}){2,}(?![0-9])")


#: the hints are searched in the one Hyperscan pass of every gate (detect/gatescan.py):
#: a text with no hit skips the hint's own search (most texts have none of them)
gatescan.register(_FIX_HINT, _TIME_HINT, _DATE_HINT, _THOUSANDS_HINT, _PERCENT_HINT, _PRICE_HINT, _DOTTED_HINT)
#: where each token's pattern can match: each matches at every position where its pattern
#: matches (the pattern without its lookarounds, its lookbehind-named digits read as any),
#: and the pattern is tried only inside the leads' spans (``gatescan.finditer``: the same
#: matches as ``finditer`` over the whole text, without trying every position in Python's ``re``)
#: (with the length of their longest match)
_CLOCK_LEAD = re.compile(r"[0-9]{1,2}:[0-9]{2}")
_DATE_LEAD = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}")
_THOUSANDS_LEAD = re.compile(r"[0-9]{1,3},[0-9]{3}")
_PERCENT_LEAD = re.compile(r"[0-9]{1,3}[.,][0-9]{1,4}%")
_DOTTED_LEAD = re.compile(r"[0-9]{1,5}\.[0-9]{1,6}\.[0-9]")
LEADS = ((_CLOCK_LEAD, 5), (_DATE_LEAD, 10), (_THOUSANDS_LEAD, 7), (_PERCENT_LEAD, 9), (_DOTTED_LEAD, 14))
for _lead, _longest in LEADS:
    gatescan.register_spans(_lead, _longest)


@functools.lru_cache(maxsize=256)
def cuts(text: str) -> tuple[int, ...]:
    out: set[int] = set()
    if "=" in text and gatescan.search(_FIX_HINT, text):
        for m in _FIX_FIELD.finditer(text):
            out.add(m.start(1))  # the tag starts a field
            out.add(m.start(2))  # the value is its own token
            out.add(m.end(2))
    if gatescan.search(_TIME_HINT, text):
        for m in gatescan.finditer(_CLOCK, _CLOCK_LEAD, text):
            out.add(m.start())  # a date glued to the time is a date, the time a time
            out.add(m.end())
            d = _DATE_BEFORE.search(text, max(0, m.start() - 11), m.start())
            if d is not None:
                out.add(d.start())
    if gatescan.search(_DATE_HINT, text):
        for m in gatescan.finditer(_DATE, _DATE_LEAD, text):
            out.add(m.start())
            out.add(m.end())
    for m in month_dates(text):  # ``27 Jan 2024``, ``Jan 12 2024``: its day and year are no group
        out.add(m.start())
        out.add(m.end())
    if gatescan.search(_THOUSANDS_HINT, text):
        for m in gatescan.finditer(_THOUSANDS, _THOUSANDS_LEAD, text):
            out.add(m.start())
            out.add(m.end())
    if gatescan.search(_PERCENT_HINT, text):
        for m in gatescan.finditer(_PERCENT, _PERCENT_LEAD, text):
            out.add(m.start())
            out.add(m.end())
    if gatescan.search(_PRICE_HINT, text):
        for m in _PRICE.finditer(text):
            out.add(m.start(1))
            out.add(m.end(1))
    if gatescan.search(_DOTTED_HINT, text):
        for m in gatescan.finditer(_DOTTED, _DOTTED_LEAD, text):
            out.add(m.start())
            out.add(m.end())
    return tuple(sorted(out))


def fused(text: str, start: int, end: int) -> bool:
    """A structural token boundary lies strictly inside [start, end)."""
    cs = cuts(text)
    if not cs:
        return False
    i = bisect.bisect_right(cs, start)
    return i < len(cs) and cs[i] < end
