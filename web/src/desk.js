// desk.js: the partner desk ("/partner/"). A partner's agent signs in and
// sees its company's queue, what falls due first on top, each claim with the
// time left on its SLA clock (acknowledge while it is new, resolve after),
// marked at risk from the clock's warning on (the SLA policy's
// warning_fraction: the claim's warn instants and warned clocks); new claims
// appear without reloading (the queue's long-poll). A claim's page shows what
// the partner may see of it and takes its actions: acknowledge, report
// progress, ask the customer, resolve, hand back with a reason (belongs_to
// offered only among the companies the rules allow: belongs_to_choices), and
// whether the ticket's evidence verifies (evidence.js). A supervisor also sees the company's SLA figures and breaches over
// a period it chooses. Views by the location's hash: #/ (the queue), #/a/ID
// (a claim), #/sla (the figures).
import { api } from './api.js';
import { actionForm, factLabel, loadVocabulary, say, show, start, title } from './app.js';
import { field, fill, h } from './dom.js';
import { evidenceBadge } from './evidence.js';
import { formatTime, t } from './i18n.js';

const LIVE = ['assigned', 'acknowledged', 'inProgress'];
const HANDBACK_REASONS = ['not_our_service', 'customer_side'];
let poll = null; // the queue's long-poll: an AbortController
const label = factLabel;

// The clock that runs: acknowledge while the claim is new, resolve after; when
// its warning falls due (warn) or whether it came already (warned).
function nextDue(a) {
  const kind = a.state === 'assigned' ? 'ack' : 'resolve';
  const at = a.due?.[kind];
  const warn = a.warn?.[kind];
  return {
    kind,
    at: at ? Date.parse(at) : null,
    warn: warn ? Date.parse(warn) : null,
    warned: (a.warned || []).includes(`warning_${kind}`),
  };
}

// "1 h 5 min left" or "5 min overdue", whether it is at risk, and the row's class.
function countdown(due, now) {
  if (due.at === null) return { text: t('desk.no_due'), cls: '', risk: false };
  const left = due.at - now;
  const mins = Math.round(Math.abs(left) / 60000);
  const span = mins >= 60 ? t('desk.h_min', { h: Math.floor(mins / 60), m: mins % 60 }) : t('desk.min', { m: mins });
  if (left < 0) return { text: t('desk.overdue', { span }), cls: 'overdue', risk: false };
  const risk = due.warned || (due.warn !== null && now >= due.warn);
  return { text: t('desk.left', { span }), cls: risk ? 'at-risk' : '', risk };
}

function stopPoll() {
  poll?.abort();
  poll = null;
}

// Every live claim of the partner's queue, following the cursor.
async function liveQueue() {
  const items = [];
  let cursor = null;
  do {
    const page = await api('GET', `/v1/assignments?state=live&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

async function viewQueue() {
  await loadVocabulary();
  const items = (await liveQueue()).filter((a) => LIVE.includes(a.state));
  items.sort((x, y) => (nextDue(x).at ?? Infinity) - (nextDue(y).at ?? Infinity));
  const tbody = h('tbody');
  const render = () => {
    const now = Date.now();
    fill(
      tbody,
      items.map((a) => {
        const due = nextDue(a);
        const c = countdown(due, now);
        return h(
          'tr',
          { class: c.cls },
          h('td', {}, h('span', { class: 'due' }, c.text), c.risk ? [' · ', h('span', { class: 'risk' }, t('desk.at_risk'))] : null, h('br'), h('small', {}, t(`desk.due_${due.kind}`), ' ', due.at ? formatTime(new Date(due.at).toISOString()) : '')),
          h('td', {}, h('a', { href: `#/a/${encodeURIComponent(a.id)}` }, a.summary)),
          h('td', {}, t(`priority.${a.priority}`)),
          h('td', {}, label('service', a.service), ' · ', label('symptom', a.symptom)),
          h('td', {}, t(`astate.${a.state}`), a.ticket_status === 'pending' ? h('div', {}, t('desk.waiting_text')) : null, a.flags?.length ? h('div', { class: 'flags' }, a.flags.map((f) => t(`flag.${f}`)).join(', ')) : null),
        );
      }),
    );
  };
  render();
  const table = items.length
    ? h(
        'table',
        {},
        h('caption', { class: 'sr-only' }, t('desk.caption')),
        h('thead', {}, h('tr', {}, ['desk.due', 'desk.claim', 'desk.priority', 'desk.what', 'desk.state'].map((k) => h('th', { scope: 'col' }, t(k))))),
        tbody,
      )
    : h('p', {}, t('desk.empty'));
  show(title(t('desk.title')), h('p', {}, t('desk.intro')), table);
  watch(items);
  const tick = setInterval(() => (document.body.contains(tbody) ? render() : clearInterval(tick)), 30000);
}

// Waits for new claims (the queue's long-poll after the newest one seen) and shows the queue again.
async function watch(items) {
  stopPoll();
  const ctl = new AbortController();
  poll = ctl;
  const assigned = items.filter((a) => a.state === 'assigned').map((a) => a.id).sort();
  let cursor = assigned.length ? assigned[assigned.length - 1] : null;
  while (poll === ctl) {
    try {
      const page = await api('GET', `/v1/assignments?state=assigned&limit=50&wait=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, { signal: ctl.signal });
      if (poll !== ctl) return;
      if (page.items.length) {
        say(t('desk.new_claims', { n: page.items.length }));
        viewQueue();
        return;
      }
    } catch (e) {
      if (ctl.signal.aborted || e.status === 401) return;
      await new Promise((r) => setTimeout(r, 5000)); // the broker is away: try again shortly
    }
  }
}

async function viewClaim(id) {
  await loadVocabulary();
  const a = await api('GET', `/v1/assignments/${encodeURIComponent(id)}`);
  const base = `/v1/assignments/${encodeURIComponent(a.id)}`;
  const row = (key, value) => (value ? [h('dt', {}, t(key)), h('dd', {}, value)] : null);
  const parts = [
    title(a.summary),
    h(
      'dl',
      { class: 'facts' },
      row('desk.state', t(`astate.${a.state}`)),
      row('desk.waiting', a.ticket_status === 'pending' ? t('desk.waiting_text') : null),
      row('ticket.id', a.ticket),
      row('desk.priority', t(`priority.${a.priority}`)),
      row('desk.service', label('service', a.service)),
      row('desk.symptom', label('symptom', a.symptom)),
      row('desk.equipment', label('equipment', a.equipment)),
      row('desk.region', label('region', a.region)),
      row('desk.customer', a.customer ? [a.customer.name, a.customer.contact].filter(Boolean).join(', ') : null),
      row('desk.due_ack', a.due?.ack ? formatTime(a.due.ack) : null),
      row('desk.due_resolve', a.due?.resolve ? formatTime(a.due.resolve) : null),
      row('desk.at_risk_from', a.warn?.[nextDue(a).kind] ? formatTime(a.warn[nextDue(a).kind]) : nextDue(a).warned ? t('desk.at_risk_now') : null),
      row('desk.bounces', a.bounces ? String(a.bounces) : null),
    ),
    a.description ? h('p', { class: 'text description' }, a.description) : null,
  ];
  if (a.state === 'assigned') {
    parts.push(actionForm({ label: t('desk.ack_note'), key: 'note', path: `${base}/ack`, button: t('desk.ack'), required: false, done: t('desk.acked') }));
  }
  if (a.state === 'acknowledged' || a.state === 'inProgress') {
    parts.push(
      h('h2', {}, t('desk.work')),
      actionForm({ label: t('desk.progress_note'), key: 'note', path: `${base}/progress`, button: t('desk.progress'), done: t('desk.progressed') }),
      actionForm({ label: t('desk.question'), hint: t('desk.question_hint'), key: 'question', path: `${base}/need-info`, button: t('desk.ask'), done: t('desk.asked') }),
      actionForm({ label: t('desk.resolution'), key: 'resolution', path: `${base}/resolve`, button: t('desk.resolve'), done: t('desk.resolved') }),
    );
  }
  if (LIVE.includes(a.state)) {
    // belongs_to: only among the companies the rules allow for this claim (the broker's list).
    const choices = a.belongs_to_choices || [];
    const reasons = choices.length ? [...HANDBACK_REASONS, 'belongs_to'] : HANDBACK_REASONS;
    const reason = h('select', { name: 'reason', required: true }, reasons.map((r) => h('option', { value: r }, t(`reason.${r}`))));
    const company = h('select', { name: 'partner' },
      choices.map((c) => h('option', { value: c.partner }, c.because === 'lead' ? t('desk.belongs_lead', { name: c.name }) : c.name)));
    const companyField = field(t('desk.belongs_to'), company, t('desk.belongs_to_hint'));
    companyField.hidden = true;
    reason.addEventListener('change', () => {
      companyField.hidden = reason.value !== 'belongs_to';
    });
    parts.push(
      h('details', { class: 'cancel' }, h('summary', {}, t('desk.handback_title')),
        actionForm({
          label: t('desk.handback_note'), key: 'note', path: `${base}/handback`, button: t('desk.handback'),
          required: false, danger: true, done: t('desk.handed_back'),
          extra: [field(t('desk.reason'), reason), companyField],
          body: () => (reason.value === 'belongs_to' ? { reason: reason.value, partner: company.value } : { reason: reason.value }),
        })),
    );
  }
  const evidence = h('div', { class: 'evidence-slot' });
  parts.push(evidence, h('p', {}, h('a', { href: '#/' }, t('desk.back'))));
  show(...parts);
  evidenceBadge(evidence, a.ticket, api);
}

// ---- a supervisor's SLA figures ----

// Business minutes as "1 h 5 min" ("" when there is no figure).
function minutes(m) {
  if (m === null || m === undefined) return '–';
  const whole = Math.round(m);
  return whole >= 60 ? t('desk.h_min', { h: Math.floor(whole / 60), m: whole % 60 }) : t('desk.min', { m: whole });
}

function within(clock) {
  if (!clock.count) return '–';
  return t('sla.within', { n: clock.within_sla, of: clock.count, pct: Math.round(clock.compliance_pct) });
}

function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

async function viewSla(me) {
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const to = q.get('to') || isoDay(new Date(Date.now() + 86400000));
  const from = q.get('from') || isoDay(new Date(Date.now() - 29 * 86400000));
  const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const [report, breaches] = await Promise.all([
    api('GET', `/v1/audit/sla?${range}`),
    api('GET', `/v1/audit/breaches?${range}&limit=50`),
  ]);
  const mine = report.owners.find((o) => o.owner === me.subject) || report.overall;
  const fromInput = h('input', { type: 'date', name: 'from', value: from, required: true });
  const toInput = h('input', { type: 'date', name: 'to', value: to, required: true });
  const period = h(
    'form',
    {
      class: 'card period',
      onsubmit: (ev) => {
        ev.preventDefault();
        location.hash = `#/sla?from=${fromInput.value}&to=${toInput.value}`;
      },
    },
    field(t('sla.from'), fromInput),
    field(t('sla.to'), toInput, t('sla.to_hint')),
    h('button', { type: 'submit' }, t('sla.show')),
  );
  const rows = [
    ['sla.tickets', String(mine.tickets)],
    ['sla.ack_within', within(mine.acknowledge)],
    ['sla.resolve_within', within(mine.resolve)],
    ['sla.ack_p50_p90', `${minutes(mine.acknowledge.p50_min)} / ${minutes(mine.acknowledge.p90_min)}`],
    ['sla.resolve_p50_p90', `${minutes(mine.resolve.p50_min)} / ${minutes(mine.resolve.p90_min)}`],
    ['sla.breaches', String(mine.breaches)],
    ['sla.handbacks', [String(mine.handbacks), ...Object.entries(mine.handback_reasons || {}).filter(([, n]) => n).map(([r, n]) => ` · ${t(`reason.${r}`)}: ${n}`)].join('')],
  ];
  const figures = h(
    'table',
    { class: 'figures' },
    h('caption', {}, t('sla.caption', { from, to })),
    h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, t(k)), h('td', {}, v)))),
  );
  const list = breaches.items.length
    ? h(
        'table',
        {},
        h('caption', { class: 'sr-only' }, t('sla.breaches_caption')),
        h('thead', {}, h('tr', {}, ['ticket.id', 'sla.clock', 'sla.due'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h('tbody', {}, breaches.items.map((b) => h('tr', {}, h('td', {}, b.ticket), h('td', {}, t(`sla.clock_${b.clock}`)), h('td', {}, formatTime(b.due))))),
      )
    : h('p', {}, t('sla.no_breaches'));
  show(title(t('sla.title')), period, figures, h('h2', {}, t('sla.breaches_title')), list);
}

start({
  roles: ['partner'],
  signinTitle: 'desk.signin_title',
  links: (me) => (me.kind === 'supervisor' ? [['#/', 'desk.title'], ['#/sla', 'sla.title']] : [['#/', 'desk.title']]),
  onSignedOut: stopPoll,
  route: async (hash, me) => {
    stopPoll();
    if (hash.startsWith('#/a/')) await viewClaim(decodeURIComponent(hash.slice(4)));
    else if (hash.startsWith('#/sla') && me.kind === 'supervisor') await viewSla(me);
    else await viewQueue();
  },
});
