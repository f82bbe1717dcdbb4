"""atk22 F7 (issue 15, encodings): text written in base32, base85, ascii85 (Adobe's
``<~ ~>``) or quoted-printable with every byte escaped is read decoded, as base64 and hex
already were (detect/decode.py ``find_blobs``); ordinary capitals, long words, hashes and
``key=value`` text decode to nothing and stop nothing."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.decode import Blob, encoded_span, find_blobs

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in STOPPING for f in engine.analyze(text))


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


@st.composite
def ssns(draw: st.DrawFn) -> str:
    area = draw(st.integers(101, 899).filter(lambda a: a != 666))
    return f"{area:03d}-{draw(st.integers(11, 99)):02d}-{draw(st.integers(1001, 9999)):04d}"


@st.composite
def cards(draw: st.DrawFn) -> str:
    body = "4" + "".join(str(draw(st.integers(0, 9))) for _ in range(14))
    check = next(str(d) for d in range(10) if _luhn_ok(body + str(d)))
    n = body + check
    return " ".join(n[i:i + 4] for i in range(0, 16, 4))


def _qp(raw: bytes, soft: bool) -> str:
    out = "".join(f"={b:02X}" for b in raw)
    return out[:30] + "=\r\n" + out[30:] if soft and len(out) > 33 else out


ENCODERS = {
    "base32": lambda raw: base64.b32encode(raw).decode(),
    "base32-lower-unpadded": lambda raw: base64.b32encode(raw).decode().lower().rstrip("="),
    "base85": lambda raw: base64.b85encode(raw).decode(),
    "ascii85": lambda raw: base64.a85encode(raw).decode(),
    "quoted-printable": lambda raw: _qp(raw, False),
    "quoted-printable-soft-break": lambda raw: _qp(raw, True),
}


@pytest.mark.parametrize("kind", sorted(ENCODERS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ident=st.one_of(ssns().map(lambda s: f"client SSN {s}"), cards().map(lambda c: f"card {c}")),
       before=st.sampled_from(["", "here: ", "decode this\n", "fyi "]))
def test_an_encoded_identifier_is_found(engine: Engine, kind: str, ident: str, before: str) -> None:
    encoded = ENCODERS[kind](ident.encode())
    assert _stops(engine, before + encoded), (kind, encoded)


def test_ascii85_with_adobe_delimiters_is_read() -> None:
    text = "blob " + base64.a85encode(b"client SSN 536-22-8710", adobe=True).decode()
    blobs = [b for b in find_blobs(text, 100_000) if isinstance(b, Blob)]
    assert any(b.kind == "ascii85" and "536-22-8710" in b.text for b in blobs)


def test_finding_spans_cover_the_characters_that_write_it() -> None:
    raw = b"xxxxxxxxxx 536-22-8710"
    text = base64.b32encode(raw).decode()
    (blob,) = [b for b in find_blobs(text, 100_000) if isinstance(b, Blob)]
    a, b = encoded_span(blob, raw.index(b"5"), len(raw))
    assert 0 < a < b <= len(text) and a % 8 == 0
    # the characters from a write the bytes from the group holding the identifier's first
    assert base64.b32decode(text)[a // 8 * 5:].endswith(b"536-22-8710")


WORDS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=16, max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shout=WORDS, hexhash=st.binary(min_size=16, max_size=32),
       kv=st.lists(st.tuples(st.sampled_from(["qty", "px", "side", "tif"]), st.integers(0, 99)),
                   min_size=3, max_size=8))
def test_capitals_hashes_and_key_values_decode_to_nothing(engine: Engine, shout: str, hexhash: bytes,
                                                          kv: list[tuple[str, int]]) -> None:
    for text in (f"{shout} please", hashlib.sha256(hexhash).hexdigest().upper(),
                 base64.b85encode(hashlib.sha256(hexhash).digest()).decode(),
                 " ".join(f"{k}={v}" for k, v in kv), "ratio=3D=20=2E=50 and x=1"):
        assert not _stops(engine, text), text
