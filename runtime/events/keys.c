/*
 * keys.c - loading, generating and writing Ed25519 keys, and trust files.
 *
 * Fail closed: a key file is used only when it is a regular file owned by
 * the caller, with no group or other permission bits, holding exactly the
 * documented single line whose seed derives a consistent key. Secrets pass
 * through as few buffers as possible and each is wiped (sodium_memzero)
 * before it is released. Files are opened O_CLOEXEC so no descriptor can
 * leak into a cell.
 */
#include "keys.h"
#include "runtime/lib/out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jcs.h"
#include "sign_codec.h"
#include "runtime/lib/sys_util.h"

#define KEY_FILE_MAX 512 /* a valid key file is 69 or 70 bytes */

struct ev_trust_entry {
    uint8_t kid[32];
    uint8_t pk[32];
};

struct ev_trust {
    size_t n;
    struct ev_trust_entry *e; /* sorted by kid */
};

int ev_crypto_init(struct cell_error *e)
{
    if (sodium_init() < 0)
        return cell_err(e, 0, "libsodium could not be initialised");
    return 0;
}

void ev_kid_of(const uint8_t pk[32], uint8_t kid[32])
{
    crypto_hash_sha256(kid, pk, 32);
}

void ev_kid_hex(const uint8_t kid[32], char out[EV_KID_HEX_LEN + 1])
{
    sc_hex_encode(kid, 32, out);
}

int ev_key_from_seed(const uint8_t seed[32], struct ev_key *key, struct cell_error *e)
{
    if (ev_crypto_init(e) < 0)
        return -1;
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
    if (crypto_sign_seed_keypair(key->pk, sk, seed) != 0) {
        sodium_memzero(sk, sizeof sk);
        return cell_err(e, 0, "cannot derive an Ed25519 key from the seed");
    }
    sodium_memzero(sk, sizeof sk);
    memmove(key->seed, seed, 32);
    ev_kid_of(key->pk, key->kid);
    return 0;
}

int ev_key_generate(struct ev_key *key, struct cell_error *e)
{
    if (ev_crypto_init(e) < 0)
        return -1;
    uint8_t seed[32];
    randombytes_buf(seed, sizeof seed);
    int rc = ev_key_from_seed(seed, key, e);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

void ev_key_wipe(struct ev_key *key)
{
    if (key)
        sodium_memzero(key, sizeof *key);
}

/* The seed of a key file's bytes; the caller wipes it. */
static int parse_seed(const char *text, size_t len, const char *name, uint8_t seed[32], struct cell_error *e)
{
    size_t plen = strlen(EV_KEY_FILE_PREFIX);
    if (len < plen || memcmp(text, EV_KEY_FILE_PREFIX, plen) != 0)
        return cell_err(e, 0, "key file %s: malformed: does not start with \"%s\"", name, EV_KEY_FILE_PREFIX);
    size_t body = len - plen;
    if (body > 0 && text[len - 1] == '\n')
        body--;
    if (body != SC_B64URL_LEN(32) || sc_b64url_decode(text + plen, body, seed, 32) < 0) {
        sodium_memzero(seed, 32);
        return cell_err(e, 0,
                        "key file %s: malformed: expected %d base64url characters of a "
                        "32-byte seed after the prefix, then at most a newline",
                        name, (int)SC_B64URL_LEN(32));
    }
    return 0;
}

int ev_key_parse(const char *text, size_t len, const char *name, struct ev_key *key, struct cell_error *e)
{
    uint8_t seed[32];
    int rc = parse_seed(text, len, name, seed, e);
    if (rc == 0)
        rc = ev_key_from_seed(seed, key, e);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

/* Read and check a key file (see ev_key_load) and parse it: the whole key,
 * or with seed_only just its seed (pk and kid left zero). */
static int key_file_load(const char *path, struct ev_key *key, bool seed_only, struct cell_error *e)
{
    memset(key, 0, sizeof *key);
    if (!path || !*path)
        return cell_err(e, 0, "no signing key given (use --key FILE, $CELLOS_KEY or --unsigned)");
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT)
            return cell_err(e, err, "key file %s: does not exist", path);
        return cell_err_sys(e, err, "key file %s: cannot be opened", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        close(fd);
        return cell_err_sys(e, err, "key file %s: cannot stat", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return cell_err(e, 0, "key file %s: not a regular file", path);
    }
    if (st.st_uid != geteuid()) {
        close(fd);
        return cell_err(e, 0, "key file %s: owned by uid %u, not by the caller (uid %u)", path,
                        (unsigned)st.st_uid, (unsigned)geteuid());
    }
    if (st.st_size > KEY_FILE_MAX) {
        close(fd);
        return cell_err(e, 0, "key file %s: malformed: %lld bytes is too large for a key file", path,
                        (long long)st.st_size);
    }
    char buf[KEY_FILE_MAX + 1];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            close(fd);
            sodium_memzero(buf, sizeof buf);
            return cell_err_sys(e, err, "key file %s: cannot be read", path);
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof buf)
            break;
    }
    close(fd);
    int rc;
    size_t plen = strlen(EV_KEY_FILE_PREFIX);
    if (len > KEY_FILE_MAX)
        rc = cell_err(e, 0, "key file %s: malformed: too large for a key file", path);
    else if (len < plen || memcmp(buf, EV_KEY_FILE_PREFIX, plen) != 0)
        /* checked before the mode: a public key or trust file is meant to
         * be readable, and "chmod 600 it" would be the wrong advice */
        rc = cell_err(e, 0,
                      "key file %s: malformed: not a secret key (it does not start with \"%s\"; %s): "
                      "give the NAME.key that `cellrun keygen NAME` wrote; NAME.pub and NAME.trust.json "
                      "are for verifiers",
                      path, EV_KEY_FILE_PREFIX,
                      len && buf[0] == '{' ? "a trust file?" : "a public key (.pub)?");
    else if (st.st_mode & 077)
        rc = cell_err(e, 0, "key file %s: mode %04o lets group or others access it (chmod 600 it)", path,
                      (unsigned)(st.st_mode & 07777));
    else if (seed_only)
        rc = parse_seed(buf, len, path, key->seed, e);
    else
        rc = ev_key_parse(buf, len, path, key, e);
    sodium_memzero(buf, sizeof buf);
    if (rc < 0)
        ev_key_wipe(key);
    return rc;
}

int ev_key_load(const char *path, struct ev_key *key, struct cell_error *e)
{
    return key_file_load(path, key, false, e);
}

int ev_key_load_seed(const char *path, struct ev_key *key, struct cell_error *e)
{
    return key_file_load(path, key, true, e);
}

/* ---- writing keys ------------------------------------------------------------ */

/* A new file (never over one, never through a link), written whole under a
 * temporary name and linked in: runtime/lib/out_file.h. The secret key only
 * as a regular file of mode 0600. */
static int create_file(const char *path, mode_t mode, const char *text, size_t len, struct cell_error *e)
{
    const struct out_spec spec = { .how = OUT_CREATE, .mode = mode, .flags = mode == 0600 ? OUT_SECRET : 0 };
    return out_write_whole(path, text, len, &spec, e);
}

char *ev_trust_text_for(const uint8_t pk[32])
{
    uint8_t kid[32];
    char kidhex[EV_KID_HEX_LEN + 1], pk64[SC_B64URL_LEN(32) + 1];
    ev_kid_of(pk, kid);
    ev_kid_hex(kid, kidhex);
    sc_b64url_encode(pk, 32, pk64);
    char *out = NULL;
    if (asprintf(&out, "{\"%s\":\"%s\"}\n", kidhex, pk64) < 0)
        return NULL;
    return out;
}

int ev_key_write_files(const char *prefix, const struct ev_key *key, struct cell_error *e)
{
    if (!prefix || !*prefix)
        return cell_err(e, 0, "keygen: empty PREFIX");
    if (strlen(prefix) > PATH_MAX - 16)
        return cell_err(e, 0, "keygen: PREFIX is too long");
    char paths[3][PATH_MAX];
    const char *suffix[3] = { ".key", ".pub", ".trust.json" };
    for (int i = 0; i < 3; i++) {
        snprintf(paths[i], sizeof paths[i], "%s%s", prefix, suffix[i]);
        struct stat st;
        if (lstat(paths[i], &st) == 0)
            return cell_err(e, EEXIST, "%s: already exists; refusing to overwrite it", paths[i]);
    }

    char secret[sizeof EV_KEY_FILE_PREFIX + SC_B64URL_LEN(32) + 2];
    size_t plen = strlen(EV_KEY_FILE_PREFIX);
    memcpy(secret, EV_KEY_FILE_PREFIX, plen);
    size_t n = plen + sc_b64url_encode(key->seed, 32, secret + plen);
    secret[n++] = '\n';
    int rc = create_file(paths[0], 0600, secret, n, e);
    sodium_memzero(secret, sizeof secret);
    if (rc < 0)
        return -1;

    char pub[SC_B64URL_LEN(32) + 2];
    size_t pn = sc_b64url_encode(key->pk, 32, pub);
    pub[pn++] = '\n';
    if (create_file(paths[1], 0644, pub, pn, e) < 0) {
        unlink(paths[0]);
        return -1;
    }
    char *trust = ev_trust_text_for(key->pk);
    if (!trust) {
        unlink(paths[0]);
        unlink(paths[1]);
        return cell_err(e, ENOMEM, "keygen: out of memory");
    }
    rc = create_file(paths[2], 0644, trust, strlen(trust), e);
    free(trust);
    if (rc < 0) {
        unlink(paths[0]);
        unlink(paths[1]);
        return -1;
    }
    return 0;
}

/* ---- trust files ------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
    return memcmp(((const struct ev_trust_entry *)a)->kid, ((const struct ev_trust_entry *)b)->kid, 32);
}

int ev_trust_parse(const char *text, size_t len, const char *name, struct ev_trust **out,
                   struct cell_error *e)
{
    *out = NULL;
    if (ev_crypto_init(e) < 0)
        return -1;
    if (len > EV_TRUST_MAX_SIZE)
        return cell_err(e, 0, "trust file %s: larger than %d bytes", name, EV_TRUST_MAX_SIZE);
    struct jcs_doc *d = jcs_doc_new();
    if (!d)
        return cell_err(e, ENOMEM, "trust file %s: out of memory", name);
    struct jcs_value *root;
    struct jcs_parse_error pe;
    if (jcs_parse(d, text, len, 4, &root, &pe) < 0) {
        jcs_doc_free(d);
        return cell_err(e, 0, "trust file %s: byte %zu: %s", name, pe.offset, pe.e.msg);
    }
    if (jcs_type_of(root) != JCS_OBJECT) {
        jcs_doc_free(d);
        return cell_err(e, 0, "trust file %s: not a JSON object mapping kid to public key", name);
    }
    size_t n = jcs_object_len(root);
    if (n == 0 || n > EV_TRUST_MAX_KEYS) {
        jcs_doc_free(d);
        return cell_err(e, 0, "trust file %s: %s", name, n ? "too many keys" : "holds no keys");
    }
    struct ev_trust *t = calloc(1, sizeof *t);
    struct ev_trust_entry *ents = calloc(n, sizeof *ents);
    if (!t || !ents) {
        free(t);
        free(ents);
        jcs_doc_free(d);
        return cell_err(e, ENOMEM, "trust file %s: out of memory", name);
    }
    for (size_t i = 0; i < n; i++) {
        const char *k;
        size_t klen, vlen;
        const struct jcs_value *v = jcs_object_at(root, i, &k, &klen);
        const char *s = jcs_get_string(v, &vlen);
        uint8_t kid[32];
        const char *why = NULL;
        if (sc_hex_decode(k, klen, ents[i].kid, 32) < 0)
            why = "is not a kid (64 lowercase hex digits)";
        else if (!s || sc_b64url_decode(s, vlen, ents[i].pk, 32) < 0)
            why = "maps to something other than a base64url (unpadded) 32-byte public key";
        else {
            ev_kid_of(ents[i].pk, kid);
            if (memcmp(kid, ents[i].kid, 32) != 0)
                why = "does not match its public key (kid must be SHA-256 of the key)";
        }
        if (why) {
            cell_err(e, 0, "trust file %s: key \"%.*s\" %s", name, (int)(klen > 64 ? 64 : klen), k, why);
            free(ents);
            free(t);
            jcs_doc_free(d);
            return -1;
        }
    }
    jcs_doc_free(d);
    qsort(ents, n, sizeof *ents, entry_cmp);
    t->n = n;
    t->e = ents;
    *out = t;
    return 0;
}

int ev_trust_load(const char *path, struct ev_trust **out, struct cell_error *e)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT)
            return cell_err(e, err, "trust file %s: does not exist", path);
        return cell_err_sys(e, err, "trust file %s: cannot be opened", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        close(fd);
        return cell_err_sys(e, err, "trust file %s: cannot stat", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return cell_err(e, 0, "trust file %s: not a regular file", path);
    }
    if (st.st_mode & S_IWOTH) {
        close(fd);
        return cell_err(e, 0, "trust file %s: world-writable (mode %04o); anyone could add a key", path,
                        (unsigned)(st.st_mode & 07777));
    }
    if (st.st_size > EV_TRUST_MAX_SIZE) {
        close(fd);
        return cell_err(e, 0, "trust file %s: larger than %d bytes", path, EV_TRUST_MAX_SIZE);
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return cell_err(e, ENOMEM, "trust file %s: out of memory", path);
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            free(buf);
            close(fd);
            return cell_err_sys(e, err, "trust file %s: cannot be read", path);
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == cap) {
            free(buf);
            close(fd);
            return cell_err(e, 0, "trust file %s: changed while being read", path);
        }
    }
    close(fd);
    int rc;
    size_t plen = strlen(EV_KEY_FILE_PREFIX);
    size_t lead = 0;
    while (lead < len && (buf[lead] == ' ' || buf[lead] == '\t' || buf[lead] == '\n' || buf[lead] == '\r'))
        lead++;
    if (len >= plen && memcmp(buf, EV_KEY_FILE_PREFIX, plen) == 0)
        rc = cell_err(e, 0,
                      "trust file %s: this is a secret signing key (NAME.key), not a trust file: pass the "
                      "NAME.trust.json that `cellrun keygen NAME` wrote (and keep the .key private)",
                      path);
    else if (lead < len && buf[lead] != '{')
        rc = cell_err(e, 0,
                      "trust file %s: not a JSON object of key ids (a public key?): pass the "
                      "NAME.trust.json that `cellrun keygen NAME` wrote",
                      path);
    else
        rc = ev_trust_parse(buf, len, path, out, e);
    free(buf);
    return rc;
}

const uint8_t *ev_trust_lookup(const struct ev_trust *t, const uint8_t kid[32])
{
    if (!t)
        return NULL;
    struct ev_trust_entry key;
    memcpy(key.kid, kid, 32);
    const struct ev_trust_entry *hit = bsearch(&key, t->e, t->n, sizeof *t->e, entry_cmp);
    return hit ? hit->pk : NULL;
}

size_t ev_trust_count(const struct ev_trust *t)
{
    return t ? t->n : 0;
}

void ev_trust_free(struct ev_trust *t)
{
    if (!t)
        return;
    free(t->e);
    free(t);
}
