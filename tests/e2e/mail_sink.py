#!/usr/bin/env python3
"""tests/e2e/mail_sink.py PORT DIR: an SMTP server on 127.0.0.1:PORT (aiosmtpd)
that stores each message it accepts as DIR/NNNN.eml (the bytes as received,
after a first line "X-Envelope-To: RCPT,...") and prints "listening" once up.
With DIR/refuse present it answers 451 to every message (a relay in trouble)."""
import asyncio
import os
import sys

from aiosmtpd.controller import Controller


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
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, path)
        return "250 OK stored"


def main():
    port, where = int(sys.argv[1]), sys.argv[2]
    os.makedirs(where, exist_ok=True)
    c = Controller(Store(where), hostname="127.0.0.1", port=port, decode_data=False)
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
