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

Every line break Unicode defines (Line_Break classes BK, CR, LF and NL: a bare
``\r``, ``\v``, ``\f``, U+0085, U+2028, U+2029) is first made a ``\n`` (a ``\r``
before ``\n`` stays): rows of a table written with any of them are rows, and the
digit runs (``recognizers/_common.py``) see one kind of line break.

A table is a run of consecutive lines with the same non-zero number of one
delimiter outside double quotes: tab or ``|`` (TSV, markdown and pipe tables) on
at least 2 lines; ``;`` or ``,`` (CSV) on at least 3 lines with at least two
delimiters each (three cells), or on at least 5 lines, where most delimiters are
not followed by a space (prose puts a space after its commas; CSV does not); or on
2-3 lines whose first has no digit and a cell naming an identifier (a recognizer's
context word: ``Name,SSN`` above ``Bob Smith,536228710``), the header labelling one or
two data rows.  Two chat lines with one comma each are otherwise prose, not a table, so
a line break there stays a separator.

``column_header(text, pos)`` is the header cell (first row of the table, when
that row has no digit: a first row with numbers is data, e.g. a file block cut
mid-table) of the column ``pos`` is in: recognizers read it as context (a column
headed "account" labels every number below it).

Cost: a few C-level ``str.count`` calls per line and one rewrite of the lines
that belong to tables: linear in the text.
"""

from __future__ import annotations

import array
import bisect
import functools
import re

import regex

CELL = "\x1f"
ROW = "\x1e"
_DELIMS = ("\t", "|", ";", ",")
_QUOTED = re.compile(r'"[^"\n]*"')
_QUOTED_SPLIT = re.compile(r'("[^"\n]*")')
#: A column header is a label, not a sentence: a longer first-row cell labels nothing.
MAX_HEADER_CHARS = 40
_DIGIT = re.compile(r"[0-9]")
#: Every line break but ``\n`` and the ``\r`` of ``\r\n``, from Unicode's Line_Break
#: property (the ``regex`` module's tables): BK (``\v`` ``\f`` U+2028 U+2029), NL
#: (U+0085) and a CR not followed by LF.
_OTHER_BREAKS = regex.compile(r"\r(?!\n)|[\p{Line_Break=BK}\p{Line_Break=NL}]")


def canonical_breaks(text: str) -> str:
    """``text`` with every line break a ``\n`` (``\r\n`` kept); same length."""
    if text.isascii() and "\r" not in text and "\x0b" not in text and "\x0c" not in text:
        return text
    return str(_OTHER_BREAKS.sub("\n", text))


def _min_rows(delim: str, cells: int) -> int:
    if delim in ("\t", "|"):
        return 2
    return 3 if cells >= 2 else 5


#: what may follow an identifier's label in a header cell ("SSN #", "Social Security Number")
_LABEL_TAIL = r"(?:\s*(?:number|num|nbr|no\.?|#))?"


def header_label_regex(labels: list[str] | tuple[str, ...]) -> re.Pattern[str]:
    """A whole header cell naming an identifier: one of ``labels`` (the recognizers'
    context words), then perhaps ``number``/``no``/``#``."""
    words = sorted({w.strip().lower() for w in labels if w.strip()}, key=len, reverse=True)
    if not words:
        return re.compile(r"(?!)")
    return re.compile(r"(?:" + "|".join(re.escape(w) for w in words) + r")" + _LABEL_TAIL, re.IGNORECASE)


def _labelled(lines: list[str], i: int, j: int, delim: str, label: re.Pattern[str]) -> bool:
    """Lines ``i..j`` (a header and data rows, ``,`` or ``;``) are a table however few its rows:
    its first line has no digit, short cells only, and one cell that names an identifier
    ("Name,SSN" above "Bob Smith,536228710").  Two chat lines with commas under no such
    header stay prose."""
    if delim not in (",", ";") or j - i < 2:
        return False
    header = lines[i]
    if _DIGIT.search(header):
        return False
    cells = [c.strip(' \t\r"') for c in header.split(delim)]
    return all(len(c) <= MAX_HEADER_CHARS for c in cells) and any(label.fullmatch(c) for c in cells)


def _count(line: str, delim: str) -> int:
    """Delimiters outside double quotes; 0 for a line that reads as prose (most of its
    commas or semicolons followed by a space: "Hi Bob, the 10-year is at 4.4%, ...")."""
    if '"' in line and delim in (",", ";", "\t"):
        line = _QUOTED.sub("", line)
    n = line.count(delim)
    if delim in (",", ";") and n and line.count(delim + " ") * 2 > n:
        return 0
    return n


def _counts(lines: list[str], text: str, delim: str) -> list[int]:
    """``_count`` of every line (C-level counts; ``_count`` itself only for a line with
    a double quote)."""
    counts = [line.count(delim) for line in lines]
    if '"' in text and delim in (",", ";", "\t"):
        counts = [_count(line, delim) if c and '"' in line else c for line, c in zip(lines, counts, strict=True)]
        quoted = True
    else:
        quoted = False
    spaced = delim + " "
    if delim in (",", ";") and spaced in text:
        # (a line with a double quote has its count from ``_count`` already)
        return [0 if c and line.count(spaced) * 2 > c and not (quoted and '"' in line) else c
                for line, c in zip(lines, counts, strict=True)]
    return counts


def _mark_block(block: str, delim: str) -> str:
    """The lines of one run of table lines (joined by ``\n``), marked: every line break a
    ``ROW``, every delimiter outside double quotes a ``CELL``.  The ``\r`` of a ``\r\n``
    between two rows becomes a blank: the row break is the ``ROW`` (normalization would
    make a lone ``\r`` a line break of its own, cutting the header row from its table)."""
    block = block.replace("\r\n", " \n")
    if '"' not in block or delim == "|":
        return block.replace(delim, CELL).replace("\n", ROW)
    # a quoted cell never spans a line break: the block's quoted cells are its lines'
    parts = _QUOTED_SPLIT.split(block)  # outside, quoted, outside, ...
    return "".join(p if k % 2 else p.replace(delim, CELL).replace("\n", ROW) for k, p in enumerate(parts))


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


def mark_tables(text: str, header_label: re.Pattern[str] | None = None) -> str:
    """``text`` with table cell and row boundaries marked (same length; see module doc).
    U+001E/U+001F already in ``text`` become spaces.  ``header_label`` (``header_label_regex``)
    lets a header naming an identifier make a CSV table of one or two data rows."""
    if CELL in text or ROW in text:
        text = text.replace(CELL, " ").replace(ROW, " ")  # only this function marks boundaries
    text = canonical_breaks(text)
    if "\n" not in text or not any(d in text for d in _DELIMS):
        return text
    lines = text.split("\n")
    n = len(lines)
    owner: list[str | None] = [None] * n  # the delimiter of the table a line belongs to
    for delim in _DELIMS:
        if delim not in text:
            continue
        counts = _counts(lines, text, delim)
        i = 0
        while i < n:
            c = counts[i]
            if c == 0 or owner[i] is not None:
                i += 1
                continue
            j = i + 1
            while j < n and counts[j] == c and owner[j] is None:
                j += 1
            if j - i >= _min_rows(delim, c) or (
                    header_label is not None and _labelled(lines, i, j, delim, header_label)):
                for k in range(i, j):
                    owner[k] = delim
            i = j
    if not any(owner):
        return text
    # runs of lines with one owner: a table's (its line breaks rows), or no table's
    out: list[str] = []
    k = 0
    while k < n:
        mark = owner[k]
        j = k + 1
        while j < n and owner[j] == mark:
            j += 1
        block = "\n".join(lines[k:j])
        out.append(block if mark is None else _mark_block(block, mark))
        k = j
    marked = "\n".join(out)
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
    header_line = text[table_start:header_end]
    if _DIGIT.search(header_line):
        return None  # a first row with numbers is data (a window or block cut mid-table)
    cells = header_line.split(CELL)
    if column >= len(cells):
        return None
    header = cells[column].strip(' \t\r"')
    return header if len(header) <= MAX_HEADER_CHARS else None


def _layout(text: str) -> tuple[bool, array.array[int]]:
    """Whether ``text`` has a table, and where its line breaks are (8 bytes a line), once
    per text: a long file's windows look up the line each starts in, where ``rfind`` went
    back over the whole table before it (quadratic in a table's length).  Kept for the
    last text by identity: a cache keyed by the text would compare the whole text with
    an equal one kept from an earlier scan, at every window."""
    global _LAST_LAYOUT
    last = _LAST_LAYOUT
    if last is not None and last[0] is text:
        return last[1]
    layout = (ROW in text, array.array("q", [m.start() for m in _BREAK.finditer(text)] if ROW in text else []))
    _LAST_LAYOUT = (text, layout)  # one assignment: another thread sees the old or the new
    return layout


_BREAK = re.compile("\n")
_LAST_LAYOUT: tuple[str, tuple[bool, array.array[int]]] | None = None


def window_prefix(text: str, pos: int, max_skip: int) -> tuple[str, int]:
    """For a scan window of marked ``text`` starting at ``pos``: (the header row of the
    table ``pos`` is in, followed by ``ROW``; how many characters to skip so the window
    starts at the next row).  ``("", 0)`` when ``pos`` is not below a table's first row.

    The engine puts the prefix in front of the window, so column headers still label
    the cells of a long table's later windows; the partial row skipped is whole in
    the previous window when it is at most ``max_skip`` (the windows' overlap) long;
    a longer one is not skipped, and then no header is added either."""
    if pos <= 0:
        return "", 0
    tables, breaks = _layout(text)
    if not tables:
        return "", 0
    k = bisect.bisect_left(breaks, pos)  # breaks[k - 1] < pos <= breaks[k]
    last_line = breaks[k - 1] if k else -1  # text.rfind("\n", 0, pos)
    last_row = text.rfind(ROW, last_line + 1, pos)  # -1 for one before last_line
    if last_row <= last_line:
        return "", 0
    table_start = last_line + 1
    header_end = text.find(ROW, table_start)
    next_row = text.find(ROW, pos)
    next_line = breaks[k] if k < len(breaks) else -1  # text.find("\n", pos)
    if next_row < 0 or (0 <= next_line < next_row) or next_row + 1 - pos > max_skip:
        return "", 0  # the table ends in this row, or the row is longer than the overlap
    return text[table_start:header_end] + ROW, next_row + 1 - pos
