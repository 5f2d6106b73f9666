#!/usr/bin/env python3
"""A small SMTP server whose TLS is GnuTLS (libgnutls.so.30 through ctypes),
the peer for the onramp client's STARTTLS tests: Exim on Debian and many
appliances speak TLS through GnuTLS, not OpenSSL.

    gnutls_smtpd.py --port N --cert CERT --key KEY --dir DIR
                    [--tls 1.2|1.3] [--lump] [--count N]

Plain greeting and EHLO offer STARTTLS; after the handshake (the TLS version
pinned by --tls) it offers PIPELINING, 8BITMIME, DSN and AUTH PLAIN and
takes one message per transaction into DIR/N.eml; DIR/N.meta records the
TLS version, the commands seen and the MAIL/RCPT lines. With --lump the
replies to a pipelined group (MAIL, RCPT, DATA) are held back and sent in
one TLS record, so several replies reach the client in a single read.
Exits after --count sessions (default 1). Everything printed goes to
stderr; "ready PORT" on stdout once it listens.
"""
import argparse
import ctypes
import ctypes.util
import os
import socket
import sys

GNUTLS_SERVER = 1
GNUTLS_CRD_CERTIFICATE = 1
GNUTLS_X509_FMT_PEM = 1
GNUTLS_SHUT_WR = 1
GNUTLS_E_AGAIN = -28
GNUTLS_E_INTERRUPTED = -52


def load():
    name = ctypes.util.find_library("gnutls") or "libgnutls.so.30"
    lib = ctypes.CDLL(name)
    vp = ctypes.c_void_p
    lib.gnutls_certificate_allocate_credentials.argtypes = [ctypes.POINTER(vp)]
    lib.gnutls_certificate_set_x509_key_file.argtypes = [vp, ctypes.c_char_p,
                                                         ctypes.c_char_p, ctypes.c_int]
    lib.gnutls_init.argtypes = [ctypes.POINTER(vp), ctypes.c_uint]
    lib.gnutls_priority_set_direct.argtypes = [vp, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
    lib.gnutls_credentials_set.argtypes = [vp, ctypes.c_int, vp]
    lib.gnutls_transport_set_int2.argtypes = [vp, ctypes.c_int, ctypes.c_int]
    lib.gnutls_handshake.argtypes = [vp]
    lib.gnutls_error_is_fatal.argtypes = [ctypes.c_int]
    lib.gnutls_record_recv.argtypes = [vp, ctypes.c_char_p, ctypes.c_size_t]
    lib.gnutls_record_recv.restype = ctypes.c_ssize_t
    lib.gnutls_record_send.argtypes = [vp, ctypes.c_char_p, ctypes.c_size_t]
    lib.gnutls_record_send.restype = ctypes.c_ssize_t
    lib.gnutls_bye.argtypes = [vp, ctypes.c_int]
    lib.gnutls_deinit.argtypes = [vp]
    lib.gnutls_protocol_get_version.argtypes = [vp]
    lib.gnutls_protocol_get_name.argtypes = [ctypes.c_int]
    lib.gnutls_protocol_get_name.restype = ctypes.c_char_p
    lib.gnutls_strerror.argtypes = [ctypes.c_int]
    lib.gnutls_strerror.restype = ctypes.c_char_p
    return lib


class Plain:
    def __init__(self, sock):
        self.sock = sock

    def send(self, data):
        self.sock.sendall(data)

    def recv(self):
        return self.sock.recv(65536)


class Tls:
    def __init__(self, lib, sock, cred, priority):
        self.lib = lib
        self.s = ctypes.c_void_p()
        check(lib, lib.gnutls_init(ctypes.byref(self.s), GNUTLS_SERVER), "init")
        check(lib, lib.gnutls_priority_set_direct(self.s, priority.encode(), None), "priority")
        check(lib, lib.gnutls_credentials_set(self.s, GNUTLS_CRD_CERTIFICATE, cred), "credentials")
        lib.gnutls_transport_set_int2(self.s, sock.fileno(), sock.fileno())
        while True:
            r = lib.gnutls_handshake(self.s)
            if r >= 0:
                break
            if lib.gnutls_error_is_fatal(r):
                raise OSError("handshake: %s" % lib.gnutls_strerror(r).decode())
        v = lib.gnutls_protocol_get_version(self.s)
        self.version = lib.gnutls_protocol_get_name(v).decode()

    def send(self, data):
        while data:
            r = self.lib.gnutls_record_send(self.s, data, len(data))
            if r in (GNUTLS_E_AGAIN, GNUTLS_E_INTERRUPTED):
                continue
            if r < 0:
                raise OSError("send: %s" % self.lib.gnutls_strerror(r).decode())
            data = data[r:]

    def recv(self):
        buf = ctypes.create_string_buffer(65536)
        while True:
            r = self.lib.gnutls_record_recv(self.s, buf, 65536)
            if r in (GNUTLS_E_AGAIN, GNUTLS_E_INTERRUPTED):
                continue
            if r < 0:
                raise OSError("recv: %s" % self.lib.gnutls_strerror(r).decode())
            return buf.raw[:r]

    def close(self):
        self.lib.gnutls_bye(self.s, GNUTLS_SHUT_WR)
        self.lib.gnutls_deinit(self.s)


def check(lib, r, what):
    if r < 0:
        raise OSError("gnutls %s: %s" % (what, lib.gnutls_strerror(r).decode()))


def session(lib, conn, cred, args, n):
    io = Plain(conn)
    buf = b""
    meta = {"tls": "none", "commands": [], "mail": "", "rcpt": ""}
    held = []
    data = None

    def reply(text, lump=False):
        if lump and args.lump:
            held.append(text)
            return
        io.send(("".join(held) + text).encode())
        held.clear()

    reply("220 gnutls.test ESMTP\r\n")
    while True:
        while b"\r\n" not in buf:
            chunk = io.recv()
            if not chunk:
                return meta
            buf += chunk
        line, buf = buf.split(b"\r\n", 1)
        if data is not None:
            if line == b".":
                with open(os.path.join(args.dir, "%d.eml" % n), "wb") as f:
                    f.write(data)
                data = None
                reply("250 2.0.0 Ok: queued as G%d\r\n" % n)
            else:
                data += (line[1:] if line.startswith(b".") else line) + b"\r\n"
            continue
        text = line.decode("utf-8", "replace")
        verb = text.split(" ", 1)[0].upper()
        meta["commands"].append(verb)
        if verb == "EHLO":
            if isinstance(io, Tls):
                reply("250-gnutls.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-DSN\r\n"
                      "250-AUTH PLAIN\r\n250 ENHANCEDSTATUSCODES\r\n")
            else:
                reply("250-gnutls.test\r\n250-STARTTLS\r\n250 ENHANCEDSTATUSCODES\r\n")
        elif verb == "STARTTLS":
            reply("220 2.0.0 Ready to start TLS\r\n")
            if buf:
                raise OSError("plaintext after STARTTLS")
            io = Tls(lib, conn, cred, args.priority)
            meta["tls"] = io.version
        elif verb == "AUTH":
            reply("235 2.7.0 Authentication successful\r\n")
        elif verb == "MAIL":
            meta["mail"] = text
            reply("250 2.1.0 Ok\r\n", lump=True)
        elif verb == "RCPT":
            meta["rcpt"] = text
            reply("250 2.1.5 Ok\r\n", lump=True)
        elif verb == "DATA":
            data = b""
            reply("354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == "QUIT":
            reply("221 2.0.0 Bye\r\n")
            if isinstance(io, Tls):
                io.close()
            return meta
        else:
            reply("250 2.0.0 Ok\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tls", choices=("1.2", "1.3"), default="1.3")
    ap.add_argument("--lump", action="store_true")
    ap.add_argument("--count", type=int, default=1)
    args = ap.parse_args()
    args.priority = "NORMAL:-VERS-ALL:+VERS-TLS" + args.tls
    lib = load()
    cred = ctypes.c_void_p()
    check(lib, lib.gnutls_certificate_allocate_credentials(ctypes.byref(cred)), "credentials")
    check(lib, lib.gnutls_certificate_set_x509_key_file(cred, args.cert.encode(), args.key.encode(),
                                                        GNUTLS_X509_FMT_PEM), "key file")
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(8)
    print("ready %d" % args.port, flush=True)
    for n in range(1, args.count + 1):
        conn, _ = srv.accept()
        conn.setblocking(True)          # GnuTLS reads the descriptor itself
        try:
            meta = session(lib, conn, cred, args, n)
        except OSError as e:
            meta = {"error": str(e)}
            print("session %d: %s" % (n, e), file=sys.stderr)
        conn.close()
        with open(os.path.join(args.dir, "%d.meta" % n), "w") as f:
            for k, v in meta.items():
                f.write("%s=%s\n" % (k, " ".join(v) if isinstance(v, list) else v))


if __name__ == "__main__":
    main()
