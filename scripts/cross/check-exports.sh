#!/bin/sh
# Checks that a Windows DLL exports exactly the functions the C header declares, by name:
#
#   sh scripts/cross/check-exports.sh lucidauth.dll include/lucidauth.h [lucidauth.def]
#
# The header's functions are the lucid_* names followed by '(' outside `//` comments (cbindgen
# writes doc comments as `//` lines); the DLL's exports are the name table that objdump -p
# prints. A function of the header the DLL lacks, or an export the header does not declare, is an
# error. With a third argument, writes a module-definition file of the exports (for MSVC's
# `lib /def:`).
set -eu
dll=$1 header=$2 def=${3:-}
objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v '^[[:space:]]*//' "$header" | grep -o 'lucid_[a-z0-9_]*[[:space:]]*(' |
    sed 's/[[:space:]]*($//' | sort -u >"$tmp/header"
"$objdump" -p "$dll" | awk '
    /^\[Ordinal\/Name Pointer\] Table/ { table = 1; next }
    table && NF == 0 { exit }
    table { print $NF }' | sort -u >"$tmp/dll"

[ -s "$tmp/header" ] || { echo "check-exports: no lucid_ function found in $header" >&2; exit 1; }
missing=$(comm -23 "$tmp/header" "$tmp/dll")
extra=$(comm -13 "$tmp/header" "$tmp/dll")
[ -z "$missing" ] || echo "check-exports: $dll lacks:" $missing >&2
[ -z "$extra" ] || echo "check-exports: $dll exports what $header does not declare:" $extra >&2
[ -z "$missing$extra" ] || exit 1
if [ -n "$def" ]; then
    { echo "LIBRARY $(basename "$dll")"; echo EXPORTS; sed 's/^/    /' "$tmp/dll"; } >"$def"
fi
echo "check-exports: $dll exports the $(wc -l <"$tmp/header") functions of $header, and nothing else"
