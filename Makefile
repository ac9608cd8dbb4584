# ssc — build, install and test.
#
#   make                 release binary (target/release/ssc), --locked
#   sudo make install    install setuid root under $(PREFIX) (default /usr/local)
#   make uninstall
#   make check           every test: lint, unit, fake-systemd D-Bus, and both VM suites
#   make bench           hyperfine in the VM; numbers for BENCHMARKS.md

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(DESTDIR)$(PREFIX)/bin
CARGO   ?= cargo
SUITES  ?= bookworm trixie

.PHONY: all build install uninstall check deps lint test vm bench clean

all: build

build:
	$(CARGO) build --release --locked

install: build
	install -d $(BINDIR)
	install -o root -g root -m 4755 target/release/ssc $(BINDIR)/ssc

uninstall:
	rm -f $(BINDIR)/ssc

# The one command that runs everything; .ci/run calls it.
check: deps lint test build vm

deps:
	tools/install-deps.sh

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	shellcheck -x vm/*.sh vm/image/*.sh vm/guest/*.sh vm/guest/scenarios/*.sh tools/*.sh .ci/run

test:
	$(CARGO) test --locked

# A VM that does not boot or does not report is a failure, never a skip.
vm: build
	@set -e; for s in $(SUITES); do vm/run.sh $$s; done

bench: build
	@set -e; for s in $(SUITES); do SSC_BENCH=1 vm/run.sh $$s; done

clean:
	$(CARGO) clean
