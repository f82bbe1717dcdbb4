"""Merkle tree hashing, inclusion and consistency proofs (RFC 6962 / RFC 9162 section 2.1).

Leaves are hashed as ``SHA-256(0x00 || data)`` and interior nodes as
``SHA-256(0x01 || left || right)``: the distinct prefixes make a leaf impossible
to pass off as a node (second-preimage resistance of the tree).  The tree over
``n`` leaves splits at the largest power of two smaller than ``n``.

Everything here is pure: bytes in, bytes out.  ``verify_inclusion`` and
``verify_consistency`` are the offline checks a third party runs with nothing
but a proof and a signed checkpoint.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than n (n >= 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf *hashes* (iterative, O(n))."""
    if not leaves:
        return EMPTY_ROOT
    rng = CompactRange()
    for lh in leaves:
        rng.append(lh)
    return rng.root()


class CompactRange:
    """The right frontier of a growing tree: one root per perfect subtree, largest first.

    Appending a leaf is O(log n); ``root()`` folds the frontier right-to-left, which
    equals MTH of the whole tree because RFC 6962 splits at powers of two.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError(
                f"a frontier for {size} leaves has {bin(size).count('1')} hashes, got {len(hashes)}"
            )
        self.size = size
        self.hashes: list[bytes] = list(hashes)

    def copy(self) -> CompactRange:
        return CompactRange(self.size, self.hashes)

    def append(self, lh: bytes) -> None:
        h = lh
        n = self.size
        while n & 1:
            h = node_hash(self.hashes.pop(), h)
            n >>= 1
        self.hashes.append(h)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        h = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            h = node_hash(left, h)
        return h


def _subtree_roots(leaves: Sequence[bytes], lo: int, hi: int, memo: dict[tuple[int, int], bytes]) -> bytes:
    key = (lo, hi)
    got = memo.get(key)
    if got is not None:
        return got
    n = hi - lo
    if n == 1:
        out = leaves[lo]
    else:
        k = _split(n)
        out = node_hash(_subtree_roots(leaves, lo, lo + k, memo), _subtree_roots(leaves, lo + k, hi, memo))
    memo[key] = out
    return out


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """PATH(m, D[n]) (RFC 6962 2.1.1) for leaf ``index`` in the tree of the first ``size`` leaves."""
    n = len(leaves) if size is None else size
    if not 0 <= index < n <= len(leaves):
        raise ValueError(f"leaf index {index} is not in a tree of size {n}")
    memo: dict[tuple[int, int], bytes] = {}
    path: list[bytes] = []
    lo, hi, m = 0, n, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            path.append(_subtree_roots(leaves, lo + k, hi, memo))
            hi = lo + k
        else:
            path.append(_subtree_roots(leaves, lo, lo + k, memo))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def verify_inclusion(lh: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = lh
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def consistency_proof(leaves: Sequence[bytes], old: int, new: int | None = None) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 6962 2.1.2)."""
    n = len(leaves) if new is None else new
    if not 0 < old <= n <= len(leaves):
        raise ValueError(f"no consistency proof from size {old} to size {n}")
    memo: dict[tuple[int, int], bytes] = {}

    def subproof(m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        size = hi - lo
        if m == size:
            return [] if whole else [_subtree_roots(leaves, lo, hi, memo)]
        k = _split(size)
        if m <= k:
            return [*subproof(m, lo, lo + k, whole), _subtree_roots(leaves, lo + k, hi, memo)]
        return [*subproof(m - k, lo + k, hi, False), _subtree_roots(leaves, lo, lo + k, memo)]

    return subproof(old, 0, n, True)


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2."""
    if not 0 < old <= new:
        return False
    if old == new:
        return not proof and old_root == new_root
    path = list(proof)
    if old & (old - 1) == 0:  # exact power of two: old root is the first node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while True:
                    fn >>= 1
                    sn >>= 1
                    if fn & 1 or fn == 0:
                        break
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
