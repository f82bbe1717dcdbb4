"""US_EIN: employer identification numbers, XX-XXXXXXX with an IRS campus prefix.

Context-gated: the 2-7 shape alone is too common (part numbers, ticket ids).
"""

from __future__ import annotations

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.model import US_EIN
from dlp_proxy.recognizers._common import (
    NINE,
    TAXPAYER_ID_LABELS,
    DLPRecognizer,
    candidates,
    lookalike_note,
    may_have_candidates,
)

_PREFIXES = frozenset(
    [1, 2, 3, 4, 5, 6, *range(10, 17), *range(20, 28), *range(30, 49), *range(50, 69), *range(71, 78),
     *range(80, 89), *range(90, 96), 98, 99]
)


def ein_valid(d: str) -> bool:
    return len(d) == 9 and d.isdigit() and int(d[:2]) in _PREFIXES and len(set(d)) > 1


class EinRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = (
        "ein", "fein", "employer identification", "employer id", "federal tax id", "tax id", "tax id number",
        "federal id", "tin", "irs number", *TAXPAYER_ID_LABELS, "employer identification number",
        "federal employer identification", "federal employer identification number", "feinumber", "fein number",
    )

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([US_EIN], context=context)

    def could_match(self, text: str) -> bool:
        # a valid 2-7 or bare nine-digit candidate and (required) a context word
        return may_have_candidates(text, NINE) and self.context_anywhere(text) and any(
            ein_valid(c.digits) and (c.groups == (2, 7) or c.is_bare) for c in candidates(text, NINE)
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        for c in candidates(text, NINE):
            if not ein_valid(c.digits) or not (c.groups == (2, 7) or c.is_bare):
                continue
            hit = self.context_hit(text, c.start, c.end)
            if hit is None:
                continue
            score = 0.9 if c.groups == (2, 7) else 0.75
            out.append(self.result(US_EIN, c.start, c.end, score, "2-7" if c.groups == (2, 7) else "9-digits",
                                   "irs-prefix", hit, lookalike_note(c)))
        return out
