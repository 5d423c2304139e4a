/*
 * cellrun_oci.c - main of `cellrun-oci`: the same command line as cellrun
 * (cellrun_cli.c), linked with the compiler library, which serves the OCI
 * runtime's command line itself (runtime/oci/, docs/oci.md). `cellrun` execs
 * it for those; podman or containerd may also be pointed at it directly.
 */
#include "cellrun_cmds.h"

int main(int argc, char **argv)
{
    return cellrun_main(argc, argv, cellrun_cmd_oci);
}
