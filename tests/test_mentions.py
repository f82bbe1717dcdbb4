"""~channel mentions read as the web app shows them (gateway/mentions.py; attack pass 8, F5).

The web app renders ``~name`` with the channel's display name
(webapp/channels/src/utils/text_formatting.tsx ``autolinkChannelMentions``): three
channels shown as ``536``, ``22`` and ``8710`` make ``client SSN ~a - ~b - ~c`` an SSN.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import shutil
import string
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway import mentions
from dlp_proxy.policy.testing import CARD, SSN
from tests.conftest import ROOT, Gateway, archive_records, start_gateway, start_simulator, stop

#: SSNs masked wherever they are (a request with one is forwarded redacted), cards
#: let through and recorded (forwarded as written, with findings)
REDACT_POLICY = ("schema: 1\ndefaults: {min_score: 0.5, on_context_error: block, alert_channel_id: null}\n"
                 "rules:\n  - id: redact-ssn\n    action: redact\n    match: {entities: [US_SSN]}\n"
                 "  - id: monitor-card\n    action: monitor\n    match: {entities: [CREDIT_CARD]}\n")


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    sim = start_simulator()
    gateway = start_gateway(sim, tmp_path_factory.mktemp("mentions") / "gw")
    try:
        yield gateway
    finally:
        stop(gateway.proc)
        stop(sim.proc)


@pytest.fixture(scope="module")
def redacting(gw: Gateway, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A second gateway in front of the same simulator whose policy redacts SSNs."""
    base = tmp_path_factory.mktemp("mentions-redact")
    config = base / "config"
    shutil.copytree(ROOT / "config", config)
    (config / "policy.yaml").write_text(REDACT_POLICY)
    gateway = start_gateway(gw.sim, base / "gw", config_dir=config)
    try:
        yield gateway
    finally:
        stop(gateway.proc)


def _name() -> str:
    """A fresh name without digits (a name with a run of digits is not looked up: its
    own test below)."""
    return "zz-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


def _direct_channel(gw: Gateway, display: str, user: str = "alice") -> dict[str, Any]:
    """A channel made straight in Mattermost (before the gateway, or by an admin tool)."""
    r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token(user)}"},
                   json={"team_id": gw.sim.ids["team"], "name": _name(), "display_name": display, "type": "O"},
                   timeout=10)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_mentions_of_channels_shown_as_digit_groups_are_read_as_the_number(gw: Gateway) -> None:
    names = [_direct_channel(gw, part)["name"] for part in SSN.split("-")]
    town = gw.sim.channel("town_square")
    message = "client SSN " + " - ".join("~" + n for n in names)
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
        assert r.status_code == 403, r.text
        # trailing punctuation is cut off the name as the web app does (``~name.``)
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": "client SSN " + "-".join(
            f"~{n}." for n in names)})
        assert r.status_code == 403, r.text
        # case: the web app lower-cases the name
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": "client SSN " + " - ".join(
            "~" + n.upper() for n in names)})
        assert r.status_code == 403, r.text
    blocked = [r for r in archive_records(gw.data_dir) if r.get("route") == "posts.create" and r.get("action") == "block"]
    assert len(blocked) >= 3 and SSN not in str(blocked)


def test_mentions_whose_names_hold_a_digit_run_are_read_when_the_text_is_clean(gw: Gateway) -> None:
    # a name with a run of digits is sent to Mattermost only when the detector finds
    # nothing in the text as written (gateway/lookups.py digit_named); reading it as no
    # channel whatever the text held let channels named like this through
    stamp = _name()
    digit_names = [f"{stamp}-2026120{i}" for i in range(3)]
    for digit_name, part in zip(digit_names, SSN.split("-"), strict=True):
        r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                       json={"team_id": gw.sim.ids["team"], "name": digit_name, "display_name": part, "type": "O"},
                       timeout=10)
        assert r.status_code == 201, r.text
    town = gw.sim.channel("town_square")
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": "client " + " - ".join(
            "~" + n for n in digit_names)})
        assert r.status_code == 403, r.text
        for message in (f"see ~{digit_names[0]} for the notes", "buy ~250000 @ 101.25, ~~2026-12-05~~ moved"):
            r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
            assert r.status_code == 201, (message, r.text)
        # a request stopped on its own findings never sends its digit-run names: the
        # text as written, a label in another field, a piece in the channel's window
        gw.sim.clear()
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": f"client SSN {SSN} ~{stamp}-77294025"})
        assert r.status_code == 403, r.text
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": f"~{stamp}-536228799",
                                          "props": {"attachments": [{"title": "Client SSN", "text": "see"}]}})
        assert r.status_code == 403, r.text
        desk = _direct_channel(gw, "Desk")["id"]
        r = c.post("/api/v4/posts", json={"channel_id": desk, "message": "client SSN"})
        assert r.status_code == 201, r.text
        r = c.post("/api/v4/posts", json={"channel_id": desk, "message": "~536228733"})
        assert r.status_code == 403, r.text
    sent = [f"{r['path']}?{r['query']}" for r in gw.sim.requests() if r["method"] == "GET"]
    assert not [s for s in sent if "77294025" in s or "5362287" in s], sent
    assert not [p for p in gw.sim.posts() if stamp in str(p.get("message", ""))
                and "notes" not in str(p.get("message", ""))]


def test_a_redacted_request_is_read_with_its_digit_run_mentions(redacting: Gateway) -> None:
    # a redacted request is forwarded, masked: its mentions of names with a digit run
    # are read as an allowed request's are, in the text as it is forwarded (the names
    # Mattermost receives with the post anyway), after the decision
    gw = redacting
    stamp = _name()
    digit_names = [f"{stamp}-2026120{i}" for i in range(3)]
    desk = f"{stamp}-20261209"
    for digit_name, display in [*zip(digit_names, SSN.split("-"), strict=True), (desk, "Rates desk")]:
        r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                       json={"team_id": gw.sim.ids["team"], "name": digit_name, "display_name": display, "type": "O"},
                       timeout=10)
        assert r.status_code == 201, r.text
    town = gw.sim.channel("town_square")
    with gw.client("alice") as c:
        gw.sim.clear()
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": f"old SSN {SSN}, see ~{desk}"})
        assert r.status_code == 201, r.text
        (sent,) = [json.loads(base64.b64decode(q["body_b64"])) for q in gw.sim.requests()
                   if q["method"] == "POST" and q["path"] == "/api/v4/posts"]
        assert SSN not in sent["message"] and f"~{desk}" in sent["message"], sent
        looked_up = [q["path"] for q in gw.sim.requests() if q["method"] == "GET" and desk in q["path"]]
        assert looked_up, "the digit-run name of the forwarded text was not read"
        # the masked text shows an SSN through its mentions' display names: stopped
        gw.sim.clear()
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": f"old SSN {SSN}; client " + " - ".join(
            "~" + n for n in digit_names)})
        assert r.status_code == 403, r.text
        assert not [q for q in gw.sim.requests() if q["method"] == "POST" and q["path"] == "/api/v4/posts"]
        # so is a request forwarded as written with findings (a monitor decision)
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": f"card {CARD} refunded"})
        assert r.status_code == 201, r.text
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": f"card {CARD} refunded; client " + " - ".join(
            "~" + n for n in digit_names)})
        assert r.status_code == 403, r.text
        # a digit-run name the masking takes out of the text is never sent
        gw.sim.clear()
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": f"client SSN ~{SSN}, see ~{desk}"})
        assert r.status_code in (201, 403), r.text
        sent_paths = [f"{q['path']}?{q['query']}" for q in gw.sim.requests() if q["method"] == "GET"]
        assert not [p for p in sent_paths if SSN in p or SSN.replace("-", "") in p], sent_paths


def test_clean_mentions_pass_unchanged(gw: Gateway) -> None:
    desk = _direct_channel(gw, "Rates desk")["name"]
    town = gw.sim.channel("town_square")
    message = f"see ~{desk}, and ~no-such-channel. ~~struck~~ ~"
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
        assert r.status_code == 201, r.text
        assert r.json()["message"] == message


def test_a_digit_only_display_name_is_refused_so_a_rename_cannot_complete_an_earlier_post(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    team = gw.sim.ids["team"]
    with gw.client("alice") as c:
        ids = []
        for _ in range(3):
            made = _desk(c, team)
            ids.append((made["id"], made["name"]))
        r = c.post("/api/v4/posts", json={"channel_id": town,
                                          "message": "client SSN " + " - ".join("~" + n for _, n in ids)})
        assert r.status_code == 201, r.text
        for (cid, _), part in zip(ids, SSN.split("-"), strict=True):
            r = c.put(f"/api/v4/channels/{cid}/patch", json={"display_name": part})
            assert r.status_code == 400, r.text
            r = c.put(f"/api/v4/channels/{cid}/patch", json={"Display_Name": f" {part}-"})
            assert r.status_code == 400, r.text
            r = c.post(f"/api/v4/channels/{cid}/bookmarks", json={"display_name": part, "type": "link",
                                                                   "link_url": "https://example.com/"})
            assert r.status_code == 400, r.text
        r = c.post("/api/v4/channels", json={"team_id": team, "name": _name(), "display_name": "٥٣٦", "type": "O"})
        assert r.status_code == 400, r.text  # digits of any script
        # a display name with a letter is a name: accepted
        r = c.put(f"/api/v4/channels/{ids[0][0]}/patch", json={"display_name": "Q3 2026 deals"})
        assert r.status_code == 200, r.text
    for cid, _ in ids[1:]:
        got = httpx.get(f"{gw.sim.url}/api/v4/channels/{cid}",
                        headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=10).json()
        assert got["display_name"] == "desk"


def test_a_rename_is_read_by_the_next_post_not_after_the_names_cache(gw: Gateway) -> None:
    """Channel display names are cached for ``mentions.CACHE_SECONDS``; a write that may
    rename a channel forgets them, so a post right after a rename is read with the new
    names (insider attack of 2026-12-07 B5: three channels renamed, then a post within the
    cache's 30 s showed a number its text did not hold).  Number words are a name with
    letters, which a rename may set."""
    town = gw.sim.channel("town_square")
    team = gw.sim.ids["team"]
    words = ("five three six", "two two", "eight seven one zero")
    with gw.client("alice") as c:
        ids = []
        for _ in words:
            made = _desk(c, team)
            ids.append((made["id"], made["name"]))
        message = "client SSN " + " - ".join("~" + n for _, n in ids)
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
        assert r.status_code == 201, r.text  # "desk - desk - desk", each name now cached
        for (cid, _), shown in zip(ids, words, strict=True):
            r = c.put(f"/api/v4/channels/{cid}/patch", json={"display_name": shown})
            assert r.status_code == 200, r.text
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
        assert r.status_code == 403, r.text


#: letters drawn as digits (Unicode's confusables data pairs CYRILLIC CAPITAL LETTER ZE with
#: 3; LATIN LETTER TWO WITH STROKE draws a 2), and ASCII ``l`` ``O`` glued to digits
@pytest.mark.parametrize("name", ["5\u04176", "\u01bb\u01bb", "87lO", "l0l", "8\u200b7lO"])
def test_letters_drawn_as_digits_make_no_name(name: str) -> None:
    assert mentions.digits_only(name)


@pytest.mark.parametrize("name", ["BIG 10", "SOS 911", "OOO", "\u0417\u0430\u043a\u0430\u0437\u044b", "Q3 2026 deals"])
def test_words_of_such_letters_apart_from_digits_are_names(name: str) -> None:
    assert not mentions.digits_only(name)


def test_a_rename_to_letters_drawn_as_digits_is_refused(gw: Gateway) -> None:
    team = gw.sim.ids["team"]
    with gw.client("alice") as c:
        cid = _desk(c, team)["id"]
        for shown in ("5\u04176", "\u01bb\u01bb", "87lO"):
            r = c.put(f"/api/v4/channels/{cid}/patch", json={"display_name": shown})
            assert r.status_code == 400, (shown, r.text)
        assert c.put(f"/api/v4/channels/{cid}/patch", json={"display_name": "BIG 10"}).status_code == 200


def test_forgetting_channel_names_keeps_user_names() -> None:
    clock = [0.0]
    names = mentions.DisplayNames(clock=lambda: clock[0])
    names.remember("t" * 26, "desk", "Desk")
    names.remember_user("alice", ("alice", "", "Alice", "A"))
    names.forget_channels()
    assert names.cached("t" * 26, "desk") == (False, None)
    assert names.cached_user("alice")[0]


def _desk(c: httpx.Client, team: str) -> dict[str, Any]:
    """An open channel named "desk" on screen, made through the gateway."""
    r = c.post("/api/v4/channels", json={"team_id": team, "name": _name(), "display_name": "desk", "type": "O"})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _client(answer: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url="http://mm", transport=httpx.MockTransport(answer))


#: letters that show nothing or show as punctuation (attack pass 9, F6/F20): Hangul fillers
#: (Lo, Default_Ignorable_Code_Point) and a click letter that looks like ``!``; letters drawn
#: as a dash, a bar or a dot (attack pass 14 F4: Hangul ``ㅡ`` EU, syllabics ``ᐨ``, araea
#: ``ㆍ``, the CJK numeral ``一``)
_BLANK_LETTERS = ("\u3164", "\u115f", "\u1160", "\uffa0", "\u01c3", "\u3161", "\u1428", "\u318d", "\u4e00",
                  # letters Unicode's PropList.txt marks Extender, which lengthen or repeat what is
                  # before them (insider attack of 2026-12-07 B5: ARABIC TATWEEL draws a line after
                  # ``536``): NKO LAJANYALAN, MODIFIER LETTER TRIANGULAR COLON, IDEOGRAPHIC
                  # ITERATION MARK, the half-width prolonged sound mark, MONGOLIAN TODO LONG VOWEL SIGN
                  "\u0640", "\u07fa", "\u02d0", "\u3005", "\uff70", "\u1843")


def test_a_blank_or_punctuation_like_letter_does_not_make_a_digit_name_a_name(gw: Gateway) -> None:
    team = gw.sim.ids["team"]
    with gw.client("alice") as c:
        cid = _desk(c, team)["id"]
        for blank in (*_BLANK_LETTERS, "\u2800"):
            r = c.put(f"/api/v4/channels/{cid}/patch", json={"display_name": f"536{blank}"})
            assert r.status_code == 400, (blank, r.text)
            r = c.post("/api/v4/channels", json={"team_id": team, "name": _name(), "display_name": f"{blank}22",
                                                 "type": "O"})
            assert r.status_code == 400, (blank, r.text)
            r = c.put("/api/v4/users/me/patch", json={"nickname": f"8710{blank}", "first_name": f"8710{blank}"})
            assert r.status_code == 400, (blank, r.text)
        # a visible letter beside a filler is a name
        assert c.put(f"/api/v4/channels/{cid}/patch", json={"display_name": "Desk\u3164536"}).status_code == 200


@given(st.text("0123456789٥٣ -", min_size=1, max_size=8).filter(lambda t: any(ch not in " -" for ch in t)),
       st.lists(st.sampled_from(_BLANK_LETTERS), max_size=3), st.randoms(use_true_random=False))
def test_property_invisible_letters_never_hide_a_digit_only_name(digits: str, blanks: list[str], rnd: Any) -> None:
    chars = list(digits) + blanks
    rnd.shuffle(chars)
    assert mentions.digits_only("".join(chars))
    assert not mentions.digits_only("".join(chars) + "a")


def test_resolution_fails_closed_and_is_bounded() -> None:
    team = "t" * 26
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        name = request.url.path.rsplit("/", 1)[-1]
        if name == "broken":
            return httpx.Response(500, json={})
        if name.startswith("d"):
            return httpx.Response(200, json={"display_name": name[1:]})
        return httpx.Response(404, json={})

    def run(text: str, **kw: Any) -> list[tuple[str, str]]:
        return asyncio.run(mentions.rendered_mentions([("body.message", text)], team_id=team, upstream=_client(answer),
                                                      token="t", fallback_token=None, timeout=1.0,
                                                      cache=mentions.DisplayNames(), **kw))

    assert run("a ~d536, ~d22-~d8710!") == [("body.message", "a ~536, ~22-~8710!"), ("body.message", "a 536, 22-8710!")]
    assert run("nothing ~nope here") == []
    assert run("no mention at all") == [] and asked[-1].endswith("/nope")
    for text, status in (("~broken", 503), (" ".join(f"~n{i}" for i in range(mentions.MAX_LOOKUPS + 1)), 400)):
        with pytest.raises(mentions.Unresolved) as err:
            run(text)
        assert err.value.status == status
    with pytest.raises(mentions.Unresolved):
        asyncio.run(mentions.rendered_mentions([("body.message", "~a")], team_id=team, upstream=None, token="t",
                                               fallback_token=None, timeout=1.0))


def test_mention_syntax_follows_the_web_app() -> None:
    # ``\B~``: no mention right after a word character; the name lower-cased; trailing
    # punctuation cut one character at a time (``~a-b.`` tries ``a-b.``, ``a-b``)
    assert mentions.candidates("x~abc") == []
    assert [t for _, _, t in mentions.candidates("(~Abc-Def.)")] == [["abc-def"]]
    assert [t for _, _, t in mentions.candidates("~a-b-")] == [["a-b-", "a-b"]]
    shown = {"a-b": "536"}
    assert mentions.render("see ~a-b-, ~A-B", shown.get) == "see ~536-, ~536"
    assert mentions.digits_only("536") and mentions.digits_only("22 - 8710") and mentions.digits_only("⑤")
    assert not mentions.digits_only("Desk 5") and not mentions.digits_only("--")


# ------------------------------------------------------------------ @user mentions
# The web app shows ``@name`` as ``@`` and the user's username, nickname or full name
# by the teammate name display setting (components/at_mention, model.User.GetDisplayName);
# a bot's display name is its user's first name (model.UserFromBot).

def _sim_patch(gw: Gateway, user: str, **fields: str) -> None:
    """A profile set straight in Mattermost (before the gateway, or by an admin tool)."""
    r = httpx.put(f"{gw.sim.url}/api/v4/users/me/patch", headers={"Authorization": f"Bearer {gw.sim.token(user)}"},
                  json=fields, timeout=10)
    assert r.status_code == 200, r.text


USERS = ("bob", "sam", "carol")


def test_user_mentions_are_read_with_each_name_the_setting_can_show(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    message = "client SSN " + " - ".join("@" + u for u in USERS)
    try:
        # shown by nickname (nickname_full_name)
        for user, part in zip(USERS, SSN.split("-"), strict=True):
            _sim_patch(gw, user, nickname=part)
        with gw.client("alice") as c:
            r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
            assert r.status_code == 403, r.text
            # trailing punctuation cut off as the web app does; case folded
            r = c.post("/api/v4/posts", json={"channel_id": town, "message": "client SSN " + "-".join(
                f"@{u.upper()}." for u in USERS)})
            assert r.status_code == 403, r.text
        # shown by full name only (full_name): the nickname is a word
        for user, part in zip(USERS, SSN.split("-"), strict=True):
            _sim_patch(gw, user, nickname="desk", first_name=part, last_name="")
        with gw.client("alice") as c:
            r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
            assert r.status_code == 403, r.text
            # an incoming webhook has no caller token: read with the gateway's fallback token
            r = c.post(f"/hooks/{gw.sim.ids['incoming_hook']}", json={"text": message})
            assert r.status_code not in (200, 201), r.text
            r = c.post(f"/hooks/commands/{gw.sim.ids['command_hook']}", json={"text": message})
            assert r.status_code not in (200, 201), r.text
    finally:
        for user in USERS:
            _sim_patch(gw, user, nickname="", first_name=user.capitalize(), last_name="")
    assert not any("@bob - @sam" in str(p.get("message", "")) for p in gw.sim.posts())
    blocked = [r for r in archive_records(gw.data_dir) if r.get("action") == "block"]
    assert {"posts.create", "hooks.incoming", "hooks.command_response"} <= {r.get("route") for r in blocked} and SSN not in str(blocked)


def test_bot_display_names_are_shown_for_their_mentions(gw: Gateway) -> None:
    names = []
    for part in SSN.split("-"):
        r = httpx.post(f"{gw.sim.url}/api/v4/bots", headers={"Authorization": f"Bearer {gw.sim.token('carol')}"},
                       json={"username": _name(), "display_name": part}, timeout=10)
        assert r.status_code == 201, r.text
        names.append(r.json()["username"])
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"),
                                          "message": "client SSN " + " - ".join("@" + n for n in names)})
        assert r.status_code == 403, r.text


def test_clean_user_mentions_pass_unchanged(gw: Gateway) -> None:
    message = "ask @bob, @sam. or @no-such-user; mail bob@acme.example @channel"
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"), "message": message})
        assert r.status_code == 201, r.text
        assert r.json()["message"] == message


def test_digit_only_user_bot_and_team_names_are_refused(gw: Gateway) -> None:
    team = gw.sim.ids["team"]
    with gw.client("carol") as c:
        r = c.post("/api/v4/bots", json={"username": _name(), "display_name": "Rates"})
        assert r.status_code == 201, r.text
        bot = r.json()["user_id"]
        r = c.post("/api/v4/teams", json={"name": _name(), "display_name": "Desk", "type": "O"})
        assert r.status_code == 201, r.text
        new_team = r.json()["id"]
        for part in SSN.split("-"):
            refused = [
                c.put("/api/v4/users/me/patch", json={"nickname": part}),
                c.put("/api/v4/users/me/patch", json={"First_Name": f" {part}-"}),
                c.put("/api/v4/users/me/patch", json={"last_name": part}),
                c.put(f"/api/v4/users/{gw.sim.ids['users']['carol']}", json={
                    "id": gw.sim.ids["users"]["carol"], "username": "carol", "nickname": part}),
                c.post("/api/v4/users", json={"username": _name(), "email": "x@acme.example", "password": "pw-Long-1",
                                              "first_name": part}),
                c.post("/api/v4/bots", json={"username": _name(), "display_name": part}),
                c.put(f"/api/v4/bots/{bot}", json={"display_name": part}),
                c.post(f"/api/v4/bots/{bot}/convert_to_user", json={"nickname": part}),
                c.post("/api/v4/teams", json={"name": _name(), "display_name": part, "type": "O"}),
                c.put(f"/api/v4/teams/{new_team}/patch", json={"display_name": part}),
                c.put(f"/api/v4/teams/{team}", json={"id": team, "display_name": part}),
            ]
            for r in refused:
                assert r.status_code == 400, (r.request.url, r.text)
                assert "display name" in r.text
        # names with a letter are names
        assert c.put("/api/v4/users/me/patch", json={"nickname": "Desk 5"}).status_code == 200
        assert c.put(f"/api/v4/bots/{bot}", json={"display_name": "Q3 bot"}).status_code == 200
        assert c.put(f"/api/v4/teams/{new_team}/patch", json={"display_name": "Desk 2"}).status_code == 200
        assert c.put("/api/v4/users/me/patch", json={"nickname": ""}).status_code == 200
    got = httpx.get(f"{gw.sim.url}/api/v4/users/me", headers={"Authorization": f"Bearer {gw.sim.token('carol')}"},
                    timeout=10).json()
    assert got["first_name"] == "Carol" and got["last_name"] == ""


def test_user_mention_syntax_and_shown_names() -> None:
    assert [t for _, _, t in mentions.user_candidates("(@Bob.Smith.) x@y @all __@sam_ @a-")] == [
        ["bob.smith.", "bob.smith"], ["sam_", "sam"], ["a-", "a"]]
    user = ("bob", "", "536", "")
    assert [mentions.shown_user_name(user, s) for s in mentions.NAME_SETTINGS] == ["bob", "536", "536"]
    user = ("bob", "22", "Bob", "Smith")
    assert [mentions.shown_user_name(user, s) for s in mentions.NAME_SETTINGS] == ["bob", "22", "Bob Smith"]
    shown = {"a": "536"}
    users = {"b": "22"}
    assert mentions.render_all("~a-@b.-~x @c", shown.get, users.get) == "~536-@22.-~x @c"
    assert mentions.render_all("~a-@b.-~x @c", shown.get, users.get, sigils=False) == "536-22.-~x @c"
    assert mentions.render_all("@c ~x", shown.get, users.get) is None


def test_user_resolution_is_one_request_bounded_and_fails_closed() -> None:
    asked: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        import json
        names = json.loads(request.content)
        asked.append(names)
        if "broken" in names:
            return httpx.Response(500, json={})
        return httpx.Response(200, json=[{"username": n, "nickname": n[1:], "first_name": "", "last_name": ""}
                                         for n in names if n.startswith("d")])

    def run(text: str) -> list[tuple[str, str]]:
        return asyncio.run(mentions.rendered_mentions([("body.message", text)], team_id="t" * 26,
                                                      upstream=_client(answer), token="t", fallback_token=None,
                                                      timeout=1.0, cache=mentions.DisplayNames()))

    # username, nickname (or full name) readings, with and without the ``@``
    assert {t for _, t in run("a @d536 @d22 @d8710")} == {"a d536 d22 d8710", "a @536 @22 @8710", "a 536 22 8710"}
    assert len(asked) == 1
    assert run("nobody @nope") == []
    for text, status in (("@broken", 503), (" ".join(f"@n{i}" for i in range(mentions.MAX_USER_NAMES + 1)), 400)):
        with pytest.raises(mentions.Unresolved) as err:
            run(text)
        assert err.value.status == status
    # a fills list writes a price after each @: one request reads every name
    asked.clear()
    assert run(", ".join(f"AAPL 100 @189.{i:02d}" for i in range(40))) == [] and len(asked) == 1


_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,6}(?:[.\-_][a-z0-9]{1,4})?", fullmatch=True).filter(
    lambda n: n not in ("all", "channel", "here"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("@~"), _NAMES, st.sampled_from(["", ".", "-", "_", "..", "!", ","]),
                          st.sampled_from([" ", " - ", "\n", "(", ") ", "/", " *", "` "]), st.booleans()),
                min_size=1, max_size=6))
def test_property_every_mention_is_shown_with_its_name(pieces: list[tuple[str, str, str, str, bool]]) -> None:
    # an oracle built with the text: each mention of a known name shows that name, the
    # cut punctuation after it, whatever the case it was typed in
    text, expected, channels, users = "", "", {}, {}
    for i, (sigil, name, punct, sep, upper) in enumerate(pieces):
        shown = f"<{i}>"
        if sigil == "~":
            name = name.replace(".", "-")  # model.IsValidChannelIdentifier: no dots
        (channels if sigil == "~" else users)[name] = shown
        typed = name.upper() if upper else name
        text += sep + sigil + typed + punct
        expected += sep + sigil + "%s" + punct
    names = [channels[n.replace(".", "-")] if s == "~" else users[n] for s, n, *_ in pieces]
    assert mentions.render_all(text, channels.get, users.get) == expected % tuple(names)
