/*
 * sink_spec.c - parse remote sink specs (sink_spec.h). Nothing is resolved
 * or opened here: only syntax, so that cellrun refuses a bad spec before the
 * run and cellsend reads the same fields back from the spool. Passwords and
 * tokens never appear in error messages (display has them blanked).
 */
#include "sink_spec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sink_spec_is_remote(const char *s)
{
    return strncmp(s, "nats://", 7) == 0 || strncmp(s, "tls://", 6) == 0 || strncmp(s, "http://", 7) == 0 ||
        strncmp(s, "https://", 8) == 0;
}

/* Copy [s, s+n) into out (cap bytes) decoding %XX; -1 when it does not fit
 * or holds a bad escape or a control character. */
static int copy_decoded(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]))
                return -1;
            char hex[3] = { s[i + 1], s[i + 2], 0 };
            c = (unsigned char)strtoul(hex, NULL, 16);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return 0;
}

static int copy_plain(const char *s, size_t n, char *out, size_t cap)
{
    if (n >= cap)
        return -1;
    memcpy(out, s, n);
    out[n] = 0;
    return 0;
}

/* A NATS subject template: tokens of printable non-space characters
 * separated by single dots, no wildcards. */
static bool subject_ok(const char *s)
{
    if (!*s || *s == '.')
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || c == '*' || c == '>')
            return false;
        if (c == '.' && (p[1] == '.' || p[1] == 0))
            return false;
    }
    return true;
}

static int parse_options(const char *opt, struct sink_spec *o, struct cell_error *e)
{
    while (opt && *opt) {
        const char *end = strchr(opt, '&');
        size_t n = end ? (size_t)(end - opt) : strlen(opt);
        const char *eq = memchr(opt, '=', n);
        size_t kn = eq ? (size_t)(eq - opt) : n;
        const char *v = eq ? eq + 1 : NULL;
        size_t vn = eq ? n - kn - 1 : 0;
#define KEY(k) (kn == strlen(k) && strncmp(opt, k, kn) == 0)
        int bad = 0;
        if (KEY("tls") && !v && o->kind == SINK_NATS)
            o->tls = true;
        else if (KEY("batch") && !v && o->kind == SINK_HTTP)
            o->batch = true;
        else if (KEY("batchmax") && v && o->kind == SINK_HTTP) {
            char num[16];
            char *ep;
            if (copy_plain(v, vn, num, sizeof num) < 0)
                bad = 1;
            unsigned long x = bad ? 0 : strtoul(num, &ep, 10);
            if (bad || !vn || *ep || x < 1 || x > 100000)
                bad = 1;
            else
                o->batch_max = (unsigned)x;
        } else if (KEY("ca") && v)
            bad = copy_decoded(v, vn, o->ca, sizeof o->ca) < 0 || !o->ca[0];
        else if (KEY("nkey") && v && o->kind == SINK_NATS)
            bad = copy_decoded(v, vn, o->nkey, sizeof o->nkey) < 0 || !o->nkey[0];
        else if (KEY("creds") && v && o->kind == SINK_NATS)
            bad = copy_decoded(v, vn, o->creds, sizeof o->creds) < 0 || !o->creds[0];
        else
            return cell_err(e, 0, "events: sink %s: unknown or malformed option \"%.*s\"", o->display, (int)n,
                            opt);
#undef KEY
        if (bad)
            return cell_err(e, 0, "events: sink %s: bad value in option \"%.*s\"", o->display, (int)n, opt);
        opt = end ? end + 1 : NULL;
    }
    if (o->ca[0] && !o->tls)
        return cell_err(e, 0, "events: sink %s: ca= without TLS (use tls:// or #tls)", o->display);
    if (o->nkey[0] && o->creds[0])
        return cell_err(e, 0, "events: sink %s: nkey= and creds= contradict each other", o->display);
    return 0;
}

/* display: the spec with the userinfo's secret part replaced by "***". */
static void make_display(const char *spec, const char *auth, const char *at, char *out, size_t cap)
{
    if (!at) {
        snprintf(out, cap, "%s", spec);
        return;
    }
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (colon)
        snprintf(out, cap, "%.*s:***%s", (int)(colon - spec), spec, at);
    else
        snprintf(out, cap, "%.*s***%s", (int)(auth - spec), spec, at);
}

static int parse_nats(const char *spec, const char *rest, struct sink_spec *o, struct cell_error *e)
{
    const char *hash = strchr(rest, '#');
    const char *end = hash ? hash : rest + strlen(rest);
    const char *slash = memchr(rest, '/', (size_t)(end - rest));
    const char *hostend = slash ? slash : end;
    const char *at = memchr(rest, '@', (size_t)(hostend - rest));
    make_display(spec, rest, at, o->display, sizeof o->display);
    const char *h = rest;
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        if (colon) {
            if (copy_decoded(rest, (size_t)(colon - rest), o->user, sizeof o->user) < 0 ||
                copy_decoded(colon + 1, (size_t)(at - colon - 1), o->pass, sizeof o->pass) < 0 || !o->user[0])
                return cell_err(e, 0, "events: sink %s: bad user:password", o->display);
        } else if (copy_decoded(rest, (size_t)(at - rest), o->token, sizeof o->token) < 0 || !o->token[0]) {
            return cell_err(e, 0, "events: sink %s: bad token", o->display);
        }
        h = at + 1;
    }
    const char *pc = memchr(h, ':', (size_t)(hostend - h));
    const char *he = pc ? pc : hostend;
    if (he == h || copy_plain(h, (size_t)(he - h), o->host, sizeof o->host) < 0)
        return cell_err(e, 0, "events: sink %s: no host", o->display);
    for (const char *p = o->host; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
            return cell_err(e, 0, "events: sink %s: bad host name", o->display);
    o->port = 4222;
    if (pc) {
        char num[8];
        char *ep;
        if (copy_plain(pc + 1, (size_t)(hostend - pc - 1), num, sizeof num) < 0)
            return cell_err(e, 0, "events: sink %s: bad port", o->display);
        unsigned long p = strtoul(num, &ep, 10);
        if (!num[0] || *ep || p < 1 || p > 65535)
            return cell_err(e, 0, "events: sink %s: bad port", o->display);
        o->port = (unsigned)p;
    }
    if (slash && slash + 1 < end) {
        if (copy_plain(slash + 1, (size_t)(end - slash - 1), o->subject, sizeof o->subject) < 0)
            return cell_err(e, 0, "events: sink %s: subject too long", o->display);
    } else {
        snprintf(o->subject, sizeof o->subject, "%s", SINK_DEFAULT_SUBJ);
    }
    if (!subject_ok(o->subject))
        return cell_err(
            e, 0, "events: sink %s: \"%s\" is not a NATS subject (no spaces, wildcards or empty tokens)",
            o->display, o->subject);
    char test[SINK_FIELD_MAX * 2];
    if (sink_subject_expand(o->subject, "00000000-0000-4000-8000-000000000000", "lifecycle.v1.started", 20,
                            test, sizeof test) < 0)
        return cell_err(e, 0, "events: sink %s: bad subject template \"%s\" (placeholders: {run}, {type})",
                        o->display, o->subject);
    if (parse_options(hash ? hash + 1 : NULL, o, e) < 0)
        return -1;
    if ((o->user[0] || o->token[0]) && (o->nkey[0] || o->creds[0]))
        return cell_err(e, 0, "events: sink %s: give one way to authenticate", o->display);
    return 0;
}

/* An HTTP URL as messages show it: a password in the userinfo and the
 * whole query (where tokens ride: ?token=..., ?sig=...) are "***". */
static void http_display(const char *url, size_t n, char *out, size_t cap)
{
    const char *auth = strstr(url, "://");
    auth = auth && (size_t)(auth - url) < n ? auth + 3 : url;
    const char *end = url + n;
    const char *hostend = auth;
    while (hostend < end && *hostend != '/' && *hostend != '?')
        hostend++;
    const char *at = NULL;
    for (const char *p = auth; p < hostend; p++)
        if (*p == '@')
            at = p; /* the last '@' ends the userinfo */
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    const char *q = memchr(hostend, '?', (size_t)(end - hostend));
    const char *path_end = q ? q : end;
    if (at && colon)
        snprintf(out, cap, "%.*s:***%.*s%s", (int)(colon - url), url, (int)(path_end - at), at,
                 q ? "?***" : "");
    else if (at)
        snprintf(out, cap, "%.*s***%.*s%s", (int)(auth - url), url, (int)(path_end - at), at,
                 q ? "?***" : "");
    else
        snprintf(out, cap, "%.*s%s", (int)(path_end - url), url, q ? "?***" : "");
}

static int parse_http(const char *spec, struct sink_spec *o, struct cell_error *e)
{
    const char *hash = strchr(spec, '#');
    size_t n = hash ? (size_t)(hash - spec) : strlen(spec);
    http_display(spec, n, o->display, sizeof o->display);
    if (copy_plain(spec, n, o->url, sizeof o->url) < 0)
        return cell_err(e, 0, "events: sink %s: URL too long", o->display);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)spec[i] <= 0x20 || (unsigned char)spec[i] >= 0x7f)
            return cell_err(e, 0, "events: sink %s: a space or control character in the URL", o->display);
    const char *host = strstr(o->url, "://") + 3;
    if (!*host || *host == '/')
        return cell_err(e, 0, "events: sink %s: no host", o->display);
    o->tls = strncmp(spec, "https://", 8) == 0;
    o->batch_max = 1000;
    return parse_options(hash ? hash + 1 : NULL, o, e);
}

int sink_spec_parse(const char *spec, struct sink_spec *o, struct cell_error *e)
{
    memset(o, 0, sizeof *o);
    if (strlen(spec) >= SINK_SPEC_MAX)
        return cell_err(e, 0, "events: sink spec longer than %d bytes", SINK_SPEC_MAX - 1);
    if (strncmp(spec, "nats://", 7) == 0) {
        o->kind = SINK_NATS;
        return parse_nats(spec, spec + 7, o, e);
    }
    if (strncmp(spec, "tls://", 6) == 0) {
        o->kind = SINK_NATS;
        o->tls = true;
        return parse_nats(spec, spec + 6, o, e);
    }
    if (strncmp(spec, "http://", 7) == 0 || strncmp(spec, "https://", 8) == 0) {
        o->kind = SINK_HTTP;
        return parse_http(spec, o, e);
    }
    return cell_err(e, 0, "events: \"%.64s\" is not a remote sink (nats://, tls://, http://, https://)",
                    spec);
}

int sink_subject_expand(const char *tmpl, const char *run, const char *type, size_t type_len, char *out,
                        size_t cap)
{
    size_t o = 0;
    for (const char *p = tmpl; *p;) {
        const char *ins = NULL;
        size_t insn = 0;
        if (strncmp(p, "{run}", 5) == 0) {
            ins = run;
            insn = strlen(run);
            p += 5;
        } else if (strncmp(p, "{type}", 6) == 0) {
            ins = type;
            insn = type_len;
            p += 6;
        } else if (*p == '{' || *p == '}') {
            return -1;
        } else {
            ins = p++;
            insn = 1;
        }
        if (o + insn >= cap)
            return -1;
        for (size_t i = 0; i < insn; i++) {
            unsigned char c = (unsigned char)ins[i];
            if (c <= 0x20 || c >= 0x7f || c == '*' || c == '>')
                return -1;
            out[o++] = (char)c;
        }
    }
    out[o] = 0;
    return subject_ok(out) ? (int)o : -1;
}
