"""find_numbers (detect/decode.py) costs time linear in a long hex or blank run.

``_RADIX_H_SUFFIX`` was ``[0-9A-Fa-f]*[A-Fa-f][0-9A-Fa-f]*[0-9][0-9A-Fa-f]*h``: three
unbounded runs of one class, cubic over a hex run with no ``h`` after it (1,000
characters 0.45 s, 2,000 characters 3.4 s).  It runs where ``RADIX_HINT`` matches, which a
window starting ``0b`` + three hex digits does: tests/test_files_attack19.py's truncated
streams (150,000 random bytes in hex) gave such a 20,000-character engine window in about
one run in eight, and the test hung until pytest's timeout.  ``_RADIX_WORD_AFTER``'s
``[ \\t]*\\(?[ \\t]*`` was quadratic over the blanks after a hex token (8,000: 3.4 s).

Before the fix the long inputs below take hours (pytest's timeout fails them); the match
sets are checked against the former patterns on short texts.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import decode
from dlp_proxy.detect.decode import find_numbers
from dlp_proxy.detect.regex_bounds import bounded_backtracking

#: the former patterns: the reference of what is matched (fine on short texts)
_OLD_H_SUFFIX = re.compile(
    r"(?<![0-9A-Za-z])([0-9A-Fa-f]*[A-Fa-f][0-9A-Fa-f]*[0-9][0-9A-Fa-f]*)[hH](?![0-9A-Za-z])"
)
_OLD_WORD_AFTER = re.compile(
    r"(?i)(?<![0-9A-Za-z])([0-9A-Fa-f]{3,64})[ \t]*\(?[ \t]*(?:in[ \t]+|as[ \t]+)?" + decode._BASE_WORD
)

HEX_RUN = bytes(range(256)).hex() * 40  # 20,480 hex digits, letters and digits mixed


def test_the_h_suffix_pattern_has_one_unbounded_run() -> None:
    assert bounded_backtracking(decode._RADIX_H_SUFFIX.pattern, decode._RADIX_H_SUFFIX.flags)


N = ("radix", "123456789")  # 0x75bcd15


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0b" + HEX_RUN, []),  # a window cut at 0b...: RADIX_HINT matches at its start
        ("0x75bcd15h " + HEX_RUN, []),
        ("value 75bcd15h, " + HEX_RUN + " 0x75bcd15", [N, N]),
        ("0x75bcd15 abc" + " " * 200_000 + "x", [N]),
        ("0x75bcd15 75bcd15" + " \t" * 100_000 + "(in hex", [N, N]),
    ],
)
def test_long_runs_are_read_in_linear_time(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(b.kind, b.text) for b in find_numbers(text)] == expected


ALPHABET = st.sampled_from(
    [
        "0",
        "1",
        "7",
        "9",
        "a",
        "f",
        "B",
        "E",
        "h",
        "H",
        "x",
        "g",
        " ",
        "\t",
        "(",
        "in ",
        "as ",
        "hex",
        "0b",
        "\n",
    ]
)


@settings(max_examples=500)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_the_patterns_match_what_the_former_ones_did(text: str) -> None:
    new_h = [
        (m.span(), m.group(1))
        for m in decode._RADIX_H_SUFFIX.finditer(text)
        if decode._letter_then_digit(m.group(1))
    ]
    assert new_h == [(m.span(), m.group(1)) for m in _OLD_H_SUFFIX.finditer(text)]
    new_after = [(m.span(1), m.span(2)) for m in decode._RADIX_WORD_AFTER.finditer(text)]
    assert new_after == [(m.span(1), m.span(2)) for m in _OLD_WORD_AFTER.finditer(text)]
