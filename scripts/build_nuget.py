#!/usr/bin/env python3
"""The second half of `make nuget` (mk/nuget.mk): writes the LucidAuth NuGet package.

A .nupkg is a zip (an OPC package): the manifest LucidAuth.nuspec at the top, _rels/.rels naming
it, [Content_Types].xml with a type for every extension, and the payload:

    lib/netstandard2.0/LucidAuth.dll, LucidAuth.xml     the binding (bindings/csharp/build.sh)
    runtimes/linux-x64/native/liblucidauth.so           the host's release library (stripped)
    runtimes/win-x64/native/lucidauth.dll               when build/cross/x86_64-pc-windows-gnu/ has it
    runtimes/linux-arm64/native/liblucidauth.so         when build/cross/aarch64-unknown-linux-gnu/ has it
    README.md                                           the binding's README (the nuspec's <readme>)

It is written directly rather than by `nuget pack`: Debian's NuGet (2.8) refuses the <license> and
<repository> elements that today's NuGet wants. Entries are sorted and dated SOURCE_DATE_EPOCH (by
default the last commit's time), so one commit gives the same bytes twice.
"""

import argparse
import os
import subprocess
import sys
import time
import zipfile

# (file under the cross build directory, path in the package): taken when present.
CROSS = [
    ("x86_64-pc-windows-gnu/lucidauth.dll", "runtimes/win-x64/native/lucidauth.dll"),
    ("aarch64-unknown-linux-gnu/liblucidauth.so", "runtimes/linux-arm64/native/liblucidauth.so"),
]

RELS = """<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/LucidAuth.nuspec" Id="R0" />
</Relationships>
"""


def content_types(names):
    """[Content_Types].xml: a Default for every extension in the package."""
    exts = sorted({os.path.splitext(n)[1].lstrip(".").lower() for n in names} | {"rels"})
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">']
    for ext in exts:
        kind = "application/vnd.openxmlformats-package.relationships+xml" if ext == "rels" else "application/octet"
        lines.append('  <Default Extension="%s" ContentType="%s" />' % (ext, kind))
    lines.append("</Types>")
    return "\n".join(lines) + "\n"


def git(*args):
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def payload(args):
    """(path in the package, file on disk) of everything but the OPC parts and the manifest."""
    files = [
        ("lib/netstandard2.0/LucidAuth.dll", os.path.join(args.managed, "LucidAuth.dll")),
        ("lib/netstandard2.0/LucidAuth.xml", os.path.join(args.managed, "LucidAuth.xml")),
        ("runtimes/linux-x64/native/liblucidauth.so", args.native),
        ("README.md", args.readme),
    ]
    for source, target in CROSS:
        path = os.path.join(args.cross, source)
        if os.path.isfile(path):
            files.append((target, path))
    for target, path in files:
        if not os.path.isfile(path):
            sys.exit("build_nuget: %s is missing (for %s)" % (path, target))
    return files


def manifest(args):
    with open(args.nuspec, encoding="utf-8") as f:
        text = f.read()
    for key, value in (("@VERSION@", args.version), ("@REPOSITORY@", args.repository),
                       ("@COMMIT@", git("rev-parse", "HEAD") or "unknown")):
        text = text.replace(key, value)
    if "@" in text.split("-->", 1)[-1]:
        sys.exit("build_nuget: a placeholder is left in the manifest")
    return text


def write(path, entries, stamp):
    """The zip at path with entries [(name, bytes)], each dated stamp, in the order given."""
    date = time.gmtime(max(stamp, 315532800))[:6]  # zip dates start in 1980
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--version", required=True)
    p.add_argument("--managed", required=True, help="directory of LucidAuth.dll and LucidAuth.xml")
    p.add_argument("--native", required=True, help="the host's liblucidauth.so (stripped)")
    p.add_argument("--cross", required=True, help="the cross build directory (build/cross)")
    p.add_argument("--nuspec", required=True)
    p.add_argument("--readme", required=True)
    p.add_argument("--repository", required=True)
    p.add_argument("--out", required=True, help="output directory")
    args = p.parse_args()

    files = payload(args)
    entries = [("LucidAuth.nuspec", manifest(args).encode("utf-8"))]
    for target, path in sorted(files):
        with open(path, "rb") as f:
            entries.append((target, f.read()))
    names = [n for n, _ in entries]
    entries += [("_rels/.rels", RELS.encode("utf-8")),
                ("[Content_Types].xml", content_types(names).encode("utf-8"))]
    stamp = int(os.environ.get("SOURCE_DATE_EPOCH") or git("log", "-1", "--format=%ct") or time.time())
    os.makedirs(args.out, exist_ok=True)
    for old in os.listdir(args.out):
        if old.endswith(".nupkg"):
            os.remove(os.path.join(args.out, old))
    path = os.path.join(args.out, "LucidAuth.%s.nupkg" % args.version)
    write(path, entries, stamp)
    print("nuget: %s" % path)
    for name in names:
        print("nuget:   %s" % name)


if __name__ == "__main__":
    main()
