/*
 * tap.h - a minimal TAP producer for the C unit tests (header-only).
 *
 *   plan(n) or no_plan(); ok(cond, fmt, ...); is_int(got, want, name);
 *   is_str(got, want, name); skip(n, reason); diag(fmt, ...);
 *   return done_testing();
 *
 * Failures print the got/want pair as diagnostics. done_testing() emits the
 * plan when none was declared and returns the process exit status (non-zero
 * when a test failed or the count does not match the plan).
 */
#ifndef CELLOS_TAP_H
#define CELLOS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned = -1, tap_run = 0, tap_failed = 0;

static inline void plan(int n) { tap_planned = n; printf("1..%d\n", n); fflush(stdout); }
static inline void no_plan(void) { tap_planned = -1; }

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
}

static inline int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int ok(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_run++;
    if (!cond)
        tap_failed++;
    printf("%sok %d - ", cond ? "" : "not ", tap_run);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    fflush(stdout);
    return cond;
}

#define is_int(got, want, ...) \
    do { long long g_ = (long long)(got), w_ = (long long)(want); \
         if (!ok(g_ == w_, __VA_ARGS__)) diag("     got: %lld\n#    want: %lld", g_, w_); } while (0)

#define is_str(got, want, ...) \
    do { const char *g_ = (got), *w_ = (want); \
         int c_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_; \
         if (!ok(c_, __VA_ARGS__)) diag("     got: \"%s\"\n#    want: \"%s\"", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } while (0)

static inline void skip(int n, const char *reason)
{
    for (int i = 0; i < n; i++)
        printf("ok %d # SKIP %s\n", ++tap_run, reason);
    fflush(stdout);
}

/* Skip the whole file: "1..0 # SKIP reason" and exit 0. */
static inline void skip_all(const char *reason)
{
    printf("1..0 # SKIP %s\n", reason);
    fflush(stdout);
    exit(0);
}

static inline int done_testing(void)
{
    if (tap_planned < 0)
        printf("1..%d\n", tap_run);
    else if (tap_planned != tap_run)
        diag("planned %d tests but ran %d", tap_planned, tap_run);
    fflush(stdout);
    return tap_failed || (tap_planned >= 0 && tap_planned != tap_run) ? 1 : 0;
}

#endif
