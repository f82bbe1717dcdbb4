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
context word: ``Name,SSN`` above ``Bob Smith,AAAGGSSSS``; ``names_identifier``: ``tax_id``,
``SSN/TIN``, ``SSN (no dashes)``), the header labelling one or two data rows; under such a
header, lines written with a blank after each delimiter as chat writes a list (``Name,
SSN`` over ``Jane Doe, AAAGGSSSS``) are rows too.  Two chat lines with one comma each are
otherwise prose, not a table, so a line break there stays a separator.

An aligned (fixed-width) table is one too: columns apart by two blanks or more under a
header of short cells with no value, each cell of the lines below standing under its
column's header cell (``_aligned_run``); each column gap's first blank is its cell mark.

``column_header(text, pos)`` is the header cell (first row of the table, when
that row has no digit: a first row with numbers is data, e.g. a file block cut
mid-table) of the column ``pos`` is in: recognizers read it as context (a column
headed "account" labels every number below it).

Cost: a few C-level ``str.count`` calls per line and one rewrite of the lines
that belong to tables: linear in the text.

A reader still sees a row's cells side by side: ``table_row_reading`` (below) reads each
row's run of adjacent number cells as one line of its own (``split_row``, which the file
extractors use too), and the engine judges those lines apart.
"""

from __future__ import annotations

import array
import bisect
import functools
import itertools
import operator
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from typing import NamedTuple

import regex

from dlp_proxy.detect import gatescan, wordtrie
from dlp_proxy.detect.checksums import luhn_ok

CELL = "\x1f"
ROW = "\x1e"
#: ``mark_tables``' owner of an aligned table's lines (columns apart by blanks: no delimiter)
ALIGNED = "  "
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
    words = sorted({w.strip().lower() for w in labels if w.strip()}, key=lambda w: (-len(w), w))
    if not words:
        return re.compile(r"(?!)")
    return re.compile(wordtrie.trie_source(words, caseless=True) + _LABEL_TAIL, re.IGNORECASE)


#: where a header's words part: ``_`` ``-`` ``.`` ``/`` and a lower-case letter or digit
#: before an upper-case one (``tax_id``, ``ssnNbr``, ``acctNo``, ``SSN/TIN``)
_HEADER_CUT = re.compile(r"[_./-]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])")
#: words after an identifier's name in a header that say how it is written, not what it
#: is (``SSN_NoDash``, ``ssn_1``, ``SSN9``, ``SSN.value``, ``ssn_last9``: atk25r R3)
_HEADER_QUALIFIERS = frozenset({
    "value", "val", "raw", "full", "clean", "plain", "digits", "digit", "no", "nodash", "nodashes", "dash", "dashes",
    "unformatted", "formatted", "str", "string", "txt", "text", "last", "num", "nbr", "number", "nr",
})
#: a header's note in brackets (``SSN (no dashes)``, ``acct [10 digits]``)
_HEADER_NOTE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*")


def header_words(cell: str) -> str:
    """A header cell as words: its snake_case, camelCase and ``/`` parts apart
    (``tax_id`` -> ``tax id``, ``acctNo`` -> ``acct No``, ``SSN/TIN`` -> ``SSN TIN``)."""
    return " ".join(_HEADER_CUT.sub(" ", cell).split())


def names_identifier(cell: str, label: re.Pattern[str]) -> bool:
    """A header cell that names an identifier: the cell, or one of its ``/`` parts, read
    as words and without a note in brackets, is one of ``label``'s (a context word, then
    perhaps ``number``/``no``/``#``) after at most two words that qualify it
    (``SSN``, ``Customer TIN``, ``SSN (no dashes)``, ``SSN/TIN``, ``tax_id``, ``ssn_nbr``,
    ``acctNo``); "the SSN form" names a form, not the number."""
    c = cell.strip(' \t\r"')
    if label.fullmatch(c):
        return True
    c = _HEADER_NOTE.sub(" ", c)
    for part in [c, *c.split("/")] if "/" in c else [c]:
        words = header_words(part).split()
        for k in range(min(3, len(words))):
            for e in range(len(words), max(k, len(words) - 3), -1):
                tail = words[e:]
                if all(w.isdigit() or w.lower() in _HEADER_QUALIFIERS for w in tail):
                    named = " ".join(words[k:e])
                    if label.fullmatch(named) or (named[-1:] in "sS" and label.fullmatch(named[:-1])):
                        return True  # (a plural: "SOCIALS", "Tax IDs": atk25r R4)
    return False


def _labelled(lines: list[str], i: int, j: int, delim: str, label: re.Pattern[str]) -> bool:
    """Lines ``i..j`` (a header and data rows, ``,`` or ``;``) are a table however few its rows:
    its first line has no digit, short cells only, and one cell that names an identifier
    ("Name,SSN" above "Bob Smith,AAAGGSSSS", ``names_identifier``).  Two chat lines with
    commas under no such header stay prose."""
    if delim not in (",", ";") or j - i < 2:
        return False
    header = lines[i]
    cells = [c.strip(' \t\r"') for c in header.split(delim)]
    if _DIGIT.search(header) and any(_data_cell(c) or not _names(c) for c in cells):
        return False  # a value in the first line; a digit or two glued to a word is a name ("SSN9", "ssn_1": atk25r R3)
    return all(len(c) <= MAX_HEADER_CHARS for c in cells) and any(names_identifier(c, label) for c in cells)


def _spaced_labelled(lines: list[str], owner: list[str | None], i: int, delim: str,
                     label: re.Pattern[str]) -> int:
    """A header naming an identifier written as chat writes a list, a blank after each
    delimiter (``Name, SSN`` above ``Jane Doe, AAAGGSSSS``: ``_count`` reads both lines as
    prose): the end of the run of lines from ``i`` with the header's number of delimiters
    outside quotes, when it holds a data row (else ``i``).  Only the lines after such a
    header are read so; two chat lines with commas under no such header stay prose."""
    header = lines[i]
    c = _count(header.replace(delim + " ", delim), delim)
    if not c or c > 8 or owner[i] is not None or not _labelled(lines, i, i + 2, delim, label):
        return i  # (the header is read before the rows: each line is walked over once)
    j = i + 1
    while j < len(lines) and owner[j] is None and _count(lines[j].replace(delim + " ", delim), delim) == c:
        j += 1
    return j if j - i >= 2 else i


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


#: an HTML table's structural tag (``normalize._TAG_RE`` matches each at the same span: a
#: name, then a blank and attributes, or ``>``), or a comment (its tags are no table's)
_HTML_TABLE_TAG = re.compile(
    r"<!--.*?-->|<(/?)(table|thead|tbody|tfoot|tr|td|th|caption|colgroup|col)(?:\s[^<>\x1e\x1f]{0,300})?/?>",
    re.IGNORECASE | re.DOTALL)
_HTML_TABLE_HINT = re.compile(r"<(?:t[dhr]|table)[\s/>]", re.IGNORECASE)
#: tags inside which text is content (a cell's, a caption's): anything may stand there
_HTML_CONTENT = frozenset(("td", "th", "caption"))


def mark_html_tables(text: str) -> str:
    """``text`` with its HTML tables' cell and row boundaries marked, same length: the
    ``>`` closing each ``<td ...>``/``<th ...>`` becomes ``CELL`` and the ``>`` of each
    ``<tr ...>`` after a table's first cells ``ROW`` (``normalize`` reads a tag so closed as
    that boundary; its attributes stay in the tag, dropped as rendered, shown by
    ``markup_as_written``), and every line break inside a table a blank (a table's rows are
    one marked line, as a delimited table's; a break inside a cell renders as a blank).
    A reader sees each cell in a column of its own: ``<td>NNN</td><td>NN</td><td>NNNN</td>``
    is a row of three values, never one number, as ``|NNN|NN|NNNN|`` is.

    A table is a run of table tags (any case, with attributes) that opens at ``<table>``, at
    ``<tr>``, or at a cell tag with only blanks before it on its line, and goes on while only
    blanks stand between two tags outside a cell (text inside a cell or caption is its
    content); it ends at ``</table>``.  A cell tag inside prose (``NNN-NN<td>NNNN``: a
    browser drops a cell outside a table) marks nothing.  Marks already in ``text`` (a
    delimited table's) are left as they are."""
    if "<" not in text or _HTML_TABLE_HINT.search(text) is None:
        return text
    marks: list[tuple[int, str]] = []  # (position, mark) edits: CELL, ROW or a blank
    start = -1  # the open table's first tag, -1 when none
    last = 0  # the end of the open table's last tag
    content = False  # after a cell's (or caption's) opening tag: its text is content
    cells = False  # a cell seen in the open table: a later ``<tr>`` starts a row

    def close() -> None:
        nonlocal start
        for k in range(start, last):
            if text[k] in "\r\n":
                marks.append((k, " "))
        start = -1

    for m in _HTML_TABLE_TAG.finditer(text):
        if m.group(2) is None:
            continue  # a comment
        slash, name = m.group(1), m.group(2).lower()
        if start >= 0 and not content and text[last:m.start()].strip():
            close()  # text between two tags outside a cell: the table ended before it
        if start >= 0 and name == "table" and not slash:
            close()  # a table opening in a table: read as the next one
        if start < 0:
            line = text.rfind("\n", 0, m.start()) + 1
            if slash or not (name in ("table", "tr") or (name in ("td", "th") and not text[line:m.start()].strip())):
                continue
            start, content, cells = m.start(), False, False
        last = m.end()
        if slash:
            content = False
            if name == "table":
                close()
            continue
        if name in ("td", "th"):
            marks.append((m.end() - 1, CELL))
            cells = True
        elif name == "tr" and cells:
            marks.append((m.end() - 1, ROW))
        content = name in _HTML_CONTENT
    if start >= 0:
        close()
    if not marks:
        return text
    chars = list(text)
    for k, mark in marks:
        chars[k] = mark
    return "".join(chars)


#: a column gap of an aligned (fixed-width) table: two blanks or more between two cells
_ALIGNED_GAP = re.compile(r"(?<=\S) {2,}(?=\S)")
#: the most columns an aligned table's header may have (a line of words spaced for emphasis is no table)
_ALIGNED_MAX_CELLS = 12


def _aligned_cells(line: str) -> list[tuple[int, int]]:
    """The cells of ``line`` as an aligned table writes them (``[start, end)`` of each run
    of text between gaps of two blanks or more; a single blank is inside a cell:
    ``Sofia Lee``); [] for a line with a tab (a TSV's) or without a gap."""
    if "  " not in line or "\t" in line:
        return []
    body = line.rstrip(" \r")
    lead = len(body) - len(body.lstrip(" "))
    cells: list[tuple[int, int]] = []
    pos = lead
    for m in _ALIGNED_GAP.finditer(body, lead):
        cells.append((pos, m.start()))
        pos = m.end()
    if not cells:
        return []
    cells.append((pos, len(body)))
    return cells


def _columns_of(row: list[tuple[int, int]], header: list[tuple[int, int]]) -> list[int] | None:
    """The header column each cell of ``row`` stands under (it overlaps that header cell and
    no other: left, right or centred alignment), in order; None when a cell stands under
    none or two.  A row may leave cells empty (a value continued on the next line under its
    column: ``Jane Doe    NNNN NNNN`` then ``            NNNN``)."""
    if not row:
        return None
    out: list[int] = []
    for a, b in row:
        under = [k for k, (hs, he) in enumerate(header) if a < he and hs < b]
        if len(under) != 1 or (out and under[0] <= out[-1]):
            return None
        out.append(under[0])
    return out


def _aligned_run(lines: list[str], owner: list[str | None], i: int,
                 header_label: re.Pattern[str] | None) -> int:
    """The end of the aligned table whose header is line ``i`` (``i`` when it is none): a
    header of 2-12 short cells without a value, then the lines whose cells each stand under
    their column's header cell (``_columns_of``); at least two such rows, or one under a header
    naming an identifier (``Name    Account    Routing`` over ``Sofia Lee    NNNNNNNNN
    RRRRRRRRR``)."""
    header = _aligned_cells(lines[i])
    if not 2 <= len(header) <= _ALIGNED_MAX_CELLS:
        return i
    names = [lines[i][a:b] for a, b in header]
    if any(len(c) > MAX_HEADER_CHARS or _data_cell(c) or not any(ch.isalpha() for ch in c) for c in names):
        return i
    j = i + 1
    while j < len(lines) and owner[j] is None and _columns_of(_aligned_row(lines[j]), header) is not None:
        j += 1
    if j - i >= 3 or (j - i == 2 and header_label is not None and any(names_identifier(c, header_label) for c in names)):
        return j
    return i


def _aligned_row(line: str) -> list[tuple[int, int]]:
    """The cells of a line under an aligned table's header: ``_aligned_cells``, or the
    line's text as one cell when it has no gap; [] for a blank line or one with a tab."""
    cells = _aligned_cells(line)
    if cells:
        return cells
    body = line.rstrip(" \r")
    text = body.lstrip(" ")
    return [(len(body) - len(text), len(body))] if text and "\t" not in text else []


def _mark_aligned(lines: list[str]) -> str:
    """An aligned table's lines joined, marked: each column gap's first blank a ``CELL``,
    each line break a ``ROW`` (same length); a row that leaves cells empty gets their
    marks in the blanks before the next cell it fills, so each cell is under its header's."""
    header = _aligned_cells(lines[0])
    out = []
    for line in lines:
        chars = list(line)
        cells = _aligned_row(line)
        columns = _columns_of(cells, header) or list(range(len(cells)))
        prev, prev_end = -1, -1  # the column of the last cell marked, and its end
        for (a, b), k in zip(cells, columns, strict=True):
            if prev >= 0:
                chars[prev_end] = CELL  # (the gap's first blank)
            # the empty cells between: their marks in the blanks right before this cell
            for m in range(k - prev - 1):
                at = a - 1 - m
                if at > prev_end and chars[at] == " ":
                    chars[at] = CELL
            prev, prev_end = k, b
        out.append("".join(chars))
    return ROW.join(out)


def mark_tables(text: str, header_label: re.Pattern[str] | None = None, *, aligned: bool = True) -> str:
    """``text`` with table cell and row boundaries marked (same length; see module doc).
    U+001E/U+001F already in ``text`` become spaces.  ``header_label`` (``header_label_regex``)
    lets a header naming an identifier make a CSV table of one or two data rows.  HTML
    tables are marked first (``mark_html_tables``); a line holding one is no delimited
    table's.  ``aligned=False``: no aligned (fixed-width) table is marked (the engine's
    second reading of a text that has one)."""
    if CELL in text or ROW in text:
        text = text.replace(CELL, " ").replace(ROW, " ")  # only this function marks boundaries
    text = canonical_breaks(text)
    text = mark_html_tables(text)
    aligned = aligned and "  " in text
    if "\n" not in text or not (aligned or any(d in text for d in _DELIMS)):
        return text
    lines = text.split("\n")
    n = len(lines)
    # the delimiter of the table a line belongs to ("" for an HTML table's line: its marks are its own)
    owner: list[str | None] = ["" if CELL in line or ROW in line else None for line in lines] \
        if CELL in text or ROW in text else [None] * n
    for delim in _DELIMS:
        if delim not in text:
            continue
        counts = _counts(lines, text, delim)
        # only the lines with the delimiter start a run (``itertools.compress``: C-level;
        # a window's joined text is mostly lines without one, its filler)
        i = 0
        for start in itertools.compress(range(n), counts):
            if start < i or owner[start] is not None:
                continue  # inside the run read last, or another delimiter's table
            i = start
            c = counts[i]
            j = i + 1
            while j < n and counts[j] == c and owner[j] is None:
                j += 1
            if j - i >= _min_rows(delim, c) or (
                    header_label is not None and _labelled(lines, i, j, delim, header_label)):
                for k in range(i, j):
                    owner[k] = delim
            i = j
        if header_label is not None and delim in (",", ";") and delim + " " in text:
            # "Name, SSN" over "Jane Doe, AAAGGSSSS": a labelled header written as chat (det25c F2)
            k = 0
            while k < n:
                if counts[k] or lines[k].count(delim) == 0 or owner[k] is not None:
                    k += 1
                    continue
                end = _spaced_labelled(lines, owner, k, delim, header_label)
                for m in range(k, end):
                    owner[m] = delim
                k = max(end, k + 1)
    if aligned:
        # aligned (fixed-width) tables: columns apart by two blanks or more under a header
        k = 0
        while k < n - 1:
            end = _aligned_run(lines, owner, k, header_label) if owner[k] is None and "  " in lines[k] else k
            for m in range(k, end):
                owner[m] = ALIGNED
            k = max(end, k + 1)
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
        if mark == ALIGNED:
            out.append(_mark_aligned(lines[k:j]))
            k = j
            continue
        block = "\n".join(lines[k:j])
        out.append(block if not mark else _mark_block(block, mark))
        k = j
    marked = "\n".join(out)
    assert len(marked) == len(text)
    return marked


@functools.lru_cache(maxsize=64)
def has_tables(text: str) -> bool:
    return ROW in text


#: ``column_header``'s last text (the object), position and answer: a recognizer's context
#: searches ask it for one candidate up to three times in a row (strong, weak and
#: misspelt words), and the answer depends on the text and the position only
_last_header: tuple[str, int, str | None] | None = None


def column_header(text: str, pos: int) -> str | None:
    """The header cell of the table column holding ``text[pos]`` (``text`` marked by
    ``mark_tables``), or None when ``pos`` is not below a table's first row."""
    global _last_header
    last = _last_header
    if last is not None and last[0] is text and last[1] == pos:
        return last[2]
    header = _column_header(text, pos)
    _last_header = (text, pos, header)
    return header


#: a table ``table_trailer`` reads the words below of: a chat table, not an export
_SMALL_TABLE_CHARS = 400


def table_trailer(text: str, pos: int) -> tuple[int, str] | None:
    """For ``text[pos]`` below the first row of a small marked table whose header names no
    column (``| a | b |``, blank cells: ``_names``), the words right below the table, up to
    the next digit (offset in ``text``, words): "routing and account" under
    ``| RRRRRRRRR | AAAAAAAAAA |`` names its cells as headers would (attack pass 25, F1).
    A table whose headers name their columns is read by them."""
    table_start = _rfind_break(text, pos) + 1
    table_end = _find_break(text, pos)
    table_end = len(text) if table_end < 0 else table_end
    if table_end - table_start > _SMALL_TABLE_CHARS or table_end >= len(text):
        return None
    header_end = text.find(ROW, table_start, pos)
    if header_end < 0:
        return None
    below = text[table_end:table_end + CAPTION_REACH]
    cut = _DIGIT.search(_COLUMN_PLACE.sub(lambda m: "x" * len(m.group(0)), below) if "col" in below.lower() else below)
    below = below[: cut.start()] if cut else below  # (a column's number is no number: "col 3 = tax ids")
    cells = text[table_start:header_end].split(CELL)
    if any(_names(c) for c in cells) and not _designates(below, cells, text.count(CELL, text.rfind(ROW, 0, pos) + 1, pos)):
        return None
    return table_end, below


#: words below a table that say which of its columns they speak of: its place ("the third
#: column", "column 3", "col C", "the last column"), or all of its numbers ("the numbers
#: above", "those are their SSNs", "above: their tax ids")
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_COLUMN_PLACE = re.compile(
    r"(?i)(?<![a-z])(?:(?P<nth>" + "|".join(_ORDINALS) + r"|1st|2nd|3rd|[4-9]th|last|final|right(?:most)?|left(?:most)?)"
    r"[ \t]+(?:col(?:umn)?s?|field|cell)s?|col(?:umn)?[ \t]*(?:#[ \t]*)?(?P<num>[1-9]|[A-Ja-j])(?![a-z0-9]))")
_ALL_NUMBERS = re.compile(
    r"(?i)(?:\A[^A-Za-z]*(?:(?:all|both)[ \t]+)?(?:th(?:o|e)se|they|th(?:at|is)|above)(?![a-z])"
    r"|(?<![a-z])(?:numbers|values|digits|ones|nos|ids)[ \t]+(?:above|in[ \t]+(?:the|this)[ \t]+(?:table|list))(?![a-z])"
    r"|(?<![a-z])(?:the|all)[ \t]+above(?![a-z]))")


def _designates(below: str, cells: list[str], column: int) -> bool:
    """The words ``below`` a table whose header row is ``cells`` speak of the column
    ``column`` (0-based): by its place, its header's name ("the Ref column is their
    SSN"), or all the numbers above (atk25r R2)."""
    if not below.strip():
        return False
    if _ALL_NUMBERS.search(below) is not None:
        return True
    if len(cells) > 1 and not cells[0].strip(" \t"):
        cells, column = cells[1:], column - 1  # a Markdown row's leading "|"
    if len(cells) > 1 and not cells[-1].strip(" \t\r"):
        cells = cells[:-1]  # and its closing one
    for m in _COLUMN_PLACE.finditer(below):
        nth, num = m.group("nth"), m.group("num")
        if nth is not None:
            nth = nth.lower()
            if nth in ("last", "final", "right", "rightmost"):
                want = len(cells) - 1
            elif nth in ("left", "leftmost"):
                want = 0
            elif nth in _ORDINALS:
                want = _ORDINALS.index(nth)
            else:
                want = int(nth[0]) - 1
        else:
            want = int(num) - 1 if num.isdigit() else ord(num.lower()) - ord("a")
        if want == column:
            return True
    if column < len(cells):
        name = " ".join(cells[column].strip(' \t\r"|').split())
        if len(name) >= 2 and re.search(r"(?i)(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])", below) is not None:
            return True
    return False


#: A cell of a first row that holds a value, not a name: three digits in a row, or digits
#: and no letter (``4411``, ``12.5``, ``03/11``).  A header may name a form or a period with
#: a digit or two (``SSN on W-9 (primary)``, ``Q3 acct``: det21).
_DATA_CELL = re.compile(r"[0-9]{3}|^[^A-Za-z]*[0-9][^A-Za-z]*$")


def _data_cell(cell: str) -> bool:
    return _DATA_CELL.search(cell.strip()) is not None


def _column_header(text: str, pos: int) -> str | None:
    if not has_tables(text):
        return None
    last_row = text.rfind(ROW, 0, pos)
    last_line = _rfind_break(text, pos)
    if last_row <= last_line:
        return None  # not in a table, or in its first row
    row_start = last_row + 1
    table_start = last_line + 1
    header_end = text.find(ROW, table_start)
    column = text.count(CELL, row_start, pos)
    header_line = text[table_start:header_end]
    cells = header_line.split(CELL)
    if _DIGIT.search(header_line) and any(_data_cell(c) for c in cells):
        return None  # a first row with numbers is data (a window or block cut mid-table)
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


# -- table rows read as shown ---------------------------------------------------------
#
# A cell boundary is never a separator for the digit runs, but a reader sees a row's
# cells side by side: ``|536|22|8710|`` renders as ``536 22 8710``.  A row with a run of
# two or more adjacent short number-only cells is therefore also read as a line of its
# own, the run's cells joined by ``SEP`` after the row's text cells (its labels):
# ``split_row``.  Files add these lines to their text (docx/pptx/odt/xlsx/HTML/markdown
# rows, ``files/rows.py``); the engine reads every row of a text this way
# (``table_row_reading``: posts, any text field, text and CSV/TSV files), so the same
# row is read the same wherever it is shown.

#: separators a cell can show after its digits: a number format's literals (``0"-"``
#: shows 536 as ``536-``; Excel shows ``536-`` ``22-`` ``8710`` in one row) or typed
#: text; stripped from the run's cells (the row line's ``SEP`` separates them).  Not
#: before them: a leading ``-`` or ``(`` is a negative number's sign (a blotter's
#: ``45000 | -10`` is no run)
GROUP_EDGE = r"[-\u2010-\u2015./:)]{0,2}"
#: the digits of a cell that can hold groups of a split identifier: up to 6 digits,
#: optionally after up to 2 letters (an IBAN's country code: ``DE89 | 3704 | ...``);
#: or two such groups joined by one dash (``|536-22|8710|``: the dash is the cell's own
#: separator; a date's three groups, ``2026-11-19``, or a decimal ``25.50`` is no group cell)
_GROUP = r"[A-Za-z]{0,2}[0-9]{1,6}(?:[-\u2010-\u2015][0-9]{1,6})?"
_DASH = re.compile(r"[-\u2010-\u2015]")
#: a cell that can be groups of a split identifier: one or more groups (``_GROUP``) side
#: by side (``|4111 1111|1111 1111|``, ``|536 22|8710|``: a reader sees the blank between
#: them as between two cells), then up to two separators (``GROUP_EDGE``); white space
#: collapsed and a CSV/Excel text wrapper (``"536 22"``, ``="536"``) dropped (``_shown``)
_GROUP_CELL = re.compile(rf"((?:{_GROUP} )*{_GROUP}){GROUP_EDGE}")
_WRAPPED = re.compile(r'=?"([^"]*)"')
#: digits of a run: from a split 7-digit account number to a 34-character IBAN
MIN_RUN_DIGITS = 7
MAX_RUN_DIGITS = 34
#: cells of a row that are read (a wider row keeps its first cells)
MAX_CELLS = 256
#: separator written between the cells of a row line
SEP = " | "
#: the groups a reader takes a run's digits for when its cells split them otherwise
#: (``|53|6|22|87|10|``, ``|53622|8710|``: nine digits read as an SSN's 3-2-4; sixteen as
#: a card's 4-4-4-4, fifteen as 4-6-5): a second line of the run, regrouped, when the run
#: has three groups or more or ends with the identifier's last group (two numbers such as
#: a price and a notional, ``190 | 133000``, stay two numbers)
_SHAPES = {9: (3, 2, 4), 15: (4, 6, 5), 16: (4, 4, 4, 4)}

#: a group cell as ``_ROW_PAIR`` and ``_ADJACENT_GROUPS`` find it (blanks not collapsed yet)
GROUP_CELL_RX = _CELL_RX = rf'=?"?{_GROUP}(?:[ \t]+{_GROUP})*{GROUP_EDGE}"?'
#: two group cells with only empty cells between (joined by NUL) once their white space is
#: collapsed (``_GROUP_CELL``): a run needs one such pair.  A group cell holds no NUL, so a
#: NUL inside another cell can only add a match (then the row is read in full), never hide one
_ADJACENT_GROUPS = re.compile(
    rf"(?:^|\x00)\s*{_CELL_RX}\s*(?:\x00\s*)+(?={_CELL_RX}\s*(?:\x00|\Z))")


def _shown(cell: str) -> str:
    """A cell as a reader sees it: white space collapsed, a CSV quote or an Excel text
    formula's ``="..."`` wrapper dropped."""
    shown = " ".join(cell.split())
    m = _WRAPPED.fullmatch(shown)
    if m:
        return " ".join(m[1].split())
    # a formula of a number (``=536``, what Excel shows as 536; also ``="536"`` once the
    # normalizer has read its quotes as brackets around a group)
    return shown[1:] if shown[:1] == "=" and shown[1:2].isdigit() else shown


def row_runs(cells: Sequence[str], min_digits: int = MIN_RUN_DIGITS) -> list[tuple[int, int]]:
    """``[i, j)`` of each run of two or more group cells (``_GROUP_CELL``, as ``_shown``)
    of ``cells[:MAX_CELLS]`` with 7 (``min_digits``) to 34 digits together, adjacent but
    for empty cells (a reader sees an empty cell as a wider gap: ``|536||22|8710|``)."""
    if _ADJACENT_GROUPS.search("\x00".join(cells[:MAX_CELLS])) is None:
        return []  # no two adjacent group cells: no run (one regex pass, for most rows)
    runs: list[tuple[int, int]] = []
    start = digits = count = 0
    last = -1
    shown = [_shown(c) for c in cells[:MAX_CELLS]]
    for k, cell in enumerate([*shown, "x"]):
        if _GROUP_CELL.fullmatch(cell):
            digits += sum(ch.isdigit() for ch in cell)
            count += 1
            last = k
            continue
        if not cell and count:
            continue  # an empty cell inside a run: a gap, no break
        if count >= 2 and min_digits <= digits <= MAX_RUN_DIGITS:
            runs.append((start, last + 1))
        start, digits, count = k + 1, 0, 0
    return runs


def _run_groups(shown: Sequence[str], i: int, j: int) -> list[str]:
    """The digit groups of the run ``shown[i:j]`` (its cells' groups, dashes as blanks)."""
    groups = []
    for cell in shown[i:j]:
        if not cell:
            continue
        m = _GROUP_CELL.fullmatch(cell)
        assert m is not None
        groups.extend(_DASH.sub(" ", m[1]).split())
    return groups


def _run_lines(shown: Sequence[str], i: int, j: int, labels: str) -> list[str]:
    """The run's line (its groups joined by ``SEP``) and, when its digits have an
    identifier's length but other groups, the same digits in that identifier's groups."""
    return _group_lines(_run_groups(shown, i, j), labels)


def _group_lines(groups: list[str], labels: str) -> list[str]:
    runs = [SEP.join(groups)]
    digits = "".join(ch for g in groups for ch in g if ch.isdigit())
    shape = _SHAPES.get(len(digits))
    sizes = tuple(len(g) for g in groups)
    if shape and len(digits) == sum(sizes) and sizes != shape and (len(sizes) >= 3 or sizes[-1] == shape[-1]):
        at, regrouped = 0, []
        for n in shape:
            regrouped.append(digits[at:at + n])
            at += n
        runs.append(SEP.join(regrouped))
    return [f"{labels} : {run}" if labels else run for run in runs]


def split_row(cells: Sequence[str], header: Sequence[str] | None = None) -> list[str]:
    """For each run of two or more adjacent short number-only cells with 7 to 34 digits
    together (``row_runs``), a line: the row's text cells (those without a digit: its
    labels, as context), then the run's groups joined by ``SEP``.  Other number cells of
    the row are left out, so nothing but the run's own cells can fuse.  [] for most rows."""
    runs = row_runs(cells)
    if header is not None:  # (a delimited file's header row: a run under named columns is left out)
        runs = [(i, j) for i, j in runs if not any(k >= len(header) or _names(header[k]) for k in range(i, j) if cells[k].strip())]
    if not runs:
        return []
    shown = [_shown(c) for c in cells[:MAX_CELLS]]
    labels = " ; ".join(c for c in shown if c and not any(ch.isdigit() for ch in c))
    return [line for i, j in runs for line in _run_lines(shown, i, j, labels)]


#: two adjacent group cells on one line of a text: cells of a marked table row (``CELL``)
#: or a line's ``|`` (a pipe that makes no table: ``536-22|8710``)
#: (searched in ``"\n" + text``: every match starts with the boundary before its first cell,
#: one character class that the regex engine skips to)
_ROW_PAIR = re.compile(rf"[\x1f\x1e\n|][ \t]*{_CELL_RX}[ \t]*(?:[\x1f|][ \t]*)+{_CELL_RX}[ \t]*"
                       r"(?=[\x1f\x1e\r\n|]|\Z)")
#: two group cells one above the other in a one-column Markdown table (``|536|`` over ``|22|``:
#: rows of one cell between edge pipes; searched in ``"\n" + text`` too)
_COLUMN_PAIR = re.compile(rf"[\x1e\n][ \t]*\x1f[ \t]*{_CELL_RX}[ \t]*\x1f[ \t]*\x1e[ \t]*\x1f[ \t]*{_CELL_RX}"
                          r"[ \t]*\x1f[ \t]*(?=[\x1e\r\n]|\Z)")
#: ``_ROW_PAIR`` on ASCII text, for the one Hyperscan pass (``gatescan``: its patterns are
#: ASCII; a text with a U+2010 dash is not ASCII, and then every pattern is searched)
_ROW_PAIR_GATE = re.compile(_ROW_PAIR.pattern.replace("\\u2010-\\u2015", "").replace("[\\x1f\\x1e\\n|]", "(?:^|[\\x1f\\x1e\\n|])", 1))
gatescan.register(_ROW_PAIR_GATE)
_CELL_EDGE = re.compile(r"[\x1f|]")
#: between two rows' lines in ``table_row_reading``: more line breaks than a digit run crosses
_PIECE_GAP = "\n\n\n\n"


def _add_piece(pieces: list[str], spans: list[tuple[int, int, int]], at: int, line: str, a: int, b: int) -> int:
    """Appends ``line`` to a reading's pieces and its span (its offset ``at`` in the
    reading, ``text[a:b]`` its cells); the offset of the piece after it."""
    spans.append((at, a, b))
    pieces.append(line)
    return at + len(line) + len(_PIECE_GAP)


def _trimmed(text: str, a: int, b: int) -> tuple[int, int]:
    """``text[a:b]``, cells' span, without the blanks at either end."""
    while text[a] in " \t":
        a += 1
    while text[b - 1] in " \t\r":
        b -= 1
    return a, b


def _row_start(text: str, pos: int) -> int:
    """Where the row (a marked table's, else the line) holding ``pos`` starts."""
    return max(_rfind_break(text, pos), text.rfind(ROW, 0, pos)) + 1


def _row_end(text: str, pos: int) -> int:
    """Where the row holding ``pos`` ends (its ``ROW`` or line break, else the text's end)."""
    ends = [k for k in (_find_break(text, pos), text.find(ROW, pos)) if k >= 0]
    return min(ends) if ends else len(text)


def _cells_at(text: str, start: int, end: int, edge: re.Pattern[str]) -> list[tuple[int, int]]:
    """(start, end) of each cell of ``text[start:end]``, cells cut at ``edge``."""
    out: list[tuple[int, int]] = []
    pos = start
    for m in edge.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return out


def _names(cell: str) -> bool:
    """A header cell that names its column: a word of two letters or more (``qty``,
    ``px``, ``id``), not a column letter, a number or nothing (``a``, ``1``, ``-``).
    (Two letters counted, then no more: a line of prose is a long cell.)"""
    seen = False
    for ch in cell:
        if ch.isalpha():
            if seen:
                return True
            seen = True
    return False


def _identifies(cell: str, label: re.Pattern[str] | None) -> bool:
    """A header cell that names an identifier (``header_label_regex``: ``ssn``,
    ``card number``): its column is read, with the header as its label."""
    return label is not None and label.fullmatch(cell.strip(' \t"')) is not None


def _breaks(text: str) -> array.array[int]:
    """Where ``text``'s line breaks are (empty without a table), kept for the last text by
    identity, apart from ``_layout``'s (which holds the whole text a window is cut from,
    while this reads the window)."""
    global _LAST_BREAKS
    last = _LAST_BREAKS
    if last is not None and last[0] is text:
        return last[1]
    breaks = array.array("q", [m.start() for m in _BREAK.finditer(text)] if ROW in text else [])
    _LAST_BREAKS = (text, breaks)  # one assignment: another thread sees the old or the new
    return breaks


_LAST_BREAKS: tuple[str, array.array[int]] | None = None


def _rfind_break(text: str, end: int) -> int:
    """``text.rfind("\\n", 0, end)``, looked up in the text's line breaks (``_breaks``)
    when it has a table: a marked table's rows hold no line break, so ``rfind`` from a
    row went back over every row above it, for every row (quadratic in a table's
    length)."""
    if ROW not in text:
        return text.rfind("\n", 0, end)
    breaks = _breaks(text)
    i = bisect.bisect_left(breaks, end)  # the breaks before ``end``
    return breaks[i - 1] if i else -1


def _find_break(text: str, start: int) -> int:
    """``text.find("\\n", start)`` (``start`` >= 0), looked up as ``_rfind_break`` does
    (forward over a table's rows it is the same quadratic walk)."""
    if ROW not in text:
        return text.find("\n", start)
    breaks = _breaks(text)
    i = bisect.bisect_left(breaks, start)  # the first break at or after ``start``
    return breaks[i] if i < len(breaks) else -1


def _header_cells(text: str, row_start: int) -> list[str] | None:
    """The cells of the first row of the marked table whose row starts at ``row_start``,
    or None when that row is the first one or has a digit (then it is data too)."""
    table_start = _rfind_break(text, row_start) + 1
    if table_start == row_start or text[row_start - 1:row_start] != ROW:
        return None
    header = text[table_start:text.find(ROW, table_start)]
    if _DIGIT.search(header):
        return None
    return [header[a:b] for a, b in _cells_at(header, 0, len(header), _CELL_EDGE)]


#: how far above a table its caption may be (``recognizers._common.TABLE_CAPTION_REACH``)
CAPTION_REACH = 80
_NUMBER_TOKEN = re.compile(r"\S*[0-9]\S*")


def _caption(text: str, table_start: int) -> str:
    """The words of the text right above a table (its caption: ``account number`` over
    ``|12345|67890|``), as a label of its rows' lines; tokens with a digit left out, so
    nothing in it can fuse with a run."""
    above = text[max(0, table_start - CAPTION_REACH):table_start].replace(CELL, " ").replace(ROW, " ")
    return " ".join(_NUMBER_TOKEN.sub(" ", above).split())


def _trailer(text: str, table_end: int) -> str:
    """The words of the text right below a table (``CAPTION_REACH`` characters from the
    end of its last row: "those are the three parts of her social security number"), as
    its caption's are read: the message names its rows after showing them (attack pass
    25, F1); tokens with a digit left out."""
    if table_end < 0:
        return ""
    below = text[table_end:table_end + CAPTION_REACH].replace(CELL, " ").replace(ROW, " ")
    return " ".join(_NUMBER_TOKEN.sub(" ", below).split())


def _around(text: str, table_start: int, table_end: int) -> str:
    """A table's caption and the words below it (``_caption``, ``_trailer``)."""
    return " ".join(w for w in (_caption(text, table_start), _trailer(text, table_end)) if w)


@functools.lru_cache(maxsize=8)
def _label_words(label: re.Pattern[str]) -> re.Pattern[str]:
    """``label`` (``header_label_regex``) as a word anywhere in a text."""
    return re.compile(r"(?<![A-Za-z0-9])(?:" + label.pattern + r")(?![A-Za-z0-9])", label.flags)


#: a header that names an account (whose numbers are any length: no run across another
#: field is one)
_ACCOUNT_HEADER = re.compile(r"(?i)(?<![a-z])(?:acc(?:oun)?ts?|accts?|a/c|acct?[ _#.]*(?:no|nbr|num(?:ber)?)?)(?![a-z])")


#: a header word for a person's or a card's number besides an account's
_IDENTITY_WORD = re.compile(r"(?i)ssn|social|tin|tax|itin|card|iban|routing|aba|swift|bic|ein")


#: in front of a fragment line: read without the words around it (``table_row_reading``)
UNCAPTIONED = "\x02"


def _account_only(header: str) -> bool:
    """A header or key that names an account and no other identifier (``Acct #``, not
    ``SSN (acct holder)`` or ``Card / Acct``)."""
    return _ACCOUNT_HEADER.search(header) is not None and _IDENTITY_WORD.search(header) is None


def _dangling(groups: Sequence[str]) -> bool:
    """A group before the last ends with a separator (``AAA-GG-`` over ``SSSS``): a value
    continued, not values one a cell."""
    return any(g.rstrip()[-1:] in _SEPARATOR_ENDS for g in groups[:-1])


_SEPARATOR_ENDS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015./:")


class _Wrapped(NamedTuple):
    """A row's last run, which the next row may continue (``_add_runs``): where its row
    ends in the text, its first column, its groups and labels, where its cells start."""

    row_end: int
    column: int
    groups: list[str]
    labels: str
    start: int


def _add_runs(text: str, cells: list[tuple[int, int]], pieces: list[str],
              spans: list[tuple[int, int, int]], at: int, header: list[str] | None = None,
              caption: str = "", label: re.Pattern[str] | None = None,
              wrapped: list[_Wrapped] | None = None) -> int:
    """Appends the lines of ``cells``' runs (``split_row``) and their spans: (offset in
    the reading, start, end in ``text`` of the run's cells).  Left out: a run with a
    column that its header names (``|qty|px|id|`` over ``|291|78|3448|``: three fields,
    read joined only with a word for an identifier, ``_common.cell_candidates``) or that
    has no header cell (GFM drops a row's cells beyond its header's), and a run of one
    digit per cell (a count per column; also only with such a word).

    ``wrapped`` (a table's rows, read in order): the row before's run that ends its row.
    A run of this row in the same first column, with only empty cells before it, continues
    it, as a value wrapped onto the next row shows (``| Bob | CCCC | CCCC |`` over ``| |
    CCCC | CCCC |``: chat-table attack of 2026-12-07, a card in a 2x2 block): the groups of
    both are read as one line too, as written, under the first row's labels."""
    before = wrapped[0] if wrapped else None
    if wrapped:
        wrapped.clear()
    values = [text[a:b] for a, b in cells]
    # (with ``wrapped``, a run of fewer digits too: the first half of a value wrapped)
    runs = row_runs(values, 2 if wrapped is not None else MIN_RUN_DIGITS)
    if not runs:
        return at
    shown = [_shown(v) for v in values[:MAX_CELLS]]
    if before is not None and text[before.row_end:cells[0][0]] not in _ROW_BREAKS:
        before = None  # (not the next row)
    last_filled = max((k for k, c in enumerate(shown) if c), default=-1)  # (runs end by it)
    ids = [c for c in header if _identifies(c, label)] if header is not None else []
    for i, j in runs:
        filled = [c for c in shown[i:j] if c]
        if all(len(_GROUP_CELL.fullmatch(c)[1]) == 1 for c in filled):  # type: ignore[index]
            continue
        if header is not None and not any(k < len(header) and _identifies(header[k], label) for k in range(i, j)) \
                and any(k >= len(header) or _names(header[k]) for k in range(i, j) if shown[k]):
            continue
        # the header's words for an identifier label the run, but an account's not a run
        # that crosses a column named for another thing (``| Acct | Order | Qty |`` over
        # ``| 55012 | 881234 | 5000 |``: an account, an order id and a quantity, not one
        # account number; a chat-table attack's false stops of 2026-12-07)
        crossed = header is not None and any(
            k < len(header) and _names(header[k]) and not _identifies(header[k], label)
            for k in range(i, j) if shown[k])
        words = [c for c in ids if not (crossed and _account_only(c) and not _dangling(filled))]
        labels = " ; ".join(c for c in [caption, *words, *shown] if c and not any(ch.isdigit() for ch in c))
        a, b = _trimmed(text, cells[i][0], cells[j - 1][1])
        groups = _run_groups(shown, i, j)
        own = MIN_RUN_DIGITS <= sum(len(g) for g in groups)
        lines = [(line, a) for line in _group_lines(groups, labels)] if own else []
        start = a
        if before is not None and before.column == i and not any(c.strip(_BLANK_MARKS) for c in shown[:i]):
            joined = before.groups + groups
            if sum(len(g) for g in joined) <= MAX_RUN_DIGITS:
                # (as written, never regrouped: four short numbers of two rows, ``10 | 25``
                # over ``200 | 26``, are not an SSN's 3-2-4)
                lines += [(line, before.start) for line in _piece(joined, before.labels)]
                groups, labels, start = joined, before.labels, before.start
        for line, line_start in lines:
            at = _add_piece(pieces, spans, at, line, line_start, b)
        if wrapped is not None and (i, j) == runs[-1] and not any(
                _GROUP_CELL.fullmatch(c) or _LONG_CELL.fullmatch(c) for c in shown[j:last_filled + 1]):
            # (the row's last run, only words after it: ``| Bob | CCCC | CCCC | NY |``)
            wrapped.append(_Wrapped(cells[-1][1], i, groups, labels, start))
    return at


def _add_one_cell_continuation(text: str, row_end: int, before: _Wrapped, pieces: list[str],
                               spans: list[tuple[int, int, int]], at: int) -> int:
    """The next row, when its one filled cell is a group cell in the column where the
    row's last run starts (``| Bob | AAA | GG |`` over ``| | SSSS | |``: a value wrapped
    onto a row of one cell, which no pair of adjacent group cells brings to
    ``_add_runs``): the run's groups and that cell's, as written, under the run's labels."""
    if row_end >= len(text) or text[row_end] not in (ROW, "\n"):
        return at
    start = row_end + 1
    end = _row_end(text, start)
    cells = _cells_at(text, start, end, _CELL_EDGE)
    if len(cells) > MAX_CELLS or (CELL not in text[start:end] and "|" not in text[start:end]):
        return at
    shown = [_shown(text[a:b]) for a, b in cells]
    filled = [k for k, c in enumerate(shown) if c.strip(_BLANK_MARKS)]
    if len(filled) != 1 or filled[0] != before.column or not _GROUP_CELL.fullmatch(shown[filled[0]]):
        return at
    groups = before.groups + _run_groups(shown, filled[0], filled[0] + 1)
    _, b = _trimmed(text, *cells[filled[0]])
    for line in _piece(groups, before.labels) if sum(len(g) for g in groups) <= MAX_RUN_DIGITS else []:
        at = _add_piece(pieces, spans, at, line, before.start, b)
    return at


#: what a cell before a wrapped value's continuation may show and still be blank to a
#: reader: a quote's ``>``, a ditto mark (``"``, ``〃``), a dash for none
_BLANK_MARKS = ">\"'\u201c\u201d\u3003\u2033-\u2010\u2011\u2012\u2013\u2014 "


def _add_long_runs(text: str, cells: list[tuple[int, int]], pieces: list[str], spans: list[tuple[int, int, int]],
                   at: int, header: list[str] | None, caption: str) -> int:
    """Appends the lines of a row's runs that hold a long cell (``_LONG_CELL``: ``| Bob |
    NNNNNNNN | NNNNNNNN |``, ``| NNNNNNNNNN | NNNNNN |``: a card's digits in two cells,
    chat-table attack of 2026-12-07), as ``_add_runs`` does for short groups: two or more
    adjacent cells of digit groups or long groups (empty cells between), one long among
    them, 15 or 16 digits (a card's) or 15 to 34 characters with a letter (an IBAN's),
    under no header cell that names another thing (``Order ID``).  Read only where a card or an IBAN word
    (``_LONG_NAME``) names them: a text cell of the row, a header cell over the run, or
    the words around the row (its caption): a row of order ids and dates is many such cells."""
    shown = [_shown(text[a:b]) for a, b in cells[:MAX_CELLS]]
    words = [c for c in shown if c and not any(ch.isdigit() for ch in c)]
    run: list[tuple[int, list[str]]] = []
    long = False
    for k, cell in enumerate([*shown, "x"]):
        if (m := _GROUP_CELL.fullmatch(cell)) is not None:
            run.append((k, _DASH.sub(" ", m[1]).split()))
            continue
        if (m := _LONG_CELL.fullmatch(cell)) is not None:
            run.append((k, [m[1]]))
            long = True
            continue
        if not cell and run:
            continue
        groups = [g for _, gs in run for g in gs]
        size = sum(len(g) for g in groups)
        lettered = any(ch.isalpha() for g in groups for ch in g)
        if long and len(run) >= 2 and (15 <= size <= MAX_RUN_DIGITS if lettered else 15 <= size <= 16):
            i, j = run[0][0], run[-1][0] + 1
            over = [header[q] for q in range(i, j) if header is not None and q < len(header) and header[q].strip()]
            if any(_names(h) and not _LONG_NAME.search(h) for h in over):
                # (a column named for another thing, ``| Order ID | Exec ID | Qty |`` under a
                # "Visa fills" caption: an order id, an execution id and a quantity, not a
                # card; the re-attack's false stop of 2026-12-07)
                run, long = [], False
                continue
            labels = " ; ".join(w for w in [caption, *over, *words] if w and not any(ch.isdigit() for ch in w))
            if _LONG_NAME.search(labels):
                a, b = _trimmed(text, cells[i][0], cells[j - 1][1])
                for line in _piece(groups, labels):
                    at = _add_piece(pieces, spans, at, line, a, b)
        run, long = [], False
    return at


#: what lies between two rows of a table, one right after the other
_ROW_BREAKS = frozenset(("\n", "\r\n", ROW, " " + ROW))


def table_row_reading(text: str, header_label: re.Pattern[str] | None = None,
                      ) -> tuple[str, list[tuple[int, int, int]]] | None:
    """The rows of ``text`` read as shown (``_table_rows``), then the identifier fragments
    that data and tables hold apart (``fragment_pieces``: values of keys sharing a stem,
    digit keys of one object, card groups joined by words, a table's number header continued
    by its first row, a short column read down), each a line of the reading."""
    pieces: list[str] = []
    spans: list[tuple[int, int, int]] = []
    rows = _table_rows(text, header_label)
    if rows is not None:
        reading, spans = rows
        pieces.append(reading)
    at = len(pieces[0]) + len(_PIECE_GAP) if pieces else 0
    for a, b, line in fragment_pieces(text, header_label):
        # the words before the fragments (``client ssn`` over them) and right below them label them too
        caption = _around(text, a, _find_break(text, b - 1) if b > 0 else -1) if line[:1] != UNCAPTIONED else ""
        line = line.removeprefix(UNCAPTIONED)
        at = _add_piece(pieces, spans, at, f"{caption} ; {line}" if caption else line, a, b)
    if not pieces:
        return None
    return _PIECE_GAP.join(pieces), spans


def _table_rows(text: str, header_label: re.Pattern[str] | None = None,
                ) -> tuple[str, list[tuple[int, int, int]]] | None:
    """The rows of ``text`` (marked by ``mark_tables``) read as shown: for each row with a
    run of adjacent group cells (``row_runs``), its ``split_row`` line; the lines joined by
    more line breaks than a digit run crosses.  Rows are a table's marked rows, a line
    holding ``|`` (a pipe that makes no table), and a one-column Markdown table read down
    its column (its cells show one under the other, as lines do).  Returns the reading
    and, per line, (its offset in the reading, start, end in ``text`` of its cells); None
    when no row has such a run (one regex pass over the text for most texts)."""
    if CELL not in text and "|" not in text:
        return None
    long_rows = gatescan.search(_LONG_ROW_CELL, text) and gatescan.search(_LONG_NAME, text)
    if not gatescan.may_search(_ROW_PAIR_GATE, text) and CELL + ROW + CELL not in text and not long_rows:
        return None  # (the one Hyperscan pass found no pair of adjacent group cells)
    pieces: list[str] = []
    spans: list[tuple[int, int, int]] = []
    at = 0
    done = -1
    lined = "\n" + text  # (offsets in ``lined`` are one more than in ``text``)
    wrapped: list[_Wrapped] = []
    for m in _ROW_PAIR.finditer(lined):
        if m.start() < done:
            continue  # a later pair of a row already read
        start = _row_start(text, m.start())
        done = _row_end(text, m.end() - 1)
        header = caption = None
        cells = _cells_at(text, start, done, _CELL_EDGE)
        if CELL in text[start:done]:
            header = _header_cells(text, start)
            caption = _around(text, _rfind_break(text, start) + 1, _find_break(text, start))
        for part, part_header in _row_windows(cells, header):
            at = _add_runs(text, part, pieces, spans, at, part_header, caption or "", header_label, wrapped)
        if wrapped and len(cells) <= MAX_CELLS:
            at = _add_one_cell_continuation(text, done, wrapped[0], pieces, spans, at)
    if long_rows:
        read: set[int] = set()
        for m in _LONG_ROW_CELL.finditer(text):
            start = _row_start(text, m.start())
            if start in read:
                continue
            read.add(start)
            end = _row_end(text, m.end() - 1)
            header = None
            if CELL in text[start:end]:
                header = _header_cells(text, start)
            caption = _around(text, _rfind_break(text, start) + 1, _find_break(text, start))
            for part, part_header in _row_windows(_cells_at(text, start, end, _CELL_EDGE), header):
                at = _add_long_runs(text, part, pieces, spans, at, part_header, caption)
    if CELL + ROW + CELL in text:
        done = -1
        for m in _COLUMN_PAIR.finditer(lined):
            if m.start() < done:
                continue
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.end() - 1)
            done = end if end >= 0 else len(text)
            column: list[tuple[int, int]] = []
            for row_start, row_end in _cells_at(text, start, done, re.compile(ROW)):
                filled = [c for c in _cells_at(text, row_start, row_end, _CELL_EDGE) if text[c[0]:c[1]].strip()]
                if len(filled) > 1:
                    column = []
                    break  # a row of two cells: no one-column table
                column.append(filled[0] if filled else (row_start, row_start))
            head = text[column[0][0]:column[0][1]] if column else ""
            if column and _names(head) and not _DIGIT.search(head) and not _identifies(head, header_label):
                continue  # a column named by its header (``|qty|`` over quantities)
            at = _add_runs(text, column, pieces, spans, at, caption=_around(text, start, done))
    if not pieces:
        return None
    return _PIECE_GAP.join(pieces), spans


# -- identifier fragments held apart by data's structure ---------------------------------
#
# Code and data hold an identifier's groups in separate fields: ``card_1=4111 card_2=1111
# ...``, ``ssn_a=536&ssn_b=22&ssn_c=8710``, ``{"p1":"536","p2":"22","p3":"8710"}``; as the
# keys of one object (``{"536": 1, "22": 2, "8710": 3}``); apart by words
# (``4111 and 1111 and 1111 and 1111``); in a table whose header row is numbers continued by
# its first row, or down a short column (one group per row).  ``fragment_pieces`` reads each
# as one line (``_run_lines``: the groups joined by ``SEP``, with its label), judged as a
# table row's line is.

#: ``key=value`` / ``"key": "value"`` with a value of one digit group
_KEYED = re.compile(
    r"""(?<![A-Za-z0-9_])(?P<key>[A-Za-z][A-Za-z0-9_.\-\[\]]{0,30}?(?: [0-9]{1,2})?)["']?[ \t]*[:=][ \t]*(?P<q>["']?)"""
    r"""(?P<val>[0-9]{1,6})(?P=q)(?![0-9A-Za-z.])""")
#: what may stand between two keyed values (joiners of query strings, objects, lists)
_KEY_GAP = re.compile(r"""[ \t\n,;&{}"'|]{0,8}""")
#: a key's suffix that numbers or letters its parts (``card_1``, ``ssn_a``, ``p3``, ``x[2]``)
_KEY_SUFFIX = re.compile(r"(?:[ _.\-]?(?:[0-9]{1,2}|[A-Za-z])|\[[0-9A-Za-z]{0,2}\])$")
#: a quoted digit group used as an object's key
_DIGIT_KEY = re.compile(r"""(?<![0-9A-Za-z.:])(["']?)(?P<val>[0-9]{1,6})\1[ \t]*:(?![0-9])""")
_KEY_VALUE_GAP = re.compile(r"""[ \t]*(?:"[^"\n{}]{0,24}"|'[^'\n{}]{0,24}'|[^"',\n{}]{0,24})[ \t]*,[ \t\n]*""")
#: groups of a card apart by words or punctuation a writer puts between them
_WORD_JOINED = re.compile(
    r"(?<![0-9])[0-9]{4}(?:(?:[ \t]+|(?:[ \t]*(?:,|;|&|\+|/|and|then|plus|next|also|after|that|followed|by|is|comes)[ \t]*)+)"
    r"[0-9]{3,6}){2,4}(?![0-9])", re.IGNORECASE)
_WORD_GROUP = re.compile(r"[0-9]+")
#: the longest column read down without a label
MAX_COLUMN_ROWS = 6
#: the longest table whose columns no header names are read down under a key in a row
#: (``| Field | Value |`` over ``| SSN | AAA |``, ``| | GG |``...: a form of a few dozen
#: rows; an export of hundreds of rows is read by its headers)
MAX_KEYED_ROWS = 64
_LINE_CELLS = re.compile(r"[\x1f|\t,;]")


def _stem(key: str) -> str:
    return _KEY_SUFFIX.sub("", key).lower() or key.lower()


def _piece(groups: list[str], label: str) -> list[str]:
    """The groups' line, as written: never regrouped into an identifier's shape (as a row's
    ``|53|6|22|87|10|`` is), so three short numbers read down a column or under keys
    (``100``, ``120``, ``130``) stay three numbers."""
    digits = sum(len(g) for g in groups)
    if len(groups) < 2 or not MIN_RUN_DIGITS <= digits <= MAX_RUN_DIGITS:
        return []
    line = SEP.join(groups)
    return [f"{label} : {line}" if label else line]


def _keyed_pieces(text: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    run: list[re.Match[str]] = []

    def flush() -> None:
        if len(run) >= 2:
            stem = _stem(run[0]["key"])
            label = stem if sum(ch.isalpha() for ch in stem) >= 2 else ""
            for line in _piece([m["val"] for m in _by_index(run)], label):
                out.append((run[0].start(), run[-1].end(), line))

    for m in _KEYED.finditer(text):
        if run and (_stem(m["key"]) != _stem(run[-1]["key"])
                    or _KEY_GAP.fullmatch(text, run[-1].end(), m.start()) is None):
            flush()
            run = []
        run.append(m)
    flush()
    run = []
    for m in _DIGIT_KEY.finditer(text):
        if run and _KEY_VALUE_GAP.fullmatch(text, run[-1].end(), m.start()) is None:
            flush_keys(run, out)
            run = []
        run.append(m)
    flush_keys(run, out)
    return out


def _by_index(run: list[re.Match[str]]) -> list[re.Match[str]]:
    """The keyed values in the order their keys' suffixes number or letter them (``ssn.0=536,
    ssn.2=8710, ssn.1=22`` is 536, 22, 8710), when every key has a distinct such suffix;
    else as written."""
    index: list[tuple[int, str]] = []
    for m in run:
        suffix = _KEY_SUFFIX.search(m["key"])
        raw = suffix[0].strip(" _.-[]") if suffix else ""
        if not raw:
            return run
        index.append((int(raw), "") if raw.isdigit() else (0, raw.lower()))
    if len(set(index)) != len(index):
        return run
    return [m for _, m in sorted(zip(index, run, strict=True), key=lambda t: t[0])]


#: an object of parts under a key (``"ssn": {"1": "536", "2": "22", "3": "8710"}``): the
#: key, then the object's body (no object inside it)
#: one part: a key of one or two digits or one letter, a value of one digit group
_ENTRY = r"""["']?(?:[0-9]{1,2}|[A-Za-z])["']?[ \t]*:[ \t]*(?:"[0-9]{1,6}"|'[0-9]{1,6}'|[0-9]{1,6})[ \t]*"""
_PART_ENTRY = re.compile(r"""["']?(?P<idx>[0-9]{1,2}|[A-Za-z])["']?[ \t]*:[ \t]*(?P<q>["']?)(?P<val>[0-9]{1,6})(?P=q)[ \t]*(?:,|$)""")
#: (also as the normalizer flattens it: ``{"ssn": 1: 536, 2: 22, 3: 8710}``)
_PARTS_OBJECT = re.compile(
    r"""["']?(?P<key>[A-Za-z][A-Za-z0-9_ .\-]{1,30}?)["']?[ \t]*[:=][ \t]*\{?[ \t\n]*"""
    rf"""(?P<body>(?:{_ENTRY},[ \t\n]*){{1,8}}{_ENTRY})[ \t\n]*[}},]""")


def _object_pieces(text: str) -> list[tuple[int, int, str]]:
    """An object whose entries are parts (keys ``1``, ``2``, ``3`` or ``a``, ``b``, ``c``), read
    in the keys' order with the object's own key as its label (``{"ssn": {"1": "536", "2":
    "22", "3": "8710"}}`` reads ``ssn : 536 | 22 | 8710``)."""
    out: list[tuple[int, int, str]] = []
    for m in _PARTS_OBJECT.finditer(text):
        body = m["body"].strip()
        parts: list[tuple[tuple[int, str], str]] = []
        pos = 0
        while pos < len(body):
            e = _PART_ENTRY.match(body, pos)
            if e is None:
                break
            idx = e["idx"]
            parts.append(((int(idx), "") if idx.isdigit() else (0, idx.lower()), e["val"]))
            pos = e.end()
            while pos < len(body) and body[pos] in " \t\n":
                pos += 1
        if pos < len(body) or len(parts) < 2 or len({k for k, _ in parts}) != len(parts):
            continue
        label = m["key"].strip().lower()
        out.extend((m.start(), m.end(), line) for line in _piece([v for _, v in sorted(parts)], label))
    return out


def flush_keys(run: list[re.Match[str]], out: list[tuple[int, int, str]]) -> None:
    """The digit keys of one object, in order, as one piece."""
    if len(run) >= 2:
        for line in _piece([m["val"] for m in run], ""):
            out.append((run[0].start(), run[-1].end(), line))




def _word_joined_pieces(text: str) -> list[tuple[int, int, str]]:
    """Groups of a card number with words or punctuation between them (``4111 and 1111
    and 1111 and 1111``): read joined only when the digits are a Luhn-valid card's length
    (the checksum is the writer's intent; a list of four-digit numbers almost never is)."""
    out: list[tuple[int, int, str]] = []
    for m in _WORD_JOINED.finditer(text):
        groups = _WORD_GROUP.findall(m.group(0))
        digits = "".join(groups)
        if 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1:
            out.extend((m.start(), m.end(), line) for line in _piece(groups, ""))
    return out


def _table_lines(text: str) -> list[tuple[int, int, int]]:
    """Per line (start, end, cells): how many cells ``_LINE_CELLS`` cuts it into (0 when
    it has no delimiter; ``_cells_at`` cuts at every one of those single characters, so
    the count is theirs plus one), Markdown's delimiter row left out.  The cells
    themselves are cut only for the lines a reading looks at (``_line_cells``).

    On ASCII text without a carriage return, the lines' lengths and delimiter counts come
    from byte translations (C-level, the same as ``_table_lines_by_line``'s loop): the
    text with its delimiters only, and with the delimiter row's characters removed (a
    line left empty is one of those characters only)."""
    if not text.isascii() or "\r" in text:
        return _table_lines_by_line(text)
    data = text.encode("ascii").translate(_ROW_AS_NL)
    lengths = list(map(len, data.split(b"\n")))
    cuts = list(map(len, data.translate(None, _NOT_EDGE).split(b"\n")))
    starts = list(itertools.accumulate(map((1).__add__, lengths[:-1]), initial=0))
    # cells: the cuts plus one, 0 without a cut
    out = list(zip(starts, map(operator.add, starts, lengths), map(operator.add, cuts, map(bool, cuts)), strict=True))
    if b"-" in data and _DELIMITER_ROW.search(data) is not None:  # (one C-level search: most texts have none)
        rest = data.translate(None, _DELIMITER_ROW_CHARS).split(b"\n")
        drop = {k for k, r in enumerate(rest) if not r and b"-" in data[starts[k]:starts[k] + lengths[k]]}
        if drop:
            out = [line for k, line in enumerate(out) if k not in drop]  # |---|---|
    return out


#: the byte tables of ``_table_lines``: a record mark as a line break; every byte but
#: ``_LINE_CELLS``'s and a line break; the characters of Markdown's delimiter row
_ROW_AS_NL = bytes.maketrans(ROW.encode(), b"\n")
_NOT_EDGE = bytes(c for c in range(256) if c not in b"\x1f|\t,;\n")
_DELIMITER_ROW_CHARS = b" \t|\x1f-:"
#: a line of those characters only, with a ``-``: a line ``_table_lines`` leaves out
_DELIMITER_ROW = re.compile(rb"^[ \t|\x1f:-]*-[ \t|\x1f:-]*$", re.M)


def _table_lines_by_line(text: str) -> list[tuple[int, int, int]]:
    """``_table_lines``, line by line (any text)."""
    out: list[tuple[int, int, int]] = []
    pos = 0
    for line in re.split(r"(?<=[\n\x1e])", text):
        end = pos + len(line.rstrip("\n\x1e\r"))
        body = text[pos:end]
        if body.strip(" \t|\x1f-:") == "" and "-" in body:
            pos += len(line)
            continue  # |---|---|
        cuts = sum(map(body.count, _CELL_EDGES))
        out.append((pos, end, cuts + 1 if cuts else 0))
        pos += len(line)
    return out


#: ``_LINE_CELLS``'s characters
_CELL_EDGES = ("\x1f", "|", "\t", ",", ";")
_CELLS_OF = operator.itemgetter(2)


def _line_cells(text: str, line: tuple[int, int, int]) -> list[str]:
    body = text[line[0]:line[1]]
    if "|" not in body and "\t" not in body and "," not in body and ";" not in body:
        return body.split(CELL)  # (only cell marks: the same cells, cut in one call)
    return [text[a:b] for a, b in _cells_at(text, line[0], line[1], _LINE_CELLS)]


def _group_of(cell: str) -> str | None:
    shown = _shown(cell.strip(' \t"'))
    m = _GROUP_CELL.fullmatch(shown)
    return None if m is None or " " in m[1] or _DASH.search(m[1]) else m[1]


def _table_pieces(text: str, label: re.Pattern[str] | None) -> list[tuple[int, int, str]]:
    """A table's header row of numbers continued by its first row (``| 536 | 22 |`` over
    ``| 8710 | x |``), and a column of one group per row read down (``536`` / ``22`` /
    ``8710`` in one column), when it has at most ``MAX_COLUMN_ROWS`` rows or a header that
    names an identifier; a column its header names otherwise (``qty``) is left alone."""
    out: list[tuple[int, int, str]] = []
    for n, run in itertools.groupby(_table_lines(text), key=_CELLS_OF):
        if n < 2:
            continue
        block = list(run)
        if len(block) < 2:
            continue  # a block: two or more lines in a row cut into the same cells
        # the header's trailing number cells, then the first row's leading ones
        head = _line_cells(text, block[0])
        first: list[str] | None = None
        # (a Markdown header, its delimiter row below it: a window cut mid-table has a data
        # row first, and no table's rows are read across)
        if "-" in text[block[0][1]:block[1][0]]:
            tail: list[str] = []
            for c in reversed(head):
                g = _group_of(c)
                if g is None:
                    if c.strip():
                        break
                    continue
                tail.insert(0, g)
            first = _line_cells(text, block[1])
            lead: list[str] = []
            for c in first:
                g = _group_of(c)
                if g is None:
                    if c.strip():
                        break
                    continue
                lead.append(g)
            if tail and lead:
                out.extend((block[0][0], block[1][1], line) for line in _piece(tail + lead, ""))
        if any(_group_of(c) for c in head):
            continue  # no header row (a window cut mid-table, a headerless file): no column read
        header = head
        columns = []
        # the words around the table name an identifier ("| part | value |" over "| area | AAA |",
        # "| group | GG |", ... then "her ssn"): a short column its header names is read too
        # (read only for a column whose header names another kind: the search of the
        # words around costs more than the rest of a prose window's blocks)
        told: bool | None = None if label is not None and len(block) - 1 <= MAX_COLUMN_ROWS else False
        long = len(block) - 1 > MAX_COLUMN_ROWS
        keyed_only: set[int] = set()  # (a long table's columns read only under a key naming an identifier)
        for k in range(n):
            name = header[k].strip(' \t"')
            if long and not (label is not None and name and names_identifier(name, label)):
                if label is None or len(block) - 1 > MAX_KEYED_ROWS:
                    continue  # (a short table's header is read only for a column with a run: most have none)
                keyed_only.add(k)
            columns.append((k, name))
        if not columns:
            continue  # a long table with no column to read: its rows are not cut into cells
        data: dict[int, list[str]] = {} if first is None else {1: first}  # a data row's cells, cut when first read
        cells_of = functools.partial(_row_cells, text, block, data)
        named_columns = {k for k, name in columns if label is not None and name and names_identifier(name, label)}
        # (long cells are read in a column its header names a card or an IBAN, and in a
        # short table's, where the run's key may name one)
        runs = _column_runs(text, block, cells_of,
                            {k for k in named_columns if _LONG_NAME.search(header[k])} if long or label is None
                            else {k for k, _ in columns})
        for k, name in columns:
            column_runs = runs.get(k)
            if not column_runs:
                continue
            named = k in named_columns
            other = _names(name) and not named  # a column named for another thing ("qty")
            for r0, r1, groups, has_long in column_runs:
                # the run's first row's key names it ("SSN | AAA-GG-" over "(cont) | SSSS")
                key = next((c.strip(' \t"') for c in cells_of(r0)[:k] if c.strip()), "")
                keyed = label is not None and bool(key) and names_identifier(key, label)
                if k in keyed_only and not keyed:
                    continue  # (a long table's column no header names: only a run its key names)
                if has_long and not ((named and _LONG_NAME.search(name)) or (keyed and _LONG_NAME.search(key))):
                    continue  # long cells down a column no card or IBAN word names: order ids, accounts
                if other and not keyed:
                    # a column named for another thing ("qty") is read only when the words
                    # around the table name an identifier
                    if told is None:
                        assert label is not None
                        told = _label_words(label).search(
                            _around(text, _rfind_break(text, block[0][0]) + 1, _find_break(text, block[-1][1] - 1)
                                    if block[-1][1] > 0 else -1)) is not None
                    if not told:
                        continue
                words = name if named else key if keyed else ""
                bare = ""
                if words and _account_only(words) and not _dangling(
                        [cell[k].strip() for q in range(r0, r1 + 1)
                         if k < len(cell := cells_of(q)) and cell[k].strip()]):
                    # accounts down a column are accounts one a row (``4417`` over ``4418``),
                    # not one number: read together without the account word or the words
                    # around the table, so a card or an SSN they make is still found by its
                    # own check (chat-table attack of 2026-12-07: desk tables stopped as one
                    # long account)
                    words, bare = "", UNCAPTIONED
                # (found on the run's rows: not over the table's other values, a routing number beside it)
                out.extend((block[r0][0], block[r1][1], bare + line) for line in _piece(groups, words))
    return out


def _row_cells(text: str, block: list[tuple[int, int, int]], data: dict[int, list[str]], r: int) -> list[str]:
    """Row ``r`` of ``block``'s cells, cut once (``data`` keeps them)."""
    cells = data.get(r)
    if cells is None:
        cells = data[r] = _line_cells(text, block[r])
    return cells


#: a cell of digit groups between two cell edges (``GROUP_CELL_RX``), as ``_column_runs``
#: finds them in one pass over a table's rows
_GROUP_CELL_AT = re.compile(rf"(?:^|[\x1f|\t,;\x1e])([ \t]*{GROUP_CELL_RX}[ \t]*)(?=[\x1f|\t,;\n\x1e]|$)", re.MULTILINE)
#: a cell of one long group (7 to 34 letters and digits, a digit among them), longer than
#: a group cell's, up to two separators after it: half a card's digits or part of an IBAN
#: down a column (``| NNNNNNNN |`` over ``| NNNNNNNN |``, ``NLkkBBB`` over ``BNNNNNNNNNN``;
#: attack pass 7 of 2026-12-07).  Read down a column only where its header or the run's
#: key names a card or an IBAN (``_LONG_NAME``; ``_table_pieces``), the identifiers longer
#: than a cell of a table would hold whole: a column of order ids or dates is many such
#: cells, and one of accounts or SSNs holds one whole value per cell (read together, three
#: accounts down an "Acct #" column read as one CUSIP that stood over the three)
_LONG_GROUP = r"(?=[A-Za-z]{0,33}[0-9])[A-Za-z0-9]{7,34}"
_LONG_NAME = re.compile(r"(?<![A-Za-z])(?:(?:credit|debit)?[ _-]?cards?|cc|pan|visa|master[ _-]?card|mc|amex|"
                        r"american express|discover|iban|bban|kreditkarte|karten(?:nummer|nr)|tarjeta|carte|carta|"
                        r"cartao|bankverbindung)(?![A-Za-z])", re.IGNORECASE)
_LONG_CELL = re.compile(rf"({_LONG_GROUP}){GROUP_EDGE}")
_LONG_CELL_AT = re.compile(
    rf"(?:^|[\x1f|\t,;\x1e])([ \t]*=?\"?{_LONG_GROUP}{GROUP_EDGE}\"?[ \t]*)(?=[\x1f|\t,;\n\x1e]|$)", re.MULTILINE)
#: cells two windows of a wide row share (``_row_windows``): more than a run's
ROW_WINDOW_OVERLAP = 40


def _row_windows(cells: list[tuple[int, int]], header: list[str] | None,
                 ) -> Iterator[tuple[list[tuple[int, int]], list[str] | None]]:
    """A row's cells in windows of ``MAX_CELLS`` (each with its header cells), which
    overlap by ``ROW_WINDOW_OVERLAP``: a row wider than ``MAX_CELLS`` is read whole, a
    run past its 256th cell too (chat-table attack of 2026-12-07), at a cost linear in
    its cells."""
    step = MAX_CELLS - ROW_WINDOW_OVERLAP
    for k in range(0, max(len(cells) - ROW_WINDOW_OVERLAP, 1), step):
        yield cells[k:k + MAX_CELLS], (header[k:k + MAX_CELLS] if header is not None else None)


#: a long group's cell in a row (``_LONG_CELL``; ``_add_long_runs``)
_LONG_ROW_CELL = re.compile(rf'[\x1f|][ \t]*=?"?{_LONG_GROUP}{GROUP_EDGE}"?[ \t]*(?=[\x1f\x1e\r\n|]|\Z)')
gatescan.register(_LONG_ROW_CELL, _LONG_NAME)  # (``_table_rows``' gate: in the one pass, not two of its own)


def _column_runs(text: str, block: list[tuple[int, int, int]], cells_of: Callable[[int], list[str]],
                 long_columns: Collection[int] = (),
                 ) -> dict[int, list[tuple[int, int, list[str], bool]]]:
    """Per column, its runs read down (data rows 1 on): consecutive cells that hold digit
    groups (``_GROUP_CELL``: ``AAA-GG-``, ``NNNN NNNN NNNN``), empty cells between them
    skipped, any other cell ending a run; (the run's first row, its last, its groups) for
    each run of two cells or more (attack pass 6 of 2026-12-07: a value continued on the
    next row, "(cont)", or listed down a column was read as no number).  The group cells
    are found in one regex pass over the rows; only the rows between two of them in one
    column are cut into cells.  In the columns ``long_columns`` names, a cell of one long
    group (``_LONG_CELL``) is a group cell too; a run that holds one is marked (its
    fourth item)."""
    starts = [line[0] for line in block]
    found: dict[int, list[tuple[int, list[str], bool]]] = {}
    grouped: set[tuple[int, int]] = set()  # (column, row) of the group cells found

    def find(pattern: re.Pattern[str], cell: re.Pattern[str], long: bool) -> None:
        for m in pattern.finditer(text, block[1][0], block[-1][1]):
            r = bisect.bisect_right(starts, m.start(1)) - 1
            if r < 1 or m.end() > block[r][1]:
                continue
            a = block[r][0]
            k = sum(text.count(ch, a, m.start(1)) for ch in _CELL_EDGES)
            if long and (k not in long_columns or (k, r) in grouped):
                continue  # (a long cell another column's, or read already as a group cell: "DE893704")
            g = cell.fullmatch(_shown(m.group(1).strip(' \t"')))
            if g is not None:
                found.setdefault(k, []).append((r, g[1].split(" "), long))
                if not long and long_columns:
                    grouped.add((k, r))

    find(_GROUP_CELL_AT, _GROUP_CELL, False)
    if long_columns:
        find(_LONG_CELL_AT, _LONG_CELL, True)
    out: dict[int, list[tuple[int, int, list[str], bool]]] = {}
    for k, hits in found.items():
        if long_columns:
            hits.sort(key=operator.itemgetter(0))
        runs: list[list[tuple[int, list[str], bool]]] = [[]]
        for r, groups, long in hits:
            run = runs[-1]
            if run and any(k < len(cells := cells_of(q)) and cells[k].strip() for q in range(run[-1][0] + 1, r)):
                runs.append([])  # a cell between that is no group: the run ends
            runs[-1].append((r, groups, long))
        out[k] = [(run[0][0], run[-1][0], [g for _, gs, _ in run for g in gs], any(lg for _, _, lg in run))
                  for run in runs if len(run) >= 2]
    return out


#: a value or a key of one digit group (``x=536``, ``"p1": "536"``, ``"536": 1``)
_KEYED_HINT = re.compile(r"""[0-9]["']?:[ \t]|["'][ \t]*:|(?:[A-Za-z_\]]|[A-Za-z_.][0-9]{1,2}|[A-Za-z.] [0-9]{1,2}(?==))["']?[ \t]*[:=][ \t]*["']?[0-9]""")


#: ``_KEYED_HINT`` without its lookahead, the ``=`` it looks for read instead (``[A-Za-z.]
#: [0-9]{1,2}=``): the same texts have a match, and the one pass (gatescan.py), which
#: reads a lookahead loosely (``at 3:30``), reads this one as it is
_KEYED_GATE = re.compile(r"""[0-9]["']?:[ \t]|["'][ \t]*:|(?:[A-Za-z_\]]|[A-Za-z_.][0-9]{1,2})["']?[ \t]*[:=][ \t]*["']?[0-9]|[A-Za-z.] [0-9]{1,2}=[ \t]*["']?[0-9]""")


gatescan.register(_KEYED_HINT, _KEYED_GATE, _WORD_JOINED)


def _keyed_hint(text: str) -> bool:
    """``_KEYED_HINT.search(text) is not None``, skipped when the one pass proves it False."""
    return gatescan.may_search(_KEYED_GATE, text) and gatescan.search(_KEYED_HINT, text)


#: a cell of digit groups after a cell edge on one line and another on the next: a column
#: a value may continue down (``SSN,AAA-GG-`` over ``(cont),SSSS``) in a table too small
#: for ``mark_tables`` to mark
_STACKED_GROUPS = re.compile(
    rf"[\x1f|\t,;][ \t]*{GROUP_CELL_RX}[ \t]*(?:[\x1f|\t,;][^\n]*)?\n[^\n]*[\x1f|\t,;][ \t]*{GROUP_CELL_RX}[ \t]*(?:[\x1f|\t,;\n]|$)")
gatescan.register(_STACKED_GROUPS)


def may_hold_fragments(text: str) -> bool:
    """Keyed digit groups, or digit-group cells on two lines in a row, and seven digits in
    all: ``fragment_pieces`` may read groups farther apart than the engine's quick check
    looks (``{'536': 'a', '22': 'b', ...}``, a column of a small CSV read down)."""
    keyed = "=" in text or ":" in text
    stacked = "\n" in text
    if not (keyed or stacked) or _digits(text) < MIN_RUN_DIGITS:
        return False
    if keyed and _keyed_hint(text):
        return True
    return stacked and gatescan.may_search(_STACKED_GROUPS, text) and _STACKED_GROUPS.search(text) is not None


def _digits(text: str) -> int:
    return sum(map(text.count, "0123456789"))


#: a tag's attributes (``a="536" b="22-8710"``): two or more quoted values apart by blanks,
#: two of them digit groups at least (``_attribute_pieces``)
#: (an unquoted value may be digit groups apart by blanks: the normalizer drops the quotes
#: around digit groups, ``a="4111 1111"`` reads ``a=4111 1111``)
_ATTR = (r"""[A-Za-z_:][A-Za-z0-9_:.\-]{0,30}[ \t]*=[ \t]*(?:"[^"<>\n]{0,60}"|'[^'<>\n]{0,60}'"""
         r"""|[0-9]{1,9}(?:[- .][0-9]{1,9}){1,3}(?![0-9A-Za-z_:.\-]*[ \t]*=)|[^\s"'<>=]{1,60})""")
_ATTRIBUTES = re.compile(rf"(?<![A-Za-z0-9_:.\-]){_ATTR}(?:[ \t\n]+{_ATTR}){{1,11}}")
_ATTRIBUTE = re.compile(
    r"""[A-Za-z_:][A-Za-z0-9_:.\-]{0,30}[ \t]*=[ \t]*(?:"([^"<>\n]{0,60})"|'([^'<>\n]{0,60})'"""
    r"""|([0-9]{1,9}(?:[- .][0-9]{1,9}){1,3}(?![0-9A-Za-z_:.\-]*[ \t]*=)|[^\s"'<>=]{1,60}))""")
_ATTRIBUTE_VALUE = re.compile(r"[ \t]*([0-9]{1,9}(?:[- .][0-9]{1,9}){0,3})[ \t]*")
#: what a tag shows after its attributes: its text up to the next tag or the line's end
_TAG_TEXT = re.compile(r"[ \t]*/?>?([^<>\n]{0,60})")
gatescan.register(_ATTRIBUTE)


def _attribute_pieces(text: str) -> list[tuple[int, int, str]]:
    """The digit groups of one tag's attribute values read side by side (``<span a="536"
    b="22-8710">``: HTML shows every attribute's value in the markup as written, one
    record), labelled by the words the tag shows after them (``>client SSN</span>``)."""
    out: list[tuple[int, int, str]] = []
    for m in _ATTRIBUTES.finditer(text):
        groups: list[str] = []
        values = 0
        for a in _ATTRIBUTE.finditer(text, m.start(), m.end()):
            v = _ATTRIBUTE_VALUE.fullmatch(a.group(1) or a.group(2) or a.group(3) or "")
            if v is not None:
                values += 1
                groups.extend(_WORD_GROUP.findall(v.group(1)))
        if values < 2:
            continue
        shown = _TAG_TEXT.match(text, m.end())
        label = " ".join(w for w in (shown.group(1).split() if shown else []) if not any(ch.isdigit() for ch in w))
        out.extend((m.start(), m.end(), line) for line in _piece(groups, label))
    return out


def fragment_pieces(text: str, label: re.Pattern[str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, line) of each identifier fragment ``text`` holds apart (section above)."""
    out = _keyed_pieces(text) if _keyed_hint(text) else []
    if "=" in text and gatescan.may_search(_ATTRIBUTE, text):
        out += _attribute_pieces(text)
    if "{" in text and out is not None and ":" in text:
        out += _object_pieces(text)
    if gatescan.may_search(_WORD_JOINED, text):
        out += _word_joined_pieces(text)
    if ROW in text or ("\n" in text and _LINE_CELLS.search(text) is not None):
        out += _table_pieces(text, label)
    return out


def regrouped_line(reading: str, pos: int) -> bool:
    """The line of ``table_row_reading``'s ``reading`` holding ``pos`` gives the digits of
    the line before it in other groups (``_run_lines``' second line: ``|NNNNN|NNNNN|NNNNN|``
    read in a card's 4-6-5), not the groups the cells hold."""
    start = reading.rfind(_PIECE_GAP, 0, pos)
    if start < 0:
        return False
    before = reading.rfind(_PIECE_GAP, 0, start)
    end = reading.find(_PIECE_GAP, pos)
    prev = reading[before + len(_PIECE_GAP) if before >= 0 else 0 : start]
    line = reading[start + len(_PIECE_GAP) : end if end >= 0 else len(reading)]
    groups, prev_groups = _DIGIT_RUNS.findall(line), _DIGIT_RUNS.findall(prev)
    return "".join(groups) == "".join(prev_groups) and groups != prev_groups


_DIGIT_RUNS = re.compile(r"[0-9]+")


def row_span(spans: list[tuple[int, int, int]], pos: int) -> tuple[int, int]:
    """The span in the text of the ``table_row_reading`` line holding offset ``pos``."""
    k = bisect.bisect_right(spans, pos, key=lambda s: s[0]) - 1
    return spans[k][1], spans[k][2]


# -- ordered lists as numbered -----------------------------------------------------------
#
# Markdown (CommonMark; Mattermost's marked) numbers an ordered list from its first
# item's number (1 to 9 digits): ``536220000.`` then 42 items written ``1.`` shows
# ``536220042.`` on the last one, a number the text never holds.

#: an ordered list item's marker: indent, 1-9 digits, ``.`` or ``)``, then a blank or the line's end
#: (inside blockquotes: ``> 536220000.`` then ``> 1.`` items are one list in the quote)
_OL_ITEM = re.compile(r"^((?:[ \t]{0,3}>[ \t]?)*)([ \t]*)([0-9]{1,9})([.)])(?=[ \t]|$)", re.M)
gatescan.register(_OL_ITEM)
_QUOTE_MARKS = re.compile(r"(?:[ \t]{0,3}>[ \t]?)*")
#: a line that starts another block (no lazy continuation of a list item's paragraph)
_BLOCK_START = re.compile(r"[ \t]*(?:#|>|[-*+](?:[ \t]|$)|```|~~~|\||[0-9]{1,9}[.)](?:[ \t]|$))")


class ListReading:
    """``text`` with every ordered list item's number as the renderer shows it."""

    def __init__(self, text: str, edits: list[tuple[int, int, int, int]]) -> None:
        self.text = text
        #: (start, end in the reading, start, end in the original) of each renumbered marker
        self._edits = edits

    def _original(self, pos: int, end: bool) -> int:
        k = bisect.bisect_right(self._edits, pos, key=lambda e: e[0]) - 1
        if k < 0:
            return pos
        _, re_, os_, oe = self._edits[k]
        if pos < re_ or (end and pos == re_):
            return oe if end else os_  # inside a renumbered marker: the whole marker
        return pos - re_ + oe

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self._original(start, False), self._original(end, True)


def _continues(text: str, a: int, b: int) -> bool:
    """The lines between two items (``text[a:b]``) keep one list open: blank lines,
    indented lines (an item's content) and lazy continuation lines (a paragraph line
    right after an item's text, not after a blank line, that starts no other block)."""
    blank = False
    for line in text[a:b].split("\n")[1:-1]:
        line = line[_QUOTE_MARKS.match(line).end():]  # type: ignore[union-attr]
        if not line.strip():
            blank = True
        elif line[:1] in (" ", "\t"):
            blank = False
        elif blank or _BLOCK_START.match(line):
            return False
    return True


def rendered_list_numbers(text: str) -> ListReading | None:
    """``text`` with each ordered list item's marker number replaced by the number the
    renderer shows (its list's first number + the item's index), or None when every
    item shows its written number (most texts: one regex pass).  Lists are nested by
    indent; a list is continued by an item of the same indent and delimiter with blank,
    indented or lazy lines between (``_continues``).  Linear in the text."""
    if "." not in text and ")" not in text:
        return None
    if not gatescan.may_search(_OL_ITEM, text):
        return None  # no item at all (the one pass of gatescan.py proves it)
    items = list(_OL_ITEM.finditer(text))
    if len(items) < 2:
        return None
    # open lists, innermost last: (indent, delimiter, first number, items so far)
    open_lists: list[tuple[int, str, int, int]] = []
    edits: list[tuple[int, int, str]] = []
    prev_end = -1
    quotes = ""
    for m in items:
        indent = len(m[2].expandtabs(4))
        depth = m[1].count(">")
        if prev_end >= 0 and (depth != quotes.count(">") or not _continues(text, prev_end, m.start())):
            open_lists = []
        quotes = m[1]
        while open_lists and open_lists[-1][0] > indent:
            open_lists.pop()
        if open_lists and open_lists[-1][0] == indent and open_lists[-1][1] == m[4]:
            level, delim, first, count = open_lists.pop()
            shown = str(first + count)
            open_lists.append((level, delim, first, count + 1))
            if shown != m[3]:
                edits.append((m.start(3), m.end(3), shown))
        else:
            if open_lists and open_lists[-1][0] == indent:
                open_lists.pop()  # another delimiter: a new list
            open_lists.append((indent, m[4], int(m[3]), 1))
            if str(int(m[3])) != m[3]:
                edits.append((m.start(3), m.end(3), str(int(m[3]))))  # ``007.`` shows 7
        prev_end = m.end()
    if not edits:
        return None
    out: list[str] = []
    spans: list[tuple[int, int, int, int]] = []
    pos = at = 0
    for a, b, shown in edits:
        out.append(text[pos:a])
        at += a - pos
        out.append(shown)
        spans.append((at, at + len(shown), a, b))
        at += len(shown)
        pos = b
    out.append(text[pos:])
    return ListReading("".join(out), spans)


# -- forms copied from a PDF: a block of labels, then a block of their values ----------

#: a form's label block holds this many labels at least, and at most this many
FORM_MIN_LABELS = 3
FORM_MAX_LABELS = 24
#: a label line is at most this long
_FORM_LABEL_CHARS = 60
_FORM_BREAK = re.compile(r"\r?\n")


class FormReading(NamedTuple):
    """A form's label lines each followed by its value line (``paired_form``);
    ``starts[i]``: where character ``i`` of ``text`` is in the original text."""

    text: str
    starts: list[int]

    def original_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The original span of ``[start, end)``, or None when the characters are not
        side by side there (a reading across a label and its value)."""
        if not 0 <= start < end <= len(self.starts):
            return None
        a, b = self.starts[start], self.starts[end - 1]
        return (a, b + 1) if b - a == end - 1 - start else None


def _form_label(line: str) -> bool:
    """A line that may be a form's field label: short, no digit, opening with a capital
    (a bullet aside) or ending with a colon, not a question or an exclamation."""
    s = line.strip().lstrip("-*\u2022 \t")
    return (0 < len(s) <= _FORM_LABEL_CHARS and not any(ch.isdigit() for ch in s)
            and (s[0].isupper() or s.endswith(":")) and s[-1] not in "?!")


def _names_identifier(line: str, label: re.Pattern[str]) -> bool:
    """A context word of an identifier (``label``, ``header_label_regex``) as a word of
    ``line`` (``Social Security / Tax ID Number``, ``SSN:``)."""
    for m in label.finditer(line):
        if not (m.start() > 0 and line[m.start() - 1].isalnum()) and not (
                m.end() < len(line) and line[m.end()].isalnum()):
            return True
    return False


def paired_form(text: str, label: re.Pattern[str]) -> FormReading | None:
    """A form copied from a PDF with its labels in one block and their values in the
    next (``Name:``, ``Date of Birth:``, ``SSN:`` ... then ``Jane Doe``, ``01/02/1980``,
    ``AAA GG SSSS`` ...): the k-th label names the k-th value.  Either one block of
    lines (perhaps a heading or two first) whose first half are labels and second half
    values, or a block of labels (perhaps a heading first) and, after blank lines, a
    block of as many values.  The labels: ``FORM_MIN_LABELS`` to ``FORM_MAX_LABELS``
    lines that may be labels (``_form_label``), one naming an identifier (``label``);
    the values: at least one holding a digit.  Returns each label line followed by its
    value line, for the recognizers to read a label right above its value; None for
    any other text (most: one count of line breaks).  Linear in the text."""
    if text.count("\n") < 2 * FORM_MIN_LABELS - 1:
        return None
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _FORM_BREAK.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    lines = [text[a:b] for a, b in spans]
    blocks: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].strip():
            j += 1
        blocks.append((i, j))
        i = j

    def labels(a: int, b: int) -> bool:
        return (FORM_MIN_LABELS <= b - a <= FORM_MAX_LABELS and all(_form_label(lines[k]) for k in range(a, b))
                and any(_names_identifier(lines[k], label) for k in range(a, b)))

    def values(a: int, b: int) -> bool:
        return any(any(ch.isdigit() for ch in lines[k]) for k in range(a, b)) and not all(
            _form_label(lines[k]) for k in range(a, b))

    pairs: list[tuple[int, int]] = []
    used = -1
    for n, (a, e) in enumerate(blocks):
        if a <= used:
            continue
        size = e - a
        for h in (size % 2, size % 2 + 2):
            k = (size - h) // 2
            if labels(a + h, a + h + k) and values(a + h + k, e):
                pairs += [(a + h + x, a + h + k + x) for x in range(k)]
                used = e - 1
                break
        else:
            if n + 1 < len(blocks):
                a2, e2 = blocks[n + 1]
                for h in (0, 1):
                    if size - h == e2 - a2 and labels(a + h, e) and values(a2, e2):
                        pairs += [(a + h + x, a2 + x) for x in range(e2 - a2)]
                        used = e2 - 1
                        break
    if not pairs:
        return None
    out: list[str] = []
    starts: list[int] = []
    for lab, val in pairs:
        for k in (lab, val):
            a, b = spans[k]
            out.append(text[a:b] + "\n")
            starts.extend(range(a, b))
            starts.append(b)
    return FormReading("".join(out), starts)
