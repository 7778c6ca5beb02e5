"""bench-wire's tools: a lucid-testserver process with its admin endpoints, and one count of a
command under strace (system calls), callgrind (user-space instructions) or memcheck (heap
allocations). Standard library only; used by bench/wire.py.
"""
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import urllib.request

# No single counted run takes nearly this long; a run that does is stuck (bench/wire_threads.c
# says how lucid-testserver can lose a connection).
TIMEOUT = 600

TOOLS = {"syscalls": "strace", "instructions": "valgrind", "allocations": "valgrind"}


def available_tools():
    """The counts whose tool is installed, in the order of TOOLS."""
    return [tool for tool, exe in TOOLS.items() if shutil.which(exe)]


def credential(path, key):
    for line in open(path):
        name, _, value = line.partition("=")
        if name.strip() == key:
            return value.strip()
    raise SystemExit(f"bench-wire: no {key} in {path}")


class Server:
    """`lucid-testserver --keep-alive` (with `tls`: `--tls` too) on a free port, its credentials
    (and CA) in a directory of its own; stops when its stdin closes."""

    def __init__(self, binary, tmp, tls):
        self.dir = os.path.join(tmp, "https" if tls else "http")
        self.credentials = os.path.join(self.dir, "credentials.cfg")
        command = [binary, "--keep-alive", "--credentials-out", self.credentials,
                   "--exit-on-stdin-eof", *(["--tls"] if tls else [])]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        line = self.process.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            self.stop()
            raise SystemExit(f"bench-wire: lucid-testserver did not start: {line!r}")
        self.base = line.split(" ", 1)[1]
        self.api = credential(self.credentials, "api_endpoint")
        self.api_key = credential(self.credentials, "api_key")
        self.ca_file = credential(self.credentials, "ca_file") if tls else None
        self.context = ssl.create_default_context(cafile=self.ca_file) if tls else None

    def admin(self, method, path):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=10, context=self.context) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def counted(self, run, api=None, token=None):
        """Runs `run()` between a reset and a read of the server's counts; checks that it made
        `api` API and `token` token requests (when given). Returns (run's value, stats)."""
        self.admin("POST", "/_admin/reset")
        value = run()
        stats = self.admin("GET", "/_admin/stats")
        for kind, want in (("api_requests", api), ("token_requests", token)):
            if want is not None and stats[kind] != want:
                raise SystemExit(f"bench-wire: {kind} {stats[kind]}, expected {want}: {stats}")
        return value, stats

    def stop(self):
        self.process.stdin.close()
        self.process.wait()


def count(tool, command):
    """One count of `command` (what it prints discarded) under `tool`."""
    with tempfile.NamedTemporaryFile() as out:
        if tool == "syscalls":
            subprocess.run(["strace", "-f", "-c", "-o", out.name, *command], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=TIMEOUT)
            return strace_total(open(out.name).read())
        args = {"instructions": ["--tool=callgrind", f"--callgrind-out-file={out.name}"],
                "allocations": ["--tool=memcheck"]}[tool]
        r = subprocess.run(["valgrind", *args, *command], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, check=True, timeout=TIMEOUT)
        pattern = {"instructions": r"Collected : (\d+)",
                   "allocations": r"total heap usage: ([\d,]+) allocs"}[tool]
        found = re.search(pattern, r.stderr)
        if found is None:
            raise SystemExit(f"bench-wire: no {tool} count in valgrind's output:\n{r.stderr}")
        return int(found.group(1).replace(",", ""))


def strace_total(text):
    """The `calls` of the `total` line of `strace -c`'s summary."""
    lines = text.splitlines()
    header = next(line for line in lines if "calls" in line and "syscall" in line)
    end = header.index("calls") + len("calls")
    total = [line for line in lines if line.rstrip().endswith("total")][-1]
    return int(total[end - 10:end])


def machine():
    """One line: CPUs, kernel, and the versions of what is compared and what counts."""
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), "?")
    versions = []
    for command in (["rustc", "-V"], ["curl-config", "--version"], ["valgrind", "--version"],
                    ["strace", "-V"]):
        try:
            out = subprocess.run(command, capture_output=True, text=True).stdout
            versions.append(out.splitlines()[0] if out else f"{command[0]}: ?")
        except OSError:
            versions.append(f"{command[0]}: not found")
    return f"{os.cpu_count()} CPUs ({model}), Linux {os.uname().release}; " + ", ".join(versions)
