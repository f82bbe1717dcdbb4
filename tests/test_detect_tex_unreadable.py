"""Rendered TeX the normalizer does not model exactly (red-team pass against the running
gateway: ``\\mathchoice``, ``\\verb``, a macro with a delimited parameter, matrix/array
environments): the detector finds the identifier in it or refuses the text
(``TexUnreadableError``), never "nothing found".  Values are made with the recognizers' checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import TexUnreadableError, build_detector
from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.detect.texcheck import MODELLED_WORDS, unreadable_tex
from dlp_proxy.model import CREDIT_CARD, US_SSN
from dlp_proxy.recognizers.ssn import ssn_valid

ROOT = Path(__file__).resolve().parent.parent
FENCE = "`" * 3


@pytest.fixture(scope="module")
def engine() -> Any:
    return build_detector(ROOT / "config", ner=False)


def found_or_refused(engine: Any, text: str, kind: str) -> str:
    try:
        kinds = {f.entity_type for f in engine.analyze(text)}
    except TexUnreadableError:
        return "refused"
    return "found" if kind in kinds else "missed"


ssns = st.tuples(st.integers(1, 899), st.integers(1, 99), st.integers(1, 9999)).map(
    lambda t: f"{t[0]:03d}{t[1]:02d}{t[2]:04d}").filter(ssn_valid)


def _card(prefix: str = "4111", n: int = 16) -> str:
    body = prefix + "1" * (n - len(prefix) - 1)
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def _ssn(seed: int = 0) -> str:
    for k in range(seed, seed + 1000):
        d = f"{536 + k % 100:03d}{22 + k % 7:02d}{8710 + k:04d}"
        if ssn_valid(d):
            return d
    raise AssertionError


def block(tex: str) -> str:
    return f"{FENCE}latex\n{tex}\n{FENCE}"


def _bypasses() -> list[tuple[str, str, str]]:
    d = _ssn()
    head, tail = d[0], f"{d[1:3]}-{d[3:5]}-{d[5:]}"
    c = _card()
    card_tail = f"{c[1:4]}\\ {c[4:8]}\\ {c[8:12]}\\ {c[12:]}"
    return [
        ("B1 inline", f"client SSN $\\mathchoice{{y}}{{{head}}}{{z}}{{w}}{tail}$", US_SSN),
        ("B1 block", block(f"\\mathchoice{{{c[0]}}}{{a}}{{b}}{{c}}{card_tail}"), CREDIT_CARD),
        ("B1 script", f"client SSN $\\mathchoice{{a}}{{b}}{{{head}}}{{w}}{tail}$", US_SSN),
        ("B2", block(f"\\verb|{head}|{tail}"), US_SSN),
        ("B2 star", block(f"\\verb*+{head}+{tail}"), US_SSN),
        ("B3", block(f"{head}\\def\\a#1x{{}}\\a 999x{tail}"), US_SSN),
        ("B4 matrix", block(f"\\begin{{matrix}}{head}\\end{{matrix}}{tail}"), US_SSN),
        ("B4 array", block(f"\\begin{{array}}{{c}}{head}\\end{{array}}{tail}"), US_SSN),
        ("B4 inline", f"client SSN $\\begin{{matrix}}{head}\\end{{matrix}}{tail}$", US_SSN),
        ("unknown env", block(f"\\begin{{aligned}}{head}\\end{{aligned}}{tail}"), US_SSN),
        ("glyph", f"$123\\times{d[:3]}-{d[3:5]}-{d[5:]}$", US_SSN),
        ("comment", block(f"{head}%999\n{tail}"), US_SSN),
        ("csname", f"client SSN $\\csname x\\endcsname {head}{tail}$", US_SSN),
        ("long pair", "client SSN $" + "\\," * 60 + f"\\mathchoice{{y}}{{{head}}}{{z}}{{w}}{tail}$", US_SSN),
    ]


@pytest.mark.parametrize(("name", "text", "kind"), _bypasses(), ids=[b[0] for b in _bypasses()])
def test_bypass_is_found_or_refused(engine: Any, name: str, text: str, kind: str) -> None:
    assert found_or_refused(engine, text, kind) != "missed", text


@pytest.mark.parametrize("name", ["B2", "B4 matrix", "B4 array"])
def test_modelled_constructs_are_read_not_refused(engine: Any, name: str) -> None:
    text, kind = next((t, k) for n, t, k in _bypasses() if n == name)
    assert found_or_refused(engine, text, kind) == "found", text


@pytest.mark.parametrize("name", ["B1 inline", "B1 block", "B1 script"])
def test_a_mathchoice_where_digits_are_is_refused(engine: Any, name: str) -> None:
    """Which argument a ``\\mathchoice`` shows is the style in force where it stands, and
    ``\\displaystyle``/``\\textstyle`` change it mid-formula (attack pass 5 of 2026-12-07:
    two of them under different styles showed an SSN no one-argument reading held)."""
    text, kind = next((t, k) for n, t, k in _bypasses() if n == name)
    assert found_or_refused(engine, text, kind) == "refused", text


def test_delimited_parameter_is_refused() -> None:
    text = next(t for n, t, _ in _bypasses() if n == "B3")
    assert unreadable_tex(text) == "\\def"


names = st.from_regex(r"[a-zA-Z]{2,12}", fullmatch=True).filter(lambda w: w not in MODELLED_WORDS)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=ssns, name=names, cut=st.integers(1, 8), shape=st.sampled_from(["{%s}", "{%s}{x}", "[%s]", "%s", "{x}%s"]),
       where=st.sampled_from(["inline", "block"]), sep=st.sampled_from(["-", " ", ""]))
def test_property_unmodelled_command_among_the_digits_is_never_silent(
        engine: Any, d: str, name: str, cut: int, shape: str, where: str, sep: str) -> None:
    number = sep.join((d[:3], d[3:5], d[5:]))
    cut = min(cut, len(number) - 1)
    tex = f"{number[:cut]}\\{name}{shape % number[cut:cut + 1]}{number[cut + 1:]}"
    text = f"client SSN ${tex}$" if where == "inline" else "client SSN\n" + block(tex)
    assert found_or_refused(engine, text, US_SSN) != "missed", text
    assert unreadable_tex(text) is not None, text


HARD_NEGATIVES = [
    "lunch is $5 and coffee $10",
    "it costs $5, or $12.50 with tax",
    "the export is in C:\\Users\\x\\536 and D:\\data\\2024",
    "$\\alpha + \\beta = \\gamma$",
    "$x^2 + y^2 = 25$",
    "$\\frac{1}{2} + \\sqrt{16} = 4.5$",
    block("\\sum_{i=1}^{10} i = 55"),
    block("\\begin{matrix}1 & 2\\\\3 & 4\\end{matrix}"),
    "escaped \\*not bold\\* and \\_ and \\# 42",
    "$50\\%$ of 200 is $100$",
    "see \\foo{12} written out, not rendered",
    block("\\textbf{Total}: \\text{42 items}"),
    "$\\def\\x{a}\\x + b$",
]


@pytest.mark.parametrize("text", HARD_NEGATIVES)
def test_hard_negatives_are_not_refused(engine: Any, text: str) -> None:
    assert unreadable_tex(text) is None, text
    engine.analyze(text)  # never raises


def test_unmodelled_tex_without_a_digit_needs_no_refusal(engine: Any) -> None:
    text = "$\\mathscr{L} \\foo{x} \\mathchoice{a}{b}{c}{d}$ and " + block("\\begin{aligned}x &= y\\end{aligned}")
    assert unreadable_tex(text) is None
    assert engine.analyze(text) == []


def test_files_and_split_windows_are_not_rendered(engine: Any) -> None:
    from dlp_proxy.model import ContentItem, ItemKind

    text = next(t for n, t, _ in _bypasses() if n == "B3")
    with pytest.raises(TexUnreadableError):
        engine.scan([ContentItem("body.message", text)])
    engine.scan([ContentItem("file[0]", text, ItemKind.FILE)])
    engine.scan([ContentItem("file[0]", text, ItemKind.FILE, rendered=True)])  # (a file's text never is)
    engine.scan([ContentItem("split-window", text, rendered=False)])


async def test_the_split_window_scan_says_its_text_is_not_rendered() -> None:
    """The gateway's split-window scanner (a text joined from posts each checked when it was
    sent) hands the detector its joined text as not rendered."""
    from dlp_proxy.gateway.pipeline import WINDOW_INLINE_DIGITS, _WindowScanner

    seen: list[Any] = []

    class _Detector:
        def analyze(self, text: str, *, entities: Any = None, rendered: bool = True) -> list[Any]:
            seen.append(("inline", rendered))
            return []

    class _Pipeline:
        detector = _Detector()

        async def _scan(self, items: Any, entities: Any, budget_key: Any) -> list[Any]:
            seen.extend((i.path, i.rendered) for i in items)
            return []

    scanner = _WindowScanner(_Pipeline(), "k")  # type: ignore[arg-type]
    await scanner.analyze("1 " * WINDOW_INLINE_DIGITS)  # few digits: on the event loop
    await scanner.analyze("1 " * (WINDOW_INLINE_DIGITS + 1))  # digit-dense: through the scan gate
    assert seen == [("inline", False), ("split-window", False)]


def test_refusal_survives_a_scan_worker() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(TexUnreadableError("\\csname")))
    assert isinstance(err, TexUnreadableError) and err.construct == "\\csname"


async def test_gateway_refuses_unreadable_tex_with_a_400_archived_and_never_fails_open() -> None:
    """Through the addon (test_gateway_addon's stand-in pipeline, whose posts route is
    configured to fail open): not forwarded, answered 400 with what to change, archived
    ``fail_closed`` with reason ``tex-unreadable``."""
    import json

    from mitmproxy.test import tflow

    from dlp_proxy.gateway.addon import DLPAddon
    from dlp_proxy.gateway.pipeline import Verdict
    from tests.test_gateway_addon import _Pipeline

    async def _unreadable(req: Any) -> Verdict:
        raise TexUnreadableError("\\csname")

    p = _Pipeline(_unreadable)
    addon = DLPAddon(p, max_body_bytes=1000)  # type: ignore[arg-type]
    f = tflow.tflow()
    f.request.method = "POST"
    f.request.path = "/api/v4/posts"
    f.request.content = b'{"message":"x"}'
    await addon.request(f)
    assert f.response is not None and f.response.status_code == 400  # never forwarded
    body = json.loads(f.response.content)
    assert body["id"] == "api.dlp.bad_request.app_error"
    assert "LaTeX" in body["message"] and "plain text" in body["message"]
    assert p.failures[0]["reason"] == "tex-unreadable" and p.failures[0]["action"].value == "fail_closed"


# -- red-team pass 2 (/tmp/attack2): macros redefined, inline pairing, fences, empty scripts --

DELIMITED = "\\def\\a#1x{}\\a 999x"  # an unmodelled construct (a delimited parameter)


def _split(d: str) -> tuple[str, str]:
    return d[0], f"{d[1:3]}-{d[3:5]}-{d[5:]}"


def _macro_cases() -> list[tuple[str, str, str]]:
    head, tail = _split(_ssn())
    c = _card()
    return [
        ("A1 redefined", f"client SSN $\\def\\x{{{head}}}\\x{tail}\\def\\x{{9}}$", US_SSN),
        ("A1 unlabelled", f"$\\def\\x{{{head}}}\\x{tail}\\def\\x{{9}}$", US_SSN),
        ("A2 let", f"$\\let\\x={head}\\x{tail}\\let\\x=9$", US_SSN),
        ("A3 nested", f"$\\def\\y{{{head}}}\\def\\x{{\\y}}\\x{tail}\\def\\y{{9}}$", US_SSN),
        ("A4 group", f"$\\def\\x{{{head}}}{{\\def\\x{{9}}}}\\x{tail}$", US_SSN),
        ("A4 environment", f"$\\def\\x{{{head}}}\\begin{{matrix}}\\def\\x{{9}}\\end{{matrix}}\\x{tail}$", US_SSN),
        ("A5 provide", f"$\\newcommand{{\\x}}{{{head}}}\\providecommand{{\\x}}{{9}}\\x{tail}$", US_SSN),
        ("A6 card", f"card $\\def\\x{{{c[0]}}}\\x{c[1:4]} {c[4:8]} {c[8:12]} {c[12:]}\\def\\x{{9}}$", CREDIT_CARD),
        ("A block", block(f"\\def\\x{{{head}}}\\x{tail}\\gdef\\x{{9}}"), US_SSN),
        ("A use before", f"$\\let\\x=\\y\\def\\y{{{head}}}\\x{tail}$", US_SSN),
        ("A other pair", f"$\\def\\x{{{head}}}\\x{tail}$ and $\\def\\x{{9}}$", US_SSN),
    ]


def _pairing_cases() -> list[tuple[str, str, str]]:
    head, tail = _split(_ssn())
    c = _card()
    return [
        ("B1 blanks", f"client SSN $ {head}{DELIMITED}{tail} $", US_SSN),
        ("B1 unlabelled", f"$ {head}{DELIMITED}{tail} $", US_SSN),
        ("B2 escaped blank", f"${head}{DELIMITED}{tail}\\ $", US_SSN),
        ("B3 card", f"card $ {c[0]}{DELIMITED}{c[1:4]} {c[4:8]} {c[8:12]} {c[12:]} $", CREDIT_CARD),
        ("B after escape", f"see \\_${head}{DELIMITED}{tail}$", US_SSN),
        ("B after emphasis", f"**x**${head}{DELIMITED}{tail}$.", US_SSN),
        ("B in a list", f"- item\n- $ {head}{DELIMITED}{tail} $", US_SSN),
        ("B in a quote", f"> $ {head}{DELIMITED}{tail} $", US_SSN),
        ("B beside code", f"run `x` then $ {head}{DELIMITED}{tail} $", US_SSN),
    ]


def _fence_cases() -> list[tuple[str, str, str]]:
    head, tail = _split(_ssn())
    body = f"{head}{DELIMITED}{tail}"
    return [
        ("C1 nbsp", f"client SSN:\n{FENCE}\u00a0latex\n{body}\n{FENCE}", US_SSN),
        ("C2 bom", f"{FENCE}\ufefflatex\n{body}\n{FENCE}", US_SSN),
        ("C2 em space", f"{FENCE}\u2003latex\n{body}\n{FENCE}", US_SSN),
        ("C3 cr", f"client SSN:\r{FENCE}latex\r{body}\r{FENCE}", US_SSN),
        ("C3 crlf", f"client SSN:\r\n{FENCE}tex\r\n{body}\r\n{FENCE}", US_SSN),
        ("C4 u2424", f"{FENCE}latex\u2424{body}\u2424{FENCE}", US_SSN),
        ("C5 tab close", f"client SSN:\n{FENCE}latex\n\\phantom{{\n\t{FENCE}\n}}{body}\n{FENCE}", US_SSN),
        ("C6 quoted close", f"{FENCE}latex\n\\phantom{{\n> {FENCE}\n}}{body}\n{FENCE}", US_SSN),
        ("C6 indented close", f"{FENCE}latex\n\\phantom{{\n    {FENCE}\n}}{body}\n{FENCE}", US_SSN),
        ("C7 em space after", f"{FENCE}LaTeX\u2003\n{body}\n{FENCE}", US_SSN),
        ("C tilde, no close", f"~~~ TeX\n{body}", US_SSN),
        ("C in a quote", f"> {FENCE}latex\n> {body}\n> {FENCE}", US_SSN),
    ]


def _empty_script_cases() -> list[tuple[str, str, str]]:
    head, tail = _split(_ssn())
    d = _ssn()
    c = _card()
    return [
        ("D1 sub", f"${head}_{{}}{tail}$", US_SSN),
        ("D1 sup", f"${head}^{{}}{tail}$", US_SSN),
        ("D1 blank", f"${head}_{{ }}{tail}$", US_SSN),
        ("D1 thin space", f"${head}^{{\\,}}{tail}$", US_SSN),
        ("D1 empty text", f"${head}_{{\\text{{}}}}{tail}$", US_SSN),
        ("D1 both", f"${head}_{{}}{d[1]}^{{}}{d[2]}-{d[3:5]}-{d[5:]}$", US_SSN),
        ("D1 groups", f"${head}{{}}^{{}}_{{}}{tail}$", US_SSN),
        ("D1 card", f"${c[0]}_{{}}{c[1:]}$", CREDIT_CARD),
        ("D block", block(f"{head}^{{}}{tail}"), US_SSN),
    ]


REDTEAM2 = _macro_cases() + _pairing_cases() + _fence_cases() + _empty_script_cases()


@pytest.mark.parametrize(("name", "text", "kind"), REDTEAM2, ids=[c[0] for c in REDTEAM2])
def test_redteam2_is_found_or_refused(engine: Any, name: str, text: str, kind: str) -> None:
    assert found_or_refused(engine, text, kind) != "missed", text


@pytest.mark.parametrize(("name", "text", "kind"), _empty_script_cases(), ids=[c[0] for c in _empty_script_cases()])
def test_empty_scripts_are_read_as_nothing(engine: Any, name: str, text: str, kind: str) -> None:
    assert found_or_refused(engine, text, kind) == "found", text


def test_a_definition_where_digits_are_is_refused(engine: Any) -> None:
    """A macro's body is dropped by the reading where it is defined; KaTeX shows it when the
    formula does not parse (``$\\def\\x{AAA-GG-SSSS} }$``: attack pass 5), so a definition
    in a region holding a digit is refused; one in a region without digits needs no reading."""
    head, tail = _split(_ssn())
    text = f"$\\def\\x{{{head}}}\\x{tail}$"
    assert unreadable_tex(text) == "\\def"
    assert found_or_refused(engine, text, US_SSN) == "refused"
    assert unreadable_tex("$\\def\\x{a}\\x + b$") is None


macro_names = st.from_regex(r"[a-zA-Z]{1,8}", fullmatch=True).filter(lambda w: w not in MODELLED_WORDS)
def_forms = st.sampled_from(["\\def\\{n}{{{b}}}", "\\gdef\\{n}{{{b}}}", "\\let\\{n}={b}", "\\newcommand{{\\{n}}}{{{b}}}",
                             "\\renewcommand\\{n}{{{b}}}", "\\providecommand{{\\{n}}}{{{b}}}", "\\edef\\{n}{{{b}}}"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=ssns, name=macro_names, first=def_forms, second=def_forms, other=st.sampled_from("0123456789"),
       order=st.sampled_from(["after", "before-use-group", "group-first", "env"]),
       where=st.sampled_from(["inline", "block"]))
def test_property_macro_redefined_or_scoped_is_never_silent(
        engine: Any, d: str, name: str, first: str, second: str, other: str, order: str, where: str) -> None:
    """A name defined twice (any of the forms, in any order), or inside a group or an
    environment: KaTeX shows each use with the definition in force there; the SSN
    behind it is found or the text refused."""
    if other == d[0]:
        other = "9" if d[0] != "9" else "8"
    one = first.format(n=name, b=d[0])
    two = second.format(n=name, b=other)
    use = f"\\{name} {d[1:3]}-{d[3:5]}-{d[5:]}"
    tex = {"after": f"{one}{use}{two}",
           "before-use-group": f"{one}{{{two}}}{use}",
           "group-first": f"{{{two}}}{one}{use}",
           "env": f"{one}\\begin{{matrix}}{two}\\end{{matrix}}{use}"}[order]
    text = f"${tex}$" if where == "inline" else block(tex)
    assert found_or_refused(engine, text, US_SSN) != "missed", text
    assert unreadable_tex(text) is not None, text


blanks = st.text(st.sampled_from(" \u00a0\ufeff\u2003\u2002\u3000\u200b\u2060\t"), max_size=3)
breaks = st.sampled_from(["\n", "\r", "\r\n", "\u2424"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=ssns, before=blanks, after=blanks, nl=breaks, lang=st.sampled_from(["latex", "tex", "LaTeX", "TEX", "Tex"]),
       fence=st.sampled_from(["```", "````", "~~~"]), label=st.booleans(), closed=st.booleans())
def test_property_latex_fence_variants_are_regions(
        engine: Any, d: str, before: str, after: str, nl: str, lang: str, fence: str, label: bool,
        closed: bool) -> None:
    """A latex block however its opener is dressed (blanks and format characters around
    the info string, CR / CRLF / U+2424 line ends): an SSN in it behind an unmodelled
    construct is found or refused."""
    body = f"{d[0]}{DELIMITED}{d[1:3]}-{d[3:5]}-{d[5:]}"
    text = ("client SSN:" + nl if label else "") + f"{fence}{before}{lang}{after}{nl}{body}" + (nl + fence if closed else "")
    assert unreadable_tex(text) is not None, repr(text)
    assert found_or_refused(engine, text, US_SSN) != "missed", repr(text)


FALSE_STOPS = [
    f"{FENCE}powershell\nCopy-Item \"$env:USERPROFILE\\Desktop\\report2024.xlsx\" \"$dest\\\"\n{FENCE}",
    "run `Copy-Item \"$env:USERPROFILE\\Desktop\\report2024.xlsx\" \"$dest\\\"` then check",
    "copied it from \\\\fs01\\C$\\Temp\\build7 to \\\\fs02\\D$\\share",
    "set PATH to `$env:TEMP\\tools1;$env:PATH`",
    "set PATH to $env:TEMP\\tools1;$env:PATH",
    f"{FENCE}bash\nawk '{{print $1\"\\t\"$2}}' data.tsv\n{FENCE}",
    f"{FENCE}python\nre.sub(r'\\$(\\d+)', r'USD \\1$', s)\n{FENCE}",
    # variants: a paragraph before the block, two blocks, a tilde fence, CRLF, a code span
    # whose ``$`` pair marked would otherwise render
    f"use this:\n{FENCE}python\nre.sub(r'\\$(\\d+)', r'USD \\1$', s)\n{FENCE}\nthen run it",
    f"{FENCE}bash\necho $HOME\n{FENCE}\n\n~~~python\nre.sub(r'\\$(\\d+)', r'USD \\1$', s)\n~~~",
    f"fix:\r\n{FENCE}python\r\nre.sub(r'\\$(\\d+)', r'USD \\1$', s)\r\n{FENCE}\r\n",
    "try `re.sub(r'\\$(\\d+)', r'USD \\1$', s)` on the 2024 data",
    "run `printf \"$1\\t%s$\" 42` and `$env:TEMP\\x1$` now",
    "lunch was $5, coffee $3.50 (C:\\Users\\bob\\receipts)",
]


@pytest.mark.parametrize("text", FALSE_STOPS)
def test_code_and_prices_are_no_tex(engine: Any, text: str) -> None:
    assert unreadable_tex(text) is None, text
    assert engine.analyze(text) == [], text


def test_region_finding_stays_linear() -> None:
    """Many unclosed fences, or many backtick runs of distinct lengths, in one text: each
    is no search to the end of the text."""
    import time

    texts = ["```bash\n$x\\y1$\n" * 5000, "".join("`" * (k + 1) + "a " for k in range(1000)) + "$a\\b1$"]
    for text in texts:
        t0 = time.perf_counter()
        assert unreadable_tex(text) is not None
        assert time.perf_counter() - t0 < 2.0


def test_a_binary_raw_body_is_no_markdown_but_a_field_always_is(engine: Any) -> None:
    """A route whose handler is unknown reads its raw body as text too (gateway/extract.py:
    ``body``); random bytes hold ``$`` and ``\\`` without being a message anyone renders, so
    the TeX check is not asked of them.  A JSON field, or a raw body of text, still is."""
    import random

    from dlp_proxy.gateway import routes
    from dlp_proxy.gateway.extract import extract
    from dlp_proxy.model import ContentItem

    def items(body: bytes) -> list[Any]:
        ex = extract(routes.UNKNOWN_ROUTE, body, "application/octet-stream", [])
        return [i for i in ex.items if i.path in ("body", "body~text")]

    binary = random.Random(125).randbytes(512)
    read = items(binary)
    whole = [i for i in read if len(i.text) >= 400]  # (its JSON reading may find a number at its start)
    assert whole and not any(i.rendered for i in whole)
    engine.scan(read)  # no refusal
    tex = "client SSN $\\csname x\\endcsname 536-22-8710$"
    for item in (*items(tex.encode()), *items(b'{"a": 1}\n' + tex.encode()),
                 ContentItem("body.message", tex + "\x00" * 40)):
        assert item.rendered
        with pytest.raises(TexUnreadableError):
            engine.scan([item])


@settings(max_examples=80, deadline=None)
@given(d=ssns, form=st.sampled_from([
    # a bracket after a command that takes no optional argument is its one-token argument
    "client SSN $\\vphantom[{a}\\text-{g}\\vphantom]{{}}\\text-{s}$",
    "$\\vphantom[{a}-{g}-{s}\\vphantom]{{}}$", "$\\hphantom[{a}-{g}-{s}\\hphantom]{{}}$",
    "$\\mathrm[{a}-{g}-{s}]{{0}}$",
    # later source drawn back into room a phantom or blanks reserved (re-attack 3, B2 B3)
    "SSN:\n```latex\n\\text{{\\phantom{{000}}-{g}-{s}}}\\kern-5.167em\\text{{{a}}}\\kern3.667em\n```",
    "SSN:\n```latex\n\\text{{\\phantom{{000}}-{g}-{s}}}\\llap{{\\text{{{a}\\phantom{{-{g}-{s}}}}}}}\n```",
    "SSN:\n```latex\n\\text{{\\ \\ \\ -{g}-{s}}}\\kern-4em\\text{{{a}}}\n```",
    "SSN $\\text{{\\ \\ \\ -{g}-{s}}}\\hspace{{-4em}}\\text{{{a}}}$",
]))
def test_property_reordering_and_optional_brackets_are_found_or_refused(engine: Any, d: str, form: str) -> None:
    text = form.format(a=d[:3], g=d[3:5], s=d[5:])
    assert found_or_refused(engine, text, US_SSN) != "missed", text


@pytest.mark.parametrize("text", [
    "$E = mc^2 \\tag{1}$", "$E = mc^2 \\nonumber$", "$\\rm{EPS} = 2.10$", "$\\bf{x}_1 = 3$",
    "```latex\n\\begin{aligned} a &= 1 \\\\ b &= 2 \\end{aligned}\n```",
    "$f(x) = \\begin{cases} 1 & x > 0 \\\\ 0 & x \\le 0 \\end{cases}$",
    "$x \\in [0, 1]$", "$\\left[ 1, 2 \\right]$", "$\\sqrt[n]{27} = 3$", "$a \\coloneqq 2$", "$a \\leqq 2$",
    "$\\color{red}{-1.2M}$ today", "$\\textcolor{green}{+3.4}$", "$\\colorbox{#ff0}{+1.2}$", "$\\stackrel{?}{=} 5$",
    "$\\underset{w}{\\arg\\min}\\, w^\\top \\Sigma w + 2$", "$2 \\times 3$",
])
def test_ordinary_formulas_are_not_refused(engine: Any, text: str) -> None:
    engine.analyze(text)  # no TexUnreadableError


def _attack5() -> list[tuple[str, str, str]]:
    d = _ssn()
    a, g, s = d[:3], d[3:5], d[5:]
    c = _card()
    cg = f"{c[:4]} {c[4:8]} {c[8:12]} {c[12:]}"
    chars = "".join(f"\\char{ord(x):09d}" if x.isdigit() else f"\\text{{{x}}}" for x in f"{a}-{g}-{s}")
    return [
        ("mathchoice styles", f"client SSN: $\\displaystyle\\mathchoice{{\\text{{{a}-{g}-}}}}{{x}}{{x}}{{x}}"
                              f"\\textstyle\\mathchoice{{x}}{{\\text{{{s}}}}}{{x}}{{x}}$", US_SSN),
        ("char digits", f"client SSN: ${chars}$", US_SSN),
        ("char card", f"card: $\\char{ord(c[0]):09d}{{}}{c[1:4]}\\ {c[4:8]}\\ {c[8:12]}\\ {c[12:]}$", CREDIT_CARD),
        ("label", f"client SSN: $x\\label{{{a}-{g}-{s}}}$", US_SSN),
        ("label card", f"card: $x\\label{{{cg}}}$", CREDIT_CARD),
        ("bad colour", f"client SSN: $\\color{{{a}-{g}-{s}}}x$", US_SSN),
        ("bad colour card", f"card: $\\color{{{cg}}}x$", CREDIT_CARD),
        ("bad kern", f"client SSN: $\\kern{{{a}-{g}-{s}}}$", US_SSN),
        ("def unbalanced", f"client SSN: $\\def\\x{{{a}-{g}-{s}}} }}$", US_SSN),
        ("overset card", f"card: $\\overset{{\\text{{{cg}}}}}{{1}}$", CREDIT_CARD),
        ("sqrt index card", f"card: $\\sqrt[{cg}]{{2}}$", CREDIT_CARD),
        ("overset", f"$\\overset{{\\text{{{a}-{g}-{s}}}}}{{1}}$", US_SSN),
        ("huge kern", f"${a}\\text{{-}}{g}\\text{{-}}{s[:2]}\\hspace{{.5em}}{{\\Huge\\kern-0.201em}}{s[2:]}$", US_SSN),
        ("cancelling spaces", f"${a[:2]}\\hspace{{.5em}}\\kern-.5em{a[2]}\\text{{-{g}-{s}}}$", US_SSN),
        ("glyph after a word", f"client: $\\text{{Smith}}\\to{a}-{g}-{s}$", US_SSN),
        ("one char", f"$\\text{{{a}-}}\\char{ord(g[0]):09d} {g[1]}\\text{{-{s}}}$", US_SSN),
    ]


def _attack6() -> list[tuple[str, str, str]]:
    d = _ssn()
    ssn = f"{d[:3]}-{d[3:5]}-{d[5:]}"
    c = _card()
    return [
        ("href", f"Jane Doe SSN ${ssn}\\href{{x}}{{1}}$", US_SSN),
        ("href card", f"Jane's card: ${c[:4]}\\,{c[4:8]}\\,{c[8:12]}\\,{c[12:]}\\href{{x}}{{1}}$", CREDIT_CARD),
        ("top that does not parse", f"Jane Doe SSN ${ssn}\\overset{{^^}}{{1}}$", US_SSN),
        ("alignment mark", f"Jane Doe SSN ${ssn}\\stackrel{{&}}{{1}}$", US_SSN),
        ("raisebox size", f"Jane Doe SSN ${ssn}\\raisebox{{em}}{{1}}$", US_SSN),
        ("unknown to KaTeX", f"Jane Doe SSN ${ssn}\\overunderset{{a}}{{b}}{{1}}$", US_SSN),
        ("mbox", f"Jane Doe SSN ${ssn}\\mbox{{1}}$", US_SSN),
        ("tag inline", f"Jane Doe SSN ${ssn}\\tag{{1}}$", US_SSN),
    ]


def _attacks() -> list[tuple[str, str, str]]:
    return [(f"pass5 {n}", t, k) for n, t, k in _attack5()] + [(f"pass6 {n}", t, k) for n, t, k in _attack6()]


@pytest.mark.parametrize(("name", "text", "kind"), _attacks(), ids=[c[0] for c in _attacks()])
def test_attacks_5_and_6_are_found_or_refused(engine: Any, name: str, text: str, kind: str) -> None:
    """Attack passes 5 and 6 of 2026-12-07 (each rendered with KaTeX 0.16 and Mattermost's
    options, forwarded by the gateway before).  Pass 5: constructs whose showing depends on
    KaTeX's state are refused where digits are; a glyph between a word and a number is a
    blank.  Pass 6: a digit glued after the number through a command KaTeX does not draw as
    the reading reads it (an untrusted ``\\href``'s body, a formula that does not parse and
    shows its source): refused, or found in the source as written."""
    assert found_or_refused(engine, text, kind) != "missed", text


def test_the_source_as_written_blanks_markup_only() -> None:
    from dlp_proxy.detect.texcheck import source_as_written

    text = "SSN $536-22-8710\\href{x}{1}$ ok"
    shown = source_as_written(text)
    assert shown is not None and len(shown) == len(text) and "536-22-8710 " in shown and "\\" not in shown
    assert source_as_written("no tex here 536") is None and source_as_written("a \\b outside $x$") is None


@pytest.mark.parametrize("text", ["$\\sqrt[3]{27} = 3$", "$5\\kern-0.2em6$ is tight", "$\\raisebox{0.2em}{2}$",
                                  "$\\color{ #536}{2}$", "$\\Huge 2$"])
def test_stateful_constructs_where_digits_are_are_refused(text: str) -> None:
    assert unreadable_tex(text) is not None, text


def test_an_aligned_environment_is_read_as_shown(engine: Any) -> None:
    d = next(f"{a:03d}{g:02d}{s:04d}" for a, g, s in ((536, 22, 8710), (123, 45, 6789)) if ssn_valid(f"{a:03d}{g:02d}{s:04d}"))
    text = f"```latex\n\\begin{{aligned}}{d[:1]}\\end{{aligned}}{d[1:3]}-{d[3:5]}-{d[5:]}\n```"
    assert found_or_refused(engine, text, US_SSN) != "missed", text


@settings(max_examples=60, deadline=None)
@given(d=ssns, form=st.sampled_from([
    # an overlap draws into room reserved before it (attack pass 4 of 2026-12-07, B1)
    "```latex\n\\text{{SSN }}\\hspace{{5.775em}}\\mathllap{{\\texttt{{-{g}-{s}}}}}\\mathllap{{\\texttt{{{a}}}\\hspace{{4.200em}}}}\n```",
    "SSN $\\hspace{{5.775em}}\\llap{{-{g}-{s}}}\\llap{{{a}\\hspace{{4.2em}}}}$",
    # negative spaces each narrower than an em, adding up to more (B2)
    "```latex\n\\text{{SSN }}\\hspace{{1.5em}}\\text{{-{g}-{s}}}" + "\\kern-0.9em" * 6 + "\\kern0.233em\\text{{{a}}}\n```",
    "```latex\n\\text{{SSN }}\\hspace{{1.5em}}\\text{{-{g}-{s}}}" + "\\negthickspace" * 18 + "\\text{{{a}}}\n```",
    # alignat's column count is no digit of the number (B3)
    "```latex\n\\text{{SSN }}\\begin{{alignat}}{{2}}{a}-{g0}&{g1}-{s}\\end{{alignat}}\n```",
]))
def test_property_pass_4_overlaps_summed_spaces_alignat_are_found_or_refused(engine: Any, d: str, form: str) -> None:
    text = form.format(a=d[:3], g=d[3:5], s=d[5:], g0=d[3], g1=d[4])
    assert found_or_refused(engine, text, US_SSN) != "missed", text
