"""Where a proxy's CPU goes: a sampling profiler that counts CPU time only.

    python bench/cpu_sample.py OUT.raw -m dlp_proxy.cli run ...   # run a module under it
    python bench/cpu_sample.py OUT.raw bench/noop_proxy.py ...    # or a script
    python bench/cpu_sample.py --report OUT.raw [--under Pipeline.handle] [--top 40]

``bench_gateway.py --sample PREFIX`` runs its proxies this way (``PREFIX-<variant>.raw``).

A ``SIGPROF`` interval timer (``ITIMER_PROF``: the process's CPU time, user and
system) records the main thread's Python stack every 2 ms of CPU, so a sample
stands for CPU spent, wherever the thread was when it was spent.  A wall-clock
sampler (``py-spy``) also samples a thread that is runnable but waiting for a core:
on a loaded machine such a thread is mostly preempted on its way out of a system
call (a socket write that wakes the reader, ``time.thread_time``), and those lines
then look hot though they cost little CPU.  Limits: the stack is read when the
handler runs, at the next bytecode after the signal (a long C call is charged to
the line after it); CPU of other threads (the archive writer) is charged to the
main thread's stack of the moment (``bench_gateway.py`` prints the thread split);
signals that arrive while one is pending are merged (the counts are shares, not
times).  ``SIGUSR2`` clears the counts (``bench_gateway.py`` sends it once the
proxy is idle after starting, so start-up is left out).  The counts are written,
as py-spy's ``raw`` (collapsed stacks: ``frame;frame;... count``), every 2 s and
at exit.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import runpy
import signal
import sys
import threading
import time
from types import CodeType, FrameType

INTERVAL = 0.002
_STDLIB = os.path.dirname(os.__file__) + "/"


_CUTS = ("site-packages/", _STDLIB, os.getcwd() + "/")
#: a frame's name by its code and line: a sample names ~50 frames
_NAMES: dict[tuple[CodeType, int], str] = {}


def _name(frame: FrameType) -> str:
    key = (frame.f_code, frame.f_lineno)
    got = _NAMES.get(key)
    if got is None:
        path = frame.f_code.co_filename
        for cut in _CUTS:
            if cut in path:
                path = path.split(cut, 1)[1]
                break
        got = _NAMES[key] = f"{frame.f_code.co_qualname} ({path}:{frame.f_lineno})"
    return got


def install(out: str) -> None:
    counts: collections.Counter[tuple[str, ...]] = collections.Counter()  # stacks innermost first

    def sample(signum: int, frame: FrameType | None) -> None:
        stack = []
        while frame is not None:
            stack.append(_name(frame))
            frame = frame.f_back
        counts[tuple(stack)] += 1

    def dump() -> None:
        tmp = f"{out}.tmp"
        with open(tmp, "w") as fh:
            fh.writelines(f"{';'.join(reversed(k))} {v}\n" for k, v in list(counts.items()))  # (a copy: the handler adds)
        os.replace(tmp, out)

    def dumper() -> None:
        while True:
            time.sleep(2)
            dump()

    signal.signal(signal.SIGUSR2, lambda *_: counts.clear())
    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, INTERVAL, INTERVAL)
    threading.Thread(target=dumper, name="cpu-sample", daemon=True).start()
    def stop() -> None:
        signal.setitimer(signal.ITIMER_PROF, 0)  # (SIGPROF's default action, once Python has reset it, kills)
        dump()

    import atexit

    atexit.register(stop)


def report(path: str, under: str | None, top: int) -> None:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    with open(path) as fh:
        for line in fh:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            frames = [re.sub(r":(\d+|None)\)$", ")", f) for f in stack.split(";")]
            if under is not None:
                at = next((i for i, f in enumerate(frames) if f.startswith(under)), None)
                if at is None:
                    continue
                frames = frames[at:]
            total += int(n)
            for f in set(frames):
                inclusive[f] += int(n)
            own[frames[-1]] += int(n)
    print(f"{total} samples" + (f" under {under}" if under else ""))
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"--- {title}")
        for name, n in counter.most_common(top):
            print(f"{100 * n / max(total, 1):6.1f} %  {name}")


def main() -> None:
    if sys.argv[1:2] == ["--report"]:
        ap = argparse.ArgumentParser()
        ap.add_argument("--report", required=True)
        ap.add_argument("--under", help="only the samples under this function (qualified name), as shares of them")
        ap.add_argument("--top", type=int, default=40)
        args = ap.parse_args()
        report(args.report, args.under, args.top)
        return
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, target, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    install(out)
    if target == "-m":
        sys.argv = [rest[0], *rest[1:]]
        sys.path[0] = os.getcwd()  # as ``python -m`` does: the module from the working directory
        runpy.run_module(rest[0], run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *rest]
        sys.path[0] = os.path.dirname(os.path.abspath(target))
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main()
