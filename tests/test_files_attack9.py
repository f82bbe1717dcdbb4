"""File attack of 2026-12-07, evening pass (a helper that read no test): text a viewer
does not show inside an identifier.  A tracked deletion or moved-away text inside a
number (``AAA-GG-<w:del>x</w:del>SSSS``, with the document set to show no markup) and a
field code inside one: the reading as displayed (``body/displayed``) leaves them out
and is judged beside the reading as stored.  Real extractor and detector."""

from __future__ import annotations

from typing import Any

import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from tests.test_files_attack6 import _found, _where
from tests.test_files_attack8 import _docx, _para

AREA, GROUP, SERIAL = "536", "22", "8710"
_AUTHOR = 'w:id="1" w:author="x" w:date="2026-12-07T00:00:00Z"'


def _run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


INSIDE = {
    "deletion": f'<w:del {_AUTHOR}><w:r><w:delText>x</w:delText></w:r></w:del>',
    "deletion of a run of text": f'<w:del {_AUTHOR}><w:r><w:t>x</w:t></w:r></w:del>',
    "moved away": f'<w:moveFrom {_AUTHOR}><w:r><w:t>x</w:t></w:r></w:moveFrom>',
    "field code, no result": ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> '
                              'COMMENTS </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'),
}


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


@pytest.mark.parametrize("case", sorted(INSIDE))
def test_unshown_text_inside_an_ssn_does_not_hide_it(detector: Engine, case: str) -> None:
    body = f"<w:p>{_run(f'Client SSN: {AREA}-{GROUP}-')}{INSIDE[case]}{_run(SERIAL)}</w:p>"
    data = _docx(body, "")
    assert "US_SSN" in _found(detector, data, "memo.docx"), _where(data, "memo.docx")


def test_a_deletion_between_words_adds_no_finding(detector: Any) -> None:
    body = f"<w:p>{_run('Quarterly review, ')}{INSIDE['deletion']}{_run(' draft 2')}</w:p>" + _para("Desk notes")
    data = _docx(body, "")
    assert not _found(detector, data, "memo.docx") & {"US_SSN", "CREDIT_CARD", "US_BANK_NUMBER"}
    displayed = [s.text for s in extract(data, filename="memo.docx").segments if s.location == "body/displayed"]
    assert displayed == ["Quarterly review,  draft 2\nDesk notes"]


def test_a_legal_numbering_level_draws_every_level_in_decimal(detector: Engine) -> None:
    """``w:isLgl`` on the third level: its label ``%1-%2-%3`` shows the Roman first and
    second levels' numbers in decimal (ECMA-376 Part 1, 17.9.4; the re-attack of
    2026-12-07: read as DXXXVI-XXII-SSSS)."""
    from tests.test_files_attack8 import _at, _lvl, _multilevel

    numbering = _multilevel(_lvl("upperRoman", int(AREA), ""), _lvl("upperRoman", int(GROUP), "", 1),
                            _lvl("decimal", int(SERIAL), "%1-%2-%3", 2, "<w:isLgl/>"))
    data = _docx(_at("Client record", 0) + _at("file", 1) + _at("SSN on file", 2), numbering)
    assert "US_SSN" in _found(detector, data, "memo.docx"), _where(data, "memo.docx")
    plain = _docx(_at("Client record", 0) + _at("file", 1) + _at("SSN on file", 2),
                  numbering.replace("<w:isLgl/>", ""))
    labels = [s.text for s in extract(plain, filename="memo.docx").segments if s.location == "body/list-labels"]
    assert labels and "DXXXVI-XXII-8710" in labels[0]
