"""Second copies of the archive: a local replica directory and S3 with Object Lock.

The writer ships every *sealed* segment (byte-identical, read-only) and, every few
seconds and at close, its latest signed checkpoint.  A replica is also an anchor
for ``verify``: the local log must still contain every checkpoint the replica
holds, which catches a truncation no file-local check can see (an attacker who
cuts the tail of the active segment, checkpoints included).

S3 Object Lock in COMPLIANCE mode means nobody, root account included, can delete
or overwrite an object version before its retain-until date; a legal hold blocks
deletion without a date.  The bucket must be created with Object Lock enabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dlp_proxy.archive.format import canonical
from dlp_proxy.archive.log import copy_tree_readonly


class LocalReplica:
    """A directory on another disk or mount: sealed segments + checkpoint history."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.name = f"replica:{self.directory}"
        self.directory.mkdir(parents=True, exist_ok=True)

    def put_segment(self, worker: str, number: int, path: Path) -> None:
        dst = self.directory / path.name
        if dst.exists():
            if dst.read_bytes() != path.read_bytes():
                raise RuntimeError(f"replica already holds a different {path.name}")
            return
        copy_tree_readonly(path, dst)

    def put_checkpoint(self, worker: str, line: Mapping[str, Any]) -> None:
        with open(self.directory / f"checkpoints-{worker}.jsonl", "ab") as f:
            f.write(canonical(dict(line)) + b"\n")
            f.flush()
            os.fsync(f.fileno())

    def checkpoints(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for p in sorted(self.directory.glob("checkpoints-*.jsonl")):
            for n, raw in enumerate(p.read_bytes().splitlines(), start=1):
                if raw.strip():
                    yield f"{p} line {n}", json.loads(raw)

    def segment_copies(self) -> Iterator[Path]:
        yield from sorted(self.directory.glob("log-*.jsonl"))


class S3ObjectLock:
    """Sealed segments and checkpoints as Object Lock'ed S3 objects (boto3).

    ``mode`` COMPLIANCE (default) or GOVERNANCE; ``retention_days`` from the upload
    (SEC 17a-4: 6 years for most broker-dealer records; 3 years for communications);
    ``legal_hold`` puts every object under legal hold too.
    """

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "dlp-archive/",
        retention_days: int = 6 * 366,
        mode: str = "COMPLIANCE",
        legal_hold: bool = False,
        client: Any = None,
        **client_kwargs: Any,
    ) -> None:
        if mode not in ("COMPLIANCE", "GOVERNANCE"):
            raise ValueError("S3 Object Lock mode must be COMPLIANCE or GOVERNANCE")
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        if client is None:
            import boto3

            client = boto3.client("s3", **client_kwargs)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.retention_days = retention_days
        self.mode = mode
        self.legal_hold = legal_hold
        self.name = f"s3://{bucket}/{prefix}"

    def check_bucket(self) -> None:
        """Raise unless the bucket has Object Lock enabled (writing unlocked copies would be worse than none)."""
        conf = self.client.get_object_lock_configuration(Bucket=self.bucket)
        if conf.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            raise RuntimeError(f"bucket {self.bucket} does not have Object Lock enabled")

    def _put(self, key: str, body: bytes, meta: dict[str, str]) -> None:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(days=self.retention_days)
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ChecksumAlgorithm="SHA256",
            ObjectLockMode=self.mode,
            ObjectLockRetainUntilDate=until,
            ObjectLockLegalHoldStatus="ON" if self.legal_hold else "OFF",
            Metadata={"sha256": hashlib.sha256(body).hexdigest(), **meta},
        )

    def put_segment(self, worker: str, number: int, path: Path) -> None:
        self._put(
            f"{self.prefix}segments/{path.name}",
            path.read_bytes(),
            {"worker": worker, "segment": str(number)},
        )

    def put_checkpoint(self, worker: str, line: Mapping[str, Any]) -> None:
        size = int(line["cp"]["size"])
        self._put(
            f"{self.prefix}checkpoints/{worker}/{size:016d}.json", canonical(dict(line)), {"worker": worker}
        )

    def _keys(self, sub: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + sub):
            for obj in page.get("Contents", []):
                yield str(obj["Key"])

    def checkpoints(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for key in self._keys("checkpoints/"):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            yield f"s3://{self.bucket}/{key}", json.loads(body)

    def segment_names(self) -> list[str]:
        return [k.rsplit("/", 1)[-1] for k in self._keys("segments/")]

    def get_segment(self, name: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=f"{self.prefix}segments/{name}")[
            "Body"
        ].read()
        return body
