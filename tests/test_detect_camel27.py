"""camel27: number words inside a letters token read as digits (atk27r W, C2).

- W: number words in camelCase/PascalCase with any word glued in front
  (``ssnFiveThreeSix...``, ``cardFourOneOne...``, ``xFourOne...``), or a head word glued to
  number words in one case (``ssnfivethreesix...``, ``SSNFIVETHREE...``): the humps that are
  number words are read, and a head's number-word tail (three words or more, or a number
  hump after it); the head is then the label it is (``ssn536...``).  Glued lower-case words
  that end in one number word ("someone", "often", "phone") and code identifiers with a
  number word among other humps (``getOneTimeToken``) stay words.
- C2: such a JSON key is scanned and hashed at rest (``normalize.may_read_as_digits``).

Through the real detector (``build_detector(ner=False)``) and the real gateway.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dlp_proxy import atrest
from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import may_read_as_digits
from dlp_proxy.gateway.extract import key_may_hold_number
from dlp_proxy.policy.testing import ACCOUNT, CARD, ROUTING, SSN
from tests.conftest import Gateway, archive_records, start_gateway, stop

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
_STOPS = frozenset({"US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE"})
_NAMES = ("Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")


def _camel(number: str) -> str:
    """``number``'s digits as PascalCase number words (``FiveThreeSix...``)."""
    return "".join(_NAMES[int(c)] for c in number if c.isdigit())


SSN_W, CARD_W, ACCT_W, ROUTING_W = _camel(SSN), _camel(CARD), _camel(ACCOUNT), _camel(ROUTING)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)} & _STOPS


@pytest.mark.parametrize(("text", "kind"), [
    ("ssn" + SSN_W, "US_SSN"),
    ("SSN" + SSN_W, "US_SSN"),
    ("clientSsn" + SSN_W, "US_SSN"),
    ("my ssn is ssn" + SSN_W, "US_SSN"),
    ("ssn" + SSN_W.lower(), "US_SSN"),
    ("SSN" + SSN_W.upper(), "US_SSN"),
    ("ssn" + SSN_W[:4] + " " + " ".join(_NAMES[int(c)].lower() for c in SSN.replace("-", "")[1:]), "US_SSN"),
    ("card" + CARD_W, "CREDIT_CARD"),
    ("x" + CARD_W, "CREDIT_CARD"),
    ("card" + CARD_W.lower(), "CREDIT_CARD"),
    ("acct" + ACCT_W, "US_BANK_NUMBER"),
    ("routing" + ROUTING_W, "ABA_ROUTING_NUMBER"),
    (json.dumps({"ssn" + SSN_W: True}), "US_SSN"),
    (json.dumps({"n": "card" + CARD_W}), "CREDIT_CARD"),
])
def test_camel_and_glued_number_words_are_read(engine: Engine, text: str, kind: str) -> None:
    assert kind in _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "getOneTimeToken", "isTwoFactorEnabled", "fiveStarReview", "oneOnOne", "someoneElse", "networkTen",
    "call getOneTimeToken() then isTwoFactorEnabled() before fiveStarReview, oneOnOne and networkTen",
    "someone often said the tone of the network, the weight of the canine and the phone were fine",
    "someoneoneone phonetwo canineeight", "useThreeColumnLayout with sevenDayWindow and nineSlice",
    "handleOneTwoThree(); setFourFive(6)",
])
def test_code_identifiers_and_glued_words_stay_words(engine: Engine, text: str) -> None:
    assert not _stops(engine, text), text


def test_camel_number_word_keys_are_scanned_and_hashed_at_rest() -> None:
    for key in ("ssn" + SSN_W, "card" + CARD_W, "x" + CARD_W, "ssn" + SSN_W.lower(), "acct" + ACCT_W):
        assert may_read_as_digits(key) and key_may_hold_number(key), key
    for key in ("getOneTimeToken", "someoneElse", "message", "pending_post_id", "fiveStarReview"):
        assert not key_may_hold_number(key), key
    kept = atrest.safe_field_path(b"k" * 32, f"body.props.ssn{SSN_W}")
    assert SSN_W[:12] not in kept and kept.startswith("body"), kept


@pytest.fixture(scope="module")
def cgw(simulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("camel27"))
    yield gw
    stop(gw.proc)


def test_a_camel_number_word_props_key_is_stopped_and_not_kept(cgw: Gateway) -> None:
    gw = cgw
    headers = {"Authorization": f"Bearer {gw.sim.token('alice')}"}
    town = gw.sim.channel("town_square")
    for props in ({"ssn" + SSN_W: True}, {"n": "card" + CARD_W}):
        gw.sim.clear()
        r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": town, "message": "x", "props": props},
                       headers=headers, timeout=60)
        assert r.status_code == 403, (props, r.status_code)
        assert not any(q["path"] == "/api/v4/posts" for q in gw.sim.requests()), props
    gw.sim.clear()  # an ordinary camelCase key still passes
    r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": town, "message": "x",
                                                     "props": {"isTwoFactorEnabled": True}}, headers=headers, timeout=60)
    assert r.status_code < 300, r.status_code
    records = archive_records(gw.data_dir)
    assert records
    raw = b"".join(p.read_bytes() for p in (gw.data_dir / "archive").rglob("*") if p.is_file())
    assert SSN_W[:12].encode() not in raw and SSN_W[:12].lower().encode() not in raw
