/*
 * cdbmake-limits: compile the limits control file into the CDB that
 * rcptcheck-overlimit reads, the way tcprules does:
 *
 *	cdbmake-limits relaylimits.cdb relaylimits.tmp < relaylimits
 *
 * Every bad line is reported with its number; nothing is written unless
 * the whole file is good. The CDB is written to the temporary name,
 * fsynced and renamed over the target: readers see the old or the new
 * file, whole (src/compile.c). Exit 0 ok, 100 bad input or usage, 111
 * system error.
 */
#include <stdio.h>

#include "compile.h"
#include "prog.h"

int
main(int argc, char **argv)
{
	prog_init(COMPILE_PROG);
	if (argc != 3) {
		fprintf(stderr, "usage: " COMPILE_PROG
		    " limits.cdb limits.tmp < limits\n");
		return COMPILE_BAD;
	}
	return compile(stdin, argv[1], argv[2], 2);
}
