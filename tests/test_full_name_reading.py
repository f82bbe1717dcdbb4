"""atk17p F2: a user's first and last name are shown joined by one space
(server/public/model/user.go ``GetFullName``; ``getDisplayName`` for the full_name and
nickname_full_name settings) beside every post, in mentions, member lists and
notifications: an identifier split between them is judged as shown
(gateway/fullname.py), on every route that sets them; a name the request leaves out is
the stored one, read from Mattermost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway import fullname
from tests.conftest import Gateway

STOP_IDS = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error"}
CARD = ["4111", "1111", "1111", "1111"]
SSN = ["536-22", "1234"]
USER = "bob"


def _auth(gw: Gateway, user: str = USER) -> dict[str, str]:
    return {"Authorization": f"Bearer {gw.sim.token(user)}"}


def _stored(gw: Gateway) -> tuple[str, str]:
    u = httpx.get(f"{gw.sim.url}/api/v4/users/me", headers=_auth(gw), timeout=30).json()
    return u["first_name"], u["last_name"]


def _set_on_sim(gw: Gateway, first: str, last: str) -> None:
    uid = gw.sim.ids["users"][USER]
    r = httpx.put(f"{gw.sim.url}/api/v4/users/{uid}/patch", json={"first_name": first, "last_name": last},
                  headers=_auth(gw), timeout=30)
    assert r.status_code == 200, r.text


@pytest.fixture
def names(gateway: Gateway) -> Iterator[None]:
    before = _stored(gateway)
    _set_on_sim(gateway, "Ann", "Lee")
    yield
    _set_on_sim(gateway, *before)


def _stopped(r: httpx.Response) -> None:
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["id"] in STOP_IDS


def _patch(gw: Gateway, body: dict[str, Any], uid: str | None = None) -> httpx.Response:
    uid = uid or gw.sim.ids["users"][USER]
    return httpx.put(f"{gw.url}/api/v4/users/{uid}/patch", json=body, headers=_auth(gw), timeout=60)


def test_full_name_is_gets_full_name() -> None:
    assert fullname.full_name("Ann", "Lee") == "Ann Lee"
    assert fullname.full_name("Ann", "") == "Ann" and fullname.full_name("", "Lee") == "Lee"
    assert fullname.shown("Ann", "Lee", "al") == ["Ann Lee", "Ann Lee (al)"]


@pytest.mark.parametrize(("first", "last"), [("SSN " + SSN[0], SSN[1] + " ok"),
                                             ("Card " + " ".join(CARD[:2]), " ".join(CARD[2:]) + " ok")],
                         ids=["ssn", "card"])
def test_names_split_between_first_and_last_are_stopped(gateway: Gateway, names: None, first: str,
                                                        last: str) -> None:
    _stopped(_patch(gateway, {"first_name": first, "last_name": last}))
    assert _stored(gateway) == ("Ann", "Lee")
    # users.update (the whole user) and "me"
    uid = gateway.sim.ids["users"][USER]
    me = httpx.get(f"{gateway.sim.url}/api/v4/users/me", headers=_auth(gateway), timeout=30).json()
    user = {k: me[k] for k in ("id", "username", "email", "nickname", "position")}
    r = httpx.put(f"{gateway.url}/api/v4/users/{uid}", json={**user, "first_name": first, "last_name": last},
                  headers=_auth(gateway), timeout=60)
    _stopped(r)
    _stopped(_patch(gateway, {"first_name": first, "last_name": last}, uid="me"))
    assert _stored(gateway) == ("Ann", "Lee")


def test_the_stored_name_completes_the_one_set(gateway: Gateway, names: None) -> None:
    first, last = "SSN " + SSN[0], SSN[1] + " ok"
    _set_on_sim(gateway, first, "Lee")
    _stopped(_patch(gateway, {"last_name": last}))
    _set_on_sim(gateway, "Ann", last)
    _stopped(_patch(gateway, {"first_name": first}, uid="me"))
    assert _stored(gateway) == ("Ann", last)


def test_a_new_user_with_a_split_name_is_stopped(gateway: Gateway) -> None:
    admin = {"Authorization": f"Bearer {gateway.sim.token('admin')}"} if "admin" in gateway.sim.ids["tokens"] \
        else _auth(gateway)
    body = {"username": "zed-split", "email": "zed-split@acme.example", "password": "Passw0rd!xyz",
            "first_name": "Card " + " ".join(CARD[:2]), "last_name": " ".join(CARD[2:]) + " ok"}
    _stopped(httpx.post(f"{gateway.url}/api/v4/users", json=body, headers=admin, timeout=60))


def test_clean_names_pass(gateway: Gateway, names: None) -> None:
    r = _patch(gateway, {"first_name": "Ann 2", "last_name": "Lee 3", "nickname": "al"})
    assert r.status_code == 200, r.text
    assert _stored(gateway) == ("Ann 2", "Lee 3")
    assert _patch(gateway, {"last_name": "Lee"}).status_code == 200


@settings(max_examples=12, deadline=None)
@given(cut=st.integers(1, 3), label=st.sampled_from(["Card", "card no", "Visa"]),
       tail=st.sampled_from([" ok", " thanks", " x"]))
def test_any_split_point_of_a_card_between_the_names_is_stopped(gateway: Gateway, cut: int, label: str,
                                                                tail: str) -> None:
    _set_on_sim(gateway, "Ann", "Lee")
    first, last = f"{label} " + " ".join(CARD[:cut]), " ".join(CARD[cut:]) + tail
    _stopped(_patch(gateway, {"first_name": first, "last_name": last}))
    assert _stored(gateway) == ("Ann", "Lee")
