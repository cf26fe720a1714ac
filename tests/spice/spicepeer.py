"""A raw vdagent chunk peer: plays spice-server on a unix socket.

Client messages go out on port 1 as spice-server forwards them (first chunk
= 20-byte header + up to 2028 bytes, then 2048-byte chunks); server messages
(mouse, client-disconnected) on port 2 as single chunks.  Received chunks are
reassembled per port and checked against the agent's sending rules.
"""
import socket
import struct
import time

PORT_CLIENT, PORT_SERVER = 1, 2
(MOUSE_STATE, MONITORS_CONFIG, REPLY, CLIPBOARD, DISPLAY_CONFIG,
 ANNOUNCE_CAPABILITIES, CLIPBOARD_GRAB, CLIPBOARD_REQUEST, CLIPBOARD_RELEASE,
 FILE_XFER_START, FILE_XFER_STATUS, FILE_XFER_DATA, CLIENT_DISCONNECTED,
 MAX_CLIPBOARD, AUDIO_VOLUME_SYNC, GRAPHICS_DEVICE_INFO) = range(1, 17)
CLIENT_CAPS = 0x00035077        # spice-gtk 0.42 (spice.md 5.4)


def msg(mtype, payload):
    return struct.pack("<IIQI", 1, mtype, 0, len(payload)) + payload


def chunks(port, data, first=2048):
    out, off = b"", 0
    while off < len(data) or off == 0:
        piece = data[off:off + 2048]
        out += struct.pack("<II", port, len(piece)) + piece
        off += len(piece)
        if not piece:
            break
    return out


def client_msg(mtype, payload):
    return chunks(PORT_CLIENT, msg(mtype, payload))


def server_msg(mtype, payload):
    m = msg(mtype, payload)
    return struct.pack("<II", PORT_SERVER, len(m)) + m


class Peer:
    def __init__(self, path, timeout=10.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.violations = []
        self.cur = None         # [type, size, bytes] of the message in progress

    def send(self, b):
        self.s.sendall(b)

    def _read_chunk(self):
        while len(self.buf) < 8:
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError("agent closed")
            self.buf += d
        port, size = struct.unpack("<II", self.buf[:8])
        while len(self.buf) < 8 + size:
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError("agent closed")
            self.buf += d
        data, self.buf = self.buf[8:8 + size], self.buf[8 + size:]
        if port != 1:
            self.violations.append("port %d" % port)
        if size > 2048 or size == 0:
            self.violations.append("chunk size %d" % size)
        return data

    def recv(self):
        """(type, payload) of the next whole message."""
        while True:
            data = self._read_chunk()
            if self.cur is None:
                if len(data) < 20:
                    self.violations.append("first chunk lacks the header")
                    continue
                proto, mtype, _, size = struct.unpack("<IIQI", data[:20])
                if proto != 1:
                    self.violations.append("protocol %d" % proto)
                self.cur = [mtype, size, bytearray(data[20:])]
            else:
                self.cur[2] += data
            if len(self.cur[2]) > self.cur[1]:
                self.violations.append("chunk holds two messages")
            if len(self.cur[2]) >= self.cur[1]:
                mtype, _, body = self.cur
                self.cur = None
                return mtype, bytes(body)

    def expect(self, mtype, timeout=10.0):
        """Skip other messages until one of mtype arrives."""
        end = time.monotonic() + timeout
        seen = []
        while time.monotonic() < end:
            t, p = self.recv()
            if t == mtype:
                return p
            seen.append(t)
        raise TimeoutError("no message %d (saw %r)" % (mtype, seen))

    def hello(self, caps=CLIENT_CAPS, max_clip=None):
        """What spice-server + spice-gtk do when a client attaches."""
        self.send(client_msg(ANNOUNCE_CAPABILITIES, struct.pack("<II", 1, caps)))
        p = self.expect(ANNOUNCE_CAPABILITIES)
        if max_clip is not None:
            self.send(client_msg(MAX_CLIPBOARD, struct.pack("<i", max_clip)))
        return struct.unpack("<II", p[:8])

    def close(self):
        self.s.close()
