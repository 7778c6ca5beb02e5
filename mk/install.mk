# make install, make uninstall. Included at the end of the Makefile.
#
#   make install   [PREFIX=/usr/local] [LIBDIR=$(PREFIX)/lib] [INCLUDEDIR=$(PREFIX)/include]
#                  [BINDIR=$(PREFIX)/bin] [MANDIR=$(PREFIX)/share/man] [DESTDIR=]
#   make uninstall (with the same variables)
#   make install-build   only build what install copies (then e.g. `sudo make install` runs no cargo)
#
# `install` builds the release library when a source changed since the last build for it, then
# installs under $(DESTDIR):
#   $(LIBDIR)/liblucidauth.so.X.Y.Z          the shared library, SONAME liblucidauth.so.X (build.rs)
#   $(LIBDIR)/liblucidauth.so.X              -> liblucidauth.so.X.Y.Z (what programs load)
#   $(LIBDIR)/liblucidauth.so                -> liblucidauth.so.X.Y.Z (what -llucidauth finds)
#   $(LIBDIR)/liblucidauth.a                 the static library
#   $(INCLUDEDIR)/lucidauth.h
#   $(INCLUDEDIR)/lucidauth.hpp              the C++ wrapper (bindings/cpp), beside the header it includes
#   $(BINDIR)/lucid                          the command-line tool (examples/c/lucid.c), linked against
#                                            the SONAME with a RUNPATH relative to itself ($ORIGIN/..)
#   $(MANDIR)/man1/lucid.1                   its manual page (packaging/man/lucid.1)
#   $(LIBDIR)/pkgconfig/lucidauth.pc         Libs.private: the system libraries rustc reports
#   $(LIBDIR)/cmake/lucidauth/lucidauthConfig.cmake, lucidauthConfigVersion.cmake
#                                            lucidauth::lucidauth, lucidauth::lucidauth_static
# `uninstall` removes exactly these, and the directory $(LIBDIR)/cmake/lucidauth when that leaves
# it empty. X.Y.Z is the version in Cargo.toml; nothing here repeats it. The tool is compiled by
# install itself, straight into $(BINDIR), because its RUNPATH depends on BINDIR and LIBDIR (and
# so that `sudo make install` leaves nothing root-owned in the build tree).

PREFIX     ?= /usr/local
INCLUDEDIR ?= $(PREFIX)/include
DESTDIR    ?=
LIBDIR     ?= $(PREFIX)/lib
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
lucid_libdir := $(LIBDIR)
lucid_includedir    = $(INCLUDEDIR)
lucid_cmakedir      = $(lucid_libdir)/cmake/lucidauth
lucid_pkgconfigdir  = $(lucid_libdir)/pkgconfig
lucid_bindir        = $(BINDIR)
lucid_man1dir       = $(MANDIR)/man1

# The version of the [package] in Cargo.toml, and its parts (a pre-release or build suffix does
# not go into the file names).
LUCID_VERSION := $(shell sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
lucid_version_parts := $(subst ., ,$(firstword $(subst -, ,$(subst +, ,$(LUCID_VERSION)))))
LUCID_VERSION_MAJOR := $(word 1,$(lucid_version_parts))
LUCID_VERSION_MINOR := $(word 2,$(lucid_version_parts))
LUCID_VERSION_PATCH := $(word 3,$(lucid_version_parts))

lucid_soname   := liblucidauth.so.$(LUCID_VERSION_MAJOR)
lucid_realname := liblucidauth.so.$(LUCID_VERSION_MAJOR).$(LUCID_VERSION_MINOR).$(LUCID_VERSION_PATCH)
lucid_release  := $(or $(CARGO_TARGET_DIR),target)/release
lucid_stage    := $(BUILD)/install
# Written by the build for install: what rustc reported for the static library.
lucid_native_libs := $(lucid_stage)/native-static-libs
# What the release library is made from: when none changed, install runs no cargo at all.
lucid_sources := Cargo.toml Cargo.lock build.rs $(shell find src -name '*.rs' 2>/dev/null)

# What the generated files say about the directories. pkg-config: relative to ${prefix} when
# under PREFIX. CMake: the config file finds the library two levels up from itself
# (<libdir>/cmake/lucidauth), and the header relative to that when both are under PREFIX, so a
# DESTDIR-staged or moved tree works; otherwise the absolute INCLUDEDIR.
lucid_under_prefix  = $(filter $(PREFIX)/%,$(1))
lucid_pc_libdir     = $(if $(call lucid_under_prefix,$(lucid_libdir)),$${prefix}/$(patsubst $(PREFIX)/%,%,$(lucid_libdir)),$(lucid_libdir))
lucid_pc_includedir = $(if $(call lucid_under_prefix,$(lucid_includedir)),$${prefix}/$(patsubst $(PREFIX)/%,%,$(lucid_includedir)),$(lucid_includedir))
lucid_empty :=
lucid_space := $(lucid_empty) $(lucid_empty)
lucid_libdir_up = $(subst $(lucid_space),,$(foreach d,$(subst /, ,$(patsubst $(PREFIX)/%,%,$(lucid_libdir))),../))
# The tool finds the library from its own directory: $ORIGIN/../lib for the usual layout, any
# BINDIR and LIBDIR under PREFIX alike (lintian accepts an $ORIGIN RUNPATH); else LIBDIR itself.
lucid_bindir_up = $(subst $(lucid_space),,$(foreach d,$(subst /, ,$(patsubst $(PREFIX)/%,%,$(lucid_bindir))),../))
lucid_tool_runpath = $(if $(and $(call lucid_under_prefix,$(lucid_bindir)),$(call lucid_under_prefix,$(lucid_libdir))),$$ORIGIN/$(lucid_bindir_up)$(patsubst $(PREFIX)/%,%,$(lucid_libdir)),$(lucid_libdir))
# The tool is built as Debian builds its packages' programs (dpkg-buildflags' hardening).
LUCID_TOOL_CFLAGS  ?= -std=c99 -O2 -Wall -Wextra -Werror -pedantic -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -fPIE
LUCID_TOOL_LDFLAGS ?= -pie -Wl,-z,relro -Wl,-z,now -Wl,--as-needed
lucid_cmake_includedir = $(if $(and $(call lucid_under_prefix,$(lucid_libdir)),$(call lucid_under_prefix,$(lucid_includedir))),$${_lucidauth_libdir}/$(lucid_libdir_up)$(patsubst $(PREFIX)/%,%,$(lucid_includedir)),$(lucid_includedir))

lucid_installed_files = \
	$(lucid_libdir)/$(lucid_realname) \
	$(lucid_libdir)/$(lucid_soname) \
	$(lucid_libdir)/liblucidauth.so \
	$(lucid_libdir)/liblucidauth.a \
	$(lucid_includedir)/lucidauth.h \
	$(lucid_includedir)/lucidauth.hpp \
	$(lucid_bindir)/lucid \
	$(lucid_man1dir)/lucid.1 \
	$(lucid_pkgconfigdir)/lucidauth.pc \
	$(lucid_cmakedir)/lucidauthConfig.cmake \
	$(lucid_cmakedir)/lucidauthConfigVersion.cmake

.PHONY: install install-build uninstall lucid-install-check

lucid-install-check:
	@test -n "$(LUCID_VERSION_PATCH)" || \
	    { echo "install: cannot read the version from Cargo.toml (got '$(LUCID_VERSION)')" >&2; exit 1; }
	@case "$(PREFIX)" in /*) ;; *) echo "install: PREFIX must be an absolute path, not '$(PREFIX)'" >&2; exit 1;; esac

install-build: lucid-install-check $(lucid_native_libs)

# A missing library (after `cargo clean`, say) means building again.
$(lucid_release)/liblucidauth.so:

# The release library, then the static library linked by rustc as a staticlib of its own
# (`cargo rustc --crate-type staticlib`, cached by cargo after the first time): that is how
# rustc reports the system libraries it needs. Cargo leaves that static library at
# $(lucid_release)/liblucidauth.a, where the next `cargo build` puts its own: install copies
# the one that goes with the reported libraries, kept in $(lucid_stage).
$(lucid_native_libs): $(lucid_sources) $(lucid_release)/liblucidauth.so
	$(CARGO) build --release --lib
	@mkdir -p $(lucid_stage)
	@echo "$(CARGO) rustc --release --lib --crate-type staticlib -- --print native-static-libs"
	@$(CARGO) rustc --release --lib --crate-type staticlib -- --print native-static-libs \
	    2>$(lucid_stage)/rustc.log || { cat $(lucid_stage)/rustc.log >&2; exit 1; }
	@cp $(lucid_release)/liblucidauth.a $(lucid_stage)/liblucidauth.a
	@sed -n 's/^note: native-static-libs: *//p' $(lucid_stage)/rustc.log | tail -n 1 >$@.tmp
	@test -s $@.tmp || { cat $(lucid_stage)/rustc.log >&2; rm -f $@.tmp; \
	    echo "install: rustc printed no native-static-libs line" >&2; exit 1; }
	@mv $@.tmp $@
	@echo "native-static-libs: $$(cat $@)"

# The generated files are written straight to their place (nothing root-owned is left in the
# build tree by `sudo make install`).
install: lucid-install-check $(lucid_native_libs)
	install -d $(DESTDIR)$(lucid_libdir) $(DESTDIR)$(lucid_includedir) \
	    $(DESTDIR)$(lucid_pkgconfigdir) $(DESTDIR)$(lucid_cmakedir) \
	    $(DESTDIR)$(lucid_bindir) $(DESTDIR)$(lucid_man1dir)
	install -m 0755 $(lucid_release)/liblucidauth.so $(DESTDIR)$(lucid_libdir)/$(lucid_realname)
	ln -sf $(lucid_realname) $(DESTDIR)$(lucid_libdir)/$(lucid_soname)
	ln -sf $(lucid_realname) $(DESTDIR)$(lucid_libdir)/liblucidauth.so
	install -m 0644 $(lucid_stage)/liblucidauth.a $(DESTDIR)$(lucid_libdir)/liblucidauth.a
	install -m 0644 include/lucidauth.h $(DESTDIR)$(lucid_includedir)/lucidauth.h
	install -m 0644 bindings/cpp/lucidauth.hpp $(DESTDIR)$(lucid_includedir)/lucidauth.hpp
	$(CC) $(LUCID_TOOL_CFLAGS) -Iinclude -o $(DESTDIR)$(lucid_bindir)/lucid examples/c/lucid.c \
	    $(LUCID_TOOL_LDFLAGS) -L$(lucid_release) -llucidauth -Wl,--enable-new-dtags,-rpath,'$(lucid_tool_runpath)'
	chmod 0755 $(DESTDIR)$(lucid_bindir)/lucid
	install -m 0644 packaging/man/lucid.1 $(DESTDIR)$(lucid_man1dir)/lucid.1
	@libs=$$(cat $(lucid_native_libs)); \
	cmake_libs=$$(echo "$$libs" | sed 's/  */;/g'); \
	elf_class=$$(od -An -t u1 -j 4 -N 1 $(lucid_release)/liblucidauth.so | tr -d ' '); \
	case "$$elf_class" in 1) void_p=4;; 2) void_p=8;; *) void_p=;; esac; \
	echo "write $(DESTDIR)$(lucid_pkgconfigdir)/lucidauth.pc (Libs.private: $$libs)"; \
	sed -e 's|@PREFIX@|$(PREFIX)|g' \
	    -e 's|@LIBDIR@|$(lucid_pc_libdir)|g' \
	    -e 's|@INCLUDEDIR@|$(lucid_pc_includedir)|g' \
	    -e 's|@VERSION@|$(LUCID_VERSION)|g' \
	    -e "s|@LIBS_PRIVATE@|$$libs|g" \
	    packaging/lucidauth.pc.in >$(DESTDIR)$(lucid_pkgconfigdir)/lucidauth.pc && \
	echo "write $(DESTDIR)$(lucid_cmakedir)/lucidauthConfig.cmake, lucidauthConfigVersion.cmake" && \
	sed -e 's|@VERSION@|$(LUCID_VERSION)|g' \
	    -e 's|@REALNAME@|$(lucid_realname)|g' \
	    -e 's|@SONAME@|$(lucid_soname)|g' \
	    -e 's|@INCLUDEDIR@|$(lucid_cmake_includedir)|g' \
	    -e "s|@STATIC_LIBS@|$$cmake_libs|g" \
	    packaging/lucidauthConfig.cmake.in >$(DESTDIR)$(lucid_cmakedir)/lucidauthConfig.cmake && \
	sed -e 's|@VERSION@|$(LUCID_VERSION)|g' \
	    -e 's|@VERSION_MAJOR@|$(LUCID_VERSION_MAJOR)|g' \
	    -e "s|@SIZEOF_VOID_P@|$$void_p|g" \
	    packaging/lucidauthConfigVersion.cmake.in >$(DESTDIR)$(lucid_cmakedir)/lucidauthConfigVersion.cmake && \
	chmod 0644 $(DESTDIR)$(lucid_pkgconfigdir)/lucidauth.pc \
	    $(DESTDIR)$(lucid_cmakedir)/lucidauthConfig.cmake \
	    $(DESTDIR)$(lucid_cmakedir)/lucidauthConfigVersion.cmake

uninstall: lucid-install-check
	rm -f $(addprefix $(DESTDIR),$(lucid_installed_files))
	@if [ -d $(DESTDIR)$(lucid_cmakedir) ] && [ -z "$$(ls -A $(DESTDIR)$(lucid_cmakedir))" ]; then \
	    echo "rmdir $(DESTDIR)$(lucid_cmakedir)"; rmdir $(DESTDIR)$(lucid_cmakedir); fi
