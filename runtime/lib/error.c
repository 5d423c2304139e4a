/*
 * error.c - formatting of struct cell_error. Messages are truncated, never
 * overflowed, and any newline a caller slips in is replaced by a space so the
 * one-line guarantee holds.
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

int cell_err(struct cell_error *e, int err, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->err = err;
    one_line(e->msg);
    return -1;
}

int cell_err_sys(struct cell_error *e, int err, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->err = err;
    if (err) {
        size_t n = strlen(e->msg);
        snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(err));
    }
    one_line(e->msg);
    return -1;
}

int cell_err_wrap(struct cell_error *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = strnlen(prefix, sizeof prefix - 1);
    if (plen + 2 >= sizeof e->msg)
        plen = sizeof e->msg - 3;
    size_t mlen = strnlen(e->msg, sizeof e->msg - 1);
    if (plen + 2 + mlen >= sizeof e->msg)
        mlen = sizeof e->msg - 1 - plen - 2;
    memmove(e->msg + plen + 2, e->msg, mlen);
    memcpy(e->msg, prefix, plen);
    e->msg[plen] = ':';
    e->msg[plen + 1] = ' ';
    e->msg[plen + 2 + mlen] = 0;
    one_line(e->msg);
    return -1;
}
