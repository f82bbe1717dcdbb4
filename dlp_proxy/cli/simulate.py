"""``dlp-proxy simulate``: run the Mattermost simulator."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from dlp_proxy.simulator.server import serve
from dlp_proxy.simulator.state import Simulator


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run the Mattermost API simulator (demo upstream and test double)",
        description="Run an in-memory Mattermost v4 API simulator that records every request it receives.",
    )
    parser.add_argument(
        "--listen",
        default="127.0.0.1:8065",
        help="HOST:PORT to listen on (port 0 picks a free port; default 127.0.0.1:8065)",
    )
    parser.add_argument(
        "--unknown-routes",
        choices=("404", "200"),
        default="404",
        help="answer for routes the simulator does not model: Mattermost's 404 AppError (default) or 200 {}",
    )
    parser.add_argument(
        "--no-link-previews",
        action="store_true",
        help="fetch no link previews (ServiceSettings.EnableLinkPreviews=false; on by default, as in Mattermost)",
    )
    parser.add_argument(
        "--ready-file",
        type=Path,
        help="write {\"url\":..., \"ids\":...} as JSON to this file once listening (for test harnesses)",
    )
    parser.add_argument(
        "--subpath",
        default="",
        help="serve every route under this path, as Mattermost does when ServiceSettings.SiteURL has a path "
             "(`/chat`: `/chat/api/v4/posts`; requests outside it are redirected into it); /__sim/ stays at the root",
    )
    parser.add_argument("--json", action="store_true", help="print the startup banner as one JSON line")
    parser.set_defaults(func=run)


def parse_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise SystemExit(f"--listen: expected HOST:PORT, got {value!r}")
    try:
        number = int(port)
    except ValueError:
        raise SystemExit(f"--listen: port must be a number, got {port!r}") from None
    if not 0 <= number <= 65535:
        raise SystemExit(f"--listen: port out of range: {number}")
    return host.strip("[]"), number


def banner(url: str, sim: Simulator) -> str:
    ids = sim.ids
    lines = [f"Mattermost simulator listening on {url}", f"team acme: {ids['team']}", "users (username  id  token  password):"]
    for key, uid in ids["users"].items():
        user = sim.users[uid]
        pw = ids["passwords"].get(key, "(bot: token only)")
        lines.append(f"  {key:<8} {uid}  {ids['tokens'][key]:<14} {pw}  roles={user['roles']}")
    lines.append("channels:")
    for key, cid in ids["channels"].items():
        ch = sim.channels[cid]
        lines.append(f"  {key:<18} {cid}  type={ch['type']} name={ch['name']}")
    lines.append(f"incoming webhook: {url}/hooks/{ids['incoming_hook']}  (town-square)")
    lines.append(f"slash-command hook: {url}/hooks/commands/{ids['command_hook']}")
    lines.append(f"group security-reviewers: {ids['group_security_reviewers']} (member: sam)")
    lines.append(f"inspect: GET {url}/__sim/requests, GET {url}/__sim/posts")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    host, port = parse_listen(args.listen)
    subpath = "/" + args.subpath.strip("/") if args.subpath.strip("/") else ""
    sim = Simulator(unknown_route_status=int(args.unknown_routes), subpath=subpath)
    sim.previews.enabled = not args.no_link_previews

    def ready(url: str) -> None:
        if args.json:
            print(json.dumps({"url": url, "ids": sim.ids}), flush=True)
        else:
            print(banner(url, sim), flush=True)
        if args.ready_file is not None:
            tmp = args.ready_file.with_suffix(args.ready_file.suffix + ".tmp")
            tmp.write_text(json.dumps({"url": url, "ids": sim.ids}))
            tmp.replace(args.ready_file)

    try:
        serve(host, port, sim, on_ready=ready, log_level="warning")
    except OSError as exc:
        print(f"dlp-proxy simulate: cannot listen on {args.listen}: {exc}", file=sys.stderr)
        return 1
    return 0
