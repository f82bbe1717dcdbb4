"""Generate tests/data/bd_corpus.jsonl: broker-dealer chat with hard look-alikes (deterministic).

    .venv/bin/python tests/data/make_bd_corpus.py > tests/data/bd_corpus.jsonl

Lines have the format of corpus.jsonl: {"text", "expect": "stop"|"allow", "entities",
"category", "family"}.  Messages are written the way a desk writes them: desk chat, ops
tickets, wire instructions, client onboarding, trade chatter, pasted tables and
forwarded emails (the ``family`` names the identifier and the frame).

Categories
    plain          customer NPI written plainly (SSN, ITIN, card, account, routing +
                   account, IBAN, UK sort code + account), with and without labels
    context        NPI whose only context is a typo'd or abbreviated word ("soical",
                   "acount", "a/c", "ss#"), sort code + account without the words,
                   routing / account pairs with the purpose in words after
    evasion        the evasions of issue 15 (invisible characters, readable separators,
                   words between groups, circled digits, a card broken across lines...)
    table          account numbers in a pasted table where only the column header says
                   what they are
    neg-*          hard negatives, one category per family: EINs next to "tax id",
                   version/build numbers, CUSIPs after share quantities, ISINs, FIX
                   messages, order/trade ids, timestamps, UK VAT numbers, phone numbers,
                   dates, clean pasted trade tables, ordinary desk chat
    evasion-render the evasions of the insider pass after issue 15, appended after the
                   lines above (their own random stream, so those lines are unchanged):
                   any Unicode line break between groups, labels glued to the digits,
                   Markdown/HTML/emoji shortcodes that render as the number, CJK
                   numerals, an SSN word near a 2-7 number or a bracketed group, a
                   dashed account after a routing number, groups in adjacent cells of a
                   Markdown table row
    neg-render     their look-alikes: order ids and hashes glued to letters, links and
                   emoji in ordinary chat, Chinese text with numerals, tables with
                   other line breaks and adjacent numeric columns
    ambiguous      reasonable people would disagree (a 9-digit "tax id", last four of an
                   account, an SSN-shaped reference number...): reported separately,
                   never part of the recall or false-stop figures

``expect`` follows the shipped config/policy.yaml (a post): EINs and routing numbers
alone are recorded, not stopped.  Every identifier is synthetic: checksums are
computed (ABA, Luhn, mod 97, CUSIP/ISIN check digits), SSNs come from the SSA's
valid ranges with high areas, and the fixed values of dlp_proxy.policy.testing are
used where a well-known synthetic value reads better.
"""

from __future__ import annotations

import json
import random
import string
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dlp_proxy.policy import testing as synthetic  # noqa: E402
from recognizers.bank import aba_valid  # noqa: E402
from recognizers.securities import cusip_valid, isin_valid  # noqa: E402
from recognizers.ssn import itin_valid, ssn_valid  # noqa: E402
from recognizers.tax import ein_valid  # noqa: E402

R = random.Random(20261203)
n = R.randint


# ---------------------------------------------------------------- identifiers

def digits(k: int, first: str = "123456789") -> str:
    return R.choice(first) + "".join(R.choice(string.digits) for _ in range(k - 1))


def ssn() -> str:
    """Valid SSA structure; high areas (750-899) and never a specimen."""
    while True:
        d = f"{n(750, 899):03d}{n(1, 99):02d}{n(1, 9999):04d}"
        if ssn_valid(d):
            return d


def itin() -> str:
    while True:
        g = R.choice([*range(50, 66), *range(70, 89), 90, 91, 92, *range(94, 100)])
        d = f"9{n(0, 99):02d}{g:02d}{n(1, 9999):04d}"
        if itin_valid(d):
            return d


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


def card() -> str:
    p, k = R.choice([("4", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("6011", 16)])
    return luhn_complete(p + digits(k - len(p) - 1, string.digits))


def fmt_card(d: str, sep: str = " ") -> str:
    if len(d) == 15:
        return f"{d[:4]}{sep}{d[4:10]}{sep}{d[10:]}"
    return sep.join(d[i : i + 4] for i in range(0, len(d), 4))


def aba() -> str:
    while True:
        p = R.choice([*range(1, 13), *range(21, 33), *range(61, 73)])
        d = f"{p:02d}" + digits(6, string.digits)
        for c in string.digits:
            if aba_valid(d + c):
                return d + c


def account(lo: int = 8, hi: int = 12) -> str:
    while True:
        d = digits(n(lo, hi))
        if not d.endswith("0000") and len(set(d)) > 2:
            return d


def fmt_ssn(d: str, sep: str = "-") -> str:
    return f"{d[:3]}{sep}{d[3:5]}{sep}{d[5:]}"


_IBAN = {"DE": "n18", "GB": "a4n14", "FR": "n23", "NL": "a4n10", "CH": "n17", "IE": "a4n14"}


def iban() -> str:
    cc = R.choice(list(_IBAN))
    spec = _IBAN[cc]
    bban = ""
    if spec.startswith("a4"):
        bban += "".join(R.choice(string.ascii_uppercase) for _ in range(4))
        spec = spec[2:]
    bban += digits(int(spec[1:]), string.digits)
    num = "".join(str(int(c, 36)) for c in bban + cc + "00")
    return f"{cc}{98 - int(num) % 97:02d}{bban}"


def iban_print(s: str) -> str:
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4))


def cusip(numeric: bool = False) -> str:
    while True:
        body = digits(6, string.digits)
        tail = "".join(R.choice(string.digits if numeric or R.random() < 0.6 else "ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2))
        for c in string.digits:
            if cusip_valid(body + tail + c):
                return body + tail + c


def isin(cc: str | None = None) -> str:
    cc = cc or R.choice(["US", "US", "GB", "DE", "FR", "CA", "JP"])
    body = cc + (cusip() if cc == "US" else "".join(R.choice(string.digits + string.ascii_uppercase[:6]) for _ in range(9)))
    for c in string.digits:
        if isin_valid(body + c):
            return body + c
    raise AssertionError


def ein() -> str:
    return f"{R.choice([12, 13, 20, 23, 27, 35, 45, 46, 52, 61, 74, 81, 84, 94, 95])}-{n(1000000, 9999999)}"


def uk_vat() -> str:
    """GB VAT registration number: 7 digits + 2 check digits (weights 8..2, mod 97)."""
    while True:
        body = digits(7)
        total = sum(int(c) * w for c, w in zip(body, range(8, 1, -1)))
        return body + f"{-total % 97:02d}"


def sort_code() -> str:
    return f"{n(10, 99)}-{n(0, 99):02d}-{n(0, 99):02d}"


def phone() -> str:
    a, e, s = n(201, 989), n(200, 999), n(0, 9999)
    return R.choice([f"({a}) {e}-{s:04d}", f"{a}-{e}-{s:04d}", f"{a}.{e}.{s:04d}", f"+1 {a} {e} {s:04d}",
                     f"+44 20 {n(7000, 7999)} {n(1000, 9999)}", f"{a} {e} {s:04d}"])


def date() -> str:
    y, m, d = n(2019, 2026), n(1, 12), n(1, 28)
    return R.choice([f"{m}/{d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}.{m:02d}.{y}",
                     f"{d:02d}-{m:02d}-{y % 100:02d}", f"{y}{m:02d}{d:02d}"])


def ts() -> str:
    y, mo, d, h, mi, s = n(2023, 2026), n(1, 12), n(1, 28), n(0, 23), n(0, 59), n(0, 59)
    return R.choice([
        f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}.{n(0, 999):03d}",
        f"{y}{mo:02d}{d:02d}-{h:02d}:{mi:02d}:{s:02d}.{n(0, 999):03d}",
        f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{n(0, 999999):06d}Z",
        f"{h:02d}:{mi:02d}:{s:02d}.{n(0, 999):03d}",
        f"{n(1700000000, 1790000000)}{n(100, 999)}",
        f"{y}{mo:02d}{d:02d} {h:02d}{mi:02d}{s:02d}",
    ])


def qty() -> str:
    q = R.choice([n(1, 99) * 100, n(1, 500) * 1000, n(100, 99999), n(1, 50) * 25000])
    return R.choice([f"{q:,}", str(q), f"{q // 1000}k" if q >= 1000 and q % 1000 == 0 else f"{q:,}"])


def price() -> str:
    return R.choice([f"{n(10, 400)}.{n(0, 99):02d}", f"{n(95, 104)}-{n(0, 31):02d}", f"{n(95, 104)}.{n(0, 999):03d}"])


TICKERS = ["AAPL", "MSFT", "NVDA", "JPM", "XOM", "TSLA", "SPY", "QQQ", "IWM", "BRK.B", "T", "GE", "F", "KO"]
NAMES = ["Mrs. Alvarez", "the Chens", "Dr. Patel", "Mr. O'Brien", "the Novak trust", "Kim Walsh", "the client",
         "Greenfield LLC", "our guy in Tampa", "Sato household"]
FIRMS = ["Harbor Logistics LLC", "Northwind Capital LP", "Bluegate Holdings Inc", "Cedar Ridge Partners",
         "Atlas Dental Group PC", "Pinecrest Family Foundation", "Meridian Tool & Die Co"]


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


# ---------------------------------------------------------------- frames (message styles)

def desk(core: str) -> str:
    return R.choice(["", "", "yo ", "quick q - ", "@ops ", "pls ", "fyi ", "hey, ", "ok ", "need this today: "]) + core + \
        R.choice(["", "", " thx", " ty", " asap", "?", " - lmk", " 🙏", " (client on hold)", " before the close"])


def ticket(core: str) -> str:
    return (f"[OPS-{n(1000, 99999)}] {R.choice(['Account maintenance', 'ACAT transfer', 'Wire request', 'Address change', 'KYC refresh', 'Standing instruction'])}\n"
            f"Priority: {R.choice(['P2', 'P3', 'High', 'Normal'])}\nDetails: {core}\nRequested by: {R.choice(['jlee', 'mkhan', 'rsmith', 'desk-3'])}")


def email(core: str) -> str:
    who = R.choice(["Anna Kowalski", "Tom Reyes", "Priya Shah", "Client Services"])
    return (f"---------- Forwarded message ---------\nFrom: {who} <{who.split()[0].lower()}@client-mail.example>\n"
            f"Date: {R.choice(['Mon', 'Tue', 'Wed', 'Thu'])}, Dec {n(1, 3)}, 2026 at {n(8, 11)}:{n(10, 59)} AM\n"
            f"Subject: {R.choice(['Re: paperwork', 'account setup', 'Wire', 'Fwd: new account forms'])}\n\n"
            f"Hi,\n{core}\n\nThanks,\n{who.split()[0]}")


def onboarding(core: str) -> str:
    return (f"New account opening - {R.choice(NAMES)}\n"
            f"Type: {R.choice(['Individual', 'Joint WROS', 'Roth IRA', 'Trust', 'UTMA'])}\n{core}\n"
            f"Employer: {R.choice(FIRMS)}\nInvestment objective: {R.choice(['Growth', 'Income', 'Preservation'])}")


FRAMES: list[Callable[[str], str]] = [desk, desk, desk, ticket, email, onboarding]


def framed(core: str) -> str:
    return R.choice(FRAMES)(core)


def row(text: str, expect: str, entities: list[str], category: str, family: str) -> dict[str, object]:
    if "@client-mail.example" in text:  # the forwarded-email frame's sender
        entities = [*entities, "EMAIL_ADDRESS"]
    return {"text": text, "expect": expect, "entities": sorted(set(entities)), "category": category, "family": family}


# ---------------------------------------------------------------- positives

def plain() -> dict[str, object]:
    k = R.choice(["ssn", "ssn", "ssn9", "itin", "card", "acct", "acct", "aba_acct", "aba_acct", "iban", "sortcode",
                  "wire", "onboard"])
    if k == "ssn":
        v = fmt_ssn(ssn(), R.choice(["-", "-", " "]))
        core = R.choice([f"SSN {v}", f"her social is {v}", f"{v} is the SSN on the W-9", f"ssn: {v} dob on file",
                         f"Social Security No. {v}", f"client ssn {v}, pls update CIP"])
        return row(framed(core), "stop", ["US_SSN"], "plain", "ssn")
    if k == "ssn9":
        v = ssn()
        core = R.choice([f"SSN {v}", f"social security number {v}", f"his social {v}", f"SSN#{v}", f"ssn on app = {v}"])
        return row(framed(core), "stop", ["US_SSN"], "plain", "ssn-9")
    if k == "itin":
        v = itin()
        core = R.choice([f"ITIN {fmt_ssn(v)}", f"no SSN, she has an ITIN: {v}", f"ITIN# {fmt_ssn(v)} for the W-8 question"])
        return row(framed(core), "stop", ["US_ITIN"], "plain", "itin")
    if k == "card":
        v = card()
        core = R.choice([f"card {fmt_card(v)} exp {n(1, 12):02d}/{n(27, 31)}", f"client paid the advisory fee with {fmt_card(v, '-')}",
                         f"Amex/Visa on file {fmt_card(v)}", f"cc# {v}"])
        return row(framed(core), "stop", ["CREDIT_CARD"], "plain", "card")
    if k == "acct":
        v = account()
        core = R.choice([f"acct {v}", f"account number {v}", f"brokerage account {v} has a margin call",
                         f"move the shares to acct# {v}", f"account no. {v} (joint)", f"{v} is the account number",
                         f"journal $25k from acct {v} to the IRA"])
        return row(framed(core), "stop", ["US_BANK_NUMBER"], "plain", "account")
    if k == "aba_acct":
        r, a = aba(), account()
        core = R.choice([f"routing {r} acct {a}", f"ABA {r}, account {a}", f"Routing number: {r}\nAccount number: {a}",
                         f"RTN {r} / acct# {a}", f"bank routing # {r} and checking account {a}"])
        return row(framed(core), "stop", ["ABA_ROUTING_NUMBER", "US_BANK_NUMBER"], "plain", "routing+account")
    if k == "iban":
        v = iban()
        core = R.choice([f"IBAN {iban_print(v)}", f"beneficiary IBAN: {v}", f"pls wire EUR to {iban_print(v)}"])
        return row(framed(core), "stop", ["IBAN_CODE"], "plain", "iban")
    if k == "sortcode":
        sc, a = sort_code(), account(8, 8)
        core = R.choice([f"sort code {sc} account {a}", f"Sort code: {sc}\nAccount number: {a}", f"UK bank: sort code {sc}, acct {a}"])
        return row(framed(core), "stop", ["US_BANK_NUMBER"], "plain", "sortcode+account")
    if k == "wire":
        r, a = aba(), account()
        core = (f"Wire instructions\nBank: {R.choice(['First Example Bank', 'Harbor Trust Co', 'Midland Savings'])}\n"
                f"ABA: {r}\nBeneficiary: {R.choice(NAMES)}\nAccount: {a}\nRef: {R.choice(['fee rebate', 'distribution', 'ACAT residual'])}")
        return row(core, "stop", ["ABA_ROUTING_NUMBER", "US_BANK_NUMBER"], "plain", "wire-instructions")
    v = ssn()
    core = f"Name: {R.choice(NAMES)}\nDOB: {n(1, 12)}/{n(1, 28)}/{n(1950, 1999)}\nSSN: {fmt_ssn(v)}\nPhone: {phone()}"
    return row(onboarding(core), "stop", ["US_SSN", "DATE_OF_BIRTH", "PHONE_NUMBER"], "plain", "onboarding-form")


SSN_TYPOS = ["soical", "socail", "scoial", "socal", "social secuirty", "socila security", "ssn#", "ss#", "SS #", "soc sec",
             "s.s.n.", "ssn no", "soc. sec. #"]
ACCT_TYPOS = ["acount", "accout", "acocunt", "accuont", "acct", "a/c", "a/c no", "acc no", "acct#", "accnt", "acc't",
              "acount number", "accnt #"]
ROUTING_TYPOS = ["routign", "rouitng", "rounting", "rtn", "aba", "aba#", "r/t", "routing#", "ruoting"]
ITIN_TYPOS = ["itn", "itin#", "iitn", "ITN"]


def context() -> dict[str, object]:
    k = R.choice(["ssn", "ssn", "acct", "acct", "aba", "itin", "sortcode-bare", "sortcode-bare", "pair", "pair"])
    if k == "ssn":
        w, v = R.choice(SSN_TYPOS), ssn()
        v = R.choice([v, fmt_ssn(v, " "), fmt_ssn(v)])
        core = R.choice([f"{w} {v}", f"her {w} is {v}", f"{w}: {v}", f"client {w} {v} pls"])
        return row(framed(core), "stop", ["US_SSN"], "context", f"ssn-typo:{w}")
    if k == "acct":
        w, v = R.choice(ACCT_TYPOS), account()
        core = R.choice([f"{w} {v}", f"wire to {w} {v}", f"{w}: {v}", f"client {w} is {v}"])
        return row(framed(core), "stop", ["US_BANK_NUMBER"], "context", f"acct-typo:{w}")
    if k == "aba":
        w, wa, r, a = R.choice(ROUTING_TYPOS), R.choice(ACCT_TYPOS), aba(), account()
        core = R.choice([f"{w} {r} {wa} {a}", f"{w}: {r}, {wa}: {a}", f"{w} {r}\n{wa} {a}"])
        return row(framed(core), "stop", ["ABA_ROUTING_NUMBER", "US_BANK_NUMBER"], "context", f"routing-typo:{w}")
    if k == "itin":
        w, v = R.choice(ITIN_TYPOS), itin()
        core = R.choice([f"{w} {v}", f"{w}: {fmt_ssn(v)}", f"her {w} is {v}"])
        return row(framed(core), "stop", ["US_ITIN"], "context", f"itin-typo:{w}")
    if k == "sortcode-bare":
        sc, a = sort_code(), account(8, 8)
        core = R.choice([f"{sc} {a}", f"{sc} / {a}", f"pay GBP to {sc} {a}", f"UK details {sc} {a} (Barclays)",
                         f"send the £ to {sc}  {a}", f"{sc}\n{a}"])
        return row(framed(core), "stop", ["US_BANK_NUMBER"], "context", "sortcode-bare")
    r, a = aba(), account()
    core = R.choice([f"{r} / {a} for the wire", f"{r} / {a} (routing / account)", f"{r} {a} - that's routing then acct",
                     f"use {r} / {a} for the ACH", f"{r}/{a} routing and account for the refund",
                     f"{r} / {a} is her bank info"])
    return row(framed(core), "stop", ["ABA_ROUTING_NUMBER", "US_BANK_NUMBER"], "context", "routing/account-pair")


CIRCLED = {str(i): chr(0x2460 + i - 1) for i in range(1, 10)} | {"0": "\u24ea"}
NEG_CIRCLED = {str(i): chr(0x2776 + i - 1) for i in range(1, 10)} | {"0": "\u24ff"}


def evasion() -> dict[str, object]:
    k = R.choice(["vs", "combining", "cgj", "keycap", "sep", "words", "circled", "negcircled", "cardbreak", "cyrillic"])
    v = fmt_ssn(ssn())
    if k == "vs":
        t = "SSN " + "".join(c + ("\ufe0f" if c.isdigit() and R.random() < 0.3 else "") for c in v)
    elif k == "combining":
        t = "ssn " + "".join(c + ("\u0301" if c.isdigit() and R.random() < 0.3 else "") for c in v)
    elif k == "cgj":
        t = "social " + v.replace("-", "-\u034f")
    elif k == "keycap":
        t = "ssn " + "".join(c + "\ufe0f\u20e3" if c.isdigit() else c for c in v)
    elif k == "sep":
        s = R.choice(["·", "|", ":", ",", "+"])
        t = f"SSN {v.replace('-', s)}"
    elif k == "words":
        d = v.replace("-", "")
        t = f"area {d[:3]} group {d[3:5]} serial {d[5:]}"
    elif k == "circled":
        t = "ssn " + "".join(CIRCLED.get(c, c) for c in v)
    elif k == "negcircled":
        t = "ssn " + "".join(NEG_CIRCLED.get(c, c) for c in v)
    elif k == "cardbreak":
        c = fmt_card(card(), "-")
        parts = c.split("-")
        t = f"card {parts[0]}-{parts[1]}\n-{'-'.join(parts[2:])}"
        return row(desk(t), "stop", ["CREDIT_CARD"], "evasion", k)
    else:
        b = iban()
        while not any(ch in "ABEKMHOPCTXY" for ch in b):
            b = iban()
        i = R.choice([i for i, ch in enumerate(b) if ch in "ABEKMHOPCTXY"])
        cyr = {"A": "\u0410", "B": "\u0412", "E": "\u0415", "K": "\u041a", "M": "\u041c", "H": "\u041d", "O": "\u041e",
               "P": "\u0420", "C": "\u0421", "T": "\u0422", "X": "\u0425", "Y": "\u0423"}
        t = "IBAN " + b[:i] + cyr.get(b[i], b[i]) + b[i + 1 :]
        return row(desk(t), "stop", ["IBAN_CODE"], "evasion", k)
    return row(desk(t), "stop", ["US_SSN"], "evasion", k)


def table() -> dict[str, object]:
    """Accounts in a pasted table; only the header says "account" (detect-evasion's part)."""
    sep = R.choice([",", "\t", " | "])
    head = sep.join(["Client", R.choice(["Account", "Acct #", "Account Number", "acct_no"]), "Balance", "Rep"])
    lines = [head]
    ents = []
    for _ in range(n(2, 4)):
        lines.append(sep.join([R.choice(NAMES).replace(",", ""), account(), f"{n(1000, 999999)}.{n(0, 99):02d}",
                               R.choice(["JL", "MK", "RS"])]))
        ents.append("US_BANK_NUMBER")
    if sep == " | ":
        lines = [f"| {x} |" for x in lines]
        lines.insert(1, "|---|---|---|---|")
    return row("\n".join(lines), "stop", ents, "table", "header-only")


# ---------------------------------------------------------------- hard negatives

def neg_ein() -> dict[str, object]:
    e, firm = ein(), R.choice(FIRMS)
    core = R.choice([
        f"{firm} tax id {e}", f"tax id: {e} ({firm})", f"EIN {e} for the corporate account", f"{firm}, TIN {e}, W-9 attached",
        f"Federal Tax ID # {e}", f"tax ID for the LLC is {e}", f"entity: {firm}\nTax ID: {e}\nState: DE",
        f"the trust's tax id {e} is on the W-9", f"FEIN {e.replace('-', '')}", f"employer id {e} on the 1099",
        f"Tax ID No. {e}", f"EIN# {e}", f"corp acct for {firm} - TIN {e}", f"W-9 received, tax id number {e}, entity type LLC",
        f"| {firm} | {e} | C-corp |", f"Taxpayer ID: {e}\nEntity: {firm}", f"tax id {e.replace('-', ' ')} for {firm}",
        f"need the EIN for the corporate acct: {e}", f"{firm} ({e})",
    ])
    return row(framed(core), "allow", ["US_EIN"], "neg-ein", "ein")


def neg_version() -> dict[str, object]:
    core = R.choice([
        f"OMS upgraded to {n(1, 12)}.{n(0, 20)}.{n(0, 40)}.{n(1, 9999)} last night",
        f"Bloomberg terminal build {n(100, 999)}.{n(10, 99)}.{n(1000, 9999)} is crashing on launch",
        f"rolled back to release {n(100, 999)}.{n(10, 99)}.{n(1000, 9999)}",
        f"Running {n(10, 20)}.{n(0, 9)}.{n(10, 99)}.{n(1, 9)} {n(1000, 9999)} users affected",
        f"Chrome {n(100, 131)}.0.{n(1000, 6999)}.{n(10, 199)} breaks the blotter",
        f"FIX engine {n(1, 5)}.{n(0, 9)}.{n(0, 9)} build {n(10000, 99999)}",
        f"patch {n(10, 99)}.{n(1, 12)}.{n(100, 999)} then {n(10, 99)}.{n(1, 12)}.{n(1000, 9999)}",
        f"version {n(100, 999)}.{n(10, 99)}.{n(1000, 9999)} of the statement generator",
        f"java {n(11, 21)}.0.{n(1, 25)}+{n(1, 40)}, kernel {n(4, 6)}.{n(1, 19)}.{n(0, 200)}-{n(100, 999)}",
        f"upgraded the OMS to {n(100, 999)}.{n(10, 99)}.{n(1000, 9999)} last night", f"v{n(1, 9)}.{n(0, 30)}.{n(0, 99)} is live",
        f"we're on {n(100, 899)}.{n(10, 99)}.{n(1000, 9999)} now, {n(100, 899)}.{n(10, 99)}.{n(1000, 9999)} next week",
        f"deployed {n(10, 20)}.{n(0, 9)}.{n(0, 99)}.{n(1000, 9999)} to prod", f"installer {n(100, 899)}.{n(10, 99)}.{n(1000, 9999)}.msi failed",
        f"Excel {n(16, 16)}.0.{n(10000, 18000)}.{n(20000, 20999)} crashes with the add-in",
    ])
    return row(desk(core), "allow", [], "neg-version", "version")


def neg_cusip() -> dict[str, object]:
    c = cusip(numeric=R.random() < 0.6)
    acct_near = R.random() < 0.4
    core = R.choice([
        f"bot {qty()} {c} @ {price()}", f"sell {qty()} {c} at {price()}", f"{qty()} {c} {price()} bid",
        f"buy {qty()} {c} for the model", f"client wants {qty()} of {c}", f"{qty()} sh {c} settled",
        f"allocating {qty()} {c} across the accounts", f"CUSIP {c} x {qty()}", f"{qty()} {c} MUNI {price()} {n(2027, 2050)}",
    ])
    if acct_near:
        core = R.choice(["for the Novak account: ", "account review: ", "across client accounts, ", "in the IRA account "]) + core
    return row(desk(core), "allow", ["CUSIP"], "neg-cusip", "cusip-after-quantity" + ("+account-word" if acct_near else ""))


def neg_isin() -> dict[str, object]:
    i = isin()
    core = R.choice([f"ISIN {i}", f"{qty()} {i} @ {price()}", f"the note {i} matures {date()}",
                     f"{i} added to the restricted list", f"pls book {qty()} {i} to the account"])
    return row(desk(core), "allow", ["ISIN"], "neg-isin", "isin")


def neg_fix() -> dict[str, object]:
    sep = R.choice(["|", "^", " ", "\x01"])
    tags = [("8", "FIX.4.2"), ("9", str(n(100, 400))), ("35", R.choice(["D", "8", "G", "F"])), ("49", R.choice(["BRKR1", "CLNT7", "OMS"])),
            ("56", R.choice(["NYSE", "EXEC2", "ARCA"])), ("34", str(n(1, 99999))), ("52", ts().replace(" ", "-")[:21]),
            ("11", R.choice([f"ORD{n(10000000, 99999999)}", f"{n(100000000, 999999999)}", f"{n(20240101, 20261231)}-{n(1, 99999)}"])),
            ("37", str(n(100000000, 9999999999))), ("55", R.choice(TICKERS)), ("48", cusip()), ("22", "1"), ("54", str(n(1, 2))),
            ("38", str(n(1, 500) * 100)), ("40", "2"), ("44", price()), ("60", ts().replace(" ", "-")[:21]),
            ("10", f"{n(0, 255):03d}")]
    middle = tags[3:-1]
    R.shuffle(middle)
    tags = [*tags[:3], *middle[: n(5, len(middle))], tags[-1]]
    msg = sep.join(f"{t}={v}" for t, v in tags)
    core = R.choice([f"rejected: {msg}", f"seeing this in the drop copy {msg}", msg, f"```\n{msg}\n```"])
    return row(core, "allow", [], "neg-fix", "fix")


def neg_orderid() -> dict[str, object]:
    core = R.choice([
        f"order {n(100000000, 999999999)} filled", f"ord id {digits(10)} partially filled {qty()}",
        f"trade id {n(2024, 2026)}{n(1, 12):02d}{n(1, 28):02d}-{n(100000, 999999)} busted",
        f"exec {digits(12)} / order {digits(9)}", f"ClOrdID {n(10000000, 99999999)}{n(100, 999)} cancelled",
        f"allocation {digits(8)} for account group ALPHA", f"block {n(10, 99)}-{n(1000000, 9999999)} allocated",
        f"ticket {n(100000, 999999)} {n(100, 999)} {n(1000, 9999)} needs a fix",
        f"order {digits(9)} for the Novak account was rejected", f"account team: order id {digits(10)} stuck in pending",
        f"trade {digits(8)} booked to the wrong account, rebooking", f"ref {digits(10)} on the account statement",
        f"exec id {digits(12)} - client account flagged", f"order# {digits(9)} / {digits(8)} (parent/child)",
    ])
    return row(desk(core), "allow", [], "neg-orderid", "order-id")


def neg_timestamp() -> dict[str, object]:
    core = R.choice([f"exec at {ts()}", f"fill {ts()} {qty()} @ {price()}", f"{ts()} {ts()} latency spike",
                     f"log: {ts()} order ack {n(100000, 999999)}", f"last heartbeat {ts()}", f"{ts()}\n{ts()}"])
    return row(desk(core), "allow", [], "neg-timestamp", "timestamp")


def neg_ukvat() -> dict[str, object]:
    v = uk_vat()
    f = R.choice([v, f"{v[:3]} {v[3:7]} {v[7:]}", f"GB{v}", f"GB {v[:3]} {v[3:7]} {v[7:]}"])
    core = R.choice([f"UK VAT no. {f}", f"VAT reg {f} on the invoice", f"their VAT number is {f}",
                     f"VAT registration number: {f}\nCompany no. {n(1000000, 9999999):08d}", f"supplier VAT {f}, pay net 30"])
    return row(framed(core), "allow", [], "neg-ukvat", "uk-vat")


def neg_phone() -> dict[str, object]:
    p = phone()
    core = R.choice([f"call me {p}", f"client cell {p}, pref after 5", f"desk line {p} ext {n(100, 9999)}",
                     f"account holder's phone {p}", f"acct contact: {p}", f"UK desk +44 (0)20 {n(7000, 7999)} {n(1000, 9999)}",
                     f"account rep: {p}", f"Tel: {p}\nFax: {phone()}", f"his number changed to {p}"])
    return row(framed(core), "allow", ["PHONE_NUMBER"], "neg-phone", "phone")


def neg_date() -> dict[str, object]:
    core = R.choice([f"settles {date()}", f"trade date {date()} settle {date()}", f"account opened {date()}",
                     f"statement period {date()} - {date()}", f"{date()} {date()} {date()}",
                     f"expiry {date()} strike {n(50, 500)}", f"account review on {date()} at {n(9, 16)}:{n(0, 5)}0"])
    return row(desk(core), "allow", [], "neg-date", "date")


def neg_tradetable() -> dict[str, object]:
    sep = R.choice([",", "\t"])
    lines = [sep.join(["trade_id", "trader", "note", "amount", "date"])]
    for _ in range(n(3, 8)):
        lines.append(sep.join([str(n(10000, 99999)), R.choice(["jlee", "mkhan", "rsmith"]),
                               R.choice(["rebal", "tax loss", "client req", "block alloc", "wire out", "ACH in",
                                         "acct transfer", "routing fix"]), f"{n(100, 99999)}.{n(0, 99):02d}",
                               f"{n(2024, 2026)}-{n(1, 12):02d}-{n(1, 28):02d}"]))
    return row("\n".join(lines), "allow", [], "neg-table", "trade-rows")


CHAT = [
    "who's covering the muni desk tomorrow?", "ES down 40 handles, careful with the stops",
    "pls send the account opening checklist to the new hire", "the client wants to talk about her accounts after the FOMC",
    "reminder: no account numbers in chat, use the secure portal", "SSN verification for the joint app came back clean",
    "routing issue on the OMS again, orders stuck in pending new", "can someone approve my expense report",
    "10y at 4.41, curve steepening", "lunch order going in at 11:45", "Fed speakers all week, vol is bid",
    "margin call on the Sato account cleared", "who has the KYC refresh list for Q1?", "NVDA earnings after the close",
    "desk drinks Thursday", "wire cutoff is 4pm ET today", "the account transfer (ACAT) is stuck at the contra firm",
]


def neg_amount() -> dict[str, object]:
    core = R.choice([
        f"account value {n(100000, 9999999)}", f"the account is down {n(10000, 999999)} today", f"account balance ${n(10000, 999999):,}",
        f"wire {n(10000, 999999)}.{n(0, 99):02d} to the client's account today", f"account AUM {n(1000000, 99999999)}",
        f"margin account needs {n(100000, 999999)} by EOD", f"checking account had {n(1000, 99999)} in fees",
        f"{n(20, 400)} accounts, {n(100000, 9999999)} shares total", f"account {n(1, 30)} of {n(30, 90)} reviewed",
        f"brokerage account cash {n(100000, 999999)} USD", f"acct count {n(100000, 999999)} as of month end",
    ])
    return row(desk(core), "allow", [], "neg-amount", "amount")


def neg_chat() -> dict[str, object]:
    t = R.choice(CHAT)
    if R.random() < 0.5:
        t += R.choice([f" - {qty()} {R.choice(TICKERS)} @ {price()}", f" ({n(1, 12)}:{n(0, 5)}0 call)", f" ref {n(1000, 99999)}",
                       f" +{n(1, 9)}.{n(0, 99):02d}%", f", {n(2, 40)} accounts affected", f" {n(10, 99)}bps"])
    return row(t, "allow", [], "neg-chat", "chat")


def ambiguous() -> dict[str, object]:
    k = R.choice(["taxid9", "ssn-2-7", "last4", "routing-alone", "ssnshape-ref", "acct-no-label", "ssnshape-confirm"])
    if k == "ssnshape-confirm":  # an SSN-shaped confirmation number: the shape wins (a leak costs more)
        return row(desk(f"confirm {fmt_ssn(ssn())} was sent to the client"), "stop", ["US_SSN"], "ambiguous", k)
    if k == "taxid9":
        v = ssn()
        return row(desk(f"tax id {v}"), "stop", ["US_SSN"], "ambiguous", k)
    if k == "ssn-2-7":  # an EIN-shaped number called an SSN: read as the person's number
        d = ssn()
        return row(desk(f"SSN {d[:2]}-{d[2:]}"), "stop", ["US_SSN"], "ambiguous", k)
    if k == "last4":
        return row(desk(f"acct ending {n(1000, 9999)} is the one with the margin call"), "allow", [], "ambiguous", k)
    if k == "routing-alone":
        return row(desk(f"routing {aba()} is Chase NY"), "allow", ["ABA_ROUTING_NUMBER"], "ambiguous", k)
    if k == "ssnshape-ref":
        return row(desk(f"ref {fmt_ssn(ssn())} on the break report"), "stop", ["US_SSN"], "ambiguous", k)
    return row(desk(f"{account()} is hers"), "allow", [], "ambiguous", k)


# ---------------------------------------------------------------- evasions that render (appended)

_BREAKS = ["\r", "\v", "\f", "\x85", "\u2028", "\u2029"]
_EMOJI_NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_CJK = "〇一二三四五六七八九"
_CJK_FIN = "零壹贰叁肆伍陆柒捌玖"


def _emoji(d: str) -> str:
    return "".join(f":{_EMOJI_NAMES[int(c)]}:" if c.isdigit() else c for c in d)


def evasion_render() -> dict[str, object]:
    k = R.choice(["linebreak", "linebreak-card", "glued", "glued-card", "glued-acct", "link", "strike", "comment",
                  "span", "emoji", "cjk", "cjk-fin", "ein-her-ssn", "bracketed", "aba-dashed", "cells"])
    v = ssn()
    if k == "linebreak":
        b = R.choice(_BREAKS)
        return row(desk(f"SSN {fmt_ssn(v, b)}"), "stop", ["US_SSN"], "evasion-render", k)
    if k == "linebreak-card":
        c = card()
        while len(c) != 16:
            c = card()
        b = R.choice(_BREAKS)
        return row(desk(f"card {c[:4]}-{c[4:8]}{b}-{c[8:12]}-{c[12:]}"), "stop", ["CREDIT_CARD"], "evasion-render", k)
    if k == "glued":
        lab = R.choice(["SSN", "ssn", "#ssn", "SS#", "myssn", "Ssn:"])
        val = R.choice([fmt_ssn(v), v])
        return row(desk(f"{lab}{val}"), "stop", ["US_SSN"], "evasion-render", k)
    if k == "glued-card":
        return row(desk(f"{R.choice(['card', 'CC#', 'Card:', 'visa card'])}{card()}"), "stop", ["CREDIT_CARD"],
                   "evasion-render", k)
    if k == "glued-acct":
        return row(desk(f"{R.choice(['acct', 'acct#', 'ACCT:', 'account'])}{account()}"), "stop", ["US_BANK_NUMBER"],
                   "evasion-render", k)
    if k == "link":
        return row(desk(f"ssn [{v[:3]}](https://example.com/{n(1, 999)})-{v[3:5]}-{v[5:]}"), "stop", ["US_SSN"],
                   "evasion-render", k)
    if k == "strike":
        m = R.choice(["~~", "**", "`", "__"])
        return row(desk(f"ssn {v[:2]}{m}{v[2]}{m}-{v[3:5]}-{v[5:]}"), "stop", ["US_SSN"], "evasion-render", k)
    if k == "comment":
        return row(f"<p>SSN {v[:3]}-{v[3]}<!-- {R.choice(NAMES)} asked for this -->{v[4]}-{v[5:]}</p>", "stop",
                   ["US_SSN"], "evasion-render", k)
    if k == "span":
        return row(f"ssn {v[:3]}-<span class=\"x\">{v[3:5]}</span>-{v[5:]}", "stop", ["US_SSN"], "evasion-render", k)
    if k == "emoji":
        return row(desk(f"ssn {_emoji(fmt_ssn(v))}"), "stop", ["US_SSN"], "evasion-render", k)
    if k in ("cjk", "cjk-fin"):
        forms = _CJK if k == "cjk" else _CJK_FIN
        return row(desk("SSN " + "".join(forms[int(c)] if c.isdigit() else c for c in fmt_ssn(v))), "stop", ["US_SSN"],
                   "evasion-render", k)
    if k == "ein-her-ssn":
        ents = ["US_SSN", "US_EIN"] if ein_valid(v) else ["US_SSN"]  # an EIN too when its prefix is a campus's
        return row(desk(f"tax id {v[:2]}-{v[2:]} ({R.choice(['her', 'his', 'the client'])} SSN)"), "stop",
                   ents, "evasion-render", k)
    if k == "bracketed":
        return row(desk(f"SSN ({v[:3]}) {v[3:5]}-{v[5:]}"), "stop", ["US_SSN"], "evasion-render", k)
    if k == "aba-dashed":
        a = account(8, 10)
        return row(desk(f"{aba()} / {a[:4]}-{a[4:]} for the wire"), "stop", ["ABA_ROUTING_NUMBER", "US_BANK_NUMBER"],
                   "evasion-render", k)
    return row(f"| field | a | b | c |\n|---|---|---|---|\n| name | {R.choice(NAMES)} | | |\n"
               f"| SSN | {v[:3]} | {v[3:5]} | {v[5:]} |\n", "stop", ["US_SSN"], "evasion-render", k)


def neg_render() -> dict[str, object]:
    k = R.choice(["orderid", "hash", "version", "link", "emoji", "cjk", "crlf-table", "numeric-cells", "cusip"])
    if k == "orderid":
        oid = f"{R.choice(['ORD', 'TRD', 'EXEC', 'BLK'])}{digits(R.choice([8, 9, 10, 16]))}"
        core = f"{oid} {R.choice(['filled', 'booked', 'cxl'])}"
        # a chance ISIN check digit on an id of 12 characters is an ISIN reading (informational)
        return row(desk(core), "allow", ["ISIN"] if len(oid) == 12 and isin_valid(oid) else [], "neg-render", k)
    elif k == "hash":
        core = f"deployed {''.join(R.choice('0123456789abcdef') for _ in range(40))} to prod"
    elif k == "version":
        core = f"OMS v{n(1, 9)}.{n(0, 99)}.{n(1000, 9999)} build{digits(9)} is out"
    elif k == "link":
        core = f"see [OPS-{n(1000, 99999)}](https://jira.example.com/browse/OPS-{n(1000, 99999)}) and [the deck](https://x.example/{digits(7)})"
    elif k == "emoji":
        core = f"vote :one: for {R.choice(FIRMS)}, :two: for the other, :five: mins left"
    elif k == "cjk":
        core = R.choice(["我们一起讨论一下三四个问题", "第一季度收入增长了百分之三十五", "三点开会，五六个人参加", "一二三级客户的名单"])
    elif k == "crlf-table":
        b = R.choice(_BREAKS)
        core = b.join(["id,date,qty"] + [f"{10000 + i},2024-{n(1, 12):02d}-{n(1, 28):02d},{n(100, 9999)}" for i in range(6)])
        return row(core, "allow", [], "neg-render", k)
    elif k == "numeric-cells":
        core = "\n".join(["| qty | px | id |", "|---|---|---|"]
                         + [f"| {n(100, 899)} | {n(10, 99)} | {n(1000, 9999)} |" for _ in range(4)])
        return row(core, "allow", [], "neg-render", k)
    else:
        core = f"CUSIP{cusip(True)} bought {qty()}"
        return row(desk(core), "allow", ["CUSIP"], "neg-render", k)
    return row(desk(core), "allow", [], "neg-render", k)


def render_rows() -> list[dict[str, object]]:
    """The evasion-render and neg-render lines, from their own random stream."""
    global R, n
    saved = R
    R = random.Random(20261204)
    n = R.randint
    try:
        return [evasion_render() for _ in range(200)] + [neg_render() for _ in range(200)]
    finally:
        R = saved
        n = R.randint


PLAN: list[tuple[Callable[[], dict[str, object]], int]] = [
    (plain, 700), (context, 400), (evasion, 200), (table, 100),
    (neg_ein, 250), (neg_version, 250), (neg_cusip, 250), (neg_isin, 150), (neg_fix, 200), (neg_orderid, 250),
    (neg_timestamp, 200), (neg_ukvat, 150), (neg_phone, 200), (neg_date, 200), (neg_tradetable, 150), (neg_amount, 200),
    (neg_chat, 700),
    (ambiguous, 120),
]


def main() -> None:
    assert ssn_valid(synthetic.SSN.replace("-", "")) and aba_valid(synthetic.ROUTING)
    rows: list[dict[str, object]] = []
    for fn, count in PLAN:
        rows += [fn() for _ in range(count)]
    # a few lines with the fixed synthetic values of dlp_proxy.policy.testing
    rows.append(row(f"client SSN {synthetic.SSN} for the IRA", "stop", ["US_SSN"], "plain", "ssn"))
    rows.append(row(f"routing {synthetic.ROUTING} acct {synthetic.ACCOUNT}", "stop", ["ABA_ROUTING_NUMBER", "US_BANK_NUMBER"],
                    "plain", "routing+account"))
    R.shuffle(rows)
    rows += render_rows()
    for r in rows:
        line = json.dumps(r, ensure_ascii=False)
        for brk in ("\x85", "\u2028", "\u2029"):  # line breaks to str.splitlines: escaped
            line = line.replace(brk, f"\\u{ord(brk):04x}")
        sys.stdout.write(line + "\n")


if __name__ == "__main__":
    main()
