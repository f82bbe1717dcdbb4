"""Run ``dlp-proxy`` on uvloop (the benchmark's event-loop comparison).

    python bench/uvloop_run.py run --upstream ... [every dlp-proxy argument]

``asyncio.run`` takes its loop from the policy, so setting uvloop's policy first is
enough; nothing else in the gateway changes.
"""

from __future__ import annotations

import asyncio
import os
import sys

import uvloop

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())

from dlp_proxy.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
