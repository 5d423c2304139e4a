/*
 * oci_argv.c - is a command line of cellrun an OCI runtime one (docs/oci.md)?
 * Apart from the rest of the OCI runtime so that `cellrun`, which links no
 * compiler, can tell without linking it (it then execs cellrun-oci).
 */
#include "runtime/supervisor/cellrun_cmds.h"

#include <string.h>
#include <unistd.h>

static const char *const commands[] = { "create", "start",      "state",   "kill",   "delete", "run",
                                        "exec",   "features",   "ps",      "spec",   "list",   "pause",
                                        "resume", "checkpoint", "restore", "update", "events", NULL };

bool cellrun_is_oci_invocation(int argc, char **argv)
{
    if (argc < 2)
        return false;
    const char *a = argv[1];
    if (!strcmp(a, "--root") || !strncmp(a, "--root=", 7) || !strcmp(a, "--conf") ||
        !strncmp(a, "--conf=", 7) || !strcmp(a, "--log") || !strncmp(a, "--log=", 6) ||
        !strcmp(a, "--log-format") || !strncmp(a, "--log-format=", 13) || !strcmp(a, "--systemd-cgroup") ||
        !strcmp(a, "--debug") || !strcmp(a, "--version") || !strcmp(a, "-v"))
        return true;
    for (size_t i = 0; commands[i]; i++)
        if (!strcmp(a, commands[i]) && strcmp(a, "run"))
            return true;
    if (!strcmp(a, "run")) {
        /* `cellrun run PLAN` runs a plan; `cellrun run [OCI flags] ID` a bundle */
        for (int i = 2; i < argc; i++)
            if (!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "-b") || !strncmp(argv[i], "--bundle=", 9) ||
                !strcmp(argv[i], "--detach") || !strcmp(argv[i], "-d") || !strcmp(argv[i], "--pid-file") ||
                !strcmp(argv[i], "--console-socket"))
                return true;
        return argc == 3 && argv[2][0] != '-' && access(argv[2], F_OK) != 0 &&
            access("config.json", F_OK) == 0;
    }
    return false;
}
