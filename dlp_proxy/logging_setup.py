"""Structured JSON logs on stderr.

Log calls pass facts as ``extra={...}`` (request id, route, action, entity
types, error *type*).  Message text and extras must never carry request
content; exception messages can (a parser error may quote its input), so only
the exception's type and a traceback without locals are logged.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            etype, _, tb = record.exc_info
            out["error_type"] = etype.__name__
            # frames only (file, line, function): the exception message may quote content
            out["stack"] = [f"{f.filename}:{f.lineno}:{f.name}" for f in traceback.extract_tb(tb)][-8:]
        return json.dumps(out, default=str)


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # mitmproxy's own per-flow logging can echo request lines (and so query strings)
    logging.getLogger("mitmproxy").setLevel(logging.WARNING)
    # httpx logs every URL at INFO; URLs can carry query-string content
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)
