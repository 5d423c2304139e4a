/*
 * vm_emit.c - `cellc --emit firecracker-config PLAN`: print the Firecracker
 * configuration (firecracker --config-file) of a plan's vm section. The
 * initrd and vsock paths are relative ("initramfs.cpio", "vsock.sock"): the
 * vm backend runs firecracker in the run's own directory where it lays out
 * exactly those files. Exit 0; 1 when the plan is not valid or cannot run
 * in Firecracker; 2 on usage errors, an unreadable plan or a failed write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellc_cmds.h"
#include "runtime/plan/vm_config.h"

int cellc_cmd_emit(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "firecracker-config") != 0) {
        fprintf(stderr, "usage: cellc --emit firecracker-config PLAN\n");
        return 2;
    }
    struct plan *p = NULL;
    struct plan_error pe;
    if (plan_read_file(argv[2], &p, &pe) < 0) {
        char buf[700];
        plan_error_format(&pe, argv[2], buf, sizeof buf);
        fprintf(stderr, "cellc: %s\n", buf);
        return pe.e.err ? 2 : 1; /* unreadable: 2; not a valid plan: 1 */
    }
    char *json = NULL;
    struct cell_error e = { 0 };
    int rc = vm_emit_firecracker_config(p, &json, &e);
    plan_free(p);
    if (rc < 0) {
        fprintf(stderr, "cellc: %s: %s\n", argv[2], e.msg);
        return 1;
    }
    int wrote = fputs(json, stdout) >= 0 && fflush(stdout) == 0;
    free(json);
    if (!wrote) {
        fprintf(stderr, "cellc --emit: cannot write the config: %s\n", strerror(errno));
        return 2;
    }
    return 0;
}
