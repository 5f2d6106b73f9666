#!/usr/bin/env python3
"""A small SMTP server for the onramp tests (raw sockets, no aiosmtpd):
EHLO offers PIPELINING, DSN, SIZE; RCPT to addresses matching --reject is
refused with 550 5.1.1; every transaction is saved as DIR/N.eml with the
envelope (MAIL and RCPT lines as sent) in DIR/N.env.

usage: onramp_smtpd.py PORT DIR [--reject SUBSTRING]
"""
import os
import socketserver
import sys
import threading

PORT, DIR = int(sys.argv[1]), sys.argv[2]
REJECT = sys.argv[sys.argv.index("--reject") + 1] if "--reject" in sys.argv else None
lock = threading.Lock()
counter = [0]


class Handler(socketserver.StreamRequestHandler):
    def send(self, s):
        self.wfile.write((s + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.send("220 test.example.com ESMTP")
        env, rcpts = [], 0
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.rstrip(b"\r\n").decode("latin-1")
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                self.send("250-test.example.com\r\n250-PIPELINING\r\n250-SIZE 50000000\r\n250 DSN")
            elif verb == "MAIL":
                env, rcpts = [cmd], 0
                self.send("250 2.1.0 Ok")
            elif verb == "RCPT":
                env.append(cmd)
                if REJECT and REJECT in cmd:
                    self.send("550 5.1.1 <%s>: Recipient address rejected" % REJECT)
                else:
                    rcpts += 1
                    self.send("250 2.1.5 Ok")
            elif verb == "DATA":
                if rcpts == 0:
                    self.send("554 5.5.1 Error: no valid recipients")
                    continue
                self.send("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while True:
                    ln = self.rfile.readline()
                    if not ln or ln == b".\r\n":
                        break
                    data.append(ln[1:] if ln.startswith(b"..") else ln)
                with lock:
                    counter[0] += 1
                    n = counter[0]
                with open(os.path.join(DIR, "%d.env" % n), "w") as f:
                    f.write("\n".join(env) + "\n")
                with open(os.path.join(DIR, "%d.eml" % n), "wb") as f:
                    f.write(b"".join(data))
                self.send("250 2.0.0 Ok: queued as T%d" % n)
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            else:
                self.send("250 2.0.0 Ok")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


os.makedirs(DIR, exist_ok=True)
Server(("127.0.0.1", PORT), Handler).serve_forever()
