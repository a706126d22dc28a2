#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Frames on the wire, for the selftests.

  wire.py frames PCAP [--type data|announce]   one line per diode frame:
                                               type tag counter hex
  wire.py unique PCAP                          fails if a DATA (session,
                                               counter) pair appears twice
  wire.py checksums PCAP                       counts right TCP and UDP
                                               checksums; fails on a wrong one
  wire.py send DST PORT HEX... [--flip-bits] [--times N]
                                               send frames as UDP payloads;
                                               --flip-bits sends one copy per
                                               bit of each frame, that bit flipped
  wire.py shadow IFACE DST PORT --offset N... --seconds S
                                               for each DATA frame arriving on
                                               IFACE (to PORT), send DST:PORT a
                                               forged DATA frame of its length,
                                               its tag and its counter + N, for
                                               each N; prints how many it sent

PCAP is a capture of the link (Ethernet) taken with tcpdump -w.
"""
import argparse
import os
import socket
import struct
import sys
import time

TYPES = {1: "data", 2: "announce", 3: "heartbeat", 4: "parity"}


def ip_packets(path):
    """(ethertype, IP packet without link padding) of an Ethernet pcap."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if len(pkt) < 14:
            continue
        ethertype = struct.unpack(">H", pkt[12:14])[0]
        ip = pkt[14:]
        if ethertype == 0x0800 and len(ip) >= 20:
            yield ethertype, ip[:struct.unpack(">H", ip[2:4])[0]]
        elif ethertype == 0x86DD and len(ip) >= 40:
            yield ethertype, ip[:40 + struct.unpack(">H", ip[4:6])[0]]


def transport(ethertype, ip):
    """(protocol, pseudo-header, segment), taking what follows the fixed IP
    header as the segment (IPv6 extension headers are not walked: their
    number is the protocol then); None for an IPv4 fragment."""
    if ethertype == 0x0800:
        if struct.unpack(">H", ip[6:8])[0] & 0x3FFF:
            return None
        seg = ip[(ip[0] & 0x0F) * 4:]
        return ip[9], ip[12:20] + struct.pack(">BBH", 0, ip[9], len(seg)), seg
    seg = ip[40:]
    return ip[6], ip[8:40] + struct.pack(">IxxxB", len(seg), ip[6]), seg


def udp_payloads(path):
    """UDP payloads of the IPv4 and IPv6 packets of an Ethernet pcap."""
    for ethertype, ip in ip_packets(path):
        parts = transport(ethertype, ip)
        if parts and parts[0] == 17 and len(parts[2]) >= 8:
            yield parts[2][8:]


def ones_complement_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def cmd_checksums(args):
    """Every TCP and UDP checksum in the capture must be right; a UDP
    checksum of 0 (none) counts as wrong, since Linux always sets one."""
    good = {6: 0, 17: 0}
    bad = 0
    for ethertype, ip in ip_packets(args.pcap):
        parts = transport(ethertype, ip)
        if not parts or parts[0] not in good:
            continue
        proto, pseudo, seg = parts
        if (len(seg) < (20 if proto == 6 else 8) or
                (proto == 17 and seg[6:8] == b"\0\0") or
                ones_complement_sum(pseudo + seg) != 0xFFFF):
            bad += 1
        else:
            good[proto] += 1
    print(f"tcp {good[6]} right, udp {good[17]} right, {bad} wrong")
    return 1 if bad else 0


def parse(frame):
    if len(frame) < 12:
        return None
    ver_type, _, tag, counter = struct.unpack(">BBHQ", frame[:12])
    return TYPES.get(ver_type & 0x0F, "unknown"), tag, counter


def cmd_frames(args):
    for frame in udp_payloads(args.pcap):
        parsed = parse(frame)
        if parsed and (not args.type or parsed[0] == args.type):
            print(parsed[0], parsed[1], parsed[2], frame.hex())
    return 0


def cmd_unique(args):
    """A session is its ephemeral key E, learned from its ANNOUNCE; DATA
    frames name it by tag. No (E, counter) pair may be sent twice."""
    session_of_tag = {}
    seen = set()
    frames = reused = 0
    for frame in udp_payloads(args.pcap):
        parsed = parse(frame)
        if not parsed:
            continue
        kind, tag, counter = parsed
        if kind == "announce" and len(frame) >= 44:
            session_of_tag[tag] = frame[12:44]
        elif kind == "data":
            frames += 1
            key = (session_of_tag.get(tag, tag), counter)
            if key in seen:
                reused += 1
            seen.add(key)
    print(f"data frames {frames}, sessions {len(set(session_of_tag.values()))}, "
          f"reused pairs {reused}")
    return 1 if reused or not frames else 0


def cmd_send(args):
    family = socket.AF_INET6 if ":" in args.dst else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sent = 0
    for hexframe in args.frames:
        frame = bytes.fromhex(hexframe)
        copies = []
        if args.flip_bits:
            for bit in range(len(frame) * 8):
                flipped = bytearray(frame)
                flipped[bit // 8] ^= 1 << (bit % 8)
                copies.append(bytes(flipped))
        else:
            copies = [frame] * args.times
        for copy in copies:
            sock.sendto(copy, (args.dst, args.port))
            sent += 1
    print(sent)
    return 0


def link_udp_payload(pkt, port):
    """The UDP payload of an Ethernet frame to PORT, or None."""
    if len(pkt) < 14:
        return None
    ethertype = struct.unpack(">H", pkt[12:14])[0]
    ip = pkt[14:]
    if ethertype == 0x0800 and len(ip) >= 20:
        ip = ip[:struct.unpack(">H", ip[2:4])[0]]
    elif ethertype == 0x86DD and len(ip) >= 40:
        ip = ip[:40 + struct.unpack(">H", ip[4:6])[0]]
    else:
        return None
    parts = transport(ethertype, ip)
    if not parts or parts[0] != 17 or len(parts[2]) < 8:
        return None
    if struct.unpack(">H", parts[2][2:4])[0] != port:
        return None
    return parts[2][8:]


def cmd_shadow(args):
    """An attacker on the link who sees each DATA frame go by and answers
    with frames that carry the live session tag and nearby counters."""
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    sniff.bind((args.iface, 0))
    sniff.settimeout(0.2)
    family = socket.AF_INET6 if ":" in args.dst else socket.AF_INET
    out = socket.socket(family, socket.SOCK_DGRAM)
    deadline = time.monotonic() + args.seconds
    sent = 0
    while time.monotonic() < deadline:
        try:
            pkt, addr = sniff.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        frame = link_udp_payload(pkt, args.port)
        parsed = parse(frame) if frame else None
        if not parsed or parsed[0] != "data":
            continue
        _, tag, counter = parsed
        for offset in args.offset:
            forged = struct.pack(">BBHQ", 0x11, 0, tag, counter + offset) + \
                os.urandom(len(frame) - 12)
            out.sendto(forged, (args.dst, args.port))
            sent += 1
    print(sent)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("frames")
    p.add_argument("pcap")
    p.add_argument("--type", choices=sorted(TYPES.values()))
    p = sub.add_parser("unique")
    p.add_argument("pcap")
    p = sub.add_parser("checksums")
    p.add_argument("pcap")
    p = sub.add_parser("send")
    p.add_argument("dst")
    p.add_argument("port", type=int)
    p.add_argument("frames", nargs="+")
    p.add_argument("--flip-bits", action="store_true")
    p.add_argument("--times", type=int, default=1)
    p = sub.add_parser("shadow")
    p.add_argument("iface")
    p.add_argument("dst")
    p.add_argument("port", type=int)
    p.add_argument("--offset", type=int, nargs="+", required=True)
    p.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    return {"frames": cmd_frames, "unique": cmd_unique, "checksums": cmd_checksums,
            "send": cmd_send, "shadow": cmd_shadow}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
