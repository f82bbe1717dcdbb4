"""Safe XML parsing (no DTD, no entity expansion, no network) shared by the extractors."""

from __future__ import annotations

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


def local(tag: Any) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def xml_text(data: bytes) -> str | None:
    """Every text node, comment and attribute value, in document order."""
    root = parse(data)
    if root is None:
        return None
    parts: list[str] = []
    walk_text(root, parts, attributes=True)
    return "".join(parts).strip()


def walk_text(root: Any, parts: list[str], *, attributes: bool) -> None:
    """Append text in document order (text, children, then tail) without recursion."""
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        el, done = stack.pop()
        if done:
            if el.tail and el is not root:
                parts.append(el.tail)
            continue
        if isinstance(el.tag, str):
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
