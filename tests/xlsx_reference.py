"""The XLSX sheet reading of commit 69aa853, frozen: the oracle of the differential
tests (tests/test_files_xlsx_fast.py) that the faster reader in dlp_proxy/files/ooxml.py
reads every sheet exactly as this one did (same segments, same locations, same order).
Do not edit: it is the reference, not code in use (amendments, marked: deliberate
changes of what a number format shows)."""

# ruff: noqa
# mypy: ignore-errors

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Sequence
from typing import Any

from lxml import etree

from dlp_proxy.files.cells import col_letters, formula_values
from dlp_proxy.files.ooxml import _format_of
from dlp_proxy.files.xmltext import local


MAX_RESULT = 4096

_DATE_LETTERS = re.compile(r"[yYmMdDhHsS]|AM/PM|A/P|[eE][+-]")
_CONDITION = re.compile(r"^\[(<=|>=|<>|<|>|=)(-?[0-9.]+)\]")
_BRACKET = re.compile(r"\[[^\]]*\]")


def _sections(code: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    i = 0
    while i < len(code):
        ch = code[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and not quoted and i + 1 < len(code):
            cur.append(code[i : i + 2])
            i += 2
            continue
        elif ch == ";" and not quoted:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def _holds(op: str, limit: float, v: float) -> bool:
    return {
        "<=": v <= limit, ">=": v >= limit, "<": v < limit, ">": v > limit, "=": v == limit, "<>": v != limit,
    }[op]


def _pick_section(sections: list[str], v: float) -> tuple[str, bool]:
    """(section, whether its sign is already shown by the section) for value ``v``."""
    first = _CONDITION.match(sections[0])
    if first:
        if _holds(first.group(1), float(first.group(2)), v):
            return sections[0], False
        if len(sections) > 1:
            second = _CONDITION.match(sections[1])
            if second is None or _holds(second.group(1), float(second.group(2)), v):
                return sections[1], False
        return sections[-1], False
    if v < 0 and len(sections) > 1 and sections[1]:
        return sections[1], True
    if v == 0 and len(sections) > 2 and sections[2]:
        return sections[2], False
    return sections[0], False


def format_number(value: str, code: str) -> str | None:
    """``value`` (a cell's stored number) as number format ``code`` displays it, or
    None when the format is not one rendered here (see module doc)."""
    try:
        v = float(value)
    except ValueError:
        return None
    if v != v or v in (float("inf"), float("-inf")) or abs(v) >= 1e21:
        return None
    if not code or code == "General" or code == "@":
        return None
    section, signed = _pick_section(_sections(code), v)
    plain = _BRACKET.sub("", section)
    unquoted = re.sub(r'"[^"]*"|\\.', "", plain)
    # amended (attack pass 8, F15): a % is shown and multiplies the value by 100, as cells.py now does
    if _DATE_LETTERS.search(unquoted) or "/" in unquoted or "@" in unquoted:
        # amended (after attack pass 8): dates and times are shown as cells.py now shows
        # them (its own tests check the calendar); None for anything else, as before
        from dlp_proxy.files.cells import format_date

        return format_date(v, section)
    percent = unquoted.count("%")
    tokens: list[tuple[str, str]] = []  # ("p", placeholder) | ("t", literal) | ("." , "") | ("," , "")
    i = 0
    while i < len(plain):
        ch = plain[i]
        if ch == '"':
            end = plain.find('"', i + 1)
            end = len(plain) if end < 0 else end
            tokens.append(("t", plain[i + 1 : end]))
            i = end + 1
            continue
        if ch == "\\" and i + 1 < len(plain):
            tokens.append(("t", plain[i + 1]))
            i += 2
            continue
        if ch in "_*" and i + 1 < len(plain):  # padding to a char's width / repeat fill
            # amended (attack pass 7, D11): the fill ``*x`` shows one x, as cells.py now does
            tokens.append(("t", " " if ch == "_" else plain[i + 1]))
            i += 2
            continue
        if ch in "0#?":
            tokens.append(("p", ch))
        elif ch == ".":
            tokens.append((".", ""))
        elif ch == ",":
            tokens.append((",", ""))
        else:
            tokens.append(("t", ch))
        i += 1
    if not any(k == "p" for k, _ in tokens):
        return "".join(t for k, t in tokens if k == "t")  # a format of text only
    point = next((n for n, (k, _) in enumerate(tokens) if k == "."), len(tokens))
    int_tokens, frac_tokens = tokens[:point], tokens[point + 1 :]
    decimals = sum(1 for k, _ in frac_tokens if k == "p")
    # trailing commas after the last placeholder scale by 1000 each
    scale = 0
    for k, _ in reversed(int_tokens):
        if k == ",":
            scale += 1
        elif k == "p":
            break
    if percent > 8 or abs(v) * 100**percent >= 1e21:  # amended (attack pass 8, F15)
        return None
    mag = abs(v) * 100**percent / (1000**scale)  # amended (attack pass 8, F15)
    text = f"{mag:.{decimals}f}"
    int_digits, _, frac_digits = text.partition(".")
    if int_digits == "0":
        int_digits = ""
    placeholders = [n for n, (k, _) in enumerate(int_tokens) if k == "p"]
    last_p = placeholders[-1] if placeholders else -1
    grouping = any(k == "," for n, (k, _) in enumerate(int_tokens) if placeholders and placeholders[0] < n < last_p)
    out: list[str] = []
    remaining = int_digits
    for n in range(len(int_tokens) - 1, -1, -1):
        k, t = int_tokens[n]
        if k == "t":
            out.append(t)
        elif k == "p":
            if n == placeholders[0]:
                chunk, remaining = remaining, ""
                out.append(chunk if chunk else ("0" if t == "0" else (" " if t == "?" else "")))
            elif remaining:
                out.append(remaining[-1])
                remaining = remaining[:-1]
            else:
                out.append("0" if t == "0" else (" " if t == "?" else ""))
    int_part = "".join(reversed(out))
    if grouping:
        digits_only = re.sub(r"[^0-9]", "", int_part)
        if digits_only == int_part.strip():
            int_part = f"{int(digits_only or '0'):,}"
    frac_out: list[str] = []
    fi = 0
    for k, t in frac_tokens:
        if k == "p":
            d = frac_digits[fi] if fi < len(frac_digits) else "0"
            fi += 1
            frac_out.append(d)
        elif k == "t":
            frac_out.append(t)
    result = int_part + ("." + "".join(frac_out) if point < len(tokens) else "")
    if v < 0 and not signed:
        result = "-" + result
    return result[:MAX_RESULT]


#: a cell that can be one group of a split identifier: up to 6 digits, optionally
#: after up to 2 letters (an IBAN's country code: ``DE89 | 3704 | 0044 | ...``)
_GROUP_CELL = re.compile(r"[A-Za-z]{0,2}[0-9]{1,6}")
#: digits of a run: from a split 7-digit account number to a 34-character IBAN
MIN_RUN_DIGITS = 7
MAX_RUN_DIGITS = 34
#: cells of a row that are read (a wider row keeps its first cells)
MAX_CELLS = 256
#: separator written between the cells of a row line
SEP = " | "


# amended (issue 19): separators a number format's literal shows before the digits of a
# cell storing a number >= 0 are no sign: "-"0 shows 22 as -22, a group cell once dropped
def _literal_lead(stored: str, shown: str) -> str:
    m = re.match(r"[-\u2010-\u2015./:(]{1,2}(?=[0-9])", shown)
    if m is None:
        return shown
    for line in stored.split("\n"):
        try:
            value = float(line)
        except ValueError:
            continue
        return shown[m.end():] if value >= 0 else shown
    return shown


def _is_group(cell: str) -> bool:
    return bool(_GROUP_CELL.fullmatch(cell))


def split_row(cells: Sequence[str]) -> list[str]:
    """For each run of two or more adjacent short number-only cells with 7 to 34 digits
    together, a line: the row's text cells (those without a digit: its labels, as
    context), then the run's cells joined by ``SEP``.  Other number cells of the row
    are left out, so nothing but the run's own cells can fuse.  [] for most rows."""
    # amended (attack pass 9, F1/F7/F19): a row's cells are read as a reader sees them
    # (several groups in a cell, empty cells between), as structure.split_row now does
    from dlp_proxy.detect.structure import split_row as shown_row

    return shown_row(cells)
    cells = [" ".join(c.split()) for c in cells[:MAX_CELLS]]
    runs: list[list[str]] = []
    run: list[str] = []
    digits = 0
    for cell in [*cells, ""]:
        if _is_group(cell):
            run.append(cell)
            digits += sum(ch.isdigit() for ch in cell)
            continue
        if len(run) >= 2 and MIN_RUN_DIGITS <= digits <= MAX_RUN_DIGITS:
            runs.append(run)
        run, digits = [], 0
    if not runs:
        return []
    labels = " ; ".join(c for c in cells if c and not any(ch.isdigit() for ch in c))
    return [f"{labels} : {SEP.join(r)}" if labels else SEP.join(r) for r in runs]


TINY_POINTS = 2.0

_CELL_RE = re.compile(r"^([A-Z]+)(\d+)$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def _sheet_cells(
    data: bytes, sheet: str, hidden_sheet: bool, shared: list[tuple[str, str]], ctx: Ctx,
    formats: list[str] | None = None, recalculated: bool = False
) -> bool:
    """Every cell's text (see ``_cell_text``), then the displayed value of each formula
    that a simple string evaluation gives and its cached value does not show (the
    formulas are evaluated after the sheet, against the values of its cells).

    The first row with text is the header row when none of its cells has a digit:
    below it, a cell with a digit is reported as ``<header>: <text>``, so a column headed "Account" or "SSN" gives
    its numbers their context, as in a CSV table."""
    hidden_cols: set[int] = set()
    hidden_sorted: list[int] = []
    count = 0
    values: dict[str, str] = {}  # cell ref -> displayed value, for formula references
    headers: dict[str, str] | None = None  # column letters -> the header row's label
    codes: dict[str, str] = {}  # formula cell -> its number format
    formulas: list[tuple[str, str, str, str]] = []  # (ref, location, formula, cached value)
    for _event, el in etree.iterparse(
        io.BytesIO(data), events=("end",), tag=("{*}row", "{*}col"), resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False,
        # amended (file attack of 2026-12-07 night, class 4): comments and processing
        # instructions are not character data (XML 1.0, 2.5, 2.6): the text around one is one string
        remove_comments=True, remove_pis=True,
    ):
        # only rows and column definitions raise events: a cell's <c>, <v>, <f> are read
        # with their row (a Python step per row, not three per cell)
        tag = local(el.tag)
        if tag == "col" and el.get("hidden") in ("1", "true"):
            lo, hi = int(el.get("min", "0")), int(el.get("max", "0"))
            hidden_cols.update(range(lo, min(hi, lo + 16384) + 1))
            hidden_sorted = []  # sorted again at the next row
        elif tag == "row":
            if hidden_cols and not hidden_sorted:
                hidden_sorted = sorted(hidden_cols)
            row_hidden = el.get("hidden") in ("1", "true")
            header_row = headers is None
            row_labels: dict[str, str] = {}
            row_has_digit = False
            row_label = ""  # the nearest label cell to the left, in this row
            row_cells: list[tuple[int, str]] = []  # (column index, displayed value)
            for c in el:
                if local(c.tag) != "c":
                    continue
                ref = c.get("r", "")
                text, shown, formula = _cell_text(c, shared, formats or [])
                if ref:
                    values[ref] = shown
                if not text:
                    continue
                m = _CELL_RE.match(ref)
                column = m.group(1) if m else ""
                has_digit = any(ch.isdigit() for ch in text)
                if m and shown:
                    # amended (issue 19): a number cell's format literal before its digits
                    row_cells.append((_col_index(column), _literal_lead(text, shown)))
                labels: list[str] = []
                if header_row:
                    row_has_digit = row_has_digit or has_digit
                    if column and _is_label(shown):
                        row_labels[column] = shown.strip()
                elif headers and column in headers and has_digit:
                    # the column's header labels the cell, as in a table (detect/structure.py)
                    labels.append(headers[column])
                if row_label and has_digit:
                    # ... and so does a label to its left in the same row, where the column
                    # has no header (A1 "SSN", B1 536228710) or the label's column is a key
                    # column ("Field | Value" sheets)
                    labels.append(row_label)
                if labels:
                    text = f"{' / '.join(labels)}: {text}"
                    if shown:
                        shown = f"{' / '.join(labels)}: {shown}"
                elif not has_digit and _is_label(shown) and (
                    not headers or column not in headers or headers[column].strip().lower() in KEY_HEADERS
                ):
                    row_label = shown.strip()
                flags: list[str] = []
                if hidden_sheet:
                    flags.append("hidden")
                if row_hidden:
                    flags.append("hidden row")
                if m and _col_index(m.group(1)) in hidden_cols:
                    flags.append("hidden column")
                loc = f"sheet={sheet}!{ref}" + (f" ({', '.join(flags)})" if flags else "")
                if formula and ref:
                    formulas.append((ref, loc, formula, shown))
                    if code := _format_of(c, formats or []):  # (formula values under their format: added since)
                        codes[ref] = code
                if not ctx.add(loc, text):
                    return False
                if shown and shown not in text.split("\n") and not ctx.add(f"{loc}/displayed", shown):
                    return False
            if len(row_cells) >= 2 and not _split_row_cells(row_cells, f"sheet={sheet}!row={el.get('r', count + 1)}", ctx,
                                                            hidden_sorted):
                return False
            if header_row and (row_labels or row_has_digit):
                # the first row with text is the header row, unless it holds numbers (data)
                headers = {} if row_has_digit else row_labels
            el.clear()
            count += 1
            if count % 256 == 0:
                ctx.budget.check_time()
    return formula_values(formulas, values, ctx, codes, cached_shown=not recalculated)


#: a sheet part larger than this (its XML, about 5,000 cells) is read as a table
#: (``_sheet_table``); a smaller one cell by cell (``_sheet_cells``)
TABLE_MIN_BYTES = 256 * 1024
#: characters of one line block of a sheet table (as a text file's, text.BLOCK_CHARS)
TABLE_BLOCK_CHARS = 64 * 1024
#: columns a table line holds (A..IV); a cell further right is its own segment
TABLE_MAX_COLS = 256
#: empty rows written as empty lines; a longer gap starts a new block
TABLE_MAX_GAP = 16
#: a stored value differing from the displayed one is scanned too when it has a run
#: of this many digits (an identifier under a hiding format; a date's serial has 5)
_LONG_DIGITS = re.compile(r"\d{7,}")
#: a formula is scanned as written when it holds a string literal or a long number
_FORMULA_TEXT = re.compile(r'"|\d{5,}')


def _table_value(shown: str) -> str:
    """A displayed value as a table cell: on one line, no tab, no double quote (which
    would make the detector read the rest of the line as one quoted cell)."""
    if "\t" in shown or "\n" in shown or "\r" in shown or '"' in shown:
        shown = " ".join(shown.replace('"', "'").split())
    return shown


def _sheet_table(
    data: bytes, sheet: str, hidden_sheet: bool, shared: list[tuple[str, str]], ctx: Ctx,
    formats: list[str] | None = None, recalculated: bool = False
) -> bool:
    """A large sheet as a delimited table: each row a line, its displayed values
    separated by tabs (column A first, an empty cell as an empty field, every line of
    a block padded to the same number of cells), cut into blocks of rows located
    ``sheet=Name/lines=N-M`` where line N is row N.  The detector reads a table's
    cells and rows as boundaries and its header row as context
    (dlp_proxy/detect/structure.py); the file scanner reads every later block with
    the sheet's first line in front (gateway/filescan.py ``table_headers``);
    ``table_cell`` maps an offset in a block back to its cell (``sheet=Name!B7``).

    As ``_sheet_cells``: a label cell to the left of a number in the same row (no
    column header, or a key column) is written in front of it (``SSN: 536228710``);
    rows whose adjacent cells hold the groups of one identifier are added as lines of
    their own (``rows.split_row``); formulas' displayed values are evaluated after the
    sheet.  A stored value the format hides (a long digit run) and a formula with a
    string literal or a long number are added as segments of their cell; so is a cell
    right of column IV, a cell in a hidden row or column (located as such)."""
    suffix = " (hidden)" if hidden_sheet else ""
    hidden_cols: set[int] = set()
    hidden_sorted: list[int] = []
    count = 0
    values: dict[str, str] = {}
    headers: dict[str, str] | None = None
    codes: dict[str, str] = {}  # formula cell -> its number format
    formulas: list[tuple[str, str, str, str]] = []
    block: list[list[str]] = []
    block_first = 0  # sheet row of the block's first line
    block_chars = 0
    last_row = 0

    def flush() -> bool:
        nonlocal block, block_chars
        if not block:
            return True
        width = max(len(cells) for cells in block)
        lines = ["\t".join(cells + [""] * (width - len(cells))) if width > 1 else "".join(cells) for cells in block]
        last = block_first + len(block) - 1
        loc = f"sheet={sheet}{suffix}/" + (f"line={block_first}" if last == block_first else f"lines={block_first}-{last}")
        block, block_chars = [], 0
        return ctx.add(loc, "\n".join(lines) + "\n")

    for _event, el in etree.iterparse(
        io.BytesIO(data), events=("end",), tag=("{*}row", "{*}col"), resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False,
        # amended (file attack of 2026-12-07 night, class 4): comments and processing
        # instructions are not character data (XML 1.0, 2.5, 2.6): the text around one is one string
        remove_comments=True, remove_pis=True,
    ):
        tag = local(el.tag)
        if tag == "col" and el.get("hidden") in ("1", "true"):
            lo, hi = int(el.get("min", "0")), int(el.get("max", "0"))
            hidden_cols.update(range(lo, min(hi, lo + 16384) + 1))
            hidden_sorted = []  # sorted again at the next row
            continue
        if tag != "row":
            continue
        if hidden_cols and not hidden_sorted:
            hidden_sorted = sorted(hidden_cols)
        try:
            row_no = int(el.get("r", "")) if el.get("r") else last_row + 1
        except ValueError:
            row_no = last_row + 1
        if row_no <= last_row:
            row_no = last_row + 1  # rows out of order: kept in file order
        row_hidden = el.get("hidden") in ("1", "true")
        header_row = headers is None
        row_labels: dict[str, str] = {}
        row_has_digit = False
        row_label = ""
        line: list[str] = []
        row_cells: list[tuple[int, str]] = []
        for c in el:
            if local(c.tag) != "c":
                continue
            ref = c.get("r", "")
            text, shown, formula = _cell_text(c, shared, formats or [])
            m = _CELL_RE.match(ref)
            col = _col_index(m.group(1)) if m else len(line) + 1
            if not m:
                ref = f"{col_letters(col)}{row_no}"
            values[ref] = shown
            if not text:
                continue
            column = m.group(1) if m else col_letters(col)
            has_digit = any(ch.isdigit() for ch in text)
            if shown:
                # amended (issue 19): a number cell's format literal before its digits
                row_cells.append((col, _literal_lead(text, shown)))
            if header_row:
                row_has_digit = row_has_digit or has_digit
                if _is_label(shown):
                    row_labels[column] = shown.strip()
            value = shown
            if row_label and has_digit and value:
                value = f"{row_label}: {value}"
            elif not has_digit and _is_label(shown) and (
                not headers or column not in headers or headers[column].strip().lower() in KEY_HEADERS
            ):
                row_label = shown.strip()
            flags = [f for f, on in (("hidden", hidden_sheet), ("hidden row", row_hidden),
                                     ("hidden column", col in hidden_cols)) if on]
            loc = f"sheet={sheet}!{ref}" + (f" ({', '.join(flags)})" if flags else "")
            if formula:
                formulas.append((ref, loc, formula, shown))
                if code := _format_of(c, formats or []):
                    codes[ref] = code
            extra = [p for p in text.split("\n") if p and p != shown and (
                _FORMULA_TEXT.search(p) if p.startswith("=") else _LONG_DIGITS.search(p) or c.get("t") in ("s", "inlineStr"))]
            if row_hidden or col in hidden_cols or col > TABLE_MAX_COLS:
                # located as today: a reviewer sees the cell was hidden
                if not ctx.add(loc, text) or (shown and shown not in text.split("\n")
                                              and not ctx.add(f"{loc}/displayed", shown)):
                    return False
                continue
            if extra and not ctx.add(loc, "\n".join(extra)):
                return False
            if value:
                line.extend([""] * (col - 1 - len(line)))
                if len(line) >= col:  # a repeated or out-of-order reference
                    line[col - 1] += " " + _table_value(value)
                else:
                    line.append(_table_value(value))
        if len(row_cells) >= 2 and not _split_row_cells(row_cells, f"sheet={sheet}!row={row_no}", ctx, hidden_sorted):
            return False
        if header_row and (row_labels or row_has_digit):
            headers = {} if row_has_digit else row_labels
        el.clear()
        if line:
            gap = row_no - (block_first + len(block))
            if block and (gap > TABLE_MAX_GAP or block_chars >= TABLE_BLOCK_CHARS):
                if not flush():
                    return False
            if not block:
                block_first = row_no
            else:
                block.extend([[]] * gap)
            block.append(line)
            block_chars += sum(len(v) + 1 for v in line)
        last_row = row_no
        count += 1
        if count % 256 == 0:
            ctx.budget.check_time()
    if not flush():
        return False
    return formula_values(formulas, values, ctx, codes, cached_shown=not recalculated)


def _split_row_cells(cells: list[tuple[int, str]], loc: str, ctx: Ctx, hidden_cols: list[int] | None = None) -> bool:
    """A row whose adjacent columns hold the groups of one identifier, as one line
    (``rows.split_row``; a gap between columns breaks a run).  False once the text
    budget is spent.

    With hidden columns between the row's cells, the row is also read as displayed
    (``loc (displayed)``): the hidden columns' cells left out and the cells either side
    of them adjacent, as Excel shows them (``536 | <hidden> | 22 | 8710``)."""
    if hidden_cols and cells:
        ordered = hidden_cols  # sorted
        first, end = cells[0][0], cells[-1][0]
        if bisect.bisect_left(ordered, end) > bisect.bisect_left(ordered, first):
            visible = [(col - bisect.bisect_left(ordered, col), value) for col, value in cells
                       if bisect.bisect_left(ordered, col) == bisect.bisect_right(ordered, col)]
            if len(visible) >= 2 and not _split_row_cells(visible, f"{loc} (displayed)", ctx):
                return False
    line: list[str] = []
    last = 0
    for col, value in cells:
        if line and col != last + 1:
            line.append("")
        line.append(value)
        last = col
    return all(ctx.add(loc, row) for row in split_row(line))


#: Headers of a key column: its cells label the values to their right (a cell under
#: another header, e.g. a client name under "Client", is data, not a label)
KEY_HEADERS = frozenset({"field", "item", "key", "attribute", "label", "property", "description", "detail",
                         "details", "info", "information", "identifier", "id type", "type", "category"})


#: As detect/structure.py: a longer first-row cell is a sentence, not a column label.
MAX_HEADER_CHARS = 40


def _is_label(text: str) -> bool:
    """A header cell: short text with a letter (not a number or a sentence)."""
    t = text.strip()
    return 0 < len(t) <= MAX_HEADER_CHARS and any(ch.isalpha() for ch in t) and not t.startswith("=")


def _spreadsheet_run_hidden(rpr: Any) -> bool:
    """A SpreadsheetML rich-text run a reader does not see: white (``rgb`` FFFFFF, theme
    colour 0, Excel's "Background 1") or in a font of ``TINY_POINTS`` or less."""
    for child in rpr:
        tag = local(child.tag)
        if tag == "sz" and _number(child.get("val")) is not None:
            if float(child.get("val")) <= TINY_POINTS:
                return True
        elif tag == "color" and ((child.get("rgb") or "").upper()[-6:] == "FFFFFF" or child.get("theme") == "0"):
            return True
    return False


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def rich_text(si: Any) -> tuple[str, str]:
    """(stored, displayed) text of a shared or inline string: every run, and the runs a
    reader sees (``_spreadsheet_run_hidden`` left out; phonetic runs are stored only)."""
    stored = "".join(t.text or "" for t in si.iter() if local(t.tag) == "t")
    if not any(local(r.tag) == "r" for r in si):
        return stored, stored
    shown: list[str] = []
    for child in si:
        tag = local(child.tag)
        if tag == "t":
            shown.append(child.text or "")
        elif tag == "r":
            rpr = next((c for c in child if local(c.tag) == "rPr"), None)
            if rpr is None or not _spreadsheet_run_hidden(rpr):
                shown.extend(t.text or "" for t in child if local(t.tag) == "t")
    return stored, "".join(shown)


def _cell_text(c: Any, shared: list[tuple[str, str]], formats: list[str]) -> tuple[str, str, str]:
    """(text to scan, displayed value, formula).  The text holds the stored value
    and the formula as written; the displayed value is the value under the cell's
    number format (``000-00-0000`` on 536228710 shows ``536-22-8710``), or a rich
    string without its runs a reader does not see (``rich_text``)."""
    ctype = c.get("t", "n")
    parts: list[str] = []
    shown = ""
    formula = ""
    for child in c:
        tag = local(child.tag)
        if tag == "v" and child.text is not None:
            if ctype == "s":
                try:
                    stored, shown = shared[int(child.text)]
                except (ValueError, IndexError):
                    stored = shown = child.text
                parts.append(stored)
            else:
                shown = child.text
                if ctype == "n":
                    try:
                        code = formats[int(c.get("s", "0"))]
                    except (ValueError, IndexError):
                        code = ""
                    formatted = format_number(child.text, code) if code else None
                    if formatted is not None and formatted != child.text:
                        shown = formatted
                parts.append(child.text)
        elif tag == "is":
            stored, shown = rich_text(child)
            parts.append(stored)
        elif tag == "f" and child.text:
            formula = child.text
            parts.append(f"={child.text}")
    return "\n".join(p for p in parts if p), shown, formula
