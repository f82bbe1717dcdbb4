"""One C-level pass over a text for every registered gate regex.

The recognizers' ``could_match`` gates, the normalizer and the blob finder each search
a long text (a 20 kB window of a file) with their own regexes, many led by a
lookbehind or ``\\b`` that Python's ``re`` tries at every position.  A regex
registered here (``register``) is compiled once more into one Hyperscan database in
*prefilter* mode (``HS_FLAG_PREFILTER``: Hyperscan's approximation of a pattern
matches a superset of what the pattern matches, lookarounds and back-references
included), and ``hits(text)`` scans the text once for all of them.  A pattern with
no hit there has no match in the text: ``may_search(rx, text)`` is then False
without running ``rx``.  True proves nothing: the caller runs ``rx`` as before.

So a gate gives the same answer with or without this pass.  The pass is used only
where it is sound:

- ASCII text only (Hyperscan scans bytes; a non-ASCII text gets no hits: every
  ``may_search`` is True);
- patterns whose Hyperscan reading is a superset on ASCII text: Python's ``\\s``
  also matches U+001C..U+001F (the table marks, detect/structure.py), which PCRE's
  does not, so it is widened; a character outside ASCII, written or as a ``\\u``,
  ``\\U`` or ``\\N`` escape, matches nothing in ASCII text and is read as the byte
  ``\\x80``, which no ASCII text holds (``_ascii_reading``); a pattern with a ``\\p``
  escape, ``{,n}`` (a literal in PCRE), the VERBOSE flag, or a case-insensitive
  character outside ASCII that Python matches with an ASCII letter (``\\u212a``) is not
  registered (its ``may_search`` is always True), nor one Hyperscan refuses (found
  when the databases are built: ``_Scanner.refused``);
- a short text (``SHORT_TEXT``) is scanned by the database of one pattern only when a
  gate asks of that pattern;
- without the ``hyperscan`` wheel (it is a dependency on x86-64 only), every
  ``may_search`` is True.

tests/test_detect_gatescan.py checks the superset property on generated texts and
the corpora.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

from dlp_proxy.detect import hsdb

_hs: Any
try:  # a dependency on x86-64; optional elsewhere
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    _hs = None

#: Python's ``\\s`` on ASCII text: PCRE's blanks plus the information separators
_WIDE_S = r"\t\n\x0b\x0c\r \x1c-\x1f"
_UNSAFE_ESCAPE = re.compile(r"\\[pP]")
#: a character given by its code or name: ``\u2028``, ``\U0001F600``, ``\N{BULLET}``
_CODE_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|N\{([^}]*)\})")
#: one character: a set (not negated), an escape or a plain character
_ONE_CHAR = r"(\[(?!\^)(?:\\.|[^\]\\])*\]|\\[^0-9bBAZ]|[^\\()\[\]|.^$*+?{}])"
_LEADING_LOOKBEHIND = re.compile(r"\(\?<!" + _ONE_CHAR + r"\)")
_TRAILING_LOOKAHEAD = re.compile(r"\(\?!" + _ONE_CHAR + r"\)\Z")


def _negated(one: str) -> str:
    """The set of the characters ``one`` (a ``_ONE_CHAR``) does not match."""
    return "[^" + (one[1:-1] if one.startswith("[") else one) + "]"


_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


def _top_level_bar(pattern: str) -> bool:
    """``pattern`` has an alternation outside every group."""
    return len(_alternatives(pattern)) > 1


def _alternatives(pattern: str) -> list[str]:
    """``pattern``'s alternatives outside every group (itself when it has none)."""
    out: list[str] = []
    begin = 0
    depth = 0
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern.startswith("[^]", i) or pattern.startswith("[]", i):
                i += 2 if pattern[i + 1] == "]" else 3  # a leading ``]`` is a member
                continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            out.append(pattern[begin:i])
            begin = i + 1
        i += 1
    out.append(pattern[begin:])
    return out


def _edges_consumed(pattern: str) -> str:
    """A negative lookbehind of one character that opens the pattern, and a negative
    lookahead of one that closes it, as the character they allow (or the edge of the
    text): the same texts have a match, and Hyperscan, which reads lookarounds loosely
    in prefilter mode, keeps them.  In each alternative of a pattern's top level (its
    edges are a match's edges), so ``(?<![a-z])part 1|#1(?![0-9])`` keeps both: with the
    lookarounds inside an alternation Hyperscan's reading matched every ``1/2`` of
    ``11/25``, and a window of prose was searched by ``re`` at every position."""
    flags = _INLINE_FLAGS.match(pattern)
    head = flags.group(0) if flags is not None else ""
    pattern = pattern[len(head):]
    if _top_level_bar(pattern):
        return head + "|".join(_edges_consumed(alt) if alt else alt for alt in _alternatives(pattern))
    lead = _LEADING_LOOKBEHIND.match(pattern)
    if lead is not None and pattern[lead.end():lead.end() + 1] not in ("?", "*", "+", "{"):
        pattern = "(?:^|" + _negated(lead.group(1)) + ")" + pattern[lead.end():]
    tail = _TRAILING_LOOKAHEAD.search(pattern)
    if tail is not None and not _escaped(pattern, tail.start()):
        pattern = pattern[:tail.start()] + "(?:" + _negated(tail.group(1)) + "|$)"
    return head + pattern


def _escaped(pattern: str, at: int) -> bool:
    """The character at ``at`` follows an odd number of backslashes."""
    k = at
    while k > 0 and pattern[k - 1] == "\\":
        k -= 1
    return (at - k) % 2 == 1


def _coded_char(m: re.Match[str]) -> str | None:
    """The character a ``_CODE_ESCAPE`` names (None: no such character)."""
    try:
        if m.group(3) is not None:
            return unicodedata.lookup(m.group(3))
        return chr(int(m.group(1) or m.group(2), 16))
    except (KeyError, ValueError):
        return None


def _ascii_reading(ch: str, caseless: bool) -> str | None:
    """What the one character ``ch`` of a pattern is on ASCII text, for Hyperscan: itself
    as a ``\\xHH`` escape when ASCII; else ``\\x80``, a byte no ASCII text holds (a
    character outside ASCII matches nothing there, in a set or out of one, and a range
    ending past ASCII still covers the rest of ASCII); None when ``caseless`` and Python
    matches it with an ASCII letter (``\u212a``, the Kelvin sign, with ``k``)."""
    if ch.isascii():
        return f"\\x{ord(ch):02x}"
    if caseless and _case_twins(ch):
        return None
    return "\\x80"


def _range_end(pattern: str, start: int, end: int) -> bool:
    """The set member ``pattern[start:end]`` ends a range or starts one: a
    case-insensitive range between characters outside ASCII may hold one with an ASCII
    case twin (``[\\u0100-\\u0200]`` holds ``\\u017f``, the long s), so such a pattern
    is not read."""
    return pattern[start - 1:start] == "-" or (pattern[end:end + 1] == "-" and pattern[end + 1:end + 2] != "]")


@functools.lru_cache(maxsize=512)
def _case_twins(ch: str) -> bool:
    """An ASCII character that a case-insensitive ``ch`` matches in Python's ``re``."""
    one = re.compile(re.escape(ch), re.IGNORECASE)
    return any(one.fullmatch(chr(a)) for a in range(128))


def hs_pattern(rx: re.Pattern[str]) -> tuple[bytes, int] | None:
    """``rx`` as a Hyperscan expression and flags whose matches on ASCII text are a
    superset of ``rx``'s (in prefilter mode), or None where that is not assured."""
    if _hs is None or not isinstance(rx.pattern, str):
        return None
    pattern: str = rx.pattern
    if rx.flags & re.VERBOSE or "{," in pattern:
        return None
    pattern = _edges_consumed(pattern)
    out: list[str] = []
    in_class = False
    i = 0
    n = len(pattern)
    caseless = bool(rx.flags & re.IGNORECASE)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                return None
            nxt = pattern[i + 1]
            if _UNSAFE_ESCAPE.match(pattern, i):
                return None
            coded = _CODE_ESCAPE.match(pattern, i)
            if coded is not None:
                one = _coded_char(coded)
                byte = None if one is None else _ascii_reading(one, caseless)
                if byte is None or (caseless and in_class and _range_end(pattern, i, coded.end())):
                    return None
                out.append(byte)
                i = coded.end()
                continue
            if not nxt.isascii():  # an escaped character outside ASCII is that character
                byte = _ascii_reading(nxt, caseless)
                if byte is None or (caseless and in_class and _range_end(pattern, i, i + 2)):
                    return None
                out.append(byte)
            elif nxt == "s":
                out.append(_WIDE_S if in_class else f"[{_WIDE_S}]")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[":
                return None  # a nested set (Python warns; PCRE reads POSIX classes)
            out.append(c if c.isascii() else _ascii_reading(c, caseless) or "")
            if not c.isascii() and (out[-1] == "" or (caseless and _range_end(pattern, i, i + 1))):
                return None
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":  # a leading ``]`` is a member
                out.append("\\]")
                i += 1
            continue
        if not c.isascii():
            byte = _ascii_reading(c, caseless)
            if byte is None:
                return None
            c = byte
        out.append(c)
        i += 1
    flags = _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_SINGLEMATCH | _hs.HS_FLAG_ALLOWEMPTY
    if rx.flags & re.IGNORECASE:
        flags |= _hs.HS_FLAG_CASELESS
    if rx.flags & re.MULTILINE:
        flags |= _hs.HS_FLAG_MULTILINE
    if rx.flags & re.DOTALL:
        flags |= _hs.HS_FLAG_DOTALL
    return "".join(out).encode("ascii"), flags


def _compiles(expr: bytes, flags: int) -> bool:
    try:
        hsdb.compile_db([expr], [flags])
    except Exception:
        return False
    return True


#: a pattern with letters held apart only by a repeated set (``s[ /|:]*s[ /|:]*n``, a label
#: spelled a letter at a time: recognizers/_common.py ``LETTER_GAP``) has no literal of
#: two characters for Hyperscan to anchor on.  The 19 such context patterns in the one
#: database made its compilation take 12 s of a detector's 14 s (each alone compiles in
#: milliseconds), so each is compiled in a database of its own: 2.6 s to build a detector,
#: and the same scan cost within noise (one or two to a database, or all in the one).
_LITERAL_POOR = re.compile(rb"[A-Za-z]\[[^\]]*\]\*[A-Za-z]\[[^\]]*\]\*[A-Za-z]")


def partition(exprs: list[tuple[bytes, int]], left_out: frozenset[int] = frozenset()) -> list[list[int]]:
    """The ids of ``exprs`` (but those ``left_out``) grouped into the databases they are
    compiled in: every pattern in one, but each literal-poor one (``_LITERAL_POOR``) in
    one of its own."""
    kept = [k for k in range(len(exprs)) if k not in left_out]
    poor = [k for k in kept if _LITERAL_POOR.search(exprs[k][0]) is not None]
    alone = set(poor)
    main = [k for k in kept if k not in alone]
    return ([main] if main else []) + [[k] for k in poor]


class _Scanner:
    """The registered patterns and their databases (rebuilt after a registration)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[tuple[str, int], int] = {}  # (pattern, flags) -> id in the database
        self.exprs: list[tuple[bytes, int]] = []
        self.keys: list[tuple[str, int]] = []  # id -> (pattern, flags)
        #: ids Hyperscan refused (found when the databases did not compile): in no
        #: database, and no longer in ``ids`` (their ``may_search`` is True)
        self.refused: set[int] = set()
        #: the databases, each with the ids of the patterns it holds (None: no pass), and
        #: how many patterns they cover (ids below that), set together
        self.built: tuple[tuple[tuple[Any, tuple[int, ...]], ...] | None, int] | None = None
        self.local = threading.local()

    def register(self, rx: re.Pattern[str]) -> None:
        key = (rx.pattern, rx.flags)
        with self.lock:
            if key in self.ids:
                return
            hp = hs_pattern(rx)
            if hp is None:
                return
            # whether Hyperscan compiles it is asked when the databases are built: at
            # import, before a detector has set its cache of compiled databases
            # (hsdb.use_disk), compiling each of the ~100 patterns alone took 1.7 s of
            # every process's start (the gateway, each worker, each CLI command)
            self.ids[key] = len(self.exprs)
            self.exprs.append(hp)
            self.keys.append(key)
            self.built = None

    def database(self) -> tuple[tuple[tuple[Any, tuple[int, ...]], ...] | None, int] | None:
        built = self.built
        if built is not None:
            return built
        with self.lock:
            if self.built is None and self.exprs:
                parts = self._compiled()
                if parts is None:
                    # a pattern Hyperscan refuses is left out (its ``may_search`` stays
                    # True), and the rest compiled again
                    for k in range(len(self.exprs)):
                        if k not in self.refused and not _compiles(*self.exprs[k]):
                            self.refused.add(k)
                            self.ids.pop(self.keys[k], None)
                    # each compiles alone but not together, or none compiles: no pass
                    parts = self._compiled() or None
                self.built = (parts, len(self.exprs))
            return self.built

    def _compiled(self) -> tuple[tuple[Any, tuple[int, ...]], ...] | None:
        try:
            return tuple((hsdb.compile_db([self.exprs[k][0] for k in ids], [self.exprs[k][1] for k in ids]), tuple(ids))
                         for ids in partition(self.exprs, frozenset(self.refused)))
        except Exception:
            return None


_SCANNER = _Scanner()
#: False: no pass, every ``may_search`` True (the code as it was without it; for the
#: differential tests)
ENABLED = True


def register(*patterns: re.Pattern[str]) -> None:
    """Include ``patterns`` in the one pass (those it cannot read soundly are left out:
    their ``may_search`` stays True)."""
    if _hs is None:
        return
    for rx in patterns:
        _SCANNER.register(rx)


def prepare() -> None:
    """Build the database now (the engine does, once its recognizers are registered),
    not on the first text."""
    if _hs is not None:
        _SCANNER.database()


class _Sink:
    """What one scan found (the context Hyperscan hands its match handler, which it must
    be able to hash): the registered ids, and those of the part being scanned."""

    __slots__ = ("found", "ids")

    def __init__(self) -> None:
        self.found: set[int] = set()
        self.ids: tuple[int, ...] = ()


def _on_match(idx: int, _from: int, _to: int, _flags: int, sink: _Sink) -> None:
    """Hyperscan's match handler: the part's pattern ``idx`` is registered id ``ids[idx]``."""
    sink.found.add(sink.ids[idx])


#: a text shorter than this (a chat message) is scanned by the databases of several
#: patterns only: each database of its own (a literal-poor pattern, ``partition``) costs
#: a scan call (~1 us on a short text, 18 of them), and a short text's gates ask of a
#: few of them: each is scanned when a gate asks of it (``_alone_hit``)
SHORT_TEXT = 256


@functools.lru_cache(maxsize=16)
def hits(text: str) -> tuple[frozenset[int], int, frozenset[int]] | None:
    """The ids of the registered patterns whose Hyperscan reading matches in ``text``,
    how many patterns the scan covered, and the ids of those it did not read (a short
    text's patterns compiled alone: ``SHORT_TEXT``); None when no scan was made."""
    if _hs is None or not text.isascii():
        return None
    built = _SCANNER.database()
    if built is None:
        return None
    maybe_parts, covered = built
    if maybe_parts is None:
        return None
    parts = maybe_parts
    local = _SCANNER.local
    scratches = getattr(local, "scratches", None)
    if scratches is None or getattr(local, "parts", None) is not parts:
        scratches = local.scratches = [_hs.Scratch(db) for db, _ in parts]
        local.parts = parts
    sink = _Sink()
    data = text.encode("ascii")
    short = len(data) < SHORT_TEXT
    unread: list[int] = []
    for (db, ids), scratch in zip(parts, scratches, strict=True):
        if short and len(ids) == 1:
            unread.append(ids[0])
            continue
        sink.ids = ids
        db.scan(data, match_event_handler=_on_match, context=sink, scratch=scratch)
    return frozenset(sink.found), covered, frozenset(unread)


@functools.lru_cache(maxsize=64)
def _alone_hit(k: int, text: str) -> bool | None:
    """Whether pattern ``k``'s Hyperscan reading matches in the short ASCII ``text``, by a
    scan of its own database (``hits`` leaves a short text's patterns compiled alone
    unread; a gate that asks of one of them pays one scan, ~1 us, where ``re`` took 1-6 us
    over a chat message: a spelled-out context regex); None when ``k`` is in no database
    of its own."""
    built = _SCANNER.database()
    if built is None or built[0] is None:
        return None
    parts = built[0]
    local = _SCANNER.local
    alone = getattr(local, "alone", None)
    if alone is None or alone[0] is not parts:
        alone = local.alone = (parts, {ids[0]: (db, _hs.Scratch(db)) for db, ids in parts if len(ids) == 1})
    entry = alone[1].get(k)
    if entry is None:
        return None
    db, scratch = entry
    sink = _Sink()
    sink.ids = (k,)
    db.scan(text.encode("ascii"), match_event_handler=_on_match, context=sink, scratch=scratch)
    return bool(sink.found)


def _reads(k: int, text: str, seen: tuple[frozenset[int], int, frozenset[int]]) -> bool | None:
    """Whether the pass found pattern ``k`` in ``text`` (scanned by ``hits``: ``seen``), a
    short text's pattern compiled alone scanned now; None where it was not read."""
    if k >= seen[1] or k in _SCANNER.refused:
        return None
    if k in seen[2]:
        return _alone_hit(k, text)
    return k in seen[0]


def may_search(rx: re.Pattern[str], text: str) -> bool:
    """False proves ``rx.search(text)`` is None (True proves nothing)."""
    k = _SCANNER.ids.get((rx.pattern, rx.flags))
    if k is None or not ENABLED:
        return True
    seen = hits(text)
    # (``k`` refused by Hyperscan when this scan built the databases: in none of them)
    return seen is None or _reads(k, text, seen) is not False


def scanned(rx: re.Pattern[str], text: str) -> bool | None:
    """Whether ``rx``'s Hyperscan reading matched in ``text``; None when the pass did not
    read it (no wheel, a non-ASCII text, ``rx`` not registered or registered after the
    database was built, ``ENABLED`` False).  False proves ``rx.search(text)`` is None; True
    is exact only for a pattern the reading does not widen (a case-insensitive literal
    alternation): callers use it where True is a safe answer ("may hold a word")."""
    k = _SCANNER.ids.get((rx.pattern, rx.flags))
    if k is None or not ENABLED:
        return None
    seen = hits(text)
    return None if seen is None else _reads(k, text, seen)


def search(rx: re.Pattern[str], text: str) -> bool:
    """``rx.search(text) is not None``, skipped when the one pass proves it False."""
    return may_search(rx, text) and rx.search(text) is not None


# -- where a regex matches, for a gate on spans ------------------------------------------

#: per (pattern, flags) registered: its Hyperscan database (exact mode: every end of every
#: match is reported), its threads' scratch, and its longest match (None: unbounded); None
#: where Hyperscan does not read the pattern exactly
_SPAN_DBS: dict[tuple[str, int], tuple[Any, threading.local, int | None] | None] = {}
#: per registered regex: the last text ``match_ends`` read (by identity) and its ends
_LAST_ENDS: dict[tuple[str, int], tuple[str, list[int]]] = {}


def register_spans(rx: re.Pattern[str], longest: int | None = None) -> None:
    """Build ``rx``'s database for ``match_ends`` (and for ``finditer`` as a lead when
    ``longest``, the length of its longest match, is given): once per pattern, a
    compilation costs more than a search of a window, so only regexes kept for many texts
    are.  (Hyperscan's leftmost-start mode is not used: it left out matches.)"""
    key = (rx.pattern, rx.flags)
    if _hs is None or key in _SPAN_DBS:
        return
    if len(_SPAN_DBS) > 256:
        _SPAN_DBS.clear()  # not expected: a few context regexes in a process
    if longest is not None:
        _LEAD_DBS[key] = _lead_db(rx)
    hp = hs_pattern(rx)
    built: tuple[Any, threading.local, int | None] | None = None
    if hp is not None:
        flags = hp[1] & (_hs.HS_FLAG_CASELESS | _hs.HS_FLAG_MULTILINE | _hs.HS_FLAG_DOTALL)
        try:
            db = hsdb.compile_db([hp[0]], [flags])
            built = (db, threading.local(), longest)
        except Exception:  # a construct exact mode refuses (a lookaround, a large repeat)
            built = None
    _SPAN_DBS[key] = built


#: per lead (``register_spans`` with ``longest``) whose every alternative Hyperscan reads
#: as written (no lookaround, anchor, ``\\b`` or ``\\s``: the same matches, so the same
#: lengths): a database with one expression per alternative, its threads' scratch, and
#: each alternative's shortest and longest match.  A match of alternative ``i`` ending at
#: ``e`` starts in ``[e - longest_i, e - shortest_i]``: ``finditer`` tries ``rx`` only
#: there, not at every position of ``[e - longest, e)`` (in a table, a two-character
#: lead's hit was eight tries)
_LEAD_DBS: dict[tuple[str, int], tuple[Any, threading.local, tuple[tuple[int, int], ...]] | None] = {}
_UNPLAIN_ESCAPE = re.compile(r"\\[bBsSwWdDAZzG0-9]|\(\?(?!:)")
#: a character class (no ``]`` first in it: such a class is left in, and refused as an anchor)
_CLASS = re.compile(r"\[\^?(?:\\.|[^\]\\])+\]")


def _lead_db(rx: re.Pattern[str]) -> tuple[Any, threading.local, tuple[tuple[int, int], ...]] | None:
    if _hs is None or rx.flags & re.VERBOSE or not rx.pattern.isascii():
        return None
    alternatives = _alternatives(rx.pattern)
    widths: list[tuple[int, int]] = []
    expressions: list[bytes] = []
    for alt in alternatives:
        bare = _CLASS.sub("", alt)  # an anchor outside a class
        if not alt or _UNPLAIN_ESCAPE.search(alt) is not None or "^" in bare or "$" in bare or "{," in alt:
            return None
        try:
            one = re.compile(alt, rx.flags)
            low, high = re._parser.parse(alt, rx.flags).getwidth()  # type: ignore[attr-defined]
        except re.error:
            return None
        hp = hs_pattern(one)
        if hp is None or hp[0] != alt.encode("ascii") or low < 1 or high >= 1 << 16:
            return None
        widths.append((low, high))
        expressions.append(hp[0])
    flags = _hs.HS_FLAG_CASELESS if rx.flags & re.IGNORECASE else 0
    try:
        db = hsdb.compile_db(expressions, [flags] * len(expressions))
    except Exception:  # a construct exact mode refuses
        return None
    return db, threading.local(), tuple(widths)


def _lead_starts(built: tuple[Any, threading.local, tuple[tuple[int, int], ...]], text: str, pos: int,
                 end: int) -> list[tuple[int, int]] | None:
    """Where a match of the lead inside ``text[pos:end]`` starts: ``[lo, hi]`` ranges,
    ascending and disjoint; None for a non-ASCII piece."""
    piece = text[pos:end]
    if not piece.isascii():
        return None
    db, local, widths = built
    scratch = getattr(local, "scratch", None)
    if scratch is None:
        scratch = local.scratch = _hs.Scratch(db)
    found: list[tuple[int, int]] = []

    def on_match(idx: int, _start: int, stop: int, _flags: int, _ctx: object) -> None:
        low, high = widths[idx]
        found.append((pos + stop - high, pos + stop - low))

    db.scan(piece.encode("ascii"), match_event_handler=on_match, scratch=scratch)
    found.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in found:
        lo = max(lo, pos)
        if merged and lo <= merged[-1][1] + 1:
            if hi > merged[-1][1]:
                merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _start_matches(rx: re.Pattern[str], text: str, starts: list[tuple[int, int]], end: int,
                   limit: int | None) -> list[re.Match[str]]:
    """``finditer``'s matches (at most ``limit``), ``rx`` tried at the lead's starts."""
    out: list[re.Match[str]] = []
    at = 0
    match = rx.match
    for lo, hi in starts:
        p = max(lo, at)
        while p <= hi:
            m = match(text, p, end)
            if m is None:
                p += 1
                continue
            out.append(m)
            if limit is not None and len(out) >= limit:
                return out
            at = p = m.end()
    return out


def matches_at(rx: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)`` for a pattern whose every match starts at one of ``starts``
    (ascending; a superset is fine): each is tried with ``rx.match`` (whose lookbehind
    sees the text before it) from the end of the last match on, as ``finditer`` scans."""
    reach = 0
    for start in starts:
        if start < reach:
            continue
        m = rx.match(text, start)
        if m is not None:
            reach = m.end()
            yield m


def match_ends(rx: re.Pattern[str], text: str) -> list[int] | None:
    """The ends of every match of ``rx`` in ``text`` (at any position, as
    ``rx.match(text, pos)`` finds them: each of ``rx.finditer(text)``'s included), ascending,
    or None when not read here (no wheel, a non-ASCII text, ``rx`` not registered with
    ``register_spans``, a pattern with a lookaround or another construct Hyperscan's exact
    mode refuses or ``hs_pattern`` does not translate).  Hyperscan reports the end of every
    match of the pattern (``hs_pattern``'s reading: a superset, ``\\s`` widened)."""
    if _hs is None or not ENABLED:
        return None
    key = (rx.pattern, rx.flags)
    last = _LAST_ENDS.get(key)
    if last is not None and last[0] is text:
        return last[1]  # the same text again (a reading asks once per region)
    built = _SPAN_DBS.get(key)
    if built is None or not text.isascii():
        return None
    ends = _scan_ends(built, text.encode("ascii"), 0)
    _LAST_ENDS[key] = (text, ends)  # one assignment: another thread sees the old or the new
    return ends


def _lead_ends(rx: re.Pattern[str], text: str, pos: int, end: int) -> list[int] | None:
    """The ends (in ``text``) of every match of ``rx`` inside ``text[pos:end]``, ascending;
    None as ``match_ends``."""
    if _hs is None or not ENABLED:
        return None
    built = _SPAN_DBS.get((rx.pattern, rx.flags))
    if built is None:
        return None
    piece = text[pos:end]
    if not piece.isascii():
        return None
    return _scan_ends(built, piece.encode("ascii"), pos)


def _scan_ends(built: Any, data: bytes, offset: int) -> list[int]:
    """The ends of every match of a ``register_spans`` database in ``data``, plus
    ``offset``, ascending and each once (this thread's scratch space)."""
    db, local, _ = built
    scratch = getattr(local, "scratch", None)
    if scratch is None:
        scratch = local.scratch = _hs.Scratch(db)
    found: list[int] = []

    def on_match(_idx: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
        found.append(offset + end)

    db.scan(data, match_event_handler=on_match, scratch=scratch)
    return sorted(set(found))


def finditer(rx: re.Pattern[str], lead: re.Pattern[str], text: str, pos: int = 0,
             endpos: int | None = None) -> list[re.Match[str]]:
    """``list(rx.finditer(text, pos, endpos))``, searched only where ``lead`` matches.

    For a ``rx`` that never matches an empty string, and a ``lead`` (registered with
    ``register_spans`` and the length of its longest match) that matches at every
    position where ``rx`` matches in ``text[:endpos]`` (a match starting there, inside
    ``text[:endpos]``; ``lead`` has no lookaround nor anchor).  ``lead``'s matches in
    ``text[pos:endpos]`` (one Hyperscan scan of that piece: its ends, and the longest
    match before each) then cover every position where ``rx`` matches, and ``rx`` is
    tried (``rx.match(text, p, endpos)``) at each position they cover from where the last
    match ended, in order: ``finditer`` tries every position so, and finds no match
    anywhere else.  Without the scan (no wheel, a non-ASCII piece), ``rx.finditer``."""
    end = len(text) if endpos is None else min(endpos, len(text))
    exact = _LEAD_DBS.get((lead.pattern, lead.flags)) if ENABLED else None
    if exact is not None and pos < end:
        starts = _lead_starts(exact, text, pos, end)
        if starts is not None:
            return _start_matches(rx, text, starts, end, None)
    built = _SPAN_DBS.get((lead.pattern, lead.flags))
    longest = None if built is None else built[2]
    ends = None if longest is None or pos >= end else _lead_ends(lead, text, pos, end)
    if longest is None or ends is None:
        return list(rx.finditer(text, pos, end))
    return _lead_matches(rx, text, ends, longest, pos, end, None)


def search_lead(rx: re.Pattern[str], lead: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``rx.search(text)``, tried only where ``lead`` matches (the conditions of
    ``finditer``): its first match, found without trying every position of a text where
    ``lead`` is rare."""
    exact = _LEAD_DBS.get((lead.pattern, lead.flags)) if ENABLED else None
    if exact is not None and text:
        starts = _lead_starts(exact, text, 0, len(text))
        if starts is not None:
            found = _start_matches(rx, text, starts, len(text), 1)
            return found[0] if found else None
    built = _SPAN_DBS.get((lead.pattern, lead.flags))
    longest = None if built is None else built[2]
    ends = None if longest is None or not text else _lead_ends(lead, text, 0, len(text))
    if longest is None or ends is None:
        return rx.search(text)
    found = _lead_matches(rx, text, ends, longest, 0, len(text), 1)
    return found[0] if found else None


def _lead_matches(rx: re.Pattern[str], text: str, ends: list[int], longest: int, pos: int, end: int,
                  limit: int | None) -> list[re.Match[str]]:
    """``finditer``'s matches (at most ``limit``) from ``lead``'s match ``ends``."""
    out: list[re.Match[str]] = []
    at = pos
    match = rx.match
    for e in ends:
        p = max(e - longest, at)
        while p < e:
            m = match(text, p, end)
            if m is None:
                p += 1
                continue
            out.append(m)
            if limit is not None and len(out) >= limit:
                return out
            at = p = m.end()
        at = max(at, e)
    return out
