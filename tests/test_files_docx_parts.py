"""Content Word shows that lives outside the document's runs (attack pass 3, F8): an
``altChunk`` (HTML, MHT) Word imports on open, a content control bound to a custom XML
part, a simple field's code, a content control's title, a chart's cached values.  Real
.docx files built by the tests; one stop goes through the real gateway."""

from __future__ import annotations

import base64
import io
import zipfile

import httpx
import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.policy.testing import SSN
from tests import filegen
from tests.conftest import Gateway

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
LINE = f"client SSN {SSN}"


def _with(parts: dict[str, bytes], body_xml: str = "") -> bytes:
    """filegen's clean memo with ``parts`` added and ``body_xml`` put before the body's end."""
    src = zipfile.ZipFile(io.BytesIO(filegen.docx_table([["quarterly", "memo"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml" and body_xml:
                text = data.decode()
                cut = text.rindex("<w:sectPr") if "<w:sectPr" in text else text.rindex("</w:body>")
                data = (text[:cut] + body_xml + text[cut:]).encode()
            zf.writestr(info, data)
        for name, data in parts.items():
            zf.writestr(name, data)
    return out.getvalue()


MHT = ("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"b\"\r\n\r\n--b\r\n"
       "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n"
       + base64.b64encode(f"<html><body><p>{LINE}</p></body></html>".encode()).decode() + "\r\n--b--\r\n")

CASES: dict[str, tuple[dict[str, bytes], str]] = {
    "altchunk-html": ({"word/chunk.html": f"<html><body><p>{LINE}</p></body></html>".encode()},
                      '<w:altChunk xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                      'r:id="rIdChunk"/>'),
    "altchunk-mht": ({"word/chunk.mht": MHT.encode()}, ""),
    "custom-xml": ({"customXml/item9.xml": f"<client><ssn>{SSN}</ssn></client>".encode()}, ""),
    "chart-cache": ({"word/charts/chart1.xml": (
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart><c:title><c:tx>'
        f'<c:strRef><c:strCache><c:pt idx="0"><c:v>{LINE}</c:v></c:pt></c:strCache></c:strRef></c:tx></c:title>'
        '</c:chart></c:chartSpace>').encode()}, ""),
    "fldsimple-quote": ({}, f'<w:p><w:fldSimple w:instr=\' QUOTE "{LINE}" \'><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>'),
    "sdt-alias": ({}, f'<w:sdt><w:sdtPr><w:alias w:val="{LINE}"/><w:tag w:val="t"/></w:sdtPr>'
                      '<w:sdtContent><w:p><w:r><w:t>x</w:t></w:r></w:p></w:sdtContent></w:sdt>'),
}


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_word_shows_outside_the_runs_is_read(detector: Engine, case: str) -> None:
    parts, body = CASES[case]
    ex = extract(_with(parts, body), filename="memo.docx")
    found = {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}
    assert "US_SSN" in found, [(s.location, s.text[:80]) for s in ex.segments]


def test_the_clean_memo_stays_clean(detector: Engine) -> None:
    ex = extract(_with({}, ""), filename="memo.docx")
    assert ex.complete, ex.problems
    assert not [f for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5]


def test_an_altchunk_docx_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    gateway.sim.clear()
    parts, body = CASES["altchunk-html"]
    resp = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                      data={"channel_id": gateway.sim.channel("town_square")},
                      files={"files": ("memo.docx", _with(parts, body))}, timeout=120)
    assert resp.status_code == 403, resp.text
    assert not [r for r in gateway.sim.requests() if r["path"] == "/api/v4/files"]
