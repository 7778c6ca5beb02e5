#!/usr/bin/env python3
"""make soak: a fleet of processes sharing one client id against the bundled test server in its
Lucidworks mode (--invalidate-previous: each new token invalidates the client's earlier ones).

Each fleet member is a separate process (this script, `member` mode) that loads the library with
ctypes, makes one client and calls the API in a loop for --seconds. Two runs: tokens not shared
(use_cache = false), then shared on disk (use_cache = true). Then, when given, the hostile
peers of scripts/hostile.py: a CONNECT proxy that trickles one byte a second, and Redis servers
that trickle or announce a huge reply, each against `lucid_client_access_token` with
retry_deadline = 6. Prints, per run: token requests, calls, failed calls, the longest call, and
the members' RSS at start and end. Exits 1 when a target is missed.

Loopback only; every process it starts is bounded in time and stopped at the end.
"""

import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LIB = os.path.join(ROOT, "target", "release", "liblucidauth.so")
SERVER = os.path.join(ROOT, "target", "release", "lucid-testserver")


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def load():
    lib = ctypes.CDLL(LIB)
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    lib.lucid_credentials_builder_new.restype = vp
    lib.lucid_credentials_builder_set.argtypes = [vp, cp, cp, vp]
    lib.lucid_credentials_builder_build.argtypes = [vp, ctypes.POINTER(vp), vp]
    lib.lucid_credentials_builder_free.argtypes = [vp]
    lib.lucid_client_new.argtypes = [vp, ctypes.POINTER(vp), vp]
    lib.lucid_credentials_free.argtypes = [vp]
    lib.lucid_client_request.argtypes = [
        vp, cp, cp, vp, ctypes.c_size_t, vp, ctypes.c_size_t, ctypes.POINTER(vp), vp]
    lib.lucid_client_access_token.argtypes = [vp, cp, ctypes.POINTER(cp), vp]
    lib.lucid_response_status.argtypes = [vp]
    lib.lucid_response_status.restype = ctypes.c_uint16
    lib.lucid_response_free.argtypes = [vp]
    lib.lucid_client_free.argtypes = [vp]
    lib.lucid_status_name.restype = cp
    return lib


def make_client(lib, keys):
    builder = lib.lucid_credentials_builder_new()
    for key, value in keys.items():
        status = lib.lucid_credentials_builder_set(builder, key.encode(), value.encode(), None)
        if status != 0:
            raise SystemExit(f"soak: {key} = {value}: {lib.lucid_status_name(status).decode()}")
    creds, client = ctypes.c_void_p(), ctypes.c_void_p()
    status = lib.lucid_credentials_builder_build(builder, ctypes.byref(creds), None)
    lib.lucid_credentials_builder_free(builder)
    if status != 0 or lib.lucid_client_new(creds, ctypes.byref(client), None) != 0:
        raise SystemExit("soak: cannot make a client")
    lib.lucid_credentials_free(creds)
    return client


def member(args):
    """One fleet member: API calls in a loop; prints its figures as one JSON line."""
    lib = load()
    client = make_client(lib, json.loads(args.keys))
    rss_start = rss_kib()
    calls = failed = 0
    statuses = {}
    longest = 0.0
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        response = ctypes.c_void_p()
        started = time.monotonic()
        status = lib.lucid_client_request(client, b"GET", b"/documents", None, 0, None, 0,
                                          ctypes.byref(response), None)
        longest = max(longest, time.monotonic() - started)
        calls += 1
        if status != 0:
            failed += 1
            name = lib.lucid_status_name(status).decode()
            statuses[name] = statuses.get(name, 0) + 1
        else:
            http = lib.lucid_response_status(response)
            if http != 200:
                failed += 1
                statuses[f"HTTP {http}"] = statuses.get(f"HTTP {http}", 0) + 1
            lib.lucid_response_free(response)
        time.sleep(args.pause)
    lib.lucid_client_free(client)
    print(json.dumps({"calls": calls, "failed": failed, "statuses": statuses,
                      "longest": longest, "rss_start": rss_start, "rss_end": rss_kib()}))


class Server:
    """lucid-testserver on a free loopback port, stopped when its stdin closes."""

    def __init__(self, lifetime, tmp):
        port_file = os.path.join(tmp, "port")
        self.proc = subprocess.Popen(
            [SERVER, "--lifetime", str(lifetime), "--invalidate-previous", "--no-api-key",
             "--port-file", port_file, "--exit-on-stdin-eof"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(port_file) and open(port_file).read().strip():
                break
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{open(port_file).read().strip()}"

    def token_requests(self):
        with urllib.request.urlopen(self.url + "/_admin/stats", timeout=5) as r:
            return json.load(r)["token_requests"]

    def reset(self):
        req = urllib.request.Request(self.url + "/_admin/reset", method="POST", data=b"")
        urllib.request.urlopen(req, timeout=5).close()

    def stop(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


def fleet(server, keys, n, seconds, pause):
    server.reset()
    cmd = [sys.executable, os.path.abspath(__file__), "member", "--seconds", str(seconds),
           "--pause", str(pause), "--keys", json.dumps(keys)]
    members = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(n)]
    results = []
    for p in members:
        out, _ = p.communicate(timeout=seconds + 120)
        results.append(json.loads(out.strip().splitlines()[-1]))
    statuses = {}
    for r in results:
        for k, v in r["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    return {
        "token_requests": server.token_requests(),
        "calls": sum(r["calls"] for r in results),
        "failed": sum(r["failed"] for r in results),
        "statuses": statuses,
        "longest_s": round(max(r["longest"] for r in results), 3),
        "rss_start_kib": max(r["rss_start"] for r in results),
        "rss_end_kib": max(r["rss_end"] for r in results),
    }


def report(name, figures, limits):
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    missed = [f"{k} {figures[k]} > {v}" for k, v in limits.items() if figures[k] > v]
    for m in missed:
        print(f"  MISSED: {m}")
    return not missed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", nargs="?", default="run", choices=["run", "member", "probe"])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--lifetime", type=int, default=8)
    parser.add_argument("--margin", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.01, help="seconds between two calls")
    parser.add_argument("--max-unshared", type=int, default=40)
    parser.add_argument("--max-shared", type=int, default=6)
    parser.add_argument("--hostile", action="store_true",
                        help="also the trickling proxy and the misbehaving Redis servers")
    parser.add_argument("--keys", default="{}")
    args = parser.parse_args()
    if args.mode == "member":
        return member(args)
    if args.mode == "probe":
        sys.path.insert(0, HERE)
        import hostile
        return hostile.probe(load, make_client, json.loads(args.keys))
    ok = True
    with tempfile.TemporaryDirectory(prefix="lucid-soak-") as tmp:
        server = Server(args.lifetime, tmp)
        try:
            keys = {"client_id": "CLIENT_ID", "client_secret": "CLIENT_SECRET",
                    "auth_endpoint": server.url, "api_endpoint": server.url + "/v1",
                    "refresh_margin": str(args.margin), "cache_dir": os.path.join(tmp, "cache")}
            print(f"fleet: {args.processes} processes, one client id, {args.lifetime} s tokens, "
                  f"refresh_margin = {args.margin}, calls for {args.seconds:g} s, "
                  "testserver --invalidate-previous")
            figures = fleet(server, dict(keys, use_cache="false"), args.processes, args.seconds,
                            args.pause)
            ok &= report("use_cache = false", figures, {"token_requests": args.max_unshared})
            figures = fleet(server, dict(keys, use_cache="true"), args.processes, args.seconds,
                            args.pause)
            ok &= report("use_cache = true", figures,
                         {"token_requests": args.max_shared, "failed": 0})
            if args.hostile:
                sys.path.insert(0, HERE)
                import hostile
                ok &= hostile.run(load, make_client, report, server.url)
        finally:
            server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main() or 0)
