/*
 * doc_admit.c - PolicyPack admission of an ExecutionCell (see doc_emit.h).
 *
 * Every rule is checked and every violation reported, each at the cell's
 * field (or at spec when the field is missing) with a note at the pack's
 * rule. Fail closed: a maximum is broken by a missing value as well (no
 * limit is more than any maximum), as for our pack ceilings.
 */
#include "doc_emit.h"

#include <string.h>

static const char *qs(char *buf, size_t n, const char *s)
{
    return diag_quote(buf, n, s, strlen(s));
}

static bool host_allowed(const char *h, const struct doc_pack *p)
{
    for (size_t i = 0; i < p->n_allowed_hosts; i++) {
        const char *a = p->allowed_hosts[i].s;
        if (!strncmp(a, "*.", 2)) {
            size_t hl = strlen(h), sl = strlen(a + 1);
            if (hl > sl && !strcmp(h + hl - sl, a + 1))
                return true;
        } else if (!strcmp(a, h))
            return true;
    }
    return false;
}

static size_t max_rule(struct diag *d, const struct doc_int *have, struct loc missing_at, const char *field,
                       const struct doc_int *max, const char *rule, const char *pack)
{
    if (!max->set)
        return 0;
    if (!have->set) {
        diag_error(d, missing_at, "%s is not set, so it breaks %s %llu of pack '%s'", field, rule,
                   (unsigned long long)max->v, pack);
    } else if (have->v > max->v) {
        diag_error(d, have->loc, "%s %llu is more than %s %llu of pack '%s'", field,
                   (unsigned long long)have->v, rule, (unsigned long long)max->v, pack);
    } else
        return 0;
    diag_note(d, max->loc, "%s is set here", rule);
    return 1;
}

size_t doc_admit(struct diag *d, const struct doc *cd, const struct doc *pd)
{
    const struct doc_cell *c = &cd->cell;
    const struct doc_pack *p = &pd->pack;
    const char *id = p->id.s;
    struct loc run_at = c->has_run ? c->run_loc : c->spec_loc;
    size_t n = 0;
    char b[80], b2[80];
    n += max_rule(d, &c->ttl_seconds, c->spec_loc, "spec.lifetime.ttlSeconds", &p->max_ttl,
                  "maxLifetimeTtlSeconds", id);
    n += max_rule(d, &c->memory_max, c->has_limits ? c->limits_loc : run_at, "spec.run.limits.memoryMaxBytes",
                  &p->max_memory, "maxMemoryMaxBytes", id);
    n += max_rule(d, &c->timeout_ms, run_at, "spec.run.timeoutMs", &p->max_timeout, "maxRunTimeoutMs", id);
    if (p->require_egress && !c->n_egress) {
        diag_error(d, c->spec_loc, "the cell declares no egress rule, and pack '%s' requires one", id);
        diag_note(d, p->require_egress_loc, "requireEgressDeclared is set here");
        n++;
    }
    if (p->forbid_egress)
        for (size_t i = 0; i < c->n_egress; i++) {
            diag_error(d, c->egress[i].host.loc, "egress to '%s' is forbidden by pack '%s'",
                       c->egress[i].host.s, id);
            diag_note(d, p->forbid_egress_loc, "forbidOutboundEgressRules is set here");
            n++;
        }
    if (p->has_allowed_hosts)
        for (size_t i = 0; i < c->n_egress; i++)
            if (!host_allowed(c->egress[i].host.s, p)) {
                diag_error(d, c->egress[i].host.loc,
                           "egress host '%s' is not in the allowedEgressHosts of pack '%s'",
                           qs(b, sizeof b, c->egress[i].host.s), id);
                diag_note(d, p->allowed_hosts_loc, "allowedEgressHosts is set here");
                n++;
            }
    if (p->require_runtime_secrets && c->delivery == DD_ENV) {
        diag_error(d, c->delivery_loc, "secretDelivery env is refused by pack '%s'", id);
        diag_note(d, p->require_runtime_secrets_loc, "requireRuntimeSecretDelivery is set here");
        n++;
    }
    if (p->require_limits && !c->has_limits) {
        diag_error(d, run_at, "spec.run.limits is missing, and pack '%s' requires resource limits", id);
        diag_note(d, p->require_limits_loc, "requireResourceLimits is set here");
        n++;
    }
    if (c->pack_id.s && strcmp(c->pack_id.s, id)) {
        diag_error(d, c->pack_id.loc, "spec.policy.packId '%s' does not name pack '%s'",
                   qs(b, sizeof b, c->pack_id.s), id);
        diag_note(d, p->id.loc, "the pack's id is set here");
        n++;
    }
    if (c->pack_version.s && (!p->version.s || strcmp(c->pack_version.s, p->version.s))) {
        diag_error(d, c->pack_version.loc,
                   "spec.policy.packVersion '%s' is not the version of pack '%s' (%s)",
                   qs(b, sizeof b, c->pack_version.s), id,
                   p->version.s ? qs(b2, sizeof b2, p->version.s) : "none given");
        diag_note(d, p->version.s ? p->version.loc : p->id.loc, "the pack's version is set here");
        n++;
    }
    return n;
}
