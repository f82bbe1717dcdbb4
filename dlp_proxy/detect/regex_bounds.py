r"""Which firm-supplied (YAML) patterns may run on a short text without a timeout.

Presidio matches YAML recognizer patterns with the ``regex`` module and a timeout,
so a pattern that backtracks catastrophically (``(a+)+b``) cannot hang a scan.
``regex`` measures that timeout on the *process CPU clock*: two
``clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`` system calls per search, which the
kernel cannot answer from the vDSO.  In the gateway, beside its other threads,
that made the could-match gate of a one-pattern YAML recognizer cost ~12 us per
text instead of ~1 us, and up to 15 % of the event loop while files were being
uploaded (docs/benchmarks.md).

``bounded_backtracking`` proves, for a structurally simple pattern, that a search
over a text of at most ``SHORT_TEXT_CHARS`` characters does a bounded amount of
work, so the gate can search such texts without the timeout.  It is conservative:
anything it does not understand (syntax only ``regex`` knows, back-references,
nested quantifiers, more than one unbounded quantifier, too many ways to match)
is "not proven" and keeps the timeout.  Presidio's own analysis is unchanged.

The bound: without nested quantifiers, a backtracking matcher tries at each
start position at most (ways to match) = the product over the sequence of each
quantifier's count of lengths (hi - lo + 1) and each alternation's sum of its
branches' ways, each path at most the pattern's longest match long.  So without an
unbounded quantifier a search costs at most n * ways * width steps (n <= 1,024,
ways * width <= 4,096); a pattern whose only choice is one unbounded quantifier of
a single character costs at most n * n.  Measured on adversarial 1 KB texts: 12 ms
for a pattern of 55,000 ways x width (refused here), 6 ms for ``\d+[xy]`` (allowed,
the worst allowed shape), 2.4 s for ``\d*\d*\d*[xy]`` (refused).
"""

from __future__ import annotations

import re
from typing import Any

try:  # Python 3.11+: the stdlib regex parser, used to read the pattern's structure
    import re._constants as _c
    import re._parser as _parser
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _parser  # type: ignore[no-redef]

import regex

#: texts up to this many characters (the gateway's inline scans are at most 1,024)
SHORT_TEXT_CHARS = 1024
#: without an unbounded quantifier: most (ways to match x longest match) per start position
MAX_STEPS_PER_START = 4096
#: with one unbounded quantifier: it must be the only choice the pattern has
MAX_WAYS_ONE_UNBOUNDED = 1

# ``{`` only as a counted quantifier (``{n}``, ``{n,}``, ``{,m}``, ``{n,m}``) or escaped:
# ``regex`` reads other braces as fuzzy-matching constraints (``{e<=2}``), which the
# stdlib parser would take for literal characters.
_BRACE = re.compile(r"\\.|\{(?!\d*,?\d*\})", re.S)
# constructs with no stdlib meaning, or a different one (\p{..}, \X, \G, (?V1), (?|..), (?r)...)
_REGEX_ONLY = re.compile(r"\\[pPXGKLNmMvV]|\(\?[|rVwfFe]|\(\?&|\(\?\(|\(\?R|\(\?\d|\(\?[+-]\d|\[\[:", re.S)
_SINGLE_CHAR = {_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN}
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT}


#: the flags the stdlib ``re`` and ``regex`` (version 0) read alike (same values in both)
_SHARED_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE


def stdlib_twin(pattern: str, flags: int = 0) -> re.Pattern[str] | None:
    """``pattern`` compiled by the stdlib ``re``, where ``re`` reads it as ``regex`` does
    (version 0, which follows ``re``): None for any flag but IGNORECASE, MULTILINE,
    DOTALL and UNICODE, for syntax only ``regex`` knows (fuzzy braces, ``\\p{..}``,
    ``(?V1)``...) and for what ``re`` refuses.  Registered in the gate pass
    (gatescan.py), whose ``may_search`` False then proves the ``regex`` search finds
    nothing on that text (tests/test_detect_gatescan.py checks it with ``regex``)."""
    if flags & ~int(_SHARED_FLAGS):
        return None
    if any(m.group(0) == "{" for m in _BRACE.finditer(pattern)) or _REGEX_ONLY.search(pattern):
        return None
    try:
        return re.compile(pattern, flags)
    except (re.error, ValueError, TypeError):
        return None


class _NotProven(Exception):
    pass


def bounded_backtracking(pattern: str, flags: int = 0) -> bool:
    """True only when a search of ``pattern`` over a text of at most
    ``SHORT_TEXT_CHARS`` characters provably does bounded work (see module doc)."""
    if flags & (regex.VERSION1 | regex.REVERSE | regex.BESTMATCH | regex.ENHANCEMATCH | regex.POSIX):
        return False
    if flags & regex.VERBOSE:
        return False  # whitespace and comments change what the textual checks below see
    if any(m.group(0) == "{" for m in _BRACE.finditer(pattern)) or _REGEX_ONLY.search(pattern):
        return False
    try:
        tree = _parser.parse(pattern)
    except Exception:  # anything the stdlib cannot parse is not proven
        return False
    try:
        ways, unbounded = _seq(list(tree))
    except _NotProven:
        return False
    if unbounded == 0:
        width: int = tree.getwidth()[1]
        return ways * max(1, width) <= MAX_STEPS_PER_START
    return unbounded == 1 and ways <= MAX_WAYS_ONE_UNBOUNDED


def _seq(items: list[tuple[Any, Any]]) -> tuple[int, int]:
    """(ways, unbounded quantifiers) of a sequence of parsed items."""
    ways, unbounded = 1, 0
    for op, av in items:
        w, u = _item(op, av)
        ways *= w
        unbounded += u
    return ways, unbounded


def _item(op: Any, av: Any) -> tuple[int, int]:
    if op in _SINGLE_CHAR or op is _c.AT:
        return 1, 0
    if op is _c.SUBPATTERN:
        return _seq(list(av[-1]))
    if op is _c.ATOMIC_GROUP:
        return _seq(list(av))
    if op in (_c.ASSERT, _c.ASSERT_NOT):
        return _seq(list(av[1]))
    if op is _c.BRANCH:
        total, unbounded = 0, 0
        for alt in av[1]:
            w, u = _seq(list(alt))
            total += w
            unbounded += u
        return total, unbounded
    if op in _REPEATS:
        lo, hi, sub = av
        body = list(sub)
        if any(o not in _SINGLE_CHAR and o is not _c.AT for o, _ in body):
            raise _NotProven("a quantifier over a group, an alternation, another quantifier or a lookaround")
        if hi == _c.MAXREPEAT:
            if len(body) != 1 or body[0][0] not in _SINGLE_CHAR:
                raise _NotProven("an unbounded quantifier of more than one character")
            return 1, 1
        return hi - lo + 1, 0
    raise _NotProven(f"unsupported construct {op}")  # back-references, conditionals, ...
