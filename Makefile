# Makefile — builds libceramic (core/), the ceramicfs program (fs/) and the
# tests (tests/). Targets: all, check, asan, valgrind, bench, clean;
# install (PREFIX, DESTDIR) and deb (packaging/debian) at the end.
#
# Every tests/test_*.c is one Check program; every tests/*_test.sh is a
# shell test that runs after them. BUILD selects the output directory, so
# the sanitizer build (make asan) lives beside the normal one.

BUILD   ?= build
CC      ?= cc
PKGS    := libcbor libsodium libsecp256k1 libcrypto libcurl libcjson libmicrohttpd libpcre2-8 fuse3
# fs/: main.c, the mount (fs/mount/) and the command line (fs/cli/), whose
# helpers the mount's options use too
CPPFLAGS += -D_GNU_SOURCE -Icore -Ifs/cli $(shell pkg-config --cflags $(PKGS))
OPT     ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-missing-field-initializers
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lpthread -lm
CHECK_CFLAGS := $(shell pkg-config --cflags check)
CHECK_LIBS   := $(shell pkg-config --libs check)

# release hardening (the sanitizer builds leave it out: ASan replaces the
# fortified libc calls' checks with its own)
SANFLAGS := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
ifeq ($(FUZZ),1)
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
# CFLAGS from the command line or environment are added last.
ALL_CFLAGS = $(OPT) $(WARN) $(SANFLAGS) $(CFLAGS)

CORE_SRC := $(wildcard core/*.c)
FS_SRC   := $(wildcard fs/*.c fs/mount/*.c fs/cli/*.c)
TEST_SRC := $(filter-out tests/testutil.c,$(wildcard tests/test_*.c))
# the package test installs packages on the machine: make package-test
SH_TESTS := $(filter-out tests/package_test.sh,$(wildcard tests/*_test.sh))

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
FS_OBJ   := $(FS_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
LIB      := $(BUILD)/libceramic.a
DIST_LIB := $(BUILD)/dist/libceramic.a
API_SYMS := $(BUILD)/ceramic.syms
EXAMPLE_BIN := $(patsubst %.c,$(BUILD)/%,$(wildcard examples/*.c))
OBJCOPY  ?= objcopy
PROG     := $(BUILD)/ceramicfs

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:%.c=$(BUILD)/%)
FUZZ_SECONDS ?= 0
FUZZ_TOTAL ?= 360
FUZZ_JOBS ?= $(shell nproc 2>/dev/null || echo 1)

# Benchmarks: every tests/bench/bench_*.c is a program of its own; bench_load
# needs the state module (cer_state_load), so it waits for core/state.c.
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
ifeq ($(wildcard core/state.c),)
BENCH_SRC := $(filter-out tests/bench/bench_load.c,$(BENCH_SRC))
endif
BENCH_BIN := $(BENCH_SRC:%.c=$(BUILD)/%)
BENCH_DOCS ?= 10000
BROWSE_DOCS ?= 100000

.PHONY: all check asan valgrind valgrind-unit bench bench-run fuzz fuzz-run clean tests install deb package-test
# keep the test objects make would otherwise delete as intermediates
.SECONDARY:
all: $(LIB) $(DIST_LIB) $(PROG)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# The installed libceramic.a exports ceramic.h's API and nothing else: it
# is one relocatable object of the core objects (ld -r) whose other global
# symbols are made local (objcopy --keep-global-symbols), so a program
# linking it can neither call an internal function nor collide with one.
# API_SYMS lists ceramic.h's functions, one a line: each declaration starts
# at column 0 (tests/api_test.sh checks the list against the compiler's).
# $(LIB), one object per module, is what the program and the tests link.
$(API_SYMS): core/ceramic.h
	@mkdir -p $(dir $@)
	grep -E '^[A-Za-z]' $< | grep -v '^typedef' | grep -oE '\bcer_[a-z0-9_]+\(' | tr -d '(' | sort -u > $@

$(DIST_LIB): $(CORE_OBJ) $(API_SYMS)
	@mkdir -p $(dir $@)
	$(LD) -r -o $(DIST_LIB:.a=.o) $(CORE_OBJ)
	$(OBJCOPY) --keep-global-symbols=$(API_SYMS) $(DIST_LIB:.a=.o)
	@rm -f $@
	$(AR) rcs $@ $(DIST_LIB:.a=.o)

# The example programs, built as a user builds them (pkg-config), against
# the installed form of the library in the build tree: make check runs
# them (tests/api_test.sh), so they cannot rot.
$(BUILD)/dist/libceramic.pc: packaging/libceramic.pc.in core/ceramic.h
	@mkdir -p $(dir $@)
	$(call PC_SED,$(CURDIR),$(abspath $(BUILD)/dist),$(CURDIR)/core) $< > $@

$(BUILD)/examples/%: examples/%.c $(DIST_LIB) $(BUILD)/dist/libceramic.pc
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $$(PKG_CONFIG_PATH=$(BUILD)/dist pkg-config --cflags --libs libceramic)

$(PROG): $(FS_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(FS_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/testutil.o: tests/testutil.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CHECK_CFLAGS) $(ALL_CFLAGS) -DTEST_DATA_DIR='"$(CURDIR)/tests/vectors"' -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CHECK_CFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/tests/testutil.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

# the fake HTTP server shared by the tests that talk to HTTP services
$(BUILD)/tests/test_anchor $(BUILD)/tests/test_eth $(BUILD)/tests/test_http $(BUILD)/tests/test_ipfs $(BUILD)/tests/test_sync: $(BUILD)/tests/fakehttp.o

# test_oom fails the Nth allocation: malloc & co. are wrapped at link time
# (under ASan too, where __real_malloc is ASan's); see tests/test_oom.c.
OOM_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=strndup,--wrap=cbor_load
$(BUILD)/tests/test_oom: $(BUILD)/tests/test_oom.o $(BUILD)/tests/testutil.o $(LIB)
	$(CC) $(LDFLAGS) $(OOM_WRAP) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

# the driver of tests/schema_js_test.sh (our side of the Ajv comparison)
SCHEMA_RUN := $(BUILD)/tests/schema_run
$(SCHEMA_RUN): tests/schema/schema_run.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

tests: $(TEST_BIN) $(PROG) $(EXAMPLE_BIN) $(SCHEMA_RUN)

# Runs every Check program, then every shell test; fails on the first failure
# but reports all Check suites first. A shell test that exits 77 is SKIPPED
# (reported at the end), except when CI is set, where a skip is a failure.
# A test case without a timeout of its own gets 60 s, not Check's 4 s: a
# busy machine is slow, not broken (a hang is still caught).
check: tests
	@fail=0; skipped=""; \
	for t in $(TEST_BIN); do \
	  echo "== $$t"; CK_VERBOSITY=normal CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-60} ./$$t || fail=1; \
	done; \
	for t in $(SH_TESTS); do \
	  echo "== $$t"; rc=0; CERAMICFS=$(CURDIR)/$(PROG) sh $$t || rc=$$?; \
	  if [ $$rc -eq 77 ] && [ -z "$$CI" ]; then echo "SKIP $$t"; skipped="$$skipped $$t"; \
	  elif [ $$rc -ne 0 ]; then fail=1; fi; \
	done; \
	if [ $$fail -ne 0 ]; then echo "check: FAILED"; exit 1; fi; \
	if [ -n "$$skipped" ]; then echo "check: all tests passed, SKIPPED:$$skipped"; \
	else echo "check: all tests passed"; fi

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer, with
# Check's fork mode off so LeakSanitizer sees every test.
asan:
	CK_FORK=no $(MAKE) BUILD=build-asan SAN=1 OPT="-O1 -g" check

# valgrind-unit: the Check programs (what CI runs); valgrind: those, then
# the shell tests with the program under valgrind (long).
valgrind-unit: tests
	@fail=0; for t in $(TEST_BIN); do \
	  echo "== valgrind $$t"; CK_FORK=no valgrind -q --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite,indirect ./$$t >/dev/null || fail=1; \
	done; exit $$fail

valgrind: valgrind-unit
	@fail=0; for t in $(SH_TESTS); do \
	  echo "== valgrind $$t"; CERAMICFS="valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect $(CURDIR)/$(PROG)" sh $$t >/dev/null || fail=1; \
	done; exit $$fail

# Benchmarks (not tests): -O2, no sanitizers, in their own build directory;
# each prints a table of ops/s and ratios to floors measured in the same run.
bench:
	$(MAKE) BUILD=build-bench OPT=-O2 SAN= FUZZ= bench-run

$(BUILD)/tests/bench/bench_%: tests/bench/bench_%.c tests/bench/bench.h $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# the floor bench_browse.sh compares the mount with: libfuse alone
$(BUILD)/tests/bench/browse_floor: tests/bench/browse_floor.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(shell pkg-config --libs fuse3)

bench-run: $(BENCH_BIN) $(PROG) $(BUILD)/tests/bench/browse_floor
	@for b in $(filter-out %/bench_fs %/bench_browse,$(BENCH_BIN)); do echo "== $$b"; ./$$b || exit 1; done
	@echo "== tests/bench/bench_mount.sh"; sh tests/bench/bench_mount.sh $(BUILD)/tests/bench/bench_fs $(PROG) $(BENCH_DOCS)
	@echo "== tests/bench/bench_browse.sh"; sh tests/bench/bench_browse.sh $(BUILD)/tests/bench/bench_browse $(PROG) $(BROWSE_DOCS) $(BUILD)/tests/bench/browse_floor
	@echo "== tests/bench/bench_sync.sh"; sh tests/bench/bench_sync.sh $(PROG)
	@echo "== tests/bench/bench_js.sh"; sh tests/bench/bench_js.sh $(PROG)

# libFuzzer targets (clang), FUZZ_JOBS at a time (tests/fuzz/run.sh): the
# whole run takes FUZZ_TOTAL seconds however many targets there are, or
# each target FUZZ_SECONDS when that is set; from the seeds in
# tests/fuzz/corpus/<target>/; new inputs collect in build-fuzz/corpus/.
# A crash stops the run and leaves crash-* in build-fuzz/ (make it a test).
fuzz:
	$(MAKE) BUILD=build-fuzz FUZZ=1 CC=clang OPT="-O1 -g" fuzz-run

$(BUILD)/tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)

fuzz-run: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh $(BUILD) $(FUZZ_JOBS) $(FUZZ_SECONDS) $(FUZZ_TOTAL) $(FUZZ_BIN)

# ---- install and the Debian package ----
# make install [PREFIX=/usr/local] [DESTDIR=...]: the program, libceramic
# (the static library in its installed form, $(DIST_LIB); the header; the
# pkg-config file), the systemd units, and, when they exist, the man pages
# and the bash completion; the examples under share/doc (the C programs
# with the library's: LIBDOCDIR). fstab mounts need no helper of ours: mount(8) runs Debian's
# mount.fuse3 for type fuse.ceramicfs, which runs `ceramicfs SOURCE MNT -o
# OPTS` from the default PATH (see packaging/debian/README).
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
LIBDIR        ?= $(PREFIX)/lib
INCLUDEDIR    ?= $(PREFIX)/include
DATADIR       ?= $(PREFIX)/share
MANDIR        ?= $(DATADIR)/man
DOCDIR        ?= $(DATADIR)/doc/ceramicfs
LIBDOCDIR     ?= $(DATADIR)/doc/libceramic
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSTEMDUSERDIR ?= $(PREFIX)/lib/systemd/user
VERSION := $(shell sed -n 's/^\#define CER_VERSION "\(.*\)"/\1/p' core/ceramic.h)
MANPAGES   := $(wildcard packaging/man/ceramicfs.1 packaging/man/ceramicfs-layout.5)
COMPLETION := $(wildcard packaging/completion/ceramicfs)

# $(call PC_SED,PREFIX,LIBDIR,INCLUDEDIR) < libceramic.pc.in
PC_SED = sed -e 's|@PREFIX@|$(1)|g' -e 's|@LIBDIR@|$(2)|g' -e 's|@INCLUDEDIR@|$(3)|g' -e 's|@VERSION@|$(VERSION)|g'
$(BUILD)/libceramic.pc: packaging/libceramic.pc.in core/ceramic.h
	$(call PC_SED,$(PREFIX),$(LIBDIR),$(INCLUDEDIR)) $< > $@

# the units name /usr/bin/ceramicfs: rewritten for another BINDIR
install: $(DIST_LIB) $(PROG) $(BUILD)/libceramic.pc
	install -D -m 0755 $(PROG) $(DESTDIR)$(BINDIR)/ceramicfs
	install -D -m 0644 $(DIST_LIB) $(DESTDIR)$(LIBDIR)/libceramic.a
	install -D -m 0644 core/ceramic.h $(DESTDIR)$(INCLUDEDIR)/ceramic.h
	install -D -m 0644 $(BUILD)/libceramic.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libceramic.pc
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSTEMDUSERDIR)
	sed 's|/usr/bin/ceramicfs|$(BINDIR)/ceramicfs|g' packaging/systemd/ceramicfs@.service \
	    > $(DESTDIR)$(SYSTEMDUNITDIR)/ceramicfs@.service
	sed 's|/usr/bin/ceramicfs|$(BINDIR)/ceramicfs|g' packaging/systemd/user/ceramicfs@.service \
	    > $(DESTDIR)$(SYSTEMDUSERDIR)/ceramicfs@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/ceramicfs@.service $(DESTDIR)$(SYSTEMDUSERDIR)/ceramicfs@.service
	for m in $(MANPAGES); do \
	  install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; done
	$(if $(COMPLETION),install -D -m 0644 $(COMPLETION) $(DESTDIR)$(COMPLETIONDIR)/ceramicfs)
	install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 examples/*.sh $(DESTDIR)$(DOCDIR)/examples/
	install -d $(DESTDIR)$(LIBDOCDIR)/examples
	install -m 0644 examples/*.c $(DESTDIR)$(LIBDOCDIR)/examples/

# make deb: the two binary packages (ceramicfs, libceramic-dev) in
# build/deb/, built by dpkg-buildpackage from a copy of the sources in
# build/deb/src with packaging/debian as its debian/ (the repository's root
# stays as it is). The changelog's version must be CER_VERSION.
DEBDIR := build/deb
deb:
	@v=$$(dpkg-parsechangelog -l packaging/debian/changelog -S Version) && [ "$$v" = "$(VERSION)" ] || \
	  { echo "deb: packaging/debian/changelog says $$v, core/ceramic.h says $(VERSION)"; exit 1; }
	rm -rf $(DEBDIR)
	mkdir -p $(DEBDIR)/src
	cp -a Makefile LICENSE README.md core fs examples packaging $(DEBDIR)/src/
	cp -a packaging/debian $(DEBDIR)/src/debian
	cd $(DEBDIR)/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	  DEB_BUILD_OPTIONS="$${DEB_BUILD_OPTIONS:-parallel=$$(nproc)}" dpkg-buildpackage -us -uc -b
	rm -rf $(DEBDIR)/src
	@echo "deb: built"; ls -1 $(CURDIR)/$(DEBDIR)/*.deb

# The package test: build, lintian, install, mount through mount(8) and
# fstab, the readiness notification, purge. It installs the packages on
# this machine, so it is not in make check. Like there, a skip (exit 77:
# not root, no /dev/fuse, no dpkg-buildpackage) fails only when CI is set.
package-test:
	@rc=0; sh tests/package_test.sh || rc=$$?; \
	if [ $$rc -eq 77 ] && [ -z "$$CI" ]; then echo "package-test: SKIPPED"; \
	elif [ $$rc -ne 0 ]; then echo "package-test: FAILED"; exit 1; fi

clean:
	rm -rf build build-asan build-fuzz build-bench

-include $(CORE_OBJ:.o=.d) $(FS_OBJ:.o=.d) $(TEST_SRC:%.c=$(BUILD)/%.d) $(BUILD)/tests/fakehttp.d
