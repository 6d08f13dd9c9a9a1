# rcptcheck-overlimit -- see README.md and INSTALL.
#
#   make                 build the four programs into build/
#   make tests           and the test programs (build/tests/)
#   make check           unit tests (Check) and every black-box runner of
#                        tests/runners
#   make SAN=1 BUILD=build/asan check   the same under AddressSanitizer + UBSan
#   make install         into $(DESTDIR)$(PREFIX) (default /var/qmail)
#   make fuzz            the libFuzzer harnesses (clang), build/fuzz/
#   make fuzz-run        run each for FUZZ_SECONDS (default 20) seconds
#   make clean           remove build/
#
# Everything built goes to $(BUILD) (default build/): the objects, the
# library, the programs, the test programs, the fuzzers, the bench
# binaries. BUILD=build/NAME keeps a second build (test.sh: one per
# compiler or sanitizer) beside the first.

# The paths, set in one place: compiled into the four programs as their
# defaults (the run file's OVERLIMIT_DIR and OVERLIMIT_CDB still override
# them), written into the cron.d file, the systemd units and the man pages
# at install. SMTPD_USER and SMTPD_GROUP: the user qmail-smtpd runs the
# helper as; the counter directory and the jobs belong to it.
PREFIX	?= /var/qmail
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/man
OVERLIMIT_DIR ?= $(PREFIX)/overlimit
OVERLIMIT_CDB ?= $(PREFIX)/control/relaylimits.cdb
SMTPD_USER ?= vpopmail
SMTPD_GROUP ?= vchkpw
QMAIL_SMTPD ?= /var/qmail/bin/qmail-smtpd
CRONDIR	?= /etc/cron.d
SYSTEMDDIR ?= /etc/systemd/system
BUILD	?= build
UNITS	= overlimit-cleanup.service overlimit-cleanup.timer \
	  overlimit-metrics.service overlimit-metrics.timer
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Werror
STD	= -std=c99 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
BSDINC	= $$(pkg-config --cflags libbsd-overlay) -DLIBBSD_OPENBSD_VIS
PATHS	= -DOVERLIMIT_DIR='"$(OVERLIMIT_DIR)"' -DOVERLIMIT_CDB='"$(OVERLIMIT_CDB)"' \
	  -DSMTPD_USER='"$(SMTPD_USER)"' -DQMAIL_SMTPD='"$(QMAIL_SMTPD)"'
ALLCFLAGS = $(STD) $(WARN) $(BSDINC) -Isrc -fPIE $(PATHS) $(CFLAGS)
LIBS	= -lcdb -lbsd -lmd -lhiredis

# The helper is exec'ed once per recipient, inbound mail included: link it
# statically, without the dynamic loader. Plain -static, because measured
# (bench/, README "Speed") -static-pie's self-relocation costs 17k
# instructions and ~3% per inbound recipient, -static nothing. For ASLR of
# the helper at that price: make STATIC=-static-pie. STATIC= links it
# dynamically.
STATIC	?= -static

ifeq ($(SAN),1)
CFLAGS	= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
STATIC	=
endif

PROGS	= rcptcheck-overlimit cdbmake-limits overlimit-cleanup overlimitctl
BINS	= $(addprefix $(BUILD)/,$(PROGS))
MODS	= prog name ident option grammar codec compile lookup dest destset \
	  policy counter side decide logline reply report notify tally selfcheck \
	  rcli rstore
OBJS	= $(MODS:%=$(BUILD)/obj/%.o)
LIB	= $(BUILD)/liboverlimit.a
# the test programs; rcptcheck-overlimit.dyn: the helper linked dynamically
# (for libfaketime's LD_PRELOAD, which a static binary ignores)
TESTPROGS = $(BUILD)/tests/rcptsim $(BUILD)/tests/concurrent \
	  $(BUILD)/tests/waitall $(BUILD)/tests/unit \
	  $(BUILD)/tests/rcptcheck-overlimit.dyn

all: $(BINS)

tests: all $(TESTPROGS)

# libFuzzer harnesses: clang only, every src/*.c linked in directly and
# built with the fuzzer's coverage, ASan and UBSan (any report aborts).
FUZZCC	?= clang
FUZZFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZNAMES = rule name store limits logline dest
FUZZERS	= $(FUZZNAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_SECONDS ?= 20

fuzz: $(FUZZERS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c src/*.c src/*.h tests/*.h \
	    $(BUILD)/gen/decide.lua.h
	@mkdir -p $(@D)
	$(FUZZCC) $(STD) $(WARN) $(BSDINC) -Isrc -I$(BUILD)/gen $(FUZZFLAGS) -o $@ $< \
	    src/*.c $(LIBS)

fuzz-run: $(FUZZERS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZERS)

# the compiled-in paths: a file whose contents change only when they do,
# so that every object that holds them is rebuilt then, and only then
$(BUILD)/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(PATHS)' | cmp -s - $@ || echo '$(PATHS)' > $@

# the headers (the generated one apart: only rstore includes it)
$(BUILD)/obj/%.o: src/%.c src/*.h $(BUILD)/paths
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) -I$(BUILD)/gen -c -o $@ $<

# The Redis store's script, compiled in as a C string (no runtime file)
$(BUILD)/gen/decide.lua.h: src/decide.lua scripts/lua2c.sh
	@mkdir -p $(@D)
	sh scripts/lua2c.sh src/decide.lua > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/rstore.o: $(BUILD)/gen/decide.lua.h

$(LIB): $(OBJS)
	rm -f $@
	ar rc $@ $(OBJS)

$(BUILD)/rcptcheck-overlimit: rcptcheck-overlimit.c $(LIB)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) $(STATIC) -o $@ $< $(LIB) $(LIBS)

$(BUILD)/tests/rcptcheck-overlimit.dyn: rcptcheck-overlimit.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -pie -o $@ $< $(LIB) $(LIBS)

$(BUILD)/cdbmake-limits: cdbmake-limits.c $(LIB)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -pie -o $@ $< $(LIB) $(LIBS)

$(BUILD)/overlimit-cleanup: overlimit-cleanup.c $(LIB)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -pie -o $@ $< $(LIB) $(LIBS)

$(BUILD)/overlimitctl: overlimitctl.c $(LIB)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -pie -o $@ $< $(LIB) $(LIBS)

$(BUILD)/tests/%: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(STD) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/tests/unit: tests/unit.c tests/check_*.c tests/testdir.c \
	    tests/*.h $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $$(pkg-config --cflags check) $(LDFLAGS) -pie -o $@ \
	    tests/unit.c tests/check_*.c tests/testdir.c $(LIB) $(LIBS) \
	    $$(pkg-config --libs check)

# the programs bench/ measures against the helper (bench/run.sh builds
# them too)
bench: all
	@mkdir -p $(BUILD)/bench
	$(CC) -O2 -static -o $(BUILD)/bench/noop bench/noop.c
	$(CC) -std=c99 -O2 -Wall -Wextra -Werror -o $(BUILD)/bench/execbench \
	    bench/execbench.c

# bench/admin.sh's counter directory of 100,000 clients, made by the
# helper's own decide()
$(BUILD)/bench/admingen: bench/admingen.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -pie -o $@ bench/admingen.c $(LIB) $(LIBS)

lint:
	mandoc -T lint -W warning docs/man/*.[58]

# cppcheck and clang-tidy (.clang-tidy) on src/ and the programs
lint-c:
	sh scripts/lint.sh

# every runner of tests/runners (the list test.sh runs too), after the
# unit tests; each ends with "N passed, M failed"
check: tests
	@rc=0; \
	echo "== unit tests"; ./$(BUILD)/tests/unit || rc=1; \
	for r in $$(sed 's/#.*//' tests/runners | awk 'NF { print $$1 }'); do \
	    echo "== $$r"; RTS_BUILD=$(BUILD) sh $$r || rc=1; \
	done; \
	exit $$rc

# The installed copy of a file with the default paths replaced by this
# install's (cron.d, the units, the man pages).
SUBST	= sed -e 's|/var/qmail/overlimit|$(OVERLIMIT_DIR)|g' \
	  -e 's|/var/qmail/control/relaylimits.cdb|$(OVERLIMIT_CDB)|g' \
	  -e 's|/var/qmail/bin|$(BINDIR)|g' \
	  -e 's|/var/qmail/control|$(PREFIX)/control|g' \
	  -e 's|User=vpopmail|User=$(SMTPD_USER)|; s|Group=vchkpw|Group=$(SMTPD_GROUP)|' \
	  -e 's|-o vpopmail -g vchkpw|-o $(SMTPD_USER) -g $(SMTPD_GROUP)|' \
	  -e 's|^\([^	]*\)	vpopmail	|\1	$(SMTPD_USER)	|'
MAN5	= relaylimits.5
MAN8	= rcptcheck-overlimit.8 cdbmake-limits.8 overlimit-cleanup.8 overlimitctl.8
NOTIFY	= notify-mail notify-vpopmail-disable notify-sms

# The counter directory belongs to SMTPD_USER, mode 0700, whatever the
# umask: without that every relayed recipient went to the failure policy.
# Installing as root without that user, or as another user, says plainly
# what is left to do.
install: all
	install -d -m 755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(PREFIX)/control \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(CRONDIR) $(DESTDIR)$(SYSTEMDDIR)
	install -d -m 700 $(DESTDIR)$(OVERLIMIT_DIR)
	@if [ "$$(id -u)" = 0 ] && id -u $(SMTPD_USER) >/dev/null 2>&1; then \
	    chown $(SMTPD_USER):$(SMTPD_GROUP) $(DESTDIR)$(OVERLIMIT_DIR) && \
	    echo "counter directory: $(OVERLIMIT_DIR), $(SMTPD_USER):$(SMTPD_GROUP) 0700"; \
	else \
	    echo "left to do: chown $(SMTPD_USER):$(SMTPD_GROUP) $(OVERLIMIT_DIR)" \
	        "(not root, or no user $(SMTPD_USER): make install SMTPD_USER=...)"; \
	fi
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	test -e $(DESTDIR)$(PREFIX)/control/relaylimits || \
	    install -m 644 control/relaylimits $(DESTDIR)$(PREFIX)/control/
	for n in $(NOTIFY); do install -m 755 contrib/notify/$$n \
	    $(DESTDIR)$(BINDIR)/; done
	for m in $(MAN5); do $(SUBST) docs/man/$$m > $(DESTDIR)$(MANDIR)/man5/$$m; \
	    chmod 644 $(DESTDIR)$(MANDIR)/man5/$$m; done
	for m in $(MAN8); do $(SUBST) docs/man/$$m > $(DESTDIR)$(MANDIR)/man8/$$m; \
	    chmod 644 $(DESTDIR)$(MANDIR)/man8/$$m; done
	test -e $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit || { \
	    $(SUBST) etc/cron.d/rcptcheck-overlimit > \
	    $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit && \
	    chmod 644 $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit; }
	for u in $(UNITS); do test -e $(DESTDIR)$(SYSTEMDDIR)/$$u || { \
	    $(SUBST) etc/systemd/$$u > $(DESTDIR)$(SYSTEMDDIR)/$$u && \
	    chmod 644 $(DESTDIR)$(SYSTEMDDIR)/$$u; }; done
	@echo "then, as root: $(BINDIR)/cdbmake-limits, and" \
	    "$(BINDIR)/overlimitctl check -u $(SMTPD_USER) (INSTALL)"

# A timer enabled with systemctl leaves a link behind the unit: disable
# them first (systemctl disable --now overlimit-cleanup.timer
# overlimit-metrics.timer), or the link dangles. Files an admin changed
# stay.
uninstall:
	for p in $(PROGS) $(NOTIFY); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MAN5); do rm -f $(DESTDIR)$(MANDIR)/man5/$$m; done
	for m in $(MAN8); do rm -f $(DESTDIR)$(MANDIR)/man8/$$m; done
	if $(SUBST) etc/cron.d/rcptcheck-overlimit | cmp -s - \
	    $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit; then \
	    rm -f $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit; fi
	for u in $(UNITS); do if $(SUBST) etc/systemd/$$u | cmp -s - \
	    $(DESTDIR)$(SYSTEMDDIR)/$$u; then rm -f $(DESTDIR)$(SYSTEMDDIR)/$$u; \
	    fi; done
	@if [ -z "$(DESTDIR)" ] && command -v systemctl >/dev/null 2>&1 && \
	    systemctl is-enabled overlimit-cleanup.timer >/dev/null 2>&1; then \
	    echo "warning: overlimit-cleanup.timer is enabled: systemctl" \
	        "disable --now overlimit-cleanup.timer overlimit-metrics.timer"; fi
	@echo "left in place: $(PREFIX)/control/relaylimits, the counter" \
	    "directory $(OVERLIMIT_DIR), and cron/systemd files you changed"

clean:
	rm -rf $(BUILD)

.PHONY: all tests bench check lint lint-c install uninstall clean fuzz fuzz-run FORCE
