from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.prefilter import Prefilter
from dlp_proxy.model import ENTITY_TYPES

HS = Prefilter()
RE = Prefilter(use_hyperscan=False)


@pytest.mark.parametrize(
    ("text", "quick"),
    [
        ("lunch at noon?", False),
        ("Meet at 3pm in room 12", False),
        ("Please review the quarterly onboarding checklist", False),
        ("ssn 536-22-1937", True),
        ("mail me a@b.co", True),
        ("NTM2LTIyLTE5Mzc=", True),  # base64 without a digit
        ("MjkwLTUwLTMzMjQ", True),
        ("%35%33", True),
        ("&#53;", True),
        ("DOB 1/2/85", True),
        ("5 3 6 2 2 1", True),
    ],
)
def test_quick(text: str, quick: bool) -> None:
    assert HS.quick(text) is quick


def test_hyperscan_backend_loaded() -> None:
    pytest.importorskip("hyperscan")
    assert HS.backend == "hyperscan"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 -./@abcdefxyzDOBIBAN:\n"), max_size=80))
def test_hyperscan_and_re_agree(text: str) -> None:
    assert HS.entities(text, ENTITY_TYPES) == RE.entities(text, ENTITY_TYPES)
