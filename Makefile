# CellOS - one Makefile for the whole tree.
#
#   make            build cellc and cellrun into $(BUILD)/bin
#   make check      install missing Debian packages (as root), build, run every
#                   test through prove, then the sanitizer run and fuzz smoke
#   make test       run the test suite against the current build
#   make sanitize   rebuild under ASan+UBSan in build/san and run the suite there
#   make fuzz       build the libFuzzer targets (clang) in build/fuzz
#   make demo       the README's end-to-end example
#
# Sources are found by wildcard: a new compiler/*.c goes into cellc, a new
# runtime/*.c into cellrun, a new tests/unit/*.c becomes a TAP test. Each
# area below owns its section; keep edits inside your own.

SHELL    := /bin/bash
CC       ?= gcc
BUILD    ?= build
PREFIX   ?= /usr/local

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
EXTRA_CFLAGS  ?=
EXTRA_LDFLAGS ?=
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -D_GNU_SOURCE \
             -I. -Iinclude -I$(GEN) -MMD -MP
LDLIBS   := -lseccomp -lsodium -lyaml

GEN      := $(BUILD)/gen
OBJ      := $(BUILD)/obj
BIN      := $(BUILD)/bin
TBIN     := $(BUILD)/t

# Debian packages the build and the tests need; areas append to this list.
DEPS_PKGS := build-essential flex bison pkg-config libseccomp-dev libsodium-dev \
             libyaml-dev clang libclang-rt-14-dev llvm perl iproute2 procps \
             util-linux python3 jq clang-format

# ---------------------------------------------------------------- grammar --
LEXER_L  := $(wildcard grammar/*.l)
PARSER_Y := $(wildcard grammar/*.y)
GEN_C    := $(patsubst grammar/%.l,$(GEN)/%.c,$(LEXER_L)) \
            $(patsubst grammar/%.y,$(GEN)/%.c,$(PARSER_Y))
GEN_H    := $(patsubst grammar/%.l,$(GEN)/%.h,$(LEXER_L)) \
            $(patsubst grammar/%.y,$(GEN)/%.h,$(PARSER_Y))
GEN_OBJ  := $(patsubst $(GEN)/%.c,$(OBJ)/gen/%.o,$(GEN_C))

$(GEN)/%.c $(GEN)/%.h: grammar/%.y
	@mkdir -p $(GEN)
	bison -Wall -Werror --defines=$(GEN)/$*.h -o $(GEN)/$*.c $<

$(GEN)/%.c $(GEN)/%.h: grammar/%.l
	@mkdir -p $(GEN)
	flex --header-file=$(GEN)/$*.h -o $(GEN)/$*.c $<

# Generated scanners/parsers are not held to -Wextra's unused-parameter.
$(OBJ)/gen/%.o: $(GEN)/%.c $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wno-unused-parameter -Wno-unused-function -Wno-sign-compare -c -o $@ $<

# --------------------------------------------------------------- compiler --
# Each folder's sources by wildcard (docs/architecture.md: who owns what).
# compiler/seccomp/gen/ holds generators run by hand, not linked.
COMPILER_DIRS := compiler compiler/seccomp compiler/plan compiler/doc
COMPILER_MAIN := compiler/cellc.c
COMPILER_SRC  := $(filter-out $(COMPILER_MAIN),$(wildcard $(addsuffix /*.c,$(COMPILER_DIRS))))
COMPILER_OBJ  := $(patsubst %.c,$(OBJ)/%.o,$(COMPILER_SRC)) $(GEN_OBJ)

# ---------------------------------------------------------------- runtime --
# runtime/vm/progs/ and the guest's main are separate programs (below); the
# rest of runtime/vm/guest/ is in the library too, for its unit tests.
RUNTIME_DIRS  := runtime/plan runtime/lib runtime/events runtime/spool runtime/backend runtime/export runtime/supervisor \
                 runtime/cell runtime/native runtime/gvisor runtime/vm runtime/vm/guest \
                 runtime/oci \
                 runtime/net
RUNTIME_MAIN  := runtime/supervisor/cellrun.c
OCI_MAIN      := runtime/supervisor/cellrun_oci.c
RUNTIME_SRC   := $(filter-out $(RUNTIME_MAIN) $(OCI_MAIN) runtime/vm/guest/guest_main.c,\
                   $(wildcard $(addsuffix /*.c,$(RUNTIME_DIRS))))
RUNTIME_OBJ   := $(patsubst %.c,$(OBJ)/%.o,$(RUNTIME_SRC))

LIBCELLC  := $(BUILD)/lib/libcellc.a
LIBCELLRT := $(BUILD)/lib/libcellrt.a

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Every compiler object may include the generated parser header.
$(patsubst %.c,$(OBJ)/%.o,$(COMPILER_SRC) $(COMPILER_MAIN)): | $(GEN_H)

$(LIBCELLC): $(COMPILER_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBCELLRT): $(RUNTIME_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

PROGRAMS :=
ifneq ($(wildcard $(COMPILER_MAIN)),)
PROGRAMS += $(BIN)/cellc
endif
ifneq ($(wildcard $(RUNTIME_MAIN)),)
PROGRAMS += $(BIN)/cellrun
endif
ifneq ($(wildcard $(OCI_MAIN)),)
PROGRAMS += $(BIN)/cellrun-oci
endif

$(BIN)/cellc: $(OBJ)/compiler/cellc.o $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $^ $(LDLIBS)

# runtime/oci/ includes compiler headers (the policy AST's generated tokens)
$(patsubst %.c,$(OBJ)/%.o,$(wildcard runtime/oci/*.c)): | $(GEN_H)

# cellrun links no compiler (a smaller static binary: about 0.35 MiB less
# peak RSS per run, bench/startup.sh); an OCI runtime command line is
# exec'd as cellrun-oci, which links the compiler too: the OCI runtime
# (runtime/oci/) compiles a bundle's config.json into a plan.
$(BIN)/cellrun: $(OBJ)/runtime/supervisor/cellrun.o $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/cellrun-oci: $(OBJ)/runtime/supervisor/cellrun_oci.o $(LIBCELLRT) $(LIBCELLC)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $^ $(LIBCELLRT) $(LDLIBS)

# ------------------------------------------------------------------ tests --
# tests/unit/NAME.c -> $(TBIN)/unit/NAME.t, a TAP program linked with both
# libraries. tests/e2e/*.t are executable shell scripts (tests/lib/tap.sh).
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_T   := $(patsubst tests/unit/%.c,$(TBIN)/unit/%.t,$(UNIT_SRC))
E2E_T    := $(sort $(wildcard tests/e2e/*.t))

$(TBIN)/unit/%.t: tests/unit/%.c tests/lib/tap.h $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/lib $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)

# Extra programs tests need (helpers, escape probes) are added by areas to
# TEST_PROGRAMS and built before the suite runs.
TEST_PROGRAMS :=

# The environment every test sees.
TEST_ENV = CELLOS_TOP=$(CURDIR) CELLOS_BUILD=$(abspath $(BUILD)) \
           CELLC=$(abspath $(BIN))/cellc CELLRUN=$(abspath $(BIN))/cellrun \
           CELLOS_SANITIZE=$(if $(findstring sanitize,$(EXTRA_CFLAGS)),1,0)

# -------------------------------------------------- area: compiler (issue 2)
# (owned by the compiler front end: goldens, error cases, bench/compile)
#   make golden-errors   rewrite tests/data/errors/*.err (and existing *.json)
#                        from the current cellc; review the diff before committing
#   make golden          rewrite tests/golden/*.dump from `cellc dump` of each
#                        policies/examples/*.cell; review the diff too
.PHONY: golden golden-errors bench-compile
golden-errors: all
	cd tests/data/errors && for f in *.cell; do n=$${f%.cell}; \
	  $(abspath $(BIN))/cellc check --no-default-path -I packs $$f > $$n.err 2>&1; \
	  if [ -f $$n.json ]; then $(abspath $(BIN))/cellc check --no-default-path -I packs \
	    --diagnostics=json $$f > $$n.json 2>&1; fi; done; true
golden: all
	@mkdir -p tests/golden $(BUILD)/golden
	for f in policies/examples/*.cell; do n=$$(basename $$f .cell); \
	  $(BIN)/cellc -I policies $$f -o $(BUILD)/golden/$$n.plan && \
	  (cd $(BUILD)/golden && $(abspath $(BIN))/cellc dump $$n.plan) > tests/golden/$$n.dump || exit 1; done
bench-compile: all
	bench/compile

# make demo: the README's end to end run. Installs what is missing (deps),
# builds, compiles policies/examples/hello.cell, shows the plan, runs it with
# a fresh signing key and verifies the signed event stream against the plan.
DEMO := $(BUILD)/demo
demo: deps
	$(MAKE) all
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/cellc -I policies policies/examples/hello.cell -o $(DEMO)/hello.plan
	$(BIN)/cellc dump $(DEMO)/hello.plan
	$(BIN)/cellrun keygen $(DEMO)/demo
	$(BIN)/cellrun --key $(DEMO)/demo.key --events $(DEMO)/hello.events $(DEMO)/hello.plan
	$(BIN)/cellrun verify $(DEMO)/hello.events --trust $(DEMO)/demo.trust.json --plan $(DEMO)/hello.plan
	@echo "demo: the plan, its run and its $$(wc -l < $(DEMO)/hello.events) signed events verified ($(DEMO))"

# -------------------------------------------------- area: plan I/O (issue 2)
# (owned by the plan reader/writer/dump work: corrupt-plan corpus)
# bench/plan_io.sh runs this (figures in docs/performance.md, "planio").
$(BUILD)/bench/plan_io: bench/plan_io.c $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)

# -------------------------------------------------- area: seccomp (issue 3)
# (owned by the seccomp work: syscall table generation, oracle tests)
# The syscall table and the built-in constants are generated and CHECKED IN
# (compiler/seccomp/syscall_table_data.c, compiler/seccomp/constants_data.c) so that a plan
# never depends on the compiling machine's libseccomp or headers.
#   make syscall-protos  re-extract argument prototypes from the man pages (slow)
#   make syscall-table   regenerate compiler/seccomp/syscall_table_data.c (libseccomp)
#   make constants       regenerate compiler/seccomp/constants_data.c (host headers)
SC_GEN_DIR := compiler/seccomp/gen
.PHONY: syscall-protos syscall-table constants
$(BUILD)/tools/gen_syscall_table: $(SC_GEN_DIR)/gen_syscall_table.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -o $@ $< -lseccomp
$(BUILD)/tools/gen_constants: $(SC_GEN_DIR)/gen_constants.c $(SC_GEN_DIR)/constants_list.h $(SC_GEN_DIR)/constants_headers.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -I$(SC_GEN_DIR) -o $@ $<
syscall-protos: $(BUILD)/tools/gen_syscall_table
	$(BUILD)/tools/gen_syscall_table --names > $(BUILD)/tools/syscall_names.txt
	python3 $(SC_GEN_DIR)/extract_protos.py $(BUILD)/tools/syscall_names.txt > $(SC_GEN_DIR)/syscall_protos_man.txt
syscall-table: $(BUILD)/tools/gen_syscall_table
	$(BUILD)/tools/gen_syscall_table $(SC_GEN_DIR)/syscall_protos_man.txt \
	    $(SC_GEN_DIR)/syscall_protos_kernel.txt > $(BUILD)/tools/syscall_table_data.c
	mv $(BUILD)/tools/syscall_table_data.c compiler/seccomp/syscall_table_data.c
constants:
	@mkdir -p $(BUILD)/tools
	$(SC_GEN_DIR)/extract_constants.sh $(CC) > $(BUILD)/tools/constants_list.h.new
	mv $(BUILD)/tools/constants_list.h.new $(SC_GEN_DIR)/constants_list.h
	$(MAKE) $(BUILD)/tools/gen_constants
	$(BUILD)/tools/gen_constants > $(BUILD)/tools/constants_data.c
	mv $(BUILD)/tools/constants_data.c compiler/seccomp/constants_data.c
# the seccomp tests include helper headers (tests/unit/seccomp_*.h): track them
-include $(wildcard $(TBIN)/unit/seccomp_*.d) $(wildcard $(TBIN)/seccomp_tool.d)
# and the events tests theirs (tests/unit/events_fixture.h)
$(TBIN)/unit/events_signer.t $(TBIN)/unit/events_stream.t: tests/unit/events_fixture.h
# the e2e tests' helper: attach programs to a plan, run case lists, diff
$(TBIN)/seccomp_tool: tests/e2e/seccomp_tool.c $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -Itests/lib $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)
TEST_PROGRAMS += $(TBIN)/seccomp_tool
# bench/seccomp.sh: side by side with libseccomp (make bench-seccomp)
$(BUILD)/bench/seccomp_bench: bench/seccomp_bench.c $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -Itests/lib $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)
.PHONY: bench-seccomp
bench-seccomp:
	BUILD=$(BUILD) bench/seccomp.sh

# -------------------------------------------------- area: denials (issue 19 item 1)
# bench/denials.sh: the denial listener's cost on allowed calls (make bench-denials)
$(BUILD)/bench/denials_bench: bench/denials_bench.c $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)
.PHONY: bench-denials
bench-denials:
	BUILD=$(BUILD) bench/denials.sh

# -------------------------------------------------- area: runtime (issue 4)
# (owned by the native runtime: escape probes, feature tests)
# The cell side: the files a VM guest init links statically to run the same
# steps inside the guest (libc and the kernel only; no libsodium/libseccomp).
# The folder runtime/cell/ is the boundary: everything in it, plus the three
# libc-only helpers of runtime/lib/, and nothing else.
CELL_SIDE_SRC := $(wildcard runtime/cell/*.c) runtime/lib/error.c runtime/lib/sys_util.c runtime/lib/close_fds.c
CELL_SIDE_HDR := $(wildcard runtime/cell/*.h) include/plan.h \
                 include/plan_format.h include/step_record.h runtime/lib/error.h \
                 runtime/lib/sys_util.h
DEPS_PKGS += bubblewrap crun time
# cellrun is linked statically (glibc, libsodium, libseccomp, libyaml all
# ship archives on Debian): no dynamic loading at start-up, about half the
# peak RSS (bench/startup). A command-line EXTRA_LDFLAGS (make sanitize)
# replaces this, so sanitizer builds stay dynamic.
$(BIN)/cellrun $(BIN)/cellrun-oci: EXTRA_LDFLAGS += -static
RUNTIME_T := $(TBIN)/runtime
# test helpers: the plan maker and the escape probes (static: they run in
# cells whatever the cell's /usr holds)
ESCAPE_SRC := $(wildcard tests/escape/*.c)
ESCAPE_BIN := $(patsubst tests/escape/%.c,$(RUNTIME_T)/escape/%,$(ESCAPE_SRC))
TEST_PROGRAMS += $(RUNTIME_T)/mkplan $(RUNTIME_T)/cellprobe $(RUNTIME_T)/cellside $(ESCAPE_BIN)
# the cell side alone, static, with no library but libc: proves CELL_SIDE_SRC
# is self-contained (what the VM guest init links) and drives it end to end
$(RUNTIME_T)/cellside: tests/e2e/runtime_cellside.c $(CELL_SIDE_SRC) $(CELL_SIDE_HDR)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -I. -Iinclude -static -o $@ $< $(CELL_SIDE_SRC)
# ---- area: Landlock (runtime/cell/cell_landlock.c) ----
# The Landlock test driver: the cell side built WITH the test knobs
# (-DCELLOS_TEST_KNOBS: a simulated writable bind, a pretended old ABI);
# no release binary (cellrun, the VM guest init) is ever built with them.
TEST_PROGRAMS += $(RUNTIME_T)/landlock
$(RUNTIME_T)/landlock: tests/e2e/runtime_landlock.c $(CELL_SIDE_SRC) $(CELL_SIDE_HDR)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -DCELLOS_TEST_KNOBS -I. -Iinclude -static -o $@ $< $(CELL_SIDE_SRC)
# ---- end of area: Landlock ----
$(RUNTIME_T)/mkplan: tests/e2e/runtime_mkplan.c $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)
$(RUNTIME_T)/cellprobe: tests/e2e/runtime_cellprobe.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -static -o $@ $<
$(RUNTIME_T)/escape/%: tests/escape/%.c tests/escape/probe.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -Itests/escape -static -o $@ $<

# -------------------------------------------------- area: start-up (issue 18)
# bench/startup.sh's timer: interleaved runs, wall/CPU/peak RSS per run
$(BUILD)/bench/startup_run: bench/startup_run.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -o $@ $<
.PHONY: bench-startup
bench-startup: all
	BUILD=$(BUILD) bench/startup.sh

# -------------------------------------------------- area: events (issue 5)
# (owned by events/signing: node checker, golden streams)
# events_gen writes deterministic streams, keys and a test plan with the
# events API alone (fixed seed, fixed clock); the e2e tests drive it and
# `cellrun verify`.
EVENTS_GEN := $(TBIN)/events_gen
TEST_PROGRAMS += $(EVENTS_GEN)
$(EVENTS_GEN): tests/e2e/events_gen.c $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)

# The independent checker (tests/node) needs Node.js and npm; a machine that
# already has them (e.g. from another repository) is left alone.
DEPS_PKGS += $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)
# A third implementation (tests/e2e/events_python.t): Debian's python3 + PyNaCl.
DEPS_PKGS += python3-nacl

# The official CloudEvents SDK, pinned by tests/node/package-lock.json (no
# download URLs in it). When npm cannot reach its registry the SDK check
# skips with that reason instead of failing the build.
EVENTS_NODE_STAMP := tests/node/node_modules/.package-lock.json
TEST_PROGRAMS += events-node-deps
.PHONY: events-node-deps
events-node-deps:
	@if [ -f $(EVENTS_NODE_STAMP) ] && [ $(EVENTS_NODE_STAMP) -nt tests/node/package-lock.json ]; then :; \
	elif ! command -v npm >/dev/null; then echo "events: npm not installed: the CloudEvents SDK check will skip"; \
	else (cd tests/node && npm ci --no-audit --no-fund --loglevel=error) || \
	  echo "events: npm ci failed: the CloudEvents SDK check will skip"; fi

# Benchmarks: signed events per second per core (bench/events.sh prints figures).
BENCH_EVENTS := $(BUILD)/bench/events_bench
$(BENCH_EVENTS): bench/events_bench.c $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLRT) $(LDLIBS)
.PHONY: bench-events
bench-events: $(BENCH_EVENTS) all
	-$(MAKE) $(TBIN)/runtime/mkplan
	BUILD=$(BUILD) bench/events.sh

# -------------------------------------------------- area: sinks (issue 17)
# (owned by the remote event sinks: NATS JetStream, CloudEvents over HTTP)
# cellsend drains cellrun's spool (runtime/spool/, in libcellrt) to the
# sinks; it is dynamically linked (libcurl, OpenSSL, libsodium) so that the
# static cellrun links neither. Its sources are runtime/sink/; the unit tests
# tests/unit/sink_*.c link them too. The e2e tests use Debian's nats-server
# and a Go JetStream reader built from Debian's nats.go (GO111MODULE=off).
DEPS_PKGS += libcurl4-openssl-dev libssl-dev nats-server golang-go golang-github-nats-io-go-nats-dev openssl
SINK_MAIN := runtime/sink/cellsend.c
SINK_SRC  := $(filter-out $(SINK_MAIN),$(wildcard runtime/sink/*.c))
SINK_OBJ  := $(patsubst %.c,$(OBJ)/%.o,$(SINK_SRC))
# libcurl is dlopen'ed by runtime/sink/http_sink.c (headers from libcurl4-openssl-dev)
SINK_LIBS := -lssl -lcrypto
LIBCELLSINK := $(BUILD)/lib/libcellsink.a
$(LIBCELLSINK): $(SINK_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
ifneq ($(wildcard $(SINK_MAIN)),)
PROGRAMS += $(BIN)/cellsend
endif
# (EXTRA_LDFLAGS from the command line only: never -static)
$(BIN)/cellsend: $(OBJ)/runtime/sink/cellsend.o $(LIBCELLSINK) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(if $(findstring sanitize,$(EXTRA_LDFLAGS)),$(EXTRA_LDFLAGS)) -o $@ $^ $(SINK_LIBS) $(LDLIBS)
$(TBIN)/unit/sink_%.t: tests/unit/sink_%.c tests/lib/tap.h $(LIBCELLSINK) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/lib $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLSINK) $(LIBCELLRT) $(SINK_LIBS) $(LDLIBS)
# The Go JetStream reader of the e2e tests (tests/e2e/sinks_jsread.go).
SINKS_GO := $(TBIN)/sinks_jsread
TEST_PROGRAMS += $(SINKS_GO)
$(SINKS_GO): tests/e2e/sinks_jsread.go
	@mkdir -p $(dir $@)
	@if command -v go >/dev/null && [ -d /usr/share/gocode/src/github.com/nats-io/nats.go ]; then \
	  mkdir -p $(abspath $(BUILD))/gocache && \
	  GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$(abspath $(BUILD))/gocache GOFLAGS= \
	  go build -o $@ $<; else echo "sinks: go or nats.go missing: the JetStream tests will skip"; fi
# `make jsread`: the same reader on its own, for docs/events.md's JetStream
# example (a clear failure, not the tests' skip, when Go is missing).
.PHONY: jsread
jsread: $(SINKS_GO)
	@test -x $(SINKS_GO) || { echo "jsread: needs Go and Debian's nats.go: make deps" \
	  "(installs golang-go golang-github-nats-io-go-nats-dev)"; exit 1; }
	@echo "jsread: $(SINKS_GO)"
.PHONY: bench-sinks
bench-sinks: all $(SINKS_GO) $(EVENTS_GEN)
	-$(MAKE) $(TBIN)/runtime/mkplan
	BUILD=$(BUILD) bench/sinks.sh

# -------------------------------------------------- area: gvisor (issue 6)
# runsc from Debian (0.0~20221219) runs the gvisor backend's sandboxes; the
# gvisor tests reuse the runtime tests' plan maker and probes, with
# gvisor_rules adding the seccomp rule list that matches mkplan's program.
DEPS_PKGS += runsc
GVISOR_T := $(TBIN)/gvisor
TEST_PROGRAMS += $(GVISOR_T)/gvisor_rules $(GVISOR_T)/gvisor_probe
$(GVISOR_T)/gvisor_probe: tests/e2e/gvisor_probe.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -static -o $@ $<
$(GVISOR_T)/gvisor_rules: tests/e2e/gvisor_rules.c $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)

# -------------------------------------------------- area: vm (issue 7)
# The guest kernel: Debian's generic kernel package (linux-image-amd64; the
# cloud kernel has no 9p, which shares host trees with the guest, issue 14),
# downloaded (not installed) into $(VM_DIR), with the bzImage, the ELF vmlinux
# extracted from it, the few modules a guest may need (virtio-mmio,
# virtio-blk, squashfs, erofs (with libcrc32c), ext4 (with crc32c, which the
# guest cannot request_module), vsock, 9p over virtio with netfs/fscache,
# virtio-net with its failover modules (egress); serial and the
# initramfs are built in) and SHA-256 sums. A no-op when
# that package's kernel is already there; `make vm-kernel-refresh` fetches
# again.
VM_DIR      := build/vm
VM_KPKG     ?= linux-image-amd64
VM_MODULES  := kernel/drivers/virtio kernel/drivers/block/virtio_blk.ko \
               kernel/fs/squashfs kernel/fs/erofs kernel/net/vmw_vsock \
               kernel/net/9p/9pnet.ko kernel/net/9p/9pnet_virtio.ko kernel/fs/9p \
               kernel/fs/netfs kernel/fs/fscache kernel/fs/ext4 kernel/fs/jbd2 \
               kernel/fs/mbcache.ko kernel/lib/crc16.ko kernel/lib/libcrc32c.ko kernel/crypto/crc32c_generic.ko \
               kernel/drivers/net/virtio_net.ko kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko
# the stamp names the module set: a set that grew (virtio-net for egress) fetches again
VM_STAMP    := $(VM_DIR)/kernel-$(VM_KPKG)-net.stamp
VM_TOOLS    := $(BUILD)/vm/bin/extract_vmlinux
DEPS_PKGS   += qemu-system-x86 cpio xz-utils zstd lz4 busybox-static e2fsprogs erofs-utils squashfs-tools

.PRECIOUS: $(OBJ)/runtime/vm/progs/%.o
$(BUILD)/vm/bin/%: $(OBJ)/runtime/vm/progs/%.o $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $^ $(LDLIBS)

# Host-side helpers (extract_vmlinux, vm_boot) link libcellrt; guest-side
# programs are static and built without sanitizers (they run as PID 1 of a
# guest kernel, where no sanitizer runtime can work).
VM_GUEST_CFLAGS = -std=gnu11 $(WARN) -O2 -D_GNU_SOURCE -I. -Iinclude -static
VM_GUEST := $(BUILD)/vm/guest/vm_trivial_init $(BUILD)/vm/guest/vm_bare_init $(BUILD)/vm/guest/vm_bad_init
TEST_PROGRAMS += $(BUILD)/vm/bin/vm_boot $(BUILD)/vm/bin/kvm_probe $(VM_GUEST)

$(BUILD)/vm/guest/vm_trivial_init: runtime/vm/progs/vm_trivial_init.c runtime/vm/vm_channel.c runtime/vm/vm_channel.h
	@mkdir -p $(dir $@)
	$(CC) $(VM_GUEST_CFLAGS) -o $@ $(filter %.c,$^)

# The guest init: the runtime's cell-side interpreter (CELL_SIDE_SRC), the
# plan reader, the framed report sink and the guest glue, linked statically.
VM_GUEST_INIT := $(BUILD)/vm/guest/cellos-guest-init
VM_GUEST_SRC  := $(CELL_SIDE_SRC) $(wildcard runtime/vm/guest/*.c) \
                 runtime/vm/vm_channel.c runtime/plan/plan_reader.c runtime/plan/bpf_check.c runtime/plan/plan_rlimits.c \
                 runtime/lib/read_file.c runtime/net/net_nl.c
all: $(VM_GUEST_INIT)
$(VM_GUEST_INIT): $(sort $(VM_GUEST_SRC) $(CELL_SIDE_HDR)) $(wildcard runtime/vm/guest/*.h) runtime/vm/vm_channel.h \
                  runtime/net/net.h runtime/net/net_nl.h
	@mkdir -p $(dir $@)
	$(CC) $(VM_GUEST_CFLAGS) -o $@ $(filter %.c,$^) -lsodium

$(BUILD)/vm/guest/vm_bad_init: runtime/vm/progs/vm_bad_init.c runtime/vm/vm_channel.c runtime/vm/vm_channel.h
	@mkdir -p $(dir $@)
	$(CC) $(VM_GUEST_CFLAGS) -o $@ $(filter %.c,$^)

$(BUILD)/vm/guest/vm_bare_init: runtime/vm/progs/vm_bare_init.c
	@mkdir -p $(dir $@)
	$(CC) $(VM_GUEST_CFLAGS) -o $@ $<

# e2e helper: add a vm section to a plan (reuses the runtime tests' plan maker)
VM_ADDVM := $(TBIN)/vm/vm_addvm
TEST_PROGRAMS += $(VM_ADDVM) $(VM_GUEST_INIT)
$(VM_ADDVM): tests/e2e/vm_addvm.c $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)

.PHONY: vm-kernel vm-kernel-refresh
vm-kernel: $(VM_STAMP)
	@cat $(VM_DIR)/SHA256SUMS

vm-kernel-refresh:
	rm -f $(VM_STAMP)
	$(MAKE) vm-kernel

$(VM_STAMP): | $(VM_TOOLS)
	@set -e; mkdir -p $(VM_DIR)/dl; cd $(VM_DIR); \
	dep=$$(apt-cache depends $(VM_KPKG) 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$$/\1/p' | head -1); \
	if [ -z "$$dep" ]; then apt-get update -q >/dev/null; \
	  dep=$$(apt-cache depends $(VM_KPKG) | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$$/\1/p' | head -1); fi; \
	[ -n "$$dep" ] || { echo "vm-kernel: $(VM_KPKG) names no linux-image package"; exit 1; }; \
	rel=$${dep#linux-image-}; \
	echo "vm-kernel: $(VM_KPKG) -> $$dep"; \
	rm -f dl/*.deb; (cd dl && apt-get download -q $$dep 2>&1 | grep -v '^W: Download is performed unsandboxed' || true); \
	deb=$$(ls dl/$${dep}_*.deb); \
	rm -rf pkg lib; mkdir -p pkg; \
	dpkg-deb --fsys-tarfile $$deb | tar -x -C pkg --wildcards ./boot/vmlinuz-$$rel ./boot/config-$$rel \
	    ./lib/modules/$$rel/modules.order ./lib/modules/$$rel/modules.builtin \
	    $(foreach m,$(VM_MODULES),'./lib/modules/'$$rel/$(m)'*'); \
	mv pkg/boot/vmlinuz-$$rel pkg/boot/config-$$rel .; mkdir -p lib; mv pkg/lib/modules lib/; rm -rf pkg; \
	$(abspath $(VM_TOOLS)) vmlinuz-$$rel vmlinux-$$rel; \
	ln -sfn vmlinuz-$$rel vmlinuz; ln -sfn vmlinux-$$rel vmlinux; \
	echo "$$rel" > RELEASE; basename $$deb > PACKAGE; \
	sha256sum vmlinuz-$$rel vmlinux-$$rel > SHA256SUMS; \
	rm -f dl/*.deb kernel*.stamp; touch $(notdir $(VM_STAMP))

# -------------------------------------------------- area: egress (issue 13)
# runtime/net/ programs each gateway's table over nf_tables netlink itself;
# the egress tests use nft to look for residue, real curl in cells and
# openssl for a test certificate. policies/examples/fetch.cell (README) runs
# curl over HTTPS: it needs the CA bundle, which `make deps` (no recommends)
# would not bring with curl.
DEPS_PKGS += nftables curl openssl ca-certificates
# bench/network.sh: egress vs a plain veth (figures in docs/performance.md)
.PHONY: bench-network
bench-network: all
	BUILD=$(BUILD) bench/network.sh

# --------------------------------------------------------- top-level goals --
.PHONY: all check test deps sanitize fuzz fuzz-smoke demo clean install
.DEFAULT_GOAL := all

all: $(PROGRAMS)

# Install missing Debian packages: as root run apt-get, otherwise print the
# exact command and fail. apt-get update runs first, once, when needed.
deps:
	@missing=$$(for p in $(DEPS_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; \
	  done); \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: missing:" $$missing; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "deps: run as root: apt-get update && apt-get install -y" $$missing; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -q && apt-get install -y -q --no-install-recommends $$missing

# make test TESTS='tests/e2e/x.t build/t/unit/y.t' runs just those files.
TESTS ?= $(UNIT_T) $(E2E_T)
test: all $(UNIT_T) $(TEST_PROGRAMS)
	$(TEST_ENV) prove --exec '' --timer $(TESTS)

check: deps
	$(MAKE) format-check
	$(MAKE) all
	$(MAKE) vm-kernel
	$(MAKE) test
	$(MAKE) sanitize
	$(MAKE) fuzz-smoke

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
sanitize:
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	$(MAKE) BUILD=build/san CFLAGS='-O1 -g' EXTRA_CFLAGS='$(SAN_FLAGS)' \
	        EXTRA_LDFLAGS='$(SAN_FLAGS)' test

# libFuzzer targets: tests/fuzz/fuzz_NAME.c, built by clang over objects
# instrumented for coverage. fuzz-smoke runs each briefly over its seed corpus
# (tests/fuzz/corpus/NAME/) and is skipped, with the reason, without clang.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,build/fuzz/bin/%,$(FUZZ_SRC))
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer

fuzz:
	$(MAKE) BUILD=build/fuzz CC=clang CFLAGS='-O1 -g' EXTRA_CFLAGS='$(FUZZ_FLAGS)' fuzz-targets

.PHONY: fuzz-targets
fuzz-targets: $(FUZZ_BIN)
build/fuzz/bin/%: tests/fuzz/%.c $(LIBCELLC) $(LIBCELLRT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(LIBCELLC) $(LIBCELLRT) $(LDLIBS)

FUZZ_SMOKE_RUNS ?= 20000
fuzz-smoke:
	@if ! command -v clang >/dev/null; then echo "fuzz-smoke: skipped: clang not installed"; exit 0; fi; \
	$(MAKE) fuzz && for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); c=tests/fuzz/corpus/$${n#fuzz_}; \
	  mkdir -p build/fuzz/work/$$n; \
	  echo "fuzz-smoke: $$n ($(FUZZ_SMOKE_RUNS) runs)"; \
	  $$f -runs=$(FUZZ_SMOKE_RUNS) -max_len=65536 build/fuzz/work/$$n $$( [ -d $$c ] && echo $$c ) \
	      >build/fuzz/work/$$n.log 2>&1 || { tail -40 build/fuzz/work/$$n.log; exit 1; }; \
	done

# ---- area: install (issue 19, item 5) -------------------------------------
# `make install [PREFIX=/usr/local] [DESTDIR=...]`: the two programs, the
# packs (policies/std, policies/examples) in $(PACKDIR), which an installed
# cellc searches by default, and the man pages cellc(1), cellrun(1), cell(5).
# install-files copies what is built, without building (tests use it).
PACKDIR := $(PREFIX)/share/cellos/policies
DEPS_PKGS += man-db    # compiler_install.t renders the man pages
MANDIR  := $(PREFIX)/share/man
# The pack directory cellc searches, rewritten only when PREFIX changes
# (so pack.o is rebuilt then, and only then).
$(GEN)/cellos_paths.h: FORCE
	@mkdir -p $(GEN)
	@printf '/* generated by the Makefile from PREFIX */\n#define CELLOS_PACKDIR "%s"\n' '$(PACKDIR)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(OBJ)/compiler/pack.o: $(GEN)/cellos_paths.h
.PHONY: FORCE install-files
FORCE:

install: all
	$(MAKE) --no-print-directory install-files
install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PACKDIR)/std $(DESTDIR)$(PACKDIR)/examples \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 policies/std/*.cell $(DESTDIR)$(PACKDIR)/std/
	install -m 0644 policies/examples/*.cell $(DESTDIR)$(PACKDIR)/examples/
	install -m 0644 docs/man/cellc.1 docs/man/cellrun.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/man/cell.5 $(DESTDIR)$(MANDIR)/man5/

# The C style is .clang-format's (clang-format 14, Debian's clang-format);
# generated tables (*_data.c) and the hand-run generators are left as made.
FORMAT_SRC = $(filter-out %_data.c %_data.h,$(wildcard $(addsuffix /*.[ch],$(COMPILER_DIRS) $(RUNTIME_DIRS) runtime/vm/progs)) include/*.h)
.PHONY: format format-check
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	@command -v clang-format >/dev/null || { echo "format-check: clang-format not installed"; exit 1; }
	@clang-format --dry-run -Werror $(FORMAT_SRC) && echo "format-check: $(words $(FORMAT_SRC)) files formatted"

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
# make print-VAR shows a variable (e.g. make print-FORMAT_SRC)
print-%:
	@echo $($*)

# ------------------------------------------------- area: OCI runtime (issue 16)
# (owned by runtime/oci/: cellrun as an OCI runtime for Podman and containerd)
# The tests drive the real engines and runtimes (tests/e2e/oci_*.t); the
# images are built offline from busybox-static. bench/oci.sh times podman.
DEPS_PKGS += podman containerd runc crun busybox-static bc
.PHONY: bench-oci
bench-oci: all
	bench/oci.sh
