/*
 * cellrun.c - main of `cellrun` (the command line is cellrun_cli.c). This
 * program links no compiler: an OCI runtime command line is handed to
 * `cellrun-oci` beside it, so that `cellrun PLAN` loads none of the OCI
 * runtime's compiler (about 0.35 MiB less peak RSS per run).
 */
#include "cellrun_cmds.h"

int main(int argc, char **argv)
{
    return cellrun_main(argc, argv, cellrun_exec_oci);
}
