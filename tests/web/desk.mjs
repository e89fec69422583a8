// tests/web/desk.mjs: the partner desk driven in Chromium. Started by
// tests/e2e/t_web.sh after portal.mjs, with SEAM_USER and SEAM_PASSWORD (an
// agent of fibernet), SEAM_CUSTOMER (a customer's token, which files the
// complaints), SEAM_CUSTOMER2 (another customer's, of the TV + internet
// bundle), SEAM_PARTNER (fibernet's token), SEAM_CUSTOMER_USER and SEAM_CUSTOMER_PASSWORD (a customer's
// user, who has no business at the desk), SEAM_TOTP and SEAM_SUPERVISOR_TOTP
// (the staff's TOTP secrets: the broker requires codes of staff), SEAM_LEAD,
// SEAM_URL, SEAM_SCREENS.
// The page's clock is Playwright's, so that the SLA countdown can be moved.
import { createHmac } from 'node:crypto';
import { api, assert, axe, BASE, check, failures, launch, shot, watchErrors } from './lib.mjs';

const CUSTOMER = process.env.SEAM_CUSTOMER;
const LEAD = process.env.SEAM_LEAD;

// The broker runs on its test clock, which the portal's test moved: how far it is from ours.
const brokerNow = await api(LEAD, 'POST', '/v1/test/clock', { advance_ms: 0 });
const OFFSET_MS = Date.parse(brokerNow.body.now) - Date.now();

// The TOTP code (RFC 6238: SHA-1, 30 s, 6 digits) of a base32 secret, on the broker's clock.
function totp(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor((Date.now() + OFFSET_MS) / 30000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const o = mac[19] & 15;
  return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

// Signs in at the desk's form: user and password, then the code the broker asks for.
async function signInWithCode(p, user, password, secret) {
  await p.getByLabel('User name').fill(user);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('alert').filter({ hasText: 'authenticator app' }).waitFor();
  await p.getByLabel('Code from your authenticator app').fill(totp(secret));
  await p.getByRole('button', { name: 'Sign in' }).click();
}

function complaint(summary, priority) {
  return { summary, description: 'Filed for the desk test.', service: 'internet', symptom: 'slow', priority };
}

const browser = await launch();
const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1100, height: 800 } });
const page = await context.newPage();
const errors = [];
watchErrors(page, errors);
await page.clock.install();

try {
  const first = await api(CUSTOMER, 'POST', '/v1/tickets', complaint('Slow internet in the evenings', 'normal'));
  assert(first.status === 201, `filing: ${first.status}`);

  await page.goto(BASE + '/partner/');
  await check('the desk opens on its sign-in form', async () => {
    await page.getByRole('heading', { name: 'Partner desk: sign in' }).waitFor();
  });
  await axe(page, 'the desk sign-in page');
  await check("the agent signs in with its password and its authenticator's code, and sees its company's queue", async () => {
    await signInWithCode(page, process.env.SEAM_USER, process.env.SEAM_PASSWORD, process.env.SEAM_TOTP);
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
    await page.getByRole('link', { name: 'Slow internet in the evenings' }).waitFor();
    await page.getByText(/left$/).first().waitFor();
  });

  await check('a new claim appears in the queue without reloading, due first on top', async () => {
    const second = await api(CUSTOMER, 'POST', '/v1/tickets', complaint('Fibre box blinking red', 'urgent'));
    assert(second.status === 201, `filing: ${second.status}`);
    await page.getByRole('link', { name: 'Fibre box blinking red' }).waitFor({ timeout: 30000 });
    await page.getByRole('status').filter({ hasText: 'new claim' }).waitFor();
    const rows = page.getByRole('row');
    const firstRow = await rows.nth(1).textContent();
    assert(firstRow.includes('Fibre box blinking red'), `the first row is ${firstRow}`);
  });
  await shot(page, 'partner-queue');
  await axe(page, 'the queue');

  await check("a claim past its SLA policy's warning shows at risk, one far from it does not", async () => {
    const queue = (await api(process.env.SEAM_PARTNER, 'GET', '/v1/assignments?state=live')).body.items;
    const urgent = queue.find((a) => a.summary === 'Fibre box blinking red');
    const normal = queue.find((a) => a.summary === 'Slow internet in the evenings');
    const warn = Date.parse(urgent.warn.ack);
    assert(warn < Date.parse(urgent.due.ack) && warn < Date.parse(normal.warn.ack), JSON.stringify([urgent.warn, urgent.due, normal.warn]));
    assert((await page.locator('tr.at-risk').count()) === 0, 'a row is at risk already');
    const now = await page.evaluate(() => Date.now());
    await page.clock.fastForward(warn - now + 30000);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Fibre box blinking red' }) });
    await row.getByText('at risk', { exact: true }).waitFor();
    assert(/\bat-risk\b/.test(await row.getAttribute('class')), 'the row is not coloured at risk');
    assert(/left$/.test(await row.locator('.due').textContent()), 'not before its due time');
    const other = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'Slow internet in the evenings' }) });
    assert(!/at-risk/.test((await other.getAttribute('class')) || ''), 'the claim far from its warning is at risk');
  });
  await shot(page, 'partner-queue-at-risk');
  await axe(page, 'the queue with a claim at risk');

  await check('a claim past its due time shows as overdue', async () => {
    await page.clock.fastForward(72 * 3600 * 1000);
    await page.getByText(/overdue$/).first().waitFor();
    assert((await page.locator('tr.overdue').count()) >= 1, 'no row marked overdue');
  });

  await check('the agent acknowledges a claim and asks the customer', async () => {
    await page.getByRole('link', { name: 'Fibre box blinking red' }).click();
    await page.getByRole('heading', { name: 'Fibre box blinking red' }).waitFor();
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByRole('status').filter({ hasText: 'acknowledged' }).waitFor();
    await page.getByLabel('A question for the customer').fill('Is the power light on?');
    await page.getByRole('button', { name: 'Ask the customer' }).click();
    await page.getByRole('status').filter({ hasText: 'question was sent' }).waitFor();
    const mine = (await api(LEAD, 'GET', '/v1/tickets?limit=100')).body.items.find((x) => x.summary === 'Fibre box blinking red');
    assert(mine.status === 'pending', `the ticket is ${mine.status}`);
  });
  await check("a claim's page shows the ticket's evidence verified in the browser", async () => {
    const region = page.getByRole('region', { name: 'Evidence' });
    await region.getByText('Verified:').waitFor();
    const text = await region.textContent();
    const cp = await api(LEAD, 'GET', '/v1/audit/checkpoint');
    assert(text.includes(cp.body.public_key) && /Log size \d+/.test(text), text);
  });
  await shot(page, 'partner-claim');
  await axe(page, 'a claim');

  await check('the agent hands a claim back with a reason from the list; it leaves the queue', async () => {
    await page.getByRole('link', { name: 'Back to the queue' }).click();
    await page.getByRole('link', { name: 'Slow internet in the evenings' }).click();
    await page.getByText('Hand the claim back').click();
    await page.getByLabel('Reason').selectOption({ label: 'Not our service' });
    await page.getByLabel('A note (optional)').last().fill('This is a wiring fault in the flat.');
    await page.getByRole('button', { name: 'Hand it back' }).click();
    await page.getByRole('status').filter({ hasText: 'handed back' }).waitFor();
    await page.getByRole('link', { name: 'Back to the queue' }).click();
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
    await page.getByRole('link', { name: 'Fibre box blinking red' }).waitFor();
    assert((await page.getByRole('link', { name: 'Slow internet in the evenings' }).count()) === 0, 'still in the queue');
  });

  await check('belongs_to is offered only among the companies the rules allow for the claim, and hands it there', async () => {
    const filed = await api(process.env.SEAM_CUSTOMER2, 'POST', '/v1/tickets', complaint('Internet drops every hour', 'normal'));
    assert(filed.status === 201, `filing: ${filed.status}`);
    await page.getByRole('link', { name: 'Internet drops every hour' }).waitFor({ timeout: 30000 });
    await page.getByRole('link', { name: 'Internet drops every hour' }).click();
    await page.getByRole('heading', { name: 'Internet drops every hour' }).waitFor();
    await page.getByText('Hand the claim back').click();
    assert(!(await page.getByLabel('The company it belongs to').isVisible()), 'the companies show before belongs_to is chosen');
    await page.getByLabel('Reason').selectOption({ label: 'It belongs to another company' });
    const options = await page.getByLabel('The company it belongs to').locator('option').allTextContents();
    // c2's bundle (TV + internet, north): skyview provides its TV; nordtel serves the north no service of it
    assert(options.length === 2 && /SkyView/i.test(options[0]) && /lead company decides/.test(options[1]), options.join(' | '));
    assert(!options.some((o) => /nordtel/i.test(o)), `nordtel is offered: ${options.join(' | ')}`);
    await page.getByLabel('The company it belongs to').selectOption({ index: 0 });
    await page.getByRole('button', { name: 'Hand it back' }).click();
    await page.getByRole('status').filter({ hasText: 'handed back' }).waitFor();
    const mine = (await api(LEAD, 'GET', '/v1/tickets?limit=100')).body.items.find((x) => x.summary === 'Internet drops every hour');
    const lead = (await api(LEAD, 'GET', `/v1/tickets/${mine.id}`)).body;
    const live = lead.assignments.filter((x) => x.state === 'assigned');
    assert(live.length === 1 && live[0].partner === 'skyview', JSON.stringify(lead.assignments.map((x) => [x.partner, x.state])));
    await page.getByRole('link', { name: 'Back to the queue' }).click();
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
  });

  await check("an agent has no SLA figures in its menu", async () => {
    assert((await page.getByRole('link', { name: 'SLA figures' }).count()) === 0, 'the agent sees the link');
  });
  await check("a supervisor reads its company's SLA figures for a period it chooses", async () => {
    const sup = await browser.newContext({ locale: 'en-GB', viewport: { width: 1100, height: 800 } });
    const p = await sup.newPage();
    watchErrors(p, errors);
    await p.goto(BASE + '/partner/');
    await signInWithCode(p, process.env.SEAM_SUPERVISOR, process.env.SEAM_SUPERVISOR_PASSWORD, process.env.SEAM_SUPERVISOR_TOTP);
    await p.getByRole('link', { name: 'SLA figures' }).click();
    await p.getByRole('heading', { name: 'SLA figures' }).waitFor();
    const handedBack = p.getByRole('row', { name: /Handed back/ });
    assert(/Not our service: 1/.test(await handedBack.textContent()), await handedBack.textContent());
    const tickets = await p.getByRole('row', { name: /Tickets/ }).textContent();
    assert(/\d/.test(tickets), tickets);
    await p.getByLabel('From').fill('2020-01-01');
    await p.getByRole('button', { name: 'Show' }).click();
    await p.getByRole('table').filter({ hasText: 'Claims assigned from 2020-01-01' }).waitFor();
    await shot(p, 'partner-sla');
    await axe(p, 'the SLA figures');
    await sup.close();
  });

  await check("a customer's user signed in at the desk is sent to its own pages", async () => {
    const other = await browser.newContext({ locale: 'en-GB' });
    const p = await other.newPage();
    watchErrors(p, errors);
    await p.goto(BASE + '/partner/');
    await p.getByLabel('User name').fill(process.env.SEAM_CUSTOMER_USER);
    await p.getByLabel('Password').fill(process.env.SEAM_CUSTOMER_PASSWORD);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('heading', { name: 'Not your face' }).waitFor();
    assert((await p.getByRole('link', { name: 'Go to your pages' }).getAttribute('href')) === '/', 'the link is not /');
    await other.close();
  });

  await check('no page broke its Content-Security-Policy, threw, or asked another origin', async () => {
    assert(errors.length === 0, errors.join('\n'));
  });
} finally {
  await browser.close();
}
process.exit(failures() ? 1 : 0);
