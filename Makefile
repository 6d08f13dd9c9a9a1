# rcptcheck-overlimit -- see README.md and INSTALL.
#
#   make                 build the three programs
#   make check           unit tests (Check) and black-box tests
#   make SAN=1 check     the same under AddressSanitizer + UBSan
#   make install         into $(DESTDIR)$(PREFIX) (default /var/qmail)

PREFIX	?= /var/qmail
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/man
DESTDIR	?=

CC	?= cc
CFLAGS	?= -O2 -g
WARN	= -Wall -Wextra -Werror
STD	= -std=c99 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L
BSDINC	= $$(pkg-config --cflags libbsd-overlay) -DLIBBSD_OPENBSD_VIS
ALLCFLAGS = $(STD) $(WARN) $(BSDINC) -Isrc -fPIE $(CFLAGS)
LIBS	= -lcdb -lbsd -lmd

# The helper is exec'ed once per recipient: link it statically (no
# dynamic loader at start-up; static-pie keeps ASLR). STATIC= disables.
STATIC	?= -static-pie

ifeq ($(SAN),1)
CFLAGS	= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
STATIC	=
endif

PROGS	= rcptcheck-overlimit cdbmake-limits overlimit-cleanup
OBJS	= src/name.o src/rule.o src/limits.o src/store.o src/logline.o
TESTPROGS = tests/rcptsim tests/concurrent tests/unit

all: $(PROGS)

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

tests/rcptsim: tests/rcptsim.c
	$(CC) $(STD) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

tests/concurrent: tests/concurrent.c
	$(CC) $(STD) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $<

tests/unit: tests/unit.c tests/check_*.c liboverlimit.a
	$(CC) $(ALLCFLAGS) $$(pkg-config --cflags check) $(LDFLAGS) -pie -o $@ \
	    tests/unit.c tests/check_*.c liboverlimit.a $(LIBS) \
	    $$(pkg-config --libs check)

check: all $(TESTPROGS)
	@rc=0; \
	echo "== unit tests"; ./tests/unit || rc=1; \
	echo "== black-box tests"; sh tests/rts.sh || rc=1; \
	exit $$rc

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PREFIX)/control \
	    $(DESTDIR)$(PREFIX)/overlimit
	install -m 755 $(PROGS) $(DESTDIR)$(BINDIR)/
	install -m 755 cron/overlimit-cleanup.cron $(DESTDIR)$(BINDIR)/
	test -e $(DESTDIR)$(PREFIX)/control/relaylimits || \
	    install -m 644 control/relaylimits $(DESTDIR)$(PREFIX)/control/

uninstall:
	for p in $(PROGS) overlimit-cleanup.cron; do \
	    rm -f $(DESTDIR)$(BINDIR)/$$p; done

clean:
	rm -f $(PROGS) $(OBJS) liboverlimit.a $(TESTPROGS) bench/noop \
	    bench/execbench

.PHONY: all check install uninstall clean
