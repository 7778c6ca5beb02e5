#!/usr/bin/env python3
"""make bench-wire: what an authorized API request costs on the wire, lucidauth against libcurl,
counted (not timed) from one run, over HTTP and HTTPS (`lucid-testserver --keep-alive`, and
`--tls` with its own CA as lucidauth's ca_file and libcurl's CURLOPT_CAINFO):

- per keep-alive GET: system calls (strace -f -c), user-space instructions (callgrind) and heap
  allocations (memcheck's heap summary), each (count at N=HIGH - count at N=LOW) / (HIGH - LOW);
- a 1 MiB body: the same per-request counts of `GET <api>/bytes/1048576` less those of
  `GET <api>/bytes/1`, divided by the 1,048,575 bytes more;
- a cold request, one fresh process doing one HTTPS request with its TLS handshake: build/lucid
  against the `curl` command, counted per process;
- timing, not counting: 8 threads through one lucidauth client against 8 libcurl easy handles
  (one per thread) over keep-alive HTTP, requests per second (median of the rounds).

    bench/wire.py BUILD_DIR SERVER_BINARY LUCID_BINARY [--smoke]

--smoke (make bench-wire-smoke) runs the same with tiny N, valgrind only for the keep-alive
rows, one timing round, and fails unless every program ran and every figure parsed.
"""
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no bench/__pycache__ from importing wire_tools
from wire_tools import TIMEOUT, Server, available_tools, count, machine

MIB = 1024 * 1024
SIDES = ("lucidauth", "libcurl")
FULL = {"low": 200, "high": 1200, "body_low": 10, "body_high": 50, "threads": 8,
        "thread_requests": 500, "rounds": 5, "valgrind_everywhere": True}
SMOKE = {"low": 20, "high": 40, "body_low": 1, "body_high": 3, "threads": 8,
         "thread_requests": 20, "rounds": 1, "valgrind_everywhere": False}
# lucidauth's targets (issue 20): a per-request count, or a ratio to libcurl.
TARGETS = {("syscalls", "HTTP"): ("count", 4), ("syscalls", "HTTPS"): ("count", 4),
           ("instructions", "HTTP"): ("ratio", 0.6), ("instructions", "HTTPS"): ("ratio", 0.8),
           ("allocations", "HTTP"): ("count", 20), ("allocations", "HTTPS"): ("count", 30)}
LABELS = {"syscalls": "system calls", "instructions": "user-space instructions",
          "allocations": "heap allocations"}


def log(message):
    print(f"bench-wire: {message}", file=sys.stderr, flush=True)


class Bench:
    """The programs, the servers and the settings of one run."""

    def __init__(self, build, lucid, settings, servers):
        self.wire = os.path.join(build, "wire")
        self.wire_threads = os.path.join(build, "wire_threads")
        self.lucid = lucid
        self.settings = settings
        self.servers = servers
        self.connections = []  # (what, side, protocol, connections) of the counted runs

    def side_args(self, side, server, path):
        """What follows N (or THREADS N) on the command line of wire / wire_threads."""
        if side == "lucidauth":
            return [path]
        return [path, server.api, server.api_key, server.ca_file or "-"]

    def per_request(self, tool, side, protocol, path, low, high):
        """(count at N=high - count at N=low) / (high - low) for `side`'s GETs of `path`."""
        server = self.servers[protocol]
        counts = []
        for n in (low, high):
            command = [self.wire, side, server.credentials, str(n),
                       *self.side_args(side, server, path)]
            value, stats = server.counted(lambda: count(tool, command), api=n + 1)
            counts.append(value)
        self.connections.append((path, side, protocol, stats["connections"]))
        return (counts[1] - counts[0]) / (high - low)


def keep_alive_rows(bench, tools):
    s = bench.settings
    rows = []
    for tool in tools:
        for protocol in bench.servers:
            values = [bench.per_request(tool, side, protocol, "/documents", s["low"], s["high"])
                      for side in SIDES]
            log(f"keep-alive {protocol} {tool}: {values}")
            rows.append({"label": f"{LABELS[tool]}, {protocol}", "values": values,
                         "format": "k" if tool == "instructions" else "1",
                         "target": TARGETS[(tool, protocol)]})
    return rows


def body_rows(bench, tools):
    """Per byte of a 1 MiB body: (per request of bytes/1048576 - of bytes/1) / 1,048,575."""
    s = bench.settings
    rows = []
    for tool in tools:
        for protocol in bench.servers:
            values = []
            for side in SIDES:
                big, small = (bench.per_request(tool, side, protocol, f"/bytes/{size}",
                                                s["body_low"], s["body_high"])
                              for size in (MIB, 1))
                values.append((big - small) / (MIB - 1))
            log(f"1 MiB body {protocol} {tool} per byte: {values}")
            label = {"syscalls": "system calls per MiB",
                     "instructions": "instructions per byte",
                     "allocations": "heap allocations per MiB"}[tool]
            per_mib = tool != "instructions"
            rows.append({"label": f"1 MiB body: {label}, {protocol}",
                         "values": [v * MIB for v in values] if per_mib else values,
                         "format": "1" if per_mib else "3", "target": None})
    return rows


def cold_commands(bench, tmp):
    """{what: ({side: command}, api requests, token requests)}: one fresh process each, HTTPS."""
    server = bench.servers["HTTPS"]
    cached = os.path.join(tmp, "cached.cfg")
    with open(cached, "w") as out:
        out.write(open(server.credentials).read())
        out.write(f"use_cache = true\ncache_dir = {os.path.join(tmp, 'cache')}\n")
    token = subprocess.run([bench.lucid, "--credentials", cached, "token"], check=True,
                           capture_output=True, text=True).stdout.strip()
    version = subprocess.run([bench.lucid, "version"], check=True, capture_output=True,
                             text=True).stdout.split()[-1]
    curl = ["curl", "-s", "--fail", "-o", "/dev/null", "--cacert", server.ca_file]
    get = {"lucidauth": [bench.lucid, "--credentials", cached, "request", "GET", "/documents"],
           "libcurl": [*curl, "-A", f"lucidauth/{version}", "-H", f"x-api-key: {server.api_key}",
                       "-H", f"Authorization: Bearer {token}", f"{server.api}/documents"]}
    token_url = f"{server.base}/oauth2/token?grant_type=client_credentials"
    fetch = {"lucidauth": [bench.lucid, "--credentials", server.credentials, "token"],
             "libcurl": [*curl, "-X", "POST", "-u", "CLIENT_ID:CLIENT_SECRET",
                         "-H", "Accept: application/json", token_url]}
    return {"authorized GET, token from the disk cache (use_cache)": (get, 1, 0),
            "token request (POST, Basic)": (fetch, 0, 1)}


def cold_rows(bench, tools, tmp):
    server = bench.servers["HTTPS"]
    rows = []
    for what, (commands, api, token) in cold_commands(bench, tmp).items():
        for tool in tools:
            values = [server.counted(lambda: count(tool, commands[side]), api, token)[0]
                      for side in SIDES]
            log(f"cold {what} {tool}: {values}")
            rows.append({"label": f"{what}: {LABELS[tool]}", "values": values,
                         "format": "k" if tool == "instructions" else "0", "target": None})
    return rows


def thread_row(bench):
    """Timing: the median requests/s of each side over the rounds (the order alternating)."""
    s = bench.settings
    server = bench.servers["HTTP"]
    rates = {side: [] for side in SIDES}
    connections = {side: [] for side in SIDES}
    for round_ in range(s["rounds"]):
        for side in (SIDES if round_ % 2 == 0 else SIDES[::-1]):
            command = [bench.wire_threads, side, server.credentials, str(s["threads"]),
                       str(s["thread_requests"]), *bench.side_args(side, server, "/documents")]
            run = lambda: subprocess.run(command, check=True, capture_output=True, text=True,
                                         timeout=TIMEOUT).stdout
            out, stats = server.counted(run, api=s["threads"] * (s["thread_requests"] + 1))
            rates[side].append(json.loads(out)["requests_per_sec"])
            connections[side].append(stats["connections"])
    log(f"{s['threads']} threads: requests/s {rates}, connections {connections}")
    values = [statistics.median(rates[side]) for side in SIDES]
    return {"values": values, "rates": rates, "connections": connections}


def ratio(values):
    a, b = values
    return a / b if b else math.nan


def cell(value, form):
    if form == "k":
        return f"{value / 1000:,.1f} k"
    return f"{value:,.{int(form)}f}"


def verdict(row):
    if row["target"] is None:
        return "", ""
    kind, limit = row["target"]
    if kind == "count":
        return f"≤ {limit}", "met" if row["values"][0] <= limit else "**not met**"
    return f"≤ {limit}×", "met" if ratio(row["values"]) <= limit else "**not met**"


def print_table(title, rows):
    print(f"\n| {title} | lucidauth | libcurl | lucidauth ÷ libcurl | target | |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        target, met = verdict(row)
        a, b = (cell(v, row["format"]) for v in row["values"])
        times = f"{ratio(row['values']):.2f}×" if row["values"][1] else "—"
        print(f"| {row['label']} | {a} | {b} | {times} | {target} | {met} |")


def print_threads(bench, row):
    s = bench.settings
    a, b = row["values"]
    met = "met" if ratio(row["values"]) >= 1.0 else "**not met**"
    print(f"\n| TIMING (moves with the machine's load): {s['threads']} threads × "
          f"{s['thread_requests']} keep-alive GETs over HTTP, median of rounds: {s['rounds']} "
          "| lucidauth, one client | libcurl, an easy handle per thread "
          "| lucidauth ÷ libcurl | target | |")
    print("|---|---|---|---|---|---|")
    print(f"| requests per second | {a:,.0f} | {b:,.0f} | {ratio(row['values']):.2f}× | ≥ 1.0× "
          f"| {met} |")
    conns = [", ".join(map(str, row["connections"][side])) for side in SIDES]
    print(f"| TCP connections the server saw, per round | {conns[0]} | {conns[1]} | | | |")


def check_figures(rows, threads):
    """--smoke: every figure a finite number, every count and rate positive."""
    bad = [row["label"] for row in rows if not all(math.isfinite(v) for v in row["values"])]
    bad += [row["label"] for row in rows
            if "allocations" not in row["label"] and not all(v > 0 for v in row["values"])]
    if not all(v > 0 for v in threads["values"]):
        bad.append("threads")
    if bad:
        raise SystemExit(f"bench-wire-smoke: figures that did not parse or are not positive: "
                         f"{bad}")


def run(bench, tools, tmp):
    valgrind_too = bench.settings["valgrind_everywhere"]
    later_tools = tools if valgrind_too else [t for t in tools if t == "syscalls"]
    keep_alive = keep_alive_rows(bench, tools)
    body = body_rows(bench, later_tools)
    cold = cold_rows(bench, later_tools, tmp)
    threads = thread_row(bench)
    return keep_alive, body, cold, threads


def report(bench, keep_alive, body, cold, threads):
    s = bench.settings
    print(f"bench-wire: {machine()}")
    print_table(f"per keep-alive authorized GET (count at N={s['high']:,} − at N={s['low']:,}) "
                f"÷ {s['high'] - s['low']:,}", keep_alive + body)
    print_table("cold HTTPS request, one fresh process each (build/lucid against the curl "
                "command), counted per process", cold)
    print_threads(bench, threads)
    many = [c for c in bench.connections if c[3] > 2]
    for path, side, protocol, n in many:
        print(f"bench-wire: note: {side} {protocol} GET {path}: {n} TCP connections in one run")


def main():
    args = [a for a in sys.argv[1:] if a != "--smoke"]
    smoke = "--smoke" in sys.argv[1:]
    if len(args) != 3:
        raise SystemExit("usage: bench/wire.py BUILD_DIR SERVER_BINARY LUCID_BINARY [--smoke]")
    build, binary, lucid = args
    tools = available_tools()
    for tool, exe in (("syscalls", "strace"), ("instructions", "valgrind")):
        if tool not in tools:
            log(f"{exe} not found (apt-get install {exe}): {tool} not counted")
    if shutil.which("curl") is None:
        raise SystemExit("bench-wire: the curl command is needed (apt-get install curl)")
    with tempfile.TemporaryDirectory() as tmp:
        servers = {}
        try:
            for protocol in ("HTTP", "HTTPS"):
                servers[protocol] = Server(binary, tmp, tls=protocol == "HTTPS")
            bench = Bench(build, lucid, SMOKE if smoke else FULL, servers)
            figures = run(bench, tools, tmp)
        finally:
            for server in servers.values():
                server.stop()
    report(bench, *figures)
    if smoke:
        check_figures([row for part in figures[:3] for row in part], figures[3])
        print("bench-wire-smoke: every program ran and every figure parsed")


if __name__ == "__main__":
    main()
