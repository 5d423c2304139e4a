/*
 * guest_conf.h - run facts the host hands the guest init in the initramfs
 * (/cellos/guest.conf): where to report, where the workload's output goes,
 * which modules to load, the rootfs device, and the run's inputs (extra
 * arguments, host values of PASS variables, secret values).
 *
 * Text, one fact per line, "key SP value"; byte strings are lower-case hex
 * so no value needs quoting:
 *   channel serial /dev/ttyS1   |  channel vsock <port>
 *   stdout /dev/ttyS2           stderr /dev/ttyS3
 *   module /cellos/modules/00-virtio_ring.ko        (load order)
 *   rootfs /dev/vda squashfs|erofs|ext4
 *   share <tag> ro|rw <hex path>  (a 9p share, mounted at /sysroot<path>)
 *   net <interface>             (egress: the cell gets that interface)
 *   arg <hex>                   (in order)
 *   pass <index> <hex>          (index into plan->process.env)
 *   secret <index> <hex>        (index into plan->secrets.items)
 * The guest parser refuses unknown keys, bad hex and out-of-range indexes.
 */
#ifndef CELLOS_GUEST_CONF_H
#define CELLOS_GUEST_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/lib/error.h"

#define GUEST_CONF_PATH   "/cellos/guest.conf"
#define GUEST_MAX_MODULES 16
#define GUEST_MAX_ARGS    256
#define GUEST_MAX_VALUES  256
#define GUEST_MAX_SHARES  16

struct guest_share {
    char tag[8];
    bool rw;
    char *path; /* the bind source as the plan names it */
};

struct guest_conf {
    bool vsock;
    uint32_t vsock_port;
    char channel[64];        /* serial device */
    char out[64], err[64];   /* "" = the console */
    bool out_pipe, err_pipe; /* the workload gets a pipe to its UART, not the UART */
    char modules[GUEST_MAX_MODULES][128];
    size_t n_modules;
    char rootfs_dev[64], rootfs_type[16]; /* "" = none */
    struct guest_share shares[GUEST_MAX_SHARES];
    size_t n_shares;
    char net[16]; /* egress: the virtio-net interface, "" = none */
    char *args[GUEST_MAX_ARGS];
    size_t n_args;
    char *pass[GUEST_MAX_VALUES]; /* index-aligned; NULL = unset */
    char *secret[GUEST_MAX_VALUES];
    size_t secret_len[GUEST_MAX_VALUES];
};

/* Parse conf text (n bytes). Values are malloc'd; guest_conf_free. */
int guest_conf_parse(const char *text, size_t n, struct guest_conf *c, struct cell_error *e);
void guest_conf_free(struct guest_conf *c);

/* Host side: append "key SP hex(bytes)" (with an optional index) to a
 * growing buffer. Returns -1 on allocation failure. */
struct guest_conf_buf {
    char *s;
    size_t len, cap;
};
int guest_conf_line(struct guest_conf_buf *b, const char *key, const char *value);
int guest_conf_hex(struct guest_conf_buf *b, const char *key, long index, const void *data, size_t n);

#endif
