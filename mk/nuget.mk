# make nuget: the NuGet package of the C# binding. Included at the end of the Makefile, after
# mk/install.mk (whose LUCID_VERSION it uses).
#
#   make nuget [NUGET_REPOSITORY=URL]
#
# Builds build/nuget/LucidAuth.<version>.nupkg (removing the packages of earlier runs):
#   lib/netstandard2.0/LucidAuth.dll, .xml       bindings/csharp/build.sh (Mono's mcs), into build/csharp
#   runtimes/linux-x64/native/liblucidauth.so    the release library, stripped
#   runtimes/win-x64/native/lucidauth.dll        when build/cross/x86_64-pc-windows-gnu/lucidauth.dll exists
#   runtimes/linux-arm64/native/liblucidauth.so  when build/cross/aarch64-unknown-linux-gnu/liblucidauth.so exists
#                                                (both made by `make cross`)
# with the manifest packaging/nuget/LucidAuth.nuspec.in (license Apache-2.0, repository, description),
# by scripts/build_nuget.py. Needs mcs (mono-mcs), python3 and strip. scripts/test_nuget.sh
# (make test) checks the package and installs it into a fresh project with Debian's nuget.

NUGET_DIR        := $(BUILD)/nuget
NUGET_REPOSITORY ?= https://lucidauth.example/lucidauth
nuget_stage      := $(BUILD)/csharp

.PHONY: nuget

nuget: lucid-install-check lib
	sh bindings/csharp/build.sh $(nuget_stage)
	strip --strip-unneeded -o $(nuget_stage)/liblucidauth.so $(lucid_release)/liblucidauth.so
	python3 scripts/build_nuget.py --version '$(LUCID_VERSION)' --managed $(nuget_stage) \
	    --native $(nuget_stage)/liblucidauth.so --cross $(BUILD)/cross \
	    --nuspec packaging/nuget/LucidAuth.nuspec.in --readme bindings/csharp/README.md \
	    --repository '$(NUGET_REPOSITORY)' --out $(NUGET_DIR)
