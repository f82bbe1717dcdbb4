"""Texts a new detector scans before its first real one.

A detector builds part of its state on the first text that needs it: the context
regexes of a recognizer (``_common._bare``), their Hyperscan span databases
(``gatescan.register_spans``), the confusables and number-word tables.  On the first
post with a labelled identifier of a kind that cost 20-270 ms (docs/benchmarks.md,
"Identifier messages"), paid by that post, on the event loop when the gateway scans it
inline.  ``warm_texts`` holds one labelled identifier of every kind the shipped
recognizers stop or report, in chat and in a file's table and prose, so that cost is
paid at start instead.

The identifiers are made here, from a seeded generator, with valid check digits (a
value that fails its checksum stops before the context is read, and would warm
nothing); none is written in the source.  They are only scanned: nothing is logged,
archived or kept.
"""

from __future__ import annotations

import random

__all__ = ["warm_texts"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


def _luhn_completed(body: str) -> str:
    """``body`` and the digit that makes it pass the Luhn check."""
    total = 0
    for k, ch in enumerate(reversed(body)):
        d = int(ch)
        if k % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def _aba(rng: random.Random) -> str:
    """A routing number: a Federal Reserve prefix and the ABA check digit."""
    body = f"{rng.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 21, 22, 26, 31]):02d}" + _digits(rng, 6)
    weights = (3, 7, 1, 3, 7, 1, 3, 7)
    total = sum(int(c) * w for c, w in zip(body, weights, strict=True))
    return body + str((10 - total % 10) % 10)


def _iban(rng: random.Random) -> str:
    """A UK IBAN (bank code, sort code, account) with its ISO 7064 check digits."""
    bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + _digits(rng, 14)
    moved = bban + "GB00"
    check = 98 - int("".join(str(int(c, 36)) for c in moved)) % 97
    return f"GB{check:02d}{bban}"


def _cusip(rng: random.Random) -> str:
    body = _digits(rng, 3) + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(5))
    total = 0
    for k, ch in enumerate(body):
        v = int(ch, 36)
        if k % 2 == 1:
            v *= 2
        total += v // 10 + v % 10
    return body + str((10 - total % 10) % 10)


def warm_texts(seed: int = 1917) -> tuple[str, ...]:
    """Chat messages, a table and a page of prose, each with labelled identifiers of
    the shipped kinds (made from ``seed``)."""
    rng = random.Random(seed)
    ssn = f"{rng.randrange(100, 600):03d}-{rng.randrange(10, 99):02d}-{rng.randrange(1000, 9999):04d}"
    ssn_bare = f"{rng.randrange(100, 600):03d}{rng.randrange(10, 99):02d}{rng.randrange(1000, 9999):04d}"
    itin = f"9{rng.randrange(10, 99):02d}-{rng.choice([70, 75, 78, 81, 88, 92]):02d}-{rng.randrange(1000, 9999):04d}"
    card = _luhn_completed("4" + _digits(rng, 14))
    card_grouped = " ".join(card[k:k + 4] for k in range(0, 16, 4))
    amex = _luhn_completed("37" + _digits(rng, 12))
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
