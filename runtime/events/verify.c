/*
 * verify.c - checking event streams: ev_verify_buffer() and the
 * `cellrun verify EVENTS (--trust KEYS.json | --unsigned) [--plan PLAN]`
 * command (exit 0 verified, 3 verified but unsealed, 1 anything else).
 *
 * Every line is checked, in file order, for: a terminating LF, strict JSON,
 * RFC 8785 canonical form, exactly the CellOS attribute set with valid
 * values, its signature (or its absence in --unsigned mode), its place in a
 * chain (chainprev = SHA-256 of the previous line of the same run), gapless
 * sequence and ids, one started first, nothing after the seal, the seal's
 * count, and the plan digest. The first fault stops verification and is
 * reported with its line number and a reason that names what is wrong
 * (missing, duplicated or reordered events are told apart by looking the
 * chain hash up in the whole file).
 */
#include "verify.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event_types.h"
#include "jcs.h"
#include "sign_codec.h"
#include "sign_verify.h"

#define MAX_DEPTH 16
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct line {
    const char *p;
    size_t len;    /* without the LF */
    bool complete; /* ends with LF */
    uint8_t hash[32];
};

struct hash_ent {
    uint8_t hash[32];
    size_t line; /* 0-based */
};

struct run {
    uint8_t tail[32]; /* hash of the run's last line */
    uint64_t seq;
    char *source, *subject;
    char sigkid[65];
    bool signed_run, sealed, completed, destroyed;
    size_t first_line, last_line; /* 0-based */
    char plandigest[72];
    char runid[40];
};

struct verifier {
    const struct ev_verify_opts *o;
    struct ev_verify_result *r;
    struct line *lines;
    size_t n_lines;
    struct hash_ent *index; /* sorted by hash, then line */
    struct run *runs;
    size_t n_runs, cap_runs;
    struct jcs_doc *doc;
    struct jcs_buf buf;
};

static int fail(struct verifier *v, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct verifier *v, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->r->why, sizeof v->r->why, fmt, ap);
    va_end(ap);
    for (char *c = v->r->why; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    v->r->bad_line = line + 1;
    return -1;
}

static int hash_cmp(const void *a, const void *b)
{
    const struct hash_ent *x = a, *y = b;
    int c = memcmp(x->hash, y->hash, 32);
    if (c)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* The first line (in file order) whose hash is h, or -1. */
static long find_hash(const struct verifier *v, const uint8_t h[32])
{
    size_t lo = 0, hi = v->n_lines;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (memcmp(v->index[mid].hash, h, 32) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < v->n_lines && memcmp(v->index[lo].hash, h, 32) == 0)
        return (long)v->index[lo].line;
    return -1;
}

/* ---- attribute value checks --------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Exactly YYYY-MM-DDTHH:MM:SS.ffffffZ, a real UTC date and time. */
static bool valid_time(const char *s, size_t n)
{
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (n != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.' || s[26] != 'Z')
        return false;
    if (!all_digits(s, 4) || !all_digits(s + 5, 2) || !all_digits(s + 8, 2) || !all_digits(s + 11, 2) ||
        !all_digits(s + 14, 2) || !all_digits(s + 17, 2) || !all_digits(s + 20, 6))
        return false;
    int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
    int h = num(s + 11, 2), mi = num(s + 14, 2), se = num(s + 17, 2);
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(mo == 2 && d == 29 && !leap);
}

static bool is_hex64(const char *s, size_t n)
{
    uint8_t tmp[32];
    return sc_hex_decode(s, n, tmp, 32) == 0;
}

static bool valid_type(const char *s, size_t n, const char **step)
{
    *step = NULL;
    static const char *const fixed[] = { CELL_EV_STARTED,          CELL_EV_COMPLETED,
                                         CELL_EV_DESTROYED,        CELL_EV_SEALED,
                                         CELL_EV_EXPORT_COMPLETED, CELL_EV_EXPORT_FAILED,
                                         CELL_EV_SECCOMP_DENIED,   NULL };
    for (const char *const *f = fixed; *f; f++)
        if (strlen(*f) == n && memcmp(*f, s, n) == 0)
            return true;
    size_t nl = strlen(CELL_EV_NETWORK_PREFIX);
    if (n > nl && n - nl <= 48 && memcmp(s, CELL_EV_NETWORK_PREFIX, nl) == 0) {
        for (size_t i = nl; i < n; i++)
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                return false;
        return true;
    }
    size_t pl = strlen(CELL_EV_STEP_PREFIX);
    if (n <= pl || n - pl > 48 || memcmp(s, CELL_EV_STEP_PREFIX, pl) != 0)
        return false;
    for (size_t i = pl; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    *step = s + pl;
    return true;
}

static bool type_is(const char *s, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(s, want, n) == 0;
}

/* ---- one line ---------------------------------------------------------------------- */

enum attr {
    A_CHAINPREV,
    A_DATA,
    A_DATACONTENTTYPE,
    A_ID,
    A_SEQUENCE,
    A_SIG,
    A_SIGKID,
    A_SOURCE,
    A_SPECVERSION,
    A_SUBJECT,
    A_TIME,
    A_TYPE,
    A_COUNT
};
static const char *const ATTR_NAMES[A_COUNT] = {
    "chainprev", "data",   "datacontenttype", "id",      "sequence", "sig",
    "sigkid",    "source", "specversion",     "subject", "time",     "type",
};

static struct run *add_run(struct verifier *v)
{
    if (v->n_runs == v->cap_runs) {
        size_t ncap = v->cap_runs ? v->cap_runs * 2 : 4;
        struct run *p = realloc(v->runs, ncap * sizeof *p);
        if (!p)
            return NULL;
        v->runs = p;
        v->cap_runs = ncap;
    }
    struct run *r = &v->runs[v->n_runs++];
    memset(r, 0, sizeof *r);
    return r;
}

/* Explain why chainprev links to no open run. */
static int chain_fault(struct verifier *v, size_t i, const uint8_t prev[32], const char *seq)
{
    const struct line *l = &v->lines[i];
    long dup = find_hash(v, l->hash);
    if (dup >= 0 && (size_t)dup < i)
        return fail(v, i, "duplicate event: the same line as line %ld", dup + 1);
    long k = find_hash(v, prev);
    if (k < 0) {
        /* Name the run it most likely belongs to, for the message. */
        for (size_t r = 0; r < v->n_runs; r++) {
            const struct run *run = &v->runs[r];
            if (!run->sealed)
                return fail(v, i,
                            "event missing before this one: chainprev matches no line in "
                            "the stream (sequence %s; the run's last event so far is sequence %llu "
                            "at line %zu)",
                            seq, (unsigned long long)run->seq, run->last_line + 1);
        }
        return fail(v, i,
                    "event missing before this one: chainprev matches no line in the "
                    "stream (sequence %s)",
                    seq);
    }
    if ((size_t)k > i)
        return fail(v, i,
                    "events out of order: this event's predecessor is line %ld, which "
                    "comes after it",
                    k + 1);
    if ((size_t)k == i)
        return fail(v, i, "chainprev is the hash of this very line");
    for (size_t r = 0; r < v->n_runs; r++)
        if (v->runs[r].sealed && memcmp(v->runs[r].tail, prev, 32) == 0)
            return fail(v, i, "event after the seal at line %ld", k + 1);
    return fail(v, i,
                "events out of order or chain fork: line %ld already has a successor "
                "before this line",
                k + 1);
}

/* One line's attributes: each value, and for all but data its string. */
struct attrs {
    const struct jcs_value *a[A_COUNT];
    const char *s[A_COUNT];
    size_t n[A_COUNT];
    bool has_sig;
};

/* A complete, non-empty line of canonical JSON (RFC 8785) holding an
 * object: its root in *root. */
static int check_canonical(struct verifier *v, size_t i, struct jcs_value **root)
{
    const struct line *l = &v->lines[i];
    if (!l->complete)
        return fail(v, i, "truncated: the last line does not end with a newline");
    if (l->len == 0)
        return fail(v, i, "empty line");
    if (l->len > EV_VERIFY_MAX_LINE)
        return fail(v, i, "line longer than %u bytes", EV_VERIFY_MAX_LINE);
    jcs_doc_reset(v->doc);
    struct jcs_parse_error pe;
    if (jcs_parse(v->doc, l->p, l->len, MAX_DEPTH, root, &pe) < 0)
        return fail(v, i, "not valid JSON (byte %zu: %s)", pe.offset + 1, pe.e.msg);
    if (jcs_type_of(*root) != JCS_OBJECT)
        return fail(v, i, "not a JSON object");
    v->buf.len = 0;
    if (jcs_serialize(*root, NULL, &v->buf) < 0)
        return fail(v, i, "out of memory");
    if (v->buf.len != l->len || memcmp(v->buf.p, l->p, l->len) != 0) {
        size_t at = 0;
        while (at < l->len && at < v->buf.len && v->buf.p[at] == l->p[at])
            at++;
        return fail(v, i,
                    "not in canonical form (RFC 8785): differs from its canonical "
                    "serialisation at byte %zu",
                    at + 1);
    }
    return 0;
}

/* Exactly the known attributes; each but data a string; all but the
 * signature's present. */
static int collect_attrs(struct verifier *v, size_t i, const struct jcs_value *root, struct attrs *at)
{
    memset(at, 0, sizeof *at);
    for (size_t m = 0; m < jcs_object_len(root); m++) {
        const char *key;
        size_t klen;
        const struct jcs_value *val = jcs_object_at(root, m, &key, &klen);
        int which = -1;
        for (int k = 0; k < A_COUNT; k++)
            if (strlen(ATTR_NAMES[k]) == klen && memcmp(ATTR_NAMES[k], key, klen) == 0)
                which = k;
        if (which < 0)
            return fail(v, i, "unknown attribute \"%.*s\"", (int)(klen > 40 ? 40 : klen), key);
        at->a[which] = val;
        if (which != A_DATA) {
            if (jcs_type_of(val) != JCS_STRING)
                return fail(v, i, "attribute %s is not a string", ATTR_NAMES[which]);
            at->s[which] = jcs_get_string(val, &at->n[which]);
        }
    }
    for (int k = 0; k < A_COUNT; k++)
        if (!at->a[k] && k != A_SIG && k != A_SIGKID)
            return fail(v, i, "missing required attribute %s", ATTR_NAMES[k]);
    at->has_sig = at->a[A_SIG] != NULL;
    return 0;
}

/* The signature first: for a signed stream, any change to the event is
 * reported as what it is, an altered event. */
static int check_signature(struct verifier *v, size_t i, const struct jcs_value *root, const struct attrs *at)
{
    const struct ev_verify_opts *o = v->o;
    if (at->a[A_SIGKID] && !is_hex64(at->s[A_SIGKID], at->n[A_SIGKID]))
        return fail(v, i, "sigkid is not 64 lowercase hex digits");
    if (o->allow_unsigned) {
        if (at->a[A_SIG] || at->a[A_SIGKID])
            return fail(v, i, "event is signed but --unsigned was given (verify it with --trust)");
        return 0;
    }
    if (!at->a[A_SIG])
        return fail(v, i,
                    "missing sig attribute: the event is unsigned or its signature "
                    "was stripped");
    if (!at->a[A_SIGKID])
        return fail(v, i, "missing sigkid attribute");
    uint8_t kid[32], sig[64];
    sc_hex_decode(at->s[A_SIGKID], at->n[A_SIGKID], kid, 32);
    if (sc_b64_decode(at->s[A_SIG], at->n[A_SIG], sig, 64) < 0)
        return fail(v, i, "sig is not padded base64 of a 64-byte Ed25519 signature");
    const uint8_t *pk = ev_trust_lookup(o->trust, kid);
    if (!pk)
        return fail(v, i, "signed by key %.64s, which is not in the trust file", at->s[A_SIGKID]);
    v->buf.len = 0;
    if (jcs_serialize(root, "sig", &v->buf) < 0)
        return fail(v, i, "out of memory");
    if (dsse_verify(pk, CELL_EV_PAYLOAD_TYPE, v->buf.p, v->buf.len, sig, NULL) < 0)
        return fail(v, i,
                    "bad signature (key %.64s): the event was altered or signed by "
                    "another key",
                    at->s[A_SIGKID]);
    return 0;
}

/* The CloudEvents envelope: versions, time, sequence and id, source and
 * subject, type (*step: the step name of a step event, else NULL), chainprev. */
static int check_envelope(struct verifier *v, size_t i, const struct attrs *at, uint64_t *seq,
                          char seqstr[21], const char **step)
{
    const char *const *s = at->s;
    const size_t *n = at->n;
    if (!type_is(s[A_SPECVERSION], n[A_SPECVERSION], "1.0"))
        return fail(v, i, "specversion is not \"1.0\"");
    if (!type_is(s[A_DATACONTENTTYPE], n[A_DATACONTENTTYPE], "application/json"))
        return fail(v, i, "datacontenttype is not \"application/json\"");
    if (jcs_type_of(at->a[A_DATA]) != JCS_OBJECT)
        return fail(v, i, "data is not a JSON object");
    if (!valid_time(s[A_TIME], n[A_TIME]))
        return fail(v, i,
                    "time is not RFC 3339 UTC with microseconds and Z "
                    "(YYYY-MM-DDTHH:MM:SS.ffffffZ)");
    if (n[A_SEQUENCE] != 20 || !all_digits(s[A_SEQUENCE], 20))
        return fail(v, i, "sequence is not 20 decimal digits");
    *seq = strtoull(s[A_SEQUENCE], NULL, 10);
    memcpy(seqstr, s[A_SEQUENCE], 20);
    seqstr[20] = 0;
    char idwant[24];
    snprintf(idwant, sizeof idwant, "%llu", (unsigned long long)*seq);
    if (*seq == 0)
        return fail(v, i, "sequence 0: sequences start at 1");
    if (!type_is(s[A_ID], n[A_ID], idwant))
        return fail(v, i, "id \"%.*s\" is not the sequence number %s", (int)(n[A_ID] > 24 ? 24 : n[A_ID]),
                    s[A_ID], idwant);
    if (n[A_SOURCE] == 0 || n[A_SUBJECT] == 0)
        return fail(v, i, "%s is empty", n[A_SOURCE] ? "subject" : "source");
    if (!valid_type(s[A_TYPE], n[A_TYPE], step))
        return fail(v, i, "type \"%.*s\" is not a CellOS event type", (int)(n[A_TYPE] > 80 ? 80 : n[A_TYPE]),
                    s[A_TYPE]);
    if (!is_hex64(s[A_CHAINPREV], n[A_CHAINPREV]))
        return fail(v, i, "chainprev is not 64 lowercase hex digits");
    return 0;
}

/* A started event opens a new run. */
static int open_run(struct verifier *v, size_t i, const struct attrs *at, uint64_t seq, const char *seqstr,
                    struct run **out)
{
    const struct line *l = &v->lines[i];
    long dup = find_hash(v, l->hash);
    if (seq != 1)
        return fail(v, i, "the first event of a run has sequence %s, not 1", seqstr);
    if (dup >= 0 && (size_t)dup < i)
        return fail(v, i, "duplicate event: the same line as line %ld", dup + 1);
    struct run *run = add_run(v);
    if (!run)
        return fail(v, i, "out of memory");
    run->source = strndup(at->s[A_SOURCE], at->n[A_SOURCE]);
    run->subject = strndup(at->s[A_SUBJECT], at->n[A_SUBJECT]);
    if (!run->source || !run->subject)
        return fail(v, i, "out of memory");
    run->signed_run = at->has_sig;
    if (at->has_sig)
        snprintf(run->sigkid, sizeof run->sigkid, "%.64s", at->s[A_SIGKID]);
    run->first_line = i;
    run->seq = 0;
    *out = run;
    return 0;
}

/* Any other event continues the open run whose last line it links to, with
 * the next sequence number, the same source, subject and key. */
static int continue_run(struct verifier *v, size_t i, const struct attrs *at, const uint8_t prev[32],
                        bool started, uint64_t seq, const char *seqstr, struct run **out)
{
    const char *const *s = at->s;
    const size_t *n = at->n;
    struct run *run = NULL;
    for (size_t r = 0; r < v->n_runs; r++)
        if (!v->runs[r].sealed && memcmp(v->runs[r].tail, prev, 32) == 0) {
            run = &v->runs[r];
            break;
        }
    if (!run)
        return chain_fault(v, i, prev, seqstr);
    if (started)
        return fail(v, i, "a second started event in the run that began at line %zu", run->first_line + 1);
    if (seq != run->seq + 1)
        return fail(v, i, "sequence %s does not follow %llu", seqstr, (unsigned long long)run->seq);
    if (strlen(run->source) != n[A_SOURCE] || memcmp(run->source, s[A_SOURCE], n[A_SOURCE]))
        return fail(v, i, "source differs from the run's source \"%.200s\"", run->source);
    if (strlen(run->subject) != n[A_SUBJECT] || memcmp(run->subject, s[A_SUBJECT], n[A_SUBJECT]))
        return fail(v, i, "subject differs from the run's subject \"%.200s\"", run->subject);
    if (run->signed_run && memcmp(run->sigkid, s[A_SIGKID], 64) != 0)
        return fail(v, i, "signed by key %.64s, not by the run's key %s", s[A_SIGKID], run->sigkid);
    *out = run;
    return 0;
}

/* The data a started event must carry: the plan digest (the given plan's,
 * with --plan), whether it is signed, the backend; the run id when present. */
static int check_started(struct verifier *v, size_t i, const struct jcs_value *data, bool has_sig,
                         struct run *run)
{
    const struct ev_verify_opts *o = v->o;
    const struct jcs_value *pd = jcs_object_get(data, "plandigest");
    const struct jcs_value *sg = jcs_object_get(data, "signing");
    const struct jcs_value *be = jcs_object_get(data, "backend");
    size_t pdl = 0;
    const char *pds = pd ? jcs_get_string(pd, &pdl) : NULL;
    uint8_t dg[32];
    if (!pds || pdl != PLAN_DIGEST_STR_LEN || memcmp(pds, "sha256:", 7) != 0 ||
        sc_hex_decode(pds + 7, 64, dg, 32) < 0)
        return fail(v, i, "started event: data.plandigest is not \"sha256:<64 hex digits>\"");
    if (!sg || jcs_type_of(sg) != JCS_BOOL)
        return fail(v, i, "started event: data.signing is not a boolean");
    if (jcs_get_bool(sg) != has_sig)
        return fail(v, i, "started event: data.signing is %s but the event is %s",
                    jcs_get_bool(sg) ? "true" : "false", has_sig ? "signed" : "unsigned");
    if (!be || jcs_type_of(be) != JCS_STRING)
        return fail(v, i, "started event: data.backend is not a string");
    memcpy(run->plandigest, pds, PLAN_DIGEST_STR_LEN);
    run->plandigest[PLAN_DIGEST_STR_LEN] = 0;
    size_t rl = 0;
    const struct jcs_value *ri = jcs_object_get(data, "runid");
    const char *rs = ri ? jcs_get_string(ri, &rl) : NULL;
    if (rs && rl < sizeof run->runid && memchr(rs, 0, rl) == NULL) {
        memcpy(run->runid, rs, rl);
        run->runid[rl] = 0;
    }
    if (o->has_plan && memcmp(dg, o->plan_digest, 32) != 0) {
        char want[PLAN_DIGEST_STR_LEN + 1];
        plan_digest_string(o->plan_digest, want);
        return fail(v, i, "started event names plan %s, not the given plan %s", run->plandigest, want);
    }
    return 0;
}

/* Per type: what each kind of event must say, and at most one of each
 * lifecycle event per run. */
static int check_type_data(struct verifier *v, size_t i, const struct attrs *at, struct run *run,
                           uint64_t seq, const char *step, bool started)
{
    const char *type = at->s[A_TYPE];
    size_t tn = at->n[A_TYPE];
    const struct jcs_value *data = at->a[A_DATA];
    if (started)
        return check_started(v, i, data, at->has_sig, run);
    if (type_is(type, tn, CELL_EV_COMPLETED)) {
        if (run->completed)
            return fail(v, i, "a second completed event");
        run->completed = true;
    } else if (type_is(type, tn, CELL_EV_DESTROYED)) {
        if (run->destroyed)
            return fail(v, i, "a second destroyed event");
        const struct jcs_value *oc = jcs_object_get(data, "outcome");
        const struct jcs_value *ts = jcs_object_get(data, "terminalState");
        if (!(jcs_string_is(oc, "succeeded") || jcs_string_is(oc, "failed")) ||
            !(jcs_string_is(ts, "Clean") || jcs_string_is(ts, "Forced")))
            return fail(v, i,
                        "destroyed event: data needs outcome succeeded|failed and "
                        "terminalState Clean|Forced");
        run->destroyed = true;
    } else if (type_is(type, tn, CELL_EV_SEALED)) {
        const struct jcs_value *ev = jcs_object_get(data, "events");
        if (!ev || jcs_type_of(ev) != JCS_INT || (uint64_t)jcs_get_int(ev) != seq)
            return fail(v, i, "sealed event: data.events is not its own sequence number %llu",
                        (unsigned long long)seq);
        run->sealed = true;
    } else if (type_is(type, tn, CELL_EV_SECCOMP_DENIED)) {
        if (run->completed)
            return fail(v, i, "seccomp denied event after the completed event");
        const struct jcs_value *sc = jcs_object_get(data, "syscall");
        const struct jcs_value *nr = jcs_object_get(data, "nr");
        if (!sc || jcs_type_of(sc) != JCS_STRING || !nr || jcs_type_of(nr) != JCS_INT)
            return fail(v, i, "seccomp denied event: data needs syscall (a string) and nr (an integer)");
    } else if (step) {
        const struct jcs_value *st = jcs_object_get(data, "step");
        const struct jcs_value *og = jcs_object_get(data, "origin");
        size_t stepn = tn - (size_t)(step - type), sl;
        const char *ss = st ? jcs_get_string(st, &sl) : NULL;
        if (!ss || sl != stepn || memcmp(ss, step, sl) != 0)
            return fail(v, i, "step event: data.step does not match the type's step name");
        if (!(jcs_string_is(og, "cell") || jcs_string_is(og, "supervisor")))
            return fail(v, i, "step event: data.origin is not \"cell\" or \"supervisor\"");
    }
    return 0;
}

/* One line, as steps: canonical JSON, attributes, signature, envelope,
 * its place in a run's chain, and what its type requires. */
static int check_line(struct verifier *v, size_t i)
{
    struct jcs_value *root;
    struct attrs at;
    uint64_t seq = 0;
    char seqstr[21] = "";
    const char *step = NULL;
    if (check_canonical(v, i, &root) < 0 || collect_attrs(v, i, root, &at) < 0 ||
        check_signature(v, i, root, &at) < 0 || check_envelope(v, i, &at, &seq, seqstr, &step) < 0)
        return -1;
    uint8_t prev[32];
    sc_hex_decode(at.s[A_CHAINPREV], at.n[A_CHAINPREV], prev, 32);
    bool started = type_is(at.s[A_TYPE], at.n[A_TYPE], CELL_EV_STARTED);
    struct run *run = NULL;
    int rc;
    if (memcmp(at.s[A_CHAINPREV], ZERO_HASH, 64) == 0)
        rc = started ? open_run(v, i, &at, seq, seqstr, &run)
                     : fail(v, i, "chainprev is all zeros but the event is not a started event");
    else
        rc = continue_run(v, i, &at, prev, started, seq, seqstr, &run);
    if (rc < 0 || check_type_data(v, i, &at, run, seq, step, started) < 0)
        return -1;
    memcpy(run->tail, v->lines[i].hash, 32);
    run->seq = seq;
    run->last_line = i;
    return 0;
}

void ev_verify_result_free(struct ev_verify_result *r)
{
    free(r->runs);
    r->runs = NULL;
    r->n_runs = 0;
}

int ev_verify_buffer(const char *buf, size_t len, const struct ev_verify_opts *o, struct ev_verify_result *r)
{
    memset(r, 0, sizeof *r);
    struct verifier v = { .o = o, .r = r };
    int rc = EV_VERIFY_BAD;
    if (sodium_init() < 0) {
        snprintf(r->why, sizeof r->why, "libsodium could not be initialised");
        return EV_VERIFY_BAD;
    }
    if (!o->allow_unsigned && !o->trust) {
        snprintf(r->why, sizeof r->why, "no trust file given (--trust KEYS.json, or --unsigned)");
        return EV_VERIFY_BAD;
    }
    if (len == 0) {
        snprintf(r->why, sizeof r->why, "empty stream: no events");
        return EV_VERIFY_BAD;
    }
    if (len > EV_VERIFY_MAX_INPUT) {
        snprintf(r->why, sizeof r->why, "stream larger than %u bytes", EV_VERIFY_MAX_INPUT);
        return EV_VERIFY_BAD;
    }
    size_t cap = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\n')
            cap++;
    cap++;
    v.lines = calloc(cap, sizeof *v.lines);
    v.index = calloc(cap, sizeof *v.index);
    v.doc = jcs_doc_new();
    if (!v.lines || !v.index || !v.doc) {
        snprintf(r->why, sizeof r->why, "out of memory");
        goto out;
    }
    bool sha_ni = ev_sha256_accelerated();
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        struct line *l = &v.lines[v.n_lines];
        l->p = buf + pos;
        l->len = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        l->complete = nl != NULL;
        ev_sha256(l->hash, l->p, l->len, sha_ni);
        memcpy(v.index[v.n_lines].hash, l->hash, 32);
        v.index[v.n_lines].line = v.n_lines;
        v.n_lines++;
        pos += l->len + (nl ? 1 : 0);
    }
    /* A last line with no newline is what a crash in the middle of a write
     * leaves (the supervisor writes whole lines, but a SIGKILL or a full
     * disk can stop a write part way): it is not an event, and the run it
     * would have extended is reported as cut off, never as sealed. Only the
     * start of an event line ('{') qualifies; anything else is a fault. */
    if (v.n_lines && !v.lines[v.n_lines - 1].complete) {
        const struct line *l = &v.lines[v.n_lines - 1];
        if (v.n_lines == 1 || l->len == 0 || l->p[0] != '{') {
            fail(&v, v.n_lines - 1, "truncated: %s",
                 v.n_lines == 1 ? "no complete event line (the only line has no newline)"
                                : "the last line does not end with a newline and is no event's beginning");
            goto out; /* rc is EV_VERIFY_BAD */
        }
        r->partial_line = v.n_lines;
        r->partial_bytes = l->len;
        v.n_lines--;
    }
    qsort(v.index, v.n_lines, sizeof *v.index, hash_cmp);

    for (size_t i = 0; i < v.n_lines; i++) {
        if (check_line(&v, i) < 0)
            goto out;
        r->lines++;
    }
    r->runs = calloc(v.n_runs ? v.n_runs : 1, sizeof *r->runs);
    if (!r->runs) {
        snprintf(r->why, sizeof r->why, "out of memory");
        goto out;
    }
    r->n_runs = v.n_runs;
    rc = EV_VERIFY_OK;
    for (size_t k = 0; k < v.n_runs; k++) {
        struct ev_verify_run *out = &r->runs[k];
        snprintf(out->source, sizeof out->source, "%s", v.runs[k].source);
        snprintf(out->sigkid, sizeof out->sigkid, "%s", v.runs[k].sigkid);
        snprintf(out->plandigest, sizeof out->plandigest, "%s", v.runs[k].plandigest);
        snprintf(out->runid, sizeof out->runid, "%s", v.runs[k].runid);
        out->events = v.runs[k].seq;
        out->first_line = v.runs[k].first_line + 1;
        out->last_line = v.runs[k].last_line + 1;
        out->sealed = v.runs[k].sealed;
        if (!out->sealed)
            rc = EV_VERIFY_UNSEALED;
    }
    if (r->partial_line) /* the write that was cut off belongs to a run that did not end */
        rc = EV_VERIFY_UNSEALED;
out:
    for (size_t k = 0; k < v.n_runs; k++) {
        free(v.runs[k].source);
        free(v.runs[k].subject);
    }
    free(v.runs);
    free(v.lines);
    free(v.index);
    jcs_doc_free(v.doc);
    jcs_buf_free(&v.buf);
    return rc;
}

/* ---- the command ------------------------------------------------------------------ */

static int read_input(const char *path, char **out, size_t *len, struct cell_error *e)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return cell_err_sys(e, errno, "%s: cannot open", path);
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        if (fd != STDIN_FILENO)
            close(fd);
        return cell_err(e, ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap > EV_VERIFY_MAX_INPUT) {
                free(buf);
                if (fd != STDIN_FILENO)
                    close(fd);
                return cell_err(e, 0, "%s: larger than %u bytes", path, EV_VERIFY_MAX_INPUT);
            }
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                if (fd != STDIN_FILENO)
                    close(fd);
                return cell_err(e, ENOMEM, "%s: out of memory", path);
            }
            buf = p;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            free(buf);
            if (fd != STDIN_FILENO)
                close(fd);
            return cell_err_sys(e, err, "%s: cannot read", path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (fd != STDIN_FILENO)
        close(fd);
    *out = buf;
    *len = n;
    return 0;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: cellrun verify EVENTS (--trust KEYS.json | --unsigned) [--plan PLAN] [--artifacts DIR]\n"
            "       [--quiet]\n"
            "  --artifacts DIR: the files exported to DIR/<cell id>/ match the stream's export events\n"
            "  EVENTS is a file or - for standard input.\n"
            "  exit 0: verified and sealed; 3: verified but not sealed (cut off); 1: anything else\n");
    return EV_VERIFY_BAD;
}

int cellrun_cmd_verify(int argc, char **argv)
{
    const char *events = NULL, *trust_path = NULL, *plan_path = NULL, *artifacts = NULL;
    bool allow_unsigned = false, quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--trust") || !strcmp(a, "--plan") || !strcmp(a, "--artifacts")) && i + 1 >= argc) {
            fprintf(stderr, "cellrun verify: %s needs an argument\n", a);
            return usage();
        }
        if (strcmp(a, "--trust") == 0 || strcmp(a, "--plan") == 0) {
            const char **dst = a[2] == 't' ? &trust_path : &plan_path;
            if (*dst) {
                fprintf(stderr, "cellrun verify: %s given twice\n", a);
                return EV_VERIFY_BAD;
            }
            *dst = argv[++i];
        } else if (strncmp(a, "--trust=", 8) == 0 && !trust_path) {
            trust_path = a + 8;
        } else if (strncmp(a, "--plan=", 7) == 0 && !plan_path) {
            plan_path = a + 7;
        } else if (strcmp(a, "--artifacts") == 0) {
            if (artifacts) {
                fprintf(stderr, "cellrun verify: --artifacts given twice\n");
                return EV_VERIFY_BAD;
            }
            artifacts = argv[++i];
        } else if (strcmp(a, "--unsigned") == 0) {
            allow_unsigned = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            return EV_VERIFY_BAD;
        } else if ((a[0] != '-' || strcmp(a, "-") == 0) && !events) {
            events = a;
        } else {
            fprintf(stderr, "cellrun verify: unexpected argument \"%s\"\n", a);
            return usage();
        }
    }
    if (!events)
        return usage();
    if (!trust_path == !allow_unsigned) {
        fprintf(stderr, "cellrun verify: give exactly one of --trust KEYS.json and --unsigned\n");
        return usage();
    }

    struct cell_error e = { 0 };
    struct ev_verify_opts o = { .allow_unsigned = allow_unsigned };
    struct ev_trust *trust = NULL;
    if (trust_path && ev_trust_load(trust_path, &trust, &e) < 0) {
        fprintf(stderr, "cellrun verify: %s\n", e.msg);
        return EV_VERIFY_BAD;
    }
    o.trust = trust;
    if (plan_path) {
        char *pb = NULL;
        size_t pl = 0;
        const struct cp_signature *trailer;
        if (read_input(plan_path, &pb, &pl, &e) < 0) {
            fprintf(stderr, "cellrun verify: %s\n", e.msg);
            ev_trust_free(trust);
            return EV_VERIFY_BAD;
        }
        int prc = plan_bytes_digest((const uint8_t *)pb, pl, o.plan_digest, &trailer, &e);
        free(pb);
        if (prc < 0) {
            cell_err_wrap(&e, "plan %s", plan_path);
            fprintf(stderr, "cellrun verify: %s\n", e.msg);
            ev_trust_free(trust);
            return EV_VERIFY_BAD;
        }
        o.has_plan = true;
    }
    char *buf;
    size_t len;
    if (read_input(events, &buf, &len, &e) < 0) {
        fprintf(stderr, "cellrun verify: %s\n", e.msg);
        ev_trust_free(trust);
        return EV_VERIFY_BAD;
    }
    struct ev_verify_result r;
    int rc = ev_verify_buffer(buf, len, &o, &r);
    if (rc != EV_VERIFY_BAD && artifacts) {
        size_t n_art = 0;
        char why[600];
        if (ev_verify_artifacts(buf, len, artifacts, &n_art, why, sizeof why) < 0) {
            fprintf(stderr, "cellrun verify: artifacts: %s\n", why);
            free(buf);
            ev_trust_free(trust);
            ev_verify_result_free(&r);
            return EV_VERIFY_BAD;
        }
        if (!quiet)
            printf("%s: %zu artifact(s) in %s match the stream\n", events, n_art, artifacts);
    }
    free(buf);
    ev_trust_free(trust);
    if (rc == EV_VERIFY_BAD) {
        if (r.bad_line)
            fprintf(stderr, "cellrun verify: %s:%zu: %s\n", events, r.bad_line, r.why);
        else
            fprintf(stderr, "cellrun verify: %s: %s\n", events, r.why);
        ev_verify_result_free(&r);
        return EV_VERIFY_BAD;
    }
    size_t total = 0;
    for (size_t k = 0; k < r.n_runs; k++)
        total += r.runs[k].events;
    for (size_t k = 0; k < r.n_runs && !quiet; k++) {
        const struct ev_verify_run *run = &r.runs[k];
        printf("%s: run %s%s%s%s (lines %zu-%zu): %llu events, %s, %s%s, plan %s\n", events, run->source,
               run->runid[0] && !strstr(run->source, run->runid) ? " [run " : "",
               run->runid[0] && !strstr(run->source, run->runid) ? run->runid : "",
               run->runid[0] && !strstr(run->source, run->runid) ? "]" : "", run->first_line, run->last_line,
               (unsigned long long)run->events, run->sealed ? "sealed" : "NOT SEALED (cut off)",
               run->sigkid[0] ? "signed by " : "unsigned", run->sigkid, run->plandigest);
    }
    if (r.partial_line)
        fprintf(stderr,
                "cellrun verify: %s:%zu: the last line is incomplete (%zu bytes, no newline): a write "
                "cut off by a crash; it is not counted\n",
                events, r.partial_line, r.partial_bytes);
    if (rc == EV_VERIFY_UNSEALED)
        fprintf(stderr,
                "cellrun verify: %s: verified %zu events in %zu run(s), but %s: the stream was cut "
                "off\n",
                events, total, r.n_runs, r.partial_line ? "it ends inside a line" : "a run is not sealed");
    else if (!quiet)
        printf("%s: verified: %zu run(s), %zu events, all sealed\n", events, r.n_runs, total);
    ev_verify_result_free(&r);
    return rc;
}
