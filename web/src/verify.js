// verify.js: a ticket's evidence document checked in the browser, with
// WebCrypto (Ed25519, SHA-256) and the broker's public key alone: what
// `seamctl verify-evidence` checks (seam_evidence_verify in
// broker/evidence.c), in the same order, failing for the same reasons.
//
//   - the document is canonical JSON (sorted keys, no spaces, one final
//     newline), of format seam-evidence/1 or /2, naming the key given;
//   - the checkpoint is a C2SP signed note by that key (witnesses'
//     cosignature lines after it are allowed, and then signed by the head);
//   - each event: the broker's signature over its exact bytes, canonical,
//     of this ticket, its sequence number, the hash chain (prev), its
//     disclosures each matching a signed digest once, and its RFC 6962
//     inclusion proof leading to the checkpoint's root; an event hidden
//     from this view is its hash alone, which carries the chain on;
//   - the signed head: the number of events, the last one's hash, the tree
//     size, and for a view the SHA-256 of the events array as shown.
//
// verifyEvidence(text, key) never throws for a bad document: it answers
// {ok: false, why: {key, vars}} (a message key of the catalogues,
// evidence.fail.*, and its values), or {ok: true, ...} with what was shown.
// No DOM here: the badge (evidence.js) draws the answer.

const EVENT_CONTEXT = 'seam.event.v1';
const HEAD_CONTEXT = 'seam.head.v1';
const FORMAT = 'seam-evidence/1';
const FORMAT_VIEW = 'seam-evidence/2';
const PROOF_MAX = 65;
const DASH = '\u2014 ';

const utf8 = new TextEncoder();

class Failed extends Error {
  constructor(key, vars = {}) {
    super(key);
    this.key = key;
    this.vars = vars;
  }
}

function fail(key, vars) {
  throw new Failed(`evidence.fail.${key}`, vars);
}

// ---- bytes ----

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function b64encode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

// Standard base64 with padding, only in its canonical spelling (as seam_b64_decode), of want bytes.
function b64exact(text, want) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  let raw;
  try {
    raw = atob(text);
  } catch {
    return null;
  }
  const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  if (b64encode(bytes) !== text) return null;
  return want === undefined || bytes.length === want ? bytes : null;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

async function sha256hex(text) {
  return hex(await sha256(utf8.encode(text)));
}

const isHex64 = (s) => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);

// ---- canonical JSON, as Jansson writes it (JSON_SORT_KEYS | JSON_COMPACT) ----

function utf8Compare(a, b) {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function jsonString(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c < 0x20) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

// A real as "%.17g" writes it, with ".0" when it would read as an integer.
function jsonReal(n) {
  const [mant, exp] = n.toExponential(16).split('e');
  const e = Number(exp);
  let text;
  if (e < -4 || e >= 17) {
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    text = `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  } else {
    text = n.toFixed(Math.max(0, 16 - e));
    if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  }
  return /[.e]/.test(text) ? text : `${text}.0`;
}

export function canonical(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : jsonReal(v);
  if (typeof v === 'string') return jsonString(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const keys = Object.keys(v).sort(utf8Compare);
  return `{${keys.map((k) => `${jsonString(k)}:${canonical(v[k])}`).join(',')}}`;
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function exactKeys(obj, keys) {
  return isObject(obj) && Object.keys(obj).length === keys.length && keys.every((k) => Object.hasOwn(obj, k));
}

// ---- signatures, the checkpoint, the Merkle proof ----

async function importKey(raw) {
  return crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
}

// Ed25519 over context || 0x00 || msg (seam_verify_ctx).
async function verifyCtx(key, context, msg, sig) {
  const data = concat(utf8.encode(context), new Uint8Array([0]), utf8.encode(msg));
  return crypto.subtle.verify({ name: 'Ed25519' }, key, sig, data);
}

// The log's own note and the lines after it (cosignatures: "— NAME BASE64\n" each), or null.
function splitCheckpoint(note) {
  const sep = note.indexOf('\n\n');
  if (sep < 0) return null;
  const end = note.indexOf('\n', sep + 2);
  if (end < 0) return null;
  const logNote = note.slice(0, end + 1);
  const rest = note.slice(end + 1);
  for (const line of rest ? rest.slice(0, -1).split('\n') : []) {
    if (!rest.endsWith('\n') || !line.startsWith(DASH)) return null;
    const sp = line.indexOf(' ', DASH.length);
    if (sp <= DASH.length) return null;
    const blob = b64exact(line.slice(sp + 1));
    if (!blob || blob.length < 5) return null;
  }
  return { logNote, cosigned: rest.length > 0 };
}

// The C2SP key id: SHA-256(name || "\n" || 0x01 || key)[:4].
async function noteKeyId(name, raw) {
  return (await sha256(concat(utf8.encode(name), new Uint8Array([10, 1]), raw))).slice(0, 4);
}

// seam_checkpoint_verify: {origin, size, root} of a note signed by the key.
async function verifyCheckpoint(note, key, raw) {
  const sep = note.indexOf('\n\n');
  if (sep < 0) fail('checkpoint_form');
  const body = note.slice(0, sep + 1);
  const lines = body.split('\n');
  if (lines.length !== 4 || lines[3] !== '') fail('checkpoint_form');
  const [origin, sizeText, rootText] = lines;
  if (!origin || !/^(0|[1-9][0-9]{0,18})$/.test(sizeText)) fail('checkpoint_form');
  const root = b64exact(rootText, 32);
  if (!root) fail('checkpoint_form');
  const sigLine = note.slice(sep + 2);
  const head = `${DASH}${origin} `;
  if (!sigLine.startsWith(head) || !sigLine.endsWith('\n') || sigLine.indexOf('\n') !== sigLine.length - 1) {
    fail('checkpoint_form');
  }
  const blob = b64exact(sigLine.slice(head.length, -1), 68);
  if (!blob) fail('checkpoint_form');
  const id = await noteKeyId(origin, raw);
  if (hex(id) !== hex(blob.slice(0, 4))) fail('checkpoint_key');
  if (!(await crypto.subtle.verify({ name: 'Ed25519' }, key, blob.slice(4), utf8.encode(body)))) {
    fail('checkpoint_signature');
  }
  return { origin, size: BigInt(sizeText), root };
}

async function nodeHash(left, right) {
  return sha256(concat(new Uint8Array([1]), left, right));
}

// RFC 9162 2.1.3.2, as seam_verify_inclusion.
async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if (fn & 1n || fn === sn) {
      r = await nodeHash(p, r);
      if (!(fn & 1n)) {
        while (!(fn & 1n) && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && hex(r) === hex(root);
}

// ---- disclosures ----

// The event's signed digests: null for format 1, else its sorted "sd" array; undefined if malformed.
function eventDigests(ev) {
  if (!Number.isInteger(ev.v)) return undefined;
  if (ev.v === 1 && ev.sd === undefined) return null;
  if (ev.v !== 2 || !Array.isArray(ev.sd)) return undefined;
  for (let i = 0; i < ev.sd.length; i++) {
    if (!isHex64(ev.sd[i]) || (i > 0 && ev.sd[i - 1] >= ev.sd[i])) return undefined;
  }
  return ev.sd;
}

// Each disclosure well formed, matching one signed digest, once, naming a member the event lacks.
async function checkDisclosures(ev, texts, n) {
  const sd = eventDigests(ev);
  if (sd === undefined) fail('event_digests', { n });
  if (sd === null && texts.length > 0) fail('event_disclosure', { n });
  const seen = new Set();
  for (const text of texts) {
    const d = typeof text === 'string' ? parse(text) : undefined;
    if (!Array.isArray(d) || d.length !== 3 || canonical(d) !== text || typeof d[0] !== 'string' ||
        !/^[A-Za-z0-9_-]{21}[AQgw]$/.test(d[0]) || typeof d[1] !== 'string' || d[1] === '') {
      fail('event_disclosure', { n });
    }
    const digest = await sha256hex(text);
    const actor = d[1].startsWith('actor.');
    const member = actor ? d[1].slice(6) : d[1];
    const target = actor ? (member ? ev.actor : undefined) : ev.data;
    if (!sd.includes(digest) || seen.has(digest) || !isObject(target) || Object.hasOwn(target, member)) {
      fail('event_disclosure', { n });
    }
    seen.add(digest);
  }
}

// ---- the document ----

async function verify(text, keyB64, origin) {
  if (!globalThis.crypto?.subtle) fail('no_webcrypto');
  const raw = b64exact(keyB64, 32);
  if (!raw) fail('key_form');
  let key;
  try {
    key = await importKey(raw);
  } catch {
    fail('no_webcrypto');
  }
  const doc = parse(text);
  if (doc === undefined) fail('not_json');
  if (!text.endsWith('\n') || canonical(doc) !== text.slice(0, -1)) fail('not_canonical');
  if (!exactKeys(doc, ['checkpoint', 'events', 'format', 'head', 'public_key', 'ticket'])) fail('fields');
  const view = doc.format === FORMAT_VIEW;
  if (!view && doc.format !== FORMAT) fail('format');
  const { ticket, checkpoint: note, events } = doc;
  if (typeof ticket !== 'string' || typeof doc.public_key !== 'string' || typeof note !== 'string' || !Array.isArray(events)) {
    fail('fields');
  }
  if (doc.public_key !== keyB64) fail('other_key', { key: doc.public_key });
  const split = splitCheckpoint(note);
  if (!split) fail('checkpoint_form');
  const cp = await verifyCheckpoint(split.logNote, key, raw);
  if (origin !== undefined && cp.origin !== origin) fail('checkpoint_origin', { origin: cp.origin });
  const noteHex = await sha256hex(note);
  if (events.length === 0) fail('no_events');

  let prev = '';
  let lastLeaf = -1n;
  let shown = 0;
  let disclosed = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const n = i + 1;
    if (view && exactKeys(e, ['hash'])) {
      if (!isHex64(e.hash)) fail('event_form', { n });
      prev = e.hash;
      continue;
    }
    if (!exactKeys(e, view ? ['disclosures', 'event', 'leaf_index', 'proof', 'signature'] : ['event', 'leaf_index', 'proof', 'signature'])) {
      fail('event_form', { n });
    }
    const bytes = e.event;
    if (typeof bytes !== 'string' || typeof e.signature !== 'string' || !Number.isInteger(e.leaf_index) ||
        !Array.isArray(e.proof) || (view && !Array.isArray(e.disclosures))) {
      fail('event_form', { n });
    }
    const sig = b64exact(e.signature, 64);
    if (!sig) fail('event_form', { n });
    if (!(await verifyCtx(key, EVENT_CONTEXT, bytes, sig))) fail('event_signature', { n });
    const ev = parse(bytes);
    if (!isObject(ev)) fail('event_form', { n });
    if (canonical(ev) !== bytes) fail('event_form', { n });
    if (ev.ticket !== ticket) fail('event_ticket', { n });
    if (ev.seq !== i) fail('event_order', { n });
    if (ev.prev !== prev) fail('event_chain', { n });
    await checkDisclosures(ev, view ? e.disclosures : [], n);
    disclosed += view ? e.disclosures.length : 0;
    const leaf = BigInt(e.leaf_index);
    if (leaf < 0n || leaf >= cp.size || (shown > 0 && leaf <= lastLeaf)) fail('event_leaf', { n });
    if (e.proof.length > PROOF_MAX) fail('event_form', { n });
    const proof = e.proof.map((p) => b64exact(p, 32));
    if (proof.some((p) => !p)) fail('event_form', { n });
    const leafHash = await sha256(concat(new Uint8Array([0]), utf8.encode(bytes)));
    if (!(await verifyInclusion(leaf, cp.size, leafHash, proof, cp.root))) fail('event_inclusion', { n });
    lastLeaf = leaf;
    shown++;
    prev = await sha256hex(bytes);
  }

  // The signed head: how many events the ticket had, and the last one.
  const head = doc.head;
  if (!exactKeys(head, ['body', 'signature'])) fail('head_form');
  const hsig = typeof head.signature === 'string' ? b64exact(head.signature, 64) : null;
  if (typeof head.body !== 'string' || !hsig) fail('head_form');
  if (!(await verifyCtx(key, HEAD_CONTEXT, head.body, hsig))) fail('head_signature');
  const hb = parse(head.body);
  if (!isObject(hb)) fail('head_form');
  if ((split.cosigned || Object.hasOwn(hb, 'checkpoint_sha256')) && hb.checkpoint_sha256 !== noteHex) {
    fail('head_checkpoint');
  }
  delete hb.checkpoint_sha256;
  if (!exactKeys(hb, view ? ['events', 'events_sha256', 'last', 'ticket', 'tree_size', 'view'] : ['events', 'last', 'ticket', 'tree_size'])) {
    fail('head_form');
  }
  if (view) {
    if (typeof hb.view !== 'string') fail('head_form');
    if (hb.events_sha256 !== (await sha256hex(canonical(events)))) fail('head_view');
  }
  if (hb.ticket !== ticket) fail('head_ticket');
  if (hb.events !== events.length) fail('head_count', { want: hb.events, have: events.length });
  if (hb.last !== prev) fail('head_last');
  if (!Number.isSafeInteger(hb.tree_size) || BigInt(hb.tree_size) !== cp.size) fail('head_size');
  return {
    ok: true,
    ticket,
    events: events.length,
    shown,
    disclosed,
    view: view ? hb.view : null,
    checkpoint: { origin: cp.origin, size: cp.size.toString(), root: hex(cp.root), cosigned: split.cosigned },
  };
}

// origin (optional): the checkpoint's origin line must be this one (the broker's federation).
export async function verifyEvidence(text, keyB64, origin) {
  try {
    return await verify(text, keyB64, origin);
  } catch (e) {
    if (e instanceof Failed) return { ok: false, why: { key: e.key, vars: e.vars } };
    return { ok: false, why: { key: 'evidence.fail.internal', vars: { message: String(e?.message || e) } } };
  }
}
