"""atk22r R3: source code that builds an identifier from a whole list of character codes
(``''.join(map(chr, [...]))``, ``bytes([...]).decode()``, ``String.fromCharCode(...[...])``,
``String.fromCharCode.apply(null, [...])``, ``chr(c) for c in [...]``) or from numbers made
strings (``str(536)+'-'+str(22)+'-'+str(8710)``) is read as the string it builds
(normalize ``_CHAR_LIST_CALL``, ``_NUMBER_CALL``), as det23 read ``chr(53)+chr(51)``."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in STOPPING for f in engine.analyze(text))


def _ssn(rnd: random.Random) -> str:
    area = rnd.choice([a for a in range(101, 899) if a != 666])
    return f"{area:03d}-{rnd.randint(11, 99):02d}-{rnd.randint(1001, 9999):04d}"


LIST_FORMS = [
    "''.join(map(chr, [{codes}]))", "bytes([{codes}]).decode()", "bytearray(({codes})).decode('ascii')",
    "String.fromCharCode(...[{codes}])", "String.fromCharCode.apply(null, [{codes}])",
    "''.join(chr(c) for c in [{codes}])", "String.fromCodePoint(...[{codes}])",
]


@PROPS
@given(seed=st.integers(0, 2**32 - 1), form=st.sampled_from(LIST_FORMS), sep=st.sampled_from([",", ", "]),
       hexa=st.booleans(), label=st.sampled_from(["ssn = ", "const socialSecurity = ", "client SSN: "]))
def test_a_list_of_character_codes_is_read(engine: Engine, seed: int, form: str, sep: str, hexa: bool,
                                           label: str) -> None:
    value = _ssn(random.Random(seed))
    codes = sep.join(hex(ord(c)) if hexa else str(ord(c)) for c in value)
    text = label + form.format(codes=codes)
    assert _stops(engine, text), text


@PROPS
@given(seed=st.integers(0, 2**32 - 1), call=st.sampled_from(["str", "String", "Integer.toString"]),
       quote=st.sampled_from(["", "'"]), join=st.sampled_from(["+", " + "]))
def test_numbers_made_strings_are_read(engine: Engine, seed: int, call: str, quote: str, join: str) -> None:
    a, g, s = _ssn(random.Random(seed)).split("-")
    text = "ssn = " + join.join([f"{call}({quote}{a}{quote})", "'-'", f"{call}({g})", "'-'", f"{call}({s})"])
    assert _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "print(bytes([1, 2, 3, 4]))", "x = str(5) + str(10)", "qty = str(100)+str(200)", "buf = bytearray([0, 255, 16, 32])",
    "''.join(map(chr, [104, 105]))", "fills = list(map(str, [100, 250, 75]))", "String(2024) + '-' + String(12)",
])
def test_code_that_builds_no_identifier_stops_nothing(engine: Engine, text: str) -> None:
    assert not _stops(engine, text)
