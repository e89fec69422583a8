#!/usr/bin/env python3
"""checkpoints.py: the broker's signed checkpoints, checked without its code.

    checkpoints.py KEYFILE RECORDED TOKEN LEADER-URL [NODE-URL...]

KEYFILE holds the broker's Ed25519 public key (base64, as broker.pub);
RECORDED one JSON object a line, each a checkpoint as some node served it at
some moment ({"node", "why", "tree_size", "checkpoint"}). With the lead's
TOKEN it asks LEADER-URL for the consistency proof (GET
/v1/audit/proof?from=&to=) between every two recorded sizes, and each
NODE-URL for its checkpoint at every recorded size (the inclusion proof's
?leaf=0&size=). It checks, with PyNaCl and hashlib only:

- each recorded checkpoint is a C2SP signed note by the broker's key
  (key id SHA-256(origin "\\n" 0x01 pk)[:4], Ed25519 over the note's text);
- checkpoints recorded at the same size are the same note;
- the checkpoints the proofs come with, and each node's at each size, are the
  ones recorded;
- each consistency proof verifies (RFC 9162 2.1.4.2, the RFC 6962 tree)
  from the smaller recorded root to the larger;
- and, as a control, that the same proof with one hash changed does not.

Prints one JSON object: the counts and, for each kind of failure, a list.
"""
import base64
import hashlib
import json
import sys
import urllib.request

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 2.1.4.2: True if proof shows the tree of `second` leaves extends that of `first`."""
    if first > second or first == 0:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first & (first - 1) == 0:  # a power of two: the old root is the path's start
        proof = [first_root] + proof
    if not proof:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


def open_note(note, pk):
    """(origin, size, root) of a checkpoint signed by pk; raises ValueError if it is not."""
    text, sep, sigs = note.partition("\n\n")
    if not sep:
        raise ValueError("no blank line")
    body = (text + "\n").encode()
    lines = text.split("\n")
    if len(lines) < 3:
        raise ValueError("fewer than three lines")
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2])
    key_id = hashlib.sha256(origin.encode() + b"\n\x01" + pk).digest()[:4]
    for line in sigs.split("\n"):
        if not line.startswith("\u2014 " + origin + " "):
            continue
        blob = base64.b64decode(line.rsplit(" ", 1)[1])
        if blob[:4] != key_id:
            continue
        try:
            VerifyKey(pk).verify(body, blob[4:])
        except BadSignatureError:
            raise ValueError("the signature does not verify")
        return origin, size, root
    raise ValueError("no signature by the broker's key")


def get(url, token):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def main():
    keyfile, recorded, token, leader = sys.argv[1:5]
    nodes = sys.argv[5:]
    pk = base64.b64decode(open(keyfile).read().strip())
    out = {"recorded": 0, "sizes": 0, "pairs": 0, "bad_signature": [], "differ_at_size": [],
           "proof_refused": [], "proof_checkpoints_differ": [], "proof_fails": [],
           "control_verified": [], "node_differs": []}
    by_size = {}
    for line in open(recorded):
        if not line.strip():
            continue
        cp = json.loads(line)
        out["recorded"] += 1
        try:
            _, size, root = open_note(cp["checkpoint"], pk)
            if size != cp["tree_size"]:
                raise ValueError("its size is %d, the answer's %d" % (size, cp["tree_size"]))
        except (ValueError, KeyError, TypeError) as e:
            out["bad_signature"].append("%s (%s): %s" % (cp.get("node"), cp.get("why"), e))
            continue
        if size in by_size and by_size[size][0] != cp["checkpoint"]:
            out["differ_at_size"].append("size %d: %s and %s" % (size, by_size[size][2], cp["why"]))
            continue
        by_size.setdefault(size, (cp["checkpoint"], root, cp["why"]))
    sizes = sorted(by_size)
    out["sizes"] = len(sizes)
    for i, a in enumerate(sizes):
        for b in sizes[i + 1:]:
            out["pairs"] += 1
            try:
                p = get("%s/v1/audit/proof?from=%d&to=%d" % (leader, a, b), token)
            except Exception as e:  # noqa: BLE001 (an HTTP error or a bad answer: reported)
                out["proof_refused"].append("%d..%d: %s" % (a, b, e))
                continue
            if p.get("from_checkpoint") != by_size[a][0] or p.get("to_checkpoint") != by_size[b][0]:
                out["proof_checkpoints_differ"].append("%d..%d" % (a, b))
            proof = [base64.b64decode(h) for h in p.get("proof", [])]
            if not verify_consistency(a, b, by_size[a][1], by_size[b][1], proof):
                out["proof_fails"].append("%d..%d" % (a, b))
            elif proof:
                bad = list(proof)
                k = (a + b) % len(bad)
                bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
                if verify_consistency(a, b, by_size[a][1], by_size[b][1], bad):
                    out["control_verified"].append("%d..%d" % (a, b))
    for n in nodes:
        for s in sizes:
            try:
                p = get("%s/v1/audit/proof?leaf=0&size=%d" % (n, s), token)
                same = p.get("checkpoint") == by_size[s][0]
            except Exception:  # noqa: BLE001
                same = False
            if not same:
                out["node_differs"].append("%s at %d" % (n, s))
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
