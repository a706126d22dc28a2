#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw generic netlink requests to the diode family, for the selftests: lets
a test send what diodectl would refuse to build (wrong lengths, unknown or
read-only attributes, missing device) and see the kernel's answer.

  genl.py COMMAND ATTR...      COMMAND: get | set (DIODE_CMD_*)
  genl.py -                    one request a line of stdin, COMMAND ATTR...
                               separated by spaces, one answer a line
  ATTR: NAME:TYPE:VALUE, NAME a DIODE_A_* suffix (ifindex, private_key, ...)
        or a number; TYPE one of u8 u16 u32 u64 str hex, or nest (flagged
        NLA_F_NESTED, as the kernel wants) or rawnest (not flagged), whose
        VALUE is ATTR,ATTR,... of the nest, NAME a suffix of the enum of
        that nest (rx_mark: DIODE_RX_MARK_A_*) or a number; an empty VALUE
        is an empty nest

Prints "ok", or "error ERRNO_NAME: extack message", and exits 0 either way
(2 on a usage error): the test decides what is right.
"""
import errno
import os
import re
import socket
import struct
import sys

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

UAPI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "uapi",
                    "linux", "diode.h")


def enum_values(name):
    """The members of an enum of the uapi header, numbered as C does."""
    text = open(UAPI).read()
    body = re.search(r"enum %s \{(.*?)\};" % name, text, re.S).group(1)
    values, n = {}, 0
    for line in body.splitlines():
        m = re.match(r"\s*(\w+)(?:\s*=\s*(\w+))?,", line)
        if m:
            n = int(m.group(2), 0) if m.group(2) else n
            values[m.group(1)] = n
            n += 1
    return values


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

# The enum, and the prefix of its members, of the attributes of each nest.
NESTS = {"rx_mark": ("diode_rx_mark_attr", "DIODE_RX_MARK_A_")}


def encode(spec, names, prefix="DIODE_A_"):
    name, kind, value = spec.split(":", 2)
    number = int(name) if name.isdigit() else names[prefix + name.upper()]
    if kind in ("u8", "u16", "u32", "u64"):
        payload = struct.pack({"u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q"}[kind],
                              int(value, 0))
    elif kind == "str":
        payload = value.encode() + b"\0"
    elif kind == "hex":
        payload = bytes.fromhex(value)
    elif kind in ("nest", "rawnest"):
        enum, inner = NESTS.get(name, (None, None))
        inner_names = enum_values(enum) if enum else {}
        payload = b"".join(encode(item, inner_names, inner)
                           for item in value.split(",") if item)
        if kind == "nest":
            number |= NLA_F_NESTED
    else:
        raise ValueError(kind)
    return attr(number, payload)


def answer(genl, family, words):
    """The kernel's answer to one request, as a line."""
    commands = enum_values("diode_cmd")
    names = enum_values("diode_attr")
    cmd = commands["DIODE_CMD_%s_DEVICE" % words[0].upper()]
    payload = b"".join(encode(spec, names) for spec in words[1:])
    code, text, _ = genl.request(family, cmd, payload)
    if code:
        return "error %s: %s" % (errno.errorcode.get(code, code), text)
    return "ok"


def main():
    batch = sys.argv[1:] == ["-"]
    if not batch and (len(sys.argv) < 2 or sys.argv[1] not in ("get", "set")):
        print(__doc__, file=sys.stderr)
        return 2
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
            print(answer(genl, family, words), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
