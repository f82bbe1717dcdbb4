"""A real SMTP server for the export delivery tests: aiosmtpd, STARTTLS required, AUTH required.

``python tests/smtp_server.py PORT CERT KEY OUTDIR USER PASSWORD``: each message is
written to OUTDIR as NNNN.eml plus NNNN.json (envelope, TLS, authenticated login);
while OUTDIR/hold exists, the reply to each message waits (a test crashes the client then).
Listens on 127.0.0.1 only; stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal
import ssl
import sys
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main() -> None:
    port, cert, key, out, user, password = sys.argv[1:7]
    outdir = Path(out)
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with lock:
                n = len(list(outdir.glob("*.json")))
                meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                        "tls": session.ssl is not None, "login": (session.auth_data.login.decode()
                                                                  if session.auth_data else None)}
                (outdir / f"{n:04d}.eml").write_bytes(envelope.original_content or envelope.content)
                (outdir / f"{n:04d}.json").write_text(json.dumps(meta))
            while (outdir / "hold").exists():  # a test holds the reply to crash the client mid-delivery
                await asyncio.sleep(0.02)
            return "250 Message accepted"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=ctx,
                            require_starttls=True, authenticator=authenticator, auth_required=True)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
