"""False positives of the raw reading (``files/rawread.py``) and the other readings of
attack pass 16p over real files on this machine.

    PYTHONPATH=. .venv/bin/python bench/bench_raw_fp.py [--per-type 400] [--max-mb 8] [ROOT ...]

Walks ROOT (default /usr/share, /usr/lib), takes up to ``--per-type`` files of each type
by extension (images, PDF, gzip, ZIP and Office, fonts, shared objects, RTF, mail,
UTF-16 text...; sorted by path, so a run is repeatable), extracts each as the gateway
does (OCR off: OCR'd text is not what this reading adds) and runs the detector
(``build_detector(None, ner=False)``, the gateway's) over the segments only the new
readings give: ``bytes=...``, ``encoding=utf-8/...``, a PDF object's ``/values``, an
RTF's ``data=...`` and ``image=pict-N/bytes``, a message's ``multipart=N/preamble-epilogue``,
a package's ``extra``, and an OOXML/ODF package's ``members``/``comment``.  Prints files
and characters read per type, then every finding (type, score, file, location and the
matched text's shape: digits as ``9``, letters as ``a``), so each can be looked at.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dlp_proxy.detect import build_detector
from dlp_proxy.files import Limits, extract

TYPES = {
    "png": (".png",), "jpeg": (".jpg", ".jpeg"), "gif": (".gif",), "tiff/bmp/webp/ico": (".tif", ".tiff", ".bmp",
                                                                                           ".webp", ".ico"),
    "pdf": (".pdf",), "gz": (".gz",), "zip/jar/whl": (".zip", ".jar", ".whl", ".egg"),
    "office": (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".dotx"), "font": (".ttf", ".otf", ".woff",
                                                                                     ".pfb"),
    "so": (".so",), "rtf": (".rtf",), "eml": (".eml", ".mbox"), "svg": (".svg",), "mo": (".mo",),
    "pyc": (".pyc",), "other-binary": (".bin", ".dat", ".db", ".sqlite", ".ogg", ".wav", ".mp3", ".xz", ".bz2"),
}
_NEW = re.compile(r"(?:^|/)(?:bytes=\d+-\d+$|encoding=utf-8/|data=[\w-]+-\d+|image=pict-\d+/bytes$|"
                  r"multipart=\d+/preamble-epilogue$|extra$)|/values$")
_PACKAGE_NEW = re.compile(r"(?:^|/)(?:members|comment)$")


def shape(text: str) -> str:
    return re.sub(r"[A-Za-z]", "a", re.sub(r"[0-9]", "9", text))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("roots", nargs="*", default=["/usr/share", "/usr/lib"])
    ap.add_argument("--per-type", type=int, default=400)
    ap.add_argument("--max-mb", type=float, default=8.0)
    args = ap.parse_args()
    by_ext = {ext: kind for kind, exts in TYPES.items() for ext in exts}
    picked: dict[str, list[str]] = defaultdict(list)
    for root in args.roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                ext = os.path.splitext(name)[1].lower()
                kind = by_ext.get(ext) or (by_ext.get(".so") if ".so." in name else None)
                if kind is None or len(picked[kind]) >= args.per_type or os.path.islink(path):
                    continue
                try:
                    if not 0 < os.path.getsize(path) <= args.max_mb * 1e6:
                        continue
                except OSError:
                    continue
                picked[kind].append(path)
    engine = build_detector(None, ner=False)
    limits = Limits(ocr=False, max_seconds=120, max_wall_seconds=600)
    files = Counter()
    chars = Counter()
    cpu = Counter()
    findings: list[tuple[str, str, float, str, str, str]] = []
    for kind in TYPES:
        for path in picked.get(kind, []):
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                continue
            t = time.process_time()
            ex = extract(data, filename=os.path.basename(path), limits=limits)
            package = ex.file_type in ("docx", "xlsx", "pptx", "ooxml", "odt", "ods", "odp", "odf")
            files[kind] += 1
            for seg in ex.segments:
                if not (_NEW.search(seg.location) or (package and _PACKAGE_NEW.search(seg.location))):
                    continue
                chars[kind] += len(seg.text)
                try:
                    found = engine.analyze(seg.text)
                except Exception as exc:  # the gateway holds such a file (DetectionLimitError)
                    findings.append((kind, f"error {type(exc).__name__}", 0.0, path, seg.location, ""))
                    print(f"  finding: {findings[-1]}", flush=True)
                    continue
                for f in found:
                    findings.append((kind, f.entity_type, round(f.score, 2), path, seg.location,
                                     shape(seg.text[max(0, f.start - 20):f.end + 20])))
                    print(f"  finding: {findings[-1]}", flush=True)
            cpu[kind] += time.process_time() - t
        if files[kind]:
            print(f"{kind}: {files[kind]} files, {chars[kind] / 1e6:.2f} Mchars of new readings, "
                  f"{cpu[kind]:.1f} s CPU (extract + detect)", flush=True)
    print(f"TOTAL: {sum(files.values())} files, {sum(chars.values()) / 1e6:.2f} Mchars, {len(findings)} findings")
    for kind, entity, score, path, loc, context in findings:
        print(f"  {kind} {entity} {score} {path} {loc} {context!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
