// portal.js: the customer portal ("/"). A customer signs in, files a
// complaint from a form built from the federation's vocabulary, follows its
// complaints (one status, one timeline), answers a question, adds
// information, confirms, reopens or cancels, and sets its notifications. A
// ticket's page shows whether its evidence verifies (evidence.js).
// Views by the location's hash: #/ (the list), #/new, #/t/ID, #/settings.
import { api } from './api.js';
import { actionForm, errorLine, loadVocabulary, say, show, showError, start, title } from './app.js';
import { field, h } from './dom.js';
import { evidenceBadge } from './evidence.js';
import { formatTime, languages, t } from './i18n.js';

const OPEN = ['acknowledged', 'inProgress', 'pending'];

// ---- the list of own tickets ----

function statusBadge(status) {
  return h('span', { class: `badge s-${status}` }, t(`status.${status}`));
}

async function viewList() {
  const items = [];
  let cursor = null;
  do { // every page of the customer's tickets
    const page = await api('GET', `/v1/tickets?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < 1000);
  const table = items.length
    ? h(
        'table',
        {},
        h('caption', { class: 'sr-only' }, t('list.caption')),
        h('thead', {}, h('tr', {}, ['list.summary', 'list.status', 'list.filed', 'list.updated'].map((k) => h('th', { scope: 'col' }, t(k))))),
        h(
          'tbody',
          {},
          items.map((tk) =>
            h(
              'tr',
              {},
              h('td', {}, h('a', { href: `#/t/${encodeURIComponent(tk.id)}` }, tk.summary)),
              h('td', {}, statusBadge(tk.status)),
              h('td', {}, formatTime(tk.created_at)),
              h('td', {}, formatTime(tk.updated_at)),
            ),
          ),
        ),
      )
    : h('p', {}, t('list.empty'));
  show(title(t('list.title')), h('p', {}, h('a', { class: 'button', href: '#/new' }, t('nav.new'))), table);
}

// ---- filing a complaint ----

// The facts a customer gives: those of the complaint, and the priority.
function complaintFacts(vocab) {
  return vocab.facts.filter((f) => f.source === 'complaint' || f.source === 'priority');
}

async function viewNew() {
  const vocab = await loadVocabulary();
  const err = errorLine();
  const summary = h('input', { name: 'summary', required: true, maxlength: 200 });
  const description = h('textarea', { name: 'description', rows: 5, required: true });
  const selects = complaintFacts(vocab).map((f) => {
    const select = h(
      'select',
      { name: f.name, required: !f.optional },
      h('option', { value: '' }, f.optional ? t('new.not_sure') : t('new.choose')),
      f.values.map((v) => h('option', { value: v.id }, v.label)),
    );
    return { fact: f, select };
  });
  const files = h('input', { type: 'file', name: 'files', multiple: true, accept: 'image/*,text/plain,application/pdf' });
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        const body = { summary: summary.value.trim(), description: description.value.trim() };
        for (const { fact, select } of selects) if (select.value) body[fact.name] = select.value;
        let ticket;
        try {
          ticket = await api('POST', '/v1/tickets', body);
        } catch (e) {
          showError(err, e);
          const bad = e.field && form.elements[e.field];
          if (bad) bad.focus();
          return;
        }
        const failed = await attach(ticket.id, files.files);
        say(failed ? t('new.filed_attach_failed', { n: failed }) : t('new.filed'));
        location.hash = `#/t/${encodeURIComponent(ticket.id)}`;
      },
    },
    field(t('new.summary'), summary, t('new.summary_hint')),
    selects.map(({ fact, select }) => field(fact.label, select)),
    field(t('new.description'), description, t('new.description_hint')),
    field(t('new.files'), files, t('new.files_hint')),
    err,
    h('button', { type: 'submit' }, t('new.submit')),
  );
  show(title(t('new.title')), h('p', {}, t('new.intro')), form);
}

// Sends each file as an attachment of the ticket; the number that failed.
async function attach(ticketId, fileList) {
  let failed = 0;
  for (const file of fileList || []) {
    try {
      const res = await fetch(`/v1/tickets/${encodeURIComponent(ticketId)}/attachments`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: {
          'Content-Type': file.type || 'application/octet-stream',
          'X-CSRF-Token': localStorage.getItem('seam.csrf') || '',
        },
        body: file,
      });
      if (!res.ok) failed++;
    } catch {
      failed++;
    }
  }
  return failed;
}

// ---- one ticket ----

function factLabel(vocab, name, id) {
  const f = vocab.facts.find((x) => x.name === name);
  return f?.values.find((v) => v.id === id)?.label ?? id;
}

function timeline(tk) {
  return h(
    'ol',
    { class: 'timeline' },
    (tk.timeline || []).map((ev) =>
      h(
        'li',
        {},
        h('time', { datetime: ev.at }, formatTime(ev.at)),
        ' ',
        h('strong', {}, t(`event.${ev.type}`) === `event.${ev.type}` ? t('event.other') : t(`event.${ev.type}`)),
        ev.status ? [' · ', t(`status.${ev.status}`)] : null,
        ev.text ? h('p', { class: 'text' }, ev.text) : null,
      ),
    ),
  );
}

// Reopen, with the complaint's facts to correct if the customer wishes (only those changed are sent).
function reopenForm(tk, vocab, base) {
  const selects = vocab.facts
    .filter((f) => f.source === 'complaint')
    .map((f) => {
      const select = h(
        'select',
        { name: `fact-${f.name}` },
        f.optional ? h('option', { value: '' }, t('new.not_sure')) : null,
        f.values.map((v) => h('option', { value: v.id, selected: v.id === tk[f.name] }, v.label)),
      );
      return { fact: f, select };
    });
  const corrections = h(
    'details',
    { class: 'corrections' },
    h('summary', {}, t('ticket.reopen_facts')),
    selects.map(({ fact, select }) => field(fact.label, select)),
  );
  return actionForm({
    label: t('ticket.reopen_reason'), hint: t('ticket.reopen_hint'), key: 'reason', path: `${base}/reopen`,
    button: t('ticket.reopen'), done: t('ticket.reopened'), after: [corrections],
    body: () => {
      const facts = {};
      for (const { fact, select } of selects) if (select.value && select.value !== (tk[fact.name] ?? '')) facts[fact.name] = select.value;
      return Object.keys(facts).length ? { facts } : {};
    },
  });
}

async function viewTicket(id) {
  const [tk, vocab] = await Promise.all([api('GET', `/v1/tickets/${encodeURIComponent(id)}`), loadVocabulary()]);
  const base = `/v1/tickets/${encodeURIComponent(tk.id)}`;
  const facts = complaintFacts(vocab)
    .filter((f) => tk[f.name])
    .map((f) => [h('dt', {}, f.label), h('dd', {}, factLabel(vocab, f.name, tk[f.name]))]);
  const parts = [
    title(tk.summary),
    h('p', { class: 'status-line' }, t('ticket.status'), ' ', statusBadge(tk.status), ' ', h('span', {}, t(`status_help.${tk.status}`))),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('ticket.id')),
      h('dd', {}, tk.id),
      h('dt', {}, t('ticket.filed')),
      h('dd', {}, formatTime(tk.created_at)),
      tk.handled_by?.length ? [h('dt', {}, t('ticket.handled_by')), h('dd', {}, tk.handled_by.join(', '))] : null,
      facts,
    ),
    tk.description ? h('p', { class: 'text description' }, tk.description) : null,
  ];
  if (tk.status === 'pending') {
    const question = [...(tk.timeline || [])].reverse().find((ev) => ev.type === 'assignment.need_info');
    parts.push(
      h('section', { class: 'question', 'aria-labelledby': 'q-title' },
        h('h2', { id: 'q-title' }, t('ticket.question_title')),
        question?.text ? h('blockquote', { class: 'text' }, question.text) : null,
        actionForm({ label: t('ticket.answer'), key: 'text', path: `${base}/notes`, button: t('ticket.answer_submit'), done: t('ticket.answered') })),
    );
  }
  parts.push(h('h2', {}, t('ticket.timeline')), timeline(tk));
  if (tk.status === 'resolved') {
    parts.push(
      h('h2', {}, t('ticket.resolved_title')),
      actionForm({ label: t('ticket.confirm_comment'), key: 'comment', path: `${base}/confirm`, button: t('ticket.confirm'), required: false, done: t('ticket.confirmed') }),
      reopenForm(tk, vocab, base),
    );
  }
  if (OPEN.includes(tk.status)) {
    if (tk.status !== 'pending') {
      parts.push(h('h2', {}, t('ticket.note_title')),
        actionForm({ label: t('ticket.note'), key: 'text', path: `${base}/notes`, button: t('ticket.note_submit'), done: t('ticket.noted') }));
    }
    parts.push(
      h('details', { class: 'cancel' }, h('summary', {}, t('ticket.cancel_title')),
        actionForm({ label: t('ticket.cancel_reason'), key: 'reason', path: `${base}/cancel`, button: t('ticket.cancel'), required: false, done: t('ticket.cancelled'), danger: true })),
    );
  }
  const evidence = h('div', { class: 'evidence-slot' });
  parts.push(evidence, h('p', {}, h('a', { href: '#/' }, t('ticket.back'))));
  show(...parts);
  evidenceBadge(evidence, tk.id, api);
}

// ---- notifications ----

async function viewSettings(me) {
  const path = `/v1/customers/${encodeURIComponent(me.subject)}/mail`;
  const prefs = await api('PUT', path, {});
  const err = errorLine();
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', value: prefs.email || '' });
  const language = h('select', { name: 'language' },
    languages.map(([code, name]) => h('option', { value: code, selected: code === prefs.language }, name)));
  const notify = h('input', { type: 'checkbox', name: 'notifications', checked: prefs.notifications });
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: async (ev) => {
        ev.preventDefault();
        err.hidden = true;
        try {
          await api('PUT', path, { email: email.value.trim(), language: language.value, notifications: notify.checked });
          say(t('settings.saved'));
        } catch (e) {
          showError(err, e);
        }
      },
    },
    field(t('settings.email'), email, t('settings.email_hint')),
    field(t('settings.language'), language),
    h('div', { class: 'field check' }, notify, h('label', { for: (notify.id = 'notify') }, t('settings.notifications'))),
    err,
    h('button', { type: 'submit' }, t('settings.submit')),
  );
  show(title(t('settings.title')), form);
}

// ---- routing ----

start({
  roles: ['customer'],
  signinTitle: 'signin.title',
  links: [
    ['#/', 'nav.tickets'],
    ['#/new', 'nav.new'],
    ['#/settings', 'nav.settings'],
  ],
  route: async (hash, me) => {
    if (hash === '#/new') await viewNew();
    else if (hash === '#/settings') await viewSettings(me);
    else if (hash.startsWith('#/t/')) await viewTicket(decodeURIComponent(hash.slice(4)));
    else await viewList();
  },
});
