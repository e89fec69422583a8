# seam: one non-recursive Makefile.
#
#   make            build seam-broker and seamctl
#   make run        build, initialise var/data if needed, serve conf/seam.json
#                   (PORT=N: on 127.0.0.1:N; LISTEN=ADDR:PORT: there)
#   make test       unit and end-to-end tests; ends with "N passed, N failed"
#   make check      the same tests, built with ASan and UBSan
#   make bench      benchmarks against nginx (see docs/performance.md)
#   make bench-replication  one node against a replicated leader and its standby
#                   (three local nats-servers; docs/performance.md)
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (default 60)
#   make contract   docs/openapi.yaml validated, and the answers of e2e scripts against it
#   make format     clang-format every source file
#   make faults     the broker and seamctl with store fault injection, in build-faults
#                   (SEAM_FAULT_AT, the seam-fault-at header; see docs/operations.md)
#   make install    binaries, man pages, the example configuration and the systemd
#                   unit under PREFIX (default /usr/local), staged in DESTDIR if set
#   make uninstall  removes what make install put there
#   make deb        the Debian package (dpkg-buildpackage -us -uc -b; debian/)
#   make deb-check  builds it from a copy of the tree and inspects it (dpkg-deb, lintian)

# The one place the version is written: the commands' --version and the man pages' footers.
VERSION  = 0.1.0
CC      ?= cc
BUILD   ?= build
CFLAGS  ?= -g -O2
WARN     = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wshadow \
           -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes
CPPFLAGS += -Iinclude -DSEAM_VERSION='"$(VERSION)"'
LDLIBS   = -lmicrohttpd -ljansson -llmdb -lnats -lsodium -lcrypto -lcurl -licui18n -licuuc -licudata -lgnutls -lpthread
# The daemon's allocator: mimalloc replaces malloc process-wide (Jansson's
# objects above all; see docs/performance.md). Not with the sanitizers,
# which bring their own.
MALLOC_LIB = -Wl,--push-state,--no-as-needed -lmimalloc -Wl,--pop-state

ifeq ($(SANITIZE),1)
BUILD   := build-san
CFLAGS  := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
MALLOC_LIB :=
endif

# Without the ticket indexes (-DSEAM_NO_INDEXES: lists scan every ticket),
# in $(BUILD)-noidx: the bench's comparison build (make NO_INDEXES=1 ...).
ifeq ($(NO_INDEXES),1)
BUILD    := $(BUILD)-noidx
CPPFLAGS += -DSEAM_NO_INDEXES
endif

# Store fault injection (-DSEAM_FAULTS): never in a production build.
ifeq ($(FAULTS),1)
BUILD    := $(BUILD)-faults
CPPFLAGS += -DSEAM_FAULTS
endif

# Modules shared by the daemon, seamctl and the tests.
CORE_SRC = broker/common.c broker/log.c broker/evidence.c broker/config.c broker/fact.c broker/store.c \
           broker/keys.c broker/evlog.c broker/auth.c broker/route.c broker/calendar.c broker/sla.c broker/ticket.c broker/fanout.c broker/tmf.c broker/tmf5.c broker/tmf_note.c broker/audit.c broker/sla_agg.c broker/outbox.c broker/mail_out.c broker/errors.c \
           broker/json_fast.c broker/replay.c broker/model.c broker/json_read.c broker/record.c \
           broker/ids.c broker/index.c broker/index_check.c broker/views.c broker/query.c broker/customer.c broker/verify_records.c broker/progress.c broker/dirlock.c broker/verify_outbox.c broker/witness.c \
           broker/notify.c broker/reload.c broker/users.c broker/attach.c broker/replica.c
CORE_SRC   += broker/ebond.c
BROKER_SRC = broker/main.c broker/http.c broker/endpoints.c broker/longpoll.c broker/forward.c broker/scheduler.c broker/api_tickets.c broker/api_attachments.c \
             broker/api_actions.c broker/api_assignments.c broker/api_deliveries.c broker/api_mail.c broker/mail_in.c broker/api_audit.c broker/api_tmf.c broker/api_tmf5.c broker/api_rules.c broker/api_ops.c broker/api_users.c broker/witness_client.c \
             broker/web.c
BROKER_SRC += broker/api_ebond.c broker/ebond_client.c
CTL_SRC    = broker/seamctl.c
SIM_SRC    = partners/seam-sim.c
AGENT_SRC  = partners/seam-partner.c partners/witness_serve.c
UNIT_SRC   = $(wildcard tests/unit/test_*.c)
# Unit tests of the store's fault injection: built in the faults build only (make faults).
FAULTS_UNIT_SRC = $(wildcard tests/faults/test_*.c)

CORE_OBJ   = $(CORE_SRC:%.c=$(BUILD)/%.o)
BROKER_OBJ = $(BROKER_SRC:%.c=$(BUILD)/%.o)
CTL_OBJ    = $(CTL_SRC:%.c=$(BUILD)/%.o)
SIM_OBJ    = $(SIM_SRC:%.c=$(BUILD)/%.o)
AGENT_OBJ  = $(AGENT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN   = $(BUILD)/tests/tamper $(BUILD)/tests/signed-post $(BUILD)/tests/seam-fill \
             $(BUILD)/tests/evflip

all: $(BUILD)/seam-broker $(BUILD)/seamctl $(BUILD)/seam-sim $(BUILD)/seam-partner seam-broker \
     seamctl seam-partner web

seam-broker seamctl seam-partner: %: $(BUILD)/%
	@ln -sf $< $@

$(BUILD)/%.o: %.c $(wildcard include/*.h include/seam/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(BUILD)/libseamcore.a: $(CORE_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/seam-broker: $(BROKER_OBJ) $(BUILD)/libseamcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(MALLOC_LIB) $(LDLIBS)

$(BUILD)/seamctl: $(CTL_OBJ) $(BUILD)/libseamcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/seam-sim: $(SIM_OBJ) $(BUILD)/libseamcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/seam-partner: $(AGENT_OBJ) $(BUILD)/libseamcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/tamper: $(BUILD)/tests/tools/tamper.o $(BUILD)/libseamcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/signed-post: $(BUILD)/tests/tools/signed_post.o $(BUILD)/libseamcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/evflip: $(BUILD)/tests/tools/evflip.o $(BUILD)/libseamcore.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The bench's store filler: a plain HTTP client (see tests/tools/fill.c).
$(BUILD)/tests/seam-fill: $(BUILD)/tests/tools/fill.o
	$(CC) $(LDFLAGS) -o $@ $^ -ljansson

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/libseamcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/faults/%.o $(BUILD)/libseamcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# test_actions walks the endpoint table, which names the handlers: it links
# the daemon's objects but main.o.
$(BUILD)/tests/test_actions: $(BUILD)/tests/unit/test_actions.o \
                             $(filter-out $(BUILD)/broker/main.o,$(BROKER_OBJ)) $(BUILD)/libseamcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# test_mail reads mail_in.c, a part of the daemon: the same.
$(BUILD)/tests/test_mail: $(BUILD)/tests/unit/test_mail.o \
                          $(filter-out $(BUILD)/broker/main.o,$(BROKER_OBJ)) $(BUILD)/libseamcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The web pages (web/; README, The web pages): written by web/build.mjs to $(BUILD)/web, which the
# broker serves (web_dir in seam.json(5); installed to $(SHAREDIR)/web). Without Node.js
# the broker is built all the same and its pages say they are not built.
# The npm packages the pages ship (uPlot, pinned by web/package-lock.json) are installed in
# web/node_modules by npm ci when it is missing or older than the lock file.
WEB_SRC = $(wildcard web/build.mjs web/package-lock.json web/src/*.* web/src/*/*.*)
web: $(BUILD)/web/index.html

$(BUILD)/web/index.html: $(WEB_SRC)
	@if command -v node >/dev/null; then \
	    if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then \
	        (cd web && npm ci --no-audit --no-fund --loglevel=error) && touch web/node_modules || exit 1; \
	    fi; \
	    node web/build.mjs $(BUILD)/web; \
	else echo "node not found: the web pages are not built (make deps installs it)" >&2; fi

$(BUILD)/broker/web.o: CPPFLAGS += -DSEAM_WEB_DIR='"$(SHAREDIR)/web"'

# libFuzzer targets (clang): the core and the HTTP layer, without main().
FUZZ_BUILD   = build-fuzz
FUZZ_CFLAGS  = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
               -fno-sanitize-recover=all
FUZZ_NAMES   = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     = $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIB_OBJ = $(CORE_SRC:%.c=$(FUZZ_BUILD)/%.o) \
               $(filter-out $(FUZZ_BUILD)/broker/main.o,$(BROKER_SRC:%.c=$(FUZZ_BUILD)/%.o))

$(FUZZ_BUILD)/%.o: %.c $(wildcard include/*.h include/seam/*.h tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	clang $(CPPFLAGS) -Itests/fuzz $(WARN) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_BUILD)/libfuzzseam.a: $(FUZZ_LIB_OBJ)
	$(AR) rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/libfuzzseam.a
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz-build: deps $(FUZZ_BIN)

# make fuzz FUZZ_SECONDS=600: each target for that long (default 60).
fuzz: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) FUZZ_NAMES="$(FUZZ_NAMES)" \
	    tests/fuzz/run.sh

deps:
	@scripts/deps.sh

# make run PORT=8481 serves on 127.0.0.1:8481; make run LISTEN=[::]:8480 on every address
# (default: the configuration's "listen", 127.0.0.1:8480).
run: deps all
	@SEAM_PORT=$(PORT) SEAM_LISTEN=$(LISTEN) scripts/run.sh

faults: deps
	@$(MAKE) --no-print-directory FAULTS=1 $(BUILD)-faults/seam-broker $(BUILD)-faults/seamctl \
	    $(FAULTS_UNIT_SRC:tests/faults/%.c=$(BUILD)-faults/tests/%)

test: deps all faults $(UNIT_BIN) $(TOOL_BIN) $(FUZZ_BIN)
	@BUILD=$(BUILD) FUZZ_BUILD=$(FUZZ_BUILD) tests/run.sh

check:
	@$(MAKE) --no-print-directory SANITIZE=1 test

# The failover test with twenty kills of the leader (make test runs it with five, beside the
# other suites; CI runs this after them: about three and a half minutes on two cores).
failover: deps all
	@SEAM_FAILOVER_ROUNDS=20 BUILD=$(BUILD) bash tests/e2e/t_failover.sh

# The screenshots of docs/screens/ (shown in the README), taken by the browser tests; make test
# runs the same tests without writing them.
screenshots: deps all
	@BUILD=$(BUILD) SEAM_SCREENSHOTS=1 bash tests/e2e/t_web.sh

valgrind: deps all $(UNIT_BIN)
	@BUILD=$(BUILD) VALGRIND=1 tests/run.sh unit

# The contract: docs/openapi.yaml through two validators, and the answers of
# e2e scripts against it (npm packages of tests/contract; part of make test).
contract: deps all
	@BUILD=$(BUILD) bash tests/e2e/t_contract.sh

tmf-ctk: deps all
	@BUILD=$(BUILD) tests/tmf/run-ctk.sh

# make bench BENCH_SECONDS=10 BENCH_TICKETS=1000000 (the defaults); see docs/performance.md
bench: deps
	@bench/run.sh

bench-replication: deps
	@bench/replication.sh

format:
	clang-format -i broker/*.c include/*.h include/seam/*.h tests/unit/*.c tests/faults/*.c tests/tools/*.c partners/*.c \
	    tests/fuzz/*.c tests/fuzz/*.h

format-check:
	clang-format --dry-run --Werror broker/*.c include/*.h include/seam/*.h tests/unit/*.c tests/faults/*.c \
	    tests/tools/*.c partners/*.c tests/fuzz/*.c tests/fuzz/*.h

# Installation. PREFIX and DESTDIR as usual; the directories may be set one by one.
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
SHAREDIR    ?= $(PREFIX)/share/seam
UNITDIR     ?= $(PREFIX)/lib/systemd/system
INSTALL     ?= install
# What make install writes, relative to DESTDIR (make uninstall removes exactly these).
INSTALLED_FILES = $(SBINDIR)/seam-broker $(SBINDIR)/seamctl $(BINDIR)/seam-partner \
    $(MANDIR)/man1/seam-partner.1 $(MANDIR)/man5/seam.json.5 $(MANDIR)/man8/seam-broker.8 \
    $(MANDIR)/man8/seamctl.8 $(SHAREDIR)/conf/seam.json \
    $(patsubst conf/%,$(SHAREDIR)/conf/%,$(wildcard conf/examples/*.json)) \
    $(UNITDIR)/seam-broker.service

install: all
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SHAREDIR)/conf/examples \
	    $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(BUILD)/seam-broker $(BUILD)/seamctl $(DESTDIR)$(SBINDIR)/
	$(INSTALL) -m 0755 $(BUILD)/seam-partner $(DESTDIR)$(BINDIR)/
	for m in man/*.[158]; do \
	    sed 's/^\.Os$$/.Os seam $(VERSION)/' "$$m" >"$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}" && \
	    chmod 0644 "$(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}" || exit 1; \
	done
	$(INSTALL) -m 0644 conf/seam.json $(DESTDIR)$(SHAREDIR)/conf/
	$(INSTALL) -m 0644 conf/examples/*.json $(DESTDIR)$(SHAREDIR)/conf/examples/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SHAREDIR@|$(SHAREDIR)|g' dist/seam-broker.service.in \
	    >$(DESTDIR)$(UNITDIR)/seam-broker.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/seam-broker.service
	if [ -f $(BUILD)/web/index.html ]; then rm -rf $(DESTDIR)$(SHAREDIR)/web && \
	    cp -R $(BUILD)/web $(DESTDIR)$(SHAREDIR)/web && chmod -R u=rwX,go=rX $(DESTDIR)$(SHAREDIR)/web; fi

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED_FILES))
	rm -rf $(DESTDIR)$(SHAREDIR)/web
	-rmdir $(DESTDIR)$(SHAREDIR)/conf/examples $(DESTDIR)$(SHAREDIR)/conf $(DESTDIR)$(SHAREDIR)

# The Debian package (debian/): built from this tree into ..; deb-check builds it from a copy
# and inspects it (tests/e2e/t_package.sh; a minute or two, so make test skips it).
deb:
	dpkg-buildpackage -us -uc -b

deb-check: all
	@SEAM_PACKAGE=1 BUILD=$(BUILD) bash tests/e2e/t_package.sh

clean:
	rm -rf build build-deb build-san build-fuzz build-bench build-faults build-san-faults seam-broker seamctl \
	    seam-partner

.PHONY: all deps run test check failover screenshots valgrind bench bench-replication fuzz fuzz-build tmf-ctk format format-check clean \
        faults contract install uninstall deb deb-check web
.SECONDARY:
