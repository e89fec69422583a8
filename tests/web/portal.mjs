// tests/web/portal.mjs: the customer portal driven in Chromium, as a person
// would: by roles and labels, by keyboard where that is the point. Started by
// tests/e2e/t_web.sh, which starts the real broker and passes, in the
// environment: SEAM_URL, SEAM_USER and SEAM_PASSWORD (a customer's user),
// SEAM_LEAD and SEAM_PARTNER (bearer tokens, for what the other side does),
// SEAM_SCREENS (where the screenshots go). Prints one line per check,
// "ok - ..." or "not ok - ...", and "# ..." lines of diagnosis.
import { readFileSync } from 'node:fs';
import { api, assert, axe, BASE, check, failures, launch, shot, tabTo, watchErrors } from './lib.mjs';

const USER = process.env.SEAM_USER;
const PASSWORD = process.env.SEAM_PASSWORD;

const browser = await launch();
const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1100, height: 800 } });
const page = await context.newPage();
const cspErrors = [];
watchErrors(page, cspErrors);

try {
  // ---- sign-in ----
  await page.goto(BASE + '/');
  await check('the portal opens on the sign-in form', async () => {
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });
  await shot(page, 'portal-signin');
  await axe(page, 'the sign-in page');
  await check('a wrong password is refused in the page', async () => {
    await page.getByLabel('User name').fill(USER);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong' }).waitFor();
  });
  await check('the customer signs in and sees its (empty) list', async () => {
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My complaints' }).waitFor();
    await page.getByText('You have filed no complaint yet.').waitFor();
  });

  // ---- filing by keyboard alone ----
  const SUMMARY = 'No internet since this morning';
  await check('a complaint is filed by keyboard alone', async () => {
    await page.keyboard.press('Tab'); // from the page's start: the skip link, then the menu
    await tabTo(page, 'File a complaint');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'File a complaint' }).waitFor();
    await tabTo(page, 'What is wrong, in a few words');
    await page.keyboard.type(SUMMARY);
    await tabTo(page, 'Service');
    await page.keyboard.type('Internet');
    await tabTo(page, 'Symptom');
    await page.keyboard.type('No service');
    await tabTo(page, 'Describe the problem');
    await page.keyboard.type('All the lights on the router are red since this morning.');
    await tabTo(page, 'Send the complaint');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: SUMMARY }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Your complaint was filed.' }).waitFor();
  });
  const ticketId = decodeURIComponent(new URL(page.url()).hash.slice(4));
  await check('the ticket page shows one status and the timeline', async () => {
    assert(/^T/.test(ticketId), `no ticket id in ${page.url()}`);
    await page.getByText('Received', { exact: true }).first().waitFor();
    await page.getByRole('heading', { name: 'What has happened' }).waitFor();
    await page.getByText('Complaint filed').waitFor();
  });
  await check("the ticket page shows its evidence verified in the browser, with the checkpoint and the broker's key", async () => {
    const region = page.getByRole('region', { name: 'Evidence' });
    await region.getByText('Verified:').waitFor();
    const text = await region.textContent();
    assert(new RegExp(`every event of ticket ${ticketId} \\(\\d+ in all\\) is signed`).test(text), text);
    assert(/Log size \d+/.test(text) && /Root hash\s*[0-9a-f]{64}/.test(text), `no checkpoint in: ${text}`);
    // the key shown is the one the lead's audit API gives (broker.pub), not only the document's
    const cp = await api(process.env.SEAM_LEAD, 'GET', '/v1/audit/checkpoint');
    assert(text.includes(cp.body.public_key), `the key shown is not ${cp.body.public_key}`);
    await region.getByText(/^Verified means that this browser itself has checked/).waitFor();
  });
  await check('a downloaded export checks as verified, and with one byte of an event changed as failing, naming the event', async () => {
    const region = page.getByRole('region', { name: 'Evidence' });
    const [download] = await Promise.all([page.waitForEvent('download'), region.getByRole('link', { name: 'Download the evidence (JSON)' }).click()]);
    const text = readFileSync(await download.path(), 'utf8');
    assert(JSON.parse(text).ticket === ticketId, 'the download is not the ticket\'s evidence');
    const input = region.getByLabel('Check an exported evidence file');
    await input.setInputFiles({ name: 'evidence.json', mimeType: 'application/json', buffer: Buffer.from(text) });
    await region.getByRole('alert').filter({ hasText: `Verified: the file of ticket ${ticketId}` }).waitFor();
    // one byte: a digit of the first event's time (inside its signed bytes)
    const at = text.indexOf('\\"at\\":\\"', text.indexOf('"event":"{')) + 8;
    assert(at > 8 && /[0-9]/.test(text[at + 3]), 'no time in the first event');
    const tampered = text.slice(0, at + 3) + (text[at + 3] === '9' ? '8' : '9') + text.slice(at + 4);
    await input.setInputFiles({ name: 'tampered.json', mimeType: 'application/json', buffer: Buffer.from(tampered) });
    const alert = region.getByRole('alert');
    await alert.filter({ hasText: 'Not verified' }).waitFor();
    const said = await alert.textContent();
    assert(said.includes("event 1: the broker's signature does not verify"), said);
    // the same content written again otherwise (indented) fails too: the document was edited
    const indented = `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
    await input.setInputFiles({ name: 'indented.json', mimeType: 'application/json', buffer: Buffer.from(indented) });
    await alert.filter({ hasText: 'not in its canonical form' }).waitFor();
  });
  await shot(page, 'portal-evidence');
  await check('a browser that pinned another key than the one the broker presents fails the check, naming both', async () => {
    const served = (await api(process.env.SEAM_LEAD, 'GET', '/v1/audit/checkpoint')).body.public_key;
    const other = `${'B'.repeat(42)}A=`;
    await page.evaluate((k) => {
      const pin = JSON.parse(localStorage.getItem('seam.evidence.key'));
      localStorage.setItem('seam.evidence.key', JSON.stringify({ ...pin, public_key: k }));
    }, other);
    await page.reload();
    const region = page.getByRole('region', { name: 'Evidence' });
    await region.getByText('Not verified:').waitFor();
    const text = await region.textContent();
    assert(text.includes(`the broker now presents another key (${served}) than the one this browser saw first (${other})`), text);
    await page.evaluate(() => localStorage.removeItem('seam.evidence.key'));
    await page.reload();
    await region.getByText('Verified:').waitFor();
  });
  await axe(page, 'a ticket page');

  // ---- a summary holding markup ----
  const MARKUP = 'TV dead <script>window.pwned=1</script><img src=x onerror="window.pwned=2">';
  await check('a summary with <script> shows as text and runs nothing', async () => {
    const back = page.url();
    await page.getByRole('link', { name: 'File a complaint' }).click();
    await page.getByLabel('What is wrong, in a few words').fill(MARKUP);
    await page.getByLabel('Symptom').selectOption({ label: 'No signal' });
    await page.getByLabel('Describe the problem').fill('<b>bold?</b> & no picture');
    await page.getByRole('button', { name: 'Send the complaint' }).click();
    await page.getByRole('heading', { name: MARKUP }).waitFor();
    const heading = await page.getByRole('heading', { level: 1 }).textContent();
    assert(heading === MARKUP, `heading is ${heading}`);
    await page.getByText('<b>bold?</b> & no picture').waitFor();
    assert((await page.evaluate(() => window.pwned)) === undefined, 'the markup ran');
    assert((await page.locator('main script, main img, main b').count()) === 0, 'markup became elements');
    await page.getByRole('link', { name: 'My complaints', exact: true }).click();
    await page.getByRole('link', { name: MARKUP }).waitFor();
    assert((await page.evaluate(() => window.pwned)) === undefined, 'the markup ran in the list');
    await page.goto(back);
    await page.getByRole('heading', { name: SUMMARY }).waitFor();
  });

  // ---- the owner's question, answered in place ----
  const partner = process.env.SEAM_PARTNER;
  const queue = await api(partner, 'GET', '/v1/assignments?limit=100');
  const assignment = queue.body.items.find((a) => a.ticket === ticketId);
  await api(partner, 'POST', `/v1/assignments/${assignment.id}/ack`, {});
  const asked = await api(partner, 'POST', `/v1/assignments/${assignment.id}/need-info`, { question: 'Which lights are red: power, internet or both?' });
  await check('answering the question takes the ticket out of pending', async () => {
    assert(asked.status === 200, `need-info: ${asked.status}`);
    await page.reload();
    await page.getByRole('heading', { name: 'A question for you' }).waitFor();
    await page.getByText('Which lights are red: power, internet or both?').first().waitFor();
    await page.getByText('Waiting for your answer', { exact: true }).waitFor();
    await shot(page, 'portal-question');
    await page.getByLabel('Your answer').fill('Both of them.');
    await page.getByRole('button', { name: 'Send the answer' }).click();
    await page.getByText('Being worked on', { exact: true }).waitFor();
    const tk = await api(process.env.SEAM_LEAD, 'GET', `/v1/tickets/${ticketId}`);
    assert(tk.body.status === 'inProgress', `the ticket is ${tk.body.status}`);
  });
  await axe(page, 'the ticket page after an answer');

  // ---- resolved: confirm ----
  await api(partner, 'POST', `/v1/assignments/${assignment.id}/resolve`, { resolution: 'The line card was replaced.' });
  await check('a resolved ticket is confirmed from its page', async () => {
    await page.reload();
    await page.getByRole('heading', { name: 'Is it fixed?' }).waitFor();
    await shot(page, 'portal-ticket');
    await page.getByRole('button', { name: 'Yes, it is fixed' }).click();
    await page.getByText('Closed', { exact: true }).first().waitFor();
  });

  // ---- reopen and withdraw (the complaint with markup, resolved by its partner) ----
  await check('a resolved complaint is reopened with a corrected fact, then withdrawn, from its page', async () => {
    const all = (await api(process.env.SEAM_LEAD, 'GET', '/v1/tickets?limit=100')).body.items;
    const tv = all.find((x) => x.summary.startsWith('TV dead'));
    const lead = await api(process.env.SEAM_LEAD, 'GET', `/v1/tickets/${tv.id}`);
    const share = lead.body.assignments.find((x) => x.state === 'assigned');
    const token = { fibernet: process.env.SEAM_PARTNER, skyview: process.env.SEAM_SKYVIEW,
      nordtel: process.env.SEAM_NORDTEL }[share.partner] || process.env.SEAM_LEAD;
    assert((await api(token, 'POST', `/v1/assignments/${share.id}/ack`, {})).status === 200, 'ack');
    assert((await api(token, 'POST', `/v1/assignments/${share.id}/resolve`, { resolution: 'Rebooted.' })).status === 200, 'resolve');
    await page.goto(`${BASE}/#/t/${tv.id}`);
    await page.getByRole('heading', { name: 'Is it fixed?' }).waitFor();
    await page.getByLabel('What is still wrong').fill('Still no picture.');
    await page.getByText('Correct the details (optional)').click();
    await page.getByLabel('Symptom').selectOption({ label: 'Degraded' });
    await page.getByRole('button', { name: 'No, it is not fixed' }).click();
    await page.getByRole('status').filter({ hasText: 'open again' }).waitFor();
    await page.getByText('Reopened').first().waitFor();
    const reopened = await api(process.env.SEAM_LEAD, 'GET', `/v1/tickets/${tv.id}`);
    const facts = reopened.body.facts; // the lead's view: the facts as they are now
    assert(facts.symptom === 'degraded', `the symptom is ${facts.symptom}: the correction was not sent`);
    assert(facts.service === tv.service, `the service changed: ${facts.service}`);
    await page.getByText('Withdraw the complaint').click();
    await page.getByLabel('Why (optional)').fill('It works after all.');
    await page.getByRole('button', { name: 'Withdraw it' }).click();
    await page.getByText('Cancelled', { exact: true }).first().waitFor();
    const after = await api(process.env.SEAM_LEAD, 'GET', `/v1/tickets/${tv.id}`);
    assert(after.body.status === 'cancelled', `the ticket is ${after.body.status}`);
  });

  // ---- the list, notifications, the language switch ----
  await check('the list shows the ticket with its status', async () => {
    await page.getByRole('link', { name: 'My complaints', exact: true }).click();
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: SUMMARY }) });
    await row.getByRole('cell', { name: 'Closed' }).waitFor();
  });
  await shot(page, 'portal-list');
  await axe(page, 'the list');
  await check('notification preferences are saved', async () => {
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByLabel('E-mail address').fill('ann@example.net');
    await page.getByLabel('Send me an e-mail when something happens').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'saved' }).waitFor();
    const me = await api(process.env.SEAM_LEAD, 'PUT', '/v1/customers/c1/mail', {});
    assert(me.body.email === 'ann@example.net' && me.body.notifications === false, JSON.stringify(me.body));
  });
  await axe(page, 'the notifications page');
  await check('the language switch turns the page to Norwegian', async () => {
    await page.getByLabel('Language', { exact: true }).selectOption('nb');
    await page.getByRole('heading', { name: 'Varsler' }).waitFor();
    await page.getByLabel('Språk', { exact: true }).selectOption('en');
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();
  });

  // ---- a form posted from another origin ----
  await check('a form posted from another origin is refused and changes nothing', async () => {
    const before = (await api(process.env.SEAM_LEAD, 'GET', '/v1/tickets?limit=100')).body.items.length;
    const evil = await context.newPage();
    await evil.route('http://elsewhere.test/**', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>elsewhere</title><form method="post" enctype="text/plain"
          action="${BASE}/v1/tickets"><input name='{"summary":"forged","description":"x","symptom":"no_service","x":"' value='"}'>
          <button>go</button></form>`,
      }));
    await evil.goto('http://elsewhere.test/');
    const [response] = await Promise.all([
      evil.waitForResponse((r) => r.url().endsWith('/v1/tickets')),
      evil.getByRole('button', { name: 'go' }).click(),
    ]);
    assert(response.status() === 401 || response.status() === 403, `answered ${response.status()}`);
    const after = (await api(process.env.SEAM_LEAD, 'GET', '/v1/tickets?limit=100')).body.items.length;
    assert(after === before, `tickets ${before} -> ${after}`);
    await evil.close();
  });

  // ---- the session expires ----
  await check('an expired session sends the user to sign in', async () => {
    const moved = await api(process.env.SEAM_LEAD, 'POST', '/v1/test/clock', { advance_ms: 2 * 3600 * 1000 });
    assert(moved.status === 200, `test clock: ${moved.status}`);
    await page.getByRole('link', { name: 'File a complaint' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('Your session has ended').waitFor();
  });

  // ---- the browser's language (Accept-Language) ----
  await check('a browser that prefers Norwegian gets the pages in Norwegian', async () => {
    const nbContext = await browser.newContext({ locale: 'nb-NO' });
    const nbPage = await nbContext.newPage();
    watchErrors(nbPage, cspErrors);
    await nbPage.goto(BASE + '/');
    await nbPage.getByRole('heading', { name: 'Logg inn' }).waitFor();
    assert((await nbPage.evaluate(() => document.documentElement.lang)) === 'nb', 'lang is not nb');
    await nbContext.close();
  });

  await check('no page broke its Content-Security-Policy, threw, or asked another origin', async () => {
    assert(cspErrors.length === 0, cspErrors.join('\n'));
  });
} finally {
  await browser.close();
}
process.exit(failures() ? 1 : 0);
