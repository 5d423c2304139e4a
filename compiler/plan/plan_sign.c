/*
 * plan_sign.c - appending the Ed25519 signature trailer to a cell plan
 * (see plan_sign.h). Fail closed: the plan must pass plan_read() and the
 * key must load; a plan file is replaced atomically or not at all.
 */
#include "plan_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/events/keys.h"
#include "plan.h"
#include "runtime/events/sign_verify.h"
#include "runtime/lib/out_file.h"
#include "runtime/lib/sys_util.h"

int plan_sign_bytes(uint8_t **buf, size_t *len, const struct ev_key *key, struct cell_error *e)
{
    struct plan *p = NULL;
    struct plan_error pe;
    if (plan_read(*buf, *len, &p, &pe) < 0) {
        char msg[400];
        plan_error_format(&pe, "plan", msg, sizeof msg);
        return cell_err(e, 0, "refusing to sign an invalid plan: %s", msg);
    }
    char m[PLAN_DIGEST_STR_LEN + 1];
    plan_digest_string(p->digest, m);
    size_t covered = *len - (p->signed_plan ? sizeof(struct cp_signature) : 0);
    plan_free(p);

    struct cp_signature sig;
    memcpy(sig.magic, CP_SIG_MAGIC, 8);
    memcpy(sig.kid, key->kid, 32);
    if (dsse_sign(key, CP_SIG_PAYLOAD_TYPE, m, PLAN_DIGEST_STR_LEN, sig.sig, e) < 0)
        return -1;
    uint8_t *nb = malloc(covered + sizeof sig);
    if (!nb)
        return cell_err(e, ENOMEM, "signing: out of memory");
    memcpy(nb, *buf, covered);
    memcpy(nb + covered, &sig, sizeof sig);
    free(*buf);
    *buf = nb;
    *len = covered + sizeof sig;
    return 0;
}

int plan_sign_with_key_file(uint8_t **buf, size_t *len, const char *key_path, struct cell_error *e)
{
    struct ev_key key;
    if (ev_key_load(key_path, &key, e) < 0)
        return -1;
    int rc = plan_sign_bytes(buf, len, &key, e);
    ev_key_wipe(&key);
    return rc;
}

static int read_file(const char *path, uint8_t **out, size_t *len, mode_t *mode, struct cell_error *e)
{
    const size_t max = CP_MAX_PLAN_SIZE + sizeof(struct cp_signature);
    struct stat st;
    char *b;
    int er = sys_read_file(path, max, 0, &b, len, &st);
    if (er)
        return cell_err_sys(e, er, "%s: cannot read", path);
    if (!S_ISREG(st.st_mode) || *len > max) {
        free(b);
        return cell_err(e, 0, "%s: not a regular file of at most %u bytes", path, CP_MAX_PLAN_SIZE);
    }
    *out = (uint8_t *)b;
    *mode = st.st_mode & 07777;
    return 0;
}

int plan_sign_file(const char *path, const char *key_path, struct cell_error *e)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    mode_t mode = 0644;
    if (read_file(path, &buf, &len, &mode, e) < 0)
        return -1;
    if (plan_sign_with_key_file(&buf, &len, key_path, e) < 0) {
        free(buf);
        return cell_err_wrap(e, "%s", path);
    }
    /* the plan's own mode is kept; a device, fifo or symlink as the plan
     * path follows the rule of every output (runtime/lib/out_file.h) */
    const struct out_spec spec = { .how = OUT_REPLACE, .mode = mode, .flags = OUT_KEEP_MODE };
    int rc = out_write_whole(path, buf, len, &spec, e);
    free(buf);
    if (rc < 0)
        return cell_err_wrap(e, "cannot write the signed plan");
    return 0;
}

int cellc_cmd_sign(int argc, char **argv)
{
    const char *plan = NULL, *key = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--key") == 0 && i + 1 < argc && !key)
            key = argv[++i];
        else if (strncmp(argv[i], "--key=", 6) == 0 && !key)
            key = argv[i] + 6;
        else if (argv[i][0] != '-' && !plan)
            plan = argv[i];
        else {
            plan = NULL;
            break;
        }
    }
    if (!key)
        key = getenv("CELLOS_KEY");
    if (!plan || !key || !*key) {
        fprintf(stderr,
                "usage: cellc sign PLAN --key KEY   (KEY defaults to $CELLOS_KEY)\n"
                "  appends (or replaces) the plan's Ed25519 signature trailer\n");
        return 2;
    }
    struct cell_error e = { 0 };
    if (plan_sign_file(plan, key, &e) < 0) {
        fprintf(stderr, "cellc sign: %s\n", e.msg);
        return strstr(e.msg, "invalid plan") ? 1 : 2;
    }
    struct plan *p;
    struct plan_error pe;
    if (plan_read_file(plan, &p, &pe) < 0) {
        char msg[400];
        plan_error_format(&pe, plan, msg, sizeof msg);
        fprintf(stderr, "cellc sign: %s\n", msg);
        return 2;
    }
    char d[PLAN_DIGEST_STR_LEN + 1], kid[EV_KID_HEX_LEN + 1];
    plan_digest_string(p->digest, d);
    ev_kid_hex(p->signature.kid, kid);
    printf("%s: %s signed by %s\n", plan, d, kid);
    plan_free(p);
    return 0;
}
