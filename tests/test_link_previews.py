"""Link previews (attack finding F3): Mattermost fetches a post's first link itself and
shows every reader the page's OpenGraph site name, title and description under the
post.  The gateway judges the post as shown (message, then the preview) from
Mattermost's answer and deletes a post the policy would stop
(dlp_proxy/gateway/integrations.py ``shown_preview``).  Through the real gateway, the
simulator (which fetches previews as app/post_metadata.go does: simulator/previews.py)
and a real page server on a socket."""

from __future__ import annotations

import html
import json
import re
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

from dlp_proxy.gateway.integrations import PREVIEW_ROUTES, job_for, shown_preview, shown_readings
from dlp_proxy.policy.testing import SSN
from dlp_proxy.simulator import ThreadedServer
from tests.conftest import (
    ROOT,
    Gateway,
    Simulator,
    archive_records,
    start_gateway,
    start_simulator,
    stop,
    wait_for,
)

AREA_GROUP, SERIAL = SSN.rsplit("-", 1)  # "536-22", "8710"

# ----------------------------------------------------------------------------- pure


def _answer(message: str, embeds: Any) -> bytes:
    return json.dumps({"id": "p" * 26, "channel_id": "c" * 26, "user_id": "u" * 26, "message": message,
                       "props": {}, "metadata": {"embeds": embeds}}).encode()


def test_shown_preview_reads_the_opengraph_embed() -> None:
    og = {"type": "opengraph", "url": "https://x.example/a",
          "data": {"site_name": "Site", "title": "T", "description": "", "images": None}}
    shown = shown_preview(_answer("see https://x.example/a", [og]))
    assert shown is not None and shown["preview"] == ["Site", "T"] and shown["id"] == "p" * 26
    assert shown["message"] == "see https://x.example/a"
    # no text a reader sees, a plain link embed, an image, no embeds: nothing to judge
    empty = {**og, "data": {"site_name": "", "title": " ", "description": ""}}
    for embeds in ([empty], [{"type": "link", "url": "https://x"}], [{"type": "image", "url": "https://x"}], None):
        assert shown_preview(_answer("hi", embeds)) is None
    # an answer without the word is never parsed
    assert shown_preview(b"{not json") is None and shown_preview(b"opengraph{") is None


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
                        st.sampled_from(["type", "data", "title", "metadata", "embeds", "site_name", "x"]),
                        kids, max_size=4), max_leaves=20))
def test_property_shown_preview_never_crashes(doc: Any) -> None:
    answer = json.dumps({"metadata": {"embeds": doc}, "note": "opengraph"}).encode()
    shown = shown_preview(answer)
    assert shown is None or (shown["preview"] and all(isinstance(v, str) and v.strip() for v in shown["preview"]))


def test_shown_readings_join_the_parts_where_their_digits_meet() -> None:
    link = "https://notes.example/p/1"
    assert shown_readings(f"see {link}", ["Site", "Title"]) == f"see {link}\nSite\nTitle"
    split = shown_readings(f"client SSN {AREA_GROUP}- {link} more", ["Notes", f"{SERIAL} on file"])
    assert split.endswith(f"\n\nclient SSN {AREA_GROUP}-\n{SERIAL} on file")
    # a separator the writer put before the second half is kept
    assert shown_readings(f"ref {AREA_GROUP}", [f"x -{SERIAL}"]).endswith(f"\n\nref {AREA_GROUP}\n-{SERIAL}")
    # the link's own digits are no part
    assert shown_readings(f"{link}", [f"{SERIAL}"]) == f"{link}\n{SERIAL}"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -.:/abcSN\n", max_size=40),
       st.lists(st.text(alphabet="0123456789 -abc", max_size=20), max_size=3))
def test_property_shown_readings_keep_what_is_shown_and_every_digit(message: str, preview: list[str]) -> None:
    out = shown_readings(message, preview)
    shown = "\n".join(p for p in (message, *preview) if p)
    assert out.startswith(shown)
    # the joined reading (if any) brings every digit of the parts it joins, in order
    joined = out[len(shown):]
    if joined:
        assert joined.startswith("\n\n")
        parts = [p for p in (message, *preview) if p]
        no_links = "".join(c for p in parts for c in re.sub(r"https?://\S+", " ", p, flags=re.I) if c.isdigit())
        assert "".join(c for c in joined if c.isdigit()) == no_links


def test_job_for_reads_the_answer_only_on_preview_routes() -> None:
    reads: list[int] = []

    def answer() -> bytes:
        reads.append(1)
        return _answer("x", [{"type": "opengraph", "url": "u", "data": {"title": "T"}}])

    assert {"posts.create", "posts.update", "posts.patch"} <= PREVIEW_ROUTES
    job = job_for("posts.create", "r", "POST", "/api/v4/posts", {"authorization": "Bearer t", "x": "y"}, b"{}",
                  "1.2.3.4", 0.0, {}, answer=answer)
    assert job is not None and job.shown is not None and job.post_id == "p" * 26 and dict(job.headers) == {
        "authorization": "Bearer t"}
    assert job_for("posts.create", "r", "POST", "/api/v4/posts", {}, b"{}", "", 0.0, {},
                   answer=lambda: _answer("x", [])) is None
    assert job_for("channels.create", "r", "POST", "/api/v4/channels", {}, b"{}", "", 0.0, {}, answer=answer) is None
    assert len(reads) == 1

    def broken() -> bytes:
        raise ValueError("gone")

    job = job_for("posts.patch", "r", "PUT", "/api/v4/posts/x/patch", {}, b"{}", "", 0.0, {}, answer=broken)
    assert job is not None and job.shown is None and "could not be read" in job.answer_unread


# ----------------------------------------------------------------------------- end to end


class Pages:
    """A web server whose pages carry the OpenGraph tags a test sets (path -> tags)."""

    def __init__(self) -> None:
        self.og: dict[str, dict[str, str]] = {}
        self.fetches: list[str] = []

    async def page(self, request: Request) -> Response:
        name = request.path_params["name"]
        self.fetches.append(name)
        tags = "".join(f'<meta property="og:{k}" content="{html.escape(v)}">' for k, v in self.og.get(name, {}).items())
        return HTMLResponse(f"<html><head>{tags}</head><body>page</body></html>")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, Simulator, Pages, str]]:
    pages = Pages()
    app = Starlette(routes=[Route("/p/{name}", pages.page)])
    sim = start_simulator()
    base = tmp_path_factory.mktemp("previews")
    config = base / "config"
    shutil.copytree(Path(ROOT) / "config", config)
    policy = (config / "policy.yaml").read_text()
    alerts = sim.channel("compliance_alerts")
    (config / "policy.yaml").write_text(policy.replace("alert_channel_id: null", f"alert_channel_id: {alerts}"))
    with ThreadedServer(app) as srv:
        gw = start_gateway(sim, base / "gw", config_dir=config)
        try:
            yield gw, sim, pages, srv.url
        finally:
            stop(gw.proc)
            stop(sim.proc)


def _post(gw: Gateway, message: str, user: str = "alice") -> httpx.Response:
    with gw.client(user) as c:
        return c.post("/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"), "message": message})


def _sim_post(sim: Simulator, post_id: str) -> dict[str, Any]:
    return next(p for p in sim.posts() if p["id"] == post_id)


def _remediated(gw: Gateway, route: str) -> list[dict[str, Any]]:
    return [r for r in archive_records(gw.data_dir) if r.get("action") == "remediated" and r.get("route") == route]


def test_simulator_answers_with_the_preview_mattermost_would_store(env: tuple[Gateway, Simulator, Pages, str]) -> None:
    _, sim, pages, base = env
    pages.og["shape"] = {"site_name": "Shape & Co", "title": "A title", "description": "words", "type": "article"}
    with httpx.Client(base_url=sim.url, headers={"Authorization": "Bearer alice-token"}) as c:
        post = c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"),
                                             "message": f"`{base}/p/code` then {base}/p/shape."}).json()
        # model.PostEmbed {type, url, data: opengraph.OpenGraph}: the first link outside code
        embed = post["metadata"]["embeds"][0]
        assert embed["type"] == "opengraph" and embed["url"] == f"{base}/p/shape"
        assert {k: embed["data"][k] for k in ("site_name", "title", "description", "type")} == {
            "site_name": "Shape & Co", "title": "A title", "description": "words", "type": "article"}
        # stored per (URL, hour): read back as stored, not fetched again
        fetched = pages.fetches.count("shape")
        assert c.get(f"/api/v4/posts/{post['id']}").json()["metadata"]["embeds"] == post["metadata"]["embeds"]
        # an edit removing the link removes the embed (metadata.embeds is omitempty)
        edited = c.put(f"/api/v4/posts/{post['id']}/patch", json={"message": "no link"}).json()
        assert "embeds" not in edited["metadata"]
        # a post with message attachments: their embed, no link fetched (getEmbedForPost)
        att = c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"), "message": f"{base}/p/att",
                                            "props": {"attachments": [{"text": "t"}]}}).json()
        assert att["metadata"]["embeds"] == [{"type": "message_attachment"}] and "att" not in pages.fetches
        # ServiceSettings.EnableLinkPreviews=false: nothing fetched, nothing shown
        assert c.post("/__sim/config", json={"enable_link_previews": False}).json()["enable_link_previews"] is False
        try:
            off = c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"),
                                                "message": f"{base}/p/shape2"}).json()
            assert "embeds" not in off["metadata"] and "shape2" not in pages.fetches
        finally:
            c.post("/__sim/config", json={"enable_link_previews": True})
    assert pages.fetches.count("shape") == fetched == 1


def test_preview_with_an_ssn_is_deleted_archived_and_alerted(env: tuple[Gateway, Simulator, Pages, str]) -> None:
    gw, sim, pages, base = env
    pages.og["clean"] = {"site_name": "Research", "title": "Quarterly outlook", "description": "Rates and spreads"}
    pages.og["leak"] = {"site_name": "Client file", "title": f"SSN {SSN}", "description": "account holder"}
    clean = _post(gw, f"outlook here {base}/p/clean")
    leak = _post(gw, f"please review {base}/p/leak")
    # the message itself is clean: forwarded, answered at once, the preview in the answer
    assert clean.status_code == 201 and leak.status_code == 201, leak.text
    assert leak.json()["metadata"]["embeds"][0]["data"]["title"] == f"SSN {SSN}"
    _ = wait_for(lambda: _sim_post(sim, leak.json()["id"])["delete_at"], "the post with the leaky preview deleted")
    rec = wait_for(lambda: _remediated(gw, "posts.create.preview"), "the remediation record")[0]
    assert rec["remediation"] == "deleted" and rec["remediation_result"] == "ok"
    assert rec["policy_action"] == "block" and "US_SSN" in rec["entity_types"]
    assert "content" in rec and SSN not in json.dumps(rec)  # the post as shown, encrypted
    alert = wait_for(lambda: [p for p in sim.posts() if p["channel_id"] == sim.channel("compliance_alerts")
                              and rec["record_id"] in p["message"]], "the compliance alert")[0]
    assert "link preview" in alert["message"] and "deleted the post" in alert["message"]
    assert SSN not in alert["message"]
    # one worker takes jobs in order: the clean preview, checked first, was left alone
    assert not _sim_post(sim, clean.json()["id"])["delete_at"]
    assert len(_remediated(gw, "posts.create.preview")) == 1


def test_number_split_between_message_and_preview_is_caught(env: tuple[Gateway, Simulator, Pages, str]) -> None:
    gw, sim, pages, base = env
    pages.og["split"] = {"site_name": "Notes", "title": "Reference", "description": f"{SERIAL} on file"}
    before = len(_remediated(gw, "posts.create.preview"))
    r = _post(gw, f"client SSN {AREA_GROUP}- {base}/p/split")
    assert r.status_code == 201, r.text  # the message alone passes
    wait_for(lambda: _sim_post(sim, r.json()["id"])["delete_at"], "the split post deleted")
    assert len(wait_for(lambda: _remediated(gw, "posts.create.preview")[before:], "its record")) == 1


def test_an_edit_adding_a_leaky_link_is_remediated(env: tuple[Gateway, Simulator, Pages, str]) -> None:
    gw, sim, pages, base = env
    pages.og["edit"] = {"title": "Holder", "description": f"SSN {SSN}"}
    post = _post(gw, "draft, link to follow").json()
    with gw.client("alice") as c:
        r = c.put(f"/api/v4/posts/{post['id']}/patch", json={"message": f"here: {base}/p/edit"})
        assert r.status_code == 200, r.text
    wait_for(lambda: _sim_post(sim, post["id"])["delete_at"], "the edited post deleted")
    rec = wait_for(lambda: _remediated(gw, "posts.patch.preview"), "the edit's record")[0]
    assert rec["remediation"] == "deleted" and rec["remediation_result"] == "ok"


def test_a_refused_deletion_is_archived_and_alerted(env: tuple[Gateway, Simulator, Pages, str]) -> None:
    gw, sim, pages, base = env
    pages.og["stuck"] = {"title": f"SSN {SSN}"}
    # Mattermost refuses the next DELETE of a post (the bot's remediation: nothing else in
    # this module deletes), set before the post so the check cannot run first
    httpx.post(f"{sim.url}/__sim/faults", json={"path_prefix": "/api/v4/posts/", "method": "DELETE",
                                                "status": 500, "count": 1})
    try:
        r = _post(gw, f"look {base}/p/stuck")
        assert r.status_code == 201, r.text
        rec = wait_for(lambda: [x for x in _remediated(gw, "posts.create.preview")
                                if x.get("remediation_result") == "status 500"], "the record")[0]
    finally:
        httpx.delete(f"{sim.url}/__sim/faults")
    assert rec["remediation"] == "deleted" and not _sim_post(sim, r.json()["id"])["delete_at"]
    wait_for(lambda: [p for p in sim.posts() if p["channel_id"] == sim.channel("compliance_alerts")
                      and rec["record_id"] in p["message"] and "remove the post by hand" in p["message"]], "the alert")


def test_no_bot_token_the_preview_is_still_judged_archived_and_logged(
        env: tuple[Gateway, Simulator, Pages, str], tmp_path: Path) -> None:
    """No DLP_NOTIFY_TOKEN: the preview (from Mattermost's answer) is judged all the same;
    the gateway cannot delete it, so it is archived as stopped but not remediated
    (``remediation: impossible``) and, the alert needing the token too, logged as a warning (an error would end a gateway still starting: mitmproxy errorcheck)."""
    gw, sim, pages, base = env
    pages.og["notoken"] = {"title": "Holder", "description": f"SSN {SSN}"}
    config = tmp_path / "config"
    shutil.copytree(Path(ROOT) / "config", config)
    policy = (config / "policy.yaml").read_text()
    (config / "policy.yaml").write_text(policy.replace(
        "alert_channel_id: null", f"alert_channel_id: {sim.channel('compliance_alerts')}"))
    bare = start_gateway(sim, tmp_path / "gw", config_dir=config, env={"DLP_NOTIFY_TOKEN": ""})
    try:
        r = _post(bare, f"see {base}/p/notoken")
        assert r.status_code == 201, r.text
        rec = wait_for(lambda: _remediated(bare, "posts.create.preview"), "the record")[0]
        assert rec["remediation"] == "impossible" and rec["remediation_result"] == "no bot token"
        assert rec["policy_action"] == "block" and "US_SSN" in rec["entity_types"]
        assert SSN not in json.dumps(rec)
        assert not _sim_post(sim, r.json()["id"])["delete_at"]
        wait_for(lambda: "no bot token to post it with" in bare.log(), "the warning logged")
        assert SSN not in bare.log()
        assert not [x for x in archive_records(bare.data_dir) if x.get("reason") == "integration-response-unchecked"]
    finally:
        stop(bare.proc)


def test_a_released_posts_leaking_preview_is_remediated(env: tuple[Gateway, Simulator, Pages, str]) -> None:
    """A held post released by a reviewer: Mattermost's answer to the release carries a
    link preview the reviewer never saw; it is judged (the preview only: the message was
    approved) and the post deleted.  A released post with a clean preview stays."""
    import os

    from tests.test_split_release import _approve, _channel, _held, _item_for
    from tests.test_split_release import _post as _post_in

    gw, sim, pages, base = env
    pages.og["rel"] = {"title": "Holder", "description": f"SSN {SSN}"}
    pages.og["relclean"] = {"title": "Quarterly outlook"}
    channel = _channel(gw)
    mark = os.urandom(4).hex()
    leak = _item_for(gw, _held(_post_in(gw, "alice", channel, f"SSN 536-22-8841 {mark} {base}/p/rel")))
    clean = _item_for(gw, _held(_post_in(gw, "alice", channel, f"SSN 536-22-8841 c{mark} {base}/p/relclean")))
    before = len(_remediated(gw, "posts.create.preview"))
    assert _approve(gw, clean) == "released" and _approve(gw, leak) == "released"
    recs = wait_for(lambda: _remediated(gw, "posts.create.preview")[before:], "the released post's record")
    posts = [p for p in sim.posts() if mark in p.get("message", "")]
    assert len(posts) == 2
    gone = [p for p in posts if p["delete_at"]]
    assert len(recs) == 1 and recs[0]["remediation"] == "deleted" and recs[0]["remediation_result"] == "ok"
    assert len(gone) == 1 and f" {mark} " in gone[0]["message"]  # the leaking one; the clean one stays


def test_an_unreadable_answer_or_no_token_is_archived_and_alerted() -> None:
    """A preview answer the proxy could not give back, or no bot token to read an
    integration's answer with: archived as a failure and alerted (real simulator; the
    pipeline's archive stubbed)."""
    import asyncio
    from types import SimpleNamespace

    from dlp_proxy.gateway.integrations import Job, ResponseWatch
    from dlp_proxy.simulator import SimulatorServer

    failures: list[dict[str, Any]] = []

    async def record_failure(req: Any, **kw: Any) -> str:
        failures.append(kw)
        return f"rec{len(failures)}"

    with SimulatorServer() as sim:
        ids = httpx.get(sim.url + "/__sim/ids").json()
        alerts = ids["channels"]["compliance_alerts"]
        policy = SimpleNamespace(alert_channel_id=alerts)  # the PolicyEngine property the alert reads
        pipeline = SimpleNamespace(record_failure=record_failure, policy=lambda: policy)
        unread = Job("posts.patch", "req1", "/api/v4/posts/x/patch", {}, "",
                     answer_unread="the post's answer could not be read (ValueError)")
        shown = Job("commands.execute", "req2", "/api/v4/commands/execute", {}, "", channel_id="c" * 26)

        async def run() -> None:
            async with httpx.AsyncClient(base_url=sim.url) as upstream:
                await ResponseWatch(pipeline, upstream, ids["tokens"]["dlp-bot"]).check(unread)
                await ResponseWatch(pipeline, upstream, None).check(shown)

        asyncio.run(run())
        assert [f["reason"] for f in failures] == ["link-preview-unchecked", "integration-response-unchecked"]
        posts = httpx.get(sim.url + "/__sim/posts").json()
        assert any(p["channel_id"] == alerts and "UNCHECKED" in p["message"] and "link preview" in p["message"]
                   and "rec1" in p["message"] for p in posts)


def test_cli_flag_turns_previews_off(tmp_path: Path) -> None:
    import subprocess
    import sys

    ready = tmp_path / "ready.json"
    proc = subprocess.Popen([sys.executable, "-m", "dlp_proxy.cli", "simulate", "--listen", "127.0.0.1:0",
                             "--no-link-previews", "--ready-file", str(ready)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def read() -> Any:
            try:
                return json.loads(ready.read_text())
            except (OSError, ValueError):  # not written yet, or being written
                return None

        info = wait_for(read, "the simulator's ready file")
        assert httpx.post(info["url"] + "/__sim/config", json={}).json()["enable_link_previews"] is False
    finally:
        stop(proc)
