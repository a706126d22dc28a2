#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw generic netlink requests to the diode family, for the selftests: lets
a test send what diodectl would refuse to build (wrong lengths, unknown or
read-only attributes, missing device) and see the kernel's answer.

  genl.py COMMAND ATTR...      COMMAND: get | set (DIODE_CMD_*)
  genl.py -                    one request a line of stdin, COMMAND ATTR...
                               separated by spaces, one answer a line
  ATTR: NAME:TYPE:VALUE, NAME an attribute of the family's spec
        (uapi/diode.yaml; ifindex, private_key, ...: - or _) or a number;
        TYPE one of u8 u16 u32 u64 str hex, or nest (flagged NLA_F_NESTED,
        as the kernel wants) or rawnest (not flagged), whose VALUE is
        ATTR,ATTR,... of the nest, NAME an attribute of the nest's set in
        the spec (rx_mark: created, counter) or a number; an empty VALUE is
        an empty nest

Prints "ok", or "error ERRNO_NAME: extack message", and exits 0 either way
(2 on a usage error): the test decides what is right.
"""
import errno
import os
import socket
import struct
import sys

import yaml

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
NETLINK_CAP_ACK = 10
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
NLMSGERR_ATTR_MSG = 1

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "uapi",
                    "diode.yaml")


def numbered(entries):
    """Name to number of a list of the spec, numbered as the kernel's
    generator numbers it: from 1, or from an entry's value."""
    values, n = {}, 1
    for entry in entries:
        n = entry.get("value", n)
        values[entry["name"]] = n
        n += 1
    return values


class Spec:
    """The commands and the attribute sets of the family's spec."""

    def __init__(self, path=SPEC):
        with open(path) as f:
            spec = yaml.safe_load(f)
        self.commands = numbered(spec["operations"]["list"])
        self.sets = {s["name"]: (numbered(s["attributes"]),
                                 {a["name"]: a for a in s["attributes"]})
                     for s in spec["attribute-sets"]}


def attr(kind, payload):
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * (-length % 4)


def attrs(data):
    while len(data) >= 4:
        length, kind = struct.unpack("=HH", data[:4])
        if length < 4:
            break
        yield kind & 0x3FFF, data[4:length]
        data = data[(length + 3) & ~3:]


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.seq = 0

    def request(self, family, cmd, payload):
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        msg = struct.pack("=IHHII", 16 + len(body), family, NLM_F_REQUEST | NLM_F_ACK,
                          self.seq, 0) + body
        self.sock.send(msg)
        replies = []
        while True:
            data = self.sock.recv(65536)
            while len(data) >= 16:
                length, kind, flags, _, _ = struct.unpack("=IHHII", data[:16])
                msg, data = data[:length], data[(length + 3) & ~3:]
                if kind == NLMSG_ERROR:
                    code = struct.unpack("=i", msg[16:20])[0]
                    text = ""
                    for akind, value in attrs(msg[36:]):
                        if akind == NLMSGERR_ATTR_MSG:
                            text = value.rstrip(b"\0").decode()
                    return -code, text, replies
                replies.append(msg[20:])

    def family(self, name):
        code, text, replies = self.request(
            GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
            attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        if code:
            raise OSError(code, text or os.strerror(code))
        for kind, value in attrs(replies[0]):
            if kind == CTRL_ATTR_FAMILY_ID:
                return struct.unpack("=H", value[:2])[0]
        raise OSError(errno.ENOENT, "no family id")


NLA_F_NESTED = 0x8000

def encode(spec, item, attr_set="device"):
    name, kind, value = item.split(":", 2)
    numbers, attrs = spec.sets[attr_set]
    name = name.replace("_", "-")
    number = int(name) if name.isdigit() else numbers[name]
    if kind in ("u8", "u16", "u32", "u64"):
        payload = struct.pack({"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q"}[kind],
                              int(value, 0))
    elif kind == "str":
        payload = value.encode() + b"\0"
    elif kind == "hex":
        payload = bytes.fromhex(value)
    elif kind in ("nest", "rawnest"):
        inner = attrs.get(name, {}).get("nested-attributes")
        payload = b"".join(encode(spec, i, inner) for i in value.split(",") if i)
        if kind == "nest":
            number |= NLA_F_NESTED
    else:
        raise ValueError(kind)
    return attr(number, payload)


def answer(genl, spec, family, words):
    """The kernel's answer to one request, as a line."""
    cmd = spec.commands["%s-device" % words[0]]
    payload = b"".join(encode(spec, item) for item in words[1:])
    code, text, _ = genl.request(family, cmd, payload)
    if code:
        return "error %s: %s" % (errno.errorcode.get(code, code), text)
    return "ok"


def main():
    batch = sys.argv[1:] == ["-"]
    if not batch and (len(sys.argv) < 2 or sys.argv[1] not in ("get", "set")):
        print(__doc__, file=sys.stderr)
        return 2
    spec = Spec()
    genl = Genl()
    try:
        family = genl.family("diode")
    except OSError as e:
        family_error = "error %s: %s" % (errno.errorcode.get(e.errno, e.errno), e.strerror)
    else:
        family_error = None
    # A guest under TCG takes seconds to start python: a test keeps one
    # running and sends it its requests.
    for line in sys.stdin if batch else [" ".join(sys.argv[1:])]:
        words = line.split()
        if family_error:
            print(family_error, flush=True)
        elif not words or words[0] not in ("get", "set"):
            print("usage: COMMAND ATTR... (see genl.py's help)", flush=True)
        else:
            print(answer(genl, spec, family, words), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
