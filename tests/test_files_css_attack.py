"""The CSS re-attack of issue 19: text a style sheet draws or a list marker shows that the
extractor read without the identifier.  Files built here, read through the extractor and
judged by the real detector.

- HTML: a ``content`` declaration whose name is written with an escape (``\\63ontent``,
  ``co\\ntent``), in upper case, with a comment before its colon, inside ``@media``,
  ``@supports`` or a nested rule; its string in hex escapes.
- SVG: the same sheet in a ``<foreignObject>``'s XHTML and in an SVG ``<style>``.
- EML: a mail's HTML part with such a sheet.
- Lists: ``counter-reset: list-item N`` in a rule or a style attribute, ``<ol start>``,
  ``<li value>``: the marker a browser draws is the number.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.css import Declaration, Token, parse, tokenize, unescape

AREA, GROUP, SERIAL = "536", "22", "8710"
SSN = f"{AREA}-{GROUP}-{SERIAL}"
CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _hex(text: str, space: bool = True) -> str:
    """Every digit a CSS hex escape (``\\35 `` for 5)."""
    return "".join(f"\\{ord(c):x}{' ' if space else ''}" if c.isdigit() else c for c in text)


def _stopped(detector: Engine, data: bytes, filename: str) -> tuple[bool, list[str]]:
    """Whether the file is refused (a problem, incomplete) or an SSN/card is found."""
    ex = extract(data, filename=filename)
    found = [seg.location for seg in ex.segments
             if any(f.entity_type in ("US_SSN", "CREDIT_CARD") and f.score >= 0.5
                    for f in detector.analyze(seg.text))]
    return (not ex.complete) or bool(ex.problems) or bool(found), found


def _page(prop: str, sheet_wrap: str = "{}", space: bool = True) -> bytes:
    rules = (f'.s::after {{ {prop}: "{_hex(SSN, space)}"; }}\n'
             f'.c::after {{ {prop}: "{_hex(CARD, space)}"; }}')
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><style>\n'
            + sheet_wrap.format(rules) +
            '\n</style></head><body><p>Client record</p><p class="s">SSN: </p>'
            '<p class="c">Card number: </p></body></html>').encode()


# -- HTML ------------------------------------------------------------------------------


@pytest.mark.parametrize("prop", ["\\63ontent", "\\63 ontent", "\\000063ontent", "co\\ntent", "c\\ontent",
                                  "content/**/", "content /* x */ ", "CONTENT", "Content", "c\\4f NTENT"])
def test_an_escaped_or_cased_content_name_is_read(detector: Engine, prop: str) -> None:
    stopped, found = _stopped(detector, _page(prop), "x.html")
    assert stopped and "css/content" in found


@pytest.mark.parametrize("wrap", ["@media screen {{ {} }}", "@supports (display: grid) {{ {} }}",
                                  "@media print {{ @supports (x: y) {{ {} }} }}", "body {{ {} }}",
                                  "@layer base {{ {} }}", "/* a comment */ {}"])
def test_content_inside_at_rules_and_nested_rules_is_read(detector: Engine, wrap: str) -> None:
    stopped, found = _stopped(detector, _page("\\63ontent", wrap), "x.html")
    assert stopped and "css/content" in found


def test_hex_escapes_without_their_space_are_read(detector: Engine) -> None:
    stopped, found = _stopped(detector, _page("content", space=False), "x.html")
    assert stopped and "css/content" in found


def test_a_backslash_before_a_newline_is_no_escape_in_a_name() -> None:
    """``co\\<LF>ntent`` is not ``content`` to a browser (a delim between two identifiers,
    CSS Syntax 3 section 4.3.8): no declaration is read from it, as none is drawn."""
    assert [d.name for d in parse('a{co\\\ntent:"x"}')] == []
    assert [d.name for d in parse('a{co\\ntent:"x"}')] == ["content"]


@pytest.mark.parametrize("value", ["\\63ounter(a)", "COUNTER(a)", "counters(a, '.')"])
def test_computed_content_is_active_content(value: str) -> None:
    html = ('<html><head><style>body{counter-reset:a 536228709; --x: attr(data-n)}'
            f'p{{counter-increment:a}} .s::after{{content:{value}}}</style></head>'
            '<body><p class="s" data-n="536228710">SSN: </p></body></html>').encode()
    ex = extract(html, filename="x.html")
    assert "active-content" in ex.problems


def test_a_custom_property_content_takes_is_read(detector: Engine) -> None:
    html = (f'<html><head><style>.s{{--a:"{_hex(AREA)}-"; --b:"{_hex(GROUP)}-{_hex(SERIAL)}"}}'
            '.s::after{\\63ontent: var(--a) var(--b)}</style></head>'
            '<body><p class="s">SSN: </p></body></html>').encode()
    stopped, found = _stopped(detector, html, "x.html")
    assert stopped and "css/content" in found


# -- SVG -------------------------------------------------------------------------------


def _svg(inside: str) -> bytes:
    s = f'.s::after {{ \\63ontent: "{_hex(SSN)}"; }} .c::after {{ \\63ontent: "{_hex(CARD)}"; }}'
    style = f"<style>{s}</style>"
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="120" viewBox="0 0 400 120">'
            '<rect width="400" height="120" fill="white"/>'
            '<text x="10" y="20" font-size="16">Client record</text>'
            + (style if inside == "svg" else "") +
            '<foreignObject x="10" y="30" width="380" height="90">'
            '<div xmlns="http://www.w3.org/1999/xhtml" style="font:16px sans-serif">'
            + (style if inside == "xhtml" else "")
            + ("<style><![CDATA[" + s + "]]></style>" if inside == "cdata" else "")
            + '<p class="s">SSN: </p><p class="c">Card number: </p></div></foreignObject></svg>').encode()


@pytest.mark.parametrize("inside", ["xhtml", "svg", "cdata"])
def test_svg_foreign_object_css_is_read(detector: Engine, inside: str) -> None:
    stopped, found = _stopped(detector, _svg(inside), "x.svg")
    assert stopped and "css/content" in found


# -- EML -------------------------------------------------------------------------------


def _eml(html: str, multipart: bool) -> bytes:
    head = "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.com>\r\nSubject: record\r\nMIME-Version: 1.0\r\n"
    if not multipart:
        return (head + "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
                + html.replace("\n", "\r\n") + "\r\n").encode()
    return (head + 'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nClient record\r\n"
            "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.replace("\n", "\r\n")
            + "\r\n--b--\r\n").encode()


@pytest.mark.parametrize("multipart", [False, True])
@pytest.mark.parametrize("prop", ["content", "\\63ontent"])
def test_a_mail_html_part_css_is_read(detector: Engine, prop: str, multipart: bool) -> None:
    html = (f'<html><head><style>\n.s::after {{ {prop}: "{_hex(SSN)}"; }}\n'
            f'.c::after {{ {prop}: "{_hex(CARD)}"; }}\n</style></head><body><p>Client record</p>'
            '<p class="s">SSN: </p><p class="c">Card number: </p></body></html>')
    stopped, found = _stopped(detector, _eml(html, multipart), "x.eml")
    assert stopped and any(loc.endswith("css/content") for loc in found)


def test_a_mail_html_part_list_counter_is_refused() -> None:
    html = ('<html><head><style>ol.x{counter-reset:list-item 536228709}</style></head>'
            '<body><ol class="x"><li>&#8592; SSN</li></ol></body></html>')
    assert "active-content" in extract(_eml(html, False), filename="x.eml").problems


# -- list counters ---------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["ol.x{counter-reset:list-item 536228709}",
                                  "ol.x{counter-set:list-item 536228710}",
                                  "ol.x{COUNTER-RESET:LIST-ITEM 536228709}",
                                  "ol.x{\\63ounter-reset:list-\\69tem 536228709}",
                                  "li{counter-increment:list-item 536228709}",
                                  "@media screen{ol.x{counter-reset:list-item 536228709}}",
                                  "li{counter-increment:list-item 9000}"])
def test_a_sheet_rule_on_the_list_item_counter_is_refused(rule: str) -> None:
    items = "<li>x</li>" * (12_000 if "9000" in rule else 1)
    html = (f'<!DOCTYPE html><html><head><style>{rule}</style></head>'
            f'<body><p>Client record</p><ol class="x"><li>&#8592; SSN</li>{items}</ol></body></html>').encode()
    ex = extract(html, filename="x.html")
    assert "active-content" in ex.problems


@pytest.mark.parametrize("markup", [
    '<ol start="536228710"><li>&lt;- SSN of client</li></ol>',
    '<ol start="536220000">' + "<li>x</li>" * 8710 + "<li>&lt;- SSN of client</li></ol>",
    '<ol style="counter-reset: list-item 536228709"><li>SSN of client</li></ol>',
    '<ol style="counter-reset: list-item 536228709" start="7"><li>SSN of client</li></ol>',
    '<ol><li value="536228710">SSN of client</li></ol>',
    '<ol><li style="counter-set: list-item 536228710">SSN of client</li></ol>',
    '<ol reversed start="536229000">' + "<li>x</li>" * 290 + "<li>SSN of client</li></ol>",
])
def test_list_markers_are_read_beside_their_items(detector: Engine, markup: str) -> None:
    html = f"<!DOCTYPE html><html><body><p>Client record, SSN below</p>{markup}</body></html>".encode()
    stopped, found = _stopped(detector, html, "x.html")
    assert stopped and "html/list-markers" in found


def test_an_inline_list_item_increment_it_does_not_compute_is_refused() -> None:
    html = (b'<html><body><ol><li>a</li><div style="counter-increment: list-item 536228708"></div>'
            b'<li>SSN</li></ol></body></html>')
    assert "active-content" in extract(html, filename="x.html").problems


# -- the control -----------------------------------------------------------------------


def test_an_ordinary_page_gives_no_finding_and_no_problem(detector: Engine) -> None:
    html = ('<!DOCTYPE html><html><head><style>\n'
            'a.next::after { content: "\u2192"; }\n'
            'q::before { content: "\\201C"; } q::after { content: "\\201D" }\n'
            '.icon::before { content: var(--icon); } .home { --icon: "\\f015"; }\n'
            '@media (max-width: 600px) { nav li { display: block; } }\n'
            'ol.steps { counter-reset: list-item 3; } li { margin: 0 0 4px 0; }\n'
            '</style></head><body><h1>Release notes 2024</h1>'
            '<p>See <a class="next" href="/next">the next page</a>, <q>quoted</q>.</p>'
            '<ol><li>Install</li><li>Configure</li><li>Run</li></ol>'
            '<ol class="steps" start="4"><li>Test</li><li>Ship</li></ol>'
            '<ol reversed><li>three</li><li>two</li><li>one</li></ol>'
            '<ol><li value="10">ten</li></ol></body></html>').encode()
    ex = extract(html, filename="x.html")
    assert ex.complete and not ex.problems
    assert not [f for seg in ex.segments for f in detector.analyze(seg.text) if f.score >= 0.5]
    assert not any(seg.location.endswith("list-markers") for seg in ex.segments)
    content = [seg.text for seg in ex.segments if seg.location == "css/content"]
    assert content and "\u2192" in content[0] and "\u201c" in content[0]


# -- the tokenizer ---------------------------------------------------------------------

_NAME_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x2FFF, exclude_categories=("Cs",))


def _escape_one(c: str, how: int) -> str:
    """``c`` written as a CSS escape: six hex digits, fewer with the trailing space, or
    a backslash and the character itself (only where that is no hex digit nor newline)."""
    if how == 0:
        return f"\\{ord(c):06x}"
    if how == 1:
        return f"\\{ord(c):x} "
    if how == 2 and c not in "0123456789abcdefABCDEF\n\r\f":
        return "\\" + c
    return f"\\{ord(c):X}\t"


@settings(max_examples=300, deadline=None)
@given(name=st.text(_NAME_CHARS, min_size=1, max_size=12),
       hows=st.lists(st.integers(0, 3), min_size=12, max_size=12))
def test_property_an_escaped_identifier_unescapes_to_itself(name: str, hows: list[int]) -> None:
    """Every character of an identifier escaped at random (the first always: any code
    point can start an escaped identifier) tokenizes to one identifier of that name."""
    written = "".join(_escape_one(c, h) for c, h in zip(name, hows, strict=False))
    assert unescape(written) == name
    tokens = list(tokenize(written))
    assert tokens == [Token("ident", name)]


_IDENTS = st.sampled_from(["content", "color", "\\63ontent", "co\\ntent", "CONTENT", "--x", "counter-reset",
                           "list-item", "a", "b2", "-webkit-x"])
_VALUES = st.sampled_from(['"a b"', "'5\\33 6'", "12px", "1.5e3", "-3", "#fff", "url(x.png)", 'url("y")',
                           "counter(a)", "attr(x)", "var(--x)", "!important", "red", "50%", ",", "/"])
_SELECTORS = st.sampled_from([".s::after", "ol.x", "a:hover", "#id > p", "*", "@media screen", "& .n"])


@st.composite
def _sheets(draw: st.DrawFn) -> list[str]:
    """A style sheet as a list of tokens' texts (selector, ``{``, declarations, ``}``)."""
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        parts += [draw(_SELECTORS), "{"]
        for _ in range(draw(st.integers(0, 4))):
            parts += [draw(_IDENTS), ":"]
            parts += draw(st.lists(_VALUES, min_size=1, max_size=3))
            parts.append(";")
        if draw(st.booleans()):  # a nested rule
            parts += [draw(_SELECTORS), "{", draw(_IDENTS), ":", draw(_VALUES), "}"]
        parts.append("}")
    return parts


def _names_and_values(decls: list[Declaration]) -> list[tuple[str, list[Token]]]:
    return [(d.name, [t for t in d.value if t.kind != "ws"]) for d in decls]


@settings(max_examples=300, deadline=None)
@given(parts=_sheets(), comments=st.lists(st.sampled_from(["/**/", "/* x */", "/*{;}*/", "/*\n*/", " ", ""]),
                                         min_size=80, max_size=80))
def test_property_comments_between_tokens_change_no_declaration(parts: list[str], comments: list[str]) -> None:
    plain = " ".join(parts)
    commented = "".join(p + comments[i % len(comments)] + " " for i, p in enumerate(parts))
    assert _names_and_values(parse(commented)) == _names_and_values(parse(plain))


def test_a_page_with_large_style_sheets_and_no_generated_text_is_not_tokenized(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tokenizer runs only where a sheet may draw text or number lists (``content``,
    ``list-item``, or an escape that may spell either): a saved page's ordinary style
    sheets cost no tokenizing.  A sheet with ``content`` is tokenized (the control)."""
    from dlp_proxy.files import css

    calls: list[int] = []
    real = css.tokenize

    def counting(text: str) -> Any:
        calls.append(len(text))
        return real(text)

    monkeypatch.setattr(css, "tokenize", counting)
    sheet = "".join(f".c{i} {{ color: red; margin: {i}px; }}\n" for i in range(2000))
    page = f"<html><head><style>{sheet}</style></head><body><ol><li>a</li></ol><p style='color:red'>x</p></body></html>"
    extract(page.encode(), filename="page.html")
    assert calls == []
    extract(page.replace("color: red", 'content: "x"', 1).encode(), filename="page.html")
    assert calls


@pytest.mark.parametrize("value", ['"SSN " \\61ttr(data-n)', '"SSN " var(--x)', '"SSN " attr(DATA-N)'])
def test_an_attribute_content_shows_is_read_where_the_sheet_puts_it(detector: Engine, value: str) -> None:
    """``attr(x)`` (escaped, through a custom property, in upper case): each value the
    page gives ``x``, read where the sheet puts it (a print style sheet's ``a[href]:after
    { content: " (" attr(href) ")" }`` is ordinary, so ``attr`` is no active content)."""
    html = ('<html><head><style>body{--x: attr(data-n)} .s::after{content:' + value + '}</style></head>'
            '<body><p class="s" data-n="536-22-8710">Client: </p></body></html>').encode()
    ex = extract(html, filename="x.html")
    assert not ex.problems
    assert any("SSN 536-22-8710" in s.text for s in ex.segments if s.location == "css/content")
    assert _stopped(detector, html, "x.html")[0]


def test_a_print_style_sheet_showing_link_targets_is_not_refused(detector: Engine) -> None:
    """HTML5 Boilerplate's and Bootstrap 3's print rules in a research mail's HTML part
    (the re-attack's false stop of 2026-12-07: ``attr()`` was active content)."""
    html = ('<html><head><style>@media print { a[href]:after { content: " (" attr(href) ")"; } '
            'abbr[title]:after { content: " (" attr(title) ")"; } }</style></head><body>'
            '<p>Morning note: <a href="https://research.example.com/notes/2026-12-07">rates outlook</a>, '
            '<abbr title="Federal Open Market Committee">FOMC</abbr> on Wednesday.</p></body></html>')
    mail = ("From: research@example.com\r\nTo: desk@example.com\r\nSubject: Morning note\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html).encode()
    for data, name in ((html.encode(), "note.html"), (mail, "note.eml")):
        assert _stopped(detector, data, name) == (False, []), name


def _drawn(sheet: str, body: str) -> bytes:
    return f'<html><head><style>{sheet}</style></head><body><p>Client record</p>{body}</body></html>'.encode()


DRAWN = {
    # quotation marks <q> draws, a list's marker string, a @counter-style's symbols and affixes
    "quotes": (f'q {{ quotes: "{_hex("SSN " + SSN)}" ""; }}', "<p><q></q></p>"),
    "list-style-type": (f'li {{ list-style-type: "{_hex(SSN)}"; }}', "<ul><li>SSN on file</li></ul>"),
    "list-style": (f'li {{ list-style: inside "{_hex(SSN)}"; }}', "<ul><li>SSN on file</li></ul>"),
    "counter-style symbols": (f'@counter-style s {{ system: cyclic; symbols: "{_hex(SSN)}"; }} ol {{ list-style: s; }}',
                              "<ol><li>SSN on file</li></ol>"),
    "counter-style prefix": (f'@counter-style s {{ system: cyclic; symbols: "x"; prefix: "{_hex(SSN)}"; }}',
                             "<ol style='list-style: s'><li>SSN on file</li></ol>"),
}


@pytest.mark.parametrize("case", sorted(DRAWN))
def test_strings_other_properties_draw_are_read(detector: Engine, case: str) -> None:
    sheet, body = DRAWN[case]
    data = _drawn(sheet, body)
    assert _stopped(detector, data, "x.html")[0], extract(data, filename="x.html").segments


@pytest.mark.parametrize("how", ["link", "import", "import-in-data"])
def test_a_style_sheet_in_a_data_uri_is_read(detector: Engine, how: str) -> None:
    import base64

    sheet = f'.s::after {{ \\63ontent: "{_hex(SSN)}"; }}'
    uri = "data:text/css;base64," + base64.b64encode(sheet.encode()).decode()
    head = {"link": f'<link rel="stylesheet" href="{uri}">',
            "import": f'<style>@import url("{uri}");</style>',
            "import-in-data": '<style>@import url("data:text/css;base64,'
                              + base64.b64encode(f'@import url("{uri}");'.encode()).decode() + '");</style>'}[how]
    data = f'<html><head>{head}</head><body><p class="s">SSN: </p></body></html>'.encode()
    assert _stopped(detector, data, "x.html")[0]


@pytest.mark.parametrize("tag", ['<ol title=">" start="0536228710">', '<ol start="0536228710" title=">">'])
def test_a_list_start_after_a_quoted_gt_is_read(detector: Engine, tag: str) -> None:
    """The gate before the list-marker reading read ``<ol[^>]*start``: a ``>`` inside a
    quoted attribute before ``start`` hid it (the re-attack of 2026-12-07)."""
    data = f"<html><body><p>Client record</p>{tag}<li>SSN of client</li></ol></body></html>".encode()
    assert _stopped(detector, data, "x.html")[0]


def test_a_list_value_after_a_quoted_gt_is_read(detector: Engine) -> None:
    data = b'<html><body><ol><li title=">" value="0536228710">SSN of client</li></ol></body></html>'
    assert _stopped(detector, data, "x.html")[0]
