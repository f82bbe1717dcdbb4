"""``rendered_digits``'s ``_bare`` pass (dlp_proxy.detect.normalize): one ``str.translate``
over a per-code-point table gives what the per-character reading gives, for any text."""

from __future__ import annotations

import unicodedata2 as unicodedata  # the tables normalize reads (current Unicode)
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import normalize
from dlp_proxy.detect.normalize import _MARKUP, _bare, _BareChars, _ignorable, bare_char


def reference(text: str) -> str:
    """The reading ``_bare`` documents, a character at a time."""
    out = []
    for ch in _MARKUP.sub("", text):
        if ch.isascii():
            out.append(ch)
        elif unicodedata.category(ch) in ("Mn", "Me") or _ignorable(ch):
            continue
        elif unicodedata.numeric(ch, None) is not None:
            out.append(" ")
        elif unicodedata.normalize("NFKC", ch).isascii() and unicodedata.normalize("NFKC", ch).isalpha():
            out.append(unicodedata.normalize("NFKC", ch))
        else:
            out.append(ch)
    return "".join(out)


#: characters where the reading differs: marks, invisible ones, numeric ones, markup, plain
_INTERESTING = st.sampled_from("a7 *_~`<>\u0301\u20dd\u200b\u2060\u00ad\ufe0f\u2488\u2460\u00b2\u4e94\u0663\u216b\u00e9\U0001d7d9\U0001d557\uff46")


@settings(max_examples=400, deadline=None)
@given(st.text(st.one_of(_INTERESTING, st.characters()), max_size=60))
def test_bare_reads_as_the_per_character_reading(text: str) -> None:
    assert _bare(text) == reference(text)


@given(st.characters().filter(lambda ch: ch not in "*_~`"))  # (markup: dropped before the table)
def test_bare_char_of_one_character(ch: str) -> None:
    assert bare_char(ch) == (reference(ch) or None)


def test_the_table_keeps_at_most_its_limit_and_still_reads_past_it() -> None:
    table = _BareChars(limit=130)
    text = "".join(chr(c) for c in range(0x2460, 0x2470)) + "\u0301x\u200b"  # circled numbers, a mark, invisible
    assert text.translate(table) == reference(text)
    assert len(table) == 130  # 128 ASCII + 2 kept; the rest computed each time
    assert text.translate(table) == reference(text)


def test_the_module_table_is_bounded() -> None:
    assert normalize._BARE_CHARS.limit == 65_536
