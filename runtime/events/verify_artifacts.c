/*
 * verify_artifacts.c - `cellrun verify EVENTS --artifacts DIR`: after the
 * stream verified, check the exported files against its export events.
 *
 * Every dev.cellos.events.cell.export.v2.completed event names a file
 * DIR/<data.cellid>/<data.name> that must be a regular file (no symlink
 * followed) of exactly data.size bytes whose SHA-256 is data.sha256; and
 * every file in such a DIR/<cellid>/ must be named by one of them (nothing
 * added). The names come from the stream and are checked before use (a
 * simple name, a UUID-like cell id), so they cannot point elsewhere.
 */
#include "verify.h"
#include "jcs.h"
#include "event_types.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool safe_name(const char *s, bool cellid)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
        if (!cellid)
            ok = ok || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return n >= 1 && n <= 64 && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* 0 when dir/cellid/name matches size and hex, else -1 with why. */
static int check_file(const char *dir, const char *cellid, const char *name, int64_t size, const char *hex,
                      char *why, size_t wn)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s/%s", dir, cellid, name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0) {
        snprintf(why, wn, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, wn, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    unsigned char buf[65536];
    int64_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(why, wn, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
        total += n;
    }
    close(fd);
    unsigned char md[crypto_hash_sha256_BYTES];
    char got[65];
    crypto_hash_sha256_final(&h, md);
    sodium_bin2hex(got, sizeof got, md, sizeof md);
    if (total != size) {
        snprintf(why, wn, "%s: %lld bytes, the stream says %lld", path, (long long)total, (long long)size);
        return -1;
    }
    if (strcmp(got, hex) != 0) {
        snprintf(why, wn, "%s: sha256 %s, the stream says %s", path, got, hex);
        return -1;
    }
    return 0;
}

static const struct jcs_value *get(const struct jcs_value *v, const char *key)
{
    return v && jcs_type_of(v) == JCS_OBJECT ? jcs_object_get(v, key) : NULL;
}

/* A string member without NUL bytes, or NULL. */
static const char *str(const struct jcs_value *v)
{
    size_t n;
    const char *s = v && jcs_type_of(v) == JCS_STRING ? jcs_get_string(v, &n) : NULL;
    return s && strlen(s) == n ? s : NULL;
}

struct seen_file {
    char cellid[65], name[65];
};

static bool listed(const struct seen_file *s, size_t n, const char *cellid, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(s[i].cellid, cellid) && !strcmp(s[i].name, name))
            return true;
    return false;
}

int ev_verify_artifacts(const char *buf, size_t len, const char *dir, size_t *n_ok, char *why, size_t wn)
{
    struct jcs_doc *d = jcs_doc_new();
    struct seen_file *seen = NULL;
    size_t n = 0, cap = 0;
    int rc = d ? 0 : -1;
    if (!d)
        snprintf(why, wn, "out of memory");
    for (size_t pos = 0; rc == 0 && pos < len;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        const char *line = buf + pos;
        pos += l + (nl ? 1 : 0);
        if (!l || !memmem(line, l, CELL_EV_EXPORT_COMPLETED, strlen(CELL_EV_EXPORT_COMPLETED)))
            continue;
        jcs_doc_reset(d);
        struct jcs_value *v;
        struct jcs_parse_error pe;
        if (jcs_parse(d, line, l, 64, &v, &pe) < 0)
            continue; /* verified already: cannot happen */
        if (!jcs_string_is(get(v, "type"), CELL_EV_EXPORT_COMPLETED))
            continue;
        const struct jcs_value *data = get(v, "data");
        const char *cellid = str(get(data, "cellid"));
        const char *name = str(get(data, "name"));
        const char *hex = str(get(data, "sha256"));
        const struct jcs_value *sz = get(data, "size");
        if (!cellid || !name || !hex || !sz || jcs_type_of(sz) != JCS_INT || !safe_name(cellid, true) ||
            !safe_name(name, false) || strlen(hex) != 64) {
            snprintf(why, wn, "an export event without a valid cellid, name, size and sha256");
            rc = -1;
            break;
        }
        if (check_file(dir, cellid, name, jcs_get_int(sz), hex, why, wn) < 0) {
            rc = -1;
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            struct seen_file *p = realloc(seen, cap * sizeof *seen);
            if (!p) {
                snprintf(why, wn, "out of memory");
                rc = -1;
                break;
            }
            seen = p;
        }
        snprintf(seen[n].cellid, sizeof seen[n].cellid, "%s", cellid);
        snprintf(seen[n].name, sizeof seen[n].name, "%s", name);
        n++;
    }
    /* nothing added next to them */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i > 0 && !strcmp(seen[i].cellid, seen[i - 1].cellid))
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, seen[i].cellid);
        DIR *dd = opendir(path);
        if (!dd) {
            snprintf(why, wn, "%s: %s", path, strerror(errno));
            rc = -1;
            break;
        }
        struct dirent *de;
        while ((de = readdir(dd)) != NULL) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            if (!listed(seen, n, seen[i].cellid, de->d_name)) {
                snprintf(why, wn, "%s/%s: not an artifact of the stream", path, de->d_name);
                rc = -1;
                break;
            }
        }
        closedir(dd);
    }
    free(seen);
    jcs_doc_free(d);
    *n_ok = n;
    return rc;
}
