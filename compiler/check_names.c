/*
 * check_names.c - errno, signal, capability and rlimit names (see
 * check_names.h). The errno table was generated with glibc's
 * strerrorname_np() for 1..133 plus the aliases EWOULDBLOCK, EDEADLOCK and
 * ENOTSUP; the capability table from <linux/capability.h> (0..40).
 */
#include "check_names.h"
#include "runtime/plan/plan_caps.h"

#include <stdlib.h>
#include <string.h>

struct name_num {
    const char *name;
    uint32_t num;
};
static const struct name_num errno_names[] = {
    { "E2BIG", 7 },
    { "EACCES", 13 },
    { "EADDRINUSE", 98 },
    { "EADDRNOTAVAIL", 99 },
    { "EADV", 68 },
    { "EAFNOSUPPORT", 97 },
    { "EAGAIN", 11 },
    { "EALREADY", 114 },
    { "EBADE", 52 },
    { "EBADF", 9 },
    { "EBADFD", 77 },
    { "EBADMSG", 74 },
    { "EBADR", 53 },
    { "EBADRQC", 56 },
    { "EBADSLT", 57 },
    { "EBFONT", 59 },
    { "EBUSY", 16 },
    { "ECANCELED", 125 },
    { "ECHILD", 10 },
    { "ECHRNG", 44 },
    { "ECOMM", 70 },
    { "ECONNABORTED", 103 },
    { "ECONNREFUSED", 111 },
    { "ECONNRESET", 104 },
    { "EDEADLK", 35 },
    { "EDEADLOCK", 35 },
    { "EDESTADDRREQ", 89 },
    { "EDOM", 33 },
    { "EDOTDOT", 73 },
    { "EDQUOT", 122 },
    { "EEXIST", 17 },
    { "EFAULT", 14 },
    { "EFBIG", 27 },
    { "EHOSTDOWN", 112 },
    { "EHOSTUNREACH", 113 },
    { "EHWPOISON", 133 },
    { "EIDRM", 43 },
    { "EILSEQ", 84 },
    { "EINPROGRESS", 115 },
    { "EINTR", 4 },
    { "EINVAL", 22 },
    { "EIO", 5 },
    { "EISCONN", 106 },
    { "EISDIR", 21 },
    { "EISNAM", 120 },
    { "EKEYEXPIRED", 127 },
    { "EKEYREJECTED", 129 },
    { "EKEYREVOKED", 128 },
    { "EL2HLT", 51 },
    { "EL2NSYNC", 45 },
    { "EL3HLT", 46 },
    { "EL3RST", 47 },
    { "ELIBACC", 79 },
    { "ELIBBAD", 80 },
    { "ELIBEXEC", 83 },
    { "ELIBMAX", 82 },
    { "ELIBSCN", 81 },
    { "ELNRNG", 48 },
    { "ELOOP", 40 },
    { "EMEDIUMTYPE", 124 },
    { "EMFILE", 24 },
    { "EMLINK", 31 },
    { "EMSGSIZE", 90 },
    { "EMULTIHOP", 72 },
    { "ENAMETOOLONG", 36 },
    { "ENAVAIL", 119 },
    { "ENETDOWN", 100 },
    { "ENETRESET", 102 },
    { "ENETUNREACH", 101 },
    { "ENFILE", 23 },
    { "ENOANO", 55 },
    { "ENOBUFS", 105 },
    { "ENOCSI", 50 },
    { "ENODATA", 61 },
    { "ENODEV", 19 },
    { "ENOENT", 2 },
    { "ENOEXEC", 8 },
    { "ENOKEY", 126 },
    { "ENOLCK", 37 },
    { "ENOLINK", 67 },
    { "ENOMEDIUM", 123 },
    { "ENOMEM", 12 },
    { "ENOMSG", 42 },
    { "ENONET", 64 },
    { "ENOPKG", 65 },
    { "ENOPROTOOPT", 92 },
    { "ENOSPC", 28 },
    { "ENOSR", 63 },
    { "ENOSTR", 60 },
    { "ENOSYS", 38 },
    { "ENOTBLK", 15 },
    { "ENOTCONN", 107 },
    { "ENOTDIR", 20 },
    { "ENOTEMPTY", 39 },
    { "ENOTNAM", 118 },
    { "ENOTRECOVERABLE", 131 },
    { "ENOTSOCK", 88 },
    { "ENOTSUP", 95 },
    { "ENOTTY", 25 },
    { "ENOTUNIQ", 76 },
    { "ENXIO", 6 },
    { "EOPNOTSUPP", 95 },
    { "EOVERFLOW", 75 },
    { "EOWNERDEAD", 130 },
    { "EPERM", 1 },
    { "EPFNOSUPPORT", 96 },
    { "EPIPE", 32 },
    { "EPROTO", 71 },
    { "EPROTONOSUPPORT", 93 },
    { "EPROTOTYPE", 91 },
    { "ERANGE", 34 },
    { "EREMCHG", 78 },
    { "EREMOTE", 66 },
    { "EREMOTEIO", 121 },
    { "ERESTART", 85 },
    { "ERFKILL", 132 },
    { "EROFS", 30 },
    { "ESHUTDOWN", 108 },
    { "ESOCKTNOSUPPORT", 94 },
    { "ESPIPE", 29 },
    { "ESRCH", 3 },
    { "ESRMNT", 69 },
    { "ESTALE", 116 },
    { "ESTRPIPE", 86 },
    { "ETIME", 62 },
    { "ETIMEDOUT", 110 },
    { "ETOOMANYREFS", 109 },
    { "ETXTBSY", 26 },
    { "EUCLEAN", 117 },
    { "EUNATCH", 49 },
    { "EUSERS", 87 },
    { "EWOULDBLOCK", 11 },
    { "EXDEV", 18 },
    { "EXFULL", 54 },
};


static const struct name_num signal_names[] = {
    { "SIGABRT", 6 },   { "SIGALRM", 14 }, { "SIGBUS", 7 },   { "SIGCHLD", 17 },   { "SIGCONT", 18 },
    { "SIGFPE", 8 },    { "SIGHUP", 1 },   { "SIGILL", 4 },   { "SIGINT", 2 },     { "SIGIO", 29 },
    { "SIGIOT", 6 },    { "SIGKILL", 9 },  { "SIGPIPE", 13 }, { "SIGPOLL", 29 },   { "SIGPROF", 27 },
    { "SIGPWR", 30 },   { "SIGQUIT", 3 },  { "SIGSEGV", 11 }, { "SIGSTKFLT", 16 }, { "SIGSTOP", 19 },
    { "SIGSYS", 31 },   { "SIGTERM", 15 }, { "SIGTRAP", 5 },  { "SIGTSTP", 20 },   { "SIGTTIN", 21 },
    { "SIGTTOU", 22 },  { "SIGURG", 23 },  { "SIGUSR1", 10 }, { "SIGUSR2", 12 },   { "SIGVTALRM", 26 },
    { "SIGWINCH", 28 }, { "SIGXCPU", 24 }, { "SIGXFSZ", 25 },
};

static int nn_cmp(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const struct name_num *)e)->name);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

bool errno_lookup(const char *name, uint32_t *num)
{
    const struct name_num *e = bsearch(name, errno_names, N(errno_names), sizeof errno_names[0], nn_cmp);
    if (e)
        *num = e->num;
    return e != NULL;
}

const char *errno_name(uint32_t num)
{
    for (size_t i = 0; i < N(errno_names); i++)
        if (errno_names[i].num == num)
            return errno_names[i].name;
    return NULL;
}

bool signal_lookup(const char *name, uint32_t *num)
{
    const struct name_num *e = bsearch(name, signal_names, N(signal_names), sizeof signal_names[0], nn_cmp);
    if (e)
        *num = e->num;
    return e != NULL;
}

bool cap_lookup(const char *name, uint32_t *num, const char **why)
{
    const struct plan_cap_info *c = plan_cap_by_name(name);
    if (!c)
        return false;
    *num = c->bit;
    *why = c->why;
    return true;
}

/* Levenshtein distance, capped: returns > cap as soon as it must be. */
static size_t edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return cap + 1;
    if ((la > lb ? la - lb : lb - la) > cap)
        return cap + 1;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        size_t rowmin = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            char x = a[i - 1], y = b[j - 1];
            if (x >= 'a' && x <= 'z')
                x = (char)(x - 32);
            if (y >= 'a' && y <= 'z')
                y = (char)(y - 32);
            size_t c = prev[j - 1] + (x != y);
            if (prev[j] + 1 < c)
                c = prev[j] + 1;
            if (cur[j - 1] + 1 < c)
                c = cur[j - 1] + 1;
            cur[j] = c;
            if (c < rowmin)
                rowmin = c;
        }
        if (rowmin > cap)
            return cap + 1;
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

const char *suggest_name(const char *word, size_t n, const char *(*get)(size_t i, const void *ctx),
                         const void *ctx)
{
    size_t len = strlen(word);
    size_t cap = len / 2 < 2 ? len / 2 : 2;
    const char *best = NULL;
    size_t bestd = cap + 1;
    if (cap == 0 && len < 4)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *c = get(i, ctx);
        if (!c)
            break;
        size_t d = edit_distance(word, c, cap);
        if (d < bestd) {
            bestd = d;
            best = c;
        }
    }
    if (best || len < 4)
        return best;
    /* a unique candidate that starts with the word: CAP_NET_BIND -> CAP_NET_BIND_SERVICE */
    for (size_t i = 0; i < n; i++) {
        const char *c = get(i, ctx);
        if (!c)
            break;
        if (strncmp(c, word, len) == 0) {
            if (best)
                return NULL;
            best = c;
        }
    }
    return best;
}

static const char *get_errno(size_t i, const void *ctx)
{
    (void)ctx;
    return errno_names[i].name;
}

static const char *get_cap(size_t i, const void *ctx)
{
    (void)ctx;
    return plan_cap_at(i)->name;
}

const char *suggest_errno(const char *word)
{
    return suggest_name(word, N(errno_names), get_errno, NULL);
}

const char *suggest_cap(const char *word)
{
    return suggest_name(word, plan_cap_count(), get_cap, NULL);
}
