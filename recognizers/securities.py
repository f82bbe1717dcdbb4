"""CUSIP and ISIN: securities identifiers (informational).

They are recognized so that a discussion of a bond or a fund is not mistaken
for an account: the engine drops account and phone findings that overlap a
validated CUSIP/ISIN.  A nine-digit CUSIP without letters needs the word
CUSIP nearby (otherwise it is just a nine-digit number).
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.detect import gatescan
from dlp_proxy.model import CUSIP, ISIN
from dlp_proxy.recognizers._common import DLPRecognizer

_CUSIP_RE = re.compile(r"(?<![A-Za-z0-9])[0-9]{3}[0-9A-Z*@#]{5}[0-9](?![A-Za-z0-9])")
_ISIN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9A-Z]{9}[0-9](?![A-Za-z0-9])")
gatescan.register(_CUSIP_RE, _ISIN_RE)


def _cval(c: str) -> int:
    if c.isdigit():
        return int(c)
    if c.isalpha():
        return ord(c) - 55
    return {"*": 36, "@": 37, "#": 38}[c]


def _digit_sums(weight: int) -> dict[str, int]:
    """Per ASCII character of a CUSIP, the digit sum of its value times ``weight``."""
    out = {}
    for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz*@#":
        v = _cval(c) * weight
        out[c] = v // 10 + v % 10
    return out


#: ``cusip_valid``'s sums for the even and odd positions, looked up (every numeric
#: CUSIP of a blotter, and every nine-digit candidate in trade talk, is checked)
_SUMS = (_digit_sums(1), _digit_sums(2))


def cusip_valid(s: str) -> bool:
    if len(s) != 9 or not s[-1].isdigit():
        return False
    even, odd = _SUMS
    try:
        total = (even[s[0]] + odd[s[1]] + even[s[2]] + odd[s[3]] + even[s[4]] + odd[s[5]] + even[s[6]]
                 + odd[s[7]])
    except KeyError:
        return _cusip_valid(s)  # a character outside the table: computed as it was
    return (10 - total % 10) % 10 == int(s[-1])


def _cusip_valid(s: str) -> bool:
    total = 0
    for i, c in enumerate(s[:8]):
        v = _cval(c)
        if i % 2 == 1:
            v *= 2
        total += v // 10 + v % 10
    return (10 - total % 10) % 10 == int(s[-1])


def isin_valid(s: str) -> bool:
    if len(s) != 12 or not s[:2].isalpha() or not s[-1].isdigit():
        return False
    digits = "".join(str(int(c, 36)) for c in s[:11])
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(s[-1])


# An account label right before a nine-digit number: it is the account, even when its
# digits happen to carry a valid CUSIP check digit (one number in ten does).
_ACCOUNT_RIGHT_BEFORE = re.compile(r"(?:acct|account|a/c)\W{0,3}(?:no\.?|number|nbr|#)?\W{0,3}$", re.IGNORECASE)


class CusipCodeRecognizer(DLPRecognizer):
    """CUSIPs with letters are reported on their check digit; all-digit ones only with a
    securities or trade word around ("bot 25,000 037833100 @ 99.5", "CUSIP ...")."""

    DEFAULT_CONTEXT = ("cusip", "cusips", "security id", "bond", "bonds", "notes", "muni", "fund", "shares", "sh", "shs",
                       "buy", "bot", "bght", "bought", "sell", "sold", "sld", "bid", "offer", "px", "par", "qty", "settled",
                       "@", "x", "allocating", "book", "security")

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([CUSIP], context=context)

    def could_match(self, text: str) -> bool:
        return gatescan.may_search(_CUSIP_RE, text) and any(cusip_valid(m.group(0)) for m in _CUSIP_RE.finditer(text))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out = []
        for m in _CUSIP_RE.finditer(text):
            s = m.group(0)
            if not cusip_valid(s):
                continue
            hit = self.context_hit(text, m.start(), m.end(), negative=False)
            if s.isdigit() and (hit is None or _ACCOUNT_RIGHT_BEFORE.search(text, max(0, m.start() - 20), m.start())):
                continue
            out.append(self.result(CUSIP, m.start(), m.end(), 0.9 if hit else 0.6, "cusip", "cusip-check-digit", hit))
        return out


class IsinCodeRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = ("isin", "security", "bond", "fund", "etf")

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([ISIN], context=context)

    def could_match(self, text: str) -> bool:
        return gatescan.may_search(_ISIN_RE, text) and any(isin_valid(m.group(0)) for m in _ISIN_RE.finditer(text))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out = []
        for m in _ISIN_RE.finditer(text):
            if not isin_valid(m.group(0)):
                continue
            hit = self.context_hit(text, m.start(), m.end(), negative=False)
            out.append(self.result(ISIN, m.start(), m.end(), 0.9 if hit else 0.8, "isin", "isin-check-digit", hit))
        return out
