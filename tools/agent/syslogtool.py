#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test helpers of diode-agent: senders, a collector, and checks.

  syslogtool.py send tcp|lf|udp HOST PORT PREFIX COUNT [SIZE]
  syslogtool.py collect tcp|udp PORT OUTFILE     (until killed)
  syslogtool.py check OUTFILE EXPECT-SPEC...     (PREFIX:COUNT[:SIZE] each)
  syslogtool.py gaps OUTFILE                     (FIRST-LAST of each gap message)
"""
import os
import socket
import sys


def message(prefix, i, size):
    head = "<13>1 2024-01-01T00:00:00Z host app - - - %s %d " % (prefix, i)
    return (head + "x" * max(0, size - len(head))).encode()


def send(proto, host, port, prefix, count, size=200):
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(count):
            s.sendto(message(prefix, i, size), (host, port))
        return
    s = socket.create_connection((host, port))
    buf = []
    for i in range(count):
        m = message(prefix, i, size)
        buf.append(b"%d %s" % (len(m), m) if proto == "tcp" else m + b"\n")
        if len(buf) == 512:
            s.sendall(b"".join(buf))
            buf = []
    s.sendall(b"".join(buf))
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()


def collect(proto, port, out):
    f = open(out, "ab", buffering=0)
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind(("127.0.0.1", port))
        while True:
            m = s.recv(70000)
            f.write(b"%d %s" % (len(m), m))
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(4)
    while True:
        c, _ = s.accept()
        while True:
            d = c.recv(1 << 20)
            if not d:
                break
            f.write(d)
        c.close()


def frames(path):
    data = open(path, "rb").read() if os.path.exists(path) else b""
    i = 0
    while i < len(data):
        sp = data.index(b" ", i)
        n = int(data[i:sp])
        yield data[sp + 1:sp + 1 + n]
        i = sp + 1 + n


def check(out, specs):
    """Print: total, exact (expected messages seen exactly once, byte-exact),
    missing, twice, gap messages, sum of gap counts, other."""
    expect = {}
    for spec in specs:
        parts = spec.split(":")
        prefix, count = parts[0], int(parts[1])
        size = int(parts[2]) if len(parts) > 2 else 200
        for i in range(count):
            expect[message(prefix, i, size)] = 0
    total = gaps = gapsum = other = 0
    for m in frames(out):
        if b"[diode-epoch@32473 " in m:
            continue
        total += 1
        if m in expect:
            expect[m] += 1
        elif b"[diode-gap@32473 " in m:
            gaps += 1
            gapsum += int(m.split(b' count="')[1].split(b'"')[0])
        else:
            other += 1
    once = sum(1 for v in expect.values() if v == 1)
    missing = sum(1 for v in expect.values() if v == 0)
    twice = sum(1 for v in expect.values() if v > 1)
    print(total, once, missing, twice, gaps, gapsum, other)


def gaps(out):
    r = []
    for m in frames(out):
        if b"[diode-gap@32473 " in m:
            f = m.split(b' first="')[1].split(b'"')[0].decode()
            l = m.split(b' last="')[1].split(b'"')[0].decode()
            r.append("%s-%s" % (f, l))
    print(" ".join(r))


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "send":
        send(a[2], a[3], int(a[4]), a[5], int(a[6]), int(a[7]) if len(a) > 7 else 200)
    elif a[1] == "collect":
        collect(a[2], int(a[3]), a[4])
    elif a[1] == "check":
        check(a[2], a[3:])
    elif a[1] == "gaps":
        gaps(a[2])
