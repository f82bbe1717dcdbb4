"""OCR, legacy Office/Outlook formats, the uninspected outcome and large-segment windows,
in process (the gateway-level tests are in test_files_real_uploads.py)."""

from __future__ import annotations

import pytest

from dlp_proxy.files import Limits, extract
from dlp_proxy.model import Action, ContentItem, Decision, Finding, ScannedItem
from dlp_proxy.policy.schema import PolicyError
from dlp_proxy.policy.testing import CARD, SSN, policy_from
from dlp_proxy.policy.uninspected import UninspectedFile, judge_uninspected
from tests import filegen

SSN2 = "536-22-8711"


def _text(extraction: object) -> str:
    return "".join("".join(s.text for s in extraction.segments).split())  # type: ignore[attr-defined]


# -- OCR --------------------------------------------------------------------------------


def test_screenshot_text_is_read_at_12_px() -> None:
    ex = extract(filegen.screenshot(filegen.screenshot_lines(ssn=SSN, card=CARD), 12))
    assert ex.complete and ex.file_type == "png"
    assert [s.location for s in ex.segments] == ["ocr"]
    assert SSN in _text(ex) and CARD.replace(" ", "") in _text(ex)


def test_text_free_image_skips_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text-free photo is settled by the cheap pre-check: the OCR engine is never asked
    (its cost, ~0.7 s for 12 MP, is measured in docs/files.md)."""
    from dlp_proxy.files import ocr

    def no_engine(languages: str = "eng") -> None:
        raise AssertionError("OCR was run on a text-free image")

    monkeypatch.setattr(ocr, "engine", no_engine)
    ex = extract(filegen.photo_like(4032, 3024))  # a 12 MP phone photo
    # (the raw reading's runs aside: every JPEG's standard Huffman table holds ``456789``)
    assert ex.problems == ("no-text",) and not filegen.format_locations([s.location for s in ex.segments])


def test_may_have_text_sees_low_contrast_12_px_text_and_not_noise() -> None:
    import io

    from PIL import Image

    from dlp_proxy.files.ocr import may_have_text

    low = Image.open(io.BytesIO(filegen.screenshot([f"ref {SSN}"], 12))).convert("L").point(lambda v: 110 + v * 70 // 255)
    assert may_have_text(low)
    assert not may_have_text(Image.open(io.BytesIO(filegen.photo_like())).convert("L"))
    assert not may_have_text(Image.new("L", (800, 600), 255))


def test_ocr_limits_are_per_file() -> None:
    shot = filegen.screenshot(filegen.screenshot_lines(ssn=SSN), 14)
    assert extract(shot, limits=Limits(ocr_max_pixels=100_000)).problems == ("ocr-limit",)
    assert extract(shot, limits=Limits(ocr_max_seconds=0.001)).problems == ("ocr-limit",)
    assert extract(shot, limits=Limits(ocr=False)).problems == ("ocr-disabled",)


def test_scanned_pdf_page_is_ocr_d_and_text_pdf_is_not() -> None:
    ex = extract(filegen.scanned_pdf([f"SSN {SSN}"], pages=2))
    assert {s.location for s in ex.segments} >= {"page=1/ocr", "page=2/ocr"}
    assert SSN in _text(ex)
    born_digital = extract(filegen.pdf_document(1))
    assert not any("ocr" in s.location for s in born_digital.segments)


def test_images_in_archives_and_mail_attachments_are_read() -> None:
    shot = filegen.screenshot([f"client SSN {SSN}"], 14)
    ex = extract(filegen.zip_of({"shots/a.png": shot}))
    assert SSN in _text(ex) and any(s.location == "member=shots/a.png/ocr" for s in ex.segments)


# -- legacy formats ---------------------------------------------------------------------


def test_doc_pieces_both_encodings_and_word_controls() -> None:
    ex = extract(filegen.doc_document(f"Letter\rSSN {SSN}\x07cell\r", f"Ünïcode {SSN2}"))
    assert ex.file_type == "doc" and ex.complete
    text = "\n".join(s.text for s in ex.segments)
    assert SSN in text and SSN2 in text and "Ünïcode" in text and "\x07" not in text


def test_encrypted_doc_is_encrypted() -> None:
    ex = extract(filegen.doc_document("secret", encrypted=True))
    assert ex.problems == ("encrypted",)


def test_xls_cells_hidden_sheets_numbers_and_dates() -> None:
    import datetime

    ex = extract(filegen.xls_document([["id", "when"], [123456789.0, datetime.date(2026, 11, 28)]],
                                      hidden_sheet=[[SSN]]))
    assert ex.file_type == "xls" and ex.complete
    cells = {s.location: s.text for s in ex.segments}
    assert cells["sheet=Clients!A2"] == "123456789"
    assert cells["sheet=Archive!A1 (hidden)"] == SSN
    assert "sheet=Clients!B2" in cells


def test_ppt_slides_and_notes() -> None:
    ex = extract(filegen.ppt_document(["Title", f"bytes {SSN}"], notes=f"notes {SSN2}"))
    assert ex.file_type == "ppt" and SSN in _text(ex) and SSN2 in _text(ex)


def test_msg_headers_body_attachments_and_embedded_messages_recursively() -> None:
    shot = filegen.screenshot([f"SSN {SSN2}"], 14)
    ex = extract(filegen.msg_message("Onboarding", f"SSN {SSN}", {"shot.png": shot, "c.xls": filegen.xls_document([[SSN2]])},
                                     embedded={"subject": "inner", "body": "inner body",
                                               "attachments": {"deep.txt": f"deep {SSN}".encode()}}))
    assert ex.file_type == "msg" and ex.complete, ex.problems
    locations = {s.location for s in ex.segments}
    assert {"headers", "body/line=1", "attachment=shot.png/ocr", "attachment=c.xls/sheet=Clients!A1",
            "attachment=forwarded.msg/attachment=deep.txt/line=1"} <= locations


def test_unknown_compound_file_is_unsupported_with_strings() -> None:
    from tests.cfb import cfb

    ex = extract(cfb({"Contents": f"note {SSN} ".encode() * 10}))
    assert ex.problems == ("unsupported-type",) and SSN in _text(ex)


# -- the uninspected outcome ------------------------------------------------------------

SHIPPED_LIKE = """
schema: 1
uninspected: {encrypted: quarantine, too_large: block, unreadable: quarantine, no_text: allow}
rules:
  - id: ssn
    action: quarantine
    match: {entities: [US_SSN]}
"""


def _allow() -> Decision:
    return Decision(action=Action.ALLOW, policy_version="v", reason="nothing found")


def test_uninspected_cause_decides_and_the_worst_wins() -> None:
    policy = policy_from(SHIPPED_LIKE)
    photo = UninspectedFile("file[0]", ("no-text",), "IMG_1.jpg", 0, 2)
    big = UninspectedFile("file[1]", ("ocr-limit", "corrupt"), "huge.png", 1, 2)
    d = judge_uninspected(_allow(), [photo], policy.doc.uninspected, policy.messages)
    assert d.action is Action.ALLOW and d.details["uninspected"][0]["cause"] == "no_text"
    assert "uninspected_message" not in d.details
    d = judge_uninspected(_allow(), [photo, big], policy.doc.uninspected, policy.messages)
    assert d.action is Action.BLOCK and d.rule_id == "uninspected-too-large" and d.notify_sender
    assert d.details["uninspected_message"] == "The .png file (2 of 2) could not be checked: it is too large to inspect."
    assert [e["cause"] for e in d.details["uninspected"]] == ["no_text", "too_large", "unreadable"]


def test_findings_decision_more_severe_is_kept_and_uninspected_recorded() -> None:
    policy = policy_from(SHIPPED_LIKE)
    text = f"ssn {SSN}"
    scanned = (ScannedItem(ContentItem("file[0]:ocr", text), (Finding("US_SSN", 4, 15, 0.9, "t"),)),)
    held = Decision(action=Action.QUARANTINE, policy_version="v", rule_id="ssn", entity_types=("US_SSN",), scanned=scanned)
    d = judge_uninspected(held, [UninspectedFile("file[0]", ("encrypted",), "a.zip")], policy.doc.uninspected,
                          policy.messages)
    assert d.rule_id == "ssn" and d.details["uninspected"][0]["cause"] == "encrypted"


def test_no_file_name_reaches_the_message() -> None:
    d = judge_uninspected(_allow(), [UninspectedFile("file[0]", ("encrypted",), f"client {SSN}.zip")])
    assert d.action is Action.QUARANTINE  # no policy: the gateway's fallback
    assert SSN not in str(d.details) and "The .zip file could not be checked" in d.details["uninspected_message"]


def test_policy_schema_checks_the_uninspected_section() -> None:
    base = "schema: 1\nrules:\n  - {id: r, action: block, match: {entities: [US_SSN]}}\n"
    assert policy_from(base).doc.uninspected.no_text == "quarantine"  # default: fail closed
    with pytest.raises(PolicyError, match="uninspected.redacted"):
        policy_from(base + "uninspected: {redacted: allow}\n")
    with pytest.raises(PolicyError, match="uninspected.encrypted"):
        policy_from(base + "uninspected: {encrypted: redact}\n")


def test_shipped_policy_passes_text_free_images_and_holds_the_rest() -> None:
    from pathlib import Path

    from dlp_proxy.policy import load_policy

    policy = load_policy(Path(__file__).resolve().parent.parent / "config" / "policy.yaml", hash_key=b"k" * 32)
    u = policy.doc.uninspected
    assert (u.encrypted, u.too_large, u.unreadable, u.no_text) == ("quarantine", "quarantine", "quarantine", "allow")


# -- large segments ---------------------------------------------------------------------


def test_segment_over_the_detection_limit_is_scanned_in_windows() -> None:
    from dlp_proxy.detect import build_detector
    from dlp_proxy.gateway import filescan

    filescan._worker_detector = build_detector(None, ner=False)
    try:
        filler = "Quarterly suitability review, holdings rebalanced per model. "
        size = 5_200_000
        text = (filler * (size // len(filler) + 1))[:size]
        cut = filescan.SEGMENT_WINDOW - filescan.SEGMENT_OVERLAP  # the second window starts here
        places = [100, cut + 3, filescan.SEGMENT_WINDOW - 12, size - 40]  # in the overlap; across the first cut
        chars = list(text)
        for p in places:
            chars[p : p + 16] = f" SSN {SSN} "
        text = "".join(chars)
        found = filescan._analyze_segment(text, {"US_SSN"}) or []
        starts = sorted(f.start for f in found if f.entity_type == "US_SSN")
        assert starts == [p + 5 for p in places]  # each exactly once
    finally:
        filescan._worker_detector = None



def test_a_scan_out_of_time_is_time_limit_with_what_was_judged() -> None:
    """The worker's job keeps the segments it judged and marks the file time-limit
    (too_large for the policy) when its budget is spent: budget 0 judges nothing."""
    from dlp_proxy.detect import build_detector
    from dlp_proxy.gateway import filescan

    filescan._worker_detector = build_detector(None, ner=False)
    try:
        data = f"ssn {SSN}\n".encode() * 20_000
        extraction, findings = filescan._job(data, "a.csv", Limits(), None, 0.0)
        assert extraction.problems == ("time-limit",) and not extraction.complete
        assert extraction.segments == () and findings == []
        extraction, findings = filescan._job(data, "a.csv", Limits(), None, None)
        assert extraction.complete and len(findings) == len(extraction.segments) > 1
        assert all(findings)
    finally:
        filescan._worker_detector = None


def test_every_page_of_a_multi_page_tiff_scan_is_read() -> None:
    import io

    from PIL import Image

    pages = [Image.open(io.BytesIO(filegen.screenshot([text], 14))) for text in ("cover page", f"SSN {SSN}")]
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:])
    ex = extract(out.getvalue())
    assert ex.file_type == "tiff"
    assert any(s.location == "page=2/ocr" and SSN in "".join(s.text.split()) for s in ex.segments), ex


def test_no_ocr_model_is_ocr_unavailable_never_a_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlp_proxy.files import ocr

    monkeypatch.setattr(ocr, "tessdata_dir", lambda: None)
    monkeypatch.setattr(ocr, "_engines", {})
    ex = extract(filegen.screenshot(filegen.screenshot_lines(ssn=SSN), 14))
    assert ex.problems == ("ocr-unavailable",) and not ex.complete
