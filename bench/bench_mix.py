"""The realistic upload mix of bench_files.py --mix (see its docstring)."""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests import filegen  # noqa: E402

#: the gateway's default file deadline (PipelineConfig.file_deadline_seconds)
FILE_DEADLINE_SECONDS = 120.0

CUSIPS = ["037833100", "594918104", "02079K305", "023135106", "88160R101", "30303M102", "46625H100", "92826C839"]
SYMBOLS = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "META", "JPM", "V"]


def blotter_rows(n: int, seed: int = 7) -> list[list[Any]]:
    """A trade blotter: ids, dates, CUSIPs, quantities, prices, order numbers; no customer identifier."""
    rnd = random.Random(seed)
    rows: list[list[Any]] = [["trade_id", "trade_date", "settle_date", "account", "symbol", "cusip", "side", "qty",
                              "price", "notional", "order_id", "trader", "venue"]]
    for i in range(n):
        k = rnd.randrange(len(SYMBOLS))
        qty = rnd.randrange(1, 500) * 100
        price = round(rnd.uniform(20, 600), 2)
        day = 1 + i % 28
        rows.append([f"T202611{day:02d}{i:06d}", f"2026-11-{day:02d}", f"2026-12-{min(28, day + 1):02d}",
                     f"ACC-{rnd.randrange(10**5):05d}", SYMBOLS[k], CUSIPS[k], rnd.choice("BS"), qty, price,
                     round(qty * price, 2), str(4400000000 + rnd.randrange(10**8)), rnd.choice(["JD", "MK", "AL"]),
                     rnd.choice(["XNYS", "XNAS", "ARCX"])])
    return rows


def csv_blotter(mb: float) -> bytes:
    out = io.StringIO()
    row_bytes = 130
    for row in blotter_rows(int(mb * 1024 * 1024 / row_bytes)):
        out.write(",".join(str(v) for v in row) + "\n")
    return out.getvalue().encode()


def xlsx_blotter(rows: int) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Blotter")
    for row in blotter_rows(rows):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sheet_screenshot() -> bytes:
    """A spreadsheet (blotter) screenshot at 12 px: a grid of ids, dates, CUSIPs, numbers."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(filegen.FONT, 12)
    img = Image.new("RGB", (1920, 1080), "white")
    d = ImageDraw.Draw(img)
    widths = [130, 80, 80, 80, 50, 80, 35, 60, 60, 90, 90, 45, 50]
    for r, row in enumerate(blotter_rows(48)):
        y = 30 + r * 21
        x = 10
        for w, v in zip(widths, row, strict=True):
            d.rectangle((x, y, x + w + 8, y + 21), outline=(210, 210, 210))
            d.text((x + 3, y + 4), str(v), font=font, fill=(0, 0, 0))
            x += w + 8
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def page_screenshot(px: int = 16) -> bytes:
    """A web page or a PDF shown at 100 %: headings and paragraphs with dates and reference numbers."""
    lines = ["Order confirmation", "", "Thank you. Your order 4400118273 was received on 2026-11-28 at 14:02 ET.",
             "Settlement is expected on 2026-12-01. Questions: call (212) 555-0142, Monday to Friday.",
             "Reference: CONF-2026-118273   Desk: Equities   Venue: XNYS", "",
             "Quarterly suitability review: holdings were rebalanced per model 7; no exceptions noted.",
             "Fees: 0.25% per annum, billed quarterly in arrears. Next review: 2027-02-15."] * 3
    return filegen.screenshot(lines, px, width=1920)


def clean_docx() -> bytes:
    from docx import Document

    doc = Document()
    for i in range(40):
        doc.add_paragraph(f"Meeting note {i}: order 4400{i:06d} settled 2026-11-{1 + i % 28:02d}; model 7 applied.")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def clean_pptx() -> bytes:
    from pptx import Presentation

    prs = Presentation()
    for i in range(10):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = f"Q{1 + i % 4} review"
        slide.placeholders[1].text = f"Net flows 2026-11-{1 + i:02d}: +4.2%; CONF-2026-{i:06d}"
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def upload_mix() -> list[tuple[str, str, bytes]]:
    """(type, file name, data) of every clean upload in the mix."""
    clean = "Q3 rebalancing notes, order 4400118273, settles 2026-12-01, CONF-2026-118273."
    rows = blotter_rows(200)
    mix: list[tuple[str, str, bytes]] = [
        ("screenshot", "chat.png", filegen.screenshot(filegen.screenshot_lines(), 14)),
        ("screenshot", "chat-dark.png", filegen.screenshot(filegen.screenshot_lines(), 13, dark=True)),
        ("screenshot", "web.png", page_screenshot(16)),
        ("screenshot", "pdf-at-100.png", page_screenshot(13)),
        ("screenshot", "sheet.png", sheet_screenshot()),
        ("photo", "IMG_0001.jpg", filegen.photo_like(4032, 3024, seed=1)),
        ("photo", "IMG_0002.jpg", filegen.photo_like(1600, 1200, seed=2)),
        ("photo", "IMG_0003.jpg", _textured_photo()),
        # uncompressed (a photo saved as BMP or TIFF by an editor or a scanner's software):
        # its pixel bytes stand in the file, and the raw reading reads them
        ("photo", "IMG_0004.bmp", filegen.photo_like(1600, 1200, seed=2, fmt="BMP")),
        ("photo", "IMG_0005.tif", filegen.photo_like(1600, 1200, seed=4, fmt="TIFF")),
        ("scanned-pdf", "scan.pdf", filegen.scanned_pdf([clean, "Signed by the committee", "Page notes"], pages=3)),
        ("pdf", "report.pdf", filegen.pdf_pages(20, clean)),
        ("office", "notes.docx", clean_docx()),
        ("office", "deck.pptx", clean_pptx()),
        ("office", "blotter-small.xlsx", xlsx_blotter(200)),
        ("legacy", "blotter.xls", filegen.xls_document(rows)),
        ("legacy", "letter.doc", filegen.doc_document(clean * 20)),
        ("legacy", "deck.ppt", filegen.ppt_document([clean] * 10)),
        ("mail", "fw.msg", filegen.msg_message("FW: blotter", clean, {"blotter.csv": csv_blotter(0.05)})),
        ("csv", "blotter-1mb.csv", csv_blotter(1)),
        ("csv", "blotter-5mb.csv", csv_blotter(5)),
        ("csv", "blotter-20mb.csv", csv_blotter(20)),
        ("xlsx", "blotter-1mb.xlsx", xlsx_blotter(20_000)),
        ("xlsx", "blotter-5mb.xlsx", xlsx_blotter(100_000)),
    ]
    return mix


#: chat lines of the generated uploads (clean: dates, times, amounts, order and ticket numbers)
_CHAT = ["standup moved to 10:30, room 4B", "Q{q} flows +{pct}% vs plan; see deck v{v}",
         "order {order} filled at {price}, settles 2026-12-0{d}", "ticket INC-{ticket} closed, build 4.{v}.{q}",
         "lunch at noon? the 12:15 train is late again", "rebalanced model {v}: 60/40, fee 0.25% p.a."]


def _chat_lines(rnd: random.Random, n: int) -> list[str]:
    return [rnd.choice(_CHAT).format(q=rnd.randrange(1, 5), pct=rnd.randrange(1, 9), v=rnd.randrange(2, 9),
                                     order=4400000000 + rnd.randrange(10**8), price=round(rnd.uniform(20, 600), 2),
                                     d=rnd.randrange(1, 9), ticket=rnd.randrange(10**5))
            for _ in range(n)]


def csv_rows(rows: list[list[Any]], sep: str = ",") -> bytes:
    return "".join(sep.join(str(v) for v in row) + "\n" for row in rows).encode()


def generated_uploads(n: int, seed: int = 19) -> list[tuple[str, str, bytes]]:
    """``n`` more clean uploads, built deterministically from ``seed``, in the mix's
    proportions of everyday files: chat and page screenshots, photos, Office files old
    and new, PDFs, mail, and small CSV/TSV/XLSX exports (20-300 KB; the mix's big
    blotters stay the fixed ones above)."""
    from docx import Document

    rnd = random.Random(seed)
    kinds = ["screenshot", "screenshot", "screenshot", "photo", "office-docx", "office-pptx", "pdf", "csv", "tsv",
             "xlsx", "legacy-xls", "legacy-doc", "mail"]
    out: list[tuple[str, str, bytes]] = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        lines = _chat_lines(rnd, rnd.randrange(4, 12))
        if kind == "screenshot":
            data = filegen.screenshot(["alice  10:42 AM", *lines], rnd.choice([13, 14, 16]), dark=rnd.random() < 0.3)
            out.append(("screenshot", f"gen{i:03d}.png", data))
        elif kind == "photo":
            out.append(("photo", f"gen{i:03d}.jpg", filegen.photo_like(1600, 1200, seed=100 + i)))
        elif kind == "office-docx":
            doc = Document()
            for line in lines * 4:
                doc.add_paragraph(line)
            buf = io.BytesIO()
            doc.save(buf)
            out.append(("office", f"gen{i:03d}.docx", buf.getvalue()))
        elif kind == "office-pptx":
            from pptx import Presentation

            prs = Presentation()
            for line in lines:
                slide = prs.slides.add_slide(prs.slide_layouts[1])
                slide.shapes.title.text = line[:30]
                slide.placeholders[1].text = line
            buf = io.BytesIO()
            prs.save(buf)
            out.append(("office", f"gen{i:03d}.pptx", buf.getvalue()))
        elif kind == "pdf":
            out.append(("pdf", f"gen{i:03d}.pdf", filegen.pdf_pages(rnd.randrange(2, 12), " ".join(lines[:2]))))
        elif kind in ("csv", "tsv"):
            rows = blotter_rows(rnd.randrange(150, 2300), seed=200 + i)
            ext = "csv" if kind == "csv" else "tsv"
            out.append((ext, f"gen{i:03d}.{ext}", csv_rows(rows, "," if kind == "csv" else "\t")))
        elif kind == "xlsx":
            out.append(("xlsx", f"gen{i:03d}.xlsx", xlsx_blotter(rnd.randrange(100, 1500))))
        elif kind == "legacy-xls":
            out.append(("legacy", f"gen{i:03d}.xls", filegen.xls_document(blotter_rows(rnd.randrange(50, 400),
                                                                                       seed=300 + i))))
        elif kind == "legacy-doc":
            out.append(("legacy", f"gen{i:03d}.doc", filegen.doc_document(" ".join(lines) * 5)))
        else:
            out.append(("mail", f"gen{i:03d}.msg", filegen.msg_message(lines[0][:40], "\n".join(lines),
                                                                       {"rows.csv": csv_rows(blotter_rows(60, 400 + i))})))
    return out


def _textured_photo() -> bytes:
    """A high-ISO photo: sharp noise everywhere, so the no-text pre-check lets it through to OCR (worst case)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(3)
    base = np.asarray(Image.open(io.BytesIO(filegen.photo_like(2000, 1500, seed=3)))).astype(np.int16)
    noisy = np.clip(base + rng.normal(0, 22, base.shape), 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(noisy).save(out, "JPEG", quality=90)
    return out.getvalue()


class Judge:
    """What one file worker does with an upload, then the shipped policy's decision."""

    def __init__(self) -> None:
        from dlp_proxy.detect import build_detector
        from dlp_proxy.gateway import filescan
        from dlp_proxy.policy import load_policy

        filescan._worker_detector = build_detector(None, ner=False)
        self.filescan = filescan
        self.policy = load_policy(ROOT / "config" / "policy.yaml", hash_key=b"k" * 32)
        #: CPU seconds of the last judgement (this process's time.process_time)
        self.last_cpu = 0.0

    def judge(self, name: str, data: bytes) -> tuple[float, Any, Any]:
        from dlp_proxy.files import Limits
        from dlp_proxy.interfaces import Extraction
        from dlp_proxy.model import ChannelType, ContentItem, ItemKind, RequestContext, ScannedItem
        from dlp_proxy.policy.uninspected import UninspectedFile, judge_uninspected

        # as the gateway's file worker judges (FileScanner.scan -> filescan._job) with the
        # gateway's default file deadline: its limits, the job's budget; a job still running
        # at the deadline would be killed (the upload stopped)
        timeout = FILE_DEADLINE_SECONDS
        limits = (self.filescan.gateway_limits(timeout) if hasattr(self.filescan, "gateway_limits")
                  else Limits(max_seconds=max(1.0, timeout / 2)))
        started, cpu = time.perf_counter(), time.process_time()
        ex, findings = self.filescan._job(data, name, limits, None, timeout * self.filescan.JOB_BUDGET_SHARE)
        elapsed = time.perf_counter() - started
        self.last_cpu = time.process_time() - cpu
        if elapsed > timeout:
            ex = Extraction(file_type=ex.file_type, segments=(), complete=False, problems=("time-limit",))
            findings = []
        scanned = [ScannedItem(ContentItem(f"file[0]:{s.location}", s.text, ItemKind.FILE), tuple(f))
                   for s, f in zip(ex.segments, findings, strict=True)]
        ctx = RequestContext(route="files.upload", route_group="files", user_id="u1", username="alice",
                             channel_id="c1", channel_name="town-square", channel_type=ChannelType.OPEN)
        decision = self.policy.evaluate(scanned, ctx)
        if not ex.complete:
            decision = judge_uninspected(decision, [UninspectedFile("file[0]", ex.problems, name)],
                                         self.policy.doc.uninspected, self.policy.doc.messages)
        return elapsed, ex, decision


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_mix(args: Any) -> int:
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    print("# building the mix ...", flush=True)
    mix = upload_mix()
    if getattr(args, "mix_files", 0) > len(mix):
        mix += generated_uploads(args.mix_files - len(mix))
    if getattr(args, "only", None):
        mix = [m for m in mix if m[1] in args.only]
    if args.posts_only:
        posts_during_ocr(args, [d for k, _, d in mix if k in ("screenshot", "photo")])
        return 0
    judge = Judge()
    judge.judge("warm.png", mix[0][2])  # engine and detector warm
    times: dict[str, list[float]] = defaultdict(list)
    total = 0.0
    n = 0
    stopped: list[str] = []
    print(f"# load {os.getloadavg()[0]:.1f}, file deadline {FILE_DEADLINE_SECONDS:.0f} s", flush=True)
    print(f"{'file':<22} {'type':<12} {'MB':>6} {'ms (median)':>12} {'CPU ms':>8}  outcome")
    for kind, name, data in mix:
        per: list[float] = []
        for _ in range(args.repeat):
            secs, _ex, decision = judge.judge(name, data)
            per.append(secs)
        times[kind].extend(per)
        total += sum(per)
        n += len(per)
        outcome = decision.action.value + (f" ({decision.rule_id})" if decision.rule_id else "")
        if decision.details.get("uninspected"):
            outcome += " uninspected=" + ",".join(e["cause"] for e in decision.details["uninspected"])
        if decision.action.value in ("quarantine", "block"):
            reason = (f"problems {list(_ex.problems)}, {judge.last_cpu:.1f} s CPU in {statistics.median(per):.1f} s wall"
                      if not _ex.complete else f"findings {sorted(decision.entity_types)}")
            stopped.append(f"{name} ({len(data) / 1e6:.2f} MB): {outcome}; {reason}")
        print(f"{name:<22} {kind:<12} {len(data) / 1e6:>6.2f} {statistics.median(per) * 1000:>12.0f} {judge.last_cpu * 1000:>8.0f}  {outcome}", flush=True)
    print(f"\nfiles/s per core over the mix: {n / total:.2f} ({n} judgements in {total:.1f} s)")
    print(f"{'type':<12} {'p50 ms':>8} {'p99 ms':>8}  (n)")
    for kind, values in times.items():
        print(f"{kind:<12} {_pct(values, 0.5) * 1000:>8.0f} {_pct(values, 0.99) * 1000:>8.0f}  ({len(values)})")
    print(f"# load average now {os.getloadavg()[0]:.1f} (1 min), {os.getloadavg()[1]:.1f} (5 min)")
    print(f"\nclean uploads held or blocked: {len(stopped)}/{len(mix)} = {100 * len(stopped) / len(mix):.1f} %")
    for line in stopped:
        print("  " + line)
    if args.posts_seconds > 0:
        posts_during_ocr(args, [d for k, _, d in mix if k in ("screenshot", "photo")])
    return 0


def posts_during_ocr(args: Any, images: list[bytes]) -> None:
    """p99 of clean posts alone and while images are uploaded and OCR'd back to back."""
    import bench_gateway as bg

    sim = bg.start_simulator()
    tmp = Path(tempfile.mkdtemp(prefix="bench-mix-"))
    proc, url = bg.start_gw(sim.url, sim.token("dlp-bot"), tmp / "gw", False, [])
    env = {"BENCH_TOKEN": sim.token("alice"), "BENCH_CHANNEL": sim.channel("town_square"),
           "BENCH_USER_ID": str(sim.ids["users"]["alice"]), "BENCH_SSN": bg.SSN, "BENCH_CARD": bg.CARD}
    alone: list[float] = []
    during: list[float] = []
    uploads: list[tuple[int, float]] = []
    try:
        duration = args.posts_seconds / max(1, args.rounds)
        bg.wrk(url, "clean", env, 2, 16, 1)  # warm-up
        for _ in range(max(1, args.rounds)):
            sim.clear()
            alone.append(bg.to_result("clean", "gateway", bg.wrk(url, "clean", env, duration, 16, 1)).p99_ms)
            stop = threading.Event()

            def upload(stop: threading.Event = stop) -> None:
                import httpx

                with httpx.Client(timeout=120) as c:
                    i = 0
                    while not stop.is_set():
                        t0 = time.perf_counter()
                        r = c.post(f"{url}/api/v4/files", headers={"Authorization": f"Bearer {env['BENCH_TOKEN']}"},
                                   data={"channel_id": env["BENCH_CHANNEL"]},
                                   files={"files": (f"img{i}.png", images[i % len(images)])})
                        uploads.append((r.status_code, time.perf_counter() - t0))
                        i += 1

            t = threading.Thread(target=upload, daemon=True)
            t.start()
            time.sleep(0.5)
            during.append(bg.to_result("clean", "gateway", bg.wrk(url, "clean", env, duration, 16, 1)).p99_ms)
            stop.set()
            t.join(120)
    finally:
        bg.stop(proc)
        bg.stop(sim.proc)
    a, d = statistics.median(alone), statistics.median(during)
    ok = sum(1 for s, _ in uploads if s == 201)
    print(f"\nclean posts p99 (wrk, 16 connections, {max(1, args.rounds)} rounds of {duration:g} s): {a:.1f} ms alone, "
          f"{d:.1f} ms while images are OCR'd (x{d / a:.2f}; rounds {[round(x / y, 2) for x, y in zip(during, alone)]}); "
          f"{len(uploads)} image uploads ({ok} forwarded), median {statistics.median(t for _, t in uploads) * 1000:.0f} ms")
