"""Inclusion and consistency proofs as self-contained JSON documents.

A proof carries the record (or two checkpoints), the Merkle audit path and the
signed checkpoint; ``check_proof`` needs nothing else but the archive's Ed25519
public key, so an examiner can check it offline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlp_proxy.archive.format import ORIGIN_PREFIX, Checkpoint, canonical, checkpoint_signature_ok
from dlp_proxy.archive.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from dlp_proxy.archive.verify import WorkerLog

PROOF_VERSION = 1


class ProofError(Exception):
    pass


def make_inclusion_proof(wl: WorkerLog, record: Mapping[str, Any], public_key: bytes) -> dict[str, Any]:
    index = int(record["seq"])
    cps = [c for c in wl.checkpoints if c.size > index]
    if not cps:
        raise ProofError(f"record {record['record_id']} is not covered by a signed checkpoint yet")
    cp = cps[-1]
    return {
        "version": PROOF_VERSION,
        "kind": "inclusion",
        "worker": wl.worker,
        "record": dict(record),
        "leaf_index": index,
        "tree_size": cp.size,
        "leaf_hash": wl.leaves[index].hex(),
        "path": [h.hex() for h in inclusion_proof(wl.leaves, index, cp.size)],
        "checkpoint": cp.line,
        "public_key": public_key.hex(),
    }


def make_consistency_proof(
    wl: WorkerLog, old: Checkpoint, new: Checkpoint, public_key: bytes
) -> dict[str, Any]:
    return {
        "version": PROOF_VERSION,
        "kind": "consistency",
        "worker": wl.worker,
        "old_checkpoint": old.line,
        "new_checkpoint": new.line,
        "path": [h.hex() for h in consistency_proof(wl.leaves, old.size, new.size)],
        "public_key": public_key.hex(),
    }


def _cp(line: Any, public_key: bytes, worker: str, what: str) -> Checkpoint:
    if not isinstance(line, Mapping) or not checkpoint_signature_ok(public_key, dict(line)):
        raise ProofError(f"{what}: signature does not verify with the given public key (altered or forged)")
    cp = Checkpoint.from_line(dict(line))
    if cp.origin != ORIGIN_PREFIX + worker:
        raise ProofError(f"{what}: origin {cp.origin!r} is not the log of worker {worker!r}")
    return cp


def check_proof(proof: Mapping[str, Any], public_key: bytes) -> str:
    """Return a one-line description of what was proven; raise ProofError otherwise."""
    try:
        kind = proof["kind"]
        worker = str(proof["worker"])
        path = [bytes.fromhex(h) for h in proof["path"]]
        if kind == "inclusion":
            cp = _cp(proof["checkpoint"], public_key, worker, "checkpoint")
            record = proof["record"]
            index = int(proof["leaf_index"])
            if record.get("seq") != index or int(proof["tree_size"]) != cp.size:
                raise ProofError("proof fields disagree with the record or the checkpoint")
            lh = leaf_hash(canonical(record))
            if lh.hex() != proof.get("leaf_hash", lh.hex()):
                raise ProofError("the record does not hash to the proof's leaf hash (record altered)")
            if not verify_inclusion(lh, index, cp.size, path, cp.root):
                raise ProofError("the audit path does not lead to the signed root (proof or record altered)")
            return (
                f"record {record.get('record_id')} is leaf {index} of {worker}'s log, "
                f"included in the signed checkpoint of size {cp.size} ({cp.time})"
            )
        if kind == "consistency":
            old = _cp(proof["old_checkpoint"], public_key, worker, "old checkpoint")
            new = _cp(proof["new_checkpoint"], public_key, worker, "new checkpoint")
            if not verify_consistency(old.size, new.size, old.root, new.root, path):
                raise ProofError("the consistency proof does not verify: the log did not only grow")
            return f"{worker}'s log of size {new.size} ({new.time}) extends the one of size {old.size} ({old.time})"
    except ProofError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProofError(f"malformed proof: {type(exc).__name__}: {exc}") from exc
    raise ProofError(f"unknown proof kind {proof.get('kind')!r}")
