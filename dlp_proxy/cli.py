"""The ``dlp-proxy`` command.

Each part of the product registers its own subcommands: a module listed in
``COMMAND_MODULES`` exposes ``register(subparsers)`` which adds parsers whose
``func`` attribute is called with the parsed namespace and returns an exit code.
Keeping the list explicit makes a new command visible in a diff.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES: tuple[str, ...] = (
    "dlp_proxy.gateway.cli",  # run
    "dlp_proxy.simulator.cli",  # simulate
    "dlp_proxy.detect.cli",  # scan, eval
    "dlp_proxy.policy.cli",  # policy check|test|replay
    "dlp_proxy.archive.cli",  # archive verify|prove|consistency|export
    "dlp_proxy.quarantine.cli",  # quarantine list|show|approve|reject|purge, review
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlp-proxy",
        description="Data-loss-prevention gateway for Mattermost.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # Only tolerate the command module itself being absent (a part not yet
            # built); a missing dependency inside it is a real error.
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
