"""An IBAN with its country code apart from its check digits (``GB 82 WEST ...``,
``FR-76 ...``; held-out probe, class 7): read as the IBAN in capitals, whatever stands
between them (recognizers/iban.py ``_SPLIT_LINE_RE``).  Real detector."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector
from dlp_proxy.detect.engine import Engine

#: IBANs that pass the mod-97 check (the registries' published examples)
IBANS = ["GB82WEST12345698765432", "FR7630006000011234567890189", "DE89370400440532013000", "NL91ABNA0417164300",
         "ES9121000418450200051332"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(ner=False)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(IBANS), st.sampled_from([" ", "  ", "-", " - ", "/", ".", "\n", ": "]),
       st.sampled_from([" ", ""]), st.sampled_from(["wire to ", "", "pay "]))
def test_the_country_code_apart_from_the_check_digits(engine: Engine, iban: str, sep: str, group_sep: str,
                                                      lead: str) -> None:
    body = iban[4:]
    grouped = group_sep.join(body[i:i + 4] for i in range(0, len(body), 4))
    text = f"{lead}{iban[:2]}{sep}{iban[2:4]}{' ' if group_sep else ''}{grouped}"
    assert "IBAN_CODE" in {f.entity_type for f in engine.analyze(text)}, text


@pytest.mark.parametrize("text", ["AT 10 AM we meet in room 12", "IS 12 OK", "DE 89 people came", "GB 82 WEST 1234 5698 7654 33"])
def test_prose_and_a_wrong_check_are_no_iban(engine: Engine, text: str) -> None:
    assert "IBAN_CODE" not in {f.entity_type for f in engine.analyze(text)}
