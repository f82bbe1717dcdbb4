"""Texts a new detector scans before its first real one.

A detector builds part of its state on the first text that needs it: the context
regexes of a recognizer (``_common._bare``), their Hyperscan span databases
(``gatescan.register_spans``), the confusables and number-word tables.  On the first
post with a labelled identifier of a kind that cost 20-270 ms (docs/benchmarks.md, "A
new detector's first identifiers"), paid by that post, on the event loop when the
gateway scans it inline.  ``warm_texts`` holds one labelled identifier of every kind the shipped
recognizers stop or report, in chat and in a file's table and prose, so that cost is
paid at start instead.

The identifiers are made here, from a seeded generator, with the check digits the
recognizers' own checks want (a value that fails its checksum stops before the context
is read, and would warm nothing); none is written in the source.  They are only
scanned: nothing is logged, archived or kept.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.recognizers.bank import aba_valid
from dlp_proxy.recognizers.iban import iban_valid
from dlp_proxy.recognizers.securities import cusip_valid

__all__ = ["warm_texts"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _completed(body: str, valid: Callable[[str], bool]) -> str:
    """``body`` and the check digit that makes ``valid`` (a recognizer's own check) pass."""
    return next(body + d for d in "0123456789" if valid(body + d))


def _aba(rng: random.Random) -> str:
    """A routing number: a Federal Reserve prefix and the ABA check digit."""
    prefix = f"{rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 21, 22, 26, 31]):02d}"
    return _completed(prefix + _digits(rng, 6), aba_valid)


def _iban(rng: random.Random) -> str:
    """A UK IBAN (bank code, sort code, account) with its ISO 7064 check digits."""
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + _digits(rng, 14)
    return next(f"GB{check:02d}{bban}" for check in range(2, 99) if iban_valid(f"GB{check:02d}{bban}"))


def _cusip(rng: random.Random) -> str:
    body = _digits(rng, 3) + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(5))
    return _completed(body, cusip_valid)


def warm_texts(seed: int = 1917) -> tuple[str, ...]:
    """Chat messages, a table and a page of prose, each with labelled identifiers of
    the shipped kinds (made from ``seed``)."""
    rng = random.Random(seed)
    ssn = f"{rng.randrange(100, 600):03d}-{rng.randrange(10, 99):02d}-{rng.randrange(1000, 9999):04d}"
    ssn_bare = f"{rng.randrange(100, 600):03d}{rng.randrange(10, 99):02d}{rng.randrange(1000, 9999):04d}"
    itin = f"9{rng.randrange(10, 99):02d}-{rng.choice([70, 75, 78, 81, 88, 92]):02d}-{rng.randrange(1000, 9999):04d}"
    card = _completed("4" + _digits(rng, 14), luhn_ok)
    card_grouped = " ".join(card[k:k + 4] for k in range(0, 16, 4))
    amex = _completed("37" + _digits(rng, 12), luhn_ok)
    aba, account = _aba(rng), _digits(rng, 10)
    iban = _iban(rng)
    ein = f"{rng.randrange(10, 88):02d}-{_digits(rng, 7)}"
    phone = f"({rng.randrange(201, 989)}) {rng.randrange(201, 989)}-{_digits(rng, 4)}"
    passport, licence = _digits(rng, 9), "D" + _digits(rng, 7)
    cusip = _cusip(rng)
    chat = (
        f"per our call, ssn: {ssn} thanks",
        f"my social is {ssn_bare}",
        f"Hey - Itin = {itin} for the W-7",
        f"card number - {card_grouped} exp 11/29",
        f"amex {amex} on file",
        f"wire: RTN {aba} acct {account}",
        f"ROUTING {aba} ACCT {account}, for further credit to the client",
        f"ABA {aba} / account {account} (checking)",
        f"ok so {iban} (iban) for the transfer",
        f"tax id / EIN {ein} for the entity",
        f"reach me at {phone} or jo.doe@example.com",
        f"DOB 03/14/1971, passport {passport}, driver's license {licence}",
        f"bought 500 shares, CUSIP {cusip}",
        f"s o c i a l: {ssn}",
        f"account number ending in {account[-4:]}, full {account}",
    )
    table = "name,account,routing,ssn\n" + "".join(
        f"{name},{_digits(rng, 10)},{_aba(rng)},{rng.randrange(100, 600):03d}-{rng.randrange(10, 99):02d}-"
        f"{rng.randrange(1000, 9999):04d}\n" for name in ("Ann Lee", "Bob Ray", "Gus Moss"))
    # a file's text: longer than a chat message, so the gates of long texts run too
    prose = "\n".join(
        ("The quarterly review moved to Thursday afternoon; the desk handled the flow well. " * 3, *chat, table))
    return (*chat, table, prose)
