#!/usr/bin/env python3
"""netd_socks.py - netd's sockets seen from outside, for the egress tests.

netd works in a private gateway network namespace that nothing names; its
sockets are the way in: each one is taken with pidfd_getfd(2) from the
processes given (cellrun's children) and asked for its namespace
(SIOCGSKNS) or its options.

  netd_socks.py ns CMD PID...   run `sh -c CMD` in the network namespace of
                                the first such socket that is not in ours
                                (netd's gateway namespace); exits 1 when
                                there is none
  netd_socks.py cc PID...       print the congestion control of the TCP
                                listeners among them (sorted, unique;
                                "none" when there is none)
"""
import ctypes
import fcntl
import os
import socket
import sys

SYS_PIDFD_GETFD = 438
SIOCGSKNS = 0x894C
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def sockets(pids):
    """Each socket of the processes, as a descriptor of ours."""
    for pid in pids:
        try:
            pfd = os.pidfd_open(pid)
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if not os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    continue
            except OSError:
                continue
            s = libc.syscall(SYS_PIDFD_GETFD, pfd, int(fd), 0)
            if s >= 0:
                yield s


def enter_and_run(cmd, pids):
    me = os.stat("/proc/self/ns/net").st_ino
    for s in sockets(pids):
        try:
            ns = fcntl.ioctl(s, SIOCGSKNS, 0)
        except OSError:
            continue
        if os.fstat(ns).st_ino != me and libc.setns(ns, CLONE_NEWNET) == 0:
            os.execv("/bin/sh", ["sh", "-c", cmd])
    sys.exit(1)


def listener_congestion(pids):
    seen = set()
    for s in sockets(pids):
        k = socket.socket(fileno=s)
        try:
            if k.type == socket.SOCK_STREAM and k.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                seen.add(k.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode())
        except OSError:
            pass
        k.close()
    print(" ".join(sorted(seen)) or "none")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "ns":
        enter_and_run(sys.argv[2], map(int, sys.argv[3:]))
    elif len(sys.argv) >= 2 and sys.argv[1] == "cc":
        listener_congestion(map(int, sys.argv[2:]))
    else:
        sys.exit("usage: netd_socks.py ns CMD PID... | cc PID...")
