"""OpenDocument text outside what the specific readings read (attack pass 10, F18, F21,
F22): a Calc text box on a sheet, text directly under ``office:spreadsheet`` or
``office:presentation``, a named expression's string constant, a form control's value,
a master page's shape, a sheet's name, and any package member the ODF reading does not
read (``notes.txt``, ``Thumbnails/x.xml``, an embedded object's ``content.xml``, a text
file named like a picture).  Real packages built by the tests with zipfile; one stop
goes through the real gateway."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.limits import Limits
from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway

LINE = f"Client SSN {SSN}"
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:form="urn:oasis:names:tc:opendocument:xmlns:form:1.0" '
      'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
      'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2"')
MIME = {"ods": "application/vnd.oasis.opendocument.spreadsheet", "odt": "application/vnd.oasis.opendocument.text",
        "odp": "application/vnd.oasis.opendocument.presentation", "odg": "application/vnd.oasis.opendocument.graphics"}
MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="{mt}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
CELL = ('<table:table-row><table:table-cell office:value-type="string"><text:p>{}</text:p>'
        '</table:table-cell></table:table-row>')


def package(kind: str, body: str, *, styles: str = "", members: dict[str, bytes] | None = None,
            head: str = "", after_mimetype: str = "", in_manifest: str = "") -> bytes:
    """An ODF package of ``kind`` whose content.xml's office:body is ``body`` (and
    styles.xml's office:master-styles ``styles``; ``head`` before the body; ``after_mimetype`` after the media type in ``mimetype``,
    ``in_manifest`` at the manifest's end), with ``members`` added."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), MIME[kind] + after_mimetype)
        zf.writestr("META-INF/manifest.xml", MANIFEST.format(mt=MIME[kind]).replace(
            "</manifest:manifest>", in_manifest + "</manifest:manifest>"))
        zf.writestr("content.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}>'
                                   f"{head}<office:body>{body}</office:body></office:document-content>")
        zf.writestr("styles.xml", f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {NS}>'
                                  f"<office:master-styles>{styles}</office:master-styles></office:document-styles>")
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return out.getvalue()


def sheet(inside: str = "", outside: str = "", name: str = "S1") -> str:
    return (f'<office:spreadsheet>{outside}<table:table table:name="{name}">{inside}{CELL.format("Q4")}'
            "</table:table></office:spreadsheet>")


def text_box(text: str) -> str:
    return f'<draw:frame svg:width="5cm" svg:height="1cm"><draw:text-box><text:p>{text}</text:p></draw:text-box></draw:frame>'


def named_expression(text: str) -> str:
    return ('<table:named-expressions><table:named-range table:name="client" table:base-cell-address="$S1.$A$1" '
            f'table:cell-range-address="$S1.$A$1"/><table:named-expression table:name="note" '
            f'table:expression="&quot;{text}&quot;"/></table:named-expressions>')


def form_control(text: str) -> str:
    return (f'<office:forms><form:form form:name="F"><form:text form:name="t1" form:id="c1" form:current-value="{text}"/>'
            "</form:form></office:forms>")


def slides(inside: str = "", outside: str = "") -> str:
    return f'<office:presentation>{outside}<draw:page draw:name="p1">{text_box("Q4")}{inside}</draw:page></office:presentation>'


#: case -> (kind, a builder of the package holding ``text``)
CASES = {
    "ods-text-box-on-sheet": ("ods", lambda t: package("ods", sheet(inside=f"<table:shapes>{text_box(t)}</table:shapes>"))),
    "ods-text-outside-table": ("ods", lambda t: package("ods", sheet(outside=f"<text:p>{t}</text:p>"))),
    "ods-named-expression": ("ods", lambda t: package("ods", sheet(outside=named_expression(t)))),
    "ods-form-control-value": ("ods", lambda t: package("ods", sheet(inside=form_control(t)))),
    "ods-sheet-name": ("ods", lambda t: package("ods", sheet(name=t))),
    "ods-master-page-footer-shape": ("ods", lambda t: package(
        "ods", sheet(), styles=f'<style:master-page style:name="Default"><draw:custom-shape><text:p>{t}</text:p>'
                               "</draw:custom-shape></style:master-page>")),
    "odp-text-outside-page": ("odp", lambda t: package("odp", slides(outside=f"<text:p>{t}</text:p>"))),
    "odp-master-page-shape": ("odp", lambda t: package(
        "odp", slides(), styles=f'<style:master-page style:name="M">{text_box(t)}</style:master-page>')),
    "odp-form-control-value": ("odp", lambda t: package("odp", slides(inside=form_control(t)))),
    "odg-text-outside-page": ("odg", lambda t: package(
        "odg", f'<office:drawing><draw:page draw:name="p1"/></office:drawing><text:p>{t}</text:p>')),
    "odt-text-outside-body": ("odt", lambda t: package(
        "odt", "<office:text><text:p>Q4</text:p></office:text>", head=f"<text:p>{t}</text:p>")),
    "ods-mimetype-tail": ("ods", lambda t: package("ods", sheet(), after_mimetype=f"\n{t}")),
    "odt-manifest-text": ("odt", lambda t: package(
        "odt", "<office:text><text:p>Q4</text:p></office:text>", in_manifest=f"<manifest:note>{t}</manifest:note>")),
    **{f"{kind}-member-{member}": (kind, (lambda k, m: lambda t: package(
        k, sheet() if k == "ods" else slides() if k == "odp" else "<office:text><text:p>Q4</text:p></office:text>",
        members={m: t.encode()}))(kind, member))
       for kind in ("ods", "odt", "odp")
       for member in ("notes.txt", "Thumbnails/x.xml", "Object 1/content.xml", "Pictures/readme.txt", "Pictures/scan.png")},
}


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _found(detector: Engine, data: bytes, name: str) -> set[str]:
    ex = extract(data, filename=name, limits=Limits(ocr=False))
    assert ex.complete, ex.problems
    return {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_outside_the_specific_reading_is_read(detector: Engine, case: str) -> None:
    kind, build = CASES[case]
    assert "US_SSN" in _found(detector, build(LINE), f"q4.{kind}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_package_with_a_harmless_text_stays_clean(detector: Engine, case: str) -> None:
    kind, build = CASES[case]
    assert not _found(detector, build("Quarterly figures, see sheet 2"), f"q4.{kind}")


def test_a_flat_xml_spreadsheet_is_read_whole(detector: Engine) -> None:
    """A flat .fods is XML: every text node and attribute is read (``plain``)."""
    data = (f'<?xml version="1.0"?><office:document {NS} office:mimetype="{MIME["ods"]}"><office:body>'
            f'{sheet(inside=f"<table:shapes>{text_box(LINE)}</table:shapes>", outside=named_expression(LINE))}'
            "</office:body></office:document>").encode()
    assert "US_SSN" in _found(detector, data, "q4.fods")


def test_an_ods_text_box_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    gateway.sim.clear()
    data = CASES["ods-text-box-on-sheet"][1](LINE)
    resp = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                      data={"channel_id": gateway.sim.channel("town_square")},
                      files={"files": ("q4.ods", data)}, timeout=120)
    assert resp.status_code == 403, resp.text
    assert not [r for r in gateway.sim.requests() if r["path"] == "/api/v4/files"]


@pytest.mark.parametrize("member", ["notes.txt", "Pictures/scan.png"])
def test_a_member_is_read_with_ocr_on_too(detector: Engine, member: str) -> None:
    ex = extract(package("ods", sheet(), members={member: LINE.encode()}), filename="q4.ods")
    assert "US_SSN" in {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}
