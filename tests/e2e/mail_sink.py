#!/usr/bin/env python3
"""tests/e2e/mail_sink.py PORT DIR [USER:PASSWORD]: an SMTP server on
127.0.0.1:PORT (aiosmtpd) that stores each message it accepts as DIR/NNNN.eml
(the bytes as received, after a first line "X-Envelope-To: RCPT,..." and, when
it requires AUTH, "X-Auth-User: USER") and prints "listening" once up. With
DIR/refuse present it answers 451 to every message (a relay in trouble). With
USER:PASSWORD it requires AUTH (PLAIN or LOGIN, offered without TLS: the test
runs on loopback) and takes only that user and password; each failed AUTH is
counted in DIR/auth_failures."""
import asyncio
import os
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Store:
    def __init__(self, where):
        self.where = where
        self.n = len([f for f in os.listdir(where) if f.endswith(".eml")])

    async def handle_DATA(self, server, session, envelope):
        if os.path.exists(os.path.join(self.where, "refuse")):
            return "451 try again later"
        self.n += 1
        path = os.path.join(self.where, "%04d.eml" % self.n)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            if session.authenticated:
                f.write(b"X-Auth-User: " + session.auth_data.login + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, path)
        return "250 OK stored"


class Authenticator:
    def __init__(self, where, user, password):
        self.where, self.user, self.password = where, user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login == self.user \
                and auth_data.password == self.password:
            return AuthResult(success=True, auth_data=auth_data)
        path = os.path.join(self.where, "auth_failures")
        n = int(open(path).read()) if os.path.exists(path) else 0
        with open(path, "w") as f:
            f.write(str(n + 1))
        return AuthResult(success=False, handled=False)


def main():
    port, where = int(sys.argv[1]), sys.argv[2]
    os.makedirs(where, exist_ok=True)
    auth = {}
    if len(sys.argv) > 3:
        user, password = sys.argv[3].split(":", 1)
        auth = dict(authenticator=Authenticator(where, user, password), auth_required=True,
                    auth_require_tls=False)
    c = Controller(Store(where), hostname="127.0.0.1", port=port, decode_data=False, **auth)
    c.start()
    print("listening", flush=True)
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.Event().wait())
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        c.stop()


if __name__ == "__main__":
    main()
