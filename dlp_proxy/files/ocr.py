"""Images: text through tesseract when OCR is enabled (``Limits.ocr``), otherwise
reported as not inspected (``ocr-disabled``).  OCR on but tesseract missing is
``ocr-unavailable``: never a silent pass."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dlp_proxy.files.core import Ctx


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


def extract_image(data: bytes, ctx: Ctx) -> None:
    if not ctx.limits.ocr:
        ctx.problem("ocr-disabled")
        return
    exe = tesseract_path()
    if exe is None:
        ctx.problem("ocr-unavailable")
        return
    timeout = max(1.0, ctx.budget.remaining_seconds())
    try:
        proc = subprocess.run(
            [exe, "stdin", "stdout", "-l", ctx.limits.ocr_languages],
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        ctx.problem("time-limit")
        return
    except OSError:
        ctx.problem("ocr-unavailable")
        return
    if proc.returncode != 0:
        ctx.problem("ocr-failed")
        return
    ctx.add("ocr", proc.stdout.decode("utf-8", "replace"))
