# peerline - see README.md.
#
#   make run     install missing build deps, build, start the demo line + simulator
#   make test    install missing build deps, build, run every test
#   make asan    the whole test suite under AddressSanitizer + UBSan
#   make lint    clang-format check, banned-function scan, and the layers
#                (no call up a layer, no circle between files: tests/layers.sh)
#   make analyze cppcheck, with the settings in tests/analyze.sh
#   make bench   build and run the benchmarks (prints figures; README "Performance")
#   make fuzz    libFuzzer on every parser, FUZZ_SECONDS (60) each (clang)
#   make install the binary, man page, systemd unit and examples (PREFIX, DESTDIR)
#   make         just build build/peerline
#
# Build dependencies are Debian packages; `deps` installs whatever is missing
# (apt-get, with sudo when not root), checked with pkg-config.

BUILD    ?= build
CC       ?= cc
PKGS     := libmicrohttpd libcurl sqlite3 libpq yaml-0.1 libcrypto jansson cmocka
DEBS     := pkg-config libmicrohttpd-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev libyaml-dev \
            libssl-dev libjansson-dev libcmocka-dev tzdata curl ca-certificates

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral -Wvla
CSTD     := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OPT      ?= -O2 -g
ifeq ($(SAN),1)
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN    := -fsanitize=address,undefined
endif
# The fuzz build (make fuzz): clang, libFuzzer's coverage, ASan + UBSan.
ifeq ($(FUZZ),1)
CC       := clang
OPT      := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
            -fno-sanitize-recover=all
LDSAN    := -fsanitize=fuzzer,address,undefined
endif

# Quiet by default; `make V=1` prints every command.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @echo "  $(1) $(2)"
endif

# Deferred (=) so they are read after `deps` has installed pkg-config files.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs libmicrohttpd libcurl sqlite3 libpq yaml-0.1 libcrypto jansson 2>/dev/null)
# The layers, bottom up (README "Development" has the map). Each entry is
# "folder:what it may include", and a folder's files compile with exactly
# those include folders (their own headers are always seen), so a header
# from a higher layer does not compile. tests/layers.sh checks the objects'
# symbols against the same table: no call up a layer, no circle between
# files. tests/analyze.sh runs cppcheck with the same lists.
LAYERS := config:config \
          matcher:matcher,config \
          gateway/base:gateway/base \
          gateway/wire:gateway/wire,gateway/base,config \
          gateway/db:gateway/db,gateway/base \
          gateway/store:gateway/store,gateway/db,gateway/base \
          gateway/engine:gateway/engine,gateway/store,gateway/wire,gateway/base,matcher,config \
          gateway/voice:gateway/voice,gateway/engine,gateway/store,gateway/wire,gateway/base,matcher,config \
          gateway/serve:gateway/serve,gateway/voice,gateway/engine,gateway/store,gateway/wire,gateway/base,matcher,config \
          gateway/sim:gateway/sim,gateway/wire,gateway/base,config \
          gateway/cli:gateway/cli,gateway/serve,gateway/sim,gateway/voice,gateway/engine,gateway/store,gateway/db,gateway/wire,gateway/base,matcher,config
export LAYERS
comma    := ,
# The include folders of the folder $(1); tests, fuzz targets and benchmarks see every layer
# (and tests/, for its throwaway PostgreSQL: tests/pg.h).
layer_dirs = $(subst $(comma), ,$(patsubst $(1):%,%,$(filter $(1):%,$(LAYERS))))
ALL_DIRS   := $(foreach l,$(LAYERS),$(firstword $(subst :, ,$(l))))
# -iquote: the project's headers (always included with "") come before any -I
# from pkg-config or CFLAGS, so a system header of the same name (form.h, log.h)
# can never stand in for one of ours.
include_of = $(addprefix -iquote ,$(or $(call layer_dirs,$(1)),$(ALL_DIRS) tests))
ALL_CFLAGS  = $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(LDSAN) $(LDFLAGS)
LIBS        = $(PKG_LIBS) -lpthread -lm

LIB_SRC  := $(filter-out gateway/cli/main.c,$(wildcard $(addsuffix /*.c,$(ALL_DIRS))))
# Pages served by the gateway are plain HTML files, compiled in as C strings.
PAGES    := gateway/serve/admin_page.html gateway/sim/sim_page.html
PAGE_OBJ := $(patsubst %.html,$(BUILD)/obj/gen/%.o,$(notdir $(PAGES)))
vpath %.html $(sort $(dir $(PAGES)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(PAGE_OBJ)
MAIN_OBJ := $(BUILD)/obj/gateway/cli/main.o

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
E2E_SRC  := $(wildcard tests/e2e/e2e_*.c)
E2E_BIN  := $(E2E_SRC:tests/e2e/%.c=$(BUILD)/tests/%)
HARNESS  := $(BUILD)/obj/tests/e2e/harness.o
# Throwaway PostgreSQL clusters (tests/pg.h), for unit tests, e2e tests and benchmarks.
PG_OBJ   := $(BUILD)/obj/tests/pg.o
BENCH_BIN := $(BUILD)/bench/bench_match $(BUILD)/bench/bench_line $(BUILD)/bench/bench_yardstick
BENCH_LIB := $(BUILD)/obj/bench/load.o $(BUILD)/obj/bench/bare.o $(BUILD)/obj/bench/common.o \
             $(BUILD)/obj/bench/cpu.o
# Preloaded into the gateway by bench_line on PostgreSQL: counts its libpq calls (bench/pgcount.h).
BENCH_SHIM := $(BUILD)/bench/pgcount.so
FUZZ_BIN := $(patsubst fuzz/%.c,$(BUILD)/fuzz/%,$(filter-out fuzz/fuzz_util.c,$(wildcard fuzz/fuzz_*.c)))
FUZZ_SECONDS ?= 60

.PHONY: all deps browser-deps pg-deps test asan run lint format clean bench bench-build fuzz fuzz-deps fuzz-run \
        analyze install uninstall
.SECONDARY:

all: $(BUILD)/peerline

deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists $(PKGS) || \
	    ! command -v curl >/dev/null 2>&1 || [ ! -f /usr/share/zoneinfo/America/New_York ]; then \
	    echo "peerline: installing build dependencies: $(DEBS)"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $(DEBS); \
	fi

# The dashboard's browser test: Debian's chromium, Node.js with npm, and
# playwright-core from tests/browser/package-lock.json. Only `make test` needs
# them. Node and npm are installed only when missing (a node that came with
# its own npm must not meet Debian's npm package).
BROWSER_LOCK := tests/browser/node_modules/.package-lock.json

browser-deps: $(BROWSER_LOCK)

$(BROWSER_LOCK): tests/browser/package.json tests/browser/package-lock.json
	@missing=; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	    echo "peerline: installing browser test dependencies:$$missing"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends $$missing; \
	fi
	@cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(call include_of,$(patsubst %/,%,$(dir $<))) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# admin_page.html -> const char admin_page_html[]: each line a C string literal.
$(BUILD)/gen/%.c: %.html
	@mkdir -p $(dir $@)
	$(call say,GEN,$@)
	$(Q){ echo '/* generated from $< by make; edit that file instead */'; \
	  echo 'const char $(subst .,_,$(notdir $<))[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } >$@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c | deps
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/peerline: $(LIB_OBJ) $(MAIN_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(PG_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/tests/e2e_%: $(BUILD)/obj/tests/e2e/e2e_%.o $(HARNESS) $(PG_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/fuzz/fuzz_%.o $(BUILD)/obj/fuzz/fuzz_util.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/bench/bench_%: $(BUILD)/obj/bench/bench_%.o $(BENCH_LIB) $(PG_OBJ) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BENCH_SHIM): bench/pgcount.c bench/pgcount.h | deps
	@mkdir -p $(dir $@)
	$(call say,CC,$@)
	$(Q)$(CC) $(CSTD) $(WARN) $(OPT) $(shell pkg-config --cflags libpq) $(CFLAGS) \
	    -fPIC -shared -o $@ bench/pgcount.c -ldl -lpthread

# The PostgreSQL server the tests start throwaway clusters of (tests/pg.h):
# Debian's, installed only when missing. `make run` needs none (SQLite).
PG_BINDIR = $(shell ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

pg-deps:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	    echo "peerline: installing the PostgreSQL server for the tests: postgresql"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends postgresql; \
	fi

test: $(BUILD)/peerline $(UNIT_BIN) $(E2E_BIN) $(BROWSER_LOCK) pg-deps
	@PEERLINE_PG_BINDIR="$(PG_BINDIR)" sh tests/run.sh $(BUILD)

asan:
	JOBS=2 $(MAKE) BUILD=build/asan SAN=1 test

# clang and libFuzzer's runtime, installed only when missing.
fuzz-deps: deps
	@if ! command -v clang >/dev/null 2>&1 || \
	    ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then \
	    echo "peerline: installing fuzzing dependencies: clang libclang-rt-14-dev"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends \
	        clang libclang-rt-14-dev; \
	fi

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory BUILD=build/fuzz FUZZ=1 fuzz-run

fuzz-run: $(FUZZ_BIN)
	@sh fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_BIN)

# Every figure of README "Performance", one line each (BENCH_TEXTS per run).
BENCH_TEXTS ?= 20000
bench-build: $(BUILD)/peerline $(BENCH_BIN) $(BENCH_SHIM)

bench: bench-build
	@$(BUILD)/bench/bench_match $(BENCH_ARGS)
	@$(BUILD)/bench/bench_line $(BUILD)/peerline $(BENCH_TEXTS)

# `make install`: what a package of peerline holds, under PREFIX (and
# DESTDIR, for packagers): the binary, peerline(1), the systemd unit (its
# ExecStart pointed at BINDIR), and the example config, roster and proxy
# configs. Nothing is written to /etc or /var: README "Deploying" says what to
# copy there.
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/peerline
UNITDIR ?= $(PREFIX)/lib/systemd/system
INSTALL ?= install

install: $(BUILD)/peerline
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 0755 $(BUILD)/peerline $(DESTDIR)$(BINDIR)/peerline
	$(INSTALL) -m 0644 deploy/peerline.1 $(DESTDIR)$(MANDIR)/man1/peerline.1
	sed 's|/usr/local/bin/peerline|$(BINDIR)/peerline|g' deploy/peerline.service \
	    >$(DESTDIR)$(UNITDIR)/peerline.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/peerline.service
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	$(INSTALL) -m 0644 deploy/peerline.example.yaml $(DESTDIR)$(DOCDIR)/examples/peerline.yaml
	$(INSTALL) -m 0644 deploy/roster.yaml deploy/nginx.conf deploy/Caddyfile \
	    $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/peerline $(DESTDIR)$(MANDIR)/man1/peerline.1 \
	    $(DESTDIR)$(UNITDIR)/peerline.service $(DESTDIR)$(DOCDIR)/README.md \
	    $(addprefix $(DESTDIR)$(DOCDIR)/examples/,peerline.yaml roster.yaml nginx.conf Caddyfile)
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

run: $(BUILD)/peerline
	@sh deploy/demo.sh $(BUILD)/peerline

# Style and banned calls (tests/lint.sh), then the layers in the built objects
# (tests/layers.sh): no call up a layer, no circle between files.
lint: $(BUILD)/peerline
	@status=0; sh tests/lint.sh || status=1; sh tests/layers.sh $(BUILD) || status=1; exit $$status

analyze:
	@command -v cppcheck >/dev/null 2>&1 || { \
	    echo "peerline: installing cppcheck"; \
	    SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	    $$SUDO apt-get update && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y --no-install-recommends cppcheck; }
	@sh tests/analyze.sh && echo "analyze: clean"

format:
	clang-format -i $$(git ls-files --cached --others --exclude-standard '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
