"""The files people really upload, through the running gateway (issue 19).

Screenshots rendered with a TrueType font (Debian's fonts-dejavu-core) at 12, 14 and
18 px, scanned PDFs, phone-photo-like images, legacy Office and Outlook files, an
encrypted archive: all made by tests/filegen.py, uploaded to /api/v4/files as the
web app does (multipart), judged by the real gateway with the shipped policy, and the
simulator's record proves what reached Mattermost.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from dlp_proxy.policy.testing import CARD, IBAN, SSN
from tests import filegen
from tests.conftest import Gateway, archive_records

BLOCKED = "api.dlp.blocked.app_error"
HELD = "api.dlp.quarantined.app_error"


def _upload(gw: Gateway, data: bytes, name: str, channel: str = "town_square") -> httpx.Response:
    gw.sim.clear()
    return httpx.post(f"{gw.url}/api/v4/files", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                      data={"channel_id": gw.sim.channel(channel)}, files={"files": (name, data)}, timeout=120)


def _reached(gw: Gateway) -> int:
    return len([r for r in gw.sim.requests() if r["path"] == "/api/v4/files"])


def _record(gw: Gateway, resp: httpx.Response) -> dict[str, Any]:
    request_id = resp.json()["request_id"] if resp.status_code >= 400 else None
    records = [r for r in archive_records(gw.data_dir) if r.get("type") == "decision" and r.get("route_group") == "files"]
    if request_id is not None:
        return next(r for r in records if r.get("request_id") == request_id)
    return records[-1]


def _stopped(gw: Gateway, resp: httpx.Response, entity: str) -> None:
    assert resp.status_code == 403, resp.text
    assert resp.json()["id"] in (BLOCKED, HELD)
    assert _reached(gw) == 0
    assert entity in _record(gw, resp)["entity_types"]


def _forwarded(gw: Gateway, resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 201, resp.text
    assert _reached(gw) == 1
    return _record(gw, resp)


IDENTIFIERS = [("US_SSN", {"ssn": SSN}), ("CREDIT_CARD", {"card": CARD}), ("IBAN_CODE", {"iban": IBAN})]


@pytest.mark.parametrize("px", [12, 14, 18])
@pytest.mark.parametrize(("entity", "kw"), IDENTIFIERS, ids=[i[0] for i in IDENTIFIERS])
def test_screenshot_with_an_identifier_is_stopped(gateway: Gateway, px: int, entity: str, kw: dict[str, str]) -> None:
    shot = filegen.screenshot(filegen.screenshot_lines(**kw), px)
    _stopped(gateway, _upload(gateway, shot, "Screenshot 2026-12-03 at 10.42.png"), entity)


@pytest.mark.parametrize("fmt", ["JPEG", "GIF", "WEBP", "BMP", "TIFF"])
def test_screenshot_in_every_image_format_is_read(gateway: Gateway, fmt: str) -> None:
    shot = filegen.screenshot(filegen.screenshot_lines(ssn=SSN), 14, fmt=fmt, dark=fmt == "WEBP")
    _stopped(gateway, _upload(gateway, shot, f"shot.{fmt.lower()}"), "US_SSN")


def test_heic_screenshot_is_read(gateway: Gateway) -> None:
    import io

    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.open(io.BytesIO(filegen.screenshot(filegen.screenshot_lines(ssn=SSN), 18))).save(out, "HEIF", quality=90)
    _stopped(gateway, _upload(gateway, out.getvalue(), "IMG_0042.HEIC"), "US_SSN")


@pytest.mark.parametrize("px", [12, 18])
def test_screenshot_without_identifiers_is_forwarded_not_held(gateway: Gateway, px: int) -> None:
    record = _forwarded(gateway, _upload(gateway, filegen.screenshot(filegen.screenshot_lines(), px), "shot.png"))
    assert record["action"] == "allow" and not record.get("uninspected"), record


def test_photo_without_text_is_forwarded_and_recorded_uninspected(gateway: Gateway) -> None:
    record = _forwarded(gateway, _upload(gateway, filegen.photo_like(), "IMG_1234.jpg"))
    assert record["action"] == "allow"
    assert record["uninspected"] == [{"file": "file[0]", "cause": "no_text", "action": "allow", "problems": ["no-text"]}]
    metrics = httpx.get(f"{gateway.admin_url}/metrics", timeout=10).text
    assert 'dlp_files_uninspected_total{action="allow",cause="no_text"}' in metrics


def test_scanned_pdf_with_an_ssn_is_stopped(gateway: Gateway) -> None:
    scan = filegen.scanned_pdf(["Account application", f"Social Security Number: {SSN}", "Signed: J. Doe"])
    resp = _upload(gateway, scan, "scan0001.pdf")
    _stopped(gateway, resp, "US_SSN")
    assert any("page=1/ocr" in f["path"] for f in _record(gateway, resp)["findings"])


def test_clean_scanned_pdf_is_forwarded(gateway: Gateway) -> None:
    scan = filegen.scanned_pdf(["Meeting minutes", "Q3 rebalancing approved by the committee"])
    record = _forwarded(gateway, _upload(gateway, scan, "minutes.pdf"))
    assert record["action"] == "allow"


LEGACY = [
    ("xls", lambda v: filegen.xls_document([["client", "ref"], ["J. Doe", v]]), "clients.xls"),
    ("xls-hidden-sheet", lambda v: filegen.xls_document([["client"], ["J. Doe"]], hidden_sheet=[[v]]), "book.xls"),
    ("doc", lambda v: filegen.doc_document("Client letter\r", f"Reference {v}\r"), "letter.doc"),
    ("ppt", lambda v: filegen.ppt_document(["Quarterly review", "Agenda"], notes=f"speaker notes {v}"), "deck.ppt"),
    ("msg", lambda v: filegen.msg_message("Onboarding", f"Please open the account for SSN {v}."), "mail.msg"),
    ("msg-attachment", lambda v: filegen.msg_message("Onboarding", "see attached", {"clients.csv": f"ssn\n{v}\n".encode()}),
     "mail.msg"),
    ("msg-embedded-message", lambda v: filegen.msg_message(
        "FW: onboarding", "forwarding", embedded={"subject": "onboarding", "body": "list attached",
                                                  "attachments": {"l.txt": f"ssn {v}".encode()}}), "fw.msg"),
]


@pytest.mark.parametrize(("name", "make", "filename"), LEGACY, ids=[x[0] for x in LEGACY])
def test_legacy_office_and_outlook_files(gateway: Gateway, name: str, make: Any, filename: str) -> None:
    _stopped(gateway, _upload(gateway, make(SSN), filename), "US_SSN")
    record = _forwarded(gateway, _upload(gateway, make("nothing to see"), filename))
    assert record["action"] == "allow" and not record.get("uninspected"), record


def test_encrypted_archive_is_held_as_could_not_be_checked(gateway: Gateway) -> None:
    resp = _upload(gateway, filegen.encrypted_zip(data=b"quarterly notes, nothing else\n"), "bundle.zip",
                   channel="town_square")
    assert resp.status_code == 403, resp.text
    body = resp.json()
    assert body["id"] == HELD
    assert "could not be checked" in body["message"] and "encrypted" in body["message"]
    assert "contain" not in body["message"]
    assert _reached(gateway) == 0
    record = _record(gateway, resp)
    assert record["rule_id"] == "uninspected-encrypted"
    assert {"file": "file[0]", "cause": "encrypted", "action": "quarantine", "problems": ["encrypted"]} in record[
        "uninspected"]
    # the sender's own notice says the same (ephemeral post sent by the gateway's bot)
    import time

    deadline = time.monotonic() + 10
    notices: list[str] = []
    while time.monotonic() < deadline and not notices:
        notices = [json.loads(base64.b64decode(r["body_b64"]))["post"]["message"] for r in gateway.sim.requests()
                   if r["path"] == "/api/v4/posts/ephemeral"]
        time.sleep(0.1)
    assert notices and "could not be checked: it is encrypted" in notices[0], notices
    assert "contain" not in notices[0] and "customer information" not in notices[0]


def test_a_sheet_whose_formula_cannot_be_worked_out_is_held_as_could_not_be_checked(gateway: Gateway) -> None:
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active["A1"] = "client"
    wb.active["B1"] = '=HEX2DEC("218")&"-"&HEX2DEC("16")&"-"&HEX2DEC("2206")'  # no saved value: computed on open
    out = io.BytesIO()
    wb.save(out)
    resp = _upload(gateway, out.getvalue(), "clients.xlsx")
    assert resp.status_code == 403, resp.text
    body = resp.json()
    assert body["id"] == HELD and "could not be checked" in body["message"] and "computes" in body["message"]
    assert "contain" not in body["message"]
    assert _reached(gateway) == 0
    record = _record(gateway, resp)
    assert record["rule_id"] == "uninspected-active-content"
    assert any(e["cause"] == "active_content" and e["problems"] == ["active-content"] for e in record["uninspected"])


def test_image_over_the_pixel_limit_is_held(gateway: Gateway) -> None:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (10_000, 6_000), 255).save(out, "PNG")  # 60 MP > ocr_max_pixels (50 MP)
    resp = _upload(gateway, out.getvalue(), "huge.png")
    assert resp.status_code == 403 and resp.json()["id"] == HELD
    assert "too large" in resp.json()["message"]
    assert _record(gateway, resp)["uninspected"][0]["cause"] == "too_large"


def test_a_file_sent_without_signing_in_is_refused_never_held(gateway: Gateway) -> None:
    """A plugin route Mattermost serves without a session (app/plugin_requests.go): a file
    that cannot be checked would be held, but there is nobody to notify or to weigh, and
    holding it would let anyone fill the review queue without credentials."""
    gateway.sim.clear()
    data = filegen.encrypted_zip(data=b"quarterly notes, nothing else\n")
    resp = httpx.post(f"{gateway.url}/plugins/com.example.tracker/webhook?secret=abc", content=data,
                      headers={"Content-Type": "application/zip"}, timeout=120)
    assert resp.status_code == 403, resp.text
    assert resp.json()["id"] == BLOCKED
    assert not [r for r in gateway.sim.requests() if r["path"].startswith("/plugins/")]
    record = next(r for r in archive_records(gateway.data_dir)
                  if r.get("type") == "decision" and r.get("request_id") == resp.json()["request_id"])
    assert record["action"] == "block" and record["rule_id"] == "uninspected-encrypted", record
    assert "never held" in record["reason"]
