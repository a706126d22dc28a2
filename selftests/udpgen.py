#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Numbered UDP datagrams for the selftests.

  udpgen.py send DST PORT --count N --max-size M [--pps R]
  udpgen.py recv BIND PORT --count N --max-size M [--idle S]

With --fixed-size (on both sides), every numbered datagram has M bytes.

The sender first sends one datagram of each size 1 to 7 (too small to carry a
number: each is its size repeated), then N numbered datagrams whose payload
sizes cycle from 8 to M; the payload is the 8-byte number and bytes that
depend on it. The receiver checks every datagram byte for byte and prints a
JSON summary; it exits 0 only when every datagram arrived exactly once.
"""
import argparse
import json
import random
import socket
import struct
import sys
import time

SMALL_SIZES = range(1, 8)
_rng = random.Random(20261123)
BLOCK = bytes(_rng.getrandbits(8) for _ in range(65536 + 4096))


def payload(seq, max_size, fixed=False):
    size = max_size if fixed else 8 + seq % (max_size - 7)
    start = (seq * 7919) % 4096
    return struct.pack(">Q", seq) + BLOCK[start:start + size - 8]


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def send(args):
    sock = socket.socket(family_of(args.dst), socket.SOCK_DGRAM)
    dst = (args.dst, args.port)
    gap = 1.0 / args.pps if args.pps else 0
    start = time.monotonic()
    for size in SMALL_SIZES:
        sock.sendto(bytes([size]) * size, dst)
    for seq in range(args.count):
        sock.sendto(payload(seq, args.max_size, args.fixed_size), dst)
        if gap:
            delay = start + (seq + 1) * gap - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return 0


def recv(args):
    sock = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    sock.bind((args.bind, args.port))
    if args.ready:
        open(args.ready, "w").close()
    seen = {}
    small = {}
    corrupt = 0
    deadline = time.monotonic() + args.timeout
    sock.settimeout(args.idle)
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            if seen or small:
                break
            continue
        if len(data) < 8:
            if data == bytes([len(data)]) * len(data):
                small[len(data)] = small.get(len(data), 0) + 1
            else:
                corrupt += 1
            continue
        seq = struct.unpack(">Q", data[:8])[0]
        if seq >= args.count or data != payload(seq, args.max_size, args.fixed_size):
            corrupt += 1
            continue
        seen[seq] = seen.get(seq, 0) + 1
        if len(seen) == args.count and len(small) == len(SMALL_SIZES) and not args.drain:
            break
    summary = {
        "expected": args.count + len(SMALL_SIZES),
        "unique": len(seen) + len(small),
        "duplicates": sum(n - 1 for n in seen.values()) + sum(n - 1 for n in small.values()),
        "corrupt": corrupt,
        "missing": args.count - len(seen) + len(SMALL_SIZES) - len(small),
    }
    print(json.dumps(summary))
    ok = summary["missing"] == 0 and summary["duplicates"] == 0 and corrupt == 0
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("dst")
    s.add_argument("port", type=int)
    s.add_argument("--count", type=int, default=10000)
    s.add_argument("--max-size", type=int, required=True)
    s.add_argument("--pps", type=float, default=0)
    s.add_argument("--fixed-size", action="store_true",
                   help="every numbered datagram of --max-size bytes")
    r = sub.add_parser("recv")
    r.add_argument("bind")
    r.add_argument("port", type=int)
    r.add_argument("--count", type=int, default=10000)
    r.add_argument("--max-size", type=int, required=True)
    r.add_argument("--idle", type=float, default=3.0,
                   help="stop after this many seconds without a datagram")
    r.add_argument("--timeout", type=float, default=120.0)
    r.add_argument("--fixed-size", action="store_true")
    r.add_argument("--ready", help="create this file once bound")
    r.add_argument("--drain", action="store_true",
                   help="keep receiving until idle, to catch late duplicates")
    args = parser.parse_args()
    if args.max_size < 8 or args.max_size > 65507:
        parser.error("--max-size must be between 8 and 65507")
    return send(args) if args.cmd == "send" else recv(args)


if __name__ == "__main__":
    sys.exit(main())
