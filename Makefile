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

PREFIX	?= /var/qmail
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/man
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
ALLCFLAGS = $(STD) $(WARN) $(BSDINC) -Isrc -fPIE $(CFLAGS)
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
	  policy counter side decide logline reply report notify rcli rstore
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

# the headers (the generated one apart: only rstore includes it)
$(BUILD)/obj/%.o: src/%.c src/*.h
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

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PREFIX)/control
	install -d -m 700 $(DESTDIR)$(PREFIX)/overlimit
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	test -e $(DESTDIR)$(PREFIX)/control/relaylimits || \
	    install -m 644 control/relaylimits $(DESTDIR)$(PREFIX)/control/
	install -m 755 contrib/notify/notify-mail \
	    contrib/notify/notify-vpopmail-disable contrib/notify/notify-sms \
	    $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 644 docs/man/relaylimits.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 docs/man/rcptcheck-overlimit.8 docs/man/cdbmake-limits.8 \
	    docs/man/overlimit-cleanup.8 docs/man/overlimitctl.8 \
	    $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(CRONDIR)
	test -e $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit || \
	    install -m 644 etc/cron.d/rcptcheck-overlimit $(DESTDIR)$(CRONDIR)/
	install -d $(DESTDIR)$(SYSTEMDDIR)
	for u in $(UNITS); do test -e $(DESTDIR)$(SYSTEMDDIR)/$$u || \
	    install -m 644 etc/systemd/$$u $(DESTDIR)$(SYSTEMDDIR)/; done

uninstall:
	for p in $(PROGS) notify-mail notify-vpopmail-disable notify-sms; do \
	    rm -f $(DESTDIR)$(BINDIR)/$$p; done
	rm -f $(DESTDIR)$(MANDIR)/man5/relaylimits.5
	for p in $(PROGS); do rm -f $(DESTDIR)$(MANDIR)/man8/$$p.8; done
	if cmp -s etc/cron.d/rcptcheck-overlimit \
	    $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit; then \
	    rm -f $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit; fi
	for u in $(UNITS); do if cmp -s etc/systemd/$$u $(DESTDIR)$(SYSTEMDDIR)/$$u; \
	    then rm -f $(DESTDIR)$(SYSTEMDDIR)/$$u; fi; done
	@echo "left in place: $(PREFIX)/control/relaylimits, the overlimit" \
	    "directory, and cron/systemd files you changed"

clean:
	rm -rf $(BUILD)

.PHONY: all tests bench check lint lint-c install uninstall clean fuzz fuzz-run
