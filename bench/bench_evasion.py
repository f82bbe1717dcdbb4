"""Evasion families of issue 15 (det21) and their hard negatives: share of messages stopped.

    PYTHONPATH=. .venv/bin/python bench/bench_evasion.py [--per-family 200] [--seed 21] [--misses 3] [--json]

A seeded generator (nothing read from the network; the look-alikes come from Unicode's
confusables data as ``confusable_homoglyphs`` ships it) writes ``--per-family`` messages
of each family; each is judged by the shipped policy (config/policy.yaml, a post) on the
detector without NER, as ``dlp-proxy eval`` judges a corpus line.  Prints the share
stopped per positive family (target >= 0.99) and the false stops per hard-negative
family (target 0).  ``--misses N`` prints N missed / falsely stopped messages of each
family (synthetic values only).

Positive families (every identifier synthetic, checksums computed):
    confusable-strict   an IBAN whose letters are written with look-alike letters of other
                        scripts (Cyrillic, Greek, Armenian, Cherokee...: the letters
                        confusables.txt pairs with a Latin letter) or fullwidth letters
    confusable-broad    an IBAN, a labelled SSN or card where any letter or digit is written
                        with any character confusables.txt pairs with it (digits' look-alikes:
                        ``O`` ``o`` for 0, ``l`` ``I`` for 1, other scripts' digits and letters)
    math-alnum          an IBAN's letters and/or digits, an SSN's or card's digits, in the
                        Mathematical Alphanumeric Symbols (U+1D400 block: bold, italic,
                        script, fraktur, double-struck, sans-serif, monospace)
    leet-labelled       a labelled SSN or card whose digits 4 3 7 6 are written A E T G
    iban-split          an IBAN split inside its check digits, or written one character at a
                        time apart by blanks or punctuation
    ssn-far-context     an SSN whose label is two or more lines before or after it
    md-table-long-header  a Markdown table whose header cell holds the label inside a longer
                        cell ("Client SSN (verified)")
    plus-address        an account number in an e-mail plus-address with account context
    reversed-labelled   (measured only: see docs/detection.md) a labelled card or SSN written
                        backwards
    rot13-labelled      (measured only) a message with an SSN in rot13: its digits stay

det23 families (tests/det23_gen.py): ``det23-leet`` (digits as look-alike letters with a
label or words saying so), ``det23-interleave`` (filler between digits with words saying
to drop it), ``det23-two-lines`` (groups a line, bullets/quotes/numbering), ``det23-json-escape``
(escapes, char-code calls, arrays, joined literals), ``det23-words`` (number words mixed with
digits), ``det23-misc`` (bidi, a label sentences before, line-broken separators, URLs), and
their hard negatives ``det23-neg-*``.

Hard-negative families: look-alike letters in ordinary finance chat, mathematical text,
Greek and Cyrillic prose with numbers, version numbers, plus-addressed e-mails without
account context, Markdown tables without identifiers, hex ids and leet words near
identifier-looking numbers, an IBAN label followed by words and other numbers.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "data"))

import make_bd_corpus as bd  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
import det23_gen  # noqa: E402  (det23's families: tests/test_detect_det23.py's generators)

Gen = Callable[[random.Random], str]


# ---------------------------------------------------------------- look-alike tables


@cache
def _raw() -> dict[str, list[dict[str, str]]]:
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    out: dict[str, list[dict[str, str]]] = json.loads(data)
    return out


#: the prototype confusables.txt gives the digits 0 and 1 (their class is the letter's)
_PROTOTYPE = {"0": "O", "1": "l"}


def _math(ch: str) -> bool:
    return 0x1D400 <= ord(ch) <= 0x1D7FF


@cache
def strict_lookalikes(c: str) -> tuple[str, ...]:
    """Letters of other scripts confusables.txt pairs with the Latin letter ``c``, and its
    fullwidth form (not the mathematical symbols: a family of their own)."""
    out = [
        g["c"]
        for g in _raw().get(c, [])
        if len(g["c"]) == 1
        and not g["c"].isascii()
        and unicodedata.category(g["c"]).startswith("L")
        and not _math(g["c"])
    ]
    out.append(chr(0xFF21 + ord(c) - 65) if c.isupper() else chr(0xFF41 + ord(c) - 97))
    return tuple(sorted(set(out)))


@cache
def broad_lookalikes(c: str) -> tuple[str, ...]:
    """Every single character confusables.txt pairs with ``c`` (a digit: with its
    prototype, so ``O`` ``o`` ``О`` for 0), ASCII letters included."""
    key = _PROTOTYPE.get(c, c)
    out = {g["c"] for g in _raw().get(key, []) if len(g["c"]) == 1 and g["c"] != c}
    if key != c:
        out.add(key)
    out.discard(c)
    return tuple(sorted(out))


_MATH_LETTER_STYLES = {  # first code point of A (capital) in each style; small a = +26
    "bold": 0x1D400,
    "italic": 0x1D434,
    "bold-italic": 0x1D468,
    "script": 0x1D49C,
    "bold-script": 0x1D4D0,
    "fraktur": 0x1D504,
    "double-struck": 0x1D538,
    "bold-fraktur": 0x1D56C,
    "sans": 0x1D5A0,
    "sans-bold": 0x1D5D4,
    "sans-italic": 0x1D608,
    "sans-bold-italic": 0x1D63C,
    "monospace": 0x1D670,
}
_MATH_DIGIT_STYLES = {
    "bold": 0x1D7CE,
    "double-struck": 0x1D7D8,
    "sans": 0x1D7E2,
    "sans-bold": 0x1D7EC,
    "monospace": 0x1D7F6,
}


def math_char(c: str, style: str) -> str:
    if c.isdigit():
        return chr(_MATH_DIGIT_STYLES.get(style, 0x1D7CE) + int(c))
    cp = _MATH_LETTER_STYLES[style] + (ord(c) - 65 if c.isupper() else 26 + ord(c) - 97)
    ch = chr(cp)
    try:
        unicodedata.name(ch)
    except ValueError:  # a hole of the block (the letter is in Letterlike Symbols): keep ASCII
        return c
    return ch


# ---------------------------------------------------------------- identifiers (make_bd_corpus's)


def _iban_with_letters(rng: random.Random) -> str:
    while True:
        v = bd.iban()
        if rng.random() < 0.5 or v[:2] in ("GB", "NL", "IE"):
            return v


def _iban_text(rng: random.Random, v: str) -> str:
    printed = bd.iban_print(v) if rng.random() < 0.6 else v
    return rng.choice(
        [
            f"IBAN {printed}",
            f"beneficiary IBAN: {printed}",
            f"pls wire EUR to {printed}",
            f"wire to {printed} today",
            f"iban {printed} (client's)",
        ]
    )


def _ssn_label(rng: random.Random) -> str:
    return rng.choice(["SSN", "ssn:", "social security #", "her social is", "SS#", "client SSN"])


def _card_label(rng: random.Random) -> str:
    return rng.choice(["card", "cc#", "credit card", "Visa", "card number", "debit card no."])


def _replace(
    rng: random.Random, v: str, positions: list[int], pick: Callable[[str], tuple[str, ...]], share: float
) -> str:
    chars = list(v)
    usable = [i for i in positions if pick(chars[i])]
    if not usable:
        return v
    k = max(1, round(len(usable) * share * rng.random()))
    for i in rng.sample(usable, min(k, len(usable))):
        chars[i] = rng.choice(pick(chars[i]))
    return "".join(chars)


# ---------------------------------------------------------------- positive families


def confusable_strict(rng: random.Random) -> str:
    v = _iban_with_letters(rng)
    letters = [i for i, c in enumerate(v) if c.isalpha()]
    v2 = _replace(rng, v, letters, strict_lookalikes, 1.0)
    return bd.desk(_iban_text(rng, v2))


def confusable_broad(rng: random.Random) -> str:
    kind = rng.choice(["iban", "iban", "ssn", "card"])
    if kind == "iban":
        v = _iban_with_letters(rng)
        printed = bd.iban_print(v) if rng.random() < 0.6 else v
        pos = [i for i, c in enumerate(printed) if c.isalnum()]
        return bd.desk(
            rng.choice(["IBAN ", "beneficiary IBAN: ", "wire to IBAN "])
            + _replace(rng, printed, pos, broad_lookalikes, 0.6)
        )
    if kind == "ssn":
        v = bd.fmt_ssn(bd.ssn(), rng.choice(["-", "-", " "]))
        pos = [i for i, c in enumerate(v) if c.isdigit()]
        return bd.desk(f"{_ssn_label(rng)} {_replace(rng, v, pos, broad_lookalikes, 0.6)}")
    v = bd.fmt_card(bd.card(), rng.choice([" ", "-"]))
    pos = [i for i, c in enumerate(v) if c.isdigit()]
    return bd.desk(f"{_card_label(rng)} {_replace(rng, v, pos, broad_lookalikes, 0.5)}")


def math_alnum(rng: random.Random) -> str:
    kind = rng.choice(["iban", "iban", "ssn", "card"])
    style = rng.choice(list(_MATH_LETTER_STYLES))
    dstyle = rng.choice(list(_MATH_DIGIT_STYLES))
    if kind == "iban":
        v = _iban_with_letters(rng)
        what = rng.choice(["letters", "all", "country"])
        chars = list(v)
        for i, c in enumerate(chars):
            if (c.isalpha() and (what != "country" or i < 2)) or (c.isdigit() and what == "all"):
                chars[i] = math_char(c, style if c.isalpha() else dstyle)
        return bd.desk(_iban_text(rng, "".join(chars)))
    if kind == "ssn":
        v = bd.fmt_ssn(bd.ssn(), rng.choice(["-", "-", " "]))
        every = rng.random() < 0.5
        v = "".join(math_char(c, dstyle) if c.isdigit() and (every or rng.random() < 0.5) else c for c in v)
        return bd.desk(f"{_ssn_label(rng)} {v}")
    v = bd.fmt_card(bd.card(), rng.choice([" ", "-"]))
    v = "".join(math_char(c, dstyle) if c.isdigit() else c for c in v)
    return bd.desk(f"{_card_label(rng)} {v}")


_LEET = {"4": "A", "3": "E", "7": "T", "6": "G"}


def _leet(rng: random.Random, v: str) -> str | None:
    pos = [i for i, c in enumerate(v) if c in _LEET]
    if not pos:
        return None
    chars = list(v)
    for i in rng.sample(pos, rng.randint(1, min(3, len(pos)))):
        chars[i] = _LEET[chars[i]]
    return "".join(chars)


def leet_labelled(rng: random.Random) -> str:
    ssn_label = ""
    while True:
        if rng.random() < 0.6:
            v = _leet(rng, bd.fmt_ssn(bd.ssn(), rng.choice(["-", "-", " "])))
            label = ssn_label = _ssn_label(rng)
        else:
            v = _leet(rng, bd.fmt_card(bd.card(), rng.choice([" ", "-"])))
            label = _card_label(rng)
        if v is not None:
            after = "client SSN" if label == ssn_label else "card number"
            return bd.desk(rng.choice([f"{label} {v}", f"{label}: {v} pls update", f"{v} is the {after}"]))


def iban_split(rng: random.Random) -> str:
    v = _iban_with_letters(rng)
    how = rng.choice(["check", "check", "each", "each", "each-punct"])
    if how == "check":
        cut = rng.choice([3, 3, 1])
        rest = bd.iban_print(v[cut:]) if rng.random() < 0.5 else v[cut:]
        t = f"{v[:cut]}{rng.choice([' ', '  ', ' - ', '-', '.', ' / '])}{rest}"
    elif how == "each":
        t = rng.choice([" ", "  "]).join(v)
    else:
        sep = rng.choice(["-", ".", "/", "|", ",", "_", " - ", "·", ":", "*"])
        t = sep.join(v)
    return bd.desk(rng.choice([f"IBAN {t}", f"wire to {t}", f"beneficiary iban: {t}", f"{t} is the IBAN"]))


_FILLER_LINES = [
    "thanks",
    "pls confirm by EOD",
    "Address: 12 Harbor St",
    "Employer: Northwind Capital LP",
    "Type: Individual",
    "see below",
    "--",
    "Phone on file",
    "ok",
    "Objective: Growth",
    "rep: JL",
]


def ssn_far_context(rng: random.Random) -> str:
    d = bd.ssn()
    v = rng.choice([d, bd.fmt_ssn(d, " "), bd.fmt_ssn(d), bd.fmt_ssn(d, ".")])
    gap = [rng.choice(_FILLER_LINES) for _ in range(rng.randint(1, 3))]
    label = rng.choice(
        [
            "SSN",
            "Client SSN below",
            "her social security number:",
            "SS# follows",
            "ssn",
            "Social Security Number",
        ]
    )
    if rng.random() < 0.6:
        lines = [label, *gap, v]
    else:
        lines = [
            v,
            *gap,
            rng.choice(["^ that's the SSN", "(above: her social)", "the number above is his ssn", "SSN ^"]),
        ]
    return "\n".join(lines)


def md_table_long_header(rng: random.Random) -> str:
    kind = rng.choice(["ssn", "acct", "card"])
    head = {
        "ssn": [
            "Client SSN (verified)",
            "SSN on W-9 (primary)",
            "Social Security No. (client)",
            "Tax id / SSN (last KYC)",
        ],
        "acct": [
            "Account number (primary)",
            "Brokerage acct # (new)",
            "Client account no. (ops)",
            "Acct (settlement, DVP)",
        ],
        "card": ["Card number on file", "Credit card (fee billing)", "Visa / card # (backup)"],
    }[kind]
    header = ["Client", rng.choice(head), rng.choice(["Status", "Notes", "Rep"])]
    rows = []
    for _ in range(rng.randint(1, 4)):
        v = {
            "ssn": lambda: rng.choice([bd.ssn(), bd.fmt_ssn(bd.ssn(), " ")]),
            "acct": lambda: bd.account(),
            "card": lambda: bd.card(),
        }[kind]()
        rows.append([rng.choice(bd.NAMES), v, rng.choice(["ok", "pending", "JL", "MK", "needs W-9"])])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def plus_address(rng: random.Random) -> str:
    a = bd.account()
    who = rng.choice(["john", "anna.k", "tsato", "priya", "mreyes"])
    dom = rng.choice(["gmail.com", "client-mail.example", "outlook.com"])
    addr = f"{who}+{a}@{dom}"
    return bd.desk(
        rng.choice(
            [
                f"send the confirms to {addr} - the tag is his account number",
                f"acct in the plus tag: {addr}",
                f"account number is in the address {addr}",
                f"use {addr} (that's the brokerage account after the +)",
                f"statements for account go to {addr}",
                f"email {addr}; account # after the plus",
            ]
        )
    )


def reversed_labelled(rng: random.Random) -> str:
    if rng.random() < 0.5:
        v = bd.fmt_ssn(bd.ssn(), rng.choice(["-", " "]))[::-1]
        return bd.desk(f"{_ssn_label(rng)} {v} (reversed)")
    v = bd.fmt_card(bd.card(), rng.choice([" ", "-"]))[::-1]
    return bd.desk(f"{_card_label(rng)} backwards {v}")


def rot13_labelled(rng: random.Random) -> str:
    """The whole message in rot13 (letters only: the digits stay as written)."""
    import codecs

    d = bd.ssn()
    v = rng.choice([d, bd.fmt_ssn(d), bd.fmt_ssn(d, " ")])
    return codecs.encode(bd.desk(f"{_ssn_label(rng)} {v}"), "rot13")


# ---------------------------------------------------------------- hard negatives

_LOOKALIKE_WORDS = {
    "A": "\u0410",
    "B": "\u0412",
    "E": "\u0415",
    "K": "\u041a",
    "M": "\u041c",
    "H": "\u041d",
    "O": "\u041e",
    "P": "\u0420",
    "C": "\u0421",
    "T": "\u0422",
    "X": "\u0425",
    "a": "\u0430",
    "e": "\u0435",
    "o": "\u043e",
    "p": "\u0440",
    "c": "\u0441",
    "x": "\u0445",
    "y": "\u0443",
}


def _lookalike_word(rng: random.Random, w: str) -> str:
    return "".join(_LOOKALIKE_WORDS[c] if c in _LOOKALIKE_WORDS and rng.random() < 0.5 else c for c in w)


def neg_lookalike_chat(rng: random.Random) -> str:
    tick = rng.choice(bd.TICKERS)
    t = rng.choice(
        [
            f"Bought {bd.qty()} {tick} at {bd.price()}, settles T+1",
            f"Client wants {bd.qty()} more {tick} if it dips below {bd.price()}",
            f"Order {rng.randint(100000, 999999)} for {tick} filled, {bd.qty()} @ {bd.price()}",
            f"OPEX {bd.date()}: {tick} calls {rng.randint(100, 900)} strike, oi {rng.randint(1000, 99999)}",
            f"Room B{rng.randint(100, 999)} booked {bd.date()} for the {tick} review, ticket CHG{rng.randint(1000000, 9999999)}",
            f"Moved {rng.randint(2, 40)}k to MMF, ref {rng.choice(string.ascii_uppercase)}{rng.randint(10000000, 99999999)}",
        ]
    )
    return bd.desk(" ".join(_lookalike_word(rng, w) for w in t.split(" ")))


def neg_math(rng: random.Random) -> str:
    x, d = math_char("x", "italic"), rng.choice(list(_MATH_DIGIT_STYLES))

    def num(k: int) -> str:
        return "".join(math_char(c, d) for c in str(rng.randint(10 ** (k - 1), 10**k - 1)))

    return rng.choice(
        [
            f"so 𝑓({x}) = {num(1)}{x}² + {num(2)}{x} − {num(3)}, and the root is near {num(1)}.{num(3)}",
            f"𝐏𝐧𝐋 today: {num(3)},{num(3)} vs budget {num(3)},{num(3)}",
            f"𝐕𝐚𝐑 (99%, 1d) = {num(2)}.{num(1)}m, limit {num(2)}m",
            f"∑ 𝑤ᵢ𝑟ᵢ for i = 1..{num(2)} gives {num(1)}.{num(4)}%",
            f"𝒀𝑻𝑴 {num(1)}.{num(3)}%, 𝑫𝑽𝟎𝟏 {num(4)}, notional {num(3)}m",
            f"{math_char('N', 'bold')} = {num(4)}, {math_char('T', 'bold')} = {num(3)}, ratio {num(1)}.{num(2)}",
        ]
    )


def neg_script_prose(rng: random.Random) -> str:
    return rng.choice(
        [
            f"Встреча перенесена на {rng.randint(1, 28)}.{rng.randint(1, 12):02d} в {rng.randint(9, 18)}:30, комната {rng.randint(100, 999)}.",
            f"Клиент купил {rng.randint(100, 9999)} акций по {bd.price()} руб., комиссия {rng.randint(10, 999)} руб.",
            f"Заявка № {rng.randint(100000, 999999)} исполнена {bd.date()}, объём {rng.randint(1, 999)} млн.",
            f"Η συνάντηση είναι στις {rng.randint(9, 18)}:00, αίθουσα {rng.randint(100, 999)}, όροφος {rng.randint(1, 9)}.",
            f"Ο πελάτης αγόρασε {rng.randint(100, 9999)} μετοχές στα {bd.price()} ευρώ, εντολή {rng.randint(100000, 999999)}.",
            f"ΑΦΜ εταιρείας στο αρχείο, τιμολόγιο {rng.randint(1000, 9999)}/{rng.randint(2019, 2026)}, ποσό {rng.randint(100, 99999)} €.",
            f"Оборот за квартал {rng.randint(10, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)} руб., план {rng.randint(100, 999)} млн.",
        ]
    )


def neg_version(rng: random.Random) -> str:
    def v() -> str:
        return rng.choice(
            [
                f"{rng.randint(1, 20)}.{rng.randint(0, 40)}.{rng.randint(0, 9999)}",
                f"{rng.randint(1, 9)}.{rng.randint(10, 99)}.{rng.randint(100, 999)}.{rng.randint(1000, 9999)}",
                f"v{rng.randint(1, 20)}.{rng.randint(0, 99)}.{rng.randint(0, 99)}-rc{rng.randint(1, 9)}",
                f"{rng.randint(2019, 2026)}.{rng.randint(1, 12):02d}.{rng.randint(1, 9999)}",
            ]
        )

    return bd.desk(
        rng.choice(
            [
                f"OMS upgraded to {v()}, FIX engine {v()}",
                f"please retest on build {v()}",
                f"Bloomberg terminal {v()} breaks the blotter export; rollback to {v()}",
                f"client app {v()} (Android) vs {v()} (iOS)",
            ]
        )
    )


def neg_plus_email(rng: random.Random) -> str:
    who = rng.choice(["john", "ops", "alerts", "anna.k", "desk3", "noreply"])
    tag = rng.choice(
        [
            str(rng.randint(10_000_000, 999_999_999_999)),
            bd.date().replace("/", ""),
            f"{rng.randint(2019, 2026)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
            f"ticket{rng.randint(1000, 99999)}",
            str(rng.randint(1000, 9999)),
        ]
    )
    addr = f"{who}+{tag}@{rng.choice(['gmail.com', 'desk.example', 'outlook.com'])}"
    return bd.desk(
        rng.choice(
            [
                f"cc {addr} on the recap",
                f"newsletter signups go to {addr}",
                f"Jira sends from {addr}, filter it",
                f"my sorting alias is {addr}",
                f"reply-to is {addr} for the conference RSVP",
            ]
        )
    )


def neg_md_table(rng: random.Random) -> str:
    header = [
        "Trade ID",
        rng.choice(
            [
                "Quantity (shares, net)",
                "Notional (USD, mm)",
                "Order id (OMS, new)",
                "Ticket # (internal)",
                "Amount (settled)",
            ]
        ),
        "Px",
        "Trader",
    ]
    rows = []
    for _ in range(rng.randint(2, 5)):
        rows.append(
            [
                f"T{rng.randint(10000, 99999)}",
                rng.choice(
                    [
                        str(rng.randint(100_000_000, 999_999_999)),
                        bd.qty(),
                        f"{rng.randint(10_000_000, 99_999_999)}",
                    ]
                ),
                bd.price(),
                rng.choice(["JL", "MK", "RS"]),
            ]
        )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def neg_hex_leet(rng: random.Random) -> str:
    h = "".join(rng.choice("0123456789abcdef") for _ in range(rng.randint(7, 12)))
    H = h.upper()
    return bd.desk(
        rng.choice(
            [
                f"card reader firmware {H[:4]}-{H[4:6]}-{H[6:]} deployed",
                f"commit {h} fixes the card-fee rounding",
                f"session id {H} for the SSN lookup outage",
                f"AE86 and GT-R{rng.randint(30, 35)} parked in lot {rng.randint(1, 9)}",
                f"T-Mobile 5G down on floor {rng.randint(2, 40)}, ticket {rng.randint(100000, 999999)}",
                f"TEA{rng.randint(100, 999)}-GET{rng.randint(10, 99)} is the card batch id",
            ]
        )
    )


def neg_iban_words(rng: random.Random) -> str:
    """An IBAN label followed by words, ids and amounts (what ``_read_alike`` reads after
    a label must be an IBAN, not prose with ``O`` ``l`` ``I`` in it)."""
    return bd.desk(
        rng.choice(
            [
                f"IBAN field is empty on {rng.randint(2, 40)} of the {rng.randint(41, 99)} forms",
                f"IBAN: Oil and gas desk still waiting on {rng.choice(bd.FIRMS)}",
                f"IBAN lookup for Ollie IIlI failed, ticket {rng.randint(100000, 999999)}",
                f"IBAN bill pay limit is {rng.randint(1, 99)}0,000 EUR, ref OO{rng.randint(10000000, 99999999)}",
                f"IBAN {rng.choice(['DE', 'GB', 'FR', 'NL'])} format check v{rng.randint(1, 9)}.{rng.randint(0, 99)} released",
                f"IBAN: {rng.choice(['pending', 'TBD', 'see attached', 'n/a'])} - order {rng.randint(10**9, 10**10 - 1)} settles {bd.date()}",
            ]
        )
    )


def neg_far_label(rng: random.Random) -> str:
    """A number alone on its line in a message that names an SSN elsewhere, in a line that
    says more than the label, or a line pointing back that names something else."""
    num = str(rng.randint(100_000_000, 899_999_999))
    gap = [rng.choice(_FILLER_LINES) for _ in range(rng.randint(2, 3))]
    before = rng.choice(
        [
            "SSN lookup in the CRM times out for entity accounts since Monday",
            "no SSN needed for the LLC, they gave us the EIN on the W-9",
            "reminder: never paste a client's social security number in chat",
        ]
    )
    after = rng.choice(
        [
            "^ that's the order id for the block trade",
            "(above: the OMS ticket number)",
            "the number above is the FIX session id",
            "^ confirm ref from the custodian",
        ]
    )
    if rng.random() < 0.5:
        return "\n".join([before, *gap, num, "thanks"])
    return "\n".join(["SSN questions go to ops", *gap, num, after])


POSITIVE: dict[str, Gen] = {
    "confusable-strict": confusable_strict,
    "confusable-broad": confusable_broad,
    "math-alnum": math_alnum,
    "leet-labelled": leet_labelled,
    "iban-split": iban_split,
    "ssn-far-context": ssn_far_context,
    "md-table-long-header": md_table_long_header,
    "plus-address": plus_address,
    "reversed-labelled": reversed_labelled,
    "rot13-labelled": rot13_labelled,
}
NEGATIVE: dict[str, Gen] = {
    "neg-lookalike-chat": neg_lookalike_chat,
    "neg-math": neg_math,
    "neg-script-prose": neg_script_prose,
    "neg-version": neg_version,
    "neg-plus-email": neg_plus_email,
    "neg-md-table": neg_md_table,
    "neg-hex-leet": neg_hex_leet,
    "neg-iban-words": neg_iban_words,
    "neg-far-label": neg_far_label,
}
# (after the others: a family's messages depend on its place in the list, so the earlier
# families keep theirs)
POSITIVE_DET23: dict[str, Gen] = dict(det23_gen.POSITIVE)
NEGATIVE_DET23: dict[str, Gen] = dict(det23_gen.NEGATIVE)


def rows(per_family: int, seed: int) -> list[dict[str, object]]:
    """The labelled messages (the format of tests/data/corpus.jsonl), deterministic."""
    out: list[dict[str, object]] = []
    for i, (name, gen) in enumerate([*POSITIVE.items(), *NEGATIVE.items(), *POSITIVE_DET23.items(),
                                     *NEGATIVE_DET23.items()]):
        rng = random.Random(f"{seed}:{name}")
        bd.R.seed(f"{seed}:{i}:{name}")
        expect = "stop" if name in POSITIVE or name in POSITIVE_DET23 else "allow"
        out += [
            {
                "text": gen(rng),
                "expect": expect,
                "category": "evasion" if expect == "stop" else "neg",
                "family": name,
            }
            for _ in range(per_family)
        ]
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-family", type=int, default=200)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--misses", type=int, default=0)
    ap.add_argument("--family", action="append", help="only these families")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--dump", type=Path, help="write the messages as JSONL and exit")
    args = ap.parse_args()
    data = rows(args.per_family, args.seed)
    if args.family:
        data = [r for r in data if r["family"] in args.family]
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for r in data:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        return 0
    from dlp_proxy.cli.detect import make_decider
    from dlp_proxy.detect import build_detector
    from dlp_proxy.interfaces import DLPError
    from dlp_proxy.model import ContentItem, ScannedItem

    decide, _ = make_decider(None, False)
    engine = build_detector(ner=False)
    stats: dict[str, list[int]] = {}
    misses: dict[str, list[str]] = {}
    t0 = time.process_time()
    for r in data:
        text = str(r["text"])
        try:
            found = engine.analyze(text)
            decision = decide([ScannedItem(ContentItem("text", text), tuple(found))])
        except DLPError:
            decision = "fail_closed"
        stop = decision in ("block", "quarantine", "redact", "fail_closed")
        fam = str(r["family"])
        s = stats.setdefault(fam, [0, 0])
        s[0] += 1
        s[1] += int(stop)
        if stop != (r["expect"] == "stop"):
            misses.setdefault(fam, []).append(text)
    cpu = time.process_time() - t0
    report = {
        fam: {"messages": s[0], "stopped": s[1], "share": round(s[1] / s[0], 4)} for fam, s in stats.items()
    }
    if args.json:
        print(
            json.dumps(
                {
                    "seed": args.seed,
                    "per_family": args.per_family,
                    "families": report,
                    "cpu_ms_per_message": round(cpu / len(data) * 1000, 3),
                },
                indent=2,
            )
        )
        return 0
    print(
        f"seed {args.seed}, {args.per_family} messages a family; CPU {cpu / len(data) * 1000:.2f} ms/message"
    )
    for fam, m in report.items():
        kind = "stopped" if fam in POSITIVE or fam in POSITIVE_DET23 else "false stops"
        print(f"{fam:<24} {kind:<12} {m['stopped']:>4}/{m['messages']:<4} {m['share']:.4f}")
        for t in misses.get(fam, [])[: args.misses]:
            print("    " + json.dumps(t, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
