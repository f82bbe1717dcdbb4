"""A FIX message's field values are read field by field (recognizers/_common.py
``fix_field_tag``): an account word in one field's value (``1=IRA-NK``) labels no value of
another field (``37=D707632215``, an order id), which read as an alphanumeric account
number (held-out gen24: its trade family's two false stops)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(alias=st.sampled_from(["IRA-NK", "ACCT-7", "IRA", "HF-B", "account-22"]),
       order=st.from_regex(r"[A-Z][0-9]{9}", fullmatch=True), exec_id=st.from_regex(r"EX[0-9]{7}", fullmatch=True),
       sep=st.sampled_from(["|", "\x01"]))
def test_an_account_word_in_one_field_labels_no_other_field(engine: Engine, alias: str, order: str, exec_id: str,
                                                            sep: str) -> None:
    fields = ["8=FIX.4.4", "9=168", "35=8", "49=BRKR", "56=CLNT", f"1={alias}", f"37={order}", f"17={exec_id}",
              "39=2", "55=PFE", "54=1", "38=100", "31=590.98", "10=178"]
    text = sep.join(fields) + sep
    assert not [f for f in engine.analyze(text) if f.entity_type == "US_BANK_NUMBER"], text


def test_an_alphanumeric_account_in_prose_is_still_found(engine: Engine) -> None:
    assert any(f.entity_type == "US_BANK_NUMBER" for f in engine.analyze("brokerage account ABC123456"))
