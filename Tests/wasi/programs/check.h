/* check.h: the CHECK macro of the WASI test programs. A failed check prints its line, the
 * condition and errno, and counts in `failures`; the program ends with a summary line and
 * exits 1 when anything failed. */
#ifndef WASI_TEST_CHECK_H
#define WASI_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            printf("FAILED line %d: %s (errno %d %s)\n", __LINE__, #cond, errno, strerror(errno)); \
            failures++;                                                                        \
        }                                                                                      \
    } while (0)

#endif
