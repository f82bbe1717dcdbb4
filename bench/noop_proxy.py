"""The benchmark baseline: mitmproxy in reverse mode with a no-op addon.

Same mitmproxy options as the gateway (dlp_proxy/gateway/server.py): reverse mode,
keep_host_header, body_size_limit, no streaming, lazy upstream connections,
HTTP/2 and websockets on; same addon set (core, proxyserver, next_layer,
tlsconfig, errorcheck) and no termlog/dumper, so no per-flow console output.
The only difference is the addon: this one has async ``request``/``response``
hooks that do nothing.  Like the gateway, it drops mitmproxy's debug-only
per-message type check (``skip_mitmproxy_debug_typechecks``; kept with
DLP_MITMPROXY_TYPECHECKS=1 for both), so the baseline is mitmproxy at its fastest.

``--burn N`` (the ``noop-burn`` variant of bench_gateway.py): the ``request`` hook of a
post also runs the project's detector (``--no-ner``) over N chat messages, work of the
gateway's size and kind (Python, the detector's tables) that is no part of mitmproxy:
what mitmproxy's own work per request becomes beside it tells whether the gateway's
mitmproxy costs more because of what the gateway does around it (caches, collector)
or because of how the gateway hooks into mitmproxy.

    python bench/noop_proxy.py --upstream http://127.0.0.1:8065 --listen 127.0.0.1:8090 [--uvloop] [--burn 45]
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
from typing import Any


class NoopAddon:
    async def request(self, flow: Any) -> None:
        return None

    async def response(self, flow: Any) -> None:
        return None


#: what ``BurnAddon`` reads: chat messages of bench/wrk_gateway.lua's kind
_CHAT = ("Thanks, looks good to me.", "Order #4471 ships Friday, ticket 20931.", "Market opens in 10 minutes.",
         "Hey team, quick reminder that the quarterly review moved to Thursday afternoon.",
         "Call moved to 3:30pm ET, dial-in is the usual bridge.", "SPX closed at 5,948.71, up 0.4% on the day.",
         "Can someone take a look at the draft client letter before it goes out?")


class BurnAddon(NoopAddon):
    """``--burn N``: each POST runs the detector over N chat messages in its request hook."""

    def __init__(self, n: int) -> None:
        from dlp_proxy.detect import build_detector

        self.detector = build_detector(ner=False)
        self.n = n
        self.count = 0

    async def request(self, flow: Any) -> None:
        if flow.request.method != "POST":
            return None
        for _ in range(self.n):
            self.count += 1
            self.detector.analyze(_CHAT[self.count % len(_CHAT)])
        return None


async def serve(upstream: str, host: str, port: int, max_body: int, burn: int = 0) -> None:
    from mitmproxy import options
    from mitmproxy.addons import core, errorcheck, next_layer, proxyserver, tlsconfig
    from mitmproxy.master import Master

    from dlp_proxy.gateway.server import skip_mitmproxy_debug_typechecks

    skip_mitmproxy_debug_typechecks()
    opts = options.Options(mode=[f"reverse:{upstream}"], listen_host=host, listen_port=port,
                           confdir=tempfile.mkdtemp(prefix="noop-mitm-"))
    master = Master(opts)
    master.addons.add(core.Core(), proxyserver.Proxyserver(), next_layer.NextLayer(), tlsconfig.TlsConfig(),
                      errorcheck.ErrorCheck(), BurnAddon(burn) if burn else NoopAddon())
    opts.update(keep_host_header=True, body_size_limit=str(max_body + 1), stream_large_bodies=None,
                connection_strategy="lazy", http2=True, websocket=True)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, master.shutdown)
    await master.run()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--listen", default="127.0.0.1:8090")
    ap.add_argument("--max-body", type=int, default=100 * 1024 * 1024)
    ap.add_argument("--uvloop", action="store_true", help="run on uvloop instead of the stock asyncio loop")
    ap.add_argument("--burn", type=int, default=0, help="a post's request hook runs the detector over this many "
                    "chat messages (the noop-burn variant of bench_gateway.py)")
    args = ap.parse_args()
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    host, _, port = args.listen.rpartition(":")
    asyncio.run(serve(args.upstream.rstrip("/"), host or "127.0.0.1", int(port), args.max_body, args.burn))
    return 0


if __name__ == "__main__":
    sys.exit(main())
