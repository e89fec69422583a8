"""A partner's webhook endpoint for the tests: keeps every request it gets,
its headers and its exact body (base64), one JSON line each in LOG, and
answers 204; with FAIL=N it answers 503 to the first N, and 503 to all
while a file LOG.refuse exists. Prints
"listening on 127.0.0.1:PORT" once it listens.

    python3 webhook_receiver.py LOG [FAIL]
"""
import base64
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

LOG = sys.argv[1]
FAIL = int(sys.argv[2]) if len(sys.argv) > 2 else 0
seen = 0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        n = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(n)
        seen += 1
        status = 503 if seen <= FAIL or os.path.exists(LOG + ".refuse") else 204
        with open(LOG, "a") as f:
            f.write(json.dumps({"status": status,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": base64.b64encode(body).decode()}) + "\n")
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


srv = HTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on 127.0.0.1:{srv.server_address[1]}", flush=True)
srv.serve_forever()
