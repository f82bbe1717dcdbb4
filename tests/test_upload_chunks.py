"""Resumable-upload chunks (``POST /api/v4/uploads/{id}``) through the real gateway and
the simulator: a large chunk is spooled as it arrives like any file body, stored in the
upload store by the file worker that read it, and the whole file is assembled and
judged in that worker (docs/files.md, "Resumable uploads"); the gateway forwards each
chunk from its spool byte for byte.  Read as api4/upload.go doUploadData reads a chunk:
the raw body, or the first part of a multipart body."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway, Simulator, start_gateway, stop

_LINE = b"quarterly notes, nothing sensitive here\n"


@pytest.fixture(scope="module")
def gw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("chunks"), "--file-deadline", "60",
                       env={"DLP_MAX_INFLIGHT_BYTES": str(64 * 2**20)})
    yield gw
    stop(gw.proc)


def _channel(gw: Gateway) -> str:
    """A channel of its own: the split window of other tests' channels stays out of it."""
    r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token('carol')}"},
                   json={"team_id": gw.sim.ids["team"], "name": "ch-" + os.urandom(4).hex(), "display_name": "Chunks",
                         "type": "O"}, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _session(c: httpx.Client, channel: str, size: int) -> str:
    r = c.post("/api/v4/uploads", json={"channel_id": channel, "filename": "notes.txt", "file_size": size})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _chunk_bodies(gw: Gateway, uid: str) -> list[bytes]:
    """The bodies of the chunk requests that reached Mattermost (not the gateway's reads)."""
    return [base64.b64decode(r["body_b64"]) for r in gw.sim.requests()
            if r["path"] == f"/api/v4/uploads/{uid}" and r["method"] == "POST"]


def _leftovers(gw: Gateway) -> list[Path]:
    """Spool, upload-store and sealed-text files still there once they are all deleted,
    or after 30 s: a worker deletes its sealed texts in a job of its own after the
    request is answered (``ScanSession``'s end), so the answer may come first."""
    import time

    deadline = time.monotonic() + 30
    while True:
        left = [p for p in gw.data_dir.rglob("*") if p.suffix in (".spool", ".chunks", ".texts")]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def _pieces(data: bytes) -> Iterator[bytes]:
    """A body without a Content-Length (Transfer-Encoding: chunked)."""
    for i in range(0, len(data), 100_000):
        yield data[i : i + 100_000]


def _send(c: httpx.Client, uid: str, chunk: bytes, how: str) -> httpx.Response:
    if how == "raw":
        return c.post(f"/api/v4/uploads/{uid}", content=chunk, headers={"Content-Type": "application/octet-stream"})
    if how == "chunked":
        return c.post(f"/api/v4/uploads/{uid}", content=_pieces(chunk),
                      headers={"Content-Type": "application/octet-stream"})
    assert how == "multipart"
    return c.post(f"/api/v4/uploads/{uid}", files={"data": ("notes.txt", chunk, "text/plain")})


def test_a_large_chunked_upload_is_spooled_stored_judged_and_forwarded_byte_for_byte(gw: Gateway) -> None:
    """A 4.5 MB file in three chunks (raw with a Content-Length, multipart, raw
    without one), each over the spooling threshold: 204, 204, then the file's info;
    Mattermost got each chunk request's body exactly as sent and stores the file;
    no spool, upload-store or sealed-text file is left."""
    data = (_LINE * (4_500_000 // len(_LINE) + 1))[:4_500_000]
    cuts = [0, 1_500_000, 3_000_000, len(data)]
    with gw.client("carol") as c:
        c.timeout = 120
        uid = _session(c, _channel(gw), len(data))
        gw.sim.clear()
        answers = [_send(c, uid, data[a:b], how)
                   for (a, b), how in zip(zip(cuts, cuts[1:]), ("raw", "multipart", "chunked"), strict=True)]
        assert [r.status_code for r in answers[:2]] == [204, 204], [r.text for r in answers]
        assert answers[2].status_code in (200, 201), answers[2].text
        info = answers[2].json()
        assert info["size"] == len(data)
        sent = _chunk_bodies(gw, uid)
        assert sent[0] == data[: cuts[1]] and sent[2] == data[cuts[2] :]
        assert data[cuts[1] : cuts[2]] in sent[1] and sent[1].startswith(b"--")  # the multipart body as sent
        stored = c.get(f"/api/v4/files/{info['id']}")
        assert stored.status_code == 200 and stored.content == data
    assert _leftovers(gw) == []


@pytest.mark.parametrize("how", ["raw", "multipart", "chunked"])
def test_an_identifier_split_across_large_chunks_deep_in_the_file_stops_the_last_chunk(gw: Gateway, how: str) -> None:
    """An SSN 2.9 MB into a 4 MB file, cut between the second and the last chunk
    (each read by a worker from its spool, the file assembled and judged there): the
    last chunk is stopped and never reaches Mattermost; its kept chunks are deleted."""
    digits = f"employee ssn {SSN}\n".encode()
    head = (_LINE * (2_900_000 // len(_LINE) + 1))[:2_900_000]
    data = head + digits + (_LINE * (1_100_000 // len(_LINE)))
    cut = len(head) + digits.index(b"-") + 2  # inside the identifier
    with gw.client("carol") as c:
        c.timeout = 120
        uid = _session(c, _channel(gw), len(data))
        gw.sim.clear()
        assert _send(c, uid, data[:1_400_000], how).status_code == 204
        assert _send(c, uid, data[1_400_000:cut], how).status_code == 204
        last = _send(c, uid, data[cut:], how)
        assert last.status_code == 403 and last.json()["id"].startswith("api.dlp."), last.text
        assert len(_chunk_bodies(gw, uid)) == 2  # the last chunk never left
    assert _leftovers(gw) == []


def test_a_small_last_chunk_completing_a_large_file_is_judged_in_a_worker(gw: Gateway) -> None:
    """A last chunk of a few bytes (read inline, never spooled) completes a 3 MB file
    whose identifier came in the spooled first chunk: the file is assembled and judged
    in a worker all the same, and the last chunk is stopped."""
    data = _LINE * 40_000 + f"client SSN {SSN}\n".encode() + _LINE * 20_000
    with gw.client("carol") as c:
        c.timeout = 120
        uid = _session(c, _channel(gw), len(data))
        gw.sim.clear()
        assert _send(c, uid, data[:-10], "raw").status_code == 204
        last = _send(c, uid, data[-10:], "raw")
        assert last.status_code == 403, last.text
        assert [len(b) for b in _chunk_bodies(gw, uid)] == [len(data) - 10]
    assert _leftovers(gw) == []


def test_a_chunk_past_the_file_size_is_judged_as_mattermost_reads_it(gw: Gateway) -> None:
    """A multipart last chunk longer than what is left: Mattermost reads only up to
    file_size (app/upload.go UploadData's LimitedReader), so an SSN after that point
    is never stored and the file is not stopped for it; one inside it is."""
    size = 1_500_000
    data = (_LINE * (size // len(_LINE) + 1))[:size]
    tail = f"\nclient SSN {SSN}\n".encode()
    results: dict[str, Any] = {}
    with gw.client("carol") as c:
        c.timeout = 120
        for name, last in (("past", data[1_000_000:] + tail), ("inside", data[1_000_000 : size - len(tail)] + tail)):
            uid = _session(c, _channel(gw), size)
            assert _send(c, uid, data[:1_000_000], "multipart").status_code == 204
            results[name] = _send(c, uid, last, "multipart")
    assert results["past"].status_code in (200, 201), results["past"].text
    assert results["inside"].status_code == 403, results["inside"].text
    assert _leftovers(gw) == []
