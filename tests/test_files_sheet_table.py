"""A large XLSX sheet is read as a delimited table (ooxml._sheet_table): rows on
lines, cells separated by tabs, in line blocks ``sheet=Name/lines=N-M``.

The detector reads few large texts with the table's structure (cells and rows are
boundaries, column headers give context) instead of one text per cell; a finding is
still located at its cell (``table_cell``/``refine_location``).  The small workbooks
of the other tests are read here as tables too (``TABLE_MIN_BYTES`` lowered), so the
two readers find the same identifiers.  Real files, the real detector; the stop and
the forward go through the real gateway.
"""

from __future__ import annotations

import io
import random

import httpx
import openpyxl
import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract, ooxml, refine_location
from dlp_proxy.files.cells import table_cell
from dlp_proxy.gateway.filescan import table_headers
from tests import filegen
from tests.conftest import Gateway
from tests.test_files_rows import CLEAN, DIRTY

SSN = "536-22-8710"
CUSIPS = ["037833100", "594918104", "02079K305", "023135106"]


def blotter(rows: int, plant: tuple[int, int, object] | None = None) -> bytes:
    """A clean trade blotter (ids, dates, accounts, CUSIPs, quantities, prices, order
    numbers), ``plant`` = (row, column, value) written over one cell (1-based)."""
    rnd = random.Random(5)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Blotter")
    ws.append(["trade_id", "trade_date", "account", "cusip", "side", "qty", "price", "notional", "order_id",
               "notes"])
    for i in range(2, rows + 1):
        qty, price = rnd.randrange(1, 500) * 100, round(rnd.uniform(20, 600), 2)
        row: list[object] = [f"T2026110{i % 9 + 1}{i:06d}", f"2026-11-{i % 28 + 1:02d}",
                             f"ACC-{rnd.randrange(10**5):05d}", rnd.choice(CUSIPS), rnd.choice("BS"), qty, price,
                             round(qty * price, 2), str(4400000000 + rnd.randrange(10**8)), "settled"]
        if plant and plant[0] == i:
            row[plant[1] - 1] = plant[2]
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _findings(detector: Engine, data: bytes, name: str = "book.xlsx") -> list[tuple[str, str, str]]:
    """(entity, refined location, matched text) of every finding, each later line block
    read with its table's header row as the file scanner does."""
    ex = extract(data, filename=name)
    assert ex.complete, ex.problems
    headers = table_headers(ex.segments)
    out = []
    for seg in ex.segments:
        head = headers.get(seg.location, "")
        for f in detector.analyze(head + seg.text):
            if f.score >= 0.5 and f.start >= len(head):
                start, end = f.start - len(head), f.end - len(head)
                out.append((f.entity_type, refine_location(seg.location, seg.text, start), seg.text[start:end]))
    return out


@pytest.fixture
def as_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ooxml, "TABLE_MIN_BYTES", 0)


def test_large_sheet_is_a_few_table_blocks() -> None:
    ex = extract(blotter(3000), filename="b.xlsx")
    blocks = [s for s in ex.segments if s.location.startswith("sheet=Blotter/lines=")]
    assert 3 <= len(blocks) <= 20 and len(ex.segments) < 100
    assert blocks[0].location.startswith("sheet=Blotter/lines=1-")
    first = blocks[0].text.split("\n")
    assert first[0] == "trade_id\ttrade_date\taccount\tcusip\tside\tqty\tprice\tnotional\torder_id\tnotes"
    assert all(line.count("\t") == 9 for b in blocks for line in b.text.rstrip("\n").split("\n"))
    # consecutive blocks: line N is row N
    spans = [tuple(map(int, b.location.rsplit("=", 1)[1].split("-"))) for b in blocks]
    assert [s[0] for s in spans[1:]] == [s[1] + 1 for s in spans[:-1]] and spans[-1][1] == 3000


def test_clean_blotter_gives_nothing_but_securities_ids(detector: Engine) -> None:
    found = _findings(detector, blotter(3000))
    assert {e for e, _, _ in found} == {"CUSIP"}
    assert all(loc.startswith("sheet=Blotter!D") for _, loc, _ in found)


@pytest.mark.parametrize(("row", "col", "value", "entity"), [
    (1777, 10, f"client SSN {SSN}", "US_SSN"),
    (2950, 10, "card 4111 1111 1111 1111 on file", "CREDIT_CARD"),
    (40, 10, SSN, "US_SSN"),
])
def test_identifier_in_a_large_sheet_is_located_at_its_cell(detector: Engine, row: int, col: int, value: str,
                                                            entity: str) -> None:
    found = _findings(detector, blotter(3000, (row, col, value)))
    cell = f"sheet=Blotter!{'ABCDEFGHIJ'[col - 1]}{row}"
    assert (entity, cell) in {(e, loc) for e, loc, _ in found}, found
    assert {e for e, _, _ in found} == {"CUSIP", entity}


def test_table_cell_maps_offsets_to_cells() -> None:
    text = "a\tb\tc\n\t536-22-8710\t\nx\n"
    assert table_cell("sheet=S/lines=7-9", text, text.index("536")) == "sheet=S!B8"
    assert table_cell("sheet=S/lines=7-9", text, 0) == "sheet=S!A7"
    assert table_cell("sheet=S/lines=7-9", text, text.index("x")) == "sheet=S!A9"
    assert table_cell("member=b.xlsx/sheet=Old (hidden)/line=4", "q\tw", 2) == "member=b.xlsx/sheet=Old!B4 (hidden)"
    assert table_cell("lines=1-3", text, 0) is None and table_cell("sheet=S!A1", text, 0) is None
    assert refine_location("sheet=S/lines=7-9", text, text.index("536")) == "sheet=S!B8"


def test_document_cells_as_table_are_found_where_they_are(detector: Engine, as_table: None) -> None:
    """The extraction test's workbook read as tables: each planted SSN at its cell;
    a hidden row's and a hidden sheet's cells keep saying so."""
    found = _findings(detector, filegen.xlsx_document())
    where = {text: loc for e, loc, text in found if e == "US_SSN"}
    assert where.get(filegen.SSN_CELL) == "sheet=Clients!B7", found
    assert where.get(filegen.SSN_HIDDEN_ROW) == "sheet=Clients!B9 (hidden row)", found
    assert where.get(filegen.SSN_HIDDEN_SHEET) == "sheet=Hidden!A1 (hidden)", found
    assert where.get(filegen.SSN_COMMENT) == "sheet=Clients!A2/comment", found


@pytest.mark.parametrize("key", sorted(k for k in DIRTY if k.startswith("xlsx")))
def test_split_rows_and_row_labels_as_table(detector: Engine, as_table: None, key: str) -> None:
    assert "US_SSN" in {e for e, _, _ in _findings(detector, DIRTY[key]())}


def test_rows_never_fuse_as_table(detector: Engine, as_table: None) -> None:
    assert _findings(detector, CLEAN["xlsx"]()) == []


def test_number_format_and_formulas_as_table(detector: Engine, as_table: None) -> None:
    from tests.test_files_cells import _book

    found = _findings(detector, _book())
    cells = {loc.split("/")[0] for e, loc, _ in found if e == "US_SSN"}
    # A2: 536228710 shown 536-22-8710 (in the table) and stored (a segment of its cell);
    # formulas' values evaluated after the sheet
    assert {"sheet=Clients!A2", "sheet=Clients!C1", "sheet=Clients!B2", "sheet=Clients!C2",
            "sheet=Clients!D2"} <= cells, found


def test_header_labels_as_table(detector: Engine, as_table: None) -> None:
    from dlp_proxy.policy import testing as synth

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Book"
    ws.append(["Client", "Account", "SSN", "Amount"])
    ws.append(["Ann", int(synth.ACCOUNT), int("536228710"), 1200.5])
    out = io.BytesIO()
    wb.save(out)
    found = {(e, loc) for e, loc, _ in _findings(detector, out.getvalue())}
    assert ("US_BANK_NUMBER", "sheet=Book!B2") in found and ("US_SSN", "sheet=Book!C2") in found
    assert not any(loc == "sheet=Book!D2" for _, loc in found)


def _upload(gw: Gateway, data: bytes, name: str) -> httpx.Response:
    gw.sim.clear()
    return httpx.post(f"{gw.url}/api/v4/files", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                      data={"channel_id": gw.sim.channel("town_square")}, files={"files": (name, data)}, timeout=120)


def test_large_sheet_upload_through_the_gateway(gateway: Gateway) -> None:
    assert len(blotter(800)) > 0
    r = _upload(gateway, blotter(800, (650, 10, f"client SSN {SSN}")), "blotter.xlsx")
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]
    r = _upload(gateway, blotter(800), "blotter.xlsx")
    assert r.status_code == 201, r.text
