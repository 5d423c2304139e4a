/*
 * stdio_relay.h - the backends' stdio relay: neither runsc nor a native
 * cell ever gets the caller's standard input, output or error.
 *
 * runsc changes the owner of the container's stdio to the container's user
 * (runc skips /dev/null for that reason; runsc does not), so handing it
 * cellrun's own descriptors left the host's /dev/null, or the files of
 * `cellrun ... <in >out 2>err`, owned by the cell's uid (issue 12); a native cell whose uid owns a
 * stdio file (cell root is host root in root mode, the caller in rootless
 * mode) could fchmod it, /dev/null included. The relay instead gives runsc
 * or the cell descriptors that belong to this run only and copies bytes
 * through (the gVisor monitor; a relay process beside the native cell):
 *   - a caller descriptor that is a terminal: the slave of a fresh pty pair
 *     (one pair for all of them), so the workload still sees a terminal;
 *     runsc may chown that slave, it is gone when the run ends. The slave
 *     takes the caller's terminal modes and window size, without echo and
 *     output processing (the caller's terminal does both). (runsc 20221219
 *     shows the workload a terminal as a plain file unless the OCI config
 *     asks for a console, as it did with the caller's own terminal);
 *   - anything else (a file, /dev/null, a pipe, a socket, closed): a pipe.
 * Caller's stdin -> runsc's stdin (a pipe closed at the caller's EOF, or the
 * pty, which then gets an end-of-file character); runsc's stdout/stderr ->
 * the caller's stdout/stderr, drained after runsc ended, before the monitor
 * reports the exit. The caller's descriptors are only read and written:
 * never made non-blocking, chowned or chmodded.
 * Limit: the gVisor monitor runs in its own process group, so a terminal's
 * input cannot be read there (the kernel answers EIO to a background read);
 * a gVisor cell whose stdin is a terminal reads end-of-file, as it did
 * before the relay. The native relay is in cellrun's process group and
 * passes a terminal's input on.
 */
#ifndef CELLOS_STDIO_RELAY_H
#define CELLOS_STDIO_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#define STDIO_RELAY_BUF  16384
#define STDIO_RELAY_N    4             /* stdin, stdout, stderr, the pty master's output */
#define STDIO_RELAY_POLL STDIO_RELAY_N /* pollfd entries stdio_relay_poll fills */

struct stdio_stream {
    int src, dst;  /* -1: none (dst -1: discard what src gives) */
    bool src_ours; /* src is a descriptor of the relay (closed at the end) */
    bool dst_ours;
    bool to_pty;     /* dst is the pty master: EOF is sent as VEOF */
    bool eof;        /* src ended; once the buffer is empty, dst is done */
    size_t len, off; /* bytes of buf waiting for dst */
    char buf[STDIO_RELAY_BUF];
};

struct stdio_relay {
    int child[3]; /* runsc's 0, 1, 2 (closed in the monitor after the fork) */
    int master;   /* the pty master, or -1 */
    /* caller's stdin -> runsc, runsc's stdout and stderr pipes -> the
     * caller's, the pty master -> the caller's terminal; an unused one has
     * src -1 */
    struct stdio_stream s[STDIO_RELAY_N];
    bool pf_out[STDIO_RELAY_POLL]; /* the pollfd waits for dst, not src */
};

/* Set up the descriptors for runsc and the copies. -1 with errno. */
int stdio_relay_open(struct stdio_relay *r);
/* In runsc's child: make child[0..2] its 0, 1, 2. -1 with errno. */
int stdio_relay_child(const struct stdio_relay *r);
/* In the monitor after the fork: close runsc's ends. */
void stdio_relay_forked(struct stdio_relay *r);
/* Fill pf[0..STDIO_RELAY_POLL) with what the relay waits for (fd -1 when
 * nothing), and after poll, move what is ready. */
void stdio_relay_poll(struct stdio_relay *r, struct pollfd *pf);
void stdio_relay_move(struct stdio_relay *r, const struct pollfd *pf);
/* runsc and the sandbox have ended: copy what is left of their output (at
 * most timeout_ms waiting for a writer that still holds a pipe), then close
 * everything of the relay. */
void stdio_relay_drain(struct stdio_relay *r, int timeout_ms);
/* A relay process of its own: copy until every output stream has ended
 * (all writers gone), then close everything of the relay. */
void stdio_relay_loop(struct stdio_relay *r);
/* The side that hands child[] on but does not copy: close the relay's own
 * descriptors (never the caller's); child[] stay open. */
void stdio_relay_release(struct stdio_relay *r);

#endif
