/*
 * unit: the Check unit tests of the shared modules (src/).
 *
 *	./tests/unit		(CK_FORK=no for valgrind)
 *
 * One SRunner over the suites of tests/check_*.c. The last line of the
 * output is "N passed, M failed"; exit 1 when M > 0.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

Suite	*name_suite(void);
Suite	*rule_suite(void);
Suite	*lookup_suite(void);
Suite	*store_suite(void);
Suite	*reply_suite(void);
Suite	*side_suite(void);
Suite	*compile_suite(void);
Suite	*dest_suite(void);
Suite	*logline_suite(void);
Suite	*notify_suite(void);

int
main(void)
{
	SRunner *sr;
	int run, failed;

	sr = srunner_create(name_suite());
	srunner_add_suite(sr, rule_suite());
	srunner_add_suite(sr, lookup_suite());
	srunner_add_suite(sr, store_suite());
	srunner_add_suite(sr, reply_suite());
	srunner_add_suite(sr, side_suite());
	srunner_add_suite(sr, compile_suite());
	srunner_add_suite(sr, dest_suite());
	srunner_add_suite(sr, logline_suite());
	srunner_add_suite(sr, notify_suite());
	srunner_run_all(sr, CK_NORMAL);
	run = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	fflush(stderr);
	printf("%d passed, %d failed\n", run - failed, failed);
	fflush(stdout);
	return failed > 0 ? 1 : 0;
}
