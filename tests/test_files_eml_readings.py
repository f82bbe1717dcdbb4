"""An uploaded e-mail is judged in every reading a mail client could show: its body
decoded per the declared Content-Transfer-Encoding, and, when it does not declare
MIME-Version (a client may then take it as plain RFC 822 text), as written."""

from __future__ import annotations

import base64

import pytest

from dlp_proxy.files import extract, sniff
from tests import filegen

SSN = "536-22-1234"


def _flat(data: bytes) -> str:
    return "".join("".join(s.text for s in extract(data).segments).split())


@pytest.mark.parametrize("mime_version", [b"", b"MIME-Version: 1.0\r\n"])
@pytest.mark.parametrize(
    "cte, body",
    [
        (b"quoted-printable", b"Client SSN =35=33=36-22-1234\r\n"),
        (b"base64", base64.b64encode(b"Client SSN 536-22-1234") + b"\r\n"),
    ],
)
def test_body_is_read_decoded_per_its_transfer_encoding(mime_version: bytes, cte: bytes, body: bytes) -> None:
    data = b"Subject: x\r\n" + mime_version + b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n" + body
    assert sniff(data) == "eml"
    assert SSN.replace("-", "") in _flat(data).replace("-", "")


@pytest.mark.parametrize("cte", [b"quoted-printable", b"QUOTED-PRINTABLE", b"base64"])
def test_a_lone_transfer_encoding_header_is_a_mail_message(cte: bytes) -> None:
    data = b"Content-Transfer-Encoding: " + cte + b"\r\n\r\nClient SSN =35=33=36-22-1234\r\n"
    assert sniff(data) == "eml"


def test_a_message_without_mime_version_is_also_read_as_written() -> None:
    # a base64 declaration over a plain body: decoding yields noise, a non-MIME client shows the text
    data = b"From: a@x.example\r\nSubject: x\r\nContent-Transfer-Encoding: base64\r\n\r\nClient SSN 536-22-1234\r\n"
    assert SSN in "".join(s.text for s in extract(data).segments)


def test_the_as_written_reading_keeps_every_header() -> None:
    data = b"Subject: x\r\nX-Client: SSN 536-22-1234\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nhi\r\n"
    assert SSN in "".join(s.text for s in extract(data).segments)


def test_a_mime_message_is_not_read_twice() -> None:
    data = b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nhello=20there\r\n"
    # (the raw reading reads the stored bytes as written, as any file's: rawread.py)
    texts = [s.text for s in extract(data).segments if not filegen.RAW_LOCATION.search(s.location)]
    assert not any("hello=20there" in t for t in texts)


def test_a_utf7_mail_part_is_read_decoded_and_a_utf7_text_file_as_written() -> None:
    # mail clients decode a declared UTF-7 charset; browsers (and so Mattermost's preview) have no UTF-7
    body = b"Client SSN +ADUAMwA2-+AC0-22-1234\r\n"
    mail = b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n" + body
    assert SSN in "".join(s.text for s in extract(mail).segments)
    assert "+ADUAMwA2-+AC0-22-1234" in "".join(s.text for s in extract(body).segments)
