"""Safe XML parsing (no DTD, no entity expansion, no network) shared by the extractors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree


def parser() -> Any:
    # resolve_entities=False: no billion-laughs expansion, no external entities.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=True,
        remove_comments=False,
    )


def parse(data: bytes) -> Any:
    """The root element, or None when the bytes are not XML at all."""
    try:
        root = etree.fromstring(data, parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    return root


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

    In XML every element is a field of its own (``<name>Bob</name><ssn>536-22-8710</ssn>``
    is a name and an SSN, not ``Bob536-22-8710``): a line break between them cannot glue
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
