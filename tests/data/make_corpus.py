"""Generate tests/data/corpus.jsonl deterministically (synthetic identifiers only).

    .venv/bin/python tests/data/make_corpus.py > tests/data/corpus.jsonl

Every identifier is made up with a valid checksum/structure.  Lines:
{"text", "expect": "stop"|"allow", "entities": [...], "category", "family"}.
Categories: plain, evasion (undone by normalization), encoded (base64/hex/...),
info (other identifiers: email, phone, DOB..., with passport and driver's license
labelled "stop" as the shipped policy blocks them), benign (hard negatives).
"expect" follows the shipped config/policy.yaml: a routing number alone is only
monitored, so routing-number lines always carry an account as well.
"""

from __future__ import annotations

import base64
import json
import random
import sys

R = random.Random(20261124)

FILLERS_BEFORE = [
    "", "", "", "hi, ", "Hey - ", "ok so ", "Quick one: ", "FYI ", "per our call, ", "Following up. ",
    "Morning! ", "as discussed ", "urgent: ", "Can you check this? ", "for the new client, ", "re: onboarding - ",
]
FILLERS_AFTER = [
    "", "", "", " thanks", " Thanks!", ".", " - pls confirm", " asap", " :)", " let me know if that works.",
    " (see email)", ". Call me if anything is off.", " before 4pm ET", "!!", " ty",
]


def case(s: str) -> str:
    r = R.random()
    if r < 0.15:
        return s.upper()
    if r < 0.3:
        return s.title()
    return s


def wrap(core: str) -> str:
    return R.choice(FILLERS_BEFORE) + core + R.choice(FILLERS_AFTER)


# ---------------------------------------------------------------- identifiers

def ssn() -> str:
    while True:
        area = R.randint(1, 899)
        if area == 666:
            continue
        d = f"{area:03d}{R.randint(1, 99):02d}{R.randint(1, 9999):04d}"
        if d not in ("078051120", "219099999", "457555462", "123456789"):
            return d


def itin() -> str:
    g = R.choice([*range(50, 66), *range(70, 89), 90, 91, 92, *range(94, 100)])
    return f"9{R.randint(0, 99):02d}{g:02d}{R.randint(1, 9999):04d}"


def luhn_digit(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


CARD_PREFIXES = [("4", 16), ("4", 16), ("4", 13), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16), ("34", 15),
                 ("37", 15), ("6011", 16), ("65", 16), ("3530", 16), ("36", 14), ("38", 16)]


def card() -> str:
    p, n = R.choice(CARD_PREFIXES)
    body = p + "".join(str(R.randint(0, 9)) for _ in range(n - len(p) - 1))
    return body + luhn_digit(body)


def bad_card() -> str:
    c = card()
    last = str((int(c[-1]) + R.randint(1, 9)) % 10)
    return c[:-1] + last


def aba() -> str:
    while True:
        p = R.choice([*range(1, 13), *range(21, 33), *range(61, 73)])
        body = f"{p:02d}" + "".join(str(R.randint(0, 9)) for _ in range(6))
        w = (3, 7, 1, 3, 7, 1, 3, 7)
        s = sum(int(c) * k for c, k in zip(body, w))
        d = body + str((10 - s % 10) % 10)
        if len(set(d)) > 1:
            return d


def account() -> str:
    while True:
        n = R.randint(8, 12)
        d = str(R.randint(1, 9)) + "".join(str(R.randint(0, 9)) for _ in range(n - 1))
        if not d.endswith("0000"):
            return d


IBAN_SPECS = {"DE": "n18", "GB": "a4n14", "FR": "n23", "ES": "n20", "NL": "a4n10", "IT": "a1n22", "CH": "n17", "BE": "n12"}


def iban() -> str:
    cc = R.choice(list(IBAN_SPECS))
    spec = IBAN_SPECS[cc]
    bban = ""
    i = 0
    while i < len(spec):
        kind = spec[i]
        j = i + 1
        while j < len(spec) and spec[j].isdigit():
            j += 1
        n = int(spec[i + 1 : j])
        bban += "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") if kind == "a" else str(R.randint(0, 9)) for _ in range(n))
        i = j
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    check = 98 - int(num) % 97
    return f"{cc}{check:02d}{bban}"


def iban_print(s: str) -> str:
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4))


def cusip_check(s8: str) -> str:
    total = 0
    for i, c in enumerate(s8):
        v = int(c) if c.isdigit() else ord(c) - 55
        if i % 2 == 1:
            v *= 2
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)


def cusip(letters: bool = True) -> str:
    base = "".join(str(R.randint(0, 9)) for _ in range(6))
    tail = "".join(R.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") if letters and R.random() < 0.5 else str(R.randint(0, 9)) for _ in range(2))
    s8 = base + tail
    return s8 + cusip_check(s8)


def isin() -> str:
    c = cusip()
    body = "US" + c
    digits = "".join(str(int(ch, 36)) for ch in body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def phone() -> str:
    a = R.randint(201, 989)
    e = R.randint(200, 999)
    return R.choice([f"({a}) {e}-{R.randint(0, 9999):04d}", f"{a}-{e}-{R.randint(0, 9999):04d}", f"{a}.{e}.{R.randint(0, 9999):04d}", f"+1 {a} {e} {R.randint(0, 9999):04d}"])


def ein() -> str:
    return f"{R.choice([12, 13, 20, 23, 35, 45, 52, 61, 74, 81, 94]):02d}-{R.randint(1000000, 9999999)}"


def fmt_ssn(d: str, sep: str = "-") -> str:
    return f"{d[:3]}{sep}{d[3:5]}{sep}{d[5:]}"


def fmt_card(d: str, sep: str = " ") -> str:
    if len(d) == 15:
        return f"{d[:4]}{sep}{d[4:10]}{sep}{d[10:]}"
    if len(d) == 14:
        return f"{d[:4]}{sep}{d[4:10]}{sep}{d[10:]}"
    return sep.join(d[i : i + 4] for i in range(0, len(d), 4))


# ---------------------------------------------------------------- phrasings

SSN_CTX = ["SSN", "ssn:", "Social Security number", "social security #", "SS#", "soc sec no.", "her social is", "his SSN is",
           "taxpayer id (SSN)", "client SSN -", "SSN on file:", "the social for the account is", "ss no"]
CARD_CTX = ["card", "Visa", "credit card #", "CC:", "card number", "Amex ending... full number", "debit card", "card no.",
            "pay with", "charge it to", "the client's card", "Mastercard"]
ABA_CTX = ["routing", "routing #", "ABA", "ABA routing number", "RTN:", "routing number is", "wire routing", "routing/transit", "ABA#"]
ACCT_CTX = ["acct", "acct #", "account number", "Account No.", "a/c", "brokerage account", "checking account", "acct no:",
            "account #", "savings account number", "IRA account", "deposit to account", "account:", "Acct#"]
IBAN_CTX = ["IBAN", "iban:", "wire to IBAN", "beneficiary IBAN", "international account", "IBAN no."]
ITIN_CTX = ["ITIN", "itin:", "tax id (ITIN)", "individual taxpayer id", "ITIN is"]


def ctx_phrase(ctx: list[str], value: str) -> str:
    c = case(R.choice(ctx))
    pat = R.choice(["{c} {v}", "{c}: {v}", "{c} is {v}", "{v} ({c})", "{c} = {v}", "{c} - {v}", "her {c} {v}", "use {c} {v} for it"])
    return pat.format(c=c, v=value)


def line(text: str, expect: str, entities: list[str], category: str, family: str) -> dict[str, object]:
    return {"text": text, "expect": expect, "entities": sorted(set(entities)), "category": category, "family": family}


def plain_positive() -> dict[str, object]:
    kind = R.choice(["ssn_fmt", "ssn_ctx", "card", "card_ctx", "aba_acct", "acct", "iban", "itin", "ssn_fmt", "card", "acct"])
    if kind == "ssn_fmt":
        v = fmt_ssn(ssn(), R.choice(["-", "-", "-", " "]))
        t = R.choice([ctx_phrase(SSN_CTX, v), f"{v} is what we have on file", f"new client {v} pending KYC", f"put {v} in the form"])
        return line(wrap(t), "stop", ["US_SSN"], "plain", kind)
    if kind == "ssn_ctx":
        v = ssn()
        return line(wrap(ctx_phrase(SSN_CTX, v)), "stop", ["US_SSN"], "plain", kind)
    if kind == "card":
        v = card()
        v = R.choice([v, fmt_card(v), fmt_card(v, "-")])
        return line(wrap(R.choice([f"{v}", f"use {v} exp 04/27", f"number {v}", f"{v} cvv on the back"])), "stop", ["CREDIT_CARD"], "plain", kind)
    if kind == "card_ctx":
        v = card()
        return line(wrap(ctx_phrase(CARD_CTX, fmt_card(v, R.choice([" ", "-", ""])))), "stop", ["CREDIT_CARD"], "plain", kind)
    if kind == "aba_acct":
        r, a = aba(), account()
        t = R.choice([f"{case('routing')} {r} {case('acct')} {a}", f"ABA {r} / account {a}", f"wire: RTN {r}, account number {a}",
                      f"Routing number: {r}\nAccount number: {a}"])
        return line(wrap(t), "stop", ["ABA_ROUTING_NUMBER", "US_BANK_NUMBER"], "plain", kind)
    if kind == "acct":
        a = account()
        return line(wrap(ctx_phrase(ACCT_CTX, a)), "stop", ["US_BANK_NUMBER"], "plain", kind)
    if kind == "iban":
        v = iban()
        v = R.choice([v, iban_print(v), v.lower() if R.random() < 0.2 else v])
        return line(wrap(ctx_phrase(IBAN_CTX, v) if R.random() < 0.7 else f"send it to {v}"), "stop", ["IBAN_CODE"], "plain", kind)
    v = itin()
    return line(wrap(ctx_phrase(ITIN_CTX, fmt_ssn(v) if R.random() < 0.6 else v)), "stop", ["US_ITIN"], "plain", kind)


# ---------------------------------------------------------------- evasions

FULLWIDTH = {str(i): chr(0xFF10 + i) for i in range(10)}
ARABIC = {str(i): chr(0x0660 + i) for i in range(10)}
PERSIAN = {str(i): chr(0x06F0 + i) for i in range(10)}
DEVANAGARI = {str(i): chr(0x0966 + i) for i in range(10)}
BENGALI = {str(i): chr(0x09E6 + i) for i in range(10)}
DASHES = ["\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d"]
ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u202a"]


def evade(v: str, how: str) -> str:
    if how in ("fullwidth", "arabic", "persian", "devanagari", "bengali"):
        table = {"fullwidth": FULLWIDTH, "arabic": ARABIC, "persian": PERSIAN, "devanagari": DEVANAGARI, "bengali": BENGALI}[how]
        return "".join(table.get(c, c) for c in v)
    if how == "dashes":
        d = R.choice(DASHES)
        return v.replace("-", d)
    if how == "zerowidth":
        z = R.choice(ZW)
        return z.join(v) if R.random() < 0.5 else "".join(c + (z if R.random() < 0.4 else "") for c in v)
    if how == "spaced":
        return " ".join(c for c in v if c not in " -")
    if how == "newlines":
        s = v.replace(" ", "-")
        return "\n".join(s.split("-"))
    if how == "dots":
        return v.replace("-", ".").replace(" ", ".")
    if how == "slashes":
        return v.replace("-", "/").replace(" ", "/")
    if how == "markdown":
        return R.choice([f"**{v}**", f"`{v}`", f"_{v}_", f"~~{v}~~", f"*{v}*", f"***{v}***", v.replace("-", "**-**", 1)])
    if how == "html":
        parts = v.split("-") if "-" in v else v.split(" ")
        sep = "-" if "-" in v else " "
        return R.choice([f"<b>{v}</b>", f"<span>{parts[0]}</span>{sep}" + sep.join(parts[1:]), f"<p>{v}</p>", "<i></i>".join(parts)])
    if how == "lookalike":
        s = list(v)
        idx = [i for i, c in enumerate(s) if c in "01"]
        R.shuffle(idx)
        for i in idx[: R.randint(1, 2)]:
            s[i] = R.choice("Oo") if s[i] == "0" else R.choice("lI")
        return "".join(s)
    if how == "entities":
        return "".join(f"&#{ord(c)};" if c.isdigit() and R.random() < 0.6 else c for c in v)
    if how == "percent":
        return "".join(f"%{ord(c):02X}" if R.random() < 0.7 else c for c in v)
    if how == "mixed":
        return evade(evade(v, "fullwidth"), "zerowidth")
    raise ValueError(how)


EVASIONS = ["fullwidth", "arabic", "persian", "devanagari", "bengali", "dashes", "zerowidth", "spaced", "newlines", "dots",
            "slashes", "markdown", "html", "lookalike", "entities", "percent", "mixed"]


def evasion_positive() -> dict[str, object]:
    how = R.choice(EVASIONS)
    kind = R.choice(["ssn", "ssn", "card", "card", "acct", "aba", "iban"])
    if kind == "ssn":
        v = fmt_ssn(ssn())
        if how == "lookalike" and not any(c in "01" for c in v):
            how = "fullwidth"
        t = ctx_phrase(SSN_CTX, evade(v, how)) if R.random() < 0.7 else f"here it is {evade(v, how)}"
        ents = ["US_SSN"]
    elif kind == "card":
        v = card()
        v = fmt_card(v, R.choice([" ", "-"])) if how not in ("dashes",) else fmt_card(v, "-")
        if how == "lookalike" and not any(c in "01" for c in v):
            how = "zerowidth"
        t = ctx_phrase(CARD_CTX, evade(v, how)) if R.random() < 0.6 else evade(v, how) + " exp 11/28"
        ents = ["CREDIT_CARD"]
    elif kind == "acct":
        v = account()
        if how in ("dashes", "newlines", "dots", "slashes", "spaced"):
            v = "-".join([v[:4], v[4:]])
        if how == "lookalike" and not any(c in "01" for c in v):
            how = "markdown"
        if how == "lookalike":
            how = "markdown"  # look-alikes are only accepted where a checksum validates
        t = ctx_phrase(ACCT_CTX, evade(v, how))
        ents = ["US_BANK_NUMBER"]
    elif kind == "aba":
        v = aba()
        if how in ("dashes", "newlines", "dots", "slashes"):
            v = f"{v[:4]}-{v[4:]}"
        if how == "lookalike" and not any(c in "01" for c in v):
            how = "fullwidth"
        # The shipped policy stops a routing number together with an account (alone: monitor).
        a = account()
        t = ctx_phrase(ABA_CTX, evade(v, how)) + R.choice([", acct ", " / account number ", "\nAccount: "]) + evade(a, how if how != "lookalike" else "markdown")
        ents = ["ABA_ROUTING_NUMBER", "US_BANK_NUMBER"]
    else:
        v = iban_print(iban())
        if how in ("dashes", "lookalike", "spaced", "newlines", "dots", "slashes", "html"):
            how = R.choice(["fullwidth", "zerowidth", "markdown", "entities"])
        t = ctx_phrase(IBAN_CTX, evade(v, how))
        ents = ["IBAN_CODE"]
    return line(wrap(t), "stop", ents, "evasion", f"{kind}:{how}")


def encoded_positive() -> dict[str, object]:
    how = R.choice(["base64", "base64", "base64url", "hex", "hex", "base64x2", "hexescape", "b64_of_ctx"])
    kind = R.choice(["ssn", "card", "ctx_acct"])
    if kind == "ssn":
        inner = R.choice([fmt_ssn(ssn()), f"SSN {ssn()}", f"ssn: {fmt_ssn(ssn())}"])
        ents = ["US_SSN"]
    elif kind == "card":
        inner = R.choice([card(), fmt_card(card()), f"card {card()}"])
        ents = ["CREDIT_CARD"]
    else:
        inner = f"acct {account()}"
        ents = ["US_BANK_NUMBER"]
    b = inner.encode()
    if how == "base64" or how == "b64_of_ctx":
        enc = base64.b64encode(b).decode()
    elif how == "base64url":
        enc = base64.urlsafe_b64encode(b).decode().rstrip("=")
    elif how == "hex":
        enc = b.hex() if R.random() < 0.7 else b.hex().upper()
    elif how == "base64x2":
        enc = base64.b64encode(base64.b64encode(b)).decode()
    else:
        enc = "".join(f"\\x{c:02x}" for c in b)
    pre = R.choice(["", "decode this: ", "blob=", "payload ", "see attached string ", "token: ", "fyi "])
    return line(wrap(pre + enc), "stop", ents, "encoded", f"{kind}:{how}")


def info_positive() -> dict[str, object]:
    kind = R.choice(["email", "phone", "dob", "passport", "dl", "ein", "cusip", "isin"])
    if kind == "email":
        v = f"{R.choice(['jsmith', 'a.lee', 'trader.desk', 'ops+mm', 'k_oconnor'])}{R.randint(1, 99)}@{R.choice(['example.com', 'firm.example', 'mail.example.org'])}"
        return line(wrap(f"email {v}" if R.random() < 0.5 else f"reach out to {v}"), "allow", ["EMAIL_ADDRESS"], "info", kind)
    if kind == "phone":
        return line(wrap(f"{case(R.choice(['call me at', 'cell', 'phone:', 'my mobile is', 'desk line']))} {phone()}"), "allow", ["PHONE_NUMBER"], "info", kind)
    if kind == "dob":
        y, m, d = R.randint(1940, 2004), R.randint(1, 12), R.randint(1, 28)
        v = R.choice([f"{m}/{d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{['January','March','July','October'][m % 4]} {d}, {y}"])
        return line(wrap(f"{case(R.choice(['DOB', 'date of birth', 'born', 'birthday:', 'D.O.B.']))} {v}"), "allow", ["DATE_OF_BIRTH"], "info", kind)
    if kind == "passport":
        v = R.choice([str(R.randint(100000000, 999999999)), R.choice("ACEHKLMNPRTWXZ") + str(R.randint(10000000, 99999999))])
        return line(wrap(f"{case('passport')} {R.choice(['no.', '#', 'number', ''])} {v}"), "stop", ["US_PASSPORT"], "info", kind)
    if kind == "dl":
        v = R.choice(["D", "S", "F", "K"]) + str(R.randint(1000000, 99999999))
        label = case(R.choice(["driver license", "DL#", "driver's license number"]))
        return line(wrap(f"{label} {v}"), "stop", ["US_DRIVER_LICENSE"], "info", kind)
    if kind == "ein":
        return line(wrap(f"{case(R.choice(['EIN', 'employer identification number', 'FEIN']))} {ein()}"), "allow", ["US_EIN"], "info", kind)
    if kind == "cusip":
        v = cusip(letters=True)
        return line(wrap(f"{case('CUSIP')} {v} {R.choice(['traded at par', 'for the muni', 'is on the restricted list', ''])}"), "allow", ["CUSIP"], "info", kind)
    return line(wrap(f"{R.choice(['ISIN', 'isin', 'the ETF'])} {isin()} {R.choice(['', 'closed up', 'settles T+1'])}"), "allow", ["ISIN"], "info", kind)


# ---------------------------------------------------------------- benign

def invalid_ssn() -> str:
    area = R.choice(["000", "666", f"{R.randint(900, 999)}"])
    group = f"{R.randint(0, 49):02d}" if area.startswith("9") else f"{R.randint(1, 99):02d}"
    return f"{area}-{group}-{R.randint(1, 9999):04d}"


def benign() -> dict[str, object]:
    k = R.randint(0, 44)
    ents: list[str] = []
    n = R.randint
    if k == 0:
        t = f"Order #{n(1000000, 99999999)} shipped {R.choice(['today', 'yesterday', 'this morning'])}"
    elif k == 1:
        t = f"Invoice INV-{n(2019, 2026)}-{n(10000, 99999)} is {R.choice(['paid', 'overdue', 'approved'])}"
    elif k == 2:
        p = phone()
        t = f"{R.choice(['call', 'fax', 'phone', 'Fax it to', 'dial'])} {p} {R.choice(['after lunch', 'for the desk', ''])}"
        ents = ["PHONE_NUMBER"]
    elif k == 3:
        t = f"{R.choice(['Zoom', 'Webex', 'Teams'])} meeting ID {n(100, 999)} {n(1000, 9999)} {n(1000, 9999)} passcode {n(100000, 999999)}"
    elif k == 4:
        t = f"job finished at {n(2020, 2026)}-{n(1, 12):02d}-{n(1, 28):02d} {n(0, 23):02d}:{n(0, 59):02d}:{n(0, 59):02d} UTC"
    elif k == 5:
        t = f"epoch {n(1600000000, 1800000000)} vs {n(1600000000, 1800000000)}"
    elif k == 6:
        t = f"price moved to ${n(1, 999)}.{n(0, 99):02d}, total ${n(1, 999)},{n(0, 999):03d},{n(0, 999):03d}.{n(0, 99):02d}"
    elif k == 7:
        t = f"upgraded to v{n(1, 20)}.{n(0, 30)}.{n(0, 99)} (build {n(10000, 99999)})"
    elif k == 8:
        import uuid
        t = f"request id {uuid.UUID(int=R.getrandbits(128))}"
    elif k == 9:
        t = f"commit {R.getrandbits(160):040x} fixes it"
    elif k == 10:
        t = f"sha256 {R.getrandbits(256):064x}"
    elif k == 11:
        t = f"CUSIP {cusip(letters=R.random() < 0.6)} {R.choice(['is callable', 'matures 2031', 'bid 99.5'])}"
        ents = ["CUSIP"]
    elif k == 12:
        t = f"ISIN {isin()} {R.choice(['in the model portfolio', 'rebalanced', ''])}"
        ents = ["ISIN"]
    elif k == 13:
        t = f"test number {fmt_card(bad_card(), R.choice([' ', '-', '']))} failed validation"
    elif k == 14:
        t = f"{R.choice(['ref', 'case', 'ticket'])} {fmt_card(bad_card(), ' ')}"
    elif k == 15:
        t = f"{R.choice(['that', 'the form shows', 'placeholder'])} {invalid_ssn()} {R.choice(['is not a real SSN', 'looks wrong', 'is the sample value'])}"
    elif k == 16:
        t = R.choice([
            "Can you send me the client's SSN through the secure portal, not here?",
            "Never post SSNs or account numbers in this channel please.",
            "What's the policy on sharing social security numbers in chat?",
            "I need her SSN and DOB for the form, I'll call her.",
            "Reminder: account numbers go in the CRM, not Mattermost.",
            "The routing number is on the check, ask the client to upload it in the portal.",
            "Do we still need the last 4 of the SSN for verification?",
            "Please don't paste card numbers here, use the vault.",
            "the IBAN field is blank on the wire form",
            "SSN verification came back clean for the applicant",
        ])
    elif k == 17:
        t = f"account ending in {n(1000, 9999)} {R.choice(['was updated', 'has a margin call', 'looks fine'])}"
    elif k == 18:
        t = f"bought {n(100, 50000)} shares of {R.choice(['AAPL', 'MSFT', 'SPY', 'BRK.B'])} at {n(10, 900)}.{n(0, 99):02d}"
    elif k == 19:
        t = f"the account grew {n(1, 40)}% to ${n(1, 900)}k this quarter"
    elif k == 20:
        t = f"opened {n(2, 40)} new accounts this week, AUM {n(10, 900)}mm"
    elif k == 21:
        t = f"tracking 1Z{R.getrandbits(40):010X}{n(10000000, 99999999)}"
    elif k == 22:
        t = f"ZIP {n(10000, 99999)}-{n(1000, 9999)}, suite {n(100, 9999)}"
    elif k == 23:
        t = f"server {n(10, 250)}.{n(0, 255)}.{n(0, 255)}.{n(1, 254)} is down"
    elif k == 24:
        t = f"reference {n(100000000, 999999999)} for the trade break"
    elif k == 25:
        t = f"{n(100000000, 999999999)}"
    elif k == 26:
        t = f"PO {n(1000000, 9999999)} / qty {n(1, 500)} / SKU {n(10000000, 99999999)}"
    elif k == 27:
        t = f"Q{n(1, 4)} {n(2020, 2026)} revenue {n(100, 999)}M, margin {n(10, 60)}.{n(0, 9)}%"
    elif k == 28:
        t = f"call the account desk at {phone()}"
        ents = ["PHONE_NUMBER"]
    elif k == 29:
        t = f"we need {n(1000000, 9000000)} notional by Friday"
    elif k == 30:
        t = f"position: {n(100000, 999999)} units, avg {n(10, 99)}.{n(0, 9999):04d}"
    elif k == 31:
        t = f"employee id {n(100000, 999999)} badge {n(10000, 99999)}"
    elif k == 32:
        t = f"meeting {R.choice(['moved', 'set'])} for {n(1, 12)}/{n(1, 28)}/{n(2024, 2026)} at {n(1, 12)}:{n(0, 5)}0"
    elif k == 33:
        t = R.choice(["lunch?", "sounds good", "I'll take a look after the 3pm call", "markets are choppy today",
                      "can someone review my PR", "Out of office until Monday", "the VIX spiked 20% this morning",
                      "Fed meeting notes are in the shared drive", "who has the Q3 deck?", "thanks all, great quarter"])
    elif k == 34:
        t = f"rate {n(1, 7)}.{n(0, 99):02d}% on {n(1, 30)}y, spread {n(10, 400)}bps"
    elif k == 35:
        t = f"ticket JIRA-{n(1000, 99999)} and incident INC{n(1000000, 9999999)}"
    elif k == 36:
        t = f"The {R.choice(['Visa', 'card'])} settlement file had {n(1000, 99999)} rows and {n(10, 999)} rejects"
    elif k == 37:
        t = f"Account review for {R.choice(['Q1', 'Q2', 'March', 'the Smith household'])} due {n(1, 12)}/{n(1, 28)}"
    elif k == 38:
        t = f"conf # {n(10000000, 99999999)} for the hotel"
    elif k == 39:
        t = f"wire cutoff is {n(1, 5)}pm, fee ${n(10, 50)}"
    elif k == 40:
        t = f"{n(1000, 9999)} {n(1000, 9999)} {n(1000, 9999)} {n(1000, 9999)}"  # four random groups; labeled below
    elif k == 41:
        t = f"ext. {n(1000, 9999)}, room {n(100, 999)}, floor {n(2, 60)}"
    elif k == 42:
        t = f"lot {n(10000000, 99999999)} of {n(1, 9)}"
    elif k == 43:
        t = f"batch {R.getrandbits(48):012x} processed {n(100000, 999999)} records"
    else:
        t = f"checksum {base64.b64encode(R.getrandbits(256).to_bytes(32, 'big')).decode()}"
    expect = "allow"
    if k == 40:
        digits = t.replace(" ", "")
        # A 16-digit grouping that happens to be a valid card is a card: label it so.
        if _is_card(digits):
            return line(wrap(t), "stop", ["CREDIT_CARD"], "plain", "card:random-groups")
    return line(wrap(t), expect, ents, "benign", f"benign-{k}")


def _is_card(d: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(d)):
        x = int(c)
        if i % 2 == 1:
            x *= 2
            if x > 9:
                x -= 9
        total += x
    if total % 10:
        return False
    p2, p4 = int(d[:2]), int(d[:4])
    return d[0] == "4" or 51 <= p2 <= 55 or 2221 <= p4 <= 2720 or p4 == 6011 or p2 == 65 or 3528 <= p4 <= 3589 or p2 in (36, 38, 39)


def main() -> None:
    rows: list[dict[str, object]] = []
    rows += [plain_positive() for _ in range(260)]
    rows += [evasion_positive() for _ in range(300)]
    rows += [encoded_positive() for _ in range(110)]
    rows += [info_positive() for _ in range(130)]
    rows += [benign() for _ in range(1100)]
    R.shuffle(rows)
    out = sys.stdout
    for r in rows:
        out.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
