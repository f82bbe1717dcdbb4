"""The Actiance writer against Mattermost's own exporter test cases (tests/data/actiance/README.md)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import example, given, settings
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


def test_globalrelay_html_matches_mattermosts_fixture() -> None:
    """The HTML part of a Global Relay EML against testdata/grE2E2Batch1.tmpl (tests/data/globalrelay/)."""
    import email
    import quopri
    import re
    from email import policy

    from dlp_proxy.archive.export.globalrelay import channel_email, timestamp

    start, end = 1_700_000_000_000, 1_700_000_010_000
    u1, u2 = "u1" + "a" * 24, "u2" + "b" * 24
    ch = Channel("c" * 26, "channel_two_name", "the Channel Two", "P", "t" * 26, "team-name", "Team Display")
    posts = [
        Post("p" * 26, ch.id, start + 1000, start + 1000, "message 1", u1, "user1@email", "user1"),
        Post("q" * 26, ch.id, start + 2000, start + 2000, "message 2", u2, "user2@email", "user2"),
    ]
    hist = [MemberHistory(u1, "user1@email", "user1", start), MemberHistory(u2, "user2@email", "user2", start)]
    eml = channel_email(ch, posts, hist, start=start, end=end, exported_on=end)
    msg = email.message_from_bytes(eml, policy=policy.default)
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert html.startswith("\r\n<html><body>") and html.endswith("</body></html>")
    body = html[len("\r\n<html><body>"):-len("</body></html>")]
    values = {1: timestamp(start), 2: timestamp(end), 3: timestamp(start), 4: timestamp(end), 5: timestamp(start),
              6: timestamp(end), 7: timestamp(start + 1000), 8: timestamp(start + 2000), 9: timestamp(end),
              10: ch.team_id, 11: ch.team_name, 12: ch.team_display_name, 13: ch.id, 14: u1, 15: u2,
              16: posts[0].post_id, 17: posts[1].post_id}
    tmpl = quopri.decodestring((Path(__file__).parent / "data" / "globalrelay" / "grE2E2Batch1.tmpl").read_bytes())
    want = re.sub(r"%\[(\d+)\]s", lambda m: str(values[int(m.group(1))]), tmpl.decode())
    assert body.replace("\r\n", "\n") == want  # the EML carries CRLF line ends
    assert b"\r\nFrom: user1@email\r\n" in eml and b"\r\nTo: user1@email,user2@email\r\n" in eml
    assert msg["X-Mattermost-ChannelType"] == "private" and b"\r\nDate: Tue, 14 Nov 2023 22:13:30 +0000\r\n" in eml


@settings(max_examples=60, deadline=None)
@example("x\r\nBcc: evil@example.com", "u\r\nX-Evil: 1", "a\r\nContent-Type: text/html\r\n\r\n.pdf", "\r\n.\r\n")
@given(st.text(min_size=1, max_size=40), st.text(max_size=40), st.text(min_size=1, max_size=40), st.text(max_size=200))
def test_eml_headers_cannot_be_injected(display: str, username: str, filename: str, message: str) -> None:
    import email
    from email import policy

    from dlp_proxy.archive.export.globalrelay import channel_email

    ch = Channel("c" * 26, "name", display, "O")
    f = FileRef("f", filename, "dlp-proxy/x/f.txt", b"data")
    p = Post("p" * 26, ch.id, 1000, 1000, message, "u" * 26, "user@acme.example", username, files=(f,))
    eml = channel_email(ch, [p], [], start=1000, end=2000, exported_on=2000)
    msg = email.message_from_bytes(eml, policy=policy.default)
    assert sorted(msg.keys()) == sorted([
        "Content-Type", "MIME-Version", "From", "To", "Subject", "Content-Transfer-Encoding", "Auto-Submitted",
        "Precedence", "X-GlobalRelay-MsgType", "X-Mattermost-ChannelName", "X-Mattermost-ChannelID",
        "X-Mattermost-ChannelType", "Date", "Message-ID"])
    # the value survives (modulo the whitespace header folding may change)
    assert "".join(str(msg["X-Mattermost-ChannelName"]).split()) == "".join(display.split())
    atts = list(msg.iter_attachments())
    assert [a.get_content() for a in atts] == [b"data"]
    assert "".join(atts[0].get_filename().split()) == "".join(  # type: ignore[union-attr]
        "".join("_" if ord(c) < 32 or c == "\x7f" else c for c in filename).split())


def test_file_parts_are_grouped_as_the_gateway_names_them() -> None:
    from dlp_proxy.archive.export.build import _content_parts

    rec = {"_content": [
        {"path": "body.message", "text": "see attached"},
        {"path": "file[0].name", "text": "a.pdf"}, {"path": "file[0]:page1", "text": "p1"},
        {"path": "chunk[1]:sheet1!A1", "text": "c1"}, {"path": "upload.name", "text": "big.zip"},
        {"path": "upload:member.txt", "text": "u1"}, {"path": "split-window", "text": ""},
    ]}
    text, files, clear = _content_parts(rec)
    assert clear and text == "see attached"
    assert files == {"file[0]": {"name": "a.pdf", "segments": ["p1"]}, "chunk[1]": {"name": "", "segments": ["c1"]},
                     "upload": {"name": "big.zip", "segments": ["u1"]}}
    enc = {"content": {"mode": "encrypted", "items": [{"path": "body.message"}, {"path": "upload.name"}]}}
    assert _content_parts(enc) == (None, {"upload": {"name": "", "segments": []}}, False)
