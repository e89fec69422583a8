// evidence.js: the evidence badge of a ticket page (the portal's ticket, the
// desk's claim, the lead console's ticket): whether the ticket's evidence
// verifies, checked in this browser (verify.js) against the broker's key,
// with the checkpoint it was checked against; a link to download the
// evidence, and a file input that checks an exported evidence file.
//
// The key: GET /v1/evidence/key, an answer of its own (the evidence
// document names a key too, but a document cannot vouch for itself), kept in
// this browser the first time it is seen ("pinned"): if the broker later
// presents another key, every check fails and says so. The page shows the
// key in full, so that a person can compare it with the one the lead company
// publishes (broker.pub).
//
//   evidenceBadge(container, ticketId, api): fills container (an element of
//   the page) and checks; api is api.js's api (any function of the same
//   shape). Resolves when the check is done, to its answer.
import { api as defaultApi } from './api.js';
import { field, fill, h } from './dom.js';
import { formatTime, t } from './i18n.js';
import { verifyEvidence } from './verify.js';

const PIN = 'seam.evidence.key';
let nextId = 0;

// {public_key, origin, since} as pinned, and whether the broker now presents another.
async function brokerKey(api) {
  const served = await api('GET', '/v1/evidence/key');
  let pinned = null;
  try {
    pinned = JSON.parse(localStorage.getItem(PIN) || 'null');
  } catch {
    pinned = null;
  }
  if (!pinned?.public_key) {
    pinned = { public_key: served.public_key, origin: served.origin, since: new Date().toISOString() };
    localStorage.setItem(PIN, JSON.stringify(pinned));
  }
  const changed = pinned.public_key !== served.public_key || pinned.origin !== served.origin;
  return { ...pinned, served: served.public_key, changed };
}

function reason(why) {
  return t(why.key, why.vars);
}

// The check of one document's text against the pinned key: verify.js's answer.
async function check(text, key) {
  if (key.changed) {
    return { ok: false, why: { key: 'evidence.fail.key_changed', vars: { served: key.served, pinned: key.public_key } } };
  }
  return verifyEvidence(text, key.public_key, key.origin);
}

function verifiedText(res) {
  const hidden = res.events - res.shown;
  return [t('evidence.verified_text', { events: res.events, ticket: res.ticket }), hidden ? ` ${t('evidence.verified_hidden', { n: hidden })}` : ''].join('');
}

export async function evidenceBadge(container, ticketId, api = defaultApi) {
  const id = `evidence${++nextId}`;
  const result = h('p', { class: 'evidence-result busy', id: `${id}-result` }, t('evidence.checking'));
  const details = h('dl', { class: 'facts' });
  const fileResult = h('p', { class: 'evidence-result', role: 'alert', hidden: true });
  const input = h('input', { type: 'file', name: 'evidence', accept: 'application/json,.json' });
  let key = null;
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    fileResult.hidden = false;
    fileResult.className = 'evidence-result busy';
    fileResult.textContent = t('evidence.checking');
    const res = key ? await check(await file.text(), key) : { ok: false, why: { key: 'evidence.fail.no_key', vars: {} } };
    fileResult.className = `evidence-result ${res.ok ? 'ok' : 'fail'}`;
    fill(
      fileResult,
      h('strong', {}, t(res.ok ? 'evidence.verified' : 'evidence.failed')),
      ' ',
      res.ok ? t('evidence.file_ok', { ticket: res.ticket, events: res.events, size: res.checkpoint.size }) : t('evidence.file_failed', { why: reason(res.why) }),
    );
  });
  fill(
    container,
    h(
      'section',
      { class: 'evidence card', 'aria-labelledby': `${id}-title` },
      h('h2', { id: `${id}-title` }, t('evidence.title')),
      result,
      h('p', { class: 'hint' }, t('evidence.explain')),
      details,
      h('p', {}, h('a', { href: `/v1/tickets/${encodeURIComponent(ticketId)}/evidence`, download: `evidence-${ticketId}.json` }, t('evidence.download'))),
      field(t('evidence.file'), input, t('evidence.file_hint')),
      fileResult,
    ),
  );

  let res;
  try {
    key = await brokerKey(api);
    const answer = await fetch(`/v1/tickets/${encodeURIComponent(ticketId)}/evidence`, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
    res = await check(text, key);
    if (res.ok && res.ticket !== ticketId) res = { ok: false, why: { key: 'evidence.fail.other_ticket', vars: { ticket: res.ticket } } };
  } catch (e) {
    res = { ok: false, why: { key: 'evidence.fail.unavailable', vars: { message: e.message } } };
  }
  result.className = `evidence-result ${res.ok ? 'ok' : 'fail'}`;
  fill(result, h('strong', {}, t(res.ok ? 'evidence.verified' : 'evidence.failed')), ' ', res.ok ? verifiedText(res) : reason(res.why));
  const row = (k, ...v) => [h('dt', {}, t(k)), h('dd', {}, ...v)];
  fill(
    details,
    res.checkpoint
      ? [
          row('evidence.checkpoint', t('evidence.checkpoint_size', { size: res.checkpoint.size }), h('br'), t('evidence.checkpoint_root'), ' ', h('code', { class: 'hash' }, res.checkpoint.root)),
          row('evidence.origin', res.checkpoint.origin),
        ]
      : null,
    key ? row('evidence.key', h('code', { class: 'hash' }, key.public_key), h('br'), t('evidence.key_since', { date: formatTime(key.since) })) : null,
  );
  return res;
}
