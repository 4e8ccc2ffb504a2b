#!/usr/bin/python3
"""Emulated UICC for the SIM-bootstrap tests (see README.md here).

Usage: /usr/bin/python3 vcard.py IMAGE.json [--port 35963] [--host 127.0.0.1]

Connects to pcscd's vpcd virtual reader and plays the card described by
IMAGE.json (written by ./mkcard) until pcscd closes the connection.

Debian's python3-virtualsmartcard 3.3 only carries the vpcd transport here:
the card's file system and its commands (SELECT, READ BINARY, VERIFY, GET
RESPONSE) are our own UiccOS below, because the library's Iso7816OS has no
PIN counter tied to file access and does not select siblings and parents
the way a UICC does.  Its three packaging bugs are worked around first
(/work/shared/notes/virtual-sim.md): always run this with /usr/bin/python3.
"""
import argparse
import importlib
import importlib.abc
import importlib.util
import json
import logging
import socket
import sys
import time

# Fix 1: Debian installs the package one level too deep, off sys.path.
sys.path.insert(0, "/usr/lib/python3/site-packages/virtualsmartcard")


# Fix 2: the library imports PyCrypto's "Crypto"; Debian only ships
# pycryptodome as "Cryptodome" (the library's SAM uses DES3 when the
# transport object builds its default card, so the import must work).
class _CryptoAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name == "Crypto" or name.startswith("Crypto."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("Cryptodome" + spec.name[6:])

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _CryptoAlias())

from virtualsmartcard import TLVutils  # noqa: E402
from virtualsmartcard.VirtualSmartcard import SmartcardOS, VirtualICC  # noqa: E402


# Fix 3: TLVutils.pack ends with b"".join(bytes), a TypeError in Python 3.
# Our OS never calls it, but every library module that imported it gets a
# correct packer so nothing in the library can die on it either.
def _fixed_pack(tlv_data, recalculate_length=False):
    out = b""
    for tag, length, value in tlv_data:
        if isinstance(value, list):
            value = _fixed_pack(value, recalculate_length)
        value = bytes(value)
        if recalculate_length or length is None:
            length = len(value)
        out += _tag_bytes(tag) + ber_len(length) + value
    return out


def _tag_bytes(tag):
    n = (tag.bit_length() + 7) // 8 or 1
    return tag.to_bytes(n, "big")


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    return bytes([0x82, n >> 8, n & 0xFF])


def tlv(tag, value):
    return _tag_bytes(tag) + ber_len(len(value)) + value


_orig_pack = TLVutils.pack
for _m in list(sys.modules.values()):
    if getattr(_m, "__name__", "").startswith("virtualsmartcard") and \
            getattr(_m, "pack", None) is _orig_pack:
        _m.pack = _fixed_pack

SW_OK = b"\x90\x00"
PIN_TRIES = 3


class Node:
    """One file: a DF (children, optional AID) or a transparent EF."""

    def __init__(self, fid, parent, aid=None, data=None, chv=None):
        self.fid, self.parent, self.aid = fid, parent, aid
        self.data, self.chv = data, chv
        self.children = []

    @property
    def is_df(self):
        return self.data is None

    def child(self, fid):
        for c in self.children:
            if c.fid == fid:
                return c
        return None

    def fcp(self):
        # TS 102 221 11.1.1.3: descriptor, FID, [AID], LCSI, [size].
        body = b""
        if self.is_df:
            body += tlv(0x82, b"\x78\x21")
        else:
            body += tlv(0x82, b"\x41\x21")
        body += tlv(0x83, self.fid.to_bytes(2, "big"))
        if self.aid:
            body += tlv(0x84, self.aid)
        body += tlv(0x8A, b"\x05")
        if not self.is_df:
            body += tlv(0x80, len(self.data).to_bytes(2, "big"))
        return tlv(0x62, body)


def build_fs(image):
    """The image's "files" list, each {"path": "3F00/7F50/4401", "aid":
    hex (DF), "data": hex (EF), "chv": 1 (EF readable after PIN1)}."""
    mf = Node(0x3F00, None)
    for f in image["files"]:
        parts = [int(p, 16) for p in f["path"].split("/")]
        if parts[0] != 0x3F00:
            raise SystemExit("vcard: path %s does not start at 3F00" % f["path"])
        parent = mf
        for p in parts[1:-1]:
            parent = parent.child(p)
            if parent is None or not parent.is_df:
                raise SystemExit("vcard: %s: parent DF missing" % f["path"])
        if len(parts) == 1:
            mf.aid = bytes.fromhex(f["aid"]) if f.get("aid") else None
            continue
        data = bytes.fromhex(f["data"]) if "data" in f else None
        aid = bytes.fromhex(f["aid"]) if f.get("aid") else None
        parent.children.append(Node(parts[-1], parent, aid, data, f.get("chv")))
    return mf


class UiccOS(SmartcardOS):
    """A UICC's answers to the commands a bootstrap reader needs.

    t0=True plays T=0 rules: a command with response data answers 61xx and
    the data comes with GET RESPONSE; a wrong Le gets 6Cxx."""

    def __init__(self, image):
        self.mf = build_fs(image)
        self.atr = bytes.fromhex(image["atr"])
        self.t0 = image.get("protocol", "T=1") == "T=0"
        self.pin = image.get("pin")
        self.tries = image.get("pin_tries", PIN_TRIES)
        self.reset()

    def getATR(self):
        return self.atr

    def powerUp(self):
        self.reset()

    def powerDown(self):
        self.reset()

    def reset(self):
        # A reset loses the security status, never the tries counter.
        self.cur_df, self.cur_ef = self.mf, None
        self.verified = False
        self.pending = b""

    trace = False

    def execute(self, apdu):
        try:
            resp = self._execute(bytes(apdu))
        except Exception as e:  # a card never dies: log and answer 6F00
            sys.stderr.write("vcard: internal error: %r\n" % e)
            resp = b"\x6F\x00"
        if self.trace:
            # VERIFY's data is the PIN: the trace shows its length only.
            shown = apdu[:5].hex().upper() + "<pin>" if apdu[1:2] == b"\x20" \
                and len(apdu) > 5 else bytes(apdu).hex().upper()
            sys.stderr.write("> %s\n< %s\n" % (shown, resp.hex().upper()))
            sys.stderr.flush()
        return resp

    def _execute(self, a):
        if len(a) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = a[0], a[1], a[2], a[3]
        body = a[4:]
        # Short APDUs only (no extended length): case 1, 2, 3 or 4.
        data, le = b"", None
        if len(body) == 1:
            le = body[0] or 256
        elif len(body) > 1:
            lc = body[0]
            if lc == 0:
                return b"\x67\x00"  # extended length: not supported
            if len(body) == 1 + lc:
                data = body[1:]
            elif len(body) == 2 + lc:
                data, le = body[1:-1], body[-1] or 256
            else:
                return b"\x67\x00"
        pending, self.pending = self.pending, b""
        if cla & 0xF0 != 0x00:
            return b"\x6E\x00"
        if ins == 0xC0:
            return self._get_response(pending, p1, p2, le)
        if ins == 0xA4:
            return self._select(p1, p2, data, le)
        if ins == 0xB0:
            return self._read_binary(p1, p2, data, le)
        if ins == 0x20:
            return self._verify(p1, p2, data, le)
        return b"\x6D\x00"

    def _respond(self, resp, le):
        """Response data under the transport's rules."""
        if le is None or self.t0:
            # Case 3, or T=0 (where case 4 travels as case 3): 61xx.
            if not resp:
                return SW_OK
            self.pending = resp
            return bytes([0x61, len(resp) & 0xFF])
        if le < len(resp):
            return resp[:le] + b"\x61" + bytes([(len(resp) - le) & 0xFF])
        return resp + SW_OK

    def _get_response(self, pending, p1, p2, le):
        if not pending:
            return b"\x69\x85"
        if p1 or p2:
            return b"\x6A\x86"
        le = le or 256
        if le > len(pending) and self.t0:
            self.pending = pending
            return bytes([0x6C, len(pending) & 0xFF])
        out, rest = pending[:le], pending[le:]
        if rest:
            self.pending = rest
            return out + bytes([0x61, len(rest) & 0xFF])
        return out + SW_OK

    def _find_fid(self, fid):
        """ISO 7816-4 / TS 102 221 8.4.1 selection by FID from the
        current DF: MF, the current DF, a child, the parent, a sibling DF."""
        if fid == 0x3F00:
            return self.mf
        df = self.cur_df
        if fid == df.fid:
            return df
        c = df.child(fid)
        if c:
            return c
        if df.parent:
            if fid == df.parent.fid:
                return df.parent
            s = df.parent.child(fid)
            if s and s.is_df:
                return s
        return None

    def _walk(self, start, path):
        if len(path) % 2:
            return None
        node = start
        for i in range(0, len(path), 2):
            fid = int.from_bytes(path[i:i + 2], "big")
            if i == 0 and fid == 0x3F00 and start is self.mf:
                continue
            if not node.is_df:
                return None
            node = node.child(fid)
            if node is None:
                return None
        return node

    def _find_aid(self, aid, node=None):
        node = node or self.mf
        if node.aid and node.aid[:len(aid)] == aid:
            return node
        for c in node.children:
            if c.is_df:
                found = self._find_aid(aid, c)
                if found:
                    return found
        return None

    def _select(self, p1, p2, data, le):
        if p2 not in (0x00, 0x04, 0x0C):
            return b"\x6A\x86"
        if p1 == 0x00:
            if len(data) == 0:
                node = self.mf
            elif len(data) == 2:
                node = self._find_fid(int.from_bytes(data, "big"))
            else:
                return b"\x67\x00"
        elif p1 == 0x04:
            if not 1 <= len(data) <= 16:
                return b"\x67\x00"
            node = self._find_aid(data)
        elif p1 == 0x08:
            node = self._walk(self.mf, data) if data else None
        elif p1 == 0x09:
            node = self._walk(self.cur_df, data) if data else None
        else:
            return b"\x6A\x86"
        if node is None:
            return b"\x6A\x82"
        if node.is_df:
            self.cur_df, self.cur_ef = node, None
        else:
            self.cur_df, self.cur_ef = node.parent, node
        if p2 == 0x0C:
            return SW_OK
        fcp = node.fcp()
        if p2 == 0x00:  # FCI: the FCP's content inside 6F
            fcp = tlv(0x6F, fcp[2:])
        return self._respond(fcp, le)

    def _read_binary(self, p1, p2, data, le):
        if data:
            return b"\x67\x00"
        if p1 & 0x80:
            return b"\x6A\x81"  # short EF identifiers: not supported
        ef = self.cur_ef
        if ef is None:
            return b"\x69\x86"
        if ef.chv and not self.verified:
            return b"\x69\x82"
        off = (p1 << 8) | p2
        size = len(ef.data)
        if off > size:
            return b"\x6B\x00"
        want = le if le is not None else 256
        chunk = ef.data[off:off + want]
        if len(chunk) < want:
            if self.t0:
                return bytes([0x6C, len(chunk) & 0xFF])
            return chunk + b"\x62\x82"
        return chunk + SW_OK

    def _verify(self, p1, p2, data, le):
        if le is not None:
            return b"\x67\x00"
        if p1 != 0x00:
            return b"\x6A\x86"
        if p2 != 0x01 or self.pin is None:
            return b"\x6A\x88"
        if self.tries == 0:
            return b"\x69\x83"
        if not data:  # status query: verified, or the tries left
            return SW_OK if self.verified else bytes([0x63, 0xC0 | self.tries])
        if len(data) != 8:
            return b"\x67\x00"
        want = self.pin.encode().ljust(8, b"\xFF")
        if data == want:
            self.tries, self.verified = PIN_TRIES, True
            return SW_OK
        self.tries -= 1
        self.verified = False
        return bytes([0x63, 0xC0 | self.tries])


class _QuickAck:
    """Socket wrapper: TCP_QUICKACK on every recv turns the ~42 ms
    Nagle/delayed-ACK stall per APDU into ~1 ms."""

    def __init__(self, sock):
        self._s = sock

    def recv(self, n, *rest):
        try:
            self._s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except OSError:
            pass
        return self._s.recv(n, *rest)

    def __getattr__(self, name):
        return getattr(self._s, name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("image")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=35963)
    ap.add_argument("--connect-timeout", type=float, default=10.0)
    ap.add_argument("--trace", action="store_true",
                    help="log every APDU and response on stderr")
    args = ap.parse_args()
    with open(args.image) as f:
        image = json.load(f)
    card = UiccOS(image)
    card.trace = args.trace

    # VirtualICC's constructor connects and calls sys.exit() on failure:
    # retry until pcscd's vpcd listens.
    deadline = time.monotonic() + args.connect_timeout
    while True:
        try:
            vicc = VirtualICC(None, "iso7816", args.host, args.port,
                              logginglevel=logging.CRITICAL)
            break
        except SystemExit:
            if time.monotonic() > deadline:
                sys.stderr.write("vcard: no vpcd at %s:%d\n" % (args.host, args.port))
                return 1
            time.sleep(0.05)
    vicc.os = card
    vicc.sock = _QuickAck(vicc.sock)
    sys.stderr.write("vcard: card %s inserted\n" % image.get("name", args.image))
    sys.stderr.flush()
    try:
        vicc.run()  # returns through sys.exit() when pcscd closes the socket
    except SystemExit:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
