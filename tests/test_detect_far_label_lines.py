"""A word naming an SSN two lines or more above a bare nine-digit number names it only
from a line that is its label (recognizers/ssn.py ``far_label``): a sentence that
mentions SSNs ("SSN questions go to ops") a few lines above an order id is no label of
it (bench_evasion's neg-far-label stopped 26 of 100 such messages), while a label line
(``SSN``, ``Client SSN below``) or the line right above still names the number."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FILLER = ["thanks", "see below", "--", "rep: JL", "Type: Individual", "ok", "pls confirm by EOD"]
SENTENCES = ["SSN questions go to ops", "ssn stuff goes to the ops queue", "Social security questions: ask ops",
             "SSN forms are in the shared drive"]
AFTER = ["^ that's the order id for the block trade", "(above: the OMS ticket number)", "thanks", ""]
LABELS = ["SSN", "Client SSN below", "her social security number:", "SS# follows", "ssn"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _ssn9(seed: int) -> str:
    rnd = random.Random(seed)
    area = rnd.choice([a for a in range(101, 899) if a != 666])
    return f"{area:03d}{rnd.randint(11, 99):02d}{rnd.randint(1001, 9999):04d}"


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in ("US_SSN", "US_ITIN") for f in engine.analyze(text))


@PROPS
@given(seed=st.integers(0, 2**32 - 1), sentence=st.sampled_from(SENTENCES),
       gap=st.lists(st.sampled_from(FILLER), min_size=1, max_size=3), after=st.sampled_from(AFTER))
def test_a_sentence_about_ssns_lines_above_names_no_number(engine: Engine, seed: int, sentence: str,
                                                           gap: list[str], after: str) -> None:
    text = "\n".join([sentence, *gap, _ssn9(seed), *([after] if after else [])])
    assert not _stops(engine, text), text


@PROPS
@given(seed=st.integers(0, 2**32 - 1), label=st.sampled_from(LABELS),
       gap=st.lists(st.sampled_from(FILLER), min_size=0, max_size=3))
def test_a_label_line_above_still_names_the_number(engine: Engine, seed: int, label: str, gap: list[str]) -> None:
    text = "\n".join([label, *gap, _ssn9(seed)])
    assert _stops(engine, text), text


@PROPS
@given(seed=st.integers(0, 2**32 - 1), sentence=st.sampled_from(SENTENCES + ["client SSN, as requested"]))
def test_the_line_right_above_still_names_the_number(engine: Engine, seed: int, sentence: str) -> None:
    assert _stops(engine, f"{sentence}\n{_ssn9(seed)}")


@PROPS
@given(seeds=st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=5), blank=st.booleans())
def test_a_list_of_numbers_under_its_heading_keeps_the_label(engine: Engine, seeds: list[int], blank: bool) -> None:
    """Every number of a list under a heading (``client SSNs on file:``) is named by it,
    the numbers above it between them being no lines of words."""
    text = "client SSNs on file:\n" + ("\n" if blank else "") + "\n".join(_ssn9(s) for s in seeds)
    found = [f for f in engine.analyze(text) if f.entity_type in ("US_SSN", "US_ITIN")]
    assert len(found) == len(set(seeds)) or len(found) >= len(seeds), text
