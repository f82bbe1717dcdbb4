"""Issue 15, the insider pass's recall findings (evasions that passed), each a class:
masked slots written with any repeated mark (or Markdown's marker characters, which the
renderer drops as emphasis), a masked first or middle group given elsewhere, templates
whose named slots are given values by name, and an identifier split across one tag's
attribute values."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlp_proxy.detect import filler, structure
from tests.conftest import stopped_as

SLOT_CHARS = ["%", "@", "~", ".", "+", "=", "$", "!", "&", "^", "o", "O", "\u25cf", "\u2588", "\u25a0", "\u2731",
              "*", "#", "x", "_", "?"]


@pytest.mark.parametrize("ch", SLOT_CHARS)
@pytest.mark.parametrize("template", [
    "SSN {3}-{2}-8710, the rest is 53622", "SSN 536-22-{4}; fill in 8710", "SSN 536-22-{4} fill in 8710",
    "SSN 536-{2}-8710; fill in 22", "SSN 536-{2}-8710, the middle is 22", "SSN {3}-22-8710; fill in 536",
    "SSN {3}-{2}-8710; fill in 536 22", "SSN 536-{2}-8710, middle 22",
])
def test_a_masked_form_with_any_slot_character_is_filled(engine: Any, template: str, ch: str) -> None:
    text = template.replace("{3}", ch * 3).replace("{2}", ch * 2).replace("{4}", ch * 4)
    assert "US_SSN" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    "ssn {a}{b} a=53622 b=8710", "ssn {a}-{b}-{c} a=536 b=22 c=8710", "ssn {a}-{b}-{c}; a=536, b=22, c=8710",
    "ssn $a-$b-$c with a=536 b=22 c=8710", "ssn ${a}-${b}-${c} a=536 b=22 c=8710",
    "ssn {{a}}-{{b}}-{{c}} a: 536, b: 22, c: 8710", 'ssn %(a)s-%(b)s-%(c)s {"a": "536", "b": "22", "c": "8710"}',
    "SSN: <first>-<mid>-8710, first=536 mid=22", "ssn [area]-[group]-[serial]: area=536, group=22, serial=8710",
    "ssn {head}-8710 where head is 536-22", "client SSN {x}{y}{z}\nx=536\ny=22\nz=8710",
])
def test_a_template_filled_by_name_is_read(engine: Any, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    '<span a="536" b="22-8710">client SSN</span>', 'client SSN <span a="536" b="22-8710"></span>',
    'client SSN <span title="536-22" data-z="8710"></span>', "<div x='536' y='22' z='8710'>ssn on file</div>",
    '<field first="536" mid="22" last="8710"/> (ssn)', 'ssn: <i k="53622" v="8710"></i>',
    '<span a="536 22" b="8710">ssn</span>',
])
def test_an_ssn_across_one_tag_s_attributes_is_read(engine: Any, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    '<span a="4111 1111" b="1111 1111">card</span>', 'card <span a="4111" b="1111" c="1111" d="1111"></span>',
    "card {a} {b} {c} {d} a=4111 b=1111 c=1111 d=1111", "card 4111-@@@@-@@@@-1111; fill in 1111 1111",
])
def test_a_card_across_attributes_templates_and_slots_is_read(engine: Any, text: str) -> None:
    assert "CREDIT_CARD" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    '<img src="a.png" width="536" height="22" alt="8710">', '<td colspan="2" width="120" height="45">total 1650</td>',
    '<rect x="536" y="22" width="8710" height="10"/>', '<td width="120 45" height="1650">x</td>', "order {a}-{b} a=536 b=228710", "see {a}{b} a=53622 b=8710",
    "SSN field: %%%-%%-%%%% (none on file)", "build 4.2.1 ~~ old ~~ 536 users", "qty 100 @@ 22.50",
])
def test_markup_and_templates_without_a_label_stay_clean(engine: Any, text: str) -> None:
    assert not stopped_as(engine, text) & {"US_SSN", "US_ITIN"}, text


_hostile = st.text(alphabet=st.sampled_from(list("0123456789-  %@~.*#_o<>=\"'{}$abSN\n\u25cf")), max_size=80)


@given(_hostile)
def test_uniform_slots_keeps_offsets_and_changes_only_slots(text: str) -> None:
    out = filler.uniform_slots(text)
    assert len(out) == len(text)
    for a, b in zip(text, out, strict=True):
        assert a == b or (b == "#" and not a.isdigit() and not a.isspace() and a not in "-"), (text, out)


@given(_hostile)
def test_attribute_pieces_read_only_the_digits_written(text: str) -> None:
    for start, end, line in structure._attribute_pieces(text):
        assert 0 <= start < end <= len(text)
        digits = "".join(ch for ch in line if ch.isdigit())
        assert digits in "".join(ch for ch in text[start:end] if ch.isdigit()), (text, line)
