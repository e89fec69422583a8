// tests/web/flow.mjs: one complaint through three browser contexts, as the
// issue tells it. The customer files a complaint with a photo in the portal;
// a partner's agent (skyview) sees it appear in the desk without reloading
// and hands it back; in the same desk the next partner's agent (fibernet)
// acknowledges and resolves it; the customer confirms; the lead console
// shows the hand-back, the bouncer and the period's figures updated. Started
// by tests/e2e/t_web.sh after console.mjs, with SEAM_CUSTOMER_USER and
// SEAM_CUSTOMER_PASSWORD (c1's user), SEAM_FIRST_AGENT, SEAM_FIRST_PASSWORD
// and SEAM_FIRST_TOTP (skyview's agent), SEAM_NEXT_AGENT, SEAM_NEXT_PASSWORD
// and SEAM_NEXT_TOTP (fibernet's), SEAM_LEAD_USER, SEAM_LEAD_PASSWORD and
// SEAM_LEAD_TOTP (the lead's manager), SEAM_LEAD (a token: the figures
// before), SEAM_URL, SEAM_SCREENS.
import { api, assert, axe, BASE, check, failures, launch, PNG, shot, signInWithCode, watchErrors } from './lib.mjs';

const SUMMARY = 'Flow: no picture on the TV';
const LEAD = process.env.SEAM_LEAD;

const now = Date.parse((await api(LEAD, 'POST', '/v1/test/clock', { advance_ms: 0 })).body.now);
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
const from = day(now - 86400000);
const to = day(now + 2 * 86400000);
const figures = async () => (await api(LEAD, 'GET', `/v1/audit/sla?from=${from}&to=${to}`)).body.owners;
const owner = (list, id) => list.find((o) => o.owner === id) || { tickets: 0, handbacks: 0, handback_reasons: {}, resolve: { count: 0 } };
const before = await figures();

const browser = await launch();
const options = { locale: 'en-GB', viewport: { width: 1200, height: 900 } };
const [customerCtx, deskCtx, leadCtx] = await Promise.all([1, 2, 3].map(() => browser.newContext(options)));
const [customer, desk, lead] = await Promise.all([customerCtx, deskCtx, leadCtx].map((c) => c.newPage()));
const errors = [];
for (const p of [customer, desk, lead]) watchErrors(p, errors);
let ticketId = null;

try {
  await check('the three sign in: the customer, skyview\'s agent at the desk, the lead\'s manager at the console', async () => {
    await customer.goto(BASE + '/');
    await customer.getByLabel('User name').fill(process.env.SEAM_CUSTOMER_USER);
    await customer.getByLabel('Password').fill(process.env.SEAM_CUSTOMER_PASSWORD);
    await customer.getByRole('button', { name: 'Sign in' }).click();
    await customer.getByRole('heading', { name: 'My complaints' }).waitFor();
    await desk.goto(BASE + '/partner/');
    await signInWithCode(desk, process.env.SEAM_FIRST_AGENT, process.env.SEAM_FIRST_PASSWORD, process.env.SEAM_FIRST_TOTP);
    await desk.getByRole('heading', { name: 'Queue' }).waitFor();
    await lead.goto(BASE + '/lead/');
    await signInWithCode(lead, process.env.SEAM_LEAD_USER, process.env.SEAM_LEAD_PASSWORD, process.env.SEAM_LEAD_TOTP);
    await lead.getByRole('heading', { name: 'At a glance' }).waitFor();
  });

  await check('the customer files a complaint with a photo', async () => {
    await customer.getByRole('navigation').getByRole('link', { name: 'File a complaint' }).click();
    await customer.getByLabel('What is wrong, in a few words').fill(SUMMARY);
    await customer.getByLabel('Service').selectOption({ label: 'TV' });
    await customer.getByLabel('Symptom').selectOption({ label: 'No signal' });
    await customer.getByLabel('Describe the problem').fill('The TV says "no signal" on every channel. A photo of the screen is attached.');
    await customer.getByLabel('Photos or files (optional)').setInputFiles({ name: 'screen.png', mimeType: 'image/png', buffer: PNG });
    await customer.getByRole('button', { name: 'Send the complaint' }).click();
    await customer.getByRole('heading', { name: SUMMARY }).waitFor();
    await customer.getByRole('status').filter({ hasText: 'Your complaint was filed.' }).waitFor();
    ticketId = decodeURIComponent(new URL(customer.url()).hash.slice(4));
    const files = await api(LEAD, 'GET', `/v1/tickets/${ticketId}/attachments`);
    assert(files.body.items.length === 1 && files.body.items[0].type === 'image/png', JSON.stringify(files.body));
  });

  await check("skyview's agent sees it appear in the desk without reloading, and hands it back", async () => {
    await desk.getByRole('link', { name: SUMMARY }).click({ timeout: 30000 });
    await desk.getByRole('heading', { name: SUMMARY }).waitFor();
    await desk.getByText('Hand the claim back').click();
    await desk.getByLabel('Reason').selectOption({ label: 'Not our service' });
    await desk.getByLabel('A note (optional)').last().fill('The signal is fine at the head-end: the line.');
    await desk.getByRole('button', { name: 'Hand it back' }).click();
    await desk.getByRole('status').filter({ hasText: 'handed back' }).waitFor();
  });

  await check("fibernet's agent, next in the chain, acknowledges and resolves it", async () => {
    await desk.getByRole('button', { name: 'Sign out' }).click();
    await signInWithCode(desk, process.env.SEAM_NEXT_AGENT, process.env.SEAM_NEXT_PASSWORD, process.env.SEAM_NEXT_TOTP);
    await desk.getByRole('link', { name: SUMMARY }).click();
    await desk.getByRole('button', { name: 'Acknowledge' }).click();
    await desk.getByRole('status').filter({ hasText: 'acknowledged' }).waitFor();
    await desk.getByLabel('How it was resolved').fill('The fibre drop was reconnected; the TV has a picture.');
    await desk.getByRole('button', { name: 'Resolve' }).click();
    await desk.getByRole('status').filter({ hasText: 'resolved' }).waitFor();
  });

  await check('the customer confirms it is fixed', async () => {
    await customer.reload();
    await customer.getByRole('heading', { name: 'Is it fixed?' }).waitFor();
    await customer.getByRole('button', { name: 'Yes, it is fixed' }).click();
    await customer.getByText('Closed', { exact: true }).first().waitFor();
  });
  await axe(customer, 'the confirmed ticket in the portal');

  await check('the lead console shows the hand-back and the bouncer on the ticket', async () => {
    await lead.goto(`${BASE}/lead/#/t/${ticketId}`);
    await lead.getByRole('heading', { name: SUMMARY }).waitFor();
    const rows = lead.getByRole('table', { name: 'Assignments' }).getByRole('row');
    await rows.filter({ hasText: 'skyview' }).filter({ hasText: 'Handed back' }).filter({ hasText: 'Not our service' }).waitFor();
    await rows.filter({ hasText: 'fibernet' }).filter({ hasText: 'Resolved' }).waitFor();
    await lead.getByText('skyview handed it back 1 time(s): Not our service').waitFor();
    await lead.getByText('Closed', { exact: true }).first().waitFor();
    await lead.getByRole('link', { name: /\.png$/ }).waitFor(); // the photo, among the attachments
  });
  await shot(lead, 'lead-flow-ticket');
  await axe(lead, "the ticket's history in the console");

  await check("the console's figures for the period count the hand-back and the resolution", async () => {
    const after = await figures();
    const sky = owner(after, 'skyview');
    const fib = owner(after, 'fibernet');
    assert(sky.handbacks === owner(before, 'skyview').handbacks + 1, `skyview handbacks ${sky.handbacks}`);
    assert(fib.resolve.count === owner(before, 'fibernet').resolve.count + 1, `fibernet resolved ${fib.resolve.count}`);
    await lead.getByRole('link', { name: 'SLA charts' }).click();
    await lead.getByLabel('From').fill(from);
    await lead.getByLabel('Until').fill(to);
    await lead.getByLabel('Owner', { exact: true }).selectOption('skyview');
    await lead.getByRole('button', { name: 'Show' }).click();
    await lead.getByRole('heading', { name: 'Week by week: skyview' }).waitFor();
    const table = lead.getByRole('table', { name: `Claims assigned from ${from} until ${to}` });
    const skyRow = await table.getByRole('row', { name: /^skyview/ }).textContent();
    const reasons = sky.handback_reasons.not_our_service;
    assert(skyRow.endsWith(`${sky.handbacks} · Not our service: ${reasons}`), skyRow);
    const resolved = await table.getByRole('row', { name: /^fibernet/ }).getByRole('cell').nth(2).textContent();
    assert(resolved.endsWith(`(${fib.resolve.within_sla}/${fib.resolve.count})`), resolved);
    // The chart's week (the period is within one): skyview's hand-backs not our service.
    const chart = lead.locator('figure.chart').filter({ hasText: 'hand-backs by reason' });
    assert((await chart.locator('canvas').count()) === 1, 'no canvas');
    const week = await chart.locator('table.chart-data tbody tr').first().locator('td').first().textContent();
    assert(Number(week) === reasons, `this week's hand-backs, not our service: ${week}`);
  });
  await axe(lead, 'the SLA charts after the flow');

  await check('no page broke its Content-Security-Policy, threw, or asked another origin', async () => {
    assert(errors.length === 0, errors.join('\n'));
  });
} finally {
  await browser.close();
}
process.exit(failures() ? 1 : 0);
