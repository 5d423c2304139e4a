/*
 * supervisor_inputs.c - what the cell receives from the host at run time,
 * read by the supervisor before the cell is spawned: the values of the
 * plan's PASS environment variables, and secret values (env:NAME or
 * file:/abs/path refs; env:CELLOS_SECRET_<KEY> also through the upstream
 * file broker's CELLOS_SECRET_FILE_<KEY>). Secret values are kept in memory excluded from core
 * dumps, wiped when freed, and never written to events or messages.
 */
#include "supervisor.h"
#include "runtime/cell/cell_side.h"
#include "runtime/lib/error.h"
#include "plan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MAX (1u << 20) /* bytes of one secret */

static int read_secret_file(const char *path, const char *name, int oflags, struct cell_secret_value *v,
                            struct cell_error *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | oflags);
    if (fd < 0)
        return cell_err_sys(e, errno, "secrets: %s: cannot open %s", name, path);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SECRET_MAX) {
        close(fd);
        return cell_err(e, 0, "secrets: %s: %s is not a regular file of at most %u bytes", name, path,
                        SECRET_MAX);
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        return cell_err_sys(e, ENOMEM, "secrets: %s", name);
    }
    madvise(buf, (size_t)st.st_size + 1, MADV_DONTDUMP);
    size_t off = 0;
    while (off < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + off, (size_t)st.st_size - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    buf[off] = 0;
    v->value = buf;
    v->len = off;
    return 0;
}

/* The upstream CellOS file broker's convention (docs/cellos-documents.md):
 * a ref env:CELLOS_SECRET_<KEY> whose variable is unset takes its value
 * from the file named by CELLOS_SECRET_FILE_<KEY>, opened without
 * following a symlink, one trailing newline stripped. Both set is refused
 * (which one was meant?). Returns 1 when it read the value, 0 when the
 * convention does not apply, -1 on error. */
static int upstream_file_broker(const char *var, const char *env_value, const char *name,
                                struct cell_secret_value *v, struct cell_error *e)
{
    static const char prefix[] = "CELLOS_SECRET_";
    if (strncmp(var, prefix, sizeof prefix - 1) != 0)
        return 0;
    char file_var[300];
    if (snprintf(file_var, sizeof file_var, "CELLOS_SECRET_FILE_%s", var + sizeof prefix - 1) >=
        (int)sizeof file_var)
        return 0;
    const char *path = getenv(file_var);
    if (!path)
        return 0;
    if (env_value)
        return cell_err(e, 0, "secrets: %s: both %s and %s are set; set one", name, var, file_var);
    if (path[0] != '/')
        return cell_err(e, 0, "secrets: %s: %s must name an absolute path", name, file_var);
    if (read_secret_file(path, name, O_NOFOLLOW, v, e) < 0)
        return -1;
    if (v->len && ((char *)v->value)[v->len - 1] == '\n')
        ((char *)v->value)[--v->len] = 0;
    return 1;
}

int sup_inputs_read(const struct plan *p, struct sup_inputs *in, struct cell_error *e)
{
    memset(in, 0, sizeof *in);
    if (p->process.n_env) {
        in->pass_values = calloc(p->process.n_env, sizeof *in->pass_values);
        if (!in->pass_values)
            return cell_err_sys(e, ENOMEM, "env");
        for (size_t i = 0; i < p->process.n_env; i++)
            if (p->process.env[i].flags & CP_ENV_PASS)
                in->pass_values[i] = getenv(p->process.env[i].name);
    }
    if (p->secrets.n_items == 0)
        return 0;
    in->secrets = calloc(p->secrets.n_items, sizeof *in->secrets);
    if (!in->secrets)
        return cell_err_sys(e, ENOMEM, "secrets");
    in->n_secrets = p->secrets.n_items;
    for (size_t i = 0; i < p->secrets.n_items; i++) {
        const struct plan_secret *s = &p->secrets.items[i];
        if (strncmp(s->ref, "env:", 4) == 0) {
            const char *v = getenv(s->ref + 4);
            int rc = upstream_file_broker(s->ref + 4, v, s->name, &in->secrets[i], e);
            if (rc < 0)
                return -1;
            if (rc > 0)
                continue;
            if (!v)
                return cell_err(e, 0, "secrets: %s: the environment variable %s is not set", s->name,
                                s->ref + 4);
            char *copy = strdup(v);
            if (!copy)
                return cell_err_sys(e, ENOMEM, "secrets");
            in->secrets[i].value = copy;
            in->secrets[i].len = strlen(copy);
        } else if (strncmp(s->ref, "file:/", 6) == 0) {
            if (read_secret_file(s->ref + 5, s->name, 0, &in->secrets[i], e) < 0)
                return -1;
        } else {
            return cell_err(e, 0, "secrets: %s: unknown reference kind (want env:NAME or file:/path)",
                            s->name);
        }
    }
    return 0;
}

void sup_inputs_free(struct sup_inputs *in)
{
    for (size_t i = 0; i < in->n_secrets; i++) {
        char *v = (char *)in->secrets[i].value;
        if (v) {
            explicit_bzero(v, in->secrets[i].len);
            free(v);
        }
    }
    free(in->secrets);
    free(in->pass_values);
    memset(in, 0, sizeof *in);
}
