"""Table rows whose adjacent cells hold the groups of one identifier.

The detector reads a table as structure: a cell boundary is never a separator
(dlp_proxy/detect/structure.py), so the end of one row's date and the next row's id
never fuse into a false number.  The same rule hides an identifier typed across
cells of one row (``SSN | 536 | 22 | 8710``).  For a row with a run of at least two
adjacent short, number-only cells (``split_row``), the extractor adds the run alone,
as one line with an explicit separator between its cells, after the row's text cells
(``SSN : 536 | 22 | 8710``): a segment of its own, so the detector reads the run as one
number with the row's labels as context, and never fuses cells of two rows (each row
is its own segment; a single line is never a table) nor the run with the row's other
numbers (left out).  A number cell whose format shows separators before its digits
(``"-"0``: ``536 | -22 | -8710``) is a group cell too once the extractor drops them
(``literal_lead``); a typed or signed ``-10`` is not.  Cells are read as shown: a cell
of several groups side by side is groups (``4111 1111 | 1111 1111``) and an empty cell
inside a run is a wider gap, not a break (``536 | | 22 | 8710``; ``split_row``).

Only rows that can hold a split identifier are added (a short text's cost and a
spreadsheet's size stay what they were): most rows have none.

``split_row`` itself lives in dlp_proxy/detect/structure.py: the engine reads the rows
of every text it is given (posts, text and CSV/TSV files) with it
(``structure.table_row_reading``), so a row is read the same wherever it is shown.
"""

from __future__ import annotations

import re

from dlp_proxy.detect.structure import GROUP_CELL_RX, GROUP_EDGE, split_row

#: separators a number format's literal shows before a cell's digits (``"-"0`` shows 22
#: as ``-22``; Excel shows ``536`` ``-22`` ``-8710`` in one row)
_LEAD = re.compile(r"[-\u2010-\u2015./:(]{1,2}(?=[0-9])")


def literal_lead(stored: str, shown: str) -> str:
    """A number cell's displayed text without the separators before its digits when
    they cannot be its sign: the cell stores a number of at least 0 (``stored``: its
    value; a line of it that is a number), so they are its format's literal text.  Any
    other cell as shown (a typed ``-10`` or a negative number is signed)."""
    m = _LEAD.match(shown)
    if m is None:
        return shown
    for line in stored.split("\n"):
        try:
            value = float(line)
        except ValueError:
            continue
        return shown[m.end():] if value >= 0 else shown
    return shown


__all__ = ["delimited_rows", "html_rows", "literal_lead", "pipe_rows", "split_row"]

#: a markdown/pipe-table cell pair that can start a split identifier: ``| 536 | 22 |``
_PIPE_PAIR = re.compile(r"\|[ \t]*[A-Za-z]{0,2}[0-9]{1,6}" + GROUP_EDGE + r"[ \t]*\|[ \t]*[0-9]{1,6}" + GROUP_EDGE
                        + r"[ \t]*(?=\||$)", re.M)


def pipe_rows(text: str) -> list[tuple[int, str]]:
    """(line number, row line) of each markdown/pipe-table row with a split identifier.
    Linear: one regex pass finds candidate pairs, only their lines are split."""
    if "|" not in text:
        return []
    out: list[tuple[int, str]] = []
    pos = line_no = 0
    line_end = -1
    for m in _PIPE_PAIR.finditer(text):
        if m.start() <= line_end:
            continue  # a later pair of a line already read
        start = text.rfind("\n", line_end + 1, m.start()) + 1 or line_end + 1
        end = text.find("\n", m.end())
        line_end = end if end >= 0 else len(text)
        rows = split_row(text[start:line_end].strip().strip("|").split("|"))
        if rows:
            line_no += text.count("\n", pos, start)
            pos = start
            out.extend((line_no + 1, row) for row in rows)
    return out


_TR = re.compile(r"<tr\b[^>]*>(.*?)(?=<tr\b|</table\b|\Z)", re.I | re.S)
_CELL = re.compile(r"<t[dh]\b[^>]*>(.*?)(?=<t[dh]\b|</tr\b|\Z)", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_MAX_HTML = 8 * 1024 * 1024


def html_rows(html: str) -> list[tuple[int, str]]:
    """(row number, row line) of each HTML table row with a split identifier."""
    if "<t" not in html and "<T" not in html:
        return []
    import html as _html

    out: list[tuple[int, str]] = []
    for n, tr in enumerate(_TR.finditer(html[:_MAX_HTML]), start=1):
        cells = [_html.unescape(_TAG.sub(" ", c.group(1))) for c in _CELL.finditer(tr.group(1))]
        out.extend((n, row) for row in split_row(cells))
    return out


#: two group cells of a CSV/TSV line with only empty fields between (``536,,22``, ``="536",="22"``)
#: (searched in ``"\n" + block``: every match starts with one character class the engine skips to)
_DELIM_PAIR = re.compile(rf"[\n,;\t][ \t]*{GROUP_CELL_RX}[ \t]*(?:[,;\t][ \t]*)+{GROUP_CELL_RX}[ \t]*(?=[,;\t\r\n]|\Z)")
_DIGIT = re.compile(r"[0-9]")


def delimited_rows(block: str) -> list[tuple[int, str]]:
    """(line number, row line) of each CSV/TSV row of ``block`` with a split identifier
    (``split_row``, as a spreadsheet shows the row), however few rows the block has (the
    detector reads a delimited table's rows once it has a few: ``name,a,b,c`` over one
    ``John Smith,536,22,8710`` is read here).  A run under header cells that name their
    columns (``id,qty,px``) is left out.  Linear: one regex pass finds candidate lines."""
    import csv

    first = block.lstrip("\r\n").split("\n", 1)[0]
    delim = max(",;\t", key=first.count)
    if not first.count(delim):
        return []
    header = None if _DIGIT.search(first) else next(csv.reader([first], delimiter=delim), [])
    out: list[tuple[int, str]] = []
    pos = line_no = 0
    line_end = -1
    for m in _DELIM_PAIR.finditer("\n" + block):
        if m.start() <= line_end:
            continue  # a later pair of a line already read
        start = block.rfind("\n", 0, m.start()) + 1  # (offsets in the searched text are one more)
        end = block.find("\n", m.end() - 1)
        line_end = end if end >= 0 else len(block)
        cells = next(csv.reader([block[start:line_end].rstrip("\r")], delimiter=delim), [])
        rows = split_row(cells, None if block[start:line_end].rstrip("\r") == first else header)
        if rows:
            line_no += block.count("\n", pos, start)
            pos = start
            out.extend((line_no + 1, row) for row in rows)
    return out
