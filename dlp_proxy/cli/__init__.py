"""The ``dlp-proxy`` command.

The command-line faces form the top floor of the package: each module of
``dlp_proxy.cli`` registers the subcommands of one part of the product and may
import anything below it, while detect, policy, archive, quarantine and files
import no CLI and no gateway (tests/test_layers.py holds this).  A module listed in
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
    "dlp_proxy.cli.run",  # run
    "dlp_proxy.cli.simulate",  # simulate
    "dlp_proxy.cli.detect",  # scan, eval
    "dlp_proxy.cli.policy",  # policy check|test|replay
    "dlp_proxy.cli.archive",  # archive verify|prove|consistency|export
    "dlp_proxy.cli.quarantine",  # quarantine list|show|approve|reject|purge, review
    "dlp_proxy.cli.config",  # config check|docs
)

#: which module registers a command, so running one command imports only its
#: module (the detection engine's import of Presidio and spaCy takes a second)
COMMAND_OWNERS: dict[str, str] = {
    "run": "dlp_proxy.cli.run",
    "simulate": "dlp_proxy.cli.simulate",
    "scan": "dlp_proxy.cli.detect",
    "eval": "dlp_proxy.cli.detect",
    "policy": "dlp_proxy.cli.policy",
    "archive": "dlp_proxy.cli.archive",
    "quarantine": "dlp_proxy.cli.quarantine",
    "review": "dlp_proxy.cli.quarantine",
    "review-hash-password": "dlp_proxy.cli.quarantine",
    "config": "dlp_proxy.cli.config",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlp-proxy",
        description="Data-loss-prevention gateway for Mattermost.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    owner = COMMAND_OWNERS.get(command or "")
    for name in (owner,) if owner else COMMAND_MODULES:
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
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    from dlp_proxy.settings import SettingsError

    try:
        return int(func(args) or 0)
    except SettingsError as exc:
        # a bad DLP_* value or flag: one line naming it, never a traceback
        print(f"dlp-proxy {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
