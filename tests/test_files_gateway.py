"""Documents through the running gateway, uploaded with the official client's uploadFile.

Real files made by tests/filegen.py: every stopped file never reaches Mattermost
(the simulator's record proves it), clean files do, and files that cannot be
fully inspected (encrypted, bombs) are held for review, never passed silently.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests import filegen
from tests.conftest import Gateway, archive_records

JS_DIR = Path(__file__).resolve().parent / "js"
pytestmark = pytest.mark.js


def _upload_js(gw: Gateway, tmp_path: Path, data: bytes, name: str, channel: str = "town_square") -> dict:
    if not (JS_DIR / "node_modules" / "@mattermost" / "client").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, capture_output=True, timeout=600)
    path = tmp_path / name
    path.write_bytes(data)
    env = {**os.environ, "BASE_URL": gw.url, "MM_TOKEN": gw.sim.token("alice"), "CHANNEL_ID": gw.sim.channel(channel)}
    out = subprocess.run(["node", str(JS_DIR / "upload_file.mjs"), str(path), name], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _files_reached(gw: Gateway) -> list[dict]:
    return [r for r in gw.sim.requests() if r["path"] == "/api/v4/files"]


STOPPED: list[tuple[str, Callable[[], bytes], str]] = [
    ("pdf-hidden-text", lambda: filegen.pdf_document(visible="quarterly review"), "report.pdf"),
    ("docx", filegen.docx_document, "letter.docx"),
    ("xlsx-hidden-sheet", filegen.xlsx_document, "clients.xlsx"),
    ("pptx-notes", filegen.pptx_document, "deck.pptx"),
    ("nested-zip", filegen.nested_zip, "bundle.zip"),
    ("pdf-named-txt", lambda: filegen.pdf_document(visible="nothing"), "innocent.txt"),
    # shown only in what a viewer draws: a picture beside a sentence, a lying ToUnicode map
    ("pdf-text-plus-image", lambda: filegen.pdf_drawn("text-plus-image"), "memo.pdf"),
    ("pdf-tounicode-lie", filegen.pdf_tounicode_lie, "statement.pdf"),
    # an embedded font whose ToUnicode map reads its digits as letters, the SSN on page 12
    # (past pdf.FONT_RENDER_PAGES: found by the font check, files/pdf.py _FontCheck)
    ("pdf-embedded-font-lie-page-12", lambda: filegen.pdf_embedded_font_pages(12, secret_page=12, lie=True),
     "report.pdf"),
]


@pytest.mark.parametrize(("name", "make", "filename"), STOPPED, ids=[s[0] for s in STOPPED])
def test_document_with_identifier_is_stopped(gateway: Gateway, tmp_path: Path, name: str,
                                             make: Callable[[], bytes], filename: str) -> None:
    gateway.sim.clear()
    out = _upload_js(gateway, tmp_path, make(), filename)
    assert out["ok"] is False and not out.get("network"), out
    assert out["status_code"] == 403
    assert out["server_error_id"] in ("api.dlp.blocked.app_error", "api.dlp.quarantined.app_error")
    assert _files_reached(gateway) == []


def test_large_uploads_are_parsed_off_the_event_loop_and_judged_alike(gateway: Gateway) -> None:
    """Bodies above INLINE_EXTRACT_BYTES are decoded and parsed in a file worker process: the same
    decisions and the same refusals as the inline path."""
    from dlp_proxy.gateway.pipeline import INLINE_EXTRACT_BYTES

    auth = {"Authorization": f"Bearer {gateway.sim.token('alice')}"}
    channel = gateway.sim.channel("town_square")
    filler = b"Quarterly suitability review, holdings rebalanced per model, no exceptions noted.\n"
    clean = filler * (INLINE_EXTRACT_BYTES // len(filler) + 100)
    assert len(clean) > INLINE_EXTRACT_BYTES
    gateway.sim.clear()
    r = httpx.post(f"{gateway.url}/api/v4/files", headers=auth, data={"channel_id": channel},
                   files={"files": ("notes.txt", clean, "text/plain")}, timeout=60)
    assert r.status_code == 201, r.text
    assert len(_files_reached(gateway)) == 1
    gateway.sim.clear()
    dirty = clean + f"client SSN {filegen.SSN_BODY}\n".encode()
    r = httpx.post(f"{gateway.url}/api/v4/files", headers=auth, data={"channel_id": channel},
                   files={"files": ("notes.txt", dirty, "text/plain")}, timeout=60)
    assert r.status_code == 403 and r.json()["id"] in ("api.dlp.blocked.app_error", "api.dlp.quarantined.app_error")
    # a large body whose multipart framing is broken is refused, never forwarded
    broken = b"--b0undary\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x.txt\"\r\n\r\n" + clean
    r = httpx.post(f"{gateway.url}/api/v4/files", content=broken,
                   headers={**auth, "Content-Type": "multipart/form-data; boundary=b0undary"}, timeout=60)
    assert r.status_code == 400 and r.json()["id"] == "api.dlp.bad_request.app_error", r.text
    assert _files_reached(gateway) == []


def test_finding_location_is_recorded(gateway: Gateway, tmp_path: Path) -> None:
    gateway.sim.clear()
    r = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                   files={"files": ("clients.xlsx", filegen.xlsx_document())},
                   data={"channel_id": gateway.sim.channel("town_square")}, timeout=60)
    assert r.status_code == 403
    rec = next(x for x in archive_records(gateway.data_dir) if x.get("request_id") == r.json()["request_id"])
    paths = {f["path"] for f in rec["findings"]}
    assert any("sheet=" in p for p in paths), paths


def test_clean_documents_go_through(gateway: Gateway, tmp_path: Path) -> None:
    gateway.sim.clear()
    out = _upload_js(gateway, tmp_path, filegen.pdf_pages(3), "minutes.pdf")
    assert out["ok"] is True, out
    assert out["file_infos"][0]["name"] == "minutes.pdf"
    assert len(_files_reached(gateway)) == 1


@pytest.mark.parametrize(("name", "make"), [
    ("encrypted-pdf", filegen.pdf_encrypted),
    ("zip-bomb", lambda: filegen.ratio_bomb(16 * 1024 * 1024)),
    ("encrypted-office", filegen.cfb_encrypted_office),
])
def test_uninspectable_file_is_held_never_passed(gateway: Gateway, tmp_path: Path, name: str, make: Callable[[], bytes]) -> None:
    gateway.sim.clear()
    out = _upload_js(gateway, tmp_path, make(), f"{name}.bin")
    assert out["ok"] is False and out["status_code"] == 403, out
    assert out["server_error_id"] == "api.dlp.quarantined.app_error"
    assert _files_reached(gateway) == []
