"""The benchmark baseline: mitmproxy in reverse mode with a no-op addon.

Same mitmproxy options as the gateway (dlp_proxy/gateway/server.py): reverse mode,
keep_host_header, body_size_limit, no streaming, lazy upstream connections,
HTTP/2 and websockets on; same addon set (core, proxyserver, next_layer,
tlsconfig, errorcheck) and no termlog/dumper, so no per-flow console output.
The only difference is the addon: this one has async ``request``/``response``
hooks that do nothing.  Like the gateway, it drops mitmproxy's debug-only
per-message type check (``skip_mitmproxy_debug_typechecks``; kept with
DLP_MITMPROXY_TYPECHECKS=1 for both), so the baseline is mitmproxy at its fastest.

    python bench/noop_proxy.py --upstream http://127.0.0.1:8065 --listen 127.0.0.1:8090 [--uvloop]
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


async def serve(upstream: str, host: str, port: int, max_body: int) -> None:
    from mitmproxy import options
    from mitmproxy.addons import core, errorcheck, next_layer, proxyserver, tlsconfig
    from mitmproxy.master import Master

    from dlp_proxy.gateway.server import skip_mitmproxy_debug_typechecks

    skip_mitmproxy_debug_typechecks()
    opts = options.Options(mode=[f"reverse:{upstream}"], listen_host=host, listen_port=port,
                           confdir=tempfile.mkdtemp(prefix="noop-mitm-"))
    master = Master(opts)
    master.addons.add(core.Core(), proxyserver.Proxyserver(), next_layer.NextLayer(), tlsconfig.TlsConfig(),
                      errorcheck.ErrorCheck(), NoopAddon())
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
    args = ap.parse_args()
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    host, _, port = args.listen.rpartition(":")
    asyncio.run(serve(args.upstream.rstrip("/"), host or "127.0.0.1", int(port), args.max_body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
