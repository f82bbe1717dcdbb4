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


@pytest.mark.parametrize("text", [
    "Who has the latest version of the best-execution deck?",
    "the end_of_day_report is late again",
    "see the post-trade-allocation-review notes",
])
def test_words_joined_by_hyphens_are_no_blob(text: str) -> None:
    """A hyphen makes a long token of words: read as base64url only where it decodes to
    text (``decode.find_blobs`` finds no blob in these, so the quick check is False)."""
    from dlp_proxy.detect.decode import find_blobs

    assert list(find_blobs(text, 10_000)) == []
    assert HS.quick(text) is False


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=9, max_size=40))
def test_base64url_without_digits_is_still_read(plain: str) -> None:
    """Text encoded as base64url whose encoding has no digit and no ``+/``: letters and
    ``-``/``_`` only, as a hyphenated word is.  The quick check passes it wherever the
    blob finder decodes it, so its decoding is read."""
    import base64

    from dlp_proxy.detect.decode import find_blobs

    token = base64.urlsafe_b64encode(plain.encode()).decode().rstrip("=")
    if any(c.isdigit() for c in token) or len(token) < 12:
        return
    text = f"see {token} ok"
    if any(not isinstance(b, tuple) and b.kind == "base64" for b in find_blobs(text, 10_000)):
        assert HS.quick(text) is True
