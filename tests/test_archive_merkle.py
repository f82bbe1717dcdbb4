from __future__ import annotations

import hashlib
import random

import pytest

from dlp_proxy.archive.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 2.1 definition, recursively, as the reference."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def test_prefixes_distinguish_leaves_from_nodes() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    # A leaf whose data is the concatenation of two hashes is not the node over them.
    assert leaf_hash(a + b) != node_hash(a, b)
    assert root_of([]) == EMPTY_ROOT


# RFC 6962 / certificate-transparency test vector: roots of the reference tree over these 8 leaves.
RFC_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
RFC_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("n", range(1, 9))
def test_rfc6962_reference_roots(n: int) -> None:
    assert root_of([leaf_hash(d) for d in RFC_LEAVES[:n]]).hex() == RFC_ROOTS[n - 1]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 100])
def test_compact_range_and_proofs(n: int) -> None:
    ls = leaves(n)
    rng = CompactRange()
    for i, lh in enumerate(ls):
        rng.append(lh)
        assert rng.root() == mth(ls[: i + 1])
    root = mth(ls)
    for i in range(n):
        path = inclusion_proof(ls, i)
        assert verify_inclusion(ls[i], i, n, path, root)
        assert not verify_inclusion(ls[i], (i + 1) % n, n, path, root) or n == 1
        assert not verify_inclusion(leaf_hash(b"other"), i, n, path, root)
    for m in range(1, n + 1):
        proof = consistency_proof(ls, m)
        assert verify_consistency(m, n, mth(ls[:m]), root, proof)
        assert not verify_consistency(m, n, leaf_hash(b"forged"), root, proof)


def test_corrupted_proofs_are_rejected() -> None:
    rnd = random.Random(7)
    ls = leaves(57)
    root = mth(ls)
    for _ in range(200):
        i = rnd.randrange(57)
        path = inclusion_proof(ls, i)
        j = rnd.randrange(len(path))
        bad = list(path)
        b = bytearray(bad[j])
        b[rnd.randrange(32)] ^= 1 << rnd.randrange(8)
        bad[j] = bytes(b)
        assert not verify_inclusion(ls[i], i, 57, bad, root)
        assert not verify_inclusion(ls[i], i, 57, path[:-1], root)
        assert not verify_inclusion(ls[i], i, 57, [*path, path[0]], root)
        m = rnd.randrange(1, 57)
        cproof = consistency_proof(ls, m)
        if cproof:
            k = rnd.randrange(len(cproof))
            c = list(cproof)
            cb = bytearray(c[k])
            cb[0] ^= 0x80
            c[k] = bytes(cb)
            assert not verify_consistency(m, 57, mth(ls[:m]), root, c)
        # A log that was rewritten (not only grown) has no valid proof.
        rewritten = list(ls)
        rewritten[rnd.randrange(m)] = leaf_hash(b"rewritten")
        assert not verify_consistency(m, 57, mth(ls[:m]), mth(rewritten), consistency_proof(rewritten, m))
