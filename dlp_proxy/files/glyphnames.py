"""Glyph names to text, as the Adobe Glyph List specification maps them
(https://github.com/adobe-type-tools/agl-specification, section 2): what a viewer draws
for a simple font's ``/Differences`` name and what its text is.

- everything from the first ``.`` on is dropped (``five.alt``, ``five.lf`` -> ``five``);
- the rest is split on ``_`` into components (``five_three`` -> ``five``, ``three``);
- a component in the glyph list is its characters (``five`` -> ``5``);
- ``uniXXXX...`` (groups of four hex digits, no surrogates) is those characters;
- ``uXXXX`` to ``uXXXXXX`` (four to six hex digits, no surrogates) is that character;
- any other component is nothing.

Hex digits are read in either case (the specification asks for upper case; a lenient
reading can only make the text say more).  pypdf maps ``uniXXXX`` and exact list names
only, so ``/five.alt`` drawn as 5 read as the text ``/five.alt`` (attack pass 21p, F6):
``install`` replaces pypdf's mapping with this one.
"""

from __future__ import annotations

import re
from functools import lru_cache

_UNI = re.compile(r"uni((?:[0-9A-Fa-f]{4})+)")
_U = re.compile(r"u([0-9A-Fa-f]{4,6})")
#: a glyph name longer than this maps to nothing (no real name is)
MAX_NAME = 256


def _list() -> dict[str, str]:
    from pypdf._codecs import adobe_glyphs

    return adobe_glyphs


def _scalar(value: int) -> str | None:
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        return None
    return chr(value)


@lru_cache(maxsize=4096)
def glyph_text(name: str) -> str:
    """The text of glyph ``name`` (with or without its leading ``/``): "" when the name
    maps to nothing."""
    name = name.removeprefix("/")
    if len(name) > MAX_NAME:
        return ""
    glyphs = _list()
    exact = glyphs.get("/" + name)
    if exact is not None and name != ".notdef":
        return exact
    base = name.split(".", 1)[0]
    out: list[str] = []
    for part in base.split("_"):
        if not part:
            continue
        listed = glyphs.get("/" + part)
        if listed is not None:
            out.append(listed)
            continue
        m = _UNI.fullmatch(part)
        if m:
            chars = [_scalar(int(m[1][i : i + 4], 16)) for i in range(0, len(m[1]), 4)]
            if all(c is not None for c in chars):
                out.extend(c for c in chars if c is not None)
                continue
        m = _U.fullmatch(part)
        if m:
            char = _scalar(int(m[1], 16))
            if char is not None:
                out.append(char)
    return "".join(out)


def _pypdf_glyph(glyph_name: str) -> str | None:
    """pypdf's ``_glyph_name_to_unicode``: the name's text, None when it maps to nothing."""
    return glyph_text(glyph_name) or None


def install() -> bool:
    """Make pypdf map glyph names as ``glyph_text`` does (its text layer of a simple font
    with ``/Differences``, and of the glyph names a font program encodes); False when this
    pypdf has no such hook (tests/test_files_pdf_glyphs.py fails then)."""
    from pypdf import _cmap

    if not hasattr(_cmap, "_glyph_name_to_unicode"):
        return False
    _cmap._glyph_name_to_unicode = _pypdf_glyph
    return True
