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
matched text's shape: digits as ``9``, letters as ``a``), so each can be looked at;
each finding is also judged as the gateway's file worker judges a raw reading's findings
(``rawread.judge_raw``: written there as text, or not), and the totals are given both
ways (``all`` -> ``stand``), for every type and for the types the shipped policy stops.

    PYTHONPATH=. .venv/bin/python bench/bench_raw_fp.py --hidden

``--hidden``: the other side, identifiers hidden as text in files' bytes
(tests/hiddengen.py: 17 carriers x 17 writings of an SSN, a card, an IBAN, an account)
and clean pictures whose pixel bytes read as digits: for each, whether the identifier's
type is found in any reading, all findings and those that stand.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

from dlp_proxy.detect import build_detector
from dlp_proxy.files import Limits, extract
from dlp_proxy.files.rawread import judge_raw

#: the entity types the shipped policy (config/policy.yaml) blocks or holds for
STOPPED = frozenset({"US_SSN", "US_ITIN", "CREDIT_CARD", "IBAN_CODE", "US_BANK_NUMBER", "ABA_ROUTING_NUMBER",
                     "US_PASSPORT", "US_DRIVER_LICENSE"})

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


def hidden() -> int:
    """Identifiers hidden as text (found: all readings -> those that stand) and clean
    pictures whose pixels read as digits (stopping findings: all -> those that stand)."""
    import hiddengen

    engine = build_detector(None, ner=False)
    limits = Limits(ocr=False)
    cases = found_all = found_stand = 0
    missed: list[str] = []
    for carrier, writing, name, data, entity in hiddengen.hidden_cases():
        ex = extract(data, filename=name, limits=limits)
        every = stand = False
        for seg in ex.segments:
            found = engine.analyze(seg.text)
            every = every or any(f.entity_type == entity for f in found)
            stand = stand or any(f.entity_type == entity for f in judge_raw(seg.location, seg.text, found, engine.analyze))
        cases += 1
        found_all += every
        found_stand += stand
        if not stand:
            missed.append(f"{carrier}/{writing} ({'found by all readings' if every else 'not found either way'})")
    print(f"hidden identifiers found: {found_all}/{cases} (all findings) -> {found_stand}/{cases} (those that stand)")
    for line in missed:
        print("  missed: " + line)
    pictures = stop_all = stop_stand = 0
    for name, data in hiddengen.clean_pictures():
        ex = extract(data, filename=name, limits=limits)
        n_all = n_stand = 0
        for seg in ex.segments:
            found = engine.analyze(seg.text)
            n_all += sum(f.entity_type in STOPPED for f in found)
            n_stand += sum(f.entity_type in STOPPED for f in judge_raw(seg.location, seg.text, found, engine.analyze))
        pictures += 1
        stop_all += n_all > 0
        stop_stand += n_stand > 0
        print(f"  clean {name}: {n_all} -> {n_stand} stopping findings")
    print(f"clean pictures with a stopping finding: {stop_all}/{pictures} -> {stop_stand}/{pictures}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("roots", nargs="*", default=["/usr/share", "/usr/lib"])
    ap.add_argument("--per-type", type=int, default=400)
    ap.add_argument("--max-mb", type=float, default=8.0)
    ap.add_argument("--hidden", action="store_true", help="identifiers hidden as text, and clean pictures")
    args = ap.parse_args()
    if args.hidden:
        return hidden()
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
    stands: dict[int, bool] = {}
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
                standing = {(f.entity_type, f.start, f.end) for f in judge_raw(seg.location, seg.text, found, engine.analyze)}
                for f in found:
                    findings.append((kind, f.entity_type, round(f.score, 2), path, seg.location,
                                     shape(seg.text[max(0, f.start - 20):f.end + 20])))
                    stands[len(findings) - 1] = (f.entity_type, f.start, f.end) in standing
                    print(f"  finding: {findings[-1]} {'stands' if stands[len(findings) - 1] else 'left out'}", flush=True)
            cpu[kind] += time.process_time() - t
        if files[kind]:
            print(f"{kind}: {files[kind]} files, {chars[kind] / 1e6:.2f} Mchars of new readings, "
                  f"{cpu[kind]:.1f} s CPU (extract + detect)", flush=True)
    print(f"TOTAL: {sum(files.values())} files, {sum(chars.values()) / 1e6:.2f} Mchars, {len(findings)} findings")
    for i, (kind, entity, score, path, loc, context) in enumerate(findings):
        print(f"  {kind} {entity} {score} {path} {loc} {context!r} {'stands' if stands.get(i) else 'left out'}")
    errors = [f for f in findings if f[1].startswith("error ")]
    kept = [f for i, f in enumerate(findings) if stands.get(i)]
    findings = [f for f in findings if not f[1].startswith("error ")]
    stop = [f for f in findings if f[1] in STOPPED]
    stop_kept = [f for f in kept if f[1] in STOPPED]
    print(f"findings: {len(findings)} all -> {len(kept)} stand (in {len({f[3] for f in findings})} -> "
          f"{len({f[3] for f in kept})} files); by type: "
          + ", ".join(f"{t} {n} -> {Counter(f[1] for f in kept)[t]}" for t, n in Counter(f[1] for f in findings).most_common()))
    print(f"findings of the types the shipped policy stops: {len(stop)} -> {len(stop_kept)}, "
          f"files: {len({f[3] for f in stop})} -> {len({f[3] for f in stop_kept})}; detector errors: {len(errors)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
