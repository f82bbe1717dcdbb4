"""Routing and account numbers in the fields of payment formats (det25a).

A cheque's MICR line and a wire's message name their fields by symbols and tags, not
by the words the other bank recognizers look for, so ``MICR line: ⑆AAAAAAAAA⑆NNNNNNNN⑉SSSS``
or ``{4200}DNNNNNNNNNN*NAME*`` held a routing and an account number with no word for
either (held-out gen25: 0 of 50 MICR lines found).

* **MICR (E-13B) lines** (``MicrLineRecognizer``): the transit symbol ⑆ (U+2446) on both
  sides of nine digits is the routing field (an ABA_ROUTING_NUMBER when the ABA check
  passes); the on-us field after it, digits up to the on-us symbol ⑈ (U+2448; a dash
  symbol ⑉ U+2449 or the end of the line where a writer used none), is the account
  (US_BANK_NUMBER: the first group of 6-17 digits, ``-`` inside a group kept; else the
  groups before the on-us symbol together).  The amount ⑇ (U+2447) field and the serial
  (the auxiliary on-us field before the transit field, the short group after the
  account) are not read.  As OCR and MICR fonts render the symbols in ASCII (transit
  ``T``/``A``, on-us ``O``/``U``/``C``: ``T021000021T 12345678O 1001``, ``A021000021A
  12345678C``), the line is read only strictly: the same transit letter on both sides of
  exactly nine digits that pass the ABA check, and an account right after it closed by
  an on-us letter, or a word naming a cheque's MICR line in the text (``micr``,
  ``check``, ``cheque``, ``e-13b``); a bare ``T123456789T`` (a ticket id) is no field.
  A line the words ``micr``, ``e-13b`` or ``bottom of the check`` name, written without
  its symbols (``micr: AAAAAAAAA NNNNNNNN 1001``): on the word's line, the first nine-digit
  group passing the ABA check and the next group of 6-17 digits.
* **Fedwire tags** (``WireFieldRecognizer``; the Fedwire Funds Service format; read
  through the normalizer's dropping of a brace between two digits): {3100}
  sender and {3400} receiver depository institution are a routing number followed by a
  short name; in the party tags {4000} intermediary FI, {4100} beneficiary FI, {4200}
  beneficiary, {5000} originator, {5100} originator FI, {5200} instructing FI, the
  identifier code ``D`` (a DDA account) is followed by an account number and ``F`` by a
  routing number (``{4200}DNNNNNNNNNN*NAME*``, ``{4100}FAAAAAAAAA*BANK*``).
* **SWIFT MT fields**: a party field's account line (``:50K:/NNNN``, ``:50A:``,
  ``:50F:``, ``:59:``, ``:59A:``, ``:59F:``, ``:58A:``, ``:53B:``..., the ``/`` starting its
  first line) is an account when it is digits (an IBAN there is the IBAN recognizer's),
  and a Fedwire routing code ``//FW`` followed by nine digits (``:57A://FWAAAAAAAAA``, or
  anywhere) is a routing number when the ABA check passes.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.detect import gatescan
from dlp_proxy.model import ABA_ROUTING_NUMBER, US_BANK_NUMBER
from dlp_proxy.recognizers._common import ContextHit, DLPRecognizer
from dlp_proxy.recognizers.bank import aba_valid

_ACCOUNT_DIGITS = range(6, 18)

TRANSIT = "\u2446"  # ⑆ OCR BRANCH BANK IDENTIFICATION: the transit symbol
AMOUNT = "\u2447"  # ⑇ OCR AMOUNT OF CHECK
ON_US = "\u2448"  # ⑈ OCR DASH: the on-us symbol
DASH = "\u2449"  # ⑉ OCR CUSTOMER ACCOUNT NUMBER: the dash symbol

#: the routing field as the E-13B symbols write it (a blank inside the symbols allowed)
_MICR_TRANSIT = re.compile(TRANSIT + r"[ \t]?([0-9]{9})[ \t]?" + TRANSIT)
#: the same in ASCII (OCR, MICR fonts): one transit letter on both sides of nine digits
_ASCII_TRANSIT = re.compile(r"(?<![A-Za-z0-9])([TA])[ \t]?([0-9]{9})[ \t]?\1(?![A-Za-z])")
#: a digit group of the on-us field (a ``-`` inside it kept: ``1234-5678``)
_GROUP = re.compile(r"[0-9]+(?:-[0-9]+)*")
#: an account right after the ASCII routing field, closed by an on-us letter
_ASCII_ON_US = re.compile(r"[ \t]{0,3}([0-9]+(?:-[0-9]+)*)[ \t]?([OUC])?(?![A-Za-z0-9])")
#: words naming a cheque's MICR line: the ASCII form needs one when no on-us letter
#: closes the account
_MICR_WORDS = re.compile(r"(?i)(?<![a-z])(?:micr|e-?13b|cheques?|checks?|chq|voided)(?![a-z])")
_MICR_HINT = re.compile(r"(?<![A-Za-z0-9])[TA][ \t]?[0-9]{9}[ \t]?[TA](?![A-Za-z])")

#: a word naming the MICR line itself, then its digits with the symbols left out
#: (``micr: AAAAAAAAA NNNNNNNN 1001``, ``e13b line 1001 AAAAAAAAA NNNNNNNN``); or words
#: naming a cheque as the thing read (a noun: voided, its bottom, what it shows, taken from
#: or on it), never ``check`` alone, a verb as often ("pls check ..."): ``voided check
#: shows``, ``check bottom reads AAAAAAAAA / NNNNNNNN``, ``from the check:`` (held-out probe
#: of 2026-12-07: 0 of 112 such pairs found)
_CHEQUE = r"(?:checks?|cheques?|chq)"
_MICR_NAMED = re.compile(
    r"(?i)(?<![a-z])(?:micr|e-?13b"
    rf"|bottom\s+of\s+(?:the|a|an|her|his|my|their|your|our|this|that)\s+(?:voided\s+)?{_CHEQUE}"
    rf"|voided\s+{_CHEQUE}|cheques?"
    rf"|{_CHEQUE}\s+(?:bottom|shows?|showing|reads?|says|line|numbers?|image|scan|copy)"
    rf"|(?:from|on|off)\s+(?:the|a|an|her|his|my|their|your|our|this|that)\s+{_CHEQUE})(?![a-z])")
_MICR_NAMED_REACH = 100
#: a digit group of a MICR line written without its symbols
_PLAIN_GROUP = re.compile(r"[0-9]+(?:-[0-9]+)*")

#: in the one Hyperscan pass of the gates (``could_match`` on a clean text costs no search)
gatescan.register(_MICR_HINT, _MICR_NAMED)

#: the on-us field ends at the line's end, the next transit or amount symbol, or this far
_ON_US_REACH = 48


def _on_us_account(text: str, start: int) -> tuple[int, int] | None:
    """The account of the on-us field starting at ``start`` (after the routing field's
    closing transit symbol): its first group of 6-17 digits, else its groups before the
    on-us symbol together when they make 6-17 digits (``12⑉3456⑉789⑈``)."""
    end = min(len(text), start + _ON_US_REACH)
    for stop in ("\n", TRANSIT, AMOUNT):
        k = text.find(stop, start, end)
        if k >= 0:
            end = k
    groups = list(_GROUP.finditer(text, start, end))
    for g in groups:
        if sum(ch.isdigit() for ch in g.group()) in _ACCOUNT_DIGITS:
            return g.start(), g.end()
    k = text.find(ON_US, start, end)
    before = [g for g in groups if k < 0 or g.end() <= k]
    if before and sum(ch.isdigit() for g in before for ch in g.group()) in _ACCOUNT_DIGITS:
        gaps = text[before[0].end() : before[-1].start()]
        if all(ch in f"{DASH} \t-" for ch in gaps):
            return before[0].start(), before[-1].end()
    return None


class MicrLineRecognizer(DLPRecognizer):
    """A cheque's MICR line: the routing number between transit symbols and the account
    in the on-us field (module doc)."""

    def __init__(self) -> None:
        super().__init__([ABA_ROUTING_NUMBER, US_BANK_NUMBER])

    def could_match(self, text: str) -> bool:
        return TRANSIT in text or any(gatescan.may_search(rx, text) and rx.search(text) is not None
                                      for rx in (_MICR_HINT, _MICR_NAMED))

    def _named(self, text: str, taken: set[int]) -> list[RecognizerResult]:
        """A MICR line a word names, its symbols left out: on the word's line, within
        ``_MICR_NAMED_REACH`` characters, the first nine-digit group passing the ABA check is
        the routing number and the next group of 6-17 digits the account."""
        out: list[RecognizerResult] = []
        for w in _MICR_NAMED.finditer(text):
            end = text.find("\n", w.end(), w.end() + _MICR_NAMED_REACH)
            end = w.end() + _MICR_NAMED_REACH if end < 0 else end
            groups = list(_PLAIN_GROUP.finditer(text, w.end(), min(end, len(text))))
            for k, g in enumerate(groups):
                if g.start() in taken or not aba_valid(g.group()):
                    continue
                acct = next((a for a in groups[k + 1 :] if sum(ch.isdigit() for ch in a.group()) in _ACCOUNT_DIGITS),
                            None)
                if acct is None:
                    break
                hit = ContextHit(w.group().lower(), w.start() - g.start())
                out.append(self.result(ABA_ROUTING_NUMBER, g.start(), g.end(), 0.9, "micr-named",
                                       "aba-checksum+prefix", hit))
                out.append(self.result(US_BANK_NUMBER, acct.start(), acct.end(), 0.8, "micr-named", "micr-field",
                                       hit))
                break
        return out

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        hit = ContextHit("micr transit", 0)
        if TRANSIT in text:
            for m in _MICR_TRANSIT.finditer(text):
                if aba_valid(m.group(1)):
                    out.append(self.result(ABA_ROUTING_NUMBER, m.start(1), m.end(1), 0.9, "micr-transit",
                                           "aba-checksum+prefix", hit))
                acct = _on_us_account(text, m.end())
                if acct is not None:
                    out.append(self.result(US_BANK_NUMBER, acct[0], acct[1], 0.8, "micr-on-us", "micr-field", hit))
        worded: bool | None = None
        for m in _ASCII_TRANSIT.finditer(text):
            if not aba_valid(m.group(2)):
                continue  # "T123456789T" in a ticket id: no routing field
            a = _ASCII_ON_US.match(text, m.end())
            closed = a is not None and a.group(2) is not None
            if not closed:
                if worded is None:
                    worded = _MICR_WORDS.search(text) is not None
                if not worded:
                    continue
            out.append(self.result(ABA_ROUTING_NUMBER, m.start(2), m.end(2), 0.9, "micr-transit-ascii",
                                   "aba-checksum+prefix", hit))
            if a is not None and sum(ch.isdigit() for ch in a.group(1)) in _ACCOUNT_DIGITS:
                out.append(self.result(US_BANK_NUMBER, a.start(1), a.end(1), 0.8, "micr-on-us-ascii",
                                       "micr-field", hit))
        if _MICR_NAMED.search(text) is not None:
            taken = {r.start for r in out}
            out += [r for r in self._named(text, taken) if not any(r.start < o.end and o.start < r.end for o in out)]
        return out


#: Fedwire {3100}/{3400}: a routing number, then the institution's short name.  The
#: normalizer reads a brace between two digits as TeX grouping and drops it
#: (``{3100}021000021`` reads ``{3100021000021``); after the {2000} amount's twelve digits
#: both braces go (``{2000}000010000000{3100}...``)
_FED_DI = re.compile(r"(?:\{|(?:\{|(?<![0-9]))?2000\}?[0-9]{12}\{?)(3100|3400)\}?[ \t]?([0-9]{9})(?![0-9])")
#: Fedwire party tags: ID code D (DDA account) or F (Fed routing number), then the identifier
_FED_PARTY = re.compile(r"\{(4000|4100|4200|5000|5100|5200)\}[ \t]?([DF])[ \t]?([0-9]+(?:[- ][0-9]+)*)(?![0-9])")
#: SWIFT MT party fields whose first line may be ``/account``
_MT_ACCOUNT = re.compile(
    r"(?m)(?:^|(?<=[\s\x1e\x1f]))[:](?:50[AFGHK]|59[AF]?|5[2-8][A-D])[:][ \t]*\n?[ \t]*/(?!/)"
    r"([0-9]+(?:[- ][0-9]+)*)[ \t]*(?=$|[\r\x1e\x1f])")
#: a Fedwire routing code in a SWIFT party field (``//FW021000021``), or written alone
_FW_CODE = re.compile(r"(?<![A-Za-z0-9])//FW[ \t]?([0-9]{9})(?![0-9])")


class WireFieldRecognizer(DLPRecognizer):
    """Routing and account numbers in Fedwire tags and SWIFT MT fields (module doc)."""

    def __init__(self) -> None:
        super().__init__([ABA_ROUTING_NUMBER, US_BANK_NUMBER])

    def could_match(self, text: str) -> bool:
        return ("}" in text and ("{3" in text or "{4" in text or "{5" in text)) or ":5" in text or "//FW" in text

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        if "}" in text:
            for m in _FED_DI.finditer(text):
                if aba_valid(m.group(2)):
                    out.append(self.result(ABA_ROUTING_NUMBER, m.start(2), m.end(2), 0.9, "fedwire-tag",
                                           "aba-checksum+prefix", ContextHit("{" + m.group(1) + "}", -6)))
            for m in _FED_PARTY.finditer(text):
                d = m.group(3)
                hit = ContextHit("{" + m.group(1) + "}" + m.group(2), m.start(3) - m.start())
                if m.group(2) == "F":
                    if aba_valid(d):
                        out.append(self.result(ABA_ROUTING_NUMBER, m.start(3), m.end(3), 0.9, "fedwire-tag",
                                               "aba-checksum+prefix", hit))
                elif sum(ch.isdigit() for ch in d) in _ACCOUNT_DIGITS:
                    out.append(self.result(US_BANK_NUMBER, m.start(3), m.end(3), 0.8, "fedwire-tag",
                                           "wire-field", hit))
        if ":5" in text:
            for m in _MT_ACCOUNT.finditer(text):
                d = m.group(1)
                if sum(ch.isdigit() for ch in d) in _ACCOUNT_DIGITS and len(set(d) - {" ", "-"}) > 1:
                    out.append(self.result(US_BANK_NUMBER, m.start(1), m.end(1), 0.8, "swift-mt-field",
                                           "wire-field", ContextHit("mt party field", -1)))
        if "//FW" in text:
            for m in _FW_CODE.finditer(text):
                if aba_valid(m.group(1)):
                    out.append(self.result(ABA_ROUTING_NUMBER, m.start(1), m.end(1), 0.9, "fedwire-code",
                                           "aba-checksum+prefix", ContextHit("//FW", -4)))
        return out
