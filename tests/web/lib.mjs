// tests/web/lib.mjs: what the browser tests share: TAP-like lines, checks,
// the API with a bearer token, axe-core, screenshots, keyboard focus, and
// Debian's Chromium (never a downloaded browser).
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const BASE = process.env.SEAM_URL;
const SCREENS = process.env.SEAM_SCREENS;
let failed = 0;

export function failures() {
  return failed;
}

function report(pass, what, detail) {
  console.log(`${pass ? 'ok' : 'not ok'} - ${what}`);
  if (!pass) {
    failed++;
    if (detail) console.log(String(detail).split('\n').map((l) => `# ${l}`).join('\n'));
  }
}

// check(what, async fn): fn passes unless it throws.
export async function check(what, fn) {
  try {
    await fn();
    report(true, what);
  } catch (e) {
    report(false, what, e.stack || e);
  }
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

// The broker's API with a bearer token (the partner's, the lead's or the customer's side).
export async function api(token, method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// axe-core on the page as it is: no violation of impact serious or critical.
// (Evaluated over the DevTools protocol, which the page's CSP does not govern.)
export async function axe(page, what) {
  await check(`axe: ${what} has no serious or critical violation`, async () => {
    await page.evaluate(AXE);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert(bad.length === 0, bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`).join('\n'));
  });
}

export async function shot(page, name) {
  if (SCREENS) await page.screenshot({ path: `${SCREENS}/${name}.png`, fullPage: true });
}

// Tab (Shift+Tab with back) until the focused element is the control whose label is `label` (at most 40 presses).
export async function tabTo(page, label, back = false) {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const name = await page.evaluate(() => {
      const el = document.activeElement;
      return el?.labels?.[0]?.textContent ?? el?.textContent ?? '';
    });
    if (name.trim() === label) return;
  }
  throw new Error(`no control "${label}" reached by Tab`);
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.SEAM_CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

// Every Content-Security-Policy report, uncaught error and request to another
// origin than the broker's of the page, collected.
export function watchErrors(page, errors) {
  page.on('request', (r) => {
    if (!r.url().startsWith(BASE + '/') && !r.url().startsWith('data:')) errors.push(`a request elsewhere: ${r.url()}`);
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
}

// The broker's clock (its test clock, which tests move) less ours, in ms.
async function brokerOffset() {
  const res = await api(process.env.SEAM_LEAD, 'POST', '/v1/test/clock', { advance_ms: 0 });
  return Date.parse(res.body.now) - Date.now();
}

// The TOTP code (RFC 6238: SHA-1, 30 s, 6 digits) of a base32 secret at the broker's time now.
export async function totp(secret, step = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor((Date.now() + (await brokerOffset())) / 30000) + step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const o = mac[19] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// Signs a staff user in at a face's form: user and password, then the code
// the broker asks for. A code is taken once: when this user signed in within
// the same 30 s (another test), the next one is waited for.
export async function signInWithCode(p, user, password, secret) {
  await p.getByLabel('User name').fill(user);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('alert').filter({ hasText: 'authenticator app' }).waitFor();
  for (let i = 0; i < 3; i++) {
    await p.getByLabel('Code from your authenticator app').fill(await totp(secret));
    await p.getByRole('button', { name: 'Sign in' }).click();
    const wrong = p.getByRole('alert').filter({ hasText: 'used already' });
    const done = await Promise.race([
      p.getByRole('button', { name: 'Sign out' }).waitFor().then(() => true),
      wrong.waitFor().then(() => false),
    ]);
    if (done) return;
    const offset = await brokerOffset();
    await new Promise((r) => setTimeout(r, 30000 - ((Date.now() + offset) % 30000) + 200));
  }
  throw new Error(`${user} could not sign in with a code`);
}

// A tiny PNG (1x1): a photo as the broker's content check knows it.
export const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082', 'hex');
