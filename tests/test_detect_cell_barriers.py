"""A run of digit groups and look-alike letters never spans a table's cell or row mark
(structure.CELL, ROW): the letter-digit reading of a marked table is the reading of each
cell on its own (issue 15: "a candidate never spans two cells"; a blotter's id cell and the
next cell's ``T+1`` were read as one run, twice per row)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import normalize
from dlp_proxy.detect.structure import CELL, ROW

_CELL_TEXT = st.lists(st.sampled_from(["536", "22", "8710", "4O12", "8888", "l88l", "T", "+1", "8T10", "S", "-", " ",
                                       ".", "O", "client ", "settle", "B", "7", "0"]), max_size=6).map("".join)


def _per_cell(cells: list[str], marks: list[str]) -> list[tuple[int, int, str, int, int]]:
    out: list[tuple[int, int, str, int, int]] = []
    at = 0
    for k, cell in enumerate(cells):
        out.extend((a + at, b + at, r, c + at, d + at) for a, b, r, c, d in normalize._letter_digit_edits(cell))
        at += len(cell) + (len(marks[k]) if k < len(marks) else 0)
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(_CELL_TEXT, min_size=1, max_size=8), st.data())
@example(["4O12", "8888", "8888", "l88l"], None)
@example(["client 14885", "", "", "T+1 settle"], None)
def test_a_marked_tables_reading_is_its_cells_readings(cells: list[str], data: st.DataObject | None) -> None:
    marks = [data.draw(st.sampled_from([CELL, ROW, CELL * 3])) if data is not None else CELL for _ in cells[1:]]
    text = "".join(c + m for c, m in zip(cells, [*marks, ""], strict=True))
    assert sorted(normalize._letter_digit_edits(text)) == sorted(_per_cell(cells, marks))


def test_the_same_groups_apart_by_marks_in_running_text_are_one_run() -> None:
    # what a cell mark keeps apart, a blank or a dash still joins (the reading itself is unchanged)
    assert normalize._letter_digit_edits("4O12 8888 8888 l88l")
    assert not normalize._letter_digit_edits(CELL.join(["4O12", "8888", "8888", "l88l"]))
    assert not normalize._letter_digit_edits(ROW.join(["4O12", "8888", "8888", "l88l"]))
