"""The fast path: which recognizers can match at all?

``Prefilter.quick(text)`` is one C-speed regex search over raw ASCII text: a
message with no cluster of six digits, no ``@``, no encoded-looking blob and no
identity keyword (or SSA's ``serial`` label) has no candidate for any recognizer
and never reaches Presidio.  ``Prefilter.entities(text)`` then names the entity types worth
running on the normalized text, using one Hyperscan database when the
``hyperscan`` wheel is importable (pure ``re`` otherwise; both give the same
answer, tested).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterable
from typing import Any

from dlp_proxy.detect import gatescan, hsdb
from dlp_proxy.detect.decode import RADIX_HINT, b64_is_text, may_b85, may_radix, may_wrapped
from dlp_proxy.model import (
    ABA_ROUTING_NUMBER,
    CREDIT_CARD,
    CUSIP,
    DATE_OF_BIRTH,
    EMAIL_ADDRESS,
    IBAN_CODE,
    ISIN,
    PHONE_NUMBER,
    US_BANK_NUMBER,
    US_DRIVER_LICENSE,
    US_EIN,
    US_ITIN,
    US_PASSPORT,
    US_SSN,
)

_hs: Any
try:  # optional accelerator
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    _hs = None

_NUMERIC = frozenset(
    {US_SSN, US_ITIN, CREDIT_CARD, ABA_ROUTING_NUMBER, US_BANK_NUMBER, US_EIN, US_PASSPORT,
     US_DRIVER_LICENSE, PHONE_NUMBER, CUSIP, ISIN, IBAN_CODE, DATE_OF_BIRTH}
)

#: six digits, each two apart by up to eight characters or by a run of separators of any
#: length (``536----------22----------8710``: the recognizers read a run of marks as one
#: separator, recognizers/_common.py ``_LINE_PART``); the two gaps' lengths are disjoint
#: (up to 8, 9 or more) and neither holds a digit, so a match stays linear
_DIGITS6 = r"[0-9](?:(?:[^0-9]{0,8}|[^0-9A-Za-z]{9,})[0-9]){5}"

# (name, pattern, entities).  Patterns are written in the common subset of
# Python re and Hyperscan (no lookaround, no backreferences).
STATIC_PATTERNS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("digits6", _DIGITS6, _NUMERIC),
    ("email", r"[A-Za-z0-9]@[A-Za-z0-9]", frozenset({EMAIL_ADDRESS})),
    ("iban", r"[A-Za-z]{2}[0-9]{2}", frozenset({IBAN_CODE})),
    ("dob", r"(?i)(?:dob|d\.o\.b|birth|born|bday|b-day)[^\n]{0,40}[0-9]", frozenset({DATE_OF_BIRTH})),
    ("dl", r"(?i)(?:licen[cs]e|\bdl\b|dl#|dmv)[^\n]{0,50}[0-9]{4}", frozenset({US_DRIVER_LICENSE})),
)

# The quick boolean check on raw ASCII text: any of the static patterns, or
# something that may hide one (base64 / percent / entity / hex escapes).
# Several small searches beat one big alternation: each gets its own literal
# prefix scan in the C regex engine.
_QUICK_DIGITS = re.compile(_DIGITS6)
_QUICK_ESCAPES = re.compile(r"%[0-9A-Fa-f]{2}|&#?[A-Za-z0-9]{1,31};|\\x[0-9A-Fa-f]{2}")
# ``serial``: "area 536, group 22, serial 8710" has its digits too far apart for the
# digit pattern; normalization turns the labels into dashes.
_QUICK_WORDS = re.compile(r"dob|d\.o\.b|birth|born|bday|passport|licen[cs]e|dmv|\bdl\b|serial")
#: the same, case-insensitive, in the one pass (detect/gatescan.py): on ASCII text it
#: matches where ``_QUICK_WORDS`` matches the lower-cased text, so no pass hit rules it out
_QUICK_WORDS_CASELESS = re.compile(_QUICK_WORDS.pattern, re.IGNORECASE)
gatescan.register(_QUICK_WORDS_CASELESS)
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{12,}")


def _maybe_encoded(token: str) -> bool:
    """A long token that may be base64: has a digit, or several capitals inside; or
    base32: sixteen letters or more of one case (``decode.find_blobs``).  A token of
    letters joined by ``-`` or ``_`` alone ("best-execution", "end_of_day_report") is
    base64url only where it decodes to text, as ``find_blobs`` reads it; its words are
    read as the letters-only tokens they are (base32 and hex runs stop at a hyphen)."""
    if not token.isalpha():
        if _JOINED_WORDS.fullmatch(token) is None:
            return True  # digits or +/ inside a 12+ token
        return b64_is_text(token) or any(len(w) >= 12 and _maybe_encoded(w) for w in _JOINERS.split(token))
    if token.isupper() or token.islower():
        return len(token) >= 16
    return sum(1 for c in token[1:] if c.isupper()) >= 2


#: a token of letters, ``-`` and ``_`` only
_JOINED_WORDS = re.compile(r"[A-Za-z_-]+")
_JOINERS = re.compile(r"[_-]+")


class Prefilter:
    def __init__(self, extra: Iterable[tuple[str, re.Pattern[str], frozenset[str]]] = (), *, use_hyperscan: bool = True) -> None:
        self.static = [(n, re.compile(p), e) for n, p, e in STATIC_PATTERNS]
        self.extra = list(extra)
        gatescan.register(*(rx for _, rx, _ in self.extra))  # a firm's formats: not searched where the pass rules them out
        self.backend = "re"
        self._db: Any = None
        self._scratch_proto: Any = None
        # Hyperscan scratch space may not be shared between threads: one per thread.
        self._local = threading.local()
        if use_hyperscan and _hs is not None:
            try:
                exprs = [p.replace("(?i)", "").encode() for _, p, _ in STATIC_PATTERNS]
                flags = [
                    (_hs.HS_FLAG_CASELESS if p.startswith("(?i)") else 0) | _hs.HS_FLAG_SINGLEMATCH | _hs.HS_FLAG_ALLOWEMPTY * 0
                    for _, p, _ in STATIC_PATTERNS
                ]
                db = hsdb.compile_db(exprs, flags)
                self._db = db
                self._scratch_proto = _hs.Scratch(db)
                self.backend = "hyperscan"
            except Exception:
                self._db = None

    def quick(self, text: str) -> bool:
        """False: nothing any recognizer could match (raw ASCII text only)."""
        if (
            _QUICK_DIGITS.search(text)
            or "@" in text
            or _QUICK_ESCAPES.search(text)
            or (gatescan.may_search(_QUICK_WORDS_CASELESS, text) and _QUICK_WORDS.search(text.lower()))
            # a number written in another base with the base stated (``0x1ff63366``, ``acct
            # hex bc614e``: detect/decode.py ``find_numbers``), its digits too few for the above
            or (may_radix(text) and gatescan.search(RADIX_HINT, text))
            or any(_maybe_encoded(t) for t in _LONG_TOKEN.findall(text))
            or may_b85(text)
            or may_wrapped(text)
        ):
            return True
        return any(gatescan.search(rx, text) for _, rx, _ in self.extra)

    def entities(self, text: str, wanted: Collection[str]) -> set[str]:
        found: set[str] = set()
        if self._db is not None and text.isascii():
            hits: set[int] = set()

            def on_match(idx: int, _from: int, _to: int, _flags: int, _ctx: object) -> bool | None:
                hits.add(idx)
                return None

            scratch = getattr(self._local, "scratch", None)
            if scratch is None:
                scratch = self._local.scratch = self._scratch_proto.clone()
            self._db.scan(text.encode("ascii"), match_event_handler=on_match, scratch=scratch)
            for idx in hits:
                found |= STATIC_PATTERNS[idx][2]
        else:
            for _, rx, ents in self.static:
                if not ents <= found and rx.search(text):
                    found |= ents
        for _, rx, ents in self.extra:
            if not ents <= found and rx.search(text):
                found |= ents
        return found & set(wanted)
