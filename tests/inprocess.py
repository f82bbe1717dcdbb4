"""The pipeline judged in process: a real detector and policy, an archive that keeps its
records in a list, no Redis, no upstream (for tests of what is read and decided)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from dlp_proxy.gateway.pipeline import GatewayConfig, GatewayRequest, Pipeline, Verdict
from dlp_proxy.policy.testing import policy_from


class ListArchive:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def append(self, record: dict[str, Any]) -> str:
        self.records.append(record)
        return f"r{len(self.records)}"


def judge(detector: Any, body: Any, *, policy_text: str, path: str = "/api/v4/posts") -> tuple[Verdict, list[dict[str, Any]]]:
    """``body`` (JSON) POSTed to ``path``, judged by ``Pipeline.handle``: the verdict and
    the archive's records."""
    return judge_bytes(detector, json.dumps(body).encode(), "application/json", policy_text=policy_text, path=path)


def judge_bytes(detector: Any, body: bytes, content_type: str, *, policy_text: str,
                path: str = "/api/v4/posts") -> tuple[Verdict, list[dict[str, Any]]]:
    """``judge`` of a body as sent, with its Content-Type."""
    policy = policy_from(policy_text)
    archive = ListArchive()
    pipeline = Pipeline(detector=detector, policy=lambda: policy, archive=archive, context=None,  # type: ignore[arg-type]
                        quarantine=None, hash_key=b"k" * 32, config=GatewayConfig())
    req = GatewayRequest("POST", path, {"content-type": content_type}, body)
    return asyncio.run(pipeline.handle(req)), archive.records
