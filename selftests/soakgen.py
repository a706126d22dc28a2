#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Numbered datagrams for a long run, and the judgement of what arrived.

  soakgen.py send DST PORT --pps R --seconds S --log FILE
      sends datagram n (8-byte number, then filler to --size bytes) at a
      steady rate; FILE gets one line per datagram the stack took:
      "n time" (time.time(), seconds)
  soakgen.py recv BIND PORT --log FILE --ready FILE --idle S
      counts every datagram by number until S seconds pass without one;
      FILE gets "n copies" for each number received
  soakgen.py judge SENT RECEIVED EVENTS --margin M
      EVENTS lines: "start end what" (time.time() seconds): a span in which
      one end of the link was down. Datagrams sent within M seconds of a
      span may be lost; every other one must arrive exactly once, and none
      may ever arrive twice. Prints a JSON summary; exits 1 on a failure.
"""
import argparse
import json
import socket
import struct
import sys
import time


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def cmd_send(args):
    sock = socket.socket(family_of(args.dst), socket.SOCK_DGRAM)
    filler = bytes(range(256)) * (args.size // 256 + 1)
    start = time.monotonic()
    seq = 0
    with open(args.log, "w") as log:
        while time.monotonic() - start < args.seconds:
            now = time.time()
            try:
                sock.sendto(struct.pack(">Q", seq) + filler[:args.size - 8],
                            (args.dst, args.port))
                log.write(f"{seq} {now:.6f}\n")
            except OSError:
                pass
            seq += 1
            delay = start + seq / args.pps - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return 0


def cmd_recv(args):
    sock = socket.socket(family_of(args.bind), socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    sock.bind((args.bind, args.port))
    sock.settimeout(args.idle)
    open(args.ready, "w").close()
    copies = {}
    while True:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            if copies:
                break
            continue
        if len(data) >= 8:
            seq = struct.unpack(">Q", data[:8])[0]
            copies[seq] = copies.get(seq, 0) + 1
    with open(args.log, "w") as log:
        for seq, n in sorted(copies.items()):
            log.write(f"{seq} {n}\n")
    return 0


def cmd_judge(args):
    spans = []
    with open(args.events) as f:
        for line in f:
            start, end, _ = line.split(maxsplit=2)
            spans.append((float(start) - args.margin, float(end) + args.margin))
    copies = {}
    with open(args.received) as f:
        for line in f:
            seq, n = line.split()
            copies[int(seq)] = int(n)
    sent = excused = missing = twice = 0
    first_missing = []
    with open(args.sent) as f:
        for line in f:
            seq, t = line.split()
            seq, t = int(seq), float(t)
            sent += 1
            n = copies.pop(seq, 0)
            if n > 1:
                twice += 1
            if any(a <= t <= b for a, b in spans):
                excused += 1
            elif n != 1:
                missing += 1
                if len(first_missing) < 10:
                    first_missing.append(seq)
    summary = {"sent": sent, "near_restarts": excused, "missing": missing,
               "delivered_twice": twice, "never_sent": len(copies),
               "first_missing": first_missing, "spans": len(spans)}
    print(json.dumps(summary))
    return 0 if not missing and not twice and not copies and sent else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("send")
    p.add_argument("dst")
    p.add_argument("port", type=int)
    p.add_argument("--pps", type=float, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--log", required=True)
    p = sub.add_parser("recv")
    p.add_argument("bind")
    p.add_argument("port", type=int)
    p.add_argument("--log", required=True)
    p.add_argument("--ready", required=True)
    p.add_argument("--idle", type=float, default=10)
    p = sub.add_parser("judge")
    p.add_argument("sent")
    p.add_argument("received")
    p.add_argument("events")
    p.add_argument("--margin", type=float, required=True)
    args = parser.parse_args()
    return {"send": cmd_send, "recv": cmd_recv, "judge": cmd_judge}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
