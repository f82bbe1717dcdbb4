"""The extraction context every format extractor receives.

``Ctx`` carries what one extraction shares (the ``Budget``), where the extractor is
(nesting depth, location prefix) and how to extract a file found inside the file
(``Ctx.extract``: an archive member, a .msg or .eml attachment, an embedded OLE
object, an image in a document).  The dispatcher (``core.py``) puts its own
``extract_into`` there, so a format module imports neither the dispatcher nor any
other format module: formats depend on this module and on shared helpers only, and
``core.py`` depends on the formats through its table (``core.EXTRACTORS``).  A test
(tests/test_files_imports.py) holds the import graph of dlp_proxy.files acyclic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from dlp_proxy.files.limits import Budget, Limits

_MEMBER_TAIL = re.compile(r"(?:^|/)member=[^=]*$")

#: ``recurse(data, ctx, kind, name) -> detected type``: extract ``data`` into ``ctx``
Recurse = Callable[[bytes, "Ctx", "str | None", str], str]


def _no_recursion(data: bytes, ctx: Ctx, kind: str | None, name: str) -> str:
    """The default for a context built without a dispatcher: nested files are not read."""
    ctx.problem("unsupported-type")
    return "unknown"


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where we are: the budget shared by the whole file, nesting depth, location
    prefix, and the dispatcher that extracts nested files (``extract``)."""

    budget: Budget
    depth: int = 0
    prefix: str = ""
    recurse: Recurse = _no_recursion
    #: the bytes this context extracts are a slice of a file whose raw bytes were read
    #: already (``rawread.py``): a span outside a ZIP's index, a polyglot's second
    #: reading, a message's as-written text; not read raw again
    covered: bool = False

    @property
    def limits(self) -> Limits:
        return self.budget.limits

    def loc(self, sub: str = "") -> str:
        if not sub:
            return self.prefix
        return f"{self.prefix}/{sub}" if self.prefix else sub

    def add(self, sub: str, text: str) -> bool:
        return self.budget.add(self.loc(sub), text)

    def problem(self, code: str, sub: str = "") -> None:
        self.budget.problem(code, self.loc(sub))

    def member(self, name: str) -> Ctx:
        """Context for an archive member: ``member=a.zip/b.csv`` for nested members."""
        if _MEMBER_TAIL.search(self.prefix):
            prefix = f"{self.prefix}/{name}"
        else:
            prefix = self.loc(f"member={name}")
        return Ctx(self.budget, self.depth + 1, prefix, self.recurse)

    def child(self, sub: str) -> Ctx:
        """Context for an embedded file (attachment, OLE object) at ``sub``."""
        return Ctx(self.budget, self.depth + 1, self.loc(sub), self.recurse)

    def span(self, sub: str) -> Ctx:
        """Context for a slice of the file read as a file of its own (``child``, but the
        slice's bytes are not read raw again: ``covered``)."""
        return Ctx(self.budget, self.depth + 1, self.loc(sub), self.recurse, True)

    def extract(self, data: bytes, *, kind: str | None = None, name: str = "") -> str:
        """Extract a nested file into this context (build it with ``member``/``child``);
        returns the detected type.  Depth, type sniffing and errors are the dispatcher's."""
        return self.recurse(data, self, kind, name)
