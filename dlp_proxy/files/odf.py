"""OpenDocument (ODT, ODS, ODP) read from the package XML: body text, comments
(office:annotation), headers/footers (styles.xml), metadata, spreadsheet cells
with addresses (hidden rows and sheets flagged), slides and speaker notes."""

from __future__ import annotations

import io
import re
import zipfile
from typing import TYPE_CHECKING, Any

from dlp_proxy.files.bounded import entry_copies, read_zip_member, zip_directory
from dlp_proxy.files.cells import col_letters, date_serial, format_number, format_text, formula_values
from dlp_proxy.files.limits import TimeUp
from dlp_proxy.files.rows import split_row
from dlp_proxy.files.xmltext import TEXT_ATTRS, local, parse_shown

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

_BLOCK = {"p", "h", "list-item", "table-row"}
_MAX_REPEAT = 1024  # repeated empty cells/rows are only counted, never expanded


#: a font this small (points) is not readable
TINY_POINTS = 2.0
_WHITE = frozenset({"#ffffff", "#fff", "white"})


def _attr(el: Any, name: str) -> str:
    return next((v for k, v in el.attrib.items() if local(k) == name), "")


def hidden_styles(*roots: Any) -> set[str]:
    """Names of text and paragraph styles whose text a reader does not see:
    ``text:display="none"``, white (``fo:color``), a font of ``TINY_POINTS`` or less;
    a style based on one of them (``style:parent-style-name``) too."""
    own: dict[str, tuple[str, bool]] = {}
    for root in roots:
        if root is None:
            continue
        for style in root.iter():
            if local(style.tag) != "style":
                continue
            hidden = False
            for props in style:
                if local(props.tag) != "text-properties":
                    continue
                size = _attr(props, "font-size")
                number = re.match(r"[\d.]+", size)
                hidden = hidden or _attr(props, "display") == "none" or _attr(props, "color").lower() in _WHITE \
                    or (size.endswith("pt") and number is not None and float(number.group().rstrip(".") or 0) <= TINY_POINTS)
            own[_attr(style, "name")] = (_attr(style, "parent-style-name"), hidden)
    out: set[str] = set()
    for name in own:
        at, seen = name, set()
        while at in own and at not in seen:
            seen.add(at)
            if own[at][1]:
                out.add(name)
                break
            at = own[at][0]
    return out


class Seen:
    """The elements whose character data (``text``) and tail (``tails``) a specific
    reading read (``odf_text``); the safety net (``unvisited_text``) reads the rest."""

    def __init__(self) -> None:
        self.text: set[Any] = set()  # (the sets hold the lxml proxies, so they stay the same)
        self.tails: set[Any] = set()


def odf_text(root: Any, *, skip_annotations: bool = True, hidden: set[str] | None = None,
             seen: Seen | None = None, leave_out: frozenset[str] = frozenset()) -> str:
    """The text of ``root``; with ``hidden`` (``hidden_styles``), as displayed: text in
    those styles, hidden text and hidden paragraphs left out.  Elements named in
    ``leave_out`` are not entered (a slide's speaker notes); with ``seen``, every element
    whose text or tail was read is recorded there."""
    parts: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        el, done = stack.pop()
        name = local(el.tag)
        if done:
            if name in _BLOCK:
                parts.append("\n")
            elif name == "table-cell":
                parts.append("\t")
            if el.tail and el is not root:
                parts.append(el.tail)
                if seen is not None:
                    seen.tails.add(el)
            continue
        if (skip_annotations and name == "annotation" and el is not root) or (name in leave_out and el is not root) or (
                hidden is not None and el is not root and (
                    name in ("hidden-text", "hidden-paragraph") or _attr(el, "style-name") in hidden)):
            if el.tail:
                parts.append(el.tail)
                if seen is not None:
                    seen.tails.add(el)
            continue
        if name == "s":
            parts.append(" ")
        elif name == "tab":
            parts.append("\t")
        elif name == "line-break":
            parts.append("\n")
        if isinstance(el.tag, str) and el.text:
            parts.append(el.text)
            if seen is not None:
                seen.text.add(el)
        stack.append((el, True))
        for child in reversed(el):
            stack.append((child, False))
    return "".join(parts).strip()


def extract_odf(data: bytes, ctx: Ctx, kind: str, name: str = "") -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except TimeUp:
        raise
    except Exception:
        ctx.problem("corrupt")
        return
    with zf:
        # the entry names, comments and extra fields, as for a plain ZIP (archive tools show them)
        zip_directory(zf, data, ctx)
        readings, too_many = entry_copies(zf)
        if too_many:
            ctx.problem("corrupt", "duplicate-entries")
        for number, infos in enumerate(readings):
            # a package with two entries of one name is read once per copy (ooxml.py)
            _package(zf, infos, ctx if number == 0 else ctx.child(f"entry-copy={number}"), kind)


def _package(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], ctx: Ctx, kind: str) -> None:
    def xml(name: str) -> Any:
        info = infos.get(name)
        if info is None or not ctx.budget.take_entry(ctx.loc(f"part={name}")):
            return None
        raw = read_zip_member(zf, info, ctx.child(f"part={name}"))
        if raw is None:
            return None
        root = parse_shown(raw)
        if root is None:
            ctx.problem("corrupt", f"part={name}")
        return root

    manifest = xml("META-INF/manifest.xml")
    if manifest is not None and any(local(e.tag) == "encryption-data" for e in manifest.iter()):
        ctx.problem("encrypted")
        return
    content = xml("content.xml")
    styles = xml("styles.xml")
    seen = Seen()
    if content is not None:
        for ann in [e for e in content.iter() if local(e.tag) == "annotation"]:
            ctx.add("comments", odf_text(ann, skip_annotations=False, seen=seen))
        if kind == "ods":
            _ods(content, ctx, _number_styles(content, styles), seen)
        elif kind == "odp":
            _odp(content, ctx, seen)
        else:
            body = next((e for e in content if local(e.tag) == "body"), content)
            text = odf_text(body, seen=seen)
            ctx.add("body", text)
            hidden = hidden_styles(content, styles)
            shown = odf_text(body, hidden=hidden)
            if shown != text:
                ctx.add("body/displayed", shown)
            _table_rows(body, ctx, "body")
    if styles is not None:
        for el in styles.iter():
            if local(el.tag) in ("header", "footer", "header-left", "footer-left", "header-first", "footer-first"):
                ctx.add(local(el.tag).split("-")[0], odf_text(el, seen=seen))
    for part, root in (("content", content), ("styles", styles)):
        if root is not None:
            # the safety net: every character data and tail the specific readings above did
            # not visit (a Calc text box, text outside a sheet or slide, a master page's
            # shapes) and every text attribute (a named expression's string, a form
            # control's value, a link's title), whatever the element (attack pass 10, F18)
            data = unvisited_text(root, seen)
            if data:
                ctx.add(f"{part}/data", data)
    if ctx.limits.ocr:
        _pictures(zf, infos, content, ctx)
    meta = xml("meta.xml")
    if meta is not None:
        ctx.add("metadata", unvisited_text(meta, Seen()))
    if manifest is not None:
        ctx.add("manifest", unvisited_text(manifest, Seen()))
    _members(zf, infos, ctx)


#: package members the reading above takes (pictures: ``_pictures``, with OCR)
_READ_MEMBERS = frozenset({"META-INF/manifest.xml", "content.xml", "styles.xml", "meta.xml"})


_MEDIA_TYPE = re.compile(rb"\s*[\w.+-]+/[\w.+-]+\s*")


def _is_picture_name(name: str) -> bool:
    return name.startswith(("Pictures/", "media/")) or name.lower().endswith(_PICTURE_EXTS)


def _members(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], ctx: Ctx) -> None:
    """Every member the ODF reading does not read (``settings.xml``, ``manifest.rdf``, an
    embedded object's ``Object 1/content.xml``, its ``ObjectReplacements/`` picture, a
    thumbnail, any other file put into the package) read as a file of its own, as
    ``ooxml._rest`` reads a package's other parts: a recipient who unzips the package
    reads it (attack pass 10, F22).  Without OCR a member that is a picture is left out
    (as ooxml leaves its pictures); a member named like a picture that is none is read."""
    from dlp_proxy.files.sniff import IMAGE_TYPES, sniff

    for name, info in infos.items():
        ctx.budget.check_time()
        if name in _READ_MEMBERS or name.endswith("/") or (ctx.limits.ocr and _is_picture_name(name)):
            continue
        if not ctx.budget.take_entry(ctx.loc(f"part={name}")):
            return
        raw = read_zip_member(zf, info, ctx.child(f"part={name}"))
        if not raw or (name == "mimetype" and _MEDIA_TYPE.fullmatch(raw)):
            continue  # (the package's media type, and nothing else)
        if not ctx.limits.ocr and sniff(raw) in IMAGE_TYPES:
            continue
        ctx.child(f"part={name}").extract(raw, name=name)


#: ODF attributes whose value is text a reader can be shown, besides ``xmltext``'s
#: (a named expression's formula and its string constants, a form control's value, a
#: conditional text's two texts, an index entry's keys, a sheet's, a shape's, a named
#: range's or a custom property's name, a style's display name, a link's target)
_ODF_TEXT_ATTRS = frozenset({
    "expression", "current-value", "default-value", "string-value-if-true", "string-value-if-false",
    "string-value-phonetic", "key1", "key2", "display-name", "href", "message",
})
#: namespaces whose ``name`` attribute is a name a user gave (not a style's internal name)
_NAMED = ("opendocument:xmlns:table:", "opendocument:xmlns:drawing:", "opendocument:xmlns:form:",
          "opendocument:xmlns:meta:", "opendocument:xmlns:text:", "opendocument:xmlns:presentation:")


def unvisited_text(root: Any, seen: Seen) -> str:
    """Every character data and tail of ``root`` a specific reading did not read
    (``seen``), a comment's text, and every text attribute (``xmltext.unread_text``'s,
    ``_ODF_TEXT_ATTRS``, a user-given ``name``), one item a line."""
    out: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            if el.text and el.text.strip():
                out.append(el.text.strip())  # a comment: whoever unzips the package reads it
        else:
            if el.text and el.text.strip() and el not in seen.text:
                out.append(el.text.strip())
            for key, value in el.attrib.items():
                if not value or not value.strip():
                    continue
                attr = local(key)
                if attr in TEXT_ATTRS or attr in _ODF_TEXT_ATTRS or (
                        attr == "name" and any(ns in key for ns in _NAMED)):
                    out.append(value.strip())
        if el is not root and el.tail and el.tail.strip() and el not in seen.tails:
            out.append(el.tail.strip())
    return "\n".join(out)


def _ods(content: Any, ctx: Ctx, formats: dict[str, str] | None = None, seen: Seen | None = None) -> None:
    """Each cell's text, stored value and formula (``sheet=S!B1``); a value under its
    cell's number style as displayed (``/displayed``); a number with a label cell to
    its left in the row as ``label: number``; formulas evaluated (``formula_values``)."""
    hidden_styles: set[str] = set()
    for el in content.iter():
        if local(el.tag) == "table-properties" and any(
            local(k) == "display" and v == "false" for k, v in el.attrib.items()
        ):
            parent = el.getparent()
            if parent is not None:
                hidden_styles.update(v for k, v in parent.attrib.items() if local(k) == "name")
    for table in (e for e in content.iter() if local(e.tag) == "table"):
        ctx.budget.check_time()
        attrs = {local(k): v for k, v in table.attrib.items()}
        sheet = attrs.get("name", "?")
        hidden_sheet = attrs.get("style-name") in hidden_styles
        row = 0
        values: dict[str, str] = {}  # cell ref -> displayed text, for formula references
        formulas: list[tuple[str, str, str, str]] = []  # (ref, location, formula, displayed)
        # a cell without a style of its own has its row's default cell style, else its
        # column's (ODF 1.2, 19.615: attack of 2026-12-07, a column's number style on a
        # cell that names none)
        column_styles: list[str] = []
        for column in (e for e in table.iter() if local(e.tag) == "table-column"):
            cols = {local(k): v for k, v in column.attrib.items()}
            try:
                n = min(int(cols.get("number-columns-repeated", "1") or 1), 16384 - len(column_styles))
            except ValueError:
                n = 1
            column_styles.extend([cols.get("default-cell-style-name", "")] * max(n, 0))
        for r in (e for e in table.iter() if local(e.tag) == "table-row"):
            rattrs = {local(k): v for k, v in r.attrib.items()}
            repeat = int(rattrs.get("number-rows-repeated", "1") or 1)
            row_style = rattrs.get("default-cell-style-name", "")
            row_hidden = rattrs.get("visibility") in ("collapse", "filter")
            col = 0
            row_label = ""
            for c in r:
                if local(c.tag) not in ("table-cell", "covered-table-cell"):
                    continue
                cattrs = {local(k): v for k, v in c.attrib.items()}
                crepeat = int(cattrs.get("number-columns-repeated", "1") or 1)
                shown = odf_text(c, seen=seen)
                text = shown
                value = cattrs.get("value") or cattrs.get("string-value") or ""
                if value and value not in text:
                    text = f"{text}\n{value}" if text else value
                formula = cattrs.get("formula", "")
                if formula:
                    text = f"{text}\n{formula}" if text else formula
                    if crepeat == 1 and repeat == 1:
                        ref = f"{col_letters(col + 1)}{row + 1}"
                        formulas.append((ref, f"sheet={sheet}!{ref}", _of_formula(formula), shown or value))
                if crepeat == 1 and repeat == 1 and (shown or value):
                    values[f"{col_letters(col + 1)}{row + 1}"] = shown or value
                style = cattrs.get("style-name") or row_style or (
                    column_styles[col] if col < len(column_styles) else "")
                code = (formats or {}).get(style, "")
                displayed = None
                kind = cattrs.get("value-type", "string")
                if code and cattrs.get("value") and kind in ("float", "currency", "percentage"):
                    displayed = format_number(cattrs["value"], code)
                elif code and kind == "date" and cattrs.get("date-value"):
                    # (a date as its style shows it: ``"AAA-GG-"yyyy`` on year SSSS; attack of 2026-12-07)
                    displayed = format_number(date_serial(cattrs["date-value"]), code)
                elif code and kind == "time" and cattrs.get("time-value"):
                    displayed = format_number(_duration_days(cattrs["time-value"]), code)
                elif code and kind == "string" and "@" in code:
                    displayed = format_text(shown or value, code)
                if displayed and displayed not in text:
                    text = f"{text}\n{displayed}" if text else displayed
                if text and row_label and any(ch.isdigit() for ch in text):
                    text = f"{row_label}: {text}"
                elif shown and not any(ch.isdigit() for ch in shown) and 0 < len(shown.strip()) <= 40:
                    row_label = shown.strip()
                if text:
                    for k in range(min(crepeat, _MAX_REPEAT)):
                        for j in range(min(repeat, _MAX_REPEAT)):
                            flags = (["hidden"] if hidden_sheet else []) + (["hidden row"] if row_hidden else [])
                            loc = f"sheet={sheet}!{col_letters(col + k + 1)}{row + j + 1}"
                            if flags:
                                loc += f" ({', '.join(flags)})"
                            if not ctx.add(loc, text):
                                return
                col += crepeat
            row += repeat
        if not formula_values(formulas, values, ctx):
            return


#: a ``style:map`` condition on the value (``value()>=0``), as ``cells`` reads a section's
_MAP_CONDITION = re.compile(r"\s*value\(\)\s*(<=|>=|!=|<>|=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*$")
#: number styles whose children are read: their literals, number and currency symbol
_NUMBER_STYLES = frozenset({"number-style", "currency-style", "percentage-style", "date-style", "time-style",
                            "text-style"})
#: a date style's parts as spreadsheet date codes: (short, long) by ``number:style``
_DATE_PARTS = {"year": ("yy", "yyyy"), "day": ("d", "dd"), "hours": ("h", "hh"), "minutes": ("mm", "mm"),
               "seconds": ("s", "ss"), "day-of-week": ("ddd", "dddd")}


def _literal(text: str) -> str:
    """``text`` as literal text of a spreadsheet number format (quoted; a quote escaped)."""
    return '\\"'.join(f'"{piece}"' if piece else "" for piece in text.split('"'))


def _number_code(number: Any) -> str | None:
    """A ``number:number`` element as number format placeholders: ``min-integer-digits``
    zeros, its ``number:embedded-text`` literals between the digits (``position``: how
    many digits stand right of it; LibreOffice writes ``000-00-0000`` this way), digit
    grouping, ``decimal-places``.  None when its attributes are no numbers."""
    attrs = {local(k): v for k, v in number.attrib.items()}
    try:
        digits = min(int(attrs.get("min-integer-digits", "1") or 1), 32)
        decimals = min(int(attrs.get("decimal-places", "0") or 0), 32)
        embedded = [(min(int(next((v for k, v in e.attrib.items() if local(k) == "position"), "0") or 0), 64),
                     "".join(e.itertext()))
                    for e in number if isinstance(e.tag, str) and local(e.tag) == "embedded-text"]
    except ValueError:
        return None
    # a text at a position past the minimum digits stands between optional digits (#):
    # shown whatever the value, the value's further digits left of it (as Excel's #-0)
    width = max(digits, 1, *(p + 1 for p, _ in embedded))
    out: list[str] = []  # right to left
    for i in range(width):
        out.extend(_literal(t) for p, t in reversed(embedded) if p == i)
        out.append("0" if i < max(digits, 1) else "#")
    code = "".join(reversed(out))
    if attrs.get("grouping") == "true" and not embedded:
        code = "#,##" + code
    return code + ("." + "0" * decimals if decimals else "")


_DURATION = re.compile(r"-?P(?:([0-9.]+)D)?(?:T(?:([0-9.]+)H)?(?:([0-9.]+)M)?(?:([0-9.]+)S)?)?")


def _duration_days(value: str) -> str:
    """An ODS ``office:time-value`` (``PTnnnnH00M00S``) in days, as a time format reads a
    serial; "" when it is no duration."""
    m = _DURATION.fullmatch(value.strip())
    if m is None:
        return ""
    try:
        days = float(m.group(1) or 0) + (float(m.group(2) or 0) + (float(m.group(3) or 0)
                                                                    + float(m.group(4) or 0) / 60) / 60) / 24
    except ValueError:
        return ""
    return repr(-days if value.strip().startswith("-") else days)


def _number_styles(*roots: Any) -> dict[str, str]:
    """Cell style name -> the spreadsheet number format code of its data style
    (``number:number-style`` or ``number:currency-style``: its ``number:text`` literals,
    ``number:number`` digits (``_number_code``), fill character and currency symbol, in
    order; ``style:text-properties`` changes no text), for ``cells.format_number``.  A
    style whose ``style:map`` elements apply another style when the value meets a
    condition (``value()>=0``) gets those styles' codes as conditional sections in front
    of its own (the first two, as Excel's ``[>=0]...;...``).  A style with anything else
    (scientific, fraction) has no code: its value is read as stored."""
    codes: dict[str, str] = {}
    maps: dict[str, list[tuple[str, str, str]]] = {}  # style -> (operator, number, applied style)
    for root in roots:
        if root is None:
            continue
        for el in root.iter():
            if not isinstance(el.tag, str) or local(el.tag) not in _NUMBER_STYLES:
                continue
            name = next((v for k, v in el.attrib.items() if local(k) == "name"), "")
            code: list[str] = []
            kind = local(el.tag)
            # (a time style that does not wrap its hours at 24 shows elapsed hours)
            elapsed = any(local(k) == "truncate-on-overflow" and v == "false" for k, v in el.attrib.items())
            for child in el:
                tag = local(child.tag) if isinstance(child.tag, str) else ""
                long = any(local(k) == "style" and v == "long" for k, v in child.attrib.items())
                if tag == "text" and kind == "percentage-style" and "".join(child.itertext()).strip() == "%":
                    code.append("%")  # (shown, and the value multiplied by 100)
                elif tag in ("text", "fill-character", "currency-symbol"):
                    code.append(_literal("".join(child.itertext())))
                elif kind == "time-style" and tag == "hours" and elapsed:
                    code.append("[hh]" if long else "[h]")  # (elapsed hours: n hours show as n)
                elif kind in ("date-style", "time-style") and tag in _DATE_PARTS:
                    code.append(_DATE_PARTS[tag][long])
                elif kind == "date-style" and tag == "month":
                    textual = any(local(k) == "textual" and v == "true" for k, v in child.attrib.items())
                    code.append(("mmmm" if long else "mmm") if textual else ("mm" if long else "m"))
                elif kind in ("date-style", "time-style") and tag == "am-pm":
                    code.append("AM/PM")
                elif kind == "text-style" and tag == "text-content":
                    code.append("@")
                elif tag in ("fraction", "scientific-number"):
                    # (not rendered: ``cells.format_number`` reads its literals beside the value)
                    code.append("# ?/?" if tag == "fraction" else "0.00E+00")
                elif tag == "number":
                    number = _number_code(child)
                    if number is None:
                        code = []
                        break
                    code.append(number)
                elif tag == "map":
                    attrs = {local(k): v for k, v in child.attrib.items()}
                    m = _MAP_CONDITION.match(attrs.get("condition", ""))
                    if m and attrs.get("apply-style-name"):
                        op = "<>" if m.group(1) == "!=" else m.group(1)
                        maps.setdefault(name, []).append((op, m.group(2), attrs["apply-style-name"]))
                elif tag not in ("text-properties", ""):
                    code = []
                    break
            if name and code:
                codes[name] = "".join(code)
    for name, conditions in maps.items():
        sections = [f"[{op}{limit}]{codes[applied]}" for op, limit, applied in conditions if applied in codes][:2]
        if sections and name in codes:
            codes[name] = ";".join([*sections, codes[name]])
    out: dict[str, str] = {}
    for root in roots:
        if root is None:
            continue
        for el in root.iter("{*}style"):
            attrs = {local(k): v for k, v in el.attrib.items()}
            if attrs.get("data-style-name") in codes and attrs.get("name"):
                out[attrs["name"]] = codes[attrs["data-style-name"]]
    return out


_OF_REF = re.compile(r"\[\$?[^.\]\[]*\.\$?([A-Za-z]{1,3})\$?([0-9]{1,7})\]")


def _of_formula(formula: str) -> str:
    """An OpenFormula (``of:=[.A1]&[.B1]``, ``;`` between arguments) in the spreadsheet
    syntax ``files/cells.evaluate`` reads; a reference to another sheet
    (``[Sheet2.A1]``) is kept unreadable, so such a formula is not evaluated."""
    src = formula.split(":", 1)[1] if formula.startswith(("of:", "oooc:", "msoxl:")) else formula
    out: list[str] = []
    pos = 0
    quoted = False
    for i, ch in enumerate(src):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == ";":
            out.append(src[pos:i] + ",")
            pos = i + 1
    out.append(src[pos:])
    text = "".join(out)
    return _OF_REF.sub(lambda m: m.group(1) + m.group(2) if m.group(0).startswith(("[.", "[$.")) else "#REF", text)


def _table_rows(root: Any, ctx: Ctx, sub: str) -> None:
    """Rows of text and slide tables (``table:table-row``) whose adjacent cells hold the
    groups of one identifier, each as a line of its own (``rows.split_row``; Writer and
    Impress show a row's cells side by side: ``John Smith | 536 | 22 | 8710``)."""
    number = 0
    for el in root.iter():
        if not isinstance(el.tag, str) or local(el.tag) != "table-row":
            continue
        number += 1
        cells = [odf_text(c).replace("\n", " ") for c in el if isinstance(c.tag, str) and local(c.tag) == "table-cell"]
        for row in split_row(cells):
            ctx.add(f"{sub}/table-row={number}", row)


def _odp(content: Any, ctx: Ctx, seen: Seen | None = None) -> None:
    number = 0
    for page in (e for e in content.iter() if local(e.tag) == "page"):
        number += 1
        notes = [e for e in page if local(e.tag) == "notes"]
        ctx.add(f"slide={number}", odf_text(page, seen=seen, leave_out=frozenset({"notes"})))
        _table_rows(page, ctx, f"slide={number}")
        for n in notes:
            ctx.add(f"slide={number}/notes", odf_text(n, seen=seen))


def _pictures(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], content: Any, ctx: Ctx) -> None:
    """Pictures of the document, read like an uploaded image: the package's
    ``Pictures/`` (and any other image part a ``draw:image`` names) and pictures
    written into content.xml as ``office:binary-data`` (base64)."""
    import base64
    import binascii

    names = [n for n in infos if n.startswith(("Pictures/", "media/")) or n.lower().endswith(_PICTURE_EXTS)]
    for name in names:
        ctx.budget.check_time()
        if not ctx.budget.take_entry(ctx.loc(f"image={name}")):
            return
        raw = read_zip_member(zf, infos[name], ctx.child(f"image={name}"))
        if raw is not None:
            ctx.child(f"image={name}").extract(raw, name=name)
    if content is None:
        return
    for number, el in enumerate((e for e in content.iter() if local(e.tag) == "binary-data"), 1):
        try:
            blob = base64.b64decode(re.sub(r"\s+", "", el.text or ""))
        except (binascii.Error, ValueError):
            ctx.problem("corrupt", f"image=binary-data-{number}")
            continue
        if blob and ctx.budget.take_entry(ctx.loc(f"image=binary-data-{number}")):
            ctx.child(f"image=binary-data-{number}").extract(blob)


_PICTURE_EXTS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".svg", ".svm", ".wmf", ".emf")
