"""atk22r R4/R6 (encodings a tool decodes, read one line or one escape at a time): a
base64 or base32 block wrapped in lines (``base64``'s 76 columns, PEM/MIME's 64, CRLF, quote
marks) is read whole, so a number cut by a line break is found; base32 spaced in fours or
in mixed case; UTF-16 text inside base64 or hex; quoted-printable with only some bytes
escaped; a uuencoded block in a post.  Certificates, ssh keys, images, long lines of prose
and ``key=value`` text stop nothing."""

from __future__ import annotations

import base64
import binascii
import io
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.decode import Blob, encoded_span, find_blobs
from dlp_proxy.detect.normalize import decode_escapes

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in STOPPING for f in engine.analyze(text))


@st.composite
def ssns(draw: st.DrawFn) -> str:
    area = draw(st.integers(101, 899).filter(lambda a: a != 666))
    return f"{area:03d}-{draw(st.integers(11, 99)):02d}-{draw(st.integers(1001, 9999)):04d}"


PAD = "Meeting notes from the onboarding call with the new client, all details below for the file. "


def _wrap(encoded: str, width: int, eol: str = "\n", quote: str = "") -> str:
    return "".join(f"{quote}{encoded[i:i + width]}{eol}" for i in range(0, len(encoded), width))


def _cut_note(ssn: str, shift: int, width: int) -> bytes:
    """A note whose SSN's encoding crosses a line break of a ``width``-column wrap."""
    for k in range(shift, shift + 200):
        note = (" " * k + PAD + f"client SSN {ssn}, thanks. " + PAD).encode()
        at = note.index(ssn.encode())
        first = at // 3 * 4  # the first character of the group writing its first byte
        last = (at + len(ssn) - 1) // 3 * 4 + 3
        if first // width != last // width:
            return note
    raise AssertionError("no shift cuts the number")


# -- positives ---------------------------------------------------------------------------

@SETTINGS
@given(ssn=ssns(), shift=st.integers(0, 40), width=st.sampled_from([76, 64]),
       eol=st.sampled_from(["\n", "\r\n"]), quote=st.sampled_from(["", "> ", ">"]),
       before=st.sampled_from(["", "here is the note:\n", "base64 of the file\n\n"]))
def test_wrapped_base64_with_a_number_across_a_line_break_is_found(
        engine: Engine, ssn: str, shift: int, width: int, eol: str, quote: str, before: str) -> None:
    note = _cut_note(ssn, shift, width)
    text = before + _wrap(base64.b64encode(note).decode(), width, eol, quote)
    found = [f for f in engine.analyze(text) if f.entity_type == "US_SSN"]
    assert found, text
    # on the characters that write it (across the line break), not the whole block
    for f in found:
        assert f.end - f.start < 40 and "\n" in text[f.start:f.end], (f.start, f.end)


def test_encoded_span_maps_a_wrapped_block_across_its_line_breaks() -> None:
    note = _cut_note("536-22-8710", 0, 76)
    text = _wrap(base64.b64encode(note).decode(), 76)
    blobs = [b for b in find_blobs(text, 1_000_000) if isinstance(b, Blob) and "536-22-8710" in b.text]
    assert len(blobs) == 1 and blobs[0].offsets
    a = note.index(b"536")
    s, e = encoded_span(blobs[0], a, a + 11)
    assert "\n" in text[s:e] and e - s < 30


@SETTINGS
@given(ssn=ssns(), width=st.sampled_from([8, 16, 24, 40, 64, 76]), lower=st.booleans(),
       eol=st.sampled_from(["\n", "\r\n"]))
def test_wrapped_base32_is_found(engine: Engine, ssn: str, width: int, lower: bool, eol: str) -> None:
    encoded = base64.b32encode(f"client SSN {ssn}".encode()).decode()
    assert _stops(engine, _wrap(encoded.lower() if lower else encoded, width, eol)), (width, encoded)


@SETTINGS
@given(ssn=ssns(), sep=st.sampled_from([" ", "\n"]), before=st.sampled_from(["", "fyi "]))
def test_base32_spaced_in_fours_is_found(engine: Engine, ssn: str, sep: str, before: str) -> None:
    encoded = base64.b32encode(f"client SSN {ssn}".encode()).decode()
    assert _stops(engine, before + " ".join(textwrap.wrap(encoded, 4)).replace(" ", sep))


@SETTINGS
@given(ssn=ssns(), flips=st.lists(st.booleans(), min_size=40, max_size=40), padded=st.booleans())
def test_mixed_case_base32_is_found(engine: Engine, ssn: str, flips: list[bool], padded: bool) -> None:
    encoded = base64.b32encode(f"client SSN {ssn}".encode()).decode()
    encoded = encoded if padded else encoded.rstrip("=")
    mixed = "".join(c.lower() if flip else c for c, flip in zip(encoded, flips, strict=False)) + encoded[40:]
    assert _stops(engine, mixed), mixed


@SETTINGS
@given(ssn=ssns(), codec=st.sampled_from(["utf-16-le", "utf-16-be", "utf-16"]),
       how=st.sampled_from(["base64", "hex", "base32"]))
def test_utf16_inside_base64_or_hex_is_found(engine: Engine, ssn: str, codec: str, how: str) -> None:
    raw = f"client SSN {ssn}".encode(codec)
    text = {"base64": base64.b64encode(raw).decode(), "hex": raw.hex(),
            "base32": base64.b32encode(raw).decode()}[how]
    found = [f for f in engine.analyze(text) if f.entity_type == "US_SSN"]
    assert found, text
    # on the characters that write the number, not the label's
    assert all(f.start > 0 for f in found)


@SETTINGS
@given(ssn=ssns(), data=st.data())
def test_partly_escaped_quoted_printable_is_found(engine: Engine, ssn: str, data: st.DataObject) -> None:
    # an encoder may escape any byte: some escaped, some plain, the separators at least twice
    text = f"client SSN: {ssn}"
    escape = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    out = []
    marks = 0
    for c, esc in zip(text, escape, strict=True):
        must = c in ":-" and marks < 2
        marks += must
        out.append(f"={ord(c):02X}" if esc or must else c)
    text = "".join(out)
    text = text.lower() if data.draw(st.booleans()) else text  # (decoders take small hex digits too)
    cut = data.draw(st.integers(0, len(text)))
    if data.draw(st.booleans()) and "=" not in text[max(0, cut - 2):cut]:
        text = text[:cut] + "=\n" + text[cut:]  # a soft line break anywhere
    assert _stops(engine, text), text


def test_partial_quoted_printable_maps_each_escape_to_its_character() -> None:
    text = "SSN=3A=20536=2D22=2D8710"
    decoded = decode_escapes(text)
    assert decoded is not None and decoded.text == "SSN: 536-22-8710"
    a = decoded.text.index("536")
    assert decoded.original_span(a, a + 11) == (text.index("536"), len(text))


@SETTINGS
@given(ssn=ssns(), name=st.sampled_from(["x", "notes.txt", "a b.txt"]), mode=st.sampled_from(["644", "600", "0755"]),
       before=st.sampled_from(["", "see attached:\n"]))
def test_uuencoded_block_in_a_post_is_found(engine: Engine, ssn: str, name: str, mode: str, before: str) -> None:
    data = f"{PAD}client SSN {ssn}\n{PAD}".encode()
    lines = [binascii.b2a_uu(data[i:i + 45]).decode() for i in range(0, len(data), 45)]
    text = f"{before}begin {mode} {name}\n" + "".join(lines) + "`\nend\n"
    assert _stops(engine, text), text


# -- negatives ---------------------------------------------------------------------------

def _pem_certificate() -> str:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "chat.example.com"),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, "536228710")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=90)).sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    return pem + priv


def _ssh_keys() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    out = []
    for key in (ed25519.Ed25519PrivateKey.generate(), rsa.generate_private_key(65537, 2048)):
        out.append(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                     serialization.NoEncryption()).decode())
        out.append(key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                 serialization.PublicFormat.OpenSSH).decode())
    return "\n".join(out)


def _image_base64(seed: int, width: int) -> str:
    from PIL import Image

    img = Image.new("RGB", (24, 24), (seed % 256, (seed * 7) % 256, 90))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return _wrap(base64.b64encode(buf.getvalue()).decode(), width)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(quote=st.sampled_from(["", "> "]), eol=st.sampled_from(["\n", "\r\n"]))
def test_certificates_and_ssh_keys_stop_nothing(engine: Engine, quote: str, eol: str) -> None:
    for text in (_pem_certificate(), _ssh_keys()):
        shown = "".join(quote + line + eol for line in text.splitlines())
        assert not _stops(engine, "here is the cert\n" + shown), shown


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), width=st.sampled_from([64, 76]))
def test_wrapped_base64_images_stop_nothing(engine: Engine, seed: int, width: int) -> None:
    assert not _stops(engine, "data:image/png;base64,\n" + _image_base64(seed, width))


#: a word of text: a letter, then letters and base32's digits (a "word" of digits alone
#: is a number: prose of single digits, "4 2 2 2 2 2 2 2 2 2 2 2 2", is a card's digits
#: spaced one by one, and is stopped as one; a full run drew it)
WORD = st.builds(lambda head, tail: head + tail,
                 st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                 st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ234567", max_size=11))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.lists(WORD, min_size=1, max_size=12).map(lambda ws: "".join(ws)), min_size=2, max_size=6),
       prose=st.lists(st.lists(WORD, min_size=8, max_size=20).map(" ".join), min_size=2, max_size=5))
def test_long_lines_of_text_stop_nothing(engine: Engine, lines: list[str], prose: list[str]) -> None:
    for text in ("\n".join(lines), "\n".join(prose), "\n".join(w.upper() for w in prose)):
        assert not _stops(engine, text), text


KEYS = st.sampled_from(["qty", "px", "ratio", "x", "side", "tif", "id", "a", "b", "lvl"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kv=st.lists(st.tuples(KEYS, st.one_of(st.integers(0, 99_999).map(str),
                                             st.sampled_from(["3D", "20", "2D", "3A", "0A", "4F", "12", "C3"]))),
                   min_size=1, max_size=10),
       sep=st.sampled_from([" ", ", ", "&", "\n"]))
def test_key_value_text_stops_nothing(engine: Engine, kv: list[tuple[str, str]], sep: str) -> None:
    text = sep.join(f"{k}={v}" for k, v in kv)
    assert not _stops(engine, text), text


def test_one_qp_like_escape_is_no_escape() -> None:
    for text in ("x=12", "ratio=3D", "px=20 qty=5", "a=4F b=12"):
        decoded = decode_escapes(text)
        assert decoded is None or decoded.text == text, text


@pytest.mark.parametrize("width", [76, 64])
def test_wrapped_base64_text_file_is_held(engine: Engine, width: int) -> None:
    from dlp_proxy.files import extract
    from dlp_proxy.files.rawread import judge_raw

    data = _wrap(base64.b64encode(_cut_note("536-22-8710", 0, width)).decode(), width).encode()
    ex = extract(data, filename="notes.txt")
    found = {f.entity_type for seg in ex.segments
             for f in judge_raw(seg.location, seg.text, engine.analyze(seg.text), engine.analyze)}
    assert "US_SSN" in found


@settings(max_examples=20, deadline=None)
@given(limit=st.integers(300, 3000), lead=st.integers(0, 60))
def test_a_wrapped_block_longer_than_the_limit_is_read_in_windows(limit: int, lead: int) -> None:
    note = (PAD * lead + "client SSN 536-22-8710, thanks. " + PAD * 3).encode()
    text = _wrap(base64.b64encode(note).decode(), 76)
    blobs = [b for b in find_blobs(text, limit) if isinstance(b, Blob) and b.kind == "base64"]
    assert any("536-22-8710" in b.text for b in blobs)
    assert all(len(b.offsets) <= limit for b in blobs if b.offsets)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(st.sampled_from(["acct", "gross", "amt", "rt", "px", "qty", "id", "side", "ref"]),
                                st.from_regex(r"[0-9A-F]{2}[0-9A-Za-z]{1,10}", fullmatch=True)),
                      min_size=2, max_size=6))
def test_key_value_text_is_no_quoted_printable(pairs: list[tuple[str, str]]) -> None:
    """``acct=ACME gross=601763805 rt=322271627``: each ``=XX`` lies between a key and the
    rest of its value, no escape (test_detect_precision15a failed on ``=AC`` and ``=60``
    read as escapes, ``rt=32...`` then as ``rt2...``, an account code)."""
    text = " ".join(f"{k}={v}" for k, v in pairs)
    decoded = decode_escapes(text)
    assert decoded is None or "quoted-printable" not in {name for _, _, name in decoded.events}, text
