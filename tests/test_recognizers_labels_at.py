"""``_common.labels_at`` finds what ``finditer`` finds: the glued-label readings (an SSN's,
a card's) try only the places where one of their labels' first letters stand."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.recognizers import cards, ssn
from dlp_proxy.recognizers._common import labels_at

PIECES = ["SSN", "ssn#", "S.S.N.", "Social Security No", "soc sec #", "ITIN", "itins", "social", "Card", "credit card",
          "cc#", "PAN", "Visa", "MasterCard", "amex", "debit card no", " ", ": ", "=", "$", "536-22", "8710x", "Q7",
          "passenger", "ssns", "ac", "\n", "é", "İ", "discard", "1"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14), st.sampled_from(["ssn", "card"]))
def test_property_labels_at_is_finditer(pieces: list[str], kind: str) -> None:
    text = "".join(pieces)
    rx, literals = ((ssn._OWN_LABEL, ssn._OWN_LABEL_LITERALS) if kind == "ssn"
                    else (cards._CARD_LABEL, cards._CARD_LABEL_LITERALS))
    assert [m.span() for m in labels_at(rx, literals, text)] == [m.span() for m in rx.finditer(text)], text


def test_every_label_alternative_starts_with_a_listed_literal() -> None:
    for rx, literals in ((ssn._OWN_LABEL, ssn._OWN_LABEL_LITERALS), (cards._CARD_LABEL, cards._CARD_LABEL_LITERALS)):
        for word in re.findall(r"[a-z][a-z.#]*", "ssn s.s.n ss# ssn# social soc itin credit debit card cc pan visa "
                                                  "mastercard amex"):
            m = rx.match(word + " 1")
            if m is not None:
                assert any(word.startswith(lit) for lit in literals), word
