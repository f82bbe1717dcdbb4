"""dlp_proxy.files.extract over real documents made by tests/filegen.py."""

from __future__ import annotations

import os
import sys
import zipfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import filegen as g  # noqa: E402

from dlp_proxy.files import PROBLEM_CODES, Limits, extract, refine_location, sniff  # noqa: E402


def where(extraction, needle: str) -> list[str]:
    return [s.location for s in extraction.segments if needle in s.text]


# (document factory, expected type, [(identifier, expected location)])
DOCUMENTS = [
    (
        g.pdf_document,
        "pdf",
        [
            (g.SSN_BODY, "page=1"),
            (g.SSN_WHITE, "page=2"),
            (g.SSN_OFFPAGE, "page=2"),
            (g.SSN_INVISIBLE, "page=2"),
            (g.SSN_FORM, "page=2/form:client_ssn"),
        ],
    ),
    (
        g.docx_document,
        "docx",
        [
            (g.SSN_BODY, "body"),
            (g.SSN_HIDDEN_RUN, "body"),
            (g.SSN_COMMENT, "comments"),
            (g.SSN_HEADER, "header"),
            (g.SSN_FOOTER, "footer"),
        ],
    ),
    (
        g.xlsx_document,
        "xlsx",
        [
            (g.SSN_CELL, "sheet=Clients!B7"),
            (g.SSN_HIDDEN_ROW, "sheet=Clients!B9 (hidden row)"),
            (g.SSN_HIDDEN_SHEET, "sheet=Hidden!A1 (hidden)"),
            ("536221234", "sheet=Clients!C7"),
            (g.SSN_COMMENT, "sheet=Clients!A2/comment"),
        ],
    ),
    (g.pptx_document, "pptx", [(g.SSN_SLIDE, "slide=2"), (g.SSN_NOTES, "slide=2/notes")]),
    (g.odt_document, "odt", [(g.SSN_ODT, "body"), (g.SSN_COMMENT, "comments")]),
    (g.ods_document, "ods", [(g.SSN_CELL, "sheet=Clients!B2")]),
    (g.rtf_document, "rtf", [(g.SSN_RTF, "lines=1-2"), ("536-22-6009", "raw")]),
    (
        g.eml_message,
        "eml",
        [(g.SSN_EML, "body"), (g.SSN_ATTACH, "attachment=clients.csv/lines=1-2"), ("client@example.org", "headers")],
    ),
    (g.nested_zip, "zip", [(g.SSN_NESTED, "member=inner.zip/clients.csv/lines=1-3"), ("inner.zip", "members")]),
    (
        lambda: g.tgz_of({"export/clients.csv": f"ssn\n{g.SSN_NESTED}\n".encode()}),
        "gzip",
        [(g.SSN_NESTED, "member=(gunzip)/export/clients.csv/lines=1-2")],
    ),
    (
        lambda: g.tar_of({"clients.csv": f"ssn\n{g.SSN_NESTED}\n".encode()}),
        "tar",
        [(g.SSN_NESTED, "member=clients.csv/lines=1-2")],
    ),
    (
        lambda: g.gzip_named("clients.csv", f"ssn\n{g.SSN_NESTED}\n".encode()),
        "gzip",
        [(g.SSN_NESTED, "member=clients.csv/lines=1-2")],
    ),
    (g.pdf_owner_only, "pdf", [(g.SSN_BODY, "page=1")]),
    (
        lambda: g.zip_of({"report.docx": g.docx_document(), "book.xlsx": g.xlsx_document()}),
        "zip",
        [(g.SSN_HEADER, "member=report.docx/header"), (g.SSN_HIDDEN_SHEET, "member=book.xlsx/sheet=Hidden!A1 (hidden)")],
    ),
    (
        g.pdf_with_zip_appended,
        "pdf",
        [(g.SSN_BODY, "page=1"), (g.SSN_NESTED, "polyglot=zip/member=hidden.csv/lines=1-2")],
    ),
]


@pytest.mark.parametrize("factory,file_type,expected", DOCUMENTS, ids=lambda v: getattr(v, "__name__", None))
def test_documents_every_text_layer_with_location(factory, file_type, expected):
    extraction = extract(factory(), filename="upload.bin")
    assert extraction.file_type == file_type
    assert extraction.complete, extraction.problems
    for needle, location in expected:
        assert location in where(extraction, needle), (needle, where(extraction, needle))


def test_type_is_decided_by_content_not_name():
    pdf = g.pdf_document(1)
    as_txt = extract(pdf, filename="notes.txt")
    assert as_txt.file_type == "pdf"
    assert where(as_txt, g.SSN_BODY) == ["page=1"]
    # and a CSV called .pdf is text
    csv = extract(b"ssn\n536-22-1234\n", filename="report.pdf")
    assert csv.file_type in ("text", "csv") and csv.complete


@pytest.mark.parametrize(
    "data,file_type",
    [
        (b"%PDF-1.7\n", "pdf"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"{\\rtf1 hi}", "rtf"),
        (b"\x89PNG\r\n\x1a\n", "png"),
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"7z\xbc\xaf\x27\x1c", "7z"),
        (b"Rar!\x1a\x07\x00", "rar"),
        (g.cfb_encrypted_office(), "cfb-encrypted"),
        (b"From: a@example.com\nSubject: hi\n\nbody", "eml"),
    ],
)
def test_sniff_magic(data, file_type):
    assert sniff(data) == file_type


TEXTS = [
    ("utf-8", "ssn 536-22-1234 café\n".encode(), "text"),
    ("utf-8-bom", "\ufeffssn 536-22-1234 café\n".encode(), "text"),
    ("utf-16-bom", "ssn 536-22-1234 café\n".encode("utf-16"), "text"),
    ("utf-16-le-nobom", "ssn 536-22-1234 café\n".encode("utf-16-le"), "text"),
    ("cp1252", "ssn 536-22-1234 café\n".encode("cp1252"), "text"),
    ("csv", b"name,ssn\nAnn,536-22-1234\nBob,000-00-0000\n", "csv"),
    ("tsv", b"name\tssn\nAnn\t536-22-1234\nBob\t000-00-0000\n", "tsv"),
    ("json", b'{"client": {"ssn": "536-22-1234"}}', "json"),
    ("json-escaped", b'{"ssn": "\\u0035\\u0033\\u0036-22-1234"}', "json"),
    ("xml", b'<?xml version="1.0"?><r><c ssn="536-22-1234"/><n>x</n></r>', "xml"),
    ("html", b"<!doctype html><html><body><p>SSN 536-<b>22</b>-1234</p></body></html>", "html"),
    ("html-attr", b'<html><body><img alt="536-22-1234"></body></html>', "html"),
    ("html-comment", b"<html><body><!-- 536-22-1234 --></body></html>", "html"),
    ("markdown", b"# Clients\n\n* Ann: `536-22-1234`\n", "text"),
]


@pytest.mark.parametrize("name,data,kind", TEXTS, ids=[t[0] for t in TEXTS])
def test_text_formats_decoded_and_stripped(name, data, kind):
    extraction = extract(data)
    assert extraction.complete
    assert extraction.file_type == kind
    joined = "\n".join(s.text for s in extraction.segments)
    assert "536-22-1234" in joined
    assert "<b>" not in joined and "<p>" not in joined
    if name.startswith(("utf", "cp")):
        assert "café" in joined


def test_line_locations_refine_to_the_exact_line():
    data = b"".join(f"row {i}\n".encode() for i in range(1, 20000)) + b"Ann,536-22-1234\n"
    extraction = extract(data)
    assert len(extraction.segments) > 1  # cut into blocks
    seg = next(s for s in extraction.segments if "536-22-1234" in s.text)
    assert refine_location(seg.location, seg.text, seg.text.index("536-22-1234")) == "line=20000"
    nested = extract(g.zip_of({"x.csv": data}))
    seg = next(s for s in nested.segments if "536-22-1234" in s.text)
    assert refine_location(seg.location, seg.text, seg.text.index("536-22-1234")) == "member=x.csv/line=20000"


# (name, factory, limits, expected problem)
HOSTILE = [
    ("encrypted-pdf", g.pdf_encrypted, None, "encrypted"),
    ("encrypted-ooxml-cfb", g.cfb_encrypted_office, None, "encrypted"),
    ("encrypted-zip", g.encrypted_zip, None, "encrypted"),
    ("zip-ratio-bomb", g.ratio_bomb, None, "zip-bomb"),
    ("gzip-ratio-bomb", g.gzip_bomb, None, "zip-bomb"),
    ("zip-too-deep", lambda: g.deep_zip(8), None, "depth-limit"),
    ("zip-too-many-entries", lambda: g.many_entries(60), Limits(max_entries=50), "entry-limit"),
    (
        "zip-total-size",
        lambda: g.zip_of({f"{i}.csv": b"a,b\n" * 150_000 for i in range(5)}),
        Limits(max_total_uncompressed_bytes=2_000_000),
        "size-limit",
    ),
    ("file-too-big", lambda: b"a,b\n" * 1000, Limits(max_file_bytes=1000), "size-limit"),
    ("too-many-pages", lambda: g.pdf_pages(5), Limits(max_pages=3), "page-limit"),
    ("too-much-text", lambda: b"word " * 1000, Limits(max_total_extracted_chars=100), "text-limit"),
    ("truncated-pdf", lambda: g.truncated(g.pdf_document()), None, "corrupt"),
    ("truncated-docx", lambda: g.truncated(g.docx_document()), None, "corrupt"),
    ("truncated-xlsx", lambda: g.truncated(g.xlsx_document()), None, "corrupt"),
    ("truncated-gzip", lambda: g.truncated(g.gzip_named("a.csv", os.urandom(5000))), None, "corrupt"),
    ("image-no-ocr", lambda: g.screenshot(["hello"], 14), Limits(ocr=False), "ocr-disabled"),
    ("image-truncated", lambda: b"\x89PNG\r\n\x1a\n" + bytes(64), None, "corrupt"),
    ("image-over-pixel-limit", lambda: g.screenshot(["hello"], 14), Limits(ocr_max_pixels=10_000), "ocr-limit"),
    ("legacy-office", lambda: g.cfb_encrypted_office().replace("Encrypt".encode("utf-16-le"), b"X\x00" * 7), None, "unsupported-type"),
    ("random-binary", lambda: bytes(range(256)) * 10, None, "unsupported-type"),
    ("seven-zip", lambda: b"7z\xbc\xaf\x27\x1c" + bytes(100), None, "unsupported-type"),
]


@pytest.mark.parametrize("name,factory,limits,problem", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_reported_incomplete(name, factory, limits, problem):
    extraction = extract(factory(), limits=limits)
    assert not extraction.complete
    assert problem in extraction.problems
    assert set(extraction.problems) <= set(PROBLEM_CODES)
    if limits is not None:
        assert sum(len(s.text) for s in extraction.segments) <= limits.max_total_extracted_chars


def test_depth_within_limit_is_complete():
    extraction = extract(g.deep_zip(4))
    assert extraction.complete
    assert where(extraction, g.SSN_NESTED) == ["member=level2.zip/level1.zip/level0.zip/clients.csv/lines=1-2"]


def test_encrypted_zip_is_really_encrypted_and_its_member_names_still_seen():
    data = g.encrypted_zip(name="536-22-1234.csv")
    zf = zipfile.ZipFile(__import__("io").BytesIO(data))
    zf.setpassword(b"pw")
    assert b"536-22-1234" in zf.read("536-22-1234.csv")  # a real ZipCrypto archive
    extraction = extract(data)
    assert extraction.problems == ("encrypted",)
    assert g.format_locations(where(extraction, "536-22-1234")) == ["members"]
    assert all("536-22-1234\n" not in s.text for s in extraction.segments)


def test_bomb_is_not_expanded():
    # a 64 MiB member must not be materialised: this runs far under the time a full
    # inflate + text scan would take, and produces no member text
    extraction = extract(g.ratio_bomb())
    assert g.format_locations([s.location for s in extraction.segments]) == ["members"]


def test_partial_text_survives_a_problem():
    data = g.zip_of({"ok.csv": b"ssn\n536-22-1234\n", "bomb.txt": b"\x00" * (8 << 20)})
    extraction = extract(data, limits=Limits(ratio_floor_bytes=1 << 20))
    assert extraction.problems == ("zip-bomb",)
    assert where(extraction, "536-22-1234") == ["member=ok.csv/lines=1-2"]


def test_polyglot_pdf_prefixed_garbage():
    data = b"junk header bytes " + g.pdf_document(1)
    extraction = extract(data)
    assert extraction.file_type == "pdf"
    assert where(extraction, g.SSN_BODY) == ["page=1"]


def test_time_limit_is_reported():
    # many small members: the deadline is checked between members
    data = g.zip_of({f"{i}.csv": b"a,b\n1,2\n" * 50 for i in range(3000)})
    extraction = extract(data, limits=Limits(max_seconds=0.05))
    assert "time-limit" in extraction.problems
    assert not extraction.complete


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_budget_counts_cpu_time_with_a_wall_bound():
    from dlp_proxy.files.limits import Budget, TimeUp

    cpu, wall = _Clock(), _Clock()
    budget = Budget(Limits(max_seconds=10, max_wall_seconds=60), cpu_clock=cpu, wall_clock=wall)
    # a loaded host: 50 s of wall time go by for 9 s of the extraction's CPU: within its limit
    cpu.now, wall.now = 9.0, 50.0
    budget.check_time()
    assert budget.remaining_seconds() == 1.0 and budget.remaining_wall_seconds() == 10.0
    assert budget.slowdown() == 50.0 / 9.0
    cpu.now = 10.5
    with pytest.raises(TimeUp):
        budget.check_time()
    assert not budget.wall_expired


def test_budget_wall_deadline_is_the_outer_bound():
    from dlp_proxy.files.limits import Budget, TimeUp

    cpu, wall = _Clock(), _Clock()
    budget = Budget(Limits(max_seconds=10, max_wall_seconds=60), cpu_clock=cpu, wall_clock=wall)
    cpu.now, wall.now = 1.0, 61.0  # barely any CPU given to the worker: still stopped
    with pytest.raises(TimeUp):
        budget.check_time()
    assert budget.wall_expired and ("time-limit", "wall") in budget.problems
    assert budget.result("csv").problems == ("time-limit",)


def test_empty_file():
    extraction = extract(b"")
    assert extraction.complete and extraction.segments == ()


def test_limits_from_mapping_validates():
    assert Limits.from_mapping({"max_depth": 3, "ocr": True}).max_depth == 3
    with pytest.raises(ValueError, match="max_dept"):
        Limits.from_mapping({"max_dept": 3})
    with pytest.raises(ValueError, match="max_ratio"):
        Limits.from_mapping({"max_ratio": "lots"})
    with pytest.raises(ValueError, match="max_pages"):
        Limits(max_pages=0)
