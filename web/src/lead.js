// lead.js: the lead console ("/lead/"). The lead company's desk and
// managers see at a glance everything that can fall between providers,
// each partner's SLA compliance over time as charts,
// a ticket's whole history with its claims and bouncers, and act: file a
// complaint for a customer who called in, force an owner, merge duplicates,
// correct facts, explain the rules, send dead letters again. Views by the
// location's hash: #/ (at a glance), #/list?flag=F or ?owner=O (one list,
// page by page), #/t/ID (a ticket), #/new (file for a customer), #/sla
// (the charts), #/rules (explain and the coverage check), #/dead (dead
// letters). Everything is read from and done through the API, as the lead.
// An auditor reads what the API gives it: the SLA charts and figures.
import { api } from './api.js';
import { app, errorLine, errorText, factLabel, loadVocabulary, say, show, showError, start, title, vocabulary } from './app.js';
import { chart } from './charts.js';
import { evidenceBadge } from './evidence.js';
import { field, fill, h } from './dom.js';
import { formatTime, t } from './i18n.js';

const OPEN = ['acknowledged', 'inProgress', 'pending'];
const LIVE = ['assigned', 'acknowledged', 'inProgress'];
// The lists of what can fall between providers, each the lead's list by its filter (?flag=),
// newest first: the watch lists the broker keeps (bouncing, at_risk), then the flags.
const LISTS = ['bouncing', 'at_risk', 'disputed', 'out_of_bundle', 'possible_duplicate', 'breached'];
const CHANNELS = ['phone', 'email', 'web', 'api'];
const REASONS = ['not_our_service', 'belongs_to', 'customer_side', 'duplicate'];
const GLANCE_ROWS = 10; // a glance list shows this many; its "all" link the rest
const DAY_MS = 86400000;
let me = null;
const label = factLabel;

const isLead = () => me?.role === 'lead';
const ticketLink = (tk) => h('a', { href: `#/t/${encodeURIComponent(tk.id)}` }, tk.summary || tk.id);
const statusBadge = (s) => h('span', { class: `badge s-${s}` }, t(`status.${s}`));
const owners = (tk) => [...new Set((tk.assignments || []).filter((a) => LIVE.includes(a.state)).map((a) => a.partner))];
const handbacks = (tk) => (tk.assignments || []).filter((a) => a.state === 'handed_back');
const ownerName = (id) => (me && id === me.subject && isLead() ? t('lead.owner_lead', { id }) : id);

// Business minutes as "1 h 5 min", "–" for none.
function minutes(m) {
  if (m === null || m === undefined) return '–';
  const whole = Math.round(m);
  return whole >= 60 ? t('desk.h_min', { h: Math.floor(whole / 60), m: whole % 60 }) : t('desk.min', { m: whole });
}

function isoDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

function table(caption, heads, rows) {
  return h(
    'table',
    {},
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, heads.map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, rows),
  );
}

// A section of the glance: its heading (with the count), the rows or "none", an "all" link.
function section(id, heading, count, rows, heads, more) {
  return h(
    'section',
    { class: 'glance', 'aria-labelledby': id },
    h('h2', { id }, heading, ' ', h('span', { class: count ? 'count' : 'count zero' }, String(count))),
    rows.length ? table(heading, heads, rows) : h('p', {}, t('lead.none')),
    more ? h('p', {}, more) : null,
  );
}

// ---- at a glance ----

// The due instant of the clock that puts a ticket on the at_risk list: a
// live claim's clock past its warning (sla.warned) and still due (its
// due_*_at is null once breached, or while the clock is paused).
function riskyDue(tk) {
  for (const a of tk.assignments || []) {
    if (!LIVE.includes(a.state)) continue;
    for (const clock of ['ack', 'resolve']) {
      const due = a.sla?.[`due_${clock}_at`];
      if (due && a.sla?.warned?.includes(`warning_${clock}`)) return due;
    }
  }
  return null;
}

// What a row of a list says beside the ticket: the ping-pong count (the
// ticket's bounces: hand-backs in its current round) and who bounced it; the
// at-risk clock's due time; the ticket a possible duplicate repeats.
function detail(list, tk) {
  if (list === 'bouncing') {
    const round = handbacks(tk).filter((a) => a.round === tk.round);
    return t('lead.bounced', { n: tk.bounces ?? round.length, who: [...new Set(round.map((a) => a.partner))].join(', ') });
  }
  if (list === 'at_risk') {
    const due = riskyDue(tk);
    return due ? t('lead.due_at', { at: formatTime(due) }) : '';
  }
  if (list === 'possible_duplicate' && tk.duplicate_of) {
    return h('a', { href: `#/t/${encodeURIComponent(tk.duplicate_of)}` }, t('lead.duplicate_of', { id: tk.duplicate_of }));
  }
  return null;
}

function ticketRow(tk, ...extra) {
  return h('tr', {}, h('td', {}, ticketLink(tk)), h('td', {}, statusBadge(tk.status)), h('td', {}, owners(tk).map(ownerName).join(', ') || '–'), extra.map((x) => h('td', {}, x ?? '')));
}

async function viewGlance() {
  // The counts come from the indexes (GET /v1/overview): no list is walked for them.
  const [sla, overview] = await Promise.all([api('GET', '/v1/audit/sla'), api('GET', '/v1/overview')]);
  const heads = ['lead.ticket', 'lead.status', 'lead.owner', 'lead.detail'];
  const noOwner = sla.overall.time_without_owner_ms;
  const parts = [
    title(t('lead.glance_title')),
    h(
      'p',
      { class: noOwner === 0 ? 'without-owner ok' : 'without-owner bad', id: 'without-owner' },
      h('strong', {}, t('lead.without_owner')),
      ' ',
      h('span', { class: 'figure' }, minutes(noOwner / 60000)),
      ' ',
      noOwner === 0 ? t('lead.without_owner_ok') : t('lead.without_owner_bad'),
    ),
  ];
  // Open tickets by owner (each partner and the lead): each owner's count links to its list (?owner=).
  const byOwner = [...overview.open_by_owner].sort((x, y) => x.owner.localeCompare(y.owner));
  parts.push(
    h('section', { class: 'glance', 'aria-labelledby': 'by-owner' },
      h('h2', { id: 'by-owner' }, t('lead.by_owner'), ' ', h('span', { class: 'count' }, String(overview.open))),
      table(t('lead.by_owner'), ['lead.owner', 'lead.open'], byOwner.map(({ owner, open }) =>
        h('tr', {}, h('th', { scope: 'row' }, h('a', { href: `#/list?owner=${encodeURIComponent(owner)}` }, ownerName(owner))), h('td', {}, String(open)))))),
  );
  // Each list by its own filter (?flag=), its first rows, and an "all" link to its pages.
  const lists = await Promise.all(LISTS.map((f) => api('GET', `/v1/tickets?flag=${f}&limit=${GLANCE_ROWS}`).catch((e) => e)));
  LISTS.forEach((f, i) => {
    const res = lists[i];
    if (res instanceof Error) {
      parts.push(h('section', { class: 'glance' }, h('h2', {}, t(`lead.list_${f}`)), h('p', { class: 'error' }, errorText(res))));
      return;
    }
    const rows = res.items.map((tk) => ticketRow(tk, detail(f, tk)));
    const count = overview.lists[f] ?? (res.next_cursor ? `${res.items.length}+` : res.items.length);
    parts.push(section(`l-${f}`, t(`lead.list_${f}`), count, rows, heads,
      h('a', { href: `#/list?flag=${f}` }, t('lead.all_of', { list: t(`lead.list_${f}`) }))));
  });
  show(...parts);
}

// ---- one list, page by page ----

async function viewList(query) {
  const q = new URLSearchParams(query);
  const filter = q.get('flag') ? `flag=${encodeURIComponent(q.get('flag'))}` : `owner=${encodeURIComponent(q.get('owner') || 'lead')}`;
  const name = q.get('flag') ? t(`lead.list_${q.get('flag')}`) : t('lead.owned_by', { owner: ownerName(q.get('owner') || 'lead') });
  const page = await api('GET', `/v1/tickets?${filter}&limit=50${q.get('cursor') ? `&cursor=${encodeURIComponent(q.get('cursor'))}` : ''}`);
  // A list with something to say beside each ticket (its count, its due time, the original) says it.
  const said = q.get('flag') && page.items.some((tk) => detail(q.get('flag'), tk) !== null);
  const rows = page.items.map((tk) => ticketRow(tk, formatTime(tk.created_at), ...(said ? [detail(q.get('flag'), tk)] : [])));
  const next = new URLSearchParams(q);
  if (page.next_cursor) next.set('cursor', page.next_cursor);
  show(
    title(name),
    rows.length ? table(name, ['lead.ticket', 'lead.status', 'lead.owner', 'lead.filed', ...(said ? ['lead.detail'] : [])], rows) : h('p', {}, t('lead.none')),
    page.next_cursor ? h('p', {}, h('a', { href: `#/list?${next}` }, t('lead.next_page'))) : null,
    h('p', {}, h('a', { href: '#/' }, t('lead.back'))),
  );
}

// ---- a ticket's whole history ----

// A form of the console: POST path with body(values), values its named
// controls' (trimmed); then the view again (or after(answer)), the status line said.
function leadForm({ heading, controls, path, body, button, done, danger, after }) {
  const err = errorLine();
  return h(
    'form',
    {
      class: 'card',
      'aria-label': heading,
      onsubmit: async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        const values = {};
        for (const [k, v] of new FormData(ev.target)) values[k] = typeof v === 'string' ? v.trim() : v;
        try {
          const res = await api('POST', path, body(values));
          say(done);
          if (after) after(res);
          else app.route();
        } catch (e) {
          showError(err, e);
          const name = e.field?.replace(/^facts\./, '');
          const bad = name && (ev.target.elements[name] || ev.target.elements[`fact-${name}`]);
          if (bad) bad.focus();
        }
      },
    },
    h('h3', {}, heading),
    controls,
    err,
    h('button', { type: 'submit', class: danger ? 'danger' : null }, button),
  );
}

function reasonField(name = 'reason', required = true) {
  return field(t('lead.reason'), h('textarea', { name, rows: 2, required }));
}

function factSelect(f, value, optional) {
  return h(
    'select',
    { name: `fact-${f.name}`, required: !optional },
    optional ? h('option', { value: '' }, t('lead.any')) : h('option', { value: '' }, t('new.choose')),
    f.values.map((v) => h('option', { value: v.id, selected: v.id === value }, v.label)),
  );
}

function actions(tk, partners) {
  const base = `/v1/tickets/${encodeURIComponent(tk.id)}`;
  const forms = [];
  if (OPEN.includes(tk.status)) {
    const list = h('datalist', { id: 'partners' }, partners.map((p) => h('option', { value: p })));
    forms.push(leadForm({
      heading: t('lead.assign_title'),
      controls: [field(t('lead.assign_partner'), h('input', { name: 'partner', list: 'partners', required: true, autocomplete: 'off' }), t('lead.assign_hint')), list, reasonField()],
      path: `${base}/assign`,
      body: (v) => ({ partner: v.partner, reason: v.reason }),
      button: t('lead.assign'),
      done: t('lead.assigned'),
    }));
  }
  if (OPEN.includes(tk.status) || tk.status === 'resolved') {
    forms.push(leadForm({
      heading: t('lead.merge_title'),
      controls: [field(t('lead.merge_into'), h('input', { name: 'into', required: true, value: tk.duplicate_of || '', autocomplete: 'off' }), t('lead.merge_hint')), reasonField('reason', false)],
      path: `${base}/merge`,
      body: (v) => (v.reason ? { into: v.into, reason: v.reason } : { into: v.into }),
      button: t('lead.merge'),
      done: t('lead.merged'),
      danger: true,
    }));
  }
  if (tk.status === 'acknowledged' || tk.status === 'inProgress') {
    const facts = vocabulary().facts.filter((f) => f.source === 'complaint' || f.source === 'either');
    forms.push(leadForm({
      heading: t('lead.facts_title'),
      controls: [h('p', { class: 'hint' }, t('lead.facts_hint')), facts.map((f) => field(f.label, factSelect(f, tk.facts?.[f.name] ?? tk[f.name], f.optional))), reasonField()],
      path: `${base}/facts`,
      body: (v) => {
        const changed = {}; // only the facts changed
        for (const f of facts) {
          const value = v[`fact-${f.name}`] || null;
          if (value !== (tk.facts?.[f.name] ?? tk[f.name] ?? null)) changed[f.name] = value;
        }
        return { facts: changed, reason: v.reason };
      },
      button: t('lead.facts_submit'),
      done: t('lead.facts_done'),
    }));
  }
  return forms;
}

function assignmentRows(tk) {
  return (tk.assignments || []).map((a) =>
    h(
      'tr',
      { class: a.state === 'handed_back' ? 'bounced' : null },
      h('td', {}, String(a.round ?? '')),
      h('th', { scope: 'row' }, ownerName(a.partner)),
      h('td', {}, t(`astate.${a.state}`)),
      h('td', {}, a.rule || ''),
      h('td', {}, formatTime(a.assigned_at)),
      h('td', {}, formatTime(a.acknowledged_at)),
      h('td', {}, formatTime(a.resolved_at || a.handed_back_at || a.ended_at)),
      h('td', {}, a.handback_reason ? [t(`lead.reason_${a.handback_reason}`), a.belongs_to ? ` → ${a.belongs_to}` : '', a.held_ms !== undefined ? ` (${t('lead.held', { span: minutes(a.held_ms / 60000) })})` : ''] : ''),
      h('td', {}, (a.flags || []).map((f) => t(`lead.flag_${f}`)).join(', ')),
    ),
  );
}

function historyList(tk) {
  return h(
    'ol',
    { class: 'timeline' },
    (tk.timeline || []).map((ev) =>
      h(
        'li',
        { class: ev.visibility === 'internal' ? 'internal' : null },
        h('time', { datetime: ev.at }, formatTime(ev.at)),
        ' ',
        h('strong', {}, t(`event.${ev.type}`) === `event.${ev.type}` ? ev.type : t(`event.${ev.type}`)),
        ' ',
        h('code', {}, ev.type),
        ev.status ? [' · ', t(`status.${ev.status}`)] : null,
        ev.by ? [' · ', t('lead.by', { who: ev.by })] : null,
        ev.visibility === 'internal' ? [' · ', h('em', {}, t('lead.internal'))] : null,
        ev.text ? h('p', { class: 'text' }, ev.text) : null,
      ),
    ),
  );
}

async function viewTicket(id) {
  const [tk, files] = await Promise.all([
    api('GET', `/v1/tickets/${encodeURIComponent(id)}`),
    api('GET', `/v1/tickets/${encodeURIComponent(id)}/attachments`).catch(() => ({ items: [] })),
    loadVocabulary(),
  ]);
  const row = (key, value) => (value || value === 0 ? [h('dt', {}, t(key)), h('dd', {}, value)] : null);
  const link = (tid) => h('a', { href: `#/t/${encodeURIComponent(tid)}` }, tid);
  const facts = vocabulary().facts
    .filter((f) => f.source !== 'priority')
    .map((f) => [f.label, label(f.name, tk.facts?.[f.name] ?? tk[f.name])])
    .filter(([, v]) => v)
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]);
  const bounced = handbacks(tk);
  const bouncers = new Map();
  for (const a of bounced) bouncers.set(a.partner, [...(bouncers.get(a.partner) || []), a]);
  const partners = [...new Set([...(tk.assignments || []).map((a) => a.partner), ...(await knownOwners()), 'lead'])].sort();
  const parts = [
    title(tk.summary),
    h(
      'dl',
      { class: 'facts' },
      row('lead.status', statusBadge(tk.status)),
      row('ticket.id', tk.id),
      row('lead.customer', tk.customer),
      row('lead.channel', tk.channel ? t(`lead.channel_${tk.channel}`) : null),
      row('desk.priority', t(`priority.${tk.priority}`)),
      facts,
      row('lead.rule', tk.rule ? `${tk.rule} (${tk.mode})` : null),
      row('lead.round', tk.round),
      row('lead.bounces', tk.bounces),
      row('lead.flags', (tk.flags || []).map((f) => t(`lead.flag_${f}`)).join(', ')),
      row('lead.duplicate', tk.duplicate_of ? link(tk.duplicate_of) : null),
      row('lead.merged_into', tk.merged_into ? link(tk.merged_into) : null),
      row('ticket.filed', formatTime(tk.created_at)),
      row('list.updated', formatTime(tk.updated_at)),
    ),
    tk.description ? h('p', { class: 'text description' }, tk.description) : null,
    h('h2', { id: 'assignments' }, t('lead.assignments')),
    table(t('lead.assignments'), ['lead.round', 'lead.owner', 'lead.state', 'lead.rule', 'lead.assigned_at', 'lead.acked_at', 'lead.ended_at', 'lead.handback', 'lead.flags'], assignmentRows(tk)),
    h('h2', { id: 'bouncers' }, t('lead.bouncers')),
    bouncers.size
      ? h('ul', { class: 'bouncers' }, [...bouncers].map(([p, list]) => h('li', {}, t('lead.bouncer', { partner: ownerName(p), n: list.length, reasons: list.map((a) => t(`lead.reason_${a.handback_reason}`)).join(', ') }))))
      : h('p', {}, t('lead.no_bouncer')),
    h('h2', {}, t('lead.history')),
    historyList(tk),
  ];
  if (files.items.length) {
    parts.push(
      h('h2', {}, t('lead.attachments')),
      h('ul', { class: 'attachments' }, files.items.map((f) => h('li', {},
        h('a', { href: `/v1/tickets/${encodeURIComponent(tk.id)}/attachments/${f.sha256}`, download: f.name }, f.name),
        ` · ${f.type} · ${t('lead.bytes', { n: f.size })}`, f.by?.user || f.by?.id ? ` · ${t('lead.by', { who: f.by.user || f.by.id })}` : ''))),
    );
  }
  if (isLead()) {
    const forms = actions(tk, partners);
    if (forms.length) parts.push(h('h2', {}, t('lead.act')), forms);
  }
  const evidence = h('div', { class: 'evidence-slot' });
  parts.push(evidence, h('p', {}, h('a', { href: '#/' }, t('lead.back'))));
  show(...parts);
  evidenceBadge(evidence, tk.id, api);
}

// The owners the SLA report knows (every partner that ever held a claim, and the lead).
let ownersCache = null;
async function knownOwners() {
  if (!ownersCache) ownersCache = (await api('GET', '/v1/audit/sla').catch(() => ({ owners: [] }))).owners.map((o) => o.owner);
  return ownersCache;
}

// ---- a complaint filed for a customer who called in ----

async function viewNew() {
  await loadVocabulary();
  const facts = vocabulary().facts.filter((f) => f.source === 'complaint' || f.source === 'either' || f.source === 'priority');
  const customer = h('input', { name: 'customer', required: true, autocomplete: 'off', maxlength: 64 });
  const channel = h('select', { name: 'channel' }, CHANNELS.map((c) => h('option', { value: c }, t(`lead.channel_${c}`))));
  const summary = h('input', { name: 'summary', required: true, maxlength: 200 });
  const description = h('textarea', { name: 'description', rows: 4, required: true });
  const selects = facts.map((f) => ({ f, select: factSelect(f, f.source === 'priority' ? 'normal' : null, f.optional || f.source === 'either') }));
  const form = leadForm({
    heading: t('lead.new_form'),
    controls: [
      field(t('lead.customer'), customer, t('lead.customer_hint')),
      field(t('lead.channel'), channel, t('lead.channel_hint')),
      field(t('new.summary'), summary),
      selects.map(({ f, select }) => field(f.label, select)),
      field(t('new.description'), description),
    ],
    path: '/v1/tickets',
    body: (v) => {
      const body = { customer: v.customer, channel: v.channel, summary: v.summary, description: v.description };
      for (const f of facts) if (v[`fact-${f.name}`]) body[f.name] = v[`fact-${f.name}`];
      return body;
    },
    button: t('lead.new_submit'),
    done: t('lead.new_done'),
    after: (tk) => {
      location.hash = `#/t/${encodeURIComponent(tk.id)}`;
    },
  });
  show(title(t('lead.new_title')), h('p', {}, t('lead.new_intro')), form);
}

// ---- SLA compliance over time, per partner ----

// The weeks of [from, to): [start, end) days, the last one cut at to.
function weeks(from, to) {
  const out = [];
  for (let s = Date.parse(from); s < Date.parse(to); s += 7 * DAY_MS) out.push([isoDay(s), isoDay(Math.min(s + 7 * DAY_MS, Date.parse(to)))]);
  return out;
}

async function viewSla() {
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const to = q.get('to') || isoDay(Date.now() + DAY_MS);
  const from = q.get('from') || isoDay(Date.parse(to) - 8 * 7 * DAY_MS);
  const fromInput = h('input', { type: 'date', name: 'from', value: from, required: true });
  const toInput = h('input', { type: 'date', name: 'to', value: to, required: true });
  const range = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
  const spans = /^\d{4}-\d{2}-\d{2}$/.test(from) && /^\d{4}-\d{2}-\d{2}$/.test(to) ? weeks(from, to) : [];
  const report = await api('GET', `/v1/audit/sla?${range}`);
  const ownerIds = report.owners.map((o) => o.owner);
  const partner = ownerIds.includes(q.get('partner')) ? q.get('partner') : ownerIds[0];
  const partnerSelect = h('select', { name: 'partner' }, ownerIds.map((o) => h('option', { value: o, selected: o === partner }, ownerName(o))));
  const period = h(
    'form',
    {
      class: 'card period',
      'aria-label': t('lead.period'),
      onsubmit: (ev) => {
        ev.preventDefault();
        const next = new URLSearchParams({ from: fromInput.value, to: toInput.value });
        if (partnerSelect.value) next.set('partner', partnerSelect.value);
        location.hash = `#/sla?${next}`;
      },
    },
    field(t('sla.from'), fromInput),
    field(t('sla.to'), toInput, t('sla.to_hint')),
    ownerIds.length ? field(t('lead.partner'), partnerSelect) : null,
    h('button', { type: 'submit' }, t('sla.show')),
  );
  const csv = h('a', { href: `/v1/audit/sla?format=csv&${range}`, download: `sla-${from}-${to}.csv`, class: 'csv' }, t('lead.csv'));
  const parts = [title(t('lead.sla_title')), period, h('p', {}, csv, ' ', h('a', { href: '/assets/uPlot.LICENSE.txt', class: 'licence' }, t('lead.chart_licence')))];
  if (spans.length > 60) {
    parts.push(h('p', { class: 'error', role: 'alert' }, t('lead.too_long')));
    return show(...parts);
  }
  // The whole period, every owner: the figures the charts break down by week.
  const within = (c) => (c.count ? `${Math.round(c.compliance_pct)} % (${c.within_sla}/${c.count})` : '–');
  parts.push(
    h('h2', { id: 'period-figures' }, t('lead.period_figures', { from, to })),
    table(t('lead.period_figures', { from, to }), ['lead.owner', 'sla.tickets', 'lead.ack_pct', 'lead.resolve_pct', 'lead.ack_p', 'lead.resolve_p', 'sla.breaches', 'sla.handbacks'],
      [...report.owners, report.overall].map((o) => h(
        'tr',
        {},
        h('th', { scope: 'row' }, o.owner === 'all' ? t('lead.all_owners') : ownerName(o.owner)),
        h('td', {}, String(o.tickets)),
        h('td', {}, within(o.acknowledge)),
        h('td', {}, within(o.resolve)),
        h('td', {}, `${minutes(o.acknowledge.p50_min)} / ${minutes(o.acknowledge.p90_min)}`),
        h('td', {}, `${minutes(o.resolve.p50_min)} / ${minutes(o.resolve.p90_min)}`),
        h('td', {}, String(o.breaches)),
        h('td', {}, [String(o.handbacks), ...Object.entries(o.handback_reasons || {}).filter(([, n]) => n).map(([r, n]) => ` · ${t(`lead.reason_${r}`)}: ${n}`)].join('')),
      ))),
  );
  if (!partner) {
    parts.push(h('p', {}, t('lead.no_claims')));
    return show(...parts);
  }
  // One report per week (whole days: the broker answers them from its aggregates).
  const weekly = await Promise.all(spans.map(([a, b]) => api('GET', `/v1/audit/sla?from=${a}&to=${b}`)));
  const mine = weekly.map((r) => r.owners.find((o) => o.owner === partner) || null);
  const x = spans.map(([a]) => Date.parse(a) / 1000);
  const pick = (fn) => mine.map((o) => (o ? fn(o) ?? null : null));
  const unit = (y, yMin) => ({ week: t('lead.week'), table: t('lead.chart_table'), y, yMin });
  const pct = (v) => `${Math.round(v)} %`;
  const charts = [
    chart({
      caption: t('lead.chart_compliance', { partner: ownerName(partner) }),
      x,
      unit: unit('%', 100),
      format: pct,
      series: [
        { label: t('sla.ack_within'), values: pick((o) => (o.acknowledge.count ? o.acknowledge.compliance_pct : null)) },
        { label: t('sla.resolve_within'), values: pick((o) => (o.resolve.count ? o.resolve.compliance_pct : null)) },
      ],
    }),
    chart({
      caption: t('lead.chart_times', { partner: ownerName(partner) }),
      x,
      unit: unit(t('lead.minutes'), 1),
      format: (v) => minutes(v),
      series: [
        { label: t('lead.ack_p50'), values: pick((o) => o.acknowledge.p50_min) },
        { label: t('lead.ack_p90'), values: pick((o) => o.acknowledge.p90_min) },
        { label: t('lead.resolve_p50'), values: pick((o) => o.resolve.p50_min) },
        { label: t('lead.resolve_p90'), values: pick((o) => o.resolve.p90_min) },
      ],
    }),
    chart({
      caption: t('lead.chart_breaches', { partner: ownerName(partner) }),
      x,
      unit: unit(t('sla.breaches'), 1),
      series: [{ label: t('sla.breaches'), values: mine.map((o) => (o ? o.breaches : 0)), bars: true }],
    }),
    chart({
      caption: t('lead.chart_handbacks', { partner: ownerName(partner) }),
      x,
      unit: unit(t('sla.handbacks'), 1),
      series: REASONS.map((r) => ({ label: t(`lead.reason_${r}`), values: mine.map((o) => o?.handback_reasons?.[r] ?? 0) })),
    }),
  ];
  parts.push(h('h2', { id: 'charts' }, t('lead.charts', { partner: ownerName(partner) })), h('div', { class: 'charts' }, charts.map((c) => c.el)));
  show(...parts);
  for (const c of charts) c.draw();
}

// ---- the rules ----

// An example of a finding in words: {facts: {service: 'tv', ...}, rule: 'x'} as "service=tv, ..., rule=x".
function findingText(ex) {
  if (Array.isArray(ex)) return ex.map(findingText).join(' → ');
  if (typeof ex !== 'object' || ex === null) return String(ex);
  return Object.entries(ex)
    .map(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? findingText(v) : `${k}=${Array.isArray(v) ? findingText(v) : v}`))
    .join(', ');
}

async function viewRules() {
  await loadVocabulary();
  const facts = vocabulary().facts;
  const customer = h('input', { name: 'customer', autocomplete: 'off' });
  const selects = facts.map((f) => ({ f, select: factSelect(f, f.source === 'priority' ? 'normal' : null, f.name !== 'symptom') }));
  const result = h('div', { id: 'explain-result', 'aria-live': 'polite' });
  const err = errorLine();
  const form = h(
    'form',
    {
      class: 'card',
      'aria-label': t('lead.explain_title'),
      onsubmit: async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        const body = {};
        if (customer.value.trim()) body.customer = customer.value.trim();
        for (const { f, select } of selects) if (select.value) body[f.name] = select.value;
        try {
          showExplain(result, await api('POST', '/v1/rules/explain', body));
        } catch (e) {
          fill(result);
          showError(err, e);
        }
      },
    },
    h('p', { class: 'hint' }, t('lead.explain_hint')),
    field(t('lead.customer'), customer, t('lead.explain_customer_hint')),
    selects.map(({ f, select }) => field(f.label, select)),
    err,
    h('button', { type: 'submit' }, t('lead.explain')),
  );
  const check = await api('GET', '/v1/rules/check').catch((e) => e);
  const findings = check instanceof Error
    ? h('p', { class: 'error' }, errorText(check))
    : [
        h('p', { class: check.ok ? 'ok' : 'error' }, check.ok ? t('lead.check_ok', { n: check.combinations, rules: check.rules }) : t('lead.check_bad')),
        table(t('lead.check_title'), ['lead.finding', 'lead.count', 'lead.examples'],
          Object.entries(check).filter(([, v]) => v && typeof v === 'object' && 'count' in v).map(([k, v]) => h(
            'tr',
            { class: v.count ? 'finding' : null },
            h('th', { scope: 'row' }, t(`lead.finding_${k}`) === `lead.finding_${k}` ? k : t(`lead.finding_${k}`)),
            h('td', {}, String(v.count)),
            h('td', {}, v.rules ? v.rules.join(', ') : (v.examples || []).slice(0, 3).map((ex) => h('div', { class: 'text' }, findingText(ex)))),
          ))),
      ];
  show(title(t('lead.rules_title')), h('h2', {}, t('lead.explain_title')), form, result, h('h2', {}, t('lead.check_title')), findings);
}

function showExplain(el, x) {
  const who = (list) => (list || []).map((o) => `${o.partner || '?'} (${o.role})`).join(', ') || '–';
  fill(
    el,
    h('h3', { tabindex: '-1' }, x.winner ? t('lead.explain_winner', { rule: x.winner }) : t('lead.explain_none')),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('lead.explain_why')), h('dd', {}, x.decided_by?.why || x.decided_by?.step || '–'),
      h('dt', {}, t('lead.explain_owners')), h('dd', {}, who(x.owners), x.mode ? ` (${x.mode})` : ''),
      h('dt', {}, t('lead.explain_fallback')), h('dd', {}, who(x.fallback)),
      h('dt', {}, t('lead.flag_out_of_bundle')), h('dd', {}, x.out_of_bundle ? t('lead.yes') : t('lead.no')),
      h('dt', {}, t('lead.flag_unroutable')), h('dd', {}, x.unroutable ? t('lead.yes') : t('lead.no')),
      x.dependency?.why ? [h('dt', {}, t('lead.explain_dependency')), h('dd', {}, x.dependency.why)] : null,
    ),
    table(t('lead.explain_considered'), ['lead.rule', 'lead.matched', 'lead.why_not', 'lead.rank'],
      (x.considered || []).map((c) => h('tr', { class: c.rule === x.winner ? 'winner' : null },
        h('th', { scope: 'row' }, c.rule), h('td', {}, c.matched ? t('lead.yes') : t('lead.no')), h('td', {}, c.why_not || ''), h('td', {}, `${c.rank ?? ''} / ${c.specificity ?? ''}`)))),
  );
  el.querySelector('h3').focus();
}

// ---- dead letters ----

async function viewDead() {
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const channel = ['webhook', 'mail', 'tmf', 'ebond'].includes(q.get('channel')) ? q.get('channel') : '';
  const ch = channel ? `&channel=${channel}` : '';
  const [failed, disabled] = await Promise.all(['failed', 'disabled'].map((s) => api('GET', `/v1/deliveries?state=${s}&limit=100${ch}`)));
  const items = [...failed.items, ...disabled.items].sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0));
  const select = h('select', { name: 'channel' }, ['', 'webhook', 'mail', 'tmf', 'ebond'].map((c) => h('option', { value: c, selected: c === channel }, t(`lead.dch_${c || 'all'}`))));
  const filter = h('form', {
    class: 'card period',
    'aria-label': t('lead.dead_filter'),
    onsubmit: (ev) => {
      ev.preventDefault();
      location.hash = select.value ? `#/dead?channel=${select.value}` : '#/dead';
    },
  }, field(t('lead.dead_channel'), select), h('button', { type: 'submit' }, t('sla.show')));
  const err = errorLine();
  const rows = items.map((d) => h(
    'tr',
    {},
    h('td', {}, h('code', {}, d.id)),
    h('td', {}, t(`lead.dch_${d.channel}`)),
    h('td', {}, d.rcpt || d.partner || ''),
    h('td', {}, d.type || ''),
    h('td', {}, d.ticket ? h('a', { href: `#/t/${encodeURIComponent(d.ticket)}` }, d.ticket) : ''),
    h('td', {}, t(`lead.dstate_${d.state}`), ' · ', t('lead.attempts', { n: d.attempts ?? 0 }), d.last_error || d.last_status ? h('div', { class: 'text' }, [d.last_status, d.last_error].filter(Boolean).join(' ')) : null),
    h('td', {}, isLead() ? h('button', {
      type: 'button',
      'aria-label': t('lead.redeliver_one', { id: d.id }),
      onclick: async () => {
        err.hidden = true;
        try {
          await api('POST', `/v1/deliveries/${encodeURIComponent(d.id)}/redeliver`);
          say(t('lead.redelivered', { id: d.id }));
          app.route();
        } catch (e) {
          showError(err, e);
        }
      },
    }, t('lead.redeliver')) : ''),
  ));
  show(
    title(t('lead.dead_title')),
    h('p', {}, t('lead.dead_intro')),
    filter,
    err,
    rows.length ? table(t('lead.dead_title'), ['lead.message', 'lead.dead_channel', 'lead.recipient', 'lead.type', 'lead.ticket', 'lead.state', 'lead.action'], rows) : h('p', {}, t('lead.no_dead')),
  );
}

// ---- routing ----

start({
  roles: ['lead', 'auditor'],
  signinTitle: 'lead.signin_title',
  links: (who) =>
    who.role === 'lead'
      ? [['#/', 'lead.glance_title'], ['#/new', 'lead.new_title'], ['#/sla', 'lead.sla_title'], ['#/rules', 'lead.rules_title'], ['#/dead', 'lead.dead_title']]
      : [['#/sla', 'lead.sla_title']], // an auditor: the audit's figures (the ticket lists are the lead's)
  route: async (hash, who) => {
    me = who;
    const [path, query = ''] = hash.split('?');
    if (who.role !== 'lead') await viewSla();
    else if (path.startsWith('#/t/')) await viewTicket(decodeURIComponent(path.slice(4)));
    else if (path === '#/list') await viewList(query);
    else if (path === '#/new') await viewNew();
    else if (path === '#/sla') await viewSla();
    else if (path === '#/rules') await viewRules();
    else if (path === '#/dead') await viewDead();
    else await viewGlance();
  },
});
