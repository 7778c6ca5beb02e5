#!/bin/sh
# Builds the C# binding with Mono's mcs from the sources of its project, LucidAuth/LucidAuth.csproj
# (every *.cs file in LucidAuth/, the SDK's default; bin/ and obj/ of a dotnet build are left out),
# with the version of Cargo.toml:
#
#   sh bindings/csharp/build.sh OUTDIR          OUTDIR/LucidAuth.dll and LucidAuth.xml (its docs)
#   sh bindings/csharp/build.sh OUTDIR tests    also OUTDIR/LucidAuth.Tests.dll (needs NUnit 2.6:
#                                               Debian's libnunit-cil-dev, found with pkg-config)
#
# The assembly references mscorlib, System, System.Core and System.Net.Http: Mono's 4.x profile,
# which .NET Framework 4.6.1+ and .NET Core / 5+ load as they load any netstandard2.0 library
# (`dotnet build` of the project makes a true netstandard2.0 assembly of the same files).
set -eu

[ $# -ge 1 ] || { echo "usage: build.sh OUTDIR [tests]" >&2; exit 2; }
out=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v mcs >/dev/null 2>&1 || { echo "build.sh: mcs not found (Debian: mono-mcs)" >&2; exit 1; }
mkdir -p "$out"

version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
core=${version%%[-+]*}
[ -n "$core" ] || { echo "build.sh: cannot read the version from Cargo.toml" >&2; exit 1; }
# What the SDK generates from <Version>: AssemblyVersion and FileVersion X.Y.Z.0, the
# informational version as written.
cat >"$out/LucidAuth.Version.cs" <<CS
[assembly: System.Reflection.AssemblyVersion("$core.0")]
[assembly: System.Reflection.AssemblyFileVersion("$core.0")]
[assembly: System.Reflection.AssemblyInformationalVersion("$version")]
[assembly: System.Reflection.AssemblyProduct("LucidAuth")]
CS

# The project's Compile items: LucidAuth/**/*.cs without bin/ and obj/, in a fixed order.
sources() {
    (cd "$1" && find . -name '*.cs' -not -path './bin/*' -not -path './obj/*' | LC_ALL=C sort | sed "s|^\./|$1/|")
}
# shellcheck disable=SC2046 # file names without spaces
mcs -nologo -warnaserror -debug -optimize+ -langversion:7.2 -target:library \
    -out:"$out/LucidAuth.dll" -doc:"$out/LucidAuth.xml" \
    -r:System.dll -r:System.Core.dll -r:System.Net.Http.dll -nowarn:1591 \
    "$out/LucidAuth.Version.cs" $(sources "$here/LucidAuth")

if [ "${2:-}" = tests ]; then
    nunit=$(pkg-config --libs nunit 2>/dev/null) ||
        { echo "build.sh: NUnit not found (Debian: libnunit-cil-dev)" >&2; exit 1; }
    # shellcheck disable=SC2046,SC2086
    mcs -nologo -warnaserror -debug -target:library -out:"$out/LucidAuth.Tests.dll" \
        -r:"$out/LucidAuth.dll" -r:System.dll -r:System.Core.dll -r:System.Net.Http.dll $nunit \
        $(sources "$here/LucidAuth.Tests")
fi
