"""Cost of reading PDFs as drawn (files/pdf.py ``page=N/rendered``) beside a base checkout.

Each case is extracted in a child process per tree (this worktree and ``--base``), the two
alternating, ``--reps`` times; the figure is the median CPU seconds of ``extract`` (the
child's process time, OCR included), and the ratio ours/base.

    PYTHONPATH=$PWD python bench/bench_pdf_render.py --base /tmp/pdf2_base --reps 5 [--only chart]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys, time
from dlp_proxy.files import extract
data = open(sys.argv[1], "rb").read()
extract(data, filename="warm.pdf")  # imports, OCR engine
t = time.process_time()
ex = extract(data, filename="a.pdf")
print(json.dumps({"cpu": time.process_time() - t,
                  "rendered": sum("/rendered" in s.location for s in ex.segments)}))
"""


def cases() -> dict[str, bytes]:
    import io

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from tests import filegen

    pdfmetrics.registerFont(TTFont("DejaVu", filegen.FONT))
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for _ in range(3):
        c.setFont("DejaVu", 11)
        for line in range(40):
            c.drawString(40, 800 - 18 * line, f"Embedded-font memo line {line + 1}: allocation reviewed")
        c.showPage()
    c.save()
    return {
        "clean text, standard font, 3 pages": filegen.pdf_pages(3),
        "clean text, embedded TTF (ToUnicode), 3 pages": out.getvalue(),
        "scanned, 1 page": filegen.scanned_pdf(["Meeting minutes", "Q3 rebalancing approved by the committee"]),
        "text + picture, 1 page": filegen.pdf_drawn("text-plus-image"),
        # past pdf.FONT_RENDER_PAGES the font check (one specimen a font) decides
        "office-like, embedded TTF (ToUnicode), 14 pages": filegen.pdf_embedded_font_pages(14),
        "same, ToUnicode lies about the digits, 14 pages": filegen.pdf_embedded_font_pages(14, lie=True),
        # a form XObject counts each time it is painted (attack pass 21p F5): a chart's markers
        "chart, a title and one marker form painted 120 times, 1 page": _chart(120),
        "ruled report, 5 rows, 1 page": filegen.pdf_ruled_report(),
    }


def _chart(markers: int) -> bytes:
    """A page with a title in Helvetica and one 1x1 square form XObject painted ``markers`` times."""
    import zlib

    marks = b"\n".join(b"q 4 0 0 4 %d %d cm /Px Do Q" % (60 + 5 * k, 100 + (k * 37) % 150) for k in range(markers))
    content = zlib.compress(b"BT /F1 18 Tf 40 340 Td (Quarterly volume chart, all desks) Tj ET\n" + marks)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 720 400] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> /XObject << /Px 6 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Length 12 >>\nstream\n0 0 1 1 re f\nendstream"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def run(tree: Path, path: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", CHILD, path], env=env, capture_output=True, text=True, check=True,
                         cwd=tree)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--only", default="", help="run only the cases whose name holds this text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in cases().items():
            if args.only not in name:
                continue
            path = Path(tmp) / "case.pdf"
            path.write_bytes(data)
            ours: list[float] = []
            base: list[float] = []
            rendered = 0.0
            for _ in range(args.reps):
                r = run(HERE, str(path))
                ours.append(r["cpu"])
                rendered = r["rendered"]
                base.append(run(args.base, str(path))["cpu"])
            o, b = statistics.median(ours), statistics.median(base)
            print(f"{name}: ours {o * 1000:.0f} ms CPU, base {b * 1000:.0f} ms, ratio {o / b:.2f}x, "
                  f"rendered readings {rendered:.0f}")


if __name__ == "__main__":
    main()
