"""DOCX, XLSX and PPTX read as OOXML packages (ZIP of XML parts), not through the
python-docx/openpyxl/python-pptx object models: those skip what a DLP scanner must
see (hidden rows and sheets keep their cells here; comments, headers, footers,
footnotes, notes, text boxes, alt text, tracked deletions, field codes, external
link targets, embedded objects).  Every XML part that is not known noise is read;
the ones without a specific reader are reported as ``part=<name>``.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import io
import math
import posixpath
import re
import zipfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lxml import etree

from dlp_proxy.files.bounded import entry_copies, read_zip_member, zip_directory
from dlp_proxy.files.cells import (
    BUILTIN_FORMATS,
    SHARED_UNKNOWN,
    col_index,
    col_letters,
    date_serial,
    evaluate,
    format_number,
    format_text,
    formula_values,
    shift_formula,
)
from dlp_proxy.files.limits import TimeUp
from dlp_proxy.files.rows import literal_lead, split_row
from dlp_proxy.files.xmltext import SHOWN, attribute_text, local, parse, parse_shown, unread_text

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

_NOISE = re.compile(
    r"(^\[Content_Types\]\.xml$|/theme/|/styles\.xml$|/stylesWithEffects\.xml$|/fontTable\.xml$|"
    r"/settings\.xml$|/webSettings\.xml$|/numbering\.xml$|/presProps\.xml$|/viewProps\.xml$|"
    r"/tableStyles\.xml$|/calcChain\.xml$|/printerSettings/|\.rels$|/customXml/itemProps)"
)
#: what a part named like noise must also be to be skipped: its content type and every
#: relationship to it say styles, theme, settings... (a part a relationship or its
#: content type makes content is read, whatever its name: attack pass 6, C3)
_NOISE_TYPES = re.compile(
    r"[./](styles|stylesWithEffects|theme|themeOverride|fontTable|settings|webSettings|numbering|presProps|"
    r"viewProps|tableStyles|calcChain|customXmlProperties|printerSettings)(\+xml)?$", re.IGNORECASE)
_NOISE_RELS = frozenset({"styles", "stylesWithEffects", "theme", "themeOverride", "fontTable", "settings",
                         "webSettings", "numbering", "presProps", "viewProps", "tableStyles", "calcChain",
                         "printerSettings", "customXmlProps"})


def _is_noise(content_type: str, rel_types: set[str]) -> bool:
    return bool(_NOISE_TYPES.search(content_type)) and rel_types <= _NOISE_RELS


_TEXT_TAGS = {"t", "delText", "instrText"}
_READ_TAGS = frozenset(_TEXT_TAGS)
_BREAK_TAGS = {"br", "cr"}
_PARA_TAGS = {"p", "tr", "si", "comment"}
_ALT_ATTRS = ("descr", "title")
#: text WordprocessingML keeps in an attribute: element -> attribute (ECMA-376 Part 1,
#: 17.16.19 fldSimple, 17.5.2.1 alias, 17.5.2.44 tag)
_ATTR_TEXT = {"fldSimple": "instr", "alias": "val", "tag": "val"}
#: text a reader never sees in the document as displayed: tracked deletions (hidden
#: under "simple markup") and field codes (the field's result is shown)
_UNSHOWN_TAGS = {"delText", "instrText"}
#: tracked changes whose runs "simple markup" does not show: a deletion, text moved away
_UNSHOWN_CHANGES = {"del", "moveFrom"}
_UNSHOWN = frozenset(_UNSHOWN_TAGS | _UNSHOWN_CHANGES)


def ooxml_text(root: Any, display: Display | None = None, *, fallback: bool = False) -> str:
    """Run text of any OOXML part: w:t, a:t, deleted text, field codes, alt text.

    With ``display``: the text as the application displays it: runs the reader
    cannot see (``Display.hidden``: hidden, white, tiny) and deleted text and field
    codes are left out, so text hidden *inside* an identifier
    (``AAA-GG-<hidden>lorem</hidden>SSSS``) does not break the identifier in this reading.

    An ``mc:AlternateContent`` shows one of its branches (ECMA-376 Part 3, 10.2): its
    first Choice (what Word 2010 and later draw), or with ``fallback`` its Fallback (what
    a reader that lacks the Choice's namespace draws); reading both side by side glued
    ``AAA-GG-`` to ``SSSS`` twice (re-attack of 2026-12-07 night, 3a)."""
    parts: list[str] = []
    #: ruby annotations (``w:rt``) of the paragraph being read: drawn above its base text,
    #: read on a line of their own after the paragraph (inline, ``AAA-GG-`` + ``77`` + base
    #: ``SSSS`` hid the SSN: re-attack of 2026-12-07 night, 3c)
    above: list[str] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        el, done = stack.pop()
        name = local(el.tag)
        if name == "AlternateContent" and not done:
            shown = _branch(el, fallback)
            for child in reversed(shown if shown is not None else ()):
                stack.append((child, False))
            continue
        if name == "rt" and not done and el is not root and local(getattr(el.getparent(), "tag", "")) == "ruby":
            above.append(ooxml_text(el, display, fallback=fallback))
            continue
        if done:
            if name in _PARA_TAGS:
                if above:
                    parts.append("\n" + " ".join(above))
                    above.clear()
                parts.append("\n")
            elif name == "tc":
                parts.append("\t")
            continue
        if display is not None:
            if name in _UNSHOWN:
                # (deleted text or a field code inside a number, ``AAA-GG-<w:del>x</w:del>SSSS``:
                # the reading as displayed is what Word's simple markup shows; file attack of
                # 2026-12-07)
                display.seen = display.seen or any(t.text for t in el.iter() if local(t.tag) in _TEXT_TAGS)
                continue
            if name == "r" and display.hidden(el):
                continue
        if name in _TEXT_TAGS:
            # the text of a text element around any element in it (an ignorable extension
            # element, ECMA-376 Part 3: Word drops the element and shows the text after it;
            # re-attack of 2026-12-07 night, 3b): the children's own text is not read
            parts.append((el.text or "") + "".join(c.tail or "" for c in el))
            continue
        if name == "tab":
            parts.append("\t")
        elif name in _BREAK_TAGS:
            parts.append("\n")
        elif name == "sym":
            parts.append(sym_text(el))
        if name in ("docPr", "cNvPr"):
            for attr in _ALT_ATTRS:
                value = el.get(attr)
                if value:
                    parts.append(f"\n{value}\n")
        elif display is None and name in _ATTR_TEXT:
            # a simple field's code (its result is the runs inside, as for w:instrText) and a
            # content control's title and tag (shown on its title tab when selected)
            value = _val(el, _ATTR_TEXT[name])
            if value:
                parts.append(f"\n{value}\n")
        stack.append((el, True))
        for child in reversed(el):
            stack.append((child, False))
    if above:
        parts.append("\n" + " ".join(above))
    return re.sub(r"\n{3,}", "\n\n", "".join(parts)).strip()


#: a run in a font this small (points) is not readable on screen or paper
TINY_POINTS = 2.0
#: a run scaled horizontally to this per cent of its width or less (``w:w``) is unreadable
TINY_SCALE = 10
_WHITE = frozenset({"FFFFFF", "FFFFFFFF", "white", "bg1", "lt1", "background1"})
_OFF = frozenset({"0", "false", "off"})


def _on(el: Any) -> bool:
    """A WordprocessingML toggle property (``<w:vanish/>``, ``w:val="true"``)."""
    return _val(el, "val", "true").lower() not in _OFF


def _val(el: Any, name: str = "val", default: str = "") -> str:
    """The attribute ``name`` of ``el`` in any namespace (``w:val``), else ``default``."""
    return next((v for k, v in el.attrib.items() if local(k) == name), default)


def _run_props(rpr: Any) -> dict[str, Any]:
    """The display properties a run (or a style) sets: hidden, white, tiny."""
    props: dict[str, Any] = {}
    if rpr is None:
        return props
    # DrawingML (pptx, charts, text boxes): a:rPr sz="100" (hundredths of a point)
    size = rpr.get("sz")
    if size is not None and size.isdigit():
        props["tiny"] = int(size) / 100 <= TINY_POINTS
    for child in rpr:
        tag = local(child.tag)
        if tag in ("vanish", "specVanish"):
            props["hidden"] = _on(child)
        elif tag in ("sz", "szCs") and _val(child).isdigit():  # half-points
            props["tiny"] = props.get("tiny", False) or int(_val(child)) / 2 <= TINY_POINTS
        elif tag == "w" and _val(child).rstrip("%").isdigit():
            props["squeezed"] = int(_val(child).rstrip("%")) <= TINY_SCALE
        elif tag == "color":
            props["white"] = _val(child).upper() in _WHITE or _val(child, "themeColor") in _WHITE
        elif tag == "solidFill":  # DrawingML fill of the glyphs
            colour = next(iter(child), None)
            props["white"] = colour is not None and (
                (colour.get("val") or "").upper() in _WHITE or (colour.get("val") or "") in _WHITE)
        elif tag == "noFill":
            props["hidden"] = True
    return props


class Display:
    """Which runs of a part a reader does not see: hidden (``w:vanish``,
    ``w:specVanish``), white (on the usual white page), in a font of
    ``TINY_POINTS`` or less, squeezed to ``TINY_SCALE`` per cent, or glyphs without
    fill, set on the run or through its character or paragraph style (``styles``:
    style id -> properties, from word/styles.xml)."""

    def __init__(self, styles: dict[str, dict[str, Any]] | None = None) -> None:
        self.styles = styles or {}
        self.seen = False  # a hidden run was met

    def hidden(self, run: Any) -> bool:
        props: dict[str, Any] = {}
        para = run.getparent()
        while para is not None and local(para.tag) not in ("p",):
            para = para.getparent()
        if para is not None:
            ppr = next((c for c in para if local(c.tag) == "pPr"), None)
            style = next((c for c in ppr if local(c.tag) == "pStyle"), None) if ppr is not None else None
            if style is not None:
                props.update(self.styles.get(_val(style), {}))
        rpr = next((c for c in run if local(c.tag) == "rPr"), None)
        if rpr is not None:
            style = next((c for c in rpr if local(c.tag) == "rStyle"), None)
            if style is not None:
                props.update(self.styles.get(_val(style), {}))
            props.update(_run_props(rpr))
        out = any(props.get(k) for k in ("hidden", "white", "tiny", "squeezed"))
        self.seen = self.seen or out
        return out


def word_styles(root: Any) -> dict[str, dict[str, Any]]:
    """Style id -> display properties (``_run_props``), following ``w:basedOn``."""
    own: dict[str, tuple[str, dict[str, Any]]] = {}
    for style in root:
        if local(style.tag) != "style":
            continue
        sid = _val(style, "styleId")
        based = next((_val(c) for c in style if local(c.tag) == "basedOn"), "")
        rpr = next((c for c in style if local(c.tag) == "rPr"), None)
        own[sid] = (based, _run_props(rpr))
    out: dict[str, dict[str, Any]] = {}
    for sid in own:
        chain: list[dict[str, Any]] = []
        at, seen = sid, set()
        while at in own and at not in seen and len(chain) < 32:
            seen.add(at)
            chain.append(own[at][1])
            at = own[at][0]
        merged: dict[str, Any] = {}
        for props in reversed(chain):
            merged.update(props)
        out[sid] = merged
    return out


def _branch(alternate: Any, fallback: bool) -> Any:
    """The branch of an ``mc:AlternateContent`` a reader shows: its first Choice, or its
    Fallback (``fallback``; each the other where it is missing); None when it has neither."""
    choice = next((c for c in alternate if local(c.tag) == "Choice"), None)
    other = next((c for c in alternate if local(c.tag) == "Fallback"), None)
    return (other if other is not None else choice) if fallback else (choice if choice is not None else other)


def add_readings(ctx: Ctx, sub: str, root: Any, display: Display) -> None:
    """The part's text as stored (every run), then, when it has runs a reader does not
    see, as displayed (``sub/displayed``): both are judged.  A part with an
    ``mc:AlternateContent`` is read with each one's first Choice, and again with its
    Fallback (``sub/fallback``)."""
    ctx.add(sub, ooxml_text(root))
    if next(root.iter("{*}AlternateContent"), None) is not None:
        ctx.add(f"{sub}/fallback", ooxml_text(root, fallback=True))
    table_rows(root, ctx, sub)
    display.seen = False
    shown = ooxml_text(root, display)
    if display.seen:
        ctx.add(f"{sub}/displayed", shown)
        table_rows(root, ctx, f"{sub}/displayed", display)


class Package:
    def __init__(self, zf: zipfile.ZipFile, ctx: Ctx, infos: dict[str, zipfile.ZipInfo] | None = None) -> None:
        self.zf = zf
        self.ctx = ctx
        self.infos = infos if infos is not None else {i.filename: i for i in zf.infolist() if not i.is_dir()}
        self.done: set[str] = set()
        self.display = Display()
        self._rels: dict[str, dict[str, tuple[str, str]]] = {}
        self._types: tuple[dict[str, str], dict[str, str]] | None = None
        self._attributes_read: set[str] = set()

    def read(self, name: str) -> bytes | None:
        info = self.infos.get(name)
        if info is None:
            return None
        self.done.add(name)
        if not self.ctx.budget.take_entry(self.ctx.loc(f"part={name}")):
            return None
        return read_zip_member(self.zf, info, self.ctx.child(f"part={name}"))

    def xml(self, name: str) -> Any:
        """Part ``name`` parsed (None: absent, over a limit, or not XML: ``corrupt``); every
        part parsed has its attribute values read once, whichever reader took it
        (``part=<name>/attributes``: a tracked change's author, a bookmark's or a style's
        name, a custom property's name; ``xmltext.attribute_text``)."""
        data = self.read(name)
        if data is None:
            return None
        root = parse_shown(data)
        if root is None:
            self.ctx.problem("corrupt", f"part={name}")
        elif name not in self._attributes_read:
            self._attributes_read.add(name)
            self.ctx.add(f"part={name}/attributes", attribute_text(root))
        return root

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """rId -> (absolute target part, type) for ``part`` (``""``: the package's own
        ``_rels/.rels``); external links are collected (once)."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if rels_name in self._rels:
            return self._rels[rels_name]
        out: dict[str, tuple[str, str]] = {}
        self._rels[rels_name] = out
        data = self.read(rels_name)
        if data is None:
            return out
        root = parse(data)
        if root is None:
            return out
        external: list[str] = []
        for rel in root:
            target = rel.get("Target", "")
            rid = rel.get("Id", "")
            rtype = rel.get("Type", "").rsplit("/", 1)[-1]
            if rel.get("TargetMode") == "External":
                external.append(target)
                continue
            if target.startswith("/"):
                absolute = target.lstrip("/")
            else:
                absolute = posixpath.normpath(posixpath.join(folder, target))
            out[rid] = (absolute, rtype)
        if external:
            self.ctx.add("links", "\n".join(external))
        return out

    def content_type(self, name: str) -> str:
        """The content type ``[Content_Types].xml`` gives part ``name``: its Override, else
        the Default of its extension (part names compare case-insensitively, OPC 9.1.1.1)."""
        if self._types is None:
            overrides: dict[str, str] = {}
            defaults: dict[str, str] = {}
            data = self.read("[Content_Types].xml")
            root = parse(data) if data is not None else None
            for el in root if root is not None else ():
                tag = local(el.tag)
                if tag == "Override":
                    overrides[el.get("PartName", "").lstrip("/").lower()] = el.get("ContentType", "")
                elif tag == "Default":
                    defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
            self._types = overrides, defaults
        overrides, defaults = self._types
        low = name.lower()
        if low in overrides:
            return overrides[low]
        return defaults.get(low.rsplit(".", 1)[-1] if "." in low else "", "")

    def main_part(self) -> str | None:
        """The package's main part as Word, Excel and PowerPoint find it: the target of the
        ``officeDocument`` relationship of ``_rels/.rels`` (ECMA-376 Part 2, OPC), not a
        conventional name; None when it names no part of the package."""
        for target, rtype in self.rels("").values():
            if rtype == "officeDocument" and target in self.infos:
                return target
        return None

    def targets(self) -> dict[str, set[str]]:
        """Every part some relationship of the package points at -> the relationship types."""
        out: dict[str, set[str]] = {}
        for name in list(self.infos):
            if name.endswith(".rels") and (name == "_rels/.rels" or "/_rels/" in "/" + name):
                folder = posixpath.dirname(posixpath.dirname(name))
                part = posixpath.join(folder, posixpath.basename(name)[: -len(".rels")])
                for target, rtype in self.rels(part).values():
                    out.setdefault(target, set()).add(rtype)
        return out


def extract_ooxml(data: bytes, ctx: Ctx, kind: str, name: str = "") -> None:
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
            # a package with two entries of one name is read once per copy: the file is
            # whatever the recipient's application takes it to be
            pkg = Package(zf, ctx if number == 0 else ctx.child(f"entry-copy={number}"), infos)
            main = pkg.main_part()
            main_kind = _MAIN_KINDS.get(_main_kind(pkg.content_type(main))) if main else None
            if main is None or main_kind is None:
                # no officeDocument relationship to a main part of a known type: the
                # conventional names (the package is read in full by _rest anyway)
                main_kind = kind
                main = _DEFAULT_MAIN.get(kind)
            if main_kind == "docx" and main:
                _docx(pkg, main)
            elif main_kind == "xlsx" and main:
                _xlsx(pkg, main)
            elif main_kind == "pptx" and main:
                _pptx(pkg, main)
            _rest(pkg)


#: the conventional main part of each kind, read when the package names none
_DEFAULT_MAIN = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}
_MAIN_KINDS = {"wordprocessingml": "docx", "ms-word": "docx", "spreadsheetml": "xlsx", "ms-excel": "xlsx",
               "presentationml": "pptx", "ms-powerpoint": "pptx"}


def _main_kind(content_type: str) -> str:
    """``wordprocessingml`` of ``application/vnd.openxmlformats-officedocument.
    wordprocessingml.document.main+xml`` (documents, templates, macro-enabled ones)."""
    for family in _MAIN_KINDS:
        if f".{family}." in content_type.lower() and content_type.lower().endswith("main+xml"):
            return family
    return ""


def _add_part(pkg: Package, name: str, sub: str) -> Any:
    """Read part ``name`` as ``sub``; its parsed root (None when unread)."""
    root = pkg.xml(name)
    if root is not None:
        add_readings(pkg.ctx, sub, root, pkg.display)
        # every other element and text attribute of the part (a tooltip, a form field's
        # entries, a chart's cached title): a specific reader is never the only reader
        add_unread(pkg.ctx, sub, root)
    return root


def table_rows(root: Any, ctx: Ctx, sub: str, display: Display | None = None) -> None:
    """Rows of Word and DrawingML tables (w:tr, a:tr) whose adjacent cells hold the
    groups of one identifier, each as a line of its own (``rows.split_row``)."""
    number = 0
    for el in root.iter():
        if not isinstance(el.tag, str) or local(el.tag) != "tr":
            continue
        number += 1
        cells = [ooxml_text(tc, display).replace("\n", " ") for tc in el
                 if isinstance(tc.tag, str) and local(tc.tag) == "tc"]
        for row in split_row(cells):
            ctx.add(f"{sub}/table-row={number}", row)


def _docx(pkg: Package, main: str = "word/document.xml") -> None:
    rels = pkg.rels(main)
    styles_part = next((t for t, rtype in rels.values() if rtype == "styles"), "word/styles.xml")
    styles = pkg.xml(styles_part)
    if styles is not None:
        pkg.display = Display(word_styles(styles))
    body = _add_part(pkg, main, "body")
    numbering = next((t for t, rtype in rels.values() if rtype == "numbering"), "word/numbering.xml")
    stories: list[tuple[str, Any]] = [("body", body)]
    settings = next((t for t, rtype in rels.values() if rtype == "settings"), "word/settings.xml")
    root = pkg.xml(settings)
    if root is not None:
        # document variables (``w:docVar``) a DOCVARIABLE field shows once updated
        add_unread(pkg.ctx, "settings", root)
    # parts read above as styles, numbering or settings (by their usual names when no
    # relationship names them) that a relationship says are content are read as content
    # too: a header saved as word/styles.xml is a header (attack pass 7, D4)
    auxiliary = {styles_part, numbering, settings}
    for target, rtype in rels.values():
        if target in pkg.done and target not in auxiliary:
            continue
        kind = {
            "header": "header",
            "footer": "footer",
            "comments": "comments",
            "footnotes": "footnotes",
            "endnotes": "endnotes",
            "commentsExtended": "comments",
        }.get(rtype)
        if kind:
            stories.append((kind, _add_part(pkg, target, kind)))
    # list labels in every story: a header's numbered paragraph shows its label on every
    # page (attack of 2026-12-07)
    _numbering(pkg, numbering, rels, stories)
    _page_numbers(pkg.ctx, body, stories)


def _level_number(count: dict[int, int], lvls: dict[int, tuple[int, str, str]], m: re.Match[str]) -> str:
    """A list label's ``%n``: level n's counter (its start when not counted yet) in the
    level's ``w:numFmt`` (ECMA-376 Part 1, 17.18.59) as Word draws it: ``decimalZero``
    zero-padded to two digits (``01``: attack of 2026-12-07, a serial one digit short),
    ``hex`` in hexadecimal (a start of 34576 draws ``8710``: re-attack of 2026-12-07),
    ``ordinal`` with its suffix, letters, Roman numerals, nothing for ``none`` and
    ``bullet``; a format not known here (``cardinalText``, the East Asian counting
    systems, circled and full-width digits) as decimal digits."""
    level = int(m.group(1)) - 1
    start, _text, fmt = lvls.get(level, (1, "", "decimal"))
    return _counter(count.get(level, start), fmt)


def _counter(n: int, fmt: str) -> str:
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt.startswith("custom:"):
        # Word 2010's custom formats (``0001, 0002, 0003, ...``): zero-padded to the
        # first item's width
        first = fmt[7:].split(",")[0].strip()
        if first.isdigit() and len(first) <= 8:
            return str(n).zfill(len(first))
    if fmt == "hex":
        return f"{n:X}"
    if fmt in ("none", "bullet"):
        return ""
    if fmt == "ordinal":
        return f"{n}{'th' if n % 100 in (11, 12, 13) else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
    if fmt in ("upperLetter", "lowerLetter") and n > 0:
        letters = chr(ord("A") + (n - 1) % 26) * min((n - 1) // 26 + 1, 64)  # (27 is AA, 53 AAA)
        return letters if fmt == "upperLetter" else letters.lower()
    if fmt in ("upperRoman", "lowerRoman") and 0 < n < 4000:
        roman = _roman(n)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(n)


def _roman(n: int) -> str:
    out = []
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        count, n = divmod(n, value)
        out.append(numeral * count)
    return "".join(out)


#: numbered paragraphs whose list labels are computed (a longer list keeps the rest uncomputed)
MAX_LIST_LABELS = 20000


def _numbering(pkg: Package, target: str, rels: dict[str, tuple[str, str]], stories: list[tuple[str, Any]]) -> None:
    """The labels Word computes for list paragraphs (``numbering``; returns the part read as it): each level's
    ``w:lvlText`` with ``%n`` replaced by level n's counter, counted from its
    ``w:start`` (ECMA-376 Part 1, 17.9), as decimal numbers; each label is followed by
    its paragraph's text, one paragraph a line.  Every level's ``lvlText`` as written is
    read by the part's generic reading."""
    root = pkg.xml(target)
    if root is None:
        return
    add_unread(pkg.ctx, "numbering", root)

    def val(el: Any, name: str, default: str = "") -> str:
        child = next((c for c in el if isinstance(c.tag, str) and local(c.tag) == name), None)
        return default if child is None else _val(child)

    levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # abstractNumId -> ilvl -> (start, lvlText, numFmt)
    links: dict[str, str] = {}  # abstractNumId -> the numbering style it takes its levels from
    nums: dict[str, str] = {}  # numId -> abstractNumId
    starts: dict[tuple[str, int], int] = {}  # (numId, ilvl) -> startOverride
    replaced: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId -> ilvl -> a level its override defines

    # (abstract or num id, ilvl) -> the level's ``w:lvlRestart`` (17.9.10): 0, it never
    # restarts; n, it restarts only after a level from the first to the n-th (one-based)
    restart_after: dict[tuple[str, int], int] = {}
    legal: set[tuple[str, int]] = set()  # (abstract or num id, ilvl) of levels with ``w:isLgl``

    def level(lvl: Any, owner: str) -> tuple[int, tuple[int, str, str]] | None:
        try:
            ilvl = int(_val(lvl, "ilvl", "0"))
            start = int(val(lvl, "start", "1") or "1")
        except ValueError:
            return None
        if any(isinstance(c.tag, str) and local(c.tag) == "isLgl" and _on(c) for c in lvl):
            legal.add((owner, ilvl))  # (17.9.4: the level's label shows every level's number in decimal)
        restart = val(lvl, "lvlRestart", "")
        if restart.isdigit() and int(restart) < ilvl + 1:
            restart_after[(owner, ilvl)] = int(restart)  # (one at its own level or deeper: the default)
        # the format, as Word 2010 reads it: the first in an ``mc:AlternateContent``'s Choice
        fmt_el = next((c for c in lvl.iter() if isinstance(c.tag, str) and local(c.tag) == "numFmt"), None)
        fmt = "decimal" if fmt_el is None else _val(fmt_el)
        if fmt == "custom" and fmt_el is not None:
            fmt = "custom:" + _val(fmt_el, "format")
        return ilvl, (start, val(lvl, "lvlText"), fmt)

    for el in root:
        tag = local(el.tag) if isinstance(el.tag, str) else ""
        if tag == "abstractNum":
            aid = _val(el, "abstractNumId")
            for lvl in el:
                lt = local(lvl.tag) if isinstance(lvl.tag, str) else ""
                if lt == "lvl" and (got := level(lvl, aid)) is not None:
                    levels.setdefault(aid, {})[got[0]] = got[1]
                elif lt == "numStyleLink":
                    links[aid] = _val(lvl)
        elif tag == "num":
            nid = _val(el, "numId")
            nums[nid] = val(el, "abstractNumId")
            for override in el:
                if isinstance(override.tag, str) and local(override.tag) == "lvlOverride":
                    try:
                        ilvl = int(_val(override, "ilvl", "0"))
                    except ValueError:
                        continue
                    with contextlib.suppress(ValueError):
                        starts[(nid, ilvl)] = int(val(override, "startOverride", "x"))
                    # a whole level inside the override replaces the abstract one (ECMA-376
                    # Part 1, 17.9.6; attack of 2026-12-07)
                    for lvl in override:
                        if isinstance(lvl.tag, str) and local(lvl.tag) == "lvl" and (got := level(lvl, nid)) is not None:
                            replaced.setdefault(nid, {})[ilvl] = got[1]
    styled = _style_numbering(pkg, rels, val)

    def levels_of(nid: str) -> dict[int, tuple[int, str, str]]:
        aid = nums.get(nid, "")
        if aid not in levels and aid in links:
            # a numbering style's link (``w:numStyleLink``, 17.9.21): the levels of the
            # abstract numbering its style's numId names
            aid = nums.get(styled.get(links[aid], ("", ""))[0], aid)
        own = levels.get(aid, {})
        return {**own, **replaced[nid]} if nid in replaced else own

    def labels(body: Any, by_abstract: bool, fallback: bool = False) -> list[str]:
        """Each numbered paragraph's label then its text: counted per ``w:num``, or (Word
        continues a list whose nums share their abstract numbering; 17.9.15) per
        abstract numbering, a num's ``startOverride`` restarting it at the num's first use."""
        counters: dict[str, dict[int, int]] = {}
        used: set[str] = set()
        lines: list[str] = []
        before = ""  # the paragraph before a list (its heading: "client SSN"), put in front of it
        for p in body.iter("{*}p"):
            if not fallback and p in in_fallback:
                continue  # (Word 2010 and later draw an ``mc:AlternateContent``'s Choice)
            ppr = next((c for c in p if isinstance(c.tag, str) and local(c.tag) == "pPr"), None)
            numpr = None if ppr is None else next(
                (c for c in ppr if isinstance(c.tag, str) and local(c.tag) == "numPr"), None)
            style = "" if ppr is None else val(ppr, "pStyle")
            if numpr is None and style not in styled:
                before = ooxml_text(p)[:200]
                continue
            if before:
                lines.append(before)
                before = ""
            # the paragraph's own numbering, else its style's (a heading's numbers: attack of
            # 2026-12-07); its own ilvl over the style's
            nid, style_level = styled.get(style, ("", "0"))
            if numpr is not None and val(numpr, "numId"):
                nid = val(numpr, "numId")
            try:
                ilvl = int((val(numpr, "ilvl") if numpr is not None else "") or style_level or "0")
            except ValueError:
                continue
            lvls = levels_of(nid)
            if ilvl not in lvls:
                continue
            count = counters.setdefault(nums.get(nid, nid) if by_abstract else nid, {})
            if by_abstract and nid not in used:
                used.add(nid)
                for (n, k), _start in starts.items():
                    if n == nid:
                        count.pop(k, None)  # (restarted: counted from the override below)
            start = starts.get((nid, ilvl), lvls[ilvl][0])
            count[ilvl] = count[ilvl] + 1 if ilvl in count else start
            owner = nums.get(nid, "")
            for deeper in [k for k in count if k > ilvl]:
                # a deeper level restarts after a shallower one, or after one of the
                # levels its lvlRestart names (an override's level's own, else the abstract's)
                after = restart_after.get((nid, deeper) if deeper in replaced.get(nid, {}) else (owner, deeper), deeper)
                if ilvl < after:
                    del count[deeper]
            shown = lvls
            if ((nid, ilvl) if ilvl in replaced.get(nid, {}) else (owner, ilvl)) in legal:
                # legal numbering (``w:isLgl``): every level's number in decimal (a label
                # ``%1-%2-%3`` over Roman levels, DXXXVI-XXII-SSSS as stored, is
                # AAA-GG-SSSS as Word draws it; the re-attack of 2026-12-07)
                shown = {k: (first, text, fmt if fmt.startswith("decimal") else "decimal")
                         for k, (first, text, fmt) in lvls.items()}
            label = re.sub(r"%([1-9])", functools.partial(_level_number, count, shown), lvls[ilvl][1])
            if label.strip():
                lines.append(f"{label} {ooxml_text(p)}".strip())
            if len(lines) >= MAX_LIST_LABELS:
                break
        return lines

    in_fallback: set[Any] = set()
    for kind, story in stories:
        if story is None:
            continue
        in_fallback = {p for fb in story.iter("{*}Fallback") for p in fb.iter("{*}p")}
        lines = labels(story, False)
        if lines:
            pkg.ctx.add(f"{kind}/list-labels", "\n".join(lines))
        continued = labels(story, True) if len(set(nums.values())) < len(nums) else lines
        if continued != lines:
            pkg.ctx.add(f"{kind}/list-labels/continued", "\n".join(continued))
        if in_fallback and (older := labels(story, False, fallback=True)) != lines:
            # (an older reader draws the Fallback: its paragraphs counted too)
            pkg.ctx.add(f"{kind}/list-labels/fallback", "\n".join(older))


#: fields that show a page number or count (``PAGE``, ``NUMPAGES``, ``SECTIONPAGES``)
_PAGE_FIELD = re.compile(r"^\s*(?:PAGE|NUMPAGES|SECTIONPAGES)\b", re.IGNORECASE)
#: pages read per numbering start (page 1 to 5 of each section)
PAGE_READINGS = 5


def _page_numbers(ctx: Ctx, body: Any, stories: list[tuple[str, Any]]) -> None:
    """Each paragraph with a page-number field as Word shows it on the first pages: the
    field's result the page's number, counted from each section's ``w:pgNumType
    w:start`` (and from 1), the rest of the paragraph as written (attack of 2026-12-07:
    ``AAA-GG-`` then ``PAGE`` in a header, numbering from SSSS, shows an SSN on page 1),
    one reading a line per page (``header/pages``)."""
    starts = {1}
    if body is not None:
        for el in body.iter("{*}pgNumType"):
            value = _val(el, "start")
            if value.isdigit() and len(value) <= 9:
                starts.add(int(value))
    pages = sorted({n for start in list(starts)[:16] for n in range(start, start + PAGE_READINGS)})
    for kind, story in stories:
        if story is None:
            continue
        lines: list[str] = []
        for p in story.iter("{*}p"):
            parts = _page_parts(p)
            if parts is not None:
                lines.extend("".join(str(n) if part is None else part for part in parts) for n in pages)
        if lines:
            ctx.add(f"{kind}/pages", "\n".join(lines[:4096]))


def _page_parts(p: Any) -> list[str | None] | None:
    """A paragraph's text in order with each page-number field's result as None (its
    cached result left out), or None when it has no such field."""
    parts: list[str | None] = []
    code: list[str] | None = None  # a complex field's code, while read
    skipping = found = False
    skipped: set[Any] = set()  # a simple field's own result text
    for el in p.iter():
        if not isinstance(el.tag, str):
            continue
        name = local(el.tag)
        if name == "fldChar":
            kind = _val(el, "fldCharType")
            if kind == "begin":
                code = []
            elif kind == "separate" and code is not None:
                skipping = _PAGE_FIELD.match("".join(code)) is not None
                if skipping:
                    parts.append(None)
                    found = True
                code = None
            elif kind == "end":
                if code is not None and _PAGE_FIELD.match("".join(code)):
                    parts.append(None)  # (a field with no result part)
                    found = True
                code, skipping = None, False
        elif name == "instrText" and code is not None:
            code.append(el.text or "")
        elif name == "fldSimple" and _PAGE_FIELD.match(
                _val(el, "instr")):
            parts.append(None)
            found = True
            skipped.update(el.iter("{*}t"))
        elif name == "t" and code is None and not skipping and el not in skipped:
            parts.append(el.text or "")
    return parts if found else None


def _style_numbering(pkg: Package, rels: dict[str, tuple[str, str]],
                     val: Callable[[Any, str, str], str]) -> dict[str, tuple[str, str]]:
    """Paragraph style id -> (numId, ilvl) of the numbering its ``w:pPr/w:numPr`` gives
    (ECMA-376 Part 1, 17.9.23: a style's paragraphs are numbered by it, as headings are),
    followed through ``w:basedOn`` (at most 16 steps)."""
    target = next((t for t, rtype in rels.values() if rtype == "styles"), "word/styles.xml")
    root = pkg.xml(target)
    if root is None:
        return {}
    own: dict[str, tuple[str, str]] = {}
    based: dict[str, str] = {}
    for st in root:
        if not isinstance(st.tag, str) or local(st.tag) != "style":
            continue
        sid = _val(st, "styleId")
        ppr = next((c for c in st if isinstance(c.tag, str) and local(c.tag) == "pPr"), None)
        numpr = None if ppr is None else next(
            (c for c in ppr if isinstance(c.tag, str) and local(c.tag) == "numPr"), None)
        if numpr is not None:
            own[sid] = (val(numpr, "numId", ""), val(numpr, "ilvl", ""))
        parent = val(st, "basedOn", "")
        if parent:
            based[sid] = parent
    out: dict[str, tuple[str, str]] = {}
    for sid in {*own, *based}:
        cur, steps = sid, 0
        while cur not in own and cur in based and steps < 16:
            cur, steps = based[cur], steps + 1
        if cur in own and own[cur][0] not in ("", "0"):  # (numId 0: numbering removed)
            out[sid] = own[cur]
    return out


def _metadata(pkg: Package) -> None:
    for name in ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml"):
        root = pkg.xml(name)
        if root is None:
            continue
        values = [el.text for el in root.iter() if isinstance(el.tag, str) and el.text and el.text.strip()]
        pkg.ctx.add("metadata", "\n".join(values))


def _rest(pkg: Package) -> None:
    """Every part no specific reader took: metadata, embedded files, other XML."""
    _metadata(pkg)
    targets = pkg.targets()  # also collects every relationship part's external links
    for name in list(pkg.infos):
        pkg.ctx.budget.check_time()
        if name in pkg.done or name.endswith(".rels") or name == "[Content_Types].xml":
            continue
        if _NOISE.search("/" + name) and _is_noise(pkg.content_type(name), targets.get(name, set())):
            # styles, themes, font tables, settings: no text of the document, but names a
            # reader is shown (a style's in the Styles pane, a font's, a theme's): their
            # attribute values are read (``Package.xml``)
            if name.endswith(".xml"):
                pkg.xml(name)
            continue
        if "/embeddings/" in name:
            content = pkg.read(name)
            if content is not None:
                pkg.ctx.child(f"embedded={posixpath.basename(name)}").extract(content, name=name)
            continue
        if "/media/" in name:
            if pkg.ctx.limits.ocr:
                content = pkg.read(name)
                if content is not None:
                    pkg.ctx.child(f"image={posixpath.basename(name)}").extract(content, name=name)
            continue
        if name.endswith(".xml") or name.endswith(".vml"):
            root = pkg.xml(name)
            if root is not None:
                add_readings(pkg.ctx, f"part={name}", root, pkg.display)
                # Parts no specific reader took hold their text in elements of their own
                # (custom XML that content controls bind to and Word shows, chart caches
                # ``c:v``): every element's character data is read too.
                pkg.ctx.add(f"part={name}/data", xml_character_data(root))
            continue
        # Any other part (an ``altChunk`` target Word imports on open: HTML, MHT, RTF, text,
        # another document; a thumbnail) is a file of its own kind; a picture only with OCR.
        if name.lower().endswith(_PICTURES) and (not pkg.ctx.limits.ocr or name.startswith("docProps/thumbnail")):
            continue  # (the package's thumbnail is a picture of its first page, which is read as text)
        content = pkg.read(name)
        if content is not None:
            pkg.ctx.child(f"part={name}").extract(content, name=name)


_PICTURES = (".jpeg", ".jpg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".webp")


def xml_character_data(root: Any) -> str:
    """Every element's text and tail, one per line."""
    out: list[str] = []
    for el in root.iter():
        for value in (el.text, el.tail):
            if value and value.strip():
                out.append(value.strip())
    return "\n".join(out)


def sym_text(root: Any) -> str:
    """A part's ``w:sym`` characters in order, joined (Word draws each as its character)."""
    chars: list[str] = []
    for el in root.iter("{*}sym"):  # (root itself when it is a w:sym)
        char = _val(el, "char")
        try:
            code = int(char, 16)
        except ValueError:
            continue
        if 0xF000 <= code <= 0xF0FF:
            code -= 0xF000
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            chars.append(chr(code))
    return "".join(chars)


def add_unread(ctx: Ctx, sub: str, root: Any) -> None:
    """``unread_text`` of a part a specific reader took, as ``sub/data``, and the
    results of its computed fields (``field_results``) as ``sub/fields``."""
    text = unread_text(root, _READ_TAGS)
    if text:
        ctx.add(f"{sub}/data", text)
    fields, unworked = field_results(root)
    if unworked:
        # an ``=`` field Word computes on update that the evaluator cannot work out
        # (``{= ABS(-53622871*10) \# ...}``; insider attack of 2026-12-06, F3)
        ctx.problem("active-content", f"{sub}/fields")
    if fields:
        ctx.add(f"{sub}/fields", fields)


_FIELD_BEGIN = re.compile(r"^\s*(?:SYMBOL\s+(?P<sym>0x[0-9A-Fa-f]+|\d+)|=(?P<expr>[^\\]*)(?:\\#\s*\"?(?P<fmt>[^\"]*)\"?)?)")


#: Word fields whose result is computed from their code: a sequence's value (``\r n``
#: resets it to n), a quotation, a bookmark set to a value, a condition's branches, a
#: prompt's default, a comparison, an equation field, a list number
_COMPUTING_FIELDS = frozenset({"SEQ", "QUOTE", "SET", "IF", "FILLIN", "ASK", "COMPARE", "EQ", "LISTNUM"})


def _no_cell(ref: str) -> str | None:
    """A Word field's formula is read without cells (a table reference counts as empty)."""
    return None


def field_results(root: Any) -> tuple[str, bool]:
    """What Word shows once it updates the fields of a part (``w:updateFields`` asks it to
    on open, F9 and printing do): a ``SYMBOL n`` field's character and an ``= formula``
    field's value under its ``\\#`` picture (``cells.evaluate``; quotes of the picture
    removed), each paragraph's results joined.  Field codes are read from ``w:instrText``
    runs (begin to separate) and ``w:fldSimple``.  Also whether an ``=`` field with a digit
    could not be evaluated, or a field computing its result from digits in its code
    (``_COMPUTING_FIELDS``) is there."""
    lines: list[str] = []
    unworked = False
    for p in root.iter("{*}p"):
        codes: list[str] = []
        current: list[str] | None = None
        for el in p.iter():
            if not isinstance(el.tag, str):
                continue
            name = local(el.tag)
            if name == "fldChar":
                kind = _val(el, "fldCharType")
                if kind == "begin":
                    current = []
                elif current is not None:
                    codes.append("".join(current))
                    current = None
            elif name == "instrText" and current is not None:
                current.append(el.text or "")
            elif name == "fldSimple":
                codes.append(_val(el, "instr"))
        shown: list[str] = []
        for code in codes[:4096]:
            m = _FIELD_BEGIN.match(code)
            if m is None:
                # a field that computes its result from numbers in its code (``SEQ a \r 536``,
                # ``SET``, ``IF``, ``FILLIN`` ...): Word shows the result once it updates it
                # (re-attack of 2026-12-06, F6)
                kind = code.split(None, 1)[0].upper() if code.strip() else ""
                unworked = unworked or (kind in _COMPUTING_FIELDS and any(c.isdigit() for c in code))
                continue
            if m.group("sym"):
                try:
                    n = int(m.group("sym"), 0)
                except ValueError:
                    continue
                if 0xF000 <= n <= 0xF0FF:
                    n -= 0xF000
                if 0 < n <= 0x10FFFF and not 0xD800 <= n <= 0xDFFF:
                    shown.append(chr(n))
                continue
            value = evaluate(m.group("expr") or "", _no_cell)
            if value is None:
                unworked = unworked or any(c.isdigit() for c in m.group("expr") or "")
                continue
            picture = (m.group("fmt") or "").replace("'", "")
            formatted = format_number(value, picture) if picture else None
            shown.append(formatted if formatted is not None else value)
            dropped = _dropping_picture(value, picture)
            if dropped is not None and dropped not in shown:
                shown.append(dropped)
        if shown:
            lines.append("".join(shown) if all(len(x) == 1 for x in shown) else " ".join(shown))
    return "\n".join(lines), unworked


_UNQUOTED_X = re.compile(r'"[^"]*"|(x)')


def _dropping_picture(value: str, picture: str) -> str | None:
    """A Word number picture's ``x`` (outside quotes, left of the decimal point): a digit
    placeholder that drops the digits left of it (``\\# x##`` on 111053 shows 053; attack
    of 2026-12-07: ``x00-00-0000`` on 99AAAGGSSSS shows AAA-GG-SSSS); the value so cut,
    under the picture with the ``x`` as a ``0``.  None without such an ``x``."""
    m = next((m for m in _UNQUOTED_X.finditer(picture) if m.group(1)), None)
    if m is None:
        return None
    rest = _UNQUOTED_X.sub(lambda q: q.group(0) if q.group(1) is None else "0", picture[m.start():])
    whole = re.sub(r'"[^"]*"', "", rest).split(".")[0]
    places = sum(whole.count(ch) for ch in "0#")
    try:
        number = float(value)
    except ValueError:
        return None
    if not places or abs(number) >= 1e15:
        return None
    cut = math.copysign(abs(number) % 10**places, number)
    return format_number(repr(cut), picture[: m.start()] + rest)


# -- XLSX ---------------------------------------------------------------------------

_CELL_RE = re.compile(r"^([A-Z]+)(\d+)$")


#: column letters -> number, for the columns met (a sheet has a few hundred at most)
_COLUMNS: dict[str, int] = {}


def _column_number(letters: str) -> int:
    n = col_index(letters)
    if len(_COLUMNS) < 4096:
        _COLUMNS[letters] = n
    return n


#: tag -> local name, for the tags met (a sheet has a handful): a dict look-up per
#: element instead of a string split
_LOCALS: dict[Any, str] = {}


def _name(tag: Any) -> str:
    name = _LOCALS.get(tag)
    if name is None:
        name = local(tag)
        if len(_LOCALS) < 4096:
            _LOCALS[tag] = name
    return name


_ASCII_DIGIT = re.compile(r"[0-9]")


def _has_digit(text: str) -> bool:
    """``any(ch.isdigit() for ch in text)``, in C for ASCII text."""
    if text.isascii():
        return _ASCII_DIGIT.search(text) is not None
    return any(map(str.isdigit, text))


#: an element whose local name is ``f`` (a formula), with any namespace prefix
_F_START = re.compile(rb"<(?:[^\s<>/:!?]+:)?f[\s/>]")
#: an XML declaration in an encoding in which ASCII characters are their own bytes
_ASCII_DECL = re.compile(
    rb"<\?xml[^>]*?encoding\s*=\s*[\"'](?:utf-?8|us-ascii|ascii|iso-8859-\d+|latin-?1|windows-125\d|cp125\d)[\"']",
    re.I)


def _may_have_formulas(data: bytes) -> bool:
    """Whether a sheet part can hold a formula (``<f>``): False only when its bytes
    are in an encoding where ``<f`` is written as such (UTF-8 or an ASCII-compatible
    declared one) and no such tag is there.  Without formulas the reader keeps no
    cell values for their evaluation."""
    head = data[:256]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.startswith(b"<") or head[1:2] == b"\x00":
        return True  # UTF-16/32, leading white space, not XML: assume formulas
    if head.startswith(b"<?xml") and b"encoding" in head[: head.find(b"?>") if b"?>" in head else None] \
            and not _ASCII_DECL.match(head):
        return True
    return _F_START.search(data) is not None


def _xlsx(pkg: Package, main: str = "xl/workbook.xml") -> None:
    ctx = pkg.ctx
    wb_rels = pkg.rels(main)
    shared: list[tuple[str, str]] = []  # (stored, displayed) per shared string
    for target, rtype in wb_rels.values():
        if rtype == "sharedStrings":
            root = pkg.xml(target)
            if root is not None:
                for si in root:
                    shared.append(rich_text(si))
    formats, dxfs = _cell_formats(pkg, wb_rels)
    wb = pkg.xml(main)
    if wb is None:
        return
    names: list[str] = []
    sheets: list[tuple[str, str, str]] = []  # name, state, part
    recalculated = True  # no calcPr: Excel computes the formulas when it opens the file
    for el in wb.iter():
        tag = local(el.tag)
        if tag == "calcPr":
            recalculated = recalculated_on_open(el.get("fullCalcOnLoad"), el.get("calcId"))
        elif tag == "sheet":
            rid = _val(el, "id")
            part = wb_rels.get(rid, ("", ""))[0]
            sheets.append((el.get("name", "?"), el.get("state", "visible"), part))
            names.append(el.get("name", ""))
        elif tag == "definedName":
            names.append(f"{el.get('name', '')} = {el.text or ''}")
    ctx.add("workbook", "\n".join(names))
    for sheet_name, state, part in sheets:
        ctx.budget.check_time()
        if not part or part not in pkg.infos:
            continue
        hidden_sheet = state != "visible"
        data = pkg.read(part)
        if data is None:
            continue
        try:
            reader = _sheet_table if len(data) > TABLE_MIN_BYTES else _sheet_cells
            if not reader(data, sheet_name, hidden_sheet, shared, ctx, formats, recalculated):
                return
            if any(dxfs) and b"conditionalFormatting" in data and not _conditional_formats(
                    data, sheet_name, hidden_sheet, shared, ctx, formats, dxfs):
                return
        except TimeUp:
            raise
        except etree.XMLSyntaxError:
            ctx.problem("corrupt", f"sheet={sheet_name}")
        for target, rtype in pkg.rels(part).values():
            if rtype == "comments":
                _sheet_comments(pkg, target, sheet_name, hidden_sheet)


#: the calculation engine of the current Excel (Microsoft 365): Excel computes every formula
#: again when it opens a workbook saved by an older one (a smaller ``calcId``)
CURRENT_CALC_ID = 191029


def recalculated_on_open(full_calc_on_load: str | None, calc_id: str | None) -> bool:
    """Excel computes the workbook's formulas when it opens it, so a formula's saved value
    is not what it shows: ``fullCalcOnLoad``, or a ``calcId`` older than the current
    Excel's (openpyxl writes 124519), or none (re-attack of 2026-12-06, F9: ``HEX2DEC``
    saved with the value 0 showed an SSN once opened)."""
    if full_calc_on_load in ("1", "true"):
        return True
    try:
        return int(calc_id or "0") < CURRENT_CALC_ID
    except ValueError:
        return True


def _cell_formats(pkg: Package, wb_rels: dict[str, tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Per cell style index (the ``s`` attribute of a cell), its number format code; and
    per differential format (``dxfs``, what a conditional format applies), its number
    format code ("" for none)."""
    target = next((t for t, rtype in wb_rels.values() if rtype == "styles"), "xl/styles.xml")
    root = pkg.xml(target)
    if root is None:
        return [], []
    codes: dict[int, str] = dict(BUILTIN_FORMATS)
    out: list[str] = []
    dxfs: list[str] = []
    for el in root:
        if local(el.tag) == "dxfs":
            for dxf in el:
                fmt = next((f for f in dxf if local(f.tag) == "numFmt"), None)
                dxfs.append("" if fmt is None else fmt.get("formatCode", ""))
    for el in root:
        tag = local(el.tag)
        if tag == "numFmts":
            for fmt in el:
                try:
                    codes[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
                except ValueError:
                    continue
        elif tag == "cellXfs":
            for xf in el:
                try:
                    out.append(codes.get(int(xf.get("numFmtId", "0")), ""))
                except ValueError:
                    out.append("")
    return out, dxfs


#: conditional formats read per sheet, at most (each a range list and its formats)
MAX_CONDITIONAL = 1024
_RANGE = re.compile(r"\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?")


def _conditional_formats(data: bytes, sheet: str, hidden_sheet: bool, shared: list[tuple[str, str]], ctx: Ctx,
                         formats: list[str], dxfs: list[str]) -> bool:
    """Cells as a conditional format with a number format shows them (Excel's
    Conditional Formatting > Format > Number: a ``dxf`` ``numFmt`` replaces the cell's
    format while the rule holds).  Rules are not evaluated: every cell of the rule's
    ranges is also read under the rule's format, as ``sheet=S!B2/conditional``
    (``"AAA-GG-SSSS"`` on 1, ``000-00-0000`` on AAAGGSSSS, ``"536-22-"@`` on "8710").
    Rules of the worksheet (``dxfId``) and of its x14 extension (a ``dxf`` inline)."""
    rules: list[tuple[list[tuple[int, int, int, int]], list[str]]] = []
    for _event, el in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}conditionalFormatting",
                                      resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, **SHOWN):
        sqref = el.get("sqref") or next((x.text or "" for x in el.iter() if local(x.tag) == "sqref"), "")
        codes: list[str] = []
        for x in el.iter():
            tag = local(x.tag)
            if tag == "cfRule" and x.get("dxfId", "").isdigit() and int(x.get("dxfId", "")) < len(dxfs):
                codes.append(dxfs[int(x.get("dxfId", ""))])
            elif tag == "numFmt":
                codes.append(x.get("formatCode", ""))
        codes = [c for c in dict.fromkeys(codes) if c and c != "General"]
        ranges = []
        for span in _RANGE.finditer(sqref):
            c1, r1 = col_index(span.group(1)), int(span.group(2))
            c2, r2 = (col_index(span.group(3)), int(span.group(4))) if span.group(3) else (c1, r1)
            ranges.append((min(c1, c2), min(r1, r2), max(c1, c2), max(r1, r2)))
        if codes and ranges and len(rules) < MAX_CONDITIONAL:
            rules.append((ranges, codes))
        el.clear()
    if not rules:
        return True
    count = 0
    for _event, row in etree.iterparse(io.BytesIO(data), events=("end",), tag="{*}row", resolve_entities=False,
                                       no_network=True, load_dtd=False, huge_tree=False, **SHOWN):
        for c in row:
            m = _CELL_RE.match(c.get("r", ""))
            if local(c.tag) != "c" or m is None:
                continue
            col, line = col_index(m.group(1)), int(m.group(2))
            codes = [code for ranges, cs in rules for code in cs
                     if any(c1 <= col <= c2 and r1 <= line <= r2 for c1, r1, c2, r2 in ranges)]
            if not codes:
                continue
            text, shown, _formula = _cell_text(c, shared, formats)
            value = next((v.text for v in c if local(v.tag) == "v"), None)
            number = c.get("t", "n") in ("n", "d") and value is not None
            if number and c.get("t") == "d":
                value = date_serial(value or "")  # (a date cell as its serial: attack of 2026-12-07)
            for code in dict.fromkeys(codes):
                out = format_number(value or "", code) if number else format_text(shown or text, code)
                if out is not None and out not in (text, shown):
                    loc = f"sheet={sheet}!{c.get('r')}" + (" (hidden)" if hidden_sheet else "") + "/conditional"
                    if not ctx.add(loc, out):
                        return False
        row.clear()
        count += 1
        if count % 256 == 0:
            ctx.budget.check_time()
    return True


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
    formulas: list[tuple[str, str, str, str]] = []  # (ref, location, formula, cached value)
    shared_formulas: dict[str, tuple[str, str]] = {}  # a shared formula's si -> (its master's ref, formula)
    codes: dict[str, str] = {}  # formula cell ref -> its number format
    events = etree.iterparse(
        io.BytesIO(data), events=("end",), tag=("{*}row", "{*}col"), resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False, **SHOWN
    )
    for _event, el in events:
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
                text, shown, formula = _cell_text(c, shared, formats or [], shared_formulas)
                if ref:
                    values[ref] = shown
                if not text:
                    continue
                m = _CELL_RE.match(ref)
                column = m.group(1) if m else ""
                has_digit = any(ch.isdigit() for ch in text)
                if m and shown:
                    row_cells.append((col_index(column), literal_lead(text, shown)))
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
                    # has no header (A1 "SSN", B1 AAAGGSSSS) or the label's column is a key
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
                if m and col_index(m.group(1)) in hidden_cols:
                    flags.append("hidden column")
                loc = f"sheet={sheet}!{ref}" + (f" ({', '.join(flags)})" if flags else "")
                if formula and ref:
                    formulas.append((ref, loc, formula, shown))
                    if code := _format_of(c, formats or []):
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
    return _sheet_rest(events.root, sheet, hidden_sheet, ctx) and formula_values(formulas, values, ctx, codes,
                                                                                     cached_shown=not recalculated)


def _format_of(c: Any, formats: list[str]) -> str:
    """A cell's number format code ("" for General or none)."""
    try:
        code = formats[int(c.get("s", "0"))]
    except (ValueError, IndexError):
        return ""
    return "" if code in ("General", "@") else code


def _sheet_rest(root: Any, sheet: str, hidden_sheet: bool, ctx: Ctx) -> bool:
    """Every element of a sheet part but its cells (``sheetData``, read cell by cell):
    headers and footers, data validation prompts, hyperlink tooltips, ... (``unread_text``)."""
    if root is None:
        return True
    parts = [unread_text(el) for el in root if isinstance(el.tag, str) and _name(el.tag) != "sheetData"]
    # and the attribute values of those elements (``xmltext.attribute_text``)
    parts += [attribute_text(el) for el in root if isinstance(el.tag, str) and _name(el.tag) != "sheetData"]
    text = "\n".join(p for p in parts if p)
    suffix = " (hidden)" if hidden_sheet else ""
    return not text or ctx.add(f"sheet={sheet}{suffix}/data", text)


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


_TABLE_UNSAFE = re.compile(r'[\t\n\r"]')


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
    column header, or a key column) is written in front of it (``SSN: AAAGGSSSS``);
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
    formulas: list[tuple[str, str, str, str]] = []
    shared_formulas: dict[str, tuple[str, str]] = {}
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

    keep_values = _may_have_formulas(data)
    fmts = formats or []
    key_columns: dict[str, bool] = {}  # header row's columns -> whether the column is a key column
    codes: dict[str, str] = {}  # formula cell ref -> its number format
    events = etree.iterparse(
        io.BytesIO(data), events=("end",), tag=("{*}row", "{*}col"), resolve_entities=False, no_network=True,
        load_dtd=False, huge_tree=False, **SHOWN
    )
    for _event, el in events:
        tag = _name(el.tag)
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
        # a cell of this row read on its own (as _sheet_cells would), not as a table field
        row_apart = row_hidden or bool(hidden_cols)
        header_row = headers is None
        row_labels: dict[str, str] = {}
        row_has_digit = False
        row_label = ""
        line: list[str] = []
        row_cells: list[tuple[int, str]] = []
        for c in el.iterchildren("{*}c"):  # (any namespace or none: the elements ``local`` names "c")
            ref = c.get("r", "")
            text, shown, formula = _cell_text(c, shared, fmts, shared_formulas)
            m = _CELL_RE.match(ref)
            if m:
                column = m.group(1)
                col = _COLUMNS.get(column) or _column_number(column)
            else:
                col = len(line) + 1
                column = col_letters(col)
                ref = f"{column}{row_no}"
            if keep_values:
                values[ref] = shown
            if not text:
                continue
            has_digit = _ASCII_DIGIT.search(text) is not None if text.isascii() else _has_digit(text)
            if shown:
                row_cells.append((col, literal_lead(text, shown)))
            if header_row:
                row_has_digit = row_has_digit or has_digit
                if _is_label(shown):
                    row_labels[column] = shown.strip()
            value = shown
            if row_label and has_digit and value:
                value = f"{row_label}: {value}"
            elif not has_digit and (not headers or key_columns.get(column, True)) and _is_label(shown):
                row_label = shown.strip()
            apart = col > TABLE_MAX_COLS or (row_apart and (row_hidden or col in hidden_cols))
            # the cell's own segments: its formula, a stored value the display does not
            # show, or the whole cell when it is hidden or right of column IV
            plain = text == shown and "\n" not in text
            if formula or apart or not plain:
                flags = [f for f, on in (("hidden", hidden_sheet), ("hidden row", row_hidden),
                                         ("hidden column", col in hidden_cols)) if on]
                loc = f"sheet={sheet}!{ref}" + (f" ({', '.join(flags)})" if flags else "")
                if formula:
                    formulas.append((ref, loc, formula, shown))
                    if code := _format_of(c, fmts):
                        codes[ref] = code
                if apart:
                    # located as today: a reviewer sees the cell was hidden
                    if not ctx.add(loc, text) or (shown and shown not in text.split("\n")
                                                  and not ctx.add(f"{loc}/displayed", shown)):
                        return False
                    continue
                if not plain:
                    extra = [p for p in text.split("\n") if p and p != shown and (
                        _FORMULA_TEXT.search(p) if p.startswith("=")
                        else _LONG_DIGITS.search(p) or c.get("t") in ("s", "inlineStr"))]
                    if extra and not ctx.add(loc, "\n".join(extra)):
                        return False
            if value:
                if len(line) < col - 1:
                    line.extend([""] * (col - 1 - len(line)))
                if _TABLE_UNSAFE.search(value) is not None:
                    value = _table_value(value)
                if len(line) >= col:  # a repeated or out-of-order reference
                    line[col - 1] += " " + value
                else:
                    line.append(value)
        if len(row_cells) >= 2 and not _split_row_cells(row_cells, f"sheet={sheet}!row={row_no}", ctx, hidden_sorted):
            return False
        if header_row and (row_labels or row_has_digit):
            headers = {} if row_has_digit else row_labels
            key_columns = {k: v.strip().lower() in KEY_HEADERS for k, v in headers.items()}
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
    return _sheet_rest(events.root, sheet, hidden_sheet, ctx) and formula_values(formulas, values, ctx, codes,
                                                                                     cached_shown=not recalculated)


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
    return 0 < len(t) <= MAX_HEADER_CHARS and any(map(str.isalpha, t)) and not t.startswith("=")


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
    if len(si) == 1:  # one plain <t>: the usual string, read without walking the tree
        t = si[0]
        if len(t) == 0 and _name(t.tag) == "t" and _name(si.tag) != "t":
            plain = t.text or ""
            return plain, plain
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


def _cell_text(c: Any, shared: list[tuple[str, str]], formats: list[str],
               shared_formulas: dict[str, tuple[str, str]] | None = None) -> tuple[str, str, str]:
    """(text to scan, displayed value, formula).  The text holds the stored value
    and the formula as written; the displayed value is the value under the cell's
    number format (``000-00-0000`` on AAAGGSSSS shows ``AAA-GG-SSSS``), or a rich
    string without its runs a reader does not see (``rich_text``).  A shared formula
    (``<f t="shared" si="0"/>``, as Excel writes a formula filled down) is its master's
    with the references moved (``cells.shift_formula``; ``shared_formulas``: the sheet's
    masters by ``si``, filled in as they are read)."""
    ctype = c.get("t", "n")
    if len(c) == 1:  # the usual cell: a value or an inline string alone (as the loop below reads it)
        child = c[0]
        name = _name(child.tag)
        if name == "v":
            value = child.text
            if value is None:
                return "", "", ""
            if ctype == "s":
                try:
                    stored, shown = shared[int(value)]
                except (ValueError, IndexError):
                    stored = shown = value
                return stored, _as_text_format(c, formats, shown), ""
            if ctype == "str":
                return value, _as_text_format(c, formats, value), ""
            shown = value
            if ctype in ("n", "d"):
                try:
                    code = formats[int(c.get("s", "0"))]
                except (ValueError, IndexError):
                    code = ""
                if code and code != "General" and code != "@":  # (format_number shows those as stored)
                    formatted = format_number(value if ctype == "n" else date_serial(value), code)
                    if formatted is not None and formatted != value:
                        shown = formatted
            return value, shown, ""
        if name == "is":
            stored, shown = rich_text(child)
            return stored, _as_text_format(c, formats, shown), ""
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
                if ctype in ("n", "d"):
                    try:
                        code = formats[int(c.get("s", "0"))]
                    except (ValueError, IndexError):
                        code = ""
                    formatted = format_number(child.text if ctype == "n" else date_serial(child.text),
                                              code) if code else None
                    if formatted is not None and formatted != child.text:
                        shown = formatted
                parts.append(child.text)
        elif tag == "is":
            stored, shown = rich_text(child)
            parts.append(stored)
        elif tag == "f":
            written = child.text or ""
            if child.get("t") == "shared" and shared_formulas is not None:
                si = child.get("si", "")
                if written:
                    shared_formulas.setdefault(si, (c.get("r", ""), written))
                elif si in shared_formulas:
                    written = shift_formula(*shared_formulas[si], c.get("r", ""))
                else:
                    # no master read before it: the spreadsheet computes what no one can
                    # read here (fail closed: ``formula_values`` makes it active content)
                    written = SHARED_UNKNOWN
            if written:
                formula = written
                parts.append(f"={written}")
    if ctype in ("s", "str", "inlineStr") and shown:
        shown = _as_text_format(c, formats, shown)
    return "\n".join(p for p in parts if p), shown, formula


def _as_text_format(c: Any, formats: list[str], shown: str) -> str:
    """A text cell's value as its number format's text section shows it (``"536-22-"@``
    on ``8710``: ``AAA-GG-SSSS``; ``cells.format_text``)."""
    if not formats:
        return shown
    try:  # (a cell without ``s`` has style 0, ECMA-376 Part 1 18.3.1.4: attack of 2026-12-07)
        code = formats[int(c.get("s", "0"))]
    except (ValueError, IndexError):
        return shown
    return format_text(shown, code) or shown


def _sheet_comments(pkg: Package, part: str, sheet: str, hidden_sheet: bool) -> None:
    root = pkg.xml(part)
    if root is None:
        return
    for el in root.iter():
        if local(el.tag) == "comment":
            text = ooxml_text(el)
            suffix = " (hidden)" if hidden_sheet else ""
            pkg.ctx.add(f"sheet={sheet}!{el.get('ref', '')}{suffix}/comment", text)


# -- PPTX ---------------------------------------------------------------------------


#: a paragraph's own bullet kinds (any of them overrides its list style's)
_BULLETS = frozenset({"buAutoNum", "buNone", "buChar", "buBlip"})
#: ``a:buAutoNum`` schemes that number with letters or roman numerals (no digits shown)
_LETTER_SCHEMES = ("alpha", "roman", "ea1", "hebrew", "thai", "hindi", "arabicAbjad", "arabicAlpha")


def auto_numbers(root: Any) -> str:
    """Paragraphs numbered by their bullet (``a:buAutoNum``: PowerPoint draws the number,
    counted from ``startAt``, before the paragraph's text; attack of 2026-12-07:
    ``startAt="NNNN"`` before the other three groups shows a card): each label, as the scheme
    writes it (``N.``, ``(N)``, ``N)``), then its paragraph's text, one a line.
    A paragraph continues the count of the one before it in its text body at its level
    and scheme; another paragraph at that level restarts it."""
    lines: list[str] = []
    for body in root.iter("{*}txBody"):
        counts: dict[int, tuple[str, int]] = {}  # level -> (scheme, last number)
        # the text body's list style: a level's bullet a paragraph at that level takes when
        # its own properties name none (DrawingML's inheritance; attack of 2026-12-07)
        styled: dict[int, Any] = {}
        for lst in (c for c in body if isinstance(c.tag, str) and local(c.tag) == "lstStyle"):
            for lvl in lst:
                m = re.fullmatch(r"lvl([1-9])pPr", local(lvl.tag)) if isinstance(lvl.tag, str) else None
                if m is not None:
                    styled[int(m.group(1)) - 1] = next(
                        (c for c in lvl if isinstance(c.tag, str) and local(c.tag) == "buAutoNum"), None)
        for p in body:
            if not isinstance(p.tag, str) or local(p.tag) != "p":
                continue
            ppr = next((c for c in p if isinstance(c.tag, str) and local(c.tag) == "pPr"), None)
            try:
                level = int(ppr.get("lvl", "0")) if ppr is not None else 0
            except ValueError:
                level = 0
            own = [] if ppr is None else [c for c in ppr if isinstance(c.tag, str) and local(c.tag) in _BULLETS]
            auto = next((c for c in own if local(c.tag) == "buAutoNum"), None) if own else styled.get(level)
            if auto is None:
                counts.pop(level, None)
                continue
            scheme = auto.get("type", "arabicPeriod")
            try:
                start = int(auto.get("startAt", "1"))
            except ValueError:
                start = 1
            previous = counts.get(level)
            n = previous[1] + 1 if previous is not None and previous[0] == scheme else start
            counts[level] = (scheme, n)
            for deeper in [k for k in counts if k > level]:
                del counts[deeper]
            if scheme.startswith(_LETTER_SCHEMES):
                continue
            label = (f"({n})" if "ParenBoth" in scheme else f"{n})" if "ParenR" in scheme
                     else f"{n}." if "Period" in scheme else str(n))
            text = "".join(t.text or "" for t in p.iter("{*}t"))
            lines.append(f"{label} {text}".strip())
    return "\n".join(lines)


_BULLET_PARTS = re.compile(r"ppt/(?:notesSlides|slideLayouts|slideMasters|notesMasters)/[^/]+\.xml$")


def _pptx(pkg: Package, main: str = "ppt/presentation.xml") -> None:
    ctx = pkg.ctx
    pres_rels = pkg.rels(main)
    pres = pkg.xml(main)
    order: list[str] = []
    if pres is not None:
        for el in pres.iter():
            if local(el.tag) == "sldId":
                rid = next((v for k, v in el.attrib.items() if local(k) == "id" and k.startswith("{")), "")
                target = pres_rels.get(rid, ("", ""))[0]
                if target:
                    order.append(target)
    # Slides not listed in presentation.xml still count (orphans are a hiding place).
    order += sorted(
        (n for n in pkg.infos if re.match(r"ppt/slides/slide\d+\.xml$", n) and n not in order),
        key=lambda n: int(re.findall(r"\d+", n)[-1]),
    )
    for number, part in enumerate(order, start=1):
        ctx.budget.check_time()
        root = pkg.xml(part)
        if root is None:
            continue
        hidden = " (hidden)" if root.get("show") in ("0", "false") else ""
        add_readings(ctx, f"slide={number}{hidden}", root, pkg.display)
        add_unread(ctx, f"slide={number}{hidden}", root)
        if labels := auto_numbers(root):
            ctx.add(f"slide={number}{hidden}/bullets", labels)
        for target, rtype in pkg.rels(part).values():
            sub = {"notesSlide": "notes", "comments": "comments", "chart": "chart", "diagramData": "diagram"}.get(
                rtype
            )
            if sub and target not in pkg.done:
                _add_part(pkg, target, f"slide={number}{hidden}/{sub}")
    # numbered bullets of notes, layouts and masters (drawn on notes pages and on every
    # slide of a layout)
    for name in sorted(n for n in pkg.infos if _BULLET_PARTS.match(n)):
        ctx.budget.check_time()
        part_root = pkg.xml(name)
        if part_root is not None and (labels := auto_numbers(part_root)):
            ctx.add(f"part={name}/bullets", labels)
