"""Security test of 2026-12 on uploads (files): an Outlook .msg whose only body is its
compressed RTF (``PR_RTF_COMPRESSED``, no ``PR_BODY``, no ``PR_HTML``: extract-msg gives
no body), and RTF whose ``\\'hh`` bytes are in a font's charset (``\\fcharset128``:
Shift-JIS full-width digits), which Word and LibreOffice decode with the font's code
page, not the document's ``\\ansicpg``.

The files are built here: the .msg with the compound-file writer of the tests
(tests/cfb.py) and [MS-OXMSG]'s streams, the RTF body compressed with compressed_rtf
(extract-msg's own dependency); read through the extractor and judged by the real
detector.
"""

from __future__ import annotations

import struct

import compressed_rtf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract, lzfu, rtf
from tests.cfb import cfb
from tests.test_files_attack6 import _found

SSN = "536-22-8710"
CARD = "4111 1111 1111 1111"
RTF_BODY = (b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Calibri;}}\\f0\\fs22 Client record\\par "
            b"SSN: " + SSN.encode() + b"\\par Card number: " + CARD.encode() + b"\\par}")
CLEAN_RTF = (b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Calibri;}}\\f0\\fs22 Quarterly notes\\par "
             b"Meeting moved to Thursday, room 4.\\par}")
IDENTIFIERS = {"US_SSN", "CREDIT_CARD"}


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


# -- .msg builder ---------------------------------------------------------------------------


def _props(values: list[tuple[int, int]], header: bytes) -> bytes:
    """A __properties_version1.0 stream: fixed-size (tag, value) properties."""
    return header + b"".join(struct.pack("<IIQ", tag, 6, value) for tag, value in values)


def _str(tag_id: int, text: str) -> tuple[str, bytes]:
    return f"__substg1.0_{tag_id:04X}001F", text.encode("utf-16-le")


def _message_tree(subject: str, *, body: str | None = None, rtf: bytes | None = None,
                  rtf_stream: bytes | None = None, embedded: dict[str, object] | None = None,
                  top: bool = True) -> dict[str, object]:
    """An Outlook message ([MS-OXMSG]) as a compound-file tree: subject and sender, a
    plain body only if ``body`` is given, the RTF body ``rtf`` compressed (LZFu) into
    ``__substg1.0_10090102`` (or ``rtf_stream`` as written), and ``embedded`` (this
    function's arguments) attached as an embedded message."""
    n_att = 1 if embedded else 0
    header = b"\x00" * 8 + struct.pack("<IIII", 0, n_att, 0, n_att) + (b"\x00" * 8 if top else b"")
    tree: dict[str, object] = dict([_str(0x001A, "IPM.Note"), _str(0x0037, subject), _str(0x0C1A, "Alice")])
    props = [(0x0E070003, 0x11)]  # PR_MESSAGE_FLAGS
    if body is not None:
        tree.update([_str(0x1000, body)])
    if rtf is not None:
        rtf_stream = compressed_rtf.compress(rtf)
    if rtf_stream is not None:
        tree["__substg1.0_10090102"] = rtf_stream
        props.append((0x0E1F000B, 1))  # PR_RTF_IN_SYNC
    tree["__properties_version1.0"] = _props(props, header)
    if top:
        tree["__nameid_version1.0"] = {"__substg1.0_00020102": b"", "__substg1.0_00030102": b"",
                                       "__substg1.0_00040102": b""}
    if embedded:
        inner = _message_tree(**embedded, top=False)  # type: ignore[arg-type]
        tree["__attach_version1.0_#00000000"] = {
            "__properties_version1.0": _props([(0x37050003, 5), (0x0E210003, 0)], b"\x00" * 8),  # embedded msg
            **dict([_str(0x3707, "forwarded.msg"), _str(0x3001, "forwarded")]),
            "__substg1.0_3701000D": inner,
        }
    return tree


def msg(subject: str = "Client record", **kw: object) -> bytes:
    return cfb(_message_tree(subject, **kw))  # type: ignore[arg-type]


# -- the RTF-only message ---------------------------------------------------------------------


def test_a_message_whose_only_body_is_compressed_rtf_is_read(detector: Engine) -> None:
    data = msg(rtf=RTF_BODY)
    ex = extract(data, filename="x.msg")
    assert ex.file_type == "msg" and ex.complete, ex.problems
    assert any(s.location.startswith("rtf-body/") and SSN in s.text for s in ex.segments), ex.segments
    assert _found(detector, data, "x.msg") >= IDENTIFIERS


def test_the_rtf_body_is_read_beside_a_plain_body(detector: Engine) -> None:
    """Outlook shows the RTF body of an RTF-native message whatever PR_BODY says."""
    data = msg(body="Quarterly notes, nothing to see", rtf=RTF_BODY)
    ex = extract(data, filename="x.msg")
    locations = {s.location.split("/")[0] for s in ex.segments}
    assert {"body", "rtf-body"} <= locations, locations
    assert _found(detector, data, "x.msg") >= IDENTIFIERS


def test_a_stored_rtf_body_with_the_digits_in_hex_escapes_is_read(detector: Engine) -> None:
    """``MELA`` (stored, not compressed) and every digit a ``\\'3n`` escape: no digit in the file."""
    rtf = RTF_BODY
    for value in (SSN, CARD):
        rtf = rtf.replace(value.encode(), "".join(f"\\'{ord(c):02x}" if c.isdigit() else c for c in value).encode())
    data = msg(rtf_stream=compressed_rtf.compress(rtf, compressed=False))
    assert _found(detector, data, "x.msg") >= IDENTIFIERS


def test_an_attached_message_whose_only_body_is_rtf_is_read(detector: Engine) -> None:
    data = msg("Fwd", body="see attached", embedded={"subject": "inner", "rtf": RTF_BODY})
    ex = extract(data, filename="x.msg")
    assert ex.complete, ex.problems
    assert any(s.location.startswith("attachment=forwarded.msg/rtf-body/") and SSN in s.text
               for s in ex.segments), [s.location for s in ex.segments]
    assert _found(detector, data, "x.msg") >= IDENTIFIERS


@pytest.mark.parametrize("damage", ["crc", "type", "short", "truncated"])
def test_a_corrupt_compressed_rtf_body_is_a_problem(damage: str) -> None:
    stream = bytearray(compressed_rtf.compress(RTF_BODY))
    if damage == "crc":
        stream[20] ^= 0x55  # a byte of the data: the CRC no longer matches
    elif damage == "type":
        stream[8:12] = b"XXXX"
    elif damage == "short":
        stream = stream[:10]
    else:
        stream = stream[: len(stream) // 2]  # no end reference, COMPSIZE past the end
    ex = extract(msg(rtf_stream=bytes(stream)), filename="x.msg")
    assert not ex.complete and "corrupt" in ex.problems, ex.problems


def test_an_rtf_body_over_the_uncompressed_budget_is_a_problem() -> None:
    from dlp_proxy.files import Limits

    big = b"{\\rtf1\\ansi " + b"lorem ipsum " * 40_000 + b"}"
    ex = extract(msg(rtf=big), filename="x.msg", limits=Limits(max_total_uncompressed_bytes=100_000))
    assert "size-limit" in ex.problems, ex.problems


def test_a_clean_rtf_message_has_no_finding(detector: Engine) -> None:
    data = msg("Notes", rtf=CLEAN_RTF)
    ex = extract(data, filename="x.msg")
    assert ex.complete, ex.problems
    assert any(s.location.startswith("rtf-body/") and "Thursday" in s.text for s in ex.segments)
    assert not _found(detector, data, "x.msg") & IDENTIFIERS


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000) | st.text(alphabet="{}\\ rtfpar0123456789abc", max_size=3000).map(str.encode),
       st.booleans())
def test_property_lzfu_decodes_as_compressed_rtf_does(data: bytes, compressed: bool) -> None:
    """The bounded decoder (lzfu.py) gives compressed_rtf's output, and its CRC is the spec's."""
    from compressed_rtf.crc32 import crc32

    stream = compressed_rtf.compress(data, compressed=compressed)
    decoded = lzfu.decode(stream, 1 << 20, lambda: None)
    assert decoded.data == data == compressed_rtf.decompress(stream)
    assert not decoded.faults
    assert lzfu.crc(stream[16:]) == crc32(stream[16:])


def test_lzfu_stops_at_its_cap() -> None:
    stream = compressed_rtf.compress(b"x" * 100_000)
    with pytest.raises(lzfu.Overflow):
        lzfu.decode(stream, 50_000, lambda: None)


# -- RTF: \'hh bytes in the font's charset ----------------------------------------------------


def _escaped(text: str, codec: str, sep: str = "{}") -> str:
    """``text`` as ``\\'hh`` escapes in ``codec``, ``sep`` between characters."""
    return sep.join("".join(f"\\'{b:02x}" for b in ch.encode(codec)) for ch in text)


FULL_SSN = "５３６－２２－８７１０"  # full-width: the detector's normalizer folds them to ASCII
FULL_CARD = "４１１１　１１１１　１１１１　１１１１"


def _shift_jis_rtf(fonttbl_sep: str = "", sep: str = "{}") -> bytes:
    return ("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\froman\\fcharset0 Times New Roman;}"
            f"{{\\f1\\fmodern{fonttbl_sep}\\fcharset128{fonttbl_sep}\\fprq1 MS Gothic;}}}}\\f0\\fs24 Client record\\par "
            f"SSN: {{\\f1 {_escaped(FULL_SSN, 'cp932', sep)}}}\\par "
            f"Card number: {{\\f1 {_escaped(FULL_CARD, 'cp932', sep)}}}\\par}}").encode("latin-1")


@pytest.mark.parametrize("sep", ["{}", "", "{\\*\\x}", "\\cf0 "])
def test_shift_jis_font_bytes_are_read_in_the_fonts_code_page(detector: Engine, sep: str) -> None:
    data = _shift_jis_rtf(sep=sep)
    ex = extract(data, filename="x.rtf")
    assert any(s.location == "raw" and FULL_SSN in s.text for s in ex.segments), ex.segments
    assert _found(detector, data, "x.rtf") >= IDENTIFIERS


@pytest.mark.parametrize("fonttbl_sep", ["\n", "\r\n", " \n ", "{\\*\\panose 02020609040205080304}"])
def test_a_font_table_across_lines_and_groups_is_read(detector: Engine, fonttbl_sep: str) -> None:
    data = _shift_jis_rtf(fonttbl_sep=fonttbl_sep)
    assert _found(detector, data, "x.rtf") >= IDENTIFIERS


def test_a_shift_jis_rtf_in_a_message_is_read(detector: Engine) -> None:
    assert _found(detector, msg(rtf=_shift_jis_rtf(fonttbl_sep="\n")), "x.msg") >= IDENTIFIERS


def test_a_cyrillic_font_is_read_in_cp1251() -> None:
    word = "Паспорт"
    data = ("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fnil\\fcharset0 Arial;}{\\f1\\fnil\n\\fcharset204 Arial;}}"
            f"\\f0 Client: {{\\f1 {_escaped(word, 'cp1251', '')}}} 12 34\\par}}").encode("latin-1")
    assert word in rtf.read(data.decode("latin-1")).text
    assert any(s.location == "raw" and word in s.text for s in extract(data, filename="x.rtf").segments)


def test_plain_resets_the_font_to_the_default() -> None:
    """``\\plain`` resets character formatting: the font is ``\\deff``'s again."""
    raw = ("{\\rtf1\\ansi\\deff1{\\fonttbl{\\f0\\fcharset0 Arial;}{\\f1\\fcharset128 MS Gothic;}}"
           f"\\f0 x\\plain {_escaped('５', 'cp932')}\\par}}")
    assert "５" in rtf.read(raw).text


def test_a_code_page_in_a_nested_group_does_not_change_the_documents() -> None:
    raw = ("{\\rtf1\\ansi\\ansicpg932\\deff0{\\fonttbl{\\f0\\fnil MS Mincho;}}{\\*\\generator Foo\\ansicpg1252;}"
           f"\\f0 SSN: {_escaped(FULL_SSN, 'cp932')}\\par}}")
    assert FULL_SSN in rtf.read(raw).text


def test_an_unknown_charset_is_also_read_in_the_double_byte_code_pages(detector: Engine) -> None:
    data = ("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fcharset0 Arial;}{\\f1\\fcharset99 Odd;}}"
            f"SSN: {{\\f1 {_escaped(FULL_SSN, 'cp932')}}}\\par}}").encode("latin-1")
    reading = rtf.read(data.decode("latin-1"))
    assert FULL_SSN in dict(reading.alternates)["cp932"], reading.alternates
    assert "US_SSN" in _found(detector, data, "x.rtf")


def test_a_clean_rtf_with_a_shift_jis_font_has_no_finding(detector: Engine) -> None:
    data = ("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fcharset0 Arial;}{\\f1\\fnil\n\\fcharset128 MS Gothic;}}"
            f"Notes: {{\\f1 {_escaped('会議は木曜日です', 'cp932')}}}\\par}}").encode("latin-1")
    ex = extract(data, filename="x.rtf")
    assert ex.complete and any("会議は木曜日です" in s.text for s in ex.segments), ex.segments
    assert not _found(detector, data, "x.rtf") & IDENTIFIERS


_CP932_TEXT = st.text(alphabet=st.characters(codec="cp932", exclude_characters="\\{}\r\n¢£¬‖−〜", min_codepoint=32),
                      max_size=40)


@settings(max_examples=200, deadline=None)
@given(_CP932_TEXT, st.data())
def test_property_cp932_escapes_with_any_group_splits_read_back(text: str, data: st.DataObject) -> None:
    """Any text written as cp932 ``\\'hh`` escapes of a ``\\fcharset128`` font, with
    ``{}`` (or nothing) between any two characters, reads back as the text."""
    seps = [data.draw(st.sampled_from(["", "{}", "{}{}", "{\\*\\x}"])) for _ in text]
    body = "".join(sep + "".join(f"\\'{b:02x}" for b in ch.encode("cp932")) for sep, ch in zip(seps, text, strict=True))
    raw = "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0\\fswiss\n\\fcharset128 MS Gothic;}}\\f0 " + body + "}"
    assert "".join(rtf.read(raw).text.split("\n")) == "MS Gothic;" + text


#: a font table as Word writes it: one font in each of the usual charsets
_WORD_FONTS = "".join(rf"{{\f{i}\froman\fcharset{cs} Times New Roman X;}}"
                      for i, cs in enumerate([0, 238, 204, 161, 162, 177, 178, 186, 163, 222, 128, 134]))


def _in_font_table(body: str) -> bytes:
    return (r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl" + _WORD_FONTS + "}" + body + "}").encode()


def test_accents_and_quotes_under_a_word_font_table_are_read_once() -> None:
    """A font table naming a dozen code pages and text of accented letters and curly
    quotes in the default font: no other code page's reading (none of them shows a
    digit in those bytes), so an ordinary RTF is not read a dozen times."""
    body = "".join(rf"{{\pard\plain\f0 Trade T-{i} for \'93client\'94 \'e9t\'e9 \'fc\par}}" for i in range(200))
    ex = extract(_in_font_table(body), filename="note.rtf")
    assert ex.complete and not ex.problems
    assert not [s.location for s in ex.segments if "codepage=" in s.location]


def test_bytes_that_read_as_digits_in_another_named_code_page_are_read_so_too(detector: Engine) -> None:
    """The same table, Shift-JIS full-width digits written in the default (cp1252)
    font: Word shows ``‚T...``; a reader that takes the font for a Japanese one shows the
    SSN.  The cp932 reading of those lines is kept (``raw/codepage=cp932``)."""
    ssn = _escaped("SSN: ５３６－２２－８７１０", "cp932")
    ex = extract(_in_font_table(r"{\pard\plain\f0 " + ssn + r"\par}"), filename="note.rtf")
    assert any(s.location.endswith("codepage=cp932") for s in ex.segments)
    assert "US_SSN" in _found(detector, _in_font_table(r"{\pard\plain\f0 " + ssn + r"\par}"), "note.rtf")
