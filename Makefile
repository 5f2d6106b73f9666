# t37gw - T.37 store-and-forward fax gateway.
#
#   make            build build/t37gw, build/t37fax and build/t37gwctl
#   make test       install missing packages, build, run every test
#   make demo       install missing packages, build, run the loopback demo
#   make asan       the test suite built with ASan + UBSan (in build-asan/)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each (clang-14);
#                   fails when a target finds a crash (its log and input in build-fuzz/)
#   make bench      the benchmarks under bench/ (ratios against references)
#   make install    PREFIX=/usr/local DESTDIR= (binaries, man pages, example, unit)
#   make deps       install the Debian packages the project needs (no-op when present)
#
# Sources are found by folder: every .c in a module folder goes into one
# static library; gateway/main.c and tools/t37fax.c hold the two main()s.
# Unit tests are tests/unit/test_NAME.c, each defining `Suite *suite_NAME(void)`;
# they are linked into one Check runner. Fuzz targets are tests/fuzz/fuzz_NAME.c.

# make predefines CC as cc; only a CC from the command line or the
# environment replaces gcc.
ifeq ($(origin CC),default)
CC := gcc
endif
BUILD   ?= build
PREFIX  ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR ?=
VERSION := 0.1.0
FUZZ_SECONDS ?= 30
# Compiler jobs for the builds that test, asan, fuzz, bench and demo start.
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)

PKGS    := spandsp libtiff-4 libevent libevent_openssl libevent_pthreads \
           gmime-3.0 libre openssl
# Text pages through Pango, Cairo and fontconfig; images through Leptonica,
# libpng, libjpeg and giflib (which has no pkg-config file).
PKGS    += pangocairo pangoft2 fontconfig cairo lept libpng libjpeg
# HTML mail through libxml2's HTML parser.
PKGS    += libxml-2.0
# Call and job records as JSON lines.
PKGS    += json-c
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ltiff -lm -lpthread
PKG_LIBS   += -lgif
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

# libre 1.1.0's headers change struct layouts on these (see sip/).
RE_DEFS := -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6

OPT     ?= -O2
CFLAGS  ?=
SAN_FLAGS ?=
WERROR  ?= -Werror
# Warnings every compiler here knows, then gcc's own; hardening as Debian
# builds its packages.
WARN    := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wformat=2 -Wnull-dereference
GCC_WARN := -Wlogical-op -Wduplicated-cond
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
HARDEN_LD := -Wl,-z,relro,-z,now
ALL_CFLAGS := -std=gnu11 $(OPT) -g $(WARN) $(if $(findstring clang,$(CC)),,$(GCC_WARN)) \
              $(WERROR) -I. $(HARDEN) \
              -D_GNU_SOURCE -DT37GW_VERSION=\"$(VERSION)\" $(RE_DEFS) \
              $(PKG_CFLAGS) $(SAN_FLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SAN_FLAGS) $(HARDEN_LD) $(LDFLAGS)

MODULES  := config gateway fax mime smtp sip
# gateway/ holds the daemon core; each room under it is a module of its own.
MODULES  += util gateway/spool gateway/mailq gateway/intake gateway/onramp gateway/offramp
MODULES  += gateway/cdr
MODULES  += gateway/metrics
MODULES  += gateway/ctl
LIB_SRC  := $(filter-out gateway/main.c,$(wildcard $(addsuffix /*.c,$(MODULES))))
TOOL_SRC := $(filter-out tools/t37fax.c tools/t37gwctl.c,$(wildcard tools/*.c))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
# `make fuzz FUZZ_TARGETS="fuzz_a fuzz_b"` runs some of them only.
FUZZ_TARGETS ?= $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
BENCH_SRC := $(wildcard bench/*.c)

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/tests/unit/main.o
LIB      := $(BUILD)/libt37.a
UNIT_NAMES := $(patsubst tests/unit/test_%.c,%,$(UNIT_SRC))

.PHONY: all deps test unit asan fuzz bench demo install clean check-config

all: $(BUILD)/t37gw $(BUILD)/t37fax $(BUILD)/t37gwctl

deps:
	@sh scripts/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I$(BUILD)/gen -MMD -MP -c $< -o $@

# Every unit test file sees the prototypes of all suites (one generated list).
$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c $(BUILD)/gen/unit_suites.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I$(BUILD)/gen -include tests/unit/suites.h \
	  -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/t37gw: $(BUILD)/obj/gateway/main.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

$(BUILD)/t37fax: $(BUILD)/obj/tools/t37fax.o $(TOOL_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(TOOL_OBJ) $(LIB) $(PKG_LIBS)

$(BUILD)/t37gwctl: $(BUILD)/obj/tools/t37gwctl.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# The Check runner: one binary, one summary line, every suite.
$(BUILD)/gen/unit_suites.h: $(UNIT_SRC) Makefile
	@mkdir -p $(dir $@)
	@{ for n in $(UNIT_NAMES); do echo "T37_SUITE($$n)"; done; } > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/obj/tests/unit/main.o: $(BUILD)/gen/unit_suites.h

$(BUILD)/tests/unit: $(UNIT_OBJ) $(TOOL_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(UNIT_OBJ) $(TOOL_OBJ) $(LIB) $(PKG_LIBS) $(CHECK_LIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(TOOL_OBJ) $(LIB) $(PKG_LIBS)

unit: $(BUILD)/tests/unit
	$(BUILD)/tests/unit

test: deps
	$(MAKE) -j$(JOBS) all $(BUILD)/tests/unit
	BUILD=$(BUILD) sh tests/run.sh

asan: deps
	$(MAKE) -j$(JOBS) BUILD=build-asan OPT=-O1 \
	  SAN_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  all build-asan/tests/unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  BUILD=build-asan T37_SANITIZED=1 sh tests/run.sh

# Fuzz targets: the library rebuilt with clang and the fuzzer instrumentation.
FUZZ_BUILD := build-fuzz
fuzz: deps
	$(MAKE) -j$(JOBS) BUILD=$(FUZZ_BUILD) CC=clang-14 OPT=-O1 WERROR= \
	  SAN_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
	  $(FUZZ_BUILD)/libt37.a $(TOOL_OBJ:$(BUILD)/%=$(FUZZ_BUILD)/%)
	@for n in $(FUZZ_TARGETS); do \
	  clang-14 $(filter-out -Werror -O2 $(GCC_WARN),$(ALL_CFLAGS)) -O1 -g \
	    -fsanitize=fuzzer,address,undefined -o $(FUZZ_BUILD)/$$n tests/fuzz/$$n.c \
	    $(TOOL_OBJ:$(BUILD)/%=$(FUZZ_BUILD)/%) $(FUZZ_BUILD)/libt37.a $(PKG_LIBS) || exit 1; \
	done
	@echo "fuzz: $(words $(FUZZ_TARGETS)) targets for $(FUZZ_SECONDS) s each, $(JOBS) at a time"
	@rm -f $(FUZZ_BUILD)/failed; \
	for n in $(FUZZ_TARGETS); do echo $$n; done | \
	  xargs -P $(JOBS) -n 1 sh scripts/fuzz_run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS); \
	if [ -s $(FUZZ_BUILD)/failed ]; then echo "fuzz: failed:" $$(cat $(FUZZ_BUILD)/failed); exit 1; fi

bench: deps
	$(MAKE) -j$(JOBS) all $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
	BUILD=$(BUILD) sh bench/run.sh

demo: deps
	$(MAKE) -j$(JOBS) all
	BUILD=$(BUILD) sh scripts/demo.sh

check-config: all
	$(BUILD)/t37gw -t -c contrib/t37gw.conf.example

# Man pages and the example are installed when present in the tree.
MAN_PAGES := $(wildcard docs/*.1 docs/*.5 docs/*.8)
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/doc/t37gw \
	  $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(SYSCONFDIR)/t37gw
	install -m 0755 $(BUILD)/t37gw $(DESTDIR)$(PREFIX)/sbin/t37gw
	install -m 0755 $(BUILD)/t37fax $(DESTDIR)$(PREFIX)/bin/t37fax
	install -m 0755 $(BUILD)/t37gwctl $(DESTDIR)$(PREFIX)/sbin/t37gwctl
	@set -e; for m in $(MAN_PAGES); do \
	  s=$${m##*.}; echo "install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/"; \
	  install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done
	@set -e; if [ -f contrib/t37gw.conf.example ]; then \
	  install -m 0644 contrib/t37gw.conf.example $(DESTDIR)$(PREFIX)/share/doc/t37gw/; \
	  if [ ! -e $(DESTDIR)$(SYSCONFDIR)/t37gw/t37gw.conf ]; then \
	    install -m 0640 contrib/t37gw.conf.example $(DESTDIR)$(SYSCONFDIR)/t37gw/t37gw.conf; \
	  fi; fi
	install -d $(DESTDIR)$(PREFIX)/share/doc/t37gw/kamailio
	install -m 0644 contrib/kamailio/t37gw-dispatch.cfg contrib/kamailio/t37gw-gateways.list \
	  $(DESTDIR)$(PREFIX)/share/doc/t37gw/kamailio/
	install -d $(DESTDIR)$(PREFIX)/share/doc/t37gw/logrotate.d
	install -m 0644 contrib/logrotate.d/t37gw $(DESTDIR)$(PREFIX)/share/doc/t37gw/logrotate.d/
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g; s|@SYSCONFDIR@|$(SYSCONFDIR)|g' contrib/t37gw.service \
	  > $(DESTDIR)$(PREFIX)/lib/systemd/system/t37gw.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/t37gw.service

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
