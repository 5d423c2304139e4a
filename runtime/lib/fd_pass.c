/*
 * fd_pass.c - the one way descriptors travel over a Unix socket (see
 * sys_util.h): a message of a few bytes with SCM_RIGHTS beside it, sent
 * whole or not at all, received with MSG_CMSG_CLOEXEC. A message whose
 * bytes or descriptors did not fit is refused, and any descriptor that did
 * arrive with it is closed, so a caller never holds one it did not expect.
 * Libc only.
 */
#include "sys_util.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FD_PASS_MAX 16

int sys_send_fds(int sock, const void *data, size_t len, const int *fds, size_t nfd)
{
    if (nfd > FD_PASS_MAX || len == 0) {
        errno = EINVAL;
        return -1;
    }
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(FD_PASS_MAX * sizeof(int))];
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfd) {
        m.msg_control = u.b;
        m.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(nfd * sizeof(int));
        memcpy(CMSG_DATA(h), fds, nfd * sizeof(int));
    }
    ssize_t k;
    do
        k = sendmsg(sock, &m, MSG_NOSIGNAL);
    while (k < 0 && errno == EINTR);
    if (k < 0)
        return -1;
    if ((size_t)k != len) {
        errno = EIO;
        return -1;
    }
    return 0;
}

ssize_t sys_recv_fds(int sock, void *data, size_t len, int *fds, size_t max_fds, size_t *nfd)
{
    *nfd = 0;
    if (max_fds > FD_PASS_MAX) {
        errno = EINVAL;
        return -1;
    }
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(FD_PASS_MAX * sizeof(int))];
    } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = { .iov_base = data, .iov_len = len };
    struct msghdr m = { .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = u.b,
                        .msg_controllen = max_fds ? CMSG_SPACE(max_fds * sizeof(int)) : 0 };
    ssize_t k;
    do
        k = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    while (k < 0 && errno == EINTR);
    if (k < 0)
        return -1;
    bool bad = (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) != 0;
    size_t n = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
        size_t here = h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS && h->cmsg_len >= CMSG_LEN(0)
            ? (h->cmsg_len - CMSG_LEN(0)) / sizeof(int)
            : 0;
        for (size_t i = 0; i < here; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
            if (n < max_fds && !bad)
                fds[n++] = fd;
            else
                close(fd);
        }
        if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
            bad = true;
    }
    if (bad) {
        for (size_t i = 0; i < n; i++)
            close(fds[i]);
        errno = EBADMSG;
        return -1;
    }
    *nfd = n;
    return k;
}
