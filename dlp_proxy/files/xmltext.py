"""Safe XML parsing (no DTD, no entity expansion, no network) shared by the extractors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree

#: what an XML parser that hands an application its character data leaves out: comments
#: and processing instructions are not character data (XML 1.0, 2.5 and 2.6), so the text
#: either side of one is one string (``<w:t>AAA-GG-<!---->SSSS</w:t>`` shows AAA-GG-SSSS
#: in Word, LibreOffice and Excel; atk19 class 4)
SHOWN = {"remove_comments": True, "remove_pis": True}


def parser(*, shown: bool = False) -> Any:
    """The safe parser; with ``shown``, comments and processing instructions are left out
    (``SHOWN``).  resolve_entities=False: no billion-laughs expansion, no external entities."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=True,
        remove_comments=shown,
        remove_pis=shown,
    )


def parse(data: bytes, *, shown: bool = False) -> Any:
    """The root element, or None when the bytes are not XML at all."""
    try:
        root = etree.fromstring(data, parser(shown=shown))
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


def parse_shown(data: bytes) -> Any:
    """The root of a document whose text a viewer shows (an Office or ODF part): as
    ``parse``, with comments and processing instructions removed and the text around each
    joined (``SHOWN``); None when the bytes are not XML at all."""
    return parse(data, shown=True)


def parse_expanded(data: bytes) -> Any:
    """The root with the internal subset's entities expanded as an XML parser shows them
    (``<!ENTITY a "536-22">`` ... ``&a;-8710``; libxml2 bounds their amplification; no DTD
    loading, no external entity, no network); None when not XML."""
    try:
        return etree.fromstring(data, etree.XMLParser(
            resolve_entities="internal", no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
            recover=True, remove_comments=False))
    except (etree.XMLSyntaxError, ValueError):
        return None


def local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


#: element boundaries while text is collected (``xml_readings``): in element-only
#: content, and inside mixed content (an element in text)
_EDGE, _INLINE = "\x00", "\x01"
_BREAKS = re.compile(r"[ \t]*[\x00\x01][\x00\x01\s]*")
_FIELD_BREAKS = re.compile(r"[ \t]*\x00[\x00\x01\s]*")


def xml_text(data: bytes) -> str | None:
    """Every text node, comment and attribute value, in document order; every element
    boundary a line break (``xml_readings``)."""
    readings = xml_readings(data)
    return None if readings is None else readings[0]


def xml_readings(data: bytes) -> tuple[str, str | None] | None:
    """The text of an XML document read two ways: every element boundary a line break;
    and, when the document has mixed content, elements inside text joined to it (None
    when it has none).

    In XML every element is a field of its own (``<name>Bob</name><ssn>AAA-GG-SSSS</ssn>``
    is a name and an SSN, not ``BobAAA-GG-SSSS``): a line break between them cannot glue
    one value's digits to the next and erases nothing.  Inside mixed content (text with
    elements in it, ``<p>536-<b>22</b>-8710</p>``) the elements are pieces of one text,
    as in HTML, and the second reading keeps them whole.  Internal entities are expanded
    (``parse_expanded``).  None: not XML."""
    root = parse_expanded(data) if b"<!ENTITY" in data[:65536] else parse(data)
    if root is None:
        return None
    mixed: set[Any] = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.text and el.text.strip() and len(el):
            mixed.add(el)
        parent = el.getparent()
        if parent is not None and el.tail and el.tail.strip():
            mixed.add(parent)
    parts: list[str] = []
    walk_text(root, parts, attributes=True, edge=lambda el: _INLINE if el.getparent() in mixed else _EDGE)
    text = "".join(parts)
    separated = _BREAKS.sub("\n", text).strip()
    joined = _FIELD_BREAKS.sub("\n", text).replace(_INLINE, "").strip() if mixed else None
    return separated, joined


def walk_text(root: Any, parts: list[str], *, attributes: bool,
              edge: Callable[[Any], str] | None = None) -> None:
    """Append text in document order (text, children, then tail) without recursion;
    ``edge(element)``, when given, is appended where each element starts and ends."""
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        el, done = stack.pop()
        if done:
            if edge is not None and isinstance(el.tag, str):
                parts.append(edge(el))
            if el.tail and el is not root:
                parts.append(el.tail)
            continue
        if isinstance(el.tag, str):
            if edge is not None:
                parts.append(edge(el))
            if attributes:
                for value in el.attrib.values():
                    if value.strip():
                        parts.append(f" {value} ")
            if el.text:
                parts.append(el.text)
        elif el.text:  # comment / processing instruction
            parts.append(f" {el.text} ")
        stack.append((el, True))
        for child in reversed(el):
            stack.append((child, False))


#: attributes whose value is text a reader can be shown (a tooltip, an input prompt, a
#: field's code, an alternative text, a list label, a form field's entry), whatever the element
TEXT_ATTRS = frozenset({
    "text", "prompt", "promptTitle", "title", "tooltip", "instr", "descr", "displayText", "error",
    "errorTitle", "caption", "label", "screenTip", "string-value", "value", "date-value", "description",
    "formula", "condition", "placeholder", "help-message", "hint",
})
#: elements whose ``val`` attribute is text (ECMA-376 Part 1: 17.16.16 listEntry,
#: 17.9.11 lvlText, 17.15.1.27 docVar, 17.16.9 default, 17.16.23 helpText, 17.16.31
#: statusText, 17.5.2.1 alias, 17.5.2.44 tag, 17.16.35 textInput format)
_VAL_TEXT = frozenset({"listEntry", "lvlText", "docVar", "default", "helpText", "statusText", "alias", "tag",
                       "format", "name"})


def unread_text(root: Any, skip: frozenset[str] = frozenset(), skip_children: frozenset[str] = frozenset()) -> str:
    """The text of a part that a specific reader may not read: every element's character
    data (but of the elements named in ``skip``, which the specific reader read), tails,
    and the values of text attributes (``TEXT_ATTRS``, and ``val`` of ``_VAL_TEXT``), one
    item a line.
    Elements named in ``skip_children`` are not entered (a sheet's cells)."""
    out: list[str] = []
    stack: list[Any] = [root]
    while stack:
        el = stack.pop()
        if not isinstance(el.tag, str):
            continue
        name = local(el.tag)
        if name not in skip and el.text and el.text.strip():
            out.append(el.text.strip())
        if el.attrib:
            for key, value in el.attrib.items():
                attr = local(key)
                if value and value.strip() and (attr in TEXT_ATTRS or (attr == "val" and name in _VAL_TEXT)):
                    out.append(value.strip())
        if name not in skip_children or el is root:
            stack.extend(reversed(el))
        if el is not root and el.tail and el.tail.strip():
            out.append(el.tail.strip())
    return "\n".join(out)


#: attribute values that are a file's structure, not text someone typed: numbers of up to
#: 8 digits with a unit (sizes, positions, counts, EMUs), decimals, hex ids and colours
#: (``w:rsidR``, ``w14:paraId``, ``FF0000``, a font's panose), GUIDs, dates, a letter
#: prefix on up to 8 digits (``rId5``, ``Heading1``, cell references ``B7``, ``A1:D10``),
#: row spans (``1:5``), VML's shape ids (``_x0000_s1026``) and Word's hidden bookmarks
#: (``_Toc482937561``, ``_Ref...``, ``_Hlk...``, ``_GoBack``)
_STRUCTURAL = re.compile(
    r"[-+]?\d{1,8}(?:\.\d+)?(?:pt|in|cm|mm|pc|pi|px|%|em|ex|emu|dxa|deg|fd|f)?"
    r"|[-+]?\d*\.\d+(?:[eE][-+]?\d+)?%?"
    r"|#?[0-9A-Fa-f]{1,8}|[0-9A-Fa-f]{16,}"
    r"|\{?[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}?"
    r"|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[-+]\d{2}:\d{2})?)?"
    r"|\$?[A-Za-z_]{1,12}\$?\d{1,8}(?::\$?[A-Za-z]{1,3}\$?\d{1,8})?|\d{1,5}:\d{1,5}"
    r"|_x[0-9A-Fa-f]{4}_\w{0,16}|_(?:Toc|Ref|Hlk|Hlt|GoBack|Int|MailAutoSig|PictureBullets)\d*"
)
_HAS_DIGIT = re.compile(r"\d")
_HAS_LETTER = re.compile(r"[^\W\d_]")
#: a whole number alone is an id (PowerPoint's ``creationId``, ``sldId``: 10 digits a
#: detector may take for a phone number); beside a word it is a value with its label
_INTEGER = re.compile(r"[-+]?\d+")
#: the markup-compatibility namespace (``mc:Ignorable="w14 w15 wp14"``): prefixes, no text
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"


def attribute_text(root: Any) -> str:
    """Every attribute value a person may have typed and a reader may see, one element a
    line: Word shows a tracked change's ``w:author``, a comment's initials, a bookmark's
    ``w:name`` (Insert > Bookmark), a style's name, a drawing's ``name`` (Selection
    Pane), a custom property's ``name``, a VML WordArt ``string``; and any program can
    read every attribute out of the file.  An element gives a line when one of its values
    holds a digit and is not structure (``_STRUCTURAL``: sizes, ids, colours, dates; a
    whole number only beside a value with a letter); the line holds all its values that
    are not structure, words included, so a name beside a value is its context
    (``<w:attr w:name="ssn" w:val="AAAGGSSSS"/>`` -> ``ssn AAAGGSSSS``).  Each distinct
    value is tested once (a document repeats its sizes and ids)."""
    out: list[str] = []
    kept_value: dict[str, bool] = {}
    for el in root.iter(etree.Element):
        items = el.items()
        if not items:
            continue
        values: list[str] = []
        for key, value in items:
            keep = kept_value.get(value)
            if keep is None:
                stripped = value.strip()
                keep = kept_value[value] = bool(stripped) and _STRUCTURAL.fullmatch(stripped) is None
            if keep and not key.startswith(_MC):
                values.append(value.strip())
        if not values:
            continue
        if not any(_HAS_LETTER.search(v) for v in values):
            values = [v for v in values if not _INTEGER.fullmatch(v)]
        if any(_HAS_DIGIT.search(v) for v in values):
            out.append(" ".join(values))
    return "\n".join(out)
