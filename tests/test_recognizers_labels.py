"""Key names and labels of a taxpayer or national identification number give identifier
context (issue 15, finding 2): ``{"taxpayer_id": "536228710"}`` is read like "taxpayer
id 536228710".  Real detector, real pipeline (cross-field context, gateway/pipeline.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.pipeline import key_words
from dlp_proxy.policy.testing import SSN
from tests.inprocess import judge

DIGITS = SSN.replace("-", "")
EIN = "12-3456789"
CHANNEL = "y7kk5cjibi194smnz58ymwypmh"
POLICY = """
schema: 1
rules:
  - id: npi
    action: block
    match: {entities: [US_SSN, US_ITIN, US_EIN]}
"""

LABELS = ["taxpayer_id", "tax_id", "taxid", "TaxID", "TAXID", "taxpayerId", "fein", "national_id", "nationalId",
          "tid", "TID", "soc", "taxpayer_identification_number", "taxIdentificationNumber",
          "national_identification_number", "nationalIdNumber", "social_security_number", "taxpayerid"]


@pytest.fixture(scope="module")
def detector() -> Any:
    from dlp_proxy.detect import build_detector

    return build_detector(None, ner=False)


def _verdict(detector: Any, props: dict[str, Any], message: str = "see props") -> tuple[Any, list[dict[str, Any]]]:
    return judge(detector, {"channel_id": CHANNEL, "message": message, "props": props}, policy_text=POLICY)


@pytest.mark.parametrize("label", LABELS)
def test_a_taxpayer_id_label_is_context_words(detector: Any, label: str) -> None:
    assert detector.context_terms(key_words(f"body.props.{label}")), label


@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("value", [DIGITS, int(DIGITS), {"value": DIGITS}])
def test_a_bare_number_under_a_taxpayer_id_key_is_stopped(detector: Any, label: str, value: Any) -> None:
    v, records = _verdict(detector, {label: value})
    assert not v.forward, (label, value)
    assert {f["entity_type"] for f in records[-1]["findings"]} & {"US_SSN", "US_EIN", "US_ITIN"}


@pytest.mark.parametrize("label", ["fein", "FEIN", "tax_id", "taxid", "employer_identification_number", "tid"])
def test_an_ein_under_its_label_is_stopped(detector: Any, label: str) -> None:
    v, records = _verdict(detector, {label: EIN})
    assert not v.forward, label
    assert "US_EIN" in {f["entity_type"] for f in records[-1]["findings"]}


@pytest.mark.parametrize("text", [f"taxid {DIGITS}", f"TaxID: {DIGITS}", f"national id {DIGITS}", f"soc {DIGITS}",
                                  f"taxpayer identification number {DIGITS}"])
def test_the_labels_in_a_message(detector: Any, text: str) -> None:
    assert {f.entity_type for f in detector.analyze(text)} & {"US_SSN", "US_EIN", "US_ITIN"}, text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.integers(100_000_000, 999_999_999),
       form=st.sampled_from(["tid {n} amended", "TID: {n}", "cxl/rebook tid {n}", "pls check tid {n} for the allocation",
                             "TID {n} / 28k @ 67.30"]))
def test_property_tid_in_a_message_is_a_trade_id(detector: Any, number: int, form: str) -> None:
    """"tid" in a desk's chat is a trade id: only a key named so is a taxpayer id's label
    (``key_words`` spells it out)."""
    text = form.format(n=number)
    assert not {f.entity_type for f in detector.analyze(text)} & {"US_SSN", "US_EIN", "US_ITIN"}, text


@pytest.mark.parametrize("text", ['{"name": "J Doe", "tid": "%s"}', "{'tid': '%s', 'name': 'J Doe'}"])
def test_tid_as_a_pasted_json_key_is_a_label(detector: Any, text: str) -> None:
    assert {f.entity_type for f in detector.analyze(text % DIGITS)} & {"US_SSN", "US_EIN", "US_ITIN"}, text


def test_a_key_named_tid_reads_as_a_tax_id() -> None:
    assert key_words("body.props.tid") == "props tax id"
    assert key_words("body.props.TID") == "props tax id"
    assert key_words("body.props.tide") == "props tide"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["count", "total", "qty", "tide", "societies", "national_rank", "taxi"]),
       number=st.integers(100_000_000, 999_999_999))
def test_property_a_nine_digit_number_under_a_near_miss_key_passes(detector: Any, key: str, number: int) -> None:
    v, records = _verdict(detector, {key: number}, message="weekly totals")
    assert v.forward, (key, records[-1]["findings"])
