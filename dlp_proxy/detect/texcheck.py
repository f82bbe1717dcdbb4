r"""TeX the normalizer cannot read exactly: found, so the gateway refuses it.

Mattermost renders LaTeX with KaTeX: a ```latex / ```tex fenced block (display mode)
and an inline ``$...$`` pair (EnableInlineLatex).  The normalizer (normalize.py,
``_tex_edits``, ``_tex_macros``, ``_latex_and_words``) emulates a subset of KaTeX; a
construct outside it may show digits other than those it reads
(``\mathchoice{y}{A}{z}{w}AA-GG-SSSS`` shows an SSN in text style).  Enumerating KaTeX's
constructs one by one is a game the attacker wins, so the rule is an allowlist:

- ``unreadable_tex``: in a rendered TeX region (a latex/tex fenced block, an inline
  ``$..$`` pair) that holds a digit, a control sequence or construct the normalizer does
  not model exactly (a control word outside ``MODELLED_WORDS``, a ``\def`` form
  ``_tex_macros`` leaves as written, an environment outside ``_ENVIRONMENTS``, a ``%``
  comment, a ``\char`` form it does not decode...) is reported; the engine raises
  ``TexUnreadableError`` and the gateway refuses the request (fail closed).
- ``tex_readings``: the cheap constructs modelled soundly, as readings the engine judges
  beside the normalizer's: ``\mathchoice{a}{b}{c}{d}`` (one reading per argument, each
  shown alone: KaTeX draws the one of the current style), ``\verb|..|`` / ``\verb*|..|``
  (its content as shown), the matrix and array environments (markers dropped: nothing
  where KaTeX leaves no gap, ``matrix``/``smallmatrix``; a blank where it does,
  ``array``'s column padding, ``&`` between columns, ``\\`` between rows; ``pmatrix``
  and ``bmatrix`` their brackets).

Outside a rendered region TeX is shown as written (a reader sees the source), so nothing
there is refused: ``C:\Users\x\536`` or ``$5 and $10`` are no TeX.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from dlp_proxy.detect import normalize as _n

#: KaTeX's control words (src/Lexer.ts: ``\\[a-zA-Z@]+``) and control symbols
_CONTROL = re.compile(r"\\(?:([A-Za-z@]+)|(.)|$)", re.DOTALL)
#: control symbols the normalizer reads: spacing, ``\\`` (a line break), escaped specials
_MODELLED_SYMBOLS = frozenset(",:;>! \t\\{}$%&#_|")
#: ``\verb`` as KaTeX's lexer reads it: ``\verb*`` and any delimiter, ``\verb`` and any
#: delimiter but ``*`` and a letter; the content on one line
_VERB = re.compile(r"\\verb(?:\*([^\n])(.*?)\1|([^*A-Za-z\n])(.*?)\3)")
#: environments read exactly (``tex_readings``): what each marker shows
_ENVIRONMENTS = {"matrix": ("", ""), "smallmatrix": ("", ""), "array": (" ", " "),
                 "pmatrix": ("(", ")"), "bmatrix": ("[", "]"),
                 # aligned equations and cases: their rows and columns apart, each marker a
                 # blank (a reading with more gaps than KaTeX draws finds a number written
                 # whole in one cell; none is joined across cells)
                 **dict.fromkeys(("aligned", "align", "align*", "equation", "equation*", "cases",
                                  "gathered", "gather", "gather*", "split", "vmatrix", "Vmatrix", "Bmatrix"),
                                 (" ", " "))}
_BEGIN = re.compile(r"\\begin[ \t]*\{([A-Za-z*]{1,20})\}")
_END = re.compile(r"\\end[ \t]*\{([A-Za-z*]{1,20})\}")
#: ``array``'s column specification (hidden): KaTeX's ``l c r | :``
_COLSPEC = re.compile(r"[ \t]*\{[lcr|: \t]{1,40}\}")
_MATHCHOICE = re.compile(r"\\mathchoice(?![A-Za-z@])")
#: at most this many ``\mathchoice`` in one text are read; more are refused
_CHOICES_MAX = 16

#: Commands whose one braced argument KaTeX shows (decorated, in a font, boxed): the
#: normalizer's generic reading (``_TEX_ARG_CMD``: the argument) is what is shown.
_SHOWN_ARG = frozenset("""
    text textrm textbf textit texttt textsf textnormal textup textmd textsl emph
    mathrm mathbf mathit mathtt mathsf mathnormal mathbb mathcal mathfrak mathscr boldsymbol bm bold Bbb frak
    mbox hbox fbox boxed overline underline widehat widetilde hat bar vec tilde dot ddot check breve acute grave
    mathring overrightarrow overleftarrow underrightarrow underleftarrow overleftrightarrow underbrace overbrace
    cancel bcancel xcancel sout sqrt operatorname mathop mathbin mathrel mathord mathopen mathclose mathpunct
    mathinner smash pmod bmod mod pod
""".split())
#: Commands that take no argument and draw a symbol that is no digit (or a style, a size,
#: a delimiter's size): dropped or kept as written by the normalizer, never a digit shown
#: or hidden.
_SYMBOLS = frozenset("""
    alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho
    varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi
    Psi Omega digamma
    cdot cdotp times div pm mp ast star circ bullet oplus ominus otimes oslash odot cap cup sqcap sqcup wedge vee
    land lor lnot neg setminus backslash
    le leq ge geq neq ne lt gt approx equiv sim simeq cong propto ll gg subset subseteq supset supseteq in notin
    ni mid nmid parallel perp vdash dashv models prec succ preceq succeq leqslant geqslant lesssim gtrsim
    to gets rightarrow leftarrow Rightarrow Leftarrow leftrightarrow Leftrightarrow longrightarrow longleftarrow
    Longrightarrow Longleftarrow longleftrightarrow mapsto longmapsto implies impliedby iff uparrow downarrow
    Uparrow Downarrow updownarrow nearrow searrow swarrow nwarrow hookrightarrow hookleftarrow rightleftharpoons
    infty partial nabla forall exists nexists emptyset varnothing ldots cdots vdots ddots dots dotsc dotsb
    dotsm dotsi dotso prime hbar ell wp Re Im aleph beth angle triangle square Box blacksquare diamond Diamond
    clubsuit heartsuit spadesuit diamondsuit top bot therefore because checkmark dagger ddagger dag ddag
    S P copyright pounds yen euro degree lbrace rbrace lbrack rbrack langle rangle lfloor rfloor lceil rceil
    vert Vert lvert rvert lVert rVert colon surd flat natural sharp And
    sum prod coprod int iint iiint oint bigcup bigcap bigoplus bigotimes bigodot bigvee bigwedge bigsqcup
    sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan log ln lg exp lim liminf limsup max min
    sup inf det gcd deg dim hom ker arg Pr
    not limits nolimits displaylimits relax
    displaystyle textstyle scriptstyle scriptscriptstyle
    tiny scriptsize footnotesize small normalsize large Large LARGE huge Huge
    left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr bigm Bigm biggm Biggm
    begin end verb mathchoice char
""".split())


#: the size switches (``_SYMBOLS`` has them): an em is as wide as the size in force
_SIZES = frozenset({"tiny", "scriptsize", "footnotesize", "small", "normalsize", "large", "Large", "LARGE",
                    "huge", "Huge"})


def _modelled_words() -> frozenset[str]:
    """The control words the normalizer reads exactly (normalize.py's own tables, and
    the forms checked one by one in ``_unmodelled``: ``begin``/``end``, ``verb``,
    ``mathchoice``, ``char``, the ``\\def`` family)."""
    spaces = {"quad", "qquad", "enspace", "enskip", "space", "nobreakspace", "thinspace", "medspace",
              "thickspace", "negthinspace", "negmedspace", "negthickspace"}
    return frozenset({*_n._TEX_BLANK_CMDS, *_n._TEX_HIDDEN_ARGS, *_n._TEX_SWITCHES, *_n._TEX_COLOURING,
                      *_n._TEX_UNTRUSTED, *_n._TEX_OVERLAYS, *_n._TEX_TWO_ARGS, *spaces,
                      *_n._TEX_KERN_NAMES.split("|"), *_SHOWN_ARG, *_SYMBOLS, *_DEF_WORDS})


_DEF_WORDS = frozenset({"def", "gdef", "edef", "xdef", "global", "let", "newcommand", "renewcommand",
                        "providecommand"})
#: commands that draw nothing or a symbol that is no digit, found refused on ordinary
#: formulas (re-attack 3 of 2026-12-07): equation numbers, the old font switches, relations
_MORE_SYMBOLS = frozenset("""
    nonumber notag rm bf it sf tt cal mathstrut newline cr hline coloneqq triangleq nleq leqq geqq doteq asymp
    lozenge leadsto llbracket rrbracket mathsterling textdollar
""".split())
MODELLED_WORDS = _modelled_words() | _MORE_SYMBOLS | {"tag", "substack"}
#: the modelled commands that take an argument (a bracket right after them is read wrong)
_ARG_TAKING = frozenset({*_SHOWN_ARG, *_n._TEX_HIDDEN_ARGS, *_n._TEX_SWITCHES, *_n._TEX_COLOURING,
                         *_n._TEX_UNTRUSTED, *_n._TEX_OVERLAYS, *_n._TEX_TWO_ARGS, "tag", "substack",
                         "phantom", "hphantom", "vphantom", "text", "mathrm"})
#: what draws later source over or before earlier source, or hides it in place (an overlap,
#: a phantom, a negative space): the reading order is not the order shown, so the normalizer's
#: source-order readings cannot be trusted where digits are (re-attack 3 of 2026-12-07:
#: ``\phantom{000}-GG-SSSS\kern-5.167em\text{AAA}`` showed an SSN read as none)
_MOVES = frozenset({"phantom", "hphantom", "vphantom",
                    # an overlap draws its content left or right of where it is written, into
                    # room reserved before (attack pass 4 of 2026-12-07: \mathllap{AAA} into an
                    # \hspace showed an SSN the source order scrambled)
                    "rlap", "llap", "clap", "mathrlap", "mathllap", "mathclap"})
_SPACING_WORDS = frozenset({"kern", "mkern", "hskip", "mskip", "hspace"})
#: Constructs the normalizer models whose showing depends on KaTeX's state, each bent by an
#: insider once it was modelled (attack pass 5 of 2026-12-07): the argument a ``\mathchoice``
#: shows is the style in force where it stands, which ``\displaystyle`` changes mid-formula;
#: ``\char`` reads every digit that follows; ``\label`` is no KaTeX command (its name and
#: argument are drawn); an argument the reading drops (a colour, a size, a ``\def`` body, an
#: ``\overset``'s top) is drawn when it does not parse (KaTeX shows the source on an
#: error); an em is as wide as the size in force.  In a rendered region that holds a digit
#: each is refused, not read: what would be shown cannot be known without KaTeX's state.
_STATEFUL = frozenset({"mathchoice", "char", "label", "color", "rule", "mspace", *_SPACING_WORDS,
                       *_n._TEX_HIDDEN_ARGS, *_DEF_WORDS, *_SIZES})
#: a negative space this wide or wider (in em) draws what follows back over a character or
#: more: a reordering (narrower ones are read by ``normalize_tex_hidden``: one digit over another)
_BACK_EM = 1.0
_HSPACE_ARG = re.compile(r"\\hspace\*?[ \t]*\{" + _n._TEX_DIMEN + r"[ \t]*\}")


#: the negative spacing commands without a dimension, and their width in em
_NEGATIVE_SPACES = {"negthinspace": -1 / 6, "negmedspace": -2 / 9, "negthickspace": -5 / 18}
_NEGATIVE_SYMBOL = re.compile(r"\\!")


def _space_width(text: str, k: int, word: str) -> float:
    """The width in em of the spacing command ``word`` at ``k``; one whose width cannot be
    read is ``-_BACK_EM`` after a minus sign (fail closed), else nothing."""
    m = _HSPACE_ARG.match(text, k) if word == "hspace" else _n._TEX_KERN.match(text, k)
    width = _n._tex_width(m)
    if width is None:
        rest = text[k + len(word) + 1:k + len(word) + 8].lstrip(" \t*{")
        return -_BACK_EM if rest.startswith("-") else 0.0
    return width


def _back_in_all(text: str, a: int, b: int) -> bool:
    r"""The negative spaces of ``text[a:b]`` add up to ``_BACK_EM`` or more (several, each
    narrower, pull what follows back as far as one wide one: attack pass 4 of 2026-12-07,
    six ``\kern-0.9em``); one whose width cannot be read counts as that much."""
    total = -len(_NEGATIVE_SYMBOL.findall(text, a, b)) / 6
    for m in _CONTROL.finditer(text, a, b):
        word = m.group(1)
        if word in _NEGATIVE_SPACES:
            total += _NEGATIVE_SPACES[word]
        elif word in _SPACING_WORDS:
            total += min(_space_width(text, m.start(), word), 0.0)
        if total <= -_BACK_EM:
            return True
    return False


#: commands KaTeX gives an optional argument in brackets (``\sqrt[3]{x}``, ``\rule[raise]{w}{h}``,
#: the extensible arrows); after any other command that takes an argument a ``[`` is its
#: argument, one token (``\vphantom[`` hides the bracket and shows what follows)
_OPTIONAL_ARG = frozenset({"sqrt", "rule", "xrightarrow", "xleftarrow", "xleftrightarrow", "xRightarrow",
                           "xLeftarrow", "xLeftrightarrow", "xhookleftarrow", "xhookrightarrow", "xmapsto",
                           "newcommand", "renewcommand", "providecommand"})


#: marked's preprocessing before it lexes (Lexer.lex): the text Mattermost's Markdown reads
_MARKED_LINE_BREAK = re.compile(r"\r\n|\r|\u2424")


def marked_source(text: str) -> str:
    """``text`` as marked (Mattermost's fork) reads it: CR and CRLF line ends and U+2424 a
    line feed, a tab four blanks, U+00A0 a blank."""
    if "\r" in text or "\u2424" in text:
        text = _MARKED_LINE_BREAK.sub("\n", text)
    return text.replace("\t", "    ").replace("\u00a0", " ")


#: a fence line read loosely: any quote/list/indent prefix, the fence, the info string
_ANY_FENCE = re.compile(r"[ >*+\-0-9.)]*?(`{3,}|~{3,})(.*)")
#: a fence opener marked reads at the start of a top-level block (block.gfm.fences)
_TOP_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})([^`~\n]*)")
#: a line no paragraph of plain text holds: a block marker of another kind (heading,
#: quote, list item, link definition, indented code at a block's start, HTML), a rule,
#: setext underline or table delimiter row
_NOT_PLAIN = re.compile(r" *(?:#|>|(?:[*+\-]|[0-9]+\.) |\[|<)|[ \-:|=*_]+$| {0,3}(?:`{3,}|~{3,})")
_CONTAINER = re.compile(r" *(?:>|(?:[*+\-]|[0-9]+\.)(?: |$))")
_HTML_LINE = re.compile(r"[ >*+\-0-9.)]*<[A-Za-z!?/]")
_LINK_DEF = re.compile(r"(?m)^[ >]*\[[^\]\n]+\]:")
#: the info string's ends as JS ``trim()`` reads them, and then some (fail closed): any
#: Unicode blank or format character
_LATEX_INFO = re.compile(r"(?:la)?tex(?![a-z0-9_-])")


def _info_is_latex(info: str) -> bool:
    k = 0
    while k < len(info) and (info[k].isspace() or unicodedata.category(info[k]) in ("Cf", "Zs", "Cc")):
        k += 1
    return _LATEX_INFO.match(info[k:].lower()) is not None


class _Closers:
    """The lines that close a fence as marked reads them (``^ {0,3}\\1[~`]* *$``): per
    fence string, the sorted indices of the lines that close it (one pass per fence)."""

    def __init__(self, lines: list[tuple[int, int]], src: str) -> None:
        self.candidates: list[tuple[int, str]] = []
        for j, (s, e) in enumerate(lines):
            m = _CLOSE_LINE.fullmatch(src, s, e)
            if m is not None:
                self.candidates.append((j, m.group(1)))
        self.by_fence: dict[str, list[int]] = {}

    def first(self, fence: str, start: int) -> int:
        """The index of the first line from ``start`` that closes ``fence``, or -1."""
        found = self.by_fence.get(fence)
        if found is None:
            found = [j for j, run in self.candidates if run.startswith(fence)]
            self.by_fence[fence] = found
        k = bisect.bisect_left(found, start)
        return found[k] if k < len(found) else -1


_CLOSE_LINE = re.compile(r" {0,3}([`~]{3,}) *")


#: marked's inline rules (mattermost/marked lib/marked.js, inline.gfm), JavaScript's
#: ASCII ``\w`` and ``\b``
_IL_ESCAPE = re.compile(r"\\(?:[`*{}\[\]()#+\-.!_>|~]|\\(?!\w))", re.ASCII)
_IL_CODE = re.compile(r"(`+)(?:[^`]|[^`][\s\S]*?[^`])\1(?!`)")
_IL_LATEX = re.compile(r"\$([^$\n]+)\$(?!\w)", re.ASCII)
_IL_TEXT = re.compile(
    r"(?:`+|[^`])(?:[\s\S]*?(?:(?=[\\<!\[`*~]|\b[a-z][a-z0-9.+-]{1,31}:|\bwww|\B\$|\b_|\Z)|[^ ](?= {2,}\n))"
    r"|(?= {2,}\n))", re.ASCII)
#: where marked's url rule may start (over-read: a scheme, ``www``, a domain and a slash)
_IL_URL = re.compile(r"[A-Za-z][A-Za-z0-9.+-]*:(?:/|[^\W_]|%)|www|[\w.-]+\.\w{2,4}/")


_BACKTICK_RUN = re.compile(r"`+")
#: a paragraph with more backtick runs is paired by the over-reading (no code span excluded)
_RUNS_MAX = 200


def _inline_scan(seg: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """marked's inline lexer over a paragraph of plain text, for the constructs that can
    consume a ``$`` or a backtick: escapes, code spans, inline LaTeX, text.  The inline
    LaTeX contents and code spans; None when a construct it does not follow (a link, a
    tag, an autolink or URL, emphasis, strikethrough) may start somewhere."""
    if len(_BACKTICK_RUN.findall(seg)) > _RUNS_MAX:
        return None  # each unmatched run is a search to the end: bounded
    latex: list[tuple[int, int]] = []
    code: list[tuple[int, int]] = []
    links = "](" in seg
    i, n = 0, len(seg)
    while i < n:
        c = seg[i]
        if _IL_URL.match(seg, i):
            return None
        if c == "\\" and (m := _IL_ESCAPE.match(seg, i)):
            i = m.end()
            continue
        if c == "`" and (m := _IL_CODE.match(seg, i)):
            code.append((m.start(), m.end()))
            i = m.end()
            continue
        if c == "$" and (m := _IL_LATEX.match(seg, i)):
            latex.append((m.start(1), m.end(1)))
            i = m.end()
            continue
        if c == "<" and i + 1 < n and seg[i + 1] not in " >\n":
            return None
        if c in "*_" and c in seg[i + 1 :]:
            return None
        if c == "~" and seg.startswith("~~", i) and "~~" in seg[i + 2 :]:
            return None
        if c == "[" or (c == "!" and seg.startswith("![", i)):
            if links:
                return None
            i += 1
            continue
        m = _IL_TEXT.match(seg, i)
        i = m.end() if m is not None and m.end() > i else i + 1
    return latex, code


def _layout(src: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int, bool]]]:
    """marked's block structure as far as LaTeX goes, read from ``src`` (``marked_source``):
    the latex/tex fenced blocks' bodies (an opener read loosely, anywhere; the body to
    the first line marked closes it with, else to the end: never shorter than marked's),
    the code blocks (a closed non-latex fence at a top-level block start, where the
    lines before leave no doubt: no quote or list still open, no HTML block, whose
    lines marked shows as code), and the other text in paragraphs (start, end, plain:
    lines of text only, where ``_inline_scan`` follows marked)."""
    lines: list[tuple[int, int]] = []
    s = 0
    for m in re.finditer(r"\n", src):
        lines.append((s, m.start()))
        s = m.end()
    lines.append((s, len(src)))
    latex: list[tuple[int, int]] = []
    code: list[tuple[int, int]] = []
    segs: list[tuple[int, int, bool]] = []
    closers = _Closers(lines, src)
    sure, ctx, prev_empty = True, False, True
    seg: list[int] = []  # the current paragraph's lines
    plain = True

    def end_segment() -> None:
        nonlocal seg, plain
        if seg:
            segs.append((lines[seg[0]][0], lines[seg[-1]][1], plain and sure))
        seg, plain = [], True

    i = 0
    while i < len(lines):
        s, e = lines[i]
        line = src[s:e]
        fence = _ANY_FENCE.match(line) if ("`" in line or "~" in line) else None
        if fence is not None and _info_is_latex(fence.group(2)):
            end_segment()
            j = closers.first(fence.group(1), i + 1)
            body_start = min(e + 1, len(src))
            latex.append((body_start, lines[j][0] if j >= 0 else len(src)))
            exact = sure and not ctx and _TOP_FENCE.fullmatch(line) is not None
            if j < 0:
                break
            if exact:
                ctx = False
            i, prev_empty = j + 1, False
            continue
        if not line:
            end_segment()
            i, prev_empty = i + 1, True
            continue
        if _HTML_LINE.match(line):
            sure = False
        if prev_empty and line[0] != " " and not _CONTAINER.match(line):
            ctx = False  # a quote or list ends at a blank line and a line of another kind
        if _CONTAINER.match(line):
            ctx = True
        top = _TOP_FENCE.fullmatch(line)
        if top is not None and sure and not ctx and "|" not in line:
            j = closers.first(top.group(1), i + 1)
            if j >= 0:
                end_segment()
                code.append((s, lines[j][1]))
                i, prev_empty = j + 1, False
                continue
        if _NOT_PLAIN.match(line) or (not seg and line.startswith("    ")) or ctx:
            plain = False
        seg.append(i)
        i, prev_empty = i + 1, False
    end_segment()
    return latex, code, segs


def tex_regions(text: str) -> list[tuple[int, int]]:
    """The spans of ``text`` (read as ``marked_source(text)``, whose offsets they are)
    Mattermost renders with KaTeX: a latex/tex fenced block's body, an inline ``$..$``
    pair's inside as marked pairs it (``inlinelatex``: ``$``, anything but ``$`` on one
    line, ``$`` before no word character) outside code blocks and code spans.  Where
    the pairing is not followed exactly (a paragraph with links, emphasis, HTML...),
    every ``$`` a token may start at (none right after a letter or digit: ``C$``) is
    taken as an opener: more regions, never fewer."""
    return _regions(marked_source(text))


def _regions(src: str) -> list[tuple[int, int]]:
    if "$" not in src and "`" not in src and "~" not in src:
        return []
    latex, _code, segs = _layout(src)
    regions = list(latex)
    if "$" in src:
        exact_codes = _LINK_DEF.search(src) is None
        for a, b, plain in segs:
            if "$" not in src[a:b]:
                continue
            scanned = _inline_scan(src[a:b]) if plain and exact_codes else None
            if scanned is not None:
                regions.extend((a + x, a + y) for x, y in scanned[0])
                continue
            for m in re.finditer(r"\$", src[a:b]):
                k = a + m.start()
                if k > 0 and src[k - 1].isascii() and src[k - 1].isalnum():
                    continue  # marked starts no token at a ``$`` right after a letter or digit
                p = _IL_LATEX.match(src, k)
                if p is not None:
                    regions.append((p.start(1), p.end(1)))
    return sorted(regions)


def _holds_digits(region: str) -> bool:
    """A digit, or what the normalizer's readings make one (number words, numerals...)."""
    if any(c.isdigit() or c.isnumeric() for c in region):
        return True
    return any(c.isdigit() for c in _n.normalize(_n.sanitize(region)).text)


def _def_modelled(text: str, at: int, braces: dict[int, int]) -> bool:
    r"""The ``\def``-family form at ``at`` is one ``_tex_macros`` expands (else it is left
    as written: a delimited parameter, a default value, ``##``, a long body...)."""
    m = _n._TEX_DEF.match(text, at)
    if m is None:
        return False
    if m.group(6) is not None:  # \let\x=y
        return True
    close = braces.get(m.end() - 1, -1)
    if close < 0 or close - m.end() > _n._TEX_MACRO_BODY:
        return False
    params = m.group(2) or ""
    count = len(params) // 2 if m.group(1) else int(m.group(5) or 0)
    if params and params != "".join(f"#{k}" for k in range(1, count + 1)):
        return False
    body = text[m.end() : close]
    return not (any(int(p.group(1)) > count for p in _n._TEX_PARAM.finditer(body))
                or "#" in _n._TEX_PARAM.sub("", body))


#: a macro definition's name, in any form KaTeX reads (counted: two of one name is refused)
_DEF_NAME = re.compile(r"\\(?:[gex]?def|let|newcommand|renewcommand|providecommand)(?![A-Za-z@])\*?"
                       r"[ \t]*\{?[ \t]*\\([A-Za-z@]+)")
_GROUP_TOKEN = re.compile(r"\\(?:begin|end)(?![A-Za-z@])|\\[A-Za-z@]+|\\.|[{}]", re.DOTALL)


def _top_level(text: str, a: int, b: int) -> set[int]:
    """The offsets in ``text[a:b]`` outside every group KaTeX scopes a definition to: a
    brace group (over lines too) and an environment (``\\begin``..``\\end``: its cells)."""
    out: set[int] = set()
    depth = 0
    for m in _GROUP_TOKEN.finditer(text, a, b):
        t = m.group(0)
        if depth == 0:
            out.add(m.start())
        if t in ("{", "\\begin"):
            depth += 1
        elif t in ("}", "\\end"):
            depth = max(0, depth - 1)
    return out


def _macro_doubt(text: str, a: int, b: int, braces: dict[int, int]) -> str | None:
    r"""A macro in ``text[a:b]`` whose uses ``_tex_macros`` (one body per name, the whole
    text one scope) may read otherwise than KaTeX (each use the definition in force
    there, ``\def`` scoped to its group): a name defined twice in the text, a definition
    inside a group, a ``\edef``/``\xdef`` of a body with a control word, a name used
    before its definition (``\let\x=\y`` before ``\y``'s) or one left as written after the
    normalizer's expansion (recursive, deeper than it goes, its arguments missing).
    The definition's word, or None."""
    counts: dict[str, int] = {}
    for m in _DEF_NAME.finditer(text):
        counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    top = _top_level(text, a, b)
    first: dict[str, int] = {}
    for m in _n._TEX_DEF.finditer(text, a, b):
        if not _def_modelled(text, m.start(), braces):
            continue  # refused as a construct
        name = m.group(1) or m.group(3) or m.group(4) or m.group(6) or ""
        word = re.match(r"(?:\\global[ \t]*)?\\([A-Za-z]+)", m.group(0))
        said = "\\" + (word.group(1) if word else "def")
        if counts.get(name, 0) > 1 or m.start() not in top:
            return said
        if said in ("\\edef", "\\xdef") and "\\" in text[m.end() : braces.get(m.end() - 1, m.end())]:
            return said
        first.setdefault(name, m.start())
    if not first:
        return None
    uses = re.compile(r"\\(" + "|".join(sorted(first, key=len, reverse=True)) + r")(?![A-Za-z@])")
    for u in uses.finditer(text, a, b):
        if u.start() < first[u.group(1)]:
            return "\\" + u.group(1)
    read = _n._tex_macros(text)
    if read is not None:
        for u in uses.finditer(read.text):
            return "\\" + u.group(1)
    return None


def _mathchoice_args(text: str, at: int, braces: dict[int, int]) -> list[tuple[int, int]] | None:
    r"""The four braced arguments (inner spans) of the ``\mathchoice`` at ``at``; None
    unless there are four, none holding another ``\mathchoice``."""
    k = at + len("\\mathchoice")
    args: list[tuple[int, int]] = []
    for _ in range(4):
        while k < len(text) and text[k] in " \t":
            k += 1
        if k >= len(text) or text[k] != "{" or (close := braces.get(k, -1)) < 0:
            return None
        if _MATHCHOICE.search(text, k + 1, close):
            return None
        args.append((k + 1, close))
        k = close + 1
    return args


def _braced(text: str, k: int, braces: dict[int, int], n: int) -> list[tuple[int, int]] | None:
    """The inner spans of the ``n`` braced arguments from ``k`` (blanks between); None
    unless there are ``n``."""
    args: list[tuple[int, int]] = []
    for _ in range(n):
        while k < len(text) and text[k] in " \t":
            k += 1
        if k >= len(text) or text[k] != "{" or (close := braces.get(k, -1)) < 0:
            return None
        args.append((k + 1, close))
        k = close + 1
    return args


#: a colour KaTeX accepts (Parser.parseColorGroup's form: a name of letters, whatever CSS
#: knows, or a hex triplet), so never an error that shows the source; its effect (a
#: colour that hides) is the hidden reading's (``normalize_tex_hidden``)
_COLOUR_NAME = re.compile(r"#[a-f0-9]{3,4}|#[a-f0-9]{6}|#[a-f0-9]{8}|[a-f0-9]{6}|[ \t]*[a-z]{1,30}[ \t]*",
                          re.IGNORECASE)  # (a hex colour's digits, dropped by the reading, exactly so: no blank)
#: how many leading arguments of a stateful command the reading drops (the last is read)
#: (not ``\href``: without ``trust`` KaTeX draws "\href" and drops the body the reading reads;
#: not ``\raisebox``: a size that does not parse shows the source; not ``\overunderset``,
#: which KaTeX 0.16 does not know: attack pass 6)
_DROPPED_ARGS = {"color": 1, "textcolor": 1, "colorbox": 1, "fcolorbox": 2, "overset": 1, "underset": 1,
                 "stackrel": 1}
#: a dropped top or bottom that always parses: letters, blanks and marks that stand alone
#: in math (no script mark, ``&``, ``#``, ``%``, ``~``, ``$`` or command: attack pass 6's
#: ``\overset{^^}{1}`` failed to parse and KaTeX showed the source)
_PLAIN_ARG = re.compile(r"[A-Za-z \t?!=+*<>|.,:;'/()\[\]-]{0,40}")
_COLOURS = frozenset({"color", "textcolor", "colorbox", "fcolorbox"})


def _stateful_ok(text: str, word: str, end: int, braces: dict[int, int]) -> bool:
    r"""A stateful command (``_STATEFUL``) whose dropped arguments are plain: a colour's
    name, a digit-free top or bottom of at most 40 characters (``\stackrel{?}{=}``,
    ``\underset{w}{\arg\min}``): nothing the reading drops can be a digit shown, and
    nothing can fail to parse into the source being shown."""
    n = _DROPPED_ARGS.get(word)
    if n is None:
        return False
    args = _braced(text, end, braces, n)
    if args is None:
        return False
    for i, (a, b) in enumerate(args):
        arg = text[a:b]
        if word in _COLOURS and i == n - 1:
            if _COLOUR_NAME.fullmatch(arg) is None:
                return False
        elif _PLAIN_ARG.fullmatch(arg) is None:
            return False
    return True


#: a root's index of letters only (``\sqrt[n]{2}``): no digit to draw where the reading drops it
_LETTER_INDEX = re.compile(r"[ \t]*\[[ \t]*[A-Za-z]{1,3}[ \t]*\]")


def _unmodelled(text: str, a: int, b: int) -> str | None:
    """The first construct in ``text[a:b]`` (a rendered region) the normalizer does not
    model exactly, described; None when every one is modelled."""
    region = text[a:b]
    braces = _n._brace_pairs(text)
    verbs = [(m.start(), m.end()) for m in _VERB.finditer(text, a, b)]
    defined: set[str] = set()
    for m in _n._TEX_DEF.finditer(text, a, b):
        if _def_modelled(text, m.start(), braces):
            defined.add(m.group(1) or m.group(3) or m.group(4) or m.group(6) or "")
    if defined:
        doubt = _macro_doubt(text, a, b, braces)
        if doubt is not None:
            return doubt
    envs: list[str] = []
    for m in _CONTROL.finditer(text, a, b):
        k = m.start()
        if any(s <= k < e for s, e in verbs):
            continue  # a \verb's content is shown as written
        word, symbol = m.group(1), m.group(2)
        if word is None:
            if symbol is None or symbol not in _MODELLED_SYMBOLS:
                return f"\\{symbol or ''}"
            continue
        if word in defined:
            continue
        if word not in MODELLED_WORDS or (word in _STATEFUL and not _stateful_ok(text, word, m.end(), braces)):
            return f"\\{word}"
        if word in _MOVES:
            return f"\\{word}"
        if word in _ARG_TAKING and text[m.end():m.end() + 8].lstrip(" \t")[:1] == "[" and not (
                word == "sqrt" and _LETTER_INDEX.match(text, m.end())):
            # a bracket after a command that takes no optional argument is its one-token
            # argument; one that takes it draws it where the reading drops it (``\sqrt[N]{2}``)
            return f"\\{word}["
        if word == "verb":
            if not any(s == k for s, _ in verbs):
                return "\\verb"
        elif word == "char":
            if _n._TEX_CHAR.match(text, k) is None:
                return "\\char"
        elif word == "mathchoice":
            if _mathchoice_args(text, k, braces) is None:
                return "\\mathchoice"
        elif word == "begin":
            e = _BEGIN.match(text, k)
            if e is None or e.group(1) not in _ENVIRONMENTS:
                return "\\begin" if e is None else f"\\begin{{{e.group(1)}}}"
            if e.group(1) == "array" and _COLSPEC.match(text, e.end()) is None:
                return "\\begin{array}"
            envs.append(e.group(1))
        elif word == "end":
            e = _END.match(text, k)
            if e is None or not envs or envs.pop() != e.group(1):
                return "\\end"
        elif word in _DEF_WORDS and word != "global":
            start = k - len("\\global") if text.startswith("\\global", max(a, k - len("\\global"))) else k
            if not (_def_modelled(text, k, braces) or _def_modelled(text, start, braces)):
                return f"\\{word}"
        elif word == "global":
            rest = text[m.end() : b].lstrip(" \t")
            if not re.match(r"\\(?:[gex]?def)(?![A-Za-z@])", rest):
                return "\\global"
    if envs:
        return f"\\begin{{{envs[-1]}}}"
    if _back_in_all(text, a, b):
        return "negative spaces adding up to an em or more"
    if "%" in region:
        for m in re.finditer(r"(?<!\\)%", region):
            line_end = region.find("\n", m.start())
            if region[m.start() + 1 : len(region) if line_end < 0 else line_end].strip() or line_end >= 0:
                return "%"  # a comment hiding what follows it on its line (and the line break)
    return None


def unreadable_tex(text: str) -> str | None:
    """The first TeX construct the normalizer does not model exactly, in a rendered TeX
    region of ``text`` that holds a digit (or what the readings make one); None when
    there is none.  Cheap for text with neither a backslash nor ``%`` in a region."""
    if "\\" not in text and "%" not in text:
        return None
    text = marked_source(text)
    for a, b in _regions(text):
        region = text[a:b]
        if "\\" not in region and "%" not in region:
            continue
        found = _unmodelled(text, a, b)
        if found is not None and _holds_digits(region):
            return found
    if text.count("\\mathchoice") > _CHOICES_MAX:
        return "\\mathchoice"
    return None


#: Symbols KaTeX draws as a glyph (``_SYMBOLS``' first part): between two digits the
#: normalizer reads the name as nothing (``123\times536``); the reading here a blank.
_GLYPHS = frozenset(_SYMBOLS) - _SIZES - {
    "not", "limits", "nolimits", "displaylimits", "relax", "displaystyle", "textstyle", "scriptstyle",
    "scriptscriptstyle", "left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
    "biggl", "biggr", "Biggl", "Biggr", "bigm", "Bigm", "biggm", "Biggm", "begin", "end", "verb", "mathchoice",
    "char"}
_GLYPH_BETWEEN = re.compile(r"(?<=[0-9])[ \t]*\\([A-Za-z]+)(?![A-Za-z@])[ \t]*(?=[0-9])"
                            # a glyph between a word and a number (``\text{Smith}\to AAA-GG-SSSS``
                            # shows "Smith -> AAA-GG-SSSS", read as nothing it glued the number to
                            # the name: attack pass 5)
                            r"|(?<=[A-Za-z}])[ \t]*\\([A-Za-z]+)(?![A-Za-z@])[ \t]*(?=[0-9])"
                            r"|(?<=[0-9])[ \t]*\\([A-Za-z]+)(?![A-Za-z@])[ \t]*(?=[A-Za-z{])")


#: a TeX source's markup: a command, a brace, a script or alignment mark, a ``$``
_TEX_MARKUP = re.compile(r"\\(?:[A-Za-z@]+|.)|[{}$^_&]", re.DOTALL)


def source_as_written(text: str) -> str | None:
    r"""``text`` with its TeX markup blanked (same length), when a rendered region holds a
    command: what KaTeX shows when a formula does not parse (Mattermost renders with
    ``throwOnError: false``, which draws the source), read in source order with every
    command a blank: ``$AAA-GG-SSSS\href{x}{1}$`` shows ``AAA-GG-SSSS\href``, where the
    readings that follow the commands glue the ``1`` to the number (attack pass 6: ``\href``
    without trust, a top that does not parse, ``\tag`` inline).  More findings only: the
    engine judges it beside the readings as rendered.  None when no region has a command."""
    if "\\" not in text:
        return None
    src = marked_source(text)
    if not any("\\" in src[a:b] for a, b in _regions(src)):
        return None
    return _TEX_MARKUP.sub(lambda m: " " * len(m.group(0)), text)


def _glyph(m: re.Match[str]) -> str:
    return m.group(1) or m.group(2) or m.group(3)


def _may_read(text: str) -> bool:
    return ("\\verb" in text or "\\begin" in text or "\\mathchoice" in text
            or any(_glyph(m) in _GLYPHS for m in _GLYPH_BETWEEN.finditer(text)))


def tex_readings(text: str) -> list[_n.Normalized]:
    r"""``text`` with ``\mathchoice``, ``\verb`` and the matrix/array environments read
    as KaTeX shows them (anywhere in the text: outside a rendered region the reading is
    one more, never the only one): one reading per ``\mathchoice`` argument (each shown
    alone), else one; none when the text has none of them."""
    if not _may_read(text):
        return []
    braces = _n._brace_pairs(text)
    common: list[tuple[int, int, str, int, int]] = []
    for m in _VERB.finditer(text):
        body = (m.start(2), m.end(2)) if m.group(1) is not None else (m.start(4), m.end(4))
        common.append((m.start(), body[0], "", m.start(), body[0]))
        common.append((body[1], m.end(), "", body[1], m.end()))
    stack: list[tuple[str, int]] = []
    padded: set[int] = set()  # where an array's marker (its 0.5 em padding) is read
    for m in re.finditer(r"\\begin[ \t]*\{([A-Za-z*]{1,20})\}|\\end[ \t]*\{([A-Za-z*]{1,20})\}", text):
        if m.group(1) is not None:
            name = m.group(1)
            if name not in _ENVIRONMENTS:
                stack.append(("", m.end()))
                continue
            end = m.end()
            if name == "array":
                spec = _COLSPEC.match(text, end)
                if spec is None:
                    stack.append(("", m.end()))
                    continue
                end = spec.end()
            common.append((m.start(), end, _ENVIRONMENTS[name][0], m.start(), end))
            if name == "array" or _ENVIRONMENTS[name] == (" ", " "):
                padded.add(m.start())
            stack.append((name, end))
        elif stack:
            name, opened = stack.pop()
            if not name or name != m.group(2):
                continue
            for s in re.finditer(r"\\\\|(?<!\\)&", text[opened : m.start()]):
                at = opened + s.start()
                common.append((at, at + len(s.group(0)), " ", at, at + len(s.group(0))))
            common.append((m.start(), m.end(), _ENVIRONMENTS[name][1], m.start(), m.end()))
            if name == "array" or _ENVIRONMENTS[name] == (" ", " "):
                padded.add(m.start())
    for m in _GLYPH_BETWEEN.finditer(text):  # ``123\times536``: the glyph a blank
        if _glyph(m) in _GLYPHS:
            common.append((m.start(), m.end(), " ", m.start(), m.end()))
    arrays = bool(padded)
    choices: list[list[tuple[int, int]]] = []
    spans: list[tuple[int, int]] = []
    for m in _MATHCHOICE.finditer(text):
        args = _mathchoice_args(text, m.start(), braces)
        if args is not None and len(choices) < _CHOICES_MAX:
            choices.append(args)
            spans.append((m.start(), args[-1][1] + 1))
    out: list[_n.Normalized] = []
    # an array's padding (0.5 em) read as a blank, and as nothing (as narrow as TeX's thin
    # spaces between digits, which the normalizer joins in a second reading)
    for k, joined in [(k, j) for k in range(4 if choices else 1) for j in ((False, True) if arrays else (False,))]:
        edits = [(a, b, "" if joined and a in padded else rep, sa, sb) for a, b, rep, sa, sb in common]
        for (start, stop), args in zip(spans, choices, strict=True):
            edits.append((start, args[k][0], "", start, args[k][0]))
            edits.append((args[k][1], stop, "", args[k][1], stop))
        edits.sort()
        kept: list[tuple[int, int, str, int, int]] = []
        reach = 0
        for e in edits:  # an edit inside an argument not shown: the argument's edit wins
            if e[0] >= reach:
                kept.append(e)
                reach = max(reach, e[1])
        if kept:
            out.append(_n._edit(text, kept, [], ["tex-constructs"] * len(kept)))
    return out
