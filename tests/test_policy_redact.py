"""Free text that will be stored (dlp_proxy/policy/redact.py ``mask_free_text``)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.policy.redact import mask_free_text

SEPARATORS = st.sampled_from([" ", "-", "/", ".", " - ", "#", "(", ")", "\u00a0", "_", ",", ":", "  "])
DIGITS = st.sampled_from(list("0123456789") + list("\uff10\uff11\uff15") + list("\u0661\u0663") + ["\u2460", "\u00b2"])


@given(st.lists(st.tuples(st.lists(DIGITS, min_size=1, max_size=4), SEPARATORS), min_size=2, max_size=6),
       st.text(alphabet="abc xyz", max_size=10))
@settings(max_examples=300, deadline=None)
def test_no_cluster_of_four_digits_survives(groups: list[tuple[list[str], str]], prefix: str) -> None:
    number = "".join("".join(d) + sep for d, sep in groups).rstrip()
    if sum(len(d) for d, _ in groups) < 4:
        return
    masked = mask_free_text(f"{prefix} {number} end", [])
    assert not any(ch.isdigit() or ch.isnumeric() for ch in masked), masked


def test_short_numbers_and_words_stay() -> None:
    assert mask_free_text("trade on 12/3 for two lots, desk 7", []) == "trade on 12/3 for two lots, desk 7"
    assert mask_free_text("Client record: 536228710 / ok", []) == "Client record: ######### / ok"
    assert re.fullmatch(r"call [# ]+", mask_free_text("call 5 3 6 2 2 8 7 1 0", []))


def test_findings_are_masked_in_full_letters_too() -> None:
    from dlp_proxy.model import Finding

    text = "wire to GB82WEST12345698765432 today"
    start = text.index("GB82")
    f = Finding(entity_type="IBAN_CODE", start=start, end=start + 22, score=0.9, recognizer="test")
    assert mask_free_text(text, [f]) == "wire to " + "#" * 22 + " today"
    assert mask_free_text(text, [f], char="*") == "wire to " + "*" * 22 + " today"
