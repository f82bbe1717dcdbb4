"""Spreadsheet cells as Excel displays them: number formats and simple string formulas.

A sheet can show an SSN that its XML never holds as text: the number AAAGGSSSS
with the number format ``000-00-0000`` (Excel's own "Social Security Number"
special format), or a formula ``="536-22-"&"8710"`` saved without a cached value
(openpyxl and most generators write none).  The extractor reports what the sheet
holds (value, formula text, cached value) *and* what it displays:

- ``format_number(value, code)`` applies a number format code's digit placeholders
  (``0``, ``#``, ``?``), literal text (``"..."``, ``\\x`` and the characters Excel
  shows as they are; the fill ``*x`` as one ``x``), thousands grouping, decimals,
  and the conditional sections of the special phone format ``[<=9999999]###-####;(###) ###-####``,
  percent (each ``%`` shown and the value multiplied by 100: ``000-00-0000%%`` shows
  53622.871 as ``AAA-GG-SSSS%%``), dates and times (``format_date``: ``"536-22-"yyyy`` on
  2487454 shows ``AAA-GG-SSSS``; the 1900 and the 1904 date systems both read).  Fractions,
  scientific and text formats are not rendered (None): the raw value is still reported.
- ``format_text(text, code)`` applies a format's text section (the fourth, or one
  with the ``@`` placeholder) to a text cell: ``"536-22-"@`` shows ``8710`` as
  ``AAA-GG-SSSS``.
- ``evaluate(formula, lookup)`` evaluates string formulas: literals, numbers,
  same-sheet cell references, ``TRUE``/``FALSE``, ``&``, arithmetic (``+ - * / ^``, unary minus) on
  numbers, ``CONCATENATE``, ``CONCAT``, ``TEXTJOIN``, ``TEXT``, ``CHAR``, ``UNICHAR``, ``SUM``,
  ``PRODUCT``, ``MIN``, ``MAX``, ``AVERAGE``, ``COUNT`` (of values and same-sheet ranges
  of at most ``MAX_RANGE_CELLS`` cells), ``ABS``, ``INT``, ``ROUND``, ``MOD``, ``TRIM``,
  ``UPPER``, ``LOWER``, ``LEFT``, ``RIGHT``, ``MID``, ``T``, ``VALUE``, ``CODE``, ``UNICODE``,
  ``LEN``, ``REPT``, ``SUBSTITUTE``.  Anything else
  (other functions, other sheets) gives None; the formula text and its cached value
  are still reported, and a formula with no cached value is read as written and makes
  the file ``active-content`` (``formula_values``).

Both are bounded: formulas longer than ``MAX_FORMULA`` characters are not
evaluated, nesting is limited to ``MAX_DEPTH``, and results are cut at
``MAX_RESULT`` characters.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

MAX_FORMULA = 4096
MAX_DEPTH = 32
MAX_RESULT = 4096
#: a format with more ``%`` signs than this is not rendered (each multiplies by 100)
MAX_PERCENT = 8

#: Built-in number formats that matter for digits (ECMA-376 Part 1, 18.8.30).
BUILTIN_FORMATS: dict[int, str] = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 49: "@"}

_DATE_LETTERS = re.compile(r"[yYmMdDhHsS]|AM/PM|A/P|[eE][+-]")
_CONDITION = re.compile(r"\[(<=|>=|<>|<|>|=)(-?[0-9.]+)\]")
#: an elapsed count, a date/time code inside brackets (``[h]:mm``, ``[ss]``), searched
#: outside the quoted literals and escapes (``_QUOTED``: ``"[h]"`` is text)
_ELAPSED = re.compile(r"\[(?:h+|m+|s+)\]", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|\\.')
#: a currency or locale tag (``[$USD-409]``, ``[$€]``, ``[$-409]``): Excel shows its symbol
_CURRENCY = re.compile(r"\[\$([^\]-]*)(?:-[^\]]*)?\]")


@functools.lru_cache(maxsize=1024)
def _unbracket(section: str, keep_elapsed: bool = False) -> str:
    """``section`` without its bracketed codes (a condition, a colour, a locale), read as
    Excel reads it: a ``[`` inside a quoted literal or after a ``\\`` is text, not a code
    (attack of 2026-12-07: ``"[" "AAA-GG-"0000"]"`` shows ``[ AAA-GG-SSSS]``; removing every
    ``[...]`` first took the literal's digits with it); a currency tag's symbol is shown
    (``[$AAA-409]\\-00\\-0000``), written here as a quoted literal; an elapsed ``[h]``
    is kept when ``keep_elapsed``."""
    out: list[str] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch == '"':
            end = section.find('"', i + 1)
            end = len(section) - 1 if end < 0 else end
            out.append(section[i : end + 1])
            i = end + 1
        elif ch in "\\_*" and i + 1 < len(section):
            out.append(section[i : i + 2])
            i += 2
        elif ch == "[":
            end = section.find("]", i + 1)
            if end < 0:
                out.append(section[i:])
                break
            code = section[i : end + 1]
            currency = _CURRENCY.fullmatch(code)
            if currency is not None:
                if currency.group(1):
                    out.append('"' + currency.group(1).replace('"', "") + '"')
            elif keep_elapsed and _ELAPSED.fullmatch(code):
                out.append(code)
            i = end + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)



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


def _condition(section: str) -> re.Match[str] | None:
    """The condition among a section's leading bracketed codes, whatever their order
    (``[Red][<=100]``: Excel's own example puts the colour first; attack of 2026-12-07)."""
    pos = 0
    while (lead := _LEADING_CODE.match(section, pos)) is not None:
        cond = _CONDITION.fullmatch(lead.group(0))
        if cond is not None:
            return cond
        pos = lead.end()
    return None


_LEADING_CODE = re.compile(r"\[[^\]\[\"]*\]")


def _pick_section(sections: Sequence[str], v: float) -> tuple[str, bool]:
    """(section, whether its sign is already shown by the section) for value ``v``: with
    conditions, the first section whose condition holds, else the third (a fourth is
    for text), else the last; without, by sign."""
    first = _condition(sections[0])
    if first:
        if _holds(first.group(1), float(first.group(2)), v):
            return sections[0], False
        if len(sections) > 1:
            second = _condition(sections[1])
            if second is None or _holds(second.group(1), float(second.group(2)), v):
                return sections[1], False
        return sections[2] if len(sections) > 2 else sections[-1], False
    if v < 0 and len(sections) > 1 and sections[1]:
        return sections[1], True
    if v == 0 and len(sections) > 2 and sections[2]:
        return sections[2], False
    return sections[0], False


Token = tuple[str, str]
#: (integer part tokens, fraction tokens, has a decimal point, decimals, thousands
#: scaling, indices of the integer part's placeholders, digit grouping, percent signs)
Layout = tuple[tuple[Token, ...], tuple[Token, ...], bool, int, int, tuple[int, ...], bool, int]


@functools.lru_cache(maxsize=512)
def _code_sections(code: str) -> tuple[str, ...]:
    return tuple(_sections(code))


def _section_tokens(plain: str) -> Iterator[tuple[bool, str]]:
    """A format section (brackets removed) as (literal, text) tokens: literal text
    (``"..."``, ``\\x``, the padding ``_x`` as a blank, the fill ``*x`` as one x: at least
    one x is shown, ``000*-00-0000`` shows ``AAA-GG-SSSS`` in a narrow cell) as
    (True, text), every other character as (False, character)."""
    i = 0
    while i < len(plain):
        ch = plain[i]
        if ch == '"':
            end = plain.find('"', i + 1)
            end = len(plain) if end < 0 else end
            yield True, plain[i + 1 : end]
            i = end + 1
        elif ch == "\\" and i + 1 < len(plain):
            yield True, plain[i + 1]
            i += 2
        elif ch in "_*" and i + 1 < len(plain):
            yield True, " " if ch == "_" else plain[i + 1]
            i += 2
        else:
            yield False, ch
            i += 1


@functools.lru_cache(maxsize=512)
def _layout(section: str) -> Layout | str | None:
    """What ``format_number`` needs of a format section, whatever the value (read once
    per section, not per cell): None when the section is not rendered here, the text
    of a section without digit placeholders, or its ``Layout``."""
    plain = _unbracket(section)
    unquoted = _QUOTED.sub("", plain)
    if _DATE_LETTERS.search(unquoted) or "/" in unquoted or "@" in unquoted:
        return None
    # every % outside quotes is shown and multiplies the value by 100 (Excel: 0%% on
    # 0.5 shows 5000%%)
    percent = unquoted.count("%")
    tokens: list[tuple[str, str]] = []  # ("p", placeholder) | ("t", literal) | ("." , "") | ("," , "")
    for literal, ch in _section_tokens(plain):
        if literal:
            tokens.append(("t", ch))
        elif ch in "0#?":
            tokens.append(("p", ch))
        elif ch in ".,":
            tokens.append((ch, ""))
        else:
            tokens.append(("t", ch))
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
    placeholders = [n for n, (k, _) in enumerate(int_tokens) if k == "p"]
    last_p = placeholders[-1] if placeholders else -1
    grouping = any(k == "," for n, (k, _) in enumerate(int_tokens) if placeholders and placeholders[0] < n < last_p)
    return (tuple(int_tokens), tuple(frac_tokens), point < len(tokens), decimals, scale, tuple(placeholders),
            grouping, percent)


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
    section, signed = _pick_section(_code_sections(code), v)
    layout = None if _ELAPSED.search(_QUOTED.sub("", section)) else _layout(section)
    if layout is None:
        shown = format_date(v, section)
        if shown is None and _UNRENDERED.search(_QUOTED.sub("", _unbracket(section))):
            shown = _literals_around(v, section)  # (a date out of range shows ####: no reading)
        return shown
    if isinstance(layout, str):
        return layout
    int_tokens, frac_tokens, has_point, decimals, scale, placeholders, grouping, percent = layout
    if percent > MAX_PERCENT or abs(v) * 100**percent >= 1e21:
        return None
    mag = abs(v) * 100**percent / (1000**scale)
    text = f"{mag:.{decimals}f}"
    int_digits, _, frac_digits = text.partition(".")
    if int_digits == "0":
        int_digits = ""
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
    result = int_part + ("." + "".join(frac_out) if has_point else "")
    if v < 0 and not signed:
        result = "-" + result
    return result[:MAX_RESULT]


#: a section of a kind not rendered here: a fraction, scientific notation
_UNRENDERED = re.compile(r"[eE][+-]|[?#0]\s*/|/\s*[?#0-9]")
#: what a section not rendered here writes as codes: placeholders, a fraction's, an
#: exponent's, a date's letters
_CODE_CHARS = frozenset("0#?.,%/eEyYmMdDhHsSaApP@")


def _literals_around(v: float, section: str) -> str | None:
    """A section this module does not render (a fraction ``?/?``, scientific ``0E+0``):
    its literal text in order with the value, as written, where its codes begin, so
    what the literals show beside the digits is read (attack of 2026-12-07:
    ``"AAA-GG-"0000 ?/?`` on SSSS shows the SSN); None when it has no literal."""
    out: list[str] = []
    placed = literal = False
    prev = ""
    for is_literal, ch in _section_tokens(_unbracket(section)):
        if is_literal:
            out.append(ch)
            literal = literal or bool(ch.strip())
        elif ch in _CODE_CHARS or (ch in "+-" and prev in ("e", "E")):  # (an exponent's sign is a code)
            if not placed:
                out.append(_plain_number(v))
                placed = True
        else:
            out.append(ch)
            literal = literal or bool(ch.strip())
        prev = "" if is_literal else ch
    return "".join(out)[:MAX_RESULT] if literal else None


def _plain_number(v: float) -> str:
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)


def date_serial(value: str) -> str:
    """An ISO 8601 date (an XLSX date cell ``t="d"``, an ODS ``office:date-value``:
    ``2026-11-19T00:00:00``) as the date serial its number format is applied to (attack
    of 2026-12-07: ``"AAA-GG-"yyyy`` on a date of year SSSS shows an SSN); "" when it is
    no date or before 1900-03-01 (no format applies: it is read as stored)."""
    try:
        when = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return ""
    delta = when.replace(tzinfo=None) - datetime.datetime(1899, 12, 30)
    return repr(delta.days + delta.seconds / 86400) if delta.days >= 61 else ""


# -- dates and times -----------------------------------------------------------------

#: the largest date serial Excel shows (9999-12-31); above it, or below 0, it shows ####
MAX_DATE_SERIAL = 2958465
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: a date/time code: a run of one letter (``yyyy``, ``mm``, ``AM/PM``), ``.0``s after
#: seconds, or an elapsed ``[h]``/``[mm]``/``[ss]``
_DATE_CODE = re.compile(r"\[(?:h+|m+|s+)\]|AM/PM|am/pm|A/P|a/p|([yYmMdDhHsSeE])\1*|\.0+", re.IGNORECASE)


def _serial_date(days: int, date1904: bool) -> tuple[int, int, int, int]:
    """(year, month, day, weekday 0 = Monday) of a whole date serial: the 1900 system
    with its 29 February 1900 (serial 60) and day 0 (``1900-01-00``), or the 1904 one."""
    if date1904:
        d = datetime.date(1904, 1, 1) + datetime.timedelta(days=days)
        return d.year, d.month, d.day, d.weekday()
    if days == 0:
        return 1900, 1, 0, 5
    if days == 60:
        return 1900, 2, 29, 2
    d = datetime.date(1899, 12, 31 if days < 60 else 30) + datetime.timedelta(days=days)
    return d.year, d.month, d.day, d.weekday()


def _date_text(v: float, section: str, date1904: bool) -> str | None:
    # an elapsed count ([h], [mm], [ss]) with no date part shows any duration (AAAGGSSSS
    # hours); a date beyond 9999-12-31 shows ####
    elapsed = _ELAPSED.search(_QUOTED.sub("", section)) is not None and not re.search(
        r"[yYdD]", re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", section))
    if v < 0 or (v > MAX_DATE_SERIAL - (1462 if date1904 else 0) and not elapsed) or v > 1e12:
        return None
    kept = _unbracket(section, keep_elapsed=True)
    # tokens: (literal, text) with the letters' runs as codes
    tokens: list[tuple[bool, str]] = []
    for literal, ch in _section_tokens(kept):
        if literal:
            tokens.append((True, ch))
        elif tokens and not tokens[-1][0]:
            tokens[-1] = (False, tokens[-1][1] + ch)
        else:
            tokens.append((False, ch))
    codes: list[tuple[bool, str]] = []  # (literal, text or code)
    for literal, text in tokens:
        if literal:
            codes.append((True, text))
            continue
        pos = 0
        for m in _DATE_CODE.finditer(text):
            if m.start() > pos:
                codes.append((True, text[pos:m.start()]))
            codes.append((False, m.group(0)))
            pos = m.end()
        if pos < len(text):
            codes.append((True, text[pos:]))
    fraction_digits = max((len(c) - 1 for lit, c in codes if not lit and c.startswith(".")), default=0)
    days = int(v)
    seconds_f = (v - days) * 86400
    scale = 10 ** min(fraction_digits, 3)
    ticks = round(seconds_f * scale)
    if ticks >= 86400 * scale:
        days, ticks = days + 1, ticks - 86400 * scale
    whole, frac = divmod(ticks, scale)
    hour, rest = divmod(whole, 3600)
    minute, second = divmod(rest, 60)
    try:
        year, month, day, weekday = _serial_date(days, date1904)
    except (OverflowError, ValueError):
        if not elapsed:
            return None
        year, month, day, weekday = 9999, 12, 31, 4  # (shown only by a month's "m", read as minutes here)
    twelve = any(not lit and c.lower() in ("am/pm", "a/p") for lit, c in codes)
    kinds = ["" if lit or c.lower() in ("am/pm", "a/p") or c.startswith(".") else c.strip("[")[0].lower()
             for lit, c in codes]
    out: list[str] = []
    for n, (lit, c) in enumerate(codes):
        if lit:
            out.append(c)
            continue
        low = c.lower()
        if low in ("am/pm", "a/p"):
            mark = "AM" if hour < 12 else "PM"
            out.append(mark if low == "am/pm" else mark[0])
        elif low.startswith("["):
            unit = low[1]
            total = {"h": days * 24 + hour, "m": (days * 24 + hour) * 60 + minute,
                     "s": ((days * 24 + hour) * 60 + minute) * 60 + second}[unit]
            out.append(str(total).zfill(len(low) - 2))
        elif low.startswith("."):
            out.append("." + str(frac).zfill(min(fraction_digits, 3))[: len(low) - 1].ljust(len(low) - 1, "0"))
        elif low[0] in "ye":
            out.append(f"{year % 100:02d}" if low[0] == "y" and len(low) <= 2 else str(year))
        elif low[0] == "d":
            out.append(str(day) if len(low) == 1 else f"{day:02d}" if len(low) == 2
                       else _DAYS[weekday][:3] if len(low) == 3 else _DAYS[weekday])
        elif low[0] == "h":
            h = (hour % 12 or 12) if twelve else hour
            out.append(str(h) if len(low) == 1 else f"{h:02d}")
        elif low[0] == "s":
            out.append(str(second) if len(low) == 1 else f"{second:02d}")
        else:  # m: minutes right after an hour or right before a second, else the month
            before = next((k for k in reversed(kinds[:n]) if k), "")
            after = next((k for k in kinds[n + 1:] if k), "")
            if len(low) <= 2 and (before == "h" or after == "s"):
                out.append(str(minute) if len(low) == 1 else f"{minute:02d}")
            else:
                out.append(str(month) if len(low) == 1 else f"{month:02d}" if len(low) == 2
                           else _MONTHS[month - 1][:3] if len(low) == 3
                           else _MONTHS[month - 1][0] if len(low) == 5 else _MONTHS[month - 1])
    return "".join(out)[:MAX_RESULT]


@functools.lru_cache(maxsize=4096)
def format_date(v: float, section: str) -> str | None:
    """A date or time format section applied to ``v`` as Excel displays it (``yyyy``,
    ``mm``, ``dd``, ``hh``, ``ss``, names of months and days, AM/PM, elapsed ``[h]``,
    fractions of a second, literal text: ``"536-22-"yyyy`` shows 2487454 as
    ``AAA-GG-SSSS``).  A workbook may count from 1900 or from 1904 (``date1904``, not
    read here): both readings, one a line, when they differ.  None for a section that
    is no date format (fractions ``?/?``, scientific ``0E+0``) or a value Excel shows
    as ####."""
    unquoted = _QUOTED.sub("", _unbracket(section))
    if "/" in unquoted.replace("AM/PM", "").replace("am/pm", "").replace("A/P", "").replace("a/p", "") \
            and "?" in unquoted:
        return None  # a fraction
    if re.search(r"[eE][+-]", unquoted) or not re.search(r"[yYmMdDhHsS]", unquoted + section):
        return None
    readings = [r for r in (_date_text(v, section, False), _date_text(v, section, True)) if r is not None]
    return "\n".join(dict.fromkeys(readings)) or None


def _text_section(code: str) -> str | None:
    """The section of ``code`` that formats text: the fourth, else the one holding an
    ``@`` placeholder (a one-section text format such as ``"536-22-"@``); None when text
    is shown as stored."""
    sections = _code_sections(code)
    if len(sections) >= 4:
        return sections[3]
    for section in sections:
        if "@" in _QUOTED.sub("", section):
            return section
    return None


def format_text(text: str, code: str) -> str | None:
    """``text`` (a text cell's value) as number format ``code`` displays it: its text
    section's literals around the ``@`` placeholder (``"536-22-"@`` shows ``8710`` as
    ``AAA-GG-SSSS``), or None when the format shows text as stored."""
    if not code or code in ("General", "@") or ("@" not in code and code.count(";") < 3):
        return None
    section = _text_section(code)
    if section is None:
        return None
    out = [text if ch == "@" and not literal else ch for literal, ch in _section_tokens(_unbracket(section))]
    shown = "".join(out)[:MAX_RESULT]
    return None if shown == text else shown


# -- formulas -------------------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"]|"")*")|(?P<num>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)'
    r"|(?P<range>\$?[A-Za-z]{1,3}\$?[0-9]{1,7}:\$?[A-Za-z]{1,3}\$?[0-9]{1,7})(?![A-Za-z0-9_(!:.])"
    r"|(?P<ref>\$?[A-Za-z]{1,3}\$?[0-9]{1,7}(?![A-Za-z0-9_(!:.]))"
    r"|(?P<bool>(?i:TRUE|FALSE))(?![A-Za-z0-9_(!:.])"
    r"|(?P<func>(?:_xlfn\.)?[A-Za-z][A-Za-z0-9.]*)\s*\(|(?P<op>[&(),;+*/^-]))"
)


class _Unsupported(Exception):
    pass


class _ExcelError(_Unsupported):
    """What Excel shows as an error (``#VALUE!``: text in arithmetic; ``#DIV/0!``): the
    cell shows the error, nothing computed from its arguments."""


Lookup = Callable[[str], str | None]


def _num_text(v: float) -> str:
    if v != v or v in (float("inf"), float("-inf")):
        raise _Unsupported
    return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)


def _as_number(s: str) -> float:
    """A value in arithmetic: a number (an empty cell is 0); text that is no number
    makes the formula unsupported (Excel shows #VALUE!)."""
    if not s.strip():
        return 0.0
    try:
        return float(s)
    except ValueError as exc:
        if _GROUPED.fullmatch(s.strip()):  # a number shown with thousands separators ("2,900.00")
            return float(s.strip().replace(",", ""))
        if any(c.isdigit() for c in s):
            raise _Unsupported from exc  # Excel may read it as a number ("$536", "53.6%", a date)
        raise _ExcelError from exc  # words: #VALUE!


_GROUPED = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def _arith(op: str, a: float, b: float) -> float:
    if abs(a) > 1e300 or abs(b) > 1e300:
        raise _Unsupported
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0:
            raise _ExcelError  # (#DIV/0!)
        return a / b
    if abs(b) > 64 or abs(a) > 1e15:
        raise _Unsupported
    try:
        return float(a**b)
    except (OverflowError, ZeroDivisionError, ValueError) as exc:
        raise _Unsupported from exc


class _Parser:
    def __init__(self, src: str, lookup: Lookup) -> None:
        self.src = src
        self.pos = 0
        self.lookup = lookup
        self.depth = 0
        #: whether the value last parsed is a number (a number format applies to it)
        self.numeric = False

    def _next(self) -> re.Match[str] | None:
        m = _TOKEN.match(self.src, self.pos)
        if m is None or m.end() == self.pos:
            return None
        return m

    def _expect(self, op: str) -> None:
        m = self._next()
        if m is None or m.group("op") != op:
            raise _Unsupported
        self.pos = m.end()

    def _peek_op(self) -> str | None:
        m = self._next()
        return m.group("op") if m is not None else None

    def expr(self) -> str:
        """Concatenation (``&``, the lowest precedence) of sums."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Unsupported
        value = self.sum()
        while self._peek_op() == "&":
            self._expect("&")
            value = (value + self.sum())[:MAX_RESULT]
            self.numeric = False
        self.depth -= 1
        return value

    def sum(self) -> str:
        value = self.product()
        while (op := self._peek_op()) in ("+", "-"):
            self._expect(op or "")
            right = self.product()
            value = _num_text(_arith(op or "", _as_number(value), _as_number(right)))
            self.numeric = True
        return value

    def product(self) -> str:
        value = self.unary()
        while (op := self._peek_op()) in ("*", "/", "^"):
            self._expect(op or "")
            right = self.unary()
            value = _num_text(_arith(op or "", _as_number(value), _as_number(right)))
            self.numeric = True
        return value

    def unary(self) -> str:
        op = self._peek_op()
        if op in ("-", "+"):
            self._expect(op or "")
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Unsupported
            value = self.unary()
            self.depth -= 1
            if op == "-":
                self.numeric = True
                return _num_text(-_as_number(value))
            return value
        return self.term()

    def term(self) -> str:
        m = self._next()
        if m is None or m.group("op") not in (None, "("):
            raise _Unsupported
        self.pos = m.end()
        self.numeric = m.group("num") is not None
        if m.group("str") is not None:
            return m.group("str")[1:-1].replace('""', '"')
        if m.group("num") is not None:
            return _num_text(float(m.group("num")))
        if m.group("bool") is not None:
            return m.group("bool").upper()
        if m.group("ref") is not None:
            got = self.lookup(m.group("ref").replace("$", "").upper())
            return "" if got is None else got
        if m.group("op") == "(":
            value = self.expr()
            self._expect(")")
            return value
        if m.group("func") is not None:
            name = m.group("func").upper().removeprefix("_XLFN.")
            args: list[str] = []
            if self._peek_op() == ")":
                self._expect(")")
            else:
                while True:
                    cells = self._range() if name in _RANGE_FUNCTIONS else None
                    if cells is not None:
                        # a range's cells, each an argument (empty ones left out; as Excel's
                        # SUM, MIN, MAX... do, its text and booleans too)
                        args.extend(cells if name in ("CONCAT", "TEXTJOIN")
                                    else [v for v in cells if _is_number(v) or _GROUPED.fullmatch(v.strip())])
                    else:
                        args.append(self.expr())
                    op = self._peek_op()
                    if op in (",", ";"):
                        self._expect(op or ",")
                        continue
                    self._expect(")")
                    break
            value = _call(name, args)
            self.numeric = name in _NUMERIC_FUNCTIONS
            return value
        raise _Unsupported

    def _range(self) -> list[str] | None:
        """A range argument's cell values (``C1:C12``), row by row; None when the next
        argument is no range.  At most ``MAX_RANGE_CELLS`` cells (more: unsupported)."""
        m = self._next()
        if m is None or m.group("range") is None:
            return None
        first, last = (_cell_index(ref) for ref in m.group("range").replace("$", "").upper().split(":"))
        (c0, c1), (r0, r1) = sorted((first[0], last[0])), sorted((first[1], last[1]))
        if (c1 - c0 + 1) * (r1 - r0 + 1) > MAX_RANGE_CELLS:
            raise _Unsupported
        self.pos = m.end()
        values = (self.lookup(f"{col_letters(c)}{r}") for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
        return [v for v in values if v is not None and v.strip()]


#: the functions that take ranges, and those whose value is a number (a number format applies)
_RANGE_FUNCTIONS = frozenset({"SUM", "AVERAGE", "MIN", "MAX", "COUNT", "PRODUCT", "CONCAT", "TEXTJOIN"})
_NUMERIC_FUNCTIONS = frozenset({"SUM", "VALUE", "AVERAGE", "MIN", "MAX", "COUNT", "PRODUCT", "ABS", "INT", "ROUND",
                                "MOD", "CODE", "UNICODE", "LEN"})
#: the most cells a range argument may cover
MAX_RANGE_CELLS = 4096


def _cell_index(ref: str) -> tuple[int, int]:
    """``"AB12"`` -> (28, 12): column number and row."""
    m = re.fullmatch(r"([A-Z]{1,3})([0-9]{1,7})", ref)
    if m is None:
        raise _Unsupported
    return col_index(m.group(1)), int(m.group(2))


def _int_arg(s: str) -> int:
    try:
        n = int(float(s))
    except ValueError as exc:
        raise _Unsupported from exc
    if not 0 <= n <= MAX_RESULT:
        raise _Unsupported
    return n


def _call(name: str, args: list[str]) -> str:
    if name in ("CHAR", "UNICHAR") and len(args) == 1:
        code = int(_as_number(args[0]))
        if not 1 <= code <= (255 if name == "CHAR" else 0x10FFFF) or 0xD800 <= code <= 0xDFFF:
            raise _Unsupported
        # CHAR is the Windows code page's character: cp1252 for 128-255
        return bytes([code]).decode("cp1252", "replace") if name == "CHAR" else chr(code)
    if name in ("TRUE", "FALSE") and not args:
        return name
    if name == "SUM":
        return _num_text(sum(_as_number(a) for a in args))
    if name in ("PRODUCT", "MIN", "MAX", "AVERAGE") and args:
        numbers = [_as_number(a) for a in args]
        if name == "PRODUCT":
            total = 1.0
            for n in numbers:
                total = _arith("*", total, n)
            return _num_text(total)
        return _num_text({"MIN": min, "MAX": max}.get(name, lambda xs: sum(xs) / len(xs))(numbers))
    if name == "COUNT":
        return str(sum(1 for a in args if _is_number(a)))
    if name in ("ABS", "INT") and len(args) == 1:
        n = _as_number(args[0])
        return _num_text(abs(n) if name == "ABS" else float(math.floor(n)))
    if name == "ROUND" and len(args) in (1, 2):
        digits = int(_as_number(args[1])) if len(args) == 2 else 0
        if not -15 <= digits <= 15:
            raise _Unsupported
        n = _as_number(args[0])
        scaled = abs(n) * 10.0**digits
        if scaled > 1e15:
            raise _Unsupported
        return _num_text(math.copysign(math.floor(scaled + 0.5) / 10.0**digits, n))  # Excel rounds half away from 0
    if name == "MOD" and len(args) == 2:
        a, b = _as_number(args[0]), _as_number(args[1])
        if b == 0 or abs(a) > 1e15:
            raise _Unsupported
        return _num_text(a - b * math.floor(a / b))  # the sign of the divisor, as Excel's
    if name in ("CONCATENATE", "CONCAT"):
        return "".join(args)[:MAX_RESULT]
    if name == "TEXTJOIN" and len(args) >= 3:
        # TEXTJOIN(delimiter, ignore_empty, text1, ...): ignore_empty is a boolean
        # (TRUE/FALSE, or a number: 0 is FALSE)
        flag = args[1].strip().upper()
        ignore_empty = flag == "TRUE" or (flag not in ("FALSE", "") and _as_number(flag) != 0)
        parts = [a for a in args[2:] if a or not ignore_empty]
        return args[0].join(parts)[:MAX_RESULT]
    if name == "TEXT" and len(args) == 2:
        shown = format_number(args[0], args[1])
        return args[0] if shown is None else shown
    if name == "TRIM" and len(args) == 1:
        return " ".join(args[0].split())
    if name in ("UPPER", "LOWER", "T", "VALUE") and len(args) == 1:
        return {"UPPER": args[0].upper(), "LOWER": args[0].lower()}.get(name, args[0])
    if name == "LEFT" and len(args) in (1, 2):
        return args[0][: _int_arg(args[1]) if len(args) == 2 else 1]
    if name == "RIGHT" and len(args) in (1, 2):
        n = _int_arg(args[1]) if len(args) == 2 else 1
        return args[0][-n:] if n else ""
    if name in ("CODE", "UNICODE") and len(args) == 1 and args[0]:
        # digits built from characters' codes (attack of 2026-12-07: ``CODE("c")-CODE(" ")``);
        # CODE is the Windows code page's number (cp1252), UNICODE the code point
        if name == "UNICODE":
            return str(ord(args[0][0]))
        try:
            return str(args[0][0].encode("cp1252")[0])
        except UnicodeEncodeError:
            return "63"  # "?", as Excel shows a character its code page lacks
    if name == "LEN" and len(args) == 1:
        return str(len(args[0]))
    if name == "REPT" and len(args) == 2:
        times = _int_arg(args[1])
        if len(args[0]) * times > MAX_RESULT:
            raise _Unsupported
        return args[0] * times
    if name == "SUBSTITUTE" and len(args) in (3, 4) and args[1]:
        if len(args) == 3:
            return args[0].replace(args[1], args[2])[:MAX_RESULT]
        nth = _int_arg(args[3])
        if nth < 1:
            raise _ExcelError  # #VALUE!
        at = -1
        for _ in range(nth):
            at = args[0].find(args[1], at + 1)
            if at < 0:
                return args[0]
        return (args[0][:at] + args[2] + args[0][at + len(args[1]):])[:MAX_RESULT]
    if name == "MID" and len(args) == 3:
        start = _int_arg(args[1])
        if start < 1:
            raise _Unsupported
        return args[0][start - 1 : start - 1 + _int_arg(args[2])]
    raise _Unsupported


#: a token of a formula the evaluator does not read: another sheet's cell or range, a
#: comparison, a bare name (a defined name)
_OTHER_TOKEN = re.compile(r"\s*(?:(?:'[^']{1,31}'|[A-Za-z_][A-Za-z0-9_.]{0,30})!\$?[A-Za-z]{1,3}\$?[0-9]{1,7}"
                          r"(?::\$?[A-Za-z]{1,3}\$?[0-9]{1,7})?|[<>=]{1,2}|%|[A-Za-z_][A-Za-z0-9_.]{0,30})")


def formula_shaped(formula: str) -> bool:
    """``formula`` (without its ``=``) is written wholly in a formula's tokens: strings,
    numbers, references (of this sheet or another), functions, operators.  Text that
    merely starts with ``=`` (a uuencoded line, a heading rule) is not."""
    pos, end = 0, len(formula.rstrip())
    if end == 0 or end > MAX_FORMULA:
        return False
    while pos < end:
        m = _TOKEN.match(formula, pos)
        if m is None or m.end() == pos:
            m = _OTHER_TOKEN.match(formula, pos)
        if m is None or m.end() == pos:
            return False
        pos = m.end()
    return True


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def evaluate(formula: str, lookup: Lookup) -> str | None:
    """The text a simple string formula displays (``formula`` without its leading
    ``=``), or None when it uses anything not listed in the module doc."""
    got = evaluate_typed(formula, lookup)
    return None if got is None else got[0]


def evaluate_typed(formula: str, lookup: Lookup) -> tuple[str, bool] | None:
    """``evaluate``, and whether the result is a number (a literal, arithmetic, ``SUM``,
    ``VALUE``): a cell's number format applies to a number, not to text."""
    got = _attempt(formula, lookup)
    return None if isinstance(got, _Unsupported) else got


def computes_unknown(formula: str, lookup: Lookup) -> bool:
    """``evaluate`` gives None for ``formula`` because it uses what the evaluator does not
    know (a function, another sheet, a range where none is read), not because Excel
    shows an error there (``#VALUE!``: text in arithmetic, ``"qty"*"price"`` in a
    header row; ``#DIV/0!``), which computes nothing from its arguments."""
    got = _attempt(formula, lookup)
    return isinstance(got, _Unsupported) and not isinstance(got, _ExcelError)


def _attempt(formula: str, lookup: Lookup) -> tuple[str, bool] | _Unsupported:
    """``formula``'s value and whether it is a number, or why there is none: an
    ``_ExcelError`` (Excel shows an error) or another ``_Unsupported``."""
    src = formula.strip().removeprefix("=")
    if not src or len(src) > MAX_FORMULA:
        return _Unsupported()
    parser = _Parser(src, lookup)
    try:
        value = parser.expr()
    except _Unsupported as exc:
        return exc
    except RecursionError:
        return _Unsupported()
    if src[parser.pos :].strip():
        return _Unsupported()  # something after the expression (a range, a comparison...)
    return value[:MAX_RESULT], parser.numeric


#: the formula of a shared-formula cell whose master was not read before it: no formula
#: the evaluator reads (``computes_unknown``), so the cell is active content
SHARED_UNKNOWN = "_xlfn.SHARED.UNKNOWN()"
_STRING_OR_REF = re.compile(r'(?P<str>"(?:[^"]|"")*")|(?<![A-Za-z0-9_.$])(?P<cd>\$?)(?P<col>[A-Za-z]{1,3})'
                            r"(?P<rd>\$?)(?P<row>[0-9]{1,7})(?![A-Za-z0-9_(])")


def shift_formula(master_ref: str, formula: str, ref: str) -> str:
    """A shared formula's master (``formula`` at ``master_ref``) as the cell ``ref`` holds
    it: each relative reference moved by the rows and columns between the two cells, an
    absolute (``$``) part kept, string literals untouched (ECMA-376 Part 1, 18.3.1.40;
    ``B2&"-"&C2`` at A2 is ``B3&"-"&C3`` at A3).  ``SHARED_UNKNOWN`` when a reference
    cannot be placed (no cell reference given, or one moved off the sheet)."""
    master, cell = _CELL_REF.fullmatch(master_ref), _CELL_REF.fullmatch(ref)
    if master is None or cell is None:
        return SHARED_UNKNOWN
    dc = col_index(cell.group(1)) - col_index(master.group(1))
    dr = int(cell.group(2)) - int(master.group(2))
    moved_off = False

    def move(m: re.Match[str]) -> str:
        nonlocal moved_off
        if m.group("str") is not None:
            return m.group(0)
        col, row = col_index(m.group("col")), int(m.group("row"))
        col += 0 if m.group("cd") else dc
        row += 0 if m.group("rd") else dr
        if not (1 <= col <= 16384 and 1 <= row <= 1048576):
            moved_off = True
            return m.group(0)
        return f"{m.group('cd')}{col_letters(col)}{m.group('rd')}{row}"

    out = _STRING_OR_REF.sub(move, formula)
    return SHARED_UNKNOWN if moved_off else out


_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


def col_index(letters: str) -> int:
    """A column's letters (capitals) -> its number: ``"AB"`` -> 28 (``col_letters`` read back)."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def col_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def table_cell(location: str, text: str, offset: int) -> str | None:
    """For a sheet table block (``sheet=Name/lines=N-M`` as ``_sheet_table`` writes
    it: line k of the block is row N+k, the i-th tab-separated cell column i+1), the
    cell ``offset`` is in: ``sheet=Name!B7``; None for any other location."""
    m = _TABLE_LOC.search(location)
    if m is None:
        return None
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    row = int(m.group("first")) + text.count("\n", 0, line_start)
    col = text.count("\t", line_start, offset) + 1
    end = m.start("flags") if m.group("flags") else m.start("lines")
    return f"{location[:end]}!{col_letters(col)}{row}{m.group('flags') or ''}"


_TABLE_LOC = re.compile(r"sheet=[^/]*?(?P<flags> \(hidden\))?(?P<lines>/lines?=(?P<first>\d+)(?:-\d+)?)$")


#: Passes over a sheet's formulas, so a formula referring to a later formula's cell
#: still sees its value (a chain longer than this keeps the cached values).
_FORMULA_PASSES = 4


def formula_values(formulas: list[tuple[str, str, str, str]], values: dict[str, str], ctx: Ctx,
                   formats: dict[str, str] | None = None, *, cached_shown: bool = True) -> bool:
    """Evaluate a sheet's formulas against its cell values (``values``: cell ref ->
    displayed value, updated) and add each result the cached value does not show,
    under the cell's number format (``formats``: cell ref -> format code) when the
    result is a number; a formula that cannot be evaluated and has no cached value is
    read as written (its digits are scanned) and makes the file ``active-content``: the
    spreadsheet computes it on open (``=HEX2DEC("218")&...``, a reference to another
    sheet; insider attack of 2026-12-06, F2).  ``cached_shown`` False: the spreadsheet
    computes its formulas again when opened (``ooxml.recalculated_on_open``), so a cached
    value does not say what such a formula shows.  False once the text budget is spent."""
    results: dict[str, str] = {}
    for _ in range(_FORMULA_PASSES):
        changed = False
        for n, (ref, _loc, formula, _cached) in enumerate(formulas):
            if n % 256 == 0:
                ctx.budget.check_time()
            got = evaluate_typed(formula, values.get)
            value = None if got is None else got[0]
            if got is not None and got[1] and formats and ref in formats:
                shown = format_number(got[0], formats[ref])
                if shown is not None:
                    value = shown
            if value is not None and values.get(ref) != value:
                values[ref] = value
                results[ref] = value
                changed = True
        if not changed:
            break
    for ref, loc, formula, cached in formulas:
        value = results.get(ref)
        if value and value != cached and not ctx.add(f"{loc}/formula value", value):
            return False
        if ref not in results and (not cached.strip() or not cached_shown):
            # (with or without a digit in its text: ``ROW()``, ``CODE("c")``, a defined
            # name's cells make digits from none; attack of 2026-12-07)
            if computes_unknown(formula, values.get):
                ctx.problem("active-content", f"{loc}/formula")
            if _DIGIT.search(formula) and not ctx.add(f"{loc}/formula", f"={formula}"):
                return False
    return True


_DIGIT = re.compile(r"[0-9]")
