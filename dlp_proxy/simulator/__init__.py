"""A Mattermost v4 API simulator for the demo and the tests.

It answers the content-carrying routes with the official response shapes, keeps
its state in memory, and records every request that reached it (see
docs/simulator.md).
"""

from __future__ import annotations

from dlp_proxy.simulator.app import create_app, decode_body
from dlp_proxy.simulator.server import SimulatorServer, ThreadedServer, serve
from dlp_proxy.simulator.state import SEED_USERS, SERVER_VERSION, Fault, SimError, Simulator

__all__ = [
    "SEED_USERS",
    "SERVER_VERSION",
    "Fault",
    "SimError",
    "Simulator",
    "SimulatorServer",
    "ThreadedServer",
    "create_app",
    "decode_body",
    "serve",
]
