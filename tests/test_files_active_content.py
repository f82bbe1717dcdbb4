"""Files that compute what they show when opened, which the gateway cannot work out, are
``active-content`` (held for review by the shipped policy), never passed as read (insider
attack of 2026-12-06, F2-F5): a spreadsheet formula with no saved value that the
evaluator cannot compute (``=HEX2DEC("218")&"-"&...``, another sheet's cells), the same
in a CSV field, a Word ``=`` field, a PDF's JavaScript, and text a style sheet generates
from a counter.  Text a style sheet writes with CSS escapes is read decoded.  Files made
by the tests; real extraction (dlp_proxy.files.extract)."""

from __future__ import annotations

import io
from xml.sax.saxutils import quoteattr

import pytest

from dlp_proxy.detect.engine import Engine
from dlp_proxy.files import extract
from dlp_proxy.model import ContentItem
from dlp_proxy.policy.testing import policy_from
from dlp_proxy.policy.uninspected import UninspectedFile, judge_uninspected


def _xlsx(cells: dict[str, object], sheets: tuple[str, ...] = ()) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for ref, value in cells.items():
        ws[ref] = value
    for name in sheets:
        wb.create_sheet(name)["A1"] = 536
    out = io.BytesIO()
    wb.save(out)  # openpyxl saves formulas without a cached value
    return out.getvalue()


def _docx_field(instr: str) -> bytes:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    p = d.add_paragraph("Client SSN: ")
    p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr={quoteattr(instr)}><w:r><w:t>?</w:t></w:r></w:fldSimple>'))
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _pdf(js: str | None) -> bytes:
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(612, 792)
    if js is not None:
        from pypdf.generic import DictionaryObject, NameObject, TextStringObject

        w._root_object[NameObject("/OpenAction")] = w._add_object(DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(js)}))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _active(data: bytes, name: str) -> bool:
    return "active-content" in extract(data, filename=name).problems


HIDDEN_SSN_FORMULA = '=HEX2DEC("218")&"-"&HEX2DEC("16")&"-"&HEX2DEC("2206")'


def test_a_formula_the_evaluator_cannot_work_out_is_active_content() -> None:
    assert _active(_xlsx({"A1": "SSN", "B1": HIDDEN_SSN_FORMULA}), "clients.xlsx")
    assert _active(_xlsx({"A1": "SSN", "B1": "=Data!A1&\"-22-8710\""}, ("Data",)), "clients.xlsx")


def test_a_formula_it_works_out_is_read_not_held(engine: Engine) -> None:
    data = _xlsx({"A1": "SSN", "B1": '="536-22-"&"8710"', "C1": 1, "C2": 2, "C3": "=SUM(C1:C2)"})
    got = extract(data, filename="clients.xlsx")
    assert "active-content" not in got.problems
    text = "\n".join(s.text for s in got.segments)
    assert any(f.entity_type == "US_SSN" for f in engine.analyze(text))


def test_a_csv_formula_calling_a_function_it_cannot_work_out_is_active_content() -> None:
    assert _active(f"client,ssn\nJ Smith,{HIDDEN_SSN_FORMULA}\n".encode(), "clients.csv")
    assert _active(b"client,ssn\nJ Smith,=Data!A1\n", "clients.csv")


def test_a_csv_of_telephone_numbers_is_no_formula() -> None:
    assert not _active(b"name,phone\nJ Smith,+1 (212) 555-0198\nA Jones,+44 20 7946 0958\n", "contacts.csv")
    assert not _active(b"qty,px\n-500,+101.25\n", "fills.csv")


def test_a_word_field_it_cannot_evaluate_is_active_content() -> None:
    assert _active(_docx_field("= SIGN(-5) * -536228710 \\# \"000'-'00'-'0000\""), "memo.docx")


@pytest.mark.parametrize("instr", ["= ABS(-53622871*10) \\# \"000'-'00'-'0000\"", "= ROUND(536228710.4, 0)",
                                   "= INT(536228710.9)", "= MOD(1536228710, 1000000000)", "= MAX(536228710, 5)"])
def test_a_word_field_it_evaluates_is_read(engine: Engine, instr: str) -> None:
    got = extract(_docx_field(instr), filename="memo.docx")
    assert "active-content" not in got.problems
    text = "\n".join(s.text for s in got.segments)
    assert "536228710" in text.replace("-", ""), text


def test_a_pdf_with_javascript_is_active_content_and_its_script_is_read() -> None:
    script = 'var s=parseInt("8v98py",36).toString(); this.getField("f").value=s;'
    got = extract(_pdf(script), filename="form.pdf")
    assert "active-content" in got.problems
    assert any("parseInt" in s.text for s in got.segments)
    assert "active-content" not in extract(_pdf(None), filename="form.pdf").problems


@pytest.mark.parametrize("kind", ["svg", "html"])
def test_css_counters_are_active_content(kind: str) -> None:
    style = "p{counter-reset:a 536 b 22 c 8710} p::after{content:counter(a) \"-\" counter(b) \"-\" counter(c)}"
    if kind == "svg":
        data = (f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><style>{style}</style>'
                '<foreignObject width="400" height="40"><p xmlns="http://www.w3.org/1999/xhtml">Client SSN: </p>'
                "</foreignObject></svg>").encode()
    else:
        data = f"<html><head><style>{style}</style></head><body><p>Client SSN: </p></body></html>".encode()
    assert _active(data, f"note.{kind}")


def test_css_escapes_in_generated_text_are_read(engine: Engine) -> None:
    page = b'<html><head><style>#s::after{content:"\\35\\33\\36-\\32\\32-\\38\\37\\31\\30"}</style></head>' \
           b'<body><p id="s">Client SSN: </p></body></html>'
    got = extract(page, filename="note.html")
    assert "active-content" not in got.problems
    found = [f for item in engine.scan([ContentItem(s.location, s.text) for s in got.segments])
             for f in item.findings]
    assert any(f.entity_type == "US_SSN" for f in found)


def test_the_shipped_policy_holds_active_content_and_says_why() -> None:
    from pathlib import Path

    from dlp_proxy.model import Action, Decision

    policy = policy_from(Path("config/policy.yaml").read_text())
    decided = judge_uninspected(Decision(action=Action.ALLOW, policy_version="v"),
                                [UninspectedFile("files[0]", ("active-content",), "a.xlsx")],
                                policy.doc.uninspected, policy.messages)
    assert decided.action == Action.QUARANTINE and decided.rule_id == "uninspected-active-content"
    message = decided.details["uninspected_message"]
    assert "could not be checked" in message and "computes" in message and "contain" not in message


def test_an_error_excel_shows_is_no_active_content() -> None:
    # words in arithmetic show #VALUE!: nothing is computed from them
    assert not _active(_xlsx({"A1": "qty", "B1": "price", "C1": "=A1*B1"}), "book.xlsx")
    # a text Excel may read as a number ("$536") is not worked out here: held
    assert _active(_xlsx({"A1": "$536228710", "B1": "=A1*1"}), "book.xlsx")


def test_ranges_are_summed_as_excel_sums_them(engine: Engine) -> None:
    data = _xlsx({"A1": "parts", "A2": 536000000, "A3": 228710, "A4": "note", "B1": "SSN", "B2": "=SUM(A1:A4)"})
    got = extract(data, filename="book.xlsx")
    assert "active-content" not in got.problems
    assert any(s.text == "536228710" for s in got.segments), [s.text for s in got.segments]


def _with_cache(data: bytes, calc_pr: str) -> bytes:
    """``data`` (an openpyxl workbook) with the formula cells' cached value 0 and the
    workbook's ``calcPr`` replaced."""
    import re
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            part = src.read(info)
            if info.filename == "xl/workbook.xml":
                part = re.sub(rb"<calcPr[^>]*/>", calc_pr.encode(), part)
            elif info.filename.startswith("xl/worksheets/"):
                part = re.sub(rb"(</f>)(<v>[^<]*</v>)?", rb"\1<v>0</v>", part)
            zf.writestr(info, part)
    return out.getvalue()


@pytest.mark.parametrize(("calc_pr", "recalculated"), [
    ('<calcPr calcId="124519" fullCalcOnLoad="1"/>', True),   # openpyxl's own
    ('<calcPr calcId="191029" fullCalcOnLoad="1"/>', True),
    ('<calcPr calcId="171027"/>', True),                      # an older Excel's: the current one computes again
    ("", True),                                               # none
    ('<calcPr calcId="191029"/>', False),                     # saved by the current Excel: its values stand
])
def test_a_saved_value_counts_only_where_excel_does_not_compute_again(calc_pr: str, recalculated: bool) -> None:
    data = _with_cache(_xlsx({"A1": "client", "B1": '=HEX2DEC("1FF63366")'}), calc_pr)
    assert _active(data, "book.xlsx") is recalculated


@pytest.mark.parametrize("instr", ["SEQ a \\r 536", "SET x 22", "IF 1 = 1 \"8710\" \"0\"", "FILLIN \"ssn\" \\d 536",
                                   "QUOTE 22"])
def test_a_word_field_computing_from_digits_in_its_code_is_active_content(instr: str) -> None:
    assert _active(_docx_field(instr), "memo.docx")


@pytest.mark.parametrize("instr", ["PAGE", "NUMPAGES", "SEQ Figure \\* ARABIC", "DATE \\@ \"MMMM d, yyyy\"",
                                   "QUOTE \"-\""])
def test_ordinary_word_fields_are_no_active_content(instr: str) -> None:
    assert not _active(_docx_field(instr), "memo.docx")


# -- an SVG's <use> and <foreignObject> where the browser draws them (re-attack F8) ----------

_SVG_HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="400" height="60">'


@pytest.mark.parametrize("where", ["css", "attribute", "style"])
def test_a_use_draws_its_target_where_it_is_placed(engine: Engine, where: str) -> None:
    place = {"css": ('<style>#u{x:48px}</style>', ""), "attribute": ("", ' x="48"'),
             "style": ("", ' style="x:48px"')}[where]
    svg = (f'{_SVG_HEAD}{place[0]}<defs><text id="a" x="0" y="30" font-size="20">22-8710</text></defs>'
           f'<use id="u" href="#a"{place[1]}/><text x="0" y="30" font-size="20">536-</text></svg>').encode()
    got = extract(svg, filename="a.svg")
    shown = [s.text for s in got.segments if s.location == "svg/displayed"]
    assert shown == ["536-22-8710"], shown


def test_a_foreign_objects_text_is_drawn_at_its_place() -> None:
    svg = (f'{_SVG_HEAD}<style>#f{{x:48px}}</style><foreignObject id="f" width="200" height="60">'
           '<div xmlns="http://www.w3.org/1999/xhtml">22-8710</div></foreignObject>'
           '<text x="0" y="30" font-size="20">536-</text></svg>').encode()
    shown = [s.text for s in extract(svg, filename="a.svg").segments if s.location == "svg/displayed"]
    assert shown == ["536-22-8710"], shown


def test_a_use_of_itself_ends() -> None:
    svg = f'{_SVG_HEAD}<g id="g"><use href="#g"/><text x="0" y="30">536</text></g></svg>'.encode()
    shown = [s.text for s in extract(svg, filename="a.svg").segments if s.location == "svg/displayed"]
    assert shown == ["536"], shown  # a circular use draws nothing (browsers refuse it)
