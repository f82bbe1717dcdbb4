"""Reading segment files: split into lines, parse, and spot a torn tail."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dlp_proxy.archive.format import canonical


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based line number in the segment
    offset: int  # byte offset of the line start
    raw: bytes  # without the newline
    complete: bool  # ended by a newline
    obj: dict[str, Any] | None  # parsed object when the line is valid canonical JSON
    problem: str = ""


def parse_lines(data: bytes) -> list[Line]:
    out: list[Line] = []
    pos = 0
    number = 0
    n = len(data)
    while pos < n:
        number += 1
        nl = data.find(b"\n", pos)
        complete = nl >= 0
        end = nl if complete else n
        raw = data[pos:end]
        obj: dict[str, Any] | None = None
        problem = ""
        if not complete:
            problem = "incomplete line (no newline)"
        else:
            try:
                parsed = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                problem = "not valid JSON"
            else:
                if not isinstance(parsed, dict):
                    problem = "not a JSON object"
                elif canonical(parsed) != raw:
                    problem = "not in canonical form (bytes were edited)"
                else:
                    obj = parsed
        out.append(Line(number, pos, raw, complete, obj, problem))
        pos = end + 1
    return out


def torn_tail_start(lines: list[Line]) -> int | None:
    """Offset where a torn tail starts: the first bad line, if no valid line follows it.

    Returns None when every line is valid.  Raises ValueError when a bad line is
    followed by a valid one: that is damage in the middle, not an interrupted write.
    """
    for i, line in enumerate(lines):
        if line.obj is None:
            later = [x for x in lines[i + 1 :] if x.obj is not None]
            if later:
                raise ValueError(f"line {line.number} is damaged ({line.problem}) and valid lines follow it")
            return line.offset
    return None
