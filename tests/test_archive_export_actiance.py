"""The Actiance writer against Mattermost's own exporter test cases (tests/data/actiance/README.md)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dlp_proxy.archive.export.actiance import actiance_export, go_escape
from dlp_proxy.archive.export.model import Channel, FileRef, MemberHistory, Post

DATA = Path(__file__).parent / "data" / "actiance"
CHANNEL = Channel("channel-id", "channel-name", "channel-display-name", "D", "team-id", "team-name",
                  "team-display-name")


def post(post_id: str, create: int, update: int, message: str, **kw: object) -> Post:
    return Post(post_id=post_id, channel_id="channel-id", create_at=create, update_at=update, message=message,
                user_id="user-id", user_email="test@test.com", username="username", **kw)  # type: ignore[arg-type]


def compare(got: ET.Element, want: ET.Element, where: str = "") -> None:
    """Element by element: tag, attributes, text, children in order."""
    here = f"{where}/{want.tag}"
    assert got.tag == want.tag, here
    assert got.attrib == want.attrib, here
    assert (got.text or "").strip() == (want.text or "").strip(), here
    assert [c.tag for c in got] == [c.tag for c in want], here
    for i, (g, w) in enumerate(zip(got, want, strict=True)):
        compare(g, w, f"{here}[{i}]")


def check(xml: bytes, fixture: str) -> None:
    want = (DATA / fixture).read_bytes()
    compare(ET.fromstring(xml), ET.fromstring(want))
    assert xml == want  # and byte for byte, as Go's encoder writes it


def test_posts_case() -> None:
    hist = {"channel-id": [
        MemberHistory("test", "test@email", "testname", 0, 400),
        MemberHistory("test2", "test2@email", "test2name", 8, 80),
        MemberHistory("test3", "test3@email", "test3name", 400),
        MemberHistory("test_bot", "test_bot@email", "test_botname", 10, 20, is_bot=True),
    ]}
    posts = [
        post("post-original-id", 1, 2, "edited message", edit_at=2),
        post("post-id", 1, 2, "original message", delete_at=2, original_id="post-original-id"),
        post("post-id2", 1, 4, "message2", delete_at=4, props={"deleteBy": "fy8j97gwii84bk4zxprbpc9d9w"}),
        post("post-id3", 100, 100, "message3", root_id="post-root-id"),
    ]
    batch = actiance_export({"channel-id": CHANNEL}, posts, hist, job_start_time=0, batch_start=1, batch_end=500)
    check(batch.xml, "mattermost_posts.xml")


def test_posts_with_attachments_case() -> None:
    hist = {"channel-id": [
        MemberHistory("test", "test@email", "test", 0, 400),
        MemberHistory("test2", "test2@email", "test2", 8, 80),
        MemberHistory("test3", "test3@email", "test3", 400),
    ]}
    f = FileRef("test1-attachment", "test1-attachment", "test1-attachment", b"data")
    posts = [
        post("post-id-1", 1, 1, "message", original_id="post-original-id", files=(f,)),
        post("post-id-2", 100, 100, "message", original_id="post-original-id", root_id="post-id-1"),
    ]
    batch = actiance_export({"channel-id": CHANNEL}, posts, hist, job_start_time=0, batch_start=1, batch_end=700)
    check(batch.xml, "mattermost_posts_with_attachments.xml")
    assert [x.path for x in batch.files] == ["test1-attachment"]


def test_empty_is_mattermosts_empty_document() -> None:
    batch = actiance_export({}, [], {}, job_start_time=0, batch_start=0, batch_end=30)
    assert batch.xml == (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                         b'<FileDump xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"></FileDump>')


@given(st.text())
def test_any_text_round_trips_through_an_xml_parser(text: str) -> None:
    p = post("p", 1, 1, text)
    xml = actiance_export({"channel-id": CHANNEL}, [p], {}, job_start_time=0, batch_start=1, batch_end=2).xml
    content = ET.fromstring(xml).find("Conversation/Message/Content")
    assert content is not None
    expected = "".join(c if c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff" and not "\ud800" <= c <= "\udfff")
                       else "\ufffd" for c in text)
    assert (content.text or "") == expected
    assert "&#xA;" in go_escape("a\nb")
