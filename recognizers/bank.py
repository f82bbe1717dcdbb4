"""ABA_ROUTING_NUMBER and US_BANK_NUMBER (bank and brokerage accounts).

Routing numbers: nine digits, ABA checksum (3-7-1 weights), Federal Reserve
prefix 00-12, 21-32, 61-72 or 80, and a routing word nearby (required: too many
nine-digit numbers pass the checksum by chance).

Account numbers have no checksum, so they are reported only next to an account
word: a strong label (``acct``, ``account number``, ``a/c``, ``brokerage
account``...) within 40 characters, or the bare word ``account`` within 15.
Numbers that look like amounts, phone numbers or dates are not accounts.
Firm-specific formats (which need no context) come from config/recognizers.yaml
``account_formats`` through ``FirmAccountRecognizer``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.model import ABA_ROUTING_NUMBER, US_BANK_NUMBER
from recognizers._common import (
    NINE,
    Candidate,
    ContextProbe,
    DLPRecognizer,
    candidates,
    context_regex,
    find_context,
    lookalike_note,
    may_have_candidates,
)

_ACCOUNT_LENGTHS = frozenset(range(6, 18))


def aba_valid(d: str) -> bool:
    if len(d) != 9 or not d.isdigit() or len(set(d)) == 1:
        return False
    p = int(d[:2])
    if not (p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80):
        return False
    w = (3, 7, 1) * 3
    return sum(int(c) * k for c, k in zip(d, w, strict=True)) % 10 == 0


class RoutingNumberRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = (
        "routing", "routing number", "routing no", "routing #", "aba", "aba#", "rtn", "transit", "r/t", "rt#",
        "rtg", "wire", "ach", "fedwire", "bank routing",
    )

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([ABA_ROUTING_NUMBER], context=context)

    def could_match(self, text: str) -> bool:
        # a checksum-valid nine-digit candidate and (required) a routing word
        return (may_have_candidates(text, NINE) and self.context_anywhere(text)
                and any(aba_valid(c.digits) for c in candidates(text, NINE)))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for c in candidates(text, NINE):
            if not aba_valid(c.digits):
                continue
            hit = self.context_hit(text, c.start, c.end, before=60)
            if hit is None:
                continue
            out.append(
                self.result(ABA_ROUTING_NUMBER, c.start, c.end, 0.9, "9-digits", "aba-checksum+prefix", hit,
                            lookalike_note(c))
            )
        return out


_CURRENCY_BEFORE = re.compile(r"(?:[$€£¥]|usd|eur|gbp|\$\s?)\s*$", re.IGNORECASE)
_AMOUNT_AFTER = re.compile(
    r"^\s*(?:%|k\b|m\b|mm\b|bn\b|bps\b|shares?\b|units?\b|usd\b|dollars?\b|eur\b|pts\b|points\b|lots?\b|contracts?\b|x\b)",
    re.IGNORECASE,
)
# Words between an account label and a number that make the number an amount or a count.
_AMOUNT_WORDS = re.compile(
    r"(?<![a-z])(?:count|counts|number of|balance|value|valued|equity|worth|total|totals|grew|grown|gained|gain|lost|loss|up|down|by|aum|nav|"
    r"cash|paid|pays|fee|fees|price|cost|amount|limit|of|size|exposure|pnl|p&l|income|"
    r"revenue|sales|spent|owes|owed|due|over|under|about|around|approx|approximately|roughly|nearly|almost)(?![a-z])",
    re.IGNORECASE,
)
STRONG_ACCOUNT = (
    "acct", "acct#", "acct no", "acct num", "account number", "account no", "account num", "account #",
    "account#", "a/c", "acc no", "acc#", "brokerage account", "brokerage acct", "checking account",
    "savings account", "checking acct", "savings acct", "checking #", "savings #", "dda", "ira account", "ira", "roth", "401k account",
    "beneficiary account", "credit to account", "deposit account", "custody account", "bank account",
    "account ending", "acct ending", "account ending in", "margin account", "cash account", "sweep account",
    "wire to account", "account ID",
)
WEAK_ACCOUNT = ("account", "checking", "savings", "accnt", "acc", "brokerage", "custody")


_PHONE_WORDS = re.compile(r"(?<![a-z])(?:phone|call|dial|desk|tel|cell|mobile|fax|ext|reach|text)(?![a-z])", re.I)


def _yyyymmdd(d: str) -> bool:
    if len(d) != 8 or d[:2] not in ("19", "20"):
        return False
    m, day = int(d[4:6]), int(d[6:])
    return 1 <= m <= 12 and 1 <= day <= 31


def _nanp10(d: str) -> bool:
    return len(d) == 10 and d[0] in "23456789" and d[3] in "23456789"


def _phone_like(c: Candidate, text: str) -> bool:
    if c.groups in ((3, 3, 4), (3, 4)) and c.uniform_sep in ("-", ".", " "):
        return True
    return (c.start > 0 and text[c.start - 1] == ")") or (c.start > 0 and text[max(0, c.start - 6) : c.start].rstrip().endswith(")"))


def _date_like(c: Candidate) -> bool:
    return c.uniform_sep in ("/", "-", ".") and len(c.groups) == 3 and (
        (c.groups[0] <= 2 and c.groups[1] <= 2) or (c.groups[0] == 4 and c.groups[1] <= 2)
    )


class AccountNumberRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = STRONG_ACCOUNT

    def __init__(self, context: list[str] | None = None, weak_context: Sequence[str] = WEAK_ACCOUNT) -> None:
        super().__init__([US_BANK_NUMBER], context=context)
        self._weak_re = context_regex(list(weak_context))
        self._weak_probe = ContextProbe(list(weak_context))

    @staticmethod
    def _number_like(c: Candidate, text: str) -> bool:
        """The candidate may be an account number (before any context check)."""
        d = c.digits
        if len(set(d)) == 1 or d.endswith("0000") or (c.lookalikes and not c.is_bare):
            return False
        if not (c.whole_run or c.split_digits):
            return False
        if not c.split_digits and sum(1 for g in c.groups[:-1] if g < 3) >= 2:
            return False  # "48 221 39 77" is a list of numbers, not one account number
        if _phone_like(c, text) or _date_like(c):
            return False
        if "." in c.seps and c.groups[-1] == 2:  # 12345.67 is money
            return False
        return not (
            _CURRENCY_BEFORE.search(text[max(0, c.start - 5) : c.start]) or _AMOUNT_AFTER.match(text[c.end : c.end + 12])
        )

    def could_match(self, text: str) -> bool:
        # a strong or a weak account word (one is required), then a number-like candidate
        if not (self.context_anywhere(text) or self._weak_probe(text)):
            return False
        return any(self._number_like(c, text) for c in candidates(text, _ACCOUNT_LENGTHS))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        taken: list[tuple[int, int]] = []
        for c in sorted(candidates(text, _ACCOUNT_LENGTHS), key=lambda c: (c.start, -(c.end - c.start))):
            # candidates come in start order and the taken spans are disjoint, so only the
            # last one can reach this candidate (one comparison, not one per finding so far)
            if taken and taken[-1][0] < c.end and c.start < taken[-1][1]:
                continue
            if not self._number_like(c, text):
                continue
            d = c.digits
            hit = self.context_hit(text, c.start, c.end, before=40, after=25)
            if hit is None:
                hit = find_context(text, c.start, c.end, self._weak_re, before=15, after=0)
                if hit is not None and (
                    _yyyymmdd(d) or (_nanp10(d) and _PHONE_WORDS.search(text[max(0, c.start - 40) : c.start]))
                ):
                    continue  # "account opened 20240115", "account desk 2125550143"
            if hit is None:
                continue
            if hit.distance < 0 and _AMOUNT_WORDS.search(text[c.start + hit.distance : c.start]):
                continue  # "account value 2485533": an amount, not an account number
            taken.append((c.start, c.end))
            out.append(
                self.result(US_BANK_NUMBER, c.start, c.end, 0.8, f"{len(d)}-digits", "context-gated", hit,
                            lookalike_note(c))
            )
        return out


class FirmAccountRecognizer(DLPRecognizer):
    """Account formats the compliance team declares in config/recognizers.yaml::

        account_formats:
          - name: brokerage-account
            regex: '\\b[A-Z]{2}[0-9]{3}-[0-9]{5}\\b'
            score: 0.9
            context_required: false
    """

    def __init__(self, formats: Sequence[Mapping[str, Any]], context: list[str] | None = None) -> None:
        super().__init__([US_BANK_NUMBER], name="FirmAccountRecognizer", context=context or list(STRONG_ACCOUNT + WEAK_ACCOUNT))
        self.formats: list[tuple[str, re.Pattern[str], float, bool]] = []
        for i, f in enumerate(formats):
            try:
                name = str(f.get("name") or f"format-{i}")
                rx = re.compile(str(f["regex"]))
                score = float(f.get("score", 0.9))
                required = bool(f.get("context_required", False))
            except (KeyError, re.error, TypeError, ValueError) as exc:
                raise ValueError(f"account_formats[{i}]: {exc}") from exc
            self.formats.append((name, rx, score, required))

    @property
    def patterns(self) -> list[re.Pattern[str]]:
        return [rx for _, rx, _, _ in self.formats]

    def could_match(self, text: str) -> bool:
        return any(rx.search(text) for _, rx, _, _ in self.formats)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for name, rx, score, required in self.formats:
            for m in rx.finditer(text):
                hit = self.context_hit(text, m.start(), m.end(), before=40, after=20)
                if required and hit is None:
                    continue
                out.append(self.result(US_BANK_NUMBER, m.start(), m.end(), score, f"firm-format:{name}", "regex", hit))
        return out
