"""Every file's bytes are read as text too, whatever its format's reading covered
(attack pass 16p, F1, F2, F4, F5, F6; ``files/rawread.py``).

Mattermost stores an upload byte for byte and the web app previews any file as UTF-8
text: text after a GIF's trailer, in a GIF extension block, after a BMP's pixels, in an
unknown RIFF chunk of a WebP, after a TIFF's data, in an RTF data group, in a message's
MIME preamble or epilogue, in a ZIP entry's extra field, in a PDF comment, JavaScript
action or custom key, or after a UTF-16/UTF-32 byte-order mark, reaches every channel
member in clear.  The raw reading (printable runs; for text, every plausible decoding)
reads them; what compression hides from it is read by each format (a PDF's every string
and name, an RTF's hex-decoded data groups, every multipart's preamble and epilogue, an
OOXML/ODF package's comment, entry names and extra fields).
"""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from dlp_proxy.files import Limits, extract
from dlp_proxy.files.context import Ctx
from dlp_proxy.files.limits import Budget, TimeUp
from dlp_proxy.files.rawread import RUNS_CHUNK, read_raw
from dlp_proxy.policy.testing import CARD, IBAN, SSN
from tests import filegen
from tests.conftest import Gateway
from tests.test_files_real_uploads import _forwarded, _stopped, _upload

LIMITS = Limits(ocr=False)
LINE = f"client SSN {SSN}, card {CARD}, IBAN {IBAN}"
#: an identifier and what it must be found as in the extracted text
IDS = [SSN, CARD, IBAN]
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_filler = st.text(alphabet="abcdefghij klmnop,.", max_size=40)


def _found(data: bytes, needle: str = SSN, limits: Limits = LIMITS) -> list[str]:
    return [s.location for s in extract(data, limits=limits).segments if needle in s.text]


def _text(needle: str, before: str = "", after: str = "") -> bytes:
    return f"\n{before} client {needle} {after}\n".encode()


# -- F1: images ----------------------------------------------------------------------------------


def _img(fmt: str, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (8, 8), 0).save(out, fmt)
    return out.getvalue()


def _gif_blocks(payload: bytes) -> bytes:
    return b"".join(bytes([len(payload[i:i + 255])]) + payload[i:i + 255] for i in range(0, len(payload), 255)) + b"\0"


def _riff_chunk(payload: bytes) -> bytes:
    return b"ZZZZ" + len(payload).to_bytes(4, "little") + payload + (b"\0" if len(payload) % 2 else b"")


def _image_case(case: str, payload: bytes) -> bytes:
    gif = _img("GIF", "P")
    webp = _img("WEBP")
    if case == "gif_after_trailer":
        return gif + payload
    if case == "gif_application_extension":
        return gif[:-1] + b"\x21\xff\x0bXMPDataXMP" + _gif_blocks(payload) + b";"
    if case == "gif_plain_text_extension":
        return gif[:-1] + b"\x21\x01\x0c" + b"\0" * 12 + _gif_blocks(payload) + b";"
    if case == "bmp_after_pixels":
        return _img("BMP") + payload
    if case == "webp_unknown_chunk":
        chunk = _riff_chunk(payload)
        return webp[:4] + (len(webp) - 8 + len(chunk)).to_bytes(4, "little") + webp[8:] + chunk
    if case == "webp_after_riff":
        return webp + payload
    assert case == "tiff_after_data"
    return _img("TIFF") + payload


IMAGE_CASES = ["gif_after_trailer", "gif_application_extension", "gif_plain_text_extension", "bmp_after_pixels",
               "webp_unknown_chunk", "webp_after_riff", "tiff_after_data"]


@pytest.mark.parametrize("case", IMAGE_CASES)
@SETTINGS
@given(needle=st.sampled_from(IDS), before=_filler, after=_filler)
def test_text_an_image_carries_besides_its_pixels_is_read(case: str, needle: str, before: str, after: str) -> None:
    data = _image_case(case, _text(needle, before, after))
    Image.open(io.BytesIO(data)).load()  # still a valid image
    found = _found(data, needle)
    assert found, case


def test_an_image_in_an_archive_is_read_raw_too() -> None:
    # the archive is compressed: only the member's own raw reading sees the text
    data = filegen.zip_of({"logo.gif": _image_case("gif_after_trailer", _text(SSN))})
    assert SSN.encode() not in data
    assert any(loc.startswith("member=logo.gif/bytes=") for loc in _found(data))


# -- F2: RTF -------------------------------------------------------------------------------------

RTF_CASES = {
    "datastore": b"{\\rtf1\\ansi hello {\\*\\datastore %s} world}",
    "themedata": b"{\\rtf1\\ansi hello {\\*\\themedata %s} world}",
    "passwordhash": b"{\\rtf1\\ansi hello {\\*\\passwordhash %s} world}",
    "objdata": b"{\\rtf1\\ansi hello {\\object{\\*\\objdata %s}} world}",
    "pict_picprop": b"{\\rtf1\\ansi hello {\\pict{\\*\\picprop %s}\\pngblip } world}",
    "pict_text": b"{\\rtf1\\ansi hello {\\pict\\pngblip %s} world}",
}


@pytest.mark.parametrize("case", list(RTF_CASES))
@pytest.mark.parametrize("hexed", [False, True], ids=["clear", "hex"])
@SETTINGS
@given(needle=st.sampled_from(IDS), before=_filler)
def test_text_in_an_rtf_data_group_is_read(case: str, hexed: bool, needle: str, before: str) -> None:
    payload = _text(needle, before).strip()
    data = RTF_CASES[case] % (payload.hex().encode() if hexed else payload)
    assert extract(data, limits=LIMITS).file_type == "rtf"
    assert _found(data, needle), (case, hexed)


def test_an_rtf_object_holding_a_file_is_read_as_that_file() -> None:
    # an OLE1 object header (version, format, class name ...) before a ZIP of a CSV,
    # hex-encoded as Word writes \objdata; in a ZIP itself, so no raw reading sees it
    inner = filegen.zip_of({"clients.csv": f"name,ssn\nJ. Doe,{SSN}\n".encode()})
    ole1 = b"\x01\x05\x00\x00\x02\x00\x00\x00\x08\x00\x00\x00Package\x00" + b"\0" * 8 + len(inner).to_bytes(4, "little")
    rtf = b"{\\rtf1\\ansi hello {\\object{\\*\\objdata " + (ole1 + inner).hex().encode() + b"}} world}"
    found = _found(filegen.zip_of({"memo.rtf": rtf}))
    assert "member=memo.rtf/data=objdata-1/member=clients.csv/lines=1-2" in found, found


# -- F4: containers --------------------------------------------------------------------------------


def _eml(preamble: str, epilogue: str) -> bytes:
    return ("From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n"
            f"{preamble}\r\n--BB\r\nContent-Type: text/plain\r\n\r\nhello\r\n--BB--\r\n{epilogue}\r\n").encode()


@pytest.mark.parametrize("where", ["preamble", "epilogue"])
@SETTINGS
@given(needle=st.sampled_from(IDS), before=_filler)
def test_a_messages_preamble_and_epilogue_are_read(where: str, needle: str, before: str) -> None:
    text = _text(needle, before).decode().strip()
    data = _eml(text, "") if where == "preamble" else _eml("", text)
    found = _found(data, needle)
    assert "multipart=1/preamble-epilogue" in found, found
    # zipped (compressed): the message's reading finds it, not only the raw one
    assert "member=mail.eml/multipart=1/preamble-epilogue" in _found(filegen.zip_of({"mail.eml": data}), needle)


def _rezip(package: bytes, *, name: str | None = None, comment: bytes = b"", extra: bytes = b"") -> bytes:
    src = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info, src.read(info))
        if name or extra:
            info = zipfile.ZipInfo(name or "customXml/item9.xml")
            info.extra = extra
            z.writestr(info, b"<x/>")
        z.comment = comment
    return out.getvalue()


PACKAGES = {"docx": filegen.docx_document, "xlsx": filegen.xlsx_document, "odt": filegen.odt_document,
            "zip": lambda: filegen.zip_of({"a.txt": b"hello"})}


@pytest.mark.parametrize("kind", list(PACKAGES))
@pytest.mark.parametrize("where", ["comment", "name", "extra"])
def test_a_packages_comment_entry_names_and_extra_fields_are_read(kind: str, where: str) -> None:
    package = PACKAGES[kind]()
    if where == "comment":
        data = _rezip(package, comment=LINE.encode())
    elif where == "name":
        data = _rezip(package, name=f"word/client_SSN_{SSN}.xml")
    else:
        data = _rezip(package, extra=b"\x99\x99" + len(LINE).to_bytes(2, "little") + LINE.encode())
    assert _found(data)
    # inside a ZIP (compressed), the package's own reading finds it
    found = _found(filegen.zip_of({f"report.{kind}": data}))
    sub = {"comment": "comment", "name": "members", "extra": "extra"}[where]
    assert f"member=report.{kind}/{sub}" in found, found


# -- F5: PDF -----------------------------------------------------------------------------------------

_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
_PAGE = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 "
         b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>")
_CONTENT = b"BT /F1 12 Tf 10 10 Td (hello) Tj ET"
_STREAM = b"<< /Length %d >>\nstream\n" % len(_CONTENT) + _CONTENT + b"\nendstream"


def _pdf(objs: list[bytes], head: bytes = b"%PDF-1.4\n") -> bytes:
    out = head
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


def _pdf_packed(catalog: bytes, extra: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    """A PDF 1.5 whose catalog and page tree are in a Flate object stream (object 5),
    indexed by a cross-reference stream (object 6); ``extra`` objects follow (7, 8...)."""
    bodies = [catalog, _PAGES]
    heads = b""
    packed = b""
    for k, body in enumerate(bodies):
        heads += b"%d %d " % (k + 1, len(packed))
        packed += body + b"\n"
    stm = zlib.compress(heads + packed)
    out = b"%PDF-1.5\n"
    offsets: dict[int, int] = {}
    plain = {3: _PAGE, 4: _STREAM,
             5: b"<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(heads), len(stm))
             + stm + b"\nendstream"}
    for k, body in enumerate(extra):
        plain[7 + k] = body
    for number in sorted(plain):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + plain[number] + b"\nendobj\n"
    size = 7 + len(extra)
    rows = b"\x00\x00\x00\x00\x00\xff\xff"
    for number in range(1, size):
        if number in (1, 2):
            rows += b"\x02" + (5).to_bytes(4, "big") + (number - 1).to_bytes(2, "big")
        elif number == 6:
            rows += b"\x01" + len(out).to_bytes(4, "big") + b"\0\0"
        else:
            rows += b"\x01" + offsets[number].to_bytes(4, "big") + b"\0\0"
    xref = len(out)
    out += (b"6 0 obj\n<< /Type /XRef /Size %d /Root 1 0 R /W [1 4 2] /Length %d >>\nstream\n" % (size, len(rows))
            + rows + b"\nendstream\nendobj\n")
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


def _pdf_string(text: bytes, form: str) -> bytes:
    if form == "hex":
        return b"<" + text.hex().encode() + b">"
    if form == "octal":
        return b"(" + b"".join(b"\\%03o" % c for c in text) + b")"
    return b"(" + text + b")"


@pytest.mark.parametrize("form", ["literal", "hex", "octal"])
@pytest.mark.parametrize("case", ["openaction_js", "catalog_key", "page_key", "packed_catalog_key", "packed_js",
                                  "js_stream"])
def test_every_string_of_every_pdf_object_is_read(case: str, form: str) -> None:
    s = _pdf_string(LINE.encode(), form)
    js = b"/OpenAction << /S /JavaScript /JS " + s + b" >> >>"
    if case == "openaction_js":
        data = _pdf([_CATALOG.replace(b">>", js), _PAGES, _PAGE, _STREAM])
    elif case == "catalog_key":
        data = _pdf([_CATALOG.replace(b">>", b"/Foo " + s + b" >>"), _PAGES, _PAGE, _STREAM])
    elif case == "page_key":
        data = _pdf([_CATALOG, _PAGES, _PAGE.replace(b"/Type /Page ", b"/Type /Page /PieceInfo " + s + b" "), _STREAM])
    elif case == "packed_catalog_key":
        data = _pdf_packed(_CATALOG.replace(b">>", b"/Foo " + s + b" >>"))
    elif case == "packed_js":
        data = _pdf_packed(_CATALOG.replace(b">>", js))
    else:
        script = zlib.compress(b"app.alert('" + LINE.encode() + b"');")
        data = _pdf_packed(_CATALOG.replace(b">>", b"/OpenAction << /S /JavaScript /JS 7 0 R >> >>"),
                           [b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(script) + script + b"\nendstream"])
    reading = extract(data, limits=LIMITS)
    # a script is read, and makes the file active-content (files/pdf.py ``formatting_only``)
    scripted = case in ("openaction_js", "packed_js", "js_stream")
    assert reading.file_type == "pdf" and set(reading.problems) == ({"active-content"} if scripted else set()), \
        reading.problems
    assert any(SSN in s.text for s in reading.segments), case


def test_pdf_comment_lines_are_read() -> None:
    data = _pdf([_CATALOG, _PAGES, _PAGE, _STREAM])
    at = data.index(b"1 0 obj")
    data = data[:at] + b"% " + LINE.encode() + b"\n" + data[at:]
    assert _found(data)


def test_a_clean_pdf_gains_no_values() -> None:
    reading = extract(filegen.pdf_document(1, visible="Quarterly notes"), limits=LIMITS)
    assert not [s for s in reading.segments if s.location.endswith("/values")]


# -- F6: a byte-order mark before UTF-8 text --------------------------------------------------------

BOMS = {"utf16le": b"\xff\xfe", "utf16be": b"\xfe\xff", "utf32le": b"\xff\xfe\0\0", "utf32be": b"\0\0\xfe\xff"}


@pytest.mark.parametrize("bom", list(BOMS))
@SETTINGS
@given(needle=st.sampled_from(IDS), lines=st.lists(_filler, max_size=5), crlf=st.booleans())
def test_a_bom_before_utf8_text_does_not_hide_it(bom: str, needle: str, lines: list[str], crlf: bool) -> None:
    text = "\n".join([*lines, f"client {needle}", *lines])
    data = BOMS[bom] + text.replace("\n", "\r\n" if crlf else "\n").encode()
    assert _found(data, needle), bom


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_text_shifted_by_one_byte_is_read(codec: str) -> None:
    bom = "\ufeff".encode(codec)
    head = "Quarterly notes, nothing to see\n".encode(codec)
    data = bom + head + b"\x00" + f"client SSN {SSN}\n".encode(codec)
    assert _found(data)


def test_utf8_text_is_not_read_twice() -> None:
    data = f"name,ssn\nJ. Doe,{SSN}\nCafé notes\n".encode()
    assert not [loc for loc in _found(data) if loc.startswith(("bytes=", "encoding=utf-8"))]


def test_cp1252_text_is_also_read_as_utf8() -> None:
    # a UTF-8 fullwidth reading is what the web app shows; cp1252 shows mojibake
    wide = SSN.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    data = f"client SSN {wide} ".encode() + b"caf\xe9\n"
    assert any(loc.startswith("encoding=utf-8/") for loc in _found(data, wide))


# -- limits --------------------------------------------------------------------------------------------


def test_the_raw_reading_keeps_the_text_limit() -> None:
    import random

    noise = random.Random(7).randbytes(RUNS_CHUNK)
    orders = b"".join(b"\0order %010d\0" % i for i in range(200_000))  # runs that may hold an identifier
    reading = extract(b"GIF89a" + noise + orders, limits=Limits(ocr=False, max_total_extracted_chars=5000))
    assert "text-limit" in reading.problems and not reading.complete
    assert sum(len(s.text) for s in reading.segments) <= 5000


def test_the_raw_reading_checks_the_time_limit() -> None:
    import random

    ticks = iter(range(10**6))
    budget = Budget(Limits(max_seconds=3), cpu_clock=lambda: float(next(ticks)), wall_clock=lambda: 0.0)
    with pytest.raises(TimeUp):
        read_raw(random.Random(3).randbytes(8 * RUNS_CHUNK), Ctx(budget), "png", "png")
    # through the dispatcher it fails closed, with what was read kept
    budget = Budget(Limits(max_seconds=1e9), cpu_clock=lambda: 0.0, wall_clock=lambda: 0.0)
    from dlp_proxy.files.core import run

    assert run(b"GIF89a" + b"\0" * 64 + _text(SSN), budget).segments


def test_random_bytes_give_no_runs() -> None:
    # compressed data and pixels read as noise, which holds no identifier's digit groups
    import random

    budget = Budget(LIMITS)
    read_raw(random.Random(11).randbytes(2 * RUNS_CHUNK), Ctx(budget), "jpeg", "jpeg")
    assert sum(len(s.text) for s in budget.segments) < 200


def test_chunks_do_not_cut_a_run() -> None:
    import random

    noise = bytearray(random.Random(5).randbytes(3 * RUNS_CHUNK))
    secret = _text(SSN).strip()
    for at in (RUNS_CHUNK - 5, 2 * RUNS_CHUNK - 3):
        noise[at:at + len(secret)] = secret
    budget = Budget(LIMITS)
    read_raw(bytes(noise), Ctx(budget), "png", "png")
    assert sum(s.text.count(SSN) for s in budget.segments) == 2


# -- end to end: the gateway stops each family, clean files still pass -------------------------------


def test_hidden_bytes_are_stopped_end_to_end(gateway: Gateway) -> None:
    docx = _rezip(filegen.docx_document(), comment=LINE.encode())
    cases = {
        "notes.gif": _image_case("gif_application_extension", _text(SSN)),
        "notes.rtf": RTF_CASES["datastore"] % _text(SSN).strip(),
        "mail.eml": _eml(LINE, ""),
        "report.docx": docx,
        "statement.pdf": _pdf([_CATALOG.replace(b">>", b"/OpenAction << /S /JavaScript /JS <"
                                                + LINE.encode().hex().encode() + b"> >> >>"), _PAGES, _PAGE, _STREAM]),
        "notes.sql": b"\xff\xfe" + LINE.encode() + b"\n",
    }
    for name, data in cases.items():
        _stopped(gateway, _upload(gateway, data, name), "US_SSN")


def _clean_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Quarterly review notes: rebalancing, order 4400118273, settles 2026-12-01.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_clean_files_still_pass_end_to_end(gateway: Gateway) -> None:
    for name, data in {"report.docx": _rezip(_clean_docx(), comment=b"saved by the desk"),
                       "mail.eml": _eml("This is a MIME message.", "").replace(b"a@example.com", b"Desk notes"),
                       "statement.pdf": _pdf_packed(_CATALOG), "notes.txt": b"\xff\xfeQuarterly notes\n"}.items():
        _forwarded(gateway, _upload(gateway, data, name))
