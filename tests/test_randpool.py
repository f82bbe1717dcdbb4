"""The buffered CSPRNG: right sizes, no repeats across threads or a fork."""

from __future__ import annotations

import os
import threading

from dlp_proxy.randpool import random_bytes, random_hex


def test_sizes_and_hex() -> None:
    assert random_bytes(0) == b""
    assert len(random_bytes(12)) == 12
    assert len(random_bytes(5000)) == 5000  # large requests go straight to os.urandom
    h = random_hex(13)
    assert len(h) == 26 and int(h, 16) >= 0


def test_no_repeats_across_block_boundaries_and_threads() -> None:
    seen: list[bytes] = []
    lock = threading.Lock()

    def draw() -> None:
        mine = [random_bytes(12) for _ in range(2000)]  # several 4 KiB blocks
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8000 and len(set(seen)) == 8000


def test_a_forked_child_does_not_reuse_the_parents_buffer() -> None:
    random_bytes(12)  # the parent has a partly used buffer now
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its next values
        os.close(r)
        os.write(w, b"".join(random_bytes(12) for _ in range(8)))
        os._exit(0)
    os.close(w)
    child = b""
    while chunk := os.read(r, 4096):
        child += chunk
    os.close(r)
    os.waitpid(pid, 0)
    parent = b"".join(random_bytes(12) for _ in range(8))
    assert len(child) == 96
    assert {child[i:i + 12] for i in range(0, 96, 12)}.isdisjoint({parent[i:i + 12] for i in range(0, 96, 12)})
