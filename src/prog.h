/* prog.h: what every program of the suite does the same way. */
#ifndef PROG_H
#define PROG_H

/* Make descriptors 0, 1 and 2 safe: any of them closed is opened on
 * /dev/null, so that no file the program opens later takes its number
 * (a log line would land in a counter file). Call first in main. */
void	prog_fds(void);

#endif
