/*
 * guest_conf.c - the host->guest run facts file (guest_conf.h): written by
 * the host, parsed by the guest init. The parser is strict: a fact it does
 * not know, a malformed line or an index out of range is an error.
 */
#include "guest_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(struct guest_conf_buf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = (b->cap ? b->cap * 2 : 1024) + more + 1;
    char *n = realloc(b->s, cap);
    if (!n)
        return -1;
    b->s = n;
    b->cap = cap;
    return 0;
}

int guest_conf_line(struct guest_conf_buf *b, const char *key, const char *value)
{
    size_t n = strlen(key) + strlen(value) + 2;
    if (grow(b, n) < 0)
        return -1;
    b->len += (size_t)sprintf(b->s + b->len, "%s %s\n", key, value);
    return 0;
}

int guest_conf_hex(struct guest_conf_buf *b, const char *key, long index, const void *data, size_t n)
{
    if (n > (1u << 24) || grow(b, strlen(key) + 24 + 2 * n + 3) < 0)
        return -1;
    b->len += (size_t)(index >= 0 ? sprintf(b->s + b->len, "%s %ld ", key, index)
                                  : sprintf(b->s + b->len, "%s ", key));
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        b->len += (size_t)sprintf(b->s + b->len, "%02x", p[i]);
    b->s[b->len++] = '\n';
    b->s[b->len] = 0;
    return 0;
}

static int unhex(const char *h, size_t hl, char **out, size_t *outlen)
{
    if (hl % 2)
        return -1;
    char *r = malloc(hl / 2 + 1);
    if (!r)
        return -1;
    for (size_t i = 0; i < hl / 2; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = h[2 * i + (size_t)k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) {
                free(r);
                return -1;
            }
            v = v * 16 + d;
        }
        r[i] = (char)v;
    }
    r[hl / 2] = 0;
    *out = r;
    if (outlen)
        *outlen = hl / 2;
    return 0;
}

static int copy_word(char *dst, size_t n, const char *src, size_t len)
{
    if (len == 0 || len >= n || memchr(src, ' ', len))
        return -1;
    memcpy(dst, src, len);
    dst[len] = 0;
    return 0;
}

void guest_conf_free(struct guest_conf *c)
{
    for (size_t i = 0; i < c->n_args; i++)
        free(c->args[i]);
    for (size_t i = 0; i < c->n_shares; i++)
        free(c->shares[i].path);
    for (size_t i = 0; i < GUEST_MAX_VALUES; i++) {
        free(c->pass[i]);
        free(c->secret[i]);
    }
    memset(c, 0, sizeof *c);
}

int guest_conf_parse(const char *text, size_t n, struct guest_conf *c, struct cell_error *e)
{
    memset(c, 0, sizeof *c);
    size_t lineno = 0;
    for (size_t pos = 0; pos < n;) {
        const char *ln = text + pos, *nl = memchr(ln, '\n', n - pos);
        if (!nl)
            return cell_err(e, 0, "guest.conf line %zu: no newline at the end", lineno + 1);
        size_t len = (size_t)(nl - ln);
        pos += len + 1;
        lineno++;
        const char *sp = memchr(ln, ' ', len);
        if (!sp)
            return cell_err(e, 0, "guest.conf line %zu: no value", lineno);
        size_t kl = (size_t)(sp - ln), vl = len - kl - 1;
        const char *v = sp + 1;
        int bad = 0;
#define KEY(k) (kl == strlen(k) && memcmp(ln, k, kl) == 0)
        if (KEY("channel")) {
            if (vl > 7 && memcmp(v, "serial ", 7) == 0)
                bad = copy_word(c->channel, sizeof c->channel, v + 7, vl - 7);
            else if (vl > 6 && memcmp(v, "vsock ", 6) == 0) {
                char num[16];
                bad = copy_word(num, sizeof num, v + 6, vl - 6);
                char *end;
                unsigned long p = bad ? 0 : strtoul(num, &end, 10);
                bad = bad || *end || p == 0 || p > 0xffffffffUL;
                c->vsock = true;
                c->vsock_port = (uint32_t)p;
            } else
                bad = 1;
        } else if (KEY("stdout")) {
            bad = copy_word(c->out, sizeof c->out, v, vl);
        } else if (KEY("stderr")) {
            bad = copy_word(c->err, sizeof c->err, v, vl);
        } else if (KEY("pipe")) {
            /* "pipe stdout": the caller's stdout is no terminal, so the
             * workload's is none either (as natively: a pipe) */
            if (vl == 6 && memcmp(v, "stdout", 6) == 0)
                c->out_pipe = true;
            else if (vl == 6 && memcmp(v, "stderr", 6) == 0)
                c->err_pipe = true;
            else
                bad = 1;
        } else if (KEY("module")) {
            bad = c->n_modules == GUEST_MAX_MODULES ||
                copy_word(c->modules[c->n_modules++], sizeof c->modules[0], v, vl);
        } else if (KEY("rootfs")) {
            const char *s2 = memchr(v, ' ', vl);
            bad = !s2 || copy_word(c->rootfs_dev, sizeof c->rootfs_dev, v, (size_t)(s2 - v)) ||
                copy_word(c->rootfs_type, sizeof c->rootfs_type, s2 + 1, vl - (size_t)(s2 - v) - 1) ||
                (strcmp(c->rootfs_type, "squashfs") && strcmp(c->rootfs_type, "ext4") &&
                 strcmp(c->rootfs_type, "erofs"));
        } else if (KEY("share")) {
            /* share <tag> ro|rw <hex path>; the path is absolute */
            const char *s2 = memchr(v, ' ', vl);
            const char *s3 = s2 ? memchr(s2 + 1, ' ', vl - (size_t)(s2 + 1 - v)) : NULL;
            struct guest_share *g = &c->shares[c->n_shares];
            bad = c->n_shares == GUEST_MAX_SHARES || !s3 ||
                copy_word(g->tag, sizeof g->tag, v, (size_t)(s2 - v));
            if (!bad) {
                size_t ml = (size_t)(s3 - s2 - 1);
                bad = ml != 2 || (memcmp(s2 + 1, "ro", 2) && memcmp(s2 + 1, "rw", 2)) ||
                    unhex(s3 + 1, vl - (size_t)(s3 + 1 - v), &g->path, NULL);
                g->rw = !bad && memcmp(s2 + 1, "rw", 2) == 0;
                size_t pl = bad ? 0 : strlen(g->path);
                if (!bad &&
                    (g->path[0] != '/' || strstr(g->path, "/../") || pl > 2048 ||
                     (pl >= 3 && !strcmp(g->path + pl - 3, "/..")))) {
                    free(g->path);
                    g->path = NULL;
                    bad = 1;
                }
                if (!bad)
                    c->n_shares++;
            }
        } else if (KEY("net")) {
            bad = copy_word(c->net, sizeof c->net, v, vl);
        } else if (KEY("arg")) {
            bad = c->n_args == GUEST_MAX_ARGS || unhex(v, vl, &c->args[c->n_args], NULL);
            if (!bad)
                c->n_args++;
        } else if (KEY("pass") || KEY("secret")) {
            bool secret = KEY("secret");
            char *end;
            unsigned long idx = strtoul(v, &end, 10);
            if (end == v || *end != ' ' || idx >= GUEST_MAX_VALUES)
                bad = 1;
            else {
                char **slot = secret ? &c->secret[idx] : &c->pass[idx];
                size_t hl = vl - (size_t)(end + 1 - v);
                bad = *slot != NULL || unhex(end + 1, hl, slot, secret ? &c->secret_len[idx] : NULL);
            }
        } else {
            return cell_err(e, 0, "guest.conf line %zu: unknown fact \"%.*s\"", lineno, (int)kl, ln);
        }
#undef KEY
        if (bad)
            return cell_err(e, EINVAL, "guest.conf line %zu: malformed %.*s", lineno, (int)kl, ln);
    }
    if (!c->vsock && !c->channel[0])
        return cell_err(e, 0, "guest.conf: no report channel");
    return 0;
}
