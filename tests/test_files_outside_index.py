"""Every byte of an uploaded file is read: by the format's reader, or as it is.

A ZIP is read through its central directory, a TAR through its headers, a PDF through
its last cross-reference chain; what those indexes do not reach is read too
(``files/outside.py``, ``pdf._unreached``, ``pdf._catalog``): text before, between and
after a ZIP's entries, a ZIP in front of the ZIP (read in stream order, as Java's
ZipInputStream reads it), a TAR's padding, PAX headers, owner names and what follows its
end blocks, a PDF's earlier revisions, objects nothing references, bytes in no object,
outline titles, page labels, named destinations and the document's language.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.files import Limits, extract
from dlp_proxy.policy.testing import SSN
from tests import filegen
from tests.conftest import Gateway
from tests.test_files_real_uploads import _forwarded, _stopped, _upload

SECRET = b"name,ssn,card\nJ. Doe,536-22-8710,4111111111111111\n"
NOTE = b"readme: quarterly export of the desk notes\n"
LIMITS = Limits(ocr=False)


def _where(data: bytes, needle: str = "536-22-8710") -> list[str]:
    """The locations of the segments that hold ``needle`` (the raw reading's left out:
    these tests are of the readings that follow an index)."""
    result = extract(data, limits=LIMITS)
    return filegen.format_locations([s.location for s in result.segments if needle in s.text])


def _clean_zip() -> bytes:
    return filegen.zip_of({"readme.txt": NOTE})


# -- ZIP ------------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_text_before_or_after_a_zip_is_read(where: str) -> None:
    data = SECRET + _clean_zip() if where == "before" else _clean_zip() + SECRET
    assert zipfile.is_zipfile(io.BytesIO(data))
    found = _where(data)
    assert found and all(loc.startswith("outside=") for loc in found), found


@pytest.mark.parametrize("where", ["before", "after"])
def test_text_before_or_after_an_office_file_is_read(where: str) -> None:
    docx = filegen.docx_document()
    assert _where(docx) == []
    assert _where(SECRET + docx if where == "before" else docx + SECRET)


def test_text_between_zip_entries_is_read() -> None:
    data = filegen.zip_with_gap({"a.txt": NOTE, "b.txt": NOTE}, SECRET)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.read("b.txt") == NOTE  # every reader opens it
    assert any(loc.startswith("outside=") for loc in _where(data))


def test_zip_in_front_of_a_zip_is_read_in_stream_order() -> None:
    """``unzip`` and Python see readme.txt only; a streaming reader extracts clients.csv."""
    data = filegen.zip_of({"clients.csv": SECRET}) + _clean_zip()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["readme.txt"]
    assert _where(data) == ["outside=0/member=clients.csv/lines=1-2"]


def test_local_entries_with_data_descriptors_are_read_in_stream_order() -> None:
    hidden = filegen.zip_streamed({"clients.csv": SECRET, "more.csv": SECRET.replace(b"8710", b"8711")})
    data = hidden + _clean_zip()
    found = _where(data) + _where(data, "536-22-8711")
    assert any("member=clients.csv" in loc for loc in found) and any("member=more.csv" in loc for loc in found)


def test_clean_archives_and_office_files_have_nothing_outside() -> None:
    for data in (_clean_zip(), filegen.docx_document(), filegen.xlsx_document(), filegen.pptx_document(),
                 filegen.odt_document(), filegen.zip_streamed({"a.txt": NOTE}), filegen.nested_zip(),
                 filegen.tar_of({"a.txt": NOTE})):
        result = extract(data, limits=LIMITS)
        assert not [s.location for s in result.segments if "outside=" in s.location], result.segments


def test_a_bomb_outside_the_index_is_bounded() -> None:
    bomb = filegen.zip_of({"zeros.txt": b"\x00" * (64 << 20)})
    result = extract(bomb + _clean_zip(), limits=LIMITS)
    assert not result.complete and "zip-bomb" in result.problems


# -- TAR ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tail", "padding", "pax-comment", "uname"])
def test_tar_bytes_and_headers_outside_the_members_are_read(kind: str) -> None:
    text = "Client SSN 536-22-8710"
    data = {
        "tail": lambda: filegen.tar_pax(tail=text.encode() + b"\n"),
        "padding": lambda: filegen.tar_pax(padding=text.encode()),
        "pax-comment": lambda: filegen.tar_pax(pax={"comment": text}),
        "uname": lambda: filegen.tar_pax(uname="ssn536-22-8710"),
    }[kind]()
    found = _where(data)
    assert found, kind
    assert all(loc == "headers" or loc.startswith("outside=") for loc in found), found


# -- PDF ------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("free", [False, True])
def test_pdf_earlier_revision_is_read(compress: bool, free: bool) -> None:
    data = filegen.pdf_revised(f"SSN {SSN} card 4111111111111111", "Quarterly notes", compress=compress, free=free)
    found = _where(data, SSN)
    assert found == ["object=4@247/content"], found
    assert _where(data, "Quarterly notes") == ["page=1"]


def test_pdf_object_nothing_references_is_read() -> None:
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    w = PdfWriter()
    w.add_blank_page(200, 200)
    w._add_object(DictionaryObject({NameObject("/Note"): TextStringObject("Client SSN 536-22-8710")}))
    buf = io.BytesIO()
    w.write(buf)
    found = _where(buf.getvalue())
    assert len(found) == 1 and found[0].startswith("object="), found


@pytest.mark.parametrize("kind", ["outline", "page-labels", "names", "language"])
def test_pdf_catalog_text_viewers_show_is_read(kind: str) -> None:
    text = "Client SSN 536-22-8710 "
    data = filegen.pdf_catalog(**{{"outline": "outline", "page-labels": "label", "names": "dest",
                                    "language": "lang"}[kind]: text})
    assert kind in _where(data)


def test_clean_pdfs_have_nothing_unreached() -> None:
    for data in (filegen.pdf_document(), filegen.pdf_pages(5), filegen.pdf_ruled_report(), filegen.pdf_catalog()):
        result = extract(data, limits=LIMITS)
        # (``/values``: the reached objects' own strings and streams, read for what the
        # page readings do not know, e.g. a form XObject's text again: test_files_raw_bytes.py)
        assert not [s.location for s in result.segments
                    if ("outside=" in s.location or "object=" in s.location) and "/values" not in s.location]
        assert result.complete


# -- the rule, generated ---------------------------------------------------------------------

_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,.", min_size=0, max_size=40)


def _zip_at(place: str, text: bytes) -> bytes:
    members = {"a.txt": NOTE, "b.txt": NOTE}
    if place == "before":
        return text + filegen.zip_of(members)
    if place == "after":
        return filegen.zip_of(members) + text
    return filegen.zip_with_gap(members, text)


def _tar_at(place: str, text: bytes) -> bytes:
    if place == "after":
        return filegen.tar_pax(tail=text)
    return filegen.tar_pax(padding=text[:500])


def _pdf_at(place: str, text: bytes) -> bytes:
    base = filegen.pdf_catalog()
    if place == "after":
        return base + text
    at = base.index(b"endobj") + 7  # between the first two objects
    return base[:at] + b"%" + text.replace(b"\n", b" ") + b"\n" + base[at:]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(["zip", "tar", "pdf"]), place=st.sampled_from(["before", "between", "after"]),
       head=_WORDS, tail=_WORDS, last=st.integers(0, 9999))
def test_text_anywhere_outside_the_structures_is_read(fmt: str, place: str, head: str, tail: str, last: int) -> None:
    ssn = f"536-22-{last:04d}"
    text = f"note {head} {ssn} {tail}\n".encode()
    if fmt == "tar" and place == "before":
        place = "between"  # a TAR starts with its first header
    if fmt == "pdf" and place == "before":
        place = "between"
    build = {"zip": _zip_at, "tar": _tar_at, "pdf": _pdf_at}[fmt]
    assert _where(build(place, text), ssn), (fmt, place, text)


# -- through the gateway ---------------------------------------------------------------------


def test_csv_with_a_zip_tail_is_stopped_end_to_end(gateway: Gateway) -> None:
    data = f"name,ssn\nJ. Doe,{SSN}\n".encode() + _clean_zip()
    _stopped(gateway, _upload(gateway, data, "clients.csv"), "US_SSN")
    _forwarded(gateway, _upload(gateway, NOTE + _clean_zip(), "clients.csv"))


def test_pdf_with_an_earlier_revision_is_stopped_end_to_end(gateway: Gateway) -> None:
    data = filegen.pdf_revised(f"Client SSN {SSN}", "Quarterly notes")
    _stopped(gateway, _upload(gateway, data, "notes.pdf"), "US_SSN")
    _forwarded(gateway, _upload(gateway, filegen.pdf_revised("Draft notes", "Quarterly notes"), "notes.pdf"))


def test_a_zip_appended_to_a_pdf_or_tar_is_read_once() -> None:
    """The ZIP the dispatcher reads as a polyglot (``polyglot=zip``) is not read again
    as bytes outside the PDF's or the TAR's structure."""
    for data in (filegen.pdf_with_zip_appended(),
                 filegen.tar_of({"a.txt": NOTE}) + filegen.zip_of({"b.csv": SECRET})):
        locations = [s.location for s in extract(data, limits=LIMITS).segments]
        assert any(loc.startswith("polyglot=zip/member=") for loc in locations), locations
        assert not [loc for loc in locations if "outside=" in loc], locations


def test_zip_entry_comments_are_read() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        info = zipfile.ZipInfo("readme.txt")
        info.comment = b"Client SSN 536-22-8710"
        zf.writestr(info, NOTE)
    assert _where(out.getvalue()) == ["comment"]


def test_destinations_named_by_page_number_are_not_one_long_number() -> None:
    """LaTeX names destinations after pages: ``4``, ``5``, ``25`` ... one a line would
    be read as a card number (4 5 25 26 27 28 29 3 2 20 is Luhn-valid)."""
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(200, 200)
    for name in ("4", "5", "25", "26", "27", "28", "29", "3", "2", "20"):
        w.add_named_destination(name, 0)
    buf = io.BytesIO()
    w.write(buf)
    assert "names" not in [s.location for s in extract(buf.getvalue(), limits=LIMITS).segments]
