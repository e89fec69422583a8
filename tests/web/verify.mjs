// tests/web/verify.mjs: the pages' evidence check (web/src/verify.js, the
// very module the browser runs) against seamctl verify-evidence, in Node's
// WebCrypto. Started by tests/e2e/t_web.sh with: SEAM_KEY (the broker's key,
// base64), SEAM_ORIGIN (its checkpoints' origin), SEAM_SEAMCTL (a command
// line running seamctl), SEAM_FLIPS (how many byte positions per document)
// and SEAM_EVIDENCE (the evidence documents' files, space-separated). For
// each document:
//   - it verifies, in both;
//   - each of SEAM_FLIPS bytes spread over the whole document, changed two
//     ways (to another letter, one bit flipped), makes it fail in the page's
//     check, as evflip shows it does in the library's;
//   - changes a person could make on purpose (an event cut off the tail, two
//     events swapped, an event hidden by its hash, a disclosure removed, the
//     document's key replaced) fail in both, the page naming what failed.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, check, failures } from './lib.mjs';

const { verifyEvidence } = await import(join(dirname(fileURLToPath(import.meta.url)), '../../web/src/verify.js'));
const KEY = process.env.SEAM_KEY;
const ORIGIN = process.env.SEAM_ORIGIN;
const SEAMCTL = process.env.SEAM_SEAMCTL.split(' ');
const FLIPS = Number(process.env.SEAM_FLIPS || 100);
const decode = (buf) => new TextDecoder().decode(buf); // as File.text() reads a file

// seamctl verify-evidence on text: true if it verifies.
function library(text, tmp) {
  writeFileSync(tmp, text);
  try {
    execFileSync(SEAMCTL[0], [...SEAMCTL.slice(1), 'verify-evidence', tmp, '--key', KEY], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

for (const file of process.env.SEAM_EVIDENCE.split(' ')) {
  const name = file.split('/').pop();
  const bytes = readFileSync(file);
  const text = decode(bytes);
  const doc = JSON.parse(text);
  const tmp = `${file}.changed`;

  await check(`${name}: verifies in the page's check and the library's`, async () => {
    const res = await verifyEvidence(text, KEY, ORIGIN);
    assert(res.ok, JSON.stringify(res.why));
    assert(library(text, tmp), 'seamctl verify-evidence fails');
  });

  await check(`${name}: ${FLIPS} bytes spread over it, each changed two ways, each fail the page's check`, async () => {
    const missed = [];
    for (let k = 0; k < FLIPS; k++) {
      const at = Math.floor((k * bytes.length) / FLIPS);
      const letter = bytes[at] === 0x41 ? 0x42 : 0x41;
      for (const to of [letter, bytes[at] ^ 0x01]) {
        const changed = Buffer.from(bytes);
        changed[at] = to;
        const res = await verifyEvidence(decode(changed), KEY, ORIGIN);
        if (res.ok) missed.push(`byte ${at} (${String.fromCharCode(bytes[at])} -> ${String.fromCharCode(to)})`);
      }
    }
    assert(missed.length === 0, `still verifies with ${missed.join(', ')}`);
  });

  const canonical = (d) => `${JSON.stringify(d)}\n`; // the documents hold nothing JSON.stringify writes otherwise
  const view = doc.format === 'seam-evidence/2';
  const shown = doc.events.map((e, i) => [e, i]).filter(([e]) => e.event);
  const edits = [
    ['an event cut off the tail', (d) => d.events.pop(), view ? /the events differ from those the broker signed/ : /events cut off or added/],
    ['two events swapped', (d) => d.events.reverse(), /out of place|does not follow|not in the signed log/],
    ['the key replaced by another', (d) => { d.public_key = 'A'.repeat(43) + '='; }, /names another key/],
  ];
  if (view && shown.length > 1) {
    edits.push(['an event hidden by its hash', async (d) => {
      const [e, i] = shown[shown.length - 1];
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(e.event));
      d.events[i] = { hash: Buffer.from(digest).toString('hex') };
    }, /the events differ from those the broker signed/]);
  }
  const withDisclosure = shown.find(([e]) => e.disclosures?.length);
  if (withDisclosure) {
    edits.push(['a disclosure removed', (d) => d.events[withDisclosure[1]].disclosures.pop(), /the events differ from those the broker signed/]);
  }
  for (const [what, edit, reason] of edits) {
    await check(`${name}: ${what} fails in both, the page naming what failed`, async () => {
      const d = JSON.parse(text);
      await edit(d);
      const changed = canonical(d);
      assert(changed !== text, 'nothing changed');
      const res = await verifyEvidence(changed, KEY, ORIGIN);
      assert(!res.ok, 'the page says it verifies');
      const said = `${res.why.key} ${JSON.stringify(res.why.vars)}`;
      const en = (await import('../../web/src/messages-en.js')).default[res.why.key] || '';
      assert(reason.test(en.replace(/\{(\w+)\}/g, (_, v) => String(res.why.vars[v]))), `the page said ${said}: ${en}`);
      assert(!library(changed, tmp), 'seamctl verify-evidence passes it');
    });
  }
}
process.exit(failures() ? 1 : 0);
