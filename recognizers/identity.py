"""US_PASSPORT, US_DRIVER_LICENSE and DATE_OF_BIRTH: all context-gated.

Passport: nine digits, or a letter and eight digits (next-generation book).
Driver's license: the state formats are too varied to validate; a short list of
shapes (letters then 4-14 digits, 7-12 digits, Florida/Illinois dashed forms)
next to a license word.  Date of birth: a real calendar date (numeric,
ISO or month-name forms) with a birth word nearby.
"""

from __future__ import annotations

import datetime as dt
import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.detect import gatescan
from dlp_proxy.detect.dates import MONTH_NAME, MONTHS
from dlp_proxy.model import DATE_OF_BIRTH, US_DRIVER_LICENSE, US_PASSPORT
from dlp_proxy.recognizers._common import DLPRecognizer

_PASSPORT_RE = re.compile(r"(?<![A-Za-z0-9])(?:[A-Za-z][0-9]{8}|[0-9]{9})(?![A-Za-z0-9])")
_DL_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z]{1,2}[- ]?[0-9]{4,14}|[0-9]{7,12}|[A-Za-z][0-9]{3}-[0-9]{3}-[0-9]{2}-[0-9]{3}-[0-9]"
    r"|[A-Za-z][0-9]{3}-[0-9]{4}-[0-9]{4}|[A-Za-z][0-9]{3} [0-9]{4} [0-9]{4}|[0-9]{3}-[0-9]{3}-[0-9]{3})(?![A-Za-z0-9])"
)
_MONTHS = {m: i + 1 for i, m in enumerate(MONTHS)}
_MONTH_RX = rf"({MONTH_NAME})\.?"
_DATE_RES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?<![0-9])([0-9]{1,2})[/.\- ]([0-9]{1,2})[/.\- ]([0-9]{4}|[0-9]{2})(?![0-9])"), "mdy"),
    (re.compile(r"(?<![0-9])([0-9]{4})[/.\-]([0-9]{1,2})[/.\-]([0-9]{1,2})(?![0-9])"), "ymd"),
    (re.compile(r"(?<![A-Za-z])" + _MONTH_RX + r"\s+([0-9]{1,2})(?:st|nd|rd|th)?,?\s+([0-9]{4})(?![0-9])", re.I), "Mdy"),
    (re.compile(r"(?<![0-9])([0-9]{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RX + r",?\s+([0-9]{4})(?![0-9])", re.I), "dMy"),
]
gatescan.register(_PASSPORT_RE, _DL_RE, *(rx for rx, _ in _DATE_RES))


def _mk_date(y: int, m: int, d: int) -> dt.date | None:
    if y < 100:
        y += 1900 if y > (dt.date.today().year % 100) else 2000
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


class PassportRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = ("passport", "passport no", "passport number", "passport #", "passport#", "pp#", "travel document")

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([US_PASSPORT], context=context)

    def could_match(self, text: str) -> bool:
        return gatescan.may_search(_PASSPORT_RE, text) and self.context_anywhere(text) and _PASSPORT_RE.search(text) is not None

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out = []
        for m in _PASSPORT_RE.finditer(text):
            hit = self.context_hit(text, m.start(), m.end(), before=50, after=20, negative=False)
            if hit is None or len(set(m.group(0)[-8:])) == 1:
                continue
            out.append(self.result(US_PASSPORT, m.start(), m.end(), 0.8, "passport-shape", "context-gated", hit))
        return out


class DriverLicenseRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = (
        "driver's license", "drivers license", "driver license", "driver's licence", "drivers licence",
        "driving license", "dl", "dl#", "dl #", "dl no", "license number", "licence number", "license no",
        "lic#", "lic no", "dmv",
    )

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([US_DRIVER_LICENSE], context=context)

    def could_match(self, text: str) -> bool:
        return gatescan.may_search(_DL_RE, text) and self.context_anywhere(text) and _DL_RE.search(text) is not None

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out = []
        for m in _DL_RE.finditer(text):
            if sum(c.isdigit() for c in m.group(0)) < 4:
                continue
            hit = self.context_hit(text, m.start(), m.end(), before=50, after=20, negative=False)
            if hit is None:
                continue
            out.append(self.result(US_DRIVER_LICENSE, m.start(), m.end(), 0.75, "dl-shape", "context-gated", hit))
        return out


class BirthDateRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = ("dob", "d.o.b", "d.o.b.", "date of birth", "birth date", "birthdate", "born", "birthday", "b-day", "bday", "birth")

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([DATE_OF_BIRTH], context=context)

    def could_match(self, text: str) -> bool:
        return (any(gatescan.may_search(rx, text) for rx, _ in _DATE_RES) and self.context_anywhere(text)
                and any(rx.search(text) for rx, _ in _DATE_RES))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out = []
        today = dt.date.today()
        for rx, kind in _DATE_RES:
            for m in rx.finditer(text):
                g = m.groups()
                try:
                    if kind == "mdy":
                        a, b, y = int(g[0]), int(g[1]), int(g[2])
                        date = _mk_date(y, a, b) or _mk_date(y, b, a)
                    elif kind == "ymd":
                        date = _mk_date(int(g[0]), int(g[1]), int(g[2]))
                    elif kind == "Mdy":
                        date = _mk_date(int(g[2]), _MONTHS[g[0][:3].lower()], int(g[1]))
                    else:
                        date = _mk_date(int(g[2]), _MONTHS[g[1][:3].lower()], int(g[0]))
                except (KeyError, ValueError):
                    date = None
                if date is None or not (1900 <= date.year and date <= today):
                    continue
                hit = self.context_hit(text, m.start(), m.end(), before=40, after=20, negative=False)
                if hit is None:
                    continue
                out.append(self.result(DATE_OF_BIRTH, m.start(), m.end(), 0.85, f"date-{kind}", "calendar-date", hit))
        return out
