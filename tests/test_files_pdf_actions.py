"""A PDF's actions read as text (files/pdf.py ``TEXT_KEYS``): a JavaScript action's
script (``/JS``, a string or a Flate text stream) wherever the action hangs
(``/OpenAction``, a page's or a form field's ``/AA``, an annotation's ``/A``, a
``/Next`` chain) and a redaction's ``/OverlayText``.  Viewers show a script in their
JavaScript console and a script puts its strings in alerts and form fields.  Before, a
script was read only as raw runs (``object=N/values``, ``.../stream``), where a number
written over two lines is dropped; as text it is judged like a form field's value.
A script may also compute what it shows (``parseInt("8v98py", 36)``), which reading its
text cannot see: a PDF with any script other than Acrobat's formatting helpers is
``active-content``, held as "could not be checked" (insider attack of 2026-12-06, F5).
The PDFs are built byte by byte here (tests/test_files_raw_bytes.py's writer)."""

from __future__ import annotations

import zlib

import pytest

from dlp_proxy.detect import build_detector
from dlp_proxy.files import Limits, extract
from dlp_proxy.files.rawread import is_raw_reading, judge_raw
from tests.conftest import Gateway
from tests.filegen import SSN_BODY
from tests.test_files_raw_bytes import _CATALOG, _PAGE, _PAGES, _STREAM, _pdf, _pdf_string
from tests.test_files_real_uploads import _forwarded, _stopped, _upload

LIMITS = Limits(ocr=False)
AREA_GROUP, SERIAL = SSN_BODY.rsplit("-", 1)
#: the script shows the number on two lines (an alert, the console): as raw runs it was dropped
SCRIPT = f"app.alert('client SSN {AREA_GROUP}-\n{SERIAL}');".encode()
#: what a form's formatted fields carry: Acrobat's AF* helpers alone
FORMAT_SCRIPT = b'AFNumber_Format(2, 0, 0, 0, "$", true);\nAFDate_FormatEx("mm/dd/yyyy");\nAFSpecial_Keystroke(3);\n'
#: what form scripts hold (Acrobat's AF* helpers, a field calculation, a validation)
CLEAN_SCRIPT = (
    b'AFNumber_Format(2, 0, 0, 0, "$", true);\nAFDate_FormatEx("mm/dd/yyyy");\nAFSpecial_Keystroke(3);\n'
    b'event.value = this.getField("Qty").value * this.getField("Price").value;\n'
    b"var re = /^\\d{3}-\\d{2}-\\d{4}$/;\nvar t = 1699999999000;\n"
    b'if (!re.test(event.value)) app.alert("Enter the SSN as AAA-GG-SSSS");\n'
)


def _js_stream(script: bytes) -> bytes:
    packed = zlib.compress(script)
    return b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed) + packed + b"\nendstream"


def _open_action_stream(script: bytes) -> bytes:
    """/OpenAction 5 0 R -> << /S /JavaScript /JS 6 0 R >>, the script Flate-compressed."""
    return _pdf(
        [
            _CATALOG.replace(b">>", b"/OpenAction 5 0 R >>"),
            _PAGES,
            _PAGE,
            _STREAM,
            b"<< /Type /Action /S /JavaScript /JS 6 0 R >>",
            _js_stream(script),
        ]
    )


def _cases(script: bytes) -> dict[str, bytes]:
    s = _pdf_string(script, "literal" if b"(" not in script else "hex")
    js = b"<< /S /JavaScript /JS " + s + b" >>"
    field = (
        b"<< /FT /Tx /T (amount) /Rect [0 0 10 10] /Type /Annot /Subtype /Widget /P 3 0 R "
        b"/AA << /K " + js + b" >> >>"
    )
    return {
        "open-action-stream": _open_action_stream(script),
        "open-action-string": _pdf(
            [_CATALOG.replace(b">>", b"/OpenAction " + js + b" >>"), _PAGES, _PAGE, _STREAM]
        ),
        "page-aa": _pdf(
            [
                _CATALOG,
                _PAGES,
                _PAGE.replace(b"/Type /Page ", b"/Type /Page /AA << /O " + js + b" >> "),
                _STREAM,
            ]
        ),
        "field-aa": _pdf(
            [
                _CATALOG.replace(b">>", b"/AcroForm << /Fields [5 0 R] >> >>"),
                _PAGES,
                _PAGE.replace(b"/Type /Page ", b"/Type /Page /Annots [5 0 R] "),
                _STREAM,
                field,
            ]
        ),
        "link-next-chain": _pdf(
            [
                _CATALOG,
                _PAGES,
                _PAGE.replace(b"/Type /Page ", b"/Type /Page /Annots [5 0 R] "),
                _STREAM,
                b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (https://a.example/) "
                b"/Next 6 0 R >> >>",
                b"<< /S /JavaScript /JS 7 0 R >>",
                _js_stream(script),
            ]
        ),
    }


def _judged(data: bytes, *, scripted: bool = True) -> list[tuple[str, str]]:
    engine = build_detector(None, ner=False)
    reading = extract(data, limits=LIMITS)
    # a script beyond the formatting helpers makes the file active-content, nothing else
    assert reading.file_type == "pdf" and set(reading.problems) == ({"active-content"} if scripted else set()), \
        reading.problems
    out: list[tuple[str, str]] = []
    for seg in reading.segments:
        kept = judge_raw(seg.location, seg.text, engine.analyze(seg.text), engine.analyze)
        out.extend((seg.location, f.entity_type) for f in kept)
    return out


@pytest.mark.parametrize("case", list(_cases(SCRIPT)))
def test_a_script_is_read_as_text(case: str) -> None:
    found = _judged(_cases(SCRIPT)[case])
    assert any(entity == "US_SSN" and not is_raw_reading(where) for where, entity in found), found


def test_a_redaction_overlay_text_is_read() -> None:
    annot = b"<< /Type /Annot /Subtype /Redact /Rect [0 0 10 10] /OverlayText <%s> >>" % (
        f"client SSN {AREA_GROUP}-\n{SERIAL}".encode().hex().encode()
    )
    data = _pdf(
        [_CATALOG, _PAGES, _PAGE.replace(b"/Type /Page ", b"/Type /Page /Annots [5 0 R] "), _STREAM, annot]
    )
    assert any(e == "US_SSN" and not is_raw_reading(w) for w, e in _judged(data, scripted=False))


def test_a_form_script_alone_gains_no_finding() -> None:
    for case, data in _cases(CLEAN_SCRIPT).items():
        assert _judged(data) == [], case
    for case, data in _cases(FORMAT_SCRIPT).items():
        assert _judged(data, scripted=False) == [], case


def test_a_script_that_computes_what_it_shows_is_active_content() -> None:
    computed = b'var s=parseInt("8v98py",36).toString(); this.getField("f").value=s.substr(0,3)+"-"+s.substr(3);'
    for case, data in _cases(computed).items():
        assert "active-content" in extract(data, limits=LIMITS).problems, case


def test_a_pdf_whose_open_action_script_holds_an_ssn_is_stopped(gateway: Gateway) -> None:
    _stopped(gateway, _upload(gateway, _open_action_stream(SCRIPT), "statement.pdf"), "US_SSN")


def test_a_pdf_with_formatting_helpers_only_passes(gateway: Gateway) -> None:
    _forwarded(gateway, _upload(gateway, _open_action_stream(FORMAT_SCRIPT), "form.pdf"))


def test_a_pdf_with_a_calculating_script_is_held_as_could_not_be_checked(gateway: Gateway) -> None:
    resp = _upload(gateway, _open_action_stream(CLEAN_SCRIPT), "form.pdf")
    assert resp.status_code == 403 and resp.json()["id"] == "api.dlp.quarantined.app_error", resp.text
    assert "could not be checked" in resp.json()["message"] and "contain" not in resp.json()["message"]


@pytest.mark.parametrize("script", [b"AFSpecial_Format(3);", b'AFSpecial_FormatEx("999-99-9999");'])
def test_a_field_shown_in_an_identifiers_mask_is_active_content(script: bytes) -> None:
    for case, data in _cases(script).items():
        assert "active-content" in extract(data, limits=LIMITS).problems, case


def test_a_zip_or_phone_mask_is_formatting_only() -> None:
    from dlp_proxy.files.pdf import formatting_only

    assert formatting_only("AFSpecial_Format(0);") and formatting_only("AFSpecial_Format(2);")
    assert not formatting_only("AFSpecial_Format(3);")
