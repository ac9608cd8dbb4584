# ssc — build, install, package and test.
#
#   make                 release binaries (target/release/ssc, ssc-desktop), --locked,
#                        and the generated man page and completions (target/gen/)
#   sudo make install    install under $(PREFIX) (default /usr/local): ssc setuid root,
#                        ssc-desktop, man pages, completions, desktop files, examples
#   make uninstall       remove what install installed (same PREFIX and DESTDIR)
#   make deb             target/debian/ssc_VERSION_ARCH.deb, checked with dpkg-deb -c
#   make rpm             target/rpm/RPMS/ARCH/ssc-VERSION-1.ARCH.rpm from
#                        packaging/rpm/ssc.spec, checked with rpm -qlvp
#   make check           every test: lint, unit and integration tests, the packages,
#                        and both VM suites (which install the .deb)
#   make quick           for daily work: fmt, clippy, unit and fake-systemd tests
#   make bench           hyperfine in the VM; numbers for BENCHMARKS.md
#
# Packagers: `make && make install DESTDIR=... PREFIX=/usr` works as a normal user.
# Only root (or fakeroot) gets root:root on the installed files; as anyone else ssc
# is installed mode 4755 but owned by you, and the package must make it root:root
# (dpkg-deb --root-owner-group and the RPM spec's %attr do).

PREFIX  ?= /usr/local
DESTDIR ?=
CARGO   ?= cargo
INSTALL ?= install
SUITES  ?= bookworm trixie

bindir          ?= $(PREFIX)/bin
datadir         ?= $(PREFIX)/share
mandir          ?= $(datadir)/man
docdir          ?= $(datadir)/doc/ssc
applicationsdir ?= $(datadir)/applications
bashcompdir     ?= $(datadir)/bash-completion/completions
zshcompdir      ?= $(datadir)/zsh/site-functions
fishcompdir     ?= $(datadir)/fish/vendor_completions.d

VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
BINS    := target/release/ssc target/release/ssc-desktop
GEN     := target/gen
GENERATED := $(GEN)/ssc.1 $(GEN)/ssc.bash $(GEN)/_ssc $(GEN)/ssc.fish
SOURCES := Cargo.toml Cargo.lock $(shell find src ssc-desktop ssc-gen -name target -prune -o \( -name '*.rs' -o -name Cargo.toml \) -print 2>/dev/null)
DESKTOP_FILES := $(wildcard desktop/*.desktop)
EXAMPLES := $(wildcard packaging/examples/*.conf)
# root:root only when we are (or fakeroot pretends to be) root.
OWNER   := $(if $(filter 0,$(shell id -u)),-o root -g root)

.PHONY: all build gen files install uninstall check quick deps lint crates test deb rpm packages vm bench clean

all: build gen

# Only the shipped binaries: building the whole workspace in release mode would also
# unify clap's features with ssc-gen's into the setuid binary.
build:
	$(CARGO) build --release --locked -p ssc -p ssc-desktop
	@touch $(BINS)

# ssc(1) and the completions, from the clap definition in src/cli.rs.
gen:
	$(CARGO) run --locked --quiet -p ssc-gen -- $(GEN)

# install works from these files and runs cargo only if they are missing or older than
# the sources, so that `make && sudo make install` needs no Rust toolchain as root.
$(BINS) &: $(SOURCES)
	$(MAKE) build
$(GENERATED) &: $(SOURCES)
	$(MAKE) gen

# What install needs, built only if missing or out of date (the RPM spec's %build).
files: $(BINS) $(GENERATED)

install: files
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man5 \
		$(DESTDIR)$(bashcompdir) $(DESTDIR)$(zshcompdir) $(DESTDIR)$(fishcompdir) \
		$(DESTDIR)$(applicationsdir) $(DESTDIR)$(docdir)/examples
	$(INSTALL) $(OWNER) -m 4755 target/release/ssc $(DESTDIR)$(bindir)/ssc
	$(INSTALL) -m 0755 target/release/ssc-desktop $(DESTDIR)$(bindir)/ssc-desktop
	$(INSTALL) -m 0644 $(GEN)/ssc.1 $(DESTDIR)$(mandir)/man1/ssc.1
	$(INSTALL) -m 0644 man/ssc.profile.5 $(DESTDIR)$(mandir)/man5/ssc.profile.5
	$(INSTALL) -m 0644 $(GEN)/ssc.bash $(DESTDIR)$(bashcompdir)/ssc
	$(INSTALL) -m 0644 $(GEN)/_ssc $(DESTDIR)$(zshcompdir)/_ssc
	$(INSTALL) -m 0644 $(GEN)/ssc.fish $(DESTDIR)$(fishcompdir)/ssc.fish
	$(if $(DESKTOP_FILES),$(INSTALL) -m 0644 $(DESKTOP_FILES) $(DESTDIR)$(applicationsdir)/)
	$(INSTALL) -m 0644 $(EXAMPLES) $(DESTDIR)$(docdir)/examples/
	$(INSTALL) -m 0644 packaging/dbus/deny-attach-processes.conf $(DESTDIR)$(docdir)/
	@if [ "$$(id -u)" != 0 ]; then \
		echo "note: not root, so $(DESTDIR)$(bindir)/ssc is owned by $$(id -un), not root:root; it works only once root owns it" >&2; \
	fi

uninstall:
	rm -f $(DESTDIR)$(bindir)/ssc $(DESTDIR)$(bindir)/ssc-desktop \
		$(DESTDIR)$(mandir)/man1/ssc.1 $(DESTDIR)$(mandir)/man5/ssc.profile.5 \
		$(DESTDIR)$(bashcompdir)/ssc $(DESTDIR)$(zshcompdir)/_ssc \
		$(DESTDIR)$(fishcompdir)/ssc.fish \
		$(addprefix $(DESTDIR)$(applicationsdir)/,$(notdir $(DESKTOP_FILES))) \
		$(addprefix $(DESTDIR)$(docdir)/examples/,$(notdir $(EXAMPLES))) \
		$(DESTDIR)$(docdir)/deny-attach-processes.conf
	-rmdir $(DESTDIR)$(docdir)/examples $(DESTDIR)$(docdir) 2>/dev/null

# The one command that runs everything; .ci/run calls it. Under check, a test that
# needs groff, zsh or fish fails instead of skipping when the tool is missing
# (tools/install-deps.sh installs them).
check: export SSC_REQUIRE_TEST_TOOLS := 1
check: deps lint test build packages vm

quick:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	$(CARGO) test --locked -p ssc

deps:
	tools/install-deps.sh

lint: crates
	tools/check-makefile.sh
	$(CARGO) fmt --all --check
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings
	shellcheck -x vm/*.sh vm/image/*.sh vm/guest/*.sh vm/guest/scenarios/*.sh tools/*.sh packaging/*.sh .ci/run
	$(if $(DESKTOP_FILES),desktop-file-validate $(DESKTOP_FILES))

test:
	$(CARGO) test --locked --workspace

# The setuid binary's dependency tree may not grow unnoticed: raising the number in
# tools/crate-count is a decision, made in a commit of its own.
crates:
	@have=$$($(CARGO) tree --locked -p ssc -e normal --prefix none | sed 's/ (\*)//' | sort -u | wc -l); \
	want=$$(cat tools/crate-count); \
	echo "crates in the setuid binary: $$have (recorded: $$want)"; \
	test "$$have" -le "$$want" || { echo "the setuid binary's crate count grew past tools/crate-count" >&2; exit 1; }

packages: deb rpm

# dpkg is Essential on Debian, never installed by `make deps`; tools/check-makefile.sh
# keeps every parse-time $(shell …) to such tools.
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB      := target/debian/ssc_$(VERSION)_$(DEB_ARCH).deb

deb: files
	VERSION=$(VERSION) packaging/build-deb.sh $(DEB)
	packaging/check-deb.sh $(DEB)

# RPM_FROM_SOURCE=1: leave the prebuilt files out of the source tarball, so that the
# spec's %build compiles everything with cargo (slow: a full release build).
# build-rpm.sh names the package it built: rpm is one of the tools `make deps` installs,
# so nothing may ask it anything while make reads this file.
rpm: files
	VERSION=$(VERSION) packaging/build-rpm.sh
	packaging/check-rpm.sh "$$(cat target/rpm/built)"

# A VM that does not boot or does not report is a failure, never a skip. The guest
# installs the .deb with dpkg -i and removes it at the end.
vm: deb
	SSC_DEB=$(DEB) tools/vm-suites.sh $(SUITES)

bench: deb
	@set -e; for s in $(SUITES); do SSC_DEB=$(DEB) SSC_BENCH=1 vm/run.sh $$s; done

clean:
	$(CARGO) clean
