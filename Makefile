# hallmark: one static library (everything but cli/) and the binary that
# links it.  Non-recursive; dependencies come from pkg-config.  The targets
# that must work on a fresh machine (check, demo, asan) first run `deps`.

PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
PYTHON  ?= /usr/bin/python3
CFLAGS  ?= -O2 -g
LDFLAGS ?=

PKGS := openssl libcurl libcjson yaml-0.1 libsodium
# p11-kit-1 only for the PKCS#11 header: modules are loaded with dlopen.
# libgit2 and libmicrohttpd likewise (attest/git_lib.c, policy/mhd_lib.c),
# by the soname of the library pkg-config finds, so that commands that read
# no git repository or serve nothing do not load them at their start.
DLOPEN_PKGS := libgit2 libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(DLOPEN_PKGS) p11-kit-1 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
soname = $(shell objdump -p "$$(pkg-config --variable=libdir $(1) 2>/dev/null)/$(1).so" 2>/dev/null | \
	awk '$$1 == "SONAME" { print $$2 }')
PKG_CFLAGS += -DHM_LIBGIT2_SONAME='"$(or $(call soname,libgit2),libgit2.so)"' \
	-DHM_LIBMICROHTTPD_SONAME='"$(or $(call soname,libmicrohttpd),libmicrohttpd.so)"'
WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes -Wno-unused-parameter
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -I. $(WARN) $(PKG_CFLAGS) $(CFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm -ldl

LIB_SRC  := $(sort $(wildcard core/*.c oci/*.c crypto/*.c sigstore/*.c notation/*.c trust/*.c sign/*.c verify/*.c attest/*.c policy/*.c audit/*.c))
CLI_SRC  := $(sort $(wildcard cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
# The built-in Sigstore trusted root, embedded as a C array (od and sed only).
LIB_OBJ  += $(BUILD)/sigstore/trusted_root_data.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libhallmark.a
BIN      := $(BUILD)/hallmark

.PHONY: all deps check test unit cli-test demo asan fuzz bench install clean help-check man completions

all: $(BIN)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/sigstore/trusted_root_data.c: sigstore/data/trusted_root.json
	@mkdir -p $(@D)
	{ echo 'extern const unsigned char hm_trustroot_builtin_data[];'; \
	  echo 'extern const unsigned long hm_trustroot_builtin_len;'; \
	  echo 'const unsigned char hm_trustroot_builtin_data[] = {'; \
	  od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; \
	  echo 'const unsigned long hm_trustroot_builtin_len = sizeof(hm_trustroot_builtin_data);'; } >$@.tmp && mv $@.tmp $@

$(BUILD)/sigstore/trusted_root_data.o: $(BUILD)/sigstore/trusted_root_data.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS) -lcmocka

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

deps:
	@sh tests/lib/deps.sh

# check and demo install what is missing, then build with the flags
# pkg-config gives once the packages are there.  check also builds every
# fuzz target with clang and runs each for a second (clang warns where gcc
# does not), before the tests so that their summary line comes last.
check:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=1
	@$(MAKE) --no-print-directory test

test: $(BIN) $(UNIT_BIN)
	@BUILD=$(BUILD) HALLMARK=$(abspath $(BIN)) PYTHON=$(PYTHON) sh tests/run.sh $(UNIT_BIN)

unit: $(UNIT_BIN)
	@BUILD=$(BUILD) sh tests/run.sh --unit-only $(UNIT_BIN)

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(BIN)
	@HALLMARK=$(abspath $(BIN)) sh examples/demo.sh

ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
asan:
	@$(MAKE) --no-print-directory deps
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(MAKE) --no-print-directory BUILD=build-asan CFLAGS="$(ASAN_FLAGS)" LDFLAGS="$(ASAN_FLAGS)" test

# libFuzzer targets: built with clang against a fuzzer-instrumented library,
# each run for FUZZ_SECONDS from its seed corpus in tests/fuzz/corpus/NAME.
FUZZ_SECONDS ?= 10
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined
fuzz:
	@$(MAKE) --no-print-directory CC=clang BUILD=$(FUZZ_BUILD) CFLAGS="$(FUZZ_CFLAGS)" $(FUZZ_BUILD)/libhallmark.a
	@set -e; for src in $(FUZZ_SRC); do \
	  name=$$(basename $$src .c); \
	  clang -std=c11 -D_GNU_SOURCE -I. $(WARN) $(PKG_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
	    -o $(FUZZ_BUILD)/$$name $$src $(FUZZ_BUILD)/libhallmark.a $(LIBS); \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_BUILD)/$$name -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=$(FUZZ_BUILD)/$$name- \
	    $(FUZZ_BUILD)/corpus/$$name $$( [ -d tests/fuzz/corpus/$$name ] && echo tests/fuzz/corpus/$$name ) \
	    >$(FUZZ_BUILD)/$$name.log 2>&1 && tail -n 1 $(FUZZ_BUILD)/$$name.log || { \
	    grep -A 20 'ERROR:' $(FUZZ_BUILD)/$$name.log | head -n 30; \
	    echo "fuzz: $$name failed; the input is in $(FUZZ_BUILD)/$$name-*; log $(FUZZ_BUILD)/$$name.log" >&2; exit 1; }; \
	done

BENCH_SRC := $(sort $(wildcard bench/*.c))
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS)

bench: $(BIN) $(BENCH_BIN)
	@HALLMARK=$(abspath $(BIN)) BENCH_BIN=$(abspath $(BUILD)/bench) sh bench/run.sh

# Man pages from docs/ (lowdown): every command page as hallmark-CMD(1),
# docs/cli.md as hallmark(1), the policy format as hallmark-policy(5), the
# other pages as hallmark-NAME(7).
MAN_DIR   := $(BUILD)/man
MAN1      := $(patsubst docs/%.md,$(MAN_DIR)/%.1,$(wildcard docs/hallmark-*.md)) $(MAN_DIR)/hallmark.1
MAN5      := $(MAN_DIR)/hallmark-policy.5
MAN7_SRC  := $(filter-out docs/hallmark-%.md docs/cli.md docs/policy.md,$(wildcard docs/*.md))
MAN7      := $(patsubst docs/%.md,$(MAN_DIR)/hallmark-%.7,$(MAN7_SRC))
MD2MAN    := sh tests/lib/md2man.sh

man: $(MAN1) $(MAN5) $(MAN7)

$(MAN_DIR)/hallmark-%.1: docs/hallmark-%.md tests/lib/md2man.sh
	@mkdir -p $(@D)
	$(MD2MAN) $< $@ 1 hallmark-$*

$(MAN_DIR)/hallmark.1: docs/cli.md tests/lib/md2man.sh
	@mkdir -p $(@D)
	$(MD2MAN) $< $@ 1 hallmark

$(MAN_DIR)/hallmark-policy.5: docs/policy.md tests/lib/md2man.sh
	@mkdir -p $(@D)
	$(MD2MAN) $< $@ 5 hallmark-policy

$(MAN_DIR)/hallmark-%.7: docs/%.md tests/lib/md2man.sh
	@mkdir -p $(@D)
	$(MD2MAN) $< $@ 7 hallmark-$*

# Shell completion scripts, printed by the binary from its command table.
COMPLETIONS := $(BUILD)/completion/hallmark.bash $(BUILD)/completion/_hallmark $(BUILD)/completion/hallmark.fish
completions: $(COMPLETIONS)

$(BUILD)/completion/hallmark.bash: $(BIN)
	@mkdir -p $(@D)
	$(BIN) completion bash >$@
$(BUILD)/completion/_hallmark: $(BIN)
	@mkdir -p $(@D)
	$(BIN) completion zsh >$@
$(BUILD)/completion/hallmark.fish: $(BIN)
	@mkdir -p $(@D)
	$(BIN) completion fish >$@

SHARE := $(DESTDIR)$(PREFIX)/share
install: $(BIN) man completions
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/doc/hallmark $(SHARE)/man/man1 $(SHARE)/man/man5 $(SHARE)/man/man7 \
	  $(SHARE)/bash-completion/completions $(SHARE)/zsh/site-functions $(SHARE)/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/hallmark
	install -m 0644 docs/*.md LICENSE $(SHARE)/doc/hallmark/
	install -m 0644 $(MAN1) $(SHARE)/man/man1/
	install -m 0644 $(MAN5) $(SHARE)/man/man5/
	install -m 0644 $(MAN7) $(SHARE)/man/man7/
	install -m 0644 $(BUILD)/completion/hallmark.bash $(SHARE)/bash-completion/completions/hallmark
	install -m 0644 $(BUILD)/completion/_hallmark $(SHARE)/zsh/site-functions/_hallmark
	install -m 0644 $(BUILD)/completion/hallmark.fish $(SHARE)/fish/vendor_completions.d/hallmark.fish

clean:
	rm -rf build build-asan build-fuzz
