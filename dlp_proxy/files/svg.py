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
lists, moved by ``translate`` transforms and the translation part of a ``matrix``), lines
top to bottom, pieces left to right.  Other transforms and text on a path are not applied
in this reading (their pieces keep document order); the drawing below shows them.

With OCR on, the SVG is also drawn (``render``: librsvg's ``rsvg-convert``, Debian's
``librsvg2-bin``, in a child process with CPU, memory and time limits, from standard
input so that no external file, URL or XInclude is ever loaded) and the drawing read
like an uploaded image (``svg/rendered``): digits drawn as paths, text placed by
transforms, fonts whose glyphs draw other characters are read as a viewer sees them
(attack pass 8, F6).  An SVG that cannot be drawn within the limits is not fully
inspected (``ocr-limit``, ``corrupt``, ``ocr-unavailable``).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
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


def _rule_props(el: Any, rules: dict[str, dict[str, str]] | None) -> dict[str, str]:
    """The declarations of the ``<style>`` rules whose simple selector ``el`` matches."""
    props: dict[str, str] = {}
    if rules:
        tag = local(el.tag)
        classes = (el.get("class") or "").split()
        ident = el.get("id")
        for selector in ("*", tag, *(f".{c}" for c in classes), *(f"{tag}.{c}" for c in classes),
                         *((f"#{ident}", f"{tag}#{ident}") if ident else ())):
            props.update(rules.get(selector, {}))
    return props


def _style(el: Any, rules: dict[str, dict[str, str]] | None = None) -> dict[str, str]:
    props = _rule_props(el, rules)
    props.update({local(k): v.strip() for k, v in el.attrib.items()})
    props.update(_declarations(props.get("style") or ""))
    return props


def _number(value: str | None) -> float | None:
    m = _NUMBER.match(value or "")
    return float(m.group()) if m else None


def _numbers(value: str | None) -> list[float]:
    return [float(v) for v in _NUMBER.findall(value or "")]


class _State:
    __slots__ = ("dx", "dy", "fill", "size", "visible")

    def __init__(self, fill: str = "black", size: float = 16.0, visible: bool = True,
                 dx: float = 0.0, dy: float = 0.0) -> None:
        self.fill, self.size, self.visible = fill, size, visible
        self.dx, self.dy = dx, dy


_TRANSFORM = re.compile(r"(translate|matrix)\s*\(([^)]*)\)", re.I)


def _translation(transform: str | None) -> tuple[float, float]:
    """The translation of a ``transform`` attribute: its ``translate(x[, y])`` steps and
    the ``e f`` of its ``matrix(a b c d e f)`` steps, added up (scales and rotations
    are left to the drawing)."""
    dx = dy = 0.0
    for name, args in _TRANSFORM.findall(transform or ""):
        values = _numbers(args)
        if name.lower() == "translate" and values:
            dx += values[0]
            dy += values[1] if len(values) > 1 else 0.0
        elif name.lower() == "matrix" and len(values) == 6:
            dx += values[4]
            dy += values[5]
    return dx, dy


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
    dx, dy = _translation(props.get("transform"))
    return _State(fill, size, visible, parent.dx + dx, parent.dy + dy)


def _drawn(state: _State) -> bool:
    return state.visible and state.fill not in ("none", "transparent") and state.fill not in _WHITE \
        and state.size > TINY_PX


class _Pieces:
    """Drawn text pieces: (y, x, font size, text)."""

    def __init__(self) -> None:
        self.items: list[list[Any]] = []
        self.x = 0.0
        self.y = 0.0

    def put(self, text: str, el: Any, state: _State, *, positioned: bool, starts: bool = False) -> None:
        """``starts``: a ``<text>`` element, which starts at its own x, y (0 when absent)
        moved by its transforms."""
        xs = [x + state.dx for x in _numbers(el.get("x"))] if positioned else []
        ys = [y + state.dy for y in _numbers(el.get("y"))] if positioned else []
        if starts and (state.dx or state.dy):
            xs = xs or [state.dx]
            ys = ys or [state.dy]
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


#: ``<use>`` elements followed in one drawing, at most (a use of a use of ... is bounded)
MAX_USES = 256


def _position(el: Any, rules: dict[str, dict[str, str]] | None, axis: str) -> float:
    """An element's ``x`` or ``y`` as a browser takes it: a CSS rule's or its style's
    geometry property (SVG 2: ``#u{x:48px}``) over the attribute; 0 when none."""
    css = _rule_props(el, rules)
    css.update(_declarations(el.get("style") or ""))
    value = _number(css.get(axis)) if axis in css else None
    if value is None:
        value = _number(el.get(axis))
    return value or 0.0


def displayed_text(root: Any) -> str:
    """The text an SVG draws, in reading order (module doc).  A ``<use>`` draws the
    element it refers to moved by its own x, y; a ``<foreignObject>``'s text is drawn at
    its place (x, y, and CSS geometry properties over the attributes: re-attack of
    2026-12-06, F8, ``#u{x:48px}`` put ``GG-SSSS`` after ``AAA-``)."""
    pieces = _Pieces()
    rules = style_rules(root)
    ids = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    uses = 0
    boxes: list[tuple[int, float, float]] = []  # a foreignObject's piece, its box's top and bottom
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
        if name == "foreignObject" and not in_text and state is not None:
            shown = _child_state(el, state, rules)
            words = " ".join(" ".join(el.itertext()).split())
            if shown is not None and words:
                x, y = _position(el, rules, "x") + shown.dx, _position(el, rules, "y") + shown.dy
                height = _number(el.get("height")) or shown.size * 1.2
                # its text starts near the box's top, a line's height down (moved below onto
                # a line of drawn text its box spans)
                boxes.append((len(pieces.items), y, y + height))
                pieces.items.append([y + min(height, shown.size * 1.2), x, shown.size, words])
            continue
        if name == "use" and not in_text and state is not None and uses < MAX_USES:
            href = el.get("href") or el.get("{http://www.w3.org/1999/xlink}href") or ""
            target = ids.get(href[1:]) if href.startswith("#") else None
            shown = _child_state(el, state, rules)
            # a use inside what it refers to is circular: browsers draw nothing for it
            if target is not None and shown is not None and not any(x is el for x in target.iter()):
                uses += 1
                moved = _State(shown.fill, shown.size, shown.visible, shown.dx + _position(el, rules, "x"),
                               shown.dy + _position(el, rules, "y"))
                stack.append((target, moved, False, False))
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
                pieces.put(el.text, el, state, positioned=name in ("text", "tspan"), starts=name == "text")
            elif name in ("text", "tspan"):
                pieces.put("", el, state, positioned=True, starts=name == "text")
        stack.append((el, parent_state, in_text, True))
        for child in reversed(el):
            stack.append((child, state, inside, False))
    placed = {k for k, _, _ in boxes}
    drawn: list[float] = [item[0] for n, item in enumerate(pieces.items) if n not in placed]
    for k, top, bottom in boxes:
        spanned = [y for y in drawn if top <= y <= bottom]
        if spanned:
            start: float = pieces.items[k][0]
            pieces.items[k][0] = min(spanned, key=lambda y: abs(y - start))
    return "\n".join(line for line in pieces.lines() if line.strip())


#: a drawing is at most this many pixels (and ``Limits.ocr_max_pixels``): scaled down to it
RENDER_MAX_PIXELS = 8_000_000
#: an SVG without a size of its own is drawn to fit a box this many pixels a side
RENDER_FALLBACK_PX = 1600
#: the renderer's CPU seconds (and, with the file's time left, its wall time) at most
RENDER_SECONDS = 10.0
#: the renderer's address space at most (bytes): 8 MP in 32-bit colour is 32 MB
RENDER_MEMORY = 1 << 30
#: CSS absolute units in pixels (SVG user units: 96 a CSS inch)
_UNITS = {"": 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0,
          "q": 96 / 101.6, "em": 16.0, "ex": 8.0}
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([A-Za-z]*)\s*$")


def _length(value: str | None) -> float | None:
    m = _LENGTH.match(value or "")
    if m is None or m.group(2).lower() not in _UNITS:
        return None  # absent, a percentage, or not a length
    number = float(m.group(1)) * _UNITS[m.group(2).lower()]
    return number if 0 < number < 1e9 else None


def intrinsic_size(root: Any) -> tuple[float, float] | None:
    """The size (px) a viewer draws the SVG at: its ``width`` and ``height``, a missing
    one from the ``viewBox``'s aspect; None when neither tells it."""
    width, height = _length(root.get("width")), _length(root.get("height"))
    box = _numbers(root.get("viewBox"))
    aspect = box[2] / box[3] if len(box) == 4 and box[2] > 0 and box[3] > 0 else None
    if width is None and height is None and aspect is not None:
        width, height = box[2], box[3]
    elif width is None and height is not None and aspect is not None:
        width = height * aspect
    elif height is None and width is not None and aspect is not None:
        height = width / aspect
    if width is None or height is None or not (0 < width < 1e9 and 0 < height < 1e9):
        return None
    return width, height


def _renderer() -> str | None:
    return shutil.which("rsvg-convert")


#: the renderer's environment: no HOME, so fontconfig reads the system's font cache only
RENDER_ENV = {"PATH": "/usr/bin:/bin"}


def _limit_child() -> None:  # pragma: no cover - runs in the renderer's child process
    import resource
    import signal

    # No file may be written (RLIMIT_FSIZE 0), and a write is refused, not fatal:
    # fontconfig writes its font cache when the system's is missing or stale (fonts
    # installed after it was built), and SIGXFSZ killed every render then, so every
    # SVG upload was held as "ocr-limit".  Ignored signals stay ignored across exec.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    cpu = int(RENDER_SECONDS) + 1
    for limit, value in ((resource.RLIMIT_CPU, cpu), (resource.RLIMIT_AS, RENDER_MEMORY),
                         (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_NOFILE, 64)):
        try:
            _soft, hard = resource.getrlimit(limit)
            value = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(limit, (value, hard))
        except (ValueError, OSError):
            pass


def render(data: bytes, root: Any, ctx: Ctx, sub: str) -> Any | None:
    """The SVG as drawn, a PIL image on white, or None with a problem at ``sub``: no
    renderer (``ocr-unavailable``), out of time (``ocr-limit``), not drawable
    (``corrupt``).  Drawn at its own size, as a viewer shows it at 100 % (drawn
    larger, hand-drawn digits read worse: a path-drawn 5 read as 9 at 2x), scaled down to
    fit ``RENDER_MAX_PIXELS``; small text is read again upscaled by the OCR (``ocr.py``)."""
    from PIL import Image

    program = _renderer()
    if program is None:
        ctx.problem("ocr-unavailable", sub)
        return None
    max_pixels = min(RENDER_MAX_PIXELS, ctx.limits.ocr_max_pixels)
    size = intrinsic_size(root)
    if size is None:
        args = ["--width", str(RENDER_FALLBACK_PX), "--height", str(RENDER_FALLBACK_PX), "--keep-aspect-ratio"]
    else:
        width, height = size
        zoom = min(1.0, (max_pixels / (width * height)) ** 0.5)
        args = ["--width", str(max(1, round(width * zoom))), "--height", str(max(1, round(height * zoom)))]
    budget = ctx.budget
    seconds = min(RENDER_SECONDS, budget.remaining_seconds(), budget.remaining_wall_seconds())
    if seconds <= 0:
        ctx.problem("ocr-limit", sub)
        return None
    try:
        # from standard input: no base URL, so librsvg loads no file, URL or XInclude
        # a fixed program, no shell, arguments made here; the child's limits set before exec
        done = subprocess.run(
            [program, "--format", "png", "--background-color", "white", *args],
            input=data, capture_output=True, timeout=seconds, env=dict(RENDER_ENV),
            cwd="/", preexec_fn=_limit_child, check=False)
    except subprocess.TimeoutExpired:
        ctx.problem("ocr-limit", sub)
        return None
    except OSError:
        ctx.problem("ocr-unavailable", sub)
        return None
    finally:
        budget.check_time()
    if done.returncode != 0 or not done.stdout:
        # killed by its CPU or memory limit, or an SVG librsvg cannot draw
        ctx.problem("ocr-limit" if done.returncode < 0 else "corrupt", sub)
        return None
    try:
        image = Image.open(io.BytesIO(done.stdout))
        if image.size[0] * image.size[1] > max_pixels * 1.01:
            ctx.problem("ocr-limit", sub)
            return None
        image.load()
    except Exception:
        ctx.problem("corrupt", sub)
        return None
    return image


def add_rendered_reading(data: bytes, root: Any, ctx: Ctx) -> None:
    """OCR the SVG as drawn (``svg/rendered``), as an uploaded image is read.  A drawing
    without text adds no ``no-text``: the SVG's text was read as written and as displayed."""
    from dlp_proxy.files.ocr import read_frame

    sub = "svg/rendered"
    if not ctx.limits.ocr:
        ctx.problem("ocr-disabled", sub)
        return
    if ctx.budget.ocr_seconds >= ctx.limits.ocr_max_seconds:
        ctx.problem("ocr-limit", sub)
        return
    image = render(data, root, ctx, sub)
    if image is None:
        return
    budget = ctx.budget
    problems_before = len(budget.problems)
    read_frame(image, ctx, sub)
    budget.problems[problems_before:] = [
        (code, loc) for code, loc in budget.problems[problems_before:] if code != "no-text"]


def add_svg_reading(data: bytes, ctx: Ctx, decoded: str = "") -> None:
    """Add the displayed reading of an SVG (``svg/displayed``), when internal entities
    change its text the expanded text as written (``svg/entities``), and its drawing's
    OCR reading (``svg/rendered``)."""
    root = parse_svg(data)
    if (root is None or not is_svg(root)) and decoded:
        data = re.sub(r"^\s*<\?xml[^>]*\?>", "", decoded).encode("utf-8")
        root = parse_svg(data)
    if root is None or not is_svg(root):
        return
    ctx.budget.check_time()
    ctx.add("svg/displayed", displayed_text(root))
    add_rendered_reading(data, root, ctx)
    if b"<!ENTITY" in data:
        from dlp_proxy.files.xmltext import walk_text

        parts: list[str] = []
        walk_text(root, parts, attributes=True)
        ctx.add("svg/entities", "".join(parts).strip())
