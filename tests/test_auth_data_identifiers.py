"""A user's stored identity-provider fields (``auth_data``, ``auth_service``) read as a
person's identifier (gateway/authdata.py): a bare nine digits there, which the detector
reads unlabelled as a count elsewhere, is judged as labelled, through the gateway on
``PUT /api/v4/users/{user_id}/auth`` (api4/user.go updateUserAuth) and an admin's
``POST /api/v4/users``; the ids real identity providers store there still pass (GitLab's
short serials, Google's 21 digits, GUIDs, Okta/Auth0 ids, DNs, NameIDs), measured on
generated values."""

from __future__ import annotations

import base64
import json
import random
import string
import uuid

import httpx
import pytest

from dlp_proxy.detect import build_detector
from dlp_proxy.gateway import authdata
from dlp_proxy.gateway.pipeline import CREDENTIALS_ROUTE
from dlp_proxy.model import ContentItem
from tests.conftest import Gateway, archive_records
from tests.filegen import SSN_BODY

STOP_IDS = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error"}
PASSWORD = "correct-horse-battery-staple-7"
AUTH_PATH = "/api/v4/users/abcdefghijkmnopqrstuvwxyz0/auth"
BARE = SSN_BODY.replace("-", "")  # nine digits, no label, no separator
ITIN_BARE = "912701234"  # an ITIN (9xx-7x-xxxx) without dashes

STOPPED = [
    {"auth_data": BARE, "auth_service": "ldap"},
    {"auth_data": f"uid={BARE},ou=people,dc=corp,dc=example", "auth_service": "ldap"},
    {"auth_data": f"{BARE}@corp.example", "auth_service": "saml"},
    {"auth_data": BARE[:3] + "\u200b" + BARE[3:], "auth_service": "saml"},  # a format character hides nothing
    {"AUTH_DATA": BARE, "auth_service": "saml"},  # Go folds the key's case
    {"auth_data": "uid-7", "auth_service": BARE},
    {"auth_data": ITIN_BARE, "auth_service": "ldap"},
]
#: what identity providers store (authdata module docstring)
CLEAN = [
    ("gitlab", "42"),
    ("gitlab", "23456789"),
    ("google", "109876543210987654321"),
    ("office365", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
    ("openid", "00u1a2b3c4D5e6F7g8h9"),
    ("ldap", "uid=jdoe,ou=people,dc=corp,dc=example"),
    ("ldap", "CN=Doe\\, John,OU=Users,DC=corp,DC=example"),
    ("saml", "jdoe@corp.example"),
    ("saml", "_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6"),
    ("ldap", "kR3u8a5mTkiQ0Q6X9w3b2A=="),
    ("ldap", "E123456"),
]


def _put(gw: Gateway, body: dict[str, str]) -> httpx.Response:
    raw = json.dumps({**body, "password": PASSWORD}).encode()
    return httpx.put(
        gw.url + AUTH_PATH, content=raw, headers={"Content-Type": "application/json"}, timeout=60
    )


@pytest.mark.parametrize(
    "body", STOPPED, ids=["bare", "in-dn", "in-nameid", "zero-width", "key-case", "in-service", "itin"]
)
def test_a_bare_identifier_in_auth_data_is_stopped(gateway: Gateway, body: dict[str, str]) -> None:
    gateway.sim.clear()
    r = _put(gateway, body)
    assert r.status_code == 403, (r.status_code, r.text)
    err = r.json()
    assert err["id"] in STOP_IDS and err["status_code"] == 403
    assert [x for x in gateway.sim.requests() if x["path"] == AUTH_PATH] == []
    recs = [x for x in archive_records(gateway.data_dir) if x.get("request_id") == err["request_id"]]
    assert len(recs) == 1 and recs[0]["action"] == "block"
    assert PASSWORD not in json.dumps(recs[0]) and BARE not in json.dumps(recs[0])


@pytest.mark.parametrize("service,data", CLEAN, ids=[f"{s}-{i}" for i, (s, _) in enumerate(CLEAN)])
def test_what_identity_providers_store_passes(gateway: Gateway, service: str, data: str) -> None:
    gateway.sim.clear()
    body = {"auth_data": data, "auth_service": service}
    r = _put(gateway, body)
    assert not (r.status_code == 403 and r.json().get("id") in STOP_IDS), r.text
    reached = [x for x in gateway.sim.requests() if x["path"] == AUTH_PATH]
    assert len(reached) == 1
    assert json.loads(base64.b64decode(reached[0]["body_b64"]))["auth_data"] == data


def test_an_admin_creating_a_user_with_a_bare_identifier_is_stopped(gateway: Gateway) -> None:
    """createUser stores an admin's ``auth_data`` (model.User.SanitizeInput clears it only
    for other callers; CreateUserAsAdmin)."""
    admin = (
        {"Authorization": f"Bearer {gateway.sim.token('admin')}"}
        if "admin" in gateway.sim.ids["tokens"]
        else {"Authorization": f"Bearer {gateway.sim.token('bob')}"}
    )
    body = {
        "username": "zed-auth",
        "email": "zed-auth@acme.example",
        "auth_service": "ldap",
        "Auth_Data": BARE,
    }
    r = httpx.post(f"{gateway.url}/api/v4/users", json=body, headers=admin, timeout=60)
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["id"] in STOP_IDS


def _generated(rnd: random.Random) -> dict[str, list[str]]:
    hexd = "0123456789abcdef"
    return {
        "gitlab": [str(rnd.randint(1, 99_999_999)) for _ in range(300)],
        "google": ["1" + "".join(rnd.choice(string.digits) for _ in range(20)) for _ in range(300)],
        "guid": [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(300)],
        "GUID": ["{" + str(uuid.UUID(int=rnd.getrandbits(128))).upper() + "}" for _ in range(300)],
        "okta": [
            "00u" + "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(17))
            for _ in range(300)
        ],
        "auth0": ["auth0|" + "".join(rnd.choice(hexd) for _ in range(24)) for _ in range(300)],
        "objectguid": [base64.b64encode(rnd.randbytes(16)).decode() for _ in range(300)],
        "nameid": ["_" + "".join(rnd.choice(hexd) for _ in range(42)) for _ in range(300)],
        "hex": [
            "".join(rnd.choice(hexd) for _ in range(rnd.choice([16, 20, 24, 32, 40]))) for _ in range(300)
        ],
    }


def test_generated_identity_provider_ids_get_no_labelled_reading() -> None:
    """3,000 generated ids of the shapes identity providers store: none has a labelled
    reading, so none can be stopped by this rule (labelling the whole value instead
    turned 4 of 600 GUIDs into SSNs)."""
    rnd = random.Random(20261205)
    for kind, values in _generated(rnd).items():
        items = [ContentItem("body.auth_data", v) for v in values]
        assert authdata.readings(CREDENTIALS_ROUTE.name, items) == [], kind


def test_labelled_readings_are_judged_by_the_detector_checks() -> None:
    """The label makes a run a candidate; the detector's checks still decide: an invalid
    SSN (area 000, the advertising 123456789) is no finding."""
    engine = build_detector(None, ner=False)

    def found(value: str) -> set[str]:
        items = authdata.readings("users.create", [ContentItem("body.auth_data", value)])
        return {f.entity_type for s in engine.scan(items) for f in s.findings}

    assert found(BARE) == {"US_SSN"}
    assert found("123456789") == set() and found("000221234") == set()
    assert found("1234567890") == set()  # ten digits: no run of nine
    assert authdata.readings("users.update", [ContentItem("body.auth_data", BARE)]) == []  # not stored there
    assert authdata.readings("users.create", [ContentItem("body.props.auth_data", BARE)]) == []
