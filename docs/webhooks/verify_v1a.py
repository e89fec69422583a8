"""Verifies a seam push (Standard Webhooks, asymmetric "v1a": Ed25519) with
PyNaCl (Debian: python3-nacl; pip: pynacl).

    from verify_v1a import verify_webhook
    event = verify_webhook(WHPK, request.headers, raw_body)  # raises if not genuine

WHPK is the broker's webhook public key, "whpk_" and base64 (seamctl key
show --whpk). raw_body must be the exact bytes received, before any JSON
parsing. De-duplicate by the webhook-id header afterwards: a message may come
more than once, always with the same id and body.
"""
import base64
import binascii
import json
import time

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

TOLERANCE_S = 5 * 60  # refuse timestamps further than this from now (replays)


def verify_webhook(whpk, headers, raw_body, now=None):
    h = {k.lower(): v for k, v in headers.items()}
    msg_id = h.get("webhook-id")
    ts = h.get("webhook-timestamp")
    sigs = h.get("webhook-signature")
    if not (msg_id and ts and sigs):
        raise ValueError("missing webhook-id, -timestamp or -signature")
    now = int(time.time()) if now is None else now
    if not ts.isdigit() or abs(now - int(ts)) > TOLERANCE_S:
        raise ValueError("webhook-timestamp too far from now")
    key = VerifyKey(base64.b64decode(whpk.removeprefix("whpk_"), validate=True))
    signed = f"{msg_id}.{ts}.".encode() + raw_body
    for entry in sigs.split(" "):
        version, _, b64 = entry.partition(",")
        if version != "v1a":  # other schemes (v1) are not the broker's
            continue
        try:
            key.verify(signed, base64.b64decode(b64, validate=True))
        except (BadSignatureError, binascii.Error, ValueError):
            continue
        return json.loads(raw_body)
    raise ValueError("no valid v1a signature")
