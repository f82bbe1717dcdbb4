"""What the legacy CJK readings (files/plain.py ``_legacy_readings``, attack pass 6 C2)
cost text extraction: each text is extracted with them and without them (the function
replaced by a no-op), alternating, in this one process; best of ``--repeat``.

    .venv/bin/python bench/bench_encodings.py [--mb 4] [--repeat 3]

Texts: ASCII CSV (the common case: one ``isascii`` test), French cp1252 text, Japanese
UTF-8 text (non-ASCII without numeral byte pairs of most encodings), and Japanese CP932
text with fullwidth digits (read again as CP932 and under the encodings it also decodes
in).  Prints CPU seconds per MB for both and their ratio (detection, ~2 s/MB of text in
docs/files.md "Figures", dominates a text upload's inspection and is not included).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from dlp_proxy.files import Limits, extract, plain


def texts(mb: float) -> dict[str, bytes]:
    size = int(mb * 1_000_000)

    def fill(line: str, encoding: str) -> bytes:
        raw = line.encode(encoding)
        return raw * (size // len(raw) + 1)

    return {
        "ascii-csv": fill("2026-11-30,ACME Corp,BUY,1200,41.25,desk 7\n", "ascii"),
        "french-cp1252": fill("Le client a reçu la déclaration trimestrielle, façade rénovée à Besançon.\n", "cp1252"),
        "japanese-utf8": fill("四半期の報告書を顧客に送付しました。確認をお願いします。\n", "utf-8"),
        "japanese-cp932-fullwidth": fill("注文番号 ４８３９ の確認を顧客に送付しました。\n", "cp932"),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=4.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    limits = Limits(max_seconds=3600, max_wall_seconds=3600)
    real = plain._legacy_readings
    print(f"load average {os.getloadavg()[0]:.2f}; {args.mb} MB each, best of {args.repeat}")
    for name, data in texts(args.mb).items():
        best = {"with": float("inf"), "without": float("inf")}
        segments = {"with": 0, "without": 0}
        for _ in range(args.repeat):
            for mode in ("without", "with"):
                plain._legacy_readings = real if mode == "with" else (lambda *a, **k: None)  # type: ignore[assignment]
                t = time.process_time()
                ex = extract(data, filename="x.txt", limits=limits)
                best[mode] = min(best[mode], time.process_time() - t)
                segments[mode] = len(ex.segments)
        plain._legacy_readings = real  # type: ignore[assignment]
        mb = len(data) / 1e6
        print(f"{name:26s} without {best['without'] / mb:.4f} s/MB ({segments['without']} segments)  "
              f"with {best['with'] / mb:.4f} s/MB ({segments['with']} segments)  "
              f"with/without x{best['with'] / best['without']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
