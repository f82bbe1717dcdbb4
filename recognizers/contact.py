"""EMAIL_ADDRESS and PHONE_NUMBER (informational for the default policy).

Email validation is syntactic (no public-suffix lookup: tldextract would fetch
its list from the network).  Phones: NANP numbers in the usual written forms
(area code and exchange 2-9XX) and E.164-style international numbers.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.detect import gatescan
from dlp_proxy.model import EMAIL_ADDRESS, PHONE_NUMBER
from dlp_proxy.recognizers._common import DLPRecognizer

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])"
)
_NANP_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?1[ .-]?)?(?:\(([2-9][0-9]{2})\)\s?|([2-9][0-9]{2})[ .-])([2-9][0-9]{2})[ .-]([0-9]{4})(?![0-9])"
)
_BARE_RE = re.compile(r"(?<![0-9A-Za-z])(?:\+?1)?([2-9][0-9]{2}[2-9][0-9]{6})(?![0-9A-Za-z])")
#: Necessary conditions, searched first: every ``_NANP_RE`` match holds its exchange and
#: line number, every ``_BARE_RE`` match its ten digits.  A leading character class lets
#: the regex engine skip ahead (a leading lookbehind is tried at every position): ~5x
#: cheaper than the full patterns on a file window without a phone number.
_NANP_CORE_RE = re.compile(r"[2-9][0-9]{2}[ .-][0-9]{4}")
_BARE_CORE_RE = re.compile(r"[2-9][0-9]{2}[2-9][0-9]{6}")
#: Every ``_INTL_RE`` match starts with ``+``, a country code and at least one more digit.
_INTL_CORE_RE = re.compile(r"\+[1-9][0-9]{0,2}[ .-]?\(?[0-9]")
_INTL_RE = re.compile(r"(?<![0-9A-Za-z+])\+(?!1[ .-]?[2-9])[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){2,5}(?![0-9])")
gatescan.register(_EMAIL_RE, _NANP_RE, _BARE_RE, _INTL_RE)


class EmailAddressRecognizer(DLPRecognizer):
    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([EMAIL_ADDRESS], context=context)

    def could_match(self, text: str) -> bool:
        return "@" in text and gatescan.search(_EMAIL_RE, text)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        return [
            self.result(EMAIL_ADDRESS, m.start(), m.end(), 0.9, "email", "syntax")
            for m in _EMAIL_RE.finditer(text)
            if ".." not in m.group(0)
        ]


class PhoneNumberRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = ("phone", "tel", "telephone", "cell", "mobile", "call", "fax", "text me", "reach me", "number", "ph")

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([PHONE_NUMBER], context=context)

    def could_match(self, text: str) -> bool:
        # NANP and E.164 forms are reported without context, a bare ten digits only with it
        return (
            (gatescan.may_search(_NANP_RE, text) and _NANP_CORE_RE.search(text) is not None
             and _NANP_RE.search(text) is not None)
            or (gatescan.may_search(_INTL_RE, text) and _INTL_CORE_RE.search(text) is not None
                and _INTL_RE.search(text) is not None)
            or (gatescan.may_search(_BARE_RE, text) and _BARE_CORE_RE.search(text) is not None
                and _BARE_RE.search(text) is not None and self.context_anywhere(text))
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out = []
        for m in _NANP_RE.finditer(text):
            hit = self.context_hit(text, m.start(), m.end(), negative=False)
            out.append(self.result(PHONE_NUMBER, m.start(), m.end(), 0.8 if hit else 0.6, "nanp", "area+exchange", hit))
        for m in _BARE_RE.finditer(text):
            hit = self.context_hit(text, m.start(), m.end(), before=30, after=0, negative=False)
            if hit is not None:
                out.append(self.result(PHONE_NUMBER, m.start(), m.end(), 0.6, "nanp-bare", "area+exchange", hit))
        for m in _INTL_RE.finditer(text):
            digits = sum(c.isdigit() for c in m.group(0))
            if 8 <= digits <= 15:
                hit = self.context_hit(text, m.start(), m.end(), negative=False)
                out.append(self.result(PHONE_NUMBER, m.start(), m.end(), 0.7 if hit else 0.5, "e164", "length", hit))
        return out
