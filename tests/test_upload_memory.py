"""What a file worker and the gateway hold of a large upload (docs/benchmarks.md,
"Upload memory"): a multipart file part left in the spooled body and read from the
spool (no second copy of it in the worker), extracted texts sealed on disk as they are
extracted (the worker holds the file or its text, not both), and the long texts
without findings left in the worker (the gateway holds none of a large clean file),
fetched when the upload is held or when the cross-field pass needs their words."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.files import Limits
from dlp_proxy.files.runner import work
from dlp_proxy.gateway.extract import extract
from dlp_proxy.gateway.filescan import (
    SPOOL_MIN_BYTES,
    FileScanner,
    SealedTexts,
    Spooled,
    SpoolWriter,
    _job,
)
from dlp_proxy.gateway.goread import GoReadError, read_multipart
from dlp_proxy.gateway.routes import match
from dlp_proxy.policy.testing import SSN
from tests.conftest import ROOT, Gateway, Simulator, archive_records, start_gateway, stop

_NAME = st.text(st.characters(min_codepoint=0x61, max_codepoint=0x7A), min_size=1, max_size=8)
_BOUNDARY = "b0undaryXYZ"


def _multipart(parts: list[tuple[str, str | None, bytes, str]]) -> bytes:
    out = b""
    for name, filename, data, cte in parts:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        head = f"Content-Disposition: {disp}\r\n" + (f"Content-Transfer-Encoding: {cte}\r\n" if cte else "")
        out += f"--{_BOUNDARY}\r\n{head}\r\n".encode() + data + b"\r\n"
    return out + f"--{_BOUNDARY}--\r\n".encode()


_PART = st.tuples(_NAME, st.one_of(st.none(), _NAME.map(lambda n: n + ".txt")),
                  st.binary(max_size=300).map(lambda b: b.replace(b"--", b"-")),
                  st.sampled_from(["", "", "base64", "quoted-printable", "8bit"]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(_PART, min_size=1, max_size=5), defer_from=st.integers(0, 200))
def test_property_a_deferred_file_part_is_the_part_left_where_it_stands(
        parts: list[tuple[str, str | None, bytes, str]], defer_from: int) -> None:
    """Reading with ``defer`` hands over the same parts as without; a deferred part's
    span slices out exactly the bytes it would have had, and the extraction's file
    parts, their names and every text item are the same."""
    body = _multipart(parts)
    try:
        plain = read_multipart(body, _BOUNDARY)
    except GoReadError as exc:
        with pytest.raises(GoReadError) as deferred_exc:
            read_multipart(body, _BOUNDARY, defer=lambda p: p.has_filename_param())
        assert str(deferred_exc.value) == str(exc)  # (a deferred part is never quoted-printable)
        return
    deferred = read_multipart(body, _BOUNDARY, defer=lambda p: p.has_filename_param())
    assert len(plain.parts) == len(deferred.parts)
    for a, b in zip(plain.parts, deferred.parts, strict=True):
        assert a.headers == b.headers
        if b.span is None:
            assert (a.raw, a.data) == (b.raw, b.data)
        else:
            assert a.transfer_encoding.lower() != "quoted-printable"
            assert b.raw == b.data == b"" and body[b.span[0] : b.span[1]] == a.raw == a.data
    route = match("POST", "/api/v4/files").route
    assert route is not None
    ctype = f"multipart/form-data; boundary={_BOUNDARY}"
    whole = extract(route, body, ctype, [])
    left = extract(route, body, ctype, [], defer_files_from=defer_from)
    assert whole.items == left.items
    assert [(f.path, f.filename, f.content_type) for f in whole.files] == [
        (f.path, f.filename, f.content_type) for f in left.files]
    for f, g in zip(whole.files, left.files, strict=True):
        if g.span is None:
            assert f.data == g.data
        else:
            assert g.data == b"" and body[g.span[0] : g.span[1]] == f.data and len(f.data) >= defer_from


@settings(max_examples=100, deadline=None)
@given(chunks=st.lists(st.binary(min_size=1, max_size=50), min_size=1, max_size=8), data=st.data())
def test_property_a_range_of_the_spool_is_the_range_of_the_body(tmp_path_factory: pytest.TempPathFactory,
                                                               chunks: list[bytes], data: Any) -> None:
    body = b"".join(chunks)
    start = data.draw(st.integers(0, len(body)))
    end = data.draw(st.integers(start, len(body)))
    writer = SpoolWriter(str(tmp_path_factory.mktemp("spool")))
    for c in chunks:
        writer.feed(c)
    spooled = writer.finish()
    try:
        assert spooled.read_range(start, end) == body[start:end]
        with pytest.raises(ValueError):
            spooled.read_range(0, len(body) + 1)
    finally:
        spooled.remove()


def test_sealed_texts_are_encrypted_authenticated_and_deleted(tmp_path: Path) -> None:
    texts = SealedTexts(str(tmp_path))
    written = [f"client {SSN} on line {i}\n" * 50 for i in range(5)] + ["caf\u00e9 \ud800 lone surrogate"]
    for t in written:
        texts.add(t)
    assert [texts.text(i) for i in range(len(written))] == written
    on_disk = Path(texts.path).read_bytes()
    assert SSN.encode() not in on_disk and b"client" not in on_disk
    # a changed byte is refused, not read
    raw = bytearray(on_disk)
    raw[10] ^= 1
    Path(texts.path).write_bytes(bytes(raw))
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        texts.text(0)
    assert texts.text(3) == written[3]
    texts.close()
    assert not Path(texts.path).exists()


def test_a_job_with_sealed_texts_finds_what_one_in_memory_finds(tmp_path: Path) -> None:
    """``_job`` with the texts sealed as extracted: the same findings, segment for
    segment, and the texts read back are the extraction's (a CSV with a header, so
    the table header is read back for every later block)."""
    from dlp_proxy.detect import build_detector
    from dlp_proxy.gateway import filescan
    from dlp_proxy.gateway.filescan import SealedSegments

    previous, filescan._worker_detector = filescan._worker_detector, build_detector(None, ner=False)
    rows = "".join(f"row {i},quarterly,{'x' * 40}\n" for i in range(4000))
    data = ("client,ssn,notes\n" + rows + f"jane,{SSN},late\n" + rows).encode()
    plain, found = _job(data, "t.csv", Limits(), None)
    sealed = SealedSegments(SealedTexts(str(tmp_path)))
    try:
        kept, kept_found = _job(data, "t.csv", Limits(), None, None, sealed)
        assert len(plain.segments) > 3
        assert [s.location for s in plain.segments] == [s.location for s in kept.segments]
        assert all(s.text == "" for s in kept.segments)
        assert [sealed.texts.text(i) for i in range(len(kept.segments))] == [s.text for s in plain.segments]
        assert [[(f.entity_type, f.start, f.end) for f in fs] for fs in found] == [
            [(f.entity_type, f.start, f.end) for f in fs] for fs in kept_found]
        assert any(f.entity_type == "US_SSN" for fs in kept_found for f in fs)
    finally:
        sealed.texts.close()
        filescan._worker_detector = previous


def _upload_body(text: str, *fields: tuple[str, str]) -> bytes:
    return _multipart([*((n, None, v.encode(), "") for n, v in fields), ("files", "notes.txt", text.encode(), "")])


def _clean_lines(n_chars: int, marker: str = "") -> str:
    line = "quarterly notes for the desk, nothing sensitive here\n"
    body = line * (n_chars // len(line))
    middle = body.rfind("\n", 0, len(body) // 2) + 1  # (a line of its own)
    return body[:middle] + (f"{marker}\n" if marker else "") + body[middle:]


@pytest.fixture(scope="module")
def scanner() -> Iterator[FileScanner]:
    scanner = FileScanner(workers=1, ner=False)
    asyncio.run(scanner.start())
    yield scanner
    scanner.shutdown()


def test_a_spooled_upload_is_judged_in_its_worker_and_its_long_clean_texts_stay_there(
        scanner: FileScanner, tmp_path: Path) -> None:
    """A 1.5 MB spooled upload through a real worker: the file part comes back empty,
    the long segments without findings come back empty (their lengths said), the
    others whole; the texts the worker kept are the extraction's, sealed in the spool
    directory (no text in clear there) and deleted when the session ends."""
    text = _clean_lines(1_500_000, "zebra keepsake marker") + f"client SSN {SSN}\n"
    body = _upload_body(text, ("channel_id", "y7kk5cjibi194smnz58ymwypmh"))
    assert len(body) > SPOOL_MIN_BYTES
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir(mode=0o700)
    spooled = Spooled.write(str(spool_dir), body)
    route = match("POST", "/api/v4/files").route
    direct = work(text.encode(), "notes.txt", Limits())

    async def run() -> None:
        async with scanner.session(60) as session:
            decoded, ex = await session.extract_body(route, spooled, "", f"multipart/form-data; boundary={_BOUNDARY}",
                                                     "", 1 << 20, timeout=60, keep_files=True)
            assert decoded == b"" and [f.data for f in ex.files] == [b""] and session.kept == {"file[0]"}
            extraction, findings, left = await session.scan_kept("file[0]", "notes.txt", None, 60, whole_chars=256)
            assert [s.location for s in extraction.segments] == [s.location for s in direct.segments]
            assert left and all(not findings[i] and extraction.segments[i].text == "" for i in left)
            assert all(left[i] == len(direct.segments[i].text) > 4096 for i in left)
            assert all(extraction.segments[i].text == direct.segments[i].text
                       for i in range(len(direct.segments)) if i not in left)
            assert sum(len(direct.segments[i].text) for i in range(len(direct.segments)) if i not in left) <= 6 * 65536
            assert any(f.entity_type == "US_SSN" for fs in findings for f in fs)
            sealed = list(spool_dir.glob("*.texts"))
            assert len(sealed) == 1 and b"quarterly" not in sealed[0].read_bytes()
            texts = await session.kept_texts("file[0]", 60)
            assert texts == {i: direct.segments[i].text for i in left}
            assert any("zebra keepsake marker" in t for t in texts.values())
            terms = await session.kept_terms("file[0]", list(left)[:2], 60)
            assert set(terms) == set(list(left)[:2])
        await asyncio.sleep(0)

    try:
        asyncio.run(run())
        # the session's end deleted the sealed texts (its last job in that worker)
        asyncio.run(scanner.run(int, timeout=60))
        assert not list(spool_dir.glob("*.texts"))
    finally:
        spooled.remove()


def _post_file(gw: Gateway, user: str, channel: str, text: str, *, channel_id: str = "",
               **fields: str) -> httpx.Response:
    return httpx.post(f"{gw.url}/api/v4/files", params={"channel_id": channel_id or gw.sim.channel(channel)},
                      data=fields or None, files={"files": ("notes.txt", text.encode(), "text/plain")},
                      headers={"Authorization": f"Bearer {gw.sim.token(user)}"}, timeout=300)


@pytest.fixture(scope="module")
def gw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("upload-texts"))
    yield gw
    stop(gw.proc)


def test_a_held_upload_shows_its_reviewer_the_text_its_worker_kept(gw: Gateway) -> None:
    """An upload to a direct message with an SSN in its last line is held; the
    reviewer sees the whole extracted text, the clean middle of the file (which stayed
    in the worker until the hold) included."""
    text = _clean_lines(1_500_000, "zebra keepsake marker") + f"client SSN {SSN}\n"
    r = _post_file(gw, "alice", "dm_alice_bob", text)
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    env = {**os.environ, "DLP_DATA_DIR": str(gw.data_dir), "DLP_UPSTREAM": gw.sim.url,
           "DLP_NOTIFY_TOKEN": gw.sim.token("dlp-bot")}
    env.pop("DLP_REDIS_URL", None)

    def cli(*args: str) -> Any:
        out = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", *args, "--json"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    shown = cli("show", cli("list")[-1]["id"])
    whole = "".join(seg["text"] for part in shown["content"] for seg in part["segments"]
                    if part["path"].startswith("file[0]:"))
    assert "zebra keepsake marker" in whole
    assert whole.count("quarterly notes for the desk") == text.count("quarterly notes for the desk")
    assert SSN not in json.dumps(shown)  # masked


def test_context_words_in_the_text_a_worker_kept_label_a_field(gw: Gateway) -> None:
    """A form field with a bare nine-digit number passes; with "social security number"
    in the middle of the uploaded file (a segment that stays in the worker) it is read
    as an SSN and stopped (the worker reads the segment's context words)."""
    digits = SSN.replace("-", "")
    # a channel of its own: the shared simulator's town_square may carry an earlier
    # module's header ("Client SSN is ...", allowed by a scoped policy in
    # test_policy_gateway), whose words rightly label the bare number
    made = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token('carol')}"},
                      json={"team_id": gw.sim.ids["team"], "name": "kept-" + uuid.uuid4().hex[:10],
                            "display_name": "Kept texts", "type": "O"}, timeout=30)
    assert made.status_code == 201, made.text
    own = made.json()["id"]
    bare = _post_file(gw, "carol", "", _clean_lines(1_500_000, "see the attached"), channel_id=own, note=digits)
    # forwarded: Mattermost (the simulator) answers, refusing a form field it does not know
    assert not bare.json()["id"].startswith("api.dlp."), bare.text
    labelled = _post_file(gw, "carol", "", _clean_lines(1_500_000, "social security number"),
                          channel_id=own, note=digits)
    assert labelled.status_code == 403 and labelled.json()["id"].startswith("api.dlp."), labelled.text
    record = archive_records(gw.data_dir)[-1]
    assert any("cross-field-context" in f.get("transforms", []) for f in record["findings"]), record["findings"]


def _iter_decoded_reference(data: bytes, chunk_bytes: int) -> str:
    """``iter_decoded`` as it was: the first 4 MiB checked as UTF-8 in one copy."""
    import codecs

    from dlp_proxy.files.text import detect_encoding

    found = detect_encoding(data[:65536], whole=len(data) <= 65536)
    if found is None:
        return ""
    enc, bom = found
    if enc == "utf-8":
        try:
            probe = data[bom : bom + (4 << 20)]
            codecs.getincrementaldecoder("utf-8")().decode(probe, final=len(probe) == len(data) - bom)
        except UnicodeDecodeError:
            enc = "cp1252"
    if enc == "cp1252" and any(b in data for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")):
        enc = "latin-1"
    decoder = codecs.getincrementaldecoder(enc)(errors="replace")
    out = [decoder.decode(data[pos : pos + chunk_bytes], final=False) for pos in range(bom, len(data), chunk_bytes)]
    return "".join(out) + decoder.decode(b"", final=True)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.one_of(st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")),
                                 st.binary(max_size=6), st.sampled_from([b"\xef\xbb\xbf", b"\xe2\x82", b"\xac"])),
                       max_size=12),
       chunk_bytes=st.integers(1, 16))
def test_property_text_is_decoded_as_before_with_the_utf8_check_a_chunk_at_a_time(
        pieces: list[bytes], chunk_bytes: int) -> None:
    """The UTF-8 check of ``iter_decoded`` reads the file a chunk at a time, not as a
    4 MiB copy: the text it gives is the same, whatever the chunk size."""
    from dlp_proxy.files.text import iter_decoded

    data = b"".join(pieces)
    assert "".join(iter_decoded(data, chunk_bytes)) == _iter_decoded_reference(data, chunk_bytes)


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the gateway, its workers, its Redis)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
        out.append(p)
    return out


def _status(pid: int, field: str) -> int:
    """``VmRSS`` or ``VmHWM`` (the peak RSS) of ``pid`` in bytes, from /proc (0 once
    it has ended)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


#: the bound on the peak growth per byte of a large upload, of the process tree and of
#: its largest process (exact, ``VmHWM``; the processes' exact peaks summed would
#: overcount the tree: they need not peak at once).  A process that held the body and
#: the file (or the file and its text) at once would be at 2x or more.  Measured here
#: (exact, 16 MiB text file, three runs): the worker of a multipart upload peaks at
#: 1.43-1.59x (the file, the 1 MiB decoding and sealing buffers of its extraction, 0.2x
#: by tracemalloc, and what the C allocator keeps beside them), the worker that
#: assembles and judges a resumable upload at 1.57-1.77x.  The 20 ms RSS sampler reads
#: lower when it misses the peak.
PEAK_PER_BYTE = 1.9


def _assert_peak_below_two_copies(gw: Gateway, send: Callable[[], httpx.Response], size: int,
                                   ok: tuple[int, ...]) -> None:
    """Twice, per byte of the ``size``-byte upload that ``send()`` makes: the growth of
    the gateway's process tree (its RSS summed, /proc every 20 ms: the processes'
    peaks at one moment, as far as the sampler sees them), and the largest growth of
    one process of it (its exact peak RSS, ``VmHWM`` reset through ``clear_refs``
    before, less its RSS before); both at most ``PEAK_PER_BYTE``."""
    import threading
    import time

    growth = []
    for _ in range(2):
        time.sleep(1.0)  # the previous upload's worker settles
        procs = _tree(gw.proc.pid)
        before = {}
        for p in procs:
            Path(f"/proc/{p}/clear_refs").write_text("5")  # VmHWM := VmRSS
            before[p] = _status(p, "VmRSS")
        peak, done = [0], threading.Event()

        def sample(peak: list[int] = peak, done: threading.Event = done) -> None:
            while not done.is_set():
                peak[0] = max(peak[0], sum(_status(p, "VmRSS") for p in procs))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            r = send()
        finally:
            done.set()
            sampler.join()
        assert r.status_code in ok, r.text
        assert _tree(gw.proc.pid) == procs, "a process of the tree ended or started during the upload"
        one = max(_status(p, "VmHWM") - before[p] for p in procs)
        growth.append(((peak[0] - sum(before.values())) / size, one / size))
    print(f"(process tree, largest process) peak RSS growth per upload byte: {growth}")
    assert max(g for pair in growth for g in pair) <= PEAK_PER_BYTE, f"grew {growth} x the upload"


def test_a_large_upload_keeps_the_process_trees_peak_below_two_copies_of_the_file(gw: Gateway) -> None:
    """16 MiB uploads through the real gateway, one at a time: the peak RSS of the
    gateway and its workers together grows by less than two copies of the file
    (``PEAK_PER_BYTE``: the worker holds the body, then the file, its text sealed on
    disk; the gateway none of it).  Two smaller uploads first, so both workers are
    past their first job."""
    data = "quarterly notes, nothing sensitive here\n" * (16 * 2**20 // 40)
    for _ in range(2):
        assert _post_file(gw, "carol", "town_square", data[: 4 * 2**20]).status_code == 201
    _assert_peak_below_two_copies(gw, lambda: _post_file(gw, "carol", "town_square", data), len(data), (201,))


def test_a_text_that_cannot_be_sealed_fails_the_job_not_the_file(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk while the text is sealed is raised by the job (the request fails
    closed), not taken by the extractors for a corrupt file judged on what was read."""
    import errno

    from dlp_proxy.gateway.filescan import SealedSegments

    texts = SealedTexts(str(tmp_path))
    calls = []

    def full(text: str) -> int:
        calls.append(text)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(texts, "add", full)
    data = ("quarterly notes\n" * 20_000).encode()
    try:
        with pytest.raises(OSError, match="No space left"):
            _job(data, "notes.txt", Limits(), None, None, SealedSegments(texts))
        assert calls
    finally:
        texts.close()


def _resumable(gw: Gateway, data: str, chunk: int) -> httpx.Response:
    """``data`` as a resumable upload (api4/upload.go) in raw ``chunk``-byte chunks; the
    last chunk's answer (every earlier one must be 204)."""
    raw = data.encode()
    with gw.client("carol") as c:
        c.timeout = 300
        r = c.post("/api/v4/uploads", json={"channel_id": gw.sim.channel("town_square"), "filename": "notes.txt",
                                            "file_size": len(raw)})
        assert r.status_code == 201, r.text
        uid = r.json()["id"]
        for at in range(0, len(raw), chunk):
            r = c.post(f"/api/v4/uploads/{uid}", content=raw[at : at + chunk],
                       headers={"Content-Type": "application/octet-stream"})
            if at + chunk < len(raw):
                assert r.status_code == 204, r.text
    return r


def test_a_large_resumable_upload_keeps_the_process_trees_peak_below_two_copies_of_the_file(
        gw: Gateway) -> None:
    """A 16 MiB file as a resumable upload in two 8 MiB chunks, one upload at a time:
    each chunk is spooled as it arrives and stored by the worker that reads it, the
    whole file is assembled and judged in that worker, so the peak RSS of the gateway
    and its workers together grows by less than two copies of the file
    (``PEAK_PER_BYTE``; before: the gateway held each chunk, its copy from the worker,
    and the assembled file twice)."""
    data = "quarterly notes, nothing sensitive here\n" * (16 * 2**20 // 40)
    for _ in range(2):  # both workers past their first job
        assert _resumable(gw, data[: 4 * 2**20], 2 * 2**20).status_code in (200, 201)
    _assert_peak_below_two_copies(gw, lambda: _resumable(gw, data, 8 * 2**20), len(data), (200, 201))
