"""atk17p F3 end to end (gateway process, simulator): a credential route's body is
never read but for the fields Mattermost stores or shows (pipeline.credential_fields):
``POST /oauth/authorize`` ``state``/``scope``/``redirect_uri`` (app/oauth.go
AllowOAuthAppAccessToUser saves them, ``state`` goes back to the OAuth app), ``POST
/api/v4/users/login`` ``device_id`` (the session's DeviceId) and ``login_id`` (the audit
record).  An identifier there is refused with a 403 AppError (never a 401: the web app
logs out on a 401), archived without the password; a clean login passes as sent."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import Gateway, archive_records
from tests.filegen import SSN_BODY

STOP_IDS = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error"}
PASSWORD = "correct-horse-battery-staple-7"
CARD = "4111 1111 1111 1111"

CASES = [
    ("/oauth/authorize", {"response_type": "code", "client_id": "abcdefghijkmnopqrstuvwxyz0",
                          "redirect_uri": "https://app.example/cb", "state": f"client SSN {SSN_BODY}"}),
    ("/OAUTH/authorize", {"response_type": "code", "client_id": "abcdefghijkmnopqrstuvwxyz0",
                          "redirect_uri": "https://app.example/cb", "STATE": f"client SSN {SSN_BODY}"}),
    ("/api/v4/users/login", {"login_id": "alice", "password": PASSWORD,
                             "device_id": f"android_rn-v2:client SSN {SSN_BODY}"}),
    ("/api/v4/users/login", {"login_id": f"client card {CARD}", "password": PASSWORD}),
]


@pytest.mark.parametrize("path,body", CASES, ids=["oauth-state", "oauth-upper", "login-device", "login-id"])
def test_a_stored_field_of_a_credential_route_is_judged(gateway: Gateway, path: str, body: dict[str, str]) -> None:
    gateway.sim.clear()
    r = httpx.post(gateway.url + path, content=json.dumps(body).encode(),
                   headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 403, (r.status_code, r.text)
    err = r.json()
    assert err["id"] in STOP_IDS and err["status_code"] == 403
    assert [x for x in gateway.sim.requests() if x["path"].lower() == path.lower()] == []
    recs = [x for x in archive_records(gateway.data_dir) if x.get("request_id") == err["request_id"]]
    assert len(recs) == 1 and recs[0]["action"] == "block"
    assert PASSWORD not in json.dumps(recs[0])
    assert all(PASSWORD not in p.read_bytes().decode("latin-1") for p in gateway.data_dir.rglob("*")
               if p.is_file() and p.stat().st_size < 50_000_000)


def test_a_clean_login_passes_as_sent(gateway: Gateway) -> None:
    gateway.sim.clear()
    body = json.dumps({"login_id": "alice", "password": PASSWORD, "device_id": "android_rn-v2:abc"}).encode()
    r = httpx.post(gateway.url + "/api/v4/users/login", content=body,
                   headers={"Content-Type": "application/json"}, timeout=60)
    assert not (r.status_code == 403 and r.json().get("id") in STOP_IDS), r.text
    import base64

    reached = [x for x in gateway.sim.requests() if x["path"] == "/api/v4/users/login"]
    assert len(reached) == 1 and base64.b64decode(reached[0]["body_b64"]) == body
    assert all(PASSWORD not in p.read_bytes().decode("latin-1") for p in gateway.data_dir.rglob("*")
               if p.is_file() and p.stat().st_size < 50_000_000)


@pytest.mark.parametrize("field", ["auth_data", "auth_service", "AUTH_DATA"])
def test_update_user_auth_stored_fields_are_judged(gateway: Gateway, field: str) -> None:
    """atk22 F1: ``PUT /api/v4/users/{user_id}/auth`` (api4/user.go updateUserAuth) stores
    ``auth_data`` and ``auth_service`` as sent (app/user.go UpdateUserAuth ->
    Store().User().UpdateAuthData) and shows them in user objects; its ``password`` is
    never read.  Go's json folds the key's case (``AUTH_DATA`` fills ``AuthData``)."""
    gateway.sim.clear()
    path = "/api/v4/users/abcdefghijkmnopqrstuvwxyz0/auth"
    body = {"auth_data": "uid-7", "auth_service": "saml", "password": PASSWORD}
    body[field] = f"client SSN {SSN_BODY}"
    r = httpx.put(gateway.url + path, content=json.dumps(body).encode(),
                  headers={"Content-Type": "application/json"}, timeout=60)
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["id"] in STOP_IDS
    assert [x for x in gateway.sim.requests() if x["path"] == path] == []
    recs = [x for x in archive_records(gateway.data_dir) if x.get("request_id") == r.json()["request_id"]]
    assert len(recs) == 1 and PASSWORD not in json.dumps(recs[0])


def test_update_user_auth_clean_passes_as_sent(gateway: Gateway) -> None:
    gateway.sim.clear()
    path = "/api/v4/users/abcdefghijkmnopqrstuvwxyz0/auth"
    body = json.dumps({"auth_data": "uid-7", "auth_service": "saml", "password": PASSWORD}).encode()
    r = httpx.put(gateway.url + path, content=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert not (r.status_code == 403 and r.json().get("id") in STOP_IDS), r.text
    import base64

    reached = [x for x in gateway.sim.requests() if x["path"] == path]
    assert len(reached) == 1 and base64.b64decode(reached[0]["body_b64"]) == body
