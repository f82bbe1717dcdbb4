"""Tables as structure: a cell or row boundary is never a separator.

In running text a line break or a comma between digit groups may be a separator
(``5120-0230`` / ``-7970-8380`` on two lines is one card number).  In a table it
never is: the end of one CSV row's date (``11-19``) and the next row's id
(``10131``) are two cells, not an ABA routing number.  ``mark_tables(text)``
finds tables in (normalized) text and returns the text *with the same length*,
every cell delimiter replaced by ``CELL`` (U+001F) and every line break between
two rows of one table by ``ROW`` (U+001E).  Both are white space to the regex
engines and neither is a separator for ``recognizers._common.digit_runs``, so no
candidate spans two cells; every offset is unchanged.  The engine marks the whole
(sanitized) text before cutting it into windows and normalizing it, so a window
that starts or ends mid-row keeps its boundaries; normalization keeps the two
marks and turns every other control character into a space, and this function
first turns any U+001E/U+001F of the input into spaces: a sender cannot fake a
boundary.

A table is a run of consecutive lines with the same non-zero number of one
delimiter outside double quotes: tab or ``|`` (TSV, markdown and pipe tables) on
at least 2 lines; ``;`` or ``,`` (CSV) on at least 3 lines with at least two
delimiters each (three cells), or on at least 5 lines.  Two chat lines with one
comma each are prose, not a table, so a line break there stays a separator.

``column_header(text, pos)`` is the header cell (first row of the table) of the
column ``pos`` is in: recognizers read it as context (a column headed
"account" labels every number below it).

Cost: a few C-level ``str.count`` calls per line and one rewrite of the lines
that belong to tables: linear in the text.
"""

from __future__ import annotations

import functools
import re

CELL = "\x1f"
ROW = "\x1e"
_DELIMS = ("\t", "|", ";", ",")
_QUOTED = re.compile(r'"[^"\n]*"')


def _min_rows(delim: str, cells: int) -> int:
    if delim in ("\t", "|"):
        return 2
    return 3 if cells >= 2 else 5


def _count(line: str, delim: str) -> int:
    if '"' in line and delim in (",", ";", "\t"):
        return _QUOTED.sub("", line).count(delim)
    return line.count(delim)


def _mark_line(line: str, delim: str) -> str:
    if '"' not in line or delim == "|":
        return line.replace(delim, CELL)
    out: list[str] = []
    pos = 0
    for m in _QUOTED.finditer(line):
        out.append(line[pos : m.start()].replace(delim, CELL))
        out.append(m.group(0))
        pos = m.end()
    out.append(line[pos:].replace(delim, CELL))
    return "".join(out)


def mark_tables(text: str) -> str:
    """``text`` with table cell and row boundaries marked (same length; see module doc).
    U+001E/U+001F already in ``text`` become spaces."""
    if CELL in text or ROW in text:
        text = text.replace(CELL, " ").replace(ROW, " ")  # only this function marks boundaries
    if "\n" not in text or not any(d in text for d in _DELIMS):
        return text
    lines = text.split("\n")
    n = len(lines)
    owner: list[str | None] = [None] * n  # the delimiter of the table a line belongs to
    for delim in _DELIMS:
        if delim not in text:
            continue
        counts = [_count(line, delim) if delim in line else 0 for line in lines]
        i = 0
        while i < n:
            c = counts[i]
            if c == 0 or owner[i] is not None:
                i += 1
                continue
            j = i + 1
            while j < n and counts[j] == c and owner[j] is None:
                j += 1
            if j - i >= _min_rows(delim, c):
                for k in range(i, j):
                    owner[k] = delim
            i = j
    if not any(owner):
        return text
    out: list[str] = []
    for k, line in enumerate(lines):
        mark = owner[k]
        out.append(line if mark is None else _mark_line(line, mark))
        if k + 1 < n:
            out.append(ROW if mark is not None and owner[k + 1] == mark else "\n")
    marked = "".join(out)
    assert len(marked) == len(text)
    return marked


@functools.lru_cache(maxsize=64)
def has_tables(text: str) -> bool:
    return ROW in text


def column_header(text: str, pos: int) -> str | None:
    """The header cell of the table column holding ``text[pos]`` (``text`` marked by
    ``mark_tables``), or None when ``pos`` is not below a table's first row."""
    if not has_tables(text):
        return None
    last_row = text.rfind(ROW, 0, pos)
    last_line = text.rfind("\n", 0, pos)
    if last_row <= last_line:
        return None  # not in a table, or in its first row
    row_start = last_row + 1
    table_start = last_line + 1
    header_end = text.find(ROW, table_start)
    column = text.count(CELL, row_start, pos)
    cells = text[table_start:header_end].split(CELL)
    if column >= len(cells):
        return None
    return cells[column].strip(' \t\r"')
