"""SVG as a browser displays it.

Mattermost serves an uploaded SVG as an image and the web app renders it (the server
keeps SVGs out of preview generation and the client shows the file itself:
mattermost-server PR #20141, MM-38982), so what a
reader sees is the drawn text, not the file's text in document order.  The file is
read as XML everywhere else (``plain.py``: every text node, attribute, comment); this
module adds the *displayed* reading: the text of ``<text>`` elements, with internal
entities expanded (``<!ENTITY a "536-22">`` ... ``&a;-8710``, libxml2 bounds their
amplification), text that is not drawn left out (``display:none``,
``visibility:hidden``, zero opacity, no fill, white fill, a font of ``TINY_PX`` or
less, set on the element or by a ``<style>`` rule with a simple selector; ``<defs>``,
``<title>``, ``<desc>``, ``<metadata>``), and the pieces ordered by where they are drawn (``x``/``y`` of ``<text>``/``<tspan>``, per-glyph position
lists), lines top to bottom, pieces left to right.  Transforms and text on a path are
not applied (their pieces keep document order).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from lxml import etree

from dlp_proxy.files.xmltext import local

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

#: text in a font this small (user units, ~px) is not readable
TINY_PX = 2.0
#: pieces whose baselines are this close (em) are one line
_SAME_LINE_EM = 0.5
_WHITE = frozenset({"white", "#fff", "#ffffff", "rgb(255,255,255)", "#ffff", "#ffffffff"})
_UNDRAWN = frozenset({"defs", "title", "desc", "metadata", "clipPath", "mask", "symbol", "pattern", "marker",
                      "style", "script", "foreignObject"})
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def is_svg(root: Any) -> bool:
    return local(getattr(root, "tag", "")) == "svg"


def parse_svg(data: bytes) -> Any:
    """The root, internal entities expanded (no DTD loading, no network, no external entity)."""
    parser = etree.XMLParser(resolve_entities="internal", no_network=True, load_dtd=False, huge_tree=False,
                             recover=True)
    try:
        return etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^(?:[A-Za-z][\w-]*|\*)?(?:[.#][\w-]+)?$")


def _declarations(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for decl in text.split(";"):
        if ":" in decl:
            key, value = decl.split(":", 1)
            out[key.strip().lower()] = value.replace("!important", "").strip()
    return out


def style_rules(root: Any) -> dict[str, dict[str, str]]:
    """Rules of the SVG's ``<style>`` sheets with simple selectors (``text``, ``.c``,
    ``#id``, ``tspan.c``), by selector: a class that hides text is applied."""
    rules: dict[str, dict[str, str]] = {}
    for el in root.iter():
        if local(getattr(el, "tag", "")) != "style" or not el.text:
            continue
        css = re.sub(r"/\*.*?\*/", "", el.text[:100_000], flags=re.S)
        for selectors, body in _RULE.findall(css):
            props = _declarations(body)
            for selector in selectors.split(","):
                selector = selector.strip()
                if selector and _SIMPLE_SELECTOR.match(selector):
                    rules.setdefault(selector, {}).update(props)
    return rules


def _style(el: Any, rules: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    props: dict[str, str] = {}
    if rules:
        tag = local(el.tag)
        classes = (el.get("class") or "").split()
        ident = el.get("id")
        for selector in ("*", tag, *(f".{c}" for c in classes), *(f"{tag}.{c}" for c in classes),
                         *((f"#{ident}", f"{tag}#{ident}") if ident else ())):
            props.update(rules.get(selector, {}))
    props.update({local(k): v.strip() for k, v in el.attrib.items()})
    props.update(_declarations(props.get("style") or ""))
    return props


def _number(value: str | None) -> float | None:
    m = _NUMBER.match(value or "")
    return float(m.group()) if m else None


def _numbers(value: str | None) -> list[float]:
    return [float(v) for v in _NUMBER.findall(value or "")]


class _State:
    __slots__ = ("fill", "size", "visible")

    def __init__(self, fill: str = "black", size: float = 16.0, visible: bool = True) -> None:
        self.fill, self.size, self.visible = fill, size, visible


def _child_state(el: Any, parent: _State, rules: dict[str, dict[str, str]] | None = None) -> _State | None:
    """The inherited drawing state of ``el``; None when nothing under it is drawn."""
    props = _style(el, rules)
    if props.get("display", "").lower() == "none":
        return None
    opacity = _number(props.get("opacity"))
    if opacity is not None and opacity <= 0.01:
        return None
    fill = props.get("fill", parent.fill).lower().replace(" ", "")
    size = parent.size
    font_size = props.get("font-size")
    if font_size is not None:
        number = _number(font_size)
        if number is not None:
            size = number * (parent.size if font_size.strip().endswith(("em", "%")) else 1.0)
            if font_size.strip().endswith("%"):
                size /= 100
    visibility = props.get("visibility", "").lower()
    visible = parent.visible if not visibility or visibility == "inherit" else visibility == "visible"
    fill_opacity = _number(props.get("fill-opacity"))
    if fill_opacity is not None and fill_opacity <= 0.01:
        fill = "none"
    return _State(fill, size, visible)


def _drawn(state: _State) -> bool:
    return state.visible and state.fill not in ("none", "transparent") and state.fill not in _WHITE \
        and state.size > TINY_PX


class _Pieces:
    """Drawn text pieces: (y, x, font size, text)."""

    def __init__(self) -> None:
        self.items: list[list[Any]] = []
        self.x = 0.0
        self.y = 0.0

    def put(self, text: str, el: Any, state: _State, *, positioned: bool) -> None:
        xs = _numbers(el.get("x")) if positioned else []
        ys = _numbers(el.get("y")) if positioned else []
        if ys:
            self.y = ys[0]
        if len(xs) > 1:  # a position per glyph: each glyph drawn where it says
            for n, ch in enumerate(text):
                if n < len(xs):
                    self.x = xs[n]
                    self._new(ch, state) if _drawn(state) else None
                else:
                    self._append(ch, state)
            return
        if xs:
            self.x = xs[0]
        if not text:
            return
        if not _drawn(state):
            self.x += len(text) * state.size * 0.55  # the hidden text still takes its room
            return
        if xs or ys or not self.items:
            self._new(text, state)
        else:
            self._append(text, state)

    def _new(self, text: str, state: _State) -> None:
        self.items.append([self.y, self.x, state.size, text])
        self.x += len(text) * state.size * 0.55

    def _append(self, text: str, state: _State) -> None:
        if not _drawn(state):
            self.x += len(text) * state.size * 0.55
            return
        if self.items and self.items[-1][0] == self.y:
            self.items[-1][3] += text
            self.x += len(text) * state.size * 0.55
        else:
            self._new(text, state)

    def lines(self) -> list[str]:
        rows: list[list[list[Any]]] = []
        for item in sorted(self.items, key=lambda i: (i[0], i[1])):
            if rows and abs(rows[-1][0][0] - item[0]) <= _SAME_LINE_EM * max(item[2], 1.0):
                rows[-1].append(item)
            else:
                rows.append([item])
        out: list[str] = []
        for row in rows:
            row.sort(key=lambda i: i[1])
            line = ""
            end = None
            for _y, x, size, text in row:
                # pieces drawn next to each other read as one word; the width is estimated
                # (0.55 em a glyph), so only a gap of two ems is a space
                gap = "" if end is None or x - end < 2 * size else " "
                line += gap + text
                end = x + len(text) * size * 0.55
            out.append(line)
        return out


def displayed_text(root: Any) -> str:
    """The text an SVG draws, in reading order (module doc)."""
    pieces = _Pieces()
    rules = style_rules(root)
    stack: list[tuple[Any, _State | None, bool, bool]] = [(root, _State(), False, False)]
    while stack:
        el, state, in_text, done = stack.pop()
        if not isinstance(el.tag, str):
            continue
        name = local(el.tag)
        if done:
            # the tail of a tspan continues its text element where the tspan ended
            if in_text and el.tail and state is not None:
                pieces.put(el.tail, el, state, positioned=False)
            continue
        if name in _UNDRAWN:
            if in_text and el.tail:
                stack.append((el, state, in_text, True))
            continue
        parent_state = state
        state = _child_state(el, state, rules) if state is not None else None
        if state is None:
            # nothing of this element is drawn; its tail belongs to the parent
            if in_text and el.tail and parent_state is not None:
                pieces.x += len(el.text or "") * parent_state.size * 0.55
                stack.append((el, parent_state, in_text, True))
            continue
        inside = in_text or name == "text"
        if inside and name in ("text", "tspan", "textPath", "a"):
            if el.text:
                pieces.put(el.text, el, state, positioned=name in ("text", "tspan"))
            elif name in ("text", "tspan"):
                pieces.put("", el, state, positioned=True)
        stack.append((el, parent_state, in_text, True))
        for child in reversed(el):
            stack.append((child, state, inside, False))
    return "\n".join(line for line in pieces.lines() if line.strip())


def add_svg_reading(data: bytes, ctx: Ctx, decoded: str = "") -> None:
    """Add the displayed reading of an SVG (``svg/displayed``) and, when internal
    entities change its text, the expanded text as written (``svg/entities``)."""
    root = parse_svg(data)
    if (root is None or not is_svg(root)) and decoded:
        root = parse_svg(re.sub(r"^\s*<\?xml[^>]*\?>", "", decoded).encode("utf-8"))
    if root is None or not is_svg(root):
        return
    ctx.budget.check_time()
    ctx.add("svg/displayed", displayed_text(root))
    if b"<!ENTITY" in data:
        from dlp_proxy.files.xmltext import walk_text

        parts: list[str] = []
        walk_text(root, parts, attributes=True)
        ctx.add("svg/entities", "".join(parts).strip())
