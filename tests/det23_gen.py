"""Generators of det23's evasion families and their hard negatives (synthetic values only).

Each generator takes a ``random.Random`` (hypothesis' ``st.randoms()`` in
tests/test_detect_det23.py, a seeded one in bench/bench_evasion.py) and returns one message.
Identifiers are valid: SSN areas never 000/666/9xx, cards Luhn-valid with real prefixes,
IBANs mod-97, routing numbers with the ABA checksum.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

Gen = Callable[[random.Random], str]

# ---------------------------------------------------------------- identifiers


def ssn(r: random.Random) -> str:
    while True:
        area = r.randint(1, 899)
        if area != 666:
            break
    return f"{area:03d}{r.randint(1, 99):02d}{r.randint(1, 9999):04d}"


def luhn_complete(body: str) -> str:
    for c in string.digits:
        d = body + c
        total = 0
        for i, ch in enumerate(reversed(d)):
            x = int(ch)
            if i % 2:
                x = x * 2 - 9 if x > 4 else x * 2
            total += x
        if total % 10 == 0:
            return d
    raise AssertionError


def card(r: random.Random) -> str:
    p, k = r.choice([("4", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("6011", 16)])
    return luhn_complete(p + "".join(r.choice(string.digits) for _ in range(k - len(p) - 1)))


def aba(r: random.Random) -> str:
    while True:
        p = r.choice([*range(1, 13), *range(21, 33), *range(61, 73)])
        d = f"{p:02d}" + "".join(r.choice(string.digits) for _ in range(6))
        for c in string.digits:
            x = d + c
            w = sum(int(a) * b for a, b in zip(x, (3, 7, 1) * 3, strict=True))
            if w % 10 == 0:
                return x


_IBAN = {"DE": "n18", "GB": "a4n14", "FR": "n23", "NL": "a4n10", "CH": "n17", "IE": "a4n14"}


def iban(r: random.Random) -> str:
    cc = r.choice(list(_IBAN))
    spec = _IBAN[cc]
    bban = ""
    if spec.startswith("a4"):
        bban += "".join(r.choice("ABCDEFGHJKLMNPRSTUVWXY") for _ in range(4))
        spec = spec[2:]
    bban += "".join(r.choice(string.digits) for _ in range(int(spec[1:])))
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def groups_of(kind: str, d: str) -> list[str]:
    if kind == "ssn":
        return [d[:3], d[3:5], d[5:]]
    if len(d) == 15:
        return [d[:4], d[4:10], d[10:]]
    return [d[i : i + 4] for i in range(0, len(d), 4)]


def ident(r: random.Random) -> tuple[str, str]:
    """(kind, digits): an SSN or a card."""
    if r.random() < 0.55:
        return "ssn", ssn(r)
    return "card", card(r)


SSN_LABELS = ("SSN", "ssn", "social", "SSN#", "soc sec no", "social security number", "tax id (SSN)")
CARD_LABELS = ("card", "cc", "Visa", "credit card", "card number", "CC#", "debit card")


def label(r: random.Random, kind: str) -> str:
    return r.choice(SSN_LABELS if kind == "ssn" else CARD_LABELS)


# ---------------------------------------------------------------- leet

LEET = {"0": "Oo", "1": "lI|", "2": "Z", "3": "E", "4": "A", "5": "S", "6": "Gb", "7": "T", "8": "B", "9": "gq"}
LEET_TOLD = (
    "read the letters as numbers", "(leetspeak)", "l33t style", "letters are digits", "it's in leet",
    "letters = numbers", "read letters as digits", "1337 speak", "decode the leet", "(l33t)",
    "swap the letters back to numbers", "leet-encoded",
)


def leet_value(r: random.Random, d: str, kind: str) -> str:
    gs = groups_of(kind, d)
    sep = r.choice(["-", " ", "-"] if kind == "ssn" else [" ", "-", " "])
    if r.random() < 0.2:
        sep = ""
    idx = list(range(len(d)))
    n = r.randint(max(2, len(d) // 4), len(d) // 2)
    pick = set(r.sample(idx, n))
    chars = [r.choice(LEET[c]) if i in pick else c for i, c in enumerate(d)]
    out, k = [], 0
    for g in gs:
        out.append("".join(chars[k : k + len(g)]))
        k += len(g)
    return sep.join(out)


def leet(r: random.Random) -> str:
    kind, d = ident(r)
    v = leet_value(r, d, kind)
    told, lab = r.random() < 0.8, r.random() < 0.6
    if not told and not lab:
        lab = True
    parts = [r.choice(["", "fyi ", "ok ", "per the call, "])]
    if lab:
        parts.append(f"{label(r, kind)} ")
    parts.append(v)
    if told:
        t = r.choice(LEET_TOLD)
        if r.random() < 0.5:
            return f"{t}: " + "".join(parts).strip()
        parts.append(f" {t}")
    return "".join(parts).strip()


# ---------------------------------------------------------------- interleave

INTERLEAVE_TOLD = (
    "ignore the letters", "skip the x's", "drop every other character", "digits only",
    "(letters are filler)", "remove the junk chars", "every 2nd char is noise", "skip the filler",
    "only the numbers count", "strip the letters", "read every other character",
)


def interleave_value(r: random.Random, kind: str, d: str) -> str:
    style = r.randrange(4)
    gs = groups_of(kind, d)
    if style == 0:  # one filler letter repeated, no separators
        f = r.choice("xXzqkw")
        return f.join(d)
    if style == 1:  # random letters, groups kept with dashes
        return r.choice(["-", " "]).join(
            "".join(c + r.choice(string.ascii_lowercase) for c in g)[:-1] for g in gs)
    if style == 2:  # filler characters (punctuation) between every digit
        f = r.choice([".", "*", "_", "#", "~", "+", "x."])
        return f.join(d)
    # style 3: random letters glued, then letters after each digit in groups
    return "".join(c + r.choice(string.ascii_letters) for c in d)


def interleave(r: random.Random) -> str:
    kind, d = ident(r)
    v = interleave_value(r, kind, d)
    t = r.choice(INTERLEAVE_TOLD)
    lab = f"{label(r, kind)} " if r.random() < 0.5 else ""
    if r.random() < 0.5:
        return f"{lab}{v} ({t})"
    return f"{t}: {lab}{v}"


# ---------------------------------------------------------------- two lines

def two_lines(r: random.Random) -> str:
    kind, d = ident(r)
    gs = groups_of(kind, d)
    if r.random() < 0.3 and kind == "card":
        gs = [d[:8], d[8:]]
    style = r.randrange(10)
    word = r.choice(["step", "line", "row", "item"])
    lines = []
    for i, g in enumerate(gs, 1):
        if style == 6:
            lines.append(f"({i}) {g}")
        elif style == 7:
            lines.append(f"#{i} {g}")
        elif style == 8:
            lines.append(f"{i}/{len(gs)}: {g}")
        elif style == 9:
            lines.append(f"{word} {i}: {g}")
        elif style == 0:
            lines.append(f"- {g}")
        elif style == 1:
            lines.append(f"> {g}")
        elif style == 2:
            lines.append(f"{i}. {g}")
        elif style == 3:
            lines.append(f"* {g}")
        elif style == 4:
            lines.append(f"{i}) {g}")
        else:
            lines.append(g)
    glue = r.choice(["\n", "\n\n", "\n", "\r\n"])
    head = f"{label(r, kind)}{r.choice([':', '', ' below:', ' (one group a line):', ' split over lines:'])}"
    body = glue.join(lines)
    if r.random() < 0.2:
        return f"{body}\n^ that's the {label(r, kind)}"
    if r.random() < 0.3:
        return f"{head}\n{body}\nthanks"
    return f"{head}\n{body}"


# ---------------------------------------------------------------- json / code escapes

def _chars(v: str, r: random.Random) -> str:
    style = r.randrange(9)
    if style == 0:
        return "".join(f"\\u{ord(c):04x}" for c in v)
    if style == 1:
        return "".join(f"\\x{ord(c):02x}" for c in v)
    if style == 2:
        return "".join(f"\\{ord(c):03o}" for c in v)
    if style == 3:
        return "String.fromCharCode(" + ",".join(str(ord(c)) for c in v) + ")"
    if style == 4:
        return "[" + r.choice([",", ", "]).join(c for c in v if c.isdigit()) + "]"
    if style == 5:
        q = r.choice(["'", '"'])
        return " + ".join(f"{q}{p}{q}" for p in _cut(v, r))
    if style == 6:
        return "+".join(f"chr({ord(c)})" for c in v)
    if style == 7:
        return "".join(f"'\\x{ord(c):02x}'" for c in v)
    return "[" + ", ".join(f'"{c}"' for c in v) + "]"


def _cut(v: str, r: random.Random) -> list[str]:
    k = r.randint(2, 4)
    cuts = sorted(r.sample(range(1, len(v)), k - 1))
    return [v[a:b] for a, b in zip([0, *cuts], [*cuts, len(v)], strict=True)]


def json_escape(r: random.Random) -> str:
    kind, d = ident(r)
    gs = groups_of(kind, d)
    v = r.choice(["-", " ", ""]).join(gs) if kind == "ssn" else r.choice([" ", "-", ""]).join(gs)
    body = _chars(v, r)
    key = r.choice(["ssn", "social", "tax_id"] if kind == "ssn" else ["card", "cc_number", "pan", "cardNumber"])
    style = r.randrange(3)
    if style == 0:
        return f'{{"{key}": "{body}"}}' if not body.startswith(("[", "String", "chr")) else f'{{"{key}": {body}}}'
    if style == 1:
        return f"const {key} = {body};"
    return f"```\n{key} = {body}\n```"


# ---------------------------------------------------------------- number words

WORD = {"0": ("zero", "oh", "o"), "1": ("one",), "2": ("two",), "3": ("three",), "4": ("four",), "5": ("five",),
        "6": ("six",), "7": ("seven",), "8": ("eight",), "9": ("nine",)}
TENS = {"2": "twenty", "3": "thirty", "4": "forty", "5": "fifty", "6": "sixty", "7": "seventy", "8": "eighty",
        "9": "ninety"}


def _say_group(r: random.Random, g: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(g):
        c = g[i]
        run = 1
        while i + run < len(g) and g[i + run] == c:
            run += 1
        if run >= 3 and r.random() < 0.7:
            out.append(f"triple {WORD[c][0]}")
            i += 3
            continue
        if run >= 2 and r.random() < 0.7:
            out.append(f"double {r.choice(WORD[c][:2])}")
            i += 2
            continue
        if r.random() < 0.35:
            out.append(c)
        else:
            out.append(r.choice(WORD[c][:2]) if c == "0" else WORD[c][0])
        i += 1
    return out


def _hundreds(g: str) -> str | None:
    if len(g) != 3 or g[0] == "0":
        return None
    head = f"{WORD[g[0]][0]} hundred"
    if g[1:] == "00":
        return head
    if g[1] == "0":
        return f"{head} {WORD[g[2]][0]}"
    if g[1] in TENS:
        return f"{head} {TENS[g[1]]}" + ("" if g[2] == "0" else f"-{WORD[g[2]][0]}")
    return None


def words(r: random.Random) -> str:
    kind, d = ident(r)
    gs = groups_of(kind, d)
    sep = r.choice([" - ", ", ", " / ", "\n", " dash ", " | "])
    said = []
    for j, g in enumerate(gs):
        h = _hundreds(g) if j == 0 and kind == "ssn" and r.random() < 0.3 else None
        said.append(h if h is not None else " ".join(_say_group(r, g)))
    body = sep.join(said)
    if r.random() < 0.3:
        body = body.upper() if r.random() < 0.5 else body.capitalize()
    lab = label(r, kind)
    return r.choice([f"{lab} is {body}", f"{lab}: {body}", f"my {lab}\n{body}", f"{body} is the {lab}"])


# ---------------------------------------------------------------- misc (bidi, distance, line breaks, URL)

FILLER_SENTENCES = (
    "Thanks for jumping on the call earlier.", "We still need the signed forms before Friday.",
    "The desk will close the ticket after the review.", "Let me know if the portal gives you trouble.",
    "Compliance asked for the usual checks.", "I'll loop in ops once it clears.",
)


def misc(r: random.Random) -> str:
    kind, d = ident(r)
    gs = groups_of(kind, d)
    v = r.choice(["-", " "]).join(gs)
    style = r.randrange(5)
    lab = label(r, kind)
    if style == 0:  # bidi: RLO around the reversed value, or isolates between groups
        if r.random() < 0.5:
            return f"{lab} \u202e{v[::-1]}\u202c ok"
        iso = r.choice(["\u2066", "\u2067", "\u2068", "\u200f", "\u061c"])
        return f"{lab} " + f"{iso}-\u2069".join(gs) if iso != "\u200f" else f"{lab} " + "\u200f-".join(gs)
    if style == 1:  # label several sentences before
        k = r.randint(2, 4)
        fill = " ".join(r.sample(FILLER_SENTENCES, k))
        return f"Re the client's {lab}. {fill} Here it is: {v}"
    if style == 2:  # separators with line breaks
        s = r.choice(["-\n", "\n-", " -\n ", "\n\n", "/\n", ".\n"])
        return f"{lab} " + s.join(gs)
    if style == 3:  # URL query / percent-encoding
        key = r.choice(["ssn", "social"] if kind == "ssn" else ["card", "pan", "cc"])
        enc = "".join(f"%{ord(c):02X}" if r.random() < 0.6 else c for c in v)
        return f"https://portal.example.com/client?id=7&{key}={enc}&x=1"
    # url path with encoded dashes
    enc = v.replace("-", "%2D").replace(" ", "%20")
    return f"see https://example.com/{'ssn' if kind == 'ssn' else 'card'}/{enc}/view"


# ---------------------------------------------------------------- hard negatives

def neg_leet(r: random.Random) -> str:
    """Tickers, product codes, hex hashes, order ids, base32 tokens, leet words, with leet talk."""
    style = r.randrange(9)
    hexd = "0123456789abcdef"
    if style == 0:
        code = "".join(r.choice("ABEGOSTZ") for _ in range(3))
        return f"product code {code[0]}{r.randint(1, 9)}{code[1]}-{r.randint(1, 9)}{code[2]}{r.choice('OlIS')}"
    if style == 1:
        return f"commit {''.join(r.choice(hexd) for _ in range(r.choice([7, 12, 40])))} fixed the l33t bug"
    if style == 2:
        return f"order {r.choice('ABEST')}{r.randint(100, 999)}-{r.choice('GBZO')}{r.randint(10, 99)}-{r.randint(1000, 9999)}{r.choice('ET')} shipped"
    if style == 3:
        b32 = "".join(r.choice(string.ascii_uppercase + "234567") for _ in range(r.choice([16, 26, 32])))
        return f"token {b32} expires (read the letters carefully)"
    if style == 4:
        return f"h4x0r n00b 1337 {r.choice(['GOOG', 'TSLA', 'BABA', 'SBSI', 'ZBRA'])} up {r.randint(1, 9)}.{r.randint(10, 99)}%"
    if style == 5:
        return f"leetspeak is fun: {r.choice(['B00B5', 'L33T', 'G00D', 'B16 BO55', 'SOS 1O1'])} lol, ref {r.randint(100, 999)}-{r.randint(10, 99)}"
    if style == 6:
        return f"tickers {r.choice(['BAC', 'GS', 'MS', 'T', 'BBBY', 'GE'])} {r.randint(10, 99)} SOLD {r.randint(1000, 9999)} @ {r.randint(10, 99)}.{r.randint(10, 99)}"
    if style == 7:
        return f"serial SN-{r.randint(100, 999)}{r.choice('ABEGS')}{r.randint(10, 99)}-{r.choice('TZOB')}{r.randint(100, 999)} in stock"
    return f"read the letters as numbers in the puzzle: {r.randint(100, 999)} apples and {r.randint(10, 99)} pears, {r.randint(1000, 9999)} total"


def neg_interleave(r: random.Random) -> str:
    style = r.randrange(6)
    hexd = "0123456789abcdef"
    if style == 0:
        return f"uuid {''.join(r.choice(hexd) for _ in range(8))}-{''.join(r.choice(hexd) for _ in range(4))} (ignore the letters in logs)"
    if style == 1:
        return f"resolution {r.randint(640, 3840)}x{r.randint(480, 2160)} and 4x8 grid, skip the x's"
    if style == 2:
        return f"version {r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 99)} build {r.randint(100, 999)}"
    if style == 3:
        return f"a1b2c3 is the wifi password, digits only: {r.randint(10, 99)}"
    if style == 4:
        return f"order {r.randint(100, 999)}x{r.randint(10, 99)} units at {r.randint(10, 99)}.{r.randint(10, 99)} (ignore the letters)"
    return f"ratio {r.randint(1, 9)}:{r.randint(1, 9)}:{r.randint(1, 9)} drop every other one"


def neg_lines(r: random.Random) -> str:
    """Numbered lists and fills a line each: no label names an identifier."""
    if r.random() < 0.5:
        items = [f"{r.randint(1, 999)} shares", f"{r.randint(10, 99)}.{r.randint(10, 99)} px", f"qty {r.randint(100, 9999)}"]
        lead = r.choice(["- ", "> ", "1. ", "* ", ""])
        return "fills:\n" + "\n".join(lead + x for x in items)
    vals = [str(r.randint(100, 899)), str(r.randint(10, 99)), str(r.randint(1000, 9999))]
    if r.random() < 0.4:  # four fours that are no card (a Luhn-valid sixteen on four lines is one, labelled or not)
        vals = [str(r.randint(1000, 9999)) for _ in range(4)]
        if luhn_complete("".join(vals)[:15]) == "".join(vals):
            vals[3] = vals[3][:3] + str((int(vals[3][3]) + 1) % 10)
    mark = r.choice(["({i}) ", "#{i} ", "{i}/{n}: ", "step {i}: ", "part {i}: ", "{i}. "])
    head = r.choice(["top sellers", "ranks:", "fills", "votes by option", "lots per desk:"])
    return head + "\n" + "\n".join(mark.format(i=i, n=len(vals)) + v for i, v in enumerate(vals, 1))


def neg_code(r: random.Random) -> str:
    style = r.randrange(4)
    if style == 0:
        return "const sizes = [" + ", ".join(str(r.randint(0, 9)) for _ in range(r.randint(3, 6))) + "];"
    if style == 1:
        return 'greeting = "\\u0048\\u0069"; count = ' + str(r.randint(1, 999))
    if style == 2:
        return "String.fromCharCode(72,101,108,108,111) // hello"
    return f'{{"qty": {r.randint(1, 999)}, "px": "{r.randint(10, 99)}.{r.randint(10, 99)}", "ref": "{r.randint(100, 999)}"}}'


def neg_words(r: random.Random) -> str:
    return r.choice([
        "two or three of us will be there by nine, maybe ten",
        "double check the triple witching dates, one two three go",
        f"we did five hundred lots then {r.randint(100, 999)} more",
        "oh no, four of the seven trades broke",
        "one on one at two, then three more calls",
    ])


POSITIVE: dict[str, Gen] = {
    "det23-leet": leet,
    "det23-interleave": interleave,
    "det23-two-lines": two_lines,
    "det23-json-escape": json_escape,
    "det23-words": words,
    "det23-misc": misc,
}
NEGATIVE: dict[str, Gen] = {
    "det23-neg-leet": neg_leet,
    "det23-neg-interleave": neg_interleave,
    "det23-neg-lines": neg_lines,
    "det23-neg-code": neg_code,
    "det23-neg-words": neg_words,
}
