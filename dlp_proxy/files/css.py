"""CSS as a browser reads it: the text a style sheet draws (``content`` of a
``::before``/``::after`` rule) and the list markers a page shows.

The tokenizer is hand-written, after CSS Syntax Level 3 section 4
(https://www.w3.org/TR/css-syntax-3/#tokenization): a maintained tokenizer (tinycss2)
would be preferable, but no new dependency could be added when this was written (issue
19, the CSS re-attack: ``\\63ontent``, ``co\\ntent``, ``content/**/:``, upper case and
nested rules each hid a ``content`` declaration from the regex that read them before).
It implements what the readings here need exactly as the specification says: escapes
(in identifiers, strings, hashes, at-keywords, function names, URLs), comments,
whitespace, strings and bad strings, URL tokens, numbers; every other code point is a
delim token.  Declarations are found over-inclusively: any identifier at the start of a
statement (after ``{``, ``;``, ``}`` or the sheet's start) followed by ``:``, in any
block at any depth (``@media``, ``@supports``, nested rules): every declaration a
browser applies is among them.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from html import unescape as html_unescape
from html.parser import HTMLParser
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

#: the characters read of a page's markup for its style sheets
MAX_CHARS = 4_000_000

_ESC = r"\\(?:[0-9A-Fa-f]{1,6}[ \t\n]?|[^\n0-9A-Fa-f]|\Z)"
_START = r"(?:[A-Za-z_\u0080-\U0010ffff]|" + _ESC + ")"
_NAME = r"(?:[A-Za-z0-9_\-\u0080-\U0010ffff]|" + _ESC + ")"
_IDENT = r"(?:--" + _NAME + "*|-?" + _START + _NAME + "*)"
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
#: one token at a time, in the order section 4.3.1 tries them
_TOKEN = re.compile(
    r"(?P<comment>/\*[\s\S]*?(?:\*/|\Z))"
    r"|(?P<ws>[ \t\n]+)"
    r"|(?P<string>\"(?:[^\"\\\n]|\\[\s\S])*\\?(?:\"|\Z|(?=\n))|'(?:[^'\\\n]|\\[\s\S])*\\?(?:'|\Z|(?=\n)))"
    r"|(?P<number>" + _NUMBER + r")(?P<unit>%|" + _IDENT + ")?"
    r"|(?P<cdc>-->)|(?P<cdo><!--)"
    r"|(?P<ident>" + _IDENT + r")(?P<paren>\()?"
    r"|@(?P<at>" + _IDENT + ")"
    r"|#(?P<hash>" + _NAME + "+)"
    r"|(?P<delim>[\s\S])"
)
_ESCAPE = re.compile(r"\\(?:([0-9A-Fa-f]{1,6})[ \t\n]?|(\n)|([\s\S])|\Z)")
#: the rest of an unquoted ``url(`` token, to its ``)`` (a bad URL's remnants too)
_URL_REST = re.compile(r"(?:[^)\\]|\\[\s\S])*\\?(?:\)|\Z)")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class Token(NamedTuple):
    """``kind``: ident, function, at, hash, string, bad-string, url, number, ws, delim
    (``{ } ( ) [ ] : ; ,`` are delims), cdo, cdc; ``value``: the unescaped name or
    string (a number's text and unit for a number)."""

    kind: str
    value: str


def unescape(text: str) -> str:
    """CSS escapes decoded (section 4.3.7): up to six hex digits and one white space
    after them (zero, a surrogate or a code point beyond U+10FFFF is U+FFFD), or the
    code point after the backslash; a backslash before a newline (in a string: a line
    continuation) and one at the end are dropped."""

    if "\\" not in text:
        return text  # (most names and strings: no escape to decode)

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            code = int(m.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        if m.group(2) is not None:
            return ""
        return m.group(3) if m.group(3) is not None else "\ufffd"

    return _ESCAPE.sub(one, text)


def lower(name: str) -> str:
    """ASCII lower case (CSS compares property and function names so; ``str.lower`` would
    also fold non-ASCII letters a browser does not)."""
    return name.translate(_ASCII_LOWER)


def preprocess(text: str) -> str:
    """Section 3.3: CR LF, CR and FF are LF; NUL is U+FFFD."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\0", "\ufffd")


_WS = Token("ws", " ")


def tokenize(text: str) -> Iterator[Token]:
    """The tokens of a style sheet, comments dropped (section 4)."""
    text = preprocess(text)
    pos, end = 0, len(text)
    while pos < end:
        m = _TOKEN.match(text, pos)
        assert m is not None  # the delim alternative matches any code point
        pos = m.end()
        last = m.lastgroup  # (the most common tokens told apart without trying every group)
        if last == "ws":
            yield _WS
            continue
        if last == "delim":
            yield Token("delim", m.group("delim"))
            continue
        if last == "ident":
            yield Token("ident", unescape(m.group("ident")))
            continue
        if m.group("comment") is not None:
            continue
        if (s := m.group("string")) is not None:
            closed = len(s) > 1 and s[-1] == s[0] and not _escaped_end(s)
            if not closed and pos < end and text[pos] == "\n":
                yield Token("bad-string", unescape(s[1:]))
            else:
                yield Token("string", unescape(s[1:-1] if closed else s[1:]))
        elif m.group("number") is not None:
            yield Token("number", m.group("number") + unescape(m.group("unit") or ""))
        elif m.group("cdc") is not None:
            yield Token("cdc", "-->")
        elif m.group("cdo") is not None:
            yield Token("cdo", "<!--")
        elif (name := m.group("ident")) is not None:
            value = unescape(name)
            if m.group("paren") is None:
                yield Token("ident", value)
                continue
            if lower(value) == "url":
                ws = re.compile(r"[ \t\n]*").match(text, pos)
                after = ws.end() if ws else pos
                if after >= end or text[after] not in "\"'":
                    rest = _URL_REST.match(text, after)
                    assert rest is not None
                    pos = rest.end()
                    yield Token("url", unescape(rest.group(0).rstrip(")").strip()))
                    continue
            yield Token("function", value)
        elif m.group("at") is not None:
            yield Token("at", unescape(m.group("at")))
        elif m.group("hash") is not None:
            yield Token("hash", unescape(m.group("hash")))
        else:
            yield Token("delim", m.group("delim"))


def _escaped_end(s: str) -> bool:
    """Whether a string token's last quote is escaped (an odd run of backslashes before it)."""
    run = len(s) - 1 - len(s[:-1].rstrip("\\"))
    return run % 2 == 1


@dataclass(frozen=True)
class Declaration:
    name: str  # unescaped, ASCII lower case
    value: tuple[Token, ...]  # its tokens, white space included, ``!important`` too


def declarations(tokens: Iterable[Token]) -> list[Declaration]:
    """Every ``name: value`` at a statement's start, in any block at any depth (a
    superset of the declarations a browser applies; a style attribute's list too).  A
    value ends at ``;``, ``{`` or ``}`` (a nested block's declarations are read on)."""
    out: list[Declaration] = []
    toks = [t for t in tokens if t.kind not in ("cdo", "cdc")]
    i, n = 0, len(toks)
    at_start = True
    while i < n:
        tok = toks[i]
        if tok.kind == "delim" and tok.value in "{};":
            at_start = True
            i += 1
            continue
        if tok.kind == "ws":
            i += 1
            continue
        if at_start and tok.kind == "ident":
            j = i + 1
            while j < n and toks[j].kind == "ws":
                j += 1
            if j < n and toks[j] == Token("delim", ":"):
                k = j + 1
                while k < n and not (toks[k].kind == "delim" and toks[k].value in "{};"):
                    k += 1
                out.append(Declaration(lower(tok.value), tuple(toks[j + 1:k])))
                i = k
                continue
        at_start = False
        i += 1
    return out


def parse(text: str) -> list[Declaration]:
    return declarations(tokenize(text))


# -- where a page holds CSS -------------------------------------------------------------

_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>([\s\S]*?)(?:</style\s*>|\Z)", re.IGNORECASE)
_CDATA = re.compile(r"<!\[CDATA\[|\]\]>")


@functools.lru_cache(maxsize=64)
def _attribute_pattern(name: str) -> re.Pattern[str]:
    """An attribute ``name`` of any element, its value quoted either way or bare."""
    return re.compile(r"""[\s"'/]""" + re.escape(name) + r"""\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""",
                      re.IGNORECASE)


def attribute_values(text: str, name: str) -> Iterator[str]:
    """The values a page's elements give the attribute ``name``, entities decoded."""
    for m in _attribute_pattern(name).finditer(text[:MAX_CHARS]):
        yield html_unescape(next(g for g in m.groups() if g is not None))


def _element_sheets(text: str) -> Iterator[str]:
    """Every ``<style>`` element's text: HTML's holds raw text, an SVG's or XHTML's
    decodes entities and may be CDATA (both readings when they differ)."""
    for m in _STYLE_ELEMENT.finditer(text[:MAX_CHARS]):
        raw = m.group(1)
        yield raw
        xml = html_unescape(_CDATA.sub("", raw))
        if xml != raw:
            yield xml


def style_sheets(text: str) -> Iterator[str]:
    """The style sheets of an HTML, XHTML or SVG page: every ``<style>`` element's text
    (``_element_sheets``), every ``style=""`` attribute's and every sheet it loads from a
    ``data:`` URI (``_data_sheets``)."""
    yield from _element_sheets(text)
    yield from attribute_values(text, "style")
    yield from _data_sheets(text[:MAX_CHARS], 0)


#: how deep style sheets in ``data:`` URIs are followed (a sheet's ``@import`` of another)
_DATA_SHEET_DEPTH = 3


def _data_sheets(text: str, depth: int) -> Iterator[str]:
    """The style sheets a page (or a sheet) loads from ``data:`` URIs: ``<link
    rel=stylesheet href="data:text/css;base64,...">``, ``@import url("data:...")``
    (the re-attack of 2026-12-07: an escaped ``content`` in such a sheet was read only as
    text).  Every ``data:`` URI of type ``text/css`` or of no type, decoded as UTF-8,
    and the sheets it loads in turn."""
    if depth >= _DATA_SHEET_DEPTH or "data:" not in text.lower():
        return
    from dlp_proxy.files.embedded import typed_data_uris

    for kind, blob in typed_data_uris(text):
        if kind in ("", "text/css"):
            sheet = blob[:MAX_CHARS].decode("utf-8", "replace")
            yield sheet
            yield from _data_sheets(sheet, depth + 1)


# -- generated content ----------------------------------------------------------------

#: what a ``content`` value computes rather than writes (a counter's value, an attribute's)
_COMPUTED = frozenset({"counter", "counters", "attr"})
#: the custom properties a value takes (``var(--s)``), read through up to this depth
_VAR_DEPTH = 8


def _strings(value: Iterable[Token]) -> str:
    return "".join(t.value for t in value if t.kind in ("string", "bad-string"))


#: declarations whose strings the browser draws: generated content, the quotation marks
#: ``<q>`` and ``open-quote`` draw, a list's marker string, a ``@counter-style``'s symbols,
#: prefix, suffix, padding and negative sign (the re-attack of 2026-12-07: each drew an
#: SSN from escaped strings that only ``content`` was read for)
_DRAWN = frozenset({"content", "quotes", "list-style-type", "list-style", "symbols", "additive-symbols",
                    "prefix", "suffix", "pad", "negative"})


def generated(sheets: Iterable[str], attributes: Callable[[str], list[str]] | None = None,
              ) -> tuple[list[str], bool]:
    """The text the drawn declarations (``_DRAWN``: ``content`` first) draw, one a line
    (their strings joined, escapes decoded, custom properties a ``var()`` names replaced
    by their values' strings, an ``attr(name)`` by each value the page gives the
    attribute, ``attributes``), and whether one computes its text (``counter()``,
    ``counters()``, an ``attr()`` with no ``attributes`` or too many values: a value the
    page does not write)."""
    decls = [d for sheet in sheets for d in parse(sheet)]
    custom: dict[str, list[tuple[Token, ...]]] = {}
    for d in decls:
        if d.name.startswith("--"):
            custom.setdefault(d.name, []).append(d.value)
    shown: list[str] = []
    computed = False
    for d in decls:
        if d.name not in _DRAWN:
            continue
        lines, comp = _expand(d.value, custom, 0, attributes)
        computed = computed or comp
        shown.extend(line for line in lines if line.strip())
    return shown, computed


def _expand(value: tuple[Token, ...], custom: dict[str, list[tuple[Token, ...]]],
            depth: int, attributes: Callable[[str], list[str]] | None = None) -> tuple[list[str], bool]:
    """A value's strings, each ``var(--x)`` replaced by every value ``--x`` is given and
    each ``attr(x)`` by every value the page gives ``x`` (``attributes``) (one line per
    combination, at most 4096: more is computed text)."""
    lines = [""]
    computed = False
    i = 0
    while i < len(value):
        tok = value[i]
        if tok.kind == "function" and lower(tok.value) == "attr" and attributes is not None:
            # (``a[href]:after { content: " (" attr(href) ")" }``, a print style sheet's:
            # the links' targets, which the markup holds, read where the sheet puts them)
            name = lower(next((t.value for t in value[i + 1:] if t.kind == "ident"), ""))
            values = sorted(set(attributes(name)))
            if len(values) > 4096 or len(lines) * max(len(values), 1) > 4096:
                return [], True
            lines = [a + b for a in lines for b in values or [""]]
        elif tok.kind == "function" and lower(tok.value) in _COMPUTED:
            computed = True
        if tok.kind == "function" and lower(tok.value) == "var":
            name = next((t.value for t in value[i + 1:] if t.kind == "ident"), "")
            options: list[str] = []
            for v in custom.get(name, [])[:4096]:
                if depth >= _VAR_DEPTH:
                    computed = True
                    break
                sub, comp = _expand(v, custom, depth + 1, attributes)
                computed = computed or comp
                options.extend(sub)
                if len(options) > 4096:
                    return [], True
            # the fallback (after the comma) is among the options: its strings are read on
            options = options or [""]
            if len(lines) * len(options) > 4096:
                return [], True
            lines = [a + b for a in lines for b in options]
        elif tok.kind in ("string", "bad-string"):
            lines = [a + tok.value for a in lines]
        i += 1
    return lines, computed


#: what may set a list's numbers (``list_markers``): a list's ``start`` or ``reversed``,
#: an item's ``value``, ``list-item`` anywhere (a rule's or a ``style=""``'s counter), a
#: ``style=""`` with an escape or an entity that may spell it (the page is parsed only then)
#: (an attribute anywhere, not inside an ``<ol`` tag found by ``[^>]*``: a ``>`` in a
#: quoted attribute before it, ``<ol title=">" start=...>``, hid it; the re-attack)
_MAY_NUMBER = re.compile(
    r"""(?i)\b(?:start|value)\s*=|\breversed\b|list-item|\bstyle\s*=\s*(?:"[^"]*[&\\]|'[^']*[&\\]|[^\s"'>]*[&\\])""")
#: a style sheet with this may draw text (``_DRAWN``) or number lists (``list-item``)
_MAY_DRAW = re.compile(r"(?i)content|quotes|list-style|counter-style")


def _attribute_values(text: str, name: str) -> list[str]:
    """The values the page's elements give the attribute ``name`` (entities decoded),
    at most 4097 of them (more is read as computed text)."""
    if not re.fullmatch(r"[a-z0-9_:.-]{1,64}", name):
        return []
    return list(itertools.islice(attribute_values(text, name), 4097))
_MAY_COUNT = re.compile(r"(?i)list-item")


def css_generated(text: str, ctx: Ctx, where: str = "") -> None:
    """The text style sheets generate in an HTML page, an SVG or a mail's HTML part
    (``content`` of a ``::before``/``::after`` rule, which the browser draws and the
    markup does not hold), read by tokenizing every ``<style>`` and ``style=""`` (so a
    property name written with escapes, ``\\63ontent`` or ``co\\ntent``, in upper case,
    with a comment before its colon or inside ``@media``/``@supports``/a nested rule is
    ``content`` as it is to a browser): each value's strings with CSS escapes decoded
    (``content:"\\35\\33\\36-..."`` is ``536-...``), one a line, as ``css/content``; a
    value that computes its text (``counter(a)`` after ``counter-reset: a 536``,
    ``attr()``, also with an escaped function name) makes the file ``active-content``
    (insider attack of 2026-12-06, F4; the CSS re-attack of issue 19).  List markers:
    ``list_markers``.  ``where``: the part of the file the page is (a mail's
    ``part=2``), its readings' locations put under it."""
    at = f"{where}/" if where else ""
    sheets = list(style_sheets(text))
    # (tokenized only when a sheet can hold a ``content`` declaration: the word, or an
    # escape that may spell it; every sheet then, for the custom properties a ``var()``
    # takes from another; a page's other style sheets cost no tokenizing)
    if any("\\" in sheet or _MAY_DRAW.search(sheet) for sheet in sheets):
        shown, computed = generated(sheets, functools.partial(_attribute_values, text))
        if computed:
            ctx.problem("active-content", f"{at}css/content")
        if shown:
            ctx.add(f"{at}css/content", "\n".join(shown))
    add_list_markers(text, ctx, at)


# -- list markers ---------------------------------------------------------------------

_COUNTER_PROPS = ("counter-reset", "counter-set", "counter-increment")
#: a list-item counter a style sheet rule sets this high (5 digits) draws markers that
#: spell an identifier with a few items
_BIG = 10_000
#: markers of this many digits are an identifier's (an SSN's 9)
_SHOWN_DIGITS = 10 ** 8


def _list_item_numbers(decl: Declaration) -> list[int]:
    """The numbers a counter declaration gives the ``list-item`` counter."""
    if decl.name not in _COUNTER_PROPS:
        return []
    toks = [t for t in decl.value if t.kind != "ws"]
    out: list[int] = []
    for i, t in enumerate(toks):
        if t.kind == "ident" and lower(t.value) == "list-item":
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and nxt.kind == "number":
                out.append(_int(nxt.value))
            else:
                out.append(1 if decl.name == "counter-increment" else 0)
        elif t.kind == "function" and lower(t.value) == "reversed":
            out.append(0)
    return out


def _int(number: str) -> int:
    m = re.match(r"[+-]?[0-9.eE+-]+", number)
    try:
        return int(float(m.group(0))) if m else 0
    except (ValueError, OverflowError):
        return _SHOWN_DIGITS


def list_counters_unsafe(text: str, uncomputed: list[int]) -> bool:
    """Whether a style sheet's ``counter-reset``, ``counter-set`` or
    ``counter-increment`` of ``list-item`` can make a list marker an identifier.

    The choice: a marker set by an element's own attributes or ``style=""`` is computed
    and read beside its item (``list_markers``: the element it applies to is known); one
    a ``<style>`` rule sets applies to the elements its selector matches, which this
    reading does not work out, so such a rule is refused (``active-content``) when its
    number has 5 digits or more (``ol.x{counter-reset:list-item AAAGGSSSS}``, one below an SSN), or when
    its numbers times the page's elements reach 9 digits (many small increments).  The
    same holds for a ``style=""`` declaration the marker reading does not compute
    (``uncomputed``: ``counter-increment``, a reset on an element that is not a list, a
    set on one that is not an item)."""
    rule_numbers = list(uncomputed)
    for sheet in _element_sheets(text):
        if "\\" not in sheet and not _MAY_COUNT.search(sheet):
            continue  # (no ``list-item``, no escape that may spell it: no rule numbers lists)
        for d in parse(sheet):
            rule_numbers.extend(_list_item_numbers(d))
    if not rule_numbers:
        return False
    biggest = max(abs(n) for n in rule_numbers)
    if biggest >= _BIG:
        return True
    elements = text.count("<") + 1
    return biggest * elements >= _SHOWN_DIGITS


class _Lists(HTMLParser):
    """Walks a page's lists: each ``<li>``'s (or ``display: list-item`` element's)
    number from its list's ``start``/``reversed``, its own ``value`` and the
    ``list-item`` counter declarations of ``style=""``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # each open list: [its items (number or None: counted later), reversed, start given]
        self.lists: list[tuple[list[list[object]], bool, int | None]] = []
        self.items: list[list[object]] = []  # [list index in done, number, text parts]
        self.done: list[tuple[list[list[object]], bool, int | None]] = []
        self.current: list[object] | None = None
        self.count = 0
        self.uncomputed: list[int] = []  # list-item numbers of style="" not computed here

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        decls = parse(a.get("style", "")) if "style" in a else []
        for d in decls:
            listed = tag in ("ol", "ul", "menu") if d.name == "counter-reset" else tag == "li"
            if d.name == "counter-increment" or (d.name in _COUNTER_PROPS and not listed):
                self.uncomputed.extend(_list_item_numbers(d))
        if tag in ("ol", "ul", "menu"):
            start = _attr_int(a.get("start")) if tag == "ol" else None
            reset = [n for d in decls if d.name == "counter-reset" for n in _list_item_numbers(d)]
            if reset:
                start = reset[-1] + 1
            self.lists.append(([], "reversed" in a, start))
            return
        display = any(d.name == "display" and "list-item" in _strings_and_idents(d.value) for d in decls)
        if tag != "li" and not display:
            return
        if not self.lists or self.count >= 100_000:
            return
        value = _attr_int(a.get("value"))
        for d in decls:
            nums = _list_item_numbers(d)
            if nums and d.name == "counter-set":
                value = nums[-1]
        item: list[object] = [value, []]
        self.lists[-1][0].append(item)
        self.current = item
        self.count += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ol", "ul", "menu") and self.lists:
            self.done.append(self.lists.pop())
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is not None:
            parts = self.current[1]
            assert isinstance(parts, list)
            if sum(len(p) for p in parts) < 200:
                parts.append(data)

    def close(self) -> None:
        super().close()
        while self.lists:
            self.done.append(self.lists.pop())


def _strings_and_idents(value: Iterable[Token]) -> str:
    return " ".join(lower(t.value) for t in value if t.kind == "ident")


def _attr_int(value: str | None) -> int | None:
    m = re.match(r"\s*([+-]?[0-9]{1,30})", value or "")
    return int(m.group(1)) if m else None


def list_markers(text: str) -> tuple[str, list[int]]:
    """The numbers an HTML page's ordered lists show beside their items, one item a line
    (``AAAGGSSSS. SSN of client`` for ``<ol start="AAAGGSSSS"><li>SSN of client``):
    a list's ``start`` (or its ``style="counter-reset: list-item N"``, which a browser
    lets win), ``reversed`` (counting down from the items' count when no start is
    given), an item's ``value`` or ``style="counter-set: list-item N"``.  Only lists
    whose markers have 5 digits or more are read (a marker of fewer digits spells no
    identifier and every page's lists would be read twice)."""
    parser = _Lists()
    parser.feed(text[:MAX_CHARS])
    parser.close()
    lines: list[str] = []
    for items, rev, start in parser.done:
        step = -1 if rev else 1
        number = start if start is not None else (len(items) if rev else 1)
        for item in items:
            value, parts = item
            if isinstance(value, int):
                number = value
            if abs(number) >= _BIG:
                assert isinstance(parts, list)
                lines.append(f"{number}. " + " ".join("".join(parts).split()))
            number += step
    return "\n".join(lines), parser.uncomputed


def add_list_markers(text: str, ctx: Ctx, at: str = "") -> None:
    """The list markers a page shows (``list_markers``, as ``html/list-markers``) and
    ``active-content`` for a ``list-item`` counter it does not compute
    (``list_counters_unsafe``)."""
    head = text[:MAX_CHARS]
    try:
        markers, uncomputed = list_markers(head) if _MAY_NUMBER.search(head) else ("", [])
    except Exception:  # (the markup reading failed: the markers are unknown, never taken as none)
        ctx.problem("corrupt", f"{at}html/list-markers")
        return
    if markers:
        ctx.add(f"{at}html/list-markers", markers)
    if list_counters_unsafe(head, uncomputed):
        ctx.problem("active-content", f"{at}css/list-item")
