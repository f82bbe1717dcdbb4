"""Bounded decoding of base64, base32, ascii85/base85, quoted-printable, hex and
uuencoded blobs found in normalized text (a base64 or base32 block wrapped in lines read
whole: ``_wrapped_blocks``; decodings read as UTF-8 or UTF-16: ``_text_of``).

HTML entities, percent-encoding and LaTeX ``\\char`` are decoded by
``normalize.decode_escapes`` (they map character by character); base64 and hex change lengths wholesale, so a
blob is decoded, the decoded text analyzed recursively, and each finding is
reported on the part of the encoded span that writes it (``encoded_span``).  Only decodings that look like text are
scanned (an embedded image or a hash decodes to binary and is skipped).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dlp_proxy.detect import gatescan

#: (a base64 token also holds a digit or one of ``+/_-``, or letters of both cases:
#: ``_b64_like``, checked in Python after the match; as a lookahead of this pattern it
#: cost time quadratic in a run's length, ``x`` * 20000 took 3 s)
_B64_RE = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{12,}={0,2}(?![A-Za-z0-9+/_=-])")
_B64_MARKS = re.compile(r"[0-9+/_-]")


def _b64_like(token: str) -> bool:
    """``token`` has a digit or ``+/_-``, or letters of both cases (what base64 of text
    has and a word has not)."""
    return _B64_MARKS.search(token) is not None or (not token.isupper() and not token.islower())
_HEX_RE = re.compile(r"(?<![0-9A-Za-z])(?:0x)?((?:[0-9A-Fa-f]{2}){6,})(?![0-9A-Za-z])")
#: (the first escape outside the repeat: ``re`` then skips to each ``\\x``)
_HEX_ESC_RE = re.compile(r"\\x[0-9A-Fa-f]{2}(?:\\x[0-9A-Fa-f]{2}){5,}")
#: (each byte may carry its own ``0x`` or ``\\x``: ``0x36 31 38 ...``, ``0x36 0x31 ...``)
_HEX_SPACED_RE = re.compile(
    r"(?:(?<![0-9A-Za-z\\])(?:0[xX])?|\\x)[0-9A-Fa-f]{2}(?:[ :](?:0[xX]|\\x)?[0-9A-Fa-f]{2}){5,}(?![0-9A-Za-z])")
#: a byte's two hex digits in a spaced-hex blob (after its ``0x`` or ``\\x``, if any)
_HEX_PAIR = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{2}")
# Cheap necessary conditions, checked first (most chat has no blob and the
# patterns above, starting with lookarounds, are slow to search):
# a spaced-hex match contains five "[ :]XX" in a row (each XX perhaps after its 0x or \x);
_HEX_SPACED_HINT = re.compile(r"[ :](?:0[xX]|\\x)?[0-9A-Fa-f]{2}(?:[ :](?:0[xX]|\\x)?[0-9A-Fa-f]{2}){4}")
# a hex or base64 match is 12+ token characters, inside a whitespace-free word of 12+.
_TOKEN12 = re.compile(r"[A-Za-z0-9+/_-]{12}")
# Where a match can start.  A base64 match (its leading lookbehind, its greedy body
# and the lookahead that no token character follows) is a whole maximal run of token
# characters; a hex match is a whole maximal run of letters and digits.  So the
# patterns are tried only at the start of each such run of 12 or more (found with a
# leading character class, which the regex engine skips to; the patterns' leading
# lookbehinds make it try every position): the same matches, ~4x cheaper on prose.
# (Each is a maximal run: its first character is not after another one, checked after
# it, so a short word costs one try, not one per character.)
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-](?<![A-Za-z0-9+/_-]{2})[A-Za-z0-9+/_-]{11,}")
_ALNUM_RUN = re.compile(r"[0-9A-Za-z](?<![0-9A-Za-z]{2})[0-9A-Za-z]{11,}")
# The same starts, led by the character before the run (a run starts the text or follows
# a character outside its class): the engine then tries only after such characters (a
# blank, a mark), not at every letter of every word as the run patterns do.  A match
# takes that character and twelve of the run, so the next is after the run.
_B64_AFTER = re.compile(r"[^A-Za-z0-9+/_-][A-Za-z0-9+/_-]{12}")
_ALNUM_AFTER = re.compile(r"[^0-9A-Za-z][0-9A-Za-z]{12}")
_RUN_STARTS = {_B64_RUN: _B64_AFTER, _ALNUM_RUN: _ALNUM_AFTER}
# a hex match holds twelve hex digits in a row (prose and tables rarely do: their
# whitespace-free words of twelve are names, dates, ids)
_HEX12 = re.compile(r"[0-9A-Fa-f]{12}")
gatescan.register(_TOKEN12, _HEX_SPACED_HINT, _HEX12)
#: base32 (RFC 4648, one case throughout: ``base64.b32encode`` writes capitals, some
#: tools small letters), read where a base64 token would be
#: a base32 token base64's pattern does not take: padded with up to six ``=``, or all
#: letters of one case (``card 4111 ...`` encodes to capitals only); or in mixed case
#: (decoders take either case: ``MnWgSzLo...``), tried before base64 (a base64 token of
#: these letters only rarely decodes to text as base32)
_B32_WORD = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z2-7]{16,}={0,6}(?![A-Za-z0-9+/_=-])")
#: quoted-printable with every byte escaped (``=35=33=36...``: text an encoder left plain
#: is read as it is), soft line breaks (``=`` at a line's end) inside it
_QP_RE = re.compile(r"=[0-9A-Fa-f]{2}(?:(?:=\r?\n)?=[0-9A-Fa-f]{2}){5,}")
_QP_PAIR = re.compile(r"=([0-9A-Fa-f]{2})")
#: a run of printable ASCII with no blank: where ascii85 (``<~...~>`` or bare, as
#: ``base64.a85encode`` writes it) or base85 (RFC 1924 / git, ``base64.b85encode``) may be;
#: only runs holding a character outside base64's alphabet are tried (base64 is read above)
_PRINTABLE_RUN = re.compile(r"[!-~]{15,}")
#: what every match of ``_PRINTABLE_RUN`` holds, for the one pass (detect/gatescan.py)
_PRINTABLE_HINT = re.compile(r"[!-~]{15}")
gatescan.register(_PRINTABLE_HINT)
_NOT_B64 = re.compile(r"[^A-Za-z0-9+/_=-]")


def _token_bytes(members: str) -> bytes:
    """A ``bytes.translate`` table: a byte of ``members`` to ``T``, every other to a blank."""
    return bytes(ord("T") if chr(b) in members else ord(" ") for b in range(256))


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: each run pattern's characters, as a ``bytes.translate`` table for ASCII text
_RUN_BYTES = {_B64_RUN: _token_bytes(_ALNUM + "+/_-"), _ALNUM_RUN: _token_bytes(_ALNUM)}
_TWELVE = b"T" * 12


def _run_starts(runs: re.Pattern[str], text: str) -> Iterator[int]:
    """Where the matches of ``runs`` (``_B64_RUN`` or ``_ALNUM_RUN``) start: the start of
    every maximal run of twelve or more of its characters, in order.

    On ASCII text, the text translated to ``T`` (a run character) and blanks is searched
    for twelve ``T`` with ``bytes.find`` (C-speed, Python per run only): the first found
    from a blank (or the text's start) is the start of the next run of twelve or more (the
    position before it is a blank, or it would have been found there), and the next
    search starts at the blank that ends that run.  The same starts as the regexes below
    (``runs`` at 0, then ``_RUN_STARTS``: a character outside the class then twelve in it,
    one match per run), which other text runs."""
    if text.isascii():
        data = text.encode("ascii").translate(_RUN_BYTES[runs])
        k = data.find(_TWELVE)
        while k >= 0:
            yield k
            end = data.find(b" ", k)
            if end < 0:
                return
            k = data.find(_TWELVE, end)
        return
    first = runs.match(text)
    if first is not None:
        yield 0
    for r in _RUN_STARTS[runs].finditer(text):
        yield r.start() + 1


def _at_runs(rx: re.Pattern[str], runs: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)`` for a pattern whose every match starts a match of ``runs``."""
    for start in _run_starts(runs, text):
        m = rx.match(text, start)
        if m is not None:
            yield m


def _has_token12(text: str) -> bool:
    # twelve token characters in a row are in a whitespace-free word of twelve or more
    return gatescan.search(_TOKEN12, text)


@dataclass(frozen=True, slots=True)
class Blob:
    start: int
    end: int
    kind: str  # "base64" | "base32" | "ascii85" | "base85" | "quoted-printable" | "hex"
    text: str  # decoded
    #: a hex or quoted-printable blob's byte ``i`` is written by the two hex digits at
    #: ``pairs[i]`` (empty: the radix encodings, where every ``_GROUPS[kind][0]``
    #: characters from ``start`` write ``_GROUPS[kind][1]`` bytes)
    pairs: tuple[int, ...] = ()
    #: a block wrapped in lines (``_wrapped_blocks``): the offset of each of its encoded
    #: characters, in order (the line breaks and quote marks between them written by none)
    offsets: tuple[int, ...] = ()
    #: how the decoded bytes were read as text (``_text_of``): ``utf-8``, ``utf-16-le``,
    #: ``utf-16-be`` (after a byte-order mark of two bytes when ``bom``)
    codec: str = "utf-8"
    bom: bool = False


#: characters and the bytes they write, per radix encoding
_GROUPS = {"base64": (4, 3), "base32": (8, 5), "ascii85": (5, 4), "base85": (5, 4)}


def encoded_span(blob: Blob, a: int, b: int) -> tuple[int, int]:
    """The part of ``blob`` (offsets of the text it was found in) that writes the bytes
    ``a`` to ``b`` of its decoding: base64's four-character groups, hex's digit pairs
    (with the separators between them).  Distinct findings of one decoding get distinct
    spans, each covering every character that writes it."""
    if b <= a:
        return blob.start, blob.end
    if blob.offsets and blob.kind in _GROUPS:
        chars, nbytes = _GROUPS[blob.kind]
        i = chars * (a // nbytes)
        j = min(len(blob.offsets), chars * ((b - 1) // nbytes) + chars)
        if i >= j:
            return blob.start, blob.end
        return blob.offsets[i], blob.offsets[j - 1] + 1
    if blob.kind in _GROUPS and not blob.pairs:
        chars, nbytes = _GROUPS[blob.kind]
        return blob.start + chars * (a // nbytes), min(blob.end, blob.start + chars * ((b - 1) // nbytes) + chars)
    if len(blob.pairs) < b:
        return blob.start, blob.end
    return blob.pairs[a], blob.pairs[b - 1] + 2


def byte_span(blob: Blob, a: int, b: int) -> tuple[int, int]:
    """The bytes (offsets in what ``blob`` decoded to) that write ``blob.text[a:b]``."""
    decoded = blob.text
    if blob.codec == "utf-8":
        if decoded.isascii():
            return a, b
        start = len(decoded[:a].encode("utf-8", "surrogatepass"))
        return start, start + len(decoded[a:b].encode("utf-8", "surrogatepass"))
    skip = 2 if blob.bom else 0
    start = skip + len(decoded[:a].encode(blob.codec, "surrogatepass"))
    return start, start + len(decoded[a:b].encode(blob.codec, "surrogatepass"))


def _printable(s: str) -> bool:
    return bool(s) and sum(1 for c in s if c.isprintable() or c in "\n\r\t") >= 0.9 * len(s)


def _text_of(raw: bytes) -> tuple[str, str, bool] | None:
    """``raw`` read as text, and how (codec, whether after a byte-order mark): UTF-8, or
    UTF-16 when it starts with a byte-order mark or every other byte is zero (ASCII text
    in UTF-16LE or BE, as PowerShell's ``[Text.Encoding]::Unicode`` or ``iconv -t
    UTF-16LE`` write it: valid UTF-8 too, but half NULs); None when it is no text."""
    codec, bom = "", False
    if len(raw) >= 4 and len(raw) % 2 == 0:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            codec, bom = ("utf-16-le" if raw[0] == 0xFF else "utf-16-be"), True
        elif raw[1::2].count(0) == len(raw) // 2 and raw[0::2].count(0) == 0:
            codec = "utf-16-le"
        elif raw[0::2].count(0) == len(raw) // 2 and raw[1::2].count(0) == 0:
            codec = "utf-16-be"
    if codec:
        try:
            s = raw[2 if bom else 0:].decode(codec)
        except UnicodeDecodeError:
            s = ""
        if _printable(s):
            return s, codec, bom
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # A decoding must carry something worth scanning: digits or another encoding layer.
    return (s, "utf-8", False) if _printable(s) else None


def _texty(raw: bytes) -> str | None:
    read = _text_of(raw)
    return None if read is None else read[0]


def _blob(start: int, end: int, kind: str, raw: bytes | None, pairs: tuple[int, ...] = (),
          offsets: tuple[int, ...] = ()) -> Blob | None:
    """The blob of decoded bytes ``raw`` when they are text (``_text_of``), else None."""
    read = _text_of(raw) if raw is not None else None
    if read is None:
        return None
    return Blob(start, end, kind, read[0], pairs, offsets, read[1], read[2])


def _spaced_text(pairs: list[re.Match[str]]) -> Blob | None:
    """The text spaced hex ``pairs`` write, and the pairs that write it: all of them, or
    without a word of two hex letters at either end that is no byte of it (``cc 36 30 31
    ...``: the label ``cc``, then the bytes), as a blob."""
    ends = [(0, len(pairs))]
    lead = pairs[0].group(0).isalpha()
    trail = pairs[-1].group(0).isalpha()
    if lead:
        ends.append((1, len(pairs)))
    if trail:
        ends.append((0, len(pairs) - 1))
    if lead and trail:
        ends.append((1, len(pairs) - 1))
    for a, b in ends:
        if b - a < 6:
            continue
        blob = _blob(pairs[a].start(), pairs[b - 1].end(), "hex",
                     bytes.fromhex("".join(p.group(0) for p in pairs[a:b])), tuple(p.start() for p in pairs[a:b]))
        if blob is not None:
            return blob
    return None


def _b64(token: str) -> bytes | None:
    t = token.rstrip("=")
    if len(t) % 4 == 1:
        return None
    padded = t + "=" * (-len(t) % 4)
    try:
        if "-" in t or "_" in t:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def b64_is_text(token: str) -> bool:
    """``token`` read as base64 (url-safe where it holds ``-`` or ``_``) is text, as
    ``find_blobs`` reads a token (``_b64``, ``_text_of``)."""
    raw = _b64(token)
    return raw is not None and _text_of(raw) is not None


def _b32(token: str) -> bytes | None:
    t = token.rstrip("=").upper()
    if len(t) % 8 in (1, 3, 6):
        return None
    try:
        return base64.b32decode(t + "=" * (-len(t) % 8))
    except (binascii.Error, ValueError):
        return None


def _b85_readings(run: str) -> Iterator[tuple[int, int, str, bytes]]:
    """``(start, end, kind, bytes)`` of a printable run (offsets in it) read as ascii85
    (Adobe's ``<~ ~>`` delimiters or bare) and as base85: every reading that decodes."""
    a, b = 0, len(run)
    if run.startswith("<~"):
        a = 2
        end = run.find("~>", 2)
        b = end if end >= 0 else b
    body = run[a:b]
    for kind, decode in (("ascii85", base64.a85decode), ("base85", base64.b85decode)):
        try:
            yield a, b, kind, decode(body)
        except (binascii.Error, ValueError):
            continue


def may_b85(text: str) -> bool:
    """Some printable run of ``text`` decodes as ascii85 or base85 to text with a digit
    (the prefilter's check for blobs with too few digits and no long token to show)."""
    if not gatescan.may_search(_PRINTABLE_HINT, text):
        return False  # no run of fifteen (the pass read it: chat's words are shorter)
    for m in _PRINTABLE_RUN.finditer(text):
        run = m.group(0)
        if len(run) <= 4096 and _NOT_B64.search(run) and any(
                (s := _texty(raw)) and any(c.isdigit() for c in s) for _, _, _, raw in _b85_readings(run)):
            return True
    return False


def _lines(text: str) -> Iterator[tuple[int, int]]:
    """Each line's ``(start, end)`` (its line break left out)."""
    pos = 0
    while True:
        nl = text.find("\n", pos)
        if nl < 0:
            yield pos, len(text)
            return
        yield pos, nl
        pos = nl + 1


#: a line of a block wrapped in lines: quote marks (``> ``, a mail or chat quote) or
#: none, the encoded characters, a CR (CRLF line breaks) or none
_BLOCK_LINE = re.compile(r"(?:>[ \t]?)*[ \t]?([A-Za-z0-9+/_=-]+)\r?")
#: two lines in a row that are such lines (of 4 characters or more), each after a line
#: break (the text is searched after one: ``re`` skips to each line break)
_BLOCK_PAIR = re.compile(r"\n(?:>[ \t]?)*[ \t]?[A-Za-z0-9+/_=-]{4,}\r?\n(?:>[ \t]?)*[ \t]?[A-Za-z0-9+/_=-]{4,}\r?(?=\n|$)")
#: the alphabets a wrapped block is read in, whole (padding at its end only)
_WRAPPED = ((re.compile(r"[A-Za-z0-9+/]+={0,2}"), "base64", 40),
            (re.compile(r"[A-Za-z0-9_-]+={0,2}"), "base64", 40),
            (re.compile(r"[A-Z2-7]+={0,6}"), "base32", 4),
            (re.compile(r"[a-z2-7]+={0,6}"), "base32", 4))
#: a block's encoded characters at least (its lines: two or more)
_WRAPPED_MIN = 16
#: a block longer than ``max_blob_chars`` is read in windows of that many characters
#: overlapping by this many (at most half a window; each a multiple of base64's 4 and
#: base32's 8 characters)
_WINDOW_OVERLAP = 512


def _wrapped_blocks(text: str) -> Iterator[tuple[str, tuple[int, ...]]]:
    """Blocks of two or more consecutive lines of one encoding, as ``base64`` (76
    characters a line; 64 in PEM and MIME) or ``base32`` (any width) wrap their output:
    every line but the last of one length (the last no longer, padding only on it), the
    whole in one alphabet (``_WRAPPED``: base64's lines of 40 characters or more, base32's
    of one case and 4 or more), each line perhaps after quote marks (``> ``) and before a
    CR.  Each as ``(kind, the offset of each of its characters in the text)``."""
    if _BLOCK_PAIR.search("\n" + text) is None:
        return  # (no two lines in a row are blocks' lines: most chat, cheaply)
    block: list[tuple[int, int]] = []

    def read(block: list[tuple[int, int]]) -> Iterator[tuple[str, tuple[int, ...]]]:
        if len(block) < 2:
            return
        joined = "".join(text[a:b] for a, b in block)
        if len(joined) < _WRAPPED_MIN:
            return
        width = block[0][1] - block[0][0]
        for rx, kind, least in _WRAPPED:
            if width >= least and rx.fullmatch(joined):
                yield kind, tuple(i for a, b in block for i in range(a, b))
                return

    for start, end in _lines(text):
        m = _BLOCK_LINE.fullmatch(text, start, end)
        if m is None:
            yield from read(block)
            block = []
            continue
        line = m.span(1)
        if block:
            width = block[0][1] - block[0][0]
            last = block[-1][1] - block[-1][0]
            if last == width and line[1] - line[0] <= width and "=" not in text[block[-1][0]:block[-1][1]]:
                block.append(line)
                continue
            yield from read(block)
        block = [line]
    yield from read(block)


#: base32 spaced in groups of four (``MNWG SZLO NZ2C ...``, as some tools print it), a
#: blank or a line break between groups
_B32_SPACED = re.compile(r"[A-Z2-7]{4}(?:(?: |\r?\n)[A-Z2-7]{4}){3,}(?:(?: |\r?\n)[A-Z2-7]{1,4})?={0,6}")
#: ``_B32_SPACED``'s characters as ``U``, blanks and line breaks as a blank (CRs dropped),
#: every other byte a dot: its matches hold four groups of ``U`` apart (``_may_spaced32``)
_B32_SPACED_BYTES = bytes(ord("U") if chr(b) in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" else ord(" ")
                          if chr(b) in " \n" else ord(".") for b in range(256))
_FOUR_GROUPS = b"UUUU UUUU UUUU UUUU"


def _may_spaced32(text: str) -> bool:
    """A necessary condition of ``_B32_SPACED.search(text)`` (C-speed on ASCII text)."""
    if not text.isascii():
        return _B32_SPACED.search(text) is not None
    return _FOUR_GROUPS in text.encode("ascii").translate(_B32_SPACED_BYTES, b"\r")
#: a uuencoded block (``begin 644 name`` ... ``end``) in a text: the header line, then
#: the lines up to ``end`` or a line of no data (read as ``files.plain`` reads a file's)
_UU_BEGIN = re.compile(r"^begin[ \t]+[0-7]{3,4}[ \t]+[^\n]+\n", re.MULTILINE)
_UU_CANON = bytes(32 + ((b - 32) & 63) for b in range(256))


#: uuencoded blocks of one text decoded at most (as ``files.plain.MAX_UU_BLOCKS``)
MAX_UU_BLOCKS = 64


def _uu_block(text: str, pos: int, limit: int) -> tuple[int, bytes]:
    """The bytes the uuencoded lines from ``pos`` (up to ``limit``: the next header) write
    (as a lenient decoder reads them: each line gives what its length character says, at
    most what its characters hold; blank lines skipped; ``end`` or a line of no data ends
    the block) and where it ends."""
    out = bytearray()
    end = pos
    for a, b in _lines(text[pos:limit]):
        line = text[pos + a:pos + b].rstrip("\r")
        end = pos + b
        if not line:
            continue
        if line == "end" or not line.isascii():
            break
        n = (ord(line[0]) - 32) & 63
        if n == 0:
            break
        chars = line[1:].encode("ascii").translate(_UU_CANON)
        have = min(n, len(chars) * 3 // 4)
        try:
            out += binascii.a2b_uu(bytes([32 + have]) + chars[:(have * 4 + 2) // 3])
        except binascii.Error:
            break
    return end, bytes(out)


def find_blobs(text: str, max_blob_chars: int) -> Iterator[Blob | tuple[int, int]]:
    """Decoded blobs; a ``(start, end)`` tuple means a blob too large to decode."""
    seen: list[tuple[int, int]] = []
    escapes = "\\x" in text
    spaced = gatescan.search(_HEX_SPACED_HINT, text)
    tokens = _has_token12(text)
    qp = "=" in text
    printable = _PRINTABLE_RUN.search(text) is not None
    lines = "\n" in text
    spaced32 = _may_spaced32(text) and _B32_SPACED.search(text) is not None
    if not (escapes or spaced or tokens or qp or printable or lines or spaced32):
        return
    for kind, offsets in _wrapped_blocks(text) if lines else ():
        # a wrapped block read whole (``base64 -d`` joins the lines): a number cut by a
        # line break is read as one, each finding on the characters that write it
        size = max(16, max_blob_chars // 8 * 8)
        overlap = min(_WINDOW_OVERLAP, size // 16 * 8)
        for w in range(0, len(offsets), size - overlap):
            part = offsets[w:w + size]
            chars = "".join(text[i] for i in part)
            raw = _b64(chars) if kind == "base64" else _b32(chars)
            blob = _blob(part[0], part[-1] + 1, kind, raw, offsets=part)
            if blob is not None:
                seen.append((blob.start, blob.end))
                yield blob
            if w + len(part) >= len(offsets):
                break
    if lines and "begin" in text:
        headers = list(_UU_BEGIN.finditer(text))
        for k, m in enumerate(headers[:MAX_UU_BLOCKS]):
            end, raw = _uu_block(text, m.end(), headers[k + 1].start() if k + 1 < len(headers) else len(text))
            if len(raw) > max_blob_chars:
                yield (m.start(), end)
                continue
            blob = _blob(m.start(), end, "uuencode", raw)
            if blob is not None:
                seen.append((m.start(), end))
                yield blob
    for m in _B32_SPACED.finditer(text) if spaced32 else ():
        if (m.start() > 0 and text[m.start() - 1].isalnum()) or (m.end() < len(text) and text[m.end()].isalnum()):
            continue
        if any(a <= m.start() < b for a, b in seen):
            continue
        offsets = tuple(i for i in range(m.start(), m.end()) if text[i] not in " \r\n")
        blob = _blob(m.start(), m.end(), "base32", _b32("".join(text[i] for i in offsets)), offsets=offsets)
        if blob is not None:
            seen.append((m.start(), m.end()))
            yield blob
    for m in _QP_RE.finditer(text) if qp else ():
        pairs = list(_QP_PAIR.finditer(text, m.start(), m.end()))
        blob = _blob(m.start(), m.end(), "quoted-printable", bytes.fromhex("".join(p.group(1) for p in pairs)),
                     tuple(p.start(1) for p in pairs))
        if blob is not None:
            seen.append((m.start(), m.end()))
            yield blob
    for m in _HEX_ESC_RE.finditer(text if escapes else ""):
        blob = _blob(m.start(), m.end(), "hex", bytes.fromhex(m.group(0).replace("\\x", "")),
                     tuple(range(m.start() + 2, m.end(), 4)))
        if blob is not None:
            seen.append((m.start(), m.end()))
            yield blob
    for m in _HEX_SPACED_RE.finditer(text if spaced else ""):
        if any(a <= m.start() < b for a, b in seen):
            continue
        found = _spaced_text(list(_HEX_PAIR.finditer(text, m.start(), m.end())))
        if found is not None:
            seen.append((m.start(), m.end()))
            yield found
    for m in _at_runs(_HEX_RE, _ALNUM_RUN, text if tokens and gatescan.may_search(_HEX12, text) else ""):
        if any(a <= m.start() < b for a, b in seen):
            continue
        if len(m.group(1)) > max_blob_chars:
            yield (m.start(), m.end())
            continue
        blob = _blob(m.start(), m.end(), "hex", bytes.fromhex(m.group(1)), tuple(range(m.start(1), m.end(1), 2)))
        if blob is not None:
            seen.append((m.start(), m.end()))
            yield blob
    for m in _B32_WORD.finditer(text) if tokens else ():
        if any(a <= m.start() < b for a, b in seen):
            continue
        blob = _blob(m.start(), m.end(), "base32", _b32(m.group(0)))
        if blob is not None:
            seen.append((m.start(), m.end()))
            yield blob
    for m in _at_runs(_B64_RE, _B64_RUN, text if tokens else ""):
        if not _b64_like(m.group(0).rstrip("=")):
            continue
        if any(a <= m.start() < b for a, b in seen):
            continue
        if m.end() - m.start() > max_blob_chars:
            yield (m.start(), m.end())
            continue
        blob = _blob(m.start(), m.end(), "base64", _b64(m.group(0)))
        if blob is not None:
            seen.append((m.start(), m.end()))
            yield blob
    if printable:
        yield from find_b85_blobs(text, max_blob_chars, seen)


def may_wrapped(text: str) -> bool:
    """``text`` holds a block ``find_blobs`` reads across line breaks or blanks (a wrapped
    block, base32 spaced in fours, a uuencoded block): the prefilter's check for those
    with no long token to show."""
    if _may_spaced32(text) and _B32_SPACED.search(text) is not None:
        return True
    if "\n" not in text:
        return False
    return next(_wrapped_blocks(text), None) is not None or ("begin" in text and _UU_BEGIN.search(text) is not None)


def find_b85_blobs(text: str, max_blob_chars: int,
                   seen: list[tuple[int, int]] | None = None) -> Iterator[Blob | tuple[int, int]]:
    """The ascii85 and base85 blobs of ``text`` (runs of printable ASCII holding a
    character outside base64's alphabet, decoding to text with a digit), but those
    starting inside a ``seen`` span.  The engine reads them in the text as written too:
    their characters (``*``, ``_``, a backquote, ``|``) are Markdown to the normalizer."""
    for m in _PRINTABLE_RUN.finditer(text):
        if any(a <= m.start() < b for a, b in seen or ()) or not _NOT_B64.search(m.group(0)):
            continue
        if m.end() - m.start() > max_blob_chars:
            yield (m.start(), m.end())
            continue
        for a, b, kind, raw in _b85_readings(m.group(0)):
            blob = _blob(m.start() + a, m.start() + b, kind, raw)
            if blob is not None and any(c.isdigit() for c in blob.text):
                yield blob


#: A number written in another base with the base stated: a prefix (``0x1ff63366``,
#: ``0o3775431546``, ``0b1111...``), a word before it (``hex 1ff63366``, ``in octal:
#: 3775431546``, ``base16 ...``, ``binary ...``) or after it (``1ff63366 (hex)``,
#: ``... in binary``), or an ``h`` suffix on a hex token holding a letter (``1ff63366h``).
#: Its decimal value is read as a number of its own (``find_numbers``): what a reader
#: converting it gets.  A hash, a commit id or a UUID is no such number (no base stated,
#: or more digits than any identifier: the value must be ``NUMBER_DIGITS`` long).
_BASE_WORDS = {"hex": 16, "hexadecimal": 16, "base16": 16, "octal": 8, "oct": 8, "base8": 8,
               "binary": 2, "bin": 2, "base2": 2}
_BASE_WORD = r"(hexadecimal|hex|octal|oct|binary|bin|base[ -]?(?:16|8|2))(?![A-Za-z0-9])"
_DIGITS_OF = {16: "[0-9A-Fa-f]", 8: "[0-7]", 2: "[01]"}
_RADIX_PREFIXED = re.compile(r"(?<![0-9A-Za-z])0([xXoObB])([0-9A-Fa-f]{3,64})(?![0-9A-Za-z])")
_RADIX_WORD_BEFORE = re.compile(
    r"(?i)(?<![A-Za-z0-9])" + _BASE_WORD + r"[ \t]*(?:(?:value|form|format|number|is|=|:)[ \t]*){0,2}"
    r"([0-9A-Fa-f]{3,64})h?(?![0-9A-Za-z])")
_RADIX_WORD_AFTER = re.compile(
    r"(?i)(?<![0-9A-Za-z])([0-9A-Fa-f]{3,64})[ \t]*(?:\([ \t]*)?(?:in[ \t]+|as[ \t]+)?" + _BASE_WORD)
#: the token is a whole hex run (one unbounded quantifier: linear); its letter before a digit
#: is checked after the match (``_letter_then_digit``): the three runs of
#: ``[0-9A-Fa-f]*[A-Fa-f][0-9A-Fa-f]*[0-9][0-9A-Fa-f]*`` backtracked cubically over a long
#: hex run with no ``h`` after it (2,000 characters: 3.4 s; a 20,000-character window starting
#: ``0b...``: hours)
_RADIX_H_SUFFIX = re.compile(r"(?<![0-9A-Za-z])([0-9A-Fa-f]+)[hH](?![0-9A-Za-z])")
gatescan.register(_RADIX_H_SUFFIX)
#: a cheap necessary condition of the patterns above (a stated base, or an ``h`` suffix)
_BASE_NAME = r"(?:hex(?:adecimal)?|oct(?:al)?|bin(?:ary)?|base[ -]?(?:16|8|2))(?![a-z0-9])"
RADIX_HINT = re.compile(
    r"(?i)(?<![0-9a-z])0[xob][0-9a-f]{3}"
    rf"|(?<![a-z0-9]){_BASE_NAME}[^\n]{{0,16}}?[0-9a-f]{{3}}|[0-9a-f]{{3}}[ \t(]*(?:in |as )?{_BASE_NAME}"
    r"|[0-9a-f]{5}h(?![0-9a-z])|[a-z0-9+/_-]{10}=")
#: in the one pass: a window with an ``h`` after hex letters (``ACH``) or a base word
#: (``oct`` in October) was searched with this alternation at every position
gatescan.register(RADIX_HINT)
#: base64 shorter than ``find_blobs`` reads (12 characters before the padding): a padded
#: token of 10 or 11 (7 or 8 bytes: ``MTIzNDU2Nzg=`` is ``12345678``), read when it
#: decodes to a number
_SHORT_B64 = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{10,11}={1,2}(?![A-Za-z0-9+/_=-])")
#: the decimal value's length for it to be read: an identifier's (an account of 6, an
#: SSN of 9, a card of up to 19)
NUMBER_DIGITS = range(6, 20)


def may_radix(text: str) -> bool:
    """A necessary condition of ``RADIX_HINT`` but its ``h`` suffix (``in`` tests: most chat
    has none; a hex number written ``1ff63366h`` has digits enough for the quick check)."""
    low = text.lower()
    return "=" in text or any(w in low for w in ("0x", "0o", "0b", "hex", "oct", "bin", "base"))


#: ``may_radix``'s words as one case-insensitive literal alternation, in the one pass
#: (detect/gatescan.py), which reads such a pattern exactly
_RADIX_WORDS = re.compile("0x|0o|0b|hex|oct|bin|base", re.IGNORECASE)
gatescan.register(_RADIX_WORDS)


def _may_radix_scanned(text: str) -> bool:
    """``may_radix(text)``, its words read from the one pass where it read the text (a
    window's pass is made before its numbers are looked for), not by seven searches of the
    lower-cased text."""
    if "=" in text:
        return True
    read = gatescan.scanned(_RADIX_WORDS, text)
    return may_radix(text) if read is None else read


def _radix_value(token: str, base: int) -> str | None:
    if not re.fullmatch(_DIGITS_OF[base] + "+", token):
        return None
    value = str(int(token, base))
    return value if len(value) in NUMBER_DIGITS else None


def find_numbers(text: str) -> Iterator[Blob]:
    """Numbers written in another base with the base stated (``_RADIX_PREFIXED`` and the
    word patterns), as blobs whose text is the decimal value (kind ``radix``), and a
    short padded base64 token that decodes to a number (``_SHORT_B64``, kind ``base64``).  The engine
    reads each with the words before it and keeps only findings that a context word
    names: a bare hex address is no card."""
    if not (_may_radix_scanned(text) or gatescan.may_search(_RADIX_H_SUFFIX, text)) \
            or not gatescan.search(RADIX_HINT, text):
        return
    seen: list[tuple[int, int]] = []

    def fresh(a: int, b: int) -> bool:
        return not any(x < b and a < y for x, y in seen)

    for m in _RADIX_PREFIXED.finditer(text):
        base = {"x": 16, "o": 8, "b": 2}[m.group(1).lower()]
        value = _radix_value(m.group(2), base)
        if value is not None and fresh(*m.span()):
            seen.append(m.span())
            yield Blob(m.start(), m.end(), "radix", value)
    for rx, word, digits in ((_RADIX_WORD_BEFORE, 1, 2), (_RADIX_WORD_AFTER, 2, 1)):
        for m in rx.finditer(text):
            base = _base_of(m.group(word))
            value = _radix_value(m.group(digits), base)
            if value is not None and fresh(*m.span(digits)):
                seen.append(m.span(digits))
                yield Blob(m.start(digits), m.end(digits), "radix", value)
    for m in _RADIX_H_SUFFIX.finditer(text):
        if not _letter_then_digit(m.group(1)):
            continue
        value = _radix_value(m.group(1), 16)
        if value is not None and fresh(*m.span()):
            seen.append(m.span())
            yield Blob(m.start(), m.end(), "radix", value)
    if "=" in text:
        for m in _SHORT_B64.finditer(text):
            decoded = _b64(m.group(0))
            shown = decoded.decode("ascii", "replace") if decoded is not None else ""
            if re.fullmatch(r"[0-9][0-9 -]{4,}[0-9]", shown) and sum(c.isdigit() for c in shown) in NUMBER_DIGITS:
                yield Blob(m.start(), m.end(), "base64", shown)


def _letter_then_digit(token: str) -> bool:
    """A hex letter somewhere before a digit in ``token`` (a hex run): what
    ``[0-9A-Fa-f]*[A-Fa-f][0-9A-Fa-f]*[0-9][0-9A-Fa-f]*`` asks of it, in one pass."""
    head = token.rstrip("ABCDEFabcdef")  # up to its last digit (empty: no digit)
    return any(c in "ABCDEFabcdef" for c in head[:-1])


def _base_of(word: str) -> int:
    return _BASE_WORDS[word.lower().replace("-", "").replace(" ", "")]


def decode_token(token: str) -> str | None:
    """The text a whole token (a path segment, a query word) decodes to when it is a
    base64 or hex blob as ``find_blobs`` reads one in text, else None.

    A path joins its segments with ``/``, a base64 character, so a segment encoded on its
    own is not a blob of the joined text: the caller decodes it here, before joining."""
    hexed = _HEX_RE.fullmatch(token)
    if hexed is not None:
        s = _texty(bytes.fromhex(hexed.group(1)))
        if s:
            return s
    if _B64_RE.fullmatch(token) is not None and _b64_like(token.rstrip("=")):
        decoded = _b64(token)
        if decoded is not None:
            return _texty(decoded)
    return None
