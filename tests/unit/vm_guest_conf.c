/* vm_guest_conf.c - the host->guest run facts file: what the host writes
 * the guest parses back byte for byte; anything malformed is refused. */
#include "tap.h"
#include "runtime/vm/guest/guest_conf.h"

static int parse(const char *t, struct guest_conf *c, struct cell_error *e)
{
    int r = guest_conf_parse(t, strlen(t), c, e);
    return r;
}

int main(void)
{
    struct cell_error e = {0};
    struct guest_conf_buf b = {0};
    const char secret[] = {'s', 0, '\n', (char)0xff, ' '};
    ok(guest_conf_line(&b, "channel", "serial /dev/ttyS1") == 0 && guest_conf_line(&b, "stdout", "/dev/ttyS2") == 0 &&
       guest_conf_line(&b, "module", "/cellos/modules/00-virtio_ring.ko") == 0 &&
       guest_conf_line(&b, "rootfs", "/dev/vda ext4") == 0 &&
       guest_conf_hex(&b, "arg", -1, "a b\n", 4) == 0 && guest_conf_hex(&b, "arg", -1, "", 0) == 0 &&
       guest_conf_hex(&b, "pass", 3, "v=1", 3) == 0 && guest_conf_hex(&b, "secret", 0, secret, sizeof secret) == 0,
       "conf written");
    struct guest_conf c;
    ok(guest_conf_parse(b.s, b.len, &c, &e) == 0, "and parsed (%s)", e.msg);
    ok(!c.vsock && !strcmp(c.channel, "/dev/ttyS1") && !strcmp(c.out, "/dev/ttyS2") && c.err[0] == 0, "channel and outputs");
    ok(c.n_modules == 1 && !strcmp(c.modules[0], "/cellos/modules/00-virtio_ring.ko"), "module");
    ok(!strcmp(c.rootfs_dev, "/dev/vda") && !strcmp(c.rootfs_type, "ext4"), "rootfs");
    ok(c.n_args == 2 && !strcmp(c.args[0], "a b\n") && !strcmp(c.args[1], ""), "arguments with spaces and newlines survive");
    ok(c.pass[3] && !strcmp(c.pass[3], "v=1") && !c.pass[0], "pass values index-aligned");
    ok(c.secret[0] && c.secret_len[0] == sizeof secret && !memcmp(c.secret[0], secret, sizeof secret),
       "secret bytes (NUL, newline, 0xff) exact");
    guest_conf_free(&c);
    free(b.s);

    ok(parse("channel vsock 1024\n", &c, &e) == 0 && c.vsock && c.vsock_port == 1024, "vsock channel");
    guest_conf_free(&c);
    ok(parse("channel serial /dev/ttyS1\nshare c0 ro 2f757372\nshare c1 rw 2f6f7574\n", &c, &e) == 0 &&
           c.n_shares == 2 && !strcmp(c.shares[0].tag, "c0") && !c.shares[0].rw &&
           !strcmp(c.shares[0].path, "/usr") && c.shares[1].rw && !strcmp(c.shares[1].path, "/out"),
       "9p shares: tag, access, path (%s)", e.msg);
    guest_conf_free(&c);
    ok(parse("channel serial /dev/ttyS1\n", &c, &e) == 0 && !c.net[0], "no net line: no interface");
    guest_conf_free(&c);
    ok(parse("channel serial /dev/ttyS1\n", &c, &e) == 0 && !c.out_pipe && !c.err_pipe, "no pipe line: the UARTs");
    guest_conf_free(&c);
    ok(parse("channel serial /dev/ttyS1\npipe stdout\npipe stderr\n", &c, &e) == 0 && c.out_pipe && c.err_pipe,
       "pipe stdout, pipe stderr (%s)", e.msg);
    guest_conf_free(&c);
    ok(parse("channel serial /dev/ttyS1\nnet eth0\n", &c, &e) == 0 && !strcmp(c.net, "eth0"),
       "egress: the interface the cell gets (%s)", e.msg);
    guest_conf_free(&c);
    const char *bad[] = {
        "channel serial /dev/ttyS1\nbogus 1\n", "channel serial /dev/ttyS1", "stdout /dev/ttyS2\n",
        "channel vsock 0\n", "channel vsock 12x\n", "channel serial /dev/ttyS1\narg 6g\n",
        "channel serial /dev/ttyS1\narg 616\n", "channel serial /dev/ttyS1\npass 999 61\n",
        "channel serial /dev/ttyS1\npass 1 61\npass 1 62\n", "channel serial /dev/ttyS1\nrootfs /dev/vda xfs\n",
        "channel serial a b\n", "channel\n",
        "channel serial /dev/ttyS1\nshare c0 rx 2f757372\n", "channel serial /dev/ttyS1\nshare c0 ro 757372\n",
        "channel serial /dev/ttyS1\nshare c0 ro 2f2e2e\n", "channel serial /dev/ttyS1\nshare c0 ro\n",
        "channel serial /dev/ttyS1\nshare c0 ro 2f612f2e2e2f62\n",
        "channel serial /dev/ttyS1\nnet eth0 x\n", "channel serial /dev/ttyS1\npipe stdin\n",
        "channel serial /dev/ttyS1\npipe\n", "channel serial /dev/ttyS1\nnet 0123456789abcdefg\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int r = parse(bad[i], &c, &e);
        ok(r == -1, "refused: %s", e.msg);
        guest_conf_free(&c);
    }
    return done_testing();
}
