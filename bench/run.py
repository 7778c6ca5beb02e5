#!/usr/bin/env python3
"""Runs lucidauth's benchmarks (BENCHMARKS.md) and prints the table of figures.

Called by `make bench` (mk/bench.mk) once everything is built:

    python3 bench/run.py [--runs N] [--only NAME,...] [--out DIR]

NAME is one of token_read, stampede, requests, cold_start, footprint. Every figure is measured
--runs times (default 5, or $BENCH_RUNS) and shown as min / median / max; a ratio is computed
within each run (both sides measured back to back) and its min / median / max shown. Writes
results.json, results.md (the table) and, when matplotlib is installed, read_latency.png to
--out (default build/bench). Standard library only.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "build" / "bench"
RELEASE = ROOT / "target" / "release"
STAMPEDE = ROOT / "target" / "bench" / "release" / "stampede"
REFRESH = ROOT / "target" / "bench" / "release" / "refresh"
LUCID = ROOT / "build" / "lucid"
BENCHES = ["token_read", "stampede", "refresh", "requests", "cold_start", "footprint"]

TOKEN_READ_CALLS = 3_000_000  # per measurement, shared by the threads
TOKEN_READ_THREADS = "1,2,4,8"
REQUESTS = 2000  # sequential requests per side and round
COLD_START_RUNS = 30  # hyperfine runs per command
JWT_SIZED = 1024  # length of the "realistic" token


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def on_cpus(cpus):
    """A preexec_fn that pins the child to `cpus` (None: no pinning)."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


class Server:
    """`lucid-testserver --keep-alive` on a free port, with a temporary HOME holding
    .lucidtech/credentials.cfg; stops when its stdin closes. `cpus` pins it."""

    def __init__(self, cpus=None):
        self.cpus = cpus

    def __enter__(self):
        self.home = Path(tempfile.mkdtemp(prefix="lucidauth-bench-"))
        self.credentials = self.home / ".lucidtech" / "credentials.cfg"
        self.process = subprocess.Popen(
            [str(RELEASE / "lucid-testserver"), "--keep-alive", "--exit-on-stdin-eof",
             "--credentials-out", str(self.credentials)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            preexec_fn=on_cpus(self.cpus))
        line = self.process.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            raise SystemExit(f"bench: lucid-testserver did not start: {line!r}")
        self.base = line.split(" ", 1)[1]
        return self

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def __exit__(self, *exc):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.home, ignore_errors=True)


def json_lines(command, cpus=None):
    """Runs `command` (pinned to `cpus`) and returns the JSON objects it printed, one a line."""
    result = subprocess.run([str(c) for c in command], stdout=subprocess.PIPE, text=True,
                            preexec_fn=on_cpus(cpus), check=False)
    if result.returncode != 0:
        raise SystemExit(f"bench: {' '.join(map(str, command))} failed ({result.returncode})")
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def mmm(values):
    """(min, median, max) of a non-empty list."""
    return (min(values), statistics.median(values), max(values))


# --- the benchmarks --------------------------------------------------------------------------

def bench_token_read(server, runs):
    rows = []  # every JSON line, with the run number and token size
    for run in range(1, runs + 1):
        log(f"token_read run {run}/{runs}")
        for line in json_lines([BIN / "token_read", server.credentials, TOKEN_READ_THREADS,
                                TOKEN_READ_CALLS]):
            rows.append({**line, "run": run, "token": "short"})
        # The same with a JWT-sized token: the next token request gets it (scripted).
        token = "j" * JWT_SIZED
        server.admin("POST", "/_admin/script", {
            "target": "token", "status": 200,
            "body": {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}})
        for line in json_lines([BIN / "token_read", server.credentials, "1,2",
                                TOKEN_READ_CALLS, "lucidauth,lucidauth_buf,mutex_strdup"]):
            rows.append({**line, "run": run, "token": "1KiB"})
    return rows


def bench_stampede(runs):
    log(f"stampede: {runs} runs")
    return json_lines([STAMPEDE, runs])


def bench_refresh(runs, out):
    log(f"refresh ahead: {runs} runs of ~7 s in each mode")
    return json_lines([REFRESH, runs, out])


def bench_requests(server, runs):
    """Twice: client and server free to use every CPU ("shared"), then both pinned to CPU 0
    ("pinned"), where no request waits for an idle CPU to wake up and the rate measures the CPU
    time of a round trip."""
    log(f"requests: {runs} rounds of {REQUESTS} requests per side, unpinned")
    rows = [{**r, "mode": "shared"}
            for r in json_lines([BIN / "requests", server.credentials, runs, REQUESTS])]
    log(f"requests: {runs} rounds of {REQUESTS} requests per side, pinned to CPU 0")
    with Server(cpus={0}) as pinned:
        rows += [{**r, "mode": "pinned"}
                 for r in json_lines([BIN / "requests", pinned.credentials, runs, REQUESTS],
                                     cpus={0})]
    return rows


def bench_cold_start(server, out):
    log(f"cold_start: hyperfine, {COLD_START_RUNS} runs per command")
    path = out / "cold_start.json"
    code = subprocess.run(["sh", str(ROOT / "bench" / "cold_start.sh"), str(LUCID),
                           str(server.home), server.base, str(COLD_START_RUNS), str(path)]).returncode
    if code != 0:
        log("cold_start skipped")
        return None
    results = json.loads(path.read_text())["results"]
    return {r["command"]: r["times"] for r in results}


def valgrind_allocs(command):
    result = subprocess.run(["valgrind", "--tool=memcheck", *map(str, command)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in result.stderr.splitlines():
        if "total heap usage:" in line:
            return int(line.split("total heap usage:")[1].split("allocs")[0].replace(",", ""))
    raise SystemExit(f"bench: no heap summary from valgrind for {command}")


def bench_footprint(server, runs, out):
    log("footprint")
    library = RELEASE / "liblucidauth.so"
    stripped = out / "liblucidauth.stripped.so"
    subprocess.run(["strip", "-o", str(stripped), str(library)], check=True)
    result = {"so_bytes": library.stat().st_size, "so_stripped_bytes": stripped.stat().st_size}
    stripped.unlink()
    curl = Path("/usr/lib/x86_64-linux-gnu/libcurl.so.4")
    if curl.exists():
        result["libcurl_so_bytes"] = curl.resolve().stat().st_size
    result["rss"] = [json_lines([BIN / "footprint", server.credentials, "rss"])[0]
                     for _ in range(runs)]
    if shutil.which("valgrind") is None:
        log("valgrind not found (apt-get install valgrind): allocations not counted")
        return result
    prog = [BIN / "footprint", server.credentials]
    a, b = valgrind_allocs(prog + ["reads", 1000]), valgrind_allocs(prog + ["reads", 2000])
    result["allocs_per_read"] = (b - a) / 1000
    a, b = valgrind_allocs(prog + ["requests", 100]), valgrind_allocs(prog + ["requests", 200])
    result["allocs_per_request"] = (b - a) / 100
    return result


# --- the table -------------------------------------------------------------------------------

def fmt(value, unit=""):
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return text + unit


def triple(values, unit=""):
    lo, mid, hi = mmm(values)
    return f"{fmt(mid, unit)} ({fmt(lo)}–{fmt(hi)})"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def summarize(results):
    """The Markdown table, and the list of target verdicts."""
    rows = []
    head = ("| benchmark | measure | lucidauth | alternative | ratio | target | |\n"
            "|---|---|---|---|---|---|---|")

    def row(*cells):
        rows.append("| " + " | ".join(cells) + " |")

    tr = results.get("token_read")
    if tr:
        def pick(impl, threads, token="short"):
            return {r["run"]: r for r in tr
                    if r["impl"] == impl and r["threads"] == threads and r["token"] == token}
        lucid1, base1 = pick("lucidauth", 1), pick("mutex_strdup", 1)
        lucid2, base2 = pick("lucidauth", 2), pick("mutex_strdup", 2)
        clock1 = pick("mutex_clock", 1)
        runs = sorted(lucid1)
        ratio = [lucid1[r]["ns_per_call"] / base1[r]["ns_per_call"] for r in runs]
        row("1 cached token read", "ns per call, 1 thread",
            triple([lucid1[r]["ns_per_call"] for r in runs], " ns"),
            "mutex+strdup " + triple([base1[r]["ns_per_call"] for r in runs], " ns"),
            triple(ratio, "×"), "≤ 2×", verdict(statistics.median(ratio) <= 2))
        buf1, buf2 = pick("lucidauth_buf", 1), pick("lucidauth_buf", 2)
        if buf1:
            bratio = [buf1[r]["ns_per_call"] / base1[r]["ns_per_call"] for r in runs]
            row("", "ns per call, 1 thread, lucid_client_access_token_buf (stack buffer)",
                triple([buf1[r]["ns_per_call"] for r in runs], " ns"),
                "mutex+strdup " + triple([base1[r]["ns_per_call"] for r in runs], " ns"),
                triple(bratio, "×"), "≤ 1.0×", verdict(statistics.median(bratio) <= 1.0))
            bclock = [buf1[r]["ns_per_call"] / clock1[r]["ns_per_call"] for r in runs]
            row("", "ns per call, 1 thread, buffer read against mutex+clock+strdup",
                triple([buf1[r]["ns_per_call"] for r in runs], " ns"),
                "mutex+clock+strdup " + triple([clock1[r]["ns_per_call"] for r in runs], " ns"),
                triple(bclock, "×"), "(info)", "")
            bscale = [buf2[r]["calls_per_sec"] / buf1[r]["calls_per_sec"] for r in runs]
            row("", "calls/s, 2 threads ÷ 1 thread, buffer read",
                triple([buf2[r]["calls_per_sec"] / 1e6 for r in runs], " M/s") + " → " +
                triple(bscale, "×"), "", "", "≥ 1.8×", verdict(statistics.median(bscale) >= 1.8))
        ratio_clock = [lucid1[r]["ns_per_call"] / clock1[r]["ns_per_call"] for r in runs]
        row("", "ns per call, 1 thread (baseline also reads the clock)",
            triple([lucid1[r]["ns_per_call"] for r in runs], " ns"),
            "mutex+clock+strdup " + triple([clock1[r]["ns_per_call"] for r in runs], " ns"),
            triple(ratio_clock, "×"), "(info)", "")
        scaling = [lucid2[r]["calls_per_sec"] / lucid1[r]["calls_per_sec"] for r in runs]
        base_scaling = [base2[r]["calls_per_sec"] / base1[r]["calls_per_sec"] for r in runs]
        row("", "calls/s, 2 threads ÷ 1 thread",
            triple([lucid2[r]["calls_per_sec"] / 1e6 for r in runs], " M/s") + " → " +
            triple(scaling, "×"),
            "mutex+strdup " + triple(base_scaling, "×"), "", "≥ 1.6×",
            verdict(statistics.median(scaling) >= 1.6))
        ideal1, ideal2 = pick("strdup_only", 1), pick("strdup_only", 2)
        comp1, comp2 = pick("compute", 1), pick("compute", 2)
        if ideal1 and comp1:
            row("", "calls/s, 2 threads ÷ 1 thread: what this machine allows",
                "strdup+free, no lock " +
                triple([ideal2[r]["calls_per_sec"] / ideal1[r]["calls_per_sec"] for r in runs],
                       "×"),
                "arithmetic only " +
                triple([comp2[r]["calls_per_sec"] / comp1[r]["calls_per_sec"] for r in runs],
                       "×"), "", "(control)", "")
        j1, jb1 = pick("lucidauth", 1, "1KiB"), pick("mutex_strdup", 1, "1KiB")
        j2 = pick("lucidauth", 2, "1KiB")
        if j1:
            jr = [j1[r]["ns_per_call"] / jb1[r]["ns_per_call"] for r in runs]
            row("", f"ns per call, 1 thread, {JWT_SIZED}-byte token",
                triple([j1[r]["ns_per_call"] for r in runs], " ns"),
                "mutex+strdup " + triple([jb1[r]["ns_per_call"] for r in runs], " ns"),
                triple(jr, "×"), "(info)", "")
            js = [j2[r]["calls_per_sec"] / j1[r]["calls_per_sec"] for r in runs]
            row("", f"calls/s, 2 threads ÷ 1 thread, {JWT_SIZED}-byte token",
                triple(js, "×"), "", "", "(info)", "")

    rf = results.get("refresh")
    if rf:
        by = {mode: [r for r in rf if r["mode"] == mode] for mode in ["wait_at_expiry", "refresh_ahead"]}
        before = [r["max_wait_ns"] / 1e6 for r in by["wait_at_expiry"]]
        after = [r["max_wait_ns"] / 1e6 for r in by["refresh_ahead"]]
        row("6 refresh (8 threads, 200 ms token endpoint, 3 refreshes)",
            "longest wait of any read after the first",
            "refresh ahead " + triple(after, " ms"), "waiting at expiry " + triple(before, " ms"),
            "", "no read waits for a fetch", verdict(max(after) < 50))
        row("", "reads over 1 ms / token requests",
            "refresh ahead " + triple([r["reads_over_1ms"] for r in by["refresh_ahead"]]) + " / " +
            triple([r["token_requests"] for r in by["refresh_ahead"]]),
            "waiting at expiry " + triple([r["reads_over_1ms"] for r in by["wait_at_expiry"]]) +
            " / " + triple([r["token_requests"] for r in by["wait_at_expiry"]]),
            "", "(report)", "")

    st = results.get("stampede")
    if st:
        counts = [r["token_requests"] for r in st]
        exact = all(r["token_requests"] == r["expected_token_requests"] for r in st)
        row("2 stampede (64 threads × 1000 reads, 5 expiries)", "token requests",
            ", ".join(str(c) for c in counts), "", "", "= 6 each run", verdict(exact))
        row("", "p99 of reads that did not wait for a fetch",
            triple([r["p99_ns"] for r in st], " ns"), "", "",
            "(report; p50 " + triple([r["p50_ns"] for r in st], " ns") + ")", "")
        row("", "longest wait for a fetch", triple([r["max_wait_ns"] / 1e6 for r in st], " ms"),
            "", "", "(info; reads that waited: " + triple([r["waited_reads"] for r in st]) + ")",
            "")

    rq = results.get("requests")
    if rq:
        conns_ok, conns = True, {"lucidauth": set(), "libcurl": set()}
        for mode, title, target in [
                ("pinned", "requests/s, client and server pinned to one CPU", "≥ 0.9×"),
                ("shared", "requests/s, client and server unpinned", "(info)")]:
            lucid = {r["round"]: r for r in rq if r["impl"] == "lucidauth" and r["mode"] == mode}
            curl = {r["round"]: r for r in rq if r["impl"] == "libcurl" and r["mode"] == mode}
            rounds = sorted(lucid)
            ratio = [lucid[r]["requests_per_sec"] / curl[r]["requests_per_sec"] for r in rounds]
            row("3 authorized GET, loopback, keep-alive" if mode == "pinned" else "", title,
                triple([lucid[r]["requests_per_sec"] for r in rounds]),
                "libcurl, one easy handle " +
                triple([curl[r]["requests_per_sec"] for r in rounds]),
                triple(ratio, "×"), target,
                verdict(statistics.median(ratio) >= 0.9) if target != "(info)" else "")
            for impl, runs_of in [("lucidauth", lucid), ("libcurl", curl)]:
                conns[impl] |= {runs_of[r]["connections"] for r in rounds}
                conns_ok &= all(runs_of[r]["api_requests"] == REQUESTS for r in rounds)
        conns_ok &= conns["lucidauth"] == {1}
        row("", f"TCP connections per run of {REQUESTS} sequential requests (server count)",
            "/".join(map(str, sorted(conns["lucidauth"]))),
            "/".join(map(str, sorted(conns["libcurl"]))), "", "1", verdict(conns_ok))

    cs = results.get("cold_start")
    if cs:
        lucid, curl = [t * 1e3 for t in cs["lucid"]], [t * 1e3 for t in cs["curl"]]
        row("4 cold start to a token printed", "ms per process",
            "`lucid token` " + triple(lucid, " ms"), "`curl -X POST` " + triple(curl, " ms"),
            fmt(statistics.median(lucid) / statistics.median(curl), "×") + " (medians)",
            "(report)", "")
        if "lucid_cached" in cs:
            cached = [t * 1e3 for t in cs["lucid_cached"]]
            row("", "ms per process, `use_cache = true` (token read from the shared cache)",
                "`lucid token` " + triple(cached, " ms"), "`curl -X POST` " + triple(curl, " ms"),
                fmt(statistics.median(cached) / statistics.median(curl), "×") + " (medians)",
                "(report)", "")

    fp = results.get("footprint")
    if fp:
        extra = (f"libcurl.so.4 alone {fp['libcurl_so_bytes'] / 1024:,.0f} KiB"
                 if "libcurl_so_bytes" in fp else "")
        row("5 footprint", "liblucidauth.so stripped",
            f"{fp['so_stripped_bytes'] / 1024:,.0f} KiB (unstripped "
            f"{fp['so_bytes'] / 1024:,.0f} KiB)", extra, "", "(report)", "")
        rss = fp["rss"]
        # Growth per read would show between 1M and 2M reads as much as between 1k and 1M.
        growth = [max(r["rss_kb_2m"] - r["rss_kb_1m"], r["hwm_kb_2m"] - r["hwm_kb_1k"])
                  for r in rss]
        row("", "VmRSS / VmHWM after 1,000 → 1,000,000 → 2,000,000 reads",
            " → ".join(triple([r[f"rss_kb_{n}"] for r in rss], " kB") + " / " +
                       triple([r[f"hwm_kb_{n}"] for r in rss], " kB")
                       for n in ["1k", "1m", "2m"]),
            "", "growth " + triple(growth, " kB"), "no growth",
            verdict(max(growth) <= 64))
        if "allocs_per_read" in fp:
            row("", "heap allocations per cached read (valgrind)",
                fmt(fp["allocs_per_read"]), "strdup: 1", "", "(report)", "")
            row("", "heap allocations per API request (valgrind)",
                fmt(fp["allocs_per_request"]), "", "", "(report)", "")
    return head + "\n" + "\n".join(rows)


def plot(results, out):
    tr = results.get("token_read")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot")
        return None
    if not tr:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for impl, label in [("lucidauth", "lucidauth (C ABI)"), ("mutex_strdup", "mutex + strdup"),
                        ("mutex_clock", "mutex + clock + strdup"),
                        ("strdup_only", "strdup, no lock (control)")]:
        threads = sorted({r["threads"] for r in tr if r["impl"] == impl and r["token"] == "short"})
        mids, lows, highs = [], [], []
        for t in threads:
            lo, mid, hi = mmm([r["ns_per_call"] for r in tr
                               if r["impl"] == impl and r["threads"] == t and r["token"] == "short"])
            mids.append(mid)
            lows.append(mid - lo)
            highs.append(hi - mid)
        ax.errorbar(threads, mids, yerr=[lows, highs], marker="o", capsize=3, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([1, 2, 4, 8], ["1", "2", "4", "8"])
    ax.set_xlabel("threads (the machine has 2 cores)")
    ax.set_ylabel("ns per read on its thread (median, min–max)")
    ax.set_title("Cached token read latency vs threads")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    path = out / "read_latency.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def plot_refresh(results, out):
    """Read latency over time across three refreshes, with and without refresh ahead."""
    if not results.get("refresh"):
        return None
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib not installed: no plot")
        return None
    fig, ax = plt.subplots(figsize=(7.5, 4))
    for mode, label, colour in [("wait_at_expiry", "refresh_ahead = false", "tab:red"),
                                ("refresh_ahead", "refresh_ahead = true", "tab:blue")]:
        path = out / f"refresh-{mode}.csv"
        if not path.exists():
            continue
        points = [line.split(",") for line in path.read_text().splitlines()]
        ax.scatter([float(t) for t, _ in points], [max(int(us), 1) for _, us in points],
                   s=2, alpha=0.4, color=colour, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("seconds (tokens live 4 s, renewed 2 s before expiry; endpoint takes 200 ms)")
    ax.set_ylabel("read latency, µs")
    ax.set_title("Token read latency across three refreshes, 8 threads")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(markerscale=6)
    path = out / "refresh_latency.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def machine():
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "commit": commit.stdout.strip() + (" (src/ modified)" if dirty.stdout.strip() else ""),
            "load_before": os.getloadavg()[0]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    parser.add_argument("--only", default=",".join(BENCHES))
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    args = parser.parse_args()
    only = args.only.split(",")
    unknown = set(only) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)

    results = {"machine": machine(), "runs": args.runs}
    with Server() as server:
        if "token_read" in only:
            results["token_read"] = bench_token_read(server, args.runs)
        if "stampede" in only:
            results["stampede"] = bench_stampede(args.runs)
        if "refresh" in only:
            results["refresh"] = bench_refresh(args.runs, args.out)
        if "requests" in only:
            results["requests"] = bench_requests(server, args.runs)
        if "cold_start" in only:
            results["cold_start"] = bench_cold_start(server, args.out)
        if "footprint" in only:
            results["footprint"] = bench_footprint(server, args.runs, args.out)
    results["machine"]["load_after"] = os.getloadavg()[0]

    table = summarize(results)
    m = results["machine"]
    header = (f"{m['nproc']} CPUs ({m['cpu']}), Linux {m['kernel']}, commit {m['commit']}; "
              f"{args.runs} runs, figures are median (min–max); load average "
              f"{m['load_before']:.2f} before, {m['load_after']:.2f} after")
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    (args.out / "results.md").write_text(header + "\n\n" + table + "\n")
    picture = plot(results, args.out)
    refresh_picture = plot_refresh(results, args.out)
    print()
    print(header)
    print()
    print(table)
    print()
    print(f"written: {args.out / 'results.json'}, {args.out / 'results.md'}"
          + (f", {picture}" if picture else "")
          + (f", {refresh_picture}" if refresh_picture else ""))


if __name__ == "__main__":
    main()
