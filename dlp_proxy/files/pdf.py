"""PDF: every page's text layer (visible or not), annotations, form fields, metadata,
embedded files.

pypdf's text extraction ignores fill colour, rendering mode 3 (invisible text)
and the page boxes, so white-on-white text, invisible OCR layers and text placed
outside the visible page are all returned: exactly what a DLP scanner wants.  A page
that has such text is also read as displayed (``page=N/displayed``, ``displayed_text``):
text hidden *inside* an identifier must not break it where the reader sees it whole.

A text layer is only what the file declares; a viewer draws glyphs and pictures.  A page
whose drawing may show what its text layer does not (``render_reasons``: any image, top-level,
inline or inside a form XObject; a pattern; a shading; a soft mask; more than
``MAX_PATH_SEGMENTS`` lines and curves as painted, a form XObject counted each time it is
painted (``_Painted``); a font that maps its codes to text through a ToUnicode CMap, a Type3
or composite font, or an embedded font program; a standard font whose ``/Differences`` name
glyphs the Adobe Glyph List does not map; an annotation appearance stream; text drawn out of
reading order, also read by position as ``page=N/layout``) is rendered as a viewer renders it (PDFium, ``pypdfium2``) and the
rendering OCR'd: ``page=N/rendered``.  Both readings are judged.  A page of text in the
standard fonts without ToUnicode is not rendered: its text layer is what is drawn.  Fonts
alone get only the first ``FONT_RENDER_PAGES`` pages rendered; past them, the pages that
show text in a font that draws other digits than its text layer says (``_FontCheck``,
each font checked once on a specimen of the codes the document shows in it).
"""

from __future__ import annotations

import functools
import io
import logging
import re
import threading
import weakref
import zlib
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from dlp_proxy.files.bounded import Bomb, TooBig
from dlp_proxy.files.glyphnames import glyph_text, install
from dlp_proxy.files.limits import TimeUp

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

for _name in ("pypdf", "pypdf._reader", "pypdf.generic", "pypdf._page"):
    logging.getLogger(_name).setLevel(logging.ERROR)
#: pypdf's text of a /Differences glyph name as the Adobe Glyph List says (``five.alt`` is 5)
install()


def _s(value: Any) -> str:
    try:
        obj = value.get_object() if hasattr(value, "get_object") else value
    except Exception:
        return ""
    if isinstance(obj, bytes):
        return obj.decode("latin-1", "replace")
    if isinstance(obj, (list, tuple)):
        return " ".join(_s(v) for v in obj)
    return str(obj) if obj is not None else ""


def extract_pdf(data: bytes, ctx: Ctx, kind: str = "pdf", name: str = "") -> None:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    budget = ctx.budget
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except TimeUp:
        raise
    except Exception:
        ctx.problem("corrupt")
        from dlp_proxy.files.text import binary_strings

        binary_strings(data, budget, ctx.loc("strings"))
        return
    if reader.is_encrypted:
        # Owner-password-only PDFs (no password to open) decrypt with "".
        try:
            opened = bool(reader.decrypt(""))
        except Exception:
            opened = False
        if not opened:
            ctx.problem("encrypted")
            return
    try:
        pages = reader.pages
        n_pages = len(pages)
    except (FileNotDecryptedError, PdfReadError, Exception):
        ctx.problem("corrupt")
        return
    _metadata(reader, ctx)
    if n_pages > ctx.limits.max_pages:
        ctx.problem("page-limit")
    rendered = _Rendered(data)
    try:
        if not _pages(pages, n_pages, rendered, ctx, _FontCheck(pages, min(n_pages, ctx.limits.max_pages))):
            return
    finally:
        rendered.close()
    _form_fields(reader, ctx)
    _attachments(reader, ctx)
    _rest(reader, data, ctx)


def _rest(reader: Any, data: bytes, ctx: Ctx) -> None:
    """What the reading above does not reach: the catalog's own text (``_catalog``), the
    text strings of every reached dictionary (``_dictionary_text``), the objects the last
    revision does not reach and the bytes in no object (``_unreached``)."""
    for sub in ("catalog", "dictionaries", "objects"):
        try:
            if sub == "catalog":
                _catalog(reader, ctx)
            elif sub == "dictionaries":
                _dictionary_text(reader, ctx)
            else:
                _unreached(reader, data, ctx)
        except TimeUp:
            raise
        except RecursionError:
            ctx.problem("depth-limit", sub)
        except Exception:
            ctx.problem("corrupt", sub)


def _catalog(reader: Any, ctx: Ctx) -> None:
    """Text the catalog carries that viewers show: outline (bookmark) titles, page labels
    (the page-number box), the names of named destinations, JavaScript and every other
    name tree, the document's language."""
    root: Any = reader.trailer["/Root"].get_object()
    limit = ctx.limits.max_entries
    titles: list[str] = []
    outlines = root.get("/Outlines")
    seen: set[int] = set()
    todo: list[Any] = [outlines.get_object().get("/First")] if outlines is not None else []
    while todo and len(seen) < limit:
        ref = todo.pop()
        if ref is None:
            continue
        key = _font_key(ref)
        if key in seen:
            continue
        seen.add(key)
        try:
            node = ref.get_object()
            if not hasattr(node, "get"):
                continue
            titles.append(_s(node.get("/Title")))
            todo.extend(node.get(k) for k in ("/Next", "/First"))
        except TimeUp:
            raise
        except Exception:  # noqa: S112 - a broken bookmark: the others are read (viewers skip it too)
            continue
    ctx.add("outline", "\n".join(t for t in titles if t.strip()))
    labels: list[str] = []
    if "/PageLabels" in root:
        for value in _tree(root["/PageLabels"], "/Nums", limit, keys=False):
            value = value.get_object() if hasattr(value, "get_object") else value
            if hasattr(value, "get") and "/P" in value:
                labels.append(_s(value["/P"]))
    ctx.add("page-labels", "\n".join(t for t in labels if _worded(t)))
    names: list[str] = []
    tree_root: Any = root.get("/Names")
    tree_root = tree_root.get_object() if tree_root is not None else None
    if tree_root is not None and hasattr(tree_root, "items"):
        for tree_name, tree in list(tree_root.items())[:64]:
            keys = list(_tree(tree, "/Names", limit, keys=True))
            names.extend(_s(k) for k in keys)
            if tree_name == "/JavaScript":
                for value in _tree(tree, "/Names", limit, keys=False):
                    action = value.get_object() if hasattr(value, "get_object") else value
                    script: Any = action.get("/JS") if hasattr(action, "get") else None
                    script = script.get_object() if script is not None else None
                    if script is not None and hasattr(script, "get_data"):
                        names.append(script.get_data().decode("latin-1", "replace"))
                    else:
                        names.append(_s(script))
    dests: Any = root.get("/Dests")
    dests = dests.get_object() if dests is not None else None
    if dests is not None and hasattr(dests, "keys"):
        names.extend(str(k).lstrip("/") for k in list(dests.keys())[:limit])
    ctx.add("names", "\n".join(t for t in names if _worded(t)))
    ctx.add("language", _s(root.get("/Lang")))


#: the keys whose string values a viewer shows as text (or a screen reader reads): a form
#: field's partial name, tooltip, mapping name, value, default and options (``/T``,
#: ``/TU``, ``/TM``, ``/V``, ``/DV``, ``/Opt``); an annotation's text, author, subject,
#: rich text (``/Contents``, ``/T``, ``/Subj``, ``/RC``) and link (``/URI``); a widget's
#: captions in its ``/MK`` (``/CA``, ``/RC``, ``/AC``); bookmark, thread and document
#: titles and the document information (``/Title``, ``/Author``, ``/Subject``,
#: ``/Keywords``, ``/Creator``, ``/Producer``); an optional content group's (layer's)
#: ``/Name``; an embedded file's names and description (``/F``, ``/UF``, ``/DOS``,
#: ``/Mac``, ``/Unix``, ``/Desc``); a structure element's alternate and actual text,
#: expansion and language (``/Alt``, ``/ActualText``, ``/E``, ``/Lang``); a page label's
#: prefix (``/P``).  Actions a viewer runs or shows: a JavaScript action's script (``/JS``,
#: a string or a text stream, wherever the action hangs: ``/OpenAction``, a page's,
#: field's or annotation's ``/AA``, an annotation's ``/A``, a ``/Next`` chain, a rendition;
#: viewers show it in their JavaScript console and a script puts its strings in alerts
#: and form fields), a URI action's ``/URI``, a launch action's file ``/F`` and its
#: ``/Win`` parameters ``/P``; and a redaction annotation's ``/OverlayText`` (drawn over
#: the redacted area).  Only string values are read (``/CA`` of an annotation is a
#: number, ``/Name`` mostly a name, ``/P`` a page).
TEXT_KEYS = frozenset({
    "/T", "/TU", "/TM", "/V", "/DV", "/Opt", "/Contents", "/Subj", "/RC", "/URI", "/CA", "/AC",
    "/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer", "/Name",
    "/F", "/UF", "/DOS", "/Mac", "/Unix", "/Desc", "/Alt", "/ActualText", "/E", "/Lang", "/P",
    "/JS", "/OverlayText"})
#: the text keys whose value may be a text stream (rich text, a field's value or default,
#: a script)
TEXT_STREAM_KEYS = frozenset({"/RC", "/V", "/DV", "/JS"})
#: containers (dictionaries and arrays, direct or not) the walker visits at most; more:
#: ``entry-limit`` (the rest unread, held as too large)
MAX_DICTIONARY_NODES = 200_000
#: strings read in an array under a text key (``/Opt [(a) [(b) (c)] ...]``): one level of
#: nested arrays
_OPT_DEPTH = 2


def _text_string(value: Any) -> str:
    """A PDF string as the text string a viewer shows: pypdf's ``TextStringObject`` (a
    UTF-16 or UTF-8 BOM, else PDFDocEncoding, escapes resolved); a ``ByteStringObject``
    (bytes PDFDocEncoding leaves undefined) through PDFDocEncoding, undefined bytes as
    Latin-1."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return pdfdoc_text(bytes(value))
    return ""


def pdfdoc_text(raw: bytes) -> str:
    """``raw`` decoded as a PDF text string: UTF-16BE (or LE) after its BOM, UTF-8 after
    its BOM, else PDFDocEncoding (``\x85`` is an en dash, not a line end), a byte it
    leaves undefined as Latin-1."""
    from pypdf._codecs import _pdfdoc_encoding

    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", "replace")
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le", "replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    return "".join(c if (c := _pdfdoc_encoding[b]) != "\x00" or b == 0 else chr(b) for b in raw)


def _strings_under(value: Any, depth: int = 0) -> list[str]:
    """The text of a string value, or of the strings in an array value (``/Opt``)."""
    if isinstance(value, (str, bytes)):
        return [_text_string(value)]
    if isinstance(value, list) and depth < _OPT_DEPTH:
        out: list[str] = []
        for item in value:
            try:
                item = item.get_object() if hasattr(item, "get_object") else item
            except TimeUp:
                raise
            except Exception:  # noqa: S112 - a broken reference
                continue
            out.extend(_strings_under(item, depth + 1))
        return out
    return []


#: one call of an Acrobat form helper (``AFNumber_Format(2, 0, 0, 0, "$", true)``,
#: ``AFDate_FormatEx("mm/dd/yyyy")``, ``AFSpecial_Keystroke(3)``) with literal arguments
_AF_CALL = re.compile(r'[ \t\r\n]*AF[A-Za-z_]{1,40}[ \t]*\((?:[ \t]*(?:-?[0-9.]+|"[^"\\\n]{0,80}"|'
                      r"'[^'\\\n]{0,80}'|true|false)[ \t]*,?)*\)[ \t]*;?[ \t\r\n]*")


#: the helpers that show a field's digits as an identifier: the special format 3 is the
#: SSN mask (three digits, two, four, with dashes) and ``AFSpecial_FormatEx`` takes any mask (re-attack of
#: 2026-12-06, F7: a field valued AAAGGSSSS with ``AFSpecial_Format(3)`` shows an SSN)
_AF_IDENTIFIER_FORMAT = re.compile(r"AFSpecial_Format[ \t]*\([ \t]*3[ \t]*\)|AFSpecial_FormatEx")


def formatting_only(script: str) -> bool:
    """A script that only calls Acrobat's field formatting and keystroke helpers with
    literal arguments (what a form's number, date and special fields carry): it shows no
    text of its own.  Any other script may compute what it shows, and is held; so is one
    that shows a field's digits in an identifier's mask (``_AF_IDENTIFIER_FORMAT``)."""
    if _AF_IDENTIFIER_FORMAT.search(script):
        return False
    return _AF_CALL.fullmatch(script) is not None or not script.strip() or all(
        _AF_CALL.fullmatch(part + ";") is not None for part in script.split(";") if part.strip())


def _dictionary_text(reader: Any, ctx: Ctx) -> None:
    """The text strings of every dictionary reached from the trailer (``TEXT_KEYS``), as
    text: a form field's tooltip, a layer's name, a file's description (atk22 R3: read
    only as raw bytes, where ``rawread.judge_raw`` drops a number written over two
    lines).  One walk over the object graph, every object once, at most
    ``MAX_DICTIONARY_NODES`` containers; a page's content stream, a font or an image is
    a dictionary like any other (its data is not read here).  Each indirect object's
    strings are a segment of their own (``dictionary=12``, the strings one after the
    other, a line each at least), so strings of different objects are never read joined
    (a radio button's kids ``/T (0)``, ``/T (1)`` ...).  A text stream under ``/RC``,
    ``/V`` or ``/DV`` (rich text, a field's value) is read as text too (pypdf's caps on
    decompression).  A signature's ``/Contents`` (its PKCS#7 bytes) is not read.  A
    JavaScript action's script is read as text, and the file is ``active-content`` unless
    the script only calls Acrobat's formatting helpers (``formatting_only``): what a
    script puts in a field or an alert when the file is opened (``parseInt("8v98py", 36)``)
    is computed, not written (insider attack of 2026-12-06, F5)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[int] = set()
    found: dict[int, list[str]] = {}
    order: list[int] = []
    # (container, the indirect object it belongs to: -1 the trailer)
    todo: list[tuple[Any, int]] = [(reader.trailer, -1)]
    nodes = 0
    scripted = False
    while todo:
        node, owner = todo.pop()
        if isinstance(node, IndirectObject):
            num = int(node.idnum)
            if num in seen:
                continue
            seen.add(num)
            try:
                node = node.get_object()
            except TimeUp:
                raise
            except Exception:  # noqa: S112 - a broken reference: the rest is read (viewers skip it too)
                continue
            owner = num
        nodes += 1
        if nodes > MAX_DICTIONARY_NODES:
            ctx.problem("entry-limit", "dictionaries")
            break
        if nodes % 256 == 0:
            ctx.budget.check_time()
        if isinstance(node, DictionaryObject):
            signature = node.get("/Type") == "/Sig" or "/ByteRange" in node
            for key, value in list(node.items()):
                if key in TEXT_KEYS and not (key == "/Contents" and signature):
                    try:
                        resolved: Any = value.get_object() if isinstance(value, IndirectObject) else value
                    except TimeUp:
                        raise
                    except Exception:  # noqa: S112 - a broken reference
                        continue
                    texts = [t for t in _strings_under(resolved) if t.strip()]
                    if key in TEXT_STREAM_KEYS and hasattr(resolved, "get_data"):
                        try:
                            texts.append(pdfdoc_text(bytes(resolved.get_data())))  # a text stream
                        except TimeUp:
                            raise
                        except Exception:  # noqa: S110 - a stream that does not decode: read by its runs (_reached_stream)
                            pass
                    if key == "/JS" and not scripted and any(not formatting_only(t) for t in texts):
                        scripted = True
                        ctx.problem("active-content", "javascript")
                    if texts:
                        if owner not in found:
                            found[owner] = []
                            order.append(owner)
                        found[owner].extend(texts)
                if isinstance(value, (IndirectObject, DictionaryObject, ArrayObject)):
                    todo.append((value, owner))
        elif isinstance(node, ArrayObject):
            todo.extend((v, owner) for v in node if isinstance(v, (IndirectObject, DictionaryObject, ArrayObject)))
    for owner in order:
        if not ctx.add(f"dictionary={'trailer' if owner < 0 else owner}", "\n".join(found[owner])):
            return


def _worded(text: str) -> bool:
    """Whether a page label or a name is read: one of at most 4 characters and no letter
    (``4``, ``25``, ``iv`` is a letter) holds nothing alone, and such names one a line
    would be read as one long number (destinations named by page: ``4``, ``5``, ``25``
    ... as a card number)."""
    text = text.strip()
    return len(text) > 4 or any(c.isalpha() for c in text)


def _tree(node: Any, kind: str, limit: int, *, keys: bool) -> Any:
    """The keys (``keys``) or values of a name tree (``kind`` "/Names") or number tree
    ("/Nums"), ``limit`` nodes at most."""
    seen: set[int] = set()
    todo = [node]
    while todo and len(seen) < limit:
        ref = todo.pop()
        key = _font_key(ref)
        if key in seen:
            continue
        seen.add(key)
        try:
            cur = ref.get_object()
            if not hasattr(cur, "get"):
                continue
            pairs = cur.get(kind)
            pairs = list(pairs.get_object()) if pairs is not None else []
            kids = cur.get("/Kids")
            kids = list(kids.get_object()) if kids is not None else []
        except TimeUp:
            raise
        except Exception:  # noqa: S112 - a broken node: the rest of the tree is read
            continue
        yield from pairs[0 if keys else 1::2]
        todo.extend(kids)


def _pages(pages: Any, n_pages: int, rendered: _Rendered, ctx: Ctx, fonts: _FontCheck) -> bool:
    """Read the pages (up to ``max_pages``); False when the file's text limit is reached."""
    budget = ctx.budget
    for index in range(min(n_pages, ctx.limits.max_pages)):
        budget.check_time()
        loc = f"page={index + 1}"
        try:
            page = pages[index]
            text, hides, backwards = page_text(page)
        except TimeUp:
            raise
        except Exception:
            ctx.problem("corrupt", loc)
            continue
        if not ctx.add(loc, text):
            return False
        try:
            shown = displayed_text(page) if hides else None
        except TimeUp:
            raise
        except Exception:
            shown = None  # the reading as stored stands
        if shown is not None and shown != text and not ctx.add(f"{loc}/displayed", shown):
            return False
        try:
            laid = layout_text(page, text) if backwards else None
        except TimeUp:
            raise
        except Exception:
            laid = None  # the reading in drawing order stands; the page is rendered
        if laid is not None and not ctx.add(f"{loc}/layout", laid):
            return False
        image_only = len("".join(text.split())) < IMAGE_ONLY_CHARS
        read_images = False
        if image_only and ctx.limits.ocr:
            try:
                read_images = _ocr_page(page, loc, ctx)
            except TimeUp:
                raise
            except Exception:
                ctx.problem("corrupt", f"{loc}/ocr")
        if ctx.limits.ocr:
            try:
                reasons = render_reasons(page)
            except TimeUp:
                raise
            except Exception:
                reasons = {"unparsed"}  # what it draws is unknown: rendered
            if read_images:
                reasons.discard("image")  # its page images were read at their own resolution
            if backwards:
                reasons.add("out-of-order")
            if index >= FONT_RENDER_PAGES and reasons & _FONT_REASONS:
                # Office exports embed their fonts with ToUnicode maps on every page: a
                # rendering of each page would cost a page of OCR (~0.8 s) and hold any long
                # report as too large.  Fonts alone make only the first pages rendered, and
                # past them the pages that show text in a font that draws other digits
                # than its text says (each font checked once: _FontCheck).
                reasons -= _FONT_REASONS
                if not reasons:
                    try:
                        if fonts.page_lies(index, ctx):
                            reasons.add("font-lies")
                    except TimeUp:
                        raise
                    except Exception:
                        reasons.add("font-lies")  # a font that cannot be checked: as drawn
            if reasons:
                try:
                    rendered.ocr(index, loc, ctx, has_text=not image_only)
                except TimeUp:
                    raise
                except Exception:
                    ctx.problem("corrupt", f"{loc}/rendered")
        try:
            _annotations(page, index + 1, ctx)
        except TimeUp:
            raise
        except Exception:
            ctx.problem("corrupt", f"{loc}/annotations")
    return True


#: a page whose text layer has fewer non-blank characters than this is taken as a scan:
#: its images are OCR'd (a scan with an OCR text layer is read through that layer)
IMAGE_ONLY_CHARS = 16
#: images OCR'd per page at most (a scan is one image; more are logos and icons)
MAX_IMAGES_PER_PAGE = 8
#: images smaller than this on either side are icons, never text worth reading
MIN_IMAGE_SIDE = 32


def _ocr_page(page: Any, loc: str, ctx: Ctx) -> bool:
    """OCR the images of an image-only page (sizes checked before anything is decoded);
    True when every page image worth reading was read.  An image with a soft mask
    (``/SMask``: pypdf gives it an alpha channel) is read as drawn on the white page and
    by its mask (``ocr.read_frame``): text drawn by the mask alone, over an image of one
    colour, shows only there."""
    from dlp_proxy.files.ocr import read_frame

    res: Any = page.get("/Resources")
    res = res.get_object() if res is not None else None
    xobjects = res.get("/XObject") if hasattr(res, "get") else None
    if xobjects is None:
        return False
    xobjects = xobjects.get_object()
    images = []
    for name in list(xobjects.keys())[:10000]:
        xobj = xobjects[name].get_object()
        if hasattr(xobj, "get") and xobj.get("/Subtype") == "/Image":
            images.append((name, int(xobj.get("/Width", 0)), int(xobj.get("/Height", 0))))
    images = [i for i in images if min(i[1], i[2]) >= MIN_IMAGE_SIDE]
    complete = bool(images)
    for n, (name, width, height) in enumerate(images[:MAX_IMAGES_PER_PAGE]):
        sub = f"{loc}/ocr" if len(images) == 1 else f"{loc}/ocr{n + 1}"
        if width * height > ctx.limits.ocr_max_pixels:
            ctx.problem("ocr-limit", sub)
            complete = False
            continue
        ctx.budget.check_time()
        read_frame(page.images[name].image, ctx, sub)
    if len(images) > MAX_IMAGES_PER_PAGE:
        ctx.problem("ocr-limit", f"{loc}/ocr")
        complete = False
    return complete


#: a page drawing more line, curve and rectangle segments than this (``l``, ``c``, ``v``,
#: ``y``, ``re``, in its content and its form XObjects) is rendered: characters can be drawn
#: as strokes or boxes.  A few rules and boxes stay under it; a table grid may not
MAX_PATH_SEGMENTS = 24
#: form XObjects and fonts looked at per page at most (beyond: rendered)
MAX_RESOURCES = 256
#: the resolution pages are rendered at for OCR: 12 pt text is 25 px high
RENDER_DPI = 150
#: pages are not rendered below this resolution (a page too large for ``ocr_max_pixels``
#: at it is reported ``ocr-limit``)
MIN_RENDER_DPI = 100
_SEGMENTS = frozenset({b"l", b"c", b"v", b"y", b"re"})
#: literal and hex strings, comments, dictionaries' delimiters: not operators
_NOT_OPERATOR = re.compile(rb"\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>|%[^\r\n]*")
#: a token between PDF white space (NUL, tab, line feed, form feed, carriage return and
#: space: ISO 32000-1, 7.2.2; a NUL between operators hid every ``l`` from the count:
#: attack of 2026-12-07) and delimiters
_TOKEN = re.compile(rb"[^\s\x00\[\]<>()/{}%]+")
_EMBEDDED = ("/FontFile", "/FontFile2", "/FontFile3")


#: nesting of form XObjects followed when counting what a page paints (deeper: rendered)
MAX_FORM_DEPTH = 16
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _stream_paint(content: bytes, reasons: set[str]) -> tuple[int, list[bytes]]:
    """A content stream's line and curve segments and the names it paints with ``Do``, in
    order (strings skipped, so text that spells an operator is not one).  An inline image
    (``BI``) and a shading painted with ``sh`` are reasons."""
    segments = 0
    painted: list[bytes] = []
    previous = b""
    for token in _TOKEN.findall(_NOT_OPERATOR.sub(b" ", content)):
        if token in _SEGMENTS:
            segments += 1
        elif token == b"Do":
            painted.append(b"/" + _NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), previous))
        elif token == b"sh":
            reasons.add("shading")
        elif token == b"BI":
            reasons.add("inline-image")
            break  # the image's bytes follow: nothing after them is tokenised
        previous = token
    return segments, painted


class _Painted:
    """What a page paints, counted as painted: every ``Do`` of a form XObject adds that
    form's segments (its own and those of the forms it paints, recursively) each time it
    is painted, so one small form painted 800 times is 800 boxes (attack pass 21p, F5).
    Each form's stream is read once (by form and resources); a form painted inside
    itself or nested deeper than ``MAX_FORM_DEPTH`` is a reason, as is an image painted."""

    def __init__(self, reasons: set[str]) -> None:
        self.reasons = reasons
        self.memo: dict[tuple[int, int], int] = {}
        self.active: set[int] = set()
        self.forms = 0
        #: the forms whose streams were read here
        self.read: set[int] = set()

    def stream(self, content: bytes, res: Any, depth: int) -> int:
        segments, painted = _stream_paint(content, self.reasons)
        xobjects: Any = res.get("/XObject") if hasattr(res, "get") else None
        xobjects = xobjects.get_object() if xobjects is not None else None
        for name in painted:
            key = name.decode("latin-1")
            if not hasattr(xobjects, "get") or key not in xobjects:
                continue  # nothing by that name: a viewer paints nothing
            segments += self.form(xobjects.raw_get(key), res, depth + 1)
            if segments > 1 << 40:
                break
        return segments

    def form(self, ref: Any, res: Any, depth: int) -> int:
        xobj = ref.get_object()
        if not hasattr(xobj, "get"):
            return 0
        kind = xobj.get("/Subtype")
        if kind == "/Image":
            self.reasons.add("image" if depth == 1 else "form-image")
            return 0
        if kind != "/Form":
            return 0
        key = _font_key(ref)
        own: Any = xobj.get("/Resources")
        own = own.get_object() if own is not None else res  # a form without resources: its painter's
        memo = (key, id(own))
        if memo in self.memo:
            return self.memo[memo]
        if key in self.active or depth > MAX_FORM_DEPTH:
            self.reasons.add("form-depth")
            return 0
        self.forms += 1
        if self.forms > MAX_RESOURCES:
            self.reasons.add("resource-limit")
            return 0
        self.active.add(key)
        self.read.add(key)
        try:
            count = self.stream(bytes(xobj.get_data()), own, depth)
        finally:
            self.active.discard(key)
        self.memo[memo] = count
        return count


#: pages (from the first) that a font alone gets rendered (see extract_pdf)
FONT_RENDER_PAGES = 10
_FONT_REASONS = frozenset({"tounicode", "font-program"})


def _font_reasons(font: Any, reasons: set[str]) -> None:
    """A font whose drawn glyphs may not be the text its codes extract to."""
    if not hasattr(font, "get"):
        return
    if "/ToUnicode" in font:
        reasons.add("tounicode")
        if _tounicode_disagrees(font):
            reasons.add("tounicode-mismatch")
    subtype = font.get("/Subtype")
    if subtype in ("/Type3", "/Type0"):
        reasons.add("font-program")
    descriptor: Any = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else None
    if hasattr(descriptor, "get") and any(key in descriptor for key in _EMBEDDED):
        reasons.add("font-program")
    elif "/ToUnicode" not in font and subtype not in ("/Type3", "/Type0") and _unmapped_names(font):
        # the viewer's own font draws a glyph by a name the text layer cannot read: as drawn
        reasons.add("glyph-names")


_CMAP_CHARS = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_CMAP_RANGES = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
#: ToUnicode streams larger than this are not compared (the font stays a "tounicode" reason)
MAX_CMAP_BYTES = 1 << 20


_STANDARD_TEXT_FONTS = frozenset(
    f"{family}{style}" for family, styles in (
        ("Helvetica", ("", "-Bold", "-Oblique", "-BoldOblique")), ("Courier", ("", "-Bold", "-Oblique", "-BoldOblique")),
        ("Times", ("-Roman", "-Bold", "-Italic", "-BoldItalic"))) for style in styles)


def _glyph_char(name: str) -> str | None:
    """The digit or letter glyph ``name`` draws (Adobe Glyph List rules: ``five.alt`` and
    ``uni0035`` are 5), None for any other."""
    text = glyph_text(name)
    if len(text) == 1 and text.isascii() and text.isalnum():
        return text
    return None


def _difference_names(encoding: Any) -> Iterator[tuple[int, str]]:
    """(code, glyph name) of an /Encoding dictionary's /Differences, in order (a number
    sets the next code; at most 4,096 items)."""
    diffs: Any = encoding.get("/Differences") if hasattr(encoding, "get") else None
    diffs = diffs.get_object() if diffs is not None else None
    code = 0
    for item in list(diffs)[:4096] if isinstance(diffs, list) else []:
        item = item.get_object() if hasattr(item, "get_object") else item
        if isinstance(item, (int, float)) and not isinstance(item, str):
            code = int(item)
            continue
        yield code, str(item)
        code += 1


def _differences(font: Any) -> dict[int, str]:
    """Codes of a simple font's /Encoding /Differences whose glyph is a digit or a letter."""
    encoding: Any = font.get("/Encoding")
    encoding = encoding.get_object() if encoding is not None else None
    out: dict[int, str] = {}
    for code, name in _difference_names(encoding):
        char = _glyph_char(name)
        if char is not None:
            out[code] = char
    return out


def _unmapped_names(font: Any) -> bool:
    """A simple font's /Differences name a glyph the Adobe Glyph List maps to nothing
    (``g5``, ``glyph123``): the text layer holds the name, the viewer draws its glyph."""
    encoding: Any = font.get("/Encoding")
    encoding = encoding.get_object() if encoding is not None else None
    diffs: Any = encoding.get("/Differences") if hasattr(encoding, "get") else None
    diffs = diffs.get_object() if diffs is not None else None
    for item in list(diffs)[:4096] if isinstance(diffs, list) else []:
        item = item.get_object() if hasattr(item, "get_object") else item
        if isinstance(item, str) and item not in ("/.notdef", "/space") and not glyph_text(str(item)):
            return True
    return False


def _hex_text(raw: bytes) -> str:
    digits = re.sub(rb"\s", b"", raw)
    try:
        return bytes.fromhex(digits.decode()).decode("utf-16-be", "replace")
    except ValueError:
        return ""


def _tounicode_disagrees(font: Any) -> bool:
    """A simple font whose /Differences draw a digit or letter glyph for a code that its
    ToUnicode map reads as another character (the glyph shown is not the text extracted)."""
    if font.get("/Subtype") in ("/Type0", "/Type3"):
        return False
    drawn = _differences(font)
    descriptor: Any = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else None
    base = str(font.get("/BaseFont", "")).lstrip("/")
    if base in _STANDARD_TEXT_FONTS and not (hasattr(descriptor, "get") and any(k in descriptor for k in _EMBEDDED)):
        # a standard text font drawn by the viewer: ASCII codes of digits and letters are
        # those glyphs unless /Differences says otherwise
        drawn = {c: chr(c) for c in range(0x30, 0x7B) if chr(c).isalnum()} | drawn
    if not drawn:
        return False
    stream: Any = font.get("/ToUnicode")
    stream = stream.get_object() if stream is not None else None
    if not hasattr(stream, "get_data"):
        return False
    data = bytes(stream.get_data())
    if len(data) > MAX_CMAP_BYTES:
        return False
    mapped: dict[int, str] = {}
    for block in _CMAP_CHARS.findall(data):
        values = _HEX.findall(block)
        for src, dst in zip(values[::2], values[1::2], strict=False):
            try:
                mapped[int(re.sub(rb"\s", b"", src) or b"0", 16)] = _hex_text(dst)
            except ValueError:
                continue
    for block in _CMAP_RANGES.findall(data):
        for m in re.finditer(rb"<([0-9A-Fa-f\s]*)>\s*<([0-9A-Fa-f\s]*)>\s*(<[0-9A-Fa-f\s]*>|\[[^\]]*\])", block):
            try:
                lo, hi = int(re.sub(rb"\s", b"", m[1]), 16), int(re.sub(rb"\s", b"", m[2]), 16)
            except ValueError:
                continue
            target = m[3]
            for code in drawn:
                if not lo <= code <= hi:
                    continue
                if target.startswith(b"["):
                    items = _HEX.findall(target)
                    if code - lo < len(items):
                        mapped[code] = _hex_text(items[code - lo])
                else:
                    start = _hex_text(target[1:-1])
                    if start:
                        mapped[code] = start[:-1] + chr(min(ord(start[-1]) + code - lo, 0x10FFFF))
    return any(code in mapped and mapped[code].strip() != char for code, char in drawn.items())


_LITERAL = re.compile(rb"\((?:\\.|[^\\()])*\)")


def _field_value(annot: Any) -> str:
    node: Any = annot
    for _ in range(32):
        if "/V" in node:
            return _s(node["/V"])
        parent = node.get("/Parent")
        if parent is None:
            return ""
        node = parent.get_object()
    return ""


#: a text-showing operator after its operand (literal strings emptied first): ``Tj``, ``TJ``, ``'``, ``"``
_SHOW_OPS = re.compile(rb"(?:\)|\])\s*(?:Tj|TJ|'|\")")
#: what moves an appearance's glyphs (literal strings emptied first): character and word
#: spacing, horizontal scaling, rise, with their operand when it is a number
_SPACING_OPS = re.compile(rb"(?<![A-Za-z_#/.])(?:([-+]?(?:\d+\.?\d*|\.\d+))\s*)?(Tc|Tw|Tz|Ts)(?![^\s/\[(<%])")
_NUM = rb"([-+]?(?:\d+\.?\d*|\.\d+))\s+"
#: a text or transformation matrix and a font size, with their numbers
_MATRIX_OPS = re.compile(_NUM * 4 + rb"\S+\s+\S+\s*(?:Tm|cm)(?![^\s/\[(<%])|" + _NUM + rb"Tf(?![^\s/\[(<%])")
#: a TJ array that holds a number, a ``"`` (which sets the word and character spacing)
_MOVES_IN_SHOW = re.compile(rb"\[[^\]]*\d[^\]]*\]\s*TJ|\)\s*\"")


def _moves_glyphs(ops: bytes) -> bool:
    """Whether an appearance stream (literal strings emptied) sets a character or word
    spacing, a horizontal scaling or a rise other than the default, spaces a TJ's pieces,
    or turns or mirrors its text (a matrix, a negative font size)."""
    for m in _SPACING_OPS.finditer(ops):
        default = 100.0 if m[2] == b"Tz" else 0.0
        if m[1] is None or float(m[1]) != default:
            return True
    for m in _MATRIX_OPS.finditer(ops):
        if m[5] is not None and float(m[5]) < 0:
            return True  # a negative font size: glyphs turned and laid out leftwards
        if m[1] is not None and (float(m[1]) <= 0 or float(m[2]) != 0 or float(m[3]) != 0 or float(m[4]) <= 0):
            return True  # turned or mirrored
    return _MOVES_IN_SHOW.search(ops) is not None


def _widget_shows_its_value(annot: Any) -> bool:
    """A form field whose appearance draws its value and nothing else: one stream, only
    literal strings (together the field's /V, whitespace aside) shown by one operation, no
    character or word spacing, scaling or rise (``Tc``, ``Tw``, ``Tz``, ``Ts``) and no TJ
    numbers, no XObject, fonts without a ToUnicode map or a font program whose
    /Differences draw no letter or digit for another code, and no negative widths."""
    ap: Any = annot.get("/AP")
    ap = ap.get_object() if ap is not None else None
    normal: Any = ap.get("/N") if hasattr(ap, "get") else None
    normal = normal.get_object() if normal is not None else None
    if not hasattr(normal, "get_data"):
        return False  # appearance states (check boxes, radio buttons): rendered
    data = bytes(normal.get_data())
    res: Any = normal.get("/Resources")
    res = res.get_object() if res is not None else None
    if hasattr(res, "get") and res.get("/XObject") is not None:
        return False
    fonts: Any = res.get("/Font") if hasattr(res, "get") else None
    fonts = fonts.get_object() if fonts is not None else None
    for name in list(fonts.keys())[:16] if hasattr(fonts, "keys") else []:
        font = fonts[name].get_object()
        reasons: set[str] = set()
        _font_reasons(font, reasons)
        if reasons or not hasattr(font, "get"):
            return False
        if any(chr(code) != char for code, char in _differences(font).items()):
            return False  # a code drawn as another letter or digit than it reads
        if _font_widths(font).negative:
            return False  # glyphs that move the pen left: shown right to left
    if _HEX.search(_LITERAL.sub(b" ", data).replace(b"<<", b"").replace(b">>", b"")):
        return False
    ops = _LITERAL.sub(b"()", data)
    if len(_SHOW_OPS.findall(ops)) > 1:
        return False  # pieces placed apart may show another order than /V's (atk21r R5): rendered
    if _moves_glyphs(ops):
        return False  # glyphs moved apart, back or up: another order than /V's (atk19): rendered
    shown = b"".join(m[1:-1] for m in _LITERAL.findall(data))
    try:
        shown_text = shown.decode("latin-1")
    except ValueError:
        return False
    return "".join(shown_text.split()) == "".join(_field_value(annot).split())


def _annotation_reasons(page: Any, reasons: set[str]) -> None:
    """An annotation with an appearance stream, or a form field whose appearance draws
    more than its value, shows on the page what its text layer does not hold."""
    annots: Any = page.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    for ref in list(annots)[:10000] if isinstance(annots, list) else []:
        annot = ref.get_object()
        if not hasattr(annot, "get") or annot.get("/AP") is None:
            continue
        if annot.get("/Subtype") == "/Widget" and _widget_shows_its_value(annot):
            continue
        reasons.add("annotation")
        return


def _resource_reasons(res: Any, reasons: set[str]) -> None:
    """What a resource dictionary holds that draws more than text in the standard fonts:
    a pattern, a shading (a mesh shading paints any shape: digits as triangles), a
    graphics state with a soft mask (a form whose drawing shapes what is painted)."""
    if res.get("/Pattern") is not None:
        reasons.add("pattern")
    if res.get("/Shading") is not None:
        reasons.add("shading")
    states: Any = res.get("/ExtGState")
    states = states.get_object() if states is not None else None
    for name in list(states.keys())[:MAX_RESOURCES] if hasattr(states, "keys") else []:
        state = states[name].get_object()
        mask: Any = state.get("/SMask") if hasattr(state, "get") else None
        if mask is not None and mask.get_object() != "/None":
            reasons.add("soft-mask")
            return


def render_reasons(page: Any) -> set[str]:
    """Why the page's drawing may show what its text layer does not (empty: it shows its
    text layer).  Resources are walked through form XObjects (each once); a page or form
    without its own resources inherits nothing more than what is walked.  Segments are
    counted as painted (``_Painted``): a form painted N times counts N times."""
    reasons: set[str] = set()
    contents = page.get_contents()
    page_res: Any = page.get("/Resources")
    page_res = page_res.get_object() if page_res is not None else None
    painted = _Painted(reasons)
    segments = painted.stream(bytes(contents.get_data()), page_res, 0) if contents is not None else 0
    _annotation_reasons(page, reasons)
    seen: set[int] = set()
    todo: list[tuple[Any, bool]] = [(page.get("/Resources"), True)]
    walked = 0
    while todo:
        ref_res, top = todo.pop()
        res: Any = ref_res.get_object() if ref_res is not None else None
        if not hasattr(res, "get"):
            continue
        _resource_reasons(res, reasons)
        fonts: Any = res.get("/Font")
        fonts = fonts.get_object() if fonts is not None else None
        for name in list(fonts.keys()) if hasattr(fonts, "keys") else []:
            walked += 1
            if walked > MAX_RESOURCES:
                reasons.add("resource-limit")
                return reasons
            _font_reasons(fonts[name].get_object(), reasons)
        xobjects: Any = res.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else None
        for name in list(xobjects.keys()) if hasattr(xobjects, "keys") else []:
            ref = xobjects.raw_get(name)
            key = id(ref.get_object()) if not hasattr(ref, "idnum") else ref.idnum
            if key in seen:
                continue
            seen.add(key)
            walked += 1
            if walked > MAX_RESOURCES:
                reasons.add("resource-limit")
                return reasons
            xobj = ref.get_object()
            if not hasattr(xobj, "get"):
                continue
            kind = xobj.get("/Subtype")
            if kind == "/Image":
                reasons.add("image" if top else "form-image")
            elif kind == "/Form":
                if _font_key(ref) not in painted.read:  # not painted: an inline image or a shading in it
                    _stream_paint(bytes(xobj.get_data()), reasons)
                todo.append((xobj.get("/Resources"), False))
    if segments > MAX_PATH_SEGMENTS:
        reasons.add("paths")
    return reasons


class _Rendered:
    """The PDF as PDFium draws it, opened on the first page that needs rendering.  PDFium is
    not thread-safe: one rendering at a time in a process."""

    _lock = threading.Lock()

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.doc: Any = None

    def ocr(self, index: int, loc: str, ctx: Ctx, *, has_text: bool) -> None:
        """OCR page ``index`` as rendered (``{loc}/rendered``).  A page that has a text
        layer and whose rendering shows nothing like text adds no ``no-text`` problem: its
        text layer was read."""
        from dlp_proxy.files.ocr import grey_and_colour, may_have_text, ocr_image

        sub = f"{loc}/rendered"
        ctx.budget.check_time()
        if ctx.budget.ocr_seconds >= ctx.limits.ocr_max_seconds:
            ctx.problem("ocr-limit", sub)  # the file's OCR time is spent: not drawn for nothing
            return
        with self._lock:
            if self.doc is None:
                import pypdfium2 as pdfium

                self.doc = pdfium.PdfDocument(self.data, password="")
                self.doc.init_forms()  # form fields drawn as a viewer draws them (their /AP)
            page = self.doc[index]
            try:
                width, height = page.get_size()
                scale = RENDER_DPI / 72
                area = max(width * height, 1.0)
                if area * scale * scale > ctx.limits.ocr_max_pixels:
                    scale = (ctx.limits.ocr_max_pixels / area) ** 0.5
                if scale < MIN_RENDER_DPI / 72:
                    ctx.problem("ocr-limit", sub)
                    return
                bitmap = page.render(scale=scale, may_draw_forms=True, draw_annots=True)
                image = bitmap.to_pil()
            finally:
                page.close()
        gray, colour = grey_and_colour(image)
        if has_text and not may_have_text(gray, colour):
            return
        ocr_image(gray, ctx, sub, colour)

    def close(self) -> None:
        if self.doc is not None:
            with self._lock:
                self.doc.close()
                self.doc = None


#: a piece of text shown this many points or more left of the piece shown before it on the
#: same baseline is out of reading order
BACKWARDS_POINTS = 1.0
#: text drawn in a font smaller than this (points, after scaling) is not readable
TINY_POINTS = 2.0
#: text squeezed to this per cent of its width or less (``Tz``) is not readable
TINY_SCALE = 10.0
#: text showing operators
_SHOW = frozenset({b"Tj", b"TJ", b"'", b'"'})


def _mul(a: list[float], b: list[float]) -> list[float]:
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
            a[2] * b[1] + a[3] * b[3], a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def _white(values: list[float]) -> bool:
    if len(values) == 1:
        return values[0] >= 0.98  # grey
    if len(values) == 3:
        return min(values) >= 0.98  # RGB
    if len(values) == 4:
        return max(values) <= 0.02  # CMYK
    return False


class _Drawing:
    """The graphics and text state of a content stream, as far as visibility goes:
    ``step`` takes each operation in order and says whether it shows text a reader
    cannot see (rendering mode 3 or 7, white fill or stroke as the mode draws, a font
    under ``TINY_POINTS`` after scaling or squeezed to ``TINY_SCALE`` per cent, drawn
    outside the media box)."""

    def __init__(self, page: Any) -> None:
        box = [float(v) for v in page.mediabox]
        self.lo_x, self.hi_x = min(box[0], box[2]), max(box[0], box[2])
        self.lo_y, self.hi_y = min(box[1], box[3]), max(box[1], box[3])
        # graphics state: ctm, fill white, stroke white, render mode, font size, scaling, leading
        # (and what moves glyphs along the baseline: character and word spacing, rise, font)
        self.state: dict[str, Any] = {"ctm": [1.0, 0, 0, 1.0, 0, 0], "fill": False, "stroke": False, "mode": 0,
                                      "size": 0.0, "scale": 100.0, "leading": 0.0, "tc": 0.0, "tw": 0.0,
                                      "rise": 0.0, "font": None}
        self.saved: list[dict[str, Any]] = []
        self.tm = [1.0, 0, 0, 1.0, 0, 0]
        self.line = list(self.tm)

    def step(self, operands: Any, op: bytes, matrix: list[float] | None = None) -> bool:
        """Update the state with one operation; True when it shows invisible text.
        ``matrix``: the text rendering matrix when the caller tracks it (pypdf's visitor)."""
        state = self.state
        nums: list[float] = []
        if op not in _SHOW and op != b"Tf":
            try:
                nums = [float(v) for v in operands]
            except (TypeError, ValueError):
                nums = []
        if op == b"q":
            self.saved.append(dict(state))
        elif op == b"Q" and self.saved:
            self.state = state = self.saved.pop()
        elif op == b"cm" and len(nums) == 6:
            state["ctm"] = _mul(nums, state["ctm"])
        elif op in (b"rg", b"g", b"k", b"sc", b"scn"):
            state["fill"] = _white(nums)
        elif op in (b"RG", b"G", b"K", b"SC", b"SCN"):
            state["stroke"] = _white(nums)
        elif op == b"Tr" and nums:
            state["mode"] = int(nums[0])
        elif op == b"Tz" and nums:
            state["scale"] = nums[0]
        elif op == b"Tc" and nums:
            state["tc"] = nums[0]
        elif op == b"Tw" and nums:
            state["tw"] = nums[0]
        elif op == b"Ts" and nums:
            state["rise"] = nums[0]
        elif op == b'"' and len(operands) >= 3:
            try:
                state["tw"], state["tc"] = float(operands[0]), float(operands[1])
            except (TypeError, ValueError):
                pass
        elif op == b"Tf" and len(operands) == 2:
            state["font"] = operands[0]
            try:
                state["size"] = float(operands[1])
            except (TypeError, ValueError):
                state["size"] = 0.0
        elif op == b"TL" and nums:
            state["leading"] = nums[0]
        elif op == b"BT":
            self.tm, self.line = [1.0, 0, 0, 1.0, 0, 0], [1.0, 0, 0, 1.0, 0, 0]
        elif op == b"Tm" and len(nums) == 6:
            self.tm, self.line = list(nums), list(nums)
        elif op in (b"Td", b"TD") and len(nums) == 2:
            if op == b"TD":
                state["leading"] = -nums[1]
            self.line = _mul([1.0, 0, 0, 1.0, nums[0], nums[1]], self.line)
            self.tm = list(self.line)
        elif op in (b"T*", b"'", b'"'):
            self.line = _mul([1.0, 0, 0, 1.0, 0, -state["leading"]], self.line)
            self.tm = list(self.line)
        if op not in _SHOW:
            return False
        m = matrix if matrix is not None else _mul(self.tm, state["ctm"])
        x, y = m[4], m[5]
        scale = abs(m[0] * m[3] - m[1] * m[2]) ** 0.5
        mode = state["mode"]
        return bool(
            mode in (3, 7)
            or (mode in (0, 2, 4, 6) and state["fill"] and (mode in (0, 4) or state["stroke"]))
            or (mode in (1, 5) and state["stroke"])
            or abs(state["size"]) * scale < TINY_POINTS
            or abs(state["scale"]) <= TINY_SCALE
            or not (self.lo_x - 1 <= x <= self.hi_x + 1 and self.lo_y - 1 <= y <= self.hi_y + 1)
        )


#: a TJ array's number past this (thousandths of an em; positive moves the pen left) puts
#: the next piece back over the line already drawn: kerning is tens, a word space negative
TJ_BACK = 1000


def _moves_back(array: Any) -> bool:
    """Whether a ``TJ`` array moves the pen back by more than ``TJ_BACK`` at one place."""
    try:
        return any(isinstance(v, (int, float)) and not isinstance(v, bool) and v > TJ_BACK for v in array)
    except TypeError:
        return False


#: a piece shown starting inside an earlier piece on its baseline, more than this many ems
#: (of the earlier piece's font, as scaled) past its start and short of its end, interleaves
#: with it: what the two draw reads glyph by glyph across them, not one after the other.
#: Drawing a piece twice a little apart (fake bold) and kerning stay within it.
INSIDE_EMS = 0.3
#: a glyph drawn more than this many ems left of the glyph its text operation drew before it
#: is shown out of reading order (negative character or word spacing, TJ numbers): an accent
#: placed back over its letter stays within it
GLYPH_BACK_EMS = 0.2
#: pieces of one baseline drawn over the pen's position at once, past which the page is
#: taken as out of order (ordinary text has one, two where it is drawn twice for bold)
MAX_OPEN_PIECES = 64
#: a text matrix turned more than this (its m[1] against m[0]) is not read for extents
_TURNED = 0.05
#: widths of the codes of a font no widths are known for (thousandths of an em)
_GUESSED = {"courier": 600.0, "helvetica": 556.0, "arial": 556.0}
_GUESS = 500.0
_IDENTITY = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class _Widths:
    """How far a font moves the pen per code (glyph space, thousandths of an em):
    ``table`` for one-byte codes, ``wide`` for the two-byte codes of a composite font
    (``default`` for the rest), ``scale`` the Type3 font matrix's factor, ``negative``
    when any code moves the pen left, ``vertical`` for vertical writing."""

    __slots__ = ("default", "negative", "scale", "table", "vertical", "wide")

    def __init__(self, table: list[float] | None, wide: dict[int, float] | None, default: float) -> None:
        self.table = table
        self.wide = wide
        self.default = default
        self.scale = 1.0
        self.vertical = False
        self.negative = default < 0 or any(w < 0 for w in (table or ())) or any(
            w < 0 for w in (wide or {}).values())

    def codes(self, raw: bytes) -> list[int] | bytes:
        return raw if self.wide is None else _codes(raw, 2)

    def width(self, code: int) -> float:
        if self.table is not None:
            return self.table[code] if code < 256 else self.default
        return self.wide.get(code, self.default) if self.wide is not None else self.default


def _number(value: Any, default: float) -> float:
    try:
        value = value.get_object() if hasattr(value, "get_object") else value
        return float(value)
    except (TypeError, ValueError):
        return default


@functools.cache
def _core_metrics() -> dict[str, Any]:
    """pypdf's widths of the standard 14 fonts by character (pypdf 5.x on), or none."""
    try:
        from pypdf._codecs.core_font_metrics import CORE_FONT_METRICS
    except Exception:
        return {}
    return {name: metrics.character_widths for name, metrics in CORE_FONT_METRICS.items()}


def _code_chars(font: Any) -> list[str]:
    """The character each one-byte code of a simple font draws (its encoding and
    /Differences; cp1252 where nothing is known)."""
    try:
        from pypdf._codecs import charset_encoding
    except Exception:
        charset_encoding = {}
    encoding: Any = font.get("/Encoding")
    encoding = encoding.get_object() if encoding is not None else None
    base: Any = encoding.get("/BaseEncoding") if hasattr(encoding, "get") else encoding
    table = charset_encoding.get(str(base)) if base is not None else charset_encoding.get("/StandardEncoding")
    chars: list[str] = list(table) if table is not None and len(table) == 256 else list(
        bytes(range(256)).decode("cp1252", "replace"))
    for code, name in _difference_names(encoding):
        if 0 <= code < 256:
            chars[code] = glyph_text(name)[:1]
    return chars


def _standard_widths(font: Any) -> _Widths:
    """A simple font without /Widths: the standard 14's widths (by name, else by family:
    a viewer draws a font it does not have in one of them), or a guess."""
    name = str(font.get("/BaseFont") or "").removeprefix("/")
    name = name.split("+", 1)[1] if len(name) > 7 and name[6] == "+" else name
    lower = name.lower()
    guess = next((w for family, w in _GUESSED.items() if family in lower), _GUESS)
    metrics = _core_metrics()
    widths = metrics.get(name) or metrics.get(
        "Courier" if "courier" in lower else "Times-Roman" if "times" in lower or "serif" in lower else "Helvetica")
    if not widths:
        return _Widths([guess] * 256, None, guess)
    return _Widths([float(widths.get(char, guess)) if char else 0.0 for char in _code_chars(font)], None, guess)


def _font_widths(font: Any) -> _Widths:
    """The widths a viewer lays ``font``'s codes out by (ISO 32000-1 9.2.4, 9.6.2, 9.7.4.3)."""
    subtype = font.get("/Subtype")
    if subtype == "/Type0":
        encoding = str(font.get("/Encoding") or "")
        fonts: Any = font.get("/DescendantFonts")
        fonts = fonts.get_object() if fonts is not None else None
        cid: Any = fonts[0].get_object() if isinstance(fonts, list) and fonts else {}
        wide: dict[int, float] = {}
        items: Any = cid.get("/W") if hasattr(cid, "get") else None
        items = [v.get_object() if hasattr(v, "get_object") else v for v in items.get_object()] if items else []
        i = 0
        while i + 1 < len(items) and len(wide) < 65536:
            first = int(_number(items[i], 0))
            if isinstance(items[i + 1], list):
                for n, w in enumerate(items[i + 1][:65536]):
                    wide[first + n] = _number(w, 0.0)
                i += 2
            elif i + 2 < len(items):
                last, w = int(_number(items[i + 1], 0)), _number(items[i + 2], 0.0)
                for code in range(first, min(last, first + 65536) + 1):
                    wide[code] = w
                i += 3
            else:
                break
        out = _Widths(None, wide, _number(cid.get("/DW", 1000) if hasattr(cid, "get") else 1000, 1000.0))
        out.vertical = encoding.endswith("-V")
        return out
    widths: Any = font.get("/Widths")
    widths = widths.get_object() if widths is not None else None
    if not isinstance(widths, list):
        return _standard_widths(font)
    descriptor: Any = font.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else None
    missing = _number(descriptor.get("/MissingWidth", 0) if hasattr(descriptor, "get") else 0, 0.0)
    table = [missing] * 256
    first = int(_number(font.get("/FirstChar", 0), 0))
    for n, w in enumerate(widths[:256]):
        if 0 <= first + n < 256:
            table[first + n] = _number(w, missing)
    out = _Widths(table, None, missing)
    if subtype == "/Type3":
        matrix: Any = font.get("/FontMatrix")
        matrix = matrix.get_object() if matrix is not None else None
        out.scale = _number(matrix[0], 0.001) * 1000 if isinstance(matrix, list) and matrix else 1.0
        out.negative = out.negative or out.scale < 0
    return out


def _raw_string(item: Any) -> bytes | None:
    """The bytes of a string operand (None for a number or a name)."""
    if isinstance(item, bytes):
        return bytes(item)
    if isinstance(item, str) and hasattr(item, "get_original_bytes"):
        return bytes(item.get_original_bytes())
    return None


class _Line:
    """One baseline's pieces as shown: where the last one started and the ones that still
    reach past the pen's position (start, end, tolerance)."""

    __slots__ = ("last", "open")

    def __init__(self) -> None:
        self.last = float("-inf")
        self.open: list[tuple[float, float, float]] = []


class _Order:
    """Whether a page draws its text out of reading order, operation by operation as
    pypdf reads it (``before``/``after``, pypdf's visitors): each text-showing
    operation's extent on its baseline, from the fonts' widths and the text state that
    moves glyphs (character and word spacing, horizontal scaling, rise), against the
    pieces shown before it.  Form XObjects are read in their own resources and matrix."""

    def __init__(self, page: Any, drawing: _Drawing) -> None:
        self.drawing = drawing
        res: Any = page.get("/Resources")
        self.res: Any = res.get_object() if res is not None else None
        self.base: list[float] = list(_IDENTITY)
        self.forms: list[tuple[Any, list[float], dict[str, Any], int, float, Any]] = []
        self.lines: dict[int, _Line] = {}
        self.pen = 0.0  # the text-space advance since the text matrix was last set
        self.last_tm: Any = None
        self.moved = True  # a text positioning operation since the last show
        reader = getattr(page, "pdf", None)
        try:
            self.cache: dict[Any, _Widths] = _WIDTHS.setdefault(reader, {})
        except TypeError:
            self.cache = {}
        self.guess = _Widths([_GUESS] * 256, None, _GUESS)

    def widths(self, name: Any) -> _Widths:
        fonts: Any = self.res.get("/Font") if hasattr(self.res, "get") else None
        fonts = fonts.get_object() if fonts is not None else None
        if not hasattr(fonts, "get") or fonts.get(name) is None:
            return self.guess
        ref: Any = fonts.raw_get(name) if hasattr(fonts, "raw_get") else None
        key: Any = ("ref", ref.idnum, ref.generation) if hasattr(ref, "idnum") else id(fonts[name].get_object())
        found = self.cache.get(key)
        if found is None:
            font = fonts[name].get_object()
            found = _font_widths(font) if hasattr(font, "get") else self.guess
            if not isinstance(key, int):
                self.cache[key] = found
        return found

    def before(self, op: bytes, args: Any, cm: list[float], tm: list[float], hidden: bool,
               matrix: list[float]) -> bool:
        """Take one operation (after ``_Drawing.step``; ``matrix``: its text rendering matrix
        as pypdf reports it); True when it shows text out of order."""
        if op == b"Tf":
            self.drawing.state["font"] = self.widths(self.drawing.state["font"])
            return False
        if op in (b"BT", b"Tm", b"Td", b"TD", b"T*"):
            self.moved = True
            return False
        if op not in _SHOW:
            return False
        state = self.drawing.state
        t = tm
        if op != b"Tj" and op != b"TJ":  # ' and ": the next line first
            t = list(tm)
            t[4] -= state["leading"] * t[2]
            t[5] -= state["leading"] * t[3]
            matrix = _mul(_mul(t, cm), self.base)
            self.moved = True
        # pypdf reports the text matrix as last set, not as the shows since moved it: the
        # pen carries on from the last show (and starts over where pypdf moved the matrix)
        if self.moved or self.last_tm is None or (t != self.last_tm and any(
                abs(a - b) > 1e-6 for a, b in zip(t, self.last_tm, strict=True))):
            self.pen = 0.0
        self.moved, self.last_tm = False, t
        font = state["font"] if isinstance(state["font"], _Widths) else self.guess
        items = list(args[0]) if op == b"TJ" and args and isinstance(args[0], list) else args[-1:]
        start = self.pen
        self.pen, lo, hi, glyphs, back = _advance(items, font, state, start)
        if hidden or not glyphs:
            return False
        if back or state["scale"] <= 0:
            return True
        m = matrix
        rise = state["rise"]
        if abs(m[1]) > _TURNED * abs(m[0]) or m[0] <= 0 or font.vertical:
            return self.place(m[4] + start * m[0], round(m[5] + start * m[1]), None, 0.0)
        x0 = m[4] + lo * m[0] + rise * m[2]
        em = abs(state["size"]) * state["scale"] / 100 * m[0]
        return self.place(x0, round(m[5] + lo * m[1] + rise * m[3]), m[4] + hi * m[0] + rise * m[2], INSIDE_EMS * em)

    def place(self, x: float, y: int, end: float | None, tol: float) -> bool:
        """A piece from ``x`` to ``end`` on baseline ``y`` (the baselines a point either
        side count as the same line: two pieces 0.6 pt apart round apart, atk21r R6)."""
        for b in (y - 1, y, y + 1):
            line = self.lines.get(b)
            if line is None:
                continue
            if x < line.last - BACKWARDS_POINTS:
                return True
            for s, e, t in line.open:
                if s + t < x < e - t:
                    return True
        line = self.lines.get(y)
        if line is None:
            line = self.lines[y] = _Line()
        line.last = x
        if end is not None:
            line.open = [piece for piece in line.open if piece[1] > x]
            line.open.append((x, end, tol))
            return len(line.open) > MAX_OPEN_PIECES
        return False

    def enter(self, args: Any, cm: Any) -> None:
        """A ``Do``: a form XObject's operations follow, in its resources and matrix, its
        graphics state saved around them (``leave``, pypdf's after visitor)."""
        drawing = self.drawing
        self.forms.append((self.res, self.base, dict(drawing.state), len(drawing.saved), self.pen, self.last_tm))
        try:
            xobjects: Any = self.res.get("/XObject")
            xobj = xobjects.get_object()[args[0]].get_object()
            if xobj.get("/Subtype") != "/Form":
                return
            matrix: Any = xobj.get("/Matrix")
            matrix = [float(v) for v in matrix.get_object()] if matrix is not None else list(_IDENTITY)
            res: Any = xobj.get("/Resources")
            self.res = res.get_object() if res is not None else None
            outer = _mul([float(v) for v in cm], self.base)
            self.base = _mul(matrix, outer) if len(matrix) == 6 else outer
        except Exception:
            return

    def leave(self) -> None:
        if self.forms:
            self.res, self.base, state, depth, self.pen, self.last_tm = self.forms.pop()
            self.drawing.state = state
            del self.drawing.saved[depth:]


def _advance(items: Any, font: _Widths, state: dict[str, Any], pen: float) -> tuple[float, float, float, int, bool]:
    """A show's strings and TJ numbers laid out from ``pen`` (text space): the pen after
    them, the leftmost and rightmost points their glyphs reach, the glyphs shown, and
    whether a glyph is drawn more than ``GLYPH_BACK_EMS`` left of the one before it or the
    glyphs (two or more) advance nothing or backwards overall (negative character or word
    spacing, widths or TJ numbers: a string shown right to left)."""
    size, tc, tw, h = state["size"], state["tc"], state["tw"], state["scale"] / 100
    k = size * font.scale / 1000
    back = GLYPH_BACK_EMS * abs(size * h)
    start, lo, hi = pen, float("inf"), float("-inf")
    prev: float | None = None  # where the last glyph was drawn
    glyphs, inked, bad = 0, 0.0, False
    single = font.wide is None
    # every glyph moves the pen right: a string's glyphs are counted together
    fast = k > 0 and h > 0 and tc >= 0 and tw >= 0 and not font.negative
    for item in items:
        raw = _raw_string(item)
        if raw is None:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                pen -= float(item) / 1000 * size * h
            continue
        codes = font.codes(raw)
        if not codes:
            continue
        if prev is not None and pen < prev - back:
            bad = True
        if fast:
            table = font.table
            total = sum(map(table.__getitem__, codes)) if table is not None else sum(map(font.width, codes))
            last = codes[-1]
            spaces = raw.count(32) if single else 0
            advance = (total * k + len(codes) * tc + spaces * tw) * h
            lo = min(lo, pen)
            prev = pen + advance - (font.width(last) * k + tc + (tw if single and last == 32 else 0)) * h
            pen += advance
            hi = max(hi, pen)
            glyphs += len(codes)
            inked += total
            continue
        for code in codes:
            width = font.width(code)
            if prev is not None and pen < prev - back:
                bad = True
            ink = pen + width * k * h
            prev = pen
            pen += (width * k + tc + (tw if single and code == 32 else 0)) * h
            lo, hi = min(lo, prev, ink), max(hi, prev, ink, pen)
            glyphs += 1
            inked += abs(width)
    return pen, lo, hi, glyphs, bad or (glyphs >= 2 and inked > 0 and pen <= start)


#: each reader's fonts' widths (by object number), read once a document
_WIDTHS: weakref.WeakKeyDictionary[Any, dict[Any, _Widths]] = weakref.WeakKeyDictionary()


def page_text(page: Any) -> tuple[str, bool, bool]:
    """pypdf's text of the page, whether it shows text a reader cannot see (found while
    pypdf reads the page: a second pass, ``displayed_text``, only for such pages), and
    whether it draws text out of reading order (``_Order``: a piece shown left of an
    earlier piece on the same baseline or inside its extent, glyphs shown right to left:
    extraction follows the drawing order, a viewer the positions)."""
    drawing = _Drawing(page)
    order = _Order(page, drawing)
    found = False
    backwards = False

    def visit(op: bytes, args: Any, cm: Any, tm: Any) -> None:
        nonlocal found, backwards
        if op == b"Do":
            order.enter(args, cm)  # (left by the after visitor)
            return
        try:
            cm, tm = [float(v) for v in cm], [float(v) for v in tm]
            matrix = _mul(tm, cm)
            if order.forms:
                matrix = _mul(matrix, order.base)
            hidden = drawing.step(args, op, matrix)
        except Exception:
            return
        found = found or hidden
        if backwards:
            return
        try:
            backwards = order.before(op, args, cm, tm, hidden, matrix)
        except Exception:
            backwards = op in _SHOW and not hidden  # a show that cannot be laid out: as drawn
        if backwards:
            return
        if op == b"TJ" and not hidden and args and _moves_back(args[0]):
            backwards = True  # a TJ whose spacing moves the pen back left (atk21r R6)

    def after(op: bytes, args: Any, cm: Any, tm: Any) -> None:
        if op == b"Do":
            order.leave()

    forms = hasattr(order.res, "get") and order.res.get("/XObject") is not None
    text = page.extract_text(visitor_operand_before=visit, visitor_operand_after=after if forms else None) or ""
    return str(text), found, backwards


def layout_text(page: Any, text: str) -> str | None:
    """The page's text by position (pypdf's layout mode: lines top to bottom, glyphs left to
    right), or None when it reads as ``text`` (the content-stream order) does, whitespace
    aside.  Glyphs drawn out of reading order with absolute text matrices extract in
    drawing order; a viewer shows them by position."""
    laid = str(page.extract_text(extraction_mode="layout") or "")
    laid = "\n".join(" ".join(line.split()) for line in laid.splitlines() if line.strip())
    if "".join(laid.split()) == "".join(text.split()):
        return None
    return laid


def displayed_text(page: Any) -> str | None:
    """The page's text as a viewer shows it, or None when nothing on it is hidden: the
    page's content stream with every text-showing operation a reader cannot see
    (``_Drawing``) removed, then read as pypdf reads it.  Text in form XObjects is kept."""
    from pypdf.generic import ContentStream

    contents = page.get_contents()
    if contents is None:
        return None
    stream = ContentStream(contents, page.pdf)
    drawing = _Drawing(page)
    kept: list[Any] = []
    dropped = 0
    for operands, op in stream.operations:
        if drawing.step(operands, op):
            dropped += 1
            if op == b"'":
                kept.append(([], b"T*"))
            elif op == b'"':
                kept.append((list(operands[:2]), b"Tw"))
            continue
        kept.append((operands, op))
    if not dropped:
        return None
    from pypdf import PageObject
    from pypdf.generic import NameObject

    # a text matrix set and replaced before anything is shown moved nothing a reader
    # sees (the jump to the hidden text): dropped, so the text either side stays one word
    superseded: set[int] = set()
    last_tm: int | None = None
    for n, (_operands, op) in enumerate(kept):
        if op in _SHOW or op in (b"Td", b"TD", b"T*", b"ET"):
            last_tm = None
        elif op == b"Tm":
            if last_tm is not None:
                superseded.add(last_tm)
            last_tm = n
    stream.operations = [item for n, item in enumerate(kept) if n not in superseded]
    shown = PageObject(page.pdf, page.indirect_reference)  # a copy: the reader's page stays as read
    shown.update(page)
    shown[NameObject("/Contents")] = stream
    return str(shown.extract_text() or "")


def _metadata(reader: Any, ctx: Ctx) -> None:
    try:
        meta = reader.metadata or {}
        values = [_s(v) for v in meta.values()]
    except Exception:
        return
    ctx.add("metadata", "\n".join(v for v in values if v.strip()))


def _annotations(page: Any, number: int, ctx: Ctx) -> None:
    annots = page.get("/Annots")
    if annots is None:
        return
    annots = annots.get_object()
    parts: list[str] = []
    for ref in list(annots)[:10000]:
        annot = ref.get_object()
        if not hasattr(annot, "get"):
            continue
        if annot.get("/Subtype") == "/Widget":
            continue  # form fields are reported by _form_fields with their page
        for key in ("/Contents", "/T", "/Subj", "/RC"):
            if key in annot:
                parts.append(_s(annot[key]))
        action = annot.get("/A")
        if action is not None:
            action = action.get_object()
            if hasattr(action, "get") and "/URI" in action:
                parts.append(_s(action["/URI"]))
    ctx.add(f"page={number}/annotations", "\n".join(p for p in parts if p.strip()))


def _form_fields(reader: Any, ctx: Ctx) -> None:
    try:
        fields = reader.get_fields() or {}
    except TimeUp:
        raise
    except Exception:
        ctx.problem("corrupt", "form")
        return
    page_by_name: dict[str, int] = {}
    # Map fully qualified names to pages through the widgets seen on each page.
    for number, page in enumerate(reader.pages[: ctx.limits.max_pages], start=1):
        try:
            annots = page.get("/Annots")
            if annots is None:
                continue
            for ref in list(annots.get_object())[:10000]:
                annot = ref.get_object()
                if annot.get("/Subtype") != "/Widget":
                    continue
                name_parts: list[str] = []
                node: Any = annot
                for _ in range(32):
                    if "/T" in node:
                        name_parts.append(_s(node["/T"]))
                    parent = node.get("/Parent")
                    if parent is None:
                        break
                    node = parent.get_object()
                page_by_name.setdefault(".".join(reversed(name_parts)), number)
        except TimeUp:
            raise
        except Exception:  # noqa: S112 - a broken widget only loses the page number of a field
            continue
    for name, field in list(fields.items())[: ctx.limits.max_entries]:
        ctx.budget.check_time()
        value = field.get("/V") if hasattr(field, "get") else None
        default = field.get("/DV") if hasattr(field, "get") else None
        texts = [t for t in (_s(value), _s(default) if default != value else "") if t.strip()]
        opts = field.get("/Opt") if hasattr(field, "get") else None
        if opts is not None:
            texts.append(_s(opts))
        if not texts:
            continue
        page = page_by_name.get(name)
        sub = f"page={page}/form:{name}" if page else f"form:{name}"
        ctx.add(sub, "\n".join(texts))


def _attachments(reader: Any, ctx: Ctx) -> None:
    try:
        attachments = reader.attachments
        items = list(attachments.items())
    except TimeUp:
        raise
    except Exception:
        return
    for name, blobs in items[: ctx.limits.max_entries]:
        for blob in blobs:
            if not ctx.budget.take_entry(ctx.loc(f"attachment={name}")):
                return
            ctx.child(f"attachment={name}").extract(bytes(blob), name=name)


# -- fonts that may lie, checked once a font (pages past FONT_RENDER_PAGES) ----------------
#
# A font with a ToUnicode map or its own glyph program can draw other glyphs than its text
# extracts to.  The first FONT_RENDER_PAGES pages that use one are rendered; past them, a
# page whose only reason is such a font is rendered when one of the fonts it shows text in
# draws a digit its text layer does not say (``_FontCheck``): every code the document
# shows in the font (from every page read) is drawn once, by PDFium, in a specimen, and
# the specimen OCR'd and compared with what pypdf extracts from the same codes.

#: codes of one font drawn in one specimen at most (more: the font is taken as lying)
MAX_SPECIMEN_CODES = 512
#: glyphs a specimen line
SPECIMEN_LINE = 12
#: points a glyph in the specimen (rendered at 72 dpi: 24 px)
SPECIMEN_POINTS = 24
#: characters that Tesseract reads as a digit when a specimen draws them (measured on the
#: DejaVu family): the letters the identifier recognizers read as digits anyway
#: (recognizers/_common.py LOOKALIKE), strokes and brackets as 1, ``?`` as 7, ``+`` as 4,
#: ``&`` as 8
_LOOKALIKE_DIGITS = str.maketrans({
    "O": "0", "o": "0", "l": "1", "I": "1", "i": "1", "|": "1", "!": "1", "[": "1", "]": "1", "(": "1", ")": "1",
    "{": "1", "}": "1", "/": "1", "\\": "1", "'": "1", "?": "7", "+": "4", "&": "8", "$": "5", "%": "8", "#": "4"})
_DELIMS = b"()<>[]{}/%"
_SPACE = b" \t\r\n\f\x00"


def _literal(data: bytes, i: int) -> tuple[bytes, int]:
    """The literal string starting at ``data[i] == '('`` (nested parentheses, escapes) and
    the index after it."""
    out = bytearray()
    depth = 1
    i += 1
    n = len(data)
    while i < n:
        c = data[i]
        if c == 0x5C:  # backslash
            i += 1
            if i >= n:
                break
            e = data[i]
            if e in b"01234567":
                j = i
                while j < n and j < i + 3 and data[j] in b"01234567":
                    j += 1
                out.append(int(data[i:j], 8) & 0xFF)
                i = j
                continue
            if e in b"\r\n":
                i += 2 if data[i:i + 2] == b"\r\n" else 1
                continue
            out += {0x6E: b"\n", 0x72: b"\r", 0x74: b"\t", 0x62: b"\b", 0x66: b"\f"}.get(e, bytes([e]))
            i += 1
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(c)
        i += 1
    return bytes(out), n


def _tokens(data: bytes) -> Any:
    """The tokens of a content stream: ("s", bytes) for strings, ("n", name) for names,
    ("[", ""), ("]", ""), ("o", operator or number).  Dictionaries' ``<<``/``>>`` are
    skipped; an inline image (``BI``) ends the stream (``("BI", b"")``)."""
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        if c in _SPACE:
            i += 1
        elif c == 0x25:  # comment
            while i < n and data[i] not in b"\r\n":
                i += 1
        elif c == 0x28:
            text, i = _literal(data, i)
            yield "s", text
        elif c == 0x3C:
            if data[i:i + 2] == b"<<":
                i += 2
                continue
            j = data.find(b">", i)
            j = n if j < 0 else j
            digits = re.sub(rb"[^0-9A-Fa-f]", b"", data[i + 1:j])
            yield "s", bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
            i = j + 1
        elif c == 0x3E:
            i += 1
        elif c in b"[]":
            yield chr(c), b""
            i += 1
        elif c in b"{}":
            i += 1
        elif c == 0x2F:
            j = i + 1
            while j < n and data[j] not in _SPACE and data[j] not in _DELIMS:
                j += 1
            yield "n", data[i:j]
            i = j
        else:
            j = i
            while j < n and data[j] not in _SPACE and data[j] not in _DELIMS:
                j += 1
            if j == i:  # a stray ")": skipped (it would otherwise never be consumed)
                i += 1
                continue
            word = data[i:j]
            if word == b"BI":
                yield "BI", b""
                return
            yield "o", word
            i = j


def _font_key(ref: Any) -> int:
    return int(ref.idnum) if hasattr(ref, "idnum") else id(ref.get_object())


def _code_width(font: Any) -> int:
    """Bytes a code of ``font``: 1 (simple fonts), 2 (a Type0 font in Identity-H/V), 0
    (another CMap: codes of varying width, not checked)."""
    if font.get("/Subtype") != "/Type0":
        return 1
    return 2 if font.get("/Encoding") in ("/Identity-H", "/Identity-V") else 0


def _codes(text: bytes, width: int) -> list[int]:
    if width == 1:
        return list(text)
    return [int.from_bytes(text[i:i + 2], "big") for i in range(0, len(text) - 1, 2)]


def _shown_codes(data: bytes, res: Any, uses: dict[int, tuple[Any, set[int]]]) -> bool:
    """Add the codes each font shows in a content stream (``res``: its resources) to
    ``uses``; False when the stream shows text in a font this cannot tell (no ``Tf``
    before, a name missing from the resources, codes of varying width), sets a font
    through an ExtGState, or holds an inline image."""
    fonts: Any = res.get("/Font") if hasattr(res, "get") else None
    fonts = fonts.get_object() if fonts is not None else None
    states: Any = res.get("/ExtGState") if hasattr(res, "get") else None
    states = states.get_object() if states is not None else None
    for name in list(states.keys())[:MAX_RESOURCES] if hasattr(states, "keys") else []:
        state = states[name].get_object()
        if hasattr(state, "get") and state.get("/Font") is not None:
            return False
    current: Any = None
    stack: list[Any] = []
    strings: list[bytes] = []
    names: list[str] = []
    array: list[bytes] | None = None
    for kind, value in _tokens(data):
        if kind == "BI":
            return False
        if kind == "[":
            array = []
        elif kind == "]":
            strings.extend(array or [])
            array = None
        elif kind == "s":
            (array if array is not None else strings).append(value)
        elif kind == "n":
            names.append(value[1:].decode("latin-1"))
        elif array is None and not (value[:1].isdigit() or value[:1] in b"+-."):
            if value == b"q":
                stack.append(current)
            elif value == b"Q":
                current = stack.pop() if stack else current
            elif value == b"Tf":
                name = "/" + names[-1] if names else ""
                current = fonts.raw_get(name) if name and hasattr(fonts, "keys") and name in fonts else None
                if current is None:
                    return False
            elif value in (b"Tj", b"'", b'"', b"TJ"):
                if current is None:
                    return False
                font = current.get_object()
                width = _code_width(font) if hasattr(font, "get") else 0
                if width == 0:
                    return False
                codes = uses.setdefault(_font_key(current), (font, set()))[1]
                for text in strings:
                    codes.update(_codes(text, width))
            strings, names = [], []
    return True


def page_font_uses(page: Any) -> dict[int, tuple[Any, set[int]]] | None:
    """The codes each font shows on ``page`` (its content and the form XObjects it draws,
    each once, up to MAX_RESOURCES), by font object; None when that cannot be told
    (``_shown_codes``)."""
    uses: dict[int, tuple[Any, set[int]]] = {}
    res: Any = page.get("/Resources")
    res = res.get_object() if res is not None else None
    contents = page.get_contents()
    if contents is not None and not _shown_codes(bytes(contents.get_data()), res, uses):
        return None
    seen: set[int] = set()
    todo: list[Any] = [res]
    while todo:
        res = todo.pop()
        xobjects: Any = res.get("/XObject") if hasattr(res, "get") else None
        xobjects = xobjects.get_object() if xobjects is not None else None
        for name in list(xobjects.keys()) if hasattr(xobjects, "keys") else []:
            ref = xobjects.raw_get(name)
            key = _font_key(ref)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > MAX_RESOURCES:
                return None
            xobj = ref.get_object()
            if not hasattr(xobj, "get") or xobj.get("/Subtype") != "/Form":
                continue
            own: Any = xobj.get("/Resources")
            own = own.get_object() if own is not None else res
            if not _shown_codes(bytes(xobj.get_data()), own, uses):
                return None
            todo.append(own)
    return uses


def _digits_agree(read: str, claimed: str) -> bool:
    """Whether the digits OCR read in a specimen are the digits its codes extract to: those
    in order, plus at most one ``0`` or ``1``... for each character of the text that looks
    like it (``_LOOKALIKE_DIGITS``: ``O`` read as 0, ``?`` as 7)."""
    drawn = [c for c in read if "0" <= c <= "9"]
    said = [c for c in claimed if "0" <= c <= "9"]
    extra = Counter(drawn)
    it = iter(drawn)
    if not all(any(c == d for d in it) for c in said):  # said is not a subsequence of drawn
        return False
    extra.subtract(said)
    allowed = Counter(c for c in claimed.translate(_LOOKALIKE_DIGITS) if "0" <= c <= "9")
    allowed.subtract(said)
    return all(n <= max(allowed[d], 0) for d, n in extra.items() if n > 0)


def font_lies(font: Any, codes: list[int], ctx: Ctx) -> bool:
    """Whether ``font`` draws, for one of ``codes``, a digit that pypdf does not extract
    for it: the codes drawn by PDFium in a specimen (codes whose text is a letter or a
    digit, then the others, 12 a line), OCR'd, and the digits read compared with the
    digits of the codes' text (the letters the recognizers read as digits, ``O`` and
    ``l``..., counted as those digits; for codes whose text is punctuation, a digit
    Tesseract reads for that punctuation drawn alone, ``?`` as 7, is not one).  True
    too when the check cannot be made (too many codes, a specimen that does not extract
    one line a code, no OCR)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    from dlp_proxy.files.ocr import read_block

    width = _code_width(font)
    if not codes or len(codes) > MAX_SPECIMEN_CODES or width == 0:
        return bool(codes)
    writer = PdfWriter()
    cloned: Any = font.clone(writer)
    ref = cloned.indirect_reference or writer._add_object(cloned)
    resources = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F"): ref})})

    def page(content: bytes, size: tuple[float, float]) -> None:
        new = writer.add_blank_page(*size)
        stream = StreamObject()
        stream.set_data(content)
        new[NameObject("/Resources")] = resources
        new[NameObject("/Contents")] = writer._add_object(stream)

    hexes = [b"<%s>" % code.to_bytes(width, "big").hex().encode() for code in codes]
    page(b"BT /F 10 Tf 10 %d Td 12 TL " % (12 * len(codes) + 4) + b" Tj T* ".join(hexes) + b" Tj ET",
         (200, 12 * len(codes) + 20))
    out = io.BytesIO()
    writer.write(out)
    lines = str(PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text() or "").split("\n")
    if len(lines) < len(codes) or any(line.strip() for line in lines[len(codes):]):
        return True
    claims = [line.strip() for line in lines[: len(codes)]]
    alnum = [n for n, claim in enumerate(claims) if claim.isascii() and claim.isalnum()]
    others = [n for n, claim in enumerate(claims) if not (claim.isascii() and claim.isalnum())]
    pt = SPECIMEN_POINTS
    for group in (alnum, others):
        rows = [group[i:i + SPECIMEN_LINE] for i in range(0, len(group), SPECIMEN_LINE)]
        height = 2 * pt * (len(rows) + 1)
        content = b"".join(b"BT /F %d Tf %d %d Td [%s] TJ ET\n" % (
            pt, pt, height - 2 * pt * (k + 1), b" -400 ".join(hexes[n] for n in row)) for k, row in enumerate(rows))
        page(content, (pt * (2 * SPECIMEN_LINE + 2), height))
    out = io.BytesIO()
    writer.write(out)
    readings: list[str] = []
    for index, group in ((1, alnum), (2, others)):
        if not group:
            readings.append("")
            continue
        ctx.budget.check_time()
        with _Rendered._lock:
            import pypdfium2 as pdfium

            doc = pdfium.PdfDocument(out.getvalue())
            try:
                drawn = doc[index].render(scale=1).to_pil().convert("L")
            finally:
                doc.close()
        read = read_block(drawn, ctx)
        if read is None:
            return True
        readings.append(read)
    return not all(_digits_agree(read, "".join(claims[n] for n in group))
                   for read, group in zip(readings, (alnum, others), strict=True))


class _FontCheck:
    """Which pages past FONT_RENDER_PAGES show text in a font that lies (``font_lies``),
    each font checked once on every code the document shows in it from there on."""

    def __init__(self, pages: Any, end: int) -> None:
        self.pages = pages
        self.end = end
        self.shown: dict[int, set[int]] | None = None
        self.checked: dict[int, set[int]] = {}
        self.lying: set[int] = set()

    def _collect(self, start: int, ctx: Ctx) -> dict[int, set[int]]:
        shown: dict[int, set[int]] = {}
        for index in range(start, self.end):
            ctx.budget.check_time()
            try:
                uses = page_font_uses(self.pages[index])
            except TimeUp:
                raise
            except Exception:
                uses = None
            for key, (_font, codes) in (uses or {}).items():
                shown.setdefault(key, set()).update(codes)
        return shown

    def page_lies(self, index: int, ctx: Ctx) -> bool:
        uses = page_font_uses(self.pages[index])
        if uses is None:
            return True
        if self.shown is None:
            self.shown = self._collect(index, ctx)
        for key, (font, codes) in uses.items():
            reasons: set[str] = set()
            _font_reasons(font, reasons)
            if not reasons & _FONT_REASONS:
                continue
            if key in self.lying:
                return True
            todo = (codes | self.shown.get(key, set())) - self.checked.get(key, set())
            if not todo:
                continue
            self.checked.setdefault(key, set()).update(todo)
            if font_lies(font, sorted(todo), ctx):
                self.lying.add(key)
                return True
        return False


# -- what the cross-reference chain does not reach -----------------------------------------
#
# A PDF is read through its last trailer: the catalog, the page tree, what they reference.
# The file carries more: the objects of earlier revisions (an incremental update re-points
# a page at a new content stream; the old one stays, in clear, and cutting the file at its
# first %%EOF gives the earlier document, which any viewer opens), objects no revision
# references, and bytes in no object at all.  ``_unreached`` reads every object the last
# revision's reading does not (a top-level object that is not the one the cross-reference
# table names for its number, or that nothing reachable from the trailer references; the
# same for objects in object streams): its strings, and its stream (a content stream's
# strings, an embedded file, XMP, a JPEG; fonts and other images are not read), and the
# bytes outside every object, cross-reference section and trailer as they are
# (``outside.py``).

_OBJ = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+obj(?![A-Za-z])")
_REF = re.compile(rb"(?<![0-9])(\d{1,10})[ \t\r\n\f\x00]+(\d{1,5})[ \t\r\n\f\x00]+R(?![A-Za-z])")
_STREAM_KW = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_NAME_VALUE = re.compile(rb"/(Type|Subtype|Filter)[ \t\r\n\f\x00]*(\[[^\]]{0,400}\]|/[^ \t\r\n\f\x00/<>\[\]()]{1,64})")
_PDF_DATE = re.compile(r"^D:\d{4}")
#: objects read at most by the raw scan (more: ``corrupt``, the rest unread)
MAX_RAW_OBJECTS = 200_000
_SKIP_STREAMS = frozenset({b"/XRef", b"/ObjStm", b"/FontFile", b"/FontFile2", b"/FontFile3"})


class _RawObject:
    __slots__ = ("end", "gen", "head", "num", "start", "stream")

    def __init__(self, num: int, gen: int, start: int, end: int, head: bytes, stream: bytes | None) -> None:
        self.num, self.gen, self.start, self.end, self.head, self.stream = num, gen, start, end, head, stream


def _raw_objects(data: bytes, ctx: Ctx) -> list[_RawObject]:
    """Every ``N G obj ... endobj`` of the file in order (a stream's data skipped by its
    ``endstream``, so nothing inside one is taken for an object)."""
    out: list[_RawObject] = []
    pos = 0
    while len(out) < MAX_RAW_OBJECTS:
        m = _OBJ.search(data, pos)
        if m is None:
            return out
        if len(out) % 256 == 0:
            ctx.budget.check_time()
        body = m.end()
        end_obj = data.find(b"endobj", body)
        nxt = _OBJ.search(data, body, end_obj if end_obj >= 0 else len(data))
        if nxt is not None and _STREAM_KW.search(data, body, nxt.start()) is None:
            end_obj = -2  # no endobj before the next object: this one ends there
            end_at = nxt.start()
        if end_obj == -2:
            out.append(_RawObject(int(m.group(1)), int(m.group(2)), m.start(), end_at, data[body:end_at], None))
            pos = end_at
            continue
        s = _STREAM_KW.search(data, body, end_obj if end_obj >= 0 else len(data))
        stream: bytes | None = None
        head_end = end_obj if end_obj >= 0 else len(data)
        if s is not None:
            head_end = s.start()
            stop = data.find(b"endstream", s.end())
            stop = len(data) if stop < 0 else stop
            stream = data[s.end():stop]
            end_obj = data.find(b"endobj", stop)
        end = len(data) if end_obj < 0 else end_obj + 6
        out.append(_RawObject(int(m.group(1)), int(m.group(2)), m.start(), end, data[body:head_end], stream))
        pos = end
    ctx.problem("corrupt", "objects")
    return out


def _names(head: bytes, key: bytes) -> list[bytes]:
    for m in _NAME_VALUE.finditer(head):
        if m.group(1) == key:
            return re.findall(rb"/[^ \t\r\n\f\x00/<>\[\]()]+", m.group(2))
    return []


def _decoded(obj: _RawObject, ctx: Ctx) -> bytes | None:
    """The stream's data through its filters (None: a filter not decoded here, e.g. an
    image codec)."""
    import base64

    from dlp_proxy.files.outside import _inflate

    raw = obj.stream or b""
    for name in _names(obj.head, b"Filter"):
        ctx.budget.check_time()
        if name in (b"/FlateDecode", b"/Fl"):
            try:
                raw = _inflate(raw, ctx, wbits=zlib.MAX_WBITS)
            except zlib.error:
                try:
                    raw = _inflate(raw, ctx, wbits=-zlib.MAX_WBITS)
                except zlib.error:
                    return None
        elif name in (b"/ASCIIHexDecode", b"/AHx"):
            digits = re.sub(rb"[^0-9A-Fa-f]", b"", raw.split(b">", 1)[0])
            raw = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode())
        elif name in (b"/ASCII85Decode", b"/A85"):
            body = raw.strip().removeprefix(b"<~").split(b"~>", 1)[0]
            raw = base64.a85decode(re.sub(rb"\s", b"", body))
        elif name in (b"/LZWDecode", b"/LZW", b"/RunLengthDecode", b"/RL"):
            from pypdf.filters import LZWDecode, RunLengthDecode

            raw = (LZWDecode if b"LZW" in name else RunLengthDecode).decode(raw)
        else:
            return None
    return raw


def _string_text(raw: bytes) -> str:
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", "replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    return raw.decode("latin-1")


def _texty(text: str) -> bool:
    shown = sum(1 for c in text if c.isprintable() or c in "\t\r\n")
    return bool(text.strip()) and shown >= 0.8 * len(text) and not _PDF_DATE.match(text)


def _head_strings(head: bytes) -> list[str]:
    """The strings of an object's dictionary (or of any object that is no stream)."""
    out: list[str] = []
    if b"(" not in head and b"<" not in head:
        return out
    for kind, value in _tokens(head):
        if kind == "BI":
            break
        if kind == "s":
            text = pdfdoc_text(value)
            if _texty(text):
                out.append(text)
    return out


def _content_strings(content: bytes, ctx: Ctx) -> str:
    """The strings a content stream shows, a text object (``BT`` ... ``ET``) a line."""
    lines: list[str] = []
    line: list[str] = []
    for count, (kind, value) in enumerate(_tokens(content)):
        if count % 4096 == 4095:
            ctx.budget.check_time()
        if kind == "s":
            line.append(_string_text(value))
        elif kind == "o" and value == b"ET" and line:
            lines.append("".join(line))
            line = []
        elif kind == "BI":
            break
    if line:
        lines.append("".join(line))
    return "\n".join(t for t in lines if _texty(t))


def _objstm_objects(stream: bytes, head: bytes) -> list[tuple[int, bytes]]:
    """(number, body) of each object in a decoded object stream."""
    m = re.search(rb"/N[ \t\r\n\f\x00]+(\d+)", head)
    f = re.search(rb"/First[ \t\r\n\f\x00]+(\d+)", head)
    if m is None or f is None:
        return []
    first = int(f.group(1))
    nums = [int(x) for x in re.findall(rb"\d+", stream[:first])]
    pairs = list(zip(nums[0::2], nums[1::2], strict=False))[: int(m.group(1))]
    out: list[tuple[int, bytes]] = []
    for k, (num, off) in enumerate(pairs):
        end = first + pairs[k + 1][1] if k + 1 < len(pairs) else len(stream)
        out.append((num, stream[first + off:end]))
    return out


def _trailer_refs(reader: Any) -> set[int]:
    refs: set[int] = set()
    try:
        for value in reader.trailer.values():
            if hasattr(value, "idnum"):
                refs.add(int(value.idnum))
    except Exception:  # noqa: S110 - no trailer: nothing is reachable, everything is read raw
        pass
    return refs


def _structure(data: bytes) -> list[tuple[int, int]]:
    """The spans of the cross-reference sections, trailers and header lines."""
    spans: list[tuple[int, int]] = []
    header = data.find(b"%PDF-")
    if header >= 0:
        line = re.compile(rb"[^\r\n]*[\r\n]+")
        m = line.match(data, header)
        end = m.end() if m else header + 8
        m2 = line.match(data, end)
        if m2 is not None and data[end:end + 1] == b"%" and m2.end() - end < 64:
            end = m2.end()  # the binary comment line
        spans.append((0 if header < 1024 and not data[:header].strip(b"\x00 \t\r\n\f") else header, end))
    for m in re.finditer(rb"(?<![A-Za-z])(xref|startxref)(?![A-Za-z])", data):
        if m.group(1) == b"xref":
            stop = data.find(b"trailer", m.end())
            if stop < 0 or re.search(rb"[^0-9 \t\r\n\f fn]", data[m.end():stop]):
                continue
            start = m.start()
        else:
            start = m.start()
        eof = data.find(b"%%EOF", m.end())
        if eof < 0:
            continue
        spans.append((start, eof + 5))
    for m in re.finditer(rb"(?<![A-Za-z])trailer(?![A-Za-z])", data):
        eof = data.find(b"%%EOF", m.end())
        if eof >= 0:
            spans.append((m.start(), eof + 5))
    return spans


def _unreached(reader: Any, data: bytes, ctx: Ctx) -> None:
    """Read what the last revision's reading does not reach (see above)."""
    from dlp_proxy.files.outside import read_spans, uncovered, with_polyglot_zip

    objects = _raw_objects(data, ctx)
    if not reader.is_encrypted:
        _unreached_objects(reader, objects, ctx)
    covered = with_polyglot_zip(data, [(o.start, o.end) for o in objects] + _structure(data))
    read_spans(data, uncovered(len(data), covered), ctx)


def _unreached_objects(reader: Any, objects: list[_RawObject], ctx: Ctx) -> None:
    xref: dict[int, dict[int, int]] = getattr(reader, "xref", {}) or {}
    in_stm: dict[int, Any] = getattr(reader, "xref_objStm", {}) or {}
    current: dict[int, _RawObject] = {}
    for obj in objects:
        if xref.get(obj.gen, {}).get(obj.num) == obj.start:
            current[obj.num] = obj
    # objects in object streams: (number, stream object number) -> body
    packed: dict[tuple[int, int], bytes] = {}
    decoded: dict[int, bytes | None] = {}
    for obj in objects:
        if obj.stream is not None and b"/ObjStm" in _names(obj.head, b"Type"):
            try:
                stream = _decoded(obj, ctx)
            except TimeUp:
                raise
            except (Bomb, TooBig):
                ctx.problem("size-limit", f"object={obj.num}@{obj.start}")
                stream = None
            except Exception:
                stream = None
            decoded[id(obj)] = stream
            if stream is not None:
                for num, packed_body in _objstm_objects(stream, obj.head):
                    packed.setdefault((num, obj.num), packed_body)
    current_packed: dict[int, bytes] = {}
    for (num, stm), body in packed.items():
        where = in_stm.get(num)
        if where is not None and int(where[0]) == stm and stm in current and num not in current:
            current_packed[num] = body
    # reachable from the trailer through current objects
    seen: set[int] = set()
    todo = list(_trailer_refs(reader))
    while todo:
        num = todo.pop()
        if num in seen:
            continue
        seen.add(num)
        if len(seen) % 1024 == 0:
            ctx.budget.check_time()
        cur = current.get(num)
        refs_from = cur.head if cur is not None else current_packed.get(num)
        if refs_from is not None:
            todo.extend(int(m.group(1)) for m in _REF.finditer(refs_from))
    contents = _page_contents(reader, ctx)
    for obj in objects:
        ctx.budget.check_time()
        loc = f"object={obj.num}@{obj.start}"
        if obj.num in seen and current.get(obj.num) is obj:
            # reached: read by the readings above where they know the object; its other
            # strings and names are read here (a JavaScript action, a custom key), those
            # not in clear in the file (hex, escapes) only: the raw reading has the others
            if not ctx.add(f"{loc}/values", _object_values(obj.head, clear=True)):
                return
            if obj.stream is not None and obj.num not in contents:
                _reached_stream(obj, decoded.get(id(obj)) if id(obj) in decoded else None, loc, ctx)
            continue
        if not ctx.add(loc, "\n".join(_head_strings(obj.head))):
            return
        if obj.stream is not None:
            _unreached_stream(obj, decoded.get(id(obj)) if id(obj) in decoded else None, loc, ctx)
    for (num, stm), body in packed.items():
        ctx.budget.check_time()
        if num in seen and current_packed.get(num) is body:
            # a reached object in an object stream: compressed, so no raw reading sees it
            if not ctx.add(f"object={num}@objstm={stm}/values", _object_values(body, clear=False)):
                return
            continue
        if not ctx.add(f"object={num}@objstm={stm}", "\n".join(_head_strings(body))):
            return


def _page_contents(reader: Any, ctx: Ctx) -> set[int]:
    """The object numbers of the pages' content streams (read by the page readings)."""
    out: set[int] = set()
    try:
        for number, page in enumerate(reader.pages):
            if number >= ctx.limits.max_pages:
                break
            ref: Any = page.raw_get("/Contents") if "/Contents" in page else None
            if hasattr(ref, "idnum"):
                out.add(int(ref.idnum))
                ref = ref.get_object()  # one stream, or an array of them
            if isinstance(ref, list):
                out.update(int(r.idnum) for r in ref if hasattr(r, "idnum"))
    except TimeUp:
        raise
    except Exception:  # noqa: S110 - contents not found: their streams are read as any other
        pass
    return out


def _name_text(raw: bytes) -> str:
    """A name token (``/client#20SSN``) as the text it names (``#xx`` escapes decoded)."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw[1:]).decode("latin-1")


#: a hex string (``<...>``, not a dictionary's ``<<``), an escape in a literal string, a ``#xx`` in a name
_ENCODED = re.compile(rb"(?<!<)<(?!<)[0-9A-Fa-f \t\r\n\f\x00]*>|\\|#[0-9A-Fa-f]{2}")


def _object_values(body: bytes, *, clear: bool) -> str:
    """The strings and names of an object (not a stream's data): every string that reads
    as text, the name before it (its key: ``/PieceInfo (...)`` gives ``PieceInfo ...``),
    and every name written with a ``#xx`` escape (names with digits, ``/section.1.2.3``
    destinations one a line, read as card numbers across lines: left out).  ``clear``:
    the object's bytes are in clear in the file (the raw reading has them): only strings and names written encoded
    (hex, escapes, ``#xx``) are read."""
    if clear and _ENCODED.search(body) is None:
        return ""  # no hex string, escape or #xx: the raw reading has every string and name
    plain = body.replace(b"\\", b"") if clear else b""  # (a string's ``\(`` as the raw reading shows it)
    out: list[str] = []
    key = ""
    for kind, value in _tokens(body):
        if kind == "BI":
            break
        if kind == "n":
            name = _name_text(value)
            encoded = b"#" in value
            if encoded:
                out.append(name)
                key = ""
            else:
                key = name
        elif kind == "s":
            text = pdfdoc_text(value)
            if _texty(text) and not (clear and value in plain):
                out.append(f"{key} {text}" if key else text)
            key = ""
        else:
            key = ""
    return "\n".join(out)


def _reached_stream(obj: _RawObject, stream: bytes | None, loc: str, ctx: Ctx) -> None:
    """A stream the last revision reaches, other than a page's content: read as an
    unreached one is (a JavaScript action's script, an appearance stream's strings),
    except pictures (OCR'd by the page readings) and embedded files (``_attachments``)."""
    types = set(_names(obj.head, b"Type")) | set(_names(obj.head, b"Subtype"))
    if types & {b"/Image", b"/EmbeddedFile"}:
        return
    _unreached_stream(obj, stream, f"{loc}/values", ctx, reached=True)


def _unreached_stream(obj: _RawObject, stream: bytes | None, loc: str, ctx: Ctx, *, reached: bool = False) -> None:
    types = set(_names(obj.head, b"Type")) | set(_names(obj.head, b"Subtype"))
    filters = _names(obj.head, b"Filter")
    if types & _SKIP_STREAMS or re.search(rb"/Length[123](?![0-9])", obj.head):
        return  # object and cross-reference streams (their objects are read), fonts
    if b"/Image" in types:
        if filters and filters[-1] in (b"/DCTDecode", b"/DCT", b"/JPXDecode"):
            ctx.child(loc).extract(obj.stream or b"")
        return  # other images are pixels: not read
    if stream is None:
        try:
            stream = _decoded(obj, ctx)
        except TimeUp:
            raise
        except (Bomb, TooBig):
            ctx.problem("size-limit", loc)
            return
        except Exception:
            stream = None
    if stream is None:
        return
    if b"/EmbeddedFile" in types or b"/Metadata" in types:
        ctx.child(loc).extract(stream)
    elif b"BT" in stream:
        ctx.add(f"{loc}/content", _content_strings(stream, ctx))
    else:
        from dlp_proxy.files.text import identifier_runs, printable_runs

        # (a reached stream's runs that may hold an identifier: ICC profiles, CMaps and
        # other binary data of every PDF give runs of noise)
        ctx.add(f"{loc}/stream", identifier_runs(stream) if reached else printable_runs(stream))
