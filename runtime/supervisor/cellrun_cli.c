/*
 * cellrun_cli.c - the command line of `cellrun` and `cellrun-oci`: option
 * parsing and subcommand dispatch (cellrun_main).
 *
 *   cellrun [options] PLAN [-- ARGS...]     run a plan (see --help)
 *   cellrun SUBCOMMAND ...                   a subcommand from the table
 *   cellrun [OCI flags] create|start|...     the OCI runtime (docs/oci.md)
 *
 * Two programs share it: `cellrun` (cellrun.c) links no compiler and hands
 * an OCI command line to `cellrun-oci` beside it (cellrun_exec_oci), which
 * (cellrun_oci.c) links the compiler library for the OCI runtime and serves
 * it itself; everything else is the same code. Only this file turns errors
 * into exit statuses; everything it calls returns them (supervisor.h lists
 * cellrun's own statuses).
 */
#include "backend_table.h"
#include "cellrun_cmds.h"
#include "supervisor.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct cellrun_cmd commands[] = {
    { "run", cellrun_cmd_run, "run a plan (the default: `cellrun PLAN` = `cellrun run PLAN`)" },
    { "keygen", cellrun_cmd_keygen, "write PREFIX.key, PREFIX.pub, PREFIX.trust.json; print the kid" },
    { "verify", cellrun_cmd_verify,
      "verify an event stream: EVENTS --trust KEYS.json|--unsigned [--plan PLAN] [--artifacts DIR]" },
    { "flush", cellrun_cmd_flush,
      "deliver what the spool still holds to its remote sinks: SPOOLDIR [--give-up-ms N]" },
    { "--print-oci-config", cellrun_cmd_oci_config,
      "print the gvisor backend's OCI config: [--portable|--bundle DIR] PLAN" },
};

static void usage(FILE *f)
{
    char names[64];
    fprintf(f,
            "usage: cellrun [options] PLAN [-- ARGS...]\n"
            "       cellrun SUBCOMMAND [args...]\n"
            "\n"
            "Run the cell plan PLAN (written by cellc): build the cell, run its workload,\n"
            "and emit one signed CloudEvent per step.\n"
            "\n"
            "options:\n"
            "  --events SINK         where events go: FILE (or file:FILE), stdout (-), an\n"
            "                        inherited fd (fd:N), nats://HOST[:PORT]/SUBJECT,\n"
            "                        tls://..., http(s)://URL; repeat for several sinks\n"
            "                        (default: $CELLOS_EVENTS, space-separated, else stderr)\n"
            "  --spool DIR           the spool for remote sinks (default: $CELLOS_SPOOL,\n"
            "                        else /var/spool/cellos as root)\n"
            "  --require-delivered   refuse to start the workload unless every remote sink\n"
            "                        acknowledged the started event\n"
            "  --key FILE            the Ed25519 signing key (default: $CELLOS_KEY)\n"
            "  --unsigned            run without signing events (the stream says so)\n"
            "  --learn               enforce no syscall policy: record every call the job\n"
            "                        makes and print the syscalls section allowing them\n"
            "                        (native backend; the stream says so)\n"
            "  --trust KEYS.json     refuse PLAN unless it is signed by a key in KEYS.json\n"
            "  --backend NAME        run with this backend instead of the plan's (%s)\n"
            "  --export-dir DIR      copy the plan's export artifacts to DIR/<cell id>/\n"
            "  -h, --help            this text\n"
            "ARGS after -- are appended to the plan's argv when the plan allows it.\n"
            "\n"
            "exit status: the workload's; 128+N when it died of signal N (a wall-time or\n"
            "memory kill is 137, a seccomp kill 159; one line on stderr says which); 125\n"
            "when cellrun or the cell's set-up failed, or on a usage error (one line on\n"
            "stderr names the step or the option);\n"
            "126 the workload could not be executed; 127 it was not found.\n"
            "\n"
            "subcommands:\n",
            backend_names(names, sizeof names));
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int cellrun_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "events", required_argument, NULL, 'e' },
        { "spool", required_argument, NULL, 'S' },
        { "require-delivered", no_argument, NULL, 'R' },
        { "key", required_argument, NULL, 'k' },
        { "unsigned", no_argument, NULL, 'u' },
        { "trust", required_argument, NULL, 't' },
        { "backend", required_argument, NULL, 'b' },
        { "export-dir", required_argument, NULL, 'x' },
        { "learn", no_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct sup_options o;
    memset(&o, 0, sizeof o);
    optind = 1;
    opterr = 0;
    int c;
    /* '+': stop at the first non-option (the plan); ARGS follow `--`;
     * ':': a missing argument is told apart from an unknown option */
    while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (o.n_events == SUP_MAX_EVENTS) {
                fprintf(stderr, "cellrun: at most %d --events\n", SUP_MAX_EVENTS);
                return CELLRUN_EXIT_FAILURE;
            }
            o.events[o.n_events++] = optarg;
            break;
        case 'S': o.spool = optarg; break;
        case 'R': o.require_delivered = true; break;
        case 'k': o.key_path = optarg; break;
        case 'u': o.unsigned_run = true; break;
        case 't': o.trust_path = optarg; break;
        case 'b': o.backend = optarg; break;
        case 'x': o.export_dir = optarg; break;
        case 'L': o.learn = true; break;
        case 'h': usage(stdout); return 0;
        case ':':
            fprintf(stderr, "cellrun: %s needs an argument (see cellrun --help)\n", argv[optind - 1]);
            return CELLRUN_EXIT_FAILURE;
        default:
            fprintf(stderr, "cellrun: unknown option \"%s\" (see cellrun --help)\n", argv[optind - 1]);
            return CELLRUN_EXIT_FAILURE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "cellrun: no plan given (see cellrun --help)\n");
        return CELLRUN_EXIT_FAILURE;
    }
    if (o.key_path && o.unsigned_run) {
        fprintf(stderr, "cellrun: --key and --unsigned contradict each other\n");
        return CELLRUN_EXIT_FAILURE;
    }
    o.plan_path = argv[optind++];
    if (optind < argc) {
        if (strcmp(argv[optind], "--") != 0) {
            fprintf(stderr, "cellrun: unexpected \"%s\" after the plan (extra arguments go after --)\n",
                    argv[optind]);
            return CELLRUN_EXIT_FAILURE;
        }
        optind++;
        o.extra_args = argv + optind;
        o.n_extra_args = (size_t)(argc - optind);
    }
    return supervisor_run(&o);
}

int cellrun_exec_oci(int argc, char **argv)
{
    (void)argc;
    char self[PATH_MAX], path[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "cellrun: the OCI runtime: /proc/self/exe: %s\n", strerror(errno));
        return CELLRUN_EXIT_FAILURE;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(path, sizeof path, "%s/cellrun-oci", slash ? self : ".");
    execv(path, argv);
    fprintf(stderr, "cellrun: the OCI runtime is %s (installed beside cellrun): %s\n", path, strerror(errno));
    return CELLRUN_EXIT_FAILURE;
}

int cellrun_main(int argc, char **argv, int (*oci)(int argc, char **argv))
{
    if (cellrun_is_oci_invocation(argc, argv))
        return oci(argc, argv);
    if (argc >= 2) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
            usage(stdout);
            return 0;
        }
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].run(argc - 1, argv + 1);
    }
    return cellrun_cmd_run(argc, argv);
}
