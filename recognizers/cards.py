"""CREDIT_CARD: Luhn plus issuer (IIN) ranges and lengths.

Visa (4; 13/16/19), Mastercard (51-55 and the 2-series 2221-2720; 16), Amex
(34/37; 15), Discover (6011, 644-649, 65, 622126-622925; 16-19), JCB (3528-3589;
16-19), Diners (300-305, 3095, 36, 38-39; 14-19), UnionPay (62; 16-19).
Written as one block, in groups of four (Amex 4-6-5, Diners 4-6-4), or one
digit at a time it needs no context; any other grouping needs a card word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.detect.structure import CELL
from dlp_proxy.model import CREDIT_CARD
from dlp_proxy.recognizers._common import (
    Candidate,
    ContextHit,
    DLPRecognizer,
    blank_header_table,
    candidates,
    cell_candidates,
    continues_past,
    glued_reference,
    glued_to,
    labelled_tokens,
    lookalike_note,
    named_as_reference,
    reference_document,
    row_context,
    single_digit_cells,
    word_on_line,
)
from dlp_proxy.recognizers._lists import list_intended, percent_escapes, reads_as_list

_CARD_LENGTHS = frozenset(range(13, 20))


def issuer(d: str) -> str | None:
    n = len(d)
    p2, p3, p4, p6 = int(d[:2]), int(d[:3]), int(d[:4]), int(d[:6])
    if d[0] == "4" and n in (13, 16, 19):
        return "visa"
    if (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16:
        return "mastercard"
    if p2 in (34, 37) and n == 15:
        return "amex"
    if (p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925) and 16 <= n <= 19:
        return "discover"
    if 3528 <= p4 <= 3589 and 16 <= n <= 19:
        return "jcb"
    if (300 <= p3 <= 305 or p4 == 3095 or p2 in (36, 38, 39)) and 14 <= n <= 19:
        return "diners"
    if p2 == 62 and 16 <= n <= 19:
        return "unionpay"
    return None


#: Every issuer range above starts with one of these digits (a look-alike letter
#: stands for 0 or 1, so a candidate starting with one never validates either).
_ISSUER_FIRST_DIGITS = frozenset("23456")


def card_valid(d: str) -> str | None:
    if not d.isdigit() or not 13 <= len(d) <= 19 or d[0] not in _ISSUER_FIRST_DIGITS or len(set(d)) == 1:
        return None
    brand = issuer(d)  # a few prefix tests, cheaper than the checksum
    if brand is None or not luhn_ok(d):
        return None
    return brand


def _grouped(g: tuple[int, ...]) -> bool:
    """Groups as a card is grouped (with one separator throughout): fours (the last 1-4),
    Amex 4-6-5, Diners 4-6-4, 4-4-4-4-3."""
    return (all(x == 4 for x in g[:-1]) and 1 <= g[-1] <= 4) or g in ((4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3))


def _card_shape(c: Candidate, text: str | None = None) -> bool:
    if c.is_bare or c.split_digits:
        return True
    if c.uniform_sep is None or (c.uniform_sep == "\n" and len(c.groups) > 5):
        return c.split_digits or (text is not None and _one_line_shape(c, text))
    if _grouped(c.groups):
        return True
    return text is not None and _one_line_shape(c, text)


#: the few digits a line break may cut off a card's block written as one run
#: (``4`` line break ``539148803436467``, ``...646`` line break ``7``)
_RUNT = 4


def _one_line_shape(c: Candidate, text: str) -> bool:
    """``c`` with one line break among its groups, read as on one line (attack pass atk22
    F6: ``4539`` line break ``1488 0343 6467``, ``4`` line break ``539 1488 ...``, ``4539
    14`` line break ``88 ...``, Amex ``3`` line break ``782 822463 10005``): the break is
    the only separator of its kind, its one line break alone (blanks aside: no mark, no
    blank line), and either it stands where the other separator would (the groups then
    are a card's grouping), or it cuts one group in two (the groups with its two halves
    written together are a card's grouping, or one block when a half is a runt of at
    most ``_RUNT`` digits).  A file's lines and a post's read alike (a file's text ending
    in a line break was read across its lines, ``completed_lines``; a post's was not)."""
    if c.lookalikes or c.seps.count("\n") != 1:
        return False
    k = c.seps.index("\n")
    others = set(c.seps[:k] + c.seps[k + 1:])
    if len(others) > 1:
        return False
    pos = c.start + c.groups[0]
    for n in range(k):  # where the break's separator starts: past the groups before it
        while not text[pos].isdigit():
            pos += 1
        pos += c.groups[n + 1]
    end = pos
    while not text[end].isdigit():
        end += 1
    raw = text[pos:end]
    if raw.count("\n") != 1 or raw.strip(" \t\r\n"):
        return False
    g = c.groups
    if others and _grouped(g):
        return True  # the break where the other separator stands: "4539" / "1488 0343 6467"
    glued = (*g[:k], g[k] + g[k + 1], *g[k + 2:])
    if len(glued) == 1:
        return min(g) <= _RUNT
    return _grouped(glued)


def _code_after(text: str, c: Candidate) -> bool:
    """The run starts at ``c`` and goes on by one group only, which reads as the card's
    expiry (``MMYY``, a month 01-12) or its code (three digits): ``4111 1111 1111 1111
    0427``, ``... 1111 123``."""
    if c.start != c.run_start or c.end >= c.run_end:
        return False
    tail = text[c.end:c.run_end].lstrip(" \t-.")
    return tail.isdigit() and (len(tail) == 3 or (len(tail) == 4 and "01" <= tail[:2] <= "12"))


#: a card's security code or expiry, labelled, right after a number: ``, cvv 654``, ``exp 11/27``
_LABELLED_CODE_AFTER = re.compile(
    r"[ \t]{0,3}[,;/|(-]?[ \t]{0,3}(cvv2?|cvc2?|cv2|csc|security[ \t]+code|exp(?:iry|ires|iration)?"
    r"(?:[ \t]+date)?|valid[ \t]+thru)[ \t]*[:#=.]?[ \t]*(?:[0-9]{3,4}(?![0-9/])|(?:0?[1-9]|1[0-2])[ \t]*/[ \t]*(?:[0-9]{2}|20[0-9]{2})(?![0-9]))",
    re.IGNORECASE)


def labelled_code_after(text: str, c: Candidate) -> ContextHit | None:
    """A card's code or expiry with its label right after ``c`` (``kard NNNNNN NNNNNNNNN
    exp 11/27``, ``crd# NNNN-NNNN NNNNNNNN, cvv 654``): its label names the code, and a
    number with a card's code after it is the card (probe 5: a misspelt label before such
    a number, "crd#", "kard", "creditcard", labelled nothing)."""
    m = _LABELLED_CODE_AFTER.match(text, c.end)
    return None if m is None else ContextHit(m.group(1).lower(), m.start(1) - c.end)


def _cells_card_shaped(sizes: tuple[int, ...]) -> bool:
    """Groups over cells as a card is grouped: fours (the last 1-4), Amex 4-6-5, Diners 4-6-4."""
    return len(sizes) >= 3 and ((all(x == 4 for x in sizes[:-1]) and 1 <= sizes[-1] <= 4)
                                or sizes in ((4, 6, 5), (4, 6, 4)) or single_digit_cells(sizes))


def _ids_in(text: str) -> bool:
    """Evidence that the digit runs ``text``'s labels name as ids are ids: one of them, as
    long as a card, fails a card's checks (Luhn and the issuer ranges).  A real card
    always passes them; a random id of that length about 24 times in 25.  So a FIX
    execution report's three ids or an export's id column holds ids, and the one in 25
    that passes is no card; a lone "order id 4532015112830366", or a column of numbers
    that all pass, is read as cards (attack 13 F1: a label alone let any card through)."""
    return any(c.is_bare and card_valid(c.digits) is None and named_as_reference(text, c)
               for c in candidates(text, _CARD_LENGTHS))


#: FIX tags whose values are ids of orders, executions, trades and requests (FIX 4.2-5.0
#: data dictionary: ClOrdID 11, ExecID 17, ExecRefID 19, OrderID 37, OrigClOrdID 41,
#: ListID 66, AllocID 70, RefAllocID 72, QuoteID 117, QuoteReqID 131, SecondaryOrderID 198,
#: SecondaryClOrdID 526, SecondaryExecID 527, CrossID 548, TradeReportID 571, MassStatusReqID
#: 584, OrdStatusReqID 790, SecondaryTradeReportID 818, TradeLinkID 820, TrdMatchID 880,
#: TradeID 1003, SecondaryTradeID 1040); never Account (1) or Text (58)
_FIX_ID_TAGS = ("11", "17", "19", "37", "41", "66", "70", "72", "117", "131", "198", "526", "527", "548", "571",
                "584", "790", "818", "820", "880", "1003", "1040")
#: a FIX field's start: a field separator (SOH, ``|``, ``^``, as logs print it; a blank, as the
#: normalizer makes SOH) then a tag
_FIX_SEP = r"[|\x01^ \t]"
_FIX_FIELD = re.compile(rf"(?:^|{_FIX_SEP})[0-9]{{1,4}}=")
_FIX_BEGIN = re.compile(rf"(?:^|{_FIX_SEP}|\s)8=FIXT?\.[0-9]")
_FIX_TYPE = re.compile(rf"{_FIX_SEP}35=[0-9A-Za-z]{{1,2}}(?:{_FIX_SEP}|$)")
_FIX_ID_BEFORE = re.compile(rf"{_FIX_SEP}(?:{'|'.join(_FIX_ID_TAGS)})=$")
_FIX_VALUE_END = re.compile(rf"(?:{_FIX_SEP}|\s|$)")
#: fields a FIX message shows at least (the header's 8, 9, 35, 49, 56, 34, 52 and a body)
_FIX_FIELDS = 8


def _fix_id(text: str, c: Candidate) -> bool:
    """``c`` is the whole value of a FIX id field (``|37=...|``: OrderID) of a message on
    its line that shows itself one: its begin string ``8=FIX.4.x``, a message type ``35=``
    and ``_FIX_FIELDS`` fields or more.  Its tag names it an order's or an execution's
    id as no chat label does (attack 13 F1: "card ref <pan>"); the structure is the
    evidence ``_ids_in`` looks for in other ids (atk16d: FIX execution reports, whose
    other ids are shorter than a card, were stopped once in 100)."""
    if not c.is_bare or _FIX_ID_BEFORE.search(text, max(0, c.start - 6), c.start) is None:
        return False
    if _FIX_VALUE_END.match(text, c.end) is None:
        return False
    lo = text.rfind("\n", 0, c.start) + 1
    hi = text.find("\n", c.end)
    line = text[lo : hi if hi >= 0 else len(text)]
    return (_FIX_BEGIN.search(line) is not None and _FIX_TYPE.search(line) is not None
            and sum(1 for _ in _FIX_FIELD.finditer(line)) >= _FIX_FIELDS)


#: The card numbers payment processors publish for testing (Stripe, Braintree, Adyen,
#: PayPal/Authorize.net, Worldpay docs): no card was ever issued under them, so they carry
#: no cardholder data.  Allowed only where the message says they are test data
#: (``_TEST_WORDS`` on the number's line); alone they are stopped like any card (other
#: evaluators and attackers use ``4111...`` as a card).  Entries that fail ``card_valid``
#: would never be found; tests/test_detect_det25b.py checks there are none.
PUBLIC_TEST_PANS = frozenset({
    # Visa
    "4111111111111111", "4242424242424242", "4012888888881881", "4000056655665556", "4222222222222",
    "4007000000027", "4012888818888", "4005519200000004", "4009348888881881", "4012000033330026",
    "4012000077777777", "4217651111111119", "4500600000000061", "4000000000000002", "4000000000000077",
    "4000000000003220", "4000002500003155", "4000000000009995", "4988438843884305", "4166676667666746",
    "4646464646464644", "4111111145551142", "4917610000000000", "4462030000000000", "4444333322221111",
    # Mastercard
    "5555555555554444", "5105105105105100", "5200828282828210", "2223003122003222", "2223000048400011",
    "5424000000000015", "5555444433331111", "5577000055770004", "2222400070000005", "5454545454545454",
    "5431111111111111",
    # American Express
    "378282246310005", "371449635398431", "378734493671000", "370000000000002", "340000000000009",
    "343434343434343",
    # Discover
    "6011111111111117", "6011000990139424", "6011000991300009", "6011981111111113", "6011000000000012",
    "6011601160116611", "6445644564456445", "6555900000604105",
    # JCB
    "3530111333300000", "3566002020360505", "3566111111111113", "3569990010095841",
    # Diners Club
    "30569309025904", "38520000023237", "36259600000004", "36227206271667", "3056930009020004",
    "36006666333344", "38000000000006", "36700102000000", "36148900647913",
    # UnionPay
    "6200000000000005", "6221261111117766", "6223164991230014", "6243030000000001",
})
#: words saying a number is test data: test, testing, sandbox, UAT, staging, dummy, sample,
#: QA, fake, mock, non-prod (also glued: ``test-card``, ``testcard``)
_TEST_WORDS = re.compile(
    r"(?i)(?<![a-z])(?:test(?:ing|s|card|pan|cc)?|sandbox|uat|staging|dummy|sample|qa|fake|mock|non-?prod)(?![a-z])")


def public_test_card(text: str, c: Candidate) -> bool:
    """``c`` is one of the published test card numbers and its line says it is test data
    (within 80 characters before it or 60 after: "the stripe test card 4242 ... in the
    sandbox", "uat env only accepts the test PAN ...")."""
    return c.digits in PUBLIC_TEST_PANS and word_on_line(_TEST_WORDS, text, c.start, c.end, 80, 60)


def public_test_span(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` (a card finding of any reading, mapped to the text as written:
    a table row's, a split line's) writes a published test card number and its line says
    it is test data (``public_test_card``)."""
    span = text[start:end]
    if any(not ("0" <= ch <= "9" or ch in " -.") for ch in span):
        return False  # other digits or words in it (atk25r E3: "4222222222222" + fullwidth "378" is no test card)
    digits = "".join(ch for ch in span if "0" <= ch <= "9")
    return digits in PUBLIC_TEST_PANS and word_on_line(_TEST_WORDS, text, start, end, 80, 60)


#: the words that name a card's number, then what may stand between a label and its value
_CARD_LABEL = re.compile(
    r"(?<![A-Za-z])(?:(?:credit|debit)[ \t]+card(?:[ \t]+(?:number|no|nbr|#))?|card(?:[ \t]+(?:number|no|nbr|#))?|cc#?|"
    r"pan|visa|mastercard|amex)[ \t]*[:#=]?[ \t]*(?=[A-Za-z0-9])", re.IGNORECASE)
#: what every ``_CARD_LABEL`` match starts with, in lower case (``labels_at``)
_CARD_LABEL_LITERALS = ("credit", "debit", "card", "cc", "pan", "visa", "mastercard", "amex")
#: the token right after such a label, up to a blank
_LABELLED_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9:.\-_/+]*")
#: a card's 13 to 19 digits in the token, a dash between groups or none, after letters
#: or zeros glued before them and before letters glued after them (``card
#: <card>X1``, ``card 0<card>``)
_GLUED_CARD = re.compile(r"(?<![1-9])0*([1-9](?:-?[0-9]){12,18})(?![0-9])")


def glued_cards(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, brand) of a valid card number in the token right after a card's
    label, letters or zeros glued to it (held-out probe of 2026-12-07).  A run with
    letters glued is a code of its own where nothing names it; the label right before
    it names the number a reader sees in it."""
    for t in labelled_tokens(_CARD_LABEL, _CARD_LABEL_LITERALS, _LABELLED_TOKEN, text):
        for g in _GLUED_CARD.finditer(text, t.start(), t.end()):
            brand = card_valid(g.group(1).replace("-", "")) if glued_to(t, g.start(1), g.end(1)) else None
            if brand is not None:
                yield g.start(1), g.end(1), brand


class PaymentCardRecognizer(DLPRecognizer):
    DEFAULT_CONTEXT = (
        "card", "cards", "credit", "debit", "cc", "cc#", "visa", "mastercard", "master card", "amex", "american express",
        "discover", "jcb", "diners", "pan", "cvv", "cvc", "exp", "expiry", "expiration", "card number", "card no",
        "creditcard", "debitcard",
        # other languages a desk writes in (a chat-table attack of 2026-12-07: a column
        # headed Kreditkarte or Tarjeta read down was no card)
        "kreditkarte", "kartennummer", "kartennr", "tarjeta", "numero de tarjeta", "carte bancaire",
        "carte de credit", "carta di credito", "cartao",
    )

    def __init__(self, context: list[str] | None = None) -> None:
        super().__init__([CREDIT_CARD], context=context)

    def could_match(self, text: str) -> bool:
        # a Luhn- and issuer-valid candidate, shaped like a card or with a card word somewhere
        if self.shaped_or_context_gate(text, candidates(text, _CARD_LENGTHS, _ISSUER_FIRST_DIGITS),
                                       lambda c: card_valid(c.digits) is not None,
                                       lambda c: _card_shape(c, text) or labelled_code_after(text, c) is not None):
            return True
        if any(glued_cards(text)):
            return True
        return CELL in text and (self.context_present(text) or blank_header_table(text)) and any(self._in_cells(text))

    def _in_cells(self, text: str) -> Iterator[tuple[Candidate, ContextHit, str]]:
        """Card groups in adjacent cells of a row labelled with a card word."""
        for c in cell_candidates(text, _CARD_LENGTHS, _cells_card_shaped):
            brand = card_valid(c.digits)
            if brand is not None and len(c.groups) >= 3 and _card_shape(c):
                hit = row_context(self, text, c)
                if hit is not None:
                    yield c, hit, brand

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        out: list[RecognizerResult] = []
        taken: list[tuple[int, int]] = []
        found = sorted(candidates(text, _CARD_LENGTHS, _ISSUER_FIRST_DIGITS), key=lambda c: (c.start, -(c.end - c.start)))
        ids: bool | None = None  # whether the text's labelled ids are ids (``_ids_in``), asked once
        for c in found:
            # candidates come in start order and the taken spans are disjoint, so only the
            # last one can reach this candidate (one comparison, not one per finding so far)
            if taken and taken[-1][0] < c.end and c.start < taken[-1][1]:
                continue
            brand = card_valid(c.digits)
            if brand is None:
                continue
            if percent_escapes(text, c):
                continue  # "%36%36%39...": a URL's escapes, judged as what they decode to
            if public_test_card(text, c):
                continue  # "the stripe test card 4242 4242 4242 4242 in the sandbox": no cardholder's
            hit = self.context_hit(text, c.start, c.end, before=60) or labelled_code_after(text, c)
            shaped = _card_shape(c, text)
            if reads_as_list(c, text) and not list_intended(text, c, hit, checksum=True):
                # "strikes to quote: 34,39,25,18,26,33,43,30": short numbers side by side
                # are a list, one card only with its label right at them or an instruction
                # to join them (recognizers/_lists.py)
                continue
            if (shaped and not c.is_bare and not c.split_digits and continues_past(text, c)
                    and hit is None and not _code_after(text, c)):
                # four groups of a longer run grouped alike (a USPS tracking number's
                # ``9400 6251 0551 7637 1984 05``): the run is one number, its parts are
                # none; a card with a card word before it (``card ending 1111 4111 1111
                # ...``, ``cards: <one> <another>``), or at the run's start with its
                # expiry or code as the one group after it (``4111 1111 1111 1111 0427``)
                # (digits spaced one by one are no grouping: a card among them is still read)
                continue
            if hit is None and (not shaped or glued_reference(text, c)):
                continue  # "serial no. 4532015112830366X": a reference with a check letter
            if hit is None and c.is_bare and not c.lookalikes and named_as_reference(text, c):
                if ids is None:
                    ids = _ids_in(text)
                if (ids or _fix_id(text, c)) and not word_on_line(self._context_re, text, c.start, c.end, 60, 40):
                    # (no card word on its line within 60 characters before it or 40 after,
                    # whatever labels stand between: "card ref 4532015112830366")
                    continue  # an execution report's or an export's ids, one of which passes a card's checks
            if (hit is None and c.is_bare and not c.lookalikes and len(c.digits) == 13
                    and not self.context_present(text) and reference_document(text, c)):
                # a trade confirmation's "Confirm No: ...", its "Order Ref: NNNNNNNNN" and
                # "Ref: TRD-22307-B" beside it, no card word anywhere: a document of
                # references, one of which passes a card's checks (a lone label, "ref
                # 4532015112830366", is still read as a card: attack 13 F1).  Only for 13
                # digits, a length no network issues any more (Visa's last): another
                # labelled reference beside a 15-19 digit card is too cheap for an insider
                # to add ("ref <card>, ticket 123")
                continue
            score = 1.0 if hit is not None else 0.95
            if c.lookalikes and hit is None and not c.is_bare:
                score = 0.9
            taken.append((c.start, c.end))
            out.append(
                self.result(
                    CREDIT_CARD, c.start, c.end, score, f"{len(c.digits)}-digits", f"luhn+iin({brand})", hit,
                    lookalike_note(c),
                )
            )
        if CELL in text and (self.context_present(text) or blank_header_table(text)):
            for c, hit, brand in self._in_cells(text):
                if public_test_card(text, c):
                    continue
                if not (taken and any(a < c.end and c.start < b for a, b in taken)):
                    out.append(self.result(CREDIT_CARD, c.start, c.end, 0.95, "groups-in-cells", f"luhn+iin({brand})", hit))
        for start, end, brand in glued_cards(text):
            if not any(a < end and start < b for a, b in taken):
                out.append(self.result(CREDIT_CARD, start, end, 0.95, "glued-to-its-label", f"luhn+iin({brand})",
                                       ContextHit("label", -1)))
        return out
