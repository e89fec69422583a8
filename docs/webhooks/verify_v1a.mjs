// Verifies a seam push (Standard Webhooks, asymmetric "v1a": Ed25519) with
// Node's own crypto, no package needed (Node 16 or later).
//
//   import { verifyWebhook } from './verify_v1a.mjs';
//   const event = verifyWebhook(WHPK, req.headers, rawBody); // throws if not genuine
//
// WHPK is the broker's webhook public key, "whpk_" and base64 (seamctl key
// show --whpk). rawBody must be the exact bytes received (a Buffer), before
// any JSON parsing. De-duplicate by headers['webhook-id'] afterwards: a
// message may come more than once, always with the same id and body.
import { createPublicKey, verify } from 'node:crypto';

const TOLERANCE_S = 5 * 60; // refuse timestamps further than this from now (replays)

export function verifyWebhook(whpk, headers, rawBody, nowS = Math.floor(Date.now() / 1000)) {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sigs = headers['webhook-signature'];
  if (!id || !ts || !sigs) throw new Error('missing webhook-id, -timestamp or -signature');
  if (!/^[0-9]+$/.test(ts) || Math.abs(nowS - Number(ts)) > TOLERANCE_S)
    throw new Error('webhook-timestamp too far from now');
  const raw = Buffer.from(whpk.replace(/^whpk_/, ''), 'base64');
  if (raw.length !== 32) throw new Error('not an Ed25519 public key');
  const key = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody);
  const signed = Buffer.concat([Buffer.from(`${id}.${ts}.`), body]);
  for (const entry of sigs.split(' ')) {
    const comma = entry.indexOf(',');
    if (entry.slice(0, comma) !== 'v1a') continue; // other schemes (v1) are not the broker's
    const sig = Buffer.from(entry.slice(comma + 1), 'base64');
    if (sig.length === 64 && verify(null, signed, key, sig)) return JSON.parse(body.toString('utf8'));
  }
  throw new Error('no valid v1a signature');
}
