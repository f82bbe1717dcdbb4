"""dlp-proxy scan / eval through the real command entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlp_proxy.cli import main
from tests.shown import shown

ROOT = Path(__file__).resolve().parent.parent


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_scan_text_masks_values(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "scan", "SSN ５３６-２２-１９３７ acct 0049381726", "--no-ner", "--default-decision", "--explain")
    assert rc == 1
    assert "US_SSN" in out and "***-**-1937" in out and "fullwidth-digits" in out
    assert "context='ssn'" in out
    assert "0049381726" not in out and "１９３７" not in out
    assert "decision: block" in out


def test_scan_json_and_show_values(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "scan", "card 4532015112830366", "--json", "--no-ner", "--default-decision")
    data = json.loads(out)
    assert rc == 1 and data["decision"] == "block"
    assert data["findings"][0] == {"entity_type": "CREDIT_CARD", "start": 5, "end": 21, "score": 1.0,
                                   "recognizer": "PaymentCardRecognizer"}
    assert "4532015112830366" not in out
    rc, out, _ = run(capsys, "scan", "card 4532015112830366", "--json", "--no-ner", "--show-values", "--default-decision")
    assert json.loads(out)["findings"][0]["value"] == "4532015112830366"


def test_scan_clean_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "scan", "lunch at noon?", "--json", "--no-ner", "--default-decision")
    assert rc == 0 and json.loads(out) == {"decision": "allow", "decided_by": "default (sensitive entity => block)",
                                          "findings": []}


def test_scan_jsonl_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.jsonl"
    lines = [{"id": i, "text": f"SSN 536-22-{1000 + i}" if i % 3 == 0 else f"hello {i}"} for i in range(250)]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    dst = tmp_path / "out.jsonl"
    rc, _, _ = run(capsys, "scan", "--jsonl", str(src), "-o", str(dst), "--no-ner", "--default-decision", "--jobs", "2")
    assert rc == 0
    rows = [json.loads(x) for x in dst.read_text().splitlines()]
    assert [r["id"] for r in rows] == list(range(250))
    for r in rows:
        assert set(r) == {"id", "decision", "findings"}
        if r["id"] % 3 == 0:
            assert r["decision"] == "block"
            assert r["findings"] == [{"entity_type": "US_SSN", "start": 4, "end": 15, "score": 0.95,
                                      "recognizer": "SsnRecognizer"}]
        else:
            assert r["decision"] == "allow" and r["findings"] == []
    assert "536-22" not in dst.read_text()


def test_scan_jsonl_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "x"}\n{"id": 2}\n')
    rc, _, err = run(capsys, "scan", "--jsonl", str(src), "--no-ner")
    assert rc == 2 and "in.jsonl:2" in err


def test_scan_stdin_invalid_utf8() -> None:
    data = b"SSN 536-22-1937 \xff\xfe garbage \xed\xa0\x80"
    p = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "scan", "-", "--json", "--no-ner", "--default-decision"],
                       input=data, capture_output=True, cwd=ROOT, timeout=120)
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["findings"][0]["entity_type"] == "US_SSN"


def test_scan_file_plain_and_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    txt = tmp_path / "a.txt"
    txt.write_text("routing 011000015 account 0049381726\n")
    rc, out, _ = run(capsys, "scan", "--file", str(txt), "--json", "--no-ner", "--default-decision")
    assert {f["entity_type"] for f in json.loads(out)["findings"]} == {"ABA_ROUTING_NUMBER", "US_BANK_NUMBER"}
    pytest.importorskip("dlp_proxy.files")
    import docx

    d = docx.Document()
    d.add_paragraph("Client SSN 536-22-1937")
    path = tmp_path / "c.docx"
    d.save(str(path))
    rc, out, _ = run(capsys, "scan", "--file", str(path), "--json", "--no-ner", "--default-decision")
    data = json.loads(out)
    assert rc == 1 and data["findings"][0]["entity_type"] == "US_SSN"
    assert data["findings"][0]["location"]


def test_scan_limit_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "recognizers.yaml").write_text("settings:\n  max_chars: 100\n")
    rc, _, err = run(capsys, "scan", "x" * 200, "--config-dir", str(tmp_path), "--no-ner")
    assert rc == 3 and "fail closed" in err


def test_eval_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "c.jsonl"
    rows = [
        {"text": "SSN 536-22-1937", "expect": "stop", "entities": ["US_SSN"]},
        {"text": "order 536221937", "expect": "allow", "entities": []},
        {"text": "mail a@b.example.com", "expect": "allow", "entities": ["EMAIL_ADDRESS"]},
        {"text": "acct 0049381726", "expect": "allow", "entities": []},  # deliberately mislabelled
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows))
    rc, out, _ = run(capsys, "eval", str(corpus), "--json", "--no-ner", "--default-decision", "--errors", "5")
    rep = json.loads(out)
    assert rc == 0
    assert rep["decision"]["tp"] == 1 and rep["decision"]["fp"] == 1 and rep["decision"]["tn"] == 2
    assert rep["decision"]["precision"] == 0.5 and rep["decision"]["recall"] == 1.0
    assert rep["entities"]["US_SSN"]["f1"] == 1.0
    assert rep["entities"]["US_BANK_NUMBER"]["fp"] == 1
    assert rep["errors"] == [{"line": 4, "expect": "allow", "decision": "block", "category": None, "family": None,
                              "expected": [], "found": ["US_BANK_NUMBER"]}]
    assert rep["ms_per_message"]["p50"] > 0
    rc, out, _ = run(capsys, "eval", str(corpus), "--no-ner", "--default-decision")
    assert "precision" in out and "ms/message" in out and "536" not in shown(out)


def test_scan_large_spreadsheet_uses_pool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("dlp_proxy.files")
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, 301):
        ws.cell(row=r, column=1, value=f"note {r}")
        ws.cell(row=r, column=2, value="SSN 536-22-1937" if r == 250 else f"qty {r}")
    path = tmp_path / "book.xlsx"
    wb.save(str(path))
    rc, out, _ = run(capsys, "scan", "--file", str(path), "--json", "--no-ner", "--default-decision")
    data = json.loads(out)
    assert rc == 1
    assert [f["entity_type"] for f in data["findings"]] == ["US_SSN"]
    assert "250" in data["findings"][0]["location"]


@pytest.mark.parametrize(("name", "content"), [
    ("h.csv", 'SSN\n+CHAR(53)&"36-22-8710"\n'),  # a formula Excel evaluates
    ("c.xml", "<client><name>Bob Smith</name><ssn>536-22-8710</ssn></client>"),
])
def test_scan_file_reads_a_text_file_as_the_gateway_does(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        name: str, content: str) -> None:
    """A file decodable as UTF-8 is still a file (files2's finding: the CLI read it as text)."""
    path = tmp_path / name
    path.write_text(content)
    rc, out, _ = run(capsys, "scan", "--file", str(path), "--json", "--no-ner", "--default-decision")
    assert rc == 1 and "US_SSN" in {f["entity_type"] for f in json.loads(out)["findings"]}, out


def test_scan_file_keeps_a_raw_readings_findings_as_the_gateway_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # a clean picture whose pixel bytes read "5 3 6 2 2 8 7 1 0": no finding (files/rawread.py judge_raw)
    from tests import hiddengen

    path = tmp_path / "shot.bmp"
    path.write_bytes(hiddengen.digit_pixels("spaced"))
    rc, out, _ = run(capsys, "scan", "--file", str(path), "--json", "--no-ner", "--default-decision")
    assert rc == 0 and json.loads(out)["findings"] == []
    path.write_bytes(hiddengen.digit_pixels("spaced") + b"\n536-22-8710\n")
    rc, out, _ = run(capsys, "scan", "--file", str(path), "--json", "--no-ner", "--default-decision")
    assert rc == 1 and [f["entity_type"] for f in json.loads(out)["findings"]] == ["US_SSN"]
