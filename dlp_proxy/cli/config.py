"""``dlp-proxy config check|docs``: the settings as every command reads them."""

from __future__ import annotations

import argparse
import json
from typing import Any

from dlp_proxy.settings import Settings, docs_table, env_name, load_settings


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the environment; print the effective settings (secrets hidden)."""
    cfg = load_settings()
    shown = {env_name(k): _show(v) for k, v in cfg.model_dump().items()}
    if args.json:
        print(json.dumps(shown, indent=2, sort_keys=True))
    else:
        width = max(map(len, shown))
        for k, v in shown.items():
            print(f"{k:<{width}}  {v}")
    return 0


def _show(value: Any) -> Any:
    from pathlib import Path

    from pydantic import SecretStr

    if isinstance(value, SecretStr):
        return "**********" if value.get_secret_value() else ""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return ",".join(value)
    return value


def cmd_docs(_args: argparse.Namespace) -> int:
    print(docs_table(), end="")
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("config", help="check the DLP_* settings, or print their documentation")
    ps = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    c = ps.add_parser("check", help="validate the environment and print the effective settings (secrets hidden)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_check)
    d = ps.add_parser("docs", help="print docs/configuration.md (generated from the settings model)")
    d.set_defaults(func=cmd_docs)


__all__ = ["Settings", "register"]
