"""Structure-aware precision and context as people write it (issue 15, items 5 and 6).

Through the whole engine (normalization, gates, resolution) with the shipped
configuration: each line says which entity types must be found and which must
not.  Identifiers are synthetic (checksums computed, SSNs from
dlp_proxy.policy.testing or high areas).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector
from dlp_proxy.model import (
    ABA_ROUTING_NUMBER,
    CREDIT_CARD,
    CUSIP,
    SENSITIVE_ENTITIES,
    US_BANK_NUMBER,
    US_EIN,
    US_ITIN,
    US_SSN,
)
from dlp_proxy.policy.testing import ACCOUNT, CARD, IBAN, ROUTING, SSN
from dlp_proxy.recognizers._fuzzy import FuzzyContext, edits1
from dlp_proxy.recognizers.securities import cusip_valid

ROOT = Path(__file__).resolve().parent.parent
SSN9 = SSN.replace("-", "")
ITIN = "912-78-4521"
CUSIP_NUM = "037833100"  # numeric, valid check digit
assert cusip_valid(CUSIP_NUM)


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return build_detector(ROOT / "config", ner=False)


def found(engine, text: str, entities: frozenset[str] | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.entity_type for f in engine.analyze(text, entities=entities)}


# (text, must find, must not find)
CASES: list[tuple[str, set[str], set[str]]] = [
    # EIN: a 2-7 number is a business identifier, not a person's SSN/ITIN
    ("Harbor Logistics LLC tax id 12-3456789", {US_EIN}, {US_SSN, US_ITIN}),
    ("Federal Tax ID # 35-1921282 on the W-9", {US_EIN}, {US_SSN, US_ITIN}),
    ("TIN 94-1234567 (the trust)", {US_EIN}, {US_SSN, US_ITIN}),
    ("entity: Cedar Ridge Partners\nTax ID: 45-6789012\nState: DE", {US_EIN}, {US_SSN}),
    ("SSN 53-6228710", {US_SSN}, set()),  # called an SSN: the person's number, whatever the grouping
    (f"tax id {SSN9}", {US_SSN}, set()),  # nine bare digits with "tax id": may be a person's
    (f"SSN {SSN}", {US_SSN}, set()),
    # versions and build numbers
    ("Bloomberg terminal build 107.82.1172 is crashing", set(), {US_SSN, US_ITIN}),
    ("rolled back to release 862.97.9765", set(), {US_SSN, US_ITIN}),
    ("version 536.22.8710 of the statement generator", set(), {US_SSN}),
    ("ssn 536.22.8710", {US_SSN}, set()),  # dotted with SSN context is still an SSN
    (f"here it is {SSN.replace('-', '.')}", {US_SSN}, set()),
    # CUSIPs after share quantities are not accounts, and do not swallow the quantity
    (f"in the IRA account bot 25,676 {CUSIP_NUM} @ 102.587", {CUSIP}, SENSITIVE_ENTITIES),
    (f"for the Novak account: 134000 sh {CUSIP_NUM} settled", {CUSIP}, SENSITIVE_ENTITIES),
    (f"client account: buy 800 {CUSIP_NUM} for the model", set(), SENSITIVE_ENTITIES),
    (f"in the IRA account client wants 258000 of {CUSIP_NUM}", set(), SENSITIVE_ENTITIES),
    (f"acct {CUSIP_NUM} sold 100 shares", {US_BANK_NUMBER}, {CUSIP}),  # labelled: the account wins
    # UK VAT, phones, labels on another line
    ("their VAT number is GB625868602\nRequested by: desk-3", set(), SENSITIVE_ENTITIES),
    ("Type: Roth IRA\nsupplier VAT 741 0913 59, pay net 30", set(), SENSITIVE_ENTITIES),
    ("account rep: +1 770 509 9183", set(), SENSITIVE_ENTITIES),
    ("Account number:\n4471902283", {US_BANK_NUMBER}, set()),  # a form's label above its value
    # typos and abbreviations
    (f"soical {SSN9}", {US_SSN}, set()),
    (f"her socila security is {SSN9}", {US_SSN}, set()),
    (f"ss# {SSN9}", {US_SSN}, set()),
    (f"s.s.n. {SSN9}", {US_SSN}, set()),
    (f"snn {SSN9}", {US_SSN}, set()),
    (f"acnt {ACCOUNT}", {US_BANK_NUMBER}, set()),
    (f"itn {ITIN.replace('-', '')}", {US_ITIN}, set()),
    (f"acount {ACCOUNT}", {US_BANK_NUMBER}, set()),
    (f"wire to acocunt {ACCOUNT}", {US_BANK_NUMBER}, set()),
    (f"acc't {ACCOUNT}", {US_BANK_NUMBER}, set()),
    (f"routign {ROUTING} a/c {ACCOUNT}", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    (f"aba# {ROUTING}\nacount number {ACCOUNT}", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    ("the routine check found 4471902283 rows", set(), SENSITIVE_ENTITIES),
    (f"acct {ACCOUNT} @ Harbor Trust", {US_BANK_NUMBER}, set()),  # "@ 99.5" is a price, "@ a bank" is not
    (f"acct {ACCOUNT} has a margin call", {US_BANK_NUMBER}, set()),
    ("margin account needs 568598 by EOD", set(), SENSITIVE_ENTITIES),
    # UK sort code + account
    ("sort code 20-00-00 account 12345678", {US_BANK_NUMBER}, set()),
    ("20-00-00 12345678", {US_BANK_NUMBER}, set()),
    ("pay GBP to 20-04-23 / 17891094", {US_BANK_NUMBER}, set()),
    ("Sort code: 40-11-62\nAccount number: 71829304", {US_BANK_NUMBER}, set()),
    ("trade date 12-11-24 41829304", set(), SENSITIVE_ENTITIES),  # a date and a reference
    ("05-11-24 20241105 20241106", set(), SENSITIVE_ENTITIES),
    # routing + account pairs with the purpose in words
    (f"{ROUTING} / {ACCOUNT} for the wire", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    (f"{ROUTING} / {ACCOUNT} (routing / account)", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    (f"use {ROUTING}/{ACCOUNT} for the ACH", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    (f"order {ROUTING} / {ACCOUNT} for the wire desk", set(), {US_BANK_NUMBER}),
    (f"{ROUTING} / {ACCOUNT} shipped", set(), {US_BANK_NUMBER}),
    # FIX tag=value messages: every value is its own field
    ("8=FIX.4.2|9=178|35=D|49=CLNT7|56=EXEC2|34=215|52=20241203-14:30:15.123|11=536228710|55=AAPL|54=1|"
     "38=5000|40=2|44=150.25|10=128", set(), SENSITIVE_ENTITIES),
    ("8=FIX.4.4\x019=120\x0135=8\x0137=4471902283\x0111=ORD20241203001\x0148=037833100\x0138=2500\x0110=007",
     set(), SENSITIVE_ENTITIES),
    # a CSV row's date and the next row's id are not one routing number ("11-19\n10115" passes the ABA check)
    ("id,name,note,amount,date\n10114,J Lee,wire out,1500.00,2024-11-19\n10115,M Khan,ACH in,220.10,2024-11-20",
     set(), SENSITIVE_ENTITIES | {ABA_ROUTING_NUMBER}),
    ("wire log 11/19/2024\n10115 sent", set(), {ABA_ROUTING_NUMBER}),
    # a rate after numbers is not the last group of a card ("4411 8710 3301 0" passes Luhn)
    ("ext 4411 order 8710 build 3301 up 0.25% today", set(), SENSITIVE_ENTITIES),
    (f"card {CARD} fee 0.25%", {CREDIT_CARD}, set()),
]


@pytest.mark.parametrize(("text", "want", "never"), CASES)
def test_structure_and_context(engine, text: str, want: set[str], never: set[str]) -> None:  # type: ignore[no-untyped-def]
    got = found(engine, text)
    assert want <= got, got
    assert not (got & never), got


def test_gateway_entities_still_see_cusips(engine) -> None:  # type: ignore[no-untyped-def]
    """The gateway asks only for the policy's entities: a CUSIP must still cancel the
    account reading of its digits, and is not reported."""
    text = f"in the IRA account bot 2,900 {CUSIP_NUM} @ 101.683"
    got = found(engine, text, frozenset({US_SSN, US_BANK_NUMBER, ABA_ROUTING_NUMBER}))
    assert got == set()


def test_fuzzy_variants() -> None:
    fc = FuzzyContext(["social", "account", "routing", "itin"])
    for slip in ("soical", "socail", "acount", "accout", "routign", "itn", "iitn"):
        assert fc.found(f"the {slip} is") == (slip,), slip
    for word in ("social", "routine", "outing", "tin", "special", "accent", "counting"):
        assert fc.found(f"the {word} is") == (), word
    assert fc.canonical("soical") == "social"
    with pytest.raises(ValueError):
        FuzzyContext(["ssn"])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["social", "account", "routing", "security", "checking"]), st.data())
def test_every_single_slip_of_a_long_word_is_found(word: str, data: st.DataObject) -> None:
    fc = FuzzyContext([word])
    slips = sorted(v for v in edits1(word, substitutions=True) if len(v) >= 3 and v in fc.variants)
    slip = data.draw(st.sampled_from(slips))
    assert fc.found(f"x {slip.upper()} y") == (slip,)
    assert fc.canonical(slip) == word


# Written apart from the corpus generator and first run as a held-out check (48 of 50 right;
# the two misses, a routing/account pair on two lines and "acount ending... full number",
# were fixed after), kept as a decision-level regression table: (text, the shipped policy
# stops it).
S9 = SSN9
HELD_OUT: list[tuple[str, bool]] = [
 # positives
 (f"Client called in, says her social is {S9}, can you update the CIP record", True),
 (f"SS#: {SSN}", True),
 (f"ssn - {SSN[:3]} {SSN[4:6]} {SSN[7:]}", True),
 (f"Pls set up ACH: routing {ROUTING}, checking {ACCOUNT}", True),
 (f"ABA {ROUTING} | Acct {ACCOUNT} | Name: J. Doe", True),
 (f"Bank details below\n{ROUTING}\n{ACCOUNT}\n(routing, then account)", True),
 (f"she gave me {ROUTING} / {ACCOUNT} for the direct deposit", True),
 (f"acct no {ACCOUNT} - please journal the cash", True),
 (f"A/C {ACCOUNT} at Harbor Trust", True),
 ("Sort Code 40-47-84 Acc No 31926819", True),
 ("uk bank: 40-47-84 31926819", True),
 (f"beneficiary acct {ACCOUNT}, ref: distribution", True),
 (f"card on file {CARD}", True),
 (f"IBAN {IBAN}", True),
 (f"his socail security # is {SSN}", True),
 (f"accnt {ACCOUNT} needs the W-9", True),
 (f"Transfer to acount ending... full number {ACCOUNT}", True),
 (f"rounting {ROUTING} account {ACCOUNT}", True),
 (f"Customer SSN {S9} and DOB 4/12/1961", True),
 (f"FW: new acct form\n> Name: Jane Doe\n> SSN: {SSN}\n> Acct: {ACCOUNT}", True),
 # negatives
 ("Tax ID 27-4417281 for Greenfield LLC, W-9 on file", False),
 ("EIN is 46-1029384 (the LP, not the GP)", False),
 ("The firm's tax id: 13-5108880", False),
 ("OMS 4.12.7.1893 rollout tonight, 10.4.12.1 on the FIX gateway", False),
 ("bot 5,000 594918104 @ 412.33 for the growth model", False),
 ("sold 12,500 sh 037833100 at 189.20 across 40 accounts", False),
 ("ISIN US5949181045 added to the restricted list", False),
 ("35=D|49=OMS|56=NYSE|11=20241203000123|55=MSFT|54=1|38=1200|40=2|44=412.10|60=20241203-14:31:07.455", False),
 ("8=FIX.4.4|9=112|35=8|37=7730019283|17=E123987|150=2|39=2|31=412.10|32=1200|14=1200", False),
 ("order 771203948 filled 1,200 @ 412.10 at 14:31:07.455", False),
 ("trade id 20241203-558812 busted, rebook under the same account", False),
 ("timestamp 2024-12-03 14:31:07.455 order 551209 ack 2024-12-03 14:31:07.461", False),
 ("Supplier VAT Reg No GB 293 1748 62, invoice attached", False),
 ("call the client back on 646-555-0199, he's re: his account", False),
 ("account review meeting 12/03/2024 at 10:30, room 14-210", False),
 ("settlement 12/05, trade date 12/03, 4,500 shares", False),
 ("the account is up 1,234,567 YTD", False),
 ("we have 2,315 accounts on the new platform and 18,204 positions", False),
 ("build 2024.12.03.1145 deployed; version 302.11.4821", False),
 ("ref 20241203-0001 wire received for the Novak account", False),
 ("zoom 812 4455 9921 passcode 771204", False),
 ("T+1 settle, 10y at 4.187, 2s10s at -12.5", False),
 ("CUSIP 912828ZT0 UST 0.25 05/31/25, 25mm", False),
 ("muni 64966QXY1 5% 2039 @ 108.25, 500k", False),
 ("account 7 of 12 reconciled, breaks on 3", False),
 ("client's new number is +1 (415) 555-0123", False),
 ("UK desk: +44 20 7946 0958", False),
 ("GBP payment 20-11-24 ref 41829304 settled", False),
 ("routing issue: orders to ARCA 021000021 timed out", False),
 ("sort the account list by balance, then by 12345678 rule", False),
]


# A second batch, written after the first was fixed, run once as held-out: 32 of 35 right
# ("soc #" and "ss number" were not context words; a DUNS number 07-123-4567 after "tax id"
# was read as an SSN), fixed after.
HELD_OUT += [
 (f"Morning - client wants to update her ssn on file, new one is {SSN}", True),
 (f"pls confirm the soc # {S9} matches the W-9", True),
 (f"Account# {ACCOUNT} — margin call of 25k", True),
 (f"Joint acct {ACCOUNT} (WROS)", True),
 (f"DDA {ACCOUNT} at First Example Bank, ABA {ROUTING}", True),
 (f"Routing: {ROUTING}\nAcct: {ACCOUNT}\nBank: Harbor Trust", True),
 (f"her checking is {ACCOUNT} and routing {ROUTING}", True),
 ("payee: J. Doe, sort code 30-96-26, account 01234567", True),
 (f"ss number {S9}", True),
 (f"Re: transfer\n\nPlease send funds to acct {ACCOUNT}.\n\nRegards", True),
 (f"TIN/SSN: {SSN}", True),
 (f"accoutn {ACCOUNT} pls", True),
 (f"routing nbr {ROUTING} acct nbr {ACCOUNT}", True),
 (f"soc. sec. {S9}", True),
 ("ITIN 912-78-4521 for the W-8BEN question", True),
 ("Greenfield LLC EIN 46-1029384, account opening docs attached", False),
 ("tax id# 27-4417281 / DUNS 07-123-4567", False),
 ("W-9: Tax ID Number 84-2299114 (entity)", False),
 ("v3.14.159 fixed the blotter bug; 3.14.160 next", False),
 ("kernel 5.15.0-1045-aws, glibc 2.35", False),
 ("FIX 4.4 session: 8=FIX.4.4|9=75|35=A|34=1092|49=TW|52=20241203-12:00:00.000|56=ISLD|98=0|108=30|10=178", False),
 ("bot 2,500 46625H100 @ 190.10; 1,000 594918104 @ 412.00", False),
 ("order 88120394 / exec 88120395 / trade 2024120300123", False),
 ("latency 14:30:15.123 -> 14:30:15.129, 6ms, order 771203", False),
 ("VAT GB 123 4567 89 (supplier), company reg 01234567", False),
 ("desk: 212-555-0143 | fax: 212-555-0144 | acct svc: 800-555-0100", False),
 ("settle 2024-12-05, 12,000 sh, 19.8M notional, account ALPHA-7", False),
 ("account opened 20241203, first trade 20241204", False),
 ("we onboarded 1,204 accounts and closed 388 in Q3", False),
 ("the account is short 125,000 for the Reg T call", False),
 ("ISIN DE0007164600 and US0378331005 on the watchlist", False),
 ("CUSIP 037833100 / 594918104 / 46625H100", False),
 ("T+1: trade 12/03 settles 12/04; 500 sh 037833100", False),
 ("build 1893 of release 4.12.7 is on UAT, tag v4.12.7-rc3", False),
 ("conference bridge 1-866-555-0199, code 4471902#", False),
]


# A third batch (recall of plain chat under the structure rules, more look-alikes), run once
# as held-out: 27 of 28 right (a general-ledger "account code 610200" was an account), fixed after.
HELD_OUT += [
 (f"new acct app: SSN# {S9}, DOB 02/14/1978, phone 917-555-0199", True),
 (f"Her SSN ends up being {SSN} per the W-2", True),
 (f"pls update the standing instruction: ABA {ROUTING} acct {ACCOUNT} (Harbor Trust)", True),
 (f"wire details -> rtng {ROUTING} / accnt {ACCOUNT}", True),
 (f"ACH: {ROUTING} {ACCOUNT} checking", True),
 (f"Accnt: {ACCOUNT}\nRtn: {ROUTING}", True),
 (f"socail {SSN}", True),
 (f"account # is {ACCOUNT} for the journal", True),
 (f"ira acct {ACCOUNT} - RMD due", True),
 (f"custodial acct no. {ACCOUNT}", True),
 (f"cc {CARD} exp 09/28", True),
 ("sort code 20 00 00 account 31926819", True),
 (f"benificiary account {ACCOUNT}", True),
 (f"he read me his acct number: {ACCOUNT[:5]} {ACCOUNT[5:]}", True),
 (f"checking acct ending in... {ACCOUNT}", True),
 # negatives
 ("Q4 est tax id payment 12-3456789 confirmation", False),
 ("release notes for 7.22.1043 and 7.22.1044", False),
 ("sold 75,000 912828ZT0 @ 99-16+, account: ALPHA", False),
 ("buy 1,200 037833100 limit 189.50 for acct group B", False),
 ("ticket #445512 - account 88 shows a 2,150,000 debit", False),
 ("10:42:17.331 NEW 8812203 AAPL 1200 189.50", False),
 ("20241203 10:42:17 fill 5000 @ 189.51 id 771203948", False),
 ("the 021000021 routing table update is scheduled", False),
 ("our phone tree: 212 555 0100 / 212 555 0101", False),
 ("account statements for 11/2024 are out, 1,245 pages", False),
 ("EIN 12-3456789 and SSN on file for the sole prop (ask ops)", False),
 ("VAT: GB123456789, EORI GB123456789000", False),
 ("PO 4500012345 / account code 610200 / cost center 4410", False),
]


# A fourth batch, run once as held-out after the third was fixed: 25 of 25 right.
HELD_OUT += [
 (f"Onboarding checklist done. Client SSN: {SSN}. Need ID scan.", True),
 (f"> > her social {SSN} (from the fwd)", True),
 (f"Acct#{ACCOUNT}", True),
 (f"please wire to: routing {ROUTING}; account {ACCOUNT}; ref INV 2231", True),
 (f"ABA/Acct: {ROUTING}/{ACCOUNT}", True),
 ("UK payee - sort code 60-16-13, a/c 55779911", True),
 (f"{ROUTING} {ACCOUNT} (her bank)", True),
 (f"brokerage acct {ACCOUNT[:3]}-{ACCOUNT[3:]}", True),
 (f"Social Security Number:\n{SSN}", True),
 (f"the ssn is {SSN[:3]}.{SSN[4:6]}.{SSN[7:]}", True),
 ("bought 3,000 sh of 594918104 in the Chen account at 412.5", False),
 ("tax id: 98-7654321 (foreign entity W-8BEN-E)", False),
 ("upgrade to OMS 23.11.4812 tonight, rollback plan 23.10.9931", False),
 ("FIX: 35=8|150=F|17=EXEC771203|37=ORD8812|11=CL123456789|31=412.51|32=300|151=0|14=1200|6=412.43", False),
 ("fills: 09:31:02.113 300@412.51, 09:31:02.118 900@412.40", False),
 ("account 12 had 4,512,000 in buying power", False),
 ("DTC 0352 / participant 0226 / ACATS 20241203-000771", False),
 ("Company registration 08124567, VAT GB 987 6543 21", False),
 ("bridge +1 646 555 0100 pin 4471902#", False),
 ("as of 2024-12-03 08:00:00 there are 3,214 open orders", False),
 ("the routing number 021000021 is JPMorgan's published ABA", False),
 ("account review: 21-Nov-2024, 14 accounts, 3 exceptions", False),
 ("CRD# 4471902 for the rep, Series 7 and 66", False),
 ("RMD $12,345.67 from IRA, fed wh 10%, state 4%", False),
 ("order ids 5123098412 5123098413 5123098414 cancelled (account ALPHA)", False),
]


@pytest.fixture(scope="module")
def decide():  # type: ignore[no-untyped-def]
    from dlp_proxy.cli.detect import STOP_ACTIONS, make_decider, policy_entities
    from dlp_proxy.model import ContentItem, ScannedItem

    policy = ROOT / "config" / "policy.yaml"
    decider, _ = make_decider(policy, False)
    entities = policy_entities(policy, False)

    def stop(engine, text: str) -> bool:  # type: ignore[no-untyped-def]
        findings = engine.analyze(text, entities=entities)
        return decider([ScannedItem(ContentItem("text", text), tuple(findings))]) in STOP_ACTIONS

    return stop


@pytest.mark.parametrize(("text", "stops"), HELD_OUT)
def test_held_out_decisions(engine, decide, text: str, stops: bool) -> None:  # type: ignore[no-untyped-def]
    assert decide(engine, text) is stops


# ---------------------------------------------------------------- structural tokens

@pytest.mark.parametrize(
    ("text", "span", "is_fused"),
    [
        ("38=5000|44=150.25", "5000|44", True),  # two FIX fields
        ("38=5000|44=150.25", "38=5000", True),  # a tag with its value
        ("38=5000|44=150.25", "5000", False),  # one value
        ("8=FIX.4.2\x0137=4471902283\x0111=1", "4471902283", False),
        ("8=FIX.4.2\x0137=4471902283\x0111=1", "4471902283\x0111", True),
        ("fill at 14:30:15.123 536 22", "15.123 536", True),  # the end of a clock time
        ("20241203-14:30:15.123", "20241203-14", True),
        ("upgraded to 10.4.12.1 2958 users", "12.1 2958", True),  # a dotted version and the count after it
        ("upgraded to 10.4.12.1 2958 users", "10.4.12.1", False),
        (f"ssn {SSN}", SSN, False),
        ("acct 4471902283 at 4:30", "4471902283", False),
        ("bot 25,676 323268169 @ 102", "676 323268169", True),  # a quantity's digits and the CUSIP after it
        ("bot 25,676 323268169 @ 102", "25,676", False),
        ("SSN 536,22,8710", "536,22,8710", False),  # not a thousands-separated amount
        ("4411 8710 3301 0.25% today", "4411 8710 3301 0", True),  # a rate's integer part
        ("fees up 12,5% on 4411", "12,5%", False),
    ],
)
def test_structural_tokens(text: str, span: str, is_fused: bool) -> None:
    from dlp_proxy.recognizers._structure import fused

    start = text.index(span)
    assert fused(text, start, start + len(span)) is is_fused


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["35=D", "49=BRKR1", f"11={SSN9}", "38=5000", "44=150.25", f"1={ACCOUNT}",
                                 "52=20241203-14:30:15.123", "48=037833100", "10=128"]), min_size=2, max_size=10),
       st.sampled_from(["|", "\x01", "^", " "]))
def test_fix_values_are_never_joined(fields: list[str], sep: str) -> None:
    """No candidate of any length spans two FIX fields or a tag and its value."""
    from dlp_proxy.recognizers._common import candidates

    text = "8=FIX.4.2" + sep + sep.join(fields) + sep + "10=000"
    bounds = []
    pos = 0
    for f in text.split(sep):
        eq = f.find("=")
        bounds.append((pos + eq + 1, pos + len(f)))
        pos += len(f) + 1
    for c in candidates(text, range(6, 20)):
        assert any(a <= c.start and c.end <= b for a, b in bounds), (text[c.start : c.end], text)
