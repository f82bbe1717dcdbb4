"""End-to-end gateway benchmark: wrk through the gateway, through a no-op
mitmproxy and straight at the simulator, side by side in one run.

    apt-get install -y wrk          # the load tool (Debian package)
    .venv/bin/python bench/bench_gateway.py [--duration 10] [--connections 16] [--rounds 4]
        [--scenarios get,clean,dirty,mix,upload] [--variants sim,noop,gateway,noop-uvloop,gateway-uvloop]
        [--big-file-mb 10] [--json-out results.json]

Targets, all in front of the same simulator process:
  sim             the simulator directly (the ceiling: the upstream itself)
  noop            mitmproxy reverse mode with a no-op addon (bench/noop_proxy.py), same options
  gateway         ``dlp-proxy run`` (private Redis, --no-ner, the shipped policy)
  noop/gateway    on asyncio's own event loop
  base            ``dlp-proxy run`` from another checkout (``--base-root``): an earlier commit, side by side
  *-uvloop        the same on uvloop (``dlp-proxy run --event-loop uvloop``; noop_proxy.py --uvloop)
  noop-burn       the no-op proxy whose request hook runs the detector over ``--noop-burn`` chat
                  messages a post (noop_proxy.py --burn): mitmproxy's own work beside work of the
                  gateway's size that is no part of it (``--sample`` tells the two apart)

Scenarios (bench/wrk_gateway.lua): ``get`` pass-through GET /api/v4/users/me;
``clean`` posts of ordinary chat with the web app's post body (a third carry
harmless numbers); ``numbered`` the same with a counter appended, so every
message ends with a number (each goes through the split-message window);
``dirty`` posts each carrying an identifier (the gateway blocks them in a public
channel, the no-op proxy forwards them); ``mix`` 1 in 33 posts carries an
identifier, the rest are ``clean`` (~97% clean); ``upload`` a 20 KB text file
as multipart to /api/v4/files.

Then every scenario again at ONE connection (``<target>@c1`` rows): at 16
connections a saturated proxy's p50 is mostly queueing (connections / throughput),
so the latency the gateway adds to a request is read from the one-connection run.

With ``--rounds R`` each run is split into R shorter runs that alternate between the
targets (noop, gateway, noop, gateway...), and the table shows totals, median
percentiles and the spread of the per-round ratios: this machine's speed drifts
by up to 2x within minutes, which moves the ratio of two runs taken seconds apart.

Then the large-file test: clean posts while a 10 MB file is being uploaded
and scanned over and over, against the clean-post p99 without uploads, in
``--rounds`` alternating pairs (median p99s; the gateways before the no-op proxy,
whose upload storm leaves the simulator's disk writeback behind).

Every target is a separate process; with 2 shared cores the load tool, the
proxy and the simulator compete for CPU, so the figures are noisy.  The ratio
against the no-op proxy measured minutes apart on the same machine is the
meaningful number.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlp_proxy.policy.testing import CARD, SSN  # noqa: E402  (the project's synthetic identifiers)
from tests.conftest import free_port, start_simulator, stop, wait_port  # noqa: E402

LUA = ROOT / "bench" / "wrk_gateway.lua"


@dataclass
class Result:
    scenario: str
    target: str
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    non_2xx: int
    errors: int
    #: with --rounds: this target's req/s over the reference's in each round (drift shows as spread)
    round_ratios: tuple[float, ...] = ()
    #: CPU time per request (ms) of the proxy under test with its child processes (the
    #: gateway's Redis and file workers), of the simulator, and the machine's busy cores
    #: during the run: what the throughput ratio is made of (see ``CpuMeter``)
    proxy_cpu_ms: float = 0.0
    sim_cpu_ms: float = 0.0
    busy_cores: float = 0.0
    #: a gateway's archive over the run (its admin /metrics): mean fdatasync per group
    #: commit (ms) and records per commit.  Every judged request waits for the commit
    #: that covers its record, so at one connection the added p50 includes one fdatasync.
    sync_ms: float = 0.0
    records_per_commit: float = 0.0
    #: ``proxy_cpu_ms`` split: the proxy process's main thread (its event loop), its
    #: other threads (a gateway's archive writer, scan threads), its child processes
    #: (a gateway's redis-server and file workers)
    loop_cpu_ms: float = 0.0
    threads_cpu_ms: float = 0.0
    children_cpu_ms: float = 0.0


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import mitmproxy.version

    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "mitmproxy": mitmproxy.version.VERSION,
        "wrk": wrk_version[0] if wrk_version else "?",
        "kernel": platform.release(),
        "loadavg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


#: bench/cpu_sample.py: a proxy run under it (``--sample``) is sampled by its CPU time
SAMPLER = ROOT / "bench" / "cpu_sample.py"


def start_noop(upstream: str, uvloop: bool, sample: str | None = None,
               burn: int = 0) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    argv = [sys.executable, *([str(SAMPLER), sample] if sample else []), str(ROOT / "bench" / "noop_proxy.py"),
            "--upstream", upstream, "--listen", f"127.0.0.1:{port}", *(["--burn", str(burn)] if burn else [])]
    if uvloop:
        argv.append("--uvloop")
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, f"http://127.0.0.1:{port}"


def start_gw(upstream: str, notify_token: str, data_dir: Path, uvloop: bool,
             extra: list[str], root: Path = ROOT, profile: str | None = None,
             sample: str | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port, admin = free_port(), free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    admin_url = f"http://127.0.0.1:{admin}"
    ready = data_dir / "ready"
    entry = ["-m", "dlp_proxy.cli"]
    if profile:  # the event loop's thread under cProfile, written when the gateway stops (SIGTERM)
        entry = ["-m", "cProfile", "-o", profile, *entry]
    elif sample:  # the main thread's stacks by CPU time (bench/cpu_sample.py)
        entry = [str(SAMPLER), sample, *entry]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLP_")}
    env["DLP_NOTIFY_TOKEN"] = notify_token
    log = (data_dir / "gateway.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, *entry, "run", "--upstream", upstream, "--listen", f"127.0.0.1:{port}",
         "--admin-listen", f"127.0.0.1:{admin}", "--review-listen", "off", "--data-dir", str(data_dir),
         "--ready-file", str(ready), "--no-ner", "--log-level", "WARNING",
         "--event-loop", "uvloop" if uvloop else "asyncio", *extra],
        cwd=root, env=env, stdout=log, stderr=log)  # `-m` imports dlp_proxy from cwd first
    deadline = time.monotonic() + START_SECONDS
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"gateway did not start: {(data_dir / 'gateway.log').read_text()[-3000:]}")
        time.sleep(0.1)
    wait_quiet(proc.pid, START_SECONDS)
    ADMIN[proc.pid] = admin_url
    return proc, f"http://127.0.0.1:{port}"


#: seconds a gateway may take to start (its detectors and file workers: minutes on a
#: machine at a load average of 40)
START_SECONDS = 420.0

#: a gateway's admin URL by its pid (``archive_totals``)
ADMIN: dict[int, str] = {}


def archive_totals(pid: int | None) -> tuple[float, float, float]:
    """(fdatasync seconds, commits, records) of a gateway's archive since it started,
    from its admin /metrics; zeros for a target without one."""
    url = ADMIN.get(pid or -1)
    if url is None:
        return 0.0, 0.0, 0.0
    try:
        text = httpx.get(f"{url}/metrics", timeout=10).text
    except httpx.HTTPError:
        return 0.0, 0.0, 0.0
    values: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("dlp_archive_sync_seconds", "dlp_archive_commits", "dlp_archive_records"):
            values[name] = float(value)
    return (values.get("dlp_archive_sync_seconds", 0.0), values.get("dlp_archive_commits", 0.0),
            values.get("dlp_archive_records", 0.0))


def wait_quiet(pid: int, limit: float = 120) -> None:
    """Until the process tree is idle: the gateway opens its port while its file
    workers are still building their detectors (server.py ``file_scanner.warm_up``),
    seconds of CPU that the first scenario's figures would otherwise carry."""
    deadline = time.monotonic() + limit
    before = tree_cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = tree_cpu_seconds(pid)
        if now - before < 0.05:
            return
        before = now


def wrk(url: str, scenario: str, env: dict[str, str], duration: float, connections: int, threads: int) -> dict[str, Any]:
    full_env = dict(os.environ, BENCH_SCENARIO=scenario, **env)
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--timeout", "10s",
           "-s", str(LUA), url]
    out = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=duration + 60)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            return dict(json.loads(line[len("BENCH_JSON "):]))
    raise RuntimeError(f"wrk gave no result: {out.stdout}\n{out.stderr}")


def to_result(scenario: str, target: str, raw: dict[str, Any]) -> Result:
    secs = raw["duration_us"] / 1e6
    errors = raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"]
    return Result(scenario, target, raw["requests"] / secs if secs else 0.0, raw["p50_us"] / 1000, raw["p90_us"] / 1000,
                  raw["p99_us"] / 1000, raw["max_us"] / 1000, raw["requests"], raw["non_2xx"], errors)


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_ticks(pid: int) -> tuple[int, int]:
    """(utime + stime, parent pid) of one process, from /proc/<pid>/stat."""
    return _proc_ticks_of(Path(f"/proc/{pid}/stat"))


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by ``root`` and every live descendant (Linux /proc)."""
    ticks: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ticks[int(entry.name)] = _proc_ticks(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    wanted, total, frontier = {root}, 0, [root]
    while frontier:
        pid = frontier.pop()
        total += ticks.get(pid, (0, 0))[0]
        for child, (_, parent) in ticks.items():
            if parent == pid and child not in wanted:
                wanted.add(child)
                frontier.append(child)
    return total / _TICK


def thread_cpu_seconds(pid: int) -> tuple[float, float]:
    """(main thread, other threads) CPU seconds so far of process ``pid``, from
    /proc/<pid>/task/*/stat (threads that have ended are not counted)."""
    main = other = 0
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return 0.0, 0.0
    for task in tasks:
        try:
            ticks, _ = _proc_ticks_of(task / "stat")
        except (OSError, ValueError, IndexError):
            continue
        if task.name == str(pid):
            main += ticks
        else:
            other += ticks
    return main / _TICK, other / _TICK


def _proc_ticks_of(stat: Path) -> tuple[int, int]:
    """(utime + stime, parent pid) from a process's or a thread's ``stat`` file."""
    raw = stat.read_text()
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[11]) + int(fields[12]), int(fields[1])


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy (not idle, not iowait), from /proc/stat."""
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in cpu]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / _TICK


class CpuMeter:
    """CPU used by the proxy under test and by the simulator over one wrk run.

    The throughput ratio against the no-op proxy is a ratio of CPU costs when the
    proxy is the bottleneck: a one-threaded proxy saturates at about one core, so
    its req/s is ~1000 / (its CPU ms per request).  Printing the CPU per request
    beside the ratio shows how much of it the gateway's own work is, and the
    machine's busy cores show how much idle CPU another process could have used.
    """

    def __init__(self, proxy_pid: int | None, sim_pid: int) -> None:
        self.proxy_pid, self.sim_pid = proxy_pid, sim_pid

    def __enter__(self) -> CpuMeter:
        self.archive0 = archive_totals(self.proxy_pid)
        self.t0 = time.monotonic()
        self.proxy0 = tree_cpu_seconds(self.proxy_pid) if self.proxy_pid else 0.0
        self.threads0 = thread_cpu_seconds(self.proxy_pid) if self.proxy_pid else (0.0, 0.0)
        self.sim0 = tree_cpu_seconds(self.sim_pid)
        self.busy0 = machine_busy_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.elapsed = time.monotonic() - self.t0
        self.proxy = (tree_cpu_seconds(self.proxy_pid) if self.proxy_pid else 0.0) - self.proxy0
        main, other = thread_cpu_seconds(self.proxy_pid) if self.proxy_pid else (0.0, 0.0)
        self.loop, self.threads = main - self.threads0[0], other - self.threads0[1]
        self.sim = tree_cpu_seconds(self.sim_pid) - self.sim0
        self.busy = machine_busy_seconds() - self.busy0
        self.archive = tuple(b - a for a, b in zip(self.archive0, archive_totals(self.proxy_pid), strict=True))

    def apply(self, r: Result) -> Result:
        n = max(r.requests, 1)
        r.proxy_cpu_ms = 1000 * self.proxy / n
        r.sim_cpu_ms = 1000 * self.sim / n
        r.loop_cpu_ms, r.threads_cpu_ms = 1000 * self.loop / n, 1000 * self.threads / n
        r.children_cpu_ms = max(0.0, r.proxy_cpu_ms - r.loop_cpu_ms - r.threads_cpu_ms)
        r.busy_cores = self.busy / self.elapsed if self.elapsed else 0.0
        sync, commits, records = self.archive
        if commits > 0:
            r.sync_ms = 1000 * sync / commits
            r.records_per_commit = records / commits
        return r


def big_text(mb: float) -> bytes:
    line = b"Quarterly suitability review: holdings rebalanced per model 7, reference 2024-118, no exceptions noted.\n"
    return line * int(mb * 1024 * 1024 / len(line))


class Uploader(threading.Thread):
    """Uploads the large file over and over until stopped; records each answer."""

    def __init__(self, url: str, token: str, channel: str, data: bytes) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.channel, self.data = url, token, channel, data
        self.stop_event = threading.Event()
        self.results: list[tuple[int, float]] = []

    def run(self) -> None:
        with httpx.Client(timeout=120) as c:
            while not self.stop_event.is_set():
                t0 = time.perf_counter()
                try:
                    r = c.post(f"{self.url}/api/v4/files", headers={"Authorization": f"Bearer {self.token}"},
                               data={"channel_id": self.channel}, files={"files": ("big.txt", self.data, "text/plain")})
                    status = r.status_code
                except httpx.HTTPError:
                    status = -1
                self.results.append((status, time.perf_counter() - t0))


def print_line(r: Result) -> None:
    spread = f"  round ratios {min(r.round_ratios):.2f}-{max(r.round_ratios):.2f}" if r.round_ratios else ""
    print(f"  {r.scenario:8s} {r.target:15s} {r.rps:8.0f} req/s  p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms"
          f"  non-2xx {r.non_2xx}  errors {r.errors}  cpu/req proxy {r.proxy_cpu_ms:.3f} ms sim {r.sim_cpu_ms:.3f} ms"
          f" (loop {r.loop_cpu_ms:.3f}, threads {r.threads_cpu_ms:.3f}, children {r.children_cpu_ms:.3f})"
          f"  busy {r.busy_cores:.2f} cores{spread}"
          + (f"  fdatasync {r.sync_ms:.2f} ms x{r.records_per_commit:.1f} records" if r.sync_ms else ""), flush=True)


def reference(target: str) -> str:
    base, _, conns = target.partition("@")
    return ("noop-uvloop" if base.endswith("uvloop") else "noop") + (f"@{conns}" if conns else "")


def measure(urls: dict[str, str], variants: list[str], scenario: str, env: dict[str, str], args: Any, *,
            connections: int, suffix: str, sim: Any, pids: dict[str, int]) -> list[Result]:
    """Every variant on ``scenario``: one run each, or ``args.rounds`` short runs that
    alternate between the variants (one warm-up each first)."""
    rounds = max(1, args.rounds)
    # wrk reads whole seconds only ("-d 1.5s" prints its usage and nothing else): a round of
    # ``--latency-seconds 6 --rounds 4`` runs 2 s
    duration = max(1, math.ceil((args.duration if connections > 1 else args.latency_seconds) / rounds))
    warmup = args.warmup if connections > 1 else 1
    per: dict[str, list[Result]] = {v: [] for v in variants}
    for v in variants:
        sim.clear()
        if warmup:
            wrk(urls[v], scenario, env, warmup, connections, args.threads)
    for _ in range(rounds):
        for v in variants:
            sim.clear()
            with CpuMeter(pids.get(v), sim.proc.pid) as cpu:
                raw = wrk(urls[v], scenario, env, duration, connections, args.threads)
            per[v].append(cpu.apply(to_result(scenario, v + suffix, raw)))
    out: list[Result] = []
    for v, runs in per.items():
        if len(runs) == 1:
            out.append(runs[0])
            continue
        secs = duration * len(runs)
        ref = per.get(reference(v + suffix).removesuffix(suffix))
        ratios = tuple(r.rps / b.rps for r, b in zip(runs, ref, strict=True) if b.rps) if ref and ref is not runs else ()
        out.append(Result(scenario, v + suffix, sum(r.requests for r in runs) / secs,
                          statistics.median(r.p50_ms for r in runs), statistics.median(r.p90_ms for r in runs),
                          statistics.median(r.p99_ms for r in runs), max(r.max_ms for r in runs),
                          sum(r.requests for r in runs), sum(r.non_2xx for r in runs), sum(r.errors for r in runs),
                          ratios, _weighted(runs, "proxy_cpu_ms"), _weighted(runs, "sim_cpu_ms"),
                          statistics.mean(r.busy_cores for r in runs), statistics.median(r.sync_ms for r in runs),
                          statistics.median(r.records_per_commit for r in runs), _weighted(runs, "loop_cpu_ms"),
                          _weighted(runs, "threads_cpu_ms"), _weighted(runs, "children_cpu_ms")))
    return out


def big_file(url: str, v: str, env: dict[str, str], sim: Any, args: Any) -> dict[str, Any]:
    """Clean posts alone, then while a large file is uploaded over and over, in
    ``args.rounds`` alternating pairs; the ratio of the median p99s is the figure.
    Each pair starts after ``os.sync()`` so that disk writeback left by an earlier
    pair (or target) does not land in the next one's fdatasyncs."""
    rounds = max(1, args.rounds)
    duration = max(1, math.ceil(args.duration / rounds))  # whole seconds: wrk reads no others
    alone: list[Result] = []
    during: list[Result] = []
    uploads: list[tuple[int, float]] = []
    for _ in range(rounds):
        sim.clear()
        os.sync()
        alone.append(to_result("clean", v, wrk(url, "clean", env, duration, args.connections, args.threads)))
        up = Uploader(url, env["BENCH_TOKEN"], env["BENCH_CHANNEL"], big_text(args.big_file_mb))
        up.start()
        time.sleep(0.5)
        during.append(to_result("clean+big", v, wrk(url, "clean", env, duration, args.connections, args.threads)))
        up.stop_event.set()
        up.join(180)
        uploads.extend(up.results)
    sim.clear()
    base_p99 = statistics.median(r.p99_ms for r in alone)
    during_p99 = statistics.median(r.p99_ms for r in during)
    per_round = [d.p99_ms / a.p99_ms for a, d in zip(alone, during, strict=True) if a.p99_ms]
    out = {"baseline": asdict(alone[0]), "during": asdict(during[0]), "baseline_p99_ms": base_p99,
           "during_p99_ms": during_p99, "p99_ratio": during_p99 / base_p99 if base_p99 else None,
           "round_ratios": per_round, "baseline_rps": statistics.mean(r.rps for r in alone),
           "during_rps": statistics.mean(r.rps for r in during), "uploads": uploads}
    ok = sum(1 for s, _ in uploads if s == 201)
    print(f"  big-file {v}: clean p99 {base_p99:.2f} ms alone, {during_p99:.2f} ms during {args.big_file_mb:g} MB "
          f"uploads (x{out['p99_ratio']:.2f}; per round {', '.join(f'x{r:.2f}' for r in per_round)}); "
          f"{ok}/{len(uploads)} uploads 201, median {statistics.median(t for _, t in uploads) if uploads else 0:.2f} s",
          flush=True)
    return out


def _weighted(runs: list[Result], attr: str) -> float:
    """A per-request figure over several rounds, weighted by each round's requests."""
    n = sum(r.requests for r in runs)
    return sum(getattr(r, attr) * r.requests for r in runs) / n if n else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--scenarios", default="get,clean,numbered,dirty,mix,upload")
    ap.add_argument("--variants", default="sim,noop,gateway,noop-uvloop,gateway-uvloop")
    ap.add_argument("--noop-burn", type=int, default=45,
                    help="variant noop-burn: chat messages its request hook runs the detector over, a post")
    ap.add_argument("--big-file-mb", type=float, default=10, help="0 to skip the large-file test")
    ap.add_argument("--latency-seconds", type=float, default=5,
                    help="per scenario and target, a run at ONE connection: the latency a request sees when the "
                         "proxy is not saturated (added p50 there is the gateway's own cost); 0 to skip")
    ap.add_argument("--rounds", type=int, default=1,
                    help="split each run into this many rounds that alternate between the targets (noop, gateway, "
                         "noop, gateway...): on a shared machine whose speed drifts, a ratio of two runs taken "
                         "seconds apart moves with the drift; the table then shows totals, median p50/p99 and the "
                         "spread of the per-round ratios")
    ap.add_argument("--gateway-arg", action="append", default=[], help="extra `dlp-proxy run` argument (repeatable)")
    ap.add_argument("--base-root", help="variant 'base': the gateway run from this checkout (e.g. a `git worktree` "
                                        "of an earlier commit), to compare two versions side by side")
    ap.add_argument("--json-out")
    ap.add_argument("--profile", metavar="PREFIX",
                    help="run the gateway variants under cProfile; PREFIX-<variant>.prof is written when they stop "
                         "(read with python -m pstats; CPU figures are then the profiler's, not the gateway's)")
    ap.add_argument("--sample", metavar="PREFIX",
                    help="run the proxies under bench/cpu_sample.py (a sampler of CPU time, ~1 %% of it); "
                         "PREFIX-<variant>.raw holds the main thread's stacks from start-up's end "
                         "(read with python bench/cpu_sample.py --report PREFIX-<variant>.raw)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    scenarios = args.scenarios.split(",")
    variants = args.variants.split(",")
    info = machine()
    print("machine:", json.dumps(info))
    tmp = Path(tempfile.mkdtemp(prefix="bench-gw-"))
    sim = start_simulator()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {"sim": sim.url}
    results: list[Result] = []
    big: dict[str, Any] = {}
    try:
        for v in variants:
            if v.startswith("noop"):
                procs[v], urls[v] = start_noop(sim.url, v.endswith("uvloop"),
                                               sample=f"{args.sample}-{v}.raw" if args.sample else None,
                                               burn=args.noop_burn if v == "noop-burn" else 0)
                if v == "noop-burn":
                    wait_quiet(procs[v].pid)  # (its detector is built after the port opens)
            elif v.startswith("gateway"):
                procs[v], urls[v] = start_gw(sim.url, sim.token("dlp-bot"), tmp / v, v.endswith("uvloop"), args.gateway_arg,
                                             profile=f"{args.profile}-{v}.prof" if args.profile else None,
                                             sample=f"{args.sample}-{v}.raw" if args.sample else None)
            elif v == "base":
                if not args.base_root:
                    ap.error("variant 'base' needs --base-root")
                procs[v], urls[v] = start_gw(sim.url, sim.token("dlp-bot"), tmp / v, False, args.gateway_arg,
                                             root=Path(args.base_root).resolve(),
                                             profile=f"{args.profile}-{v}.prof" if args.profile else None,
                                             sample=f"{args.sample}-{v}.raw" if args.sample else None)
        pids = {v: p.pid for v, p in procs.items()}
        if args.sample:
            for p in procs.values():
                p.send_signal(signal.SIGUSR2)  # start-up left out (bench/cpu_sample.py)
        env = {"BENCH_TOKEN": sim.token("alice"), "BENCH_CHANNEL": sim.channel("town_square"),
               "BENCH_USER_ID": str(sim.ids["users"]["alice"]), "BENCH_SSN": SSN, "BENCH_CARD": CARD}
        for scenario in scenarios:
            for r in measure(urls, variants, scenario, env, args, connections=args.connections, suffix="", sim=sim,
                             pids=pids):
                results.append(r)
                print_line(r)
        if args.latency_seconds > 0:
            for scenario in scenarios:
                for r in measure(urls, variants, scenario, env, args, connections=1, suffix="@c1", sim=sim, pids=pids):
                    results.append(r)
                    print_line(r)
        if args.big_file_mb > 0:
            # The gateways first: the no-op proxy passes ~10 uploads a second, and the
            # simulator spools each to disk; the writeback that follows stalled the
            # next target's fdatasyncs and inflated its p99 *alone*.
            order = [x for x in variants if x in ("gateway", "base")] + [x for x in variants if x == "noop"]
            for v in order:
                big[v] = big_file(urls[v], v, env, sim, args)
    finally:
        for p in procs.values():
            stop(p)
        stop(sim.proc)
    print_table(results, big)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"machine": info, "args": vars(args), "results": [asdict(r) for r in results],
                                                   "big_file": big}, indent=2))
    return 0


def print_cpu_budget(results: list[Result], target_ratio: float = 0.85) -> None:
    """What the throughput target leaves the gateway, in CPU per request.

    A one-process proxy that is the bottleneck runs at about one core, so reaching
    ``target_ratio`` of the no-op proxy's req/s allows the gateway at most
    noop_cpu / target_ratio CPU ms per request.  And however the gateway's work
    were spread over processes, the machine's cores bound the rate at
    cores / (CPU ms of every process per request): the second figure is the ratio
    that bound allows even with perfect parallelism on this machine.
    """
    by = {(r.scenario, r.target): r for r in results}
    cores = os.cpu_count() or 1
    lines = []
    for r in results:
        ref = by.get((r.scenario, reference(r.target)))
        if ref is None or ref is r or not r.proxy_cpu_ms or not ref.proxy_cpu_ms or "@" in r.target:
            continue
        allowed = ref.proxy_cpu_ms / target_ratio - ref.proxy_cpu_ms
        added = r.proxy_cpu_ms - ref.proxy_cpu_ms
        per_req_all = r.busy_cores / r.rps * 1000 if r.rps else 0.0
        bound = (cores / per_req_all * 1000) / ref.rps if per_req_all and ref.rps else 0.0
        lines.append(f"| {r.scenario} | {r.target} | {ref.proxy_cpu_ms:.3f} | {r.proxy_cpu_ms:.3f} | {added:+.3f} "
                     f"| {allowed:.3f} | {per_req_all:.3f} | {bound:.2f}x |")
    if lines:
        print(f"\nCPU per request against the {target_ratio:g}x target ({cores} cores):")
        print("| scenario | target | noop proxy CPU ms | target proxy CPU ms | added | allowed at the target "
              "| all processes ms/req | ratio bound on all cores |")
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for line in lines:
            print(line)


def print_table(results: list[Result], big: dict[str, Any]) -> None:
    by = {(r.scenario, r.target): r for r in results}
    print()
    print("| scenario | target | req/s | p50 ms | p99 ms | non-2xx | errors | req/s vs noop | p50 added ms "
          "| proxy CPU ms/req | of it loop / threads / children | sim CPU ms/req | busy cores "
          "| archive fdatasync ms (records each) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        ref_name = reference(r.target)
        ref = by.get((r.scenario, ref_name))
        ratio = f"{r.rps / ref.rps:.2f}x" if ref and ref.rps and r.target != ref_name else ""
        if ratio and r.round_ratios:
            ratio += f" ({min(r.round_ratios):.2f}-{max(r.round_ratios):.2f})"
        added = f"{r.p50_ms - ref.p50_ms:+.2f}" if ref and r.target != ref_name else ""
        print(f"| {r.scenario} | {r.target} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.non_2xx} | {r.errors} "
              f"| {ratio} | {added} | {r.proxy_cpu_ms:.3f} "
              f"| {r.loop_cpu_ms:.3f} / {r.threads_cpu_ms:.3f} / {r.children_cpu_ms:.3f} "
              f"| {r.sim_cpu_ms:.3f} | {r.busy_cores:.2f} "
              f"| {f'{r.sync_ms:.2f} ({r.records_per_commit:.1f})' if r.sync_ms else ''} |")
    print_cpu_budget(results)
    for v, b in big.items():
        spread = f" (per round {min(b['round_ratios']):.2f}-{max(b['round_ratios']):.2f})" if b["round_ratios"] else ""
        times = [t for _, t in b["uploads"]]
        print(f"\nlarge file ({v}): clean-post p99 {b['baseline_p99_ms']:.2f} ms alone -> {b['during_p99_ms']:.2f} ms "
              f"during uploads (x{b['p99_ratio']:.2f}{spread}); clean req/s {b['baseline_rps']:.0f} -> "
              f"{b['during_rps']:.0f}; {len(times)} uploads, statuses {sorted({s for s, _ in b['uploads']})}, "
              f"seconds {min(times, default=0):.2f}-{max(times, default=0):.2f}")


if __name__ == "__main__":
    sys.exit(main())
