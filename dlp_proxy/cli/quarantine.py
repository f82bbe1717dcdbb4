"""``dlp-proxy quarantine list|show|approve|reject|purge|assign|reviewers|verdicts``
and ``dlp-proxy review``.

Redis: ``$DLP_REDIS_URL``; else the URL the gateway wrote for its private Redis in
``$DLP_DATA_DIR/redis/url``; else ``redis://127.0.0.1:6379/0``.  The master key
comes from ``dlp_proxy.keys.load_key("quarantine-master")`` (file or environment).
Actions are recorded in the archive under ``$DLP_DATA_DIR/archive`` (worker id
``quarantine-cli`` / ``review``) when it exists, else in the encrypted Redis audit
stream.  An approval is state: the CLI and a stand-alone console record it, and a
running gateway (which knows Mattermost and the bot token) releases the item on
its next sweep, exactly once; with no gateway running the CLI says so and the
item stays approved until one starts.  The CLI operator acts as ``cli:<os user>`` with the admin role (whoever
can reach Redis and read the master key can do this anyway).

Who the operator is: ``--token-file`` (a file, or ``-`` for standard input) holds the
operator's own Mattermost token (a personal access token), which the CLI resolves
with ``GET /api/v4/users/me`` at ``DLP_UPSTREAM`` (api4/user.go getUser, ``me``) --
a *proven* principal.  ``--principal`` / ``DLP_OPERATOR_USER_ID`` alone is *claimed*:
archived as claimed (``proof``), with the OS user and host, and never one of two
four-eyes approvals (the attempt is archived as ``approve_request``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any

from dlp_proxy.interfaces import Archive, QuarantineError
from dlp_proxy.keys import KeyRing
from dlp_proxy.settings import Settings, load_settings, parse_hostport
from dlp_proxy.wiring import context_settings, quarantine_settings, review_settings


def redis_url(cfg: Settings) -> str:
    configured = cfg.secret("redis_url")
    if configured:
        return configured
    recorded = cfg.data_path / "redis" / "url"
    if recorded.exists():
        return recorded.read_text().strip()
    return "redis://127.0.0.1:6379/0"


def _archive(cfg: Settings, worker: str) -> Archive | None:
    directory = cfg.data_path / "archive"
    if not directory.is_dir():
        return None
    from dlp_proxy.archive import open_archive

    keys = KeyRing(cfg)
    return open_archive(directory, worker_id=worker, signing_key=keys.load("archive-signing"),
                        content_key=keys.load("archive-content") if cfg.archive_content_mode == "encrypted" else None,
                        hash_key=keys.load("hash"), content_mode=cfg.archive_content_mode)


def _gateway_detector(cfg: Settings) -> Any:
    """The gateway's detector configuration, its compiled Hyperscan databases loaded from
    the gateway's cache (``DLP_DETECTOR_CACHE_DIR``) when it has them: a command that
    masks a reason does not compile them again (~3-4 s of CPU)."""
    from dlp_proxy.detect import hsdb
    from dlp_proxy.gateway.filescan import detector_factory

    hsdb.use_disk(cfg.detector_cache_path)
    return detector_factory(cfg.detector)(cfg.config_path)


def _service(cfg: Settings, r: Any, archive: Archive | None, *, upstream: str) -> Any:
    """The quarantine as a face that only records decisions: a running gateway
    performs the releases (it knows Mattermost and the bot token)."""
    from dlp_proxy.quarantine import QuarantineService
    from dlp_proxy.quarantine.masking import reason_masker

    # reasons are masked by the gateway's detector configuration before they are
    # archived (built on the first reason: listing and showing items do not pay for it)
    masker = reason_masker(lambda: _gateway_detector(cfg))
    return QuarantineService(r, master_key=KeyRing(cfg).load("quarantine-master"), archive=archive,
                             upstream_url=upstream, settings=quarantine_settings(cfg), delivers=False,
                             mask_text=masker)


def quarantine_cli_settings(args: argparse.Namespace) -> Settings:
    """The settings of ``dlp-proxy quarantine ...``: ``--principal`` over the environment."""
    return load_settings({"operator_user_id": getattr(args, "principal", None)},
                         flag_names={"operator_user_id": "--principal"})


def review_cli_settings(args: argparse.Namespace) -> Settings:
    """The settings of ``dlp-proxy review``: its flags over the environment."""
    update = {"upstream": args.upstream, "review_listen": args.listen, "review_break_glass_file": args.break_glass,
              "review_api_tokens_file": args.api_tokens}
    if args.insecure_cookies:
        update["review_secure_cookies"] = False
    return load_settings(update)


async def _with_service(args: argparse.Namespace, fn: Any, worker: str = "quarantine-cli") -> int:
    import redis.asyncio as aioredis

    from dlp_proxy.quarantine.common import checked_upstream

    cfg = args.settings = quarantine_cli_settings(args)
    r = aioredis.Redis.from_url(redis_url(cfg))
    try:
        # the gateway's Mattermost: what the token is checked at and the bot owners are
        # looked up at (with the notify token), never a server DLP_UPSTREAM names instead
        upstream = await checked_upstream(r, cfg.upstream) or ""
        if getattr(args, "token_file", None):
            args.proven_principal = await _prove(cfg, args.token_file, upstream)
    except QuarantineError as exc:
        print(f"dlp-proxy quarantine: {exc}", file=sys.stderr)
        await r.aclose()
        return 1
    archive = _archive(cfg, worker)
    svc = _service(cfg, r, archive, upstream=upstream)
    try:
        return int(await fn(svc))
    except QuarantineError as exc:
        print(f"dlp-proxy quarantine: {exc}", file=sys.stderr)
        return 1
    finally:
        await svc.close()
        if archive is not None:
            await archive.close()
        await r.aclose()


def _read_token(path: str) -> str:
    """The operator's token from a file or standard input (``-``; asked without echo
    on a terminal): never from a flag or the environment, which other users of the
    host can read (ps, /proc/PID/environ) and shells keep in their history."""
    if path == "-":
        raw = getpass.getpass("Mattermost token: ") if sys.stdin.isatty() else sys.stdin.readline()
    else:
        try:
            with open(path, encoding="utf-8") as fh:
                raw = fh.readline()
        except OSError as exc:
            raise QuarantineError(f"--token-file: cannot read it ({exc.strerror})") from exc
    token = raw.strip()
    if not token:
        raise QuarantineError("--token-file: no token in it")
    return token


async def _prove(cfg: Settings, token_file: str, upstream: str) -> str:
    """The operator's principal, proven: their Mattermost token resolved with
    ``GET /api/v4/users/me`` at ``upstream``, the Mattermost the gateway forwards to (what
    it recorded in Redis at its start; ``DLP_UPSTREAM`` must be that one, or absent:
    ``checked_upstream``).  A bot's or a deactivated user's token proves no operator; a
    ``--principal`` naming someone else is refused."""
    import httpx

    from dlp_proxy.quarantine import is_mattermost_id

    token = _read_token(token_file)
    if not upstream:
        raise QuarantineError("--token-file needs DLP_UPSTREAM (Mattermost's URL) to check the token: "
                              "no gateway has recorded its own in this Redis")
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            resp = await http.get(upstream + "/api/v4/users/me",
                                  headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        me = resp.json() if resp.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as exc:
        raise QuarantineError(f"cannot check the token with Mattermost ({type(exc).__name__})") from exc
    if not isinstance(me, dict) or not is_mattermost_id(me.get("id")):
        raise QuarantineError(f"Mattermost did not accept the token (HTTP {resp.status_code})")
    if me.get("is_bot") or me.get("delete_at"):
        raise QuarantineError("the token is a bot's or a deactivated user's: it proves no operator")
    claimed = cfg.operator_user_id
    if claimed and claimed != me["id"]:
        raise QuarantineError("--principal / DLP_OPERATOR_USER_ID names someone else than the token's holder")
    return str(me["id"])


def _actor(args: argparse.Namespace | None = None) -> Any:
    """The operator: proven by their own Mattermost token (``--token-file``), else
    claimed by ``--principal`` (or ``$DLP_OPERATOR_USER_ID``), their Mattermost user
    id, so an approval from the shell is the same person as their console session
    (self-approval and four-eyes compare it; approving needs it; a claimed one is
    never one of two four-eyes approvals).  The OS user and host are archived too."""
    from dlp_proxy.quarantine import Actor, is_mattermost_id

    cfg: Settings | None = getattr(args, "settings", None)
    proven = getattr(args, "proven_principal", None)
    principal = proven or (cfg.operator_user_id if cfg is not None else None)
    if principal is not None and not is_mattermost_id(principal):
        raise QuarantineError("--principal / DLP_OPERATOR_USER_ID must be a Mattermost user id (26 characters a-z0-9)")
    proof = "mattermost-token" if proven else "claimed" if principal else None
    user = getpass.getuser()
    return Actor(f"cli:{user}", frozenset({"admin"}), user_id=principal, via="cli", proof=proof, os_user=user,
                 host=socket.gethostname())  # fmt: skip


def _print(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, sort_keys=True) if args.json else text)


def list_filters(args: argparse.Namespace, actor: Any) -> dict[str, Any]:
    """The list filters of ``quarantine list``, named as the service and the API name them."""
    assignee = args.assignee
    if args.mine or assignee == "me":
        if not actor.user_id:
            raise QuarantineError("--mine needs --principal (or DLP_OPERATOR_USER_ID): your Mattermost user id")
        assignee = actor.user_id
    overdue = {"yes": True, "no": False}.get(args.overdue or "")
    return {"state": args.state, "channel": args.channel, "team": args.team, "entity": args.entity,
            "sender": args.sender, "search": args.search, "severity": args.severity, "assignee": assignee,
            "overdue": overdue, "verdict": args.verdict}  # fmt: skip


def cmd_list(args: argparse.Namespace) -> int:
    async def run(svc: Any) -> int:
        filters = list_filters(args, _actor(args))
        if args.page is not None or args.size is not None:
            # a page, with the total: the same object as GET /api/v1/items?page=&size=
            out = await svc.query(page=args.page or 1, size=args.size or 50, sort=args.sort, **filters)
            items = out["items"]
        else:
            items = out = await svc.list_items(sort=args.sort, **filters)
        lines = [f"{'ID':<26} {'STATE':<16} {'SEV':<6} {'AGE':>8} {'DUE':<8} {'ASSIGNEE':<12} {'SENDER':<14} "
                 f"{'CHANNEL':<20} {'REQUEST':<26} ENTITIES"]  # fmt: skip
        for it in items:
            due = "OVERDUE" if it["overdue"] else ""
            lines.append(f"{it['id']:<26} {it['state']:<16} {it['severity']:<6} {int(it['age_seconds']):>7}s "
                         f"{due:<8} {it['assignee_name'][:12]:<12} {it['sender_username'][:14]:<14} "
                         f"{it['channel_name'][:20]:<20} {it['request_id']:<26} {','.join(it['entity_types'])}")  # fmt: skip
        if isinstance(out, dict):
            lines.append(f"page {out['page']} of {out['pages']} ({out['total']} items)")
        _print(args, out, "\n".join(lines))
        return 0

    return asyncio.run(_with_service(args, run))


def cmd_assign(args: argparse.Namespace) -> int:
    async def run(svc: Any) -> int:
        out = await svc.assign(args.id, _actor(args), args.to, note=args.reason or "")
        _print(args, out, f"{args.id}: assigned to {out['assignee_name']}")
        return 0

    return asyncio.run(_with_service(args, run))


def cmd_reviewers(args: argparse.Namespace) -> int:
    async def run(svc: Any) -> int:
        people = await svc.reviewers()
        _print(args, people, "\n".join(f"{p['user_id']}  {p['name']:<20} {','.join(p['roles'])}" for p in people))
        return 0

    return asyncio.run(_with_service(args, run))


def cmd_verdicts(args: argparse.Namespace) -> int:
    """Labelled examples, one JSON object a line, that ``dlp-proxy eval`` and
    ``dlp-proxy policy replay --corpus`` read (masked text only)."""
    async def run(svc: Any) -> int:
        rows = await svc.verdict_examples(since=args.since)
        out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
        try:
            for row in rows:
                out.write(json.dumps(row, sort_keys=True) + "\n")
        finally:
            if out is not sys.stdout:
                out.close()
        if args.output:
            print(f"{len(rows)} labelled examples written to {args.output}", file=sys.stderr)
        return 0

    return asyncio.run(_with_service(args, run))


def cmd_show(args: argparse.Namespace) -> int:
    async def run(svc: Any) -> int:
        item = await svc.show(args.id, _actor(args), reveal_reason=args.reveal)
        text = [f"{k}: {item[k]}" for k in ("id", "state", "sender_username", "channel_name", "team_name", "route",
                                            "entity_types", "record_id", "release_error") if item.get(k)]  # fmt: skip
        for part in item.get("content") or []:
            text.append(f"[{part['path']}] " + "".join(seg["text"] for seg in part["segments"]))
        _print(args, item, "\n".join(text))
        return 0

    return asyncio.run(_with_service(args, run))


def _decide(kind: str) -> Any:
    def cmd(args: argparse.Namespace) -> int:
        async def run(svc: Any) -> int:
            actor = _actor(args)
            if kind == "approve":
                out = await svc.approve(args.id, actor, args.reason, verdict=args.verdict)
                if out.get("state") == "approved" and not await svc.deliverer_alive():
                    print(f"dlp-proxy quarantine: {args.id} is approved, but no gateway is running to release it; "
                          "it is released when a gateway starts", file=sys.stderr)
            elif kind == "reject":
                out = await svc.reject(args.id, actor, args.reason, verdict=args.verdict)
            else:
                rec = await svc.purge(args.id, actor, args.reason, force=args.force)
                out = {"id": args.id, "purged": True, "record_id": rec}
            _print(args, out, f"{args.id}: {out.get('state', 'purged')}")
            return 0 if out.get("state") != "release_failed" else 3

        return asyncio.run(_with_service(args, run))

    return cmd


def cmd_review(args: argparse.Namespace) -> int:
    import uvicorn

    from dlp_proxy.review import create_app

    cfg = review_cli_settings(args)
    host, port = parse_hostport(cfg.review_listen)
    upstream = cfg.upstream or ""
    if not upstream:
        print("dlp-proxy review: --upstream (or DLP_UPSTREAM) is required to check sign-ins", file=sys.stderr)
        return 2

    async def run() -> None:
        import redis.asyncio as aioredis

        from dlp_proxy.quarantine.common import checked_upstream

        r = aioredis.Redis.from_url(redis_url(cfg))
        try:
            await checked_upstream(r, upstream)  # sign-ins are checked at the gateway's Mattermost
        except QuarantineError as exc:
            await r.aclose()
            raise ValueError(str(exc)) from exc  # one line, exit 2 (below)
        archive = _archive(cfg, "review")
        svc = _service(cfg, r, archive, upstream=upstream)
        rs = review_settings(cfg, hash_key=KeyRing(cfg).load("hash"))
        # the context's posts are masked by the gateway's detector, built on first use
        app = create_app(svc, upstream_url=upstream, settings=rs, context=context_settings(cfg),
                         detector=lambda: _gateway_detector(cfg))  # fmt: skip
        # proxy_headers off: the console applies DLP_TRUSTED_PROXIES itself (dlp_proxy/forwarding.py)
        # no access log: a query string can carry what a reviewer typed into the search
        # box (an identifier pasted by mistake is refused, but the request line would
        # still be logged); every action is in the archive instead
        server = _Server(uvicorn.Config(app, host=host, port=port, log_level="info", proxy_headers=False,
                                        access_log=False))  # fmt: skip
        loop = asyncio.get_running_loop()

        def _stop() -> None:
            server.should_exit = True

        # SIGTERM/SIGINT: graceful shutdown and exit 0 (uvicorn would re-raise the
        # signal after shutting down, so a clean stop looked like a crash: -15).
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, _stop)
        try:
            await server.serve()
        finally:
            await svc.close()
            if archive is not None:
                await archive.close()
            await r.aclose()

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # signals are handled by run() above

    try:
        asyncio.run(run())
    except ValueError as exc:  # a bad break-glass / token file or setting: its one-line reason
        print(f"dlp-proxy review: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    from dlp_proxy.review import hash_password

    print(hash_password(getpass.getpass("password: ")))
    return 0


def register(sub: Any) -> None:
    q = sub.add_parser("quarantine", help="work the quarantine queue")
    qs = q.add_subparsers(dest="quarantine_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.add_argument("--principal", metavar="USER_ID",
                       help="your Mattermost user id (default $DLP_OPERATOR_USER_ID); approving needs it. "
                            "Claimed, not proven: never one of two four-eyes approvals")  # fmt: skip
        p.add_argument("--token-file", metavar="FILE",
                       help="a file holding your own Mattermost personal access token (- : standard input): "
                            "proves who you are (users/me at the Mattermost the gateway forwards to)")  # fmt: skip

    p = qs.add_parser("list", help="search, sort and page the queue (oldest first)")
    common(p)
    p.add_argument("--state", default="active", help="state, active (default), open or all")
    for name in ("channel", "team", "entity", "sender"):
        p.add_argument(f"--{name}")
    p.add_argument("--search", metavar="TEXT",
                   help="words in the item id, the request id the sender was given, the archive record id, "
                        "sender, channel, team or assignee (never message content)")  # fmt: skip
    p.add_argument("--sort", default="age", help="age (oldest first), severity, state or due; --sort=-KEY reverses")
    p.add_argument("--page", type=int, help="page number from 1: prints a page object with the total")
    p.add_argument("--size", type=int, help="items per page (default 50, at most 500)")
    p.add_argument("--severity", choices=("high", "medium", "low"))
    p.add_argument("--assignee", help="a reviewer's user id, me, or none (unassigned)")
    p.add_argument("--mine", action="store_true", help="items assigned to you (--principal)")
    p.add_argument("--overdue", choices=("yes", "no"), help="past their review deadline (SLA) or not")
    p.add_argument("--verdict", help="true_positive, false_positive, benign, any or none")
    p.set_defaults(func=cmd_list)
    p = qs.add_parser("assign", help="assign or reassign an item to a reviewer")
    common(p)
    p.add_argument("id")
    p.add_argument("--to", required=True, metavar="WHO", help="the reviewer's Mattermost user id or name")
    p.add_argument("--reason", help="a note for the history")
    p.set_defaults(func=cmd_assign)
    p = qs.add_parser("reviewers", help="people items can be assigned to")
    common(p)
    p.set_defaults(func=cmd_reviewers)
    p = qs.add_parser("verdicts", help="export reviewers' verdicts as labelled examples (masked text)")
    common(p)
    p.add_argument("--jsonl", action="store_true", help="one JSON object a line (the only format; for eval and "
                   "policy replay --corpus)")  # fmt: skip
    p.add_argument("--output", "-o", help="write here instead of stdout")
    p.add_argument("--since", type=float, help="only verdicts given after this Unix time")
    p.set_defaults(func=cmd_verdicts)
    p = qs.add_parser("show", help="show one item, identifiers masked")
    common(p)
    p.add_argument("id")
    p.add_argument("--reveal", metavar="REASON", help="show values in clear (recorded with this reason)")
    p.set_defaults(func=cmd_show)
    for kind, helptext in (("approve", "approve and release"), ("reject", "reject; the sender is told"),
                           ("purge", "delete from Redis (the archive keeps its records)")):  # fmt: skip
        p = qs.add_parser(kind, help=helptext)
        common(p)
        p.add_argument("id")
        p.add_argument("--reason", required=True)
        if kind in ("approve", "reject"):
            p.add_argument("--verdict", choices=("true_positive", "false_positive", "benign"),
                           help="what the hold was: a real identifier to stop, a false positive, or real but benign")
        if kind == "purge":
            p.add_argument("--force", action="store_true", help="also purge an undecided item")
        p.set_defaults(func=_decide(kind))

    r = sub.add_parser("review", help="run the reviewer console (own port)")
    r.add_argument("--listen", help="console address HOST:PORT (env DLP_REVIEW_LISTEN; default 127.0.0.1:8081)")
    r.add_argument("--upstream", help="Mattermost URL (default $DLP_UPSTREAM)")
    r.add_argument("--insecure-cookies", action="store_true", help="no Secure flag (plain-http 127.0.0.1 only)")
    r.add_argument("--break-glass", metavar="FILE", help="JSON file of local accounts (argon2 hashes)")
    r.add_argument("--api-tokens", metavar="FILE", help="JSON file of API token hashes and roles")
    r.set_defaults(func=cmd_review)
    h = sub.add_parser("review-hash-password", help="argon2 hash for a break-glass account")
    h.set_defaults(func=cmd_hash_password)
