#!/usr/bin/env python3
"""make bench-wire: what one keep-alive authorized GET costs, lucidauth against libcurl, counted
(not timed): system calls (strace -f -c), user-space instructions (callgrind) and heap
allocations (memcheck's heap summary), each per request as (count at 1,200 - count at 200) / 1,000.

    bench/wire.py BUILD_DIR SERVER_BINARY
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

LOW, HIGH = 200, 1200


def credential(path, key):
    for line in open(path):
        name, _, value = line.partition("=")
        if name.strip() == key:
            return value.strip()
    raise SystemExit(f"bench-wire: no {key} in {path}")


def start_server(binary, tmp):
    creds = os.path.join(tmp, "credentials.cfg")
    port_file = os.path.join(tmp, "port")
    server = subprocess.Popen([binary, "--keep-alive", "--credentials-out", creds,
                               "--port-file", port_file, "--exit-on-stdin-eof"],
                              stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(port_file) and os.path.getsize(port_file) > 0 and os.path.exists(creds):
            return server, creds
        subprocess.run(["sleep", "0.05"])
    raise SystemExit("bench-wire: the test server did not start")


def count(tool, command):
    """One count of `command` under `tool`: syscalls, instructions or allocations."""
    with tempfile.NamedTemporaryFile() as out:
        if tool == "syscalls":
            subprocess.run(["strace", "-f", "-c", "-o", out.name, *command], check=True,
                           stdout=subprocess.DEVNULL)
            text = open(out.name).read()
            lines = text.splitlines()
            header = next(l for l in lines if "calls" in l and "syscall" in l)
            end = header.index("calls") + len("calls")
            total = [l for l in lines if l.rstrip().endswith("total")][-1]
            return int(total[end - 10:end])
        args = {"instructions": ["--tool=callgrind", f"--callgrind-out-file={out.name}"],
                "allocations": ["--tool=memcheck"]}[tool]
        r = subprocess.run(["valgrind", *args, *command], capture_output=True, text=True,
                           check=True)
        pattern = {"instructions": r"Collected : (\d+)",
                   "allocations": r"total heap usage: ([\d,]+) allocs"}[tool]
        return int(re.search(pattern, r.stderr).group(1).replace(",", ""))


def per_request(tool, command):
    low = count(tool, [*command[:3], str(LOW), *command[3:]])
    high = count(tool, [*command[:3], str(HIGH), *command[3:]])
    return (high - low) / (HIGH - LOW)


def main():
    build, binary = sys.argv[1], sys.argv[2]
    wire = os.path.join(build, "wire")
    tools = [t for t, exe in (("syscalls", "strace"), ("instructions", "valgrind"),
                              ("allocations", "valgrind")) if shutil.which(exe)]
    with tempfile.TemporaryDirectory() as tmp:
        server, creds = start_server(binary, tmp)
        try:
            endpoint = credential(creds, "api_endpoint")
            key = credential(creds, "api_key")
            sides = {"lucidauth": [wire, "lucidauth", creds],
                     "libcurl": [wire, "libcurl", creds, endpoint, key]}
            rows = {t: {s: per_request(t, c) for s, c in sides.items()} for t in tools}
        finally:
            server.stdin.close()
            server.wait()
    print(f"| per keep-alive GET over HTTP ({HIGH} - {LOW} requests) / {HIGH - LOW} "
          "| lucidauth | libcurl | ratio |")
    print("|---|---|---|---|")
    for tool, row in rows.items():
        a, b = row["lucidauth"], row["libcurl"]
        print(f"| {tool} | {a:,.1f} | {b:,.1f} | {a / b:.2f}x |")
    for tool, exe in (("syscalls", "strace"), ("instructions", "valgrind")):
        if tool not in tools:
            print(f"bench-wire: {exe} not found (apt-get install {exe}): {tool} not counted")


if __name__ == "__main__":
    main()
