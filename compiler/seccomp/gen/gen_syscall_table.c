/*
 * gen_syscall_table.c - write compiler/seccomp/syscall_table_data.c.
 *
 *   gen_syscall_table MAN_PROTOS KERNEL_PROTOS > compiler/seccomp/syscall_table_data.c
 *   gen_syscall_table --names                  (the syscall names, one a line)
 *
 * Names and numbers come from the libseccomp this program is linked with
 * (every number 0..SC_GEN_NR_SCAN of x86_64 and aarch64); argument names and
 * types come from the prototype files: KERNEL_PROTOS (hand-written, kernel
 * side) wins over MAN_PROTOS (extracted from the man pages by
 * extract_protos.py). A syscall without a prototype, an argument type this
 * program cannot size, or more than six arguments is an error: the table is
 * complete or it is not written. The output is deterministic (sorted by name)
 * and is checked in, so a plan never depends on the compiling machine's
 * libseccomp. Run through `make syscall-table`.
 */
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SC_GEN_NR_SCAN 1024
#define MAX_NAMES 1024

struct arg { char name[64]; char type[128]; int width; };
struct entry {
    char name[64];
    int nr[2];
    int nargs;
    struct arg args[6];
    const char *source;
};

static struct entry entries[MAX_NAMES];
static int n_entries;

static const uint32_t arch_tokens[2] = { SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64 };

static struct entry *find_entry(const char *name)
{
    for (int i = 0; i < n_entries; i++)
        if (strcmp(entries[i].name, name) == 0)
            return &entries[i];
    return NULL;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    size_t i = 0;
    while (isspace((unsigned char)s[i]))
        i++;
    memmove(s, s + i, strlen(s + i) + 1);
}

/* Width in bits the kernel interprets for a (pointer-free) type, or 0. */
static int type_width(const char *type)
{
    static const char *const w32[] = {
        "int", "unsigned int", "unsigned", "signed int", "uint32_t", "int32_t",
        "pid_t", "uid_t", "gid_t", "mode_t", "umode_t", "clockid_t", "timer_t",
        "key_serial_t", "key_t", "mqd_t", "idtype_t", "id_t", "socklen_t",
        "qid_t", "rwf_t", "dev_t", "enum landlock_rule_type",
        "enum __ptrace_request", NULL
    };
    static const char *const w64[] = {
        "long", "unsigned long", "size_t", "ssize_t", "off_t", "loff_t",
        "off64_t", "uint64_t", "aio_context_t", "cap_user_header_t",
        "cap_user_data_t", "nfds_t", "caddr_t", NULL
    };
    char t[128];
    snprintf(t, sizeof t, "%s", type);
    /* drop qualifiers */
    for (;;) {
        if (strncmp(t, "const ", 6) == 0)
            memmove(t, t + 6, strlen(t + 6) + 1);
        else if (strncmp(t, "volatile ", 9) == 0)
            memmove(t, t + 9, strlen(t + 9) + 1);
        else
            break;
    }
    trim(t);
    for (int i = 0; w32[i]; i++)
        if (strcmp(t, w32[i]) == 0)
            return 32;
    for (int i = 0; w64[i]; i++)
        if (strcmp(t, w64[i]) == 0)
            return 64;
    return 0;
}

/* Parse "TYPE NAME, TYPE NAME" into e->args. Returns 0 or -1 (message printed). */
static int parse_args(struct entry *e, const char *list, const char *file, int line)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    trim(buf);
    e->nargs = 0;
    if (strcmp(buf, "void") == 0)
        return 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char a[256];
        snprintf(a, sizeof a, "%s", tok);
        trim(a);
        if (e->nargs == 6) {
            fprintf(stderr, "%s:%d: %s: more than 6 arguments\n", file, line, e->name);
            return -1;
        }
        int pointer = 0;
        char *br = strchr(a, '[');
        if (br) {
            pointer = 1;
            *br = 0;
            trim(a);
        }
        /* the name is the last identifier */
        size_t n = strlen(a);
        size_t end = n;
        while (end && !(isalnum((unsigned char)a[end - 1]) || a[end - 1] == '_'))
            end--;
        size_t start = end;
        while (start && (isalnum((unsigned char)a[start - 1]) || a[start - 1] == '_'))
            start--;
        if (start == end || start == 0) {
            fprintf(stderr, "%s:%d: %s: cannot split argument '%s'\n", file, line, e->name, a);
            return -1;
        }
        struct arg *g = &e->args[e->nargs];
        snprintf(g->name, sizeof g->name, "%.*s", (int)(end - start), a + start);
        snprintf(g->type, sizeof g->type, "%.*s", (int)start, a);
        trim(g->type);
        /* "restrict" may sit between the star and the name */
        size_t tl = strlen(g->type);
        if (tl >= 8 && strcmp(g->type + tl - 8, "restrict") == 0) {
            g->type[tl - 8] = 0;
            trim(g->type);
        }
        if (strchr(g->type, '*') || pointer) {
            g->width = 64;
        } else {
            g->width = type_width(g->type);
            if (!g->width) {
                fprintf(stderr, "%s:%d: %s: argument '%s': unknown type '%s' (size it in type_width)\n",
                        file, line, e->name, g->name, g->type);
                return -1;
            }
        }
        e->nargs++;
    }
    for (int i = 0; i < e->nargs; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(e->args[i].name, e->args[j].name) == 0) {
                fprintf(stderr, "%s:%d: %s: argument name '%s' twice\n", file, line, e->name,
                        e->args[i].name);
                return -1;
            }
    return 0;
}

/* Apply every prototype line of `path` to known entries. */
static int load_protos(const char *path, const char *tag)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        trim(line);
        if (!line[0] || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (!tab) {
            fprintf(stderr, "%s:%d: expected NAME<TAB>ARGS\n", path, lineno);
            rc = -1;
            continue;
        }
        *tab = 0;
        struct entry *e = find_entry(line);
        if (!e)
            continue;   /* a name neither arch has: nothing to describe */
        const char *args = tab + 1;
        if (strcmp(args, "?") == 0)
            continue;   /* the man page had nothing; the kernel file must */
        if (parse_args(e, args, path, lineno) < 0)
            rc = -1;
        e->source = tag;
    }
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    for (int a = 0; a < 2; a++) {
        for (int nr = 0; nr < SC_GEN_NR_SCAN; nr++) {
            char *name = seccomp_syscall_resolve_num_arch(arch_tokens[a], nr);
            if (!name)
                continue;
            struct entry *e = find_entry(name);
            if (!e) {
                if (n_entries == MAX_NAMES) {
                    fprintf(stderr, "too many syscalls\n");
                    return 1;
                }
                e = &entries[n_entries++];
                snprintf(e->name, sizeof e->name, "%s", name);
                e->nr[0] = e->nr[1] = -1;
            }
            e->nr[a] = nr;
            free(name);
        }
    }
    qsort(entries, (size_t)n_entries, sizeof entries[0], cmp_entry);

    if (argc == 2 && strcmp(argv[1], "--names") == 0) {
        for (int i = 0; i < n_entries; i++)
            printf("%s\n", entries[i].name);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s MAN_PROTOS KERNEL_PROTOS > syscall_table_data.c | --names\n", argv[0]);
        return 2;
    }
    if (load_protos(argv[1], "man") < 0 || load_protos(argv[2], "kernel") < 0)
        return 1;
    int missing = 0;
    for (int i = 0; i < n_entries; i++)
        if (!entries[i].source) {
            fprintf(stderr, "%s: no prototype in either file\n", entries[i].name);
            missing = 1;
        }
    if (missing)
        return 1;

    const struct scmp_version *v = seccomp_version();
    int max_nr[2] = { -1, -1 };
    for (int i = 0; i < n_entries; i++)
        for (int a = 0; a < 2; a++)
            if (entries[i].nr[a] > max_nr[a])
                max_nr[a] = entries[i].nr[a];

    printf("/*\n * syscall_table_data.c - GENERATED by compiler/seccomp/gen/gen_syscall_table.c\n"
           " * (`make syscall-table`); do not edit. Names and numbers: libseccomp %u.%u.%u\n"
           " * (x86_64, aarch64); arguments: compiler/seccomp/gen/syscall_protos_kernel.txt over\n"
           " * compiler/seccomp/gen/syscall_protos_man.txt. %d syscalls, sorted by name.\n */\n",
           v->major, v->minor, v->micro, n_entries);
    printf("#include \"syscall_table_data.h\"\n\n");
    printf("const struct sc_syscall sc_table_data[] = {\n");
    for (int i = 0; i < n_entries; i++) {
        const struct entry *e = &entries[i];
        printf("    { \"%s\", { %d, %d }, %d, {", e->name, e->nr[0], e->nr[1], e->nargs);
        for (int k = 0; k < e->nargs; k++)
            printf("%s{ \"%s\", %d }", k ? ", " : " ", e->args[k].name, e->args[k].width);
        printf("%s} },  /* %s */\n", e->nargs ? " " : "", e->source);
    }
    printf("};\n\nconst size_t sc_table_count = %d;\n\n", n_entries);
    const char *an[2] = { "x86_64", "aarch64" };
    for (int a = 0; a < 2; a++) {
        printf("static const int16_t nr_index_%s[%d] = {", an[a], max_nr[a] + 1);
        for (int nr = 0; nr <= max_nr[a]; nr++) {
            int idx = -1;
            for (int i = 0; i < n_entries; i++)
                if (entries[i].nr[a] == nr)
                    idx = i;
            printf("%s%d,", nr % 16 ? " " : "\n    ", idx);
        }
        printf("\n};\n\n");
    }
    printf("const int16_t *const sc_nr_index[SC_ARCH_COUNT] = { nr_index_x86_64, nr_index_aarch64 };\n");
    printf("const int sc_nr_limit[SC_ARCH_COUNT] = { %d, %d };\n", max_nr[0] + 1, max_nr[1] + 1);

    /* The compat ABIs an x86_64 filter may admit (CP_SC_ALLOW_X32 / _I386):
     * every number libseccomp knows, with the table index of the same name
     * (-1 when no rule can name it). */
    const struct { const char *var; uint32_t arch; uint32_t bit; } compat[2] = {
        { "sc_compat_x32", SCMP_ARCH_X32, 0x40000000u },
        { "sc_compat_i386", SCMP_ARCH_X86, 0 },
    };
    for (int c = 0; c < 2; c++) {
        int count = 0;
        printf("\nconst struct sc_compat_nr %s[] = {\n", compat[c].var);
        for (int nr = 0; nr < SC_GEN_NR_SCAN; nr++) {
            char *name = seccomp_syscall_resolve_num_arch(compat[c].arch, (int)((uint32_t)nr | compat[c].bit));
            if (!name)
                continue;
            int idx = -1;
            for (int i = 0; i < n_entries; i++)
                if (strcmp(entries[i].name, name) == 0)
                    idx = i;
            printf("    { 0x%xu, %d },  /* %s */\n", (uint32_t)nr | compat[c].bit, idx, name);
            count++;
            free(name);
        }
        printf("};\nconst size_t %s_count = %d;\n", compat[c].var, count);
    }
    return 0;
}
