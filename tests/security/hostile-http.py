#!/usr/bin/env python3
"""hostile-http.py DIR PORT RULES LOG: serve DIR on 127.0.0.1:PORT like
python's http.server, except for the URL paths named in the JSON file RULES
(re-read on every request, so a test can change them between runs):

  {"/dists/bookworm/InRelease": "endless-chunked"}

  endless-chunked  200, chunked transfer encoding (no Content-Length), an
                   endless body (bounded at LIMIT bytes so that a broken
                   client cannot fill the disk of the test host)
  endless-close    200, no Content-Length, body until the connection closes
  slow             200, one byte per second, for ever (below any sane
                   low-speed limit)
  drip             200, 400 bytes per second, for ever (above the test's
                   low-speed limit: only the overall timeout stops it)

Every hostile answer appends "PATH MODE BYTES_SENT" to LOG when the client
has gone. Conditional requests are ignored for rule paths, as an attacker
would. Used by tests/security/test-fetch-*.sh."""

import functools
import http.server
import json
import socketserver
import sys
import time

LIMIT = 256 << 20
CHUNK = b"vzpkg-hostile-body " * 3449  # ~64 KiB of text


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("%s - - [%s] %s\n" % (self.address_string(), self.log_date_time_string(), fmt % args))

    def rule(self):
        try:
            with open(self.server.rules_path) as f:
                return json.load(f).get(self.path.split("?")[0])
        except (OSError, ValueError):
            return None

    def do_GET(self):
        mode = self.rule()
        if not mode:
            return super().do_GET()
        sent = 0
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if mode == "endless-chunked":
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            while sent < LIMIT:
                if mode == "slow":
                    data = b"x"
                elif mode == "drip":
                    data = b"y" * 40
                else:
                    data = CHUNK
                if mode == "endless-chunked":
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                else:
                    self.wfile.write(data)
                self.wfile.flush()
                sent += len(data)
                if mode == "slow":
                    time.sleep(1)
                elif mode == "drip":
                    time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.close_connection = True
            with open(self.server.log_path, "a") as f:
                f.write("%s %s %d\n" % (self.path, mode, sent))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    directory, port, rules, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    # No chdir: the server's cwd must not be below the test's temp dir.
    srv = Server(("127.0.0.1", port), functools.partial(Handler, directory=directory))
    srv.rules_path, srv.log_path = rules, log
    srv.serve_forever()


if __name__ == "__main__":
    main()
