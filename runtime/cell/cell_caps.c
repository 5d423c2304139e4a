/*
 * cell_caps.c - capabilities and credentials of the workload (cell side).
 *
 * Drops every capability not granted by the plan from every set: bounding
 * (so nothing can come back through exec of a file with capabilities),
 * ambient (cleared, then only granted ones raised for a non-root workload),
 * inheritable, permitted and effective. Uses the raw capget/capset system
 * calls: no libcap.
 */
#include "cell_int.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int capset_all(uint64_t eff, uint64_t prm, uint64_t inh)
{
    struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct d[2];
    d[0].effective = (uint32_t)eff;
    d[1].effective = (uint32_t)(eff >> 32);
    d[0].permitted = (uint32_t)prm;
    d[1].permitted = (uint32_t)(prm >> 32);
    d[0].inheritable = (uint32_t)inh;
    d[1].inheritable = (uint32_t)(inh >> 32);
    return (int)syscall(SYS_capset, &h, d);
}

int cell_caps_limit_bounding(uint64_t keep)
{
    for (int cap = 0; cap < 64; cap++) {
        int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
        if (r < 0)
            break; /* EINVAL: past the kernel's last capability */
        if (r == 1 && !(keep & (1ull << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return -1;
    }
    return 0;
}

int cell_caps_apply(uint64_t keep, uid_t uid, gid_t gid, bool set_groups)
{
    if (cell_caps_limit_bounding(keep) < 0)
        return -1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return -1;
    /* keep permitted across the uid change; what is kept is decided below */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return -1;
    if (set_groups && setgroups(0, NULL) < 0)
        return -1;
    if (setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
        return -1;
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        return -1;
    if (capset_all(keep, keep, keep) < 0)
        return -1;
    /* a non-root workload loses permitted caps at exec unless they are
     * ambient; root gets exactly the bounding set (= keep) back */
    if (uid != 0)
        for (int cap = 0; cap < 64; cap++)
            if ((keep & (1ull << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
                return -1;
    return 0;
}

int cell_caps_keep_only(uint64_t keep)
{
    if (cell_caps_limit_bounding(keep) < 0)
        return -1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return -1;
    return capset_all(keep, keep, 0);
}
