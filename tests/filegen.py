"""Real documents for the file-extraction tests, made with the libraries people's
tools use (reportlab, pypdf, python-docx, openpyxl, python-pptx, odfpy).

Every identifier is synthetic (SSN-shaped values in the 536-22-xxxx range).
"""

from __future__ import annotations

import email.message
import gzip
import io
import re
import struct
import tarfile
import zipfile
import zlib
from typing import Any

SSN_BODY = "536-22-1234"
SSN_WHITE = "536-22-2001"
SSN_OFFPAGE = "536-22-2002"
SSN_INVISIBLE = "536-22-2003"
SSN_FORM = "536-22-2004"
SSN_HEADER = "536-22-3001"
SSN_FOOTER = "536-22-3002"
SSN_COMMENT = "536-22-3003"
SSN_HIDDEN_RUN = "536-22-3004"
SSN_CELL = "536-22-4001"
SSN_HIDDEN_SHEET = "536-22-4002"
SSN_HIDDEN_ROW = "536-22-4003"
SSN_SLIDE = "536-22-5001"
SSN_NOTES = "536-22-5002"
SSN_ODT = "536-22-6001"
SSN_RTF = "536-22-6002"
SSN_EML = "536-22-6003"
SSN_ATTACH = "536-22-6004"
SSN_NESTED = "536-22-7001"
SSN_DRAWN = "536-22-7102"


#: locations of the raw reading (dlp_proxy/files/rawread.py: every file's bytes read as
#: text too); a test of a format's own reading leaves them out
RAW_LOCATION = re.compile(r"(?:^|/)(?:bytes=\d+-\d+$|encoding=utf-8/)")


def format_locations(locations: list[str]) -> list[str]:
    """``locations`` without the raw reading's."""
    return [loc for loc in locations if not RAW_LOCATION.search(loc)]


# -- PDF -----------------------------------------------------------------------------


def pdf_document(pages: int = 2, *, visible: str = SSN_BODY) -> bytes:
    """Page 1: visible text.  Page 2: white text, text placed off the page, invisible
    text (render mode 3) and a filled form field."""
    from reportlab.lib.colors import white
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792))
    c.setTitle("Quarterly client review")
    c.drawString(72, 720, f"Client SSN {visible} on file")
    c.showPage()
    if pages >= 2:
        c.drawString(72, 720, "Nothing to see here")
        c.setFillColor(white)
        c.drawString(72, 700, f"white {SSN_WHITE}")
        c.setFillColorRGB(0, 0, 0)
        c.drawString(-2000, -2000, f"offpage {SSN_OFFPAGE}")
        t = c.beginText(72, 600)
        t.setTextRenderMode(3)
        t.textLine(f"invisible {SSN_INVISIBLE}")
        c.drawText(t)
        c.acroForm.textfield(name="client_ssn", value=SSN_FORM, x=72, y=500, width=200, height=20)
        c.showPage()
    for n in range(3, pages + 1):
        c.drawString(72, 720, f"Page {n} of the appendix with ordinary words")
        c.showPage()
    c.save()
    return buf.getvalue()


def pdf_pages(n: int, text: str = "Lorem ipsum dolor sit amet, account review notes") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for i in range(n):
        for line in range(40):
            c.drawString(40, 800 - 18 * line, f"{text} page {i + 1} line {line + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def pdf_encrypted(password: str = "s3cret") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_document(1))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_owner_only() -> bytes:
    """Encrypted with an empty user password (opens without one): fully inspectable."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_document(1))))
    writer.encrypt(user_password="", owner_password="owner-only", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _hand_pdf(content: bytes, fonts: bytes, extra: list[bytes], *, page: bytes = b"", catalog: bytes = b"") -> bytes:
    """A one-page PDF written object by object: ``fonts`` is the page's /Font dictionary
    body, ``extra`` the objects from number 5 on (fonts, CMaps); ``page`` and ``catalog``
    more entries of the page and catalog dictionaries."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << " + fonts
            + b" >> >> /Contents 4 0 R " + page + b">>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream", *extra]
    return pdf_of_objects(objs)


def pdf_of_objects(objs: list[bytes], version: bytes = b"1.4") -> bytes:
    """A PDF of ``objs`` as objects 1, 2, ... (the first the catalog), with its cross-reference
    table and trailer."""
    out = b"%PDF-" + version + b"\n"
    offsets = []
    for n, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


def pdf_tounicode_lie(ssn: str = SSN_DRAWN, *, lie: bool = True, honest: bool = False, ranges: bool = False,
                      differences: bool = True) -> bytes:
    """``client SSN <ssn>`` where the digits are drawn with a Helvetica whose /Differences
    map the codes a..j to the glyphs zero..nine (a viewer shows the digits), and (``lie``)
    whose ToUnicode CMap maps the same codes to the letters a..j (text extraction reads
    letters; ``honest``: to the digits the glyphs show; ``ranges``: as one bfrange;
    without ``differences`` the digits are drawn by their own codes, WinAnsi, and the
    CMap maps the digits' codes)."""
    letters = ssn.translate(str.maketrans("0123456789", "abcdefghij")).encode()
    diff = (b"/Encoding << /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [97 /zero /one /two "
            b"/three /four /five /six /seven /eight /nine] >> ")
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def\n"
            b"1 begincodespacerange <00> <FF> endcodespacerange\n"
            + (b"1 beginbfrange <61> <6A> <00%02X> endbfrange" % (0x30 if honest else 0x61) if ranges else
               b"10 beginbfchar " + b" ".join(b"<%02X> <00%02X>" % (c, c - 0x31 if honest else c) for c in range(0x61, 0x6B))
               + b" endbfchar")
            + b"\nendcmap CMapName currentdict /CMap defineresource pop end end")
    if not differences:
        letters = ssn.encode()
        diff = b"/Encoding /WinAnsiEncoding "
        cmap = cmap.replace(b"<61> <6A>", b"<30> <39>")
        cmap = re.sub(rb"<6([1-9A])> <00", lambda m: b"<%02X> <00" % (int(m[1], 16) + 0x2F), cmap)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica " + diff + (b"/ToUnicode 7 0 R " if lie else b"") + b">>"
    extra = [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", font]
    if lie:
        extra.append(b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream")
    content = b"BT /F1 24 Tf 72 700 Td (client SSN ) Tj /F2 24 Tf (" + letters + b") Tj ET"
    return _hand_pdf(content, b"/F1 5 0 R /F2 6 0 R", extra)


def pdf_embedded_font_pages(n: int, *, secret_page: int = 0, lie: bool = False, ssn: str = SSN_DRAWN) -> bytes:
    """``n`` pages of a memo in an embedded TrueType font with a ToUnicode map (as office
    exports write them: DejaVu Sans, subset by reportlab), 30 lines a page, dates and
    amounts in them; page ``secret_page`` (1-based) also holds ``client SSN <ssn>``.
    ``lie``: the ToUnicode map reads the digit glyphs' codes as the letters a..j (a viewer
    shows the digits, text extraction reads letters)."""
    from pypdf import PdfReader, PdfWriter
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuMemo", FONT))
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(612, 792))
    for page in range(1, n + 1):
        c.setFont("DejaVuMemo", 11)
        for line in range(30):
            text = (f"client SSN {ssn}" if page == secret_page and line == 12 else
                    f"Item {page}.{line + 1}: allocation reviewed on 2026-11-{(line % 28) + 1:02d}, EUR {line * 137} (ok)")
            c.drawString(56, 760 - 24 * line, text)
        c.showPage()
    c.save()
    if not lie:
        return out.getvalue()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(out.getvalue())))
    done: set[int] = set()
    for pg in writer.pages:
        fonts = pg["/Resources"]["/Font"]
        for name in fonts:
            font = fonts[name].get_object()
            ref = font.raw_get("/ToUnicode") if "/ToUnicode" in font else None
            if ref is None or ref.idnum in done:
                continue
            done.add(ref.idnum)
            stream = font["/ToUnicode"].get_object()
            data = stream.get_data()
            data = re.sub(rb"<3([0-9])> <003[0-9]>", lambda m: b"<3%s> <00%02X>" % (m[1], 0x61 + int(m[1])), data)
            stream.set_data(data)
    result = io.BytesIO()
    writer.write(result)
    return result.getvalue()


def pdf_annotation_drawn(subtype: str, ssn: str = SSN_DRAWN) -> bytes:
    """A page of text with one annotation of ``subtype`` (``Widget``: a text field whose
    /V is ``x``) whose appearance stream (/AP /N) draws ``client SSN <ssn>``."""
    line = f"client SSN {ssn}".encode()
    appearance = (b"BT /Helv 20 Tf 5 10 Td (" + line + b") Tj ET")
    annot = (b"<< /Type /Annot /Subtype /" + subtype.encode() + b" /Rect [72 500 472 540] /F 4 /P 3 0 R "
             + (b"/FT /Tx /T (f1) /V (x) " if subtype == "Widget" else b"/Contents (note) ")
             + b"/AP << /N 7 0 R >> >>")
    form = (b"<< /Type /XObject /Subtype /Form /BBox [0 0 400 40] /Resources << /Font << /Helv 5 0 R >> >> "
            b"/Length %d >>\nstream\n" % len(appearance) + appearance + b"\nendstream")
    content = b"BT /F1 12 Tf 72 700 Td (Meeting notes) Tj ET"
    catalog = b"/AcroForm << /Fields [6 0 R] >> " if subtype == "Widget" else b""
    return _hand_pdf(content, b"/F1 5 0 R", [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", annot, form],
                     page=b"/Annots [6 0 R] ", catalog=catalog)


def pdf_out_of_order(order: list[int], ssn: str = SSN_DRAWN, *, pieces: list[str] | None = None) -> bytes:
    """``client SSN <ssn>`` on one line, its ``pieces`` (default: one per character) drawn
    in ``order`` (indexes into the pieces), each at its own absolute text matrix (``Tm``)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    line = f"client SSN {ssn}"
    parts = pieces if pieces is not None else list(line)
    assert "".join(parts) == line
    xs, x = [], 72.0
    for part in parts:
        xs.append(x)
        x += stringWidth(part, "Helvetica", 20)
    shows = b" ".join(b"1 0 0 1 %.2f 600 Tm (%s) Tj" % (xs[i], parts[i].encode()) for i in order)
    content = b"BT /F1 20 Tf " + shows + b" ET"
    return _hand_pdf(content, b"/F1 5 0 R", [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"])


def _line_image(text: str, px: int = 28) -> Any:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, px)
    img = Image.new("RGB", (25 * len(text) + 40, 2 * px + 24), (255, 255, 255))
    ImageDraw.Draw(img).text((10, 12), text, fill=(0, 0, 0), font=font)
    return img


def pdf_drawn(kind: str, ssn: str = SSN_DRAWN) -> bytes:
    """A page whose text layer does not hold ``client SSN <ssn>`` but whose drawing shows it:
    ``text-plus-image`` (a sentence of text and a picture of the line), ``inline-image``
    (``BI .. ID .. EI``), ``form-image`` (the picture inside a form XObject),
    ``vector-text`` (the line drawn as stroked lines, one per run of ink of a rasterised
    glyph row: text turned into paths)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    line = f"client SSN {ssn}"
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(612, 792))
    c.drawString(72, 740, "Quarterly memo: the desk reviewed the allocation schedule for the coming quarter.")
    img = _line_image(line)
    width, height = img.size[0] / 2, img.size[1] / 2
    if kind == "text-plus-image":
        c.drawImage(ImageReader(img), 72, 600, width=width, height=height)
    elif kind == "inline-image":
        c.drawInlineImage(img, 72, 600, width=width, height=height)
    elif kind == "form-image":
        c.beginForm("f1")
        c.drawImage(ImageReader(img), 72, 600, width=width, height=height)
        c.endForm()
        c.doForm("f1")
    elif kind == "vector-text":
        grey = img.convert("L")
        cell = 0.5  # points per pixel of the rasterised line
        path = c.beginPath()
        for y in range(grey.size[1]):
            x = 0
            row = [grey.getpixel((i, y)) < 128 for i in range(grey.size[0])]
            while x < len(row):
                if row[x]:
                    start = x
                    while x < len(row) and row[x]:
                        x += 1
                    top = 600 + (grey.size[1] - y) * cell
                    path.moveTo(72 + start * cell, top)
                    path.lineTo(72 + x * cell, top)
                x += 1
        c.setLineWidth(cell)
        c.drawPath(path, stroke=1, fill=0)
    else:
        raise ValueError(kind)
    c.showPage()
    c.save()
    return out.getvalue()


def pdf_ruled_report(rows: int = 5) -> bytes:
    """Born-digital text in a standard font, under a few rules: nothing drawn that the text
    layer does not hold."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=(612, 792))
    c.drawString(72, 740, "Desk review: allocation schedule")
    for n in range(rows):
        c.drawString(72, 700 - 20 * n, f"Item {n + 1}: settlement calendar reviewed")
        c.line(72, 695 - 20 * n, 540, 695 - 20 * n)
    c.rect(60, 590, 490, 170)
    c.showPage()
    c.save()
    return out.getvalue()


# -- OOXML ---------------------------------------------------------------------------


def docx_document() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph(f"Client record {SSN_BODY}")
    hidden = d.add_paragraph().add_run(f"hidden run {SSN_HIDDEN_RUN}")
    hidden.font.hidden = True
    para = d.add_paragraph("Please review this paragraph")
    d.add_comment(para.runs, text=f"comment {SSN_COMMENT}", author="Reviewer", initials="RV")
    section = d.sections[0]
    section.header.paragraphs[0].text = f"header {SSN_HEADER}"
    section.footer.paragraphs[0].text = f"footer {SSN_FOOTER}"
    table = d.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Name"
    table.cell(0, 1).text = "Ann Example"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def docx_table(rows: list[list[str]], *, text: str = "Client onboarding checklist") -> bytes:
    """A Word document with ``text`` then a table of ``rows``."""
    import docx

    d = docx.Document()
    d.add_paragraph(text)
    table = d.add_table(rows=len(rows), cols=max(len(r) for r in rows))
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            table.cell(i, j).text = cell
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def pptx_table(rows: list[list[str]]) -> bytes:
    """A presentation whose second slide holds a table of ``rows``."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slides.add_slide(prs.slide_layouts[5]).shapes.title.text = "Quarterly review"
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    slide.shapes.title.text = "Client details"
    cols = max(len(r) for r in rows)
    shape = slide.shapes.add_table(len(rows), cols, Inches(0.5), Inches(2), Inches(9), Inches(0.4 * len(rows)))
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            shape.table.cell(i, j).text = cell
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def xlsx_rows(rows: list[list[object]], formats: dict[str, str] | None = None) -> bytes:
    """A workbook whose first sheet holds ``rows`` from A1 (numbers stay numbers);
    ``formats``: number formats by cell (``{"B2": '0"-"'}``)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for cell, number_format in (formats or {}).items():
        ws[cell].number_format = number_format
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsx_document() -> bytes:
    import openpyxl
    from openpyxl.comments import Comment

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Clients"
    ws["A1"] = "Name"
    ws["B1"] = "SSN"
    ws["A7"] = "Ann Example"
    ws["B7"] = SSN_CELL
    ws["B9"] = SSN_HIDDEN_ROW
    ws.row_dimensions[9].hidden = True
    ws["C7"] = 536221234
    ws["A2"].comment = Comment(f"note {SSN_COMMENT}", "Reviewer")
    hidden = wb.create_sheet("Hidden")
    hidden["A1"] = SSN_HIDDEN_SHEET
    hidden.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pptx_document() -> bytes:
    from pptx import Presentation

    prs = Presentation()
    s1 = prs.slides.add_slide(prs.slide_layouts[1])
    s1.shapes.title.text = "Quarterly review"
    s2 = prs.slides.add_slide(prs.slide_layouts[1])
    s2.shapes.title.text = f"Client {SSN_SLIDE}"
    s2.notes_slide.notes_text_frame.text = f"speaker notes {SSN_NOTES}"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def cfb_encrypted_office() -> bytes:
    """The shape of a password-protected .docx/.xlsx: an OLE2 compound file whose
    directory holds the EncryptionInfo and EncryptedPackage streams (MS-OFFCRYPTO)."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)  # minor, major(3), byte order, 512-byte sectors
    struct.pack_into("<H", header, 32, 6)  # mini sector shift
    struct.pack_into("<I", header, 44, 1)  # number of FAT sectors
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)  # no mini FAT
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)  # no DIFAT sectors
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0] = FAT at sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<III", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFE)

    def entry(name: str, kind: int) -> bytes:
        e = bytearray(128)
        raw = name.encode("utf-16-le") + b"\x00\x00"
        e[0 : len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into("<III", e, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        return bytes(e)

    directory = entry("Root Entry", 5) + entry("EncryptionInfo", 2) + entry("EncryptedPackage", 2) + entry("", 0)
    return bytes(header) + bytes(fat) + directory + b"\x00" * 1024


# -- OpenDocument, RTF, EML -----------------------------------------------------------


def odt_document() -> bytes:
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    doc = OpenDocumentText()
    doc.text.addElement(P(text=f"ODT client {SSN_ODT}"))
    p = P(text="commented paragraph")
    ann = Annotation()
    ann.addElement(P(text=f"odt comment {SSN_COMMENT}"))
    p.addElement(ann)
    doc.text.addElement(p)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def ods_document() -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Clients")
    for values in (["Name", "SSN"], ["Ann Example", SSN_CELL]):
        row = TableRow()
        for v in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=v))
            row.addElement(cell)
        table.addElement(row)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def rtf_document() -> bytes:
    return (
        "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times;}}\\f0\\fs24 Client record "
        f"{SSN_RTF}\\par Second line\\par{{\\*\\annotation hidden note 536-22-6009}}}}"
    ).encode("ascii")


def eml_message() -> bytes:
    msg = email.message.EmailMessage()
    msg["From"] = "advisor@example.com"
    msg["To"] = "client@example.org"
    msg["Subject"] = "Account paperwork"
    msg.set_content(f"Hello, your SSN {SSN_EML} is on file.")
    msg.add_attachment(f"name,ssn\nAnn,{SSN_ATTACH}\n".encode(), maintype="text", subtype="csv", filename="clients.csv")
    return bytes(msg)


# -- containers and bombs ---------------------------------------------------------------


def zip_of(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def nested_zip() -> bytes:
    """outer.zip -> inner.zip -> clients.csv (SSN on line 3)."""
    csv = f"name,ssn\nBob,000-00-0000\nAnn,{SSN_NESTED}\n".encode()
    inner = zip_of({"clients.csv": csv})
    return zip_of({"readme.txt": b"quarterly export", "inner.zip": inner})


def deep_zip(depth: int) -> bytes:
    data = zip_of({"clients.csv": f"ssn\n{SSN_NESTED}\n".encode()})
    for level in range(depth - 1):
        data = zip_of({f"level{level}.zip": data})
    return data


def ratio_bomb(uncompressed: int = 64 * 1024 * 1024) -> bytes:
    return zip_of({"zeros.txt": b"\x00" * uncompressed})


def gzip_bomb(uncompressed: int = 64 * 1024 * 1024) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\x00" * (1 << 20)
    parts = [co.compress(chunk) for _ in range(uncompressed >> 20)]
    parts.append(co.flush())
    return b"".join(parts)


def many_entries(n: int) -> bytes:
    return zip_of({f"f{i}.txt": b"x" for i in range(n)}, compression=zipfile.ZIP_STORED)


def tar_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def tgz_of(members: dict[str, bytes]) -> bytes:
    return gzip.compress(tar_of(members))


def gzip_named(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


# -- encrypted ZIP (traditional PKWARE "ZipCrypto", what `zip -e` writes) ----------------


class _ZipCrypto:
    def __init__(self, password: bytes) -> None:
        self.k = [0x12345678, 0x23456789, 0x34567890]
        for b in password:
            self._update(b)

    def _update(self, b: int) -> None:
        k = self.k
        k[0] = zlib.crc32(bytes([b]), k[0] ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
        k[1] = (k[1] + (k[0] & 0xFF)) & 0xFFFFFFFF
        k[1] = (k[1] * 134775813 + 1) & 0xFFFFFFFF
        k[2] = zlib.crc32(bytes([k[1] >> 24]), k[2] ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            t = (self.k[2] | 2) & 0xFFFF
            out.append(b ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self._update(b)
        return bytes(out)


def encrypted_zip(name: str = "clients.csv", data: bytes = b"ssn\n536-22-1234\n", password: bytes = b"pw") -> bytes:
    crc = zlib.crc32(data)
    enc = _ZipCrypto(password)
    header12 = bytes(range(11)) + bytes([crc >> 24])
    payload = enc.encrypt(header12) + enc.encrypt(data)
    fname = name.encode()
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 1, 0, 0, 0, crc, len(payload), len(data), len(fname), 0) + fname
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 1, 0, 0, 0, crc, len(payload), len(data), len(fname), 0, 0, 0, 0, 0, 0
    ) + fname
    offset = len(local) + len(payload)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), offset, 0)
    return local + payload + central + end


# -- corrupt and polyglot ----------------------------------------------------------------


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    return data[: int(len(data) * keep)]


def pdf_with_zip_appended() -> bytes:
    return pdf_document(1) + zip_of({"hidden.csv": f"ssn\n{SSN_NESTED}\n".encode()})


# -- images: screenshots and photos ----------------------------------------------------------

#: Debian's fonts-dejavu-core: the TrueType font screenshots are rendered with
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def screenshot(lines: list[str], px: int, *, fmt: str = "PNG", width: int = 1280, dark: bool = False,
               fg: tuple[int, int, int] | None = None, rotate: int = 0) -> bytes:
    """A chat-client-like screenshot: a coloured sidebar with channel names, then ``lines``
    in ``px``-pixel TrueType text (antialiased, as a screen shows it); ``fg`` overrides
    the text colour (light grey text), ``rotate`` turns the picture (degrees, counter-clockwise)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, px)
    small = ImageFont.truetype(FONT, 14)
    line_h = int(px * 1.6)
    height = max(240, 80 + line_h * len(lines))
    bg, text_fg = ((32, 34, 37), (220, 221, 222)) if dark else ((255, 255, 255), (33, 37, 41))
    fg = fg or text_fg
    img = Image.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 220, height), fill=(30, 50, 90))
    draw.text((16, 20), "Acme Securities", font=small, fill=(255, 255, 255))
    for i, name in enumerate(("town-square", "ops-desk", "client-service")):
        draw.text((16, 60 + 26 * i), "# " + name, font=small, fill=(200, 210, 230))
    y = 40
    for line in lines:
        draw.text((250, y), line, font=font, fill=fg)
        y += line_h
    if rotate:
        img = img.rotate(rotate, expand=True, fillcolor=bg)
    out = io.BytesIO()
    if fmt == "GIF":
        img = img.convert("P")
    img.save(out, fmt)
    return out.getvalue()


def screenshot_lines(ssn: str | None = None, card: str | None = None, iban: str | None = None) -> list[str]:
    lines = ["alice  10:42 AM", "morning, the Q3 rebalancing notes are in the shared drive"]
    if ssn:
        lines.append(f"can you check the client SSN {ssn} before EOD?")
    if card:
        lines.append(f"card on file is {card}")
    if iban:
        lines.append(f"wire the refund to IBAN {iban}")
    lines += ["bob  10:43 AM", "thanks, will do after the 11:00 call", "Settlement date 2026-11-28, ticket T-88812"]
    return lines


def photo_like(width: int = 1600, height: int = 1200, *, seed: int = 1, fmt: str = "JPEG") -> bytes:
    """A phone-photo-like image with no text: a smooth colour field, blurred, with sensor
    noise, JPEG-compressed."""
    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (max(2, height // 64), max(2, width // 64), 3)).astype(np.uint8)
    img = Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(8))
    noisy = np.asarray(img).astype(np.int16) + rng.normal(0, 6, (height, width, 3)).astype(np.int16)
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(out, fmt, quality=85)
    return out.getvalue()


def scanned_pdf(lines: list[str], *, px: int = 33, pages: int = 1) -> bytes:
    """An image-only PDF: each page is a 200 dpi greyscale scan (no text layer).
    ``px`` 33 at 200 dpi is 12 pt text."""
    from PIL import Image, ImageDraw, ImageFont
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    font = ImageFont.truetype(FONT, px)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(612, 792))
    for _ in range(pages):
        img = Image.new("L", (1700, 2200), 250)
        draw = ImageDraw.Draw(img)
        for i, line in enumerate(lines):
            draw.text((150, 200 + int(px * 1.8) * i), line, font=font, fill=20)
        c.drawImage(ImageReader(img), 0, 0, width=612, height=792)
        c.showPage()
    c.save()
    return buf.getvalue()


# -- legacy Office and Outlook (OLE2 compound files, built by tests/cfb.py) -------------------


def xls_document(rows: list[list[object]], *, hidden_sheet: list[list[object]] | None = None) -> bytes:
    """A BIFF8 .xls workbook written by xlwt (what Excel 97-2003 writes)."""
    import xlwt  # type: ignore[import-untyped]

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Clients")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write(r, c, value)
    if hidden_sheet is not None:
        hs = wb.add_sheet("Archive")
        hs.visibility = 1
        for r, row in enumerate(hidden_sheet):
            for c, value in enumerate(row):
                hs.write(r, c, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def doc_document(ascii_text: str, unicode_text: str = "", *, encrypted: bool = False) -> bytes:
    """A Word 97-2003 .doc ([MS-DOC]): a FIB, the text in the WordDocument stream as two
    pieces (one 8-bit "compressed", one UTF-16), and the piece table (CLX) in 1Table."""
    from tests.cfb import cfb

    first = ascii_text.encode("cp1252")
    second = unicode_text.encode("utf-16-le")
    text_at = 1024
    second_at = text_at + len(first) + (len(first) % 2)
    word = bytearray(max(second_at + len(second), 1536))
    struct.pack_into("<HH", word, 0, 0xA5EC, 0x00C1)  # wIdent, nFib (Word 97)
    flags = 0x0200 | (0x0100 if encrypted else 0)  # fWhichTblStm (1Table), fEncrypted
    struct.pack_into("<H", word, 0x0A, flags)
    struct.pack_into("<H", word, 32, 14)  # csw
    struct.pack_into("<H", word, 62, 22)  # cslw
    n_chars = len(ascii_text) + len(unicode_text)
    struct.pack_into("<I", word, 64 + 12, n_chars)  # ccpText
    struct.pack_into("<H", word, 152, 0x5D)  # cbRgFcLcb (FibRgFcLcb97)
    word[text_at : text_at + len(first)] = first
    word[second_at : second_at + len(second)] = second
    pieces = [(0, len(ascii_text), 0x40000000 | (text_at * 2))]
    if unicode_text:
        pieces.append((len(ascii_text), n_chars, second_at))
    plc = b"".join(struct.pack("<I", cp) for cp in [p[0] for p in pieces] + [n_chars])
    plc += b"".join(struct.pack("<HIH", 0, fc, 0) for _, _, fc in pieces)
    clx = b"\x02" + struct.pack("<I", len(plc)) + plc
    table = b"\x00" * 16 + clx
    struct.pack_into("<II", word, 0x01A2, 16, len(clx))  # fcClx, lcbClx
    return cfb({"WordDocument": bytes(word), "1Table": table})


def _record(rtype: int, payload: bytes, *, container: bool = False, instance: int = 0) -> bytes:
    ver_inst = (instance << 4) | (0xF if container else 0)
    return struct.pack("<HHI", ver_inst, rtype, len(payload)) + payload


def ppt_document(slides: list[str], notes: str = "") -> bytes:
    """A PowerPoint 97-2003 .ppt ([MS-PPT]): slide text as TextCharsAtom (UTF-16) and
    TextBytesAtom (8-bit) records in a SlideListWithText container; a notes text."""
    from tests.cfb import cfb

    atoms = b""
    for i, text in enumerate(slides):
        if i % 2:
            atoms += _record(0x0FA8, text.encode("latin-1"))  # TextBytesAtom
        else:
            atoms += _record(0x0FA0, text.encode("utf-16-le"))  # TextCharsAtom
    slide_list = _record(0x0FF0, atoms, container=True)
    notes_rec = _record(0x03F0, _record(0x0FA0, notes.encode("utf-16-le")), container=True) if notes else b""
    document = _record(0x03E8, slide_list + notes_rec, container=True)
    current_user = struct.pack("<HHI", 0, 0x0FF6, 0) + b"\x00" * 20
    return cfb({"PowerPoint Document": document, "Current User": current_user})


def _props(values: list[tuple[int, int]], header: bytes) -> bytes:
    """A __properties_version1.0 stream: fixed-size (tag, value) properties."""
    out = header
    for tag, value in values:
        out += struct.pack("<IIQ", tag, 6, value)
    return out


def _str(tag_id: int, text: str) -> tuple[str, bytes]:
    return f"__substg1.0_{tag_id:04X}001F", text.encode("utf-16-le")


def msg_message(subject: str, body: str, attachments: dict[str, bytes] | None = None,
                embedded: dict[str, object] | None = None) -> bytes:
    """An Outlook .msg ([MS-OXMSG]): subject, sender, body as Unicode string streams,
    each attachment a storage with its file name and data (by value); ``embedded``
    (the arguments of another msg_message) is attached as an embedded message."""
    from tests.cfb import cfb

    return cfb(_msg_tree(subject, body, attachments or {}, embedded, top=True))


def _msg_tree(subject: str, body: str, attachments: dict[str, bytes], embedded: dict[str, object] | None, *,
              top: bool) -> dict[str, object]:
    n_att = len(attachments) + (1 if embedded else 0)
    header = b"\x00" * 8 + struct.pack("<IIII", 1, n_att, 1, n_att) + (b"\x00" * 8 if top else b"")
    tree: dict[str, object] = dict([
        _str(0x001A, "IPM.Note"), _str(0x0037, subject), _str(0x1000, body),
        _str(0x0C1A, "Alice Trader"), _str(0x0E04, "Ops Desk"),
    ])
    tree["__properties_version1.0"] = _props([(0x0E070003, 0x11)], header)  # PR_MESSAGE_FLAGS
    tree["__recip_version1.0_#00000000"] = {
        "__properties_version1.0": _props([(0x0C150003, 1)], b"\x00" * 8),  # PR_RECIPIENT_TYPE: To
        **dict([_str(0x3001, "Ops Desk"), _str(0x39FE, "ops@example.com")]),
    }
    if top:
        tree["__nameid_version1.0"] = {"__substg1.0_00020102": b"", "__substg1.0_00030102": b"",
                                       "__substg1.0_00040102": b""}
    for i, (name, data) in enumerate(attachments.items()):
        tree[f"__attach_version1.0_#{i:08X}"] = {
            "__properties_version1.0": _props([(0x37050003, 1), (0x0E210003, i)], b"\x00" * 8),  # by value
            **dict([_str(0x3707, name), _str(0x3704, name[:12])]),
            "__substg1.0_37010102": data,
        }
    if embedded:
        i = len(attachments)
        inner = _msg_tree(str(embedded["subject"]), str(embedded["body"]),
                          dict(embedded.get("attachments") or {}), None, top=False)  # type: ignore[call-overload]
        tree[f"__attach_version1.0_#{i:08X}"] = {
            "__properties_version1.0": _props([(0x37050003, 5), (0x0E210003, i)], b"\x00" * 8),  # embedded msg
            **dict([_str(0x3707, "forwarded.msg"), _str(0x3001, "forwarded")]),
            "__substg1.0_3701000D": inner,
        }
    return tree


# -- text hidden from display (tests/test_files_display.py) ----------------------------------

#: the identifier a reader sees whole, with ``HIDDEN`` hidden inside it in the file
SSN_SPLIT = ("536-22-", "8710")
HIDDEN = "lorem"


def docx_hidden_inside(mode: str) -> bytes:
    """A paragraph ``Client SSN 536-22-<HIDDEN>8710`` whose middle run is not displayed:
    ``hidden`` (w:vanish), ``spec`` (w:specVanish), ``white``, ``tiny`` (1 pt) or
    ``style`` (a character style that hides)."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.shared import Pt, RGBColor

    d = docx.Document()
    p = d.add_paragraph(f"Client SSN {SSN_SPLIT[0]}")
    run = p.add_run(HIDDEN)
    if mode == "hidden":
        run.font.hidden = True
    elif mode == "spec":
        run._r.get_or_add_rPr().append(OxmlElement("w:specVanish"))
    elif mode == "white":
        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    elif mode == "tiny":
        run.font.size = Pt(1)
    elif mode == "style":
        style = d.styles.add_style("Ghost", WD_STYLE_TYPE.CHARACTER)
        style.font.hidden = True
        run.style = style
    p.add_run(f"{SSN_SPLIT[1]} on file")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def pptx_hidden_inside(mode: str) -> bytes:
    """A slide ``Client SSN 536-22-<HIDDEN>8710`` whose middle run is ``white`` or ``tiny``."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    para = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1)).text_frame.paragraphs[0]
    for text in (f"Client SSN {SSN_SPLIT[0]}", HIDDEN, f"{SSN_SPLIT[1]} on file"):
        run = para.add_run()
        run.text = text
        run.font.size = Pt(18)
        if text == HIDDEN:
            if mode == "white":
                run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
            else:
                run.font.size = Pt(1)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def pdf_hidden_inside(mode: str) -> bytes:
    """A PDF line ``Client SSN 536-22-<HIDDEN>8710`` whose middle text is ``invisible``
    (render mode 3), ``white``, ``tiny`` (0.5 pt) or ``offpage`` (drawn left of the page)."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    t = c.beginText(72, 700)
    t.setFont("Helvetica", 12)
    first = f"Client SSN {SSN_SPLIT[0]}"
    t.textOut(first)
    if mode == "invisible":
        t.setTextRenderMode(3)
        t.textOut(HIDDEN)
        t.setTextRenderMode(0)
    elif mode == "white":
        t.setFillColorRGB(1, 1, 1)
        t.textOut(HIDDEN)
        t.setFillColorRGB(0, 0, 0)
    elif mode == "tiny":
        t.setFont("Helvetica", 0.5)
        t.textOut(HIDDEN)
        t.setFont("Helvetica", 12)
    elif mode == "offpage":
        t.setTextOrigin(-500, 700)
        t.textOut(HIDDEN)
        t.setTextOrigin(72 + c.stringWidth(first, "Helvetica", 12), 700)
    t.textOut(f"{SSN_SPLIT[1]} on file")
    c.drawText(t)
    c.showPage()
    c.save()
    return out.getvalue()


def xlsx_hidden_column() -> bytes:
    """A row ``Client | 536 | <hidden column: 99> | 22 | 8710``: Excel shows 536 | 22 | 8710."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Name", "Client", "SSN"])
    ws.append(["Ann Example", "SSN", 536, 99, 22, 8710])
    ws.column_dimensions["D"].hidden = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def animated(fmt: str, frames: list[list[str]], px: int = 14) -> bytes:
    """An animation (``GIF``, ``PNG`` = APNG, ``WEBP``) of screenshots, one per ``frames`` item."""
    from PIL import Image

    pictures = [Image.open(io.BytesIO(screenshot(lines, px))).convert("RGB") for lines in frames]
    out = io.BytesIO()
    pictures[0].save(out, fmt, save_all=True, append_images=pictures[1:], duration=400, loop=0)
    return out.getvalue()


def with_duplicate_entry(package: bytes, name: str, first: bytes) -> bytes:
    """``package`` (a ZIP) with a second entry ``name`` written *before* the others,
    holding ``first``: Python's zipfile reads the last entry of a name, other readers the first."""
    src = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    import warnings

    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name": the point of the file
        for info in src.infolist():
            if info.filename == name:
                zf.writestr(name, first)
            zf.writestr(info, src.read(info))
    return out.getvalue()


def docx_duplicate_document() -> bytes:
    """A .docx with two word/document.xml: the first holds an SSN, the last is clean."""
    clean = docx_table([["Item", "Status"]], text="Quarterly review notes")
    body = zipfile.ZipFile(io.BytesIO(clean)).read("word/document.xml").decode()
    first = body.replace("Quarterly review notes", f"Client SSN {SSN_SPLIT[0]}{SSN_SPLIT[1]}")
    return with_duplicate_entry(clean, "word/document.xml", first.encode())


def svg_split(mode: str) -> bytes:
    """An SVG that draws ``Client SSN 536-22-8710``: ``tspans`` out of order,
    ``entity`` (an internal entity), ``hidden`` (an undrawn tspan inside) or
    ``texts`` (two <text> elements placed side by side, the right one first) or ``css``
    (tspans hidden by a <style> rule)."""
    head = '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="80">'
    a, b = SSN_SPLIT
    if mode == "tspans":
        body = f'<text y="40"><tspan x="160">{b}</tspan><tspan x="10">Client SSN {a}</tspan></text>'
    elif mode == "entity":
        return (f'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY g "{a}">]>{head}'
                f'<text x="10" y="40">Client SSN &g;{b}</text></svg>').encode()
    elif mode == "hidden":
        body = (f'<text x="10" y="40">Client SSN {a}<tspan style="display:none">{HIDDEN}</tspan>'
                f'<tspan fill="#fff">x</tspan><tspan font-size="0.5">y</tspan>{b}</text>')
    elif mode == "css":
        body = (f'<style>/* chart */ .note, .x {{ display: none }} tspan#w {{ fill: #FFF }}</style>'
                f'<text x="10" y="40">Client SSN {a}<tspan class="a note">{HIDDEN}</tspan><tspan id="w">q</tspan>{b}</text>')
    else:
        body = f'<text x="160" y="40">{b}</text><desc>chart</desc><text x="10" y="40">Client SSN {a}</text>'
    return f"{head}{body}</svg>".encode()


def xlsx_hidden_run(mode: str = "white", *, rows: int = 1) -> bytes:
    """A cell ``Client SSN 536-22-<HIDDEN>8710`` whose middle rich-text run is ``white``
    or ``tiny`` (1 pt); ``rows`` of filler after it make a large sheet (read as a table)."""
    import openpyxl
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Note", "Amount"])
    font = InlineFont(color="FFFFFFFF") if mode == "white" else InlineFont(sz=1)
    ws.append([CellRichText(f"Client SSN {SSN_SPLIT[0]}", TextBlock(font, HIDDEN), f"{SSN_SPLIT[1]} on file"), 12])
    for n in range(rows - 1):
        ws.append([f"filler line {n}", n])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def odt_hidden_inside(mode: str) -> bytes:
    """An ODT paragraph ``Client SSN 536-22-<HIDDEN>8710`` whose middle span is in a text
    style that is ``hidden`` (text:display none), ``white`` or ``tiny`` (1 pt)."""
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.text import P, Span

    doc = OpenDocumentText()
    props = {"hidden": {"display": "none"}, "white": {"color": "#ffffff"}, "tiny": {"fontsize": "1pt"}}[mode]
    style = Style(name="Ghost", family="text")
    style.addElement(TextProperties(**props))
    doc.automaticstyles.addElement(style)
    p = P(text=f"Client SSN {SSN_SPLIT[0]}")
    p.addElement(Span(stylename=style, text=HIDDEN))
    p.addText(f"{SSN_SPLIT[1]} on file")
    doc.text.addElement(p)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- bytes outside a format's index (files/outside.py) -------------------------------------


def zip_with_gap(members: dict[str, bytes], gap: bytes) -> bytes:
    """A ZIP with ``gap`` written between its first member and the rest (offsets kept
    right: every reader opens it and lists the members)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, data) in enumerate(members.items()):
            zf.writestr(name, data)
            if i == 0:
                out.seek(zf.start_dir)
                out.write(gap)
                zf.start_dir = out.tell()
    return out.getvalue()


def zip_streamed(members: dict[str, bytes]) -> bytes:
    """A ZIP written to a pipe (no seeking): local headers without sizes, each entry's
    data followed by a data descriptor (what ``zip -`` and streaming writers make)."""

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.buf = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.buf += bytes(b)
            return len(b)

    pipe = Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            with zf.open(name, "w") as fh:
                fh.write(data)
    return bytes(pipe.buf)


def tar_pax(name: str = "readme.txt", data: bytes = b"hello", *, pax: dict[str, str] | None = None,
            uname: str = "", tail: bytes = b"", padding: bytes = b"") -> bytes:
    """A PAX TAR of one member, with PAX headers, an owner name, bytes in the member's
    padding (after its data, before the next block) and bytes after the end blocks."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.uname = uname
        info.pax_headers.update(pax or {})
        tf.addfile(info, io.BytesIO(data))
    blob = out.getvalue()
    if padding:
        at = blob.find(data, 512) + len(data)
        assert len(padding) <= -len(data) % 512
        blob = blob[:at] + padding + blob[at + len(padding):]
    return blob + tail


def pdf_revised(old_text: str, new_text: str, *, compress: bool = True, free: bool = False) -> bytes:
    """A one-page PDF saved twice (an incremental update): revision 1 shows
    ``old_text``; revision 2 points the page at a new content stream showing
    ``new_text`` (``free``: and marks the old stream's object free), leaving revision 1's
    stream in the file, as every editor, form filler and signer does."""

    def stream(text: str) -> bytes:
        data = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        if compress:
            data = zlib.compress(data)
            return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
        return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"

    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
    body = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page % 4,
            stream(old_text), b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for number, obj in enumerate(body, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 6\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    o6 = len(out)
    out += b"6 0 obj\n" + stream(new_text) + b"\nendobj\n"
    o3 = len(out)
    out += b"3 0 obj\n" + page % 6 + b"\nendobj\n"
    xref2 = len(out)
    freed = b"4 1\n0000000000 00001 f \n" if free else b""
    out += b"xref\n0 1\n0000000000 65535 f \n3 1\n%010d 00000 n \n" % o3 + freed + b"6 1\n%010d 00000 n \n" % o6
    out += b"trailer\n<< /Size 7 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (xref, xref2)
    return out


def pdf_catalog(*, outline: str = "", label: str = "", dest: str = "", lang: str = "") -> bytes:
    """A blank page whose catalog carries an outline (bookmark) title, a page-label
    prefix, a named destination and a language, each when given."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    w = PdfWriter()
    w.add_blank_page(200, 200)
    if outline:
        w.add_outline_item(title=outline, page_number=0)
    if label:
        w.set_page_label(0, 0, prefix=label)
    if dest:
        w.add_named_destination(dest, 0)
    if lang:
        w._root_object[NameObject("/Lang")] = TextStringObject(lang)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()
