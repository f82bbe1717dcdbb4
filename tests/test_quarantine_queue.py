"""The review queue as analysts work it (issue 18): search, sort and pages;
severity and review deadlines (an injected clock); assignment; verdicts and their
export as labelled examples that ``dlp-proxy eval`` and ``dlp-proxy policy replay``
read; one person one principal when a bot is involved (FINDINGS 10).  Real Redis,
the Mattermost simulator on a real socket, the CLI as a subprocess."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from dlp_proxy.interfaces import HeldRequest
from dlp_proxy.model import Finding, ScannedItem
from dlp_proxy.quarantine import (
    Actor,
    Conflict,
    Forbidden,
    InvalidRequest,
    QuarantineService,
    QuarantineSettings,
)
from dlp_proxy.quarantine.service import mask_for_export, parse_sla, severity_of
from dlp_proxy.simulator.ids import id_from
from dlp_proxy.simulator.state import Simulator
from tests.test_quarantine_support import (
    IBAN,
    MASK_REASONS,
    MASTER,
    SSN,
    SSN_DIGITS,
    Clock,
    RedisServer,
    make_held,
    redis_server,
    released_posts,
    simulator,
)

ROOT = Path(__file__).resolve().parents[1]

RITA = Actor("rita", frozenset({"reviewer"}), user_id="r" * 26)
SAM = Actor("sam", frozenset({"reviewer", "approver"}), user_id="s" * 26)
AUDREY = Actor("audrey", frozenset({"auditor"}), user_id="a" * 26)


def uid(key: str) -> str:
    return id_from(f"user:{key}")


@pytest.fixture(scope="module")
def rserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def sim() -> Iterator[tuple[Simulator, str]]:
    with simulator() as s:
        yield s


@pytest.fixture
async def r(rserver: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(rserver.url)
    await client.flushall()
    yield client
    await client.aclose()


def service(r: aioredis.Redis, url: str, clock: Clock | None = None, **settings: Any) -> QuarantineService:
    defaults: dict[str, Any] = {"notify_token": "dlp-bot-token", "bot_token": "dlp-bot-token"}
    defaults.update(settings)
    return QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=url,
                             settings=QuarantineSettings(**defaults), **({"clock": clock} if clock else {}))  # fmt: skip


def with_findings(held: HeldRequest, n_ssn: int) -> HeldRequest:
    """``held`` with ``n_ssn`` distinct SSN findings (a pasted client list)."""
    text = " ".join(f"client {i}: 536-22-{8800 + i}" for i in range(n_ssn))
    fs = tuple(Finding("US_SSN", text.index(f"536-22-{8800 + i}"), text.index(f"536-22-{8800 + i}") + 11, 0.9,
                       "UsSsnRecognizer") for i in range(n_ssn))  # fmt: skip
    item = dataclasses.replace(held.decision.scanned[0].item, text=text)
    decision = dataclasses.replace(held.decision, scanned=(ScannedItem(item, fs),), entity_types=("US_SSN",))
    return dataclasses.replace(held, decision=decision)


# ------------------------------------------------------------------ severity and SLA

def test_severity_from_the_decision(sim: tuple[Simulator, str]) -> None:
    s, _ = sim
    assert severity_of(make_held(s).decision) == "medium"  # SSN and IBAN: two kinds
    assert severity_of(make_held(s, text=f"SSN {SSN} only").decision) == "low"
    assert severity_of(with_findings(make_held(s), 5).decision) == "high"  # bulk
    assert severity_of(with_findings(make_held(s), 4).decision) == "low"
    bulk_rule = dataclasses.replace(make_held(s, text=f"SSN {SSN}").decision, rule_id="npi-bulk")
    assert severity_of(bulk_rule) == "high"


def test_parse_sla() -> None:
    assert parse_sla("high=30m, low=2d") == {"high": 1800.0, "medium": 4 * 3600.0, "low": 2 * 86400.0}
    for bad in ("urgent=1h", "high", "high=-1h", "high=0"):
        with pytest.raises(ValueError):
            parse_sla(bad)
    with pytest.raises(ValueError):
        QuarantineSettings(sla={"urgent": 5.0})


async def test_sla_by_severity_with_an_injected_clock(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, sla={"high": 600.0, "medium": 3600.0, "low": 7200.0})
    high = await svc.hold(with_findings(make_held(s), 6))
    medium = await svc.hold(make_held(s))
    low = await svc.hold(make_held(s, text=f"SSN {SSN} only"))
    items = {i["id"]: i for i in await svc.list_items()}
    assert {items[i]["severity"] for i in (high, medium, low)} == {"high", "medium", "low"}
    assert items[high]["sla_due"] == pytest.approx(clock.t + 600)
    assert all(i["sla"] == "ok" and not i["overdue"] for i in items.values())
    clock.t += 460  # 75 % of the high deadline
    assert (await svc.get(high))["sla"] == "warn"
    clock.t += 200
    assert (await svc.get(high))["overdue"] and (await svc.get(high))["sla"] == "breach"
    assert [i["id"] for i in await svc.list_items(overdue=True)] == [high]
    assert {i["id"] for i in await svc.list_items(overdue=False)} == {medium, low}
    clock.t += 3600
    assert [i["id"] for i in await svc.list_items(overdue=True, sort="due")] == [high, medium]
    # a decided item is never overdue
    await svc.reject(high, SAM, "client list, never in chat", verdict="true_positive")
    assert [i["id"] for i in await svc.list_items(overdue=True, state="all")] == [medium]
    await svc.close()


# ------------------------------------------------------------------ search, sort, pages

async def test_search_sort_and_pages(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock)
    ids = []
    for i, (sender, channel) in enumerate([("alice", "private"), ("bob", "town_square"), ("alice", "dm_alice_bob"),
                                           ("bob", "private"), ("alice", "private")]):  # fmt: skip
        held = make_held(s, sender=sender, channel=channel, text=f"zebrafish memo {SSN}",
                         created_at=clock.t - 1000 + i * 100)  # fmt: skip
        # a request id as the gateway makes them: 26 lower-case hex characters
        held = dataclasses.replace(held, context=dataclasses.replace(held.context,
                                                                     request_id=secrets.token_hex(12) + "fe"))
        ids.append(await svc.hold(held if i != 3 else with_findings(held, 5)))
    one = await svc.get(ids[2])
    # the reference the sender was given, whole, partial, any case
    assert [i["id"] for i in await svc.list_items(search=one["request_id"])] == [ids[2]]
    assert [i["id"] for i in await svc.list_items(search=one["request_id"][-10:].upper())] == [ids[2]]
    assert [i["id"] for i in await svc.list_items(search=one["record_id"])] == [ids[2]]
    assert [i["id"] for i in await svc.list_items(search=ids[2])] == [ids[2]]
    assert [i["id"] for i in await svc.list_items(search="@bob")] == [ids[1], ids[3]]
    assert [i["id"] for i in await svc.list_items(search="bob town")] == [ids[1]]  # every word must match
    assert len(await svc.list_items(search="acme")) == 5  # team name
    # message text is never searched, and an identifier is refused, not looked for
    assert await svc.list_items(search="zebrafish") == []
    for value in (SSN, SSN_DIGITS, "536 22 8841", "4111-1111-1111-1111"):
        with pytest.raises(InvalidRequest, match="identifier"):
            await svc.list_items(search=value)
    # sorts
    assert [i["id"] for i in await svc.list_items()] == ids
    assert [i["id"] for i in await svc.list_items(sort="-age")] == ids[::-1]
    by_sev = [i["severity"] for i in await svc.list_items(sort="severity")]
    assert by_sev == sorted(by_sev, key=["high", "medium", "low"].index) and by_sev[0] == "high"
    await svc.reject(ids[0], SAM, "not needed here")
    states = [i["state"] for i in await svc.list_items(state="all", sort="state")]
    assert states == ["held"] * 4 + ["rejected"]
    with pytest.raises(InvalidRequest):
        await svc.list_items(sort="colour")
    # pages: the total across pages, every item exactly once
    pages = [await svc.query(state="all", page=p, size=2) for p in (1, 2, 3)]
    assert [p["total"] for p in pages] == [5, 5, 5] and pages[0]["pages"] == 3
    assert [i["id"] for p in pages for i in p["items"]] == ids
    assert (await svc.query(state="all", page=4, size=2))["items"] == []
    # no silent cap: more than 500 items all listed
    for bad in ({"size": 0}, {"size": 501}, {"page": 0}):
        with pytest.raises(InvalidRequest):
            await svc.query(**bad)
    # a misspelt filter is an error, not a silently wider list
    with pytest.raises(TypeError, match="sendr"):
        await svc.list_items(sendr="alice")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="chanel"):
        await svc.query(chanel="x")  # type: ignore[call-arg]
    await svc.close()


async def test_no_silent_cap_at_500(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)
    # 520 items written directly in the shape hold() writes (holding 520 through the
    # service would be slow and prove nothing more about listing)
    pipe = r.pipeline()
    for i in range(520):
        item_id = f"qbulk{i:04d}"
        pipe.hset(f"dlp:quarantine:item:{item_id}", mapping={"id": item_id, "state": "held",
                                                              "created_at": repr(1000.0 + i)})  # fmt: skip
        pipe.zadd("dlp:quarantine:all", {item_id: 1000.0 + i})
    await pipe.execute()
    assert len(await svc.list_items()) == 520
    last = await svc.query(page=11, size=50)
    assert last["total"] == 520 and len(last["items"]) == 20 and last["items"][-1]["id"] == "qbulk0519"
    await svc.close()


# ------------------------------------------------------------------ assignment

async def test_assignment(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)
    a, b = await svc.hold(make_held(s)), await svc.hold(make_held(s, sender="bob"))
    for actor in (RITA, SAM, AUDREY):
        await svc.register_reviewer(actor)
    assert [p["name"] for p in await svc.reviewers()] == ["rita", "sam"]  # auditors are not assignable
    # a reviewer takes an item, but may not hand one to somebody else
    out = await svc.assign(a, RITA, "rita")
    assert out["assignee"] == RITA.user_id and out["assignee_name"] == "rita"
    with pytest.raises(Forbidden):
        await svc.assign(b, RITA, "sam")
    # an approver (re)assigns, by name or id; the target must be a reviewer
    assert (await svc.assign(a, SAM, "@Sam"))["assignee"] == SAM.user_id
    assert (await svc.assign(b, SAM, RITA.user_id or ""))["assignee_name"] == "rita"
    for nobody in ("audrey", "mallory", ""):
        with pytest.raises(InvalidRequest):
            await svc.assign(a, SAM, nobody)
    with pytest.raises(Forbidden):
        await svc.assign(a, AUDREY, "rita")
    # my items
    assert [i["id"] for i in await svc.list_items(assignee=SAM.user_id)] == [a]
    assert [i["id"] for i in await svc.list_items(assignee=RITA.user_id)] == [b]
    assert await svc.list_items(assignee="none") == []
    # claiming assigns too
    c = await svc.hold(make_held(s))
    assert [i["id"] for i in await svc.list_items(assignee="none")] == [c]
    got = await svc.claim_next(RITA)
    assert len(got) == 1
    assert (await svc.get(got[0]))["assignee"] == RITA.user_id
    # history and archive record the reassignment; a decided item is not assigned
    hist = [h for h in (await svc.show(a, SAM))["history"] if h["action"] == "assign"]
    assert [h["assignee"] for h in hist] == ["rita", "sam"]
    records = await svc.audit_log.records()
    assert [(x["assignee_name"], x["assignee_before"]) for x in records if x["action"] == "assign" and
            x["item_id"] == a] == [("rita", ""), ("sam", "rita")]  # fmt: skip
    await svc.reject(a, SAM, "not allowed here")
    with pytest.raises(Conflict):
        await svc.assign(a, SAM, "rita")
    await svc.close()


# ------------------------------------------------------------------ verdicts

async def test_verdicts_kept_on_the_item_and_in_the_archive(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)
    a, b, c = [await svc.hold(make_held(s)) for _ in range(3)]
    with pytest.raises(InvalidRequest, match="verdict"):
        await svc.approve(a, SAM, "fine", verdict="maybe")
    assert (await svc.get(a))["state"] == "held"  # nothing happened
    out = await svc.approve(a, SAM, "the client's own account", verdict="benign")
    assert out["state"] == "released" and (out["verdict"], out["verdict_by"]) == ("benign", "sam")
    out = await svc.reject(b, RITA, "real SSN in chat", verdict="true_positive")
    assert (out["verdict"], out["verdict_by"]) == ("true_positive", "rita")
    res = await svc.bulk([c], "reject", RITA, "a CUSIP, not an SSN", verdict="false_positive")
    assert res[0]["ok"] and (await svc.get(c))["verdict"] == "false_positive"
    records = {x["item_id"]: x for x in await svc.audit_log.records() if x["action"] in ("approve", "reject")}
    assert {i: (x["verdict"], x["verdict_by"]) for i, x in records.items()} == {
        a: ("benign", "sam"), b: ("true_positive", "rita"), c: ("false_positive", "rita")}
    assert [i["id"] for i in await svc.list_items(state="all", verdict="false_positive")] == [c]
    # the decided item's history names the verdict; its reason is in the archive (the
    # console shows it from there, masked: review/context.py)
    shown = await svc.show(b, SAM)
    assert shown["content"] is None
    assert [h.get("verdict") for h in shown["history"] if h["action"] == "reject"] == ["true_positive"]
    assert [x["reason"] for x in await svc.audit_log.records() if x["item_id"] == b and x["action"] == "reject"] == [
        "real SSN in chat"]
    await svc.close()


async def test_bulk_comment_names_a_state(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)
    ids = [await svc.hold(make_held(s)) for _ in range(2)]
    res = await svc.bulk(ids, "comment", RITA, "called the desk")
    assert [(x["ok"], x["state"], x["action"]) for x in res] == [(True, "held", "comment")] * 2
    assert all(x["record_id"] for x in res)
    await svc.close()


def test_export_masks_every_digit_run() -> None:
    text = f"SSN {SSN}, acct 12345678 and order 42, ref 5551234"
    fs = [{"entity_type": "US_SSN", "start": 4, "end": 15, "score": 0.9}]
    out = mask_for_export(text, fs)
    assert len(out) == len(text) and out[4:15] == "***-**-8841"
    assert "12345678" not in out and "5551234" not in out and "order 42" in out


async def test_verdict_export_round_trip_through_eval_and_replay(
    r: aioredis.Redis, sim: tuple[Simulator, str], rserver: RedisServer, tmp_path: Path
) -> None:
    """Reviewers label three holds; ``quarantine verdicts --jsonl`` exports them
    with masked text; ``eval`` and ``policy replay --corpus`` read the file and
    measure the shipped policy and a candidate against what reviewers decided."""
    s, url = sim
    svc = service(r, url)
    tp1 = await svc.hold(make_held(s, text=f"Client SSN is {SSN}, acct 98765432 please"))
    tp2 = await svc.hold(make_held(s, text=f"wire to {IBAN} today"))
    fp = await svc.hold(make_held(s, text=f"CUSIP-like {SSN} in a bond memo"))
    none = await svc.hold(make_held(s))  # no verdict: not exported
    await svc.reject(tp1, RITA, "client NPI", verdict="true_positive")
    await svc.reject(tp2, RITA, "client NPI", verdict="true_positive")
    await svc.approve(fp, SAM, "not an SSN", verdict="false_positive")
    await svc.close()
    out = tmp_path / "verdicts.jsonl"
    env = cli_env(rserver, tmp_path)
    done = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", "verdicts", "--jsonl", "-o", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    raw = out.read_text()
    assert SSN not in raw and SSN_DIGITS not in raw and IBAN not in raw and "98765432" not in raw
    rows = {x["id"]: x for x in map(json.loads, raw.splitlines())}
    assert set(rows) == {tp1, tp2, fp} and none not in rows
    assert {i: (x["verdict"], x["expect"]) for i, x in rows.items()} == {
        tp1: ("true_positive", "stop"), tp2: ("true_positive", "stop"), fp: ("false_positive", "allow")}
    assert rows[fp]["entities"] == [] and rows[tp1]["entities"] == ["US_SSN"]
    assert rows[tp1]["channel_type"] == "P" and rows[tp1]["rule_id"] == "quarantine-private"
    assert "***-**-8841" in rows[tp1]["text"] and rows[tp1]["masked"] is True
    # eval: the shipped policy stops all three; reviewers say one should have passed
    ev = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "eval", str(out), "--json", "--no-ner",
                         "--policy", str(ROOT / "config" / "policy.yaml")],
                        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    report = json.loads(ev.stdout)
    d = report["decision"]
    assert (report["lines"], d["tp"], d["fp"], d["fn"], d["tn"]) == (3, 2, 1, 0, 0)
    assert report["entities"]["US_SSN"]["fp"] == 1 and report["entities"]["IBAN_CODE"]["tp"] == 1
    assert report["categories"]["reviewer"]["lines"] == 3
    # replay: a candidate that only blocks bulk lists passes the false positive, and
    # the two true positives too -- the report says so against the reviewers' labels
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text("schema: 1\nrules:\n  - id: bulk-only\n    action: block\n    match:\n"
                         "      entities: [US_SSN, IBAN_CODE]\n      min_count: 5\n")  # fmt: skip
    rp = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "policy", "replay", "--policy", str(candidate),
                         "--against", str(ROOT / "config" / "policy.yaml"), "--no-archive", "--corpus", str(out),
                         "--json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert rp.returncode == 0, rp.stderr
    corpus = json.loads(rp.stdout)["corpus"]
    assert corpus["lines"] == 3
    assert {k: corpus["running"][k] for k in ("tp", "fp", "fn", "tn")} == {"tp": 2, "fp": 1, "fn": 0, "tn": 0}
    assert {k: corpus["candidate"][k] for k in ("tp", "fp", "fn", "tn")} == {"tp": 0, "fp": 0, "fn": 2, "tn": 1}
    assert {c["id"] for c in corpus["changed"]} == {tp1, tp2, fp}


# ------------------------------------------------------------------ principals: bots count as their owner

async def test_a_bot_counts_as_its_owner(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """dlp-bot is carol's bot (simulator seed): carol may not approve what it sent,
    and with four-eyes a token held by her bot is not a second person."""
    s, url = sim
    carol = Actor("carol", frozenset({"approver"}), user_id=uid("carol"), via="console")
    bots_token = Actor("api:carols-bot", frozenset({"approver"}), user_id=uid("dlp-bot"), via="api")
    bob = Actor("bob", frozenset({"approver"}), user_id=uid("bob"), via="console")
    svc = service(r, url)
    from_bot = make_held(s, sender="dlp-bot", channel="town_square")
    held = await svc.hold(dataclasses.replace(from_bot, context=dataclasses.replace(from_bot.context, is_bot=True)))
    with pytest.raises(Forbidden, match="own message"):
        await svc.approve(held, carol, "looks fine")
    # not flagged as a bot at hold time: Mattermost's users/{id} says so
    unflagged = await svc.hold(make_held(s, sender="dlp-bot", channel="town_square"))
    with pytest.raises(Forbidden, match="own message"):
        await svc.approve(unflagged, carol, "looks fine")
    assert (await svc.approve(held, bob, "checked with the desk"))["state"] == "released"
    await svc.close()

    four = service(r, url, four_eyes=True)
    item = await four.hold(make_held(s, sender="alice"))
    assert (await four.approve(item, carol, "first look"))["state"] == "awaiting_second"
    with pytest.raises(Forbidden, match="already approved"):
        await four.approve(item, bots_token, "second look")
    assert (await four.get(item))["state"] == "awaiting_second"
    assert (await four.approve(item, bob, "second person"))["state"] == "released"
    await four.close()
    assert len(released_posts(s)) == 2


async def test_an_unreadable_bot_owner_fails_closed(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    bob = Actor("bob", frozenset({"approver"}), user_id=uid("bob"), via="console")
    from_bot = make_held(s, sender="dlp-bot")
    from_bot = dataclasses.replace(from_bot, context=dataclasses.replace(from_bot.context, is_bot=True))
    # no token to read bots with: a bot sender cannot be told apart from its owner
    blind = service(r, url, notify_token=None, bot_token=None)
    item = await blind.hold(from_bot)
    with pytest.raises(Forbidden, match="bot"):
        await blind.approve(item, bob, "fine")
    await blind.close()
    # a token that may not read other people's bots (alice: Mattermost answers 404)
    weak = service(r, url, notify_token=s.ids["tokens"]["alice"], bot_token=None)
    with pytest.raises(Forbidden, match="bot"):
        await weak.approve(item, bob, "fine")
    assert (await weak.get(item))["state"] == "held"
    await weak.close()
    assert released_posts(s) == []


# ------------------------------------------------------------------ CLI

def cli_env(rserver: RedisServer, tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "DLP_REDIS_URL": rserver.url, "DLP_DATA_DIR": str(tmp_path / "data"),
           "DLP_QUARANTINE_MASTER_KEY": base64.b64encode(MASTER).decode()}  # fmt: skip
    env.pop("DLP_UPSTREAM", None)
    return env


def cli(rserver: RedisServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", *args], cwd=ROOT,
                          env=cli_env(rserver, tmp_path), capture_output=True, text=True, timeout=120)  # fmt: skip


async def test_cli_search_assign_verdict(r: aioredis.Redis, sim: tuple[Simulator, str], rserver: RedisServer,
                                         tmp_path: Path) -> None:  # fmt: skip
    s, url = sim
    svc = service(r, url)
    a = await svc.hold(make_held(s, sender="alice"))
    b = await svc.hold(make_held(s, sender="bob"))
    await svc.register_reviewer(RITA)
    ref = (await svc.get(b))["request_id"]
    listed = cli(rserver, tmp_path, "list", "--json", "--search", ref)
    assert listed.returncode == 0, listed.stderr
    assert [i["id"] for i in json.loads(listed.stdout)] == [b]
    paged = json.loads(cli(rserver, tmp_path, "list", "--json", "--sort=-age", "--page", "1", "--size", "1").stdout)
    assert paged["total"] == 2 and paged["pages"] == 2 and [i["id"] for i in paged["items"]] == [b]
    text = cli(rserver, tmp_path, "list", "--search", ref)
    assert ref in text.stdout and b in text.stdout and a not in text.stdout
    refused = cli(rserver, tmp_path, "list", "--search", SSN)
    assert refused.returncode == 1 and "identifier" in refused.stderr and SSN not in refused.stderr
    assigned = cli(rserver, tmp_path, "assign", a, "--to", "rita", "--json")
    assert assigned.returncode == 0 and json.loads(assigned.stdout)["assignee_name"] == "rita"
    mine = cli(rserver, tmp_path, "list", "--json", "--mine", "--principal", RITA.user_id or "")
    assert [i["id"] for i in json.loads(mine.stdout)] == [a]
    rejected = cli(rserver, tmp_path, "reject", a, "--reason", "client NPI", "--verdict", "true_positive", "--json")
    assert rejected.returncode == 0 and json.loads(rejected.stdout)["verdict"] == "true_positive"
    bad = cli(rserver, tmp_path, "reject", b, "--reason", "client NPI", "--verdict", "maybe")
    assert bad.returncode == 2 and (await svc.get(b))["state"] == "held"
    await svc.close()
