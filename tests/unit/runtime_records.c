/* runtime_records.c - the supervisor core never trusts the cell: step
 * records from a fake backend (forged, truncated, out of range, failing
 * steps, odd exit statuses) map to the documented exit statuses and
 * messages, and the event stream is still completed and sealed. Needs no
 * privileges: the fake backend's "cell" is a plain child writing bytes. */
#include "tap.h"
#include "runtime/backend/backend.h"
#include "compiler/plan/plan_writer.h"
#include "runtime/supervisor/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* what the fake cell sends and how it ends */
static const void *fake_bytes;
static size_t fake_len;
static int fake_exit;

static int fake_spawn(struct backend_run *r, struct cell_error *e)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return cell_err_sys(e, errno, "pipe");
    pid_t c = fork();
    if (c < 0)
        return cell_err_sys(e, errno, "fork");
    if (c == 0) {
        close(p[0]);
        if (fake_len && write(p[1], fake_bytes, fake_len) < 0)
            _exit(99);
        _exit(fake_exit);
    }
    close(p[1]);
    r->record_fd = p[0];
    r->pid = c;
    return 0;
}

static void fake_kill(struct backend_run *r)
{
    if (r->pid > 0)
        kill(r->pid, SIGKILL);
}

static void fake_cleanup(struct backend_run *r)
{
    if (r->pid > 0) {
        kill(r->pid, SIGKILL);
        waitpid(r->pid, NULL, 0);
        r->pid = -1;
    }
    if (r->record_fd >= 0) {
        close(r->record_fd);
        r->record_fd = -1;
    }
}

static const struct backend_ops fake = {
    .name = "fake", .kind = 99, .spawn = fake_spawn, .kill = fake_kill, .cleanup = fake_cleanup,
};

/* A framed channel: each record preceded by the byte 'R'; anything else is
 * a protocol fault. */
static uint8_t fbuf[64];
static size_t fhave;
static int framed_read(struct backend_run *r, struct cell_step_record *out, size_t max, bool *eof,
                       struct cell_error *e)
{
    size_t n = 0;
    while (n < max) {
        ssize_t k = read(r->record_fd, fbuf + fhave, 33 - fhave);
        if (k < 0 && errno == EAGAIN)
            break;
        if (k <= 0) {
            *eof = true;
            break;
        }
        fhave += (size_t)k;
        if (fbuf[0] != 'R')
            return cell_err(e, 0, "framing: bad frame byte");
        if (fhave == 33) {
            memcpy(&out[n++], fbuf + 1, 32);
            fhave = 0;
        }
    }
    return (int)n;
}

static const struct backend_ops framed = {
    .name = "framed", .kind = 98, .spawn = fake_spawn, .kill = fake_kill, .cleanup = fake_cleanup,
    .read_records = framed_read,
};
static const struct backend_ops *use = &fake;

/* A backend without step records that knows the outcome (like runsc's exit
 * status): finish() decides. */
static void decided_finish(struct backend_run *r, int wstatus, const struct rusage *ru,
                           struct backend_result *res)
{
    (void)r;
    (void)ru;
    res->decided = true;
    res->exited = WIFEXITED(wstatus);
    res->exit_code = WEXITSTATUS(wstatus);
    res->signal = WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0;
}
static const struct backend_ops decided = {
    .name = "decided", .kind = 97, .spawn = fake_spawn, .kill = fake_kill, .cleanup = fake_cleanup,
    .finish = decided_finish,
};

static struct cell_step_record rec(uint16_t step, uint16_t result, uint32_t op, int err, uint32_t detail)
{
    struct cell_step_record r = { .magic = CELL_STEP_MAGIC, .step = step, .result = result,
                                  .op_index = op, .err = err, .detail = detail, .mono_ns = 1 };
    return r;
}

static char tmpd[] = "/tmp/cellos-records.XXXXXX";
static char plan_path[256], ev_path[256], err_path[256];

/* Run with the fake cell; returns the exit status, fills msg (stderr). */
static int run(const struct cell_step_record *recs, size_t n, size_t trunc, int exit_code, char *msg, size_t mn)
{
    fake_bytes = recs;
    fake_len = n * sizeof *recs - trunc;
    fake_exit = exit_code;
    unlink(ev_path);
    struct sup_options o = { .plan_path = plan_path, .events = { ev_path }, .n_events = 1, .unsigned_run = true };
    fflush(stderr);
    int saved = dup(2);
    int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    int st = supervisor_run_backend(&o, use);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(err_path, "r");
    msg[0] = 0;
    if (f) {
        if (!fgets(msg, (int)mn, f))
            msg[0] = 0;
        fclose(f);
    }
    msg[strcspn(msg, "\n")] = 0;
    return st;
}

static int sealed(void)
{
    FILE *f = fopen(ev_path, "r");
    char line[8192], last[8192] = "";
    while (f && fgets(line, sizeof line, f))
        strcpy(last, line);
    if (f)
        fclose(f);
    return strstr(last, "stream.v1.sealed") != NULL;
}

static int write_plan(void)
{
    static const char *argv[] = { "/bin/true" };
    static struct plan_mount_op ops[2] = {
        { .opcode = CP_OP_ROOTFS, .src = "", .dst = "", .mode = 0755, .size = 1 << 20 },
        { .opcode = CP_OP_PIVOT_ROOT, .src = "", .dst = "" },
    };
    static struct cp_bpf_insn allow[] = { { BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW } };
    static struct plan_sc_program prog = { .audit_arch = AUDIT_ARCH_X86_64, .insn_count = 1, .insns = allow };
    struct plan p;
    memset(&p, 0, sizeof p);
    p.meta.name = "records";
    p.meta.source = "records.cell";
    p.meta.compiler = "cellc test";
    p.meta.hostname = "";
    p.process.argv = argv;
    p.process.argc = 1;
    p.process.cwd = "/";
    p.fs.ops = ops;
    p.fs.n_ops = 2;
    p.seccomp.default_action = SECCOMP_RET_ALLOW;
    p.seccomp.programs = &prog;
    p.seccomp.n_programs = 1;
    uint8_t *buf;
    size_t len;
    char err[256];
    if (plan_write(&p, &buf, &len, err, sizeof err) < 0) {
        diag("plan_write: %s", err);
        return -1;
    }
    int fd = open(plan_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int ok_ = fd >= 0 && write(fd, buf, len) == (ssize_t)len;
    if (fd >= 0)
        close(fd);
    free(buf);
    return ok_ ? 0 : -1;
}

int main(void)
{
    if (!mkdtemp(tmpd))
        return 1;
    snprintf(plan_path, sizeof plan_path, "%s/p.plan", tmpd);
    snprintf(ev_path, sizeof ev_path, "%s/ev.jsonl", tmpd);
    snprintf(err_path, sizeof err_path, "%s/err", tmpd);
    if (write_plan() < 0)
        return 1;
    char msg[1024];
    struct cell_step_record r[8];

    r[0] = rec(CELL_STEP_NAMESPACES, CELL_STEP_OK, 0, 0, 0);
    r[1] = rec(CELL_STEP_EXEC, CELL_STEP_OK, 0, 0, 0);
    r[2] = rec(CELL_STEP_EXIT, CELL_STEP_OK, 0, 0, 7 << 8);
    is_int(run(r, 3, 0, 7, msg, sizeof msg), 7, "a clean run exits with the workload's code");
    is_str(msg, "", "and prints nothing");
    ok(sealed(), "the stream is sealed");

    r[2] = rec(CELL_STEP_EXIT, CELL_STEP_OK, 0, 0, SIGKILL);
    is_int(run(r, 3, 0, 137, msg, sizeof msg), 137, "a workload killed by SIGKILL gives 137");

    r[1] = rec(CELL_STEP_MOUNT_OP, CELL_STEP_OK, 0, 0, 0);
    r[1].magic = 0xdeadbeef;
    is_int(run(r, 3, 0, 0, msg, sizeof msg), 125, "a record with a bad magic fails the run (125)");
    ok(strstr(msg, "malformed step record") != NULL, "saying so: %s", msg);
    ok(sealed(), "the stream is still completed and sealed");

    r[1] = rec(CELL_STEP_MOUNT_OP, CELL_STEP_OK, 2, 0, 0);
    is_int(run(r, 3, 0, 0, msg, sizeof msg), 125, "a mount_op index past the program fails the run");
    r[1] = rec(77, CELL_STEP_OK, 0, 0, 0);
    is_int(run(r, 3, 0, 0, msg, sizeof msg), 125, "an unknown step fails the run");
    r[1] = rec(CELL_STEP_CAPS, 9, 0, 0, 0);
    is_int(run(r, 3, 0, 0, msg, sizeof msg), 125, "an unknown result fails the run");
    r[1] = rec(CELL_STEP_CAPS, CELL_STEP_OK, 0, 0, 0);
    r[1].pad = 1;
    is_int(run(r, 3, 0, 0, msg, sizeof msg), 125, "non-zero padding fails the run");

    r[1] = rec(CELL_STEP_EXEC, CELL_STEP_OK, 0, 0, 0);
    is_int(run(r, 3, 5, 0, msg, sizeof msg), 125, "a truncated last record fails the run");
    ok(strstr(msg, "truncated") != NULL, "saying so: %s", msg);

    r[1] = rec(CELL_STEP_CAPS, CELL_STEP_FAILED, 0, EPERM, 0);
    is_int(run(r, 2, 0, 125, msg, sizeof msg), 125, "a failed step gives 125");
    is_str(msg, "cellrun: step caps: Operation not permitted", "naming the step and the errno");

    r[1] = rec(CELL_STEP_MOUNT_OP, CELL_STEP_FAILED, 1, EINVAL, CP_OP_PIVOT_ROOT);
    is_int(run(r, 2, 0, 125, msg, sizeof msg), 125, "a failed mount op gives 125");
    is_str(msg, "cellrun: step mount_op 1 (pivot_root): Invalid argument", "naming the op");

    r[1] = rec(CELL_STEP_EXEC, CELL_STEP_FAILED, 0, ENOENT, 0);
    is_int(run(r, 2, 0, 127, msg, sizeof msg), 127, "exec ENOENT gives 127");
    r[1] = rec(CELL_STEP_EXEC, CELL_STEP_FAILED, 0, EACCES, 0);
    is_int(run(r, 2, 0, 126, msg, sizeof msg), 126, "exec EACCES gives 126");

    is_int(run(r, 0, 0, 0, msg, sizeof msg), 125, "a cell that sends nothing and exits 0 did not run: 125");
    ok(strstr(msg, "during set-up") != NULL, "saying so: %s", msg);

    r[1] = rec(CELL_STEP_EXIT, CELL_STEP_OK, 0, 0, 0xffffffffu);
    is_int(run(r, 2, 0, 0, msg, sizeof msg), 125, "a nonsense wait status in EXIT gives 125, never a crash");

    /* a backend whose finish() knows the outcome without records */
    use = &decided;
    is_int(run(r, 0, 0, 3, msg, sizeof msg), 3, "finish() deciding the outcome: the workload's code without records");
    ok(sealed(), "and the stream is sealed");
    use = &fake;

    /* a backend with its own framing (the VM's serial channel) */
    static uint8_t frames[3 * 33];
    struct cell_step_record g[3] = {
        rec(CELL_STEP_NAMESPACES, CELL_STEP_OK, 0, 0, 0), rec(CELL_STEP_EXEC, CELL_STEP_OK, 0, 0, 0),
        rec(CELL_STEP_EXIT, CELL_STEP_OK, 0, 0, 5 << 8),
    };
    for (int i = 0; i < 3; i++) {
        frames[33 * i] = 'R';
        memcpy(frames + 33 * i + 1, &g[i], 32);
    }
    use = &framed;
    is_int(run((const void *)frames, 0, 0, 5, msg, sizeof msg), 125, "(sanity: no bytes, no records: 125)");
    fhave = 0;
    fake_bytes = frames;
    struct sup_options o2 = { .plan_path = plan_path, .events = { ev_path }, .n_events = 1, .unsigned_run = true };
    fake_len = sizeof frames;
    fake_exit = 5;
    unlink(ev_path);
    is_int(supervisor_run_backend(&o2, &framed), 5, "records decoded by a backend's read_records drive the run");
    ok(sealed(), "and the stream is sealed");
    frames[33] = 'X';
    fhave = 0;
    fake_len = sizeof frames;
    fflush(stderr);
    int saved = dup(2), dn = open("/dev/null", O_WRONLY);
    dup2(dn, 2);
    close(dn);
    int st = supervisor_run_backend(&o2, &framed);
    dup2(saved, 2);
    close(saved);
    is_int(st, 125, "a framing fault reported by the decoder fails the run");

    unlink(plan_path);
    unlink(ev_path);
    unlink(err_path);
    rmdir(tmpd);
    return done_testing();
}
