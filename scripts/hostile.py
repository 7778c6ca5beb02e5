#!/usr/bin/env python3
"""Hostile peers for the soak (scripts/soak.py --hostile), loopback only and bounded in time:

- a CONNECT proxy that answers `200 Connection established` and then trickles one byte a second;
- a Redis that answers every command with a bulk length of 2,000,000,000 and nothing more;
- a Redis that trickles a valid reply one byte a second.

Each is tried with one `lucid_client_access_token` call (retry_deadline = 6, timeout = 3) in a
process of its own, stopped after 60 s: what counts is how long the call took and how it ended
(a status name, or the signal or exit code of a process that died).
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time

HOLD = 60  # no peer holds a connection longer than this
DEADLINE = 6


def serve(behaviour):
    """A loopback listener running `behaviour(conn)` per connection on daemon threads."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def accept():
        while True:
            conn, _ = listener.accept()
            conn.settimeout(HOLD)
            threading.Thread(target=guarded, args=(behaviour, conn), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def guarded(behaviour, conn):
    try:
        behaviour(conn)
    except OSError:
        pass
    finally:
        conn.close()


def trickle(conn, data, started=None):
    started = started or time.monotonic()
    for b in data:
        if time.monotonic() - started > HOLD:
            return
        conn.sendall(bytes([b]))
        time.sleep(1)


def trickling_proxy(conn):
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(4096)
        if not chunk:
            return
        head += chunk
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    # A TLS handshake record of 16 KiB whose bytes come one a second: it never completes.
    trickle(conn, b"\x16\x03\x03\x40\x00" + b"\x02" * HOLD)


def huge_bulk_redis(conn):
    while conn.recv(4096):
        conn.sendall(b"$2000000000\r\n")


def trickling_redis(conn):
    while conn.recv(4096):
        trickle(conn, b"$5\r\nhello\r\n")


def probe(load, make_client, keys):
    """In the child: one access-token call; prints status and seconds as JSON."""
    lib = load()
    client = make_client(lib, keys)
    token = __import__("ctypes").c_char_p()
    started = time.monotonic()
    status = lib.lucid_client_access_token(client, None, __import__("ctypes").byref(token), None)
    took = time.monotonic() - started
    print(json.dumps({"status": lib.lucid_status_name(status).decode(), "seconds": took}))
    sys.stdout.flush()
    started = time.monotonic()
    lib.lucid_client_free(client)
    print(json.dumps({"free_seconds": time.monotonic() - started}))


def try_peer(name, keys):
    cmd = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "soak.py"),
           "probe", "--keys", json.dumps(keys)]
    started = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=HOLD)
        took = time.monotonic() - started
        lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
        got = {k: v for line in lines for k, v in line.items()}
        ended = got.get("status") or (f"killed by signal {-p.returncode}" if p.returncode < 0
                                       else f"exit {p.returncode}")
        call = got.get("seconds", took)
    except subprocess.TimeoutExpired:
        ended, call = f"still running after {HOLD} s (stopped)", float(HOLD)
    figures = {"ended": ended, "call_s": round(call, 2)}
    return figures


def run(load, make_client, report, server_url):
    ok = True
    base = {"client_id": "CLIENT_ID", "client_secret": "CLIENT_SECRET",
            "retry_deadline": str(DEADLINE), "timeout": "3"}
    limit = {"call_s": DEADLINE + 2}
    proxy = serve(trickling_proxy)
    keys = dict(base, auth_endpoint="https://auth.example.invalid/oauth2/token",
                proxy=f"http://127.0.0.1:{proxy}")
    ok &= report("trickling CONNECT proxy", try_peer("proxy", keys), limit)
    for name, behaviour in [("Redis announcing a 2 GB reply", huge_bulk_redis),
                            ("trickling Redis", trickling_redis)]:
        port = serve(behaviour)
        keys = dict(base, auth_endpoint=server_url, cache_url=f"redis://127.0.0.1:{port}/0")
        figures = try_peer(name, keys)
        ok &= report(name, figures, limit)
        ok &= not figures["ended"].startswith(("killed", "exit", "still"))
    return ok
