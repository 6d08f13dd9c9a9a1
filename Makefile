# rcptcheck-overlimit -- see README.md and INSTALL.
#
#   make                 build the three programs
#   make check           unit tests (Check) and black-box tests
#   make SAN=1 check     the same under AddressSanitizer + UBSan
#   make install         into $(DESTDIR)$(PREFIX) (default /var/qmail)
#   make fuzz            the libFuzzer harnesses (clang) in tests/fuzz/
#   make fuzz-run        run each for FUZZ_SECONDS (default 20) seconds

PREFIX	?= /var/qmail
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/man
CRONDIR	?= /etc/cron.d
SYSTEMDDIR ?= /etc/systemd/system
UNITS	= overlimit-cleanup.service overlimit-cleanup.timer \
	  overlimit-metrics.service overlimit-metrics.timer
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Werror
STD	= -std=c99 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
BSDINC	= $$(pkg-config --cflags libbsd-overlay) -DLIBBSD_OPENBSD_VIS
ALLCFLAGS = $(STD) $(WARN) $(BSDINC) -Isrc -fPIE $(CFLAGS)
LIBS	= -lcdb -lbsd -lmd

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
OBJS	= src/name.o src/rule.o src/limits.o src/store.o src/logline.o src/prog.o \
	  src/reply.o src/notify.o src/track.o
TESTPROGS = tests/rcptsim tests/concurrent tests/unit

all: $(PROGS)

# libFuzzer harnesses: clang only, every src/*.c linked in directly and
# built with the fuzzer's coverage, ASan and UBSan (any report aborts).
FUZZCC	?= clang
FUZZFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZERS	= tests/fuzz/fuzz_rule tests/fuzz/fuzz_name tests/fuzz/fuzz_store \
	  tests/fuzz/fuzz_limits tests/fuzz/fuzz_logline
FUZZ_SECONDS ?= 20

fuzz: $(FUZZERS)

tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c src/*.c src/*.h
	$(FUZZCC) $(STD) $(WARN) $(BSDINC) -Isrc $(FUZZFLAGS) -o $@ $< \
	    src/*.c $(LIBS)

fuzz-run: $(FUZZERS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZERS)

src/%.o: src/%.c src/*.h
	$(CC) $(ALLCFLAGS) -c -o $@ $<

liboverlimit.a: $(OBJS)
	rm -f $@
	ar rc $@ $(OBJS)

rcptcheck-overlimit: rcptcheck-overlimit.c liboverlimit.a
	$(CC) $(ALLCFLAGS) $(LDFLAGS) $(STATIC) -o $@ $< liboverlimit.a $(LIBS)

cdbmake-limits: cdbmake-limits.c liboverlimit.a
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -pie -o $@ $< liboverlimit.a $(LIBS)

overlimit-cleanup: overlimit-cleanup.c liboverlimit.a
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -pie -o $@ $< liboverlimit.a $(LIBS)

overlimitctl: overlimitctl.c liboverlimit.a
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -pie -o $@ $< liboverlimit.a $(LIBS)

tests/rcptsim: tests/rcptsim.c
	$(CC) $(STD) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

tests/concurrent: tests/concurrent.c
	$(CC) $(STD) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

tests/unit: tests/unit.c tests/check_*.c tests/testdir.c tests/testdir.h \
	    liboverlimit.a
	$(CC) $(ALLCFLAGS) $$(pkg-config --cflags check) $(LDFLAGS) -pie -o $@ \
	    tests/unit.c tests/check_*.c tests/testdir.c liboverlimit.a $(LIBS) \
	    $$(pkg-config --libs check)

lint:
	mandoc -T lint -W warning man/*.[58]

# cppcheck and clang-tidy (.clang-tidy) on src/ and the programs
lint-c:
	sh scripts/lint.sh

check: all $(TESTPROGS)
	@rc=0; \
	echo "== unit tests"; ./tests/unit || rc=1; \
	echo "== black-box tests"; sh tests/rts.sh || rc=1; \
	echo "== operations tests"; sh tests/rts-ops.sh || rc=1; \
	echo "== response tests"; sh tests/rts-responses.sh || rc=1; \
	echo "== notification program tests"; sh tests/rts-notify.sh || rc=1; \
	echo "== fault tests"; sh tests/rts-faults.sh || rc=1; \
	echo "== signal tests"; sh tests/rts-signals.sh || rc=1; \
	echo "== soak"; sh tests/soak.sh || rc=1; \
	exit $$rc

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PREFIX)/control
	install -d -m 700 $(DESTDIR)$(PREFIX)/overlimit
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	test -e $(DESTDIR)$(PREFIX)/control/relaylimits || \
	    install -m 644 control/relaylimits $(DESTDIR)$(PREFIX)/control/
	install -m 755 notify/notify-mail notify/notify-vpopmail-disable \
	    notify/notify-sms $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 644 man/relaylimits.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/rcptcheck-overlimit.8 man/cdbmake-limits.8 \
	    man/overlimit-cleanup.8 man/overlimitctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(CRONDIR)
	test -e $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit || \
	    install -m 644 cron/rcptcheck-overlimit $(DESTDIR)$(CRONDIR)/
	install -d $(DESTDIR)$(SYSTEMDDIR)
	for u in $(UNITS); do test -e $(DESTDIR)$(SYSTEMDDIR)/$$u || \
	    install -m 644 cron/$$u $(DESTDIR)$(SYSTEMDDIR)/; done

uninstall:
	for p in $(PROGS) notify-mail notify-vpopmail-disable notify-sms; do \
	    rm -f $(DESTDIR)$(BINDIR)/$$p; done
	rm -f $(DESTDIR)$(MANDIR)/man5/relaylimits.5
	for p in $(PROGS); do rm -f $(DESTDIR)$(MANDIR)/man8/$$p.8; done
	if cmp -s cron/rcptcheck-overlimit \
	    $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit; then \
	    rm -f $(DESTDIR)$(CRONDIR)/rcptcheck-overlimit; fi
	for u in $(UNITS); do if cmp -s cron/$$u $(DESTDIR)$(SYSTEMDDIR)/$$u; \
	    then rm -f $(DESTDIR)$(SYSTEMDDIR)/$$u; fi; done
	@echo "left in place: $(PREFIX)/control/relaylimits, the overlimit" \
	    "directory, and cron/systemd files you changed"

clean:
	rm -f $(PROGS) $(OBJS) liboverlimit.a $(TESTPROGS) bench/noop \
	    bench/execbench $(FUZZERS)

.PHONY: all check lint lint-c install uninstall clean fuzz fuzz-run
