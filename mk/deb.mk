# make deb: Debian packages for the host architecture. Included at the end of the Makefile, after
# mk/install.mk (whose version variables and `install` target it uses).
#
#   make deb [DEB_REVISION=1] [DEB_MAINTAINER='Name <address>']
#
# Builds, in build/deb/ (removing the .deb files of earlier runs):
#   liblucidauth0_<version>_<arch>.deb      the shared library (SONAME liblucidauth.so.0), for
#                                           programs linked against it
#   liblucidauth-dev_<version>_<arch>.deb   the headers (lucidauth.h, lucidauth.hpp), the
#                                           liblucidauth.so link, the static library,
#                                           lucidauth.pc and the CMake package
#   lucidauth-tools_<version>_<arch>.deb    the tool usr/bin/lucid and its manual page
#                                           usr/share/man/man1/lucid.1.gz
# by staging `make install DESTDIR=build/deb/stage PREFIX=/usr LIBDIR=/usr/lib/<multiarch>`,
# splitting the tree in three and calling `dpkg-deb --root-owner-group --build` (no root, no
# debhelper): scripts/build_deb.sh does that, with the metadata of packaging/debian/.
# The package name follows the major version (liblucidauth0 for all 0.x releases, as the
# SONAME); <version> is Cargo.toml's with a pre-release's '-' made '~' (so that 1.0.0-rc.1 sorts
# before 1.0.0), then -DEB_REVISION. Needs dpkg-deb, strip and gzip; dpkg-dev for
# dpkg-architecture and dpkg-shlibdeps (without it: `$(CC) -print-multiarch`, and a libc6 and
# libgcc-s1 dependency read from the library's own symbol versions). `lintian build/deb/*.deb`
# checks the result; scripts/test_deb.sh (make test) does that and unpacks all three into a
# throwaway root.

DEB_REVISION   ?= 1
# Debian's own convention for who builds a package (dch, debchange): DEBFULLNAME and DEBEMAIL.
DEB_MAINTAINER ?= $(if $(DEBEMAIL),$(or $(DEBFULLNAME),lucidauth maintainers) <$(DEBEMAIL)>,lucidauth maintainers <maintainers@lucidauth.invalid>)
DEB_DIR        := $(BUILD)/deb

deb_upstream_version = $(subst -,~,$(LUCID_VERSION))
deb_version          = $(deb_upstream_version)-$(DEB_REVISION)
# Computed only when `make deb` runs (recursively expanded), not by every make.
deb_arch      = $(shell dpkg --print-architecture 2>/dev/null)
deb_multiarch = $(or $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null),$(shell $(CC) -print-multiarch 2>/dev/null))

.PHONY: deb

deb: lucid-install-check $(lucid_native_libs)
	@test -n "$(deb_arch)" || { echo "deb: dpkg --print-architecture failed (is this Debian?)" >&2; exit 1; }
	@test -n "$(deb_multiarch)" || { echo "deb: no multiarch triplet (install dpkg-dev)" >&2; exit 1; }
	rm -rf $(DEB_DIR)/stage
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_DIR)/stage) PREFIX=/usr \
	    LIBDIR=/usr/lib/$(deb_multiarch) INCLUDEDIR=/usr/include
	DEB_DIR='$(DEB_DIR)' DEB_VERSION='$(deb_version)' DEB_UPSTREAM_VERSION='$(deb_upstream_version)' \
	DEB_ARCH='$(deb_arch)' DEB_MULTIARCH='$(deb_multiarch)' DEB_MAINTAINER='$(DEB_MAINTAINER)' \
	LUCID_MAJOR='$(LUCID_VERSION_MAJOR)' LUCID_REALNAME='$(lucid_realname)' LUCID_SONAME='$(lucid_soname)' \
	    sh scripts/build_deb.sh
