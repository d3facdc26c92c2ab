# Makefile — builds libceramic (core/), the ceramicfs program (fs/) and the
# tests (tests/). Targets: all, check, asan, valgrind, bench, clean.
#
# Every tests/test_*.c is one Check program; every tests/*_test.sh is a
# shell test that runs after them. BUILD selects the output directory, so
# the sanitizer build (make asan) lives beside the normal one.

BUILD   ?= build
CC      ?= cc
PKGS    := libcbor libsodium libcurl libcjson fuse3
CPPFLAGS += -D_GNU_SOURCE -Icore $(shell pkg-config --cflags $(PKGS))
OPT     ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wno-missing-field-initializers
LDLIBS  := $(shell pkg-config --libs $(PKGS)) -lpthread -lm
CHECK_CFLAGS := $(shell pkg-config --cflags check)
CHECK_LIBS   := $(shell pkg-config --libs check)

SANFLAGS :=
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
FS_SRC   := $(wildcard fs/*.c)
TEST_SRC := $(filter-out tests/testutil.c,$(wildcard tests/test_*.c))
SH_TESTS := $(wildcard tests/*_test.sh)

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
FS_OBJ   := $(FS_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:%.c=$(BUILD)/%)
LIB      := $(BUILD)/libceramic.a
PROG     := $(BUILD)/ceramicfs

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:%.c=$(BUILD)/%)
FUZZ_SECONDS ?= 60

# Benchmarks: every tests/bench/bench_*.c is a program of its own; bench_load
# needs the state module (cer_state_load), so it waits for core/state.c.
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
ifeq ($(wildcard core/state.c),)
BENCH_SRC := $(filter-out tests/bench/bench_load.c,$(BENCH_SRC))
endif
BENCH_BIN := $(BENCH_SRC:%.c=$(BUILD)/%)
BENCH_DOCS ?= 10000

.PHONY: all check asan valgrind bench bench-run fuzz fuzz-run clean tests
# keep the test objects make would otherwise delete as intermediates
.SECONDARY:
all: $(LIB) $(PROG)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(CORE_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

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

# test_oom fails the Nth allocation: malloc & co. are wrapped at link time
# (under ASan too, where __real_malloc is ASan's); see tests/test_oom.c.
OOM_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=strndup,--wrap=cbor_load
$(BUILD)/tests/test_oom: $(BUILD)/tests/test_oom.o $(BUILD)/tests/testutil.o $(LIB)
	$(CC) $(LDFLAGS) $(OOM_WRAP) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

tests: $(TEST_BIN) $(PROG)

# Runs every Check program, then every shell test; fails on the first failure
# but reports all Check suites first. A shell test that exits 77 is SKIPPED
# (reported at the end), except when CI is set, where a skip is a failure.
check: tests
	@fail=0; skipped=""; \
	for t in $(TEST_BIN); do \
	  echo "== $$t"; CK_VERBOSITY=normal ./$$t || fail=1; \
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

valgrind: tests
	@fail=0; for t in $(TEST_BIN); do \
	  echo "== valgrind $$t"; CK_FORK=no valgrind -q --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite,indirect ./$$t >/dev/null || fail=1; \
	done; \
	for t in $(SH_TESTS); do \
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

bench-run: $(BENCH_BIN) $(PROG)
	@for b in $(filter-out %/bench_fs,$(BENCH_BIN)); do echo "== $$b"; ./$$b || exit 1; done
	@echo "== tests/bench/bench_mount.sh"; sh tests/bench/bench_mount.sh $(BUILD)/tests/bench/bench_fs $(PROG) $(BENCH_DOCS)
	@echo "== tests/bench/bench_sync.sh"; sh tests/bench/bench_sync.sh $(PROG)

# libFuzzer targets (clang): each runs FUZZ_SECONDS from the seeds in
# tests/fuzz/corpus/<target>/; new inputs collect in build-fuzz/corpus/.
# A crash stops the run and leaves crash-* in build-fuzz/ (make it a test).
fuzz:
	$(MAKE) BUILD=build-fuzz FUZZ=1 CC=clang OPT="-O1 -g" fuzz-run

$(BUILD)/tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LDLIBS)

fuzz-run: $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
	  t=$${f##*/fuzz_}; mkdir -p $(BUILD)/corpus/$$t; \
	  echo "== fuzz $$t for $(FUZZ_SECONDS)s"; \
	  ./$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	    -artifact_prefix=$(BUILD)/ -print_final_stats=0 $(BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
	    2>$(BUILD)/fuzz-$$t.log || { tail -50 $(BUILD)/fuzz-$$t.log; exit 1; }; \
	  grep -E '^(Done|#[0-9]+ *DONE)' $(BUILD)/fuzz-$$t.log | tail -1; \
	done

clean:
	rm -rf build build-asan build-fuzz build-bench

-include $(CORE_OBJ:.o=.d) $(FS_OBJ:.o=.d) $(TEST_SRC:%.c=$(BUILD)/%.d)
