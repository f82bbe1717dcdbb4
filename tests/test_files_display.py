"""Text read as the recipient's application displays it (issue 19, issue 14 item 7).

Real files made by tests/filegen.py: text hidden *inside* an identifier (hidden, white,
tiny, invisible or off-page runs in docx/pptx/PDF, undrawn SVG text), hidden spreadsheet
columns between its parts, a later frame of an animation, small text in a screenshot,
a package holding two entries of one name and SVG text drawn in another order than it
is written.  Each is read as displayed as well as stored; the end-to-end tests send one
of each class through the running gateway with the official client.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.files import Limits, extract
from dlp_proxy.interfaces import Extraction
from tests import filegen

SSN = "".join(filegen.SSN_SPLIT)


def _segments(ex: Extraction) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in ex.segments:
        out[s.location] = out.get(s.location, "") + s.text
    return out


def _found_at(ex: Extraction, needle: str = SSN) -> list[str]:
    return [loc for loc, text in _segments(ex).items() if needle in text]


# -- 1. text hidden from display inside an identifier -------------------------------


@pytest.mark.parametrize("mode", ["hidden", "spec", "white", "tiny", "style"])
def test_docx_run_hidden_inside_an_identifier(mode: str) -> None:
    ex = extract(filegen.docx_hidden_inside(mode))
    assert ex.complete and ex.file_type == "docx"
    segs = _segments(ex)
    assert f"{filegen.SSN_SPLIT[0]}{filegen.HIDDEN}{filegen.SSN_SPLIT[1]}" in segs["body"]  # stored text kept
    assert _found_at(ex) == ["body/displayed"]


def test_docx_without_hidden_runs_has_one_reading() -> None:
    ex = extract(filegen.docx_table([["Name", "Ann Example"]], text="Client onboarding checklist"))
    assert not [loc for loc in _segments(ex) if "displayed" in loc]


@pytest.mark.parametrize("mode", ["hidden", "white", "tiny"])
def test_odt_span_hidden_inside_an_identifier(mode: str) -> None:
    ex = extract(filegen.odt_hidden_inside(mode))
    assert ex.complete and ex.file_type == "odt"
    assert filegen.HIDDEN in _segments(ex)["body"]
    assert _found_at(ex) == ["body/displayed"]


@pytest.mark.parametrize("mode", ["white", "tiny"])
def test_pptx_run_hidden_inside_an_identifier(mode: str) -> None:
    ex = extract(filegen.pptx_hidden_inside(mode))
    assert ex.complete and ex.file_type == "pptx"
    assert _found_at(ex) == ["slide=1/displayed"]


@pytest.mark.parametrize("mode", ["invisible", "white", "tiny", "offpage"])
def test_pdf_text_hidden_inside_an_identifier(mode: str) -> None:
    ex = extract(filegen.pdf_hidden_inside(mode))
    assert ex.complete and ex.file_type == "pdf"
    segs = _segments(ex)
    assert filegen.HIDDEN in segs["page=1"]
    assert _found_at(ex) == ["page=1/displayed"]


def test_pdf_without_hidden_text_has_one_reading() -> None:
    ex = extract(filegen.pdf_pages(2))
    assert ex.complete and not [loc for loc in _segments(ex) if "displayed" in loc]


@pytest.mark.parametrize("mode", ["white", "tiny"])
@pytest.mark.parametrize("rows", [1, 5000], ids=["cells", "table"])
def test_xlsx_rich_text_run_hidden_inside_an_identifier(mode: str, rows: int) -> None:
    """A white or 1-pt run of a cell's rich text; a small sheet is read cell by cell, a
    large one as a table (whose line holds the displayed text, the stored text a segment)."""
    ex = extract(filegen.xlsx_hidden_run(mode, rows=rows))
    assert ex.complete
    segs = _segments(ex)
    assert f"{filegen.SSN_SPLIT[0]}{filegen.HIDDEN}{filegen.SSN_SPLIT[1]}" in segs["sheet=Sheet!A2"]
    found = _found_at(ex)
    assert len(found) == 1, found
    assert found[0] == "sheet=Sheet!A2/displayed" if rows == 1 else found[0].startswith("sheet=Sheet/lines=1-"), found


# -- 2. hidden spreadsheet columns between the parts ----------------------------------


def test_xlsx_hidden_column_between_the_groups() -> None:
    ex = extract(filegen.xlsx_hidden_column())
    segs = _segments(ex)
    assert "536 | 99 | 22 | 8710" in segs["sheet=Sheet!row=2"]
    assert "536 | 22 | 8710" in segs["sheet=Sheet!row=2 (displayed)"]
    assert "sheet=Sheet!D2 (hidden column)" in segs  # the hidden cell is still read


# -- 3. animations: every distinct frame ------------------------------------------------


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP"])
def test_identifier_in_a_later_frame_is_read(fmt: str) -> None:
    clean = filegen.screenshot_lines()
    data = filegen.animated(fmt, [clean, filegen.screenshot_lines(ssn=SSN), clean])
    ex = extract(data)
    assert ex.complete, ex.problems
    found = [loc for loc, text in _segments(ex).items() if SSN in "".join(text.split())]
    # and in the frames' joined reading (``ocr/frames``)
    assert found and all(loc.startswith(("frame=2/", "ocr/frames")) for loc in found), found
    if fmt != "WEBP":  # lossy WebP frames of one picture differ slightly: each is read
        assert not any(loc.startswith("frame=3/") for loc in _segments(ex))  # a repeated frame is not read again


def test_too_many_distinct_frames_is_held(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlp_proxy.files import images
    from dlp_proxy.files.limits import PROBLEM_CAUSES

    monkeypatch.setattr(images, "MAX_FRAMES", 2)
    frames = [[f"status update {n}", "all clear"] for n in range(3)]
    ex = extract(filegen.animated("GIF", frames))
    assert not ex.complete and "frame-limit" in ex.problems
    assert PROBLEM_CAUSES["frame-limit"] == "too_large"


# -- 4. small text -------------------------------------------------------------------


@pytest.mark.parametrize("px", [10, 12])
def test_small_screenshot_text_is_read(px: int) -> None:
    ex = extract(filegen.screenshot(filegen.screenshot_lines(ssn=SSN), px))
    assert ex.complete
    assert SSN in "".join("".join(s.text for s in ex.segments).split())


# -- 5. two entries of one name -------------------------------------------------------


def test_docx_with_two_document_parts_reads_both() -> None:
    data = filegen.docx_duplicate_document()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names.count("word/document.xml") == 2
    ex = extract(data)
    assert ex.file_type == "docx"
    assert _found_at(ex) == ["entry-copy=1/body"]  # the first copy: Python's zipfile reads the last
    assert "Quarterly review notes" in _segments(ex)["body"]


def test_odt_with_two_content_parts_reads_both() -> None:
    clean = filegen.odt_document()
    content = zipfile.ZipFile(io.BytesIO(clean)).read("content.xml").decode()
    first = content.replace(filegen.SSN_ODT, f"marker {SSN}")
    ex = extract(filegen.with_duplicate_entry(clean, "content.xml", first.encode()))
    assert any(loc.startswith("entry-copy=1/") for loc in _found_at(ex))


def test_too_many_copies_of_an_entry_is_unreadable() -> None:
    clean = filegen.docx_table([["Item", "Status"]])
    data = clean
    for n in range(5):
        data = filegen.with_duplicate_entry(data, "word/document.xml", f"<x>{n}</x>".encode())
    ex = extract(data)
    assert not ex.complete and "corrupt" in ex.problems


# -- 6. SVG --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["tspans", "entity", "hidden", "texts", "css"])
def test_svg_is_read_as_drawn(mode: str) -> None:
    ex = extract(filegen.svg_split(mode))
    assert ex.complete
    assert "svg/displayed" in _found_at(ex)
    assert _segments(ex)["svg/displayed"] == f"Client SSN {SSN}"


@pytest.mark.parametrize("head", [
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n',
    "<!-- Generator: a vector editor -->\n",
    '\ufeff<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n',
], ids=["doctype", "comment", "bom"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_svg_as_editors_write_it_is_read_as_drawn(head: str, encoding: str) -> None:
    data = (head + filegen.svg_split("tspans").decode()).encode(encoding)
    ex = extract(data)
    assert _segments(ex).get("svg/displayed") == f"Client SSN {SSN}"


def test_svg_entities_cannot_amplify() -> None:
    levels = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 9))
    data = (f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY e0 "aaaaaaaaaa">{levels}'
            f'<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f'<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="9">&e8;&x;</text></svg>').encode()
    ex = extract(data, limits=Limits(max_seconds=10))
    assert sum(len(s.text) for s in ex.segments) < 10_000
    assert "root:" not in "".join(s.text for s in ex.segments)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400), st.text(max_size=200))
def test_hostile_svg_never_raises(noise: bytes, text: str) -> None:
    from dlp_proxy.files.svg import add_svg_reading, displayed_text, parse_svg

    data = b'<svg xmlns="http://www.w3.org/2000/svg"><text x="' + noise[:20] + b'">' + noise + b"</text>" + \
        text.encode("utf-8", "replace") + b"</svg>"
    root = parse_svg(data)
    if root is not None:
        displayed_text(root)
    extract(data)
    assert add_svg_reading is not None


# -- end to end through the gateway ---------------------------------------------------------

E2E = [
    ("docx-hidden-run", lambda: filegen.docx_hidden_inside("hidden"), "letter.docx"),
    ("pdf-invisible", lambda: filegen.pdf_hidden_inside("invisible"), "report.pdf"),
    ("xlsx-hidden-column", filegen.xlsx_hidden_column, "clients.xlsx"),
    ("gif-later-frame", lambda: filegen.animated(
        "GIF", [filegen.screenshot_lines(), filegen.screenshot_lines(ssn=SSN)]), "status.gif"),
    ("png-10px", lambda: filegen.screenshot(filegen.screenshot_lines(ssn=SSN), 10), "screen.png"),
    ("docx-duplicate-part", filegen.docx_duplicate_document, "notes.docx"),
    ("svg-tspans", lambda: filegen.svg_split("tspans"), "chart.svg"),
]


@pytest.mark.js
@pytest.mark.parametrize(("name", "make", "filename"), E2E, ids=[e[0] for e in E2E])
def test_displayed_identifier_is_stopped_by_the_gateway(gateway, tmp_path: Path, name: str, make, filename: str) -> None:  # type: ignore[no-untyped-def]
    from tests.test_files_gateway import _files_reached, _upload_js

    gateway.sim.clear()
    out = _upload_js(gateway, tmp_path, make(), filename)
    assert out["ok"] is False and not out.get("network"), out
    assert out["status_code"] == 403
    assert out["server_error_id"] in ("api.dlp.blocked.app_error", "api.dlp.quarantined.app_error")
    assert _files_reached(gateway) == []


def _too_many_frames() -> bytes:
    from dlp_proxy.files import images

    return filegen.animated("GIF", [[f"status update {n}", "all clear"] for n in range(images.MAX_FRAMES + 2)])


def _too_many_copies() -> bytes:
    data = filegen.docx_table([["Item", "Status"]])
    for n in range(5):
        data = filegen.with_duplicate_entry(data, "word/document.xml", f"<x>{n}</x>".encode())
    return data


UNCHECKABLE = [("too-many-frames", _too_many_frames, "status.gif"),
               ("too-many-copies", _too_many_copies, "notes.docx")]


@pytest.mark.js
@pytest.mark.parametrize(("name", "make", "filename"), UNCHECKABLE, ids=[u[0] for u in UNCHECKABLE])
def test_uncheckable_file_is_held_as_such(gateway, tmp_path: Path, name: str, make, filename: str) -> None:  # type: ignore[no-untyped-def]
    """More distinct frames than are read, more copies of a package entry than are read:
    held, and the sender is told the file "could not be checked"."""
    from tests.test_files_gateway import _files_reached, _upload_js

    gateway.sim.clear()
    out = _upload_js(gateway, tmp_path, make(), filename)
    assert out["ok"] is False and out["status_code"] == 403, out
    assert "could not be checked" in out.get("message", ""), out
    assert _files_reached(gateway) == []


_OPS = ["q", "Q", "BT", "ET", "1 0 0 1 72 700 Tm", "-600 0 Td", "0 -14 TD", "T*", "3 Tr", "0 Tr", "7 Tr",
        "1 1 1 rg", "0 g", "1 g", "0 0 0 0 k", "/F1 12 Tf", "/F1 0.5 Tf", "/F9 8 Tf", "5 Tz", "100 Tz",
        "(536-22-) Tj", "(lorem) Tj", "(8710) Tj", "[(87) -20 (10)] TJ", "(x) '", "1 2 (y) \"",
        "2 0 0 2 0 0 cm", "0.01 0 0 0.01 0 0 cm", "12 TL", "(", ")", "[", "]", "Tj", "/Nope Do", "1e9 Tm"]


def _raw_pdf(content: bytes) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(content)
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_OPS), max_size=40))
@example(["(536-22-) Tj", "/F9 8 Tf", "(lorem) Tj"])  # found by the full run
def test_hostile_pdf_content_stream_never_raises(ops: list[str]) -> None:
    from dlp_proxy.files import PROBLEM_CODES

    ex = extract(_raw_pdf(" ".join(ops).encode()), limits=Limits(max_seconds=20, ocr=False))
    assert set(ex.problems) <= set(PROBLEM_CODES)
    segs = _segments(ex)
    stored = segs.get("page=1", "")
    # the displayed reading never shows text the stored one lacks, where the stored one
    # could decode every glyph: after a font the page does not define (/F9), pypdf's
    # reading gives U+FFFD where the displayed reading keeps the bytes as text -- more
    # text, judged as well, never less
    if "page=1/displayed" in segs and "\ufffd" not in stored:
        assert set("".join(segs["page=1/displayed"].split())) <= set("".join(stored.split()))


def test_zip_archive_with_two_members_of_one_name_reads_both() -> None:
    clean = filegen.zip_of({"notes.csv": b"item,status\nreview,done\n"})
    data = filegen.with_duplicate_entry(clean, "notes.csv", f"client,ssn\nAnn,{SSN}\n".encode())
    ex = extract(data)
    assert ex.complete
    assert _found_at(ex)  # the first copy, which Python's zipfile would not open by name
    assert any("review,done" in t for t in _segments(ex).values())
