# SwiftJK — build, test and run. `apxs` is the single source of httpd paths.
SHELL   := /bin/bash
APXS    ?= apxs
SWIFT   ?= swift
CONFIG  ?= release
PYTHON  ?= python3
HTTPD   ?= $(shell $(APXS) -q SBINDIR 2>/dev/null)/$(shell $(APXS) -q TARGET 2>/dev/null)
export HTTPD_INCLUDEDIR := $(shell $(APXS) -q INCLUDEDIR 2>/dev/null)
export APR_INCLUDEDIR   := $(shell $(APXS) -q APR_INCLUDEDIR 2>/dev/null)
LIBEXECDIR := $(shell $(APXS) -q LIBEXECDIR 2>/dev/null)
BIN        := .build/$(CONFIG)
# lld turns GOT entries of hidden Swift metadata into relative relocations, so nothing but
# jk_module remains in .dynsym (the default linker leaves LOCAL entries there).
# One build command for every product, so flags never differ between them (no rebuilds).
# Dynamic exclusivity checks cost ~0.5 % of httpd's CPU per request in the profile
# (swift_beginAccess, AccessSet::insert); the static checks remain.
SWIFTBUILD  = $(SWIFT) build -c $(CONFIG) -Xswiftc -static-stdlib -Xswiftc -use-ld=lld -Xswiftc -cross-module-optimization \
              -Xswiftc -enforce-exclusivity=unchecked

.PHONY: sanitize sanitize-thread all build install deb test test-all unit-test abi-check exports-check smoke-test e2e demo demo-stop bench bench-failover profile instructions hostile soak fuzz fuzz-quick clean deps FORCE

all: mod_swiftjk.so swiftjk

# The module: Swift runtime linked statically, only jk_module exported, stripped with a debuglink.
build: FORCE
	@test -n "$(HTTPD_INCLUDEDIR)" || { echo "apxs not found: install apache2-dev (or run 'make deps')" >&2; exit 1; }
	$(SWIFTBUILD)

mod_swiftjk.so: build
	cp $(BIN)/libmod_swiftjk.so $@.tmp
	objcopy --only-keep-debug $@.tmp mod_swiftjk.debug
	strip --strip-unneeded $@.tmp
	objcopy --add-gnu-debuglink=mod_swiftjk.debug $@.tmp
	mv -f $@.tmp $@

# The configuration checker.
swiftjk: build
	install -m 755 $(BIN)/swiftjk $@

# install(1) replaces the inode: never copy over a .so that httpd has mapped.
install: mod_swiftjk.so
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 644 mod_swiftjk.so $(DESTDIR)$(LIBEXECDIR)/mod_swiftjk.so

# The Debian package libapache2-mod-swiftjk_<VERSION>_<arch>.deb, built with dpkg's own tools
# (packaging/build-deb.sh; the package's files are in packaging/debian/). Install it with
# `apt install ./libapache2-mod-swiftjk_*.deb`; `lintian` on the .deb should say nothing.
DEB_VERSION    := $(shell cat VERSION)
DEB_MAINTAINER ?= SwiftJK maintainers <maintainers@users.noreply.r-seed-d6f34c6e.example>
deb: mod_swiftjk.so swiftjk
	@test -n "$(LIBEXECDIR)" || { echo "apxs not found: install apache2-dev (or run 'make deps')" >&2; exit 1; }
	rm -f libapache2-mod-swiftjk_*.deb
	VERSION="$(DEB_VERSION)" LIBEXECDIR="$(LIBEXECDIR)" MODULE=mod_swiftjk.so CLI=swiftjk \
	  MAINTAINER="$(DEB_MAINTAINER)" OUT="$(CURDIR)" STAGE="$(CURDIR)/.build-deb" ./packaging/build-deb.sh

# `test` and `demo` install what is missing first, then run make again: the httpd paths above
# come from apxs, which a fresh machine only has after `deps`.
test: deps
	$(MAKE) test-all

test-all: unit-test abi-check exports-check smoke-test fuzz-quick e2e

unit-test:
	$(SWIFT) test

# The C prototypes in swiftjk_abi.h against what Swift really exports.
abi-check: mod_swiftjk.so
	printf '#include "swiftjk_abi.h"\n#include "SwiftJK-Swift.h"\n' | \
	  clang -fsyntax-only -Werror -x c -ISources/CSwiftJKABI/include -I$(BIN)/SwiftJK.build/include -
	@echo "abi-check: prototypes match"

exports-check: mod_swiftjk.so
	test "$$(nm -D --defined-only mod_swiftjk.so | awk '{print $$3}')" = jk_module
	! readelf -d mod_swiftjk.so | grep NEEDED | grep -i swift
	@echo "exports-check: only jk_module exported, no Swift library needed"

smoke-test: mod_swiftjk.so
	HTTPD=$(HTTPD) ./IntegrationTests/smoke.sh $(CURDIR)/mod_swiftjk.so

e2e: mod_swiftjk.so swiftjk deb
	JK_MODULE_SO=$(CURDIR)/mod_swiftjk.so $(PYTHON) IntegrationTests/run.py

deps:
	./scripts/install-deps.sh

demo: deps
	$(MAKE) mod_swiftjk.so
	$(PYTHON) demo/demo.py --module $(CURDIR)/mod_swiftjk.so

demo-stop:
	$(PYTHON) demo/demo.py --stop

bench: mod_swiftjk.so
	$(PYTHON) bench/bench.py --module $(CURDIR)/mod_swiftjk.so

# Where httpd's CPU goes with each module under the ★ configuration: perf shares and system
# calls per request, side by side (manual, a few minutes).
profile: mod_swiftjk.so
	$(PYTHON) bench/profile.py

# Instructions per request by object (callgrind, no noise): SwiftJK's unstripped build next to mod_jk.
instructions: mod_swiftjk.so
	$(PYTHON) bench/instructions.py

# Failover latency and recovery time, SwiftJK against Debian's mod_jk (about 3 minutes; manual).
bench-failover: mod_swiftjk.so
	$(PYTHON) bench/failover.py --module $(CURDIR)/mod_swiftjk.so

# Hostile clients against httpd + SwiftJK + Tomcat (slowloris, oversized requests, header floods,
# aborted uploads, clients that never read), each while a legitimate client measures its latency;
# descriptors, AJP connections and child deaths before/after (about 12 minutes; manual).
hostile: mod_swiftjk.so
	$(PYTHON) bench/hostile.py --module $(CURDIR)/mod_swiftjk.so

# Mixed traffic over two clustered Tomcats with a failover every 5 minutes; RSS and descriptors
# of every httpd child each minute, and their slopes (SOAK_MINUTES, default 30; manual).
SOAK_MINUTES ?= 30
soak: mod_swiftjk.so
	$(PYTHON) bench/soak.py --module $(CURDIR)/mod_swiftjk.so --minutes $(SOAK_MINUTES) \
		--reference /usr/lib/apache2/modules/mod_jk.so

# AddressSanitizer (+UBSan in C) or ThreadSanitizer builds of the module under the e2e cluster,
# fault, restart and status tests, event and prefork; any report fails (scripts/sanitize.sh).
sanitize: deps
	./scripts/sanitize.sh address

sanitize-thread: deps
	./scripts/sanitize.sh thread

clean:
	rm -rf .build mod_swiftjk.so mod_swiftjk.debug mod_swiftjk.so.tmp swiftjk IntegrationTests/run .build-asan .build-tsan mod_swiftjk-asan.so mod_swiftjk-tsan.so .build-deb libapache2-mod-swiftjk_*.deb

FORCE:

# libFuzzer targets over the AJP13 codec: the reply parser and the request round trip.
# `make fuzz` runs each for FUZZ_SECONDS (default 300); CI runs them for 30 s.
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := ReplyParser:reply RequestRoundTrip:request
fuzz:
	@mkdir -p .build/fuzz
	@set -e; for entry in $(FUZZ_TARGETS); do \
	  target=$${entry%%:*}; seeds=$${entry##*:}; \
	  $(SWIFT)c -O -parse-as-library -sanitize=fuzzer,address -use-ld=lld -module-name AJP13Fuzz \
	    Sources/AJP13/*.swift Fuzz/$$target/main.swift -o .build/fuzz/$$target; \
	  mkdir -p .build/fuzz/corpus-$$target; \
	  echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
	  .build/fuzz/$$target -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=.build/fuzz/$$target- .build/fuzz/corpus-$$target Fuzz/corpus/$$seeds 2>&1 | \
	    grep -E "stat::number_of_executed_units|ERROR|SUMMARY|Done" ; \
	  test $${PIPESTATUS[0]} -eq 0 || { echo "fuzz: $$target FAILED"; exit 1; }; \
	done
	@echo "fuzz: 2 passed, 0 failed"

fuzz-quick:
	$(MAKE) fuzz FUZZ_SECONDS=30
