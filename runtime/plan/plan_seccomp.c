/*
 * plan_seccomp.c - the plan's seccomp rules evaluated directly (see
 * plan_seccomp.h): the specification the generated BPF is tested against,
 * written as plainly as possible.
 */
#include "plan_seccomp.h"

#include <linux/seccomp.h>
#include <string.h>

#define RET_ENOSYS (SECCOMP_RET_ERRNO | 38u)

static bool in_set(const uint64_t *v, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] == x)
            return true;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool plan_sc_cond_holds(const struct plan *p, const struct plan_sc_cond *c, uint64_t arg)
{
    uint64_t x = c->width == 32 ? arg & 0xffffffffu : arg;
    switch (c->op) {
    case CP_SC_EQ: return x == c->value;
    case CP_SC_NE: return x != c->value;
    case CP_SC_LT: return x < c->value;
    case CP_SC_LE: return x <= c->value;
    case CP_SC_GT: return x > c->value;
    case CP_SC_GE: return x >= c->value;
    case CP_SC_MASKED_EQ: return (x & c->mask) == c->value;
    case CP_SC_IN:
    case CP_SC_NOT_IN: {
        bool found = in_set(&p->seccomp.values[c->set_first], c->set_count, x);
        return c->op == CP_SC_IN ? found : !found;
    }
    default: return false;
    }
}

uint32_t plan_sc_eval_rules(const struct plan *p, const char *name, const uint64_t args[6], int32_t *rule)
{
    bool named = false;
    if (rule)
        *rule = -1;
    for (size_t i = 0; i < p->seccomp.n_rules; i++) {
        const struct plan_sc_rule *r = &p->seccomp.rules[i];
        if (strcmp(r->syscall, name) != 0)
            continue;
        named = true;
        uint32_t k = 0;
        while (k < r->cond_count) {
            const struct plan_sc_cond *c = &p->seccomp.conds[r->cond_first + k];
            if (c->arg >= 6 || !plan_sc_cond_holds(p, c, args[c->arg]))
                break;
            k++;
        }
        if (k == r->cond_count) {
            if (rule)
                *rule = (int32_t)i;
            return r->action;
        }
    }
    if (!named && strcmp(name, "clone3") == 0)
        return RET_ENOSYS;
    return p->seccomp.default_action;
}
