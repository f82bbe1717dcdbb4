"""Attack pass 7 detection findings, each as a class with a property test:

- D2: TeX spacing between digit groups shows a visible gap, even a thin one (``\\,``
  ``\\:`` ``\\;`` ``\\>`` ``\\thinspace``...): a blank; only a negative space (``\\!``) joins;
- D3: an emoji between digit groups is a separator whatever its name holds (``:+1:``,
  ``:-1:``, ``:100:``, a letter), and so is a keycap ``*️⃣`` ``#️⃣``; a time's ``:30:`` is not;
- D9: bracketed groups side by side (``[536][22][8710]``, ``{536}{22}{8710}``) are groups.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import normalize
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SSN_GROUPS = synth.SSN.split("-")
LUHN_CARD = ["4532", "0151", "1283", "0366"]
IBAN_DE = ["DE89", "3704", "0044", "0532", "0130", "00"]
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
#: (groups, context, entity): each value as its groups, with the context it is posted in
VALUES = [(SSN_GROUPS, "her number ", "US_SSN"), (LUHN_CARD, "card ", "CREDIT_CARD"),
          (IBAN_DE, "IBAN ", "IBAN_CODE")]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _types(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING}


# -- D2 TeX spaces ---------------------------------------------------------------------------

POSITIVE_SPACES = ["\\,", "\\:", "\\;", "\\>", "\\thinspace ", "\\medspace ", "\\thickspace ", "\\ ", "\\quad "]


@SETTINGS
@given(value=st.sampled_from(VALUES), space=st.sampled_from(POSITIVE_SPACES), dollars=st.booleans())
def test_tex_spaces_between_groups_are_blanks(engine: Engine, value: tuple[list[str], str, str], space: str,
                                              dollars: bool) -> None:
    groups, context, entity = value
    body = space.join(groups)
    text = context + (f"${body}$" if dollars else body)
    if not dollars:  # (a long body is past the inline-TeX pair's reach: read as a TeX block)
        assert normalize(text).text == context + " ".join(groups)
    assert entity in _types(engine, text), text


@pytest.mark.parametrize("neg", ["\\!", "\\negthinspace "])
def test_negative_tex_space_joins(neg: str) -> None:
    assert normalize(f"$536{neg}22$").text == "53622"


# -- D3 emoji names without letters, keycaps ----------------------------------------------------

#: Mattermost system emoji named without a letter (the emoji data's +1, -1, 100, 1234) and
#: names EMOJI_PATTERN ``:([\w+-]+):`` takes with a letter or a sign
EMOJI_NAMES = st.one_of(st.sampled_from(["+1", "-1", "100", "1234"]),
                        st.from_regex(r"\A[a-z0-9_+-]{0,12}[a-z+-][a-z0-9_+-]{0,12}\Z", fullmatch=True))


@SETTINGS
@given(value=st.sampled_from(VALUES), name=EMOJI_NAMES, blanks=st.sampled_from(["", " "]))
def test_any_emoji_between_groups_is_a_separator(engine: Engine, value: tuple[list[str], str, str], name: str,
                                                 blanks: str) -> None:
    groups, context, entity = value
    # four letters or digits after an IBAN's start are its bank code (GB82:WEST:1234), by design
    assume(not (entity == "IBAN_CODE" and len(name) == 4 and name.isalnum()))
    text = context + f"{blanks}:{name}:{blanks}".join(groups)
    assert entity in _types(engine, text), text


@SETTINGS
@given(value=st.sampled_from(VALUES), sign=st.sampled_from("*#"), selector=st.booleans())
def test_keycap_signs_are_separators(engine: Engine, value: tuple[list[str], str, str], sign: str,
                                     selector: bool) -> None:
    groups, context, entity = value
    keycap = sign + ("\ufe0f" if selector else "") + "\u20e3"
    text = context + keycap.join(groups)
    assert normalize(text).text == context + " ".join(groups)
    assert entity in _types(engine, text), text


@pytest.mark.parametrize("text", ["10:30:15", "at 09:45:30 today", "5*22*8710"])
def test_times_and_emphasis_unchanged(text: str) -> None:
    # a time's :30: is no emoji; a bare * between digits is Markdown emphasis (dropped)
    assert normalize(text).text == text.replace("*", "")


# -- D9 side-by-side brackets -----------------------------------------------------------------

PAIRS = ["[]", "{}", "()", "⟨⟩", "［］"]


@SETTINGS
@given(value=st.sampled_from(VALUES), pair=st.sampled_from(PAIRS), label=st.booleans())
def test_side_by_side_bracketed_groups(engine: Engine, value: tuple[list[str], str, str], pair: str,
                                       label: bool) -> None:
    groups, context, entity = value
    text = (context if label else "") + "".join(pair[0] + g + pair[1] for g in groups)
    # the digit groups read as groups (an IBAN's lettered first group keeps its opening bracket)
    assert " ".join(groups[1:]) in normalize(text).text, text
    assert entity in _types(engine, text), text


def test_defined_reference_link_still_reads_as_its_text() -> None:
    # a reference link whose label is defined renders its text only
    assert normalize("ssn [536][22]-22-8710\n\n[22]: https://example.com").text.startswith("ssn 536-22-8710")
    assert normalize("ssn [536][1]-22-8710").text == "ssn 536-22-8710"
