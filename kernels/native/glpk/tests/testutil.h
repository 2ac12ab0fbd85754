/* testutil.h - assertions and helpers shared by the tests. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "json.h"
#include "mesh/codec.h"

extern int t_failures;
extern int t_checks;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        t_checks++;                                                                        \
        if (!(cond)) {                                                                     \
            t_failures++;                                                                  \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fputc('\n', stderr);                                                           \
        }                                                                                  \
    } while (0)

/* Evaluates cond once; on failure the current test function returns. */
#define REQUIRE(cond, ...)                                                                 \
    do {                                                                                   \
        bool req_ok_ = (cond);                                                             \
        CHECK(req_ok_, __VA_ARGS__);                                                       \
        if (!req_ok_) {                                                                    \
            fprintf(stderr, "aborting this test\n");                                       \
            return;                                                                        \
        }                                                                                  \
    } while (0)

int test_summary(const char *name);

/* hex text -> bytes (malloc'd) */
unsigned char *hex_decode(const char *hex, size_t *len);
char *hex_encode(const unsigned char *p, size_t n);

/* Vector notation (tests/vectors/README.md) -> value. NULL on unsupported notation. */
mesh_value *notation_value(mesh_arena *a, const jval *v);

/* Printable form of a value for failure messages (truncated). */
void value_dump(const mesh_value *v, char *buf, size_t len);

double test_now(void);

#endif
