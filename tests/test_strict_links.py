"""Strict link previews (DLP_LINK_PREVIEWS, gateway/links.py; attack pass 5 B7, B10): a
post with a link or markdown image on a host not allowlisted is forwarded with
``props.unsafe_links: "true"``, so Mattermost makes no preview (app/post_metadata.go
``getEmbedsAndImages``) and clients load no image.  The rewrite of ``props`` keeps Go's
reading of the body (property test against a model of encoding/json); through the real
gateway, the simulator (which honours unsafe_links as Mattermost does) and a real page
server on a socket."""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from dlp_proxy.gateway import links
from dlp_proxy.gateway.extract import go_json_decode, go_struct_fields
from dlp_proxy.policy.testing import SSN
from dlp_proxy.settings import SettingsError, load_settings
from dlp_proxy.simulator import ThreadedServer
from tests.conftest import ROOT, Gateway, Simulator, archive_records, start_gateway, start_simulator, stop

# ----------------------------------------------------------------------------- pure

HOSTS = frozenset({"docs.example.com", "localhost", "www.example.org"})


def _needs(message: str, mode: str = "allowlist", route: str = "posts.create", **extra: Any) -> bool:
    doc, _ = go_json_decode(json.dumps({"channel_id": "c" * 26, "message": message, **extra}))
    return links.needs_unsafe_links(route, doc, mode, HOSTS)


def test_links_on_allowlisted_hosts_keep_their_preview() -> None:
    for message in ("see https://docs.example.com/a", "<https://docs.example.com/a>.", "(www.example.org)",
                    "[doc](https://DOCS.example.com:8443/x?y=1#z)", "![chart](https://docs.example.com/c.png)",
                    "no link at all", "a path a/b and 1/2", "http://localhost:8065/team/pl/" + "a" * 26):
        assert not _needs(message), message


@pytest.mark.parametrize("message", [
    "see https://evil.example/a",
    "www.evil.example",
    "www.docs.example.com",                            # exact names: not docs.example.com
    "x www3.evil.example/y",
    "![x](https://evil.example/i.png)",
    "![x](//evil.example/i.png)",                      # protocol-relative: the reader's scheme
    "![x](https:\\\\evil.example/i.png)",              # a browser reads a backslash as a slash
    "![x](<https:/\t/evil.example/i.png>)",            # and drops tabs in a URL
    "![x](<https://docs.example.com\t.evil.example/i.png>)",
    "https://docs.example.com@evil.example/",        # userinfo: the host is evil.example
    "https://docs.example.com\\@evil.example/",
    "https://docs.example.com%2eevil.example/",
    "https://docs.example.com.evil.example/",
    "https://evil.example/?u=https://docs.example.com/",
    "ftp://evil.example/f",
    "https://dоcs.example.com/",                     # a Cyrillic о
])
def test_other_hosts_or_unreadable_authorities_lose_the_preview(message: str) -> None:
    assert _needs(message)


@pytest.mark.parametrize("message", [
    # markdown Unescape (character references, backslash escapes) before the URL is read
    "see ![chart](https:&#47;&#47;evil.example/a.png)",
    "see ![chart](https:&sol;&sol;evil.example/a.png)",
    "see ![chart](https:&#x2F;&#x2F;evil.example/a.png)",
    "see ![chart](https:/&#47;evil.example/a.png)",
    "see ![chart][1]\n\n[1]: https:&#47;&#47;evil.example/b.png",   # a reference definition
    "see https://docs.example.com/x and ![c](https:&#47;&#47;evil.example/c.png)",
    "see [x](https:&#47;&#47;evil.example/p)",
    "![c](https:\\/\\/evil.example/a)",
    "![c](https:&amp;#47;&amp;#47;evil.example/a)",
    "![c](&#119;ww.evil.example/a)",
    # a special scheme without slashes: the authority follows the colon
    "![c](http:evil.example/a.png)",
    "![c](HTTPS:evil.example)",
    "![c](https:/evil.example/a.png)",
    "![c](ftp:evil.example/a.png)",
])
def test_entities_escapes_and_slashless_schemes_are_read_as_markdown_does(message: str) -> None:
    assert _needs(message)


_SLASH_FORMS = ["/", "&#47;", "&#047;", "&#x2F;", "&#X2f;", "&sol;", "\\/", "\\", "&#92;", "&bsol;"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_SLASH_FORMS), min_size=0, max_size=2),
       st.sampled_from(["http", "https", "HTTPS", "ftp"]), st.sampled_from(["![c](", "[c](", "<", "[r]: ", " "]))
def test_property_any_spelling_of_the_slashes_costs_the_preview(slashes: list[str], scheme: str, lead: str) -> None:
    assert _needs(f"see {lead}{scheme}:{''.join(slashes)}evil.example/a.png)")


def test_a_scheme_in_prose_keeps_the_preview() -> None:
    for message in ("Use https: it is safer, see https://docs.example.com/a", "note: a&b at 10:30 &amp; more",
                    "![c](https:docs.example.com/a.png)"):
        assert not _needs(message), message


def test_attachments_and_props_count_and_modes_and_routes() -> None:
    attachment = {"props": {"attachments": [{"text": "![i](https://evil.example/i.png)"}]}}
    assert _needs("clean", **attachment)
    assert not _needs("see https://evil.example/a", mode="allow")
    assert _needs("see https://docs.example.com/a", mode="off")
    assert not _needs("no link", mode="off")
    for route in ("posts.update", "posts.patch", "posts.schedule.create", "posts.schedule.update"):
        assert _needs("https://evil.example/", route=route)
    for route in ("drafts.upsert", "commands.execute", "websocket.user_typing"):
        assert not _needs("https://evil.example/", route=route)


def test_settings_validate_the_mode_and_hosts() -> None:
    cfg = load_settings(env={"DLP_LINK_PREVIEWS": "allowlist", "DLP_LINK_PREVIEW_HOSTS": "Docs.Example.com., b.org"})
    assert cfg.link_previews == "allowlist" and cfg.link_preview_hosts == ("docs.example.com", "b.org")
    assert load_settings(env={}).link_previews == "allow"
    for env in ({"DLP_LINK_PREVIEWS": "strict"}, {"DLP_LINK_PREVIEW_HOSTS": "https://a.org"},
                {"DLP_LINK_PREVIEW_HOSTS": "a.org:443"}):
        with pytest.raises(SettingsError):
            load_settings(env=env)


# ----------------------------------------------------------------------------- Go's reading

#: the keys encoding/json matches to ``Props`` (``json:"props"``): case-insensitive under
#: simple folding (U+017F LONG S folds to s); and keys it does not
PROPS_KEYS = ["props", "Props", "PROPS", "pRoPs", "prop\u017f"]
OTHER_KEYS = ["message", "channel_id", "prop", "propss", "pro ps", "unsafe_links"]
_value = st.one_of(st.text(max_size=5), st.booleans(), st.integers(), st.none())
_inner = st.lists(st.tuples(st.sampled_from(["unsafe_links", "a", "A", "attachments"]), _value), max_size=4)
_pair = st.one_of(
    st.tuples(st.sampled_from(PROPS_KEYS), st.one_of(st.none(), _inner)),
    st.tuples(st.sampled_from(OTHER_KEYS), _value),
)


def _object(pairs: list[tuple[str, Any]]) -> str:
    """A JSON object with its keys as given, repeated ones included."""
    def enc(v: Any) -> str:
        return _object(v) if isinstance(v, list) else json.dumps(v)
    return "{" + ",".join(f"{json.dumps(k)}:{enc(v)}" for k, v in pairs) + "}"


def _go_post(text: str) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A model of ``json.Unmarshal(text, &post)`` (independent of the gateway's code):
    ``Props`` takes every key in PROPS_KEYS in order (null: nil; an object: its keys
    added to the map, made if nil, the last exact duplicate winning); every other key
    is kept as a plain field, the last one winning."""
    props: dict[str, Any] | None = None
    fields: dict[str, Any] = {}
    for key, value in json.loads(text, object_pairs_hook=lambda p: p):
        if key in PROPS_KEYS:
            if value is None:
                props = None
            else:
                props = {} if props is None else props
                for k, v in value:
                    props[k] = v
        else:
            fields[key] = value
    return props, fields


@settings(max_examples=400, deadline=None)
@given(st.lists(_pair, max_size=8))
def test_property_the_props_rewrite_keeps_gos_reading(pairs: list[tuple[str, Any]]) -> None:
    text = _object(pairs)
    doc, _ = go_json_decode(text)
    props, fields = _go_post(text)
    assert links.can_set_unsafe_links(doc)
    links.set_unsafe_links(doc)
    out = json.dumps(doc, ensure_ascii=False)
    new_props, new_fields = _go_post(out)
    assert new_props == {**(props or {}), "unsafe_links": "true"}
    assert new_fields == fields
    assert list(json.loads(out))[-1] == "props"  # one props key, the last


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["channel_id", "Channel_ID", "CHANNEL_ID", "message", "Message"]),
                          st.sampled_from(["a", "b", "c"])), min_size=1, max_size=8))
def test_property_a_rewritten_body_keeps_gos_struct_fields(pairs: list[tuple[str, str]]) -> None:
    """``json.dumps`` writes an exact key where it first appeared: with case variants Go
    would read another value (another channel than the one judged).  The rewrite keeps
    the key sent last of each field, for the strict mode and the redact action alike."""
    text = _object(pairs)
    doc, _ = go_json_decode(text)
    want = go_struct_fields(doc, "")
    links.go_fields_collapsed(doc)
    assert go_struct_fields(go_json_decode(json.dumps(doc))[0], "") == want
    doc, _ = go_json_decode(text)
    links.set_unsafe_links(doc)
    got = go_struct_fields(go_json_decode(json.dumps(doc))[0], "")
    assert {k: v for k, v in got.items() if not k.startswith("props.")} == want


def test_a_props_go_refuses_is_left_alone() -> None:
    doc, _ = go_json_decode('{"message": "https://evil.example/", "props": {}, "Props": "x"}')
    assert not links.can_set_unsafe_links(doc)  # Mattermost answers 400 (UnmarshalTypeError)
    with pytest.raises(ValueError):
        links.set_unsafe_links(doc)


# ----------------------------------------------------------------------------- real gateway


class Pages:
    def __init__(self) -> None:
        self.og: dict[str, dict[str, str]] = {}
        self.fetches: list[str] = []

    async def page(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.fetches.append(name)
        tags = "".join(f'<meta property="og:{k}" content="{html.escape(v)}">' for k, v in self.og.get(name, {}).items())
        return HTMLResponse(f"<html><head>{tags}</head><body>page</body></html>")


POLICY = """schema: 1
defaults: {min_score: 0.5, on_context_error: block, alert_channel_id: null}
rules:
  - id: public-block
    action: block
    match: {entities: [US_SSN]}
    scope: {channel_types: [O]}
  - id: dm-redact
    action: redact
    match: {entities: [US_SSN]}
    scope: {channel_types: [D]}
  - id: private-hold
    action: quarantine
    match: {entities: [US_SSN]}
    scope: {channel_types: [P]}
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, Simulator, Pages, int]]:
    pages = Pages()
    app = Starlette(routes=[Route("/p/{name}", pages.page)])
    sim = start_simulator()
    base = tmp_path_factory.mktemp("strict")
    config = base / "config"
    shutil.copytree(Path(ROOT) / "config", config)
    (config / "policy.yaml").write_text(POLICY)
    with ThreadedServer(app) as srv:
        port = httpx.URL(srv.url).port
        assert port is not None
        # one page server, two host names: 127.0.0.1 is not allowlisted, localhost is
        gw = start_gateway(sim, base / "gw", config_dir=config,
                           env={"DLP_LINK_PREVIEWS": "allowlist", "DLP_LINK_PREVIEW_HOSTS": "localhost"})
        try:
            yield gw, sim, pages, port
        finally:
            stop(gw.proc)
            stop(sim.proc)


def _sim_post(sim: Simulator, post_id: str) -> dict[str, Any]:
    return next(p for p in sim.posts() if p["id"] == post_id)


def _rewritten(gw: Gateway) -> list[dict[str, Any]]:
    return [r for r in archive_records(gw.data_dir) if r.get("type") == "decision" and r.get("rewritten")]


def test_a_leaky_page_on_another_host_is_never_previewed(env: tuple[Gateway, Simulator, Pages, int]) -> None:
    gw, sim, pages, port = env
    pages.og["leak"] = {"site_name": "Client file", "title": f"SSN {SSN}"}
    before = len(_rewritten(gw))
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"),
                                          "message": f"please review http://127.0.0.1:{port}/p/leak",
                                          "Props": {"keep": "me"}})
    assert r.status_code == 201, r.text
    post = r.json()
    # Mattermost got unsafe_links (the client's props kept, read as Go reads "Props")
    assert post["props"] == {"keep": "me", "unsafe_links": "true"}
    assert "embeds" not in post.get("metadata", {}) and "leak" not in pages.fetches
    assert _sim_post(sim, post["id"])["props"]["unsafe_links"] == "true"
    (rec,) = _rewritten(gw)[before:]
    assert rec["route"] == "posts.create" and rec["action"] == "allow"
    assert rec["rewritten"] == ["props.unsafe_links"] and SSN not in json.dumps(rec)


def test_an_allowlisted_host_keeps_its_preview(env: tuple[Gateway, Simulator, Pages, int]) -> None:
    gw, sim, pages, port = env
    pages.og["fine"] = {"site_name": "Research", "title": "Quarterly outlook"}
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"),
                                          "message": f"outlook http://localhost:{port}/p/fine"})
    assert r.status_code == 201, r.text
    post = r.json()
    assert "unsafe_links" not in (post.get("props") or {})
    assert post["metadata"]["embeds"][0]["data"]["title"] == "Quarterly outlook"


def test_an_edit_adding_a_link_loses_the_preview(env: tuple[Gateway, Simulator, Pages, int]) -> None:
    gw, sim, pages, port = env
    pages.og["edit"] = {"title": f"SSN {SSN}"}
    with gw.client("alice") as c:
        post = c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"), "message": "link to follow"}).json()
        assert "unsafe_links" not in (post.get("props") or {})
        r = c.put(f"/api/v4/posts/{post['id']}/patch", json={"message": f"here: http://127.0.0.1:{port}/p/edit"})
        assert r.status_code == 200, r.text
        assert r.json()["props"]["unsafe_links"] == "true" and "embeds" not in r.json().get("metadata", {})
        full = {**r.json(), "message": f"again http://127.0.0.1:{port}/p/edit", "props": {}}
        u = c.put(f"/api/v4/posts/{post['id']}", json=full)
        assert u.status_code == 200, u.text
        assert u.json()["props"]["unsafe_links"] == "true" and "embeds" not in u.json().get("metadata", {})
    assert "edit" not in pages.fetches


def test_a_message_redacted_and_rewritten(env: tuple[Gateway, Simulator, Pages, int]) -> None:
    """Both rewrites of one body: what the policy masks (``_redacted_body``), then props."""
    gw, sim, pages, port = env
    before = len(_rewritten(gw))
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": sim.channel("dm_alice_bob"), "props": None,
                                          "message": f"SSN {SSN} http://127.0.0.1:{port}/p/x"})
    assert r.status_code == 201, r.text
    assert r.json()["props"] == {"unsafe_links": "true"} and SSN not in r.json()["message"]
    (rec,) = _rewritten(gw)[before:]
    assert rec["action"] == "redact" and rec["rewritten"] == ["props.unsafe_links"]


def test_a_held_post_is_released_without_its_preview(env: tuple[Gateway, Simulator, Pages, int]) -> None:
    """Held as it will be released: the quarantine keeps the rewritten body."""
    import os

    from tests.test_split_release import _approve, _channel, _held, _item_for
    from tests.test_split_release import _post as _post_in

    gw, sim, pages, port = env
    pages.og["held"] = {"title": f"SSN {SSN}"}
    mark = os.urandom(4).hex()
    item = _item_for(gw, _held(_post_in(gw, "alice", _channel(gw), f"SSN {SSN} {mark} http://127.0.0.1:{port}/p/held")))
    assert _approve(gw, item) == "released"
    (post,) = [p for p in sim.posts() if mark in p.get("message", "")]
    assert post["props"]["unsafe_links"] == "true" and "embeds" not in post.get("metadata", {})
    assert "held" not in pages.fetches


def test_a_redacted_body_names_the_channel_it_was_judged_in(env: tuple[Gateway, Simulator, Pages, int]) -> None:
    """Case variants of ``channel_id``: Go keeps the one sent last (the DM, judged: redact);
    the rewritten body must not turn the town square variant into the one Go keeps."""
    gw, sim, _, _ = env
    dm, town = sim.channel("dm_alice_bob"), sim.channel("town_square")
    body = _object([("channel_id", dm), ("Channel_Id", town), ("channel_id", dm), ("message", f"SSN {SSN} v")])
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json()["channel_id"] == dm and SSN not in r.json()["message"]


def test_an_image_spelled_with_character_references_loses_its_preview(
        env: tuple[Gateway, Simulator, Pages, int]) -> None:
    """attack pass 7 D8, through the running gateway: Mattermost's markdown Unescape
    reads ``&#47;`` as a slash in an image destination, so the remote image would show."""
    gw, sim, _pages, port = env
    for message in (f"see ![chart](http:&#47;&#47;127.0.0.1:{port}/p/img.png)",
                    f"see ![chart][1]\n\n[1]: http:&sol;&sol;127.0.0.1:{port}/p/img.png",
                    f"see ![chart](http:127.0.0.1:{port}/p/img.png)"):
        with gw.client("alice") as c:
            r = c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"), "message": message})
        assert r.status_code == 201, r.text
        assert _sim_post(sim, r.json()["id"])["props"].get("unsafe_links") == "true", message


# ----------------------------------------------------------------------------- patches

def _patch_doc(text: str) -> Any:
    return go_json_decode(text)[0]


def test_which_patches_keep_the_posts_props() -> None:
    """model.PostPatch ``Props *StringInterface``: nil (absent, or null last) keeps them."""
    for text in ('{"message": "x"}', '{"message": "x", "props": null}', '{"props": {"a": "1"}, "Props": null}'):
        assert links.keeps_props("posts.patch", _patch_doc(text)), text
    for text in ('{"props": {}}', '{"props": null, "PROPS": {"a": "1"}}', '{"props": "x"}'):
        assert not links.keeps_props("posts.patch", _patch_doc(text)), text
    assert not links.keeps_props("posts.update", _patch_doc('{"message": "x"}'))  # UpdatePost: props whole


def test_the_current_props_are_sent_back_with_unsafe_links() -> None:
    doc = _patch_doc('{"message": "https://evil.example/", "props": null}')
    assert links.keep_current_props(doc, {"keep": "me", "attachments": [{"text": "t"}]})
    links.set_unsafe_links(doc)
    got = go_struct_fields(go_json_decode(json.dumps(doc))[0], "")
    assert json.loads(json.dumps(doc))["props"] == {"keep": "me", "attachments": [{"text": "t"}], "unsafe_links": "true"}
    assert got["message"] == "https://evil.example/"
    # a post that has it already: nothing to rewrite
    assert not links.keep_current_props(_patch_doc('{"message": "x"}'), {"unsafe_links": "true"})


def test_a_post_whose_props_cannot_be_read_is_refused() -> None:
    import asyncio

    pid = "p" * 26

    def answer(status: int, body: Any = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url="http://mm", transport=httpx.MockTransport(
            lambda request: httpx.Response(status, json=body if body is not None else {})))

    async def read(client: Any, post_id: str = pid, token: str | None = "t") -> Any:
        return await links.current_props(client, post_id, token, 1.0)

    assert asyncio.run(read(answer(200, {"id": pid, "props": {"a": "1"}}))) == {"a": "1"}
    assert asyncio.run(read(answer(200, {"id": pid}))) == {}
    for client, post_id, token, status in ((answer(404), pid, "t", 404), (answer(401), pid, "t", 403),
                                           (answer(403), pid, "t", 403), (answer(500), pid, "t", 503),
                                           (answer(200, {"props": "x"}), pid, "t", 503),
                                           (answer(200), "../x", "t", 400), (answer(200), pid, None, 503),
                                           (None, pid, "t", 503)):
        with pytest.raises(links.PropsUnreadable) as err:
            asyncio.run(read(client, post_id, token))
        assert err.value.status == status

    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(links.PropsUnreadable) as err:
        asyncio.run(read(httpx.AsyncClient(base_url="http://mm", transport=httpx.MockTransport(hang))))
    assert err.value.status == 503


def test_a_patch_without_props_keeps_the_posts_props_through_the_gateway(
        env: tuple[Gateway, Simulator, Pages, int]) -> None:
    """The simulator applies a patch as Mattermost does (props replace, nil keeps):
    a link added by a patch without props costs the preview and nothing else."""
    gw, sim, pages, port = env
    pages.og["patched"] = {"title": f"SSN {SSN}"}
    own = {"keep": "me", "attachments": [{"text": "quarterly report"}]}
    before = len(_rewritten(gw))
    with gw.client("alice") as c:
        post = c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"), "message": "status",
                                             "props": own}).json()
        url = f"/api/v4/posts/{post['id']}/patch"
        r = c.put(url, json={"message": f"see http://127.0.0.1:{port}/p/patched"})
        assert r.status_code == 200, r.text
        assert r.json()["props"] == {**own, "unsafe_links": "true"}
        # again, props null: the post has unsafe_links already, the patch goes as it came
        r = c.put(url, json={"message": f"again http://127.0.0.1:{port}/p/patched", "props": None})
        assert r.status_code == 200, r.text
        assert _sim_post(sim, post["id"])["props"] == {**own, "unsafe_links": "true"}
        # props in a patch replace them all, in Mattermost as here
        r = c.put(url, json={"message": f"last http://127.0.0.1:{port}/p/patched", "props": {"other": "x"}})
        assert r.status_code == 200, r.text
        assert _sim_post(sim, post["id"])["props"] == {"other": "x", "unsafe_links": "true"}
    assert "patched" not in pages.fetches
    assert [r["route"] for r in _rewritten(gw)[before:]] == ["posts.patch", "posts.patch"]


def test_the_simulator_patches_as_mattermost_does() -> None:
    """model/post.go Post.Patch: a nil pointer field is left as it is."""
    from dlp_proxy.simulator.gohttp import json_decode
    from dlp_proxy.simulator.state import Simulator as SimState

    state = SimState()
    alice, town = state.ids["users"]["alice"], state.ids["channels"]["town_square"]
    post = state.create_post({"channel_id": town, "message": "m", "props": {"a": "1"}}, alice)
    for raw, message, props in ((b'{"message": null, "props": null}', "m", {"a": "1"}),
                                (b'{"Message": "n"}', "n", {"a": "1"}),
                                (b'{"props": {"b": "2"}, "PROPS": {"c": "3"}}', "n", {"b": "2", "c": "3"}),
                                (b'{"props": {"d": "4"}, "props": null}', "n", {"b": "2", "c": "3"})):
        out = state.patch_post(post["id"], json_decode(raw), alice)
        assert (out["message"], out["props"]) == (message, props), raw


# ----------------------------------------------------------------------------- incoming webhooks

def test_a_webhook_is_rewritten_only_from_its_one_reading() -> None:
    link, clean = {"text": "see https://evil.example/"}, {"text": "no link"}
    assert links.webhook_request([("json", clean)], "allowlist", HOSTS) is None
    assert links.webhook_request([("form", link)], "allowlist", HOSTS) is link
    assert links.webhook_request([("form", link)], "allow", HOSTS) is None
    assert links.webhook_request([("multipart", {"form.text": "no link"})], "allowlist", HOSTS) is None
    for readings in ([("form", link), ("json", clean)], [("form", clean), ("json", link)],
                     [("multipart", {"form.text": "https://evil.example/"})],
                     [("json", {"text": "https://evil.example/", "props": "x"})],
                     [("json", ["https://evil.example/"])]):
        with pytest.raises(links.Unrewritable):
            links.webhook_request(readings, "allowlist", HOSTS)


def _hook_post(sim: Simulator, mark: str) -> dict[str, Any]:
    (post,) = [p for p in sim.posts() if mark in p.get("message", "")]
    return post


def test_an_incoming_webhook_with_a_link_loses_its_preview(env: tuple[Gateway, Simulator, Pages, int]) -> None:
    """app/webhook.go CreateWebhookPost copies the request's props into the post: the
    gateway forwards the one reading (JSON, or a form's payload=) as JSON with
    unsafe_links, the payload's own props kept."""
    import os
    from urllib.parse import urlencode

    gw, sim, pages, port = env
    pages.og["hook"] = {"title": f"SSN {SSN}"}
    hook = f"/hooks/{sim.ids['incoming_hook']}"
    before = len(_rewritten(gw))
    marks = [os.urandom(4).hex() for _ in range(3)]
    with httpx.Client(base_url=gw.url, timeout=30) as c:
        r = c.post(hook, json={"text": f"{marks[0]} http://127.0.0.1:{port}/p/hook", "Props": {"keep": "me"}})
        assert r.status_code == 200, r.text
        payload = json.dumps({"text": f"{marks[1]} http://127.0.0.1:{port}/p/hook"})
        r = c.post(hook, content=urlencode({"payload": payload}),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 200, r.text
        # a clean one, and one on an allowlisted host, go as they came
        r = c.post(hook, json={"text": f"{marks[2]} http://localhost:{port}/p/fine"})
        assert r.status_code == 200, r.text
    first, second, third = (_hook_post(sim, m) for m in marks)
    assert first["props"]["unsafe_links"] == "true" and first["props"]["keep"] == "me"
    assert second["props"]["unsafe_links"] == "true" and "embeds" not in second.get("metadata", {})
    assert "unsafe_links" not in third["props"]
    assert "hook" not in pages.fetches
    assert [r["route"] for r in _rewritten(gw)[before:]] == ["hooks.incoming", "hooks.incoming"]


def test_a_multipart_webhook_with_a_link_is_refused(env: tuple[Gateway, Simulator, Pages, int]) -> None:
    """gorilla/schema fills the request from a multipart form: no props can ride along."""
    import os

    from tests.test_gateway_e2e import _multipart

    gw, sim, pages, port = env
    mark = os.urandom(4).hex()
    hook = f"/hooks/{sim.ids['incoming_hook']}"
    with httpx.Client(base_url=gw.url, timeout=30) as c:
        headers, body = _multipart([("text", None, f"{mark} http://127.0.0.1:{port}/p/multi".encode())])
        r = c.post(hook, content=body, headers=headers)
        assert r.status_code == 400, r.text
        assert "send it as JSON" in r.json()["message"]
        headers, body = _multipart([("text", None, f"{mark} no link".encode())])
        assert c.post(hook, content=body, headers=headers).status_code == 200
    assert [p["message"] for p in sim.posts() if mark in p.get("message", "")] == [f"{mark} no link"]
    assert "multi" not in pages.fetches
